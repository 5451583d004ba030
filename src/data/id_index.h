// id_index.h — a hash set of sample ids (open addressing), to find duplicates in one pass.
#ifndef IAR_DATA_ID_INDEX_H
#define IAR_DATA_ID_INDEX_H

#include <stddef.h>
#include <stdint.h>

typedef struct IdIndexSlot {
    const char *id; // borrowed: the caller keeps the string alive
    size_t value;   // e.g. the line number or sample index
} IdIndexSlot;

typedef struct IdIndex {
    IdIndexSlot *slots;
    size_t capacity, count; // capacity is a power of two
} IdIndex;

uint64_t id_hash(const char *id); // FNV-1a, 64-bit
// Inserts id -> value. Returns 1 when inserted, 0 when the id was already there (then *existing is
// its value), -1 when out of memory.
int id_index_insert(IdIndex *index, const char *id, size_t value, size_t *existing);
// 1 and *value when found, 0 otherwise.
int id_index_find(const IdIndex *index, const char *id, size_t *value);
void id_index_free(IdIndex *index);

#endif
