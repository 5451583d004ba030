// make_seeds.c — writes the seed corpora of the fuzzers: small valid PNG (RGB, RGBA) and JPEG
// images, and valid dataset / messages lines. Usage: make_seeds OUT_DIR
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/files.h"
#include "image/image.h"

static void write_text(const char *dir, const char *name, const char *text) {
    char *path = path_join(dir, name);
    Error err = {{0}};
    if (file_write_atomic(path, text, strlen(text), &err) != 0) {
        fprintf(stderr, "%s\n", err.message);
        exit(1);
    }
    free(path);
}

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    char *image_dir = path_join(argv[1], "image"), *jsonl_dir = path_join(argv[1], "jsonl");
    Error err = {{0}};
    if (dir_create_all(image_dir, &err) != 0 || dir_create_all(jsonl_dir, &err) != 0) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    int sizes[][3] = {{1, 1, 3}, {7, 5, 3}, {16, 16, 4}, {33, 9, 3}};
    for (int k = 0; k < 4; k++) {
        Image image;
        if (image_create(&image, sizes[k][0], sizes[k][1], sizes[k][2], &err) != 0) return 1;
        size_t n = (size_t)sizes[k][0] * sizes[k][1] * sizes[k][2];
        for (size_t i = 0; i < n; i++) image.data[i] = (uint8_t)(i * 29 + k * 7);
        char name[64];
        snprintf(name, sizeof name, "seed%d.png", k);
        char *path = path_join(image_dir, name);
        if (image_save_png(&image, path, &err) != 0) return 1;
        free(path);
        if (sizes[k][2] == 3) {
            snprintf(name, sizeof name, "seed%d.jpg", k);
            path = path_join(image_dir, name);
            if (image_save_jpeg(&image, path, 80 - 10 * k, &err) != 0) return 1;
            free(path);
        }
        image_free(&image);
    }
    write_text(jsonl_dir, "sample_min.json",
               "{\"id\":\"s1\",\"dimension\":\"lighting\",\"original\":\"img/o.png\",\"candidates\":[\"img/a.png\","
               "\"img/b.png\",\"img/c.png\",\"img/d.png\"],\"answer\":[\"B\",\"D\"]}");
    write_text(jsonl_dir, "sample_full.json",
               "{\"id\":\"s000123\",\"dimension\":\"extension\",\"original\":\"img/s_o.png\",\"candidates\":[\"a.png\","
               "\"./b.png\",\"x/../c.png\",\"d.jpg\"],\"answer\":[],\"question\":\"Which \\u00e9?\\n\",\"rationale\":"
               "\"<think>A is fine.</think><answer>none</answer>\",\"meta\":{\"kinds\":[\"seam\",null],\"severity\":0.5}}");
    write_text(jsonl_dir, "messages.json",
               "{\"messages\":[{\"role\":\"system\",\"content\":\"s\"},{\"role\":\"user\",\"content\":\"<image><image>"
               "<image><image><image>Placement Layout?\"},{\"role\":\"assistant\",\"content\":\"<think>t</think>"
               "<answer>A, C</answer>\"}],\"images\":[\"o.png\",\"a.png\",\"b.png\",\"c.png\",\"d.png\"],\"id\":\"m1\"}");
    write_text(jsonl_dir, "sharegpt.json",
               "{\"conversations\":[{\"from\":\"human\",\"value\":[{\"type\":\"image\"},{\"type\":\"text\",\"text\":"
               "\"lighting\"}]},{\"from\":\"gpt\",\"value\":\"Answer: B\"}],\"image\":[\"o\",\"a\",\"b\",\"c\",\"d\"],"
               "\"id\":5}");
    free(image_dir);
    free(jsonl_dir);
    return 0;
}
