// dataset.h — samples and datasets (DESIGN §1, §3): JSONL read/write and validation.
#ifndef IAR_DATA_DATASET_H
#define IAR_DATA_DATASET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/error.h"
#include "text/answer_set.h" // CANDIDATE_COUNT, AnswerSet: the text layer's, below this one
#include "text/dimension.h"

typedef struct Sample {
    char *id;
    Dimension dimension;
    char *original;                    // path relative to the dataset folder, as in the file
    char *candidates[CANDIDATE_COUNT]; // likewise, for A, B, C, D
    AnswerSet answer;
    int answer_unknown; // 1 when the line has no "answer" (inference-only input); `answer` is then 0
    char *question;  // may be NULL: the default question of the prompt template is used
    char *rationale; // may be NULL
    char *meta_json; // the "meta" object serialised, or NULL
    size_t line;     // 1-based line in the JSONL it came from (0 when built in memory)
} Sample;

typedef struct Dataset {
    Sample *samples;
    size_t count, capacity;
    char *path; // the JSONL file
    char *root; // its folder: image paths are relative to this (the current folder for a stream)
    int allow_outside; // 1: images may resolve outside `root` (--allow-outside); 0 by default
} Dataset;

// Loads and validates every line (structure, fields, paths; not the pixels). Stops at the first
// bad line with "FILE:LINE: problem" in err. Images are checked by dataset_check.
int dataset_load(Dataset *out, const char *path, Error *err);
void dataset_free(Dataset *dataset);
// Parses one JSONL line into a sample (strings are malloc'd; free with sample_free).
int sample_parse_json(Sample *out, const char *line, size_t line_number, Error *err);
void sample_free(Sample *sample);
// One JSON object on one line, with a trailing newline.
int sample_write_json(FILE *file, const Sample *sample, Error *err);
char *sample_to_json(const Sample *sample); // malloc'd single line, no newline
// Lexical path of one of the sample's images: index 0 = original, 1..4 = candidates A..D. malloc'd.
// For path arithmetic only: whatever opens an image resolves it with dataset_image_resolve.
char *dataset_image_path(const Dataset *dataset, const Sample *sample, int image_index);
// The image's resolved path under the dataset's path policy (data_path_resolve_image: a regular file
// inside the dataset folder unless dataset->allow_outside). malloc'd in *out; on failure err reads
// "candidate B image 'img/x.png' is missing" (or "... leads outside the dataset folder ...").
int dataset_image_resolve(const Dataset *dataset, const Sample *sample, int image_index, char **out, Error *err);
const Sample *dataset_find(const Dataset *dataset, const char *id); // NULL when absent

// `iar check`: collects every problem (not only the first), including images that are missing or
// fail to decode, and statistics for a valid file.
typedef struct DatasetProblem {
    size_t line;
    char message[256];
} DatasetProblem;

typedef struct DatasetStats {
    size_t samples;
    size_t per_dimension[DIMENSION_COUNT];
    size_t answer_size_histogram[CANDIDATE_COUNT + 1]; // how many samples have 0..4 flawed
    int min_width, max_width, min_height, max_height;
    size_t with_rationale;
    size_t without_answer; // inference-only samples (not in answer_size_histogram)
    double random_exact; // expected exact score (0..1) of a uniform guess over non-empty subsets
} DatasetStats;

typedef struct DatasetCheck {
    DatasetProblem *problems;
    size_t problem_count;
    DatasetStats stats;
} DatasetCheck;

// Returns 0 when the file could be read at all (problems may still be listed), -1 otherwise.
// `check_images`: decode every image (slow, thorough).
int dataset_check(DatasetCheck *out, const char *path, int check_images, Error *err);
void dataset_check_free(DatasetCheck *check);

// Expected exact score of the `random` baseline (uniform over the 15 non-empty subsets) on a
// dataset with this answer-size histogram: P(guess = gold) = 1/15 for every non-empty gold set.
double dataset_random_exact(const size_t answer_size_histogram[CANDIDATE_COUNT + 1]);

// ---- Additions by the data layer (beyond the first contract; nothing above changed) ----

#include "core/progress.h"

// A JSONL line longer than this is refused ("oversized input"), never loaded.
#define DATASET_MAX_LINE_BYTES ((size_t)1 << 20)
// `iar check` stops listing after this many problems (and says so in a last problem).
#define DATASET_CHECK_MAX_PROBLEMS 10000

typedef struct DatasetCheckOptions {
    int check_images;   // decode every image (slow, thorough)
    int allow_outside;  // images may resolve outside the dataset folder (--allow-outside)
    Progress *progress; // counts the samples whose images are checked; may be NULL
} DatasetCheckOptions;
// dataset_check with every option (the dataset's path policy included).
int dataset_check_run(DatasetCheck *out, const char *path, const DatasetCheckOptions *options, Error *err);

// dataset_check with a progress counter over the samples whose images are checked (may be NULL).
int dataset_check_with_progress(DatasetCheck *out, const char *path, int check_images, Progress *progress,
                                Error *err);
// Fails naming the first sample without an "answer" (training needs labels); 0 when all have one.
int dataset_require_answers(const Dataset *dataset, Error *err);
// Fills stats->samples, per_dimension, answer_size_histogram, with_rationale and random_exact
// (image sizes are left as they are: only dataset_check decodes images).
void dataset_stats_count(DatasetStats *stats, const Dataset *dataset);

// What the model must write for a sample: text_completion (text/layout.h) of its rationale and gold
// answer. malloc'd.
char *sample_completion_text(const Sample *sample);

// Deep copy of a sample (every string duplicated).
int sample_copy(Sample *out, const Sample *in, Error *err);
// Adds a sample to a dataset, taking ownership of its strings (on success *sample is zeroed).
// Does not look for duplicate ids (dataset_load and dataset_check do). For datasets built in
// memory, `dataset->path` and `root` may stay NULL.
int dataset_add(Dataset *dataset, Sample *sample, Error *err);
// Writes every sample as JSONL, atomically (temporary file + rename).
int dataset_save(const Dataset *dataset, const char *path, Error *err);

#endif
