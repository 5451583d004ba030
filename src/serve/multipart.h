// multipart.h — a multipart/form-data body (RFC 7578: what `curl -F` and an HTML form send) split
// into its parts without copying: each part's field name, file name and bytes point into the body.
// Pure and bounded, so it is unit-tested and fuzzed (fuzz/serve_fuzz_request.c).
#ifndef IAR_SERVE_MULTIPART_H
#define IAR_SERVE_MULTIPART_H

#include <stddef.h>

#include "core/error.h"

#define MULTIPART_MAX_PARTS 16

typedef struct MultipartPart {
    char name[64];      // the form field ("original", "a", "dimension", ...)
    char filename[128]; // "" when the part is not a file
    const char *data;   // the part's bytes, inside the body
    size_t size;
} MultipartPart;

typedef struct Multipart {
    MultipartPart parts[MULTIPART_MAX_PARTS];
    int count;
} Multipart;

// 1 when a Content-Type header value is multipart/form-data.
int multipart_is_form(const char *content_type);
// Splits `body` by the boundary named in `content_type`. Fails with a one-line message for a
// missing boundary, a part without a name, more than MULTIPART_MAX_PARTS parts, or a body that
// does not end with the closing boundary.
int multipart_parse(Multipart *out, const char *content_type, const char *body, size_t size, Error *err);
// The first part named `name` (case-insensitive), or NULL.
const MultipartPart *multipart_find(const Multipart *form, const char *name);

#endif
