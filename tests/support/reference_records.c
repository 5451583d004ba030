// reference_records.c — reader of the PyTorch fixtures (see reference_records.h).
#include "reference_records.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/files.h"

static uint32_t read_u32(const char **p) {
    uint32_t v;
    memcpy(&v, *p, 4);
    *p += 4;
    return v;
}

int record_file_load(RecordFile *f, const char *path, size_t max_bytes) {
    memset(f, 0, sizeof *f);
    size_t size;
    Error err;
    if (file_read_all(path, max_bytes, &f->bytes, &size, &err) != 0) {
        fprintf(stderr, "%s (run from the repository root, or `make reference`)\n", err.message);
        return -1;
    }
    const char *p = f->bytes, *end = f->bytes + size;
    if (size < 12 || memcmp(p, "IARMREF1", 8) != 0) {
        fprintf(stderr, "%s: not an IARMREF1 fixture; regenerate it with `make reference`\n", path);
        return -1;
    }
    p += 8;
    uint32_t count = read_u32(&p);
    for (uint32_t i = 0; i < count && i < RECORD_FILE_MAX; i++) {
        Record *r = &f->records[f->count++];
        if (p + 4 > end) return -1;
        uint32_t length = read_u32(&p);
        if (length >= sizeof r->name || p + length + 8 > end) return -1;
        memcpy(r->name, p, length);
        r->name[length] = '\0';
        p += length;
        r->dtype = (int)read_u32(&p);
        r->rank = (int)read_u32(&p);
        if (r->rank > 8 || p + 4 * r->rank > end) return -1;
        r->count = 1;
        for (int d = 0; d < r->rank; d++) r->count *= (r->shape[d] = (int)read_u32(&p));
        if (p + 4 * r->count > end) return -1;
        // copied: records sit at any byte offset, and floats/ints must be read aligned
        void *copy = malloc(4 * r->count + 1);
        if (!copy) return -1;
        memcpy(copy, p, 4 * r->count);
        r->data = copy;
        p += 4 * r->count;
    }
    return 0;
}

void record_file_free(RecordFile *f) {
    for (int i = 0; i < f->count; i++) free((void *)f->records[i].data);
    free(f->bytes);
    memset(f, 0, sizeof *f);
}

const Record *record_file_find(const RecordFile *f, const char *name) {
    for (int i = 0; i < f->count; i++)
        if (strcmp(f->records[i].name, name) == 0) return &f->records[i];
    return NULL;
}
