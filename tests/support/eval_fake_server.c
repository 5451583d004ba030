// eval_fake_server.c — the misbehaving OpenAI-compatible server of the eval tests and benchmark.
#include "eval_fake_server.h"

#include "loopback_http.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FAKE_MAX_IDS 16384

struct EvalFakeServer {
    struct MHD_Daemon *daemon;
    int port;
    int delay_ms;
    pthread_mutex_t lock;
    char (*ids)[32];
    int *counts;
    int id_count;
    int total;
    char authorization[256];
};

// Counts this request for the id and returns how many requests of it came before (0 for the first).
static int fake_count(EvalFakeServer *server, const char *id) {
    pthread_mutex_lock(&server->lock);
    server->total++;
    int i = 0;
    while (i < server->id_count && strcmp(server->ids[i], id) != 0) i++;
    if (i == server->id_count && i < FAKE_MAX_IDS) {
        snprintf(server->ids[i], sizeof server->ids[i], "%s", id);
        server->counts[i] = 0;
        server->id_count++;
    }
    int before = i < FAKE_MAX_IDS ? server->counts[i]++ : 0;
    pthread_mutex_unlock(&server->lock);
    return before;
}

static void marker_value(const char *marker, const char *key, char *out, size_t size, const char *fallback) {
    char pattern[32];
    snprintf(pattern, sizeof pattern, "%s=", key);
    const char *p = strstr(marker, pattern);
    if (!p) {
        snprintf(out, size, "%s", fallback);
        return;
    }
    p += strlen(pattern);
    size_t n = 0;
    while (p[n] && p[n] != ' ' && p[n] != ']' && n + 1 < size) n++;
    memcpy(out, p, n);
    out[n] = 0;
}

static enum MHD_Result fake_answer(EvalFakeServer *server, struct MHD_Connection *connection, const char *body) {
    const char *open = strstr(body, "[[");
    char marker[256] = "";
    if (open) {
        const char *close = strstr(open, "]]");
        size_t n = close ? (size_t)(close - open) : 0;
        if (n >= sizeof marker) n = sizeof marker - 1;
        memcpy(marker, open, n);
        marker[n] = 0;
    }
    char id[32], mode[32], count[16], retry_after[16], answer[16], sleep_ms[16];
    marker_value(marker, "id", id, sizeof id, "-");
    marker_value(marker, "mode", mode, sizeof mode, "ok");
    marker_value(marker, "n", count, sizeof count, "1");
    marker_value(marker, "ra", retry_after, sizeof retry_after, "1");
    marker_value(marker, "answer", answer, sizeof answer, "A");
    marker_value(marker, "sleep", sleep_ms, sizeof sleep_ms, "0");
    if (atoi(sleep_ms) > 0) usleep((useconds_t)atoi(sleep_ms) * 1000u);
    int before = fake_count(server, id);
    int faulty = before < atoi(count);
    if (faulty && strcmp(mode, "429") == 0) return loopback_http_reply(connection, 429, "{\"error\":{\"message\":\"rate limited\"}}", retry_after);
    if (faulty && strcmp(mode, "401") == 0) return loopback_http_reply(connection, 401, "{\"error\":{\"message\":\"bad key\"}}", NULL);
    if (faulty && strcmp(mode, "400") == 0) return loopback_http_reply(connection, 400, "{\"error\":{\"message\":\"image refused\"}}", NULL);
    if (faulty && strcmp(mode, "500") == 0) return loopback_http_reply(connection, 500, "{\"error\":{\"message\":\"boom\"}}", NULL);
    if (faulty && strcmp(mode, "malformed") == 0) return loopback_http_reply(connection, 200, "{\"choices\":[{\"message\":", NULL);
    if (faulty && strcmp(mode, "drop") == 0) return MHD_NO;
    if (faulty && strcmp(mode, "slow") == 0) usleep((useconds_t)server->delay_ms * 1000u);
    char letters[32] = "";
    for (const char *p = answer; *p; p++) {
        if (*p < 'A' || *p > 'D') continue;
        size_t n = strlen(letters);
        snprintf(letters + n, sizeof letters - n, "%s%c", n ? ", " : "", *p);
    }
    char reply[512];
    int unparseable = faulty && strcmp(mode, "unparseable") == 0;
    snprintf(reply, sizeof reply,
             "{\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
             "\"content\":\"%s%s%s\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1000,\"completion_tokens\":20,"
             "\"total_tokens\":1020}}",
             unparseable ? "I cannot tell which images are flawed." : "<think>fake reasoning</think><answer>",
             unparseable ? "" : (letters[0] ? letters : "none"), unparseable ? "" : "</answer>");
    return loopback_http_reply(connection, 200, reply, NULL);
}

static enum MHD_Result fake_handle(void *cls, struct MHD_Connection *connection, const char *url, const char *method,
                                   const char *version, const char *upload_data, size_t *upload_data_size, void **state) {
    (void)url;
    (void)version;
    EvalFakeServer *server = cls;
    const char *body = NULL;
    int collecting = loopback_http_body(state, upload_data, upload_data_size, &body);
    if (collecting != 0) return collecting > 0 ? MHD_YES : MHD_NO;
    const char *authorization = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Authorization");
    pthread_mutex_lock(&server->lock);
    snprintf(server->authorization, sizeof server->authorization, "%s", authorization ? authorization : "");
    pthread_mutex_unlock(&server->lock);
    if (strcmp(method, "POST") != 0) return loopback_http_reply(connection, 405, "{}", NULL);
    return fake_answer(server, connection, body);
}

EvalFakeServer *eval_fake_server_start(int delay_ms) {
    EvalFakeServer *server = calloc(1, sizeof *server);
    if (!server) return NULL;
    server->ids = calloc(FAKE_MAX_IDS, sizeof *server->ids);
    server->counts = calloc(FAKE_MAX_IDS, sizeof *server->counts);
    server->delay_ms = delay_ms > 0 ? delay_ms : 1000;
    pthread_mutex_init(&server->lock, NULL);
    server->daemon = loopback_http_start(fake_handle, server, &server->port);
    if (!server->daemon || !server->ids || !server->counts) {
        eval_fake_server_stop(server);
        return NULL;
    }
    return server;
}

int eval_fake_server_port(const EvalFakeServer *server) { return server->port; }

void eval_fake_server_stop(EvalFakeServer *server) {
    if (!server) return;
    if (server->daemon) MHD_stop_daemon(server->daemon);
    pthread_mutex_destroy(&server->lock);
    free(server->ids);
    free(server->counts);
    free(server);
}

int eval_fake_server_requests(EvalFakeServer *server, const char *id) {
    pthread_mutex_lock(&server->lock);
    int count = 0;
    for (int i = 0; i < server->id_count; i++)
        if (strcmp(server->ids[i], id) == 0) count = server->counts[i];
    pthread_mutex_unlock(&server->lock);
    return count;
}

int eval_fake_server_total(EvalFakeServer *server) {
    pthread_mutex_lock(&server->lock);
    int total = server->total;
    pthread_mutex_unlock(&server->lock);
    return total;
}

void eval_fake_server_last_authorization(EvalFakeServer *server, char *buffer, int size) {
    pthread_mutex_lock(&server->lock);
    snprintf(buffer, (size_t)size, "%s", server->authorization);
    pthread_mutex_unlock(&server->lock);
}
