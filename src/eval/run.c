// run.c — `iar eval` as a library call: lock the run folder, select samples, open the backend, append
// one line per result to predictions.jsonl (flushed, so a kill loses at most the line being written),
// resume by skipping ids already there (asking again where a request failed for a passing reason),
// then regenerate summary.json and the reports.
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/files.h"
#include "data/id_index.h"
#include "eval/eval.h"
#include "eval/report.h"
#include "eval/summary.h"

void eval_run_options_default(EvalRunOptions *options) {
    memset(options, 0, sizeof *options);
    options->price_in_per_million = -1.0;
    options->price_out_per_million = -1.0;
    backend_options_default(&options->backend);
}

// USD per million tokens (input, output); list prices at the time of writing, for an estimate only.
static const struct { const char *prefix; double in, out; } PRICES[] = {
    {"gpt-4o-mini", 0.15, 0.60}, {"gpt-4o", 2.50, 10.00},   {"gpt-4.1-nano", 0.10, 0.40},
    {"gpt-4.1-mini", 0.40, 1.60}, {"gpt-4.1", 2.00, 8.00},  {"o4-mini", 1.10, 4.40},
    {"qwen-vl-max", 0.80, 3.20},  {"qwen-vl-plus", 0.21, 0.63}, {"gemini-2.0-flash", 0.10, 0.40},
};

int eval_price_lookup(const char *model, double *price_in, double *price_out) {
    *price_in = *price_out = 0.0;
    for (size_t i = 0; i < sizeof PRICES / sizeof PRICES[0]; i++)
        if (strncmp(model, PRICES[i].prefix, strlen(PRICES[i].prefix)) == 0) {
            *price_in = PRICES[i].in;
            *price_out = PRICES[i].out;
            return 1;
        }
    return 0;
}

static void sanitise(char *s) {
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '.' ||
              *s == '-' || *s == '_'))
            *s = '-';
}

void eval_default_run_name(char *buffer, size_t size, const char *backend_name, const char *data_path) {
    char stem[256], parent[256] = "";
    const char *base = strrchr(data_path, '/');
    snprintf(stem, sizeof stem, "%s", base ? base + 1 : data_path);
    char *dot = strstr(stem, ".jsonl");
    if (dot) *dot = 0;
    if (base) {
        const char *p = base;
        while (p > data_path && p[-1] != '/') p--;
        snprintf(parent, sizeof parent, "%.*s", (int)(base - p), p);
    }
    // "bench1/data.jsonl" is the dataset "bench1"; "bench1/test.jsonl" is "bench1-test".
    char dataset[512];
    if (parent[0] && strcmp(parent, ".") != 0 && strcmp(parent, "..") != 0)
        snprintf(dataset, sizeof dataset, "%s%s%s", parent, strcmp(stem, "data") ? "-" : "", strcmp(stem, "data") ? stem : "");
    else snprintf(dataset, sizeof dataset, "%s", stem);
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    snprintf(buffer, size, "%s_%s_%04d%02d%02d", backend_name, dataset, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    sanitise(buffer);
}

// Indices of the samples to evaluate: the --ids file's order (unknown ids are errors), then --limit.
static int select_samples(const Dataset *dataset, const EvalRunOptions *options, size_t **out, size_t *count, Error *err) {
    size_t *indices = malloc((dataset->count + 1) * sizeof *indices);
    if (!indices) return error_set(err, "out of memory");
    size_t n = 0;
    if (!options->ids_path) {
        for (size_t i = 0; i < dataset->count; i++) indices[n++] = i;
    } else {
        char *text = NULL;
        if (file_read_all(options->ids_path, 64u << 20, &text, NULL, err) != 0) {
            free(indices);
            return -1;
        }
        unsigned char *used = calloc(dataset->count + 1, 1);
        size_t line_number = 0;
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            line_number++;
            char *end = line + strlen(line);
            while (end > line && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t')) *--end = 0;
            while (*line == ' ' || *line == '\t') line++;
            if (!*line || *line == '#') continue;
            const Sample *sample = dataset_find(dataset, line);
            if (!sample) {
                error_set(err, "%s:%zu: id '%.200s' is not in %s", options->ids_path, line_number, line, dataset->path);
                free(text);
                free(used);
                free(indices);
                return -1;
            }
            size_t index = (size_t)(sample - dataset->samples);
            if (used && !used[index]) indices[n++] = index;
            if (used) used[index] = 1;
        }
        free(text);
        free(used);
    }
    if (options->limit && n > options->limit) n = options->limit;
    *out = indices;
    *count = n;
    return 0;
}

typedef struct RunWriter {
    FILE *file;
    const Dataset *dataset;
    size_t evaluated, failed;
    int write_failed;
    Error write_error;
} RunWriter;

static void run_on_result(void *user, size_t sample_index, const BackendResult *result) {
    RunWriter *writer = user;
    EvalRecord record;
    if (writer->write_failed) return;
    if (eval_record_from_result(&record, &writer->dataset->samples[sample_index], result, &writer->write_error) != 0) {
        writer->write_failed = 1;
        return;
    }
    char *line = eval_record_to_json(&record);
    if (!line || fputs(line, writer->file) < 0 || fputc('\n', writer->file) < 0 || fflush(writer->file) != 0) {
        error_set(&writer->write_error, "cannot append to predictions.jsonl: %s", strerror(errno));
        writer->write_failed = 1;
    }
    free(line);
    writer->evaluated++;
    if (record.error) writer->failed++;
    eval_record_clear(&record);
}

#define RUN_LOCK_NAME "eval.lock"

// Creates the folder and takes its lock (*lock_fd), so a second eval on it refuses at once instead
// of writing every id twice.
static int run_lock_folder(const char *dir, int *lock_fd, Error *err) {
    if (dir_create_all(dir, err) != 0) return -1;
    long holder = 0;
    int status = dir_lock(dir, RUN_LOCK_NAME, lock_fd, &holder, err);
    if (status == 1) {
        if (holder > 0)
            return error_set(err, "%s: another `iar eval` (pid %ld) is writing this run folder; wait for it to end or pick another --out",
                             dir, holder);
        return error_set(err, "%s: another `iar eval` is writing this run folder; wait for it to end or pick another --out", dir);
    }
    return status;
}

// Writes run.json, or checks that an existing run.json is the same model and data.
static int run_prepare_folder(const char *dir, EvalRunInfo *info, Error *err) {
    char *path = path_join(dir, "run.json");
    if (!path) return error_set(err, "out of memory");
    int status = 0;
    if (file_exists(path)) {
        EvalRunInfo old;
        status = eval_run_info_load(&old, path, err);
        if (status == 0 && (strcmp(old.model_spec, info->model_spec) != 0 || strcmp(old.data_path, info->data_path) != 0))
            status = error_set(err, "%s holds a run of %s on %s; resume it with the same --model and --data, or pick another --out",
                               dir, old.model_spec, old.data_path);
        else if (status == 0 && (old.seed != info->seed || old.max_tokens != info->max_tokens ||
                                 (float)old.temperature != (float)info->temperature))
            status = error_set(err, "%s was run with --seed %llu --temperature %g --max-tokens %d; resume with the same "
                                    "settings, or pick another --out", dir, old.seed, old.temperature, old.max_tokens);
    }
    if (status == 0) status = eval_run_info_save(info, path, err);
    free(path);
    return status;
}

static int run_load_done(const char *predictions_path, EvalRetry retry, EvalRecords *done, IdIndex *index, Error *err) {
    memset(done, 0, sizeof *done);
    if (eval_predictions_repair(predictions_path, retry, NULL, err) != 0) return -1;
    if (!file_exists(predictions_path)) return 0;
    if (eval_predictions_load(done, predictions_path, err) != 0) return -1;
    for (size_t i = 0; i < done->count; i++)
        if (id_index_insert(index, done->items[i].id, i, NULL) < 0) return error_set(err, "out of memory");
    return 0;
}

static int eval_run_finish_counting(const char *run_dir, const Dataset *dataset, size_t *errors_left, Error *err) {
    EvalRunData run;
    if (eval_run_data_load(&run, run_dir, err) != 0) return -1;
    if (errors_left) *errors_left = run.summary.request_errors;
    char *summary_path = path_join(run_dir, "summary.json");
    int status = summary_path ? eval_summary_write(&run.summary, &run.info, summary_path, err) : error_set(err, "out of memory");
    free(summary_path);
    ReportOptions report_options;
    report_options_default(&report_options);
    if (status == 0) status = report_write_files(&run, 1, dataset, run_dir, &report_options, err);
    eval_run_data_free(&run);
    return status;
}

int eval_run_finish(const char *run_dir, const Dataset *dataset, Error *err) {
    return eval_run_finish_counting(run_dir, dataset, NULL, err);
}

int eval_run(const EvalRunOptions *options, Progress *progress, EvalRunResult *out, Error *err) {
    memset(out, 0, sizeof *out);
    Dataset loaded = {0};
    const Dataset *dataset = options->dataset ? options->dataset : &loaded;
    Backend backend = {0};
    EvalRecords done = {0};
    IdIndex done_index = {0};
    size_t *indices = NULL, *todo = NULL, count = 0;
    char *predictions_path = NULL, *default_cache = NULL;
    FILE *file = NULL;
    int status = -1, lock_fd = -1;
    if (!options->data_path) return error_set(err, "no dataset: use --data DATA.jsonl");
    if (!options->dataset && dataset_load(&loaded, options->data_path, err) != 0) goto done;
    loaded.allow_outside = options->allow_outside;
    if (select_samples(dataset, options, &indices, &count, err) != 0) goto done;
    BackendOptions backend_options = options->backend;
    // the cache policy is the backend's, not the caller's
    const char *cache_name = backend_default_cache_name(options->model_spec);
    if (options->no_cache) {
        backend_options.cache_path = NULL;
    } else if (!backend_options.cache_path && cache_name) {
        const char *root = options->runs_root ? options->runs_root : "runs";
        default_cache = path_join(root, cache_name);
        if (!default_cache) {
            error_set(err, "out of memory");
            goto done;
        }
        if (dir_create_all(root, err) != 0) goto done;
        backend_options.cache_path = default_cache;
    }
    if (backend_open(&backend, options->model_spec, &backend_options, err) != 0) goto done;

    EvalRunInfo info;
    memset(&info, 0, sizeof info);
    snprintf(info.model_spec, sizeof info.model_spec, "%s", options->model_spec);
    snprintf(info.backend_name, sizeof info.backend_name, "%s", backend.name);
    snprintf(info.name, sizeof info.name, "%s", options->name ? options->name : backend.name);
    char resolved[PATH_MAX];
    const char *data_path = realpath(options->data_path, resolved) ? resolved : options->data_path;
    if (strlen(data_path) >= sizeof info.data_path) {
        error_set(err, "%.200s…: the dataset path is over %zu bytes", data_path, sizeof info.data_path - 1);
        goto done;
    }
    memcpy(info.data_path, data_path, strlen(data_path) + 1);
    info.temperature = options->backend.temperature;
    info.max_tokens = options->backend.max_tokens;
    info.seed = (unsigned long long)options->backend.seed;
    info.allow_outside = dataset->allow_outside;
    eval_run_info_make_utf8(&info);
    info.price_in_per_million = options->price_in_per_million;
    info.price_out_per_million = options->price_out_per_million;
    if (info.price_in_per_million < 0 || info.price_out_per_million < 0) {
        double in = 0, out_price = 0;
        int known = strncmp(options->model_spec, "openai:", 7) != 0 || eval_price_lookup(options->model_spec + 7, &in, &out_price);
        if (info.price_in_per_million < 0) info.price_in_per_million = known ? in : -1;
        if (info.price_out_per_million < 0) info.price_out_per_million = known ? out_price : -1;
    }

    if (options->out_dir) {
        snprintf(out->run_dir, sizeof out->run_dir, "%s", options->out_dir);
    } else {
        char name[512];
        eval_default_run_name(name, sizeof name, backend.name, options->data_path);
        snprintf(out->run_dir, sizeof out->run_dir, "%s/%s", options->runs_root ? options->runs_root : "runs", name);
    }
    if (run_lock_folder(out->run_dir, &lock_fd, err) != 0) {
        out->run_dir[0] = 0; // nothing of this process is in that folder
        goto done;
    }
    if (run_prepare_folder(out->run_dir, &info, err) != 0) goto done;
    predictions_path = path_join(out->run_dir, "predictions.jsonl");
    if (!predictions_path) {
        error_set(err, "out of memory");
        goto done;
    }
    EvalRetry retry = options->retry_failed ? EVAL_RETRY_ALL : EVAL_RETRY_TRANSIENT;
    if (run_load_done(predictions_path, retry, &done, &done_index, err) != 0) goto done;

    todo = malloc((count + 1) * sizeof *todo);
    if (!todo) {
        error_set(err, "out of memory");
        goto done;
    }
    size_t todo_count = 0;
    for (size_t i = 0; i < count; i++) {
        size_t unused;
        if (id_index_find(&done_index, dataset->samples[indices[i]].id, &unused)) out->skipped++;
        else todo[todo_count++] = indices[i];
    }
    out->selected = count;
    eval_records_free(&done);
    id_index_free(&done_index);

    file = fopen(predictions_path, "ab");
    if (!file) {
        error_set(err, "%s: cannot open for appending: %s", predictions_path, strerror(errno));
        goto done;
    }
    RunWriter writer = {.file = file, .dataset = dataset};
    if (progress) progress->total = todo_count;
    int run_status = todo_count ? backend.run(&backend, dataset, todo, todo_count, run_on_result, &writer, progress, err) : 0;
    out->evaluated = writer.evaluated;
    out->failed = writer.failed;
    if (fclose(file) != 0 && !writer.write_failed) {
        writer.write_failed = 1;
        error_set(&writer.write_error, "%s: cannot close: %s", predictions_path, strerror(errno));
    }
    file = NULL;
    if (writer.write_failed) {
        if (err) *err = writer.write_error;
        goto done;
    }
    if (run_status != 0) goto done;
    if (eval_run_finish_counting(out->run_dir, dataset, &out->errors_left, err) != 0) goto done;
    status = 0;
done:
    dir_unlock(lock_fd);
    if (file) fclose(file);
    free(predictions_path);
    free(indices);
    free(todo);
    eval_records_free(&done);
    id_index_free(&done_index);
    if (backend.destroy) backend_close(&backend);
    free(default_cache); // after the backend, which may hold the path
    dataset_free(&loaded);
    return status;
}
