// fnv1a.h — FNV-1a 64, a small chainable hash for checksums and cache keys (not for security:
// eval/hash.h has SHA-256). Start with FNV1A_START and feed bytes in order.
#ifndef IAR_CORE_FNV1A_H
#define IAR_CORE_FNV1A_H

#include <stddef.h>
#include <stdint.h>

#define FNV1A_START 0xcbf29ce484222325ull

static inline uint64_t fnv1a_bytes(uint64_t hash, const void *data, size_t size) {
    const unsigned char *p = data;
    for (size_t i = 0; i < size; i++) hash = (hash ^ p[i]) * 0x100000001b3ull;
    return hash;
}

#endif
