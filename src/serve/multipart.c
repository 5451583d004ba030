// multipart.c — splitting a multipart/form-data body into named parts (RFC 7578 / RFC 2046):
//   --BOUNDARY CRLF headers CRLF CRLF bytes CRLF --BOUNDARY ... CRLF --BOUNDARY-- [epilogue]
#include "serve/multipart.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define BOUNDARY_MAX 70 // RFC 2046's limit

int multipart_is_form(const char *content_type) {
    if (!content_type) return 0;
    while (*content_type == ' ') content_type++;
    return strncasecmp(content_type, "multipart/form-data", 19) == 0;
}

// The boundary parameter of the Content-Type value (quoted or not) into `out`; -1 when absent.
static int boundary_of(const char *content_type, char *out, size_t size) {
    const char *at = content_type ? strcasestr(content_type, "boundary=") : NULL;
    if (!at) return -1;
    at += 9;
    int quoted = *at == '"';
    if (quoted) at++;
    size_t n = 0;
    while (at[n] && (quoted ? at[n] != '"' : at[n] != ';' && at[n] != ' ' && at[n] != ',')) n++;
    if (n == 0 || n > BOUNDARY_MAX || n + 1 > size) return -1;
    memcpy(out, at, n);
    out[n] = 0;
    return 0;
}

static const char *find_bytes(const char *haystack, size_t size, const char *needle, size_t needle_size) {
    if (needle_size == 0 || size < needle_size) return NULL;
    for (const char *p = haystack, *end = haystack + size - needle_size + 1; p < end;) {
        const char *hit = memchr(p, needle[0], (size_t)(end - p));
        if (!hit) return NULL;
        if (memcmp(hit, needle, needle_size) == 0) return hit;
        p = hit + 1;
    }
    return NULL;
}

// Copies the value of `key="..."` (or key=token) in a Content-Disposition header line.
static void disposition_value(const char *line, size_t size, const char *key, char *out, size_t out_size) {
    out[0] = 0;
    size_t key_size = strlen(key);
    for (size_t i = 0; i + key_size + 1 < size; i++) {
        if (strncasecmp(line + i, key, key_size) != 0 || line[i + key_size] != '=') continue;
        if (i > 0 && line[i - 1] != ' ' && line[i - 1] != ';') continue; // "filename=" is not "name="
        const char *value = line + i + key_size + 1, *end = line + size;
        int quoted = value < end && *value == '"';
        if (quoted) value++;
        size_t n = 0;
        while (value + n < end && (quoted ? value[n] != '"' : value[n] != ';' && value[n] != ' ')) n++;
        if (n >= out_size) n = out_size - 1;
        memcpy(out, value, n);
        out[n] = 0;
        return;
    }
}

// Reads one part's headers (up to the blank line); fills name and filename; returns the first
// byte after the blank line, or NULL when the headers do not end.
static const char *part_headers(const char *p, const char *end, MultipartPart *part) {
    for (;;) {
        const char *eol = find_bytes(p, (size_t)(end - p), "\r\n", 2);
        if (!eol) return NULL;
        if (eol == p) return p + 2; // blank line: the bytes follow
        size_t size = (size_t)(eol - p);
        if (size > 20 && strncasecmp(p, "Content-Disposition:", 20) == 0) {
            disposition_value(p + 20, size - 20, "name", part->name, sizeof part->name);
            disposition_value(p + 20, size - 20, "filename", part->filename, sizeof part->filename);
        }
        p = eol + 2;
    }
}

int multipart_parse(Multipart *out, const char *content_type, const char *body, size_t size, Error *err) {
    memset(out, 0, sizeof *out);
    char boundary[BOUNDARY_MAX + 1], delimiter[BOUNDARY_MAX + 5];
    if (boundary_of(content_type, boundary, sizeof boundary) != 0)
        return error_set(err, "multipart/form-data without a valid boundary in Content-Type");
    // Every part after the first starts with CRLF--BOUNDARY; the first may start the body.
    int delimiter_size = snprintf(delimiter, sizeof delimiter, "\r\n--%s", boundary);
    const char *end = body + size;
    const char *p;
    if (size >= (size_t)delimiter_size - 2 && memcmp(body, delimiter + 2, (size_t)delimiter_size - 2) == 0) {
        p = body + delimiter_size - 2;
    } else {
        const char *first = find_bytes(body, size, delimiter, (size_t)delimiter_size); // after a preamble
        if (!first) return error_set(err, "multipart body has no boundary line '--%s'", boundary);
        p = first + delimiter_size;
    }
    for (;;) {
        if (end - p >= 2 && p[0] == '-' && p[1] == '-') return out->count ? 0 : error_set(err, "multipart body has no parts");
        const char *eol = find_bytes(p, (size_t)(end - p), "\r\n", 2); // rest of the boundary line
        if (!eol) return error_set(err, "multipart body ends without the closing boundary '--%s--'", boundary);
        if (out->count == MULTIPART_MAX_PARTS) return error_set(err, "more than %d parts in the form", MULTIPART_MAX_PARTS);
        MultipartPart *part = &out->parts[out->count];
        const char *data = part_headers(eol + 2, end, part);
        if (!data) return error_set(err, "multipart part %d: headers do not end with a blank line", out->count + 1);
        if (!part->name[0]) return error_set(err, "multipart part %d has no name in Content-Disposition", out->count + 1);
        const char *next = find_bytes(data, (size_t)(end - data), delimiter, (size_t)delimiter_size);
        if (!next) return error_set(err, "multipart body ends without the closing boundary '--%s--'", boundary);
        part->data = data;
        part->size = (size_t)(next - data);
        out->count++;
        p = next + delimiter_size;
    }
}

const MultipartPart *multipart_find(const Multipart *form, const char *name) {
    for (int i = 0; i < form->count; i++)
        if (strcasecmp(form->parts[i].name, name) == 0) return &form->parts[i];
    return NULL;
}
