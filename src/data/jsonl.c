// jsonl.c — bounded line reader for JSONL files.
#include "data/jsonl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int jsonl_reader_open(JsonlReader *reader, const char *path, size_t max_line, Error *err) {
    memset(reader, 0, sizeof *reader);
    reader->file = fopen(path, "rb");
    if (!reader->file) return error_set(err, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(reader->file), &st) == 0 && S_ISDIR(st.st_mode)) {
        jsonl_reader_close(reader);
        return error_set(err, "%s: is a folder; give the dataset's .jsonl file inside it", path);
    }
    reader->is_stream = !S_ISREG(st.st_mode);
    reader->max_line = max_line;
    reader->capacity = 4096;
    reader->buffer = malloc(reader->capacity);
    if (!reader->buffer) {
        jsonl_reader_close(reader);
        return error_set(err, "%s: out of memory", path);
    }
    // Skip a UTF-8 byte-order mark, which some editors write at the start of a file. The bytes read
    // to look for it are kept and returned first: a pipe cannot be rewound.
    static const unsigned char bom[3] = {0xEF, 0xBB, 0xBF};
    int c;
    while (reader->peeked_count < 3 && (c = getc(reader->file)) != EOF) {
        reader->peeked[reader->peeked_count++] = (unsigned char)c;
        if (c != bom[reader->peeked_count - 1]) break;
    }
    if (reader->peeked_count == 3 && memcmp(reader->peeked, bom, 3) == 0) reader->peeked_count = 0;
    return 0;
}

static int reader_getc(JsonlReader *reader) {
    if (reader->peeked_next < reader->peeked_count) return reader->peeked[reader->peeked_next++];
    return getc_unlocked(reader->file);
}

static int line_is_blank(const char *text, size_t length) {
    for (size_t i = 0; i < length; i++)
        if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r') return 0;
    return 1;
}

int jsonl_reader_next(JsonlReader *reader, JsonlLine *line, Error *err) {
    for (;;) {
        size_t length = 0;
        int c, any = 0;
        while ((c = reader_getc(reader)) != EOF) {
            any = 1;
            if (c == '\n') break;
            if (length < reader->max_line) {
                if (length + 1 >= reader->capacity) {
                    size_t capacity = reader->capacity * 2;
                    if (capacity > reader->max_line + 1) capacity = reader->max_line + 1;
                    char *grown = realloc(reader->buffer, capacity);
                    if (!grown) return error_set(err, "out of memory reading line %zu", reader->line_number + 1);
                    reader->buffer = grown;
                    reader->capacity = capacity;
                }
                reader->buffer[length] = (char)c;
            }
            length++;
        }
        if (ferror(reader->file)) return error_set(err, "read error after line %zu", reader->line_number);
        if (!any) return 0;
        reader->line_number++;
        memset(line, 0, sizeof *line);
        line->length = length;
        if (length > reader->max_line) {
            line->oversized = 1;
            return 1;
        }
        if (length > 0 && reader->buffer[length - 1] == '\r') length--;
        reader->buffer[length] = 0;
        if (line_is_blank(reader->buffer, length)) continue;
        line->text = reader->buffer;
        line->has_nul = memchr(reader->buffer, 0, length) != NULL;
        return 1;
    }
}

void jsonl_reader_close(JsonlReader *reader) {
    if (reader->file) fclose(reader->file);
    free(reader->buffer);
    memset(reader, 0, sizeof *reader);
}
