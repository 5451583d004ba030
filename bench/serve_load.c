// serve_load.c — a bounded load generator for `iar serve` (bench/serve.sh builds and runs it):
//   serve_load URL BODY_FILE CONCURRENCY REQUESTS [BEARER|-] [MAX_SECONDS]
// CONCURRENCY threads, each with one keep-alive connection, POST BODY_FILE until REQUESTS are
// done (or MAX_SECONDS passed: then fewer are sent); prints one JSON line: throughput, latency percentiles (of 200 answers) and status counts.
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct Load {
    const char *url, *bearer;
    char *body;
    long body_size;
    int requests;
    int next; // next request index (atomic)
    double deadline; // no new request after this (monotonic seconds); 0: none
    int sent;        // requests actually made (atomic)
    double *latency_ms;
    int *status;
} Load;

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

static void *client(void *arg) {
    Load *load = arg;
    CURL *curl = curl_easy_init();
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Expect:");
    char auth[256];
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
    for (;;) {
        int i = __atomic_fetch_add(&load->next, 1, __ATOMIC_RELAXED);
        if (i >= load->requests || (load->deadline > 0 && now_seconds() > load->deadline)) break;
        __atomic_fetch_add(&load->sent, 1, __ATOMIC_RELAXED);
        double start = now_seconds();
        long status = 0;
        if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        load->latency_ms[i] = (now_seconds() - start) * 1000;
        load->status[i] = (int)status;
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
        fprintf(stderr, "usage: serve_load URL BODY_FILE CONCURRENCY REQUESTS [BEARER|-] [MAX_SECONDS]\n");
        return 2;
    }
    Load load = {.url = argv[1], .bearer = argc > 5 && strcmp(argv[5], "-") != 0 ? argv[5] : NULL};
    int concurrency = atoi(argv[3]);
    load.requests = atoi(argv[4]);
    FILE *file = fopen(argv[2], "rb");
    if (!file || concurrency < 1 || load.requests < 1) {
        fprintf(stderr, "serve_load: cannot read %s or bad numbers\n", argv[2]);
        return 2;
    }
    fseek(file, 0, SEEK_END);
    load.body_size = ftell(file);
    rewind(file);
    load.body = malloc((size_t)load.body_size + 1);
    if (fread(load.body, 1, (size_t)load.body_size, file) != (size_t)load.body_size) return 2;
    fclose(file);
    load.latency_ms = calloc((size_t)load.requests, sizeof *load.latency_ms);
    load.status = calloc((size_t)load.requests, sizeof *load.status);
    pthread_t *threads = calloc((size_t)concurrency, sizeof *threads);
    curl_global_init(CURL_GLOBAL_ALL);
    double start = now_seconds();
    if (argc > 6) load.deadline = start + atof(argv[6]);
    for (int t = 0; t < concurrency; t++) pthread_create(&threads[t], NULL, client, &load);
    for (int t = 0; t < concurrency; t++) pthread_join(threads[t], NULL);
    double seconds = now_seconds() - start;
    int ok = 0, busy = 0, other = 0;
    double *ok_ms = calloc((size_t)load.requests, sizeof *ok_ms);
    for (int i = 0; i < load.sent; i++) {
        if (load.status[i] == 200) ok_ms[ok++] = load.latency_ms[i];
        else if (load.status[i] == 503) busy++;
        else other++;
    }
    qsort(ok_ms, (size_t)ok, sizeof *ok_ms, compare_double);
    double p50 = ok ? ok_ms[(ok - 1) / 2] : 0, p99 = ok ? ok_ms[(int)((ok - 1) * 0.99 + 0.5)] : 0;
    printf("{\"concurrency\":%d,\"requests\":%d,\"ok\":%d,\"status_503\":%d,\"status_other\":%d,\"seconds\":%.3f,"
           "\"requests_per_second\":%.2f,\"p50_ms\":%.1f,\"p99_ms\":%.1f}\n",
           concurrency, load.sent, ok, busy, other, seconds, ok / seconds, p50, p99);
    curl_global_cleanup();
    free(ok_ms);
    free(threads);
    free(load.status);
    free(load.latency_ms);
    free(load.body);
    return other ? 1 : 0;
}
