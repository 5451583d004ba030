// eval.h — one evaluated sample (a line of predictions.jsonl), the run's description (run.json), and
// `eval_run`, which drives a backend over a dataset into a resumable run folder (DESIGN §3).
#ifndef IAR_EVAL_EVAL_H
#define IAR_EVAL_EVAL_H

#include <stddef.h>

#include "core/error.h"
#include "core/progress.h"
#include "data/dataset.h"
#include "eval/backend.h"
#include "eval/score.h"
#include "text/answer.h"

#define EVAL_FORMAT_VERSION 1

// One line of predictions.jsonl. Strings are malloc'd (eval_record_clear frees them).
typedef struct EvalRecord {
    char *id;
    int dimension;          // Dimension, or -1 when the line names none
    AnswerSet gold;
    int gold_unknown;       // 1 for an inference-only sample: "gold" and "scores" are null
    AnswerSet predicted;    // 0 when parsing failed
    AnswerParseStatus parse;
    char *parse_reason;     // NULL when parsed
    char *raw;              // the model's output; NULL when the request failed
    char *error;            // why the request failed; NULL when it did not
    int error_permanent;    // 1: the failure belongs to the sample (bad input, HTTP 400); 0: transport,
                            // auth, rate limit or server trouble, which the next run asks again
    double scores[SCORE_KIND_COUNT]; // 0 for failed parses and failed requests: never a guess
    int format_ok;          // answer_format_ok of the raw output
    double latency_seconds;
    int prompt_tokens, completion_tokens; // -1 unknown
    int attempts;
    int cached;
    int has_evidence;       // 1: the model's own P(flawed) of A-D came with the answer ("evidence")
    float evidence[CANDIDATE_COUNT];
} EvalRecord;

typedef struct EvalRecords {
    EvalRecord *items;
    size_t count, capacity;
} EvalRecords;

// Builds the record of one backend result: parses the answer and computes every score.
int eval_record_from_result(EvalRecord *out, const Sample *sample, const BackendResult *result, Error *err);
char *eval_record_to_json(const EvalRecord *record); // one line, no newline; malloc'd
int eval_record_from_json(EvalRecord *out, const char *line, Error *err);
void eval_record_clear(EvalRecord *record);
void eval_records_free(EvalRecords *records);

// Reads predictions.jsonl. A torn last line (no trailing newline: the writer was killed) is
// ignored; any other bad line is an error naming its line number. Each id is kept once, in the
// place of its first line: a later line replaces an earlier one, except that a failed request never
// replaces an answer (a folder written by two processes at once, before the run lock, has both).
int eval_predictions_load(EvalRecords *out, const char *path, Error *err);

// Which failed requests a run asks again.
typedef enum EvalRetry {
    EVAL_RETRY_NONE = 0,  // keep every line
    EVAL_RETRY_TRANSIENT, // transport, auth, rate-limit and server failures (the default of a run)
    EVAL_RETRY_ALL,       // every failed request (--retry-failed)
} EvalRetry;
// Truncates a torn last line (after SIGKILL) so appending continues on a line boundary, and
// rewrites the file without the lines of the failed requests that `retry` selects.
// *kept: complete lines left (may be NULL).
int eval_predictions_repair(const char *path, EvalRetry retry, size_t *kept, Error *err);

// run.json: what produced the run, so `iar report` can find the dataset and price the tokens.
typedef struct EvalRunInfo {
    char model_spec[256];
    char backend_name[160];
    char data_path[1024]; // absolute when known
    char name[160];       // display name (default: backend name)
    double price_in_per_million, price_out_per_million; // USD per million tokens; < 0 unknown
    double temperature;
    int max_tokens;
    unsigned long long seed;
    int allow_outside; // the run was allowed to read images outside the dataset folder
} EvalRunInfo;

int eval_run_info_save(const EvalRunInfo *info, const char *path, Error *err);
int eval_run_info_load(EvalRunInfo *out, const char *path, Error *err);
// Makes the names valid UTF-8 (they come from the command line and file names, which are bytes, and
// go into JSON); a run resumes by comparing them in this form. eval_run_info_load applies it.
void eval_run_info_make_utf8(EvalRunInfo *info);

typedef struct EvalRunOptions {
    const char *data_path;
    const Dataset *dataset; // NULL: loaded from data_path; else these samples (data_path names them in run.json)
    const char *model_spec;
    const char *out_dir;  // NULL: runs/<model>_<dataset>_<YYYYMMDD>
    const char *runs_root; // parent of the default folder; NULL: "runs"
    const char *name;     // display name; NULL: the backend's name
    size_t limit;         // 0: every selected sample
    const char *ids_path; // file with one id per line; NULL: all
    int retry_failed;     // re-run every id whose request failed (transient failures are always re-run)
    int no_cache;         // 1: no response cache; else backend.cache_path, or the backend's default
                          // (backend_default_cache_name) inside runs_root
    int allow_outside;    // dataset images may resolve outside its folder (a loaded dataset only)
    double price_in_per_million, price_out_per_million; // < 0: from the built-in table
    BackendOptions backend;
} EvalRunOptions;

void eval_run_options_default(EvalRunOptions *options);

typedef struct EvalRunResult {
    char run_dir[1024];
    size_t selected;  // samples in this run (after --ids and --limit)
    size_t skipped;   // already in predictions.jsonl
    size_t evaluated; // evaluated now
    size_t failed;    // of those, requests that failed
    size_t errors_left; // failed requests in the whole run folder afterwards (a caller exits non-zero)
} EvalRunResult;

// Evaluates and writes predictions.jsonl (appended and flushed per result), then summary.json,
// report.md and report.html. Resumable: ids already present are skipped, except failed requests
// (see EvalRetry). Holds the run folder's lock (eval.lock) throughout: a second eval_run on the same
// folder fails at once, naming the holder.
int eval_run(const EvalRunOptions *options, Progress *progress, EvalRunResult *out, Error *err);
// Recomputes summary.json, report.md and report.html of a run folder from its predictions.
int eval_run_finish(const char *run_dir, const Dataset *dataset, Error *err);
// Default run folder name: "<model>_<dataset>_<YYYYMMDD>", sanitised to [A-Za-z0-9._-].
void eval_default_run_name(char *buffer, size_t size, const char *backend_name, const char *data_path);
// Estimated USD per million tokens of a known model name (input, output); 0 when unknown.
int eval_price_lookup(const char *model, double *price_in, double *price_out);

#endif
