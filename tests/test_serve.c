// test_serve.c — the screening server on a fake screener: parsers (base64, data URLs, both request
// kinds), every route, the OpenAI response shapes incl. streaming, and the hardening: 400s, 401,
// 404, 405, 413, 503 + Retry-After, 504, with the server still serving after each; clean shutdown
// that answers the request in flight; one model worker never used by two threads at once.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/progress.h"
#include "core/base64.h"
#include "core/files.h"
#include "core/utf8.h"
#include "serve/page.h"
#include "serve/request.h"
#include "serve/response.h"
#include "serve/server.h"
#include "support/serve_support.h"
#include "text/prompt.h"

static const int LEVELS_BD[4] = {128, 200, 128, 40}; // B and D differ from the original: flawed

typedef struct TestServer {
    Screener screener;
    ServeServer *server;
    char base[64];
} TestServer;

static void server_up(TestServer *t, int workers, int sleep_ms, ServeOptions *options) {
    ServeOptions defaults;
    if (!options) {
        serve_options_default(&defaults);
        options = &defaults;
    }
    options->port = 0;
    Error err = {{0}};
    assert_int_equal(fake_screener_open(&t->screener, workers, sleep_ms), 0);
    if (serve_server_start(&t->server, options, &t->screener, &err) != 0) fail_msg("%s", err.message);
    snprintf(t->base, sizeof t->base, "http://127.0.0.1:%d", serve_server_port(t->server));
}

// A server with a smaller --max-concurrent and/or --timeout (0 keeps the default).
static void server_up_limited(TestServer *t, int workers, int sleep_ms, int max_concurrent, double timeout_seconds) {
    ServeOptions options;
    serve_options_default(&options);
    if (max_concurrent) options.max_concurrent = max_concurrent;
    if (timeout_seconds > 0) options.timeout_seconds = options.idle_timeout_seconds = timeout_seconds;
    server_up(t, workers, sleep_ms, &options);
}

static void server_down(TestServer *t) {
    serve_server_stop(t->server, 5);
    screener_close(&t->screener);
}

static long call(TestServer *t, const char *method, const char *path, const char *body, const char *key,
                 HttpResult *out) {
    char url[256];
    snprintf(url, sizeof url, "%s%s", t->base, path);
    http_call(method, url, body, body ? strlen(body) : 0, key, out);
    return out->status;
}

static void assert_still_serving(TestServer *t) {
    HttpResult r;
    assert_int_equal(call(t, "GET", "/health", NULL, NULL, &r), 200);
    assert_non_null(strstr(r.body, "\"status\":\"ok\""));
    http_result_free(&r);
}

// Expects `status` and an OpenAI error object whose message contains `needle`.
static void expect_error(TestServer *t, const char *method, const char *path, const char *body, const char *key,
                         long status, const char *needle) {
    HttpResult r;
    long got = call(t, method, path, body, key, &r);
    if (got != status || !strstr(r.body, needle))
        fail_msg("%s %s: expected %ld with '%s', got %ld: %.300s", method, path, status, needle, got, r.body);
    assert_non_null(strstr(r.body, "\"error\""));
    http_result_free(&r);
    assert_still_serving(t);
}

// ---- parsers ----

static void test_base64_round_trip_and_refusals(void **state) {
    (void)state;
    const char *text = "any carnal pleas";
    for (size_t n = 0; n <= strlen(text); n++) {
        char *encoded = base64_encode((const uint8_t *)text, n);
        uint8_t *decoded;
        size_t size;
        Error err;
        assert_int_equal(base64_decode(encoded, strlen(encoded), &decoded, &size, &err), 0);
        assert_int_equal(size, n);
        assert_memory_equal(decoded, text, n);
        free(decoded);
        free(encoded);
    }
    uint8_t *out;
    size_t size;
    Error err;
    assert_int_equal(base64_decode("QU\nJD", 5, &out, &size, &err), 0); // whitespace is skipped
    assert_int_equal(size, 3);
    free(out);
    assert_int_equal(base64_decode("QUJD*", 5, &out, &size, &err), -1);
    assert_non_null(strstr(err.message, "offset 4"));
    assert_int_equal(base64_decode("Q", 1, &out, &size, &err), -1);
    assert_int_equal(base64_decode("QQ=A", 4, &out, &size, &err), -1);
    assert_int_equal(base64_decode("QQ===", 5, &out, &size, &err), -1);
    const char *refused[] = {"http://example.com/a.png", "https://example.com/a.png", "file:///etc/passwd",
                             "FILE:///etc/passwd"};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(data_url_decode(refused[i], strlen(refused[i]), &out, &size, &err), -1);
        assert_non_null(strstr(err.message, "never fetches"));
    }
    assert_int_equal(data_url_decode("data:image/png,abc", 18, &out, &size, &err), -1);
    assert_int_equal(data_url_decode("data:text/html;base64,QUJD", 26, &out, &size, &err), -1);
    assert_int_equal(data_url_decode("data:image/png;base64,QUJD", 26, &out, &size, &err), 0);
    assert_int_equal(size, 3);
    free(out);
}

static void test_model_text_made_valid_utf8(void **state) {
    (void)state;
    const char *cases[][2] = {
        {"<answer>B</answer> \xC3\xA9t\xC3\xA9", "<answer>B</answer> \xC3\xA9t\xC3\xA9"}, // valid: unchanged
        {"a\x95" "b", "a\xEF\xBF\xBD" "b"},                                  // stray continuation byte
        {"\xE2\x82", "\xEF\xBF\xBD\xEF\xBF\xBD"},                      // truncated sequence
        {"\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},  // UTF-16 surrogate
        {"\xC0\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD"},                      // overlong '/'
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *clean = utf8_sanitize(cases[i][0]);
        assert_string_equal(clean, cases[i][1]);
        free(clean);
    }
}

static void test_dimension_detected_from_the_eval_prompt(void **state) {
    (void)state;
    for (int d = 0; d < DIMENSION_COUNT; d++) {
        char *question = prompt_question_text(NULL, (Dimension)d);
        char *system = prompt_system_text();
        char *both = NULL;
        assert_true(asprintf(&both, "%s\n%s", system, question) > 0);
        assert_int_equal(request_detect_dimension(both), d);
        free(both);
        free(system);
        free(question);
    }
    assert_int_equal(request_detect_dimension("check lighting: which of A B C D are flawed?"), DIMENSION_LIGHTING);
    assert_int_equal(request_detect_dimension("Is the image flawed in any way?"), -1);
    assert_int_equal(request_detect_dimension("lighting or placement?"), -1);
    assert_int_equal(request_detect_dimension("highlighting"), -1); // not a whole word
}

static char *chat_body(int image_count, const char *extra) {
    char *url = serve_test_png_url(8, 100);
    char *parts = strdup("");
    for (int i = 0; i < image_count; i++) {
        char *grown = NULL;
        assert_true(asprintf(&grown, "%s,{\"type\":\"image_url\",\"image_url\":{\"url\":\"%s\"}}", parts, url) > 0);
        free(parts);
        parts = grown;
    }
    char *body = NULL;
    assert_true(asprintf(&body,
                         "{\"model\":\"iar\",\"messages\":[{\"role\":\"system\",\"content\":\"You review images.\"},"
                         "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Check Placement Layout.\"}%s]}]%s}",
                         parts, extra ? extra : "") > 0);
    free(parts);
    free(url);
    return body;
}

static void test_chat_request_parsing(void **state) {
    (void)state;
    RequestLimits limits = {.max_pixels = 1000, .max_tokens = 64, .max_choices = 4};
    ScreenRequest request;
    Error err;
    char *body = chat_body(5, ",\"temperature\":0.5,\"max_tokens\":32,\"seed\":7,\"n\":2,\"stream\":true,"
                              "\"stream_options\":{\"include_usage\":true}");
    assert_int_equal(request_parse_chat(&request, body, strlen(body), &limits, &err), 0);
    assert_int_equal(request.dimension, DIMENSION_PLACEMENT);
    assert_int_equal(request.max_tokens, 32);
    assert_int_equal(request.seed, 7);
    assert_int_equal(request.choices, 2);
    assert_true(request.stream && request.include_usage);
    assert_int_equal(request.images[4].width, 8);
    assert_string_equal(request.model, "iar");
    request_free(&request);
    free(body);

    struct {
        int images;
        const char *extra, *needle;
    } bad[] = {
        {4, NULL, "expected 5 images"},        {6, NULL, "too many images"},
        {5, ",\"max_tokens\":65", "outside"},  {5, ",\"n\":5", "outside"},
        {5, ",\"temperature\":\"hot\"", "must be a number"}, {5, ",\"dimension\":\"colour\"", "'dimension'"},
        {5, ",\"seed\":1.5", "integer"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        body = chat_body(bad[i].images, bad[i].extra);
        assert_int_equal(request_parse_chat(&request, body, strlen(body), &limits, &err), -1);
        if (!strstr(err.message, bad[i].needle)) fail_msg("case %zu: %s", i, err.message);
        free(body);
    }
    limits.max_pixels = 63; // 8x8 = 64 pixels: over the cap
    body = chat_body(5, NULL);
    assert_int_equal(request_parse_chat(&request, body, strlen(body), &limits, &err), -1);
    assert_non_null(strstr(err.message, "image 1 (original)"));
    free(body);
    const char *malformed[] = {"", "{", "[]", "{\"messages\":3}", "{\"messages\":[]}", "{\"messages\":[{\"content\":\"x\"}]}",
                               "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"audio\"}]}]}"};
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
        assert_int_equal(request_parse_chat(&request, malformed[i], strlen(malformed[i]), &limits, &err), -1);
}

static void test_screen_request_parsing(void **state) {
    (void)state;
    RequestLimits limits = {.max_pixels = 0, .max_tokens = 64, .default_tokens = 16, .max_choices = 4};
    ScreenRequest request;
    Error err;
    char *body = serve_test_screen_body(LEVELS_BD);
    assert_int_equal(request_parse_screen(&request, body, strlen(body), &limits, &err), 0);
    assert_int_equal(request.dimension, DIMENSION_LIGHTING);
    assert_int_equal(request.images[0].width, 16);
    assert_int_equal(request.images[2].data[0], 200);
    assert_int_equal(request.max_tokens, 16); // the default when the request gives none
    request_free(&request);
    free(body);
    // Bare base64 (no data: prefix) is accepted on /v1/screen.
    char *url = serve_test_png_url(4, 9);
    const char *payload = strchr(url, ',') + 1;
    assert_true(asprintf(&body, "{\"original\":\"%s\",\"candidates\":[\"%s\",\"%s\",\"%s\",\"%s\"]}", payload, payload,
                         payload, payload, url) > 0);
    assert_int_equal(request_parse_screen(&request, body, strlen(body), &limits, &err), 0);
    assert_int_equal(request.dimension, -1);
    request_free(&request);
    free(body);
    assert_true(asprintf(&body, "{\"original\":\"%s\",\"candidates\":[\"%s\",\"%s\",\"%s\"]}", url, url, url, url) > 0);
    assert_int_equal(request_parse_screen(&request, body, strlen(body), &limits, &err), -1);
    assert_non_null(strstr(err.message, "got 3"));
    free(body);
    assert_true(asprintf(&body, "{\"original\":\"%s\",\"candidates\":[\"%s\",\"%s\",\"%s\",\"data:image/png;base64,AAAA\"]}",
                         url, url, url, url) > 0);
    assert_int_equal(request_parse_screen(&request, body, strlen(body), &limits, &err), -1);
    assert_non_null(strstr(err.message, "image 5 (D)"));
    free(body);
    free(url);
}

// ---- routes ----

static void test_routes_answer(void **state) {
    (void)state;
    TestServer t;
    server_up(&t, 1, 0, NULL);
    HttpResult r;
    assert_int_equal(call(&t, "GET", "/", NULL, NULL, &r), 200);
    assert_non_null(strstr(r.headers, "text/html"));
    assert_non_null(strstr(r.body, "id=\"screen\""));
    http_result_free(&r);
    assert_int_equal(call(&t, "GET", "/v1/models", NULL, NULL, &r), 200);
    assert_non_null(strstr(r.body, "\"id\":\"iar\""));
    http_result_free(&r);
    assert_int_equal(call(&t, "GET", "/v1/models/iar", NULL, NULL, &r), 200);
    assert_non_null(strstr(r.body, "\"object\":\"model\""));
    http_result_free(&r);
    expect_error(&t, "GET", "/v1/models/gpt-4o", NULL, NULL, 404, "no such model");
    expect_error(&t, "GET", "/nope", NULL, NULL, 404, "no such route");
    expect_error(&t, "GET", "/v1/screen", NULL, NULL, 405, "method");
    expect_error(&t, "POST", "/health", "{}", NULL, 405, "method");
    expect_error(&t, "GET", "/v1/example", NULL, NULL, 404, "--example");
    // Metrics count what happened, by route and status.
    assert_int_equal(call(&t, "GET", "/metrics", NULL, NULL, &r), 200);
    assert_non_null(strstr(r.body, "iar_http_requests_total{route=\"other\",status=\"404\"} 1"));
    assert_non_null(strstr(r.body, "iar_http_requests_total{route=\"/v1/screen\",status=\"405\"} 1"));
    assert_non_null(strstr(r.body, "iar_http_request_duration_seconds_bucket{route=\"/health\",le=\"+Inf\"}"));
    assert_non_null(strstr(r.body, "iar_http_requests_in_flight 1")); // this very request
    http_result_free(&r);
    server_down(&t);
}

// The page served is page.html as it is in the repository: page.c is generated from it
// (src/serve/page_generate.sh), so an edit to page.html without rerunning the script fails here.
static void test_page_is_generated_from_page_html(void **state) {
    (void)state;
    char *html = NULL;
    size_t size = 0;
    Error err = {{0}};
    assert_int_equal(file_read_all("src/serve/page.html", 0, &html, &size, &err), 0);
    if (strlen(SERVE_PAGE_HTML) != size || memcmp(SERVE_PAGE_HTML, html, size) != 0)
        fail_msg("src/serve/page.c is older than page.html: run sh src/serve/page_generate.sh");
    free(html);
}

static void test_port_in_use_is_refused(void **state) {
    (void)state;
    TestServer t;
    server_up(&t, 1, 0, NULL);
    ServeOptions options;
    serve_options_default(&options);
    options.port = serve_server_port(t.server); // a second server must not share the port silently
    ServeServer *second = NULL;
    Error err = {{0}};
    assert_int_equal(serve_server_start(&second, &options, &t.screener, &err), -1);
    assert_non_null(strstr(err.message, "cannot listen"));
    assert_still_serving(&t);
    server_down(&t);
}

static void test_screen_returns_verdicts(void **state) {
    (void)state;
    TestServer t;
    server_up(&t, 1, 0, NULL);
    char *body = serve_test_screen_body(LEVELS_BD);
    HttpResult r;
    assert_int_equal(call(&t, "POST", "/v1/screen", body, NULL, &r), 200);
    cJSON *root = cJSON_Parse(r.body);
    assert_non_null(root);
    cJSON *flawed = cJSON_GetObjectItem(root, "flawed");
    assert_int_equal(cJSON_GetArraySize(flawed), 2);
    assert_string_equal(cJSON_GetArrayItem(flawed, 0)->valuestring, "B");
    assert_string_equal(cJSON_GetArrayItem(flawed, 1)->valuestring, "D");
    cJSON *verdicts = cJSON_GetObjectItem(root, "verdicts");
    const char *expected[4] = {"ok", "flawed", "ok", "flawed"};
    for (int i = 0; i < 4; i++) {
        assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(verdicts, i), "verdict")->valuestring, expected[i]);
        // the fake's evidence follows the same pixel differences as its text: they agree everywhere
        assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(verdicts, i), "evidence_agrees")));
    }
    assert_string_equal(cJSON_GetObjectItem(root, "dimension")->valuestring, "lighting");
    assert_non_null(strstr(cJSON_GetObjectItem(root, "reasoning")->valuestring, "dimension lighting"));
    assert_string_equal(cJSON_GetObjectItem(root, "parse_status")->valuestring, "tagged");
    assert_true(cJSON_GetObjectItem(cJSON_GetObjectItem(root, "timing"), "total_ms")->valuedouble >= 0);
    cJSON_Delete(root);
    http_result_free(&r);
    free(body);
    server_down(&t);
}

static void test_chat_completion_and_stream(void **state) {
    (void)state;
    TestServer t;
    server_up(&t, 1, 0, NULL);
    char *body = chat_body(5, ",\"n\":2");
    HttpResult r;
    assert_int_equal(call(&t, "POST", "/v1/chat/completions", body, NULL, &r), 200);
    cJSON *root = cJSON_Parse(r.body);
    assert_string_equal(cJSON_GetObjectItem(root, "object")->valuestring, "chat.completion");
    cJSON *choices = cJSON_GetObjectItem(root, "choices");
    assert_int_equal(cJSON_GetArraySize(choices), 2);
    const char *content =
        cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(choices, 0), "message"), "content")->valuestring;
    assert_non_null(strstr(content, "dimension placement"));
    assert_non_null(strstr(content, "<answer>none</answer>"));
    char *full = strdup(content);
    cJSON *usage = cJSON_GetObjectItem(root, "usage");
    assert_int_equal(cJSON_GetObjectItem(usage, "total_tokens")->valueint,
                     cJSON_GetObjectItem(usage, "prompt_tokens")->valueint +
                         cJSON_GetObjectItem(usage, "completion_tokens")->valueint);
    cJSON_Delete(root);
    http_result_free(&r);
    free(body);

    // Streamed: the deltas of choice 0 add up to the same text; usage chunk; [DONE] last.
    body = chat_body(5, ",\"stream\":true,\"stream_options\":{\"include_usage\":true}");
    assert_int_equal(call(&t, "POST", "/v1/chat/completions", body, NULL, &r), 200);
    assert_non_null(strstr(r.headers, "text/event-stream"));
    char streamed[1024] = "";
    int chunks = 0, usage_seen = 0, finish_seen = 0;
    for (char *line = strtok(r.body, "\n"); line; line = strtok(NULL, "\n")) {
        assert_true(strncmp(line, "data: ", 6) == 0);
        if (strcmp(line + 6, "[DONE]") == 0) {
            assert_null(strtok(NULL, "\n"));
            break;
        }
        cJSON *chunk = cJSON_Parse(line + 6);
        assert_non_null(chunk);
        assert_string_equal(cJSON_GetObjectItem(chunk, "object")->valuestring, "chat.completion.chunk");
        cJSON *choice = cJSON_GetArrayItem(cJSON_GetObjectItem(chunk, "choices"), 0);
        if (choice) {
            cJSON *piece = cJSON_GetObjectItem(cJSON_GetObjectItem(choice, "delta"), "content");
            if (cJSON_IsString(piece)) strncat(streamed, piece->valuestring, sizeof streamed - strlen(streamed) - 1);
            finish_seen |= cJSON_IsString(cJSON_GetObjectItem(choice, "finish_reason"));
        }
        usage_seen |= cJSON_IsObject(cJSON_GetObjectItem(chunk, "usage"));
        chunks++;
        cJSON_Delete(chunk);
    }
    assert_string_equal(streamed, full);
    assert_true(chunks > 5 && usage_seen && finish_seen);
    http_result_free(&r);
    free(body);
    free(full);
    server_down(&t);
}

// ---- hardening ----

static void test_bad_input_gets_its_status(void **state) {
    (void)state;
    ServeOptions options;
    serve_options_default(&options);
    options.max_body_bytes = 64 * 1024;
    options.limits.max_pixels = 32 * 32;
    TestServer t;
    server_up(&t, 1, 0, &options);
    expect_error(&t, "POST", "/v1/screen", "{\"original\":", NULL, 400, "malformed JSON");
    expect_error(&t, "POST", "/v1/screen", "", NULL, 400, "empty request body");
    expect_error(&t, "POST", "/v1/chat/completions", "{\"messages\":[]}", NULL, 400, "empty");
    char *chat4 = chat_body(4, NULL);
    expect_error(&t, "POST", "/v1/chat/completions", chat4, NULL, 400, "expected 5 images");
    free(chat4);
    char *url = serve_test_png_url(8, 50);
    const char *bad_images[] = {"data:image/png;base64,@@@@", "data:image/png;base64,AAAAAAAA", "http://169.254.169.254/x.png",
                                "file:///etc/passwd", "https://example.com/a.png"};
    const char *needles[] = {"invalid character", "image 1", "never fetches", "never fetches", "never fetches"};
    for (int i = 0; i < 5; i++) {
        char *body = NULL;
        assert_true(asprintf(&body, "{\"original\":\"%s\",\"candidates\":[\"%s\",\"%s\",\"%s\",\"%s\"]}", bad_images[i],
                             url, url, url, url) > 0);
        expect_error(&t, "POST", "/v1/screen", body, NULL, 400, needles[i]);
        free(body);
    }
    free(url);
    // Pixel cap: 64x64 = 4096 > 1024.
    char *big = serve_test_png_url(64, 50), *body = NULL;
    assert_true(asprintf(&body, "{\"original\":\"%s\",\"candidates\":[\"%s\",\"%s\",\"%s\",\"%s\"]}", big, big, big, big,
                         big) > 0);
    expect_error(&t, "POST", "/v1/screen", body, NULL, 400, "over the limit of 1024 pixels");
    free(body);
    free(big);
    // Body cap: 413 from the declared length, and from a chunked upload with no length.
    size_t huge_size = 200 * 1024;
    char *huge = malloc(huge_size + 1);
    memset(huge, ' ', huge_size);
    huge[huge_size] = 0;
    expect_error(&t, "POST", "/v1/screen", huge, NULL, 413, "limit");
    char url_screen[128];
    snprintf(url_screen, sizeof url_screen, "%s/v1/screen", t.base);
    HttpResult r;
    http_call_chunked(url_screen, huge, 100 * 1024, &r); // 1.6x the limit: read, dropped, 413
    assert_int_equal(r.status, 413);
    assert_non_null(strstr(r.body, "over the 65536-byte limit"));
    http_result_free(&r);
    http_call_chunked(url_screen, huge, huge_size, &r); // over twice the limit: the connection is closed
    assert_int_equal(r.status, 0);
    http_result_free(&r);
    assert_still_serving(&t);
    free(huge);
    server_down(&t);
}

static void test_api_key_required_when_set(void **state) {
    (void)state;
    ServeOptions options;
    serve_options_default(&options);
    options.api_key = "sekret-123";
    TestServer t;
    server_up(&t, 1, 0, &options);
    char *body = serve_test_screen_body(LEVELS_BD);
    expect_error(&t, "POST", "/v1/screen", body, NULL, 401, "API key");
    expect_error(&t, "POST", "/v1/screen", body, "sekret-12", 401, "API key");
    expect_error(&t, "GET", "/v1/models", NULL, "sekret-1234", 401, "API key");
    HttpResult r;
    assert_int_equal(call(&t, "POST", "/v1/screen", body, "sekret-123", &r), 200);
    http_result_free(&r);
    assert_int_equal(call(&t, "GET", "/", NULL, NULL, &r), 200); // the page itself is public
    assert_non_null(strstr(r.headers, "text/html"));
    http_result_free(&r);
    free(body);
    server_down(&t);
}

typedef struct ParallelCall {
    TestServer *t;
    const char *body;
    HttpResult result;
} ParallelCall;

static void *parallel_call(void *arg) {
    ParallelCall *c = arg;
    call(c->t, "POST", "/v1/screen", c->body, NULL, &c->result);
    return NULL;
}

// Runs `count` screen requests at once; returns how many got each of 200, 503, 504.
static void run_parallel(TestServer *t, int count, int *ok, int *busy, int *late) {
    char *body = serve_test_screen_body(LEVELS_BD);
    ParallelCall calls[16];
    pthread_t threads[16];
    for (int i = 0; i < count; i++) {
        calls[i].t = t;
        calls[i].body = body;
        pthread_create(&threads[i], NULL, parallel_call, &calls[i]);
    }
    *ok = *busy = *late = 0;
    for (int i = 0; i < count; i++) {
        pthread_join(threads[i], NULL);
        long s = calls[i].result.status;
        if (s == 200) (*ok)++;
        else if (s == 503) {
            (*busy)++;
            assert_non_null(strstr(calls[i].result.headers, "Retry-After: 1"));
        } else if (s == 504) (*late)++;
        else fail_msg("unexpected status %ld: %s", s, calls[i].result.body);
        http_result_free(&calls[i].result);
    }
    free(body);
}

static void test_saturation_gets_503_with_retry_after(void **state) {
    (void)state;
    TestServer t;
    server_up_limited(&t, 1, 300, 2, 0);
    int ok, busy, late;
    run_parallel(&t, 6, &ok, &busy, &late);
    assert_true(ok >= 1 && ok <= 4);
    assert_true(busy >= 2);
    assert_int_equal(ok + busy, 6);
    assert_still_serving(&t);
    HttpResult r;
    call(&t, "GET", "/metrics", NULL, NULL, &r);
    char line[64];
    snprintf(line, sizeof line, "iar_http_rejected_total %d", busy);
    assert_non_null(strstr(r.body, line));
    http_result_free(&r);
    server_down(&t);
}

// A full server refuses before it decodes: a request whose images are not images gets 503, not the
// 400 that decoding them would give (every refusal used to cost a whole decode).
static void test_full_server_refuses_before_decoding(void **state) {
    (void)state;
    TestServer t;
    server_up_limited(&t, 1, 600, 1, 0);
    ParallelCall slow = {&t, NULL, {0}};
    char *body = serve_test_screen_body(LEVELS_BD);
    slow.body = body;
    pthread_t thread;
    pthread_create(&thread, NULL, parallel_call, &slow);
    usleep(200 * 1000); // the slow request holds the only place
    const char *broken = "{\"original\":\"data:image/png;base64,AAAA\",\"candidates\":[\"data:image/png;base64,AAAA\","
                         "\"data:image/png;base64,AAAA\",\"data:image/png;base64,AAAA\",\"data:image/png;base64,AAAA\"]}";
    HttpResult r;
    assert_int_equal(call(&t, "POST", "/v1/screen", broken, NULL, &r), 503);
    http_result_free(&r);
    pthread_join(thread, NULL);
    assert_int_equal(slow.result.status, 200);
    http_result_free(&slow.result);
    assert_int_equal(call(&t, "POST", "/v1/screen", broken, NULL, &r), 400); // with room: decoded, refused
    http_result_free(&r);
    free(body);
    server_down(&t);
}

static void test_waiting_past_the_timeout_gets_504(void **state) {
    (void)state;
    TestServer t;
    server_up_limited(&t, 1, 1300, 0, 1);
    int ok, busy, late;
    run_parallel(&t, 3, &ok, &busy, &late);
    assert_int_equal(ok, 1); // the first runs; the others waited 1.3 s and 2.6 s > 1 s
    assert_int_equal(late, 2);
    assert_int_equal(fake_screener_state(&t.screener)->calls, 1);
    assert_still_serving(&t);
    server_down(&t);
}

// A client that sends half a request and stalls is disconnected after --idle-timeout (slowloris).
static void test_stalled_connection_is_closed(void **state) {
    (void)state;
    TestServer t;
    server_up_limited(&t, 1, 0, 0, 1);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)serve_server_port(t.server))};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&address, sizeof address), 0);
    const char *partial = "POST /v1/screen HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"orig";
    assert_int_equal(send(fd, partial, strlen(partial), 0), (ssize_t)strlen(partial));
    struct timeval wait = {4, 0}; // the server must close well before this
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
    char buffer[256];
    double start = time_now_seconds();
    ssize_t got = recv(fd, buffer, sizeof buffer, 0);
    double waited = time_now_seconds() - start;
    close(fd);
    assert_true(got <= 0);                      // closed (0) or reset, with no response
    assert_true(waited >= 0.5 && waited < 3.5); // by the 1 s timeout, not by our 4 s guard
    assert_still_serving(&t);
    server_down(&t);
}

static void test_workers_never_shared(void **state) {
    (void)state;
    TestServer t;
    server_up(&t, 2, 50, NULL);
    int ok, busy, late;
    run_parallel(&t, 12, &ok, &busy, &late);
    assert_int_equal(ok, 12);
    FakeScreenerState *fake = fake_screener_state(&t.screener);
    assert_int_equal(fake->overlap, 0);
    assert_int_equal(fake->max_parallel, 2); // both workers were used at once
    server_down(&t);
}

static void *stop_later(void *arg) {
    TestServer *t = arg;
    struct timespec pause = {0, 150 * 1000 * 1000};
    nanosleep(&pause, NULL);
    server_down(t);
    return NULL;
}

static void test_shutdown_finishes_requests_in_flight(void **state) {
    (void)state;
    TestServer t;
    server_up(&t, 1, 600, NULL);
    pthread_t stopper;
    pthread_create(&stopper, NULL, stop_later, &t);
    char *body = serve_test_screen_body(LEVELS_BD);
    HttpResult r;
    assert_int_equal(call(&t, "POST", "/v1/screen", body, NULL, &r), 200); // answered although stopping
    assert_non_null(strstr(r.body, "\"flawed\":[\"B\",\"D\"]"));
    http_result_free(&r);
    pthread_join(stopper, NULL);
    call(&t, "GET", "/health", NULL, NULL, &r); // nobody listens any more
    assert_int_equal(r.status, 0);
    http_result_free(&r);
    free(body);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base64_round_trip_and_refusals),
        cmocka_unit_test(test_model_text_made_valid_utf8),
        cmocka_unit_test(test_dimension_detected_from_the_eval_prompt),
        cmocka_unit_test(test_chat_request_parsing),
        cmocka_unit_test(test_screen_request_parsing),
        cmocka_unit_test(test_routes_answer),
        cmocka_unit_test(test_page_is_generated_from_page_html),
        cmocka_unit_test(test_port_in_use_is_refused),
        cmocka_unit_test(test_screen_returns_verdicts),
        cmocka_unit_test(test_chat_completion_and_stream),
        cmocka_unit_test(test_bad_input_gets_its_status),
        cmocka_unit_test(test_api_key_required_when_set),
        cmocka_unit_test(test_saturation_gets_503_with_retry_after),
        cmocka_unit_test(test_full_server_refuses_before_decoding),
        cmocka_unit_test(test_waiting_past_the_timeout_gets_504),
        cmocka_unit_test(test_stalled_connection_is_closed),
        cmocka_unit_test(test_workers_never_shared),
        cmocka_unit_test(test_shutdown_finishes_requests_in_flight),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
