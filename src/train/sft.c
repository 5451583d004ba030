// sft.c — the SFT loop: data split, tokenizer, model, image cache, loader, AdamW, validation,
// logs and checkpoints. The library never prints: progress and events go to the caller's callbacks.
#include "train/sft.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/files.h"
#include "core/fnv1a.h"
#include "data/split.h"
#include "screen/model_folder.h"
#include "text/layout.h"
#include "text/prompt.h"
#include "train/adamw.h"
#include "train/distributed.h"
#include "train/peak.h"
#include "train/run.h"
#include "train/schedule.h"
#include "train/train_log.h"

void sft_options_default(SftOptions *o) {
    memset(o, 0, sizeof *o);
    o->config_name = "small";
    o->vocab_size = 1024;
    o->steps = 900; // ~5 minutes of `small` on 2 cores (docs/perf/train.md)
    o->epochs = 1.0;
    o->batch_size = 16;
    o->learning_rate = 2e-3f;
    o->min_lr_ratio = 0.1f;
    o->warmup_steps = 20;
    o->weight_decay = 0.1f;
    o->clip_norm = 1.0f;
    o->aux_weight = 0.5f;
    o->seed = 1;
    o->val_fraction = 0.05;
    o->val_samples = 64;
    o->tower_heads_after = -1;
    o->tower_lr = 1e-4f;
}

// Everything a resumed run must share with the run it continues. The step count may grow (the run
// is extended): runs hash total_steps 0; a state saved before that hashed its step count in.
static uint64_t sft_options_hash(const SftOptions *o, long total_steps) {
    uint64_t h = FNV1A_START;
    struct {
        long total_steps, warmup;
        int batch;
        float lr, min_lr, wd, clip;
        uint64_t seed;
        double val_fraction;
    } key;
    memset(&key, 0, sizeof key);
    key.total_steps = total_steps;
    key.warmup = o->warmup_steps;
    key.batch = o->batch_size;
    key.lr = o->learning_rate;
    key.min_lr = o->min_lr_ratio;
    key.wd = o->weight_decay;
    key.clip = o->clip_norm;
    key.seed = o->seed;
    key.val_fraction = o->val_fraction;
    h = fnv1a_bytes(h, &key, sizeof key);
    if (o->tower_heads_after >= 0) { // mixed in only when set: the runs before the option still resume
        double tower[2] = {(double)o->tower_heads_after, o->tower_lr}; // no padding bytes to hash
        h = fnv1a_bytes(h, tower, sizeof tower);
    }
    return h;
}

static long sft_total_steps(const SftOptions *o, size_t train_count) {
    long total = o->steps > 0 ? o->steps : (long)ceil(o->epochs * (double)train_count / (double)o->batch_size);
    return total < 1 ? 1 : total;
}

// Trains a tokenizer on the training side's prompts and completions.
static int sft_train_tokenizer(const Dataset *dataset, const size_t *indices, size_t count, int vocab_size,
                               Tokenizer **out, Error *err) {
    size_t n = count + DIMENSION_COUNT + 1;
    char **texts = calloc(n, sizeof *texts);
    if (!texts) return error_set(err, "out of memory");
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++)
        if (!(texts[i] = sample_completion_text(&dataset->samples[indices[i]]))) rc = error_set(err, "out of memory");
    for (int d = -1; d < DIMENSION_COUNT && rc == 0; d++)
        if (!(texts[count + (size_t)(d + 1)] = prompt_native_text(d))) rc = error_set(err, "out of memory");
    if (rc == 0) rc = tokenizer_train(out, (const char *const *)texts, n, vocab_size, err);
    for (size_t i = 0; i < n; i++) free(texts[i]);
    free(texts);
    return rc;
}

// The run's pieces, so that one cleanup frees whatever was built.
typedef struct SftRun {
    Dataset dataset;
    size_t *train, *validation;
    size_t train_count, validation_count;
    Tokenizer *tokenizer;
    Model model;
    int model_ready;
    ImageShard shard;
    Loader *loader;
    AdamW opt;
    TrainLog log;
    float *logprobs, *dlogprobs;
    // With a vision tower: every sample's tower features, computed once (they never change), (dataset
    // count, model_vision_feature_count), and one batch of them gathered for the step; while its heads
    // train (tower_heads_after >= 0), the tower's tokens instead (model_vision_token_count a sample)
    float *vision_store, *vision_batch;
    int store_tokens;
    AdamW tower_opt; // the heads' optimizer (store_tokens)
    Distributed *dist; // NULL: one process
} SftRun;

static void sft_run_free(SftRun *run) {
    loader_close(run->loader);
    image_shard_close(&run->shard);
    if (run->model_ready) model_free(&run->model);
    adamw_free(&run->opt);
    adamw_free(&run->tower_opt);
    tokenizer_free(run->tokenizer);
    free(run->train);
    free(run->validation);
    dataset_free(&run->dataset);
    train_log_close(&run->log);
    free(run->logprobs);
    free(run->dlogprobs);
    free(run->vision_store);
    free(run->vision_batch);
}

static size_t sft_vision_per_sample(const SftRun *run) {
    return run->store_tokens ? model_vision_token_count(&run->model.config)
                             : model_vision_feature_count(&run->model.config);
}

// The tower's features (or tokens) of every sample, in chunks of the model's batch (counted on
// `progress`).
static int sft_vision_store(SftRun *run, int batch_size, Progress *progress, Error *err) {
    Model *model = &run->model;
    size_t per = sft_vision_per_sample(run), count = run->dataset.count;
    size_t values = run->shard.values_per_sample;
    run->vision_store = malloc(sizeof(float) * per * (count ? count : 1));
    run->vision_batch = malloc(sizeof(float) * per * batch_size);
    float *images = malloc(sizeof(float) * values * batch_size);
    int *dimension = malloc(sizeof(int) * batch_size);
    int rc = 0;
    if (!run->vision_store || !run->vision_batch || !images || !dimension) {
        rc = error_set(err, "SFT: out of memory for the tower features of %zu samples (%zu MB)", count,
                       per * count * sizeof(float) >> 20);
        goto done;
    }
    if (progress) progress_begin(progress, "tower features", count, progress->report, progress->user);
    for (size_t first = 0; first < count && rc == 0; first += (size_t)batch_size) {
        int n = count - first < (size_t)batch_size ? (int)(count - first) : batch_size;
        for (int b = 0; b < n; b++) {
            image_shard_read(&run->shard, first + b, images + (size_t)b * values);
            dimension[b] = (int)run->dataset.samples[first + b].dimension;
        }
        float *out = run->vision_store + first * per;
        rc = run->store_tokens ? model_vision_tokens(model, images, dimension, n, out, err)
                               : model_vision_features(model, images, dimension, n, out, err);
        if (progress) progress_advance(progress, (size_t)n, 0);
    }
    if (progress) progress_end(progress);
done:
    free(images);
    free(dimension);
    return rc;
}

// Model and tokenizer: from OUT (resume), from --init, or fresh.
static int sft_build_model(SftRun *run, const SftOptions *o, int *tokenizer_trained, Error *err) {
    *tokenizer_trained = 0;
    if (o->resume) {
        if (model_folder_load(o->out_dir, &run->model, o->batch_size, &run->tokenizer, err) != 0) return -1;
        run->model_ready = 1;
        return 0;
    }
    if (o->tokenizer_path) {
        if (tokenizer_load(&run->tokenizer, o->tokenizer_path, err) != 0) return -1;
    } else if (o->init_dir) {
        char *path = path_join(o->init_dir, "tokenizer.json");
        int have = file_exists(path);
        int rc = have ? tokenizer_load(&run->tokenizer, path, err) : 0;
        free(path);
        if (rc != 0) return -1;
    }
    if (!run->tokenizer) {
        if (sft_train_tokenizer(&run->dataset, run->train, run->train_count, o->vocab_size, &run->tokenizer, err) != 0)
            return -1;
        *tokenizer_trained = 1;
    }
    if (o->init_dir) {
        if (model_folder_load(o->init_dir, &run->model, o->batch_size, NULL, err) != 0) return -1;
        run->model_ready = 1;
        if (run->model.config.vocab_size < tokenizer_vocab_size(run->tokenizer))
            return error_set(err, "%s: the model's vocabulary (%d) is smaller than the tokenizer's (%d)", o->init_dir,
                             run->model.config.vocab_size, tokenizer_vocab_size(run->tokenizer));
        return 0;
    }
    ModelConfig config;
    if (model_config_preset(&config, o->config_name, tokenizer_vocab_size(run->tokenizer), err) != 0) return -1;
    if (o->init_vision) {
        TowerConfig tower;
        if (tower_config_load(&tower, o->init_vision, err) != 0) return -1;
        if (model_config_attach_tower(&config, &tower, err) != 0) return error_prefix(err, "SFT --init-vision: ");
    }
    if (o->init_product) {
        TowerConfig product;
        if (!o->init_vision) return error_set(err, "SFT: --init-product needs --init-vision");
        if (tower_config_load(&product, o->init_product, err) != 0) return -1;
        if (model_config_attach_product_tower(&config, &product, err) != 0) return error_prefix(err, "%s: ", o->init_product);
    }
    if (model_create(&run->model, &config, o->batch_size, o->seed, err) != 0) return -1;
    if (o->init_vision && model_tower_load(&run->model, o->init_vision, err) != 0) return -1;
    if (o->init_product && model_product_tower_load(&run->model, o->init_product, err) != 0) return -1;
    run->model_ready = 1;
    return 0;
}

// Forward + backward + update of one batch; returns the mean loss over target tokens (NaN on failure).
// tower_lr > 0: the tower's heads train too (their gradient norm into *tower_norm).
static double sft_step(SftRun *run, const LoaderBatch *lb, float learning_rate, float aux_weight, float tower_lr,
                       double *grad_norm, double *tower_norm, Error *err) {
    ModelBatch with_aux = lb->batch; // the loader fills candidate_flawed; the weight is the run's
    with_aux.aux_weight = aux_weight;
    size_t per = sft_vision_per_sample(run);
    if (run->vision_store)
        for (int b = 0; b < lb->batch.batch_size; b++)
            memcpy(run->vision_batch + (size_t)b * per, run->vision_store + lb->sample_indices[b] * per,
                   sizeof(float) * per);
    // Under MPI each rank takes its slice of the global batch; the loss is normalised by the global
    // target count and the gradients summed over ranks, so every rank applies the one-process update.
    ModelBatch local;
    int rank = run->dist ? run->dist->rank : 0, size = run->dist ? run->dist->size : 1;
    distributed_batch_slice(&local, &with_aux, &run->model.config, rank, size);
    if (run->vision_store) { // this rank's rows of the gathered features (or tokens)
        size_t row0 = (size_t)(local.images - with_aux.images) / run->shard.values_per_sample;
        if (run->store_tokens) local.tower_tokens = run->vision_batch + row0 * per;
        else local.vision_features = run->vision_batch + row0 * per;
    }
    const ModelBatch *batch = &local;
    size_t positions = (size_t)batch->batch_size * batch->text_len_max;
    Tower *tower = run->model.tower;
    run->model.train_tower_heads = tower_lr > 0;
    if (tower_lr > 0) tower_zero_grad(tower);
    model_zero_grad(&run->model);
    run->model.last_aux_loss = 0.0f;
    if (batch->batch_size > 0 && model_forward(&run->model, batch, run->logprobs, NULL, err) != 0) return NAN;
    double n = lb->target_count > 0 ? (double)lb->target_count : 1.0, sum = 0;
    float scale = (float)(-1.0 / n);
    for (size_t i = 0; i < positions; i++) {
        int on = batch->targets[i] >= 0;
        sum += on ? run->logprobs[i] : 0.0;
        run->dlogprobs[i] = on ? scale : 0.0f;
    }
    if (batch->batch_size > 0 && model_backward(&run->model, batch, run->dlogprobs, err) != 0) return NAN;
    // the loss and the auxiliary loss (a mean over rows) of the whole global batch, for the log
    double sums[2] = {sum, (double)run->model.last_aux_loss * batch->batch_size};
    if (distributed_allreduce_sum_doubles(run->dist, sums, 2, err) != 0 ||
        distributed_sync_gradients(run->dist, &run->model, err) != 0 ||
        (tower_lr > 0 && distributed_allreduce_sum(run->dist, tower->grads, tower->param_count, err) != 0))
        return NAN;
    sum = sums[0];
    run->model.last_aux_loss = (float)(sums[1] / (lb->batch.batch_size > 0 ? lb->batch.batch_size : 1));
    *grad_norm = adamw_update(&run->opt, &run->model, learning_rate);
    *tower_norm = 0;
    if (tower_lr > 0 && isfinite(*grad_norm))
        *tower_norm = adamw_update_tensors(&run->tower_opt, tower->params, tower->grads,
                                           tower->tensors + tower_heads_first_tensor(tower), tower_lr);
    return -sum / n;
}

static double batch_flops(const ModelConfig *config, const ModelBatch *batch) {
    ModelConfig at = *config;
    at.max_text_len = batch->text_len_max;
    return model_flops_per_token(&at) * batch->text_len_max * batch->batch_size;
}

// The heads' optimizer rides in the checkpoint's extra blob.
static size_t tower_opt_bytes(const SftRun *run) { return run->store_tokens ? adamw_state_size(&run->tower_opt) : 0; }

static int sft_save(SftRun *run, const SftOptions *o, long step, double elapsed, uint64_t hash, Error *err) {
    TrainRunState state = {.trainer = "sft", .step = step, .seed = o->seed, .data = loader_position(run->loader),
                           .options_hash = hash, .elapsed_seconds = elapsed};
    size_t bytes = tower_opt_bytes(run);
    unsigned char *extra = bytes ? malloc(bytes) : NULL;
    if (bytes && !extra) return error_set(err, "out of memory for the tower's optimizer state");
    if (extra) adamw_state_write(&run->tower_opt, extra);
    int rc = train_run_save(o->out_dir, &state, &run->model, run->tokenizer, &run->opt, extra, bytes, err);
    free(extra);
    return rc;
}

static int sft_validate(SftRun *run, const SftOptions *o, const SftEvents *ev, long step, ValidationResult *result,
                        Error *err) {
    size_t count = run->validation_count;
    if (o->val_samples > 0 && count > (size_t)o->val_samples) count = (size_t)o->val_samples;
    if (count == 0) return 0;
    if (validate_generate(&run->model, run->tokenizer, &run->dataset, &run->shard, run->validation, count, 0, result,
                          NULL, err) != 0)
        return -1;
    TrainLogField fields[4 + DIMENSION_COUNT] = {
        {"val_exact", result->exact},
        {"val_prop", result->prop},
        {"val_parse_failures", (double)result->parse_failures},
        {"val_samples", (double)result->samples},
    };
    for (int d = 0; d < DIMENSION_COUNT; d++) {
        static char names[DIMENSION_COUNT][40];
        snprintf(names[d], sizeof names[d], "val_exact_%s", dimension_id((Dimension)d));
        fields[4 + d] = (TrainLogField){names[d], result->per_dimension_samples[d] ? result->per_dimension_exact[d] : NAN};
    }
    if (train_log_write_tagged(&run->log, step, "event", "validation", fields, 4 + DIMENSION_COUNT, err) != 0) return -1;
    if (ev && ev->on_validation) ev->on_validation(ev->user, step, result);
    return 0;
}

static int sft_setup(SftRun *run, const SftOptions *o, const SftEvents *ev, SftStartInfo *info, TrainState *state,
                     Error *err) {
    if (dataset_load(&run->dataset, o->data_path, err) != 0 || dataset_require_answers(&run->dataset, err) != 0) return -1;
    if (dataset_split_indices(&run->dataset, o->val_fraction, o->seed, &run->train, &run->train_count,
                              &run->validation, &run->validation_count, err) != 0)
        return -1;
    if (run->train_count == 0) return error_set(err, "%s: no training samples left after the split", o->data_path);
    int trained = 0;
    if (sft_build_model(run, o, &trained, err) != 0) return -1;
    const ModelConfig *config = &run->model.config;
    Progress *cache_progress = ev ? ev->cache_progress : NULL;
    if (cache_progress) cache_progress->total = run->dataset.count;
    if (train_run_open_shard(&run->shard, &run->dataset, config, o->cache_dir, o->threads > 0 ? o->threads : 2,
                             cache_progress, o->dist, err) != 0)
        return -1;
    if (distributed_sync_parameters(o->dist, &run->model, err) != 0) return -1;
    if (cache_progress && !run->shard.reused) progress_end(cache_progress);
    if (o->tower_heads_after >= 0) {
        if (!config->vision_tower)
            return error_set(err, "SFT: --tower-heads-after needs a vision tower (--init-vision, or an --init with one)");
        AdamWConfig tc;
        adamw_config_default(&tc);
        tc.weight_decay = o->weight_decay;
        tc.clip_norm = o->clip_norm;
        Tower *t = run->model.tower;
        int first = tower_heads_first_tensor(t);
        if (adamw_create_tensors(&run->tower_opt, t->tensors + first, t->tensor_count - first, t->param_count, &tc,
                                 err) != 0)
            return -1;
        run->store_tokens = 1;
    }
    if (config->vision_tower && sft_vision_store(run, o->batch_size, cache_progress, err) != 0) return -1;
    LoaderOptions lo = {.batch_size = o->batch_size, .seed = o->seed, .prefetch = 1};
    if (loader_open(&run->loader, &run->dataset, &run->shard, run->tokenizer, config, run->train, run->train_count,
                    &lo, err) != 0)
        return -1;
    AdamWConfig ac;
    adamw_config_default(&ac);
    ac.weight_decay = o->weight_decay;
    ac.clip_norm = o->clip_norm;
    if (adamw_create(&run->opt, &run->model, &ac, err) != 0) return -1;
    size_t positions = (size_t)o->batch_size * config->max_text_len;
    run->logprobs = malloc(positions * sizeof *run->logprobs);
    run->dlogprobs = malloc(positions * sizeof *run->dlogprobs);
    if (!run->logprobs || !run->dlogprobs) return error_set(err, "out of memory");
    memset(state, 0, sizeof *state);
    if (o->resume) {
        long total = sft_total_steps(o, run->train_count);
        void *extra = NULL;
        size_t extra_size = 0;
        if (train_run_restore(o->out_dir, "sft", sft_options_hash(o, 0), sft_options_hash(o, total),
                              "--batch, --lr, --warmup, --weight-decay, --clip, --seed, --val-fraction, "
                              "--tower-heads-after and --tower-lr",
                              total, &run->model, &run->opt, state, &extra, &extra_size, err) != 0)
            return -1;
        int fits = extra_size == tower_opt_bytes(run);
        if (fits && extra) adamw_state_read(&run->tower_opt, extra);
        free(extra);
        if (!fits) return error_set(err, "%s: the state holds no optimizer of this tower's heads", o->out_dir);
        if (loader_seek(run->loader, state->data, err) != 0) return -1;
    }
    memset(info, 0, sizeof *info);
    info->config_name = config->name;
    info->parameters = run->model.param_count;
    info->flops_per_token = model_flops_per_token(config);
    info->train_samples = run->train_count;
    info->validation_samples = run->validation_count;
    info->truncated_rows = loader_truncated_rows(run->loader);
    info->vocab_size = tokenizer_vocab_size(run->tokenizer);
    info->tokenizer_trained = trained;
    info->image_cache_reused = run->shard.reused;
    info->start_step = (long)state->step;
    info->resumed = o->resume;
    return 0;
}

static int sft_train_locked(const SftOptions *options, const SftEvents *ev, SftResult *result, Error *err) {
    memset(result, 0, sizeof *result);
    // --resume continues OUT's state when there is one and starts a new run otherwise, so one
    // command can be re-run until it is done (the demo does this).
    SftOptions local = *options;
    int resuming = train_run_begin(options->out_dir, options->resume, err);
    if (resuming < 0) return -1;
    local.resume = resuming;
    const SftOptions *o = &local;
    train_set_threads(o->threads);
    SftRun run;
    memset(&run, 0, sizeof run);
    run.dist = o->dist;
    SftStartInfo info;
    TrainState state;
    if (sft_setup(&run, o, ev, &info, &state, err) != 0) {
        sft_run_free(&run);
        return -1;
    }
    long total = sft_total_steps(o, run.train_count);
    uint64_t hash = sft_options_hash(o, 0);
    long start = (long)state.step, end = o->stop_at > 0 && o->stop_at < total ? o->stop_at : total;
    info.total_steps = total;
    info.peak_gflops = o->peak_gflops > 0 ? o->peak_gflops : train_measure_peak_gflops(512, 0.3);
    if (ev && ev->on_start) ev->on_start(ev->user, &info);
    int root = distributed_is_root(o->dist); // rank 0 alone writes the log, validates and saves
    int rc = root ? train_run_open_log(&run.log, o->out_dir, "train_log.jsonl", o->resume ? start : -1, err) : 0;
    LrSchedule schedule = {o->learning_rate, o->min_lr_ratio, o->warmup_steps, total};
    Progress *progress = ev ? ev->progress : NULL;
    if (progress) {
        snprintf(progress->label, sizeof progress->label, "sft");
        progress->total = (size_t)(end - start);
        progress->start_seconds = time_now_seconds();
    }
    result->steps_done = start;
    double run_start = time_now_seconds(), recent[10] = {0};
    long recent_count = 0;
    for (long step = start; step < end && rc == 0; step++) {
        double t0 = time_now_seconds();
        const LoaderBatch *lb = NULL;
        if (loader_next(run.loader, &lb, err) != 0) {
            rc = -1;
            break;
        }
        float lr = schedule_learning_rate(&schedule, step);
        float tower_lr = run.store_tokens && step >= o->tower_heads_after ? lr * (o->tower_lr / o->learning_rate) : 0;
        double norm = 0, tower_norm = 0, loss = sft_step(&run, lb, lr, o->aux_weight, tower_lr, &norm, &tower_norm, err);
        if (!isfinite(loss) || !isfinite(norm) || !isfinite(tower_norm)) {
            rc = isfinite(loss) ? error_set(err, "step %ld: the gradient is not finite (norm %g); lower --lr", step + 1,
                                            norm)
                                : (err->message[0] ? -1 : error_set(err, "step %ld: the loss is not finite", step + 1));
            break;
        }
        double dt = time_now_seconds() - t0;
        long tokens = 0;
        for (int b = 0; b < lb->batch.batch_size; b++) tokens += lb->batch.text_len[b];
        double mfu = batch_flops(&run.model.config, &lb->batch) / dt / (info.peak_gflops * 1e9);
        recent[recent_count++ % 10] = loss;
        TrainLogField fields[] = {{"loss", loss},          {"lr", lr},       {"grad_norm", norm},
                                  {"tokens_per_s", tokens / dt}, {"mfu", mfu}, {"step_seconds", dt},
                                  {"aux_loss", run.model.last_aux_loss}, {"tower_grad_norm", tower_norm}};
        rc = root ? train_log_write(&run.log, step + 1, fields, run.store_tokens ? 8 : 7, err) : 0;
        result->steps_done = step + 1;
        if (progress) {
            char detail[160];
            snprintf(detail, sizeof detail, "step %ld/%ld loss %.4f lr %.2e %.0f tok/s mfu %.0f%%", step + 1, total,
                     loss, lr, tokens / dt, 100 * mfu);
            progress_set_detail(progress, detail);
            progress_advance(progress, 1, 0);
        }
        long done = step + 1;
        int last = done == end;
        if (rc == 0 && root && ((o->val_every > 0 && done % o->val_every == 0) || (last && done == total)))
            rc = sft_validate(&run, o, ev, done, &result->validation, err);
        if (rc == 0 && root && ((o->save_every > 0 && done % o->save_every == 0) || last))
            rc = sft_save(&run, o, done, state.elapsed_seconds + time_now_seconds() - run_start, hash, err);
    }
    if (progress) progress_end(progress);
    long n = recent_count < 10 ? recent_count : 10;
    for (long i = 0; i < n; i++) result->final_loss += recent[i] / (double)n;
    result->seconds = time_now_seconds() - run_start;
    sft_run_free(&run);
    return rc;
}

// The run folder's lock is held for the whole run (run.h).
int sft_train(const SftOptions *options, const SftEvents *ev, SftResult *result, Error *err) {
    TrainRunLock lock;
    if (train_run_lock(options->out_dir, "sft", options->dist, &lock, err) != 0) return -1;
    int rc = sft_train_locked(options, ev, result, err);
    train_run_unlock(options->out_dir, &lock, rc != 0);
    return rc;
}
