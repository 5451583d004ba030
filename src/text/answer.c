// answer.c — the answer parser and the strict format check (see answer.h and docs/EVAL.md).
//
// Rules, in order:
//  1. Tagged: the last complete <answer>…</answer> block (tags in any case) is read. An <answer>
//     opened after the last </answer> makes the output ambiguous: failure.
//  2. Fallback, only when the text has no answer tags at all: the last line holding "answer" followed
//     by ":" or "is" (e.g. "Final answer: B, D"); the rest of that line is read.
//  3. Fallback: the whole output, when it is short (<= 32 bytes) and is nothing but a letter list.
// A letter list is letters A-D (any case, fullwidth too) separated by spaces, commas, semicolons, '&',
// '+', "and", possibly written together ("BD"), or the single word "none". Repeated letters, "or",
// out-of-range letters, other words, other non-ASCII characters and empty lists are failures with a
// reason. Nothing is ever guessed.
#include "text/answer.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

// Words that may surround the letters inside a tagged block ("Images B and D are flawed").
static const char *const FILLER_WORDS[] = {"the", "answer", "is", "are", "image", "images", "option", "options",
                                           "candidate", "candidates", "flawed", "final", "defective"};

typedef struct LetterList {
    AnswerSet set;
    int letters;   // letters read
    int has_none;  // the word "none" was read
    int words;     // non-separator words read (letters count as words)
} LetterList;

static int fail(ParsedAnswer *out, const char *format, const char *detail) {
    out->status = ANSWER_PARSE_FAILED;
    out->set = 0;
    snprintf(out->reason, sizeof out->reason, format, detail ? detail : "");
    return -1;
}

// Decodes one UTF-8 code point at s (at most `left` bytes); returns its length (1 for invalid bytes).
static int utf8_decode(const unsigned char *s, size_t left, unsigned *code) {
    if (s[0] < 0x80) { *code = s[0]; return 1; }
    int n = (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
    if (n == 0 || (size_t)n > left) { *code = 0xfffd; return 1; }
    unsigned c = s[0] & (0x7f >> n);
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) { *code = 0xfffd; return 1; }
        c = (c << 6) | (s[i] & 0x3f);
    }
    *code = c;
    return n;
}

static int add_letter(ParsedAnswer *out, LetterList *list, int index) {
    char letter[2] = {(char)('A' + index), 0};
    if (list->set & (1u << index)) return fail(out, "letter %s is repeated", letter);
    list->set |= (AnswerSet)(1u << index);
    list->letters++;
    return 0;
}

static int is_filler(const char *word) {
    for (size_t i = 0; i < sizeof FILLER_WORDS / sizeof FILLER_WORDS[0]; i++)
        if (strcmp(word, FILLER_WORDS[i]) == 0) return 1;
    return 0;
}

// One ASCII word, lowercased. strict: only letter runs, "and" and "none".
static int read_word(ParsedAnswer *out, LetterList *list, const char *word, int strict) {
    if (strcmp(word, "none") == 0) {
        list->has_none = 1;
        list->words++;
        return 0;
    }
    if (strcmp(word, "and") == 0) return 0;
    if (strcmp(word, "or") == 0) return fail(out, "ambiguous answer: 'or' between choices%s", NULL);
    size_t n = strlen(word);
    int only_letters = 1;
    for (size_t i = 0; i < n; i++)
        if (word[i] < 'a' || word[i] > 'd') only_letters = 0;
    if (only_letters && n <= 4) {
        list->words++;
        for (size_t i = 0; i < n; i++)
            if (add_letter(out, list, word[i] - 'a') != 0) return -1;
        return 0;
    }
    if (n == 1) {
        char upper[2] = {(char)toupper((unsigned char)word[0]), 0};
        return fail(out, "letter %s is out of range (A-D)", upper);
    }
    if (!strict && is_filler(word)) return 0;
    char quoted[40];
    snprintf(quoted, sizeof quoted, "%.32s", word);
    return fail(out, "unexpected word '%s' in the answer", quoted);
}

static int is_separator(unsigned c, int strict) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',') return 1;
    if (strict) return 0;
    if (strchr(";&+.:()[]*\"'`", (int)c) && c != 0) return 1;
    return c == 0xff0c || c == 0x3001 || c == 0xff1b || c == 0xff1a || c == 0x3002; // ， 、 ； ： 。
}

// Reads a letter list from [begin, end). Returns 0 and fills out (status left to the caller) or -1.
static int parse_letter_list(ParsedAnswer *out, const char *begin, const char *end, int strict) {
    LetterList list = {0};
    char word[40];
    size_t word_len = 0;
    int word_too_long = 0;
    const unsigned char *p = (const unsigned char *)begin, *stop = (const unsigned char *)end;
    for (;;) {
        unsigned c = 0;
        int len = 0;
        if (p < stop) len = utf8_decode(p, (size_t)(stop - p), &c);
        int letter = p < stop && c < 0x80 && isalpha((int)c);
        if (!letter && (word_len > 0 || word_too_long)) {
            word[word_len] = 0;
            if (word_too_long) return fail(out, "unexpected word '%s…' in the answer", word);
            if (read_word(out, &list, word, strict) != 0) return -1;
            word_len = 0;
        }
        if (p >= stop) break;
        if (letter) {
            if (word_len + 1 < 33) word[word_len++] = (char)tolower((int)c);
            else word_too_long = 1;
        } else if (!strict && ((c >= 0xff21 && c <= 0xff24) || (c >= 0xff41 && c <= 0xff44))) {
            // Fullwidth A-D, as CJK-tuned models write them.
            list.words++;
            if (add_letter(out, &list, (int)(c >= 0xff41 ? c - 0xff41 : c - 0xff21)) != 0) return -1;
        } else if (!is_separator(c, strict)) {
            char shown[24];
            if (c < 0x80) snprintf(shown, sizeof shown, "'%c'", isprint((int)c) ? (int)c : '?');
            else snprintf(shown, sizeof shown, "U+%04X", c);
            return fail(out, "unexpected character %s in the answer", shown);
        }
        p += len;
    }
    if (list.has_none && list.letters > 0) return fail(out, "contradictory answer: 'none' together with letters%s", NULL);
    if (list.has_none && list.words > 1) return fail(out, "'none' is repeated%s", NULL);
    if (!list.has_none && list.letters == 0) return fail(out, "empty answer: no letter and no 'none'%s", NULL);
    out->set = list.set;
    return 0;
}

// Case-insensitive search for `needle` in [from, to); returns the last match or NULL.
static const char *find_last_nocase(const char *from, const char *to, const char *needle) {
    size_t n = strlen(needle);
    if ((size_t)(to - from) < n) return NULL;
    for (const char *p = to - n; p >= from; p--)
        if (strncasecmp(p, needle, n) == 0) return p;
    return NULL;
}

static int parse_tagged(ParsedAnswer *out, const char *text, const char *close) {
    const char *open = find_last_nocase(text, close, "<answer>");
    if (!open) return fail(out, "</answer> without a matching <answer>%s", NULL);
    const char *end = text + strlen(text);
    if (find_last_nocase(close, end, "<answer>"))
        return fail(out, "an <answer> block after the last </answer> is not closed%s", NULL);
    if (parse_letter_list(out, open + 8, close, 0) != 0) return -1;
    out->status = ANSWER_PARSED_TAGGED;
    return 0;
}

// Fallback 1: the last line with "answer" + ":" or "is". Returns 1 when such a line was found.
static int parse_answer_line(ParsedAnswer *out, const char *text) {
    const char *end = text + strlen(text);
    while (end > text) {
        const char *line = end;
        while (line > text && line[-1] != '\n') line--;
        for (const char *hit = find_last_nocase(line, end, "answer"); hit; hit = find_last_nocase(line, hit, "answer")) {
            if (hit > line && isalpha((unsigned char)hit[-1])) continue;
            const char *p = hit + 6;
            if (p < end && (*p == 's' || *p == 'S')) p++;
            while (p < end && (*p == ' ' || *p == '\t' || *p == '*')) p++;
            int marked = 0;
            if (p + 1 < end && strncasecmp(p, "is", 2) == 0 && (p + 2 == end || !isalpha((unsigned char)p[2]))) {
                p += 2;
                marked = 1;
            }
            while (p < end && (*p == ' ' || *p == '\t' || *p == '*')) p++;
            if (p < end && *p == ':') { p++; marked = 1; }
            else if (p + 2 < end && (unsigned char)p[0] == 0xef && (unsigned char)p[1] == 0xbc && (unsigned char)p[2] == 0x9a) {
                p += 3; // fullwidth colon
                marked = 1;
            }
            if (!marked) continue;
            const char *stop = end;
            while (stop > p && (stop[-1] == '\n' || stop[-1] == '\r')) stop--;
            if (parse_letter_list(out, p, stop, 0) != 0) return 1;
            out->status = ANSWER_PARSED_FALLBACK;
            return 1;
        }
        end = line > text ? line - 1 : text;
    }
    return 0;
}

ParsedAnswer answer_parse(const char *text) {
    ParsedAnswer out;
    memset(&out, 0, sizeof out);
    if (!text) {
        fail(&out, "no output%s", NULL);
        return out;
    }
    const char *end = text + strlen(text);
    const char *close = find_last_nocase(text, end, "</answer>");
    if (close) {
        parse_tagged(&out, text, close);
        return out;
    }
    if (find_last_nocase(text, end, "<answer>")) {
        fail(&out, "the <answer> block is not closed%s", NULL);
        return out;
    }
    if (parse_answer_line(&out, text)) return out;
    const char *b = text, *e = end;
    while (b < e && isspace((unsigned char)*b)) b++;
    while (e > b && isspace((unsigned char)e[-1])) e--;
    if (b == e) {
        fail(&out, "empty output%s", NULL);
        return out;
    }
    ParsedAnswer whole;
    memset(&whole, 0, sizeof whole);
    if (e - b <= 32 && parse_letter_list(&whole, b, e, 0) == 0) {
        whole.status = ANSWER_PARSED_FALLBACK;
        return whole;
    }
    fail(&out, "no <answer> block and no 'Answer:' line%s", NULL);
    return out;
}

static int count_occurrences(const char *text, const char *needle) {
    int count = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle)) count++;
    return count;
}

int answer_format_ok(const char *text) {
    if (!text) return 0;
    static const char *const TAGS[] = {"<think>", "</think>", "<answer>", "</answer>"};
    for (int i = 0; i < 4; i++)
        if (count_occurrences(text, TAGS[i]) != 1) return 0;
    const char *p = text;
    while (isspace((unsigned char)*p)) p++;
    if (strncmp(p, "<think>", 7) != 0) return 0;
    const char *think_end = strstr(p, "</think>");
    const char *q = p + 7;
    int has_reasoning = 0;
    for (; q < think_end; q++)
        if (!isspace((unsigned char)*q)) has_reasoning = 1;
    if (!has_reasoning) return 0;
    q = think_end + 8;
    while (isspace((unsigned char)*q)) q++;
    if (strncmp(q, "<answer>", 8) != 0) return 0;
    const char *answer = q + 8;
    const char *answer_end = strstr(answer, "</answer>");
    if (!answer_end) return 0;
    const char *tail = answer_end + 9;
    while (isspace((unsigned char)*tail)) tail++;
    if (*tail) return 0;
    ParsedAnswer parsed;
    memset(&parsed, 0, sizeof parsed);
    return parse_letter_list(&parsed, answer, answer_end, 1) == 0;
}

const char *answer_parse_status_name(AnswerParseStatus status) {
    switch (status) {
    case ANSWER_PARSED_TAGGED: return "tagged";
    case ANSWER_PARSED_FALLBACK: return "fallback";
    case ANSWER_PARSE_FAILED: return "failed";
    default: return "?";
    }
}
