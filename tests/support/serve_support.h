// serve_support.h — helpers of the serve tests: a deterministic fake screener (no model needed),
// test images, and a small blocking HTTP client on libcurl.
#ifndef IAR_TESTS_SERVE_SUPPORT_H
#define IAR_TESTS_SERVE_SUPPORT_H

#include <pthread.h>
#include <stddef.h>

#include "serve/screener.h"

// The fake flags each candidate whose mean brightness differs from the original's by more than
// 20 levels, answering "<think>dimension D; means …</think><answer>B, D</answer>". It sleeps
// `sleep_ms` per call (spread over 8-byte pieces when the caller streams), or `token_ms` per token
// of max_tokens when that is set, and records whether any worker was ever entered by two threads
// at once. Like the model, it stops when ScreenerInput.cancelled says so.
typedef struct FakeScreenerState {
    pthread_mutex_t lock;
    int sleep_ms;
    int token_ms; // nonzero: a call takes max_tokens × token_ms (asking `cancelled` between tokens)
    int busy[16];
    int overlap; // 1 when a worker ran two jobs at the same time
    int calls;
    int max_parallel, parallel;
    int stopped_early; // generations ended by on_text or cancelled (client gone, stop strings)
} FakeScreenerState;

int fake_screener_open(Screener *out, int workers, int sleep_ms);
FakeScreenerState *fake_screener_state(Screener *screener);

// A PNG of a flat grey `level`, size×size, as a data URL (malloc'd).
char *serve_test_png_url(int size, int level);
// The /v1/screen body for an original at level 128 and candidates at the given levels (malloc'd).
char *serve_test_screen_body(const int levels[4]);

typedef struct HttpResult {
    long status; // 0 when the connection failed
    char *body;
    size_t size;
    char headers[4096];
} HttpResult;

// method GET/POST; body may be NULL; bearer may be NULL (no Authorization header).
int http_call(const char *method, const char *url, const char *body, size_t body_size, const char *bearer,
              HttpResult *out);
// The same, sending the body with chunked transfer encoding (no Content-Length).
int http_call_chunked(const char *url, const char *body, size_t body_size, HttpResult *out);
// A POST with this Content-Type (e.g. "multipart/form-data; boundary=X").
int http_call_content_type(const char *url, const char *body, size_t body_size, const char *content_type, HttpResult *out);
void http_result_free(HttpResult *result);

#endif
