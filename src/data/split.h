// split.h — deterministic train/validation split by hashed sample id: a sample's side depends only
// on (its id, the seed, the fraction), never on the file's order or size, so a sample added later
// never moves another sample across the split.
#ifndef IAR_DATA_SPLIT_H
#define IAR_DATA_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#include "data/dataset.h"

// 1 when the sample with this id belongs to the validation side for `validation_fraction` (0..1).
int split_is_validation(const char *id, double validation_fraction, uint64_t seed);

// Indices (into dataset->samples, ascending) of each side. Both arrays are malloc'd (free them;
// either may be NULL when its side is empty).
int dataset_split_indices(const Dataset *dataset, double validation_fraction, uint64_t seed, size_t **train,
                          size_t *train_count, size_t **validation, size_t *validation_count, Error *err);

// Deep copies of each side as two datasets (same path/root as the input, so image paths resolve).
int dataset_split(const Dataset *dataset, double validation_fraction, uint64_t seed, Dataset *train,
                  Dataset *validation, Error *err);

#endif
