// cuda_encoder.cu — the model's input side on the device (model_encoder.c's embeddings): the stem
// input transpose, the embedding sum, and the embedding gradients, each output element summed by
// one thread in (batch row, position) order.
#include "cuda/cuda_model_internal.cuh"

__global__ static void stem_input_kernel(float *out, const float *images, int images_count, int plane) {
    size_t index = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (index >= (size_t)images_count * plane * 3) return;
    int ch = (int)(index % 3);
    size_t pixel = index / 3, n = pixel / plane, p = pixel % plane;
    out[index] = images[(n * 3 + ch) * plane + p];
}

void cuda_stem_input(float *out, const float *images, int images_count, int side) {
    size_t n = (size_t)images_count * side * side * 3;
    stem_input_kernel<<<cuda_grid(n, CUDA_THREADS), CUDA_THREADS>>>(out, images, images_count, side * side);
}

__global__ static void embedding_forward_kernel(float *encoded, const float *stem_tokens, ModelParams params,
                                                const int *tokens, const int *text_len, int batch, int P, int T,
                                                int D) {
    int I = MODEL_IMAGE_COUNT * P, N = I + T;
    size_t index = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (index >= (size_t)batch * N * D) return;
    int d = (int)(index % D);
    size_t row = index / D;
    int b = (int)(row / N), n = (int)(row % N);
    if (n < I) {
        int i = n / P, p = n % P;
        encoded[index] = stem_tokens[((size_t)(b * MODEL_IMAGE_COUNT + i) * P + p) * D + d] +
                         params.image_index_embedding[(size_t)i * D + d] +
                         params.image_position_embedding[(size_t)p * D + d];
    } else {
        int t = n - I, token = t < text_len[b] ? tokens[(size_t)b * T + t] : 0; // padding reads token 0
        encoded[index] = params.token_embedding[(size_t)token * D + d] + params.text_position_embedding[(size_t)t * D + d];
    }
}

void cuda_embedding_forward(float *encoded, const float *stem_tokens, const ModelParams *params, const int *tokens,
                            const int *text_len, int batch, int P, int T, int D) {
    size_t n = (size_t)batch * (MODEL_IMAGE_COUNT * P + T) * D;
    embedding_forward_kernel<<<cuda_grid(n, CUDA_THREADS), CUDA_THREADS>>>(encoded, stem_tokens, *params, tokens,
                                                                           text_len, batch, P, T, D);
}

// Threads over (B, I, D): the stem's output gradient is the image rows of dresidual.
__global__ static void embedding_dstem_kernel(float *dstem, const float *dres, int batch, int I, int N, int D) {
    size_t index = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (index >= (size_t)batch * I * D) return;
    size_t b = index / ((size_t)I * D), rest = index % ((size_t)I * D);
    dstem[index] = dres[b * N * D + rest];
}

// Thread (which, d): image index (i) or image position (p) embedding gradient.
__global__ static void embedding_image_grads_kernel(float *dindex, float *dposition, const float *dres, int batch,
                                                    int P, int N, int D) {
    size_t index = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    int rows = MODEL_IMAGE_COUNT + P;
    if (index >= (size_t)rows * D) return;
    int which = (int)(index / D), d = (int)(index % D);
    float acc = 0.0f;
    for (int b = 0; b < batch; b++) {
        const float *g = dres + (size_t)b * N * D + d;
        if (which < MODEL_IMAGE_COUNT)
            for (int p = 0; p < P; p++) acc += g[(size_t)(which * P + p) * D];
        else
            for (int i = 0; i < MODEL_IMAGE_COUNT; i++) acc += g[(size_t)(i * P + which - MODEL_IMAGE_COUNT) * D];
    }
    if (which < MODEL_IMAGE_COUNT) dindex[(size_t)which * D + d] += acc;
    else dposition[(size_t)(which - MODEL_IMAGE_COUNT) * D + d] += acc;
}

// Thread (t, d): text position t's gradient over the rows whose text reaches t.
__global__ static void embedding_text_position_kernel(float *dposition, const float *dres, const int *text_len,
                                                      int batch, int I, int T, int N, int D) {
    size_t index = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (index >= (size_t)T * D) return;
    int t = (int)(index / D), d = (int)(index % D);
    float acc = 0.0f;
    for (int b = 0; b < batch; b++)
        if (t < text_len[b]) acc += dres[((size_t)b * N + I + t) * D + d];
    dposition[index] += acc;
}

// Thread (u, d): token token_ids[u]'s gradient over its rows (sequence rows b*N + I + t, in order).
__global__ static void embedding_token_kernel(float *dtoken, const float *dres, const int *token_ids,
                                              const int *offsets, const int *rows, int unique_tokens, int D) {
    size_t index = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (index >= (size_t)unique_tokens * D) return;
    int u = (int)(index / D), d = (int)(index % D);
    float acc = 0.0f;
    for (int k = offsets[u]; k < offsets[u + 1]; k++) acc += dres[(size_t)rows[k] * D + d];
    dtoken[(size_t)token_ids[u] * D + d] += acc;
}

void cuda_embedding_backward(float *dstem, const ModelParams *grads, const float *dres, const int *text_len,
                             const int *token_ids, const int *token_offsets, const int *token_rows, int unique_tokens,
                             int batch, int P, int T, int D) {
    int I = MODEL_IMAGE_COUNT * P, N = I + T;
    size_t n = (size_t)batch * I * D;
    embedding_dstem_kernel<<<cuda_grid(n, CUDA_THREADS), CUDA_THREADS>>>(dstem, dres, batch, I, N, D);
    n = (size_t)(MODEL_IMAGE_COUNT + P) * D;
    embedding_image_grads_kernel<<<cuda_grid(n, CUDA_THREADS), CUDA_THREADS>>>(
        grads->image_index_embedding, grads->image_position_embedding, dres, batch, P, N, D);
    n = (size_t)T * D;
    embedding_text_position_kernel<<<cuda_grid(n, CUDA_THREADS), CUDA_THREADS>>>(grads->text_position_embedding, dres,
                                                                                 text_len, batch, I, T, N, D);
    n = (size_t)unique_tokens * D;
    if (n)
        embedding_token_kernel<<<cuda_grid(n, CUDA_THREADS), CUDA_THREADS>>>(grads->token_embedding, dres, token_ids,
                                                                             token_offsets, token_rows, unique_tokens, D);
}
