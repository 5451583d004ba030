// check.c — `iar check`: every problem of a dataset file with its line number (structure, fields,
// paths, duplicate ids, missing, outside or undecodable images), and statistics of the valid samples.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/files.h"
#include "data/dataset.h"
#include "data/id_index.h"
#include "data/jsonl.h"
#include "data/paths.h"
#include "data/sample_parse.h"
#include "image/image.h"

#define IMAGES_PER_SAMPLE (1 + CANDIDATE_COUNT)

// One non-blank line of the file and what was found on it.
typedef struct CheckLine {
    size_t line;
    Sample sample; // fields that parsed (others NULL)
    int valid;     // no structural problem: counts in the statistics
    char **messages;
    int message_count;
    int width[IMAGES_PER_SAMPLE], height[IMAGES_PER_SAMPLE]; // 0 when not decoded
} CheckLine;

static int check_line_add(CheckLine *item, const char *format, ...) __attribute__((format(printf, 2, 3)));
static int check_line_add(CheckLine *item, const char *format, ...) {
    char text[256];
    va_list args;
    va_start(args, format);
    vsnprintf(text, sizeof text, format, args);
    va_end(args);
    char **grown = realloc(item->messages, (size_t)(item->message_count + 1) * sizeof *grown);
    if (!grown) return -1;
    item->messages = grown;
    if (!(item->messages[item->message_count] = string_duplicate(text))) return -1;
    item->message_count++;
    return 0;
}

static void check_line_free(CheckLine *item) {
    sample_free(&item->sample);
    for (int i = 0; i < item->message_count; i++) free(item->messages[i]);
    free(item->messages);
}

// Existence (and with decode = 1, decoding) of the line's images under the dataset's path policy.
// Touches only `item`.
static int check_line_images(CheckLine *item, const char *root, const DatasetCheckOptions *options) {
    for (int i = 0; i < IMAGES_PER_SAMPLE; i++) {
        const char *rel = i == 0 ? item->sample.original : item->sample.candidates[i - 1];
        if (!rel) continue;
        char name[32];
        dataset_image_name(i, name, sizeof name);
        char *real = NULL;
        Error err = {{0}};
        int status = 0;
        if (data_path_resolve_image(root, rel, options->allow_outside, &real, &err) != 0) {
            status = check_line_add(item, "%s image %s", name, err.message);
        } else if (options->check_images) {
            Image image;
            if (image_load(&image, real, 0, &err) != 0) {
                // The decoder names the file first; the line already does.
                const char *why = err.message;
                size_t n = strlen(real);
                if (strncmp(why, real, n) == 0 && why[n] == ':') why += n + 1 + (why[n + 1] == ' ');
                status = check_line_add(item, "%s image '%s' does not decode: %s", name, rel, why);
            } else {
                item->width[i] = image.width;
                item->height[i] = image.height;
                image_free(&image);
            }
        }
        free(real);
        if (status != 0) return -1;
    }
    return 0;
}

// Reads and parses every line, recording its problems; duplicate ids are found here too.
// *out_root: the folder the image paths are relative to.
static int check_read_lines(const char *path, CheckLine **out_items, size_t *out_count, char **out_root, Error *err) {
    JsonlReader reader;
    *out_items = NULL;
    *out_count = 0;
    if (jsonl_reader_open(&reader, path, DATASET_MAX_LINE_BYTES, err) != 0) return -1;
    *out_root = dataset_root_of(path, reader.is_stream);
    CheckLine *items = NULL;
    size_t count = 0, capacity = 0;
    IdIndex ids = {0};
    JsonlLine line;
    int status, result = 0;
    while ((status = jsonl_reader_next(&reader, &line, err)) == 1) {
        if (count == capacity) {
            capacity = capacity ? capacity * 2 : 256;
            CheckLine *grown = realloc(items, capacity * sizeof *grown);
            if (!grown) {
                result = error_set(err, "%s: out of memory at line %zu", path, reader.line_number);
                break;
            }
            items = grown;
        }
        CheckLine *item = &items[count++];
        memset(item, 0, sizeof *item);
        item->line = reader.line_number;
        int added = 0;
        if (line.oversized) {
            added = check_line_add(item, "line is %zu bytes, over the limit of %zu", line.length,
                                   DATASET_MAX_LINE_BYTES);
        } else if (line.has_nul) {
            added = check_line_add(item, "line contains a NUL byte");
        } else {
            SampleProblems problems;
            item->valid = sample_parse_collect(&item->sample, line.text, &problems) == 0;
            item->sample.line = item->line;
            for (int i = 0; i < problems.count && added == 0; i++) added = check_line_add(item, "%s", problems.message[i]);
            size_t first = 0;
            int inserted = item->sample.id ? id_index_insert(&ids, item->sample.id, item->line, &first) : 1;
            if (inserted < 0) added = -1;
            if (inserted == 0) {
                item->valid = 0;
                if (added == 0) added = check_line_add(item, "duplicate id '%s' (first on line %zu)", item->sample.id, first);
            }
        }
        if (added != 0) {
            result = error_set(err, "%s: out of memory at line %zu", path, item->line);
            break;
        }
    }
    if (status < 0) result = error_prefix(err, "%s: ", path);
    id_index_free(&ids);
    jsonl_reader_close(&reader);
    *out_items = items;
    *out_count = count;
    return result;
}

static void check_stats_images(DatasetStats *stats, const CheckLine *items, size_t count) {
    int any = 0;
    for (size_t i = 0; i < count; i++)
        for (int k = 0; k < IMAGES_PER_SAMPLE && items[i].valid; k++) {
            int w = items[i].width[k], h = items[i].height[k];
            if (!w) continue;
            if (!any || w < stats->min_width) stats->min_width = w;
            if (!any || w > stats->max_width) stats->max_width = w;
            if (!any || h < stats->min_height) stats->min_height = h;
            if (!any || h > stats->max_height) stats->max_height = h;
            any = 1;
        }
}

// Moves the items' problems, in line order, into out->problems (at most DATASET_CHECK_MAX_PROBLEMS).
static int check_collect_problems(DatasetCheck *out, const CheckLine *items, size_t count, Error *err) {
    size_t total = 0;
    for (size_t i = 0; i < count; i++) total += (size_t)items[i].message_count;
    if (count == 0) total = 1;
    size_t listed = total > DATASET_CHECK_MAX_PROBLEMS ? DATASET_CHECK_MAX_PROBLEMS + 1 : total;
    if (listed == 0) return 0;
    out->problems = calloc(listed, sizeof *out->problems);
    if (!out->problems) return error_set(err, "out of memory listing %zu problems", listed);
    if (count == 0) {
        snprintf(out->problems[0].message, sizeof out->problems[0].message, "no samples (the file is empty)");
        out->problem_count = 1;
        return 0;
    }
    size_t n = 0;
    for (size_t i = 0; i < count && n < DATASET_CHECK_MAX_PROBLEMS; i++)
        for (int k = 0; k < items[i].message_count && n < DATASET_CHECK_MAX_PROBLEMS; k++, n++) {
            out->problems[n].line = items[i].line;
            snprintf(out->problems[n].message, sizeof out->problems[n].message, "%s", items[i].messages[k]);
        }
    if (total > n) {
        snprintf(out->problems[n].message, sizeof out->problems[n].message,
                 "%zu more problems not listed (fix the ones above and check again)", total - n);
        n++;
    }
    out->problem_count = n;
    return 0;
}

int dataset_check_run(DatasetCheck *out, const char *path, const DatasetCheckOptions *options, Error *err) {
    memset(out, 0, sizeof *out);
    CheckLine *items = NULL;
    size_t count = 0;
    char *root = NULL;
    Progress *progress = options->progress;
    int result = check_read_lines(path, &items, &count, &root, err);
    if (result == 0 && !root) result = error_set(err, "%s: out of memory", path);
    int failed = 0;
    if (result == 0) {
        if (progress) progress->total = count;
        // Decoding dominates: spread the lines over threads; each touches only its own item.
#pragma omp parallel for schedule(dynamic, 8) reduction(| : failed)
        for (size_t i = 0; i < count; i++) {
            failed |= check_line_images(&items[i], root, options) != 0;
            if (items[i].message_count) items[i].valid = 0;
            if (progress) progress_advance(progress, 1, items[i].message_count ? 1 : 0);
        }
        if (failed) result = error_set(err, "%s: out of memory checking images", path);
    }
    if (result == 0) result = check_collect_problems(out, items, count, err);
    if (result == 0) {
        Dataset valid = {0};
        for (size_t i = 0; i < count && result == 0; i++)
            if (items[i].valid) result = dataset_add(&valid, &items[i].sample, err);
        dataset_stats_count(&out->stats, &valid);
        dataset_free(&valid);
        check_stats_images(&out->stats, items, count);
    }
    for (size_t i = 0; i < count; i++) check_line_free(&items[i]);
    free(items);
    free(root);
    if (result != 0) dataset_check_free(out);
    return result;
}

int dataset_check_with_progress(DatasetCheck *out, const char *path, int check_images, Progress *progress,
                                Error *err) {
    DatasetCheckOptions options = {.check_images = check_images, .progress = progress};
    return dataset_check_run(out, path, &options, err);
}

int dataset_check(DatasetCheck *out, const char *path, int check_images, Error *err) {
    return dataset_check_with_progress(out, path, check_images, NULL, err);
}

void dataset_check_free(DatasetCheck *check) {
    if (!check) return;
    free(check->problems);
    memset(check, 0, sizeof *check);
}
