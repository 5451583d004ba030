// test_answer.c — the answer parser and the strict format check, table-driven, adversarial cases included.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "text/answer.h"

#define A 1
#define B 2
#define C 4
#define D 8
#define FAIL (-1)

typedef struct ParseCase {
    const char *text;
    int status; // ANSWER_PARSED_TAGGED, ANSWER_PARSED_FALLBACK or FAIL
    int set;    // expected set when parsed
    const char *reason_part; // a word the failure reason must contain (NULL: any)
} ParseCase;

static const ParseCase PARSE_CASES[] = {
    // Tagged, well formed.
    {"<think>B is warped.</think><answer>B</answer>", ANSWER_PARSED_TAGGED, B, NULL},
    {"<think>x</think><answer>B, D</answer>", ANSWER_PARSED_TAGGED, B | D, NULL},
    {"<think>x</think><answer>A,B,C</answer>", ANSWER_PARSED_TAGGED, A | B | C, NULL},
    {"<think>x</think><answer>B and D</answer>", ANSWER_PARSED_TAGGED, B | D, NULL},
    {"<think>x</think><answer>B D</answer>", ANSWER_PARSED_TAGGED, B | D, NULL},
    {"<think>x</think><answer>BD</answer>", ANSWER_PARSED_TAGGED, B | D, NULL},
    {"<think>x</think><answer>b, d</answer>", ANSWER_PARSED_TAGGED, B | D, NULL},
    {"<think>x</think><answer>none</answer>", ANSWER_PARSED_TAGGED, 0, NULL},
    {"<think>x</think><answer>None</answer>", ANSWER_PARSED_TAGGED, 0, NULL},
    {"<think>x</think><answer>ABCD</answer>", ANSWER_PARSED_TAGGED, A | B | C | D, NULL},
    {"<think>x</think><answer> C </answer>\n", ANSWER_PARSED_TAGGED, C, NULL},
    {"<THINK>x</THINK><ANSWER>c</ANSWER>", ANSWER_PARSED_TAGGED, C, NULL},
    {"<answer>A; C</answer>", ANSWER_PARSED_TAGGED, A | C, NULL},
    {"<answer>[B, D]</answer>", ANSWER_PARSED_TAGGED, B | D, NULL},
    {"<answer>**B**</answer>", ANSWER_PARSED_TAGGED, B, NULL},
    {"<answer>Images B and D are flawed.</answer>", ANSWER_PARSED_TAGGED, B | D, NULL},
    {"<answer>The answer is C</answer>", ANSWER_PARSED_TAGGED, C, NULL},
    {"<answer>A & D</answer>", ANSWER_PARSED_TAGGED, A | D, NULL},
    // Two answer blocks: the last one counts.
    {"<answer>A</answer> wait, no. <answer>B</answer>", ANSWER_PARSED_TAGGED, B, NULL},
    // Letters in the reasoning do not leak into the answer.
    {"<think>A looks fine, C too</think><answer>D</answer>", ANSWER_PARSED_TAGGED, D, NULL},
    // Fullwidth letters and CJK punctuation.
    {"<answer>\xef\xbc\xa2\xef\xbc\x8c\xef\xbc\xa4</answer>", ANSWER_PARSED_TAGGED, B | D, NULL}, // Ｂ，Ｄ
    {"<answer>B\xe3\x80\x81" "C</answer>", ANSWER_PARSED_TAGGED, B | C, NULL},                      // B、C
    // Tagged failures.
    {"<think>x</think><answer>A or B</answer>", FAIL, 0, "or"},
    {"<think>x</think><answer>The answer is</answer>", FAIL, 0, "empty"},
    {"<think>x</think><answer></answer>", FAIL, 0, "empty"},
    {"<think>x</think><answer>B, B</answer>", FAIL, 0, "repeated"},
    {"<think>x</think><answer>BB</answer>", FAIL, 0, "repeated"},
    {"<think>x</think><answer>E</answer>", FAIL, 0, "range"},
    {"<think>x</think><answer>B, E</answer>", FAIL, 0, "range"},
    {"<think>x</think><answer>none, B</answer>", FAIL, 0, "none"},
    {"<think>x</think><answer>not B</answer>", FAIL, 0, "not"},
    {"<think>x</think><answer>B, probably D</answer>", FAIL, 0, "probably"},
    {"<think>x</think><answer>2, 4</answer>", FAIL, 0, "character"},
    {"<answer>\xd0\x92</answer>", FAIL, 0, "U+0412"}, // Cyrillic В that looks like B
    {"<answer>\xce\x91</answer>", FAIL, 0, "U+0391"}, // Greek Α
    {"<think>x</think><answer>B", FAIL, 0, "closed"},
    {"<answer>A</answer> then <answer>B", FAIL, 0, "closed"},
    {"B</answer>", FAIL, 0, "matching"},
    // Letters inside the reasoning only.
    {"<think>B and D look wrong</think>", FAIL, 0, "no <answer>"},
    // No tags: the documented fallbacks.
    {"Looking at the images...\nAnswer: B, D", ANSWER_PARSED_FALLBACK, B | D, NULL},
    {"reasoning\nFinal answer: C.", ANSWER_PARSED_FALLBACK, C, NULL},
    {"The answer is A and C", ANSWER_PARSED_FALLBACK, A | C, NULL},
    {"**Answer:** none", ANSWER_PARSED_FALLBACK, 0, NULL},
    {"Answer: B\nmore text after", ANSWER_PARSED_FALLBACK, B, NULL},
    {"Answer\xef\xbc\x9a" "D", ANSWER_PARSED_FALLBACK, D, NULL}, // fullwidth colon
    {"B, D", ANSWER_PARSED_FALLBACK, B | D, NULL},
    {"  abcd \n", ANSWER_PARSED_FALLBACK, A | B | C | D, NULL},
    {"The answer is", FAIL, 0, "empty"},
    {"Answer: A or B", FAIL, 0, "or"},
    {"I think B looks a bit off but it is hard to say for sure", FAIL, 0, "no <answer>"},
    {"A or B", FAIL, 0, "no <answer>"},
    {"", FAIL, 0, "empty"},
    {"   \n\t", FAIL, 0, "empty"},
    {"The answers are shown", FAIL, 0, NULL},
};

static void test_parse_table(void **state) {
    (void)state;
    size_t count = sizeof PARSE_CASES / sizeof PARSE_CASES[0];
    assert_true(count >= 40);
    int failures = 0;
    for (size_t i = 0; i < count; i++) {
        const ParseCase *c = &PARSE_CASES[i];
        ParsedAnswer got = answer_parse(c->text);
        int ok;
        if (c->status == FAIL) {
            ok = got.status == ANSWER_PARSE_FAILED && got.reason[0] &&
                 (!c->reason_part || strstr(got.reason, c->reason_part));
        } else {
            ok = (int)got.status == c->status && got.set == c->set && got.reason[0] == 0;
        }
        if (!ok) {
            fprintf(stderr, "case %zu %s: got status %s set 0x%x reason '%s'\n", i, c->text,
                    answer_parse_status_name(got.status), got.set, got.reason);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

static void test_parse_null(void **state) {
    (void)state;
    ParsedAnswer got = answer_parse(NULL);
    assert_int_equal(got.status, ANSWER_PARSE_FAILED);
    assert_true(got.reason[0] != 0);
}

typedef struct FormatCase {
    const char *text;
    int ok;
} FormatCase;

static const FormatCase FORMAT_CASES[] = {
    {"<think>B is warped</think><answer>B</answer>", 1},
    {"  <think>r</think>\n<answer>B, D</answer>\n", 1},
    {"<think>r</think><answer>none</answer>", 1},
    {"<think>r</think><answer>A B C</answer>", 1},
    {"<think>r</think><answer>B and D</answer>", 1},
    {"<think>r</think><answer>BD</answer>", 1},
    {"<answer>B</answer>", 0},                                           // no think
    {"<think></think><answer>B</answer>", 0},                            // empty reasoning
    {"<think>r</think><answer>B</answer><answer>C</answer>", 0},          // two answers
    {"<think>r</think><think>s</think><answer>B</answer>", 0},           // two thinks
    {"<answer>B</answer><think>r</think>", 0},                           // wrong order
    {"<think>r</think> text <answer>B</answer>", 0},                      // text between
    {"<think>r</think><answer>B</answer> trailing", 0},                   // text after
    {"<think>r</think><answer>B or D</answer>", 0},
    {"<think>r</think><answer>E</answer>", 0},
    {"<think>r</think><answer>B, B</answer>", 0},
    {"<think>r</think><answer>the answer is B</answer>", 0},             // filler words are not strict
    {"<think>r</think><answer></answer>", 0},
    {"<think>r</think><answer>none, A</answer>", 0},
    {"<think>r</think><answer>[B]</answer>", 0},
    {"<THINK>r</THINK><ANSWER>B</ANSWER>", 0},                           // tags are lowercase
    {"<think>r</think><answer>B", 0},
    {"", 0},
};

static void test_format_table(void **state) {
    (void)state;
    int failures = 0;
    for (size_t i = 0; i < sizeof FORMAT_CASES / sizeof FORMAT_CASES[0]; i++) {
        int got = answer_format_ok(FORMAT_CASES[i].text);
        if (got != FORMAT_CASES[i].ok) {
            fprintf(stderr, "format case %zu '%s': got %d\n", i, FORMAT_CASES[i].text, got);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
    assert_int_equal(answer_format_ok(NULL), 0);
}

// Every well-formed output is also parsed, to the same set, by the tagged rule.
static void test_format_ok_implies_parse(void **state) {
    (void)state;
    static const char *const LISTS[] = {"A", "B, C", "A B C D", "none", "C and D", "ABD"};
    static const int SETS[] = {A, B | C, A | B | C | D, 0, C | D, A | B | D};
    for (int i = 0; i < 6; i++) {
        char text[128];
        snprintf(text, sizeof text, "<think>because</think><answer>%s</answer>", LISTS[i]);
        assert_true(answer_format_ok(text));
        ParsedAnswer got = answer_parse(text);
        assert_int_equal(got.status, ANSWER_PARSED_TAGGED);
        assert_int_equal(got.set, SETS[i]);
    }
}

static void test_long_and_odd_input(void **state) {
    (void)state;
    char big[5000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    assert_int_equal(answer_parse(big).status, ANSWER_PARSE_FAILED);
    char tagged[5100];
    snprintf(tagged, sizeof tagged, "<answer>%s</answer>", big);
    ParsedAnswer got = answer_parse(tagged);
    assert_int_equal(got.status, ANSWER_PARSE_FAILED);
    assert_non_null(strstr(got.reason, "unexpected word"));
    // Invalid UTF-8 is reported, not read past.
    got = answer_parse("<answer>B\xff</answer>");
    assert_int_equal(got.status, ANSWER_PARSE_FAILED);
    got = answer_parse("<answer>B\xe2\x80</answer>");
    assert_int_equal(got.status, ANSWER_PARSE_FAILED);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_table),
        cmocka_unit_test(test_parse_null),
        cmocka_unit_test(test_format_table),
        cmocka_unit_test(test_format_ok_implies_parse),
        cmocka_unit_test(test_long_and_odd_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
