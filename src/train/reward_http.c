// reward_http.c — the external reward client (reward_http.h): one libcurl easy handle kept across
// requests (so one connection serves the run), a JSON body per completion, the reply's "reward".
#include "train/reward_http.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/byte_buffer.h"
#include "core/utf8.h"
#include "eval/openai.h"

#define REWARD_REPLY_MAX_BYTES ((size_t)1 << 20)

struct RewardHttp {
    RewardHttpOptions options;
    char *url;
    CURL *easy;
    struct curl_slist *headers;
    ByteBuffer reply; // capped at REWARD_REPLY_MAX_BYTES
    char curl_error[CURL_ERROR_SIZE];
};

void reward_http_options_default(RewardHttpOptions *options) {
    *options = (RewardHttpOptions){.url = NULL, .timeout_seconds = 30, .retries = 2, .retry_delay_seconds = 0.5};
}

int reward_http_open(RewardHttp **out, const RewardHttpOptions *options, Error *err) {
    *out = NULL;
    if (!options->url || !options->url[0]) return error_set(err, "reward server: no URL given");
    if (!(options->timeout_seconds > 0) || options->retries < 0 || !(options->retry_delay_seconds >= 0))
        return error_set(err, "reward server %s: the timeout must be > 0 s, retries and their delay >= 0", options->url);
    RewardHttp *client = calloc(1, sizeof *client);
    if (!client) return error_set(err, "reward server: out of memory");
    curl_global_init(CURL_GLOBAL_DEFAULT); // counted: reward_http_close releases it
    client->options = *options;
    client->url = strdup(options->url);
    client->options.url = client->url;
    client->reply.max = REWARD_REPLY_MAX_BYTES;
    client->easy = curl_easy_init();
    client->headers = curl_slist_append(NULL, "Content-Type: application/json");
    if (client->headers) client->headers = curl_slist_append(client->headers, "Expect:"); // no 100-continue wait
    if (!client->url || !client->easy || !client->headers) {
        reward_http_close(client);
        return error_set(err, "reward server %s: cannot set up the HTTP client", options->url);
    }
    CURL *easy = client->easy;
    curl_easy_setopt(easy, CURLOPT_URL, client->url);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, client->headers);
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, byte_buffer_write_callback);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &client->reply);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, client->curl_error);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)(options->timeout_seconds * 1000.0));
    curl_easy_setopt(easy, CURLOPT_USERAGENT, "iar-grpo/1");
    *out = client;
    return 0;
}

void reward_http_close(RewardHttp *client) {
    if (!client) return;
    if (client->easy) curl_easy_cleanup(client->easy);
    curl_slist_free_all(client->headers);
    byte_buffer_free(&client->reply);
    free(client->url);
    free(client);
    curl_global_cleanup();
}

// The request body (valid UTF-8 whatever the policy wrote); NULL when out of memory.
static char *query_body(const RewardHttpQuery *query) {
    cJSON *json = cJSON_CreateObject();
    char *completion = utf8_sanitize(query->completion);
    cJSON *truth = json ? cJSON_AddArrayToObject(json, "ground_truth") : NULL;
    char *body = NULL;
    if (json && completion && truth) {
        cJSON_AddStringToObject(json, "prompt", query->prompt ? query->prompt : "");
        cJSON_AddStringToObject(json, "completion", completion);
        for (int i = 0; i < CANDIDATE_COUNT; i++) {
            char letter[2] = {(char)('A' + i), 0};
            if ((query->ground_truth >> i) & 1) cJSON_AddItemToArray(truth, cJSON_CreateString(letter));
        }
        if (query->dimension) cJSON_AddStringToObject(json, "dimension", query->dimension);
        else cJSON_AddNullToObject(json, "dimension");
        cJSON_AddStringToObject(json, "sample_id", query->sample_id ? query->sample_id : "");
        body = cJSON_PrintUnformatted(json);
    }
    cJSON_Delete(json);
    free(completion);
    return body;
}

// The "reward" of a 200 reply; -1 (err set) when the reply is not an object with a finite one.
static int reply_reward(const RewardHttp *client, double *reward, Error *err) {
    cJSON *json = client->reply.size ? cJSON_ParseWithLength(client->reply.data, client->reply.size) : NULL;
    const cJSON *value = cJSON_IsObject(json) ? cJSON_GetObjectItemCaseSensitive(json, "reward") : NULL;
    int ok = cJSON_IsNumber(value) && isfinite(value->valuedouble);
    if (ok) *reward = value->valuedouble;
    cJSON_Delete(json);
    if (ok) return 0;
    return error_set(err, "the reply is not {\"reward\": <finite number>}: %.200s",
                     client->reply.size ? client->reply.data : "(empty)");
}

// One POST: 0 with *reward set, 1 for a failure worth retrying, -1 for one that is not (err set
// in both cases).
static int reward_http_attempt(RewardHttp *client, const char *body, double *reward, Error *err) {
    byte_buffer_clear(&client->reply);
    client->curl_error[0] = 0;
    curl_easy_setopt(client->easy, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(client->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    CURLcode code = curl_easy_perform(client->easy);
    if (client->reply.overflowed) return error_set(err, "the reply is over %zu bytes", REWARD_REPLY_MAX_BYTES);
    if (code == CURLE_OPERATION_TIMEDOUT) {
        error_set(err, "no reply within %g s (--reward-timeout)", client->options.timeout_seconds);
        return 1;
    }
    if (code != CURLE_OK) {
        error_set(err, "%s", client->curl_error[0] ? client->curl_error : curl_easy_strerror(code));
        return 1;
    }
    long status = 0;
    curl_easy_getinfo(client->easy, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) {
        error_set(err, "HTTP %ld: %.200s", status, client->reply.size ? client->reply.data : "(no body)");
        return openai_status_retryable(status) ? 1 : -1;
    }
    return reply_reward(client, reward, err);
}

static void sleep_seconds(double seconds) {
    if (!(seconds > 0)) return;
    struct timespec wait = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    while (nanosleep(&wait, &wait) != 0) {
    }
}

int reward_http_score(RewardHttp *client, const RewardHttpQuery *query, double *reward, Error *err) {
    char *body = query_body(query);
    if (!body) return error_set(err, "reward server %s: out of memory for the request", client->url);
    double delay = client->options.retry_delay_seconds;
    int attempts = 0, rc = 0;
    for (;;) {
        rc = reward_http_attempt(client, body, reward, err);
        attempts++;
        if (rc <= 0 || attempts > client->options.retries) break;
        sleep_seconds(delay);
        delay *= 2;
    }
    free(body);
    if (rc == 0) return 0;
    return error_prefix(err, "reward server %s (%d attempt%s): ", client->url, attempts, attempts == 1 ? "" : "s");
}
