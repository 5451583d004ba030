// serve_support.c — the fake screener, test images and HTTP client used by the serve tests.
#include "serve_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "data/dataset.h"
#include "core/base64.h"

static double image_mean(const Image *image) {
    size_t n = (size_t)image->width * (size_t)image->height * (size_t)image->channels;
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += image->data[i];
    return n ? sum / (double)n : 0;
}

static int fake_screen(Screener *self, int worker, const ScreenerInput *input, ScreenOutput *outputs, Error *err) {
    FakeScreenerState *state = self->state;
    pthread_mutex_lock(&state->lock);
    if (state->busy[worker]) state->overlap = 1;
    state->busy[worker] = 1;
    state->calls++;
    if (++state->parallel > state->max_parallel) state->max_parallel = state->parallel;
    pthread_mutex_unlock(&state->lock);
    if (state->sleep_ms && !input->on_text && !state->token_ms) usleep((useconds_t)state->sleep_ms * 1000);
    int stopped = 0;
    for (int t = 0; state->token_ms && !stopped && t < input->generate.max_new_tokens; t++) {
        usleep((useconds_t)state->token_ms * 1000);
        stopped = input->cancelled && input->cancelled(input->cancelled_user);
    }

    double original = image_mean(input->images[0]);
    float evidence[CANDIDATE_COUNT]; // as a candidate head would: P(flawed) grows with the difference
    char letters[16] = "", think[256];
    int offset = snprintf(think, sizeof think, "dimension %s; means %.0f", input->dimension >= 0 ? dimension_id((Dimension)input->dimension) : "unknown", original);
    for (int i = 0; i < CANDIDATE_COUNT; i++) {
        double mean = image_mean(input->images[i + 1]);
        evidence[i] = (float)(fabs(mean - original) / 40.0 < 1.0 ? fabs(mean - original) / 40.0 : 1.0);
        offset += snprintf(think + offset, sizeof think - (size_t)offset, " %c=%.0f", 'A' + i, mean);
        if (mean - original > 20 || original - mean > 20) {
            size_t used = strlen(letters);
            snprintf(letters + used, sizeof letters - used, "%s%c", used ? ", " : "", 'A' + i);
        }
    }
    int rc = 0;
    for (int c = 0; c < input->choices; c++) {
        if (asprintf(&outputs[c].text, "<think>%s</think><answer>%s</answer>", think, letters[0] ? letters : "none") < 0) {
            rc = error_set(err, "fake screener: out of memory");
            break;
        }
        outputs[c].answer = answer_parse(outputs[c].text); // as screen.c fills it
        outputs[c].prompt_tokens = 100;
        outputs[c].has_evidence = 1;
        memcpy(outputs[c].evidence, evidence, sizeof evidence);
        outputs[c].completion_tokens = (int)strlen(outputs[c].text) / 4;
        // a reply longer than max_tokens (four characters a token) is cut, as the model's would be
        int cap = input->generate.max_new_tokens;
        if (cap > 0 && outputs[c].completion_tokens > cap) {
            outputs[c].text[cap * 4] = 0;
            outputs[c].completion_tokens = cap;
            outputs[c].truncated = 1;
        }
    }
    // streaming: the text goes out in pieces of 8 bytes over sleep_ms, as a model would produce it;
    // a nonzero answer (client gone, stop strings met) ends the generation there
    for (int c = 0; rc == 0 && !stopped && input->on_text && c < input->choices; c++) {
        size_t length = strlen(outputs[c].text), pieces = (length + 7) / 8;
        for (size_t at = 0; at < length; at += 8) {
            if (state->sleep_ms) usleep((useconds_t)(state->sleep_ms * 1000 / (int)(pieces * (size_t)input->choices)));
            size_t n = length - at < 8 ? length - at : 8;
            stopped = (input->cancelled && input->cancelled(input->cancelled_user)) ||
                      input->on_text(input->on_text_user, c, outputs[c].text + at, n) != 0;
            if (stopped) {
                c = input->choices; // stop every choice
                break;
            }
        }
    }
    pthread_mutex_lock(&state->lock);
    state->stopped_early += stopped;
    state->busy[worker] = 0;
    state->parallel--;
    pthread_mutex_unlock(&state->lock);
    return rc;
}

static void fake_destroy(Screener *self) {
    FakeScreenerState *state = self->state;
    pthread_mutex_destroy(&state->lock);
    free(state);
    self->state = NULL;
}

int fake_screener_open(Screener *out, int workers, int sleep_ms) {
    memset(out, 0, sizeof *out);
    FakeScreenerState *state = calloc(1, sizeof *state);
    if (!state || workers < 1 || workers > 16) {
        free(state);
        return -1;
    }
    pthread_mutex_init(&state->lock, NULL);
    state->sleep_ms = sleep_ms;
    snprintf(out->model_id, sizeof out->model_id, "iar");
    out->worker_count = workers;
    out->image_tokens = 80; // as if each image took 16 positions
    out->state = state;
    out->screen = fake_screen;
    out->destroy = fake_destroy;
    return 0;
}

FakeScreenerState *fake_screener_state(Screener *screener) { return screener->state; }

char *serve_test_png_url(int size, int level) {
    Image image;
    Error err;
    if (image_create(&image, size, size, 3, &err) != 0) return NULL;
    memset(image.data, level, (size_t)size * (size_t)size * 3);
    uint8_t *png = NULL;
    size_t png_size = 0;
    int rc = image_encode_png_memory(&image, &png, &png_size, &err);
    image_free(&image);
    if (rc != 0) return NULL;
    char *url = data_url_encode("image/png", png, png_size);
    free(png);
    return url;
}

char *serve_test_screen_body(const int levels[4]) {
    char *urls[5] = {serve_test_png_url(16, 128), NULL, NULL, NULL, NULL};
    for (int i = 0; i < 4; i++) urls[i + 1] = serve_test_png_url(16, levels[i]);
    char *body = NULL;
    if (asprintf(&body, "{\"original\":\"%s\",\"candidates\":[\"%s\",\"%s\",\"%s\",\"%s\"],\"dimension\":\"lighting\"}",
                 urls[0], urls[1], urls[2], urls[3], urls[4]) < 0)
        body = NULL;
    for (int i = 0; i < 5; i++) free(urls[i]);
    return body;
}

static size_t collect_body(char *data, size_t size, size_t count, void *user) {
    HttpResult *result = user;
    size_t add = size * count;
    char *grown = realloc(result->body, result->size + add + 1);
    if (!grown) return 0;
    memcpy(grown + result->size, data, add);
    result->size += add;
    grown[result->size] = 0;
    result->body = grown;
    return add;
}

static size_t collect_header(char *data, size_t size, size_t count, void *user) {
    HttpResult *result = user;
    size_t used = strlen(result->headers), add = size * count;
    if (used + add < sizeof result->headers) {
        memcpy(result->headers + used, data, add);
        result->headers[used + add] = 0;
    }
    return add;
}

static int http_perform(const char *method, const char *url, const char *body, size_t body_size, const char *bearer,
                        int chunked, const char *content_type, HttpResult *out) {
    memset(out, 0, sizeof *out);
    CURL *curl = curl_easy_init();
    if (!curl) return -1;
    char type_header[256];
    snprintf(type_header, sizeof type_header, "Content-Type: %s", content_type ? content_type : "application/json");
    struct curl_slist *headers = curl_slist_append(NULL, type_header);
    char auth[256];
    if (bearer) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", bearer);
        headers = curl_slist_append(headers, auth);
    }
    headers = curl_slist_append(headers, "Expect:");
    if (chunked) headers = curl_slist_append(headers, "Transfer-Encoding: chunked");
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
    if (body) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_size);
    }
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, collect_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, out);
    CURLcode rc = curl_easy_perform(curl);
    if (rc == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    if (!out->body) out->body = calloc(1, 1);
    return rc == CURLE_OK ? 0 : -1;
}

int http_call(const char *method, const char *url, const char *body, size_t body_size, const char *bearer,
              HttpResult *out) {
    return http_perform(method, url, body, body_size, bearer, 0, NULL, out);
}

int http_call_chunked(const char *url, const char *body, size_t body_size, HttpResult *out) {
    return http_perform("POST", url, body, body_size, NULL, 1, NULL, out);
}

void http_result_free(HttpResult *result) {
    free(result->body);
    result->body = NULL;
}

int http_call_content_type(const char *url, const char *body, size_t body_size, const char *content_type, HttpResult *out) {
    return http_perform("POST", url, body, body_size, NULL, 0, content_type, out);
}
