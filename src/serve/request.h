// request.h — the two screening requests the server accepts, parsed from their JSON bodies into
// decoded images and generation options. Every function here is pure (no sockets, no model), so
// the parsers are unit-tested and fuzzed directly (fuzz/serve_fuzz_request.c).
//
// POST /v1/chat/completions (OpenAI-compatible): messages whose content is a string or a list of
//   {"type":"text","text":…} and {"type":"image_url","image_url":{"url":"data:image/png;base64,…"}}
//   parts; exactly five images in order (original, A, B, C, D); temperature, top_p, max_tokens
//   (or max_completion_tokens), seed, n, stream, stream_options.include_usage. The dimension is the
//   optional extension field "dimension", else recognised from the text (DESIGN §1 names or ids).
//   `stop` (a string or up to four) is honoured; a parameter this server cannot honour (logprobs,
//   tools, response_format, penalties, ...) or does not know is refused with a 400 that names it.
// POST /v1/screen: {"original": IMG, "candidates": [IMG×4], "dimension"?: id, "question"?: text,
//   "seed"?, "max_tokens"?, "temperature"?} where IMG is a data URL or bare base64; or the same as
//   multipart/form-data (`curl -F original=@o.png -F a=@a.png ... -F dimension=lighting`).
//
// Decoded pixels are budgeted before any image is decoded: each image's size is read from its
// header, the five together must fit `max_request_pixels` (else 413), and `reserve_pixels` (the
// server's budget) must grant them (else 503).
#ifndef IAR_SERVE_REQUEST_H
#define IAR_SERVE_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "image/image.h"
#include "model/model.h"

typedef struct RequestLimits {
    size_t max_pixels;  // per image (decompression-bomb guard)
    int max_tokens;     // upper bound on max_tokens (the model stops at its context length anyway)
    int default_tokens; // max_tokens when the request gives none
    int max_choices;    // upper bound on n
    size_t max_request_pixels; // the five images together; 0: 5 × max_pixels
    // Asked for the pixels about to be decoded; returns -1 to refuse (503). NULL: always granted.
    int (*reserve_pixels)(void *user, size_t pixels);
    void *reserve_user;
} RequestLimits;

#define REQUEST_MAX_STOP 4

typedef struct ScreenRequest {
    Image images[MODEL_IMAGE_COUNT]; // decoded: original, A, B, C, D
    int dimension;                   // -1: unknown
    char *question;                  // NULL: the model's default question
    char model[64];                  // as sent (chat only)
    float temperature;
    float top_p;
    int max_tokens;
    uint64_t seed;
    int choices; // n
    int stream;
    int include_usage;
    double decode_seconds; // time spent decoding base64 and images
    char *stop[REQUEST_MAX_STOP]; // the reply ends before the first of these (chat `stop`)
    int stop_count;
    int error_status;      // after a failed parse: the HTTP status to answer (400, 413 or 503)
    size_t pixels;         // decoded pixels of the five images (as reserved)
} ScreenRequest;

// Each returns 0, or -1 with a one-line message for a 400 response in err.
int request_parse_chat(ScreenRequest *out, const char *body, size_t size, const RequestLimits *limits, Error *err);
int request_parse_screen(ScreenRequest *out, const char *body, size_t size, const RequestLimits *limits, Error *err);
// /v1/screen as multipart/form-data: files "original" and "a".."d" (or "A".."D", or four
// "candidates"), text fields dimension, question, seed, max_tokens, temperature.
int request_parse_screen_form(ScreenRequest *out, const char *content_type, const char *body, size_t size,
                              const RequestLimits *limits, Error *err);
void request_free(ScreenRequest *request);

// The dimension a chat text asks about: the one dimension whose title ("Physical Lighting and
// Shadow") or id ("lighting") appears in it, else -1 (none or several).
int request_detect_dimension(const char *text);

#endif
