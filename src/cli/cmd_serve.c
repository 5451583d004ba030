// cmd_serve.c — `iar serve`: puts a trained checkpoint behind the OpenAI-compatible API,
// /v1/screen and the web page, until SIGINT or SIGTERM (then finishes what is in flight).
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "serve/screener.h"
#include "serve/server.h"

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int signal_number) {
    (void)signal_number;
    stop_requested = 1;
}

static void print_help(void) {
    printf("usage: iar serve [--model DIR] [options]\n\n"
           "Serves a trained screener over HTTP (loopback only unless --host says otherwise):\n"
           "  POST /v1/chat/completions  OpenAI-compatible (five image_url parts: original, A, B, C, D; stream, stop)\n"
           "  GET  /v1/models\n"
           "  POST /v1/screen            {\"original\": IMG, \"candidates\": [IMG x4], \"dimension\": ID} -> verdicts,\n"
           "                             or multipart: curl -F original=@o.png -F a=@a.png ... -F d=@d.png\n"
           "  GET  /health   GET /metrics (Prometheus)   GET / (web page)\n\n"
           "options:\n"
           "  --model DIR              model folder (default: $IAR_MODEL, else the shipped models/iar-small)\n"
           "  --host ADDR              address to bind (default 127.0.0.1)\n"
           "  --port N                 TCP port (default 8080; 0 picks a free one)\n"
           "  --name ID                model id reported by the API (default iar)\n"
           "  --api-key-env NAME       require 'Authorization: Bearer $NAME' on /v1/* routes\n"
           "  --max-body MB            request body limit in MiB; larger get 413 (default 32)\n"
           "  --max-pixels N           per-image pixel limit (default 16777216)\n"
           "  --max-request-pixels N   the five images together; more get 413 (default 20971520)\n"
           "  --max-server-pixels N    decoded pixels held by all requests; beyond get 503 (default 83886080)\n"
           "  --max-tokens N           largest max_tokens a request may ask for (default 4096; 512 when absent)\n"
           "  --max-concurrent N       screening requests queued or running; more get 503 (default 16)\n"
           "  --max-connections N      open connections in all (default 1024)\n"
           "  --per-ip N               open connections from one address; more are refused (default 32)\n"
           "  --workers N              model instances running in parallel (default 1)\n"
           "  --threads N              connection threads (default 4)\n"
           "  --timeout S              longest wait for a model worker, then 504 (default 60)\n"
           "  --idle-timeout S         close a connection silent this long (default 10)\n"
           "  --example DATA.jsonl     dataset behind the page's example button\n"
           "  --allow-outside          its images may resolve (through symbolic links) outside its folder\n"
           "  --quiet                  no per-request log lines on stderr\n"
           "  --config FILE.json       these options from a JSON object ({\"port\": 8080}); the command line wins\n\n"
           "example:\n"
           "  iar serve --model runs/sft-small --example bench1/data.jsonl --port 8080\n"
           "  curl -s localhost:8080/health\n");
}

static void log_line(void *user, const char *line) {
    (void)user;
    fprintf(stderr, "%s\n", line);
}

int cmd_serve(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        print_help();
        return 0;
    }
    ServeOptions options;
    serve_options_default(&options);
    const char *model_arg = NULL, *name = "iar", *api_key_env = NULL;
    long workers = 1, port = options.port, max_body = 32, max_pixels = (long)options.limits.max_pixels;
    long max_request_pixels = (long)options.limits.max_request_pixels, max_server_pixels = (long)options.max_server_pixels;
    long max_tokens = options.limits.max_tokens, max_concurrent = options.max_concurrent, threads = options.threads;
    long max_connections = options.max_connections, per_ip = options.per_ip_connections;
    double timeout = options.timeout_seconds, idle_timeout = options.idle_timeout_seconds;
    int quiet = 0, allow_outside = 0;
    const CliOption OPTIONS[] = {
        OPTION_STRING("model", &model_arg),
        OPTION_STRING("host", &options.host),
        OPTION_LONG("port", &port, 0, 65535),
        OPTION_STRING("name", &name),
        OPTION_STRING("api-key-env", &api_key_env),
        OPTION_LONG("max-body", &max_body, 1, 4096),
        OPTION_LONG("max-pixels", &max_pixels, 1, 400000000),
        OPTION_LONG("max-request-pixels", &max_request_pixels, 1, 2000000000),
        OPTION_LONG("max-server-pixels", &max_server_pixels, 1, 8e18),
        OPTION_LONG("max-tokens", &max_tokens, 1, 65536),
        OPTION_LONG("max-concurrent", &max_concurrent, 1, 100000),
        OPTION_LONG("max-connections", &max_connections, 1, 1000000),
        OPTION_LONG("per-ip", &per_ip, 1, 1000000),
        OPTION_LONG("workers", &workers, 1, 64),
        OPTION_LONG("threads", &threads, 1, 256),
        OPTION_DOUBLE("timeout", &timeout, 1, 86400),
        OPTION_DOUBLE("idle-timeout", &idle_timeout, 1, 86400),
        OPTION_STRING("example", &options.example_path),
        OPTION_FLAG("allow-outside", &allow_outside),
        OPTION_FLAG("quiet", &quiet),
        OPTION_END,
    };
    int first = 0;
    if (cli_options_parse("serve", argc, argv, OPTIONS, &first) != 0) return 1;
    if (first < argc) return cli_fail("serve: unexpected argument '%s' (iar serve --help)", argv[first]);
    options.port = (int)port;
    options.max_body_bytes = (size_t)max_body << 20;
    options.limits.max_pixels = (size_t)max_pixels;
    options.limits.max_request_pixels = (size_t)max_request_pixels;
    options.max_server_pixels = (size_t)max_server_pixels;
    options.limits.max_tokens = (int)max_tokens;
    options.max_concurrent = (int)max_concurrent;
    options.max_connections = (int)max_connections;
    options.per_ip_connections = (int)per_ip;
    options.threads = (int)threads;
    options.timeout_seconds = timeout;
    options.idle_timeout_seconds = idle_timeout;
    options.example_allow_outside = allow_outside;
    char model[4096];
    if (cli_resolve_model(model_arg, model, sizeof model) != 0) return 1;
    if (api_key_env) {
        options.api_key = getenv(api_key_env);
        if (!options.api_key || !options.api_key[0])
            return cli_fail("serve: --api-key-env %s: that environment variable is empty or unset", api_key_env);
    }
    if (!quiet) options.log = log_line;

    Error err = {{0}};
    Screener screener;
    fprintf(stderr, "iar serve: loading %s (%ld worker%s)\n", model, workers, workers == 1 ? "" : "s");
    if (screener_vlm_open(&screener, model, name, (int)workers, &err) != 0) return cli_fail_error(&err);
    ServeServer *server = NULL;
    if (serve_server_start(&server, &options, &screener, &err) != 0) {
        screener_close(&screener);
        return cli_fail_error(&err);
    }
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    signal(SIGPIPE, SIG_IGN);
    const char *host = options.host;
    int bound_port = serve_server_port(server);
    // Tests and scripts read this line to learn the port (with --port 0).
    fprintf(stderr, "iar serve: listening on http://%s%s%s:%d/ (model %s%s)\n", strchr(host, ':') ? "[" : "", host,
            strchr(host, ':') ? "]" : "", bound_port, screener.model_id, options.api_key ? ", API key required" : "");
    while (!stop_requested) pause();
    fprintf(stderr, "iar serve: stopping, finishing requests in flight\n");
    serve_server_stop(server, options.timeout_seconds);
    screener_close(&screener);
    fprintf(stderr, "iar serve: stopped\n");
    return 0;
}
