// metrics.c — request counters and latency histograms, formatted for Prometheus.
#include "serve/metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/progress.h"

static const char *const ROUTE_NAMES[ROUTE_COUNT] = {
    "/", "/health", "/metrics", "/v1/models", "/v1/chat/completions", "/v1/screen", "/v1/example", "other",
};
static const int STATUS_CODES[METRICS_STATUS_KINDS - 1] = {200, 400, 401, 404, 405, 413, 500, 503, 504};
static const double LATENCY_BOUNDS[METRICS_LATENCY_BUCKETS] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                               0.25,  0.5,    1,     2.5,  5,     10,   30};

const char *serve_route_name(ServeRoute route) {
    return (unsigned)route < ROUTE_COUNT ? ROUTE_NAMES[route] : "other";
}

void metrics_init(ServeMetrics *metrics) {
    memset(metrics, 0, sizeof *metrics);
    pthread_mutex_init(&metrics->lock, NULL);
    metrics->start_seconds = time_now_seconds();
}

void metrics_destroy(ServeMetrics *metrics) { pthread_mutex_destroy(&metrics->lock); }

static int status_kind(int status) {
    for (int i = 0; i < METRICS_STATUS_KINDS - 1; i++)
        if (STATUS_CODES[i] == status) return i;
    return METRICS_STATUS_KINDS - 1;
}

void metrics_record(ServeMetrics *metrics, ServeRoute route, int status, double seconds) {
    if ((unsigned)route >= ROUTE_COUNT) route = ROUTE_OTHER;
    int bucket = 0;
    while (bucket < METRICS_LATENCY_BUCKETS && seconds > LATENCY_BOUNDS[bucket]) bucket++;
    pthread_mutex_lock(&metrics->lock);
    metrics->requests[route][status_kind(status)]++;
    if (bucket < METRICS_LATENCY_BUCKETS) metrics->latency_buckets[route][bucket]++;
    metrics->latency_sum[route] += seconds;
    metrics->latency_count[route]++;
    pthread_mutex_unlock(&metrics->lock);
}

void metrics_add(ServeMetrics *metrics, int64_t *value, int64_t delta) {
    pthread_mutex_lock(&metrics->lock);
    *value += delta;
    pthread_mutex_unlock(&metrics->lock);
}

typedef struct TextBuffer {
    char *data;
    size_t size, capacity;
    int failed;
} TextBuffer;

static void text_printf(TextBuffer *buffer, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void text_printf(TextBuffer *buffer, const char *format, ...) {
    if (buffer->failed) return;
    for (;;) {
        va_list args;
        va_start(args, format);
        int n = vsnprintf(buffer->data + buffer->size, buffer->capacity - buffer->size, format, args);
        va_end(args);
        if (n < 0) {
            buffer->failed = 1;
            return;
        }
        if (buffer->size + (size_t)n < buffer->capacity) {
            buffer->size += (size_t)n;
            return;
        }
        size_t capacity = (buffer->capacity + (size_t)n + 1) * 2;
        char *grown = realloc(buffer->data, capacity);
        if (!grown) {
            buffer->failed = 1;
            return;
        }
        buffer->data = grown;
        buffer->capacity = capacity;
    }
}

char *metrics_format(ServeMetrics *metrics) {
    TextBuffer out = {0};
    out.capacity = 8192;
    out.data = malloc(out.capacity);
    if (!out.data) return NULL;
    out.data[0] = 0;
    pthread_mutex_lock(&metrics->lock);
    ServeMetrics m = *metrics; // a consistent snapshot, formatted without holding the lock
    pthread_mutex_unlock(&metrics->lock);

    text_printf(&out, "# HELP iar_http_requests_total HTTP requests by route and status code.\n"
                      "# TYPE iar_http_requests_total counter\n");
    for (int r = 0; r < ROUTE_COUNT; r++)
        for (int s = 0; s < METRICS_STATUS_KINDS; s++) {
            if (!m.requests[r][s]) continue;
            char code[8];
            if (s < METRICS_STATUS_KINDS - 1) snprintf(code, sizeof code, "%d", STATUS_CODES[s]);
            else snprintf(code, sizeof code, "other");
            text_printf(&out, "iar_http_requests_total{route=\"%s\",status=\"%s\"} %llu\n", ROUTE_NAMES[r], code,
                        (unsigned long long)m.requests[r][s]);
        }
    text_printf(&out, "# HELP iar_http_request_duration_seconds Time from request start to response queued.\n"
                      "# TYPE iar_http_request_duration_seconds histogram\n");
    for (int r = 0; r < ROUTE_COUNT; r++) {
        if (!m.latency_count[r]) continue;
        uint64_t cumulative = 0;
        for (int b = 0; b < METRICS_LATENCY_BUCKETS; b++) {
            cumulative += m.latency_buckets[r][b];
            text_printf(&out, "iar_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n", ROUTE_NAMES[r],
                        LATENCY_BOUNDS[b], (unsigned long long)cumulative);
        }
        text_printf(&out,
                    "iar_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n"
                    "iar_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
                    "iar_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
                    ROUTE_NAMES[r], (unsigned long long)m.latency_count[r], ROUTE_NAMES[r], m.latency_sum[r],
                    ROUTE_NAMES[r], (unsigned long long)m.latency_count[r]);
    }
    text_printf(&out,
                "# HELP iar_http_requests_in_flight Requests being handled now.\n"
                "# TYPE iar_http_requests_in_flight gauge\niar_http_requests_in_flight %lld\n"
                "# HELP iar_screen_queue_length Screening jobs waiting for a model worker.\n"
                "# TYPE iar_screen_queue_length gauge\niar_screen_queue_length %lld\n"
                "# HELP iar_http_rejected_total Requests refused with 503 (over --max-concurrent or shutting down).\n"
                "# TYPE iar_http_rejected_total counter\niar_http_rejected_total %llu\n"
                "# HELP iar_http_timed_out_total Requests answered 504 after waiting longer than --timeout.\n"
                "# TYPE iar_http_timed_out_total counter\niar_http_timed_out_total %llu\n"
                "# HELP iar_cancelled_total Screening requests whose client went away before the answer: dropped "
                "while queued, or stopped while generating.\n"
                "# TYPE iar_cancelled_total counter\n"
                "iar_cancelled_total{stage=\"queued\"} %llu\niar_cancelled_total{stage=\"generating\"} %llu\n"
                "# HELP iar_completion_tokens_total Tokens generated by the model.\n"
                "# TYPE iar_completion_tokens_total counter\niar_completion_tokens_total %llu\n"
                "# HELP iar_uptime_seconds Seconds since the server started.\n"
                "# TYPE iar_uptime_seconds gauge\niar_uptime_seconds %.3f\n",
                (long long)m.in_flight, (long long)m.queued, (unsigned long long)m.rejected,
                (unsigned long long)m.timed_out, (unsigned long long)m.cancelled_queued,
                (unsigned long long)m.cancelled_generating, (unsigned long long)m.completion_tokens,
                time_now_seconds() - m.start_seconds);
    if (out.failed) {
        free(out.data);
        return NULL;
    }
    return out.data;
}
