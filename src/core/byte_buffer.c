// byte_buffer.c — the capped, NUL-terminated byte buffer (byte_buffer.h).
#include "core/byte_buffer.h"

#include <stdlib.h>
#include <string.h>

int byte_buffer_append(ByteBuffer *buffer, const void *data, size_t n) {
    if (buffer->max && buffer->size + n > buffer->max) {
        buffer->overflowed = 1;
        return -1;
    }
    char *grown = realloc(buffer->data, buffer->size + n + 1);
    if (!grown) return -1;
    memcpy(grown + buffer->size, data, n);
    buffer->data = grown;
    buffer->size += n;
    grown[buffer->size] = 0;
    return 0;
}

size_t byte_buffer_write_callback(char *data, size_t size, size_t count, void *buffer) {
    return byte_buffer_append(buffer, data, size * count) == 0 ? size * count : 0;
}

const char *byte_buffer_text(const ByteBuffer *buffer) { return buffer->data ? buffer->data : ""; }

void byte_buffer_clear(ByteBuffer *buffer) {
    buffer->size = 0;
    buffer->overflowed = 0;
    if (buffer->data) buffer->data[0] = 0;
}

void byte_buffer_free(ByteBuffer *buffer) {
    free(buffer->data);
    *buffer = (ByteBuffer){.max = buffer->max};
}
