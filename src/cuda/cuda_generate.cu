// cuda_generate.cu — rollouts on the device without a KV cache: every new token re-runs the forward
// over the images and the whole text so far (one batch row per sample), then samples the last
// position with generate.c's rule and its counter-based uniforms. Simple and exact to the training
// forward; a KV cache would cut the work per token from O(sequence) to O(1) rows.
#include <stdlib.h>
#include <string.h>

#include "cuda/cuda_model_internal.cuh"

extern "C" {
#include "core/rng.h"
}

static double uniform_from_hash(uint64_t h) { return (double)(h >> 11) * (1.0 / 9007199254740992.0); }

extern "C" int cuda_model_generate(CudaModel *gpu, const float *images, const int *prompt, int prompt_len,
                                   int n_samples, const GenerateOptions *o, int *out_tokens, int *out_lengths,
                                   Error *err) {
    const ModelConfig *c = &gpu->config;
    CudaModelState *st = (CudaModelState *)gpu->state;
    if (n_samples < 1 || n_samples > gpu->max_batch)
        return error_set(err, "cuda_model_generate: %d samples, the device model holds 1 to %d", n_samples,
                         gpu->max_batch);
    if (prompt_len < 1 || prompt_len > c->max_text_len)
        return error_set(err, "cuda_model_generate: prompt of %d tokens, the model reads 1 to %d", prompt_len,
                         c->max_text_len);
    if (o->max_new_tokens < 0 || !(o->temperature >= 0.0f) || !(o->top_p > 0.0f) || o->top_p > 1.0f)
        return error_set(err, "cuda_model_generate: bad options");
    int max_new = o->max_new_tokens < c->max_text_len - prompt_len ? o->max_new_tokens : c->max_text_len - prompt_len;
    for (int i = 0; i < n_samples; i++) out_lengths[i] = 0;
    if (max_new == 0) return 0;
    int full = prompt_len + max_new, D = c->dim, V = c->vocab_size;
    size_t image_floats = (size_t)MODEL_IMAGE_COUNT * 3 * c->image_size * c->image_size;
    float *host_images = (float *)malloc(sizeof(float) * image_floats * n_samples);
    int *sequence = (int *)malloc(sizeof(int) * (size_t)n_samples * full);
    int *packed = (int *)malloc(sizeof(int) * (size_t)n_samples * full);
    int *lengths = (int *)calloc((size_t)n_samples * 4, sizeof(int)), *prefix = lengths + n_samples;
    int *next = prefix + n_samples, *done = next + n_samples;
    double *uniforms = (double *)malloc(sizeof(double) * n_samples);
    int rc = 0;
    if (!host_images || !sequence || !packed || !lengths || !uniforms) rc = error_set(err, "out of memory");
    for (int sample = 0; rc == 0 && sample < n_samples; sample++) {
        memcpy(host_images + sample * image_floats, images, sizeof(float) * image_floats);
        memcpy(sequence + (size_t)sample * full, prompt, sizeof(int) * prompt_len);
        prefix[sample] = prompt_len;
    }
    int active = n_samples;
    for (int step = 0; rc == 0 && step < max_new && active > 0; step++) {
        int length = prompt_len + step, position = prompt_len + step;
        // (n, length) rows: every sample advances (finished ones are simply not recorded)
        for (int sample = 0; sample < n_samples; sample++) {
            memcpy(packed + (size_t)sample * length, sequence + (size_t)sample * full, sizeof(int) * length);
            lengths[sample] = length;
        }
        // C++ takes designated initialisers only in declaration order
        ModelBatch batch = {.batch_size = n_samples, .text_len_max = length, .images = host_images, .tokens = packed,
                            .targets = NULL, .text_len = lengths, .prefix_len = prefix};
        if (cuda_forward_hidden(gpu, &batch, step == 0, err) != 0) {
            rc = -1;
            break;
        }
        // the last position of each row: (n, D) gathered, then the tied head (n, V)
        float *last = st->s.dfinal_ln;
        cudaMemcpy2D(last, sizeof(float) * D, st->s.final_ln + (size_t)(length - 1) * D, sizeof(float) * length * D,
                     sizeof(float) * D, n_samples, cudaMemcpyDeviceToDevice);
        matmul_forward_cuda(st->logits, last, st->s.params.token_embedding, NULL, n_samples, D, V);
        for (int sample = 0; sample < n_samples; sample++)
            uniforms[sample] = uniform_from_hash(rng_hash(o->seed, (uint64_t)sample, RNG_PURPOSE_SAMPLING, (uint64_t)position));
        if (cuda_upload(st->uniforms, uniforms, sizeof(double) * n_samples, err) != 0) {
            rc = -1;
            break;
        }
        sample_tokens_cuda(st->sampled, st->sampled_logprobs, st->logits, st->uniforms, st->sample_scratch, n_samples,
                           V, o->temperature, o->top_p);
        if (cuda_check("CUDA sampling", err) != 0 || cuda_download(next, st->sampled, sizeof(int) * n_samples, err) != 0) {
            rc = -1;
            break;
        }
        for (int sample = 0; sample < n_samples; sample++) {
            sequence[(size_t)sample * full + length] = next[sample];
            if (done[sample]) continue;
            out_tokens[(size_t)sample * o->max_new_tokens + step] = next[sample];
            out_lengths[sample] = step + 1;
            if (next[sample] == o->eos_token) done[sample] = 1, active--;
        }
    }
    free(host_images);
    free(sequence);
    free(packed);
    free(lengths);
    free(uniforms);
    return rc;
}
