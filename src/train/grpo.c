// grpo.c — the GRPO run: options, setup (policy, frozen reference, optimizer, data, resume), the
// step loop (draw prompts, roll out, score, advantages, update, log) and checkpoints.
#include "train/grpo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/files.h"
#include "core/fnv1a.h"
#include "core/rng.h"
#include "screen/model_folder.h"
#include "train/curve.h"
#include "train/distributed.h"
#include "train/grpo_internal.h"
#include "train/run.h"

void grpo_options_default(GrpoOptions *o) {
    memset(o, 0, sizeof *o);
    o->val_limit = 64;
    o->val_every = 25;
    reward_config_default(&o->reward);
    reward_http_options_default(&o->reward_http);
    lambda_schedule_default(&o->lambda);
    grpo_loss_options_default(&o->loss);
    o->loss.agg = GRPO_LOSS_AGG_TOKEN; // per-token mean: no length bias towards long wrong answers
    o->scale_rewards = GRPO_SCALE_GROUP;
    o->advantage_epsilon = 1e-4f;
    o->group_size = 8;
    o->prompts_per_step = 4;
    o->steps = 100;
    o->iterations = 1;
    o->learning_rate = 1e-4f;
    o->warmup_steps = 5;
    adamw_config_default(&o->adamw);
    o->adamw.weight_decay = 0.0f; // stay near the SFT solution: KL, not decay, anchors the policy
    o->temperature = 1.0f;
    o->top_p = 1.0f;
    o->tower_heads_after = -1;
    o->tower_lr = 1e-5f;
    hcm_options_default(&o->hcm_options);
    o->save_every = 50;
    o->dump_every = 10;
    o->seed = 1;
    o->threads = 2;
}

int grpo_options_validate(const GrpoOptions *o, Error *err) {
    if (!o->data_path || !o->out_dir) return error_set(err, "GRPO needs --data and --out");
    if (!o->init_dir && !o->resume) return error_set(err, "GRPO needs --init SFT_CHECKPOINT (or --resume)");
    if (!o->reward.accuracy) return error_set(err, "GRPO: unknown accuracy reward");
    if (o->group_size < 2 || o->group_size > 64)
        return error_set(err, "--group %d: needs 2..64 completions per prompt (one gives no group signal)",
                         o->group_size);
    if (o->prompts_per_step < 1) return error_set(err, "--prompts-per-step must be >= 1");
    if (o->steps < 1 || o->iterations < 1) return error_set(err, "--steps and --iterations must be >= 1");
    if (o->tower_heads_after >= 0 && o->loss.beta > 0)
        return error_set(err, "--tower-heads-after needs --beta 0 (the KL reference would read through the moving heads)");
    if (!(o->temperature >= 0) || !(o->top_p > 0 && o->top_p <= 1))
        return error_set(err, "--temperature must be >= 0 and --top-p within (0, 1]");
    if (!(o->loss.epsilon_low >= 0 && o->loss.epsilon_low < 1) || !(o->loss.epsilon_high >= 0) || !(o->loss.beta >= 0))
        return error_set(err, "--epsilon-low must be within [0, 1), --epsilon-high and --beta >= 0");
    if (o->hcm && hcm_options_validate(&o->hcm_options, err) != 0) return -1;
    if (o->hcm && o->hcm_options.rollouts < 2)
        return error_set(err, "--hcm-rollouts must be >= 2 to measure a case's mean reward");
    return 0;
}

// What must not change when a run is resumed (the schedule and the sampling depend on it). The step
// count may grow (the run is extended, λ_t following the new count): runs hash steps 0; a state
// saved before that hashed its step count in.
static uint64_t grpo_options_hash(const GrpoOptions *o, long steps) {
    uint64_t h = FNV1A_START;
    double values[] = {o->group_size, o->prompts_per_step, steps, o->iterations, o->learning_rate,
                       o->warmup_steps, o->temperature, o->top_p, o->max_new_tokens, o->loss.epsilon_low,
                       o->loss.epsilon_high, o->loss.beta, o->loss.agg, o->scale_rewards, o->advantage_epsilon,
                       o->reward.weight_format, o->reward.weight_accuracy, o->lambda.kind, o->lambda.stages,
                       o->lambda.start, o->lambda.end, o->hcm, o->hcm_options.period, o->hcm_options.rollouts,
                       (double)o->hcm_options.subset, o->hcm_options.threshold, o->hcm_options.hard_weight,
                       o->hcm_options.solved_weight, o->hcm_options.failed_weight, (double)o->seed};
    h = fnv1a_bytes(h, values, sizeof values);
    if (o->tower_heads_after >= 0) { // mixed in only when set: the runs before the option still resume
        double tower[2] = {(double)o->tower_heads_after, o->tower_lr};
        h = fnv1a_bytes(h, tower, sizeof tower);
    }
    return fnv1a_bytes(h, o->reward.accuracy->name, strlen(o->reward.accuracy->name));
}

// ---- the extra blob of state.bin: frozen reference parameters, the hard-case pool, and (while the
// tower's heads train) their optimizer: its step, then its moments ----------------------------------
typedef struct GrpoExtraHeader {
    char magic[8]; // "GRPOXTR1"
    uint32_t version, has_reference;
    uint64_t param_count, pool_count;
} GrpoExtraHeader;

static size_t grpo_tower_opt_bytes(const GrpoRun *run) {
    return run->train_tower_heads ? adamw_state_size(&run->tower_opt) : 0;
}

static void *grpo_extra_pack(const GrpoRun *run, size_t *size) {
    GrpoExtraHeader h = {{'G', 'R', 'P', 'O', 'X', 'T', 'R', '1'}, 1, (uint32_t)run->has_reference,
                         run->has_reference ? run->reference.param_count : 0, run->has_pool ? run->pool.count : 0};
    size_t params = h.param_count * sizeof(float), pool = h.pool_count * (sizeof(float) + sizeof(int64_t));
    size_t tower = grpo_tower_opt_bytes(run);
    *size = sizeof h + params + pool + tower;
    unsigned char *blob = malloc(*size), *p = blob;
    if (!blob) return NULL;
    memcpy(p, &h, sizeof h), p += sizeof h;
    if (params) memcpy(p, run->reference.params, params), p += params;
    for (size_t i = 0; i < h.pool_count; i++) {
        int64_t step = run->pool.scored_step[i];
        memcpy(p, &run->pool.mean_reward[i], sizeof(float)), p += sizeof(float);
        memcpy(p, &step, sizeof step), p += sizeof step;
    }
    if (tower) adamw_state_write(&run->tower_opt, p);
    return blob;
}

static int grpo_extra_unpack(GrpoRun *run, const unsigned char *blob, size_t size, Error *err) {
    GrpoExtraHeader h;
    if (!blob || size < sizeof h) return error_set(err, "GRPO state: the reference policy is missing from state.bin");
    memcpy(&h, blob, sizeof h);
    if (memcmp(h.magic, "GRPOXTR1", 8) != 0 || h.version != 1)
        return error_set(err, "GRPO state: unknown extra block (version %u); start a fresh run", h.version);
    size_t params = h.param_count * sizeof(float), pool = h.pool_count * (sizeof(float) + sizeof(int64_t));
    size_t tower = grpo_tower_opt_bytes(run);
    if (size != sizeof h + params + pool + tower || (int)h.has_reference != run->has_reference ||
        (run->has_reference && h.param_count != run->reference.param_count) ||
        h.pool_count != (run->has_pool ? run->pool.count : 0))
        return error_set(err, "GRPO state: reference/pool sizes do not match this run (--beta or --hcm changed?)");
    const unsigned char *p = blob + sizeof h;
    if (params) memcpy(run->reference.params, p, params), p += params;
    for (size_t i = 0; i < h.pool_count; i++) {
        int64_t step;
        memcpy(&run->pool.mean_reward[i], p, sizeof(float)), p += sizeof(float);
        memcpy(&step, p, sizeof step), p += sizeof step;
        run->pool.scored_step[i] = (long)step;
    }
    if (tower) adamw_state_read(&run->tower_opt, p);
    if (run->has_pool) hcm_pool_reweight(&run->pool, &run->options->hcm_options);
    return 0;
}

static int grpo_save(GrpoRun *run, double elapsed, Error *err) {
    TrainRunState state = {.trainer = "grpo", .step = run->step, .seed = run->options->seed, .data = run->position,
                           .options_hash = grpo_options_hash(run->options, 0), .elapsed_seconds = elapsed};
    size_t extra_size = 0;
    void *extra = grpo_extra_pack(run, &extra_size);
    if (!extra) return error_set(err, "GRPO: out of memory saving the checkpoint");
    int rc = train_run_save(run->options->out_dir, &state, &run->policy, run->tokenizer, &run->opt, extra, extra_size,
                            err);
    free(extra);
    return rc;
}

// ---- setup ---------------------------------------------------------------------------------------
static int grpo_open_data(GrpoRun *run, Error *err) {
    const GrpoOptions *o = run->options;
    if (dataset_load(&run->train, o->data_path, err) != 0 || dataset_require_answers(&run->train, err) != 0) return -1;
    if (run->train.count == 0) return error_set(err, "%s: no samples to train on", o->data_path);
    if (train_run_open_shard(&run->train_shard, &run->train, &run->policy.config, o->cache_dir, o->threads, NULL,
                             o->dist, err) != 0)
        return -1;
    run->train_source = (GrpoSource){&run->train, &run->train_shard, run->tokenizer};
    if (o->val_path) {
        if (dataset_load(&run->val, o->val_path, err) != 0) return -1;
        if (train_run_open_shard(&run->val_shard, &run->val, &run->policy.config, o->cache_dir, o->threads, NULL,
                                 o->dist, err) != 0)
            return -1;
        run->has_val = 1;
        run->val_source = (GrpoSource){&run->val, &run->val_shard, run->tokenizer};
    }
    return 0;
}

static int grpo_allocate(GrpoRun *run, Error *err) {
    const GrpoOptions *o = run->options;
    const ModelConfig *c = &run->policy.config;
    int G = o->group_size, rows = o->prompts_per_step * G, T = c->max_text_len;
    int probe_rows = o->hcm && o->hcm_options.rollouts > 1 ? o->hcm_options.rollouts : 1;
    int samples = probe_rows > G ? probe_rows : G;
    int max_new = o->max_new_tokens > 0 && o->max_new_tokens < T ? o->max_new_tokens : T;
    if (grpo_rows_create(&run->rows, rows, T, err) != 0 || grpo_rows_create(&run->probe, probe_rows, T, err) != 0 ||
        grpo_sampler_create(&run->sampler, c, samples, max_new, err) != 0)
        return -1;
    size_t cells = (size_t)rows * T;
    run->image_values = (size_t)MODEL_IMAGE_COUNT * 3 * (size_t)c->image_size * (size_t)c->image_size;
    run->logprobs = calloc(cells, sizeof(float));
    run->old_logprobs = calloc(cells, sizeof(float));
    run->ref_logprobs = calloc(cells, sizeof(float));
    run->dlogprobs = calloc(cells, sizeof(float));
    run->entropy = calloc(cells, sizeof(float));
    run->group_images = malloc((size_t)G * run->image_values * sizeof(float));
    run->group_tokens = malloc((size_t)G * T * sizeof(int));
    run->group_targets = malloc((size_t)G * T * sizeof(int));
    run->group_dimension = malloc((size_t)G * sizeof(int));
    size_t vision = run->train_tower_heads ? model_vision_token_count(&run->policy.config)
                                           : model_vision_feature_count(&run->policy.config);
    run->group_vision = vision ? malloc((size_t)G * vision * sizeof(float)) : NULL;
    if (vision && !run->group_vision) return error_set(err, "GRPO: out of memory for the tower features");
    run->order = malloc(run->train.count * sizeof *run->order);
    run->scratch_indices = malloc(run->train.count * sizeof *run->scratch_indices);
    run->step_samples = malloc((size_t)o->prompts_per_step * sizeof *run->step_samples);
    if (!run->logprobs || !run->old_logprobs || !run->ref_logprobs || !run->dlogprobs || !run->entropy ||
        !run->group_images || !run->group_tokens || !run->group_targets || !run->group_dimension || !run->order || !run->scratch_indices || !run->step_samples)
        return error_set(err, "GRPO: out of memory for %d rows of %d tokens", rows, T);
    run->order_epoch = UINT64_MAX;
    if (o->hcm) {
        if (hcm_pool_create(&run->pool, run->train.count, err) != 0) return -1;
        run->has_pool = 1;
    }
    return 0;
}

// Loads the policy (from OUT when resuming, else from --init), the frozen reference (restored from
// the state by grpo_restore when resuming) and the optimizer.
static int grpo_open_models(GrpoRun *run, int resuming, Error *err) {
    const GrpoOptions *o = run->options;
    const char *source = resuming ? o->out_dir : o->init_dir;
    if (!source) return error_set(err, "--resume: %s has no state.bin and no --init was given", o->out_dir);
    int max_batch = o->group_size;
    if (o->hcm && o->hcm_options.rollouts > max_batch) max_batch = o->hcm_options.rollouts;
    if (model_folder_load(source, &run->policy, max_batch, &run->tokenizer, err) != 0) return -1;
    if (!run->tokenizer) return error_set(err, "%s: the checkpoint has no tokenizer.json", source);
    run->has_reference = o->loss.beta > 0;
    if (run->has_reference) {
        // The reference is the SFT policy: loaded from --init, or restored from state.bin below.
        if (resuming) {
            if (model_create(&run->reference, &run->policy.config, o->group_size, 0, err) != 0) return -1;
        } else if (model_folder_load(o->init_dir, &run->reference, o->group_size, NULL, err) != 0) {
            return -1;
        }
    }
    if (o->tower_heads_after >= 0) {
        Tower *t = run->policy.tower;
        if (!t) return error_set(err, "GRPO: --tower-heads-after needs a model with a vision tower");
        int first = tower_heads_first_tensor(t);
        if (adamw_create_tensors(&run->tower_opt, t->tensors + first, t->tensor_count - first, t->param_count,
                                 &o->adamw, err) != 0)
            return -1;
        run->train_tower_heads = 1;
    }
    return adamw_create(&run->opt, &run->policy, &o->adamw, err);
}

static int grpo_restore(GrpoRun *run, Error *err) {
    TrainState state;
    void *extra = NULL;
    size_t extra_size = 0;
    const GrpoOptions *o = run->options;
    if (train_run_restore(o->out_dir, "grpo", grpo_options_hash(o, 0), grpo_options_hash(o, o->steps),
                          "options (all but --steps)", o->steps, &run->policy, &run->opt, &state, &extra, &extra_size,
                          err) != 0)
        return -1;
    int rc = grpo_extra_unpack(run, extra, extra_size, err);
    free(extra);
    run->step = (long)state.step;
    run->position = state.data;
    run->elapsed_before = state.elapsed_seconds;
    return rc;
}

static void grpo_run_free(GrpoRun *run) {
    train_log_close(&run->rollouts);
    train_log_close(&run->log);
    if (run->has_pool) hcm_pool_free(&run->pool);
    free(run->logprobs);
    free(run->old_logprobs);
    free(run->ref_logprobs);
    free(run->dlogprobs);
    free(run->entropy);
    free(run->group_images);
    free(run->group_tokens);
    free(run->group_dimension);
    free(run->group_vision);
    free(run->group_targets);
    free(run->order);
    free(run->scratch_indices);
    free(run->step_samples);
    grpo_rows_free(&run->rows);
    grpo_rows_free(&run->probe);
    grpo_sampler_free(&run->sampler);
    if (run->train_shard.path) image_shard_close(&run->train_shard);
    if (run->val_shard.path) image_shard_close(&run->val_shard);
    dataset_free(&run->train);
    if (run->has_val) dataset_free(&run->val);
    adamw_free(&run->opt);
    adamw_free(&run->tower_opt);
    if (run->has_reference) model_free(&run->reference);
    model_free(&run->policy);
    tokenizer_free(run->tokenizer);
    reward_http_close(run->reward_http);
}

// ---- the step loop -------------------------------------------------------------------------------
// The next P prompts in the seeded epoch order (resumable through run->position).
static void grpo_draw_uniform(GrpoRun *run, size_t *out, int count) {
    size_t n = run->train.count;
    for (int i = 0; i < count; i++) {
        if (run->order_epoch != run->position.epoch) {
            for (size_t j = 0; j < n; j++) run->order[j] = j;
            Rng rng = rng_stream(run->options->seed, run->position.epoch, RNG_PURPOSE_DATA_ORDER);
            rng_shuffle_size(&rng, run->order, n);
            run->order_epoch = run->position.epoch;
        }
        out[i] = run->order[run->position.index++];
        if (run->position.index >= n) {
            run->position.index = 0;
            run->position.epoch++;
        }
    }
}

// After each rank rolled out its prompts: every rank gets every prompt's rows (not the decoded
// completions: rollouts.jsonl dumps the first prompt, which rank 0 rolled out itself).
static int grpo_rows_gather(GrpoRun *run, int prompts, Error *err) {
    if (!run->dist || run->dist->size <= 1) return 0;
    GrpoRows *r = &run->rows;
    size_t G = (size_t)run->options->group_size, T = (size_t)r->T;
    struct {
        void *data;
        size_t bytes_per_prompt;
    } arrays[] = {{r->tokens, G * T * sizeof(int)},          {r->targets, G * T * sizeof(int)},
                  {r->sampler_logprobs, G * T * sizeof(float)},
                  {r->text_len, G * sizeof(int)},            {r->prefix_len, G * sizeof(int)},
                  {r->sample_index, G * sizeof(size_t)},     {r->completion_len, G * sizeof(int)},
                  {r->truncated, G * sizeof(int)},           {r->rewards, G * sizeof(RewardResult)},
                  {r->reward_total, G * sizeof(float)}};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
        if (distributed_allgather_slices(run->dist, arrays[i].data, arrays[i].bytes_per_prompt, (size_t)prompts, err) != 0)
            return error_prefix(err, "GRPO rollouts: ");
    return 0;
}

static int grpo_step(GrpoRun *run, GrpoStepStats *stats, Error *err) {
    const GrpoOptions *o = run->options;
    long step = run->step;
    int P = o->prompts_per_step, G = o->group_size;
    memset(stats, 0, sizeof *stats);
    stats->lambda = lambda_schedule_value(&o->lambda, step, o->steps);
    stats->learning_rate = schedule_learning_rate(&run->lr, step);
    if (o->hcm && step % o->hcm_options.period == 0 && grpo_hcm_refresh(run, step, stats->lambda, err) != 0) return -1;
    if (o->hcm) hcm_pool_sample(&run->pool, o->seed, step, (size_t)P < run->train.count ? (size_t)P : run->train.count,
                                run->step_samples);
    if (o->hcm && (size_t)P > run->train.count) grpo_draw_uniform(run, run->step_samples, P); // a pool smaller than P
    if (!o->hcm) grpo_draw_uniform(run, run->step_samples, P);

    double start = time_now_seconds();
    run->rows.count = 0;
    size_t mine_begin, mine_count; // this rank's prompts (all of them in one process)
    distributed_slice((size_t)P, run->dist ? run->dist->rank : 0, run->dist ? run->dist->size : 1, &mine_begin,
                      &mine_count);
    for (int p = (int)mine_begin; p < (int)(mine_begin + mine_count); p++)
        if (grpo_rollout_prompt(&run->policy, &run->sampler, &run->train_source, run->step_samples[p], G,
                                o->temperature, o->top_p, grpo_rollout_seed(o->seed, step, (uint64_t)p), &run->reward,
                                stats->lambda, &run->rows, p * G, err) != 0)
            return -1;
    run->rows.count = P * G;
    if (grpo_rows_gather(run, P, err) != 0) return -1;
    if (o->hcm) // the step's own rollouts keep the pool's measurements fresh at no extra cost
        for (int p = 0; p < P; p++) {
            double sum = 0;
            for (int i = 0; i < G; i++) sum += run->rows.rewards[p * G + i].accuracy;
            hcm_pool_record(&run->pool, run->step_samples[p], sum / G, step);
        }
    if (o->hcm) hcm_pool_reweight(&run->pool, &o->hcm_options);
    int zero = grpo_advantages_compute(run->rows.reward_total, P, G, o->scale_rewards, o->advantage_epsilon,
                                       run->rows.advantages);
    grpo_step_stats_rewards(&run->rows, zero, P, stats);
    double rolled = time_now_seconds();
    stats->rollout_seconds = rolled - start;
    if (grpo_update_policy(run, stats, err) != 0) return -1;
    stats->update_seconds = time_now_seconds() - rolled;
    return 0;
}

static int grpo_train_locked(const GrpoOptions *options, Progress *progress, GrpoResult *result, Error *err) {
    memset(result, 0, sizeof *result);
    result->val_exact = result->val_prop = NAN;
    if (grpo_options_validate(options, err) != 0) return -1;
    GrpoRun run;
    memset(&run, 0, sizeof run);
    run.options = options;
    run.dist = options->dist;
    int root = distributed_is_root(options->dist); // rank 0 alone logs, validates and saves
    double start = time_now_seconds();
    int rc = -1, resuming = train_run_begin(options->out_dir, options->resume, err);
    if (resuming < 0) goto done;
    if (resuming == 0 && !options->init_dir) {
        error_set(err, "--resume: %s has no state.bin and no --init was given", options->out_dir);
        goto done;
    }
    run.reward = options->reward;
    if (options->reward_http.url && reward_http_open(&run.reward_http, &options->reward_http, err) != 0) goto done;
    run.reward.http = run.reward_http;
    if (grpo_open_models(&run, resuming, err) != 0 || grpo_open_data(&run, err) != 0 || grpo_allocate(&run, err) != 0)
        goto done;
    if (resuming && grpo_restore(&run, err) != 0) goto done;
    run.lr = (LrSchedule){options->learning_rate, 1.0f, options->warmup_steps, options->steps};
    long resume_step = resuming ? run.step : -1;
    if (root && (train_run_open_log(&run.log, options->out_dir, "train_log.jsonl", resume_step, err) != 0 ||
                 train_run_open_log(&run.rollouts, options->out_dir, "rollouts.jsonl", resume_step, err) != 0))
        goto done;

    long first_step = run.step;
    if (progress) progress_begin(progress, "grpo", (size_t)(options->steps - first_step), progress->report,
                                 progress->user);
    double first10 = 0, last10[10] = {0};
    long done = 0;
    long end_step = options->stop_at > 0 && options->stop_at < options->steps ? options->stop_at : options->steps;
    while (run.step < end_step) {
        GrpoStepStats stats;
        if (grpo_step(&run, &stats, err) != 0) goto done;
        long step = run.step++; // this update's lines carry run.step, the updates done (train/run.h)
        if (root && grpo_log_step(&run, run.step, &stats, err) != 0) goto done;
        if (root && options->dump_every > 0 && step % options->dump_every == 0 &&
            grpo_log_rollouts(&run, run.step, 1, err) != 0)
            goto done;
        if (done == 0) result->first_reward_mean = stats.reward_mean;
        if (done < 10) first10 += stats.reward_mean;
        last10[done % 10] = stats.reward_mean;
        done++;
        result->last_reward_mean = stats.reward_mean;
        int last = run.step == end_step;
        // a step's validation line goes before its checkpoint, like every line of the step
        if (root && run.has_val && ((options->val_every > 0 && run.step % options->val_every == 0) || run.step == options->steps) &&
            grpo_validate(&run, run.step, &result->val_exact, &result->val_prop, err) != 0)
            goto done;
        double elapsed = run.elapsed_before + time_now_seconds() - start;
        if (root && ((options->save_every > 0 && run.step % options->save_every == 0) || last))
            if (grpo_save(&run, elapsed, err) != 0) goto done;
        if (progress) {
            char detail[160];
            snprintf(detail, sizeof detail, "reward %.3f acc %.3f exact %.2f zero %.2f kl %.4f λ %.2f | roll %.1fs upd %.1fs",
                     stats.reward_mean, stats.accuracy_mean, stats.exact_mean, stats.zero_signal_fraction,
                     stats.loss.kl, stats.lambda, stats.rollout_seconds, stats.update_seconds);
            progress_set_detail(progress, detail);
            progress_advance(progress, 1, stats.skipped_updates ? 1 : 0);
        }
    }
    if (progress) progress_end(progress);
    if (root) {
        char *log_file = path_join(options->out_dir, "train_log.jsonl");
        char *svg_file = path_join(options->out_dir, "curve.svg");
        const char *logs[1] = {log_file}, *labels[1] = {options->out_dir};
        train_log_close(&run.log); // flush before reading it back
        rc = curve_write_svg(logs, labels, 1, NULL, svg_file, err);
        free(log_file);
        free(svg_file);
        if (rc != 0) goto done;
    }
    long counted = done < 10 ? done : 10;
    double sum_last = 0;
    for (long i = 0; i < counted; i++) sum_last += last10[i];
    result->mean_reward_first10 = counted ? first10 / counted : 0;
    result->mean_reward_last10 = counted ? sum_last / counted : 0;
    result->steps_done = done;
    rc = 0;
done:
    result->seconds = time_now_seconds() - start;
    grpo_run_free(&run);
    return rc;
}

// The run folder's lock is held for the whole run (run.h).
int grpo_train(const GrpoOptions *options, Progress *progress, GrpoResult *result, Error *err) {
    TrainRunLock lock;
    if (train_run_lock(options->out_dir, "grpo", options->dist, &lock, err) != 0) return -1;
    int rc = grpo_train_locked(options, progress, result, err);
    train_run_unlock(options->out_dir, &lock, rc != 0);
    return rc;
}
