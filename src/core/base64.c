// base64.c — base64 coding (on OpenSSL's libcrypto) and data: URL parsing for image payloads.
#include "core/base64.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

// The coding itself is OpenSSL's (EVP_EncodeBlock, EVP_DecodeBlock): 1.3 and 9-16 times as fast
// as the plain loops this file had (bench/base64_bench.c, docs/perf/base64.md). EVP_DecodeBlock is
// strict where this API is lenient, so the decoder cleans the text, block by block, into what it
// takes: the standard alphabet only, no whitespace, whole groups of four (padded here when the
// text was not). It writes a zero byte for each '=', which are taken off again.
static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// A character's class: its sextet 0..63 in either alphabet, or one of these.
enum { CLASS_PAD = 64, CLASS_SPACE = 65, CLASS_BAD = 66 };

static void base64_classes(unsigned char classes[256]) {
    memset(classes, CLASS_BAD, 256);
    for (int i = 0; i < 64; i++) classes[(unsigned char)ALPHABET[i]] = (unsigned char)i;
    classes['-'] = 62, classes['_'] = 63; // the URL-safe alphabet
    classes['='] = CLASS_PAD;
    classes[' '] = classes['\n'] = classes['\r'] = classes['\t'] = CLASS_SPACE;
}

// Characters cleaned per EVP_DecodeBlock call: a multiple of 4 that stays in the L1 cache.
#define BASE64_BLOCK 4096

// Decodes `used` clean characters (whole groups) to bytes + *n. Failing would mean that libcrypto
// refused what the cleaning let through: the output is then freed.
static int decode_block(uint8_t *bytes, size_t *n, const unsigned char *block, size_t used, Error *err) {
    int got = EVP_DecodeBlock(bytes + *n, block, (int)used);
    if (got < 0) {
        free(bytes);
        return error_set(err, "base64: libcrypto refused the cleaned text (a bug in core/base64.c)");
    }
    *n += (size_t)got;
    return 0;
}

int base64_decode(const char *text, size_t size, uint8_t **out, size_t *out_size, Error *err) {
    *out = NULL;
    *out_size = 0;
    uint8_t *bytes = malloc(size / 4 * 3 + 3);
    if (!bytes) return error_set(err, "base64: out of memory for %zu characters", size);
    unsigned char classes[256], block[BASE64_BLOCK];
    base64_classes(classes);
    size_t n = 0, used = 0, padding = 0;
    for (size_t i = 0; i < size; i++) {
        unsigned char c = classes[(unsigned char)text[i]];
        if (c < 64) {
            if (padding) {
                free(bytes);
                return error_set(err, "base64: data after '=' padding at offset %zu", i);
            }
            block[used++] = (unsigned char)ALPHABET[c];
            if (used == BASE64_BLOCK) { // whole groups only: the block's size is a multiple of 4
                if (decode_block(bytes, &n, block, used, err) != 0) return -1;
                used = 0;
            }
        } else if (c == CLASS_PAD) {
            padding++;
        } else if (c == CLASS_BAD) {
            free(bytes);
            return error_set(err, "base64: invalid character 0x%02x at offset %zu", (unsigned char)text[i], i);
        }
    }
    // A final group of 2 or 3 sextets carries 1 or 2 bytes; a lone sextet is a truncated input.
    size_t tail = used % 4; // blocks hold whole groups
    if (tail == 1 || padding > 2 || (padding && tail + padding != 4)) {
        free(bytes);
        return error_set(err, "base64: truncated input (%zu characters do not form whole bytes)", size);
    }
    size_t missing = tail ? 4 - tail : 0;
    for (size_t k = 0; k < missing; k++) block[used++] = '=';
    if (decode_block(bytes, &n, block, used, err) != 0) return -1;
    *out = bytes;
    *out_size = n - missing;
    return 0;
}

// Bytes encoded per EVP_EncodeBlock call (a multiple of 3, so only the last group is padded):
// its length is an int.
#define BASE64_ENCODE_CHUNK ((size_t)3 << 28)

char *base64_encode(const uint8_t *data, size_t size) {
    char *text = malloc((size + 2) / 3 * 4 + 1);
    if (!text) return NULL;
    size_t n = 0;
    for (size_t i = 0; i < size; i += BASE64_ENCODE_CHUNK) {
        size_t chunk = size - i < BASE64_ENCODE_CHUNK ? size - i : BASE64_ENCODE_CHUNK;
        n += (size_t)EVP_EncodeBlock((unsigned char *)text + n, data + i, (int)chunk);
    }
    text[n] = 0;
    return text;
}

int data_url_decode(const char *url, size_t size, uint8_t **out, size_t *out_size, Error *err) {
    *out = NULL;
    *out_size = 0;
    if (size < 5 || strncasecmp(url, "data:", 5) != 0) {
        if ((size >= 7 && strncasecmp(url, "http://", 7) == 0) || (size >= 8 && strncasecmp(url, "https://", 8) == 0) ||
            (size >= 7 && strncasecmp(url, "file://", 7) == 0))
            return error_set(err, "remote and file image URLs are refused (the server never fetches images); "
                                  "send the image inline as a data:image/png;base64,... URL");
        return error_set(err, "image URL must be a data:image/...;base64,... URL");
    }
    const char *comma = memchr(url, ',', size);
    if (!comma) return error_set(err, "data URL has no ',' before its payload");
    size_t header_size = (size_t)(comma - url);
    if (header_size < 12 || strncasecmp(comma - 7, ";base64", 7) != 0)
        return error_set(err, "data URL must be base64-encoded (data:image/png;base64,...)");
    if (header_size < 11 || strncasecmp(url + 5, "image/", 6) != 0)
        return error_set(err, "data URL media type must be image/... (got '%.*s')", (int)(header_size - 5 < 40 ? header_size - 5 : 40), url + 5);
    return base64_decode(comma + 1, size - header_size - 1, out, out_size, err);
}

char *data_url_encode(const char *mime, const uint8_t *data, size_t size) {
    char *payload = base64_encode(data, size);
    if (!payload) return NULL;
    size_t mime_size = strlen(mime), payload_size = strlen(payload);
    char *url = malloc(5 + mime_size + 8 + payload_size + 1);
    if (url) {
        memcpy(url, "data:", 5);
        memcpy(url + 5, mime, mime_size);
        memcpy(url + 5 + mime_size, ";base64,", 8);
        memcpy(url + 13 + mime_size, payload, payload_size + 1);
    }
    free(payload);
    return url;
}
