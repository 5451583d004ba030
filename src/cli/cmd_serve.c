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
    printf("usage: iar serve --model CKPT [options]\n\n"
           "Serves a trained screener over HTTP (loopback only unless --host says otherwise):\n"
           "  POST /v1/chat/completions  OpenAI-compatible (five image_url parts: original, A, B, C, D; stream)\n"
           "  GET  /v1/models\n"
           "  POST /v1/screen            {\"original\": IMG, \"candidates\": [IMG x4], \"dimension\": ID} -> verdicts\n"
           "  GET  /health   GET /metrics (Prometheus)   GET / (web page)\n\n"
           "options:\n"
           "  --model CKPT          checkpoint folder (from iar train sft/grpo)\n"
           "  --host ADDR           address to bind (default 127.0.0.1)\n"
           "  --port N              TCP port (default 8080; 0 picks a free one)\n"
           "  --name ID             model id reported by the API (default iar)\n"
           "  --api-key-env NAME    require 'Authorization: Bearer $NAME' on /v1/* routes\n"
           "  --max-body MB         request body limit in MiB; larger get 413 (default 32)\n"
           "  --max-pixels N        per-image pixel limit (default 16777216)\n"
           "  --max-tokens N        largest max_tokens a request may ask for (default 4096; 512 when absent)\n"
           "  --max-concurrent N    screening requests queued or running; more get 503 (default 16)\n"
           "  --workers N           model instances running in parallel (default 1)\n"
           "  --threads N           connection threads (default 4)\n"
           "  --timeout S           idle-connection timeout and longest wait for a worker, 504 (default 60)\n"
           "  --example DATA.jsonl  dataset behind the page's example button\n"
           "  --quiet               no per-request log lines on stderr\n\n"
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
    const char *model = NULL, *name = "iar", *api_key_env = NULL;
    long workers = 1, value = 0;
    double seconds = 0;
    int quiet = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(arg, "--quiet") == 0) {
            quiet = 1;
            continue;
        }
        if (arg[0] == '-' && !next) return cli_fail("serve: %s needs a value", arg);
        i++;
        if (strcmp(arg, "--model") == 0) model = next;
        else if (strcmp(arg, "--host") == 0) options.host = next;
        else if (strcmp(arg, "--name") == 0) name = next;
        else if (strcmp(arg, "--api-key-env") == 0) api_key_env = next;
        else if (strcmp(arg, "--example") == 0) options.example_path = next;
        else if (strcmp(arg, "--port") == 0) {
            if (cli_parse_int(arg, next, 0, 65535, &value)) return 1;
            options.port = (int)value;
        } else if (strcmp(arg, "--max-body") == 0) {
            if (cli_parse_int(arg, next, 1, 4096, &value)) return 1;
            options.max_body_bytes = (size_t)value << 20;
        } else if (strcmp(arg, "--max-pixels") == 0) {
            if (cli_parse_int(arg, next, 1, 400000000L, &value)) return 1;
            options.limits.max_pixels = (size_t)value;
        } else if (strcmp(arg, "--max-tokens") == 0) {
            if (cli_parse_int(arg, next, 1, 65536, &value)) return 1;
            options.limits.max_tokens = (int)value;
        } else if (strcmp(arg, "--max-concurrent") == 0) {
            if (cli_parse_int(arg, next, 1, 100000, &value)) return 1;
            options.max_concurrent = (int)value;
        } else if (strcmp(arg, "--workers") == 0) {
            if (cli_parse_int(arg, next, 1, 64, &workers)) return 1;
        } else if (strcmp(arg, "--threads") == 0) {
            if (cli_parse_int(arg, next, 1, 256, &value)) return 1;
            options.threads = (int)value;
        } else if (strcmp(arg, "--timeout") == 0) {
            if (cli_parse_double(arg, next, 1, 86400, &seconds)) return 1;
            options.timeout_seconds = seconds;
        } else {
            return cli_fail("serve: unknown option '%s' (iar serve --help lists them)", arg);
        }
    }
    if (!model) return cli_fail("serve: --model CKPT is required (a folder from iar train sft)");
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
    int port = serve_server_port(server);
    // Tests and scripts read this line to learn the port (with --port 0).
    fprintf(stderr, "iar serve: listening on http://%s%s%s:%d/ (model %s%s)\n", strchr(host, ':') ? "[" : "", host,
            strchr(host, ':') ? "]" : "", port, screener.model_id, options.api_key ? ", API key required" : "");
    while (!stop_requested) pause();
    fprintf(stderr, "iar serve: stopping, finishing requests in flight\n");
    serve_server_stop(server, options.timeout_seconds);
    screener_close(&screener);
    fprintf(stderr, "iar serve: stopped\n");
    return 0;
}
