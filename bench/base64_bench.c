// base64_bench.c — base64 of an image-sized buffer (docs/perf/base64.md): the library's coder
// (src/core/base64.c, on OpenSSL's libcrypto) against the plain loops it had before (kept here as
// the reference) and against libcrypto's own decoders, in the same run and on the same bytes.
//   make BUILD=build build/bench/base64_bench && build/bench/base64_bench [MEGABYTES] [ROUNDS]
// EVP_DecodeBlock alone shows what the library's cleaning pass costs (it takes the standard
// alphabet only, no whitespace, and leaves a zero byte per '='); EVP_DecodeUpdate is libcrypto's
// streaming decoder (it takes line breaks, not the URL-safe alphabet). Each round times every
// variant once, in turn, and the best round of each is kept, so a busy machine slows all alike.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/base64.h"
#include "core/progress.h"
#include "core/rng.h"

// ---- the plain loops src/core/base64.c had, as the reference ----

static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Value of one character (both alphabets), -1 for '=', -2 for whitespace, -3 for anything else.
static int plain_value(unsigned char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    if (c == '=') return -1;
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') return -2;
    return -3;
}

// The same contract as base64_decode, without the messages: -1 on any input it refuses.
static int plain_decode(const char *text, size_t size, uint8_t **out, size_t *out_size) {
    uint8_t *bytes = malloc(size / 4 * 3 + 3);
    if (!bytes) return -1;
    size_t n = 0, padding = 0;
    uint32_t accumulator = 0;
    int pending = 0;
    for (size_t i = 0; i < size; i++) {
        int v = plain_value((unsigned char)text[i]);
        if (v == -2) continue;
        if (v == -1) {
            padding++;
            continue;
        }
        if (v == -3 || padding) {
            free(bytes);
            return -1;
        }
        accumulator = accumulator << 6 | (uint32_t)v;
        if (++pending == 4) {
            bytes[n++] = (uint8_t)(accumulator >> 16);
            bytes[n++] = (uint8_t)(accumulator >> 8);
            bytes[n++] = (uint8_t)accumulator;
            accumulator = 0;
            pending = 0;
        }
    }
    if (pending == 1 || padding > 2 || (padding && (size_t)pending + padding != 4)) {
        free(bytes);
        return -1;
    }
    if (pending == 2) bytes[n++] = (uint8_t)(accumulator >> 4);
    if (pending == 3) {
        bytes[n++] = (uint8_t)(accumulator >> 10);
        bytes[n++] = (uint8_t)(accumulator >> 2);
    }
    *out = bytes;
    *out_size = n;
    return 0;
}

static char *plain_encode(const uint8_t *data, size_t size) {
    char *text = malloc((size + 2) / 3 * 4 + 1);
    if (!text) return NULL;
    size_t n = 0;
    for (size_t i = 0; i < size; i += 3) {
        uint32_t group = (uint32_t)data[i] << 16;
        if (i + 1 < size) group |= (uint32_t)data[i + 1] << 8;
        if (i + 2 < size) group |= data[i + 2];
        text[n++] = ALPHABET[group >> 18 & 63];
        text[n++] = ALPHABET[group >> 12 & 63];
        text[n++] = i + 1 < size ? ALPHABET[group >> 6 & 63] : '=';
        text[n++] = i + 2 < size ? ALPHABET[group & 63] : '=';
    }
    text[n] = 0;
    return text;
}

// ---- the variants ----

enum {
    ENCODE_PLAIN, ENCODE_LIBRARY, DECODE_PLAIN, DECODE_LIBRARY, DECODE_EVP_BLOCK, DECODE_EVP_UPDATE,
    LINES_PLAIN, LINES_LIBRARY, LINES_EVP_UPDATE, VARIANT_COUNT
};
static const char *const VARIANT_NAMES[VARIANT_COUNT] = {
    "encode: plain loop (before)",        "encode: base64_encode (EVP_EncodeBlock)",
    "decode: plain loop (before)",        "decode: base64_decode (cleaning + EVP_DecodeBlock)",
    "decode: EVP_DecodeBlock alone",      "decode: EVP_DecodeUpdate",
    "decode 76-column lines: plain loop", "decode 76-column lines: base64_decode",
    "decode 76-column lines: EVP_DecodeUpdate",
};
// the variant each one is compared with
static const int REFERENCE[VARIANT_COUNT] = {ENCODE_PLAIN, ENCODE_PLAIN, DECODE_PLAIN, DECODE_PLAIN, DECODE_PLAIN,
                                              DECODE_PLAIN, LINES_PLAIN,  LINES_PLAIN,  LINES_PLAIN};

static void fail(const char *what) {
    fprintf(stderr, "base64_bench: %s\n", what);
    exit(1);
}

// Decodes `text` with variant v into *bytes (malloc'd) or `scratch`; returns the byte count, or
// fails the bench when the variant refuses the text.
static size_t decode_with(int v, EVP_ENCODE_CTX *context, const char *text, size_t size, uint8_t **bytes,
                          uint8_t *scratch) {
    size_t got = 0;
    int rc = 0;
    Error err = {{0}};
    if (v == DECODE_PLAIN || v == LINES_PLAIN) {
        rc = plain_decode(text, size, bytes, &got);
    } else if (v == DECODE_LIBRARY || v == LINES_LIBRARY) {
        rc = base64_decode(text, size, bytes, &got, &err);
    } else if (v == DECODE_EVP_BLOCK) {
        int n = EVP_DecodeBlock(scratch, (const unsigned char *)text, (int)size);
        rc = n < 0 ? -1 : 0;
        got = n < 0 ? 0 : (size_t)n - (text[size - 1] == '=') - (text[size - 2] == '=');
    } else {
        int n = 0, last = 0;
        EVP_DecodeInit(context);
        rc = EVP_DecodeUpdate(context, scratch, &n, (const unsigned char *)text, (int)size) < 0 ||
                     EVP_DecodeFinal(context, scratch + n, &last) != 1
                 ? -1
                 : 0;
        got = (size_t)n + (size_t)last;
    }
    if (rc != 0) fail(VARIANT_NAMES[v]);
    return got;
}

int main(int argc, char **argv) {
    double megabytes = argc > 1 ? atof(argv[1]) : 4;
    int rounds = argc > 2 ? atoi(argv[2]) : 20;
    size_t size = (size_t)(megabytes * 1e6);
    if (size < 3 || size > (size_t)1 << 30 || rounds < 1) fail("usage: base64_bench [MEGABYTES 0.001..1000] [ROUNDS >= 1]");
    // incompressible bytes, as a PNG or JPEG payload is
    uint8_t *data = malloc(size), *scratch = malloc(size + 3);
    if (!data || !scratch) fail("out of memory");
    Rng rng = rng_stream(1, 0, RNG_PURPOSE_SYNTH);
    for (size_t i = 0; i < size; i++) data[i] = (uint8_t)rng_next_u64(&rng);
    char *text = plain_encode(data, size);
    size_t text_size = text ? strlen(text) : 0;
    // the same text with MIME line breaks every 76 characters (a `base64` command's output)
    char *lines = malloc(text_size + text_size / 76 + 2);
    if (!text || !lines) fail("out of memory");
    size_t lines_size = 0;
    for (size_t i = 0; i < text_size; i++) {
        lines[lines_size++] = text[i];
        if (i % 76 == 75) lines[lines_size++] = '\n';
    }
    EVP_ENCODE_CTX *context = EVP_ENCODE_CTX_new();
    if (!context) fail("out of memory");

    double best[VARIANT_COUNT] = {0};
    for (int round = 0; round < rounds; round++)
        for (int v = 0; v < VARIANT_COUNT; v++) {
            double start = time_now_seconds();
            if (v == ENCODE_PLAIN || v == ENCODE_LIBRARY) {
                char *encoded = v == ENCODE_PLAIN ? plain_encode(data, size) : base64_encode(data, size);
                double seconds = time_now_seconds() - start;
                if (!encoded || strcmp(encoded, text) != 0) fail(VARIANT_NAMES[v]);
                free(encoded);
                if (best[v] == 0 || seconds < best[v]) best[v] = seconds;
                continue;
            }
            int wrapped = v >= LINES_PLAIN;
            uint8_t *bytes = NULL;
            size_t got = decode_with(v, context, wrapped ? lines : text, wrapped ? lines_size : text_size, &bytes, scratch);
            double seconds = time_now_seconds() - start;
            if (got != size || memcmp(bytes ? bytes : scratch, data, size) != 0) fail(VARIANT_NAMES[v]);
            free(bytes);
            if (best[v] == 0 || seconds < best[v]) best[v] = seconds;
        }
    EVP_ENCODE_CTX_free(context);

    printf("base64 of %.1f MB of random bytes (%zu characters), best of %d rounds; MB/s of binary data\n\n",
           (double)size / 1e6, text_size, rounds);
    printf("| variant | MB/s | speed-up over the plain loop |\n|---|---|---|\n");
    for (int v = 0; v < VARIANT_COUNT; v++)
        printf("| %s | %.0f | %.2f |\n", VARIANT_NAMES[v], (double)size / 1e6 / best[v], best[REFERENCE[v]] / best[v]);
    free(data), free(scratch), free(text), free(lines);
    return 0;
}
