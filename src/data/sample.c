// sample.c — one sample: the JSONL line format of DESIGN §3 (parsing with every problem collected,
// writing, copying) and the completion it is trained on.
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/files.h"
#include "core/utf8.h"
#include "data/dataset.h"
#include "data/sample_parse.h"
#include "text/layout.h"

double dataset_random_exact(const size_t answer_size_histogram[CANDIDATE_COUNT + 1]) {
    size_t total = 0, nonempty = 0;
    for (int k = 0; k <= CANDIDATE_COUNT; k++) {
        total += answer_size_histogram[k];
        if (k > 0) nonempty += answer_size_histogram[k];
    }
    if (total == 0) return 0.0;
    int subsets = (1 << CANDIDATE_COUNT) - 1; // the guess never says "none"
    return (double)nonempty / (double)subsets / (double)total;
}

char *sample_completion_text(const Sample *sample) { return text_completion(sample->rationale, sample->answer); }

void sample_free(Sample *sample) {
    if (!sample) return;
    free(sample->id);
    free(sample->original);
    for (int i = 0; i < CANDIDATE_COUNT; i++) free(sample->candidates[i]);
    free(sample->question);
    free(sample->rationale);
    free(sample->meta_json);
    memset(sample, 0, sizeof *sample);
}

int sample_copy(Sample *out, const Sample *in, Error *err) {
    memset(out, 0, sizeof *out);
    out->dimension = in->dimension;
    out->answer = in->answer;
    out->answer_unknown = in->answer_unknown;
    out->line = in->line;
    int ok = 1;
#define COPY_FIELD(field)                                                                                  \
    do {                                                                                                   \
        out->field = string_duplicate(in->field);                                                          \
        if (in->field && !out->field) ok = 0;                                                              \
    } while (0)
    COPY_FIELD(id);
    COPY_FIELD(original);
    for (int i = 0; i < CANDIDATE_COUNT; i++) COPY_FIELD(candidates[i]);
    COPY_FIELD(question);
    COPY_FIELD(rationale);
    COPY_FIELD(meta_json);
#undef COPY_FIELD
    if (!ok) {
        sample_free(out);
        return error_set(err, "out of memory copying sample %s", in->id ? in->id : "?");
    }
    return 0;
}

// ---- parsing ----

void sample_problems_add(SampleProblems *problems, const char *format, ...) {
    if (problems->count >= SAMPLE_MAX_PROBLEMS) return;
    va_list args;
    va_start(args, format);
    vsnprintf(problems->message[problems->count], sizeof problems->message[0], format, args);
    va_end(args);
    problems->count++;
}

// Quotes a value for a message, cut short and with control bytes shown as '?'.
static const char *quote_short(const char *text, char *buffer, size_t size) {
    size_t n = 0;
    for (const char *p = text; *p && n + 4 < size; p++) buffer[n++] = ((unsigned char)*p < 0x20) ? '?' : *p;
    if (text[n] && n + 4 >= size) {
        memcpy(buffer + n, "...", 3);
        n += 3;
    }
    buffer[n] = 0;
    return buffer;
}

static const char *json_type_name(const cJSON *item) {
    if (cJSON_IsString(item)) return "a string";
    if (cJSON_IsNumber(item)) return "a number";
    if (cJSON_IsArray(item)) return "an array";
    if (cJSON_IsObject(item)) return "an object";
    if (cJSON_IsBool(item)) return "a boolean";
    if (cJSON_IsNull(item)) return "null";
    return "invalid";
}

// An image path: relative, inside the dataset folder. Returns the malloc'd copy or NULL.
static char *parse_image_path(const cJSON *item, const char *what, SampleProblems *problems) {
    char shown[96];
    if (!cJSON_IsString(item)) {
        sample_problems_add(problems, "%s must be a string path, not %s", what, json_type_name(item));
        return NULL;
    }
    const char *path = item->valuestring;
    if (!path[0]) {
        sample_problems_add(problems, "%s is an empty path", what);
        return NULL;
    }
    if (!path_is_safe_relative(path)) {
        const char *why = path[0] == '/'                               ? "is absolute"
                          : (strchr(path, '\\') || strchr(path, ':')) ? "uses '\\' or ':'"
                                                                        : "leaves the dataset folder";
        sample_problems_add(problems, "%s '%s' %s; image paths must be relative to the dataset folder and stay in it",
                            what, quote_short(path, shown, sizeof shown), why);
        return NULL;
    }
    char *copy = string_duplicate(path);
    if (!copy) sample_problems_add(problems, "out of memory");
    return copy;
}

static int parse_answer(const cJSON *item, AnswerSet *out, SampleProblems *problems) {
    char shown[32];
    if (!cJSON_IsArray(item)) {
        sample_problems_add(problems, "answer must be an array of letters like [\"B\",\"D\"] ([] for none), not %s",
                            json_type_name(item));
        return -1;
    }
    AnswerSet set = 0;
    int before = problems->count, index = 0;
    const cJSON *letter;
    cJSON_ArrayForEach(letter, item) {
        index++;
        if (!cJSON_IsString(letter)) {
            sample_problems_add(problems, "answer entry %d is %s, not a letter", index, json_type_name(letter));
            continue;
        }
        const char *s = letter->valuestring;
        if (!(s[0] >= 'A' && s[0] <= 'A' + CANDIDATE_COUNT - 1 && s[1] == 0)) {
            sample_problems_add(problems, "answer has unknown letter '%s' (expected A, B, C or D)",
                                quote_short(s, shown, sizeof shown));
            continue;
        }
        AnswerSet bit = (AnswerSet)(1u << (s[0] - 'A'));
        if (set & bit) sample_problems_add(problems, "answer has repeated letter '%c'", s[0]);
        set |= bit;
    }
    *out = set;
    return problems->count > before ? -1 : 0;
}

// Optional text field: absent or null -> NULL; a string -> copy; anything else -> a problem.
static char *parse_optional_text(const cJSON *root, const char *name, SampleProblems *problems) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, name);
    if (!item || cJSON_IsNull(item)) return NULL;
    if (!cJSON_IsString(item)) {
        sample_problems_add(problems, "%s must be a string, not %s", name, json_type_name(item));
        return NULL;
    }
    char *copy = string_duplicate(item->valuestring);
    if (!copy) sample_problems_add(problems, "out of memory");
    return copy;
}

static void parse_id(Sample *out, const cJSON *root, SampleProblems *problems) {
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "id");
    if (!id) {
        sample_problems_add(problems, "missing field \"id\"");
        return;
    }
    if (!cJSON_IsString(id) || !id->valuestring[0]) {
        sample_problems_add(problems, "id must be a non-empty string, not %s",
                            cJSON_IsString(id) ? "an empty string" : json_type_name(id));
        return;
    }
    size_t length = strlen(id->valuestring);
    if (length > SAMPLE_MAX_ID_BYTES) {
        sample_problems_add(problems, "id is %zu bytes long, over the limit of %d", length, SAMPLE_MAX_ID_BYTES);
        return;
    }
    for (const unsigned char *p = (const unsigned char *)id->valuestring; *p; p++)
        if (*p < 0x20 || *p == 0x7f) {
            sample_problems_add(problems, "id contains a control character");
            return;
        }
    out->id = string_duplicate(id->valuestring);
    if (!out->id) sample_problems_add(problems, "out of memory");
}

static void parse_dimension(Sample *out, const cJSON *root, SampleProblems *problems) {
    char shown[64];
    const cJSON *dimension = cJSON_GetObjectItemCaseSensitive(root, "dimension");
    if (!dimension) {
        sample_problems_add(problems, "missing field \"dimension\"");
    } else if (!cJSON_IsString(dimension)) {
        sample_problems_add(problems, "dimension must be a string, not %s", json_type_name(dimension));
    } else if (dimension_parse(dimension->valuestring, &out->dimension) != 0) {
        sample_problems_add(problems,
                            "unknown dimension '%s' (expected deformation, lighting, placement or extension)",
                            quote_short(dimension->valuestring, shown, sizeof shown));
    }
}

static void parse_images(Sample *out, const cJSON *root, SampleProblems *problems) {
    const cJSON *original = cJSON_GetObjectItemCaseSensitive(root, "original");
    if (!original)
        sample_problems_add(problems, "missing field \"original\"");
    else
        out->original = parse_image_path(original, "original", problems);

    const cJSON *candidates = cJSON_GetObjectItemCaseSensitive(root, "candidates");
    if (!candidates) {
        sample_problems_add(problems, "missing field \"candidates\"");
        return;
    }
    if (!cJSON_IsArray(candidates)) {
        sample_problems_add(problems, "candidates must be an array of %d paths, not %s", CANDIDATE_COUNT,
                            json_type_name(candidates));
        return;
    }
    int count = cJSON_GetArraySize(candidates);
    if (count != CANDIDATE_COUNT) {
        sample_problems_add(problems, "candidates has %d images, expected exactly %d (A, B, C, D)", count,
                            CANDIDATE_COUNT);
        return;
    }
    for (int i = 0; i < CANDIDATE_COUNT; i++) {
        char what[32];
        snprintf(what, sizeof what, "candidate %c", 'A' + i);
        out->candidates[i] = parse_image_path(cJSON_GetArrayItem(candidates, i), what, problems);
    }
}

int sample_parse_collect(Sample *out, const char *text, SampleProblems *problems) {
    memset(out, 0, sizeof *out);
    memset(problems, 0, sizeof *problems);
    // JSON is UTF-8; a line that is not would carry its bytes into every file written from it.
    size_t bad = 0;
    if (!utf8_is_valid(text, strlen(text), &bad)) {
        sample_problems_add(problems, "line is not valid UTF-8 (byte %zu: 0x%02X)", bad + 1, (unsigned char)text[bad]);
        return -1;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(text, &end, 1);
    if (!root) {
        size_t at = end && end >= text ? (size_t)(end - text) : 0;
        sample_problems_add(problems, "bad JSON near byte %zu", at + 1);
        return -1;
    }
    if (!cJSON_IsObject(root)) {
        sample_problems_add(problems, "line must be a JSON object, not %s", json_type_name(root));
        cJSON_Delete(root);
        return -1;
    }
    parse_id(out, root, problems);
    parse_dimension(out, root, problems);
    parse_images(out, root, problems);

    const cJSON *answer = cJSON_GetObjectItemCaseSensitive(root, "answer");
    // No "answer" (or null): an inference-only sample, valid wherever no label is needed.
    if (!answer && cJSON_GetObjectItemCaseSensitive(root, "answers"))
        sample_problems_add(problems, "unknown field \"answers\" (the label is \"answer\"; leave it out for unlabelled input)");
    else if (!answer || cJSON_IsNull(answer))
        out->answer_unknown = 1;
    else
        parse_answer(answer, &out->answer, problems);

    out->question = parse_optional_text(root, "question", problems);
    out->rationale = parse_optional_text(root, "rationale", problems);

    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(root, "meta");
    if (meta && !cJSON_IsNull(meta)) {
        if (!cJSON_IsObject(meta)) {
            sample_problems_add(problems, "meta must be an object, not %s", json_type_name(meta));
        } else {
            out->meta_json = cJSON_PrintUnformatted(meta);
            if (!out->meta_json) sample_problems_add(problems, "out of memory");
        }
    }
    cJSON_Delete(root);
    return problems->count ? -1 : 0;
}

int sample_parse_json(Sample *out, const char *line, size_t line_number, Error *err) {
    SampleProblems problems;
    if (!line) {
        memset(out, 0, sizeof *out);
        return error_set(err, "no line to parse");
    }
    size_t length = strlen(line);
    if (length > DATASET_MAX_LINE_BYTES) {
        memset(out, 0, sizeof *out);
        return error_set(err, "line %zu: line is %zu bytes, over the limit of %zu", line_number, length,
                         DATASET_MAX_LINE_BYTES);
    }
    if (sample_parse_collect(out, line, &problems) != 0) {
        sample_free(out);
        return error_set(err, "line %zu: %s", line_number, problems.message[0]);
    }
    out->line = line_number;
    return 0;
}

// ---- writing ----

static int add_string(cJSON *object, const char *name, const char *value) {
    return cJSON_AddItemToObject(object, name, value ? cJSON_CreateString(value) : cJSON_CreateNull()) ? 0 : -1;
}

char *sample_to_json(const Sample *sample) {
    cJSON *root = cJSON_CreateObject();
    if (!root) return NULL;
    int ok = add_string(root, "id", sample->id) == 0;
    ok = ok && add_string(root, "dimension", dimension_id(sample->dimension)) == 0;
    ok = ok && add_string(root, "original", sample->original) == 0;
    cJSON *candidates = cJSON_AddArrayToObject(root, "candidates");
    for (int i = 0; ok && candidates && i < CANDIDATE_COUNT; i++)
        ok = cJSON_AddItemToArray(candidates,
                                  sample->candidates[i] ? cJSON_CreateString(sample->candidates[i]) : cJSON_CreateNull());
    cJSON *answer = sample->answer_unknown ? NULL : cJSON_AddArrayToObject(root, "answer");
    for (int i = 0; ok && answer && i < CANDIDATE_COUNT; i++) {
        if (!((sample->answer >> i) & 1)) continue;
        char letter[2] = {(char)('A' + i), 0};
        ok = cJSON_AddItemToArray(answer, cJSON_CreateString(letter));
    }
    ok = ok && candidates && (answer || sample->answer_unknown);
    if (ok && sample->question) ok = add_string(root, "question", sample->question) == 0;
    if (ok && sample->rationale) ok = add_string(root, "rationale", sample->rationale) == 0;
    if (ok && sample->meta_json) {
        cJSON *meta = cJSON_Parse(sample->meta_json);
        ok = meta && cJSON_AddItemToObject(root, "meta", meta);
        if (!ok) cJSON_Delete(meta);
    }
    char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return text;
}

int sample_write_json(FILE *file, const Sample *sample, Error *err) {
    char *text = sample_to_json(sample);
    if (!text)
        return error_set(err, "sample %s: cannot serialise (out of memory, or meta is not valid JSON)",
                         sample->id ? sample->id : "?");
    int ok = fputs(text, file) >= 0 && fputc('\n', file) != EOF;
    free(text);
    if (!ok) return error_set(err, "sample %s: write failed", sample->id ? sample->id : "?");
    return 0;
}
