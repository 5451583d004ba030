// test_serve_stream.c — chat completions streamed as they are generated (on the fake screener,
// which produces its reply in 8-byte pieces over its sleep): the first content chunk arrives well
// before the end, the streamed text equals the whole reply, stop strings are held back and honoured
// mid-stream, and a client that disconnects stops the generation.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "core/progress.h"
#include "serve/server.h"
#include "serve/stream.h"
#include "support/serve_support.h"

// ---- the event buffer alone ----

static void test_stop_strings_are_held_back(void **state) {
    (void)state;
    ScreenRequest request = {.choices = 1, .stop_count = 1, .max_tokens = 100};
    request.stop[0] = "</think>";
    ResponseContext context = {.id = "chatcmpl-1", .model_id = "iar", .created = 1};
    ChatStream stream;
    assert_int_equal(chat_stream_init(&stream, &context, &request), 0);
    char events[4096];
    long n = chat_stream_read(&stream, events, sizeof events);
    assert_true(n > 0);
    assert_int_equal(chat_stream_read(&stream, events, sizeof events), 0); // nothing more yet
    assert_int_equal(chat_stream_text(&stream, 0, "<think>abcdefghij", 17), 0);
    n = chat_stream_read(&stream, events, sizeof events - 1);
    events[n > 0 ? n : 0] = 0;
    assert_non_null(strstr(events, "\"content\":\"<think>abc\"")); // the last 7 bytes wait
    assert_int_equal(chat_stream_text(&stream, 0, "k</th", 5), 0);
    n = chat_stream_read(&stream, events, sizeof events - 1);
    events[n > 0 ? n : 0] = 0;
    assert_non_null(strstr(events, "\"content\":\"defgh\""));
    assert_null(strstr(events, "</th")); // could still become the stop string
    // the stop string completes: the choice ends before it, and the worker is told to stop
    assert_int_equal(chat_stream_text(&stream, 0, "ink>more", 8), 1);
    n = chat_stream_read(&stream, events, sizeof events - 1);
    events[n > 0 ? n : 0] = 0;
    assert_non_null(strstr(events, "\"content\":\"ijk\""));
    assert_null(strstr(events, "</think>"));
    ScreenOutput outputs[1] = {{.text = strdup("<think>abcdefghijk</think>more"), .completion_tokens = 9}};
    chat_stream_finish(&stream, outputs, 200, NULL);
    n = chat_stream_read(&stream, events, sizeof events - 1);
    events[n > 0 ? n : 0] = 0;
    assert_non_null(strstr(events, "\"finish_reason\":\"stop\""));
    assert_null(strstr(events, "more")); // nothing past the stop string, not even at the end
    assert_non_null(strstr(events, "data: [DONE]"));
    assert_int_equal(chat_stream_read(&stream, events, sizeof events), -1);
    free(outputs[0].text);
    chat_stream_free(&stream);
}

// ---- over HTTP ----

typedef struct Received {
    double start, first_content, end;
    char text[4096];
    size_t text_size;
    char events[65536];
    size_t size;
    int abort_after_first; // return 0 from the write callback after the first content chunk
} Received;

static size_t on_data(char *data, size_t size, size_t count, void *user) {
    Received *r = user;
    size_t n = size * count;
    if (r->size + n < sizeof r->events) {
        memcpy(r->events + r->size, data, n);
        r->size += n;
        r->events[r->size] = 0;
    }
    if (!r->first_content && strstr(r->events, "\"content\":\"") && strstr(strstr(r->events, "\"content\":\"") + 11, "\"")) {
        // the role chunk carries "content":"" — a real piece has at least one character
        for (const char *at = strstr(r->events, "\"content\":\""); at; at = strstr(at + 1, "\"content\":\""))
            if (at[11] != '"') {
                r->first_content = time_now_seconds();
                break;
            }
    }
    if (r->abort_after_first && r->first_content) return 0;
    return n;
}

// The content pieces of the events, concatenated.
static void collect_text(Received *r) {
    r->text_size = 0;
    for (const char *at = strstr(r->events, "\"content\":\""); at; at = strstr(at + 1, "\"content\":\"")) {
        const char *start = at + 11, *end = strchr(start, '"');
        while (end && end[-1] == '\\') end = strchr(end + 1, '"');
        if (!end) break;
        size_t n = (size_t)(end - start);
        if (r->text_size + n >= sizeof r->text) break;
        memcpy(r->text + r->text_size, start, n);
        r->text_size += n;
    }
    r->text[r->text_size] = 0;
}

static char *chat_body(const char *extra) {
    char *original = serve_test_png_url(16, 128), *bright = serve_test_png_url(16, 200), *dark = serve_test_png_url(16, 40);
    char *body = NULL;
    if (asprintf(&body,
                 "{\"model\":\"iar\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"lighting\"},"
                 "{\"type\":\"image_url\",\"image_url\":{\"url\":\"%s\"}},{\"type\":\"image_url\",\"image_url\":{\"url\":\"%s\"}},"
                 "{\"type\":\"image_url\",\"image_url\":{\"url\":\"%s\"}},{\"type\":\"image_url\",\"image_url\":{\"url\":\"%s\"}},"
                 "{\"type\":\"image_url\",\"image_url\":{\"url\":\"%s\"}}]}]%s}",
                 original, original, bright, original, dark, extra) < 0)
        body = NULL;
    free(original), free(bright), free(dark);
    return body;
}

static void post_stream(const char *url, const char *body, Received *r) {
    CURL *curl = curl_easy_init();
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    r->start = time_now_seconds();
    curl_easy_perform(curl);
    r->end = time_now_seconds();
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
}

static void test_tokens_stream_as_generated(void **state) {
    (void)state;
    Screener screener;
    ServeServer *server;
    ServeOptions options;
    serve_options_default(&options);
    options.port = 0;
    Error err = {{0}};
    assert_int_equal(fake_screener_open(&screener, 1, 800), 0);
    assert_int_equal(serve_server_start(&server, &options, &screener, &err), 0);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/chat/completions", serve_server_port(server));

    char *body = chat_body(",\"stream\":true");
    Received *r = calloc(1, sizeof *r);
    post_stream(url, body, r);
    collect_text(r);
    double total = r->end - r->start, first = r->first_content - r->start;
    printf("time to first content chunk %.3f s of %.3f s (%.0f%%)\n", first, total, 100 * first / total);
    assert_true(r->first_content > 0);
    assert_true(first < 0.5 * total);
    assert_non_null(strstr(r->events, "data: [DONE]"));
    assert_string_equal(r->text, "<think>dimension lighting; means 128 A=128 B=200 C=128 D=40</think><answer>B, D</answer>");
    free(body);

    // a stop string ends the stream there, and the generation with it
    body = chat_body(",\"stream\":true,\"stop\":\"</think>\"");
    memset(r, 0, sizeof *r);
    post_stream(url, body, r);
    collect_text(r);
    assert_string_equal(r->text, "<think>dimension lighting; means 128 A=128 B=200 C=128 D=40");
    assert_non_null(strstr(r->events, "\"finish_reason\":\"stop\""));
    assert_int_equal(fake_screener_state(&screener)->stopped_early, 1);
    free(body);

    // a client that goes away after the first piece cancels the rest of the generation
    body = chat_body(",\"stream\":true");
    memset(r, 0, sizeof *r);
    r->abort_after_first = 1;
    post_stream(url, body, r);
    for (int i = 0; i < 300 && fake_screener_state(&screener)->stopped_early < 2; i++) usleep(10000);
    assert_int_equal(fake_screener_state(&screener)->stopped_early, 2);
    HttpResult metrics;
    char metrics_url[128];
    snprintf(metrics_url, sizeof metrics_url, "http://127.0.0.1:%d/metrics", serve_server_port(server));
    assert_int_equal(http_call("GET", metrics_url, NULL, 0, NULL, &metrics), 0);
    assert_non_null(strstr(metrics.body, "iar_cancelled_total{stage=\"generating\"} 1"));
    http_result_free(&metrics);
    free(body);
    free(r);
    serve_server_stop(server, 5);
    screener_close(&screener);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stop_strings_are_held_back),
        cmocka_unit_test(test_tokens_stream_as_generated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
