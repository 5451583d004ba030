// server.c — the HTTP layer: libmicrohttpd with a thread pool, routing, limits (413, 401, 503,
// 504), request bodies, suspended connections while the model works (and cancelled when their
// client leaves), metrics and clean shutdown.
#include "serve/server.h"

#include <errno.h>
#include <malloc.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "core/progress.h"
#include "data/dataset.h"
#include "serve/example.h"
#include "serve/job_queue.h"
#include "serve/metrics.h"
#include "serve/multipart.h"
#include "serve/page.h"
#include "serve/response.h"
#include "serve/stream.h"

struct ServeServer {
    ServeOptions options;
    char *api_key;
    Screener *screener;
    struct MHD_Daemon *daemon;
    JobQueue queue;
    ServeMetrics metrics;
    Dataset examples;
    int has_examples;
    int stopping; // set once by serve_server_stop; read with __atomic_load_n by connection threads
    int port;
    size_t pixels_in_use; // decoded pixels held by requests (atomic); bounded by max_server_pixels
    unsigned long long next_id;
    long long started_unix;
};

// Per request: lives from the first call of the handler to the "request completed" notification.
typedef struct RequestState {
    ServeServer *server;
    struct MHD_Connection *connection;
    ServeRoute route;
    int method_post;
    double start_seconds;
    char *body;
    size_t body_size, body_capacity;
    int responded; // a response is queued; ignore further upload data
    int too_large; // the body passed --max-body: discarded, answered 413 at its end
    size_t discarded;
    int status;    // HTTP status sent (for metrics and the log)
    int job_state; // 0: none, 1: queued or running, 2: done
    int started_while_stopping; // a request begun after shutdown began gets 503; earlier ones are finished
    size_t pixels_reserved; // of the server's pixel budget, released when the request completes
    ChatStream *stream;     // a chat completion streamed as it is generated, else NULL
    int stream_waiting;     // (under stream->lock) the connection is suspended until more events come
    int orphaned;           // (under stream->lock) the client left mid-stream: the worker frees the state
    int socket;             // the connection's descriptor, for client_gone (-1: unknown)
    ScreenJob job;
    char method[8];
    char path[160];
} RequestState;

void serve_options_default(ServeOptions *options) {
    memset(options, 0, sizeof *options);
    options->host = "127.0.0.1";
    options->port = 8080;
    options->max_body_bytes = (size_t)32 << 20;
    options->max_concurrent = 16;
    options->timeout_seconds = 60;
    options->idle_timeout_seconds = 10;
    options->max_connections = 1024;
    options->per_ip_connections = 32;
    options->threads = 4;
    options->limits.max_pixels = (size_t)4096 * 4096;
    // five 2048² images: 63 MB decoded; the server holds four such requests' pixels at most
    options->limits.max_request_pixels = (size_t)5 * 2048 * 2048;
    options->max_server_pixels = 4 * options->limits.max_request_pixels;
    options->limits.max_tokens = 4096;
    options->limits.default_tokens = 512;
    options->limits.max_choices = SCREENER_MAX_CHOICES;
}

static int server_stopping(const ServeServer *server) { return __atomic_load_n(&server->stopping, __ATOMIC_ACQUIRE); }

// ---- responses ----

static enum MHD_Result respond(RequestState *state, int status, char *body, size_t size, const char *content_type) {
    if (!body) {
        status = 500;
        body = strdup("{\"error\":{\"message\":\"out of memory\",\"type\":\"server_error\",\"code\":500}}");
        size = body ? strlen(body) : 0;
        content_type = "application/json";
    }
    struct MHD_Response *response =
        MHD_create_response_from_buffer(size, body ? body : (char *)"", body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!response) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(response, "Content-Type", content_type);
    MHD_add_response_header(response, "Cache-Control", "no-store");
    MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
    if (status == 503) MHD_add_response_header(response, "Retry-After", "1");
    if (status == 401) MHD_add_response_header(response, "WWW-Authenticate", "Bearer");
    if (status == 405) MHD_add_response_header(response, "Allow", state->route == ROUTE_CHAT || state->route == ROUTE_SCREEN ? "POST" : "GET, HEAD");
    if (strcmp(content_type, "text/event-stream") == 0) MHD_add_response_header(response, "X-Accel-Buffering", "no");
    // While stopping, nobody may keep a connection open for the next request.
    if (server_stopping(state->server)) MHD_add_response_header(response, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result result = MHD_queue_response(state->connection, (unsigned)status, response);
    MHD_destroy_response(response);
    state->status = status;
    state->responded = 1;
    return result;
}

static enum MHD_Result respond_json(RequestState *state, int status, char *json) {
    return respond(state, status, json, json ? strlen(json) : 0, "application/json");
}

static enum MHD_Result respond_error(RequestState *state, int status, const char *message) {
    return respond_json(state, status, response_error_json(status, message));
}

// ---- routing and checks ----

static ServeRoute route_match(const char *url, int *post_route) {
    static const struct {
        const char *path;
        ServeRoute route;
        int post;
    } ROUTES[] = {
        {"/", ROUTE_PAGE, 0},           {"/index.html", ROUTE_PAGE, 0},     {"/health", ROUTE_HEALTH, 0},
        {"/metrics", ROUTE_METRICS, 0}, {"/v1/models", ROUTE_MODELS, 0},    {"/v1/chat/completions", ROUTE_CHAT, 1},
        {"/v1/screen", ROUTE_SCREEN, 1}, {"/v1/example", ROUTE_EXAMPLE, 0},
    };
    for (size_t i = 0; i < sizeof ROUTES / sizeof ROUTES[0]; i++)
        if (strcmp(url, ROUTES[i].path) == 0) {
            *post_route = ROUTES[i].post;
            return ROUTES[i].route;
        }
    *post_route = 0;
    if (strncmp(url, "/v1/models/", 11) == 0 && url[11]) return ROUTE_MODELS; // GET /v1/models/ID
    return ROUTE_OTHER;
}

// Compares without an early exit, so the time taken does not reveal how much of the key matched.
static int key_equal(const char *given, const char *expected) {
    size_t given_size = strlen(given), expected_size = strlen(expected);
    unsigned char difference = given_size != expected_size;
    for (size_t i = 0; i < expected_size; i++) difference |= (unsigned char)(given[i < given_size ? i : 0] ^ expected[i]);
    return difference == 0;
}

static int request_authorized(const ServeServer *server, struct MHD_Connection *connection) {
    if (!server->api_key) return 1;
    const char *header = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Authorization");
    if (!header || strncasecmp(header, "Bearer ", 7) != 0) return 0;
    const char *key = header + 7;
    while (*key == ' ') key++;
    return key_equal(key, server->api_key);
}

static char *health_json(ServeServer *server) {
    char *text = NULL;
    pthread_mutex_lock(&server->metrics.lock);
    long long in_flight = (long long)server->metrics.in_flight, queued = (long long)server->metrics.queued;
    pthread_mutex_unlock(&server->metrics.lock);
    if (asprintf(&text,
                 "{\"status\":\"%s\",\"model\":\"%s\",\"workers\":%d,\"in_flight\":%lld,\"queued\":%lld,"
                 "\"max_concurrent\":%d,\"uptime_seconds\":%.1f}",
                 server_stopping(server) ? "stopping" : "ok", server->screener->model_id, server->screener->worker_count,
                 in_flight, queued, server->options.max_concurrent,
                 time_now_seconds() - server->metrics.start_seconds) < 0)
        return NULL;
    return text;
}

static enum MHD_Result handle_get(RequestState *state) {
    ServeServer *server = state->server;
    switch (state->route) {
    case ROUTE_PAGE: {
        char *page = strdup(SERVE_PAGE_HTML);
        return respond(state, 200, page, page ? strlen(page) : 0, "text/html; charset=utf-8");
    }
    case ROUTE_HEALTH:
        return respond_json(state, server_stopping(server) ? 503 : 200, health_json(server));
    case ROUTE_METRICS: {
        char *text = metrics_format(&server->metrics);
        return respond(state, 200, text, text ? strlen(text) : 0, "text/plain; version=0.0.4; charset=utf-8");
    }
    case ROUTE_MODELS:
        if (strcmp(state->path, "/v1/models") == 0)
            return respond_json(state, 200, response_models_json(server->screener->model_id, server->started_unix));
        if (strcmp(state->path + 11, server->screener->model_id) != 0)
            return respond_error(state, 404, "no such model (GET /v1/models lists the one served)");
        return respond_json(state, 200, response_model_json(server->screener->model_id, server->started_unix));
    case ROUTE_EXAMPLE: {
        if (!server->has_examples)
            return respond_error(state, 404, "no example dataset: start the server with --example DATA.jsonl");
        const char *value = MHD_lookup_connection_value(state->connection, MHD_GET_ARGUMENT_KIND, "index");
        size_t index = 0, digits = 0;
        for (; value && value[digits] >= '0' && value[digits] <= '9' && index < server->examples.count; digits++)
            index = index * 10 + (size_t)(value[digits] - '0');
        if (value && (digits == 0 || (value[digits] && index < server->examples.count)))
            return respond_error(state, 400, "'index' must be a non-negative integer");
        if (index >= server->examples.count) {
            char message[96];
            snprintf(message, sizeof message, "no example %s: the dataset has %zu (0..%zu)", value, server->examples.count,
                     server->examples.count - 1);
            return respond_error(state, 404, message);
        }
        Error err = {{0}};
        char *json = example_json(&server->examples, index, &err);
        return json ? respond_json(state, 200, json) : respond_error(state, 500, err.message);
    }
    default:
        return respond_error(state, 404, "not found");
    }
}

// ---- screening requests ----

static void request_state_free(RequestState *state);
static enum MHD_Result start_stream(RequestState *state);

static void job_done(ScreenJob *job) {
    RequestState *state = job->user;
    if (!state->stream) {
        state->job_state = 2;
        MHD_resume_connection(state->connection);
        return;
    }
    ChatStream *stream = state->stream;
    pthread_mutex_lock(&stream->lock);
    chat_stream_finish(stream, job->outputs, job->http_status, job->err.message);
    state->job_state = 2;
    int orphaned = state->orphaned;
    if (state->stream_waiting && !orphaned) {
        state->stream_waiting = 0;
        MHD_resume_connection(state->connection);
    }
    pthread_mutex_unlock(&stream->lock);
    if (orphaned) request_state_free(state); // the connection is gone; the job was its last user
}

// ScreenJob.on_text of a streamed request, on the worker: new text becomes events, and a
// suspended connection wakes up to send them. Returns 1 to stop generating.
static int stream_text(void *user, int choice, const char *text, size_t size) {
    RequestState *state = user;
    ChatStream *stream = state->stream;
    pthread_mutex_lock(&stream->lock);
    int stop = chat_stream_text(stream, choice, text, size);
    if (state->stream_waiting && stream->size > stream->sent && !state->orphaned) {
        state->stream_waiting = 0;
        MHD_resume_connection(state->connection);
    }
    pthread_mutex_unlock(&stream->lock);
    return stop;
}

// libmicrohttpd's content reader of a streamed response, on the connection thread: sends what
// the worker produced, or suspends the connection until it produces more.
static ssize_t stream_read(void *cls, uint64_t position, char *buffer, size_t max) {
    (void)position;
    RequestState *state = cls;
    ChatStream *stream = state->stream;
    pthread_mutex_lock(&stream->lock);
    long n = chat_stream_read(stream, buffer, max);
    if (n == 0) {
        state->stream_waiting = 1;
        MHD_suspend_connection(state->connection);
    }
    pthread_mutex_unlock(&stream->lock);
    return n < 0 ? (ssize_t)MHD_CONTENT_READER_END_OF_STREAM : (ssize_t)n;
}

// Whether the peer closed (or reset) the connection. Data waiting on it (a pipelined request) is
// only peeked at, so libmicrohttpd still reads it. A client that half-closes after its request
// counts as gone, as in nginx.
static int socket_closed_by_peer(int socket) {
    if (socket < 0) return 0;
    struct pollfd poller = {.fd = socket, .events = POLLIN};
#ifdef POLLRDHUP
    poller.events |= POLLRDHUP;
#endif
    if (poll(&poller, 1, 0) <= 0) return 0;
#ifdef POLLRDHUP
    if (poller.revents & POLLRDHUP) return 1;
#endif
    if (poller.revents & (POLLHUP | POLLERR | POLLNVAL)) return 1;
    char byte;
    ssize_t got = recv(socket, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

// ScreenJob.client_gone, on the worker. libmicrohttpd does not watch a suspended connection (its
// "request completed" comes only after a resume), so the worker looks at the socket itself. That
// is safe while the connection is suspended: libmicrohttpd neither reads nor closes it then. A
// non-streamed request stays suspended until its job is done; a stream is suspended while it
// waits for text (else libmicrohttpd, busy sending, sees the close and sets `orphaned`).
static int client_gone(void *user) {
    RequestState *state = user;
    if (!state->stream) return socket_closed_by_peer(state->socket);
    pthread_mutex_lock(&state->stream->lock);
    int gone = state->orphaned || (state->stream_waiting && socket_closed_by_peer(state->socket));
    pthread_mutex_unlock(&state->stream->lock);
    return gone;
}

// The server's pixel budget, asked by the request parser before it decodes (RequestLimits).
static int reserve_pixels(void *user, size_t pixels) {
    RequestState *state = user;
    ServeServer *server = state->server;
    size_t in_use = __atomic_load_n(&server->pixels_in_use, __ATOMIC_RELAXED);
    do {
        if (pixels > server->options.max_server_pixels || in_use > server->options.max_server_pixels - pixels) return -1;
    } while (!__atomic_compare_exchange_n(&server->pixels_in_use, &in_use, in_use + pixels, 1, __ATOMIC_ACQ_REL,
                                          __ATOMIC_RELAXED));
    state->pixels_reserved += pixels;
    return 0;
}

static enum MHD_Result submit_job(RequestState *state) {
    ServeServer *server = state->server;
    Error err = {{0}};
    ScreenRequest *request = &state->job.request;
    // the place first: a request the server has no room for is refused before its images are decoded
    if (state->started_while_stopping || job_queue_reserve(&server->queue) != 0) {
        free(state->body);
        state->body = NULL;
        metrics_add(&server->metrics, &server->metrics.rejected, 1);
        return respond_error(state, 503,
                             state->started_while_stopping ? "the server is shutting down"
                                              : "the server is at its limit of concurrent screening requests; retry after 1 s");
    }
    RequestLimits limits = server->options.limits;
    limits.reserve_pixels = reserve_pixels;
    limits.reserve_user = state;
    const char *content_type = MHD_lookup_connection_value(state->connection, MHD_HEADER_KIND, "Content-Type");
    int rc = state->route == ROUTE_CHAT ? request_parse_chat(request, state->body, state->body_size, &limits, &err)
             : multipart_is_form(content_type)
                 ? request_parse_screen_form(request, content_type, state->body, state->body_size, &limits, &err)
                 : request_parse_screen(request, state->body, state->body_size, &limits, &err);
    free(state->body);
    state->body = NULL;
    if (rc != 0) {
        job_queue_unreserve(&server->queue);
        if (request->error_status == 503) metrics_add(&server->metrics, &server->metrics.rejected, 1);
        return respond_error(state, request->error_status ? request->error_status : 400, err.message);
    }
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(state->connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    state->socket = info ? (int)info->connect_fd : -1;
    state->job.user = state;
    state->job.on_done = job_done;
    state->job.client_gone = client_gone;
    state->job_state = 1;
    if (state->route == ROUTE_CHAT && request->stream) {
        state->job.on_text = stream_text;
        enum MHD_Result started = start_stream(state);
        job_queue_push(&server->queue, &state->job); // the place is reserved: the job must run to free it
        return started;
    }
    // Suspend before queueing: the worker may finish and resume the connection at once.
    MHD_suspend_connection(state->connection);
    job_queue_push(&server->queue, &state->job);
    return MHD_YES;
}

static void response_id(const RequestState *state, char *id, size_t size) {
    ServeServer *server = state->server;
    unsigned long long serial = __atomic_add_fetch(&server->next_id, 1, __ATOMIC_RELAXED);
    snprintf(id, size, "%s-%llx%06llx", state->route == ROUTE_CHAT ? "chatcmpl" : "screen",
             (unsigned long long)server->started_unix, serial);
}

// A streamed chat completion: the response goes out at once and grows as the model generates.
static enum MHD_Result start_stream(RequestState *state) {
    ServeServer *server = state->server;
    char id[48];
    response_id(state, id, sizeof id);
    ResponseContext context = {.id = id, .model_id = server->screener->model_id, .created = (long long)time(NULL),
                               .image_tokens = server->screener->image_tokens};
    state->stream = calloc(1, sizeof *state->stream);
    if (!state->stream || chat_stream_init(state->stream, &context, &state->job.request) != 0) return MHD_NO;
    struct MHD_Response *response = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, state, NULL);
    if (!response) return MHD_NO;
    MHD_add_response_header(response, "Content-Type", "text/event-stream");
    MHD_add_response_header(response, "Cache-Control", "no-store");
    MHD_add_response_header(response, "X-Accel-Buffering", "no");
    MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
    enum MHD_Result result = MHD_queue_response(state->connection, 200, response);
    MHD_destroy_response(response);
    state->status = 200;
    state->responded = 1;
    return result;
}

static enum MHD_Result finish_job(RequestState *state) {
    ServeServer *server = state->server;
    ScreenJob *job = &state->job;
    if (job->http_status != 200) return respond_error(state, job->http_status, job->err.message);
    char id[48];
    response_id(state, id, sizeof id);
    ResponseContext context = {
        .id = id,
        .model_id = server->screener->model_id,
        .created = (long long)time(NULL),
        .queue_seconds = job->started_seconds - job->enqueued_seconds,
        .inference_seconds = job->finished_seconds - job->started_seconds,
        .total_seconds = time_now_seconds() - state->start_seconds,
        .image_tokens = server->screener->image_tokens,
    };
    response_apply_stop(&job->request, job->outputs);
    if (state->route == ROUTE_SCREEN) return respond_json(state, 200, response_screen_json(&context, &job->request, job->outputs));
    if (!job->request.stream) return respond_json(state, 200, response_chat_json(&context, &job->request, job->outputs));
    size_t size = 0;
    char *body = response_chat_stream(&context, &job->request, job->outputs, &size);
    return respond(state, 200, body, size, "text/event-stream");
}

// Appends upload data up to --max-body. libmicrohttpd cannot queue a response while upload data is
// pending, so an oversized body (chunked, with no declared length) is discarded and answered 413
// at its end; one that goes on past twice the limit gets the connection closed instead.
static enum MHD_Result receive_body(RequestState *state, const char *data, size_t *size) {
    size_t add = *size;
    *size = 0;
    size_t limit = state->server->options.max_body_bytes;
    if (state->too_large) {
        state->discarded += add;
        return state->discarded > limit ? MHD_NO : MHD_YES;
    }
    if (state->body_size + add > limit) {
        state->too_large = 1;
        state->discarded = state->body_size + add - limit;
        free(state->body);
        state->body = NULL;
        state->body_size = state->body_capacity = 0;
        return MHD_YES;
    }
    if (state->body_size + add + 1 > state->body_capacity) {
        size_t capacity = state->body_capacity ? state->body_capacity : 16384;
        while (capacity < state->body_size + add + 1) capacity *= 2;
        if (capacity > limit + 1) capacity = limit + 1;
        char *grown = realloc(state->body, capacity);
        if (!grown) return MHD_NO;
        state->body = grown;
        state->body_capacity = capacity;
    }
    memcpy(state->body + state->body_size, data, add);
    state->body_size += add;
    state->body[state->body_size] = 0;
    return MHD_YES;
}

static enum MHD_Result respond_too_large(RequestState *state, const char *declared) {
    char message[160];
    snprintf(message, sizeof message, "request body%s%s%s is over the %zu-byte limit (--max-body)", declared ? " of " : "",
             declared ? declared : "", declared ? " bytes" : "", state->server->options.max_body_bytes);
    return respond_error(state, 413, message);
}

// First call of a request: route, method, authentication and declared size are checked before
// any of the body is read.
static enum MHD_Result handle_start(RequestState *state, const char *url, const char *method) {
    ServeServer *server = state->server;
    int post_route = 0;
    state->route = route_match(url, &post_route);
    snprintf(state->method, sizeof state->method, "%s", method);
    snprintf(state->path, sizeof state->path, "%s", url);
    int is_get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    state->method_post = strcmp(method, "POST") == 0;
    if (state->route == ROUTE_OTHER) return respond_error(state, 404, "no such route (see GET / for the API)");
    if (post_route ? !state->method_post : !is_get) return respond_error(state, 405, "method not allowed on this route");
    if (state->route >= ROUTE_MODELS && !request_authorized(server, state->connection))
        return respond_error(state, 401, "missing or wrong API key: send 'Authorization: Bearer KEY'");
    if (!state->method_post) return handle_get(state);
    const char *length = MHD_lookup_connection_value(state->connection, MHD_HEADER_KIND, "Content-Length");
    if (length && strtoull(length, NULL, 10) > server->options.max_body_bytes) return respond_too_large(state, length);
    return MHD_YES;
}

static enum MHD_Result handle_request(void *cls, struct MHD_Connection *connection, const char *url,
                                      const char *method, const char *version, const char *upload_data,
                                      size_t *upload_data_size, void **request_cls) {
    ServeServer *server = cls;
    RequestState *state = *request_cls;
    if (!state) {
        state = calloc(1, sizeof *state);
        if (!state) return MHD_NO;
        state->server = server;
        state->connection = connection;
        state->start_seconds = time_now_seconds();
        state->started_while_stopping = server_stopping(server);
        *request_cls = state;
        metrics_add(&server->metrics, &server->metrics.in_flight, 1);
        return handle_start(state, url, method);
    }
    if (*upload_data_size) {
        if (state->responded) { // answered on the first call (401, 404, ...): drop the body
            *upload_data_size = 0;
            return MHD_YES;
        }
        return receive_body(state, upload_data, upload_data_size);
    }
    if (state->responded) return MHD_YES;
    if (state->too_large) return respond_too_large(state, NULL);
    if (state->job_state == 0) return submit_job(state);
    if (state->job_state == 2) return finish_job(state);
    return MHD_YES; // still running (a spurious call while suspended)
}

static void request_completed(void *cls, struct MHD_Connection *connection, void **request_cls,
                              enum MHD_RequestTerminationCode code) {
    ServeServer *server = cls;
    RequestState *state = *request_cls;
    if (!state) return;
    *request_cls = NULL;
    // a job dropped for a client that left has no response when libmicrohttpd sees the close first
    if (state->status == 0 && state->job_state == 2) state->status = state->job.http_status;
    double seconds = time_now_seconds() - state->start_seconds;
    metrics_record(&server->metrics, state->route, state->status, seconds);
    metrics_add(&server->metrics, &server->metrics.in_flight, -1);
    if (server->options.log) {
        char line[256];
        snprintf(line, sizeof line, "%s %s %d %.1f ms%s", state->method, state->path, state->status, seconds * 1000,
                 code == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (connection closed early)");
        server->options.log(server->options.log_user, line);
    }
    if (state->stream) {
        // a client that leaves mid-stream cancels its generation (the worker counts it, in
        // job_queue.c); the worker frees what it still uses
        pthread_mutex_lock(&state->stream->lock);
        int running = state->job_state == 1;
        if (running) state->stream->cancelled = state->orphaned = 1;
        pthread_mutex_unlock(&state->stream->lock);
        if (running) return;
    }
    request_state_free(state);
}

// Decoded pixels of one request above which its freed buffers are handed back to the system at once
// (glibc keeps freed heap memory for reuse otherwise: the server's RSS would stay at its peak).
#define SERVE_TRIM_PIXELS ((size_t)4 << 20)

static void request_state_free(RequestState *state) {
    ServeServer *server = state->server;
    int trim = state->job.request.pixels > SERVE_TRIM_PIXELS;
    request_free(&state->job.request);
    job_outputs_free(&state->job);
    if (state->pixels_reserved) __atomic_sub_fetch(&server->pixels_in_use, state->pixels_reserved, __ATOMIC_ACQ_REL);
    if (state->stream) chat_stream_free(state->stream);
    free(state->stream);
    free(state->body);
    free(state);
    if (trim) malloc_trim(0);
}

// ---- start and stop ----

static int resolve_host(const char *host, int port, struct sockaddr_storage *address, socklen_t *size, Error *err) {
    struct addrinfo hints, *result = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    int rc = getaddrinfo(host, service, &hints, &result);
    if (rc != 0 || !result) return error_set(err, "serve: cannot resolve host '%s': %s", host, gai_strerror(rc));
    memcpy(address, result->ai_addr, result->ai_addrlen);
    *size = result->ai_addrlen;
    freeaddrinfo(result);
    return 0;
}

static void server_free(ServeServer *server) {
    if (server->has_examples) dataset_free(&server->examples);
    metrics_destroy(&server->metrics);
    free(server->api_key);
    free(server);
}

int serve_server_start(ServeServer **out, const ServeOptions *options, Screener *screener, Error *err) {
    *out = NULL;
    if (!screener || !screener->screen || screener->worker_count < 1) return error_set(err, "serve: no screener");
    if (options->port < 0 || options->port > 65535) return error_set(err, "serve: port %d is outside 0..65535", options->port);
    if (options->max_concurrent < 1 || options->threads < 1 || options->max_body_bytes < 1 || options->max_connections < 1 ||
        options->per_ip_connections < 1 || options->max_server_pixels < 1)
        return error_set(err, "serve: --max-concurrent, threads, --max-body, connection limits and pixel budgets must be positive");
    ServeServer *server = calloc(1, sizeof *server);
    if (!server) return error_set(err, "serve: out of memory");
    server->options = *options;
    server->screener = screener;
    server->started_unix = (long long)time(NULL);
    metrics_init(&server->metrics);
    if (options->api_key && options->api_key[0]) server->api_key = strdup(options->api_key);
    if (options->example_path) {
        if (dataset_load(&server->examples, options->example_path, err) != 0) {
            server_free(server);
            return error_prefix(err, "serve: --example: ");
        }
        server->examples.allow_outside = options->example_allow_outside;
        server->has_examples = server->examples.count > 0;
        if (!server->has_examples) dataset_free(&server->examples);
    }
    struct sockaddr_storage address;
    socklen_t address_size = 0;
    if (resolve_host(options->host ? options->host : "127.0.0.1", options->port, &address, &address_size, err) != 0) {
        server_free(server);
        return -1;
    }
    if (job_queue_start(&server->queue, screener, options->max_concurrent, options->timeout_seconds, &server->metrics,
                        err) != 0) {
        server_free(server);
        return -1;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_AUTO;
    if (address.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
    unsigned timeout = options->idle_timeout_seconds >= 1 ? (unsigned)options->idle_timeout_seconds : 1;
    server->daemon = MHD_start_daemon(flags, (uint16_t)options->port, NULL, NULL, handle_request, server,
                                      MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&address,
                                      MHD_OPTION_THREAD_POOL_SIZE, (unsigned)options->threads,
                                      MHD_OPTION_CONNECTION_TIMEOUT, timeout,
                                      MHD_OPTION_CONNECTION_LIMIT, (unsigned)options->max_connections,
                                      MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)options->per_ip_connections,
                                      MHD_OPTION_NOTIFY_COMPLETED, request_completed, server,
                                      MHD_OPTION_END);
    if (!server->daemon) {
        job_queue_stop(&server->queue);
        server_free(server);
        return error_set(err, "serve: cannot listen on %s:%d (port in use, or not allowed); try another --port",
                         options->host ? options->host : "127.0.0.1", options->port);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(server->daemon, MHD_DAEMON_INFO_BIND_PORT);
    server->port = info ? info->port : options->port;
    *out = server;
    return 0;
}

int serve_server_port(const ServeServer *server) { return server->port; }

void serve_server_stop(ServeServer *server, double drain_seconds) {
    if (!server) return;
    __atomic_store_n(&server->stopping, 1, __ATOMIC_RELEASE);
    MHD_socket listener = MHD_quiesce_daemon(server->daemon); // no new connections from here on
    // In-flight requests finish: queued jobs run, suspended connections resume and answer.
    double deadline = time_now_seconds() + drain_seconds;
    for (;;) {
        pthread_mutex_lock(&server->metrics.lock);
        int64_t in_flight = server->metrics.in_flight;
        pthread_mutex_unlock(&server->metrics.lock);
        if (in_flight <= 0 || time_now_seconds() > deadline) break;
        usleep(10000);
    }
    job_queue_stop(&server->queue);
    MHD_stop_daemon(server->daemon);
    if (listener != MHD_INVALID_SOCKET) close(listener);
    server_free(server);
}
