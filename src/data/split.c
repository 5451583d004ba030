// split.c — train/validation split by a counter-based hash of each sample's id.
#include "data/split.h"

#include <stdlib.h>
#include <string.h>

#include "core/files.h"
#include "core/rng.h"
#include "data/id_index.h"

int split_is_validation(const char *id, double validation_fraction, uint64_t seed) {
    if (!(validation_fraction > 0.0)) return 0;
    if (validation_fraction >= 1.0) return 1;
    // 53 random bits -> uniform in [0, 1), compared with the fraction.
    uint64_t bits = rng_hash(seed, id_hash(id), RNG_PURPOSE_SPLIT, 0);
    double u = (double)(bits >> 11) * (1.0 / 9007199254740992.0);
    return u < validation_fraction;
}

static int check_fraction(double validation_fraction, Error *err) {
    if (!(validation_fraction >= 0.0 && validation_fraction <= 1.0))
        return error_set(err, "validation fraction %g is outside 0..1", validation_fraction);
    return 0;
}

int dataset_split_indices(const Dataset *dataset, double validation_fraction, uint64_t seed, size_t **train,
                          size_t *train_count, size_t **validation, size_t *validation_count, Error *err) {
    *train = *validation = NULL;
    *train_count = *validation_count = 0;
    if (check_fraction(validation_fraction, err) != 0) return -1;
    size_t n = dataset->count;
    size_t *a = n ? malloc(n * sizeof *a) : NULL, *b = n ? malloc(n * sizeof *b) : NULL;
    if (n && (!a || !b)) {
        free(a);
        free(b);
        return error_set(err, "out of memory splitting %zu samples", n);
    }
    size_t na = 0, nb = 0;
    for (size_t i = 0; i < n; i++) {
        if (split_is_validation(dataset->samples[i].id ? dataset->samples[i].id : "", validation_fraction, seed))
            b[nb++] = i;
        else
            a[na++] = i;
    }
    if (!na) {
        free(a);
        a = NULL;
    }
    if (!nb) {
        free(b);
        b = NULL;
    }
    *train = a;
    *validation = b;
    *train_count = na;
    *validation_count = nb;
    return 0;
}

static int dataset_copy_subset(Dataset *out, const Dataset *in, const size_t *indices, size_t count, Error *err) {
    memset(out, 0, sizeof *out);
    out->path = string_duplicate(in->path);
    out->root = string_duplicate(in->root);
    if ((in->path && !out->path) || (in->root && !out->root)) {
        dataset_free(out);
        return error_set(err, "out of memory");
    }
    for (size_t i = 0; i < count; i++) {
        Sample copy;
        if (sample_copy(&copy, &in->samples[indices[i]], err) != 0 || dataset_add(out, &copy, err) != 0) {
            sample_free(&copy);
            dataset_free(out);
            return -1;
        }
    }
    return 0;
}

int dataset_split(const Dataset *dataset, double validation_fraction, uint64_t seed, Dataset *train,
                  Dataset *validation, Error *err) {
    memset(train, 0, sizeof *train);
    memset(validation, 0, sizeof *validation);
    size_t *a, *b, na, nb;
    if (dataset_split_indices(dataset, validation_fraction, seed, &a, &na, &b, &nb, err) != 0) return -1;
    int result = dataset_copy_subset(train, dataset, a, na, err);
    if (result == 0 && (result = dataset_copy_subset(validation, dataset, b, nb, err)) != 0) dataset_free(train);
    free(a);
    free(b);
    return result;
}
