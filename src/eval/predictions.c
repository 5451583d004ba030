// predictions.c — the lines of predictions.jsonl (one evaluated sample each), reading them back (one
// record per id), repairing a file torn by a kill or dropping failures to ask again, and run.json.
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/files.h"
#include "core/utf8.h"
#include "data/id_index.h"
#include "eval/eval.h"

int eval_record_from_result(EvalRecord *out, const Sample *sample, const BackendResult *result, Error *err) {
    memset(out, 0, sizeof *out);
    out->id = string_duplicate(sample->id);
    out->dimension = (int)sample->dimension;
    out->gold = sample->answer;
    out->gold_unknown = sample->answer_unknown;
    out->latency_seconds = result->latency_seconds;
    out->prompt_tokens = result->prompt_tokens;
    out->completion_tokens = result->completion_tokens;
    out->attempts = result->attempts;
    out->cached = result->cached;
    out->has_evidence = result->has_evidence;
    memcpy(out->evidence, result->evidence, sizeof out->evidence);
    out->parse = ANSWER_PARSE_FAILED;
    if (result->text) {
        out->raw = string_duplicate(result->text);
        ParsedAnswer parsed = answer_parse(result->text);
        out->parse = parsed.status;
        out->format_ok = answer_format_ok(result->text);
        if (parsed.status == ANSWER_PARSE_FAILED) {
            out->parse_reason = string_duplicate(parsed.reason);
        } else {
            out->predicted = parsed.set;
            for (int k = 0; k < SCORE_KIND_COUNT && !out->gold_unknown; k++)
                out->scores[k] = score_compute((ScoreKind)k, parsed.set, sample->answer);
        }
    } else {
        out->error = string_duplicate(result->error ? result->error : "request failed");
        out->error_permanent = result->error_permanent;
        out->parse_reason = string_duplicate("no output (request failed)");
    }
    if (!out->id || (result->text && !out->raw)) {
        eval_record_clear(out);
        return error_set(err, "out of memory");
    }
    return 0;
}

static cJSON *letters_json(AnswerSet set) {
    cJSON *array = cJSON_CreateArray();
    for (int i = 0; i < CANDIDATE_COUNT; i++)
        if (set & (1u << i)) {
            char letter[2] = {(char)('A' + i), 0};
            cJSON_AddItemToArray(array, cJSON_CreateString(letter));
        }
    return array;
}

static int letters_parse(const cJSON *array, AnswerSet *out) {
    *out = 0;
    if (!cJSON_IsArray(array)) return -1;
    const cJSON *item;
    cJSON_ArrayForEach(item, array) {
        const char *s = cJSON_GetStringValue(item);
        if (!s || s[1] || s[0] < 'A' || s[0] > 'D') return -1;
        *out |= (AnswerSet)(1u << (s[0] - 'A'));
    }
    return 0;
}

// Model outputs, server replies and names are bytes; what goes into JSON is made valid UTF-8.
static void add_text(cJSON *object, const char *key, const char *value) {
    char *clean = utf8_sanitize(value);
    cJSON_AddItemToObject(object, key, clean ? cJSON_CreateString(clean) : cJSON_CreateNull());
    free(clean);
}

static void add_string_or_null(cJSON *object, const char *key, const char *value) {
    if (value) add_text(object, key, value);
    else cJSON_AddNullToObject(object, key);
}

char *eval_record_to_json(const EvalRecord *record) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    add_text(o, "id", record->id ? record->id : "");
    if (record->dimension >= 0 && record->dimension < DIMENSION_COUNT)
        cJSON_AddStringToObject(o, "dimension", dimension_id((Dimension)record->dimension));
    else cJSON_AddNullToObject(o, "dimension");
    if (record->gold_unknown) cJSON_AddNullToObject(o, "gold");
    else cJSON_AddItemToObject(o, "gold", letters_json(record->gold));
    if (record->parse == ANSWER_PARSE_FAILED) cJSON_AddNullToObject(o, "predicted");
    else cJSON_AddItemToObject(o, "predicted", letters_json(record->predicted));
    cJSON_AddStringToObject(o, "parse", answer_parse_status_name(record->parse));
    add_string_or_null(o, "parse_reason", record->parse_reason);
    cJSON *scores = record->gold_unknown ? NULL : cJSON_AddObjectToObject(o, "scores");
    if (record->gold_unknown) cJSON_AddNullToObject(o, "scores");
    for (int k = 0; k < SCORE_KIND_COUNT && scores; k++) cJSON_AddNumberToObject(scores, score_name((ScoreKind)k), record->scores[k]);
    cJSON_AddBoolToObject(o, "format_ok", record->format_ok);
    add_string_or_null(o, "raw", record->raw);
    add_string_or_null(o, "error", record->error);
    if (record->error) cJSON_AddStringToObject(o, "error_kind", record->error_permanent ? "permanent" : "transient");
    else cJSON_AddNullToObject(o, "error_kind");
    cJSON_AddNumberToObject(o, "latency_s", round(record->latency_seconds * 1e6) / 1e6);
    cJSON_AddNumberToObject(o, "prompt_tokens", record->prompt_tokens);
    cJSON_AddNumberToObject(o, "completion_tokens", record->completion_tokens);
    cJSON_AddNumberToObject(o, "attempts", record->attempts);
    cJSON_AddBoolToObject(o, "cached", record->cached);
    if (record->has_evidence) { // {"A": 0.0123, ...}: P(flawed) from the model's vision side
        cJSON *evidence = cJSON_AddObjectToObject(o, "evidence");
        for (int c = 0; c < CANDIDATE_COUNT && evidence; c++)
            cJSON_AddNumberToObject(evidence, (const char[]){(char)('A' + c), 0}, round(record->evidence[c] * 1e4) / 1e4);
    }
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

static char *json_string_dup(const cJSON *o, const char *key) {
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
    return s ? string_duplicate(s) : NULL;
}

static double json_number(const cJSON *o, const char *key, double fallback) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(item) ? item->valuedouble : fallback;
}

int eval_record_from_json(EvalRecord *out, const char *line, Error *err) {
    memset(out, 0, sizeof *out);
    cJSON *o = cJSON_Parse(line);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return error_set(err, "not a JSON object");
    }
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "id"));
    if (!id || !id[0]) {
        cJSON_Delete(o);
        return error_set(err, "no \"id\"");
    }
    out->id = string_duplicate(id);
    out->dimension = -1;
    const char *dimension = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "dimension"));
    Dimension d;
    if (dimension && dimension_parse(dimension, &d) == 0) out->dimension = (int)d;
    const cJSON *gold = cJSON_GetObjectItemCaseSensitive(o, "gold");
    out->gold_unknown = cJSON_IsNull(gold);
    if (!out->gold_unknown && letters_parse(gold, &out->gold) != 0) {
        cJSON_Delete(o);
        eval_record_clear(out);
        return error_set(err, "\"gold\" is not a list of letters A-D");
    }
    const char *parse = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "parse"));
    out->parse = ANSWER_PARSE_FAILED;
    if (parse && strcmp(parse, "tagged") == 0) out->parse = ANSWER_PARSED_TAGGED;
    if (parse && strcmp(parse, "fallback") == 0) out->parse = ANSWER_PARSED_FALLBACK;
    if (out->parse != ANSWER_PARSE_FAILED && letters_parse(cJSON_GetObjectItemCaseSensitive(o, "predicted"), &out->predicted) != 0) {
        cJSON_Delete(o);
        eval_record_clear(out);
        return error_set(err, "\"predicted\" is not a list of letters A-D");
    }
    out->parse_reason = json_string_dup(o, "parse_reason");
    out->raw = json_string_dup(o, "raw");
    out->error = json_string_dup(o, "error");
    // Lines written before failures had a kind count as transient: asking again is the safe side.
    const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "error_kind"));
    out->error_permanent = out->error && kind && strcmp(kind, "permanent") == 0;
    const cJSON *scores = cJSON_GetObjectItemCaseSensitive(o, "scores");
    for (int k = 0; k < SCORE_KIND_COUNT; k++) out->scores[k] = json_number(scores, score_name((ScoreKind)k), 0.0);
    out->format_ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "format_ok"));
    out->latency_seconds = json_number(o, "latency_s", 0.0);
    out->prompt_tokens = (int)json_number(o, "prompt_tokens", -1);
    out->completion_tokens = (int)json_number(o, "completion_tokens", -1);
    out->attempts = (int)json_number(o, "attempts", 0);
    out->cached = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "cached"));
    const cJSON *evidence = cJSON_GetObjectItemCaseSensitive(o, "evidence");
    out->has_evidence = cJSON_IsObject(evidence);
    for (int c = 0; c < CANDIDATE_COUNT && out->has_evidence; c++) {
        double p = json_number(evidence, (const char[]){(char)('A' + c), 0}, NAN);
        if (!(p >= 0 && p <= 1)) out->has_evidence = 0; // all four in [0, 1], or none
        out->evidence[c] = (float)p;
    }
    cJSON_Delete(o);
    return 0;
}

void eval_record_clear(EvalRecord *record) {
    free(record->id);
    free(record->parse_reason);
    free(record->raw);
    free(record->error);
    memset(record, 0, sizeof *record);
}

void eval_records_free(EvalRecords *records) {
    for (size_t i = 0; i < records->count; i++) eval_record_clear(&records->items[i]);
    free(records->items);
    memset(records, 0, sizeof *records);
}

static int records_push(EvalRecords *records, EvalRecord *record, Error *err) {
    if (records->count == records->capacity) {
        size_t capacity = records->capacity ? records->capacity * 2 : 256;
        EvalRecord *items = realloc(records->items, capacity * sizeof *items);
        if (!items) return error_set(err, "out of memory");
        records->items = items;
        records->capacity = capacity;
    }
    records->items[records->count++] = *record;
    memset(record, 0, sizeof *record);
    return 0;
}

// Adds a record, or folds it into the earlier record of the same id (see eval_predictions_load).
static int records_add_unique(EvalRecords *records, IdIndex *ids, EvalRecord *record, Error *err) {
    size_t at = 0;
    if (id_index_find(ids, record->id, &at)) {
        EvalRecord *earlier = &records->items[at];
        if (!record->error || earlier->error) {
            // The index borrows the id string: keep the earlier one, take everything else.
            char *id = earlier->id;
            earlier->id = record->id;
            record->id = id;
            eval_record_clear(earlier);
            *earlier = *record;
            earlier->id = id;
            memset(record, 0, sizeof *record);
            return 0;
        }
        eval_record_clear(record);
        return 0;
    }
    if (records_push(records, record, err) != 0) return -1;
    if (id_index_insert(ids, records->items[records->count - 1].id, records->count - 1, NULL) < 0)
        return error_set(err, "out of memory");
    return 0;
}

int eval_predictions_load(EvalRecords *out, const char *path, Error *err) {
    memset(out, 0, sizeof *out);
    FILE *f = file_open_regular(path, err);
    if (!f) return -1;
    IdIndex ids = {0};
    char *line = NULL;
    size_t capacity = 0, line_number = 0;
    ssize_t length;
    int status = 0;
    while ((length = getline(&line, &capacity, f)) > 0) {
        line_number++;
        if (line[length - 1] != '\n') break; // torn last line: the writer was killed mid-line
        line[length - 1] = 0;
        if (line[0] == 0) continue;
        EvalRecord record;
        if (eval_record_from_json(&record, line, err) != 0) {
            status = error_prefix(err, "%s:%zu: ", path, line_number);
            break;
        }
        if (records_add_unique(out, &ids, &record, err) != 0) {
            eval_record_clear(&record);
            status = -1;
            break;
        }
    }
    id_index_free(&ids);
    free(line);
    fclose(f);
    if (status != 0) eval_records_free(out);
    return status;
}

int eval_predictions_repair(const char *path, EvalRetry retry, size_t *kept, Error *err) {
    if (kept) *kept = 0;
    if (!file_exists(path)) return 0;
    char *data = NULL;
    size_t size = 0;
    if (file_read_all(path, 0, &data, &size, err) != 0) return -1;
    // Keep complete lines that parse; a torn tail (no newline, or half a JSON object) goes.
    size_t write = 0, count = 0, start = 0;
    int changed = 0;
    while (start < size) {
        char *newline = memchr(data + start, '\n', size - start);
        if (!newline) {
            changed = 1;
            break;
        }
        size_t end = (size_t)(newline - data);
        *newline = 0;
        EvalRecord record;
        int keep = 0;
        if (data[start] != 0 && eval_record_from_json(&record, data + start, NULL) == 0) {
            keep = !(record.error && (retry == EVAL_RETRY_ALL || (retry == EVAL_RETRY_TRANSIENT && !record.error_permanent)));
            eval_record_clear(&record);
        }
        if (keep) {
            size_t n = end - start;
            memmove(data + write, data + start, n);
            data[write + n] = '\n';
            write += n + 1;
            count++;
        } else {
            changed = 1;
        }
        start = end + 1;
    }
    int status = 0;
    if (changed) status = file_write_atomic(path, data, write, err);
    free(data);
    if (kept) *kept = count;
    return status;
}

void eval_run_info_make_utf8(EvalRunInfo *info) {
    char *fields[] = {info->model_spec, info->backend_name, info->data_path, info->name};
    size_t sizes[] = {sizeof info->model_spec, sizeof info->backend_name, sizeof info->data_path, sizeof info->name};
    for (int i = 0; i < 4; i++) {
        if (utf8_is_valid(fields[i], strlen(fields[i]), NULL)) continue;
        char *clean = utf8_sanitize(fields[i]);
        if (clean) snprintf(fields[i], sizes[i], "%.*s", (int)utf8_cut(clean, sizes[i] - 1), clean);
        free(clean);
    }
}

int eval_run_info_save(const EvalRunInfo *info, const char *path, Error *err) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "format_version", EVAL_FORMAT_VERSION);
    add_text(o, "model", info->model_spec);
    add_text(o, "backend", info->backend_name);
    add_text(o, "name", info->name);
    add_text(o, "data", info->data_path);
    cJSON_AddNumberToObject(o, "price_in_per_million", info->price_in_per_million);
    cJSON_AddNumberToObject(o, "price_out_per_million", info->price_out_per_million);
    cJSON_AddNumberToObject(o, "temperature", info->temperature);
    cJSON_AddNumberToObject(o, "max_tokens", info->max_tokens);
    cJSON_AddNumberToObject(o, "seed", (double)info->seed);
    cJSON_AddBoolToObject(o, "allow_outside", info->allow_outside);
    char *text = cJSON_Print(o);
    cJSON_Delete(o);
    if (!text) return error_set(err, "out of memory");
    size_t n = strlen(text);
    text[n] = '\n'; // replaces the NUL; written with its length
    int status = file_write_atomic(path, text, n + 1, err);
    free(text);
    return status;
}

static void copy_json_string(char *buffer, size_t size, const cJSON *o, const char *key) {
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
    snprintf(buffer, size, "%s", s ? s : "");
}

int eval_run_info_load(EvalRunInfo *out, const char *path, Error *err) {
    memset(out, 0, sizeof *out);
    char *text = NULL;
    if (file_read_all(path, 1 << 20, &text, NULL, err) != 0) return -1;
    cJSON *o = cJSON_Parse(text);
    free(text);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return error_set(err, "%s: not a JSON object", path);
    }
    int version = (int)json_number(o, "format_version", 0);
    if (version != EVAL_FORMAT_VERSION) {
        cJSON_Delete(o);
        return error_set(err, "%s: run format v%d, this build reads v%d; re-run `iar eval` into a new folder", path,
                         version, EVAL_FORMAT_VERSION);
    }
    copy_json_string(out->model_spec, sizeof out->model_spec, o, "model");
    copy_json_string(out->backend_name, sizeof out->backend_name, o, "backend");
    copy_json_string(out->name, sizeof out->name, o, "name");
    copy_json_string(out->data_path, sizeof out->data_path, o, "data");
    out->price_in_per_million = json_number(o, "price_in_per_million", -1);
    out->price_out_per_million = json_number(o, "price_out_per_million", -1);
    out->temperature = json_number(o, "temperature", 0);
    out->max_tokens = (int)json_number(o, "max_tokens", 0);
    out->seed = (unsigned long long)json_number(o, "seed", 0);
    out->allow_outside = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "allow_outside"));
    cJSON_Delete(o);
    eval_run_info_make_utf8(out);
    return 0;
}
