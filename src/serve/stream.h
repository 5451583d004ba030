// stream.h — a chat completion streamed as it is generated: the model's worker turns new text into
// server-sent events, the connection thread sends them. Stop strings are honoured on the way (text
// that could be the start of one is held back until it cannot), and the stream tells the worker
// to stop when the client went away or every choice met a stop string. The caller holds `lock`
// around every call; the functions are pure buffer work (no sockets), so they are unit-tested.
#ifndef IAR_SERVE_STREAM_H
#define IAR_SERVE_STREAM_H

#include <pthread.h>
#include <stddef.h>

#include "serve/request.h"
#include "serve/response.h"
#include "serve/screener.h"

typedef struct ChatStream {
    pthread_mutex_t lock;
    ResponseContext context;
    char id[48], model_id[64];
    const ScreenRequest *request;
    char *events; // server-sent events produced and not yet sent: events[sent..size)
    size_t size, sent;
    char *text[SCREENER_MAX_CHOICES]; // each choice's text so far, and how much of it went out
    size_t text_size[SCREENER_MAX_CHOICES], text_sent[SCREENER_MAX_CHOICES];
    int stopped[SCREENER_MAX_CHOICES]; // a stop string ended this choice
    int finished;  // the closing events are in `events`
    int cancelled; // the client went away: generation should stop
} ChatStream;

// The role chunk of every choice is queued at once (the client sees the stream open).
int chat_stream_init(ChatStream *stream, const ResponseContext *context, const ScreenRequest *request);
void chat_stream_free(ChatStream *stream);
// New text of `choice` from the worker; returns 1 when generation should stop.
int chat_stream_text(ChatStream *stream, int choice, const char *text, size_t size);
// The job is over: the rest of each reply (cut at its stop string), finish reasons, usage, [DONE];
// or an error event when the job failed (http_status != 200).
void chat_stream_finish(ChatStream *stream, ScreenOutput *outputs, int http_status, const char *error);
// Copies up to `max` bytes of pending events; returns the count, 0 when none are ready yet, or -1
// when everything was sent and the stream is finished.
long chat_stream_read(ChatStream *stream, char *buffer, size_t max);

#endif
