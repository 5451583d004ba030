// tokenizer.c — byte-level BPE: training (deterministic merges over pre-split chunks), encoding
// (lowest-rank merge first, inside each chunk), decoding, and the tokenizer.json format.
//
// Ids: 0 <pad>, 1 <bos>, 2 <eos>, 3..258 the bytes 0..255, then one id per merge in merge order.
// Pre-split: text is cut into chunks that merges never cross, at most CHUNK_MAX bytes each.
//   "iar-chunks-v1" (words): an optional single leading space followed by a run of one class
//     (letters incl. bytes >= 128, digits, other printable), or a run of whitespace.
//   "iar-phrases-v1" (the default): runs ending at . , : ; ? ! > or a newline, a '<' starting a new
//     run; merges may span words, so templated rationales shrink to a few tokens per clause.
// Every byte belongs to exactly one chunk, so decode(encode(x)) == x for any byte string.
//
// tokenizer.json: {"format":"iar-bpe","version":1,"pretokenizer":"iar-phrases-v1","vocab_size":V,
//   "special":["<pad>","<bos>","<eos>"],"merges":[[left,right],...],"vocab":["...",...]}
// "merges" is authoritative; "vocab" (each token's bytes as a string whose code points U+0000..U+00FF
// are the bytes) is for readers and is checked against the merges on load.
#include "text/tokenizer.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/files.h"

#define TOKENIZER_VERSION 1
#define SPECIAL_COUNT 3
#define BASE_VOCAB (TOKEN_FIRST_BYTE + 256)
#define CHUNK_MAX 64
#define MAX_VOCAB 65536

enum { PRETOKENIZER_WORDS = 0, PRETOKENIZER_PHRASES = 1 };
static const char *const PRETOKENIZER_NAMES[2] = {"iar-chunks-v1", "iar-phrases-v1"};

typedef struct Merge {
    int left, right;
} Merge;

struct Tokenizer {
    int pretokenizer; // PRETOKENIZER_*
    int vocab_size;
    int merge_count;
    Merge *merges;
    // token id -> its bytes: pool[offsets[id] .. offsets[id] + lengths[id])
    unsigned char *pool;
    size_t *offsets;
    int *lengths;
    // pair (left, right) -> merge rank, open addressing; key 0 is empty (pair (0,0) never merges)
    uint64_t *pair_keys;
    int *pair_ranks;
    size_t pair_capacity; // power of two
};

static uint64_t pair_key(int left, int right) { return ((uint64_t)(uint32_t)left << 32) | (uint32_t)right; }

static size_t hash_u64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return (size_t)x;
}

static int pair_rank(const Tokenizer *tok, int left, int right) {
    uint64_t key = pair_key(left, right);
    size_t mask = tok->pair_capacity - 1;
    for (size_t i = hash_u64(key) & mask;; i = (i + 1) & mask) {
        if (tok->pair_keys[i] == key) return tok->pair_ranks[i];
        if (tok->pair_keys[i] == 0) return -1;
    }
}

// Builds pair table and per-token bytes from the merges; checks every merge refers to earlier ids.
static int tokenizer_index(Tokenizer *tok, Error *err) {
    int v = tok->vocab_size;
    tok->offsets = calloc((size_t)v, sizeof *tok->offsets);
    tok->lengths = calloc((size_t)v, sizeof *tok->lengths);
    size_t capacity = 16;
    while (capacity < (size_t)tok->merge_count * 2 + 2) capacity <<= 1;
    tok->pair_capacity = capacity;
    tok->pair_keys = calloc(capacity, sizeof *tok->pair_keys);
    tok->pair_ranks = calloc(capacity, sizeof *tok->pair_ranks);
    if (!tok->offsets || !tok->lengths || !tok->pair_keys || !tok->pair_ranks)
        return error_set(err, "tokenizer: out of memory");
    size_t pool_size = 256;
    for (int r = 0; r < tok->merge_count; r++) {
        int l = tok->merges[r].left, rr = tok->merges[r].right, id = BASE_VOCAB + r;
        if (l < TOKEN_FIRST_BYTE || rr < TOKEN_FIRST_BYTE || l >= id || rr >= id)
            return error_set(err, "tokenizer: merge %d (%d, %d) refers to an id that is not a byte or an earlier merge",
                             r, l, rr);
        tok->lengths[id] = (l < BASE_VOCAB ? 1 : tok->lengths[l]) + (rr < BASE_VOCAB ? 1 : tok->lengths[rr]);
        pool_size += (size_t)tok->lengths[id];
    }
    tok->pool = malloc(pool_size);
    if (!tok->pool) return error_set(err, "tokenizer: out of memory");
    for (int b = 0; b < 256; b++) {
        tok->pool[b] = (unsigned char)b;
        tok->offsets[TOKEN_FIRST_BYTE + b] = (size_t)b;
        tok->lengths[TOKEN_FIRST_BYTE + b] = 1;
    }
    size_t used = 256;
    for (int r = 0; r < tok->merge_count; r++) {
        int l = tok->merges[r].left, rr = tok->merges[r].right, id = BASE_VOCAB + r;
        tok->offsets[id] = used;
        memcpy(tok->pool + used, tok->pool + tok->offsets[l], (size_t)tok->lengths[l]);
        memcpy(tok->pool + used + tok->lengths[l], tok->pool + tok->offsets[rr], (size_t)tok->lengths[rr]);
        used += (size_t)tok->lengths[id];
        uint64_t key = pair_key(l, rr);
        size_t mask = capacity - 1, i = hash_u64(key) & mask;
        while (tok->pair_keys[i] != 0 && tok->pair_keys[i] != key) i = (i + 1) & mask;
        if (tok->pair_keys[i] == key) return error_set(err, "tokenizer: merge %d (%d, %d) appears twice", r, l, rr);
        tok->pair_keys[i] = key;
        tok->pair_ranks[i] = r;
    }
    return 0;
}

void tokenizer_free(Tokenizer *tok) {
    if (!tok) return;
    free(tok->merges);
    free(tok->pool);
    free(tok->offsets);
    free(tok->lengths);
    free(tok->pair_keys);
    free(tok->pair_ranks);
    free(tok);
}

int tokenizer_vocab_size(const Tokenizer *tok) { return tok->vocab_size; }

// ---- pre-split -------------------------------------------------------------------------------

static int byte_class(unsigned char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 128) return 1;
    if (c >= '0' && c <= '9') return 2;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') return 3;
    return 4;
}

// Length of a word chunk starting at text[0] (text non-empty, NUL-terminated).
static size_t chunk_length_words(const unsigned char *text) {
    size_t i = 0;
    if (text[0] == ' ' && text[1] && byte_class(text[1]) != 3) i = 1;
    int cls = byte_class(text[i]);
    size_t start = i;
    while (text[i] && byte_class(text[i]) == cls && i - start < CHUNK_MAX) {
        // a whitespace run leaves its last space to prefix the following word
        if (cls == 3 && text[i] == ' ' && text[i + 1] && byte_class(text[i + 1]) != 3 && i > start) break;
        i++;
    }
    return i;
}

// Length of a phrase chunk: up to and including the next . , : ; ? ! > or newline, or up to the
// next '<' (tags start a chunk), at most CHUNK_MAX bytes.
static size_t chunk_length_phrases(const unsigned char *text) {
    size_t i = 0;
    while (text[i] && i < CHUNK_MAX) {
        unsigned char c = text[i];
        if (c == '<' && i > 0) break;
        i++;
        if (c == '.' || c == ',' || c == ':' || c == ';' || c == '?' || c == '!' || c == '>' || c == '\n') break;
    }
    return i;
}

static size_t chunk_length(int pretokenizer, const unsigned char *text) {
    return pretokenizer == PRETOKENIZER_PHRASES ? chunk_length_phrases(text) : chunk_length_words(text);
}

// Merges one chunk's symbols in place (lowest rank first); returns the new count.
static int chunk_merge(const Tokenizer *tok, int *symbols, int count) {
    while (count > 1) {
        int best_rank = -1, best_at = -1;
        for (int i = 0; i + 1 < count; i++) {
            int r = pair_rank(tok, symbols[i], symbols[i + 1]);
            if (r >= 0 && (best_rank < 0 || r < best_rank)) best_rank = r, best_at = i;
        }
        if (best_rank < 0) break;
        // merge every occurrence of this pair, left to right
        int left = symbols[best_at], right = symbols[best_at + 1], id = BASE_VOCAB + best_rank, w = 0;
        for (int i = 0; i < count; i++) {
            if (i + 1 < count && symbols[i] == left && symbols[i + 1] == right) {
                symbols[w++] = id;
                i++;
            } else {
                symbols[w++] = symbols[i];
            }
        }
        count = w;
    }
    return count;
}

int tokenizer_encode(const Tokenizer *tok, const char *text, int *out, int max) {
    const unsigned char *p = (const unsigned char *)text;
    int total = 0;
    int symbols[CHUNK_MAX + 1];
    while (*p) {
        size_t n = chunk_length(tok->pretokenizer, p);
        for (size_t i = 0; i < n; i++) symbols[i] = TOKEN_FIRST_BYTE + p[i];
        int count = chunk_merge(tok, symbols, (int)n);
        for (int i = 0; i < count; i++, total++)
            if (total < max) out[total] = symbols[i];
        p += n;
    }
    return total;
}

char *tokenizer_decode(const Tokenizer *tok, const int *ids, int count) {
    size_t size = 1;
    for (int i = 0; i < count; i++)
        if (ids[i] >= TOKEN_FIRST_BYTE && ids[i] < tok->vocab_size) size += (size_t)tok->lengths[ids[i]];
    char *out = malloc(size);
    if (!out) return NULL;
    size_t at = 0;
    for (int i = 0; i < count; i++) {
        int id = ids[i];
        if (id < TOKEN_FIRST_BYTE || id >= tok->vocab_size) continue;
        memcpy(out + at, tok->pool + tok->offsets[id], (size_t)tok->lengths[id]);
        at += (size_t)tok->lengths[id];
    }
    out[at] = 0;
    return out;
}

// ---- training --------------------------------------------------------------------------------

typedef struct Word {
    int *symbols;
    int count;
    long frequency;
} Word;

// Distinct chunks with their frequencies (string hash map, open addressing).
typedef struct ChunkTable {
    char **keys;
    long *counts;
    size_t capacity, size;
} ChunkTable;

static size_t hash_bytes(const unsigned char *s, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 0x100000001b3ull;
    return (size_t)h;
}

static int chunk_table_add(ChunkTable *t, const unsigned char *s, size_t n) {
    if ((t->size + 1) * 2 > t->capacity) {
        size_t cap = t->capacity ? t->capacity * 2 : 1024;
        char **keys = calloc(cap, sizeof *keys);
        long *counts = calloc(cap, sizeof *counts);
        if (!keys || !counts) {
            free(keys);
            free(counts);
            return -1;
        }
        for (size_t i = 0; i < t->capacity; i++) {
            if (!t->keys[i]) continue;
            size_t j = hash_bytes((unsigned char *)t->keys[i], strlen(t->keys[i])) & (cap - 1);
            while (keys[j]) j = (j + 1) & (cap - 1);
            keys[j] = t->keys[i];
            counts[j] = t->counts[i];
        }
        free(t->keys);
        free(t->counts);
        t->keys = keys;
        t->counts = counts;
        t->capacity = cap;
    }
    size_t j = hash_bytes(s, n) & (t->capacity - 1);
    while (t->keys[j]) {
        if (strlen(t->keys[j]) == n && memcmp(t->keys[j], s, n) == 0) {
            t->counts[j]++;
            return 0;
        }
        j = (j + 1) & (t->capacity - 1);
    }
    t->keys[j] = malloc(n + 1);
    if (!t->keys[j]) return -1;
    memcpy(t->keys[j], s, n);
    t->keys[j][n] = 0;
    t->counts[j] = 1;
    t->size++;
    return 0;
}

static int compare_strings(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

// Pair counts for one training round: open addressing keyed by pair.
typedef struct PairCounts {
    uint64_t *keys;
    long *counts;
    size_t capacity;
} PairCounts;

static void pair_counts_add(PairCounts *pc, uint64_t key, long n) {
    size_t mask = pc->capacity - 1, i = hash_u64(key) & mask;
    while (pc->keys[i] != 0 && pc->keys[i] != key) i = (i + 1) & mask;
    pc->keys[i] = key;
    pc->counts[i] += n;
}

static void free_words(Word *words, size_t count) {
    for (size_t i = 0; i < count; i++) free(words[i].symbols);
    free(words);
}

// Collects the distinct chunks of all texts, sorted (so training does not depend on hash order).
static int collect_words(int pretokenizer, const char *const *texts, size_t count, Word **out_words,
                         size_t *out_count, size_t *symbols, Error *err) {
    ChunkTable table = {0};
    for (size_t t = 0; t < count; t++) {
        const unsigned char *p = (const unsigned char *)(texts[t] ? texts[t] : "");
        while (*p) {
            size_t n = chunk_length(pretokenizer, p);
            if (chunk_table_add(&table, p, n) != 0) return error_set(err, "tokenizer: out of memory");
            p += n;
        }
    }
    char **keys = malloc((table.size + 1) * sizeof *keys);
    Word *words = calloc(table.size + 1, sizeof *words);
    if (!keys || !words) return error_set(err, "tokenizer: out of memory");
    size_t k = 0;
    for (size_t i = 0; i < table.capacity; i++)
        if (table.keys[i]) keys[k++] = table.keys[i];
    qsort(keys, k, sizeof *keys, compare_strings);
    *symbols = 0;
    for (size_t i = 0; i < k; i++) {
        size_t n = strlen(keys[i]);
        size_t j = hash_bytes((unsigned char *)keys[i], n) & (table.capacity - 1);
        while (table.keys[j] != keys[i]) j = (j + 1) & (table.capacity - 1);
        words[i].frequency = table.counts[j];
        words[i].count = (int)n;
        words[i].symbols = malloc(n * sizeof(int));
        if (!words[i].symbols) return error_set(err, "tokenizer: out of memory");
        for (size_t b = 0; b < n; b++) words[i].symbols[b] = TOKEN_FIRST_BYTE + (unsigned char)keys[i][b];
        *symbols += n;
    }
    for (size_t i = 0; i < k; i++) free(keys[i]);
    free(keys);
    free(table.keys);
    free(table.counts);
    *out_words = words;
    *out_count = k;
    return 0;
}

int tokenizer_train(Tokenizer **out, const char *const *texts, size_t count, int vocab_size, Error *err) {
    return tokenizer_train_with_pretokenizer(out, texts, count, vocab_size, TOKENIZER_DEFAULT_PRETOKENIZER, err);
}

int tokenizer_train_with_pretokenizer(Tokenizer **out, const char *const *texts, size_t count, int vocab_size,
                                 const char *pretokenizer, Error *err) {
    *out = NULL;
    int mode = -1;
    for (int m = 0; m < 2; m++)
        if (pretokenizer && strcmp(pretokenizer, PRETOKENIZER_NAMES[m]) == 0) mode = m;
    if (mode < 0)
        return error_set(err, "tokenizer: unknown pre-tokenizer '%s' (iar-chunks-v1, iar-phrases-v1)",
                         pretokenizer ? pretokenizer : "(null)");
    if (vocab_size < BASE_VOCAB || vocab_size > MAX_VOCAB)
        return error_set(err, "tokenizer: vocabulary size %d is outside %d..%d", vocab_size, BASE_VOCAB, MAX_VOCAB);
    Word *words = NULL;
    size_t word_count = 0, symbol_total = 0;
    if (collect_words(mode, texts, count, &words, &word_count, &symbol_total, err) != 0) return -1;
    Tokenizer *tok = calloc(1, sizeof *tok);
    if (tok) tok->pretokenizer = mode;
    int wanted = vocab_size - BASE_VOCAB;
    tok->merges = calloc((size_t)wanted + 1, sizeof *tok->merges);
    PairCounts pc = {0};
    pc.capacity = 16;
    while (pc.capacity < symbol_total * 2 + 2) pc.capacity <<= 1;
    pc.keys = malloc(pc.capacity * sizeof *pc.keys);
    pc.counts = malloc(pc.capacity * sizeof *pc.counts);
    if (!tok || !tok->merges || !pc.keys || !pc.counts) {
        free_words(words, word_count);
        free(pc.keys);
        free(pc.counts);
        tokenizer_free(tok);
        return error_set(err, "tokenizer: out of memory");
    }
    int merges = 0;
    while (merges < wanted) {
        memset(pc.keys, 0, pc.capacity * sizeof *pc.keys);
        memset(pc.counts, 0, pc.capacity * sizeof *pc.counts);
        for (size_t w = 0; w < word_count; w++)
            for (int i = 0; i + 1 < words[w].count; i++)
                pair_counts_add(&pc, pair_key(words[w].symbols[i], words[w].symbols[i + 1]), words[w].frequency);
        // most frequent pair; ties go to the smaller (left, right) so training is deterministic
        uint64_t best = 0;
        long best_count = 0;
        for (size_t i = 0; i < pc.capacity; i++) {
            if (pc.keys[i] == 0) continue;
            if (pc.counts[i] > best_count || (pc.counts[i] == best_count && pc.keys[i] < best))
                best = pc.keys[i], best_count = pc.counts[i];
        }
        if (best_count < 2) break; // nothing left worth merging
        int left = (int)(best >> 32), right = (int)(uint32_t)best, id = BASE_VOCAB + merges;
        tok->merges[merges++] = (Merge){left, right};
        for (size_t w = 0; w < word_count; w++) {
            int *s = words[w].symbols, n = words[w].count, k = 0;
            for (int i = 0; i < n; i++) {
                if (i + 1 < n && s[i] == left && s[i + 1] == right) {
                    s[k++] = id;
                    i++;
                } else {
                    s[k++] = s[i];
                }
            }
            words[w].count = k;
        }
    }
    free(pc.keys);
    free(pc.counts);
    free_words(words, word_count);
    // A vocabulary smaller than asked is fine (tiny corpora): the model is sized from vocab_size.
    tok->merge_count = merges;
    tok->vocab_size = BASE_VOCAB + merges;
    if (tokenizer_index(tok, err) != 0) {
        tokenizer_free(tok);
        return -1;
    }
    *out = tok;
    return 0;
}

// ---- tokenizer.json ----------------------------------------------------------------------------

// Token bytes as a JSON string: each byte b becomes code point U+00bb (UTF-8 encoded by cJSON).
static char *bytes_to_codepoints(const unsigned char *bytes, int n) {
    char *s = malloc((size_t)n * 2 + 1);
    if (!s) return NULL;
    int k = 0;
    for (int i = 0; i < n; i++) {
        unsigned char b = bytes[i];
        if (b < 128) {
            s[k++] = (char)b;
        } else {
            s[k++] = (char)(0xc0 | (b >> 6));
            s[k++] = (char)(0x80 | (b & 0x3f));
        }
    }
    s[k] = 0;
    return s;
}

int tokenizer_save(const Tokenizer *tok, const char *path, Error *err) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "format", "iar-bpe");
    cJSON_AddNumberToObject(root, "version", TOKENIZER_VERSION);
    cJSON_AddStringToObject(root, "pretokenizer", PRETOKENIZER_NAMES[tok->pretokenizer]);
    cJSON_AddNumberToObject(root, "vocab_size", tok->vocab_size);
    const char *special[SPECIAL_COUNT] = {"<pad>", "<bos>", "<eos>"};
    cJSON_AddItemToObject(root, "special", cJSON_CreateStringArray(special, SPECIAL_COUNT));
    cJSON *merges = cJSON_AddArrayToObject(root, "merges");
    for (int r = 0; r < tok->merge_count; r++) {
        int pair[2] = {tok->merges[r].left, tok->merges[r].right};
        cJSON_AddItemToArray(merges, cJSON_CreateIntArray(pair, 2));
    }
    cJSON *vocab = cJSON_AddArrayToObject(root, "vocab");
    int ok = 1;
    for (int id = 0; id < tok->vocab_size && ok; id++) {
        if (id < SPECIAL_COUNT) {
            cJSON_AddItemToArray(vocab, cJSON_CreateString(special[id]));
            continue;
        }
        char *s = bytes_to_codepoints(tok->pool + tok->offsets[id], tok->lengths[id]);
        ok = s != NULL;
        if (s) cJSON_AddItemToArray(vocab, cJSON_CreateString(s));
        free(s);
    }
    char *text = ok ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    if (!text) return error_set(err, "%s: out of memory writing the tokenizer", path);
    int rc = file_write_atomic(path, text, strlen(text), err);
    free(text);
    return rc;
}

static int fail_load(cJSON *root, Tokenizer *tok, Error *err, const char *path, const char *what) {
    cJSON_Delete(root);
    tokenizer_free(tok);
    return error_set(err, "%s: %s", path, what);
}

int tokenizer_load(Tokenizer **out, const char *path, Error *err) {
    *out = NULL;
    char *text = NULL;
    if (file_read_all(path, (size_t)64 << 20, &text, NULL, err) != 0) return -1;
    cJSON *root = cJSON_Parse(text);
    free(text);
    if (!root) return error_set(err, "%s: not valid JSON", path);
    cJSON *format = cJSON_GetObjectItemCaseSensitive(root, "format");
    cJSON *version = cJSON_GetObjectItemCaseSensitive(root, "version");
    cJSON *pre = cJSON_GetObjectItemCaseSensitive(root, "pretokenizer");
    cJSON *size = cJSON_GetObjectItemCaseSensitive(root, "vocab_size");
    cJSON *merges = cJSON_GetObjectItemCaseSensitive(root, "merges");
    if (!cJSON_IsString(format) || strcmp(format->valuestring, "iar-bpe") != 0)
        return fail_load(root, NULL, err, path, "not an iar tokenizer (\"format\" is not \"iar-bpe\")");
    if (!cJSON_IsNumber(version) || version->valueint != TOKENIZER_VERSION) {
        char msg[160];
        snprintf(msg, sizeof msg, "tokenizer v%d, this build reads v%d; retrain it with `iar train tokenizer`",
                 cJSON_IsNumber(version) ? version->valueint : -1, TOKENIZER_VERSION);
        return fail_load(root, NULL, err, path, msg);
    }
    int mode = -1;
    for (int m = 0; m < 2; m++)
        if (cJSON_IsString(pre) && strcmp(pre->valuestring, PRETOKENIZER_NAMES[m]) == 0) mode = m;
    if (mode < 0)
        return fail_load(root, NULL, err, path,
                         "unknown \"pretokenizer\" (this build knows iar-chunks-v1 and iar-phrases-v1)");
    if (!cJSON_IsArray(merges) || !cJSON_IsNumber(size))
        return fail_load(root, NULL, err, path, "missing \"merges\" array or \"vocab_size\"");
    int n = cJSON_GetArraySize(merges);
    if (n > MAX_VOCAB - BASE_VOCAB || size->valueint != BASE_VOCAB + n)
        return fail_load(root, NULL, err, path, "\"vocab_size\" does not match the number of merges");
    Tokenizer *tok = calloc(1, sizeof *tok);
    if (!tok) return fail_load(root, NULL, err, path, "out of memory");
    tok->pretokenizer = mode;
    tok->merges = calloc((size_t)n + 1, sizeof *tok->merges);
    if (!tok->merges) return fail_load(root, tok, err, path, "out of memory");
    int r = 0;
    cJSON *pair;
    cJSON_ArrayForEach(pair, merges) {
        cJSON *l = cJSON_GetArrayItem(pair, 0), *rr = cJSON_GetArrayItem(pair, 1);
        if (!cJSON_IsArray(pair) || cJSON_GetArraySize(pair) != 2 || !cJSON_IsNumber(l) || !cJSON_IsNumber(rr))
            return fail_load(root, tok, err, path, "a merge is not a pair of ids");
        tok->merges[r++] = (Merge){l->valueint, rr->valueint};
    }
    tok->merge_count = n;
    tok->vocab_size = BASE_VOCAB + n;
    if (tokenizer_index(tok, err) != 0) {
        cJSON_Delete(root);
        tokenizer_free(tok);
        return error_prefix(err, "%s: ", path);
    }
    // The readable vocabulary, when present, must agree with the merges.
    cJSON *vocab = cJSON_GetObjectItemCaseSensitive(root, "vocab");
    if (cJSON_IsArray(vocab)) {
        if (cJSON_GetArraySize(vocab) != tok->vocab_size)
            return fail_load(root, tok, err, path, "\"vocab\" length does not match \"vocab_size\"");
        for (int id = BASE_VOCAB; id < tok->vocab_size; id++) {
            cJSON *item = cJSON_GetArrayItem(vocab, id);
            char *expect = bytes_to_codepoints(tok->pool + tok->offsets[id], tok->lengths[id]);
            int same = expect && cJSON_IsString(item) && strcmp(item->valuestring, expect) == 0;
            free(expect);
            if (!same) return fail_load(root, tok, err, path, "\"vocab\" disagrees with \"merges\" (edited by hand?)");
        }
    }
    cJSON_Delete(root);
    *out = tok;
    return 0;
}
