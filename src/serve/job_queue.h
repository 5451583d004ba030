// job_queue.h — screening jobs waiting for a model worker. One thread per screener worker pops
// jobs in arrival order; admission is bounded (`capacity` jobs queued or running: beyond that the
// server answers 503), a job that waited longer than the timeout is answered 504 unrun, and a job
// whose client went away is dropped before it starts or stopped at the next token (status 499).
#ifndef IAR_SERVE_JOB_QUEUE_H
#define IAR_SERVE_JOB_QUEUE_H

#include <pthread.h>

#include "serve/metrics.h"
#include "serve/request.h"
#include "serve/screener.h"

typedef struct ScreenJob {
    ScreenRequest request; // owned by the job's creator
    ScreenOutput outputs[SCREENER_MAX_CHOICES];
    int http_status; // 200, or 500 (model failed) / 504 (waited too long) / 499 (client gone) with `err`
    Error err;
    double enqueued_seconds, started_seconds, finished_seconds;
    // Streaming (may be NULL): each new piece of text as it is generated (ScreenerInput.on_text).
    int (*on_text)(void *user, int choice, const char *text, size_t size);
    // May be NULL: whether the client closed its connection; asked on the worker before the job
    // starts and between tokens (ScreenerInput.cancelled), while the job still belongs to the queue.
    int (*client_gone)(void *user);
    // Called on the worker thread when the job is done (the server resumes the connection here).
    void (*on_done)(struct ScreenJob *job);
    void *user;
    struct ScreenJob *next;
} ScreenJob;

typedef struct JobQueue {
    pthread_mutex_t lock;
    pthread_cond_t ready;
    ScreenJob *head, *tail;
    int admitted; // jobs reserved, queued or running
    int capacity;
    int stopping;
    Screener *screener;
    double timeout_seconds;
    ServeMetrics *metrics;
    pthread_t *threads;
    int thread_count;
} JobQueue;

int job_queue_start(JobQueue *queue, Screener *screener, int capacity, double timeout_seconds, ServeMetrics *metrics,
                    Error *err);
// Reserves a place; -1 when `capacity` jobs are already admitted or the queue is stopping.
int job_queue_reserve(JobQueue *queue);
// Gives back a reserved place that will not be used (the request failed before it was queued).
void job_queue_unreserve(JobQueue *queue);
// Queues a job on a reserved place. The place is released after the job's on_done returns.
void job_queue_push(JobQueue *queue, ScreenJob *job);
// Refuses new places, runs what is queued and every job still to come on a place reserved
// before (each reserved place is pushed or given back by its request), then joins the workers.
void job_queue_stop(JobQueue *queue);
void job_outputs_free(ScreenJob *job);

#endif
