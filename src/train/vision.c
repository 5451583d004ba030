// vision.c — the vision tower's training loop (`iar train vision`): a fresh rendered batch every
// step, AdamW with warmup + cosine, validation on a fixed rendered set, train_log.jsonl, and
// checkpoints. OUT/state.bin alone is the resume point (parameters, batch-norm buffers, AdamW
// moments, step, checksum) written by one atomic rename, so a kill at any moment leaves either the
// old or the new state; OUT/tower.safetensors + tower.json are the tower for everyone else.
#include <cjson/cJSON.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "core/files.h"
#include "core/fnv1a.h"
#include "model/product_view.h"
#include "train/adamw.h"
#include "train/run.h"
#include "train/schedule.h"
#include "train/vision.h"

#define VISION_STATE_MAGIC "IARVIS01"
#define VISION_STATE_VERSION 1

void vision_options_default(VisionOptions *o) {
    memset(o, 0, sizeof *o);
    o->config_name = "small";
    o->steps = 4000;
    o->batch_size = 16;
    o->learning_rate = 2e-3f;
    o->min_lr_ratio = 0.05f;
    o->warmup_steps = 100;
    o->weight_decay = 0.01f;
    o->clip_norm = 1.0f;
    o->seed = 1;
    o->data_seed = 1000;
    o->val_seed = 999;
    o->val_samples = 200;
    o->val_every = 500;
    o->save_every = 250;
    o->difficulty = SYNTH_MIX;
    o->dimension_dropout = 0.2;
    tower_loss_weights_default(&o->weights);
}

// What must not change when a run is resumed (the step count may grow: the run is extended).
static uint64_t options_hash(const VisionOptions *o, const TowerConfig *config) {
    uint64_t h = FNV1A_START;
    // a frame tower hashes the fields it had before the product view existed (its runs resume)
    h = fnv1a_bytes(h, config, config->view ? sizeof *config : offsetof(TowerConfig, view));
    const void *fields[] = {&o->batch_size, &o->seed, &o->data_seed, &o->render_size, &o->difficulty};
    const size_t sizes[] = {sizeof o->batch_size, sizeof o->seed, sizeof o->data_seed, sizeof o->render_size,
                            sizeof o->difficulty};
    for (int i = 0; i < 5; i++) h = fnv1a_bytes(h, fields[i], sizes[i]);
    // fields added later enter only when set, so earlier runs keep their hash
    if (o->style != SYNTH_STYLE_RENDER) h = fnv1a_bytes(h, &o->style, sizeof o->style);
    if (o->dimensions) h = fnv1a_bytes(h, &o->dimensions, sizeof o->dimensions);
    return h;
}

typedef struct StateHeader {
    char magic[8];
    uint32_t version, reserved;
    int64_t step;
    uint64_t options_hash;
    double elapsed_seconds;
    uint64_t param_count, buffer_count;
} StateHeader;

static int state_save(const char *dir, const Tower *tower, const AdamW *opt, const StateHeader *header, Error *err) {
    size_t floats = tower->param_count * 3 + tower->buffer_count;
    size_t size = sizeof *header + floats * sizeof(float) + sizeof(uint64_t);
    unsigned char *buffer = malloc(size), *at = buffer;
    if (!buffer) return error_set(err, "vision: out of memory writing the state");
    memcpy(at, header, sizeof *header), at += sizeof *header;
    memcpy(at, tower->params, tower->param_count * sizeof(float)), at += tower->param_count * sizeof(float);
    memcpy(at, tower->buffers, tower->buffer_count * sizeof(float)), at += tower->buffer_count * sizeof(float);
    memcpy(at, opt->moments, 2 * tower->param_count * sizeof(float)), at += 2 * tower->param_count * sizeof(float);
    uint64_t checksum = fnv1a_bytes(FNV1A_START, buffer, (size_t)(at - buffer));
    memcpy(at, &checksum, sizeof checksum);
    char *path = path_join(dir, "state.bin");
    int rc = file_write_atomic(path, buffer, size, err);
    free(path);
    free(buffer);
    return rc;
}

static int state_load(const char *dir, Tower *tower, AdamW *opt, StateHeader *header, Error *err) {
    char *path = path_join(dir, "state.bin"), *bytes = NULL;
    size_t size = 0;
    int rc = file_read_all(path, 0, &bytes, &size, err);
    if (rc != 0) goto done;
    rc = -1;
    size_t floats = tower->param_count * 3 + tower->buffer_count;
    if (size != sizeof *header + floats * sizeof(float) + sizeof(uint64_t)) {
        error_set(err, "%s: %zu bytes, this tower's state needs %zu; it belongs to another config", path, size,
                  sizeof *header + floats * sizeof(float) + sizeof(uint64_t));
        goto done;
    }
    uint64_t checksum;
    memcpy(&checksum, bytes + size - sizeof checksum, sizeof checksum);
    if (checksum != fnv1a_bytes(FNV1A_START, bytes, size - sizeof checksum)) {
        error_set(err, "%s: checksum mismatch (a damaged file); delete it to start over", path);
        goto done;
    }
    memcpy(header, bytes, sizeof *header);
    if (memcmp(header->magic, VISION_STATE_MAGIC, 8) != 0 || header->version != VISION_STATE_VERSION) {
        error_set(err, "%s: not a vision-training state of version %d", path, VISION_STATE_VERSION);
        goto done;
    }
    const char *at = bytes + sizeof *header;
    memcpy(tower->params, at, tower->param_count * sizeof(float)), at += tower->param_count * sizeof(float);
    memcpy(tower->buffers, at, tower->buffer_count * sizeof(float)), at += tower->buffer_count * sizeof(float);
    memcpy(opt->moments, at, 2 * tower->param_count * sizeof(float));
    opt->step = header->step;
    rc = 0;
done:
    free(bytes);
    free(path);
    return rc;
}

// Keeps the lines of OUT/train_log.jsonl whose "step" is at most `step` (the resume rule: what a
// killed run logged after its last checkpoint is logged again by the resumed one, once).
static int log_truncate(const char *path, long step, Error *err) {
    char *text = NULL;
    size_t size = 0;
    if (!file_exists(path)) return 0;
    if (file_read_all(path, 0, &text, &size, err) != 0) return -1;
    char *out = malloc(size + 1);
    size_t used = 0;
    if (!out) {
        free(text);
        return error_set(err, "%s: out of memory", path);
    }
    for (char *line = text, *end; line < text + size; line = end + 1) {
        end = memchr(line, '\n', (size_t)(text + size - line));
        if (!end) break; // a torn last line is dropped
        cJSON *json = cJSON_ParseWithLength(line, (size_t)(end - line));
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(json, "step");
        if (cJSON_IsNumber(s) && s->valuedouble <= step) {
            memcpy(out + used, line, (size_t)(end - line) + 1);
            used += (size_t)(end - line) + 1;
        }
        cJSON_Delete(json);
    }
    int rc = file_write_atomic(path, out, used, err);
    free(out);
    free(text);
    return rc;
}

static void log_append(FILE *log, cJSON *json) {
    char *line = cJSON_PrintUnformatted(json);
    if (line) fprintf(log, "%s\n", line);
    free(line);
    fflush(log);
    cJSON_Delete(json);
}

static cJSON *score_json(const VisionScore *s) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "candidate_accuracy", round(vision_score_accuracy(s) * 10000) / 10000);
    cJSON_AddNumberToObject(o, "exact", round(vision_score_exact(s) * 10000) / 10000);
    cJSON_AddNumberToObject(o, "samples", (double)s->samples);
    return o;
}

static cJSON *vision_evaluation_json(const VisionEvaluation *e, long step) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "step", (double)step);
    cJSON_AddStringToObject(o, "split", "validation");
    cJSON_AddNumberToObject(o, "loss", e->loss);
    cJSON_AddItemToObject(o, "overall", score_json(&e->overall));
    static const char *const dims[4] = {"deformation", "lighting", "placement", "extension"};
    for (int d = 0; d < 4; d++) cJSON_AddItemToObject(o, dims[d], score_json(&e->dimension[d]));
    for (int d = 0; d < 3; d++) cJSON_AddItemToObject(o, synth_difficulty_id((SynthDifficulty)d), score_json(&e->difficulty[d]));
    cJSON *kinds = cJSON_AddObjectToObject(o, "kinds");
    for (int k = 0; k < DEFECT_KIND_COUNT; k++)
        if (e->kind[k].candidates)
            cJSON_AddNumberToObject(kinds, defect_kind_id((DefectKind)k),
                                    round(vision_score_accuracy(&e->kind[k]) * 10000) / 10000);
    return o;
}

static int checkpoint(const char *dir, const Tower *tower, const AdamW *opt, long step, uint64_t hash, double elapsed,
                      Error *err) {
    StateHeader header;
    memset(&header, 0, sizeof header);
    memcpy(header.magic, VISION_STATE_MAGIC, 8);
    header.version = VISION_STATE_VERSION;
    header.step = step;
    header.options_hash = hash;
    header.elapsed_seconds = elapsed;
    header.param_count = tower->param_count;
    header.buffer_count = tower->buffer_count;
    if (tower_save(tower, dir, err) != 0) return -1;
    return state_save(dir, tower, opt, &header, err);
}

// Batch norm's sums over the ranks (TowerSync.sum).
static int sync_sum(void *user, double *values, int count) {
    Error err = {0};
    return distributed_allreduce_sum_doubles(user, values, count, &err);
}

// One step's loss: the counts each term is a mean over are the global batch's, and the terms are
// summed over ranks for the log (every rank gets the same); in one process, tower_loss.
static int global_loss(Distributed *dist, Tower *tower, const TowerTargets *targets, const TowerLossWeights *weights,
                       int local_batch, TowerLoss *loss, Error *err) {
    TowerLossCounts counts;
    tower_loss_counts(tower, targets, local_batch, &counts);
    double sums[5] = {counts.candidates, counts.tokens, counts.classes[0], counts.classes[1], counts.classes[2]};
    if (distributed_allreduce_sum_doubles(dist, sums, 5, err) != 0) return -1;
    counts = (TowerLossCounts){sums[0], sums[1], {sums[2], sums[3], sums[4]}};
    *loss = tower_loss_global(tower, targets, weights, &counts);
    double parts[6] = {loss->total, loss->flaw, loss->token, loss->light, loss->shadow, loss->kind};
    if (distributed_allreduce_sum_doubles(dist, parts, 6, err) != 0) return -1;
    *loss = (TowerLoss){parts[0], parts[1], parts[2], parts[3], parts[4], parts[5]};
    return 0;
}

static int vision_train_locked(const VisionOptions *o, const VisionEvents *events, VisionResult *result, Error *err) {
    memset(result, 0, sizeof *result);
    if (o->batch_size < 1 || o->steps < 1 || o->val_samples < 0)
        return error_set(err, "vision: batch %d, steps %ld and validation samples %d must be positive", o->batch_size,
                         o->steps, o->val_samples);
    Distributed *dist = o->dist;
    int ranks = dist ? dist->size : 1, root = distributed_is_root(dist);
    if (o->batch_size < ranks)
        return error_set(err, "vision: a batch of %d samples cannot be split over %d processes", o->batch_size, ranks);
    size_t slice_first, slice_count; // this rank's samples of every global batch
    distributed_slice((size_t)o->batch_size, dist ? dist->rank : 0, ranks, &slice_first, &slice_count);
    int local_batch = (int)slice_count;
#ifdef _OPENMP
    if (o->threads > 0) omp_set_num_threads(o->threads);
#endif
    char *state_path = path_join(o->out_dir, "state.bin");
    int resumed = o->resume && file_exists(state_path), used = !resumed && file_exists(state_path);
    free(state_path);
    if (used)
        return error_set(err, "%s already holds a training run; pass --resume to continue it or choose another --out",
                         o->out_dir);
    const char *init_dir = resumed ? NULL : o->init_dir; // a resumed run continues its own weights
    TowerConfig config;
    if (resumed) {
        if (tower_config_load(&config, o->out_dir, err) != 0) return -1;
    } else if (init_dir) {
        if (tower_config_load(&config, init_dir, err) != 0) return -1;
        if (o->image_size > 0 && o->image_size != config.image_size)
            return error_set(err, "vision: --image-size %d differs from the %d px of the tower in %s", o->image_size,
                             config.image_size, init_dir);
    } else {
        if (tower_config_preset(&config, o->config_name, DEFECT_KIND_COUNT, err) != 0) return -1;
        if (o->image_size > 0) config.image_size = o->image_size;
        if (o->product_view_from > 0) { // the frame tower's grid: the preset's strides at that size
            TowerConfig frame = config;
            frame.image_size = o->product_view_from;
            config.view = 1;
            config.view_source = o->product_view_from;
            config.view_grid = tower_token_side(&frame);
        }
        if (tower_config_validate(&config, err) != 0) return -1;
    }
    if (root && dir_create_all(o->out_dir, err) != 0) return -1;

    Tower tower;
    AdamW opt;
    AdamWConfig adam;
    adamw_config_default(&adam);
    adam.weight_decay = o->weight_decay;
    adam.clip_norm = o->clip_norm;
    VisionBatch batch = {0}, validation = {0};
    FILE *log = NULL;
    char *log_path = path_join(o->out_dir, "train_log.jsonl");
    int rc = -1;
    // --init: the saved tower's weights and batch-norm statistics (its config is `config`)
    if ((init_dir ? tower_load(&tower, init_dir, o->batch_size, err)
                  : tower_create(&tower, &config, o->batch_size, o->seed, err)) != 0) {
        free(log_path);
        return -1;
    }
    if (adamw_create_tensors(&opt, tower.tensors, tower.tensor_count, tower.param_count, &adam, err) != 0) {
        tower_free(&tower);
        free(log_path);
        return -1;
    }
    if (ranks > 1) tower.sync = (TowerSync){sync_sum, dist, o->batch_size};
    uint64_t hash = options_hash(o, &config);
    long start = 0;
    double elapsed = 0;
    if (resumed) {
        StateHeader header;
        if (state_load(o->out_dir, &tower, &opt, &header, err) != 0) goto done;
        if (header.options_hash != hash) {
            error_set(err, "%s: resumed with another batch size, seed, data seed, render size, difficulty, style or "
                           "dimensions than the "
                           "run was started with", o->out_dir);
            goto done;
        }
        start = (long)header.step;
        elapsed = header.elapsed_seconds;
        if (root && log_truncate(log_path, start, err) != 0) goto done;
    }
    // every rank starts from rank 0's weights and statistics (they are equal already; this makes sure)
    if (distributed_broadcast_floats(dist, tower.params, tower.param_count, err) != 0 ||
        distributed_broadcast_floats(dist, tower.buffers, tower.buffer_count, err) != 0)
        goto done;
    log = root ? fopen(log_path, resumed ? "a" : "w") : NULL;
    if (root && !log) {
        error_set(err, "%s: cannot open for writing", log_path);
        goto done;
    }
    SynthConfig train_synth, val_synth;
    synth_config_default(&train_synth);
    train_synth.seed = o->data_seed;
    train_synth.size = o->render_size > 0 ? o->render_size : config.view ? config.view_source : config.image_size;
    if (train_synth.size < SYNTH_MIN_SIZE) train_synth.size = SYNTH_MIN_SIZE;
    train_synth.difficulty = o->difficulty;
    train_synth.style = o->style;
    train_synth.dimensions = o->dimensions;
    train_synth.photos = o->photos;
    val_synth = train_synth;
    val_synth.seed = o->val_seed;
    if (vision_batch_create(&batch, local_batch, &config, err) != 0) goto done;
    batch.jitter = 1;
    if (root && o->val_samples > 0) {
        if (vision_batch_create(&validation, o->val_samples, &config, err) != 0) goto done;
        if (vision_batch_render(&validation, &val_synth, 0, o->val_samples, &config, 0.0, err) != 0) goto done;
    }
    if (!root) events = NULL; // rank 0 reports
    if (events && events->on_start)
        events->on_start(events->user, &config, tower.param_count, start, o->steps, resumed);
    Progress *progress = events ? events->progress : NULL;
    if (progress) {
        progress->total = (size_t)o->steps;
        progress_resume(progress, (size_t)start);
    }
    LrSchedule schedule = {o->learning_rate, o->min_lr_ratio, o->warmup_steps, o->steps};
    long end = o->stop_at > 0 && o->stop_at < o->steps ? o->stop_at : o->steps;
    double render_total = 0, train_total = 0, t_run = time_now_seconds();
    long steps_run = 0;
    for (long step = start; step < end; step++) {
        double t0 = time_now_seconds();
        if (vision_batch_render(&batch, &train_synth, (size_t)step * o->batch_size + slice_first, local_batch, &config,
                                o->dimension_dropout, err) != 0)
            goto done;
        double t1 = time_now_seconds();
        tower_zero_grad(&tower);
        if (tower_forward(&tower, batch.images, batch.dimension, local_batch, 1, NULL, err) != 0) goto done;
        TowerTargets targets = {batch.flawed, batch.token_targets, batch.light, batch.shadow, batch.kind};
        TowerLoss loss; // one process: its own counts (the sums over ranks are no-ops)
        if (global_loss(dist, &tower, &targets, &o->weights, local_batch, &loss, err) != 0) goto done;
        if (tower_backward(&tower, err) != 0 || distributed_allreduce_sum(dist, tower.grads, tower.param_count, err) != 0)
            goto done;
        float lr = schedule_learning_rate(&schedule, step);
        double norm = adamw_update_tensors(&opt, tower.params, tower.grads, tower.tensors, lr);
        double t2 = time_now_seconds();
        render_total += t1 - t0;
        train_total += t2 - t1;
        steps_run++;
        if (!root) { // rank 0 alone logs, validates and saves
            result->steps_done = step + 1;
            continue;
        }
        cJSON *line = cJSON_CreateObject();
        cJSON_AddNumberToObject(line, "step", (double)(step + 1));
        cJSON_AddNumberToObject(line, "loss", loss.total);
        cJSON_AddNumberToObject(line, "flaw", loss.flaw);
        cJSON_AddNumberToObject(line, "token", loss.token);
        cJSON_AddNumberToObject(line, "light", loss.light);
        cJSON_AddNumberToObject(line, "shadow", loss.shadow);
        cJSON_AddNumberToObject(line, "kind", loss.kind);
        cJSON_AddNumberToObject(line, "lr", lr);
        cJSON_AddNumberToObject(line, "grad_norm", isfinite(norm) ? norm : -1);
        cJSON_AddNumberToObject(line, "render_s", round((t1 - t0) * 1e4) / 1e4);
        cJSON_AddNumberToObject(line, "train_s", round((t2 - t1) * 1e4) / 1e4);
        log_append(log, line);
        if (progress) {
            char detail[160];
            snprintf(detail, sizeof detail, "loss %.4f flaw %.4f token %.4f | render %.0f/s train %.0f/s", loss.total,
                     loss.flaw, loss.token, ranks * local_batch / (t1 - t0), ranks * local_batch / (t2 - t1));
            progress_set_detail(progress, detail);
            progress_advance(progress, 1, 0);
        }
        long done_steps = step + 1;
        int last = done_steps == end;
        if (validation.count > 0 && ((o->val_every > 0 && done_steps % o->val_every == 0) || last)) {
            if (vision_evaluate(&tower, NULL, &validation, o->batch_size, &result->validation, err) != 0) goto done;
            log_append(log, vision_evaluation_json(&result->validation, done_steps));
            if (events && events->on_validation) events->on_validation(events->user, done_steps, &result->validation);
        }
        if ((o->save_every > 0 && done_steps % o->save_every == 0) || last) {
            if (checkpoint(o->out_dir, &tower, &opt, done_steps, hash, elapsed + time_now_seconds() - t_run, err) != 0)
                goto done;
        }
        result->steps_done = done_steps;
    }
    if (start >= end && validation.count > 0) { // nothing left to train: report the checkpoint as it is
        if (vision_evaluate(&tower, NULL, &validation, o->batch_size, &result->validation, err) != 0) goto done;
        result->steps_done = start;
    }
    result->seconds = time_now_seconds() - t_run;
    // every rank renders and trains its slice at the same time: the global rate is ranks × rank 0's
    result->render_samples_per_second = render_total > 0 ? (double)steps_run * ranks * local_batch / render_total : 0;
    result->train_samples_per_second = train_total > 0 ? (double)steps_run * ranks * local_batch / train_total : 0;
    rc = 0;
done:
    if (log) fclose(log);
    free(log_path);
    vision_batch_free(&batch);
    vision_batch_free(&validation);
    adamw_free(&opt);
    tower_free(&tower);
    return rc;
}

int vision_evaluate_checkpoint(const VisionOptions *o, VisionEvaluation *out, Error *err) {
#ifdef _OPENMP
    if (o->threads > 0) omp_set_num_threads(o->threads);
#endif
    if (o->val_samples < 1) return error_set(err, "vision: --val-samples must be at least 1 to evaluate");
    Tower tower, product = {0};
    if (tower_load(&tower, o->out_dir, o->batch_size, err) != 0) return -1;
    if (o->product_dir) {
        if (tower_load(&product, o->product_dir, o->batch_size, err) != 0) {
            tower_free(&tower);
            return -1;
        }
        if (!product_view_fits(&product.config, &tower.config)) {
            error_set(err, "%s: not a product-view tower of %s's %d px input", o->product_dir, o->out_dir,
                      tower.config.image_size);
            tower_free(&product);
            tower_free(&tower);
            return -1;
        }
    }
    SynthConfig synth;
    synth_config_default(&synth);
    synth.seed = o->val_seed;
    synth.size = o->render_size > 0   ? o->render_size
                 : tower.config.view ? tower.config.view_source
                                     : tower.config.image_size;
    if (synth.size < SYNTH_MIN_SIZE) synth.size = SYNTH_MIN_SIZE;
    synth.difficulty = o->difficulty;
    synth.style = o->style;
    synth.dimensions = o->dimensions;
    synth.photos = o->photos;
    VisionBatch set;
    int rc = vision_batch_create(&set, o->val_samples, &tower.config, err);
    if (rc == 0) rc = vision_batch_render(&set, &synth, 0, o->val_samples, &tower.config, 0.0, err);
    if (rc == 0) rc = vision_evaluate(&tower, o->product_dir ? &product : NULL, &set, o->batch_size, out, err);
    vision_batch_free(&set);
    tower_free(&tower);
    if (o->product_dir) tower_free(&product);
    return rc;
}

// The run folder's lock is held for the whole run (run.h).
int vision_train(const VisionOptions *o, const VisionEvents *events, VisionResult *result, Error *err) {
    TrainRunLock lock;
    if (train_run_lock(o->out_dir, "vision", o->dist, &lock, err) != 0) return -1;
    int rc = vision_train_locked(o, events, result, err);
    train_run_unlock(o->out_dir, &lock, rc != 0);
    return rc;
}
