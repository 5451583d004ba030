// backend.h — the interface every model under evaluation implements: given samples, produce the
// model's raw text for each. Baselines, the OpenAI-compatible HTTP client and the native model
// all plug in here; `iar eval` does the rest (parsing, scores, resumable run folder, reports).
#ifndef IAR_EVAL_BACKEND_H
#define IAR_EVAL_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/progress.h"
#include "data/dataset.h"

typedef struct BackendOptions {
    float temperature;      // default 0
    int max_tokens;         // default 512
    uint64_t seed;          // default 0
    int concurrency;        // requests in flight (HTTP backends); default 1
    double timeout_seconds; // per request; default 120
    int max_retries;        // default 6
    const char *prompt_template_path; // NULL: built-in template
    const char *cache_path;           // SQLite response cache; NULL: none
    const char *api_key_env;          // name of the environment variable holding the key; default OPENAI_API_KEY
    double retry_base_seconds;        // first backoff delay (doubles per attempt, jittered); default 1
    double retry_max_seconds;         // backoff and Retry-After cap; default 60
} BackendOptions;

void backend_options_default(BackendOptions *options);

typedef struct BackendResult {
    const char *text;       // raw model output; NULL when the request failed
    const char *error;      // why it failed (NULL when ok)
    int error_permanent;    // 1 when asking again cannot help (the input or the request itself is bad);
                            // 0 (transport, auth, rate limit, server trouble): the next run asks again
    int prompt_tokens;      // -1 when unknown
    int completion_tokens;  // -1 when unknown
    double latency_seconds;
    int attempts;
    int cached;             // 1 when served from the response cache
    int has_evidence;       // 1: a native model's own P(flawed) of candidates A-D (its vision tower's)
    float evidence[4];
} BackendResult;

// Called once per sample, on the thread that called run, in completion order (not input order).
// The result's strings are only valid during the call.
typedef void (*BackendResultFn)(void *user, size_t sample_index, const BackendResult *result);

typedef struct Backend {
    char name[160]; // for folder names and reports, e.g. "random", "openai-gpt-4o", "native-sft"
    void *state;
    int (*run)(struct Backend *self, const Dataset *dataset, const size_t *indices, size_t count,
               BackendResultFn on_result, void *user, Progress *progress, Error *err);
    void (*destroy)(struct Backend *self);
} Backend;

// SPEC: random | all | native:CKPT | openai:MODEL[@BASE_URL]
int backend_open(Backend *out, const char *spec, const BackendOptions *options, Error *err);
// The response cache a backend uses when the caller names none: a file name inside the runs folder
// ("cache.sqlite" for openai:), or NULL for backends whose answers are as cheap to recompute.
const char *backend_default_cache_name(const char *spec);
void backend_close(Backend *backend);

// Each implementation's constructor (backend_open dispatches on the spec's prefix).
int backend_baseline_open(Backend *out, const char *kind, const BackendOptions *options, Error *err);
int backend_openai_open(Backend *out, const char *model_and_url, const BackendOptions *options, Error *err);
int backend_native_open(Backend *out, const char *checkpoint_dir, const BackendOptions *options, Error *err);

#endif
