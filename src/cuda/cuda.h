// cuda.h — the model on an NVIDIA GPU, built when CUDA=1 (IAR_HAVE_CUDA).
//
// 1. Kernels with the names and signatures of model/kernels.h plus `_cuda`, on DEVICE pointers:
//    cuBLAS sgemm for the linear layers (and the convolution, as im2col + sgemm), plain CUDA kernels
//    for LayerNorm, the stem's InstanceNorm, GELU, attention with the prefix-LM mask (AttentionMask's
//    text_len/prefix_len are device pointers here), the softmax log-prob head, the embeddings and
//    AdamW. Each is deterministic (no atomics: fixed reduction orders). kernel_ops_cuda bundles them as a KernelOps.
// 2. CudaModel: a device-side driver of the whole model (forward, backward, AdamW step, sampling)
//    over the parameter layout of model.h's ModelTensor table, so a CPU Model's parameters upload
//    as one block and its gradients download into model->grads for comparison with the CPU oracle.
//
// Kernels return nothing (the CPU signatures); launch and cuBLAS errors are sticky and reported by
// cuda_check. Nothing here prints. The kernel-level functions share one cuBLAS handle and one
// growable workspace per process (not thread-safe: call them from one thread).
#ifndef IAR_CUDA_CUDA_H
#define IAR_CUDA_CUDA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" { // the project's headers are C: keep their names unmangled in the .cu files
#endif

#include "core/error.h"
#include "model/kernels.h"
#include "model/model.h"

// AdamW's hyperparameters, field for field as train/adamw.h's AdamWConfig (cuda sits beside model,
// below train, so it does not include it).
typedef struct CudaAdamWConfig {
    float beta1, beta2, epsilon, weight_decay, clip_norm;
} CudaAdamWConfig;

// ---- device and memory -------------------------------------------------------------------------
int cuda_device_count(void); // 0 when there is no device or no driver
// Name, multiprocessors and memory of device 0; -1 with err when there is none.
int cuda_device_describe(char *name, size_t name_size, int *multiprocessors, double *memory_gib, Error *err);
// -1 with err (naming `what`) when a kernel launch, a kernel or cuBLAS failed since the last check.
int cuda_check(const char *what, Error *err);
int cuda_synchronize(Error *err);
// 1: let cuBLAS use TF32 tensor cores for sgemm (faster, ~1e-3 relative error); 0: full FP32 (default).
void cuda_set_tf32(int on);
void *cuda_malloc(size_t bytes, Error *err); // zeroed; NULL with err on failure
void cuda_free(void *device);
int cuda_upload(void *device, const void *host, size_t bytes, Error *err);
int cuda_download(void *host, const void *device, size_t bytes, Error *err);

// ---- kernels (device pointers; same contracts as kernels.h) -------------------------------------
void matmul_forward_cuda(float *out, const float *inp, const float *weight, const float *bias, int rows, int in_dim,
                         int out_dim);
void matmul_backward_cuda(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                          const float *weight, int rows, int in_dim, int out_dim);
void conv2d_forward_cuda(float *out, float *col, const float *inp, const float *weight, const float *bias, int images,
                         int height, int width, int in_ch, int out_ch, int stride);
void conv2d_backward_cuda(float *dinp, float *dweight, float *dbias, const float *dout, float *col, const float *inp,
                          const float *weight, int images, int height, int width, int in_ch, int out_ch, int stride);
void layernorm_forward_cuda(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                            const float *bias, int rows, int dim);
void layernorm_backward_cuda(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                             const float *weight, const float *mean, const float *rstd, int rows, int dim);
void instancenorm_forward_cuda(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                               const float *bias, int images, int positions, int channels);
void instancenorm_backward_cuda(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                                const float *weight, const float *mean, const float *rstd, int images,
                                int positions, int channels);
void gelu_forward_cuda(float *out, const float *inp, size_t n);
void gelu_backward_cuda(float *dinp, const float *inp, const float *dout, size_t n);
void attention_forward_cuda(float *out, float *probs, const float *qkv, const AttentionMask *mask, int batch, int seq,
                            int dim, int heads);
void attention_backward_cuda(float *dqkv, float *dscores, const float *dout, const float *probs, const float *qkv,
                             const AttentionMask *mask, int batch, int seq, int dim, int heads);
void softmax_logprob_forward_cuda(float *logprob, float *entropy, float *probs_inout, const int *targets, int rows,
                                  int vocab);
void softmax_logprob_backward_cuda(float *dlogits, const float *dlogprob, const float *probs, const int *targets,
                                   int rows, int vocab);
extern const KernelOps kernel_ops_cuda;

// out[i] += inp[i]
void residual_add_cuda(float *out, const float *inp, size_t n);

// Global L2 norm of a device block (double accumulation in a fixed order).
double grad_norm_cuda(const float *grads, size_t count);
// One AdamW update of `count` parameters: g *= clip_scale (written back), then the moments and
// parameters as train/adamw.c does, with `decay` (0 or the weight decay) for this tensor.
void adamw_update_cuda(float *params, float *grads, float *m, float *v, size_t count, float learning_rate,
                       float beta1, float beta2, float epsilon, float decay, float clip_scale, float correction1,
                       float correction2);

// Rollout sampling, one row per block: tokens[r] from logits (rows, vocab) at `temperature`
// (0: greedy) and `top_p`, with uniforms[r] in [0, 1) (the caller draws them with rng_hash, as
// model_generate does); logprobs[r] = log p(token) at temperature 1. Same rule as the CPU's
// generate.c: probabilities in double, top-p keeps the most probable tokens (ties by id) until
// their mass reaches top_p, then the first token whose cumulative mass exceeds u · kept mass.
// `scratch` holds rows * vocab * 3 floats (device).
void sample_tokens_cuda(int *tokens, float *logprobs, const float *logits, const double *uniforms, float *scratch,
                        int rows, int vocab, float temperature, float top_p);

// ---- the whole model on the device --------------------------------------------------------------
typedef struct CudaModel {
    ModelConfig config;
    int max_batch;
    size_t param_count;
    ModelTensor *tensors; // a host copy of the CPU model's table
    int tensor_count;
    float *params, *grads, *moments; // device blocks; moments = m then v (2 * param_count)
    int64_t adam_step;
    void *state; // private: device activations, batch buffers, parameter views
} CudaModel;

// Sizes the device model like `host` (same config and layout) for batches of up to max_batch rows
// and uploads host's parameters. Plain models only: a config with the candidate head or pointer
// (model_candidate.c) is refused with a message.
int cuda_model_create(CudaModel *gpu, const Model *host, int max_batch, Error *err);
void cuda_model_free(CudaModel *gpu);
int cuda_model_upload_parameters(CudaModel *gpu, const float *host_params, Error *err);
int cuda_model_download_parameters(const CudaModel *gpu, float *host_params, Error *err);
int cuda_model_download_gradients(const CudaModel *gpu, float *host_grads, Error *err);
void cuda_model_zero_grad(CudaModel *gpu);
// As model_forward / model_backward (batch and results in host memory; uploads the batch).
int cuda_model_forward(CudaModel *gpu, const ModelBatch *batch, float *logprobs, float *entropy, Error *err);
int cuda_model_backward(CudaModel *gpu, const ModelBatch *batch, const float *dlogprobs, Error *err);
// As adamw_update: clips to config->clip_norm, updates, returns the norm before clipping (NaN/Inf:
// nothing updated). Weight decay on tensors of rank >= 2, as the CPU.
double cuda_model_adamw_update(CudaModel *gpu, const CudaAdamWConfig *config, float learning_rate);
// Rollouts without a KV cache: each of `n_samples` rows continues `prompt` (images shared) for up
// to max_new_tokens, re-running the forward over the whole sequence per token. Sampling draws
// u = rng_hash(seed, sample, RNG_PURPOSE_SAMPLING, position) as model_generate does.
int cuda_model_generate(CudaModel *gpu, const float *images, const int *prompt, int prompt_len, int n_samples,
                        const GenerateOptions *options, int *out_tokens, int *out_lengths, Error *err);

#ifdef __cplusplus
}
#endif

#endif
