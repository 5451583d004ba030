// grpo_log.c — what a GRPO run reports: reward statistics of a step, the train_log.jsonl line,
// sample rollouts in rollouts.jsonl, greedy validation, and the hard-case pool refresh.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/files.h"
#include "core/rng.h"
#include "train/grpo_internal.h"

uint64_t grpo_rollout_seed(uint64_t seed, long step, uint64_t slot) {
    return rng_hash(seed, (uint64_t)step, RNG_PURPOSE_SAMPLING, slot);
}

enum { FIELD_TOTAL, FIELD_FORMAT, FIELD_ACCURACY };

static double reward_field(const RewardResult *r, int field) {
    return field == FIELD_TOTAL ? r->total : field == FIELD_FORMAT ? r->format : r->accuracy;
}

// Mean and unbiased standard deviation of one reward component over the rows.
static void reward_mean_std(const GrpoRows *rows, int field, double *mean, double *std) {
    int n = rows->count;
    double sum = 0, sq = 0;
    for (int i = 0; i < n; i++) sum += reward_field(&rows->rewards[i], field);
    *mean = n ? sum / n : 0;
    for (int i = 0; i < n; i++) {
        double d = reward_field(&rows->rewards[i], field) - *mean;
        sq += d * d;
    }
    *std = n > 1 ? sqrt(sq / (n - 1)) : 0;
}

void grpo_step_stats_rewards(const GrpoRows *rows, int zero_signal_groups, int group_count, GrpoStepStats *stats) {
    int n = rows->count;
    double exact = 0, prop = 0, fails = 0, truncated = 0, length = 0;
    for (int i = 0; i < n; i++) {
        exact += rows->rewards[i].exact;
        prop += rows->rewards[i].prop;
        fails += !rows->rewards[i].parsed;
        truncated += rows->truncated[i];
        length += rows->completion_len[i];
    }
    reward_mean_std(rows, FIELD_TOTAL, &stats->reward_mean, &stats->reward_std);
    reward_mean_std(rows, FIELD_FORMAT, &stats->format_mean, &stats->format_std);
    reward_mean_std(rows, FIELD_ACCURACY, &stats->accuracy_mean, &stats->accuracy_std);
    double d = n ? n : 1;
    stats->exact_mean = exact / d;
    stats->prop_mean = prop / d;
    stats->parse_fail_fraction = fails / d;
    stats->truncated_fraction = truncated / d;
    stats->completion_len_mean = length / d;
    stats->zero_signal_fraction = group_count ? (double)zero_signal_groups / group_count : 0;
}

int grpo_log_step(GrpoRun *run, long step, const GrpoStepStats *s, Error *err) {
    const TrainLogField fields[] = {
        {"lambda", s->lambda},
        {"lr", s->learning_rate},
        {"reward_mean", s->reward_mean},
        {"reward_std", s->reward_std},
        {"format_mean", s->format_mean},
        {"format_std", s->format_std},
        {"accuracy_mean", s->accuracy_mean},
        {"accuracy_std", s->accuracy_std},
        {"exact_mean", s->exact_mean},
        {"prop_mean", s->prop_mean},
        {"parse_fail", s->parse_fail_fraction},
        {"zero_signal", s->zero_signal_fraction},
        {"truncated", s->truncated_fraction},
        {"completion_len", s->completion_len_mean},
        {"loss", s->loss.loss},
        {"kl", s->loss.kl},
        {"clip_fraction", s->loss.clip_fraction},
        {"clip_low", s->loss.clip_low_fraction},
        {"clip_high", s->loss.clip_high_fraction},
        {"ratio_mean", s->loss.ratio_mean},
        {"entropy", s->entropy},
        {"grad_norm", s->grad_norm},
        {"skipped_updates", s->skipped_updates},
        {"rollout_seconds", s->rollout_seconds},
        {"update_seconds", s->update_seconds},
    };
    return train_log_write(&run->log, step, fields, (int)(sizeof fields / sizeof fields[0]), err);
}

// Keeps the lines of an existing rollouts.jsonl whose step is <= resume_step (a resumed run then
// reads as if it had never stopped), or truncates it for a fresh run.
int grpo_rollouts_file_open(GrpoRun *run, long resume_step, Error *err) {
    char *path = path_join(run->options->out_dir, "rollouts.jsonl");
    if (!path) return error_set(err, "GRPO: out of memory");
    char *kept = NULL;
    size_t kept_size = 0;
    if (resume_step >= 0 && file_exists(path)) {
        char *text = NULL;
        size_t size = 0;
        if (file_read_all(path, 0, &text, &size, err) != 0) {
            free(path);
            return -1;
        }
        kept = malloc(size + 1);
        for (char *line = text; kept && line && *line;) {
            char *end = strchr(line, '\n');
            size_t length = end ? (size_t)(end - line) + 1 : strlen(line);
            cJSON *json = cJSON_ParseWithLength(line, length);
            cJSON *step = cJSON_GetObjectItemCaseSensitive(json, "step");
            if (cJSON_IsNumber(step) && step->valuedouble <= (double)resume_step) {
                memcpy(kept + kept_size, line, length);
                kept_size += length;
            }
            cJSON_Delete(json);
            line = end ? end + 1 : NULL;
        }
        free(text);
    }
    run->rollouts_file = fopen(path, "w");
    if (run->rollouts_file && kept_size) fwrite(kept, 1, kept_size, run->rollouts_file);
    free(kept);
    if (!run->rollouts_file) {
        error_set(err, "cannot write %s (check that the folder is writable)", path);
        free(path);
        return -1;
    }
    free(path);
    return 0;
}

int grpo_log_rollouts(GrpoRun *run, long step, int prompts, Error *err) {
    const GrpoRows *rows = &run->rows;
    int G = run->options->group_size;
    for (int i = 0; i < prompts * G && i < rows->count; i++) {
        const Sample *sample = &run->train.samples[rows->sample_index[i]];
        char gold[16], predicted[16];
        answer_set_format(sample->answer, gold, sizeof gold);
        answer_set_format(rows->rewards[i].predicted, predicted, sizeof predicted);
        cJSON *json = cJSON_CreateObject();
        cJSON_AddNumberToObject(json, "step", (double)step);
        cJSON_AddStringToObject(json, "id", sample->id);
        cJSON_AddStringToObject(json, "dimension", dimension_id(sample->dimension));
        cJSON_AddStringToObject(json, "gold", gold);
        cJSON_AddStringToObject(json, "predicted", rows->rewards[i].parsed ? predicted : "(unparsed)");
        cJSON_AddStringToObject(json, "completion", rows->completions[i] ? rows->completions[i] : "");
        cJSON_AddNumberToObject(json, "format", rows->rewards[i].format);
        cJSON_AddNumberToObject(json, "accuracy", rows->rewards[i].accuracy);
        cJSON_AddNumberToObject(json, "reward", rows->rewards[i].total);
        cJSON_AddNumberToObject(json, "advantage", rows->advantages[i]);
        cJSON_AddBoolToObject(json, "truncated", rows->truncated[i]);
        char *line = cJSON_PrintUnformatted(json);
        cJSON_Delete(json);
        if (!line || fprintf(run->rollouts_file, "%s\n", line) < 0) {
            free(line);
            return error_set(err, "GRPO: cannot write rollouts.jsonl");
        }
        free(line);
    }
    fflush(run->rollouts_file);
    return 0;
}

int grpo_validate(GrpoRun *run, long step, double *exact, double *prop, Error *err) {
    *exact = *prop = NAN;
    if (!run->has_val) return 0;
    size_t n = run->val.count;
    if (run->options->val_limit && run->options->val_limit < n) n = run->options->val_limit;
    double sum_exact = 0, sum_prop = 0, fails = 0;
    RewardConfig exact_reward = run->options->reward;
    exact_reward.accuracy = reward_find("exact");
    for (size_t i = 0; i < n; i++) {
        if (grpo_rollout_prompt(&run->policy, &run->sampler, &run->val_source, i, 1, 0.0f, 1.0f, 0, &exact_reward,
                                1.0, &run->probe, 0, err) != 0)
            return -1;
        sum_exact += run->probe.rewards[0].exact;
        sum_prop += run->probe.rewards[0].prop;
        fails += !run->probe.rewards[0].parsed;
    }
    *exact = sum_exact / (double)n;
    *prop = sum_prop / (double)n;
    const TrainLogField fields[] = {{"val_exact", *exact}, {"val_prop", *prop}, {"val_parse_fail", fails / n},
                                    {"val_samples", (double)n}};
    return train_log_write_tagged(&run->log, step, "event", "validation", fields, 4, err);
}

int grpo_hcm_refresh(GrpoRun *run, long step, double lambda, Error *err) {
    const GrpoOptions *o = run->options;
    double start = time_now_seconds();
    size_t count = hcm_pool_select_subset(&run->pool, &o->hcm_options, o->seed, step, run->scratch_indices);
    int k = o->hcm_options.rollouts;
    for (size_t i = 0; i < count; i++) {
        size_t index = run->scratch_indices[i];
        uint64_t seed = grpo_rollout_seed(o->seed ^ 0x4843u, step, index); // "HC": apart from training draws
        if (grpo_rollout_prompt(&run->policy, &run->sampler, &run->train_source, index, k, o->temperature, o->top_p,
                                seed, &o->reward, lambda, &run->probe, 0, err) != 0)
            return -1;
        double sum = 0;
        for (int j = 0; j < k; j++) sum += run->probe.rewards[j].accuracy;
        hcm_pool_record(&run->pool, index, sum / k, step);
    }
    hcm_pool_reweight(&run->pool, &o->hcm_options);
    HcmPoolStats s;
    hcm_pool_stats(&run->pool, &o->hcm_options, &s);
    const TrainLogField fields[] = {
        {"hcm_scored_now", (double)count},       {"hcm_scored", (double)s.scored},
        {"hcm_hard", (double)s.hard},            {"hcm_solved", (double)s.solved},
        {"hcm_failed", (double)s.failed},        {"hcm_mean_reward", s.mean_reward},
        {"hcm_hard_mean_reward", s.hard_mean_reward}, {"hcm_hard_share", s.hard_share},
        {"hcm_seconds", time_now_seconds() - start},
    };
    if (!run->log.file) return 0; // not rank 0: the pool is updated, the log is rank 0's
    return train_log_write_tagged(&run->log, step, "event", "hcm", fields, (int)(sizeof fields / sizeof fields[0]),
                                  err);
}
