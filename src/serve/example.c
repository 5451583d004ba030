// example.c — a dataset sample as JSON with inline images, for the web page's example button. Images
// are read under the dataset's path policy: a symbolic link out of its folder is never served.
#include "serve/example.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/files.h"
#include "core/base64.h"

// The image at `path` as a data URL, its media type sniffed from the first bytes.
static char *example_image_url(const char *path, Error *err) {
    char *bytes = NULL;
    size_t size = 0;
    if (file_read_all(path, EXAMPLE_MAX_IMAGE_BYTES, &bytes, &size, err) != 0) return NULL;
    const char *mime = size >= 3 && (uint8_t)bytes[0] == 0xFF && (uint8_t)bytes[1] == 0xD8 ? "image/jpeg" : "image/png";
    char *url = data_url_encode(mime, (const uint8_t *)bytes, size);
    free(bytes);
    if (!url) error_set(err, "example: out of memory encoding %s", path);
    return url;
}

char *example_json(const Dataset *dataset, size_t index, Error *err) {
    if (!dataset || dataset->count == 0) {
        error_set(err, "no example dataset: start the server with --example DATA.jsonl");
        return NULL;
    }
    if (index >= dataset->count) {
        error_set(err, "example: no sample %zu (the dataset has %zu, numbered from 0)", index, dataset->count);
        return NULL;
    }
    const Sample *sample = &dataset->samples[index];
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "index", (double)index);
    cJSON_AddNumberToObject(root, "count", (double)dataset->count);
    cJSON_AddStringToObject(root, "id", sample->id);
    cJSON_AddStringToObject(root, "dimension", dimension_id(sample->dimension));
    cJSON *answer = cJSON_AddArrayToObject(root, "answer");
    for (int i = 0; i < CANDIDATE_COUNT; i++) {
        char letter[2] = {(char)('A' + i), 0};
        if (sample->answer >> i & 1) cJSON_AddItemToArray(answer, cJSON_CreateString(letter));
    }
    cJSON *candidates = cJSON_AddArrayToObject(root, "candidates");
    for (int i = 0; i <= CANDIDATE_COUNT; i++) {
        char *path = NULL;
        char *url = dataset_image_resolve(dataset, sample, i, &path, err) == 0 ? example_image_url(path, err) : NULL;
        free(path);
        if (!url) {
            cJSON_Delete(root);
            return NULL;
        }
        cJSON *item = cJSON_CreateString(url);
        free(url);
        if (i == 0) cJSON_AddItemToObject(root, "original", item);
        else cJSON_AddItemToArray(candidates, item);
    }
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!text) error_set(err, "example: out of memory");
    return text;
}
