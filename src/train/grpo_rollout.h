// grpo_rollout.h — (internal to GRPO) sampling completions for one prompt from the policy
// (screen/screen.h) and turning them into scored training rows in the shared text layout
// (text/layout.h). Used for the training rollouts and the hard-case pool scoring.
#ifndef IAR_TRAIN_GRPO_ROLLOUT_H
#define IAR_TRAIN_GRPO_ROLLOUT_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "data/dataset.h"
#include "model/model.h"
#include "screen/screen.h"
#include "text/tokenizer.h"
#include "train/image_shard.h"
#include "train/reward.h"

// Rows of completions, each in the model's (capacity, T) layout, allocated once.
typedef struct GrpoRows {
    int capacity, T;
    int count;               // rows filled
    int *tokens, *targets;   // (capacity, T)
    float *sampler_logprobs; // (capacity, T) the sampler's log-prob of targets[i] at each target
                             // position (temperature 1, as model_forward scores it), 0 elsewhere
    int *text_len, *prefix_len;
    size_t *sample_index;    // dataset index of each row
    int *completion_len;     // generated tokens (EOS included)
    int *truncated;          // 1: stopped by the token cap, without EOS
    char **completions;      // decoded text (owned; replaced on refill)
    RewardResult *rewards;
    float *reward_total;     // rewards[i].total as float, for the advantages
    float *advantages;
} GrpoRows;

int grpo_rows_create(GrpoRows *rows, int capacity, int T, Error *err);
void grpo_rows_free(GrpoRows *rows);

// Screening buffers sized once for up to `max_samples` completions per prompt, each of at most
// `max_new_tokens` tokens (as many as fit when that is more than the model's text length allows).
typedef struct GrpoSampler {
    int max_new_tokens;
    ScreenScratch scratch;
    ScreenOutput *outputs; // (max_samples)
} GrpoSampler;

int grpo_sampler_create(GrpoSampler *sampler, const ModelConfig *config, int max_samples, int max_new_tokens,
                        Error *err);
void grpo_sampler_free(GrpoSampler *sampler);

// What a rollout needs to read: the dataset, its image shard and the tokenizer.
typedef struct GrpoSource {
    const Dataset *dataset;
    const ImageShard *shard;
    const Tokenizer *tokenizer;
} GrpoSource;

// Samples n completions of sample `sample_index` (temperature 0: greedy) into rows
// [row_offset, row_offset + n), scores them at DPA weight `lambda`, and sets the rows' targets for
// the loss. Randomness: rng_hash(seed, completion, RNG_PURPOSE_SAMPLING, position) in the model.
int grpo_rollout_prompt(Model *model, GrpoSampler *sampler, const GrpoSource *source, size_t sample_index,
                        int n, float temperature, float top_p, uint64_t seed, const RewardConfig *reward,
                        double lambda, GrpoRows *rows, int row_offset, Error *err);

// Copies sample `sample_index`'s images n times into a (n, 5, 3, S, S) block for model_forward.
void grpo_rollout_images(const GrpoSource *source, size_t sample_index, int n, size_t values_per_image,
                         float *out);

#endif
