// data_fixture.c — scratch folders, small images and sample lines for the data tests.
#define _XOPEN_SOURCE 700
#include "data_fixture.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/files.h"
#include "image/image.h"

static void fixture_die(const char *what, const char *detail) {
    fprintf(stderr, "data_fixture: %s: %s\n", what, detail ? detail : "");
    exit(1);
}

char *data_fixture_dir(void) {
    const char *base = getenv("IAR_TEST_TMP");
    if (!base || !base[0]) base = getenv("TMPDIR");
    if (!base || !base[0]) base = "/tmp";
    char *dir = malloc(strlen(base) + 32);
    if (!dir) fixture_die("out of memory", NULL);
    sprintf(dir, "%s/iar-data-XXXXXX", base);
    if (!mkdtemp(dir)) fixture_die("cannot create a scratch folder", dir);
    return dir;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

void data_fixture_remove(const char *dir) { nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS); }

char *data_fixture_path(const char *dir, const char *name) {
    char *path = path_join(dir, name);
    if (!path) fixture_die("out of memory", NULL);
    return path;
}

void data_fixture_write_bytes(const char *dir, const char *name, const void *bytes, unsigned long size) {
    char *path = data_fixture_path(dir, name);
    char *folder = path_dirname(path);
    Error err = {{0}};
    if (dir_create_all(folder, &err) != 0 || file_write_atomic(path, bytes, size, &err) != 0)
        fixture_die("cannot write", err.message);
    free(folder);
    free(path);
}

void data_fixture_write(const char *dir, const char *name, const char *text) {
    data_fixture_write_bytes(dir, name, text, strlen(text));
}

void data_fixture_images(const char *dir, int width, int height) {
    Image image;
    Error err = {{0}};
    if (image_create(&image, width, height, 3, &err) != 0) fixture_die("image_create", err.message);
    const char *names[] = {"img/o.png", "img/a.png", "img/b.png", "img/c.png", "img/d.png"};
    for (int k = 0; k < 5; k++) {
        // A different gradient per file, so the files are real, distinct pictures.
        for (int i = 0; i < width * height * 3; i++) image.data[i] = (uint8_t)(i * (k + 3) + k * 40);
        char *path = data_fixture_path(dir, names[k]);
        char *folder = path_dirname(path);
        if (dir_create_all(folder, &err) != 0 || image_save_png(&image, path, &err) != 0)
            fixture_die("image_save_png", err.message);
        free(folder);
        free(path);
    }
    char *jpeg = data_fixture_path(dir, "img/j.jpg");
    if (image_save_jpeg(&image, jpeg, 90, &err) != 0) fixture_die("image_save_jpeg", err.message);
    free(jpeg);
    image_free(&image);
}

int data_fixture_setup(void **state) {
    DataScratch *scratch = calloc(1, sizeof *scratch);
    if (!scratch) fixture_die("out of memory", NULL);
    scratch->dir = data_fixture_dir();
    data_fixture_images(scratch->dir, 20, 12);
    *state = scratch;
    return 0;
}

int data_fixture_teardown(void **state) {
    DataScratch *scratch = *state;
    data_fixture_remove(scratch->dir);
    free(scratch->dir);
    free(scratch);
    return 0;
}

char *data_fixture_line(const char *id, const char *dimension, const char *answer_json) {
    char *line = NULL;
    if (asprintf(&line,
                 "{\"id\":\"%s\",\"dimension\":\"%s\",\"original\":\"img/o.png\",\"candidates\":[\"img/a.png\","
                 "\"img/b.png\",\"img/c.png\",\"img/d.png\"],\"answer\":%s}",
                 id, dimension, answer_json) < 0)
        fixture_die("out of memory", NULL);
    return line;
}

char *data_fixture_replace(const char *text, const char *from, const char *to) {
    const char *at = strstr(text, from);
    if (!at) fixture_die("data_fixture_replace: text not found", from);
    size_t head = (size_t)(at - text), n = strlen(text) - strlen(from) + strlen(to);
    char *out = malloc(n + 1);
    if (!out) fixture_die("out of memory", NULL);
    memcpy(out, text, head);
    strcpy(out + head, to);
    strcat(out, at + strlen(from));
    return out;
}
