// screener.h — what the server calls to screen five images: one function behind a pointer, so the
// HTTP layer runs on the trained model (screener_vlm_open) or, in tests, on a deterministic fake.
//
// A screener has `worker_count` independent workers; the server calls `screen` for worker w from
// one thread at a time only, so each worker may own a model instance (KV cache, activations).
#ifndef IAR_SERVE_SCREENER_H
#define IAR_SERVE_SCREENER_H

#include "core/error.h"
#include "image/image.h"
#include "screen/screen.h"

#define SCREENER_MAX_CHOICES 4 // completions per request (the chat API's `n`)

typedef struct ScreenerInput {
    const Image *images[MODEL_IMAGE_COUNT]; // original, A, B, C, D
    int dimension;                          // -1 when unknown
    const char *question;                   // NULL: the model's default question
    GenerateOptions generate;               // max_new_tokens, temperature, top_p, seed
    int choices;                            // 1..SCREENER_MAX_CHOICES completions
    // Streaming (may be NULL): called on the worker with each new piece of choice `choice`'s text
    // as it is generated (whole UTF-8 sequences); a nonzero return stops the generation.
    int (*on_text)(void *user, int choice, const char *text, size_t size);
    void *on_text_user;
    // Asked on the worker between tokens (may be NULL): a nonzero return stops the generation
    // there, because nobody waits for it any more (the client closed its connection).
    int (*cancelled)(void *user);
    void *cancelled_user;
} ScreenerInput;

typedef struct Screener {
    char model_id[64]; // reported by /v1/models and in every response
    int worker_count;
    int image_tokens; // positions the five images take in the model's sequence (0: unknown)
    void *state;
    // Writes input->choices outputs (texts malloc'd; the caller frees them) or fails with err.
    int (*screen)(struct Screener *self, int worker, const ScreenerInput *input, ScreenOutput *outputs, Error *err);
    void (*destroy)(struct Screener *self);
} Screener;

// Loads `workers` instances of the checkpoint (one per worker: inference needs no lock).
// `model_id` NULL: the checkpoint folder's base name.
int screener_vlm_open(Screener *out, const char *checkpoint_dir, const char *model_id, int workers, Error *err);
static inline void screener_close(Screener *screener) {
    if (screener && screener->destroy) screener->destroy(screener);
}

#endif
