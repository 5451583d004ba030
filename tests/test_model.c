// test_model.c — the native model end to end on the tiny config: shapes and presets, the
// prefix-LM mask and padding, fast vs reference kernels, thread-count determinism, generation vs
// model_forward log-probs, and safetensors/config round trips with version errors.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cblas.h>
#include <math.h>
#ifdef _OPENMP
#include <omp.h>
#else // one thread: the thread-count test still runs, comparing one thread with itself
static int omp_get_max_threads(void) { return 1; }
static void omp_set_num_threads(int n) { (void)n; }
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/files.h"
#include "image/image.h"
#include "model/model.h"
#include "support/model_support.h"

#define VOCAB 50

static const int row_len[3] = {20, 14, 6}, row_prefix[3] = {5, 4, 6};

static void model_make(Model *model, const ModelConfig *config, int max_batch, uint64_t seed) {
    Error err;
    if (model_create(model, config, max_batch, seed, &err) != 0) fail_msg("model_create: %s", err.message);
}

static void run_forward(Model *model, const ModelBatch *batch, float *logprobs, float *entropy) {
    Error err;
    if (model_forward(model, batch, logprobs, entropy, &err) != 0) fail_msg("model_forward: %s", err.message);
}

static void test_presets_and_counts(void **state) {
    (void)state;
    ModelConfig c;
    Error err;
    const char *names[3] = {"tiny", "small", "base"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(model_config_preset(&c, names[i], 512, &err), 0);
        assert_int_equal(model_config_validate(&c, &err), 0);
        assert_true(model_flops_per_token(&c) > 0);
    }
    assert_int_equal(model_config_preset(&c, "small", 512, &err), 0);
    assert_int_equal(model_image_tokens(&c), 16);
    assert_int_equal(model_config_preset(&c, "huge", 512, &err), -1);
    assert_non_null(strstr(err.message, "huge"));
    c.heads = 3; // 128 is not divisible by 3
    assert_int_equal(model_config_validate(&c, &err), -1);
    // variants pick the candidate parts; the stem's norm replaces the conv bias
    ModelConfig plain, pointer;
    assert_int_equal(model_config_preset(&plain, "small", 512, &err), 0);
    assert_int_equal(plain.stem_norm, 1);
    assert_int_equal(plain.candidate_head + plain.candidate_pointer, 0);
    assert_int_equal(model_config_preset(&pointer, "small:pointer", 512, &err), 0);
    assert_int_equal(pointer.candidate_head + pointer.candidate_pointer, 2);
    assert_true(model_parameter_count(&pointer) > model_parameter_count(&plain));
    assert_int_equal(model_config_preset(&c, "small:pointer+bogus", 512, &err), -1);
    assert_non_null(strstr(err.message, "bogus"));
    // the measured-and-removed variants are named as removed, not as unknown
    const char *removed[3] = {"small:pointer+refine", "small:pointer+maxpool", "small:norefine"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(model_config_preset(&c, removed[i], 512, &err), -1);
        assert_non_null(strstr(err.message, "was removed"));
    }

    ModelConfig tiny = model_support_tiny_config(VOCAB);
    Model model;
    model_make(&model, &tiny, 2, 1);
    size_t sum = 0;
    for (int i = 0; i < model.tensor_count; i++) {
        assert_int_equal(model.tensors[i].offset, sum); // contiguous, in order
        sum += model.tensors[i].count;
    }
    assert_int_equal(sum, model.param_count);
    assert_int_equal(model_parameter_count(&tiny), model.param_count);
    const ModelTensor *t = model_find_tensor(&model, "blocks.1.attn.qkv.weight");
    assert_non_null(t);
    assert_int_equal(t->shape[0], 3 * tiny.dim);
    assert_int_equal(t->shape[1], tiny.dim);
    assert_null(model_find_tensor(&model, "nope"));
    // LayerNorm weights start at 1, biases at 0, matrices random
    assert_true(model.params[model_find_tensor(&model, "final_ln.weight")->offset] == 1.0f);
    assert_true(model.params[model_find_tensor(&model, "blocks.0.mlp.fc.bias")->offset] == 0.0f);
    assert_true(model.params[t->offset] != 0.0f);
    model_free(&model);
}

// Padding tokens never matter; a completion token only affects its own and later positions; a
// prompt token affects earlier prompt positions too (bidirectional prefix).
static void test_prefix_lm_mask_and_padding(void **state) {
    (void)state;
    ModelConfig config = model_support_tiny_config(VOCAB);
    Model model;
    model_make(&model, &config, 3, 2);
    ModelSupportBatch sb;
    model_support_batch(&sb, &config, 3, row_len, row_prefix, 3);
    int T = sb.batch.text_len_max;
    float lp[3 * 20], ent[3 * 20], lp2[3 * 20], ent2[3 * 20];
    run_forward(&model, &sb.batch, lp, ent);
    for (int i = 0; i < 3 * T; i++) {
        assert_true(isfinite(lp[i]) && lp[i] <= 0.0f);
        if (sb.targets[i] < 0) assert_true(lp[i] == 0.0f);
        assert_true(ent[i] >= 0.0f && ent[i] <= logf(VOCAB) + 1e-4f);
    }
    // padding of rows 1 and 2 replaced: nothing changes, bit for bit
    for (int t = row_len[1]; t < T; t++) sb.tokens[T + t] = (sb.tokens[T + t] + 7) % VOCAB;
    for (int t = row_len[2]; t < T; t++) sb.tokens[2 * T + t] = (sb.tokens[2 * T + t] + 3) % VOCAB;
    run_forward(&model, &sb.batch, lp2, ent2);
    assert_memory_equal(lp, lp2, sizeof(float) * 3 * T);
    assert_memory_equal(ent, ent2, sizeof(float) * 3 * T);
    // a completion token of row 0 at position 10: positions < 10 unchanged, position 10 changed
    sb.tokens[10] = (sb.tokens[10] + 1 - 3) % (VOCAB - 3) + 3;
    run_forward(&model, &sb.batch, lp2, ent2);
    assert_memory_equal(ent, ent2, sizeof(float) * 10);
    assert_true(ent[10] != ent2[10]);
    assert_memory_equal(ent + T, ent2 + T, sizeof(float) * 2 * T); // other rows untouched
    // a prompt token of row 1 at position 3: the prompt position 0 sees it
    sb.tokens[T + 3] = (sb.tokens[T + 3] + 1 - 3) % (VOCAB - 3) + 3;
    run_forward(&model, &sb.batch, lp2, ent2);
    assert_true(ent[T] != ent2[T]);
    // and the images reach every position
    memcpy(lp, lp2, sizeof lp);
    sb.images[0] += 0.5f;
    run_forward(&model, &sb.batch, lp2, ent2);
    assert_true(lp[row_prefix[0] - 1] != lp2[row_prefix[0] - 1]);
    model_support_batch_free(&sb);
    model_free(&model);
}

// tiny with the candidate head and pointer, its candidate tensors scaled up so the pointer's
// contribution is far above float rounding in every comparison below.
static const float candidate_labels[3 * 4] = {1, 0, 0, 1, 0, 1, 1, 1, 0, 0, 1, 0};

static ModelConfig candidate_config(void) {
    ModelConfig config = model_support_tiny_config(VOCAB);
    config.candidate_head = 1, config.candidate_pointer = 1;
    return config;
}

static void candidate_weights_scale(Model *model, float factor) {
    for (int i = 0; i < model->tensor_count; i++)
        if (strncmp(model->tensors[i].name, "candidate.", 10) == 0)
            for (size_t j = 0; j < model->tensors[i].count; j++) model->params[model->tensors[i].offset + j] *= factor;
}

// A model of `config` (candidate parts scaled) and a batch with flaw labels when it has the head.
static void candidate_make(Model *model, ModelSupportBatch *sb, const ModelConfig *config, int rows, uint64_t seed) {
    model_make(model, config, rows, seed);
    candidate_weights_scale(model, 5.0f);
    model_support_batch(sb, config, rows, row_len, row_prefix, seed + 1);
    if (config->candidate_head) sb->batch.candidate_flawed = candidate_labels, sb->batch.aux_weight = 0.5f;
}

// Forward + backward of one model with the chosen kernels; returns malloc'd grads.
static float *forward_backward(Model *model, const ModelSupportBatch *sb, float *logprobs) {
    Error err;
    int n = sb->batch.batch_size * sb->batch.text_len_max, count = 0;
    float *dlogprobs = calloc((size_t)n, sizeof(float));
    for (int i = 0; i < n; i++) count += sb->targets[i] >= 0;
    for (int i = 0; i < n; i++) dlogprobs[i] = sb->targets[i] >= 0 ? -1.0f / count : 0.0f;
    model_zero_grad(model);
    run_forward(model, &sb->batch, logprobs, NULL);
    if (model_backward(model, &sb->batch, dlogprobs, &err) != 0) fail_msg("model_backward: %s", err.message);
    free(dlogprobs);
    float *grads = malloc(sizeof(float) * model->param_count);
    memcpy(grads, model->grads, sizeof(float) * model->param_count);
    return grads;
}

static void fast_matches_reference(const ModelConfig *config) {
    Model model;
    ModelSupportBatch sb;
    candidate_make(&model, &sb, config, 3, 4);
    int n = 3 * sb.batch.text_len_max;
    float lp_fast[60], lp_ref[60];
    model.use_reference = 0;
    float *g_fast = forward_backward(&model, &sb, lp_fast);
    model.use_reference = 1;
    float *g_ref = forward_backward(&model, &sb, lp_ref);
    assert_true(model_support_max_diff("logprobs fast vs reference", lp_fast, lp_ref, (size_t)n) < 1e-4);
    for (int i = 0; i < model.tensor_count; i++) {
        const ModelTensor *t = &model.tensors[i];
        double scale = 0.0;
        for (size_t j = 0; j < t->count; j++) scale = fmax(scale, fabs(g_ref[t->offset + j]));
        double diff = model_support_max_diff(t->name, g_fast + t->offset, g_ref + t->offset, t->count);
        if (diff > 1e-4 * scale + 1e-6) fail_msg("%s: fast vs reference gradient differs by %g (scale %g)", t->name, diff, scale);
    }
    free(g_fast);
    free(g_ref);
    model_support_batch_free(&sb);
    model_free(&model);
}

static void test_fast_matches_reference(void **state) {
    (void)state;
    ModelConfig config = model_support_tiny_config(VOCAB);
    fast_matches_reference(&config);
}

static void test_candidate_fast_matches_reference(void **state) {
    (void)state;
    ModelConfig config = candidate_config();
    fast_matches_reference(&config);
}

static void thread_count_does_not_change_results(const ModelConfig *config) {
    Model model;
    ModelSupportBatch sb;
    candidate_make(&model, &sb, config, 3, 6);
    float lp1[60], lp2[60];
    int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    openblas_set_num_threads(1);
    float *g1 = forward_backward(&model, &sb, lp1);
    omp_set_num_threads(threads > 1 ? threads : 2);
    openblas_set_num_threads(threads > 1 ? threads : 2);
    float aux1 = model.last_aux_loss;
    float *g2 = forward_backward(&model, &sb, lp2);
    assert_memory_equal(lp1, lp2, sizeof(float) * 3 * sb.batch.text_len_max);
    assert_memory_equal(g1, g2, sizeof(float) * model.param_count);
    assert_memory_equal(&aux1, &model.last_aux_loss, sizeof aux1);
    free(g1);
    free(g2);
    model_support_batch_free(&sb);
    model_free(&model);
}

static void test_thread_count_does_not_change_results(void **state) {
    (void)state;
    ModelConfig config = model_support_tiny_config(VOCAB);
    thread_count_does_not_change_results(&config);
}

static void test_candidate_thread_count_does_not_change_results(void **state) {
    (void)state;
    ModelConfig config = candidate_config();
    thread_count_does_not_change_results(&config);
}

static void test_bad_batches_are_refused(void **state) {
    (void)state;
    ModelConfig config = model_support_tiny_config(VOCAB);
    Model model;
    Error err;
    model_make(&model, &config, 2, 8);
    ModelSupportBatch sb;
    model_support_batch(&sb, &config, 3, row_len, row_prefix, 9);
    float lp[60];
    assert_int_equal(model_forward(&model, &sb.batch, lp, NULL, &err), -1); // 3 rows > max_batch 2
    assert_non_null(strstr(err.message, "batch"));
    sb.batch.batch_size = 2;
    sb.tokens[3] = VOCAB;
    assert_int_equal(model_forward(&model, &sb.batch, lp, NULL, &err), -1);
    assert_non_null(strstr(err.message, "vocabulary"));
    sb.tokens[3] = 5;
    sb.prefix_len[1] = 15; // longer than the row
    assert_int_equal(model_forward(&model, &sb.batch, lp, NULL, &err), -1);
    model_support_batch_free(&sb);
    model_free(&model);
}

// Sampled completions: their log-probs must be what model_forward gives on prompt + completion.
static void generate_matches_forward(const ModelConfig *config_in) {
    ModelConfig config = *config_in;
    Model model;
    Error err;
    model_make(&model, &config, 4, 10);
    candidate_weights_scale(&model, 5.0f);
    int prompt_len = 6, samples = 4, max_new = 12;
    int len[1] = {prompt_len}, prefix[1] = {prompt_len};
    ModelSupportBatch prompt;
    model_support_batch(&prompt, &config, 1, len, prefix, 11);
    GenerateOptions options = {.max_new_tokens = max_new, .temperature = 1.0f, .top_p = 1.0f, .seed = 99, .eos_token = 2};
    int tokens[4 * 12], lengths[4];
    float logprobs[4 * 12];
    assert_int_equal(model_generate(&model, prompt.images, prompt.tokens, prompt_len, samples, &options, tokens, lengths,
                                    logprobs, &err), 0);
    // the same rows through model_forward, in the shared layout
    int T = prompt_len + max_new, text_len[4], prefix_len[4], row_tokens[4 * 18], targets[4 * 18];
    float images[4 * 5 * 3 * 16 * 16], lp[4 * 18];
    size_t image_floats = (size_t)5 * 3 * 16 * 16;
    for (int s = 0; s < samples; s++) {
        assert_true(lengths[s] >= 1 && lengths[s] <= max_new);
        memcpy(images + s * image_floats, prompt.images, sizeof(float) * image_floats);
        text_len[s] = prompt_len + lengths[s];
        prefix_len[s] = prompt_len;
        for (int t = 0; t < T; t++) {
            row_tokens[s * T + t] = t < prompt_len ? prompt.tokens[t] : (t < text_len[s] ? tokens[s * max_new + t - prompt_len] : 0);
            targets[s * T + t] = -1;
        }
        for (int t = prompt_len - 1; t < text_len[s] - 1; t++) targets[s * T + t] = row_tokens[s * T + t + 1];
    }
    // the last generated token has no successor in the row: compare the ones before it, plus the
    // first token's, scored at the prompt's last position
    ModelBatch batch = {.batch_size = samples, .text_len_max = T, .images = images, .tokens = row_tokens,
                        .targets = targets, .text_len = text_len, .prefix_len = prefix_len};
    run_forward(&model, &batch, lp, NULL);
    double worst = 0.0;
    for (int s = 0; s < samples; s++)
        for (int k = 0; k < lengths[s]; k++)
            worst = fmax(worst, fabs(lp[s * T + prompt_len - 1 + k] - logprobs[s * max_new + k]));
    printf("  generate vs forward log-prob max abs diff %.3g\n", worst);
    assert_true(worst < 1e-4);
    // same seed -> same samples; greedy -> every sample identical
    int tokens2[4 * 12], lengths2[4];
    assert_int_equal(model_generate(&model, prompt.images, prompt.tokens, prompt_len, samples, &options, tokens2,
                                    lengths2, NULL, &err), 0);
    assert_memory_equal(lengths, lengths2, sizeof lengths);
    for (int s = 0; s < samples; s++) assert_memory_equal(tokens + s * max_new, tokens2 + s * max_new, sizeof(int) * lengths[s]);
    options.temperature = 0.0f;
    assert_int_equal(model_generate(&model, prompt.images, prompt.tokens, prompt_len, samples, &options, tokens2,
                                    lengths2, NULL, &err), 0);
    for (int s = 1; s < samples; s++) {
        assert_int_equal(lengths2[s], lengths2[0]);
        assert_memory_equal(tokens2 + s * max_new, tokens2, sizeof(int) * lengths2[0]);
    }
    // top-p 0 would be invalid; a tiny top-p is greedy
    options.temperature = 1.0f;
    options.top_p = 1e-6f;
    assert_int_equal(model_generate(&model, prompt.images, prompt.tokens, prompt_len, 1, &options, tokens, lengths,
                                    NULL, &err), 0);
    assert_int_equal(lengths[0], lengths2[0]);
    assert_memory_equal(tokens, tokens2, sizeof(int) * lengths[0]);
    options.top_p = 0.0f;
    assert_int_equal(model_generate(&model, prompt.images, prompt.tokens, prompt_len, 1, &options, tokens, lengths,
                                    NULL, &err), -1);
    model_support_batch_free(&prompt);
    model_free(&model);
}

static void test_generate_matches_forward(void **state) {
    (void)state;
    ModelConfig config = model_support_tiny_config(VOCAB);
    generate_matches_forward(&config);
}

// The pointer reads the prefix's pooled images at every decode step (generate.c).
static void test_candidate_generate_matches_forward(void **state) {
    (void)state;
    ModelConfig config = candidate_config();
    generate_matches_forward(&config);
}

static void test_save_load_round_trip(void **state) {
    (void)state;
    ModelConfig config = model_support_tiny_config(VOCAB);
    Model model, loaded;
    Error err;
    model_make(&model, &config, 2, 12);
    char dir[256];
    snprintf(dir, sizeof dir, "%s/iar-model-test-%d", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
    assert_int_equal(model_save(&model, dir, &err), 0);
    assert_int_equal(model_load(&loaded, dir, 2, &err), 0);
    assert_int_equal(loaded.param_count, model.param_count);
    assert_memory_equal(loaded.params, model.params, sizeof(float) * model.param_count);
    assert_string_equal(loaded.config.name, "tiny");
    model_free(&loaded);
    // the safetensors layout: u64 header length, JSON header, data
    char *path = path_join(dir, "model.safetensors"), *bytes;
    size_t size;
    assert_int_equal(file_read_all(path, 0, &bytes, &size, &err), 0);
    uint64_t header = 0;
    memcpy(&header, bytes, 8);
    assert_int_equal(header % 8, 0);
    assert_int_equal(size, 8 + header + sizeof(float) * model.param_count);
    assert_int_equal(bytes[8], '{');
    assert_memory_equal(bytes + 8 + header, model.params, sizeof(float) * model.param_count);
    // the independent json + numpy reader (the checks of the safetensors library), when available
    if (access("/usr/bin/python3", X_OK) == 0 && access("tools/safetensors_check.py", R_OK) == 0 &&
        system("/usr/bin/python3 -c 'import numpy' 2>/dev/null") == 0) {
        char command[512];
        snprintf(command, sizeof command, "/usr/bin/python3 tools/safetensors_check.py %s >/dev/null", path);
        assert_int_equal(system(command), 0);
    }
    // a truncated file is refused with the file's name
    assert_int_equal(file_write_atomic(path, bytes, size - 4, &err), 0);
    assert_int_equal(model_load(&loaded, dir, 2, &err), -1);
    assert_non_null(strstr(err.message, "model.safetensors"));
    free(bytes);
    free(path);
    // a future format version is refused with both versions named
    path = path_join(dir, "config.json");
    const char *future = "{\"format_version\": 9, \"name\": \"tiny\"}";
    assert_int_equal(file_write_atomic(path, future, strlen(future), &err), 0);
    assert_int_equal(model_load(&loaded, dir, 2, &err), -1);
    assert_non_null(strstr(err.message, "v9"));
    assert_non_null(strstr(err.message, "v1"));
    unlink(path);
    free(path);
    path = path_join(dir, "model.safetensors");
    unlink(path);
    free(path);
    rmdir(dir);
    model_free(&model);
}

// Five decoded images (different sizes, one RGBA) become (5, 3, S, S) floats in [-1, 1], letterboxed:
// these are wider than tall, so rows above and below the picture hold the mid-grey pad (0).
static void test_prepare_images(void **state) {
    (void)state;
    ModelConfig config = model_support_tiny_config(VOCAB);
    Error err;
    Image images[MODEL_IMAGE_COUNT];
    const Image *views[MODEL_IMAGE_COUNT];
    for (int i = 0; i < MODEL_IMAGE_COUNT; i++) {
        int channels = i == 4 ? 4 : 3;
        assert_int_equal(image_create(&images[i], 40 + 8 * i, 24 + 8 * i, channels, &err), 0);
        // a flat colour per image: (R, G, B) = (0, 255, 51·i), opaque
        for (int p = 0; p < images[i].width * images[i].height; p++) {
            uint8_t *px = images[i].data + (size_t)p * channels;
            px[0] = 0, px[1] = 255, px[2] = (uint8_t)(51 * i);
            if (channels == 4) px[3] = 255;
        }
        views[i] = &images[i];
    }
    size_t S = (size_t)config.image_size, plane = S * S;
    float *out = malloc(sizeof(float) * MODEL_IMAGE_COUNT * 3 * plane);
    assert_int_equal(model_prepare_images(&config, views, out, &err), 0);
    for (int i = 0; i < MODEL_IMAGE_COUNT; i++) {
        float expect[3] = {-1.0f, 1.0f, 51 * i * (2.0f / 255.0f) - 1.0f};
        size_t width = (size_t)images[i].width, height = (size_t)images[i].height;
        size_t fit = (height * S + width / 2) / width, top = (S - fit) / 2;
        for (int c = 0; c < 3; c++)
            for (size_t p = 0; p < plane; p += 37) {
                size_t row = p / S;
                float want = row >= top && row < top + fit ? expect[c] : 0.0f;
                assert_true(fabsf(out[((size_t)i * 3 + c) * plane + p] - want) < 1e-5f);
            }
    }
    views[2] = NULL;
    assert_int_equal(model_prepare_images(&config, views, out, &err), -1);
    assert_non_null(strstr(err.message, "image 2"));
    for (int i = 0; i < MODEL_IMAGE_COUNT; i++) image_free(&images[i]);
    free(out);
}

// config.json files written while the +refine / +maxpool variants existed carry "stem_refine" and
// "candidate_max_pool": 0 loads as before; 1 (a checkpoint of a removed variant) is refused in one line.
static void test_removed_variant_fields_in_config(void **state) {
    (void)state;
    ModelConfig config = model_support_tiny_config(VOCAB);
    Model model, loaded;
    Error err;
    model_make(&model, &config, 1, 13);
    char dir[256];
    snprintf(dir, sizeof dir, "%s/iar-model-removed-%d", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
    assert_int_equal(model_save(&model, dir, &err), 0);
    char *path = path_join(dir, "config.json"), *saved;
    size_t size;
    assert_int_equal(file_read_all(path, 0, &saved, &size, &err), 0);
    assert_null(strstr(saved, "stem_refine"));
    assert_null(strstr(saved, "candidate_max_pool"));
    assert_int_equal(saved[0], '{');
    const char *fields[3] = {"\"stem_refine\": 0, \"candidate_max_pool\": 0,", "\"stem_refine\": 1,",
                             "\"candidate_max_pool\": 1,"};
    for (int i = 0; i < 3; i++) {
        char *text = malloc(size + 128);
        snprintf(text, size + 128, "{%s%s", fields[i], saved + 1);
        assert_int_equal(file_write_atomic(path, text, strlen(text), &err), 0);
        free(text);
        int rc = model_load(&loaded, dir, 1, &err);
        if (i == 0) {
            if (rc != 0) fail_msg("old config with the removed switches at 0: %s", err.message);
            assert_memory_equal(loaded.params, model.params, sizeof(float) * model.param_count);
            model_free(&loaded);
            continue;
        }
        assert_int_equal(rc, -1);
        assert_non_null(strstr(err.message, "was removed"));
        assert_non_null(strstr(err.message, i == 1 ? "stem_refine" : "candidate_max_pool"));
        assert_null(strchr(err.message, '\n'));
    }
    free(saved);
    unlink(path);
    free(path);
    path = path_join(dir, "model.safetensors");
    unlink(path);
    free(path);
    rmdir(dir);
    model_free(&model);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_presets_and_counts),
        cmocka_unit_test(test_prefix_lm_mask_and_padding),
        cmocka_unit_test(test_fast_matches_reference),
        cmocka_unit_test(test_thread_count_does_not_change_results),
        cmocka_unit_test(test_bad_batches_are_refused),
        cmocka_unit_test(test_generate_matches_forward),
        cmocka_unit_test(test_candidate_fast_matches_reference),
        cmocka_unit_test(test_candidate_thread_count_does_not_change_results),
        cmocka_unit_test(test_candidate_generate_matches_forward),
        cmocka_unit_test(test_save_load_round_trip),
        cmocka_unit_test(test_removed_variant_fields_in_config),
        cmocka_unit_test(test_prepare_images),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
