// test_serve_limits.c — what the server refuses and how it stays up (on the fake screener): idle
// connections from one address cannot starve /health (per-address limit, short idle timeout), the
// decoded-pixel budgets per request (413) and for the whole server (503), /v1/example's index,
// shutdown under keep-alive (and a job queued after the stop began on a place reserved before it),
// clients that hang up before their answer (their work is dropped);
// and the OpenAI contract: unsupported parameters named in a 400, `stop`, finish_reason "length",
// usage counting the image tokens, /v1/screen as multipart/form-data.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/base64.h"
#include "core/progress.h"
#include "serve/job_queue.h"
#include "serve/multipart.h"
#include "serve/request.h"
#include "serve/server.h"
#include "support/data_fixture.h"
#include "support/serve_support.h"

static const int LEVELS_BD[4] = {128, 200, 128, 40};

typedef struct TestServer {
    Screener screener;
    ServeServer *server;
    int port;
    char base[64];
} TestServer;

static void server_up(TestServer *t, int sleep_ms, ServeOptions *options) {
    options->port = 0;
    Error err = {{0}};
    assert_int_equal(fake_screener_open(&t->screener, 1, sleep_ms), 0);
    if (serve_server_start(&t->server, options, &t->screener, &err) != 0) fail_msg("%s", err.message);
    t->port = serve_server_port(t->server);
    snprintf(t->base, sizeof t->base, "http://127.0.0.1:%d", t->port);
}

static void server_down(TestServer *t) {
    serve_server_stop(t->server, 5);
    screener_close(&t->screener);
}

static long call(TestServer *t, const char *method, const char *path, const char *body, HttpResult *out) {
    char url[256];
    snprintf(url, sizeof url, "%s%s", t->base, path);
    http_call(method, url, body, body ? strlen(body) : 0, NULL, out);
    return out->status;
}

// A TCP connection to the server from `source` (a loopback address), or -1 when refused.
static int connect_from(const char *source, int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in local = {.sin_family = AF_INET}, remote = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, source, &local.sin_addr);
    remote.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&local, sizeof local) != 0 || connect(fd, (struct sockaddr *)&remote, sizeof remote) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

// 1 when the server has closed `fd` (recv sees the end or a reset) within `seconds`.
static int closed_within(int fd, double seconds) {
    struct timeval wait = {(time_t)seconds, (suseconds_t)((seconds - (double)(time_t)seconds) * 1e6)};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
    char byte;
    ssize_t got = recv(fd, &byte, 1, 0);
    return got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

// 130 idle connections from one address: those past --per-ip are closed at once, /health from
// another address answers meanwhile, and the idle ones are closed after --idle-timeout.
static void test_idle_flood_does_not_starve_health(void **state) {
    (void)state;
    ServeOptions options;
    serve_options_default(&options);
    options.per_ip_connections = 16;
    options.idle_timeout_seconds = 1;
    TestServer t;
    server_up(&t, 0, &options);
    int fds[130], open_count = 0;
    for (int i = 0; i < 130; i++) fds[i] = connect_from("127.0.0.2", t.port);
    double start = time_now_seconds();
    HttpResult r;
    assert_int_equal(call(&t, "GET", "/health", NULL, &r), 200);
    assert_true(time_now_seconds() - start < 1.0);
    http_result_free(&r);
    nanosleep(&(struct timespec){0, 300 * 1000 * 1000}, NULL); // the server accepts and closes the extra ones
    for (int i = 0; i < 130; i++) // the kernel accepts them all; the server keeps 16 and closes the rest
        if (fds[i] >= 0 && !closed_within(fds[i], 0.01)) open_count++;
    if (open_count > 16) fail_msg("%d connections from one address stayed open (limit 16)", open_count);
    assert_true(open_count >= 1);
    int closed_after_idle = 0;
    for (int i = 0; i < 130; i++)
        if (fds[i] >= 0) {
            closed_after_idle += closed_within(fds[i], 2.5);
            close(fds[i]);
        }
    assert_true(closed_after_idle >= 130 - 2); // all idle ones went after the 1 s idle timeout
    server_down(&t);
}

// Five 16x16 images are 1280 pixels: a request budget below that is 413; a server budget that
// holds one such request answers a second one, arriving meanwhile, with 503.
typedef struct Call {
    TestServer *t;
    const char *body;
    long status;
} Call;

static void *call_thread(void *arg) {
    Call *c = arg;
    HttpResult r;
    c->status = call(c->t, "POST", "/v1/screen", c->body, &r);
    http_result_free(&r);
    return NULL;
}

static void test_pixel_budgets(void **state) {
    (void)state;
    char *body = serve_test_screen_body(LEVELS_BD); // 16x16 images
    ServeOptions options;
    serve_options_default(&options);
    options.limits.max_request_pixels = 5 * 16 * 16 - 1;
    TestServer t;
    server_up(&t, 0, &options);
    HttpResult r;
    assert_int_equal(call(&t, "POST", "/v1/screen", body, &r), 413);
    assert_non_null(strstr(r.body, "per request"));
    http_result_free(&r);
    server_down(&t);

    serve_options_default(&options);
    options.max_server_pixels = 5 * 16 * 16 + 100;
    server_up(&t, 400, &options);
    Call first = {&t, body, 0}, second = {&t, body, 0};
    pthread_t a, b;
    pthread_create(&a, NULL, call_thread, &first);
    struct timespec pause = {0, 150 * 1000 * 1000};
    nanosleep(&pause, NULL); // the first holds its pixels while the fake screener sleeps
    pthread_create(&b, NULL, call_thread, &second);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    assert_int_equal(first.status, 200);
    assert_int_equal(second.status, 503);
    // Released when the first request completed: the server frees its pixels in the request-completed
    // callback, which may run just after the client has read the reply, so allow it a moment.
    int status = 0;
    for (int tries = 0; tries < 40 && status != 200; tries++) {
        if (tries) nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
        status = call(&t, "POST", "/v1/screen", body, &r);
        http_result_free(&r);
    }
    assert_int_equal(status, 200);
    server_down(&t);
    free(body);
}

static void test_example_index_is_validated(void **state) {
    (void)state;
    char *dir = data_fixture_dir();
    data_fixture_images(dir, 40, 30);
    char *line = data_fixture_line("ex1", "placement", "[\"C\"]"), *jsonl = NULL;
    assert_true(asprintf(&jsonl, "%s\n", line) > 0);
    data_fixture_write(dir, "data.jsonl", jsonl);
    char *example = data_fixture_path(dir, "data.jsonl");
    ServeOptions options;
    serve_options_default(&options);
    options.example_path = example;
    TestServer t;
    server_up(&t, 0, &options);
    HttpResult r;
    assert_int_equal(call(&t, "GET", "/v1/example?index=0", NULL, &r), 200);
    http_result_free(&r);
    assert_int_equal(call(&t, "GET", "/v1/example?index=-1", NULL, &r), 400);
    http_result_free(&r);
    assert_int_equal(call(&t, "GET", "/v1/example?index=1", NULL, &r), 404); // one sample: no wrap-around
    http_result_free(&r);
    assert_int_equal(call(&t, "GET", "/v1/example?index=18446744073709551617", NULL, &r), 404);
    http_result_free(&r);
    assert_int_equal(call(&t, "GET", "/v1/example?index=x", NULL, &r), 400);
    http_result_free(&r);
    server_down(&t);
    free(example), free(line), free(jsonl);
    data_fixture_remove(dir);
    free(dir);
}

// Keep-alive clients, idle or busy, do not hold shutdown up to the drain limit.
static volatile int hammering;

static void *hammer(void *arg) {
    TestServer *t = arg;
    char url[128];
    snprintf(url, sizeof url, "%s/health", t->base);
    while (__atomic_load_n(&hammering, __ATOMIC_RELAXED)) {
        HttpResult r;
        http_call("GET", url, NULL, 0, NULL, &r);
        long status = r.status;
        http_result_free(&r);
        if (status == 0) break; // nobody listens any more
    }
    return NULL;
}

static void test_shutdown_closes_keep_alive_connections(void **state) {
    (void)state;
    ServeOptions options;
    serve_options_default(&options);
    TestServer t;
    server_up(&t, 0, &options);
    int idle = connect_from("127.0.0.1", t.port);
    const char *get = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(send(idle, get, strlen(get), 0), (ssize_t)strlen(get));
    char buffer[1024];
    assert_true(recv(idle, buffer, sizeof buffer, 0) > 0); // answered; the connection stays open, idle
    hammering = 1;
    pthread_t threads[3];
    for (int i = 0; i < 3; i++) pthread_create(&threads[i], NULL, hammer, &t);
    nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
    double start = time_now_seconds();
    serve_server_stop(t.server, 30);
    double took = time_now_seconds() - start;
    hammering = 0;
    for (int i = 0; i < 3; i++) pthread_join(threads[i], NULL);
    assert_true(closed_within(idle, 1.0));
    close(idle);
    screener_close(&t.screener);
    assert_true(took < 2.0); // not the 30 s drain limit
}

// ---- the OpenAI contract ----

static char *chat_body(const char *extra) {
    char *url = serve_test_png_url(16, 128), *body = NULL;
    char parts[4096] = "";
    for (int i = 0; i < 5; i++) {
        size_t used = strlen(parts);
        snprintf(parts + used, sizeof parts - used, "%s{\"type\":\"image_url\",\"image_url\":{\"url\":\"%s\"}}", i ? "," : "", url);
    }
    assert_true(asprintf(&body, "{\"model\":\"iar\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":"
                                "\"Check Physical Lighting and Shadow\"},%s]}]%s}",
                         parts, extra) > 0);
    free(url);
    return body;
}

static void test_unsupported_parameters_are_named(void **state) {
    (void)state;
    const char *cases[][2] = {
        {",\"logprobs\":true", "'logprobs'"},      {",\"tools\":[{\"type\":\"function\"}]", "'tools'"},
        {",\"response_format\":{\"type\":\"json_object\"}", "'response_format'"},
        {",\"presence_penalty\":0.5", "'presence_penalty'"}, {",\"frobnicate\":1", "'frobnicate'"},
        {",\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]", "'stop'"},
    };
    RequestLimits limits = {.max_pixels = 1 << 20, .max_tokens = 512, .default_tokens = 64, .max_choices = 4};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *body = chat_body(cases[i][0]);
        ScreenRequest request;
        Error err = {{0}};
        assert_int_equal(request_parse_chat(&request, body, strlen(body), &limits, &err), -1);
        if (!strstr(err.message, cases[i][1])) fail_msg("%s: '%s' does not name %s", cases[i][0], err.message, cases[i][1]);
        free(body);
    }
    // neutral values of unsupported parameters are what clients send by default: accepted
    char *body = chat_body(",\"logprobs\":false,\"presence_penalty\":0,\"tools\":[],\"stop\":\"</think>\"");
    ScreenRequest request;
    Error err = {{0}};
    assert_int_equal(request_parse_chat(&request, body, strlen(body), &limits, &err), 0);
    assert_int_equal(request.stop_count, 1);
    assert_string_equal(request.stop[0], "</think>");
    request_free(&request);
    free(body);
}

static void test_stop_length_and_usage(void **state) {
    (void)state;
    ServeOptions options;
    serve_options_default(&options);
    TestServer t;
    server_up(&t, 0, &options);
    HttpResult r;
    char *body = chat_body(",\"stop\":[\"</think>\"]");
    assert_int_equal(call(&t, "POST", "/v1/chat/completions", body, &r), 200);
    cJSON *o = cJSON_Parse(r.body);
    const cJSON *choice = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "choices"), 0);
    const char *content = cJSON_GetObjectItem(cJSON_GetObjectItem(choice, "message"), "content")->valuestring;
    assert_null(strstr(content, "</think>")); // cut before the stop string
    assert_non_null(strstr(content, "<think>dimension lighting"));
    assert_string_equal(cJSON_GetObjectItem(choice, "finish_reason")->valuestring, "stop");
    const cJSON *usage = cJSON_GetObjectItem(o, "usage");
    assert_int_equal(cJSON_GetObjectItem(usage, "prompt_tokens")->valueint, 100 + 80); // text + image tokens
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(usage, "prompt_tokens_details"), "image_tokens")->valueint, 80);
    cJSON_Delete(o);
    http_result_free(&r);
    free(body);

    body = chat_body(",\"max_tokens\":3");
    assert_int_equal(call(&t, "POST", "/v1/chat/completions", body, &r), 200);
    o = cJSON_Parse(r.body);
    choice = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "choices"), 0);
    assert_string_equal(cJSON_GetObjectItem(choice, "finish_reason")->valuestring, "length");
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "usage"), "completion_tokens")->valueint, 3);
    cJSON_Delete(o);
    http_result_free(&r);
    free(body);
    server_down(&t);
}

// /v1/screen as `curl -F original=@o.png -F a=@a.png ... -F dimension=lighting` sends it.
static char *form_body(const char *boundary, size_t *size) {
    const int levels[5] = {128, 128, 200, 128, 40};
    const char *names[5] = {"original", "a", "b", "c", "d"};
    size_t capacity = 1 << 16, used = 0;
    char *body = malloc(capacity);
    used += (size_t)snprintf(body + used, capacity - used, "preamble to ignore\r\n");
    for (int i = 0; i < 5; i++) {
        char *url = serve_test_png_url(16, levels[i]);
        uint8_t *png = NULL;
        size_t png_size = 0;
        Error err = {{0}};
        assert_int_equal(data_url_decode(url, strlen(url), &png, &png_size, &err), 0);
        used += (size_t)snprintf(body + used, capacity - used,
                                 "--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s.png\"\r\n"
                                 "Content-Type: image/png\r\n\r\n",
                                 boundary, names[i], names[i]);
        assert_true(used + png_size + 256 < capacity);
        memcpy(body + used, png, png_size);
        used += png_size;
        used += (size_t)snprintf(body + used, capacity - used, "\r\n");
        free(png);
        free(url);
    }
    used += (size_t)snprintf(body + used, capacity - used,
                             "--%s\r\nContent-Disposition: form-data; name=\"dimension\"\r\n\r\nlighting\r\n--%s--\r\n", boundary,
                             boundary);
    *size = used;
    return body;
}

static void test_screen_accepts_multipart(void **state) {
    (void)state;
    size_t size = 0;
    char *body = form_body("----iarBoundary7", &size);
    Multipart form;
    Error err = {{0}};
    assert_int_equal(multipart_parse(&form, "multipart/form-data; boundary=----iarBoundary7", body, size, &err), 0);
    assert_int_equal(form.count, 6);
    assert_string_equal(form.parts[1].name, "a");
    assert_string_equal(form.parts[1].filename, "a.png");
    assert_int_equal(multipart_parse(&form, "multipart/form-data", body, size, &err), -1); // no boundary
    assert_int_equal(multipart_parse(&form, "multipart/form-data; boundary=other", body, size, &err), -1);
    assert_int_equal(multipart_parse(&form, "multipart/form-data; boundary=----iarBoundary7", body, size - 8, &err), -1);

    ServeOptions options;
    serve_options_default(&options);
    TestServer t;
    server_up(&t, 0, &options);
    char url[128];
    snprintf(url, sizeof url, "%s/v1/screen", t.base);
    HttpResult r;
    http_call_content_type(url, body, size, "multipart/form-data; boundary=----iarBoundary7", &r);
    if (r.status != 200) fail_msg("status %ld: %.300s", r.status, r.body);
    assert_non_null(strstr(r.body, "\"flawed\":[\"B\",\"D\"]"));
    assert_non_null(strstr(r.body, "\"dimension\":\"lighting\""));
    http_result_free(&r);
    // a form without the original is a 400 that says which field is missing
    char *field = memmem(body, size, "name=\"original\"", 15);
    memcpy(field, "name=\"orig_nal\"", 15);
    http_call_content_type(url, body, size, "multipart/form-data; boundary=----iarBoundary7", &r);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "original"));
    http_result_free(&r);
    server_down(&t);
    free(body);
}

// Opens a connection to the server and sends one whole POST; the answer is never read.
static int post_unread(TestServer *t, const char *path, const char *body) {
    int fd = connect_from("127.0.0.1", t->port);
    assert_true(fd >= 0);
    char head[256];
    int n = snprintf(head, sizeof head,
                     "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                     path, strlen(body));
    assert_int_equal(send(fd, head, (size_t)n, MSG_NOSIGNAL), n);
    assert_int_equal(send(fd, body, strlen(body), MSG_NOSIGNAL), (ssize_t)strlen(body));
    return fd;
}

// 1 once GET /metrics holds `line`, waiting up to `seconds`.
static int metrics_show(TestServer *t, const char *line, double seconds) {
    for (double end = time_now_seconds() + seconds;; nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL)) {
        HttpResult r;
        int found = call(t, "GET", "/metrics", NULL, &r) == 200 && strstr(r.body, line);
        http_result_free(&r);
        if (found || time_now_seconds() > end) return found;
    }
}

// A non-streamed completion of 4000 tokens (8 s on the fake) and two requests queued behind it (a
// /v1/screen and a stream) whose clients all hang up: the generation stops, the queued two never
// run, and the next request is answered at once instead of 8 s later.
static void test_client_that_leaves_frees_its_worker(void **state) {
    (void)state;
    ServeOptions options;
    serve_options_default(&options);
    TestServer t;
    server_up(&t, 0, &options);
    FakeScreenerState *fake = fake_screener_state(&t.screener);
    fake->token_ms = 2;
    char *chat = chat_body(",\"max_tokens\":4000"), *stream = chat_body(",\"max_tokens\":4000,\"stream\":true");
    char *screen = serve_test_screen_body(LEVELS_BD);
    screen[strlen(screen) - 1] = 0; // the closing brace, for one more field
    char *screen_long = NULL, *screen_short = NULL;
    assert_true(asprintf(&screen_long, "%s,\"max_tokens\":4000}", screen) > 0);
    assert_true(asprintf(&screen_short, "%s,\"max_tokens\":10}", screen) > 0);

    int running = post_unread(&t, "/v1/chat/completions", chat), calls = 0;
    for (int i = 0; i < 200 && calls == 0; i++, nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL)) {
        pthread_mutex_lock(&fake->lock);
        calls = fake->calls;
        pthread_mutex_unlock(&fake->lock);
    }
    assert_int_equal(calls, 1); // it is generating
    int queued[2] = {post_unread(&t, "/v1/screen", screen_long), post_unread(&t, "/v1/chat/completions", stream)};
    assert_true(metrics_show(&t, "iar_screen_queue_length 2", 2.0));
    close(queued[0]);
    close(queued[1]);
    close(running);
    double start = time_now_seconds();
    assert_true(metrics_show(&t, "iar_cancelled_total{stage=\"generating\"} 1", 2.0));
    assert_true(metrics_show(&t, "iar_cancelled_total{stage=\"queued\"} 2", 2.0));
    HttpResult r;
    assert_int_equal(call(&t, "POST", "/v1/screen", screen_short, &r), 200);
    http_result_free(&r);
    double seconds = time_now_seconds() - start;
    printf("next request answered %.3f s after the clients left (8 s of generation were cancelled)\n", seconds);
    assert_true(seconds < 2.0);
    pthread_mutex_lock(&fake->lock);
    assert_int_equal(fake->calls, 2); // the queued two never reached the screener
    assert_int_equal(fake->stopped_early, 1);
    pthread_mutex_unlock(&fake->lock);
    server_down(&t);
    free(chat), free(stream), free(screen), free(screen_long), free(screen_short);
}

// A request that reserved its place just before shutdown may push its job after the stop began
// (it was still decoding its images): the job must still run and answer, else its connection stays
// suspended and libmicrohttpd aborts at stop. Here the job's client is gone, so it ends unrun (499).
static int always_gone(void *user) {
    (void)user;
    return 1;
}
static void count_done(ScreenJob *job) { __atomic_add_fetch((int *)job->user, 1, __ATOMIC_SEQ_CST); }
static void *stop_queue(void *queue) {
    job_queue_stop(queue);
    return NULL;
}

static void test_stop_runs_a_job_pushed_after_it_on_a_reserved_place(void **state) {
    (void)state;
    Screener screener;
    assert_int_equal(fake_screener_open(&screener, 2, 0), 0);
    ServeMetrics metrics;
    metrics_init(&metrics);
    JobQueue queue;
    Error err = {{0}};
    assert_int_equal(job_queue_start(&queue, &screener, 4, 60, &metrics, &err), 0);
    assert_int_equal(job_queue_reserve(&queue), 0);
    pthread_t stopper;
    pthread_create(&stopper, NULL, stop_queue, &queue);
    for (int stopping = 0; !stopping; usleep(1000)) {
        pthread_mutex_lock(&queue.lock);
        stopping = queue.stopping;
        pthread_mutex_unlock(&queue.lock);
    }
    assert_int_equal(job_queue_reserve(&queue), -1); // no new place once stopping
    usleep(50000);                                    // time for idle workers to (wrongly) leave
    int done = 0;
    ScreenJob job;
    memset(&job, 0, sizeof job);
    job.user = &done;
    job.client_gone = always_gone;
    job.on_done = count_done;
    job_queue_push(&queue, &job);
    pthread_join(stopper, NULL); // returns only once the job has run
    assert_int_equal(__atomic_load_n(&done, __ATOMIC_SEQ_CST), 1);
    assert_int_equal(job.http_status, 499);
    metrics_destroy(&metrics);
    screener.destroy(&screener);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idle_flood_does_not_starve_health),
        cmocka_unit_test(test_pixel_budgets),
        cmocka_unit_test(test_example_index_is_validated),
        cmocka_unit_test(test_shutdown_closes_keep_alive_connections),
        cmocka_unit_test(test_unsupported_parameters_are_named),
        cmocka_unit_test(test_stop_length_and_usage),
        cmocka_unit_test(test_screen_accepts_multipart),
        cmocka_unit_test(test_client_that_leaves_frees_its_worker),
        cmocka_unit_test(test_stop_runs_a_job_pushed_after_it_on_a_reserved_place),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
