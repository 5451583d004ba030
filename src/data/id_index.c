// id_index.c — open-addressing hash set of borrowed id strings.
#include "data/id_index.h"

#include <stdlib.h>
#include <string.h>

uint64_t id_hash(const char *id) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (const unsigned char *p = (const unsigned char *)id; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ull;
    }
    return h;
}

static IdIndexSlot *id_index_probe(IdIndexSlot *slots, size_t capacity, const char *id) {
    size_t mask = capacity - 1;
    for (size_t i = (size_t)id_hash(id) & mask;; i = (i + 1) & mask)
        if (!slots[i].id || strcmp(slots[i].id, id) == 0) return &slots[i];
}

static int id_index_grow(IdIndex *index) {
    size_t capacity = index->capacity ? index->capacity * 2 : 64;
    IdIndexSlot *slots = calloc(capacity, sizeof *slots);
    if (!slots) return -1;
    for (size_t i = 0; i < index->capacity; i++)
        if (index->slots[i].id) *id_index_probe(slots, capacity, index->slots[i].id) = index->slots[i];
    free(index->slots);
    index->slots = slots;
    index->capacity = capacity;
    return 0;
}

int id_index_insert(IdIndex *index, const char *id, size_t value, size_t *existing) {
    // Keep the load factor under 1/2 so probes stay short.
    if ((index->count + 1) * 2 > index->capacity && id_index_grow(index) != 0) return -1;
    IdIndexSlot *slot = id_index_probe(index->slots, index->capacity, id);
    if (slot->id) {
        if (existing) *existing = slot->value;
        return 0;
    }
    slot->id = id;
    slot->value = value;
    index->count++;
    return 1;
}

int id_index_find(const IdIndex *index, const char *id, size_t *value) {
    if (!index->capacity) return 0;
    IdIndexSlot *slot = id_index_probe(index->slots, index->capacity, id);
    if (!slot->id) return 0;
    if (value) *value = slot->value;
    return 1;
}

void id_index_free(IdIndex *index) {
    free(index->slots);
    memset(index, 0, sizeof *index);
}
