// cuda_model_internal.cuh — the device model's private state (CudaModel.state) and the encoder
// kernels (cuda_encoder.cu) that cuda_model.cu and cuda_generate.cu share.
#ifndef IAR_CUDA_CUDA_MODEL_INTERNAL_CUH
#define IAR_CUDA_CUDA_MODEL_INTERNAL_CUH

#include "cuda/cuda_internal.cuh"

extern "C" {
#include "model/model_internal.h"
}

typedef struct CudaModelState {
    ModelState s; // the CPU's activation views, pointing into one device block here
    // the batch on the device
    float *images;
    int *tokens, *targets, *text_len, *prefix_len;
    float *logprobs, *entropy, *dlogprobs;
    // token-embedding gradient without atomics: the batch's positions grouped by token (CSR)
    int *token_ids, *token_offsets, *token_rows;
    int *host_token_ids, *host_token_offsets, *host_token_rows, *host_sort;
    int unique_tokens;
    // generation
    float *logits, *sample_scratch;
    double *uniforms;
    int *sampled;
    float *sampled_logprobs;
} CudaModelState;

// (B*5, 3, S, S) channel-major batch images -> (B*5, S, S, 3) channel-last stem input.
void cuda_stem_input(float *out, const float *images, int images_count, int side);
// encoded (B, N, D) from the last stem output, the embeddings, and tokens (B, T) on the device.
void cuda_embedding_forward(float *encoded, const float *stem_tokens, const ModelParams *params, const int *tokens,
                            const int *text_len, int batch, int image_tokens_per_image, int text_len_max, int dim);
// From dresidual (B, N, D): writes the stem output's gradient, accumulates the embeddings' gradients.
// The token embedding's uses the CSR (token_ids[u], rows token_rows[offsets[u] .. offsets[u+1])).
void cuda_embedding_backward(float *dstem, const ModelParams *grads, const float *dresidual, const int *text_len,
                             const int *token_ids, const int *token_offsets, const int *token_rows, int unique_tokens,
                             int batch, int image_tokens_per_image, int text_len_max, int dim);

// cuda_model.cu's forward up to the final LayerNorm (batch->targets may be NULL).
int cuda_forward_hidden(CudaModel *gpu, const ModelBatch *batch, int upload_images, Error *err);

#endif
