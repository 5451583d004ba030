// test_core.c — the core layer: counter-based RNG, path safety, files, progress formatting,
// base64 (RFC 4648 vectors, padding, both alphabets, whitespace, refusals).
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <cmocka.h>

#include "core/base64.h"
#include "core/error.h"
#include "core/files.h"
#include "core/progress.h"
#include "core/rng.h"

static void test_rng_is_a_pure_function(void **state) {
    (void)state;
    assert_true(rng_hash(1, 2, 3, 4) == rng_hash(1, 2, 3, 4));
    // every field matters, and swapping fields changes the value
    assert_true(rng_hash(1, 2, 3, 4) != rng_hash(2, 1, 3, 4));
    assert_true(rng_hash(1, 2, 3, 4) != rng_hash(1, 2, 4, 3));
    assert_true(rng_hash(1, 2, 3, 4) != rng_hash(1, 2, 3, 5));
    Rng a = rng_stream(7, 9, RNG_PURPOSE_SYNTH);
    for (uint64_t i = 0; i < 10; i++) assert_true(rng_next_u64(&a) == rng_hash(7, 9, RNG_PURPOSE_SYNTH, i));
}

static void test_rng_parallel_equals_serial(void **state) {
    (void)state;
    enum { N = 4096 };
    static double serial[N], parallel[N];
    for (int i = 0; i < N; i++) {
        Rng r = rng_stream(42, (uint64_t)i, RNG_PURPOSE_SYNTH);
        serial[i] = rng_next_double(&r) + rng_next_normal(&r);
    }
#pragma omp parallel for num_threads(2) schedule(dynamic, 7)
    for (int i = 0; i < N; i++) {
        Rng r = rng_stream(42, (uint64_t)i, RNG_PURPOSE_SYNTH);
        parallel[i] = rng_next_double(&r) + rng_next_normal(&r);
    }
    assert_memory_equal(serial, parallel, sizeof serial);
}

static void test_rng_distribution(void **state) {
    (void)state;
    Rng r = rng_stream(3, 0, RNG_PURPOSE_INIT);
    int counts[10] = {0};
    double sum = 0, sum2 = 0;
    for (int i = 0; i < 100000; i++) {
        double u = rng_next_double(&r);
        assert_true(u >= 0.0 && u < 1.0);
        counts[(int)(u * 10)]++;
        double z = rng_next_normal(&r);
        sum += z;
        sum2 += z * z;
    }
    for (int k = 0; k < 10; k++) assert_in_range(counts[k], 9500, 10500);
    assert_true(sum / 100000 > -0.02 && sum / 100000 < 0.02);
    assert_true(sum2 / 100000 > 0.97 && sum2 / 100000 < 1.03);
    for (int i = 0; i < 1000; i++) assert_in_range(rng_next_int(&r, 15), 0, 14);
}

static void test_shuffle_is_a_permutation(void **state) {
    (void)state;
    size_t items[100], seen[100] = {0};
    for (size_t i = 0; i < 100; i++) items[i] = i;
    Rng r = rng_stream(5, 0, RNG_PURPOSE_DATA_ORDER);
    rng_shuffle_size(&r, items, 100);
    size_t moved = 0;
    for (size_t i = 0; i < 100; i++) {
        seen[items[i]]++;
        moved += items[i] != i;
    }
    for (size_t i = 0; i < 100; i++) assert_int_equal(seen[i], 1);
    assert_true(moved > 80);
}

static void test_path_safety(void **state) {
    (void)state;
    const char *good[] = {"img/a.png", "a.png", "./img/a.png", "img/../img2/a.png", "x/y/z.jpg"};
    const char *bad[] = {"/etc/passwd", "../a.png", "img/../../a.png", "", "..", ".", "img\\..\\a.png",
                         "C:/x.png", "file:///etc/passwd", "img/..", "./.."};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) assert_true(path_is_safe_relative(good[i]));
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (path_is_safe_relative(bad[i])) fail_msg("accepted unsafe path '%s'", bad[i]);
    }
    assert_false(path_is_safe_relative(NULL));
}

static void test_paths_and_files(void **state) {
    (void)state;
    char *j = path_join("a/b", "c.png");
    assert_string_equal(j, "a/b/c.png");
    free(j);
    j = path_join("a/b/", "c.png");
    assert_string_equal(j, "a/b/c.png");
    free(j);
    char *d = path_dirname("x/y/data.jsonl");
    assert_string_equal(d, "x/y");
    free(d);
    d = path_dirname("data.jsonl");
    assert_string_equal(d, ".");
    free(d);

    char dir[256];
    snprintf(dir, sizeof dir, "%s/iar_core_test_%d/a/b", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
    Error err = {{0}};
    assert_int_equal(dir_create_all(dir, &err), 0);
    char *path = path_join(dir, "f.txt");
    assert_int_equal(file_write_atomic(path, "hello", 5, &err), 0);
    char *data = NULL;
    size_t size = 0;
    assert_int_equal(file_read_all(path, 0, &data, &size, &err), 0);
    assert_int_equal(size, 5);
    assert_string_equal(data, "hello");
    free(data);
    assert_int_equal(file_read_all(path, 3, &data, &size, &err), -1); // over the size limit
    assert_non_null(strstr(err.message, "limit"));
    remove(path);
    assert_int_equal(file_read_all(path, 0, &data, &size, &err), -1);
    assert_non_null(strstr(err.message, "f.txt"));
    free(path);
}

static void test_error_prefix(void **state) {
    (void)state;
    Error err;
    assert_int_equal(error_set(&err, "bad line %d", 3), -1);
    error_prefix(&err, "%s: ", "data.jsonl");
    assert_string_equal(err.message, "data.jsonl: bad line 3");
    assert_int_equal(error_set(NULL, "ignored"), -1);
}

static int reports;
static void count_reports(const Progress *p, int final) {
    (void)p;
    reports += final ? 100 : 1;
}

static void test_progress(void **state) {
    (void)state;
    Progress p;
    progress_begin(&p, "synth", 10, count_reports, NULL);
    p.report_interval_seconds = 0; // report every advance
    for (int i = 0; i < 10; i++) progress_advance(&p, 1, i == 3);
    progress_end(&p);
    assert_int_equal(p.done, 10);
    assert_int_equal(p.failed, 1);
    assert_int_equal(reports, 110);
    char line[256];
    progress_format(&p, line, sizeof line);
    assert_non_null(strstr(line, "synth 10/10 (100%)"));
    assert_non_null(strstr(line, "[1 failed]"));
}

// A resumed run's rate counts only this process's items: 10 in 10 s is 1.0/s, and 90 left is 1:30.
static void test_progress_resumed(void **state) {
    (void)state;
    Progress p;
    progress_begin(&p, "vision", 1000, NULL, NULL);
    progress_resume(&p, 900);
    for (int i = 0; i < 10; i++) progress_advance(&p, 1, 0);
    p.start_seconds = time_now_seconds() - 10.0;
    char line[256];
    progress_format(&p, line, sizeof line);
    assert_non_null(strstr(line, "vision 910/1000 (91%) 1.0/s"));
    assert_non_null(strstr(line, "ETA 1:30"));
}

// Decodes `text` and compares with `expected` (size bytes); returns base64_decode's status.
static int decodes_to(const char *text, size_t text_size, const char *expected, size_t size) {
    uint8_t *out = NULL;
    size_t out_size = 99;
    Error err = {{0}};
    int rc = base64_decode(text, text_size, &out, &out_size, &err);
    if (rc == 0) {
        assert_non_null(out);
        if (out_size != size || memcmp(out, expected, size) != 0) fail_msg("'%s' decoded to %zu bytes, not %zu", text, out_size, size);
    } else {
        assert_null(out);
        assert_int_equal(out_size, 0);
        assert_true(err.message[0] != 0);
    }
    free(out);
    return rc;
}

// The RFC 4648 vectors both ways; every byte value and every length around a multiple of 4096
// characters (where a decoder working in blocks may cut) round trip.
static void test_base64_round_trip(void **state) {
    (void)state;
    const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char *coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (int i = 0; i < 7; i++) {
        char *text = base64_encode((const uint8_t *)plain[i], strlen(plain[i]));
        assert_string_equal(text, coded[i]);
        free(text);
        assert_int_equal(decodes_to(coded[i], strlen(coded[i]), plain[i], strlen(plain[i])), 0);
    }
    size_t sizes[] = {255, 256, 257, 3069, 3070, 3071, 3072, 3073, 3074, 6144, 100000};
    uint8_t *bytes = malloc(100000);
    Rng rng = rng_stream(5, 0, RNG_PURPOSE_SYNTH);
    for (size_t i = 0; i < 100000; i++) bytes[i] = i < 256 ? (uint8_t)i : (uint8_t)rng_next_u64(&rng);
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        char *text = base64_encode(bytes, sizes[k]);
        assert_int_equal(strlen(text), (sizes[k] + 2) / 3 * 4);
        assert_int_equal(decodes_to(text, strlen(text), (const char *)bytes, sizes[k]), 0);
        free(text);
    }
    free(bytes);
}

// What the decoder accepts beyond the strict form: no padding, the URL-safe alphabet (mixed with
// the standard one), and ASCII whitespace anywhere, MIME line breaks included.
static void test_base64_accepts(void **state) {
    (void)state;
    assert_int_equal(decodes_to("", 0, "", 0), 0);
    assert_int_equal(decodes_to(" \r\n\t", 4, "", 0), 0);
    assert_int_equal(decodes_to("QQ", 2, "A", 1), 0);
    assert_int_equal(decodes_to("QUI", 3, "AB", 2), 0);
    assert_int_equal(decodes_to("QUI=", 4, "AB", 2), 0);
    assert_int_equal(decodes_to("QQ= =\n", 6, "A", 1), 0);
    assert_int_equal(decodes_to("-_-_+/+/", 8, "\xfb\xff\xbf\xfb\xff\xbf", 6), 0);
    assert_int_equal(decodes_to(" Zm9v\r\nYmFy\n", 12, "foobar", 6), 0);
    assert_int_equal(decodes_to("Zm9vYmFy", 4, "foo", 3), 0); // only `size` characters are read
}

// What it refuses, with the offset of a bad character: anything outside the alphabets (NUL and
// bytes over 127 too), data after padding, a lone sextet, too much or too little padding.
static void test_base64_refuses(void **state) {
    (void)state;
    const char *bad[] = {"QUJD*", "QU\0JD", "QUJ\xff", "QUJ.", "QQ==QQ==", "Q", "QUJDQ", "QQ=", "QUI==", "QQ===",
                         "=", "====", "QUJD=", "Q==="};
    size_t sizes[] = {5, 5, 4, 4, 8, 1, 5, 3, 5, 5, 1, 4, 5, 4};
    for (int i = 0; i < 14; i++)
        if (decodes_to(bad[i], sizes[i], "", 0) != -1) fail_msg("case %d was accepted", i);
    uint8_t *out;
    size_t size;
    Error err;
    assert_int_equal(base64_decode("QU\0JD", 5, &out, &size, &err), -1);
    assert_non_null(strstr(err.message, "0x00 at offset 2"));
    assert_int_equal(base64_decode("QQ==QQ==", 8, &out, &size, &err), -1);
    assert_non_null(strstr(err.message, "after '=' padding at offset 4"));
    // the offset is the character's own, far into a long text
    char *text = malloc(10001);
    memset(text, 'A', 10000);
    text[9001] = '#';
    assert_int_equal(base64_decode(text, 10000, &out, &size, &err), -1);
    assert_non_null(strstr(err.message, "0x23 at offset 9001"));
    free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng_is_a_pure_function), cmocka_unit_test(test_rng_parallel_equals_serial),
        cmocka_unit_test(test_rng_distribution),       cmocka_unit_test(test_shuffle_is_a_permutation),
        cmocka_unit_test(test_path_safety),            cmocka_unit_test(test_paths_and_files),
        cmocka_unit_test(test_error_prefix),           cmocka_unit_test(test_progress),
        cmocka_unit_test(test_progress_resumed),       cmocka_unit_test(test_base64_round_trip),
        cmocka_unit_test(test_base64_accepts),         cmocka_unit_test(test_base64_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
