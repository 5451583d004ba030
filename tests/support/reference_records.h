// reference_records.h — the fixture format tools/reference_model.py and tools/reference_tower.py
// write ("IARMREF1", then named float32/int32 tensors), read by the PyTorch comparison tests.
#ifndef IAR_TESTS_REFERENCE_RECORDS_H
#define IAR_TESTS_REFERENCE_RECORDS_H

#include <stddef.h>

typedef struct Record {
    char name[96];
    int dtype, rank, shape[8]; // dtype 0: float32, 1: int32
    size_t count;
    const void *data; // aligned copy
} Record;

#define RECORD_FILE_MAX 256
typedef struct RecordFile {
    char *bytes;
    Record records[RECORD_FILE_MAX];
    int count;
} RecordFile;

// Loads `path` (at most max_bytes); prints a one-line reason and returns -1 when it cannot.
int record_file_load(RecordFile *file, const char *path, size_t max_bytes);
void record_file_free(RecordFile *file);
// The record called `name`, or NULL.
const Record *record_file_find(const RecordFile *file, const char *name);

#endif
