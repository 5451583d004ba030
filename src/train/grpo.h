// grpo.h — `iar train grpo`: GRPO on top of an SFT checkpoint (DESIGN §2). Each step draws
// `prompts_per_step` training samples (uniformly by epochs, or weighted by hard-case mining), samples
// `group_size` completions per sample from the current policy, scores them with the format +
// accuracy reward, normalises the rewards within each group, and makes `iterations` AdamW updates
// of the clipped-ratio loss with a k3 KL penalty to the frozen SFT policy.
//
// OUT holds a checkpoint (DESIGN §3) after every `save_every` steps and at the end, train_log.jsonl
// (one line a step, validation lines tagged "event":"validation", hard-case pool lines tagged
// "event":"hcm") and rollouts.jsonl (sample completions with their rewards and advantages).
#ifndef IAR_TRAIN_GRPO_H
#define IAR_TRAIN_GRPO_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/progress.h"
#include "train/adamw.h"
#include "train/grpo_loss.h"
#include "train/hcm.h"
#include "train/lambda_schedule.h"
#include "train/reward.h"
#include "train/reward_http.h"

struct Distributed; // train/distributed.h

typedef struct GrpoOptions {
    const char *data_path;  // training JSONL
    const char *init_dir;   // the SFT checkpoint: initial policy and frozen reference
    const char *out_dir;
    const char *val_path;   // NULL: no validation
    size_t val_limit;       // validation samples (greedy); default 64
    long val_every;         // steps; default 25 (and always at the end)
    const char *cache_dir;  // image shard cache (NULL: beside the dataset)

    RewardConfig reward;
    RewardHttpOptions reward_http; // url set: the server's reward replaces the built-in total of the
                                   // training rollouts (hard-case mining keeps the built-in accuracy)
    LambdaSchedule lambda;  // DPA's λ_t over the run's steps
    GrpoLossOptions loss;
    GrpoScaleRewards scale_rewards;
    float advantage_epsilon; // default 1e-4

    int group_size;         // G completions per prompt; default 8
    int prompts_per_step;   // default 4
    long steps;             // default 100
    long stop_at;           // stop after this step as if interrupted (0: run to the end); --resume continues
    int iterations;         // μ updates per rollout batch; default 1
    float learning_rate;    // default 1e-4
    long warmup_steps;      // default 5 (then constant)
    AdamWConfig adamw;      // weight decay 0 by default for GRPO
    float temperature;      // default 1.0
    float top_p;            // default 1.0
    int max_new_tokens;     // 0: as many as the model's text length allows
    long tower_heads_after; // with a vision tower: -1 (default) it stays frozen; N >= 0 its heads train
                            // from step N on, the convolutions frozen (as SFT's; needs --beta 0)
    float tower_lr;         // the heads' learning rate, on the run's schedule (default 1e-5)

    int hcm;                // hard-case mining on/off
    HcmOptions hcm_options;

    long save_every;        // steps; default 50
    long dump_every;        // steps between rollouts.jsonl dumps; default 10
    int resume;             // continue from OUT's state.bin
    uint64_t seed;
    int threads;            // for the image cache build; default 2
    struct Distributed *dist; // data-parallel world (mpirun); NULL: one process (docs/SCALE.md)
} GrpoOptions;

void grpo_options_default(GrpoOptions *options);
int grpo_options_validate(const GrpoOptions *options, Error *err);

// The summary of a finished run (for the CLI's last lines and tests).
typedef struct GrpoResult {
    long steps_done;
    double first_reward_mean;  // mean total reward of the first step of this invocation
    double last_reward_mean;   // of the last step
    double mean_reward_first10, mean_reward_last10; // averaged over the first / last 10 steps run
    double val_exact, val_prop; // last validation (NaN when none)
    double seconds;
} GrpoResult;

// Runs the whole training. `progress` (may be NULL) counts steps; its detail holds reward, accuracy,
// KL and timing.
int grpo_train(const GrpoOptions *options, Progress *progress, GrpoResult *result, Error *err);

#endif
