// summary.c — per-dimension means, the exact random-guess baseline, latency and token totals, and
// summary.json.
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/files.h"
#include "eval/baseline.h"
#include "eval/summary.h"

static int compare_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double percentile_sorted(const double *values, size_t count, double q) {
    if (count == 0) return 0.0;
    size_t i = (size_t)floor(q * (double)(count - 1) + 0.5);
    return values[i < count ? i : count - 1];
}

void eval_summary_compute(EvalSummary *out, const EvalRecords *records, const EvalRunInfo *info) {
    memset(out, 0, sizeof *out);
    size_t set_counts[16] = {0};
    double *latencies = malloc((records->count + 1) * sizeof *latencies);
    size_t latency_count = 0;
    double latency_sum = 0.0;
    for (size_t i = 0; i < records->count; i++) {
        const EvalRecord *r = &records->items[i];
        out->samples++;
        if (r->gold_unknown) out->unlabelled++;
        int groups[2] = {SUMMARY_OVERALL, r->dimension >= 0 && r->dimension < DIMENSION_COUNT ? r->dimension : -1};
        for (int g = 0; g < 2; g++) {
            if (groups[g] < 0 || r->gold_unknown) continue;
            out->count[groups[g]]++;
            for (int k = 0; k < SCORE_KIND_COUNT; k++) {
                out->mean[groups[g]][k] += r->scores[k];
                out->random_mean[groups[g]][k] += baseline_random_expected((ScoreKind)k, r->gold);
            }
        }
        if (!r->gold_unknown) {
            set_counts[r->gold & 15]++;
            out->answer_size_histogram[answer_set_size(r->gold)]++;
        }
        if (r->parse == ANSWER_PARSE_FAILED) out->parse_failures++;
        if (r->parse == ANSWER_PARSED_FALLBACK) out->fallback_parses++;
        if (r->error) out->request_errors++;
        if (r->error && !r->error_permanent) out->transient_errors++;
        if (r->format_ok) out->format_ok++;
        if (r->cached) out->cached++;
        if (!r->error && !r->cached) {
            latency_sum += r->latency_seconds;
            if (latencies) latencies[latency_count] = r->latency_seconds;
            latency_count++;
        }
        if (r->prompt_tokens > 0) out->prompt_tokens += r->prompt_tokens;
        if (r->completion_tokens > 0) out->completion_tokens += r->completion_tokens;
    }
    for (int g = 0; g < SUMMARY_GROUPS; g++)
        for (int k = 0; k < SCORE_KIND_COUNT; k++)
            if (out->count[g]) {
                out->mean[g][k] /= (double)out->count[g];
                out->random_mean[g][k] /= (double)out->count[g];
            }
    for (int s = 0; s < 16; s++)
        if (out->samples > out->unlabelled)
            out->prior_exact += pow((double)set_counts[s] / (double)(out->samples - out->unlabelled), 2.0);
    if (latency_count) {
        out->latency_mean_seconds = latency_sum / (double)latency_count;
        if (latencies) {
            qsort(latencies, latency_count, sizeof *latencies, compare_double);
            out->latency_p50_seconds = percentile_sorted(latencies, latency_count, 0.50);
            out->latency_p95_seconds = percentile_sorted(latencies, latency_count, 0.95);
        }
    }
    free(latencies);
    out->cost_usd = -1.0;
    if (info && info->price_in_per_million >= 0 && info->price_out_per_million >= 0)
        out->cost_usd = ((double)out->prompt_tokens * info->price_in_per_million +
                         (double)out->completion_tokens * info->price_out_per_million) / 1e6;
}

static double percent(double x) { return round(x * 1e6) / 1e4; } // 0..1 -> 0..100, 4 decimals

static cJSON *scores_object(const double values[SCORE_KIND_COUNT]) {
    cJSON *o = cJSON_CreateObject();
    for (int k = 0; k < SCORE_KIND_COUNT; k++) cJSON_AddNumberToObject(o, score_name((ScoreKind)k), percent(values[k]));
    return o;
}

char *eval_summary_to_json(const EvalSummary *s, const EvalRunInfo *info) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "format_version", EVAL_FORMAT_VERSION);
    if (info) {
        cJSON_AddStringToObject(o, "name", info->name);
        cJSON_AddStringToObject(o, "model", info->model_spec);
        cJSON_AddStringToObject(o, "data", info->data_path);
    }
    cJSON_AddNumberToObject(o, "samples", (double)s->samples);
    cJSON_AddNumberToObject(o, "unlabelled", (double)s->unlabelled);
    cJSON *overall = cJSON_AddObjectToObject(o, "overall");
    cJSON_AddNumberToObject(overall, "count", (double)s->count[SUMMARY_OVERALL]);
    cJSON_AddItemToObject(overall, "scores", scores_object(s->mean[SUMMARY_OVERALL]));
    cJSON_AddItemToObject(overall, "random", scores_object(s->random_mean[SUMMARY_OVERALL]));
    cJSON *dims = cJSON_AddObjectToObject(o, "dimensions");
    for (int d = 0; d < DIMENSION_COUNT; d++) {
        cJSON *one = cJSON_AddObjectToObject(dims, dimension_id((Dimension)d));
        cJSON_AddStringToObject(one, "title", dimension_title((Dimension)d));
        cJSON_AddNumberToObject(one, "count", (double)s->count[d]);
        cJSON_AddItemToObject(one, "scores", scores_object(s->mean[d]));
        cJSON_AddItemToObject(one, "random", scores_object(s->random_mean[d]));
    }
    cJSON_AddNumberToObject(o, "prior_guess_exact", percent(s->prior_exact));
    cJSON *hist = cJSON_AddArrayToObject(o, "gold_size_histogram");
    for (int i = 0; i <= CANDIDATE_COUNT; i++) cJSON_AddItemToArray(hist, cJSON_CreateNumber((double)s->answer_size_histogram[i]));
    cJSON *parse = cJSON_AddObjectToObject(o, "parse");
    cJSON_AddNumberToObject(parse, "failures", (double)s->parse_failures);
    cJSON_AddNumberToObject(parse, "failure_rate", s->samples ? percent((double)s->parse_failures / (double)s->samples) : 0);
    cJSON_AddNumberToObject(parse, "fallback", (double)s->fallback_parses);
    cJSON_AddNumberToObject(parse, "format_ok", (double)s->format_ok);
    cJSON_AddNumberToObject(o, "request_errors", (double)s->request_errors);
    cJSON_AddNumberToObject(o, "request_errors_transient", (double)s->transient_errors);
    cJSON_AddNumberToObject(o, "cached", (double)s->cached);
    cJSON *latency = cJSON_AddObjectToObject(o, "latency_s");
    cJSON_AddNumberToObject(latency, "mean", round(s->latency_mean_seconds * 1e6) / 1e6);
    cJSON_AddNumberToObject(latency, "p50", round(s->latency_p50_seconds * 1e6) / 1e6);
    cJSON_AddNumberToObject(latency, "p95", round(s->latency_p95_seconds * 1e6) / 1e6);
    cJSON *tokens = cJSON_AddObjectToObject(o, "tokens");
    cJSON_AddNumberToObject(tokens, "prompt", (double)s->prompt_tokens);
    cJSON_AddNumberToObject(tokens, "completion", (double)s->completion_tokens);
    if (s->cost_usd >= 0) cJSON_AddNumberToObject(o, "cost_usd", round(s->cost_usd * 1e6) / 1e6);
    else cJSON_AddNullToObject(o, "cost_usd");
    char *text = cJSON_Print(o);
    cJSON_Delete(o);
    return text;
}

int eval_summary_write(const EvalSummary *summary, const EvalRunInfo *info, const char *path, Error *err) {
    char *text = eval_summary_to_json(summary, info);
    if (!text) return error_set(err, "out of memory");
    size_t n = strlen(text);
    text[n] = '\n';
    int status = file_write_atomic(path, text, n + 1, err);
    free(text);
    return status;
}

int eval_run_data_load(EvalRunData *out, const char *run_dir, Error *err) {
    memset(out, 0, sizeof *out);
    out->dir = string_duplicate(run_dir);
    char *info_path = path_join(run_dir, "run.json");
    char *predictions_path = path_join(run_dir, "predictions.jsonl");
    int status = -1;
    if (!out->dir || !info_path || !predictions_path) error_set(err, "out of memory");
    else if (!file_exists(predictions_path))
        error_set(err, "%s: not an eval run folder (no predictions.jsonl); run `iar eval` first", run_dir);
    else if (eval_run_info_load(&out->info, info_path, err) == 0 &&
             eval_predictions_load(&out->records, predictions_path, err) == 0)
        status = 0;
    free(info_path);
    free(predictions_path);
    if (status != 0) {
        eval_run_data_free(out);
        return -1;
    }
    if (!out->info.name[0]) snprintf(out->info.name, sizeof out->info.name, "%s", out->info.backend_name);
    eval_summary_compute(&out->summary, &out->records, &out->info);
    return 0;
}

void eval_run_data_free(EvalRunData *run) {
    free(run->dir);
    eval_records_free(&run->records);
    memset(run, 0, sizeof *run);
}
