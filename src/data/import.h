// import.h — `iar import`: the user's own image sets (the layout `iar screen --batch` reads: a CSV
// with columns original,a,b,c,d[,id,dimension] or a folder of set folders, see data/image_sets.h)
// plus a file of labels (which candidates are flawed, for which dimension) turned into a dataset
// JSONL that `iar check`, `iar eval` and `iar train` accept.
//
// Labels: a CSV with a header naming `id` and `flawed` (or `answer`), and optionally `dimension`;
// or JSON: an array of objects, or one object a line, each {"id":..,"dimension":..,"flawed":..}.
// `flawed` holds letters A-D ("B D", "B;D", "B,D", "bd", ["B","D"]) or "none". With no labels
// file the sets CSV itself carries the labels in a `flawed` column.
#ifndef IAR_DATA_IMPORT_H
#define IAR_DATA_IMPORT_H

#include <stddef.h>

#include "core/error.h"
#include "data/dataset.h"

typedef struct ImportOptions {
    const char *sets_path;   // a CSV or a folder of set folders (data/image_sets.h)
    const char *labels_path; // CSV, JSON array or JSON Lines; NULL: the sets CSV's own `flawed` column
    const char *out_path;    // the dataset JSONL to write (atomically)
    int dimension;           // the dimension of labels that name none (-1: they must name one)
    int copy_images;         // copy the images into OUT's folder (img/); otherwise they must lie inside it
} ImportOptions;

typedef struct ImportResult {
    size_t samples;          // lines written
    size_t sets;             // image sets found
    size_t sets_unlabelled;  // sets no label named (left out)
    size_t images_copied;    // files copied (copy_images)
    char first_unlabelled[128];
} ImportResult;

// One label: set `id` is flawed at `answer` for `dimension` (-1: not given). `where` is "FILE:LINE"
// (or "FILE: entry N" for a JSON array), for messages.
typedef struct ImportLabel {
    char *id;
    int dimension;
    AnswerSet answer;
    char where[300];
} ImportLabel;

typedef struct ImportLabels {
    ImportLabel *labels;
    size_t count, capacity;
} ImportLabels;

// Reads a labels file (format by content: '[' starts a JSON array, '{' JSON Lines, else CSV).
// Errors name the file and line: "labels.csv:7: unknown letter 'E' in flawed 'B E' (A-D or none)".
int import_labels_load(ImportLabels *out, const char *path, Error *err);
void import_labels_free(ImportLabels *labels);

// Parses "B, D" / "B;D" / "bd" / "none" into a set; -1 with a message (without location) otherwise.
int import_letters_parse(const char *text, AnswerSet *out, Error *err);

// The whole import: sets + labels -> out_path. Nothing is written on error.
int dataset_import(const ImportOptions *options, ImportResult *result, Error *err);

#endif
