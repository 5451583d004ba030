// byte_buffer.h — a growable byte buffer with a size cap, kept NUL-terminated: an HTTP reply as it
// arrives (libcurl's write callback appends to it), refused past the cap instead of growing.
#ifndef IAR_CORE_BYTE_BUFFER_H
#define IAR_CORE_BYTE_BUFFER_H

#include <stddef.h>

typedef struct ByteBuffer {
    char *data;     // NULL until the first byte
    size_t size;
    size_t max;     // the cap (0: none)
    int overflowed; // 1 once an append would have passed the cap
} ByteBuffer;

// Appends n bytes: 0, or -1 when over the cap (overflowed set) or out of memory.
int byte_buffer_append(ByteBuffer *buffer, const void *data, size_t n);
// A libcurl CURLOPT_WRITEFUNCTION with a ByteBuffer as CURLOPT_WRITEDATA: a failed append stops the
// transfer.
size_t byte_buffer_write_callback(char *data, size_t size, size_t count, void *buffer);
// The bytes as text ("" when empty).
const char *byte_buffer_text(const ByteBuffer *buffer);
// Empties it (the cap stays) / frees it.
void byte_buffer_clear(ByteBuffer *buffer);
void byte_buffer_free(ByteBuffer *buffer);

#endif
