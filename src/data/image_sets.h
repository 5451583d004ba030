// image_sets.h — sets of five images to screen (original + A-D) named by the user rather than by a
// dataset file: a CSV listing them, or a folder with one subfolder per set. No labels are needed:
// the samples come back without an answer (Sample.answer_unknown), ready for eval_run.
//
//   CSV:    a header naming the columns original,a,b,c,d (any order, case-insensitive; "candidate_a"
//           also works) and optionally id and dimension; paths relative to the CSV's folder or absolute.
//   folder: each subfolder holding original.* and a.* b.* c.* d.* (png/jpg/jpeg) is one set whose id
//           is the subfolder's name; a folder that holds those five files itself is one set.
#ifndef IAR_DATA_IMAGE_SETS_H
#define IAR_DATA_IMAGE_SETS_H

#include "core/error.h"
#include "data/dataset.h"

// A row with no dimension is screened for `dimension` (a Dimension), or for each of the four when
// `dimension` is -1 (then ids become "ID:dimension"). Image paths in the result are absolute and
// `out->root` is NULL: the user named these files, so the dataset-folder policy does not apply.
int image_sets_load(Dataset *out, const char *path, int dimension, Error *err);

// The same for one set given as five paths (original, A, B, C, D), with id `id`.
int image_sets_from_paths(Dataset *out, const char *id, const char *const paths[5], int dimension, Error *err);

// Splits one CSV record in place (RFC 4180 quotes; "" inside quotes is a quote). Returns the field
// count, or -1 for an unterminated quote or more than max_fields. *next: the start of the following
// line. Shared with the label files of `iar import` (data/import.c), so both read CSV alike.
int image_sets_csv_split(char *line, char **fields, int max_fields, char **next);

// The id a CSV row without an id column gets ("row000001" for the first data row): `line` is the
// 1-based line of the record in the file, the header being line 1.
void image_sets_row_id(size_t line, char *buffer, size_t size);

#endif
