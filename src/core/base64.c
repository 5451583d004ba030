// base64.c — base64 coding and data: URL parsing for image payloads.
#include "core/base64.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Value of one base64 character (both alphabets), -1 for '=', -2 for whitespace, -3 for anything else.
static int base64_value(unsigned char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    if (c == '=') return -1;
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') return -2;
    return -3;
}

int base64_decode(const char *text, size_t size, uint8_t **out, size_t *out_size, Error *err) {
    *out = NULL;
    *out_size = 0;
    uint8_t *bytes = malloc(size / 4 * 3 + 3);
    if (!bytes) return error_set(err, "base64: out of memory for %zu characters", size);
    size_t n = 0, padding = 0;
    uint32_t accumulator = 0;
    int pending = 0; // sextets in the accumulator
    for (size_t i = 0; i < size; i++) {
        int v = base64_value((unsigned char)text[i]);
        if (v == -2) continue;
        if (v == -3) {
            free(bytes);
            return error_set(err, "base64: invalid character 0x%02x at offset %zu", (unsigned char)text[i], i);
        }
        if (v == -1) {
            padding++;
            continue;
        }
        if (padding) {
            free(bytes);
            return error_set(err, "base64: data after '=' padding at offset %zu", i);
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
    // A final group of 2 or 3 sextets carries 1 or 2 bytes; a lone sextet is a truncated input.
    if (pending == 1 || padding > 2 || (padding && (size_t)pending + padding != 4)) {
        free(bytes);
        return error_set(err, "base64: truncated input (%zu characters do not form whole bytes)", size);
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

char *base64_encode(const uint8_t *data, size_t size) {
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
