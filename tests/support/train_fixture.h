// train_fixture.h — a small, learnable dataset written to a folder for the trainer's tests:
// flawed candidates carry a bright square the original lacks, and the rationale says so.
#ifndef IAR_TESTS_TRAIN_FIXTURE_H
#define IAR_TESTS_TRAIN_FIXTURE_H

#include <stdint.h>

// Writes DIR/data.jsonl and DIR/img/*.png (count samples, size x size pixels); returns the JSONL
// path (malloc'd) or NULL. Deterministic from the seed.
char *train_fixture_dataset(const char *dir, int count, int size, uint64_t seed);
// A fresh folder under $IAR_TEST_TMP or /tmp (malloc'd), removed by train_fixture_remove.
char *train_fixture_tempdir(const char *name);
void train_fixture_remove(const char *dir);

#endif
