// base64.h — base64 (RFC 4648, standard and URL-safe alphabets) and data: URLs, used wherever images travel in
// JSON (the screening service, the OpenAI-compatible client, the HTML report).
#ifndef IAR_CORE_BASE64_H
#define IAR_CORE_BASE64_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

// Decodes `size` characters into a malloc'd buffer. Accepts the standard and URL-safe alphabets,
// optional '=' padding and ASCII whitespace (line breaks of MIME encoders); anything else fails
// with the offset of the first bad character.
int base64_decode(const char *text, size_t size, uint8_t **out, size_t *out_size, Error *err);
// Encodes into a malloc'd NUL-terminated string (standard alphabet, padded); NULL when out of memory.
char *base64_encode(const uint8_t *data, size_t size);

// Splits "data:image/png;base64,AAAA" into its payload and decodes it. Refuses other URL schemes
// (http, https, file, ...) with a message saying that the server never fetches remote images.
int data_url_decode(const char *url, size_t size, uint8_t **out, size_t *out_size, Error *err);
// "data:MIME;base64,..." for the bytes; malloc'd.
char *data_url_encode(const char *mime, const uint8_t *data, size_t size);

#endif
