// backend.c — default options and the dispatch from a model SPEC to its backend.
#include "eval/backend.h"

#include <string.h>

void backend_options_default(BackendOptions *options) {
    memset(options, 0, sizeof *options);
    options->temperature = 0.0f;
    options->max_tokens = 512;
    options->seed = 0;
    options->concurrency = 1;
    options->timeout_seconds = 120.0;
    options->max_retries = 6;
    options->api_key_env = "OPENAI_API_KEY";
    options->retry_base_seconds = 1.0;
    options->retry_max_seconds = 60.0;
}

const char *backend_default_cache_name(const char *spec) {
    // remote answers cost money and time: worth keeping; local ones are recomputed as fast
    return spec && strncmp(spec, "openai:", 7) == 0 ? "cache.sqlite" : NULL;
}

int backend_open(Backend *out, const char *spec, const BackendOptions *options, Error *err) {
    memset(out, 0, sizeof *out);
    if (!spec || !spec[0]) return error_set(err, "no model given: use --model random|all|native:CKPT|openai:MODEL[@URL]");
    BackendOptions defaults;
    if (!options) {
        backend_options_default(&defaults);
        options = &defaults;
    }
    if (strcmp(spec, "random") == 0 || strcmp(spec, "all") == 0) return backend_baseline_open(out, spec, options, err);
    if (strncmp(spec, "openai:", 7) == 0) return backend_openai_open(out, spec + 7, options, err);
    if (strncmp(spec, "native:", 7) == 0) return backend_native_open(out, spec + 7, options, err);
    return error_set(err, "unknown model '%s': use random, all, native:CKPT or openai:MODEL[@URL]", spec);
}

void backend_close(Backend *backend) {
    if (backend && backend->destroy) backend->destroy(backend);
    if (backend) memset(backend, 0, sizeof *backend);
}
