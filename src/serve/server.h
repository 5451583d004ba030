// server.h — `iar serve` as a library: an HTTP server (libmicrohttpd, thread pool) in front of a
// Screener. Routes (DESIGN §4):
//   POST /v1/chat/completions  OpenAI-compatible, incl. "stream": true (server-sent events)
//   GET  /v1/models            the one served model
//   POST /v1/screen            original + four candidates -> flawed letters, verdicts, reasoning, timing
//   GET  /v1/example?index=N   a sample of the --example dataset as data URLs (the page's example button);
//                              N in 0..count-1, else 400/404
//   GET  /health, GET /metrics (Prometheus), GET / (the offline web page)
// The connection threads only read, parse and write; the model runs on the screener's workers
// (connections are suspended meanwhile), so a slow inference never blocks other clients.
#ifndef IAR_SERVE_SERVER_H
#define IAR_SERVE_SERVER_H

#include <stddef.h>

#include "core/error.h"
#include "serve/request.h"
#include "serve/screener.h"

typedef struct ServeOptions {
    const char *host;       // default "127.0.0.1" (loopback only)
    int port;               // 0: any free port (see serve_server_port)
    const char *api_key;    // NULL or "": no authentication; else /v1/* need "Authorization: Bearer KEY"
    size_t max_body_bytes;  // larger bodies get 413; default 32 MiB
    int max_concurrent;     // screening requests queued or running; more get 503 + Retry-After; default 16
    double timeout_seconds; // longest wait for a model worker (504); default 60
    double idle_timeout_seconds; // a connection silent this long is closed (slowloris, idle floods); default 10
    int max_connections;    // open connections in all; default 1024
    int per_ip_connections; // open connections from one address; more are refused at once; default 32
    size_t max_server_pixels; // decoded pixels held by all requests together; beyond: 503; default 4 requests' worth
    int threads;            // connection threads (libmicrohttpd pool); default 4
    RequestLimits limits;   // per-image and per-request pixel caps, max_tokens cap, n cap
    const char *example_path; // dataset JSONL for GET /v1/example; NULL: none
    int example_allow_outside; // its images may resolve outside its folder (--allow-outside)
    // One line per finished request ("POST /v1/screen 200 12.3 ms"); may be NULL. Called from
    // connection threads.
    void (*log)(void *user, const char *line);
    void *log_user;
} ServeOptions;

void serve_options_default(ServeOptions *options);

typedef struct ServeServer ServeServer;

// Starts listening; returns once the socket is bound. The screener must outlive the server.
int serve_server_start(ServeServer **out, const ServeOptions *options, Screener *screener, Error *err);
int serve_server_port(const ServeServer *server);
// Stops accepting connections, answers what is in flight (waiting at most `drain_seconds`; every
// answer from then on closes its connection, and idle keep-alive connections are closed at once),
// stops the workers and frees the server.
void serve_server_stop(ServeServer *server, double drain_seconds);

#endif
