// openai.c — the `openai:MODEL[@BASE_URL]` backend: Chat Completions over libcurl's multi interface,
// K requests in flight, retries with exponential backoff and counter-based jitter on 429, 5xx,
// timeouts, connection resets and malformed replies (honouring Retry-After, which also pauses new
// requests), a per-request timeout, and the SQLite response cache. The API key comes from an
// environment variable and only ever goes into the Authorization header.
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/byte_buffer.h"
#include "core/files.h"
#include "eval/cache.h"
#include "eval/openai.h"

#define RESPONSE_MAX_BYTES ((size_t)16 << 20)

typedef struct OpenaiState {
    char model[256];
    char base_url[768];
    char endpoint[800];
    char *authorization; // "Authorization: Bearer …"; never printed
    ChatTemplate chat;
    BackendOptions options;
    ResponseCache *cache;
} OpenaiState;

typedef struct Request {
    size_t sample_index;
    char *body;
    char key[65];
    int attempts;
    double not_before;
    CURL *easy;
    ByteBuffer response; // capped at RESPONSE_MAX_BYTES
    char curl_error[CURL_ERROR_SIZE];
} Request;

static void request_free(Request *r) {
    free(r->body);
    byte_buffer_free(&r->response);
    free(r);
}

static int request_start(CURLM *multi, Request *r, const OpenaiState *state, struct curl_slist *headers) {
    byte_buffer_free(&r->response);
    r->response.max = RESPONSE_MAX_BYTES;
    r->curl_error[0] = 0;
    r->attempts++;
    r->easy = curl_easy_init();
    if (!r->easy) return -1;
    curl_easy_setopt(r->easy, CURLOPT_URL, state->endpoint);
    curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, r->body);
    curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(r->body));
    curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, byte_buffer_write_callback);
    curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, &r->response);
    curl_easy_setopt(r->easy, CURLOPT_ERRORBUFFER, r->curl_error);
    curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, (long)(state->options.timeout_seconds * 1000.0));
    curl_easy_setopt(r->easy, CURLOPT_PRIVATE, r);
    curl_easy_setopt(r->easy, CURLOPT_USERAGENT, "iar-eval/1");
    if (curl_multi_add_handle(multi, r->easy) != CURLM_OK) {
        curl_easy_cleanup(r->easy);
        r->easy = NULL;
        return -1;
    }
    return 0;
}

typedef struct RunLoop {
    Backend *self;
    OpenaiState *state;
    const Dataset *dataset;
    BackendResultFn on_result;
    void *user;
    Progress *progress;
    Request **waiting; // retries waiting for their time
    size_t waiting_count;
    double pause_until; // after a 429 with Retry-After, no new request starts before this
    char fatal[512];    // set on 401/403: no new request starts, the run fails (and can resume later)
} RunLoop;

static void finish(RunLoop *loop, Request *r, const char *text, const char *error, int permanent, int prompt_tokens,
                   int completion_tokens, double latency, int cached) {
    BackendResult result = {.text = text,
                            .error = error,
                            .error_permanent = error && permanent,
                            .prompt_tokens = prompt_tokens,
                            .completion_tokens = completion_tokens,
                            .latency_seconds = latency,
                            .attempts = r->attempts,
                            .cached = cached};
    loop->on_result(loop->user, r->sample_index, &result);
    progress_advance(loop->progress, 1, text ? 0 : 1);
    request_free(r);
}

// A new request: its body and cache key; served at once from the cache when possible.
// Returns the request to send, or NULL when it already finished (cached or unbuildable).
static Request *request_create(RunLoop *loop, size_t sample_index) {
    Request *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->sample_index = sample_index;
    Error err = {{0}};
    const Sample *sample = &loop->dataset->samples[sample_index];
    if (openai_request_build(&r->body, r->key, loop->state->model, loop->state->base_url, &loop->state->chat,
                             loop->dataset, sample, &loop->state->options, &err) != 0) {
        finish(loop, r, NULL, err.message, 1, -1, -1, 0.0, 0);
        return NULL;
    }
    if (loop->state->cache) {
        char *text = NULL;
        int prompt_tokens, completion_tokens;
        if (response_cache_get(loop->state->cache, r->key, &text, &prompt_tokens, &completion_tokens, NULL) == 1) {
            finish(loop, r, text, NULL, 0, prompt_tokens, completion_tokens, 0.0, 1);
            free(text);
            return NULL;
        }
    }
    return r;
}

static void handle_done(RunLoop *loop, CURLM *multi, CURLMsg *message) {
    Request *r = NULL;
    CURL *easy = message->easy_handle;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&r);
    CURLcode code = message->data.result;
    long status = 0;
    curl_off_t retry_after = 0;
    double latency = 0.0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(easy, CURLINFO_RETRY_AFTER, &retry_after);
    curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME, &latency);
    curl_multi_remove_handle(multi, easy);
    curl_easy_cleanup(easy);
    r->easy = NULL;

    char reason[512];
    int retryable = 0, permanent = 0;
    if (code != CURLE_OK) {
        permanent = r->response.overflowed;
        retryable = !r->response.overflowed;
        snprintf(reason, sizeof reason, "%s", r->response.overflowed ? "response over 16 MB"
                                              : code == CURLE_OPERATION_TIMEDOUT ? "timed out"
                                              : r->curl_error[0] ? r->curl_error : curl_easy_strerror(code));
    } else if (status != 200) {
        retryable = openai_status_retryable(status);
        permanent = openai_status_permanent(status);
        snprintf(reason, sizeof reason, "HTTP %ld: %.300s", status, byte_buffer_text(&r->response));
        if ((status == 401 || status == 403) && !loop->fatal[0])
            snprintf(loop->fatal, sizeof loop->fatal, "the server refused the API key (HTTP %ld) at %.300s; check $%.60s",
                     status, loop->state->endpoint,
                     loop->state->options.api_key_env ? loop->state->options.api_key_env : "OPENAI_API_KEY");
    } else {
        char *text = NULL;
        int prompt_tokens, completion_tokens;
        Error err = {{0}};
        if (openai_response_parse(byte_buffer_text(&r->response), &text, &prompt_tokens, &completion_tokens, &err) == 0) {
            if (loop->state->cache) response_cache_put(loop->state->cache, r->key, text, prompt_tokens, completion_tokens, NULL);
            finish(loop, r, text, NULL, 0, prompt_tokens, completion_tokens, latency, 0);
            free(text);
            return;
        }
        retryable = 1; // a truncated or garbled body is usually a proxy hiccup
        snprintf(reason, sizeof reason, "%.400s", err.message);
    }
    for (char *p = reason; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    if (retryable && r->attempts <= loop->state->options.max_retries) {
        double delay = openai_retry_delay(&loop->state->options, r->sample_index, r->attempts, (double)retry_after);
        double now = time_now_seconds();
        r->not_before = now + delay;
        if (status == 429 && retry_after > 0 && now + delay > loop->pause_until) loop->pause_until = now + delay;
        loop->waiting[loop->waiting_count++] = r;
        return;
    }
    char error[640];
    snprintf(error, sizeof error, "%s (after %d attempt%s)", reason, r->attempts, r->attempts == 1 ? "" : "s");
    finish(loop, r, NULL, error, permanent, -1, -1, latency, 0);
}

// The waiting retry whose time has come first, removed from the list; NULL when none is due.
static Request *take_due_retry(RunLoop *loop, double now) {
    size_t best = loop->waiting_count;
    for (size_t i = 0; i < loop->waiting_count; i++)
        if (loop->waiting[i]->not_before <= now &&
            (best == loop->waiting_count || loop->waiting[i]->not_before < loop->waiting[best]->not_before))
            best = i;
    if (best == loop->waiting_count) return NULL;
    Request *r = loop->waiting[best];
    loop->waiting[best] = loop->waiting[--loop->waiting_count];
    return r;
}

static int openai_run(Backend *self, const Dataset *dataset, const size_t *indices, size_t count,
                      BackendResultFn on_result, void *user, Progress *progress, Error *err) {
    OpenaiState *state = self->state;
    int concurrency = state->options.concurrency > 0 ? state->options.concurrency : 1;
    RunLoop loop = {self, state, dataset, on_result, user, progress, calloc(count + 1, sizeof(Request *)), 0, 0.0, ""};
    CURLM *multi = curl_multi_init();
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Expect:"); // no 100-continue round trip for large bodies
    if (state->authorization) headers = curl_slist_append(headers, state->authorization);
    if (!loop.waiting || !multi || !headers) {
        free(loop.waiting);
        if (multi) curl_multi_cleanup(multi);
        curl_slist_free_all(headers);
        return error_set(err, "out of memory starting HTTP requests");
    }
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)concurrency);
    size_t next = 0;
    int active = 0, status = 0;
    while (next < count || active > 0 || loop.waiting_count > 0) {
        if (loop.fatal[0]) next = count; // let the requests in flight end; start nothing new
        double now = time_now_seconds();
        while (active < concurrency) {
            Request *r = take_due_retry(&loop, now);
            while (!r && next < count && now >= loop.pause_until) {
                r = request_create(&loop, indices[next++]);
                now = time_now_seconds();
            }
            if (!r) break;
            if (request_start(multi, r, state, headers) != 0) {
                finish(&loop, r, NULL, "cannot create an HTTP request (out of memory?)", 0, -1, -1, 0.0, 0);
                continue;
            }
            active++;
        }
        int running = 0;
        curl_multi_perform(multi, &running);
        CURLMsg *message;
        int left;
        while ((message = curl_multi_info_read(multi, &left)))
            if (message->msg == CURLMSG_DONE) {
                handle_done(&loop, multi, message);
                active--;
            }
        // A free slot and work that may start now: loop at once instead of sleeping.
        now = time_now_seconds();
        if (active < concurrency && next < count && now >= loop.pause_until) continue;
        // Sleep until a socket is ready, a retry is due, or the pause ends (at most 100 ms).
        double wake = now + 0.1;
        for (size_t i = 0; i < loop.waiting_count; i++)
            if (loop.waiting[i]->not_before < wake) wake = loop.waiting[i]->not_before;
        if (next < count && loop.pause_until > now && loop.pause_until < wake) wake = loop.pause_until;
        int timeout_ms = (int)((wake - time_now_seconds()) * 1000.0);
        if (active > 0 || timeout_ms > 0) curl_multi_poll(multi, NULL, 0, timeout_ms > 0 ? timeout_ms : 0, NULL);
    }
    curl_slist_free_all(headers);
    curl_multi_cleanup(multi);
    free(loop.waiting);
    if (loop.fatal[0]) status = error_set(err, "%s", loop.fatal);
    return status;
}

static void openai_destroy(Backend *self) {
    OpenaiState *state = self->state;
    if (!state) return;
    if (state->authorization) {
        memset(state->authorization, 0, strlen(state->authorization));
        free(state->authorization);
    }
    chat_template_free(&state->chat);
    response_cache_close(state->cache);
    free(state);
    self->state = NULL;
}

int backend_openai_open(Backend *out, const char *model_and_url, const BackendOptions *options, Error *err) {
    memset(out, 0, sizeof *out);
    const char *at = strchr(model_and_url, '@');
    size_t model_length = at ? (size_t)(at - model_and_url) : strlen(model_and_url);
    if (model_length == 0 || model_length >= 256) return error_set(err, "openai: give a model name: openai:MODEL[@BASE_URL]");
    const char *base_url = at ? at + 1 : OPENAI_DEFAULT_BASE_URL;
    if (strncmp(base_url, "http://", 7) != 0 && strncmp(base_url, "https://", 8) != 0)
        return error_set(err, "openai: base URL '%.200s' must start with http:// or https://", base_url);
    if (strlen(base_url) >= 700) return error_set(err, "openai: base URL is too long");
    OpenaiState *state = calloc(1, sizeof *state);
    if (!state) return error_set(err, "out of memory");
    out->state = state;
    out->destroy = openai_destroy;
    out->run = openai_run;
    memcpy(state->model, model_and_url, model_length);
    snprintf(state->base_url, sizeof state->base_url, "%s", base_url);
    size_t n = strlen(state->base_url);
    while (n > 0 && state->base_url[n - 1] == '/') state->base_url[--n] = 0;
    snprintf(state->endpoint, sizeof state->endpoint, "%s/chat/completions", state->base_url);
    state->options = *options;
    const char *key_env = options->api_key_env && options->api_key_env[0] ? options->api_key_env : "OPENAI_API_KEY";
    const char *key = getenv(key_env);
    if (key && key[0]) {
        if (asprintf(&state->authorization, "Authorization: Bearer %s", key) < 0) state->authorization = NULL;
    } else if (!at) {
        backend_close(out);
        return error_set(err, "openai: the environment variable %s holds no API key (set it, or name another with --api-key-env)", key_env);
    }
    if (chat_template_load(&state->chat, options->prompt_template_path, err) != 0 ||
        (options->cache_path && response_cache_open(&state->cache, options->cache_path, err) != 0)) {
        backend_close(out);
        return -1;
    }
    static int curl_ready = 0;
    if (!curl_ready) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        curl_ready = 1;
    }
    snprintf(out->name, sizeof out->name, "openai-%.140s", state->model);
    for (char *p = out->name; *p; p++)
        if (*p == '/' || *p == ':' || *p == ' ') *p = '-';
    return 0;
}
