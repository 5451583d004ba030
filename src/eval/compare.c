// compare.c — paired bootstrap confidence intervals for the difference between two runs.
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "data/id_index.h"
#include "eval/summary.h"

static int compare_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int eval_bootstrap_difference(const EvalRunData *base, const EvalRunData *other, ScoreKind kind, int dimension,
                              int resamples, uint64_t seed, BootstrapInterval *out, Error *err) {
    memset(out, 0, sizeof *out);
    if (resamples < 1) return error_set(err, "bootstrap needs at least one resample");
    IdIndex index = {0};
    for (size_t i = 0; i < base->records.count; i++)
        if (id_index_insert(&index, base->records.items[i].id, i, NULL) < 0) {
            id_index_free(&index);
            return error_set(err, "out of memory");
        }
    size_t n = other->records.count;
    double *differences = malloc((n + 1) * sizeof *differences);
    double *means = malloc((size_t)resamples * sizeof *means);
    if (!differences || !means) {
        free(differences);
        free(means);
        id_index_free(&index);
        return error_set(err, "out of memory");
    }
    size_t paired = 0;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        const EvalRecord *b = &other->records.items[i];
        size_t j;
        if (!id_index_find(&index, b->id, &j)) continue;
        if (dimension >= 0 && b->dimension != dimension) continue;
        differences[paired] = b->scores[kind] - base->records.items[j].scores[kind];
        sum += differences[paired++];
    }
    id_index_free(&index);
    out->paired = paired;
    if (paired > 0) {
        out->difference = sum / (double)paired;
        for (int r = 0; r < resamples; r++) {
            double s = 0.0;
            for (size_t k = 0; k < paired; k++) s += differences[rng_hash(seed, (uint64_t)r, RNG_PURPOSE_BOOTSTRAP, k) % paired];
            means[r] = s / (double)paired;
        }
        qsort(means, (size_t)resamples, sizeof *means, compare_double);
        out->low = means[(size_t)(0.025 * (resamples - 1) + 0.5)];
        out->high = means[(size_t)(0.975 * (resamples - 1) + 0.5)];
    }
    free(differences);
    free(means);
    return 0;
}
