// reward_server.c — the external-reward tests' server (reward_server.h).
#include "reward_server.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loopback_http.h"

struct RewardServer {
    struct MHD_Daemon *daemon;
    char url[64];
    double base, per_byte;
    pthread_mutex_t lock;
    int requests, flaky_seen;
    char last_body[4096];
};

static enum MHD_Result reward_reply(RewardServer *server, struct MHD_Connection *connection, const char *body) {
    cJSON *json = cJSON_Parse(body);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(json, "sample_id");
    const cJSON *completion = cJSON_GetObjectItemCaseSensitive(json, "completion");
    const char *sample = cJSON_IsString(id) ? id->valuestring : "";
    size_t length = cJSON_IsString(completion) ? strlen(completion->valuestring) : 0;
    pthread_mutex_lock(&server->lock);
    server->requests++;
    snprintf(server->last_body, sizeof server->last_body, "%s", body);
    int flaky_first = strcmp(sample, "flaky") == 0 && server->flaky_seen++ == 0;
    pthread_mutex_unlock(&server->lock);
    char reply[128];
    snprintf(reply, sizeof reply, "{\"reward\": %.17g, \"note\": \"ok\"}", server->base + server->per_byte * (double)length);
    unsigned status = 200;
    if (strcmp(sample, "fail500") == 0) status = 500, snprintf(reply, sizeof reply, "{\"error\": \"boom\"}");
    if (strcmp(sample, "badjson") == 0) snprintf(reply, sizeof reply, "reward=1");
    if (flaky_first) status = 503, snprintf(reply, sizeof reply, "{\"error\": \"busy\"}");
    if (strcmp(sample, "slow") == 0) sleep(1);
    int huge = strcmp(sample, "huge") == 0;
    cJSON_Delete(json); // `sample` points into it
    if (huge) { // a reward padded with 2 MB of spaces
        size_t size = (size_t)2 << 20;
        char *padded = malloc(size + sizeof reply);
        if (!padded) return MHD_NO;
        memset(padded, ' ', size);
        snprintf(padded + size, sizeof reply, "%s", reply);
        enum MHD_Result result = loopback_http_reply(connection, status, padded, NULL);
        free(padded);
        return result;
    }
    return loopback_http_reply(connection, status, reply, NULL);
}

static enum MHD_Result reward_handle(void *cls, struct MHD_Connection *connection, const char *url, const char *method,
                                     const char *version, const char *upload_data, size_t *upload_data_size,
                                     void **state) {
    (void)url;
    (void)version;
    const char *body = NULL;
    int collecting = loopback_http_body(state, upload_data, upload_data_size, &body);
    if (collecting != 0) return collecting > 0 ? MHD_YES : MHD_NO;
    if (strcmp(method, "POST") != 0) return loopback_http_reply(connection, 405, "{}", NULL);
    return reward_reply(cls, connection, body);
}

RewardServer *reward_server_start(double base, double per_byte) {
    RewardServer *server = calloc(1, sizeof *server);
    if (!server) return NULL;
    server->base = base;
    server->per_byte = per_byte;
    pthread_mutex_init(&server->lock, NULL);
    int port = 0;
    server->daemon = loopback_http_start(reward_handle, server, &port);
    if (!server->daemon) {
        reward_server_stop(server);
        return NULL;
    }
    snprintf(server->url, sizeof server->url, "http://127.0.0.1:%d/reward", port);
    return server;
}

void reward_server_stop(RewardServer *server) {
    if (!server) return;
    if (server->daemon) MHD_stop_daemon(server->daemon);
    pthread_mutex_destroy(&server->lock);
    free(server);
}

const char *reward_server_url(const RewardServer *server) { return server->url; }

int reward_server_requests(RewardServer *server) {
    pthread_mutex_lock(&server->lock);
    int n = server->requests;
    pthread_mutex_unlock(&server->lock);
    return n;
}

void reward_server_last_body(RewardServer *server, char *buffer, size_t size) {
    pthread_mutex_lock(&server->lock);
    snprintf(buffer, size, "%s", server->last_body);
    pthread_mutex_unlock(&server->lock);
}
