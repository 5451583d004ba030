// metrics.h — the server's counters in the Prometheus text format (GET /metrics): requests by
// route and status, a latency histogram per route, requests in flight, rejected (503) requests,
// screening requests abandoned by their client.
#ifndef IAR_SERVE_METRICS_H
#define IAR_SERVE_METRICS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

typedef enum ServeRoute {
    ROUTE_PAGE = 0,   // GET /
    ROUTE_HEALTH,     // GET /health
    ROUTE_METRICS,    // GET /metrics
    ROUTE_MODELS,     // GET /v1/models
    ROUTE_CHAT,       // POST /v1/chat/completions
    ROUTE_SCREEN,     // POST /v1/screen
    ROUTE_EXAMPLE,    // GET /v1/example
    ROUTE_OTHER,      // anything else (404, 405)
    ROUTE_COUNT
} ServeRoute;

const char *serve_route_name(ServeRoute route); // the path, "other" for ROUTE_OTHER

#define METRICS_STATUS_KINDS 10 // 200, 400, 401, 404, 405, 413, 500, 503, 504, other
#define METRICS_LATENCY_BUCKETS 14

typedef struct ServeMetrics {
    pthread_mutex_t lock;
    uint64_t requests[ROUTE_COUNT][METRICS_STATUS_KINDS];
    uint64_t latency_buckets[ROUTE_COUNT][METRICS_LATENCY_BUCKETS]; // cumulative counts are made on output
    double latency_sum[ROUTE_COUNT];
    uint64_t latency_count[ROUTE_COUNT];
    int64_t in_flight;  // requests being handled (connections with a request under way)
    int64_t queued;     // screening jobs waiting for a model worker
    int64_t rejected;   // 503: over --max-concurrent or shutting down
    int64_t timed_out;  // 504: waited for a worker longer than --timeout
    int64_t cancelled_queued;     // screening jobs dropped unrun because their client went away
    int64_t cancelled_generating; // generations stopped (or finished unread) because the client went away
    int64_t completion_tokens;
    double start_seconds;
} ServeMetrics;

void metrics_init(ServeMetrics *metrics);
void metrics_destroy(ServeMetrics *metrics);
void metrics_record(ServeMetrics *metrics, ServeRoute route, int status, double seconds);
void metrics_add(ServeMetrics *metrics, int64_t *gauge_or_counter, int64_t delta);
// The Prometheus exposition text; malloc'd.
char *metrics_format(ServeMetrics *metrics);

#endif
