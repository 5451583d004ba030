// test_train_loader.c — the training data path: image cache built once then reused, with the
// values model_prepare_images gives; the shared text layout; a deterministic, resumable order in
// which each epoch is a permutation, identical with and without the prefetch thread.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/files.h"
#include "image/image.h"
#include "text/prompt.h"
#include "text/layout.h"
#include "train/loader.h"
#include "support/train_fixture.h"

typedef struct Fixture {
    char *dir, *jsonl;
    Dataset dataset;
    Tokenizer *tokenizer;
    ModelConfig config;
} Fixture;

static int fixture_setup(void **state) {
    Fixture *f = calloc(1, sizeof *f);
    f->dir = train_fixture_tempdir("iar-loader");
    f->jsonl = train_fixture_dataset(f->dir, 12, 16, 3);
    Error err = {{0}};
    if (!f->jsonl || dataset_load(&f->dataset, f->jsonl, &err) != 0) {
        fprintf(stderr, "fixture: %s\n", err.message);
        return -1;
    }
    const char *texts[13];
    char *owned[12];
    for (size_t i = 0; i < 12; i++) texts[i] = owned[i] = sample_completion_text(&f->dataset.samples[i]);
    texts[12] = "check lighting: which of A B C D are flawed?";
    int rc = tokenizer_train(&f->tokenizer, texts, 13, 300, &err);
    for (int i = 0; i < 12; i++) free(owned[i]);
    if (rc != 0 || model_config_preset(&f->config, "tiny", tokenizer_vocab_size(f->tokenizer), &err) != 0) return -1;
    *state = f;
    return 0;
}

static int fixture_teardown(void **state) {
    Fixture *f = *state;
    dataset_free(&f->dataset);
    tokenizer_free(f->tokenizer);
    train_fixture_remove(f->dir);
    free(f->dir);
    free(f->jsonl);
    free(f);
    return 0;
}

static void test_shard_is_built_once_with_the_model_values(void **state) {
    Fixture *f = *state;
    ImageShard shard;
    Error err = {{0}};
    assert_int_equal(image_shard_open(&shard, &f->dataset, &f->config, NULL, 2, NULL, &err), 0);
    assert_int_equal(shard.reused, 0);
    assert_int_equal(shard.stores_floats, 0);
    assert_true(file_exists(shard.path));
    size_t n = shard.values_per_sample;
    float *from_shard = malloc(n * sizeof(float)), *direct = malloc(n * sizeof(float));
    for (size_t s = 0; s < f->dataset.count; s += 5) {
        Image images[MODEL_IMAGE_COUNT];
        const Image *views[MODEL_IMAGE_COUNT];
        for (int i = 0; i < MODEL_IMAGE_COUNT; i++) {
            char *path = dataset_image_path(&f->dataset, &f->dataset.samples[s], i);
            assert_int_equal(image_load(&images[i], path, 0, &err), 0);
            views[i] = &images[i];
            free(path);
        }
        assert_int_equal(model_prepare_images(&f->config, views, direct, &err), 0);
        image_shard_read(&shard, s, from_shard);
        for (size_t k = 0; k < n; k++) assert_float_equal(from_shard[k], direct[k], 2e-6);
        for (int i = 0; i < MODEL_IMAGE_COUNT; i++) image_free(&images[i]);
    }
    ImageShard again;
    assert_int_equal(image_shard_open(&again, &f->dataset, &f->config, NULL, 1, NULL, &err), 0);
    assert_int_equal(again.reused, 1);
    assert_string_equal(again.path, shard.path);
    image_shard_read(&again, 10, direct);
    image_shard_read(&shard, 10, from_shard);
    assert_memory_equal(direct, from_shard, n * sizeof(float));
    image_shard_close(&again);
    image_shard_close(&shard);
    free(from_shard);
    free(direct);
}

static void test_text_row_layout(void **state) {
    Fixture *f = *state;
    int L = 64, tokens[64], targets[64], len, prefix, truncated; // wider than tiny: this vocabulary is small
    Error err = {{0}};
    const char *completion = "<think>B has a patch.</think><answer>B</answer>";
    assert_int_equal(text_row_build(f->tokenizer, 1, completion, L, tokens, targets, &len, &prefix, &truncated, &err), 0);
    assert_int_equal(truncated, 0);
    char *prompt = prompt_native_text(1);
    int ids[64];
    int prompt_ids = tokenizer_encode(f->tokenizer, prompt, ids, 64);
    int completion_ids = tokenizer_encode(f->tokenizer, completion, ids, 64);
    free(prompt);
    assert_int_equal(tokens[0], TOKEN_BOS);
    assert_int_equal(prefix, 1 + prompt_ids);
    assert_int_equal(len, prefix + completion_ids + 1);
    assert_int_equal(tokens[len - 1], TOKEN_EOS);
    for (int t = 0; t < L; t++) assert_int_equal(targets[t], (t >= prefix - 1 && t < len - 1) ? tokens[t + 1] : -1);
    char *back = tokenizer_decode(f->tokenizer, tokens + prefix, len - prefix);
    assert_string_equal(back, completion);
    free(back);
    // too long: cut to the row, flagged, targets stay inside it
    char longer[2000] = "<think>";
    for (int i = 0; i < 100; i++) strcat(longer, "A is clean. ");
    assert_int_equal(text_row_build(f->tokenizer, 1, longer, L, tokens, targets, &len, &prefix, &truncated, &err), 0);
    assert_int_equal(truncated, 1);
    assert_int_equal(len, L);
    assert_int_equal(targets[L - 1], -1);
}

// Collects the sample indices of `batches` batches.
static void draw(Loader *loader, int batches, size_t *out) {
    Error err = {{0}};
    for (int i = 0; i < batches; i++) {
        const LoaderBatch *b = NULL;
        assert_int_equal(loader_next(loader, &b, &err), 0);
        assert_int_equal(b->batch.batch_size, 5);
        assert_true(b->target_count > 0);
        for (int r = 0; r < 5; r++) {
            out[i * 5 + r] = b->sample_indices[r];
            assert_int_equal(b->batch.tokens[r * b->batch.text_len_max], TOKEN_BOS);
        }
    }
}

static void test_loader_order_is_deterministic_and_resumable(void **state) {
    Fixture *f = *state;
    ImageShard shard;
    Error err = {{0}};
    assert_int_equal(image_shard_open(&shard, &f->dataset, &f->config, NULL, 1, NULL, &err), 0);
    size_t indices[10] = {0, 1, 2, 3, 4, 5, 6, 7, 9, 11}; // a "training split"
    Loader *with = NULL, *without = NULL;
    LoaderOptions prefetch = {.batch_size = 5, .seed = 7, .prefetch = 1}, plain = prefetch;
    plain.prefetch = 0;
    assert_int_equal(loader_open(&with, &f->dataset, &shard, f->tokenizer, &f->config, indices, 10, &prefetch, &err), 0);
    assert_int_equal(loader_open(&without, &f->dataset, &shard, f->tokenizer, &f->config, indices, 10, &plain, &err), 0);
    size_t a[40], b[40];
    draw(with, 8, a);
    draw(without, 8, b);
    assert_memory_equal(a, b, sizeof a);
    // each epoch (10 rows) visits every index once, and epochs are shuffled differently
    for (int e = 0; e < 4; e++) {
        int seen[12] = {0};
        for (int i = 0; i < 10; i++) seen[a[e * 10 + i]]++;
        for (int i = 0; i < 10; i++) assert_int_equal(seen[indices[i]], 1);
    }
    assert_true(memcmp(a, a + 10, 10 * sizeof(size_t)) != 0);
    // a saved position continues the same sequence (prefetched batch dropped)
    Loader *resumed = NULL;
    assert_int_equal(loader_open(&resumed, &f->dataset, &shard, f->tokenizer, &f->config, indices, 10, &prefetch, &err),
                     0);
    size_t c[40];
    draw(resumed, 3, c);
    LoaderPosition at = loader_position(resumed);
    assert_int_equal(at.epoch, 1);
    assert_int_equal(at.index, 5);
    draw(resumed, 2, c); // moves on, then seeks back
    assert_int_equal(loader_seek(resumed, at, &err), 0);
    draw(resumed, 5, c);
    assert_memory_equal(c, a + 15, 25 * sizeof(size_t));
    LoaderPosition bad = {0, 99};
    assert_int_equal(loader_seek(resumed, bad, &err), -1);
    loader_close(with);
    loader_close(without);
    loader_close(resumed);
    image_shard_close(&shard);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shard_is_built_once_with_the_model_values),
        cmocka_unit_test(test_text_row_layout),
        cmocka_unit_test(test_loader_order_is_deterministic_and_resumable),
    };
    return cmocka_run_group_tests(tests, fixture_setup, fixture_teardown);
}
