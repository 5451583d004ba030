// jsonl.h — reading a JSONL file one line at a time with a hard limit on the line length, so one
// oversized (or binary) line costs a bounded amount of memory and is reported, not loaded.
#ifndef IAR_DATA_JSONL_H
#define IAR_DATA_JSONL_H

#include <stddef.h>
#include <stdio.h>

#include "core/error.h"

typedef struct JsonlReader {
    FILE *file;
    char *buffer;       // the current line, NUL-terminated, without its '\n' (and '\r')
    size_t capacity;
    size_t max_line;    // longer lines are skipped and reported through `oversized`
    size_t line_number; // 1-based number of the line last returned
    int is_stream;      // 1 when the file is not a regular file (a pipe, /dev/stdin)
    unsigned char peeked[3]; // bytes read while looking for a byte-order mark, not yet returned
    int peeked_count, peeked_next;
} JsonlReader;

typedef struct JsonlLine {
    const char *text; // valid until the next call; NULL for an oversized line
    size_t length;    // bytes in the line (the full length, also for an oversized one)
    int oversized;    // 1 when the line was longer than max_line (its text was discarded)
    int has_nul;      // 1 when the line contains a NUL byte (text is cut there)
} JsonlLine;

// Opens a file or a stream (a pipe, /dev/stdin); a stream is read exactly once, never rewound.
int jsonl_reader_open(JsonlReader *reader, const char *path, size_t max_line, Error *err);
// Returns 1 with the next non-blank line, 0 at the end of the file, -1 on a read error.
// A UTF-8 byte-order mark at the start of the file is skipped.
int jsonl_reader_next(JsonlReader *reader, JsonlLine *line, Error *err);
void jsonl_reader_close(JsonlReader *reader);

#endif
