// train_log.c — train_log.jsonl: one JSON object per line, flushed after each, trimmed on resume.
#include "train/train_log.h"

#include <errno.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/files.h"

#include <cjson/cJSON.h>

// Keeps only the lines whose "step" is <= resume_step (a resumed run rewrites what came after).
static int train_log_trim(const char *path, long resume_step, Error *err) {
    if (!file_exists(path)) return 0;
    char *text = NULL;
    size_t size = 0;
    if (file_read_all(path, 0, &text, &size, err) != 0) return -1;
    size_t kept = 0;
    for (char *line = text; *line;) {
        char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) + 1 : strlen(line);
        const char *field = strstr(line, "\"step\":");
        long step = field && (!end || field < end) ? strtol(field + 7, NULL, 10) : 0;
        if (step <= resume_step && end) { // a line cut short by a crash is dropped too
            memmove(text + kept, line, n);
            kept += n;
        }
        line += n;
    }
    int rc = file_write_atomic(path, text, kept, err);
    free(text);
    return rc;
}

int train_log_open(TrainLog *log, const char *path, long resume_step, Error *err) {
    memset(log, 0, sizeof *log);
    if (resume_step >= 0 && train_log_trim(path, resume_step, err) != 0) return -1;
    log->file = fopen(path, resume_step >= 0 ? "ab" : "wb");
    if (!log->file) return error_set(err, "%s: cannot open the training log: %s", path, strerror(errno));
    log->path = string_duplicate(path);
    return 0;
}

// Six significant digits are what the curves and tables read; more would only lengthen the log.
static double six_digits(double value) {
    char text[32];
    snprintf(text, sizeof text, "%.6g", value);
    return strtod(text, NULL);
}

int train_log_write_tagged(TrainLog *log, long step, const char *tag_name, const char *tag_value,
                           const TrainLogField *fields, int count, Error *err) {
    // cJSON writes the line (escaping included); "step" comes first, as trimming and readers expect
    cJSON *line = cJSON_CreateObject();
    int ok = line && cJSON_AddNumberToObject(line, "step", (double)step);
    if (ok && tag_name && tag_value) ok = cJSON_AddStringToObject(line, tag_name, tag_value) != NULL;
    for (int i = 0; ok && i < count; i++)
        ok = (isfinite(fields[i].value) ? cJSON_AddNumberToObject(line, fields[i].name, six_digits(fields[i].value))
                                        : cJSON_AddNullToObject(line, fields[i].name)) != NULL;
    char *text = ok ? cJSON_PrintUnformatted(line) : NULL;
    cJSON_Delete(line);
    if (!text) return error_set(err, "%s: out of memory writing the training log", log->path);
    int rc = train_log_write_json(log, text, err);
    free(text);
    return rc;
}

int train_log_write(TrainLog *log, long step, const TrainLogField *fields, int count, Error *err) {
    return train_log_write_tagged(log, step, NULL, NULL, fields, count, err);
}

int train_log_write_json(TrainLog *log, const char *json, Error *err) {
    if (strncmp(json, "{\"step\":", 8) != 0)
        return error_set(err, "%s: a log line must start with its step", log->path);
    if (fputs(json, log->file) < 0 || fputc('\n', log->file) < 0 || fflush(log->file) != 0)
        return error_set(err, "%s: cannot write the log", log->path);
    return 0;
}

void train_log_close(TrainLog *log) {
    if (log->file) fclose(log->file);
    free(log->path);
    memset(log, 0, sizeof *log);
}
