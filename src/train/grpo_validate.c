// grpo_validate.c — GRPO's held-out validation: greedy screening of the first val_limit samples of
// --val through the trainers' shared validate_generate, logged as a "validation" event.
#include <math.h>
#include <stdlib.h>

#include "train/grpo_internal.h"
#include "train/validate.h"

int grpo_validate(GrpoRun *run, long step, double *exact, double *prop, Error *err) {
    *exact = *prop = NAN;
    if (!run->has_val) return 0;
    size_t n = run->val.count;
    if (run->options->val_limit && run->options->val_limit < n) n = run->options->val_limit;
    size_t *indices = malloc(n * sizeof *indices);
    if (!indices) return error_set(err, "GRPO: out of memory for validation");
    for (size_t i = 0; i < n; i++) indices[i] = i;
    ValidationResult result;
    int rc = validate_generate(&run->policy, run->tokenizer, &run->val, &run->val_shard, indices, n,
                               run->sampler.max_new_tokens, &result, NULL, err);
    free(indices);
    if (rc != 0) return error_prefix(err, "GRPO validation: ");
    *exact = result.exact;
    *prop = result.prop;
    const TrainLogField fields[] = {{"val_exact", *exact},
                                    {"val_prop", *prop},
                                    {"val_parse_fail", (double)result.parse_failures / (double)n},
                                    {"val_samples", (double)n}};
    return train_log_write_tagged(&run->log, step, "event", "validation", fields, 4, err);
}
