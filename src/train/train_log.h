// train_log.h — a per-step log of a training run: one JSON object a line, {"step":N,...}
// (OUT/train_log.jsonl, OUT/rollouts.jsonl). Resuming at step S drops lines with a step above S
// first, so a resumed run's log reads as if it had never stopped (the rule is in train/run.h).
#ifndef IAR_TRAIN_TRAIN_LOG_H
#define IAR_TRAIN_TRAIN_LOG_H

#include <stdio.h>

#include "core/error.h"

typedef struct TrainLog {
    FILE *file;
    char *path;
} TrainLog;

typedef struct TrainLogField {
    const char *name;
    double value; // written with %.6g; NaN and Inf are written as null
} TrainLogField;

// resume_step < 0: start a fresh log (truncate). Otherwise keep lines with step <= resume_step.
int train_log_open(TrainLog *log, const char *path, long resume_step, Error *err);
// Appends {"step":step, fields...} and flushes (so a crash never loses a finished step).
int train_log_write(TrainLog *log, long step, const TrainLogField *fields, int count, Error *err);
// Same, with extra string-valued fields (e.g. {"event":"validation"}); names and values are escaped.
int train_log_write_tagged(TrainLog *log, long step, const char *tag_name, const char *tag_value,
                           const TrainLogField *fields, int count, Error *err);
// Appends one JSON object already rendered on one line (it must start with {"step":N), and flushes.
int train_log_write_json(TrainLog *log, const char *json, Error *err);
void train_log_close(TrainLog *log);

#endif
