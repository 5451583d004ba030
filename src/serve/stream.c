// stream.c — chat completion events produced while the model generates (see stream.h).
#include "serve/stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int chat_stream_init(ChatStream *stream, const ResponseContext *context, const ScreenRequest *request) {
    memset(stream, 0, sizeof *stream);
    pthread_mutex_init(&stream->lock, NULL);
    stream->context = *context;
    snprintf(stream->id, sizeof stream->id, "%s", context->id);
    snprintf(stream->model_id, sizeof stream->model_id, "%s", context->model_id);
    stream->context.id = stream->id;
    stream->context.model_id = stream->model_id;
    stream->request = request;
    for (int i = 0; i < request->choices; i++)
        if (response_stream_delta(&stream->events, &stream->size, &stream->context, i, "assistant", "", 0) != 0) return -1;
    return 0;
}

void chat_stream_free(ChatStream *stream) {
    free(stream->events);
    for (int i = 0; i < SCREENER_MAX_CHOICES; i++) free(stream->text[i]);
    pthread_mutex_destroy(&stream->lock);
}

static size_t longest_stop(const ScreenRequest *request) {
    size_t longest = 0;
    for (int k = 0; k < request->stop_count; k++)
        if (strlen(request->stop[k]) > longest) longest = strlen(request->stop[k]);
    return longest;
}

int chat_stream_text(ChatStream *stream, int choice, const char *text, size_t size) {
    const ScreenRequest *request = stream->request;
    if (stream->cancelled) return 1;
    if (choice < 0 || choice >= request->choices || stream->stopped[choice]) return 0;
    char *grown = realloc(stream->text[choice], stream->text_size[choice] + size + 1);
    if (!grown) return 0;
    memcpy(grown + stream->text_size[choice], text, size);
    stream->text_size[choice] += size;
    grown[stream->text_size[choice]] = 0;
    stream->text[choice] = grown;
    // the text may now hold a stop string: it ends the choice there
    size_t end = stream->text_size[choice];
    for (int k = 0; k < request->stop_count; k++) {
        char *at = strstr(grown, request->stop[k]);
        if (at && (size_t)(at - grown) < end) end = (size_t)(at - grown), stream->stopped[choice] = 1;
    }
    // else hold back what could still grow into one, without splitting a UTF-8 sequence
    if (!stream->stopped[choice]) {
        size_t hold = longest_stop(request);
        end = end > hold ? end - (hold ? hold - 1 : 0) : 0;
        if (hold > 1)
            while (end > stream->text_sent[choice] && ((unsigned char)grown[end] & 0xC0) == 0x80) end--;
    }
    if (end > stream->text_sent[choice]) {
        response_stream_delta(&stream->events, &stream->size, &stream->context, choice, NULL,
                              grown + stream->text_sent[choice], end - stream->text_sent[choice]);
        stream->text_sent[choice] = end;
    }
    for (int i = 0; i < request->choices; i++)
        if (!stream->stopped[i]) return 0;
    return 1; // every choice met a stop string: nothing more to generate
}

void chat_stream_finish(ChatStream *stream, ScreenOutput *outputs, int http_status, const char *error) {
    if (http_status != 200) {
        char *json = response_error_json(http_status, error ? error : "screening failed");
        size_t add = json ? strlen(json) : 0;
        char *grown = realloc(stream->events, stream->size + add + 32);
        if (grown) {
            stream->size += (size_t)sprintf(grown + stream->size, "data: %s\n\ndata: [DONE]\n\n", json ? json : "{}");
            stream->events = grown;
        }
        free(json);
    } else {
        // the replies as generated, cut at their stop strings; what was streamed is not sent again
        response_apply_stop(stream->request, outputs);
        size_t sent[SCREENER_MAX_CHOICES];
        for (int i = 0; i < stream->request->choices; i++) {
            size_t length = outputs[i].text ? strlen(outputs[i].text) : 0;
            sent[i] = stream->text_sent[i] < length ? stream->text_sent[i] : length;
        }
        response_stream_end(&stream->events, &stream->size, &stream->context, stream->request, outputs, sent);
    }
    stream->finished = 1;
}

long chat_stream_read(ChatStream *stream, char *buffer, size_t max) {
    if (stream->sent == stream->size) {
        stream->sent = stream->size = 0; // everything went out: reuse the buffer from its start
        return stream->finished ? -1 : 0;
    }
    size_t n = stream->size - stream->sent < max ? stream->size - stream->sent : max;
    memcpy(buffer, stream->events + stream->sent, n);
    stream->sent += n;
    return (long)n;
}
