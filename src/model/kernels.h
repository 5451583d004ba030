// kernels.h — the model's layers as forward/backward pairs, each in two versions: a plain
// reference loop (the oracle, checked against PyTorch and finite differences) and a fast path
// (OpenBLAS sgemm, OpenMP over disjoint outputs, fixed reduction order so the result does not
// depend on the thread count). KernelOps bundles one version of each so model.c picks a set.
//
// Argument order follows STYLE.md: outputs, saved activations, inputs, parameters, dimensions.
// Backward functions accumulate (+=) into every gradient they write; a NULL gradient is skipped.
#ifndef IAR_MODEL_KERNELS_H
#define IAR_MODEL_KERNELS_H

#include <stddef.h>

// Which keys a query may attend to in one batch row (the prefix-LM mask): every image token, the
// text prefix (t < prefix_len) bidirectionally, later text causally; padding (t >= text_len) never.
typedef struct AttentionMask {
    int image_tokens;      // tokens of all five images, at sequence positions [0, image_tokens)
    const int *text_len;   // (B)
    const int *prefix_len; // (B)
} AttentionMask;

// 1 when sequence position `query` may attend to sequence position `key` in row b.
static inline int attention_mask_allows(const AttentionMask *mask, int b, int query, int key) {
    int t_key = key - mask->image_tokens;
    if (t_key < 0) return 1;
    if (t_key >= mask->text_len[b]) return 0;
    if (t_key < mask->prefix_len[b]) return 1;
    int t_query = query - mask->image_tokens;
    return t_query >= mask->prefix_len[b] && t_key <= t_query;
}

typedef struct KernelOps {
    // out (rows, out_dim) = inp (rows, in_dim) · weightᵀ (out_dim, in_dim) + bias (out_dim, may be NULL)
    void (*matmul_forward)(float *out, const float *inp, const float *weight, const float *bias, int rows,
                           int in_dim, int out_dim);
    void (*matmul_backward)(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                            const float *weight, int rows, int in_dim, int out_dim);
    // 3x3 convolution, padding 1, stride 1 or 2, channel-last (images, height, width, channels) layout;
    // bias (and dbias) may be NULL.
    // `col` (images * out_h * out_w, 9 * in_ch) is im2col scratch (the CPU fast path uses a few
    // cache-sized bands of it and refills them in backward; CUDA keeps it for backward).
    void (*conv2d_forward)(float *out, float *col, const float *inp, const float *weight, const float *bias,
                           int images, int height, int width, int in_ch, int out_ch, int stride);
    // The fast backward overwrites `col` with d(col) (backward runs once per forward).
    void (*conv2d_backward)(float *dinp, float *dweight, float *dbias, const float *dout, float *col,
                            const float *inp, const float *weight, int images, int height, int width, int in_ch,
                            int out_ch, int stride);
    // LayerNorm over the last dimension (eps 1e-5), saving mean and 1/std per row.
    void (*layernorm_forward)(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                              const float *bias, int rows, int dim);
    void (*layernorm_backward)(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                               const float *weight, const float *mean, const float *rstd, int rows, int dim);
    // Per image and channel over the spatial positions (GroupNorm(C, C), eps 1e-5), channel-last
    // (images, positions, channels); mean and rstd (images, channels) saved for backward.
    void (*instancenorm_forward)(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                                 const float *bias, int images, int positions, int channels);
    void (*instancenorm_backward)(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                                  const float *weight, const float *mean, const float *rstd, int images,
                                  int positions, int channels);
    // GELU, tanh approximation (as GPT-2 and PyTorch's approximate="tanh").
    void (*gelu_forward)(float *out, const float *inp, size_t n);
    void (*gelu_backward)(float *dinp, const float *inp, const float *dout, size_t n);
    // Multi-head attention over qkv (B, N, 3*dim) = [q | k | v], heads side by side in each.
    // out (B, N, dim); probs (B, heads, N, N) holds the softmax (0 where masked) for backward.
    void (*attention_forward)(float *out, float *probs, const float *qkv, const AttentionMask *mask, int batch,
                              int seq, int dim, int heads);
    // dscores (B, heads, N, N) is scratch for the fast path (the reference passes through NULL).
    void (*attention_backward)(float *dqkv, float *dscores, const float *dout, const float *probs, const float *qkv,
                               const AttentionMask *mask, int batch, int seq, int dim, int heads);
    // In place: logits (rows, vocab) become probabilities; logprob[r] = log p(target[r]) (0 when the
    // target is -1); entropy[r] (may be NULL) = −Σ p log p.
    void (*softmax_logprob_forward)(float *logprob, float *entropy, float *probs_inout, const int *targets,
                                    int rows, int vocab);
    // dlogits (rows, vocab) = dlogprob[r] * (onehot(target) − p); written, not accumulated (a scratch).
    void (*softmax_logprob_backward)(float *dlogits, const float *dlogprob, const float *probs,
                                     const int *targets, int rows, int vocab);
} KernelOps;

extern const KernelOps kernel_ops_reference;
extern const KernelOps kernel_ops_fast;

// The fast kernels run OpenBLAS single-threaded inside their own OpenMP split; these bracket that
// (saving and restoring the caller's OpenBLAS thread count). Call outside parallel regions.
int kernels_blas_serial_begin(void);
void kernels_blas_serial_end(int previous);

// The individual kernels (each file defines its reference and fast versions).
void matmul_forward_reference(float *out, const float *inp, const float *weight, const float *bias, int rows,
                              int in_dim, int out_dim);
void matmul_forward_fast(float *out, const float *inp, const float *weight, const float *bias, int rows,
                         int in_dim, int out_dim);
void matmul_backward_reference(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                               const float *weight, int rows, int in_dim, int out_dim);
void matmul_backward_fast(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                          const float *weight, int rows, int in_dim, int out_dim);

int conv2d_output_size(int size, int stride); // padding 1, kernel 3
void conv2d_forward_reference(float *out, float *col, const float *inp, const float *weight, const float *bias,
                              int images, int height, int width, int in_ch, int out_ch, int stride);
void conv2d_forward_fast(float *out, float *col, const float *inp, const float *weight, const float *bias,
                         int images, int height, int width, int in_ch, int out_ch, int stride);
void conv2d_backward_reference(float *dinp, float *dweight, float *dbias, const float *dout, float *col,
                               const float *inp, const float *weight, int images, int height, int width,
                               int in_ch, int out_ch, int stride);
void conv2d_backward_fast(float *dinp, float *dweight, float *dbias, const float *dout, float *col,
                          const float *inp, const float *weight, int images, int height, int width, int in_ch,
                          int out_ch, int stride);

void layernorm_forward_reference(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                                 const float *bias, int rows, int dim);
void layernorm_forward_fast(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                            const float *bias, int rows, int dim);
void layernorm_backward_reference(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                                  const float *weight, const float *mean, const float *rstd, int rows, int dim);
void layernorm_backward_fast(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                             const float *weight, const float *mean, const float *rstd, int rows, int dim);

void instancenorm_forward_reference(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                                    const float *bias, int images, int positions, int channels);
void instancenorm_forward_fast(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                               const float *bias, int images, int positions, int channels);
void instancenorm_backward_reference(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                                     const float *weight, const float *mean, const float *rstd, int images,
                                     int positions, int channels);
void instancenorm_backward_fast(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                                const float *weight, const float *mean, const float *rstd, int images,
                                int positions, int channels);

// Batch norm (training mode) over the rows of (rows, channels); mean and rstd (channels) saved for
// backward. batchnorm_inference uses running statistics (one plain loop: no fast twin needed).
// channels <= BATCHNORM_MAX_CHANNELS.
#define BATCHNORM_MAX_CHANNELS 4096
// Synchronised batch norm for data-parallel training: the statistics are over every process's rows
// together. `sum` adds the other processes' `count` values into `values` in place (every process
// makes the same calls in the same order); `rows` counts the rows of all processes; `failed` is set
// when a sum failed (the outputs are then meaningless). Parameter gradients stay this process's
// own (the trainer sums them with the rest). NULL: this call's rows are the whole batch.
typedef struct BatchnormSync {
    int (*sum)(void *user, double *values, int count);
    void *user;
    long rows;
    int failed;
} BatchnormSync;
void batchnorm_forward_reference(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                                 const float *bias, int rows, int channels, BatchnormSync *sync);
void batchnorm_forward_fast(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                            const float *bias, int rows, int channels, BatchnormSync *sync);
void batchnorm_backward_reference(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                                  const float *weight, const float *mean, const float *rstd, int rows, int channels,
                                  BatchnormSync *sync);
void batchnorm_backward_fast(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                             const float *weight, const float *mean, const float *rstd, int rows, int channels,
                             BatchnormSync *sync);
void batchnorm_inference(float *out, const float *inp, const float *weight, const float *bias,
                         const float *running_mean, const float *running_var, int rows, int channels);

void gelu_forward_reference(float *out, const float *inp, size_t n);
void gelu_forward_fast(float *out, const float *inp, size_t n);
void gelu_backward_reference(float *dinp, const float *inp, const float *dout, size_t n);
void gelu_backward_fast(float *dinp, const float *inp, const float *dout, size_t n);

void attention_forward_reference(float *out, float *probs, const float *qkv, const AttentionMask *mask, int batch,
                                 int seq, int dim, int heads);
void attention_forward_fast(float *out, float *probs, const float *qkv, const AttentionMask *mask, int batch,
                            int seq, int dim, int heads);
void attention_backward_reference(float *dqkv, float *dscores, const float *dout, const float *probs,
                                  const float *qkv, const AttentionMask *mask, int batch, int seq, int dim, int heads);
void attention_backward_fast(float *dqkv, float *dscores, const float *dout, const float *probs, const float *qkv,
                             const AttentionMask *mask, int batch, int seq, int dim, int heads);

void softmax_logprob_forward_reference(float *logprob, float *entropy, float *probs_inout, const int *targets,
                                       int rows, int vocab);
void softmax_logprob_forward_fast(float *logprob, float *entropy, float *probs_inout, const int *targets,
                                  int rows, int vocab);
void softmax_logprob_backward_reference(float *dlogits, const float *dlogprob, const float *probs,
                                        const int *targets, int rows, int vocab);
void softmax_logprob_backward_fast(float *dlogits, const float *dlogprob, const float *probs, const int *targets,
                                   int rows, int vocab);

// One query row against `keys` cached keys/values (generation): out (head_dim * heads) for q (dim);
// k and v rows are `stride` floats apart. `scores` is scratch of `keys` floats.
void attention_decode_row(float *out, float *scores, const float *q, const float *k, const float *v,
                          size_t stride, int keys, int dim, int heads);

#endif
