// job_queue.c — the model workers: a mutex + condition variable queue drained by one thread per
// screener worker, so each model instance is only ever used by its own thread.
#include "serve/job_queue.h"

#include <stdlib.h>
#include <string.h>

#include "core/progress.h"

typedef struct WorkerArgs {
    JobQueue *queue;
    int index;
} WorkerArgs;

// A job nobody waits for any more: its answer (never sent) is 499, nginx's "client closed request".
static void job_abandon(JobQueue *queue, ScreenJob *job, int64_t *counter) {
    job_outputs_free(job);
    job->http_status = 499;
    error_set(&job->err, "the client closed its connection");
    metrics_add(queue->metrics, counter, 1);
}

static void job_run(JobQueue *queue, int worker, ScreenJob *job) {
    job->started_seconds = time_now_seconds();
    if (job->client_gone && job->client_gone(job->user)) {
        job_abandon(queue, job, &queue->metrics->cancelled_queued);
        return;
    }
    if (queue->timeout_seconds > 0 && job->started_seconds - job->enqueued_seconds > queue->timeout_seconds) {
        job->http_status = 504;
        error_set(&job->err, "timed out after waiting %.1f s for a model worker (--timeout %.0f s); retry later",
                  job->started_seconds - job->enqueued_seconds, queue->timeout_seconds);
        metrics_add(queue->metrics, &queue->metrics->timed_out, 1);
        return;
    }
    const ScreenRequest *request = &job->request;
    ScreenerInput input;
    memset(&input, 0, sizeof input);
    for (int i = 0; i < MODEL_IMAGE_COUNT; i++) input.images[i] = &request->images[i];
    input.dimension = request->dimension;
    input.question = request->question;
    input.generate.max_new_tokens = request->max_tokens;
    input.generate.temperature = request->temperature;
    input.generate.top_p = request->top_p;
    input.generate.seed = request->seed;
    input.generate.eos_token = 2; // TOKEN_EOS
    input.choices = request->choices;
    input.on_text = job->on_text;
    input.on_text_user = job->user;
    input.cancelled = job->client_gone;
    input.cancelled_user = job->user;
    memset(job->outputs, 0, sizeof job->outputs);
    if (queue->screener->screen(queue->screener, worker, &input, job->outputs, &job->err) != 0) {
        job_outputs_free(job);
        job->http_status = 500;
    } else {
        job->http_status = 200;
        int64_t tokens = 0;
        for (int i = 0; i < request->choices; i++) tokens += job->outputs[i].completion_tokens;
        metrics_add(queue->metrics, &queue->metrics->completion_tokens, tokens);
    }
    // the generation stopped early, or ended after the client left: either way nobody reads it
    if (job->client_gone && job->client_gone(job->user)) job_abandon(queue, job, &queue->metrics->cancelled_generating);
}

// Gives a place back; the last place of a stopping queue wakes the idle workers to exit.
static void release_place(JobQueue *queue) {
    pthread_mutex_lock(&queue->lock);
    queue->admitted--;
    if (queue->stopping && queue->admitted == 0) pthread_cond_broadcast(&queue->ready);
    pthread_mutex_unlock(&queue->lock);
}

static void *worker_main(void *arg) {
    WorkerArgs *args = arg;
    JobQueue *queue = args->queue;
    int worker = args->index;
    free(args);
    for (;;) {
        pthread_mutex_lock(&queue->lock);
        // A stopping queue still runs every job on a place reserved before the stop, even one
        // pushed after it (the connection is suspended on it: it must be answered and resumed).
        while (!queue->head && !(queue->stopping && queue->admitted == 0))
            pthread_cond_wait(&queue->ready, &queue->lock);
        ScreenJob *job = queue->head;
        if (!job) { // stopping, nothing queued and no place reserved
            pthread_mutex_unlock(&queue->lock);
            return NULL;
        }
        queue->head = job->next;
        if (!queue->head) queue->tail = NULL;
        pthread_mutex_unlock(&queue->lock);
        metrics_add(queue->metrics, &queue->metrics->queued, -1);

        job_run(queue, worker, job);
        job->finished_seconds = time_now_seconds();
        // Release the place first: a client answered now may send its next request at once.
        release_place(queue);
        job->on_done(job); // the job belongs to its connection from here on
    }
}

int job_queue_start(JobQueue *queue, Screener *screener, int capacity, double timeout_seconds, ServeMetrics *metrics,
                    Error *err) {
    memset(queue, 0, sizeof *queue);
    pthread_mutex_init(&queue->lock, NULL);
    pthread_cond_init(&queue->ready, NULL);
    queue->screener = screener;
    queue->capacity = capacity;
    queue->timeout_seconds = timeout_seconds;
    queue->metrics = metrics;
    queue->threads = calloc((size_t)screener->worker_count, sizeof *queue->threads);
    if (!queue->threads) return error_set(err, "job queue: out of memory");
    for (int i = 0; i < screener->worker_count; i++) {
        WorkerArgs *args = malloc(sizeof *args);
        if (args) {
            args->queue = queue;
            args->index = i;
        }
        if (!args || pthread_create(&queue->threads[i], NULL, worker_main, args) != 0) {
            free(args);
            job_queue_stop(queue);
            return error_set(err, "job queue: cannot start worker thread %d", i);
        }
        queue->thread_count = i + 1;
    }
    return 0;
}

int job_queue_reserve(JobQueue *queue) {
    pthread_mutex_lock(&queue->lock);
    int ok = !queue->stopping && queue->admitted < queue->capacity;
    if (ok) queue->admitted++;
    pthread_mutex_unlock(&queue->lock);
    return ok ? 0 : -1;
}

void job_queue_unreserve(JobQueue *queue) { release_place(queue); }

void job_queue_push(JobQueue *queue, ScreenJob *job) {
    job->next = NULL;
    job->enqueued_seconds = time_now_seconds();
    metrics_add(queue->metrics, &queue->metrics->queued, 1);
    pthread_mutex_lock(&queue->lock);
    if (queue->tail) queue->tail->next = job;
    else queue->head = job;
    queue->tail = job;
    pthread_cond_signal(&queue->ready);
    pthread_mutex_unlock(&queue->lock);
}

void job_queue_stop(JobQueue *queue) {
    pthread_mutex_lock(&queue->lock);
    queue->stopping = 1;
    pthread_cond_broadcast(&queue->ready);
    pthread_mutex_unlock(&queue->lock);
    for (int i = 0; i < queue->thread_count; i++) pthread_join(queue->threads[i], NULL);
    free(queue->threads);
    queue->threads = NULL;
    queue->thread_count = 0;
    pthread_cond_destroy(&queue->ready);
    pthread_mutex_destroy(&queue->lock);
}

void job_outputs_free(ScreenJob *job) {
    for (int i = 0; i < SCREENER_MAX_CHOICES; i++) {
        free(job->outputs[i].text);
        job->outputs[i].text = NULL;
    }
}
