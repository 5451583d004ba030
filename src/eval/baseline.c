// baseline.c — the two reference "models": `random` (a seeded guess, uniform over the 15 non-empty
// subsets of A-D) and `all` (always A, B, C, D: the select-all trap, which scores 0 on exact and prop
// whenever at least one candidate is good).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "eval/backend.h"
#include "eval/baseline.h"

typedef struct BaselineState {
    int always_all;
    uint64_t seed;
} BaselineState;

// Keyed by the sample's id (not its position), so --limit, --ids and resuming never change a guess.
AnswerSet baseline_random_guess(uint64_t seed, const char *sample_id) {
    uint64_t key = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)sample_id; *p; p++) key = (key ^ *p) * 1099511628211ULL;
    return (AnswerSet)(1 + rng_hash(seed, key, RNG_PURPOSE_BASELINE, 0) % 15);
}

static int baseline_run(Backend *self, const Dataset *dataset, const size_t *indices, size_t count,
                        BackendResultFn on_result, void *user, Progress *progress, Error *err) {
    (void)err;
    const BaselineState *state = self->state;
    for (size_t i = 0; i < count; i++) {
        const Sample *sample = &dataset->samples[indices[i]];
        AnswerSet guess = state->always_all ? ANSWER_SET_ALL : baseline_random_guess(state->seed, sample->id);
        char letters[32], text[160];
        answer_set_format(guess, letters, sizeof letters);
        snprintf(text, sizeof text, "<think>%s baseline: no look at the images.</think><answer>%s</answer>",
                 state->always_all ? "select-all" : "random", letters);
        BackendResult result = {.text = text, .prompt_tokens = 0, .completion_tokens = 0, .attempts = 1};
        on_result(user, indices[i], &result);
        progress_advance(progress, 1, 0);
    }
    return 0;
}

static void baseline_destroy(Backend *self) {
    free(self->state);
    self->state = NULL;
}

int backend_baseline_open(Backend *out, const char *kind, const BackendOptions *options, Error *err) {
    memset(out, 0, sizeof *out);
    int always_all = strcmp(kind, "all") == 0;
    if (!always_all && strcmp(kind, "random") != 0) return error_set(err, "unknown baseline '%s' (random, all)", kind);
    BaselineState *state = calloc(1, sizeof *state);
    if (!state) return error_set(err, "out of memory");
    state->always_all = always_all;
    state->seed = options ? options->seed : 0;
    snprintf(out->name, sizeof out->name, "%s", kind);
    out->state = state;
    out->run = baseline_run;
    out->destroy = baseline_destroy;
    return 0;
}

double baseline_random_expected(ScoreKind kind, AnswerSet gold) {
    double sum = 0.0;
    for (int guess = 1; guess <= 15; guess++) sum += score_compute(kind, (AnswerSet)guess, gold);
    return sum / 15.0;
}
