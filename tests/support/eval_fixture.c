// eval_fixture.c — tiny screening datasets for the eval tests and benchmark (PNG images through
// image_save_png, a JSONL written line by line).
#include "eval_fixture.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/files.h"
#include "image/image.h"

static void eval_fixture_die(const char *what, const char *detail) {
    fprintf(stderr, "eval fixture: %s: %s\n", what, detail ? detail : "");
    exit(1);
}

char *eval_fixture_dir(const char *tag) {
    const char *root = getenv("IAR_TEST_TMP");
    char pattern[1024];
    snprintf(pattern, sizeof pattern, "%s/eval-%s-XXXXXX", root && root[0] ? root : "/tmp", tag);
    Error err;
    if (root && root[0] && dir_create_all(root, &err) != 0) eval_fixture_die("temp root", err.message);
    char *dir = string_duplicate(pattern);
    if (!dir || !mkdtemp(dir)) eval_fixture_die("mkdtemp", pattern);
    return dir;
}

static int eval_fixture_remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void eval_fixture_remove(const char *dir) {
    if (dir && !getenv("IAR_KEEP_TEST_FILES")) nftw(dir, eval_fixture_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

AnswerSet eval_fixture_gold(size_t index) {
    static const AnswerSet SETS[14] = {1, 2, 4, 8, 3, 5, 9, 6, 10, 12, 7, 11, 13, 14};
    return SETS[index % 14];
}

static void write_image(const char *path, int pixels, size_t seed) {
    Image image;
    Error err;
    if (image_create(&image, pixels, pixels, 3, &err) != 0) eval_fixture_die("image", err.message);
    for (size_t i = 0; i < (size_t)pixels * (size_t)pixels * 3; i++) image.data[i] = (uint8_t)((i * 7 + seed * 31) & 255);
    if (image_save_png(&image, path, &err) != 0) eval_fixture_die("png", err.message);
    image_free(&image);
}

char *eval_fixture_dataset(const char *dir, const EvalFixtureOptions *options) {
    int pixels = options->pixels > 0 ? options->pixels : 8;
    char path[1200];
    snprintf(path, sizeof path, "%s/img", dir);
    Error err;
    if (dir_create_all(path, &err) != 0) eval_fixture_die("mkdir", err.message);
    size_t image_sets = options->distinct_images ? options->count : 1;
    for (size_t s = 0; s < image_sets; s++)
        for (int k = 0; k < 5; k++) {
            snprintf(path, sizeof path, "%s/img/%zu_%d.png", dir, s, k);
            write_image(path, pixels, s * 5 + (size_t)k);
        }
    snprintf(path, sizeof path, "%s/data.jsonl", dir);
    FILE *f = fopen(path, "w");
    if (!f) eval_fixture_die("open", path);
    static const char *const DIMENSIONS[4] = {"deformation", "lighting", "placement", "extension"};
    for (size_t i = 0; i < options->count; i++) {
        size_t s = options->distinct_images ? i : 0;
        AnswerSet gold = eval_fixture_gold(i);
        char answer[64] = "", question[512] = "";
        for (int b = 0; b < 4; b++)
            if (gold & (1u << b)) snprintf(answer + strlen(answer), sizeof answer - strlen(answer), "%s\"%c\"", answer[0] ? "," : "", 'A' + b);
        if (options->question) options->question(i, question, sizeof question);
        fprintf(f, "{\"id\":\"s%05zu\",\"dimension\":\"%s\",\"original\":\"img/%zu_0.png\",\"candidates\":[\"img/%zu_1.png\","
                   "\"img/%zu_2.png\",\"img/%zu_3.png\",\"img/%zu_4.png\"],\"answer\":[%s]",
                i, DIMENSIONS[i % 4], s, s, s, s, s, answer);
        if (question[0]) fprintf(f, ",\"question\":\"%s\"", question);
        fprintf(f, "}\n");
    }
    if (fclose(f) != 0) eval_fixture_die("write", path);
    return string_duplicate(path);
}
