// eval_fixture.h — tiny screening datasets written by the eval tests and the eval benchmark.
#ifndef IAR_TESTS_EVAL_FIXTURE_H
#define IAR_TESTS_EVAL_FIXTURE_H

#include <stddef.h>

#include "data/dataset.h"

// A fresh empty folder under $IAR_TEST_TMP (or /tmp); malloc'd. Exits the test on failure.
char *eval_fixture_dir(const char *tag);
void eval_fixture_remove(const char *dir);

// Gold answer of sample `index`: cycles through the 14 sets with 1 to 3 flawed candidates.
AnswerSet eval_fixture_gold(size_t index);

typedef struct EvalFixtureOptions {
    size_t count;        // samples
    int pixels;          // image side (default 8)
    int distinct_images; // 0: every sample shares five images (fast); 1: five files per sample
    // Optional question per sample (e.g. instructions for the fake server); NULL: none.
    void (*question)(size_t index, char *buffer, size_t size);
} EvalFixtureOptions;

// Writes DIR/data.jsonl and DIR/img/*.png; returns the JSONL's path (malloc'd). Exits on failure.
char *eval_fixture_dataset(const char *dir, const EvalFixtureOptions *options);

#endif
