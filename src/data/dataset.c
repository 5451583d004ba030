// dataset.c — a dataset in memory: loading a JSONL file (stopping at the first bad line), adding,
// saving, finding samples, and the answer-set statistics shared with `iar check`.
#include "data/dataset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/files.h"
#include "data/id_index.h"
#include "data/jsonl.h"
#include "data/paths.h"
#include "data/sample_parse.h"

int dataset_add(Dataset *dataset, Sample *sample, Error *err) {
    if (dataset->count == dataset->capacity) {
        size_t capacity = dataset->capacity ? dataset->capacity * 2 : 64;
        Sample *grown = realloc(dataset->samples, capacity * sizeof *grown);
        if (!grown) return error_set(err, "out of memory adding sample %zu", dataset->count + 1);
        dataset->samples = grown;
        dataset->capacity = capacity;
    }
    dataset->samples[dataset->count++] = *sample;
    memset(sample, 0, sizeof *sample);
    return 0;
}

void dataset_free(Dataset *dataset) {
    if (!dataset) return;
    for (size_t i = 0; i < dataset->count; i++) sample_free(&dataset->samples[i]);
    free(dataset->samples);
    free(dataset->path);
    free(dataset->root);
    memset(dataset, 0, sizeof *dataset);
}

static int dataset_load_lines(Dataset *out, JsonlReader *reader, const char *path, Error *err) {
    IdIndex ids = {0};
    JsonlLine line;
    int status, result = 0;
    while ((status = jsonl_reader_next(reader, &line, err)) == 1) {
        size_t number = reader->line_number;
        if (line.oversized) {
            result = error_set(err, "%s:%zu: line is %zu bytes, over the limit of %zu", path, number, line.length,
                               DATASET_MAX_LINE_BYTES);
            break;
        }
        if (line.has_nul) {
            result = error_set(err, "%s:%zu: line contains a NUL byte", path, number);
            break;
        }
        Sample sample;
        SampleProblems problems;
        if (sample_parse_collect(&sample, line.text, &problems) != 0) {
            sample_free(&sample);
            result = error_set(err, "%s:%zu: %s%s", path, number, problems.message[0],
                               problems.count > 1 ? " (and more; `iar check` lists every problem)" : "");
            break;
        }
        sample.line = number;
        // The index borrows the id string, which stays put when the sample array grows.
        size_t first = 0;
        int inserted = id_index_insert(&ids, sample.id, number, &first);
        if (inserted <= 0) {
            result = inserted < 0 ? error_set(err, "%s: out of memory", path)
                                  : error_set(err, "%s:%zu: duplicate id '%s' (first on line %zu)", path, number,
                                              sample.id, first);
            sample_free(&sample);
            break;
        }
        if (dataset_add(out, &sample, err) != 0) {
            sample_free(&sample);
            result = -1;
            break;
        }
    }
    if (status < 0) result = error_prefix(err, "%s: ", path);
    if (result == 0 && out->count == 0) result = error_set(err, "%s: no samples (the file is empty)", path);
    id_index_free(&ids);
    return result;
}

char *dataset_root_of(const char *path, int is_stream) {
    // A stream (`cat data.jsonl | iar check /dev/stdin`) has no folder of its own: "/dev" is not it.
    return is_stream ? string_duplicate(".") : path_dirname(path);
}

int dataset_load(Dataset *out, const char *path, Error *err) {
    memset(out, 0, sizeof *out);
    JsonlReader reader;
    if (jsonl_reader_open(&reader, path, DATASET_MAX_LINE_BYTES, err) != 0) return -1;
    out->path = string_duplicate(path);
    out->root = dataset_root_of(path, reader.is_stream);
    if (!out->path || !out->root) {
        jsonl_reader_close(&reader);
        dataset_free(out);
        return error_set(err, "%s: out of memory", path);
    }
    int result = dataset_load_lines(out, &reader, path, err);
    jsonl_reader_close(&reader);
    if (result != 0) dataset_free(out);
    return result;
}

int dataset_save(const Dataset *dataset, const char *path, Error *err) {
    char *buffer = NULL;
    size_t size = 0;
    FILE *memory = open_memstream(&buffer, &size);
    if (!memory) return error_set(err, "%s: out of memory", path);
    int result = 0;
    for (size_t i = 0; i < dataset->count && result == 0; i++)
        result = sample_write_json(memory, &dataset->samples[i], err);
    fclose(memory);
    if (result == 0) result = file_write_atomic(path, buffer, size, err);
    else error_prefix(err, "%s: ", path);
    free(buffer);
    return result;
}

char *dataset_image_path(const Dataset *dataset, const Sample *sample, int image_index) {
    if (image_index < 0 || image_index > CANDIDATE_COUNT) return NULL;
    const char *rel = image_index == 0 ? sample->original : sample->candidates[image_index - 1];
    if (!rel) return NULL;
    return path_join(dataset->root ? dataset->root : ".", rel);
}

int dataset_image_resolve(const Dataset *dataset, const Sample *sample, int image_index, char **out, Error *err) {
    *out = NULL;
    if (image_index < 0 || image_index > CANDIDATE_COUNT) return error_set(err, "no image %d in a sample", image_index);
    const char *rel = image_index == 0 ? sample->original : sample->candidates[image_index - 1];
    char name[32];
    dataset_image_name(image_index, name, sizeof name);
    if (!rel) return error_set(err, "%s image: no path", name);
    if (data_path_resolve_image(dataset->root, rel, dataset->allow_outside, out, err) != 0)
        return error_prefix(err, "%s image ", name);
    return 0;
}

void dataset_image_name(int image_index, char *buffer, size_t size) {
    if (image_index == 0) snprintf(buffer, size, "original");
    else snprintf(buffer, size, "candidate %c", 'A' + image_index - 1);
}

const Sample *dataset_find(const Dataset *dataset, const char *id) {
    if (!id) return NULL;
    for (size_t i = 0; i < dataset->count; i++)
        if (dataset->samples[i].id && strcmp(dataset->samples[i].id, id) == 0) return &dataset->samples[i];
    return NULL;
}

void dataset_stats_count(DatasetStats *stats, const Dataset *dataset) {
    stats->samples = dataset->count;
    memset(stats->per_dimension, 0, sizeof stats->per_dimension);
    memset(stats->answer_size_histogram, 0, sizeof stats->answer_size_histogram);
    stats->with_rationale = 0;
    stats->without_answer = 0;
    for (size_t i = 0; i < dataset->count; i++) {
        const Sample *s = &dataset->samples[i];
        if ((unsigned)s->dimension < DIMENSION_COUNT) stats->per_dimension[s->dimension]++;
        if (s->answer_unknown) stats->without_answer++;
        else stats->answer_size_histogram[answer_set_size(s->answer)]++;
        if (s->rationale && s->rationale[0]) stats->with_rationale++;
    }
    stats->random_exact = dataset_random_exact(stats->answer_size_histogram);
}

int dataset_require_answers(const Dataset *dataset, Error *err) {
    for (size_t i = 0; i < dataset->count; i++)
        if (dataset->samples[i].answer_unknown)
            return error_set(err, "%s:%zu: sample %s has no \"answer\"; training needs every sample labelled",
                             dataset->path ? dataset->path : "dataset", dataset->samples[i].line,
                             dataset->samples[i].id ? dataset->samples[i].id : "?");
    return 0;
}
