// grpo_log.c — what a GRPO run reports: reward statistics of a step, the train_log.jsonl line and
// sample rollouts in rollouts.jsonl.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/rng.h"
#include "core/utf8.h"
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
        {"logprob_gap_max", s->logprob_gap_max},
        {"logprob_gap_mean", s->logprob_gap_mean},
        {"skipped_updates", s->skipped_updates},
        {"rollout_seconds", s->rollout_seconds},
        {"update_seconds", s->update_seconds},
        {"tower_grad_norm", s->tower_grad_norm}, // last: written only while the heads can train
    };
    int count = (int)(sizeof fields / sizeof fields[0]) - (run->train_tower_heads ? 0 : 1);
    return train_log_write(&run->log, step, fields, count, err);
}

// Letters as a JSON array ("gold": ["B", "D"], as in predictions.jsonl).
static cJSON *letters_array(AnswerSet set) {
    cJSON *array = cJSON_CreateArray();
    for (int i = 0; array && i < CANDIDATE_COUNT; i++)
        if (set & (1u << i)) cJSON_AddItemToArray(array, cJSON_CreateString((const char[]){(char)('A' + i), 0}));
    return array;
}

// One line per completion with the field types of predictions.jsonl (letters as arrays, null when
// unparsed) plus what TRL/verl users look for: the ground truth, every reward part, the advantage,
// and the mean and standard deviation of its group's rewards.
int grpo_log_rollouts(GrpoRun *run, long step, int prompts, Error *err) {
    const GrpoRows *rows = &run->rows;
    int G = run->options->group_size;
    for (int i = 0; i < prompts * G && i < rows->count; i++) {
        const Sample *sample = &run->train.samples[rows->sample_index[i]];
        const RewardResult *reward = &rows->rewards[i];
        int first = i - i % G, members = 0;
        double mean = 0, variance = 0;
        for (int k = first; k < first + G && k < rows->count; k++) mean += rows->rewards[k].total, members++;
        mean /= members ? members : 1;
        for (int k = first; k < first + G && k < rows->count; k++)
            variance += (rows->rewards[k].total - mean) * (rows->rewards[k].total - mean);
        char gold[16], truth[40];
        answer_set_format(sample->answer, gold, sizeof gold);
        snprintf(truth, sizeof truth, "<answer>%s</answer>", gold);
        cJSON *json = cJSON_CreateObject();
        cJSON_AddNumberToObject(json, "step", (double)step);
        cJSON_AddStringToObject(json, "id", sample->id);
        cJSON_AddStringToObject(json, "dimension", dimension_id(sample->dimension));
        cJSON_AddItemToObject(json, "gold", letters_array(sample->answer));
        cJSON_AddStringToObject(json, "ground_truth", truth);
        if (reward->parsed) cJSON_AddItemToObject(json, "predicted", letters_array(reward->predicted));
        else cJSON_AddNullToObject(json, "predicted");
        cJSON_AddStringToObject(json, "parse", reward->parsed ? "parsed" : "failed");
        char *completion = utf8_sanitize(rows->completions[i]); // model bytes; JSON needs UTF-8
        cJSON_AddStringToObject(json, "completion", completion ? completion : "");
        free(completion);
        cJSON *parts = cJSON_AddObjectToObject(json, "rewards");
        cJSON_AddNumberToObject(parts, "format", reward->format);
        cJSON_AddNumberToObject(parts, "accuracy", reward->accuracy);
        cJSON_AddNumberToObject(parts, "exact", reward->exact);
        cJSON_AddNumberToObject(parts, "prop", reward->prop);
        cJSON_AddNumberToObject(json, "format", reward->format);
        cJSON_AddNumberToObject(json, "accuracy", reward->accuracy);
        cJSON_AddNumberToObject(json, "reward", reward->total);
        cJSON_AddNumberToObject(json, "advantage", rows->advantages[i]);
        cJSON_AddNumberToObject(json, "group_mean", mean);
        cJSON_AddNumberToObject(json, "group_std", members > 1 ? sqrt(variance / members) : 0.0);
        cJSON_AddBoolToObject(json, "truncated", rows->truncated[i]);
        char *line = cJSON_PrintUnformatted(json);
        cJSON_Delete(json);
        int rc = line ? train_log_write_json(&run->rollouts, line, err) : error_set(err, "GRPO: out of memory");
        free(line);
        if (rc != 0) return -1;
    }
    return 0;
}
