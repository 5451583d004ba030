// test_tokenizer.c — byte-level BPE: round trips on arbitrary bytes, compression on its corpus,
// deterministic training, tokenizer.json save/load and its error messages.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/files.h"
#include "core/rng.h"
#include "text/tokenizer.h"

static const char *const CORPUS[] = {
    "check lighting: which of A B C D are flawed?",
    "<think>The light comes from the left. In A the shadow falls to the right: correct. In B the shadow "
    "falls to the left, toward the light: flawed.</think><answer>B</answer>",
    "<think>The product base meets the table in A, C and D. In B the product floats above the surface.</think>"
    "<answer>B</answer>",
    "<think>The label text of C is garbled; D is stretched.</think><answer>C, D</answer>",
    "check placement: which of A B C D are flawed?",
    "check deformation: which of A B C D are flawed?",
};
#define CORPUS_COUNT (sizeof CORPUS / sizeof CORPUS[0])

static Tokenizer *train_corpus(int vocab) {
    Tokenizer *tok = NULL;
    Error err = {{0}};
    int rc = tokenizer_train(&tok, CORPUS, CORPUS_COUNT, vocab, &err);
    if (rc != 0) fprintf(stderr, "%s\n", err.message);
    assert_int_equal(rc, 0);
    assert_non_null(tok);
    return tok;
}

static void assert_round_trip(const Tokenizer *tok, const char *text) {
    size_t n = strlen(text);
    int *ids = malloc((n + 1) * sizeof *ids);
    int count = tokenizer_encode(tok, text, ids, (int)n + 1);
    assert_true(count >= 0 && (size_t)count <= n);
    for (int i = 0; i < count; i++) assert_true(ids[i] >= TOKEN_FIRST_BYTE && ids[i] < tokenizer_vocab_size(tok));
    char *back = tokenizer_decode(tok, ids, count);
    assert_string_equal(back, text);
    free(back);
    free(ids);
}

static void round_trip_random_bytes(Tokenizer *tok) {
    char buffer[600];
    for (uint64_t trial = 0; trial < 300; trial++) {
        Rng rng = rng_stream(11, trial, RNG_PURPOSE_SYNTH);
        int len = rng_next_int(&rng, 590);
        for (int i = 0; i < len; i++) {
            // mix corpus-like text, spaces and arbitrary (invalid UTF-8 included) bytes, never NUL
            int kind = rng_next_int(&rng, 4);
            if (kind == 0) buffer[i] = (char)(1 + rng_next_int(&rng, 255));
            else if (kind == 1) buffer[i] = ' ';
            else buffer[i] = CORPUS[trial % CORPUS_COUNT][i % strlen(CORPUS[trial % CORPUS_COUNT])];
        }
        buffer[len] = 0;
        assert_round_trip(tok, buffer);
    }
    // long runs of one class (cut into pieces internally), whitespace runs, lone bytes
    char run[3000];
    memset(run, 'a', sizeof run - 1);
    run[sizeof run - 1] = 0;
    assert_round_trip(tok, run);
    assert_round_trip(tok, "   \t\n  x  ");
    assert_round_trip(tok, "\xff\xfe\xc0\x80 \xe2\x82");
    assert_round_trip(tok, "");
    assert_round_trip(tok, "<<<>>>...,,,::: <think></think>\n\n<answer>A, B</answer>");
}

static void test_round_trip_random_bytes(void **state) {
    (void)state;
    const char *modes[2] = {"iar-phrases-v1", "iar-chunks-v1"};
    for (int m = 0; m < 2; m++) {
        Tokenizer *tok = NULL;
        Error err = {{0}};
        assert_int_equal(tokenizer_train_with_pretokenizer(&tok, CORPUS, CORPUS_COUNT, 400, modes[m], &err), 0);
        round_trip_random_bytes(tok);
        tokenizer_free(tok);
    }
}

static void test_pretokenizer_is_saved_and_checked(void **state) {
    (void)state;
    Tokenizer *words = NULL, *phrases = NULL, *back = NULL;
    Error err = {{0}};
    assert_int_equal(tokenizer_train_with_pretokenizer(&words, CORPUS, CORPUS_COUNT, 600, "iar-chunks-v1", &err), 0);
    assert_int_equal(tokenizer_train_with_pretokenizer(&phrases, CORPUS, CORPUS_COUNT, 600, "iar-phrases-v1", &err), 0);
    // phrases may merge across words: the corpus shrinks further than with word chunks
    int ids[400], nw = 0, np = 0;
    for (size_t i = 0; i < CORPUS_COUNT; i++) {
        nw += tokenizer_encode(words, CORPUS[i], ids, 400);
        np += tokenizer_encode(phrases, CORPUS[i], ids, 400);
    }
    assert_true(np < nw);
    char dir[] = "/tmp/iar-test-pre-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = path_join(dir, "w.json");
    assert_int_equal(tokenizer_save(words, path, &err), 0);
    assert_int_equal(tokenizer_load(&back, path, &err), 0);
    for (size_t i = 0; i < CORPUS_COUNT; i++) {
        int a[400], b[400];
        int na = tokenizer_encode(words, CORPUS[i], a, 400), nb = tokenizer_encode(back, CORPUS[i], b, 400);
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, (size_t)na * sizeof(int));
    }
    Tokenizer *none = NULL;
    assert_int_equal(tokenizer_train_with_pretokenizer(&none, CORPUS, CORPUS_COUNT, 600, "bytes", &err), -1);
    assert_non_null(strstr(err.message, "pre-tokenizer"));
    unlink(path);
    rmdir(dir);
    free(path);
    tokenizer_free(words);
    tokenizer_free(phrases);
    tokenizer_free(back);
}

static void test_compresses_its_corpus(void **state) {
    (void)state;
    Tokenizer *tok = train_corpus(512);
    assert_true(tokenizer_vocab_size(tok) > 259);
    int ids[400];
    const char *text = CORPUS[1];
    int count = tokenizer_encode(tok, text, ids, 400);
    // merges learned on this very text must shrink it well below one token per byte
    assert_true(count * 2 < (int)strlen(text));
    // encode reports the full count even when `max` is smaller, writing only max ids
    int few[3] = {-7, -7, -7};
    assert_int_equal(tokenizer_encode(tok, text, few, 2), count);
    assert_int_equal(few[0], ids[0]);
    assert_int_equal(few[2], -7);
    // special tokens are skipped by decode
    int with_special[3] = {TOKEN_BOS, ids[0], TOKEN_EOS};
    char *one = tokenizer_decode(tok, with_special, 3);
    char *plain = tokenizer_decode(tok, ids, 1);
    assert_string_equal(one, plain);
    free(one);
    free(plain);
    tokenizer_free(tok);
}

static void test_training_is_deterministic_and_save_load_is_exact(void **state) {
    (void)state;
    Tokenizer *a = train_corpus(450), *b = train_corpus(450);
    char dir[] = "/tmp/iar-test-tok-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *pa = path_join(dir, "a.json"), *pb = path_join(dir, "b.json");
    Error err = {{0}};
    assert_int_equal(tokenizer_save(a, pa, &err), 0);
    assert_int_equal(tokenizer_save(b, pb, &err), 0);
    char *ta, *tb;
    assert_int_equal(file_read_all(pa, 0, &ta, NULL, &err), 0);
    assert_int_equal(file_read_all(pb, 0, &tb, NULL, &err), 0);
    assert_string_equal(ta, tb);
    Tokenizer *c = NULL;
    assert_int_equal(tokenizer_load(&c, pa, &err), 0);
    assert_int_equal(tokenizer_vocab_size(c), tokenizer_vocab_size(a));
    for (size_t i = 0; i < CORPUS_COUNT; i++) {
        int x[300], y[300];
        int nx = tokenizer_encode(a, CORPUS[i], x, 300), ny = tokenizer_encode(c, CORPUS[i], y, 300);
        assert_int_equal(nx, ny);
        assert_memory_equal(x, y, (size_t)nx * sizeof(int));
    }
    // bytes >= 128 inside merged tokens survive the file
    assert_round_trip(c, "caf\xc3\xa9 \xff\xfe lighting");
    // a tampered file is refused with a reason, a future version with what to do
    char *bad = strstr(ta, "\"version\":\t1");
    assert_non_null(bad);
    bad[strlen("\"version\":\t")] = '9';
    assert_int_equal(file_write_atomic(pa, ta, strlen(ta), &err), 0);
    Tokenizer *d = NULL;
    assert_int_equal(tokenizer_load(&d, pa, &err), -1);
    assert_null(d);
    assert_non_null(strstr(err.message, "iar train tokenizer"));
    assert_int_equal(file_write_atomic(pa, "{\"format\":\"iar-bpe\"", 19, &err), 0);
    assert_int_equal(tokenizer_load(&d, pa, &err), -1);
    assert_non_null(strstr(err.message, "JSON"));
    unlink(pa);
    unlink(pb);
    rmdir(dir);
    free(pa);
    free(pb);
    free(ta);
    free(tb);
    tokenizer_free(a);
    tokenizer_free(b);
    tokenizer_free(c);
}

static void test_rejects_bad_vocab_size(void **state) {
    (void)state;
    Tokenizer *tok = NULL;
    Error err = {{0}};
    assert_int_equal(tokenizer_train(&tok, CORPUS, CORPUS_COUNT, 100, &err), -1);
    assert_null(tok);
    assert_non_null(strstr(err.message, "vocabulary size"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_random_bytes),
        cmocka_unit_test(test_pretokenizer_is_saved_and_checked),
        cmocka_unit_test(test_compresses_its_corpus),
        cmocka_unit_test(test_training_is_deterministic_and_save_load_is_exact),
        cmocka_unit_test(test_rejects_bad_vocab_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
