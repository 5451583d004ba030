// sample_parse.h — inside the data layer: parsing a JSONL line into a Sample while collecting every
// problem on the line (iar check lists them all; sample_parse_json reports the first).
#ifndef IAR_DATA_SAMPLE_PARSE_H
#define IAR_DATA_SAMPLE_PARSE_H

#include "data/dataset.h"

#define SAMPLE_MAX_PROBLEMS 16
#define SAMPLE_MAX_ID_BYTES 256

typedef struct SampleProblems {
    int count;
    char message[SAMPLE_MAX_PROBLEMS][256];
} SampleProblems;

void sample_problems_add(SampleProblems *problems, const char *format, ...) __attribute__((format(printf, 2, 3)));

// Parses `text` (one JSON object). Fields that are valid are filled even when others are not (so a
// checker can still look at the images of a line with a bad answer); free with sample_free either
// way. Returns 0 when no problem was found, -1 otherwise (problems->count > 0).
int sample_parse_collect(Sample *out, const char *text, SampleProblems *problems);

// Folder that a dataset file's image paths are relative to: its own, or the current one for a
// stream (a pipe or /dev/stdin). malloc'd.
char *dataset_root_of(const char *path, int is_stream);
// "original" or "candidate A".."candidate D".
void dataset_image_name(int image_index, char *buffer, size_t size);

#endif
