// train_fixture.c — see train_fixture.h.
#include "train_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/files.h"
#include "core/rng.h"
#include "data/dataset.h"
#include "image/image.h"

static int write_image(const char *dir, const char *name, int size, uint64_t seed, uint64_t sample, int flawed) {
    Image image;
    if (image_create(&image, size, size, 3, NULL) != 0) return -1;
    Rng rng = rng_stream(seed, sample, RNG_PURPOSE_SYNTH);
    int base = 40 + rng_next_int(&rng, 80);
    for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++)
            for (int c = 0; c < 3; c++) image.data[(y * size + x) * 3 + c] = (uint8_t)(base + (x + y * c) % 32);
    if (flawed) {
        Rng where = rng_stream(seed, sample * 8 + (uint64_t)flawed, RNG_PURPOSE_SYNTH);
        int side = size / 3, x0 = rng_next_int(&where, size - side), y0 = rng_next_int(&where, size - side);
        for (int y = y0; y < y0 + side; y++)
            for (int x = x0; x < x0 + side; x++)
                for (int c = 0; c < 3; c++) image.data[(y * size + x) * 3 + c] = 250;
    }
    char *path = path_join(dir, name);
    int rc = image_save_png(&image, path, NULL);
    free(path);
    image_free(&image);
    return rc;
}

char *train_fixture_dataset(const char *dir, int count, int size, uint64_t seed) {
    char *img = path_join(dir, "img");
    if (dir_create_all(img, NULL) != 0) {
        free(img);
        return NULL;
    }
    char *jsonl = path_join(dir, "data.jsonl");
    FILE *f = fopen(jsonl, "w");
    int ok = f != NULL;
    for (int s = 0; s < count && ok; s++) {
        Rng rng = rng_stream(seed, (uint64_t)s, RNG_PURPOSE_SPLIT);
        AnswerSet answer = (AnswerSet)(1 + rng_next_int(&rng, 14)); // 1..14: never all four
        char names[5][32], letters[16], reasons[200] = "";
        for (int i = 0; i < 5; i++) {
            int flawed = i > 0 && ((answer >> (i - 1)) & 1);
            snprintf(names[i], sizeof names[i], "s%03d_%c.png", s, i == 0 ? 'o' : 'a' + i - 1);
            ok = ok && write_image(img, names[i], size, seed, (uint64_t)s, flawed ? i : 0) == 0;
            if (i > 0) {
                size_t n = strlen(reasons);
                snprintf(reasons + n, sizeof reasons - n, "%c %s. ", 'A' + i - 1, flawed ? "has a patch" : "is clean");
            }
        }
        answer_set_format(answer, letters, sizeof letters);
        char list[40] = "";
        for (int i = 0; i < 4; i++)
            if ((answer >> i) & 1) {
                size_t n = strlen(list);
                snprintf(list + n, sizeof list - n, "%s\"%c\"", n ? "," : "", 'A' + i);
            }
        fprintf(f,
                "{\"id\":\"s%03d\",\"dimension\":\"%s\",\"original\":\"img/%s\",\"candidates\":[\"img/%s\",\"img/%s\","
                "\"img/%s\",\"img/%s\"],\"answer\":[%s],\"rationale\":\"<think>%s</think><answer>%s</answer>\"}\n",
                s, dimension_id((Dimension)(s % DIMENSION_COUNT)), names[0], names[1], names[2], names[3], names[4],
                list, reasons, letters);
    }
    if (f) ok = fclose(f) == 0 && ok;
    free(img);
    if (!ok) {
        free(jsonl);
        return NULL;
    }
    return jsonl;
}

char *train_fixture_tempdir(const char *name) {
    const char *base = getenv("IAR_TEST_TMP");
    char *pattern = NULL;
    if (asprintf(&pattern, "%s/%s-XXXXXX", base && base[0] ? base : "/tmp", name) < 0) return NULL;
    if (!mkdtemp(pattern)) {
        free(pattern);
        return NULL;
    }
    return pattern;
}

void train_fixture_remove(const char *dir) {
    char *command = NULL;
    if (dir && dir[0] == '/' && asprintf(&command, "rm -rf '%s'", dir) >= 0 && system(command) != 0) {
        // a leftover scratch folder is harmless
    }
    free(command);
}
