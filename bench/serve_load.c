// serve_load.c — a load generator for `iar serve` (bench/serve.sh and bench/serve_load.sh run it):
//   serve_load URL BODY_FILE CONCURRENCY REQUESTS [BEARER|-] [MAX_SECONDS] [SOURCE_ADDRESSES]
// CONCURRENCY threads, each with one keep-alive connection, POST BODY_FILE until REQUESTS are
// done (or MAX_SECONDS passed: then fewer are sent; REQUESTS 0 means no limit but the time). A
// client that gets 503 asks again at once, as a hostile one would. With SOURCE_ADDRESSES N > 1,
// client t connects from 127.0.0.(1 + t mod N), so that N loopback hosts share the clients (the
// server limits connections per address). Prints one JSON line: throughput, latency percentiles
// of the 200 answers, the count of every HTTP status, and the requests that got no HTTP answer
// by curl error code. Exits 1 when any answer was neither 200 nor 503, or none came.
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { STATUS_SLOTS = 600 }; // HTTP statuses 0..599; 0: no HTTP answer

typedef struct Load {
    const char *url, *bearer;
    char *body;
    long body_size;
    long requests;      // 0: no limit but the deadline
    long next;          // next request index (atomic)
    double deadline;    // no new request after this (monotonic seconds); 0: none
    int source_addresses;
    long status_count[STATUS_SLOTS]; // (atomic)
    long curl_error_count[CURL_LAST]; // requests without an HTTP answer, by CURLcode (atomic)
} Load;

// One client thread: its connection's source address and the latencies of its 200 answers.
typedef struct Client {
    Load *load;
    int index;
    double *ok_ms;
    size_t ok_count, ok_capacity;
} Client;

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static size_t discard(char *data, size_t size, size_t count, void *user) {
    (void)data;
    (void)user;
    return size * count;
}

static void client_record_ok(Client *client, double ms) {
    if (client->ok_count == client->ok_capacity) {
        size_t capacity = client->ok_capacity ? 2 * client->ok_capacity : 1024;
        double *grown = realloc(client->ok_ms, capacity * sizeof *grown);
        if (!grown) return; // the status is still counted; only this latency is lost
        client->ok_ms = grown;
        client->ok_capacity = capacity;
    }
    client->ok_ms[client->ok_count++] = ms;
}

static void *client_run(void *arg) {
    Client *client = arg;
    Load *load = client->load;
    CURL *curl = curl_easy_init();
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Expect:");
    char auth[256], source[32];
    if (load->bearer) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", load->bearer);
        headers = curl_slist_append(headers, auth);
    }
    curl_easy_setopt(curl, CURLOPT_URL, load->url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, load->body);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, load->body_size);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 600L);
    if (load->source_addresses > 1) {
        snprintf(source, sizeof source, "host!127.0.0.%d", 1 + client->index % load->source_addresses);
        curl_easy_setopt(curl, CURLOPT_INTERFACE, source);
    }
    for (;;) {
        long i = __atomic_fetch_add(&load->next, 1, __ATOMIC_RELAXED);
        if ((load->requests > 0 && i >= load->requests) || (load->deadline > 0 && now_seconds() > load->deadline)) break;
        double start = now_seconds();
        long status = 0;
        CURLcode code = curl_easy_perform(curl);
        if (code == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        else __atomic_fetch_add(&load->curl_error_count[code], 1, __ATOMIC_RELAXED);
        if (status < 0 || status >= STATUS_SLOTS) status = 0;
        __atomic_fetch_add(&load->status_count[status], 1, __ATOMIC_RELAXED);
        if (status == 200) client_record_ok(client, (now_seconds() - start) * 1000);
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return NULL;
}

static int compare_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: serve_load URL BODY_FILE CONCURRENCY REQUESTS [BEARER|-] [MAX_SECONDS] [SOURCE_ADDRESSES]\n");
        return 2;
    }
    Load load = {0};
    load.url = argv[1];
    load.bearer = argc > 5 && strcmp(argv[5], "-") != 0 ? argv[5] : NULL;
    int concurrency = atoi(argv[3]);
    load.requests = atol(argv[4]);
    double max_seconds = argc > 6 ? atof(argv[6]) : 0;
    load.source_addresses = argc > 7 ? atoi(argv[7]) : 1;
    FILE *file = fopen(argv[2], "rb");
    if (!file || concurrency < 1 || load.requests < 0 || (load.requests == 0 && max_seconds <= 0) ||
        load.source_addresses < 1 || load.source_addresses > 254) {
        fprintf(stderr, "serve_load: cannot read %s, or bad numbers (REQUESTS 0 needs MAX_SECONDS)\n", argv[2]);
        return 2;
    }
    fseek(file, 0, SEEK_END);
    load.body_size = ftell(file);
    rewind(file);
    load.body = malloc((size_t)load.body_size + 1);
    if (!load.body || fread(load.body, 1, (size_t)load.body_size, file) != (size_t)load.body_size) return 2;
    fclose(file);
    pthread_t *threads = calloc((size_t)concurrency, sizeof *threads);
    Client *clients = calloc((size_t)concurrency, sizeof *clients);
    if (!threads || !clients) return 2;
    curl_global_init(CURL_GLOBAL_ALL);
    double start = now_seconds();
    if (max_seconds > 0) load.deadline = start + max_seconds;
    for (int t = 0; t < concurrency; t++) {
        clients[t] = (Client){.load = &load, .index = t};
        pthread_create(&threads[t], NULL, client_run, &clients[t]);
    }
    for (int t = 0; t < concurrency; t++) pthread_join(threads[t], NULL);
    double seconds = now_seconds() - start;

    long sent = 0, ok = load.status_count[200], busy = load.status_count[503];
    for (int s = 0; s < STATUS_SLOTS; s++) sent += load.status_count[s];
    long other = sent - ok - busy;
    size_t latencies = 0;
    for (int t = 0; t < concurrency; t++) latencies += clients[t].ok_count;
    double *ok_ms = malloc((latencies ? latencies : 1) * sizeof *ok_ms);
    if (!ok_ms) return 2;
    size_t filled = 0;
    for (int t = 0; t < concurrency; t++) {
        if (clients[t].ok_count) memcpy(ok_ms + filled, clients[t].ok_ms, clients[t].ok_count * sizeof *ok_ms);
        filled += clients[t].ok_count;
        free(clients[t].ok_ms);
    }
    qsort(ok_ms, latencies, sizeof *ok_ms, compare_double);
    double p50 = latencies ? ok_ms[(latencies - 1) / 2] : 0, p99 = latencies ? ok_ms[(size_t)((double)(latencies - 1) * 0.99 + 0.5)] : 0;
    printf("{\"concurrency\":%d,\"source_addresses\":%d,\"requests\":%ld,\"ok\":%ld,\"status_503\":%ld,\"status_other\":%ld,"
           "\"seconds\":%.3f,\"requests_per_second\":%.2f,\"p50_ms\":%.1f,\"p99_ms\":%.1f,\"statuses\":{",
           concurrency, load.source_addresses, sent, ok, busy, other, seconds, ok / seconds, p50, p99);
    const char *separator = "";
    for (int s = 0; s < STATUS_SLOTS; s++)
        if (load.status_count[s]) {
            printf("%s\"%d\":%ld", separator, s, load.status_count[s]);
            separator = ",";
        }
    printf("},\"no_answer\":{");
    separator = "";
    for (int c = 0; c < CURL_LAST; c++)
        if (load.curl_error_count[c]) {
            printf("%s\"%s\":%ld", separator, curl_easy_strerror((CURLcode)c), load.curl_error_count[c]);
            separator = ",";
        }
    printf("}}\n");
    curl_global_cleanup();
    free(ok_ms);
    free(clients);
    free(threads);
    free(load.body);
    return other || sent == 0 ? 1 : 0;
}
