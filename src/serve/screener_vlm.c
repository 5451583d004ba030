// screener_vlm.c — the screener backed by the native model: one ScreenModel per worker, so
// concurrent requests never share a KV cache or activation buffers and need no lock.
#include "serve/screener.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ScreenWorkers {
    ScreenModel *models;
    int count;
} ScreenWorkers;

// Token ids to text pieces for ScreenerInput.on_text. A byte-level token may end inside a UTF-8
// sequence: those bytes wait (at most 3) for the token that completes them.
typedef struct TextStream {
    const ScreenerInput *input;
    const Tokenizer *tokenizer;
    char pending[SCREENER_MAX_CHOICES][8];
    size_t pending_size[SCREENER_MAX_CHOICES];
} TextStream;

// Bytes of `text` that end on a whole UTF-8 sequence.
static size_t utf8_complete_prefix(const char *text, size_t size) {
    size_t end = size;
    for (size_t back = 1; back <= 3 && back <= size; back++) {
        unsigned char c = (unsigned char)text[size - back];
        if ((c & 0xC0) == 0x80) continue; // a continuation byte: look further back for the lead
        size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        if (need > back) end = size - back;
        break;
    }
    return end;
}

// GenerateOptions.on_token: stops when the request was cancelled, else streams the token's text.
static int stream_token(void *user, int row, int token) {
    TextStream *stream = user;
    const ScreenerInput *input = stream->input;
    if (input->cancelled && input->cancelled(input->cancelled_user)) return 1;
    if (!input->on_text || row < 0 || row >= SCREENER_MAX_CHOICES) return 0;
    char *piece = tokenizer_decode(stream->tokenizer, &token, 1);
    if (!piece) return 0;
    char joined[96];
    size_t size = stream->pending_size[row], add = strlen(piece);
    if (size + add > sizeof joined) add = sizeof joined - size;
    memcpy(joined, stream->pending[row], size);
    memcpy(joined + size, piece, add);
    size += add;
    free(piece);
    size_t complete = utf8_complete_prefix(joined, size);
    stream->pending_size[row] = size - complete;
    memcpy(stream->pending[row], joined + complete, size - complete);
    if (complete == 0) return 0;
    return input->on_text(input->on_text_user, row, joined, complete);
}

static int screener_vlm_screen(Screener *self, int worker, const ScreenerInput *input, ScreenOutput *outputs, Error *err) {
    ScreenWorkers *workers = self->state;
    if (worker < 0 || worker >= workers->count) return error_set(err, "screener: no worker %d", worker);
    const Image *images[MODEL_IMAGE_COUNT];
    for (int i = 0; i < MODEL_IMAGE_COUNT; i++) images[i] = input->images[i];
    GenerateOptions generate = input->generate;
    TextStream stream = {.input = input, .tokenizer = workers->models[worker].tokenizer};
    if (input->on_text || input->cancelled) {
        generate.on_token = stream_token;
        generate.on_token_user = &stream;
    }
    // input->question is not passed: the native model reads only its dimension's prompt
    return screen_images(&workers->models[worker], images, input->dimension, &generate, input->choices, outputs, err);
}

static void screener_vlm_destroy(Screener *self) {
    ScreenWorkers *workers = self->state;
    if (!workers) return;
    for (int i = 0; i < workers->count; i++) screen_model_free(&workers->models[i]);
    free(workers->models);
    free(workers);
    self->state = NULL;
}

int screener_vlm_open(Screener *out, const char *checkpoint_dir, const char *model_id, int workers, Error *err) {
    memset(out, 0, sizeof *out);
    if (workers < 1) return error_set(err, "screener: need at least one worker (got %d)", workers);
    ScreenWorkers *state = calloc(1, sizeof *state);
    if (state) state->models = calloc((size_t)workers, sizeof *state->models);
    if (!state || !state->models) {
        free(state);
        return error_set(err, "screener: out of memory");
    }
    out->state = state;
    out->screen = screener_vlm_screen;
    out->destroy = screener_vlm_destroy;
    for (int i = 0; i < workers; i++) {
        if (screen_model_load(&state->models[i], checkpoint_dir, SCREENER_MAX_CHOICES, err) != 0) {
            screener_vlm_destroy(out);
            return -1;
        }
        state->count = i + 1;
    }
    out->worker_count = workers;
    out->image_tokens = MODEL_IMAGE_COUNT * model_image_tokens(&state->models[0].model.config);
    if (model_id && model_id[0]) {
        snprintf(out->model_id, sizeof out->model_id, "%s", model_id);
    } else {
        // The folder's base name ("runs/sft-small/" -> "sft-small").
        size_t end = strlen(checkpoint_dir);
        while (end > 1 && checkpoint_dir[end - 1] == '/') end--;
        size_t start = end;
        while (start > 0 && checkpoint_dir[start - 1] != '/') start--;
        snprintf(out->model_id, sizeof out->model_id, "%.*s", (int)(end - start), checkpoint_dir + start);
    }
    return 0;
}
