// cuda_attention.cu — multi-head attention with the prefix-LM mask on the device, shaped like the
// CPU fast path (kernels_attention.c): the four products per (row, head) are cuBLAS strided-batched
// sgemms over the heads (heads are head_dim columns apart in qkv), and the masked softmax and its
// backward are one block per (row, head, query). Every sum has a fixed order: deterministic.
// Layouts as kernels.h: qkv (B, N, 3·dim) = [q | k | v], out (B, N, dim), probs (B, heads, N, N).
// A row-major (r, c) matrix with leading dimension L is a column-major (c × r) one: the products
// below are written on those views.
#include "cuda/cuda_internal.cuh"

#define ATTENTION_THREADS 128

// Block (bh, i): the scores row becomes the softmax over the allowed keys, 0 elsewhere.
__global__ static void attention_softmax_kernel(float *probs, const AttentionMask mask, int seq, int heads) {
    __shared__ float shared[32];
    int row = blockIdx.x, i = row % seq, b = row / seq / heads;
    float *p = probs + (size_t)row * seq, max = -INFINITY;
    for (int j = threadIdx.x; j < seq; j += blockDim.x)
        if (attention_allows_device(mask, b, i, j)) max = fmaxf(max, p[j]);
    max = block_max(max, shared);
    float sum = 0.0f;
    for (int j = threadIdx.x; j < seq; j += blockDim.x)
        if (attention_allows_device(mask, b, i, j)) sum += expf(p[j] - max);
    float inv = 1.0f / block_sum(sum, shared);
    for (int j = threadIdx.x; j < seq; j += blockDim.x)
        p[j] = attention_allows_device(mask, b, i, j) ? expf(p[j] - max) * inv : 0.0f;
}

// Block (bh, i): dS = P ∘ (dP − Σ_j P dP) in place of dP (masked entries have P = 0).
__global__ static void attention_dsoftmax_kernel(float *dscores, const float *probs, int seq) {
    __shared__ float shared[32];
    const float *p = probs + (size_t)blockIdx.x * seq;
    float *ds = dscores + (size_t)blockIdx.x * seq, weighted = 0.0f;
    for (int j = threadIdx.x; j < seq; j += blockDim.x) weighted += p[j] * ds[j];
    weighted = block_sum(weighted, shared);
    for (int j = threadIdx.x; j < seq; j += blockDim.x) ds[j] = p[j] * (ds[j] - weighted);
}

// C_h = alpha · op(A_h) · op(B_h) + beta · C_h for every head h of one batch row.
static void heads_gemm(cublasOperation_t op_a, cublasOperation_t op_b, int m, int n, int k, float alpha,
                       const float *a, int lda, long long stride_a, const float *b, int ldb, long long stride_b,
                       float beta, float *c, int ldc, long long stride_c, int heads) {
    cuda_blas_status(cublasSgemmStridedBatched(cuda_blas(), op_a, op_b, m, n, k, &alpha, a, lda, stride_a, b, ldb,
                                               stride_b, &beta, c, ldc, stride_c, heads));
}

extern "C" void attention_forward_cuda(float *out, float *probs, const float *qkv, const AttentionMask *mask, int batch,
                                       int seq, int dim, int heads) {
    int hd = dim / heads, ld = 3 * dim;
    long long square = (long long)seq * seq;
    if (batch * seq == 0) return;
    float scale = 1.0f / sqrtf((float)hd);
    for (int b = 0; b < batch; b++) {
        const float *q = qkv + (size_t)b * seq * ld, *k = q + dim;
        // S (N, N) = scale · Q Kᵀ: column-major Sᵀ = scale · (Kᵀ-view)ᵀ (Qᵀ-view)
        heads_gemm(CUBLAS_OP_T, CUBLAS_OP_N, seq, seq, hd, scale, k, ld, hd, q, ld, hd, 0.0f,
                   probs + (size_t)b * heads * square, seq, square, heads);
    }
    attention_softmax_kernel<<<(unsigned)(batch * heads * seq), ATTENTION_THREADS>>>(probs, *mask, seq, heads);
    for (int b = 0; b < batch; b++) {
        const float *v = qkv + (size_t)b * seq * ld + 2 * dim;
        // O (N, hd) = P V: column-major Oᵀ = Vᵀ-view · Pᵀ-view
        heads_gemm(CUBLAS_OP_N, CUBLAS_OP_N, hd, seq, seq, 1.0f, v, ld, hd, probs + (size_t)b * heads * square, seq,
                   square, 0.0f, out + (size_t)b * seq * dim, dim, hd, heads);
    }
}

extern "C" void attention_backward_cuda(float *dqkv, float *dscores, const float *dout, const float *probs,
                                        const float *qkv, const AttentionMask *mask, int batch, int seq, int dim,
                                        int heads) {
    (void)mask; // masked entries have P = 0, so they get dS = 0 and contribute nothing
    int hd = dim / heads, ld = 3 * dim;
    long long square = (long long)seq * seq;
    if (batch * seq == 0) return;
    float scale = 1.0f / sqrtf((float)hd);
    for (int b = 0; b < batch; b++) {
        const float *g = dout + (size_t)b * seq * dim, *p = probs + (size_t)b * heads * square;
        const float *v = qkv + (size_t)b * seq * ld + 2 * dim;
        float *dv = dqkv + (size_t)b * seq * ld + 2 * dim, *ds = dscores + (size_t)b * heads * square;
        // dV += Pᵀ G: column-major dVᵀ += Gᵀ-view · (Pᵀ-view)ᵀ
        heads_gemm(CUBLAS_OP_N, CUBLAS_OP_T, hd, seq, seq, 1.0f, g, dim, hd, p, seq, square, 1.0f, dv, ld, hd, heads);
        // dP = G Vᵀ: column-major dPᵀ = (Vᵀ-view)ᵀ · Gᵀ-view
        heads_gemm(CUBLAS_OP_T, CUBLAS_OP_N, seq, seq, hd, 1.0f, v, ld, hd, g, dim, hd, 0.0f, ds, seq, square, heads);
    }
    attention_dsoftmax_kernel<<<(unsigned)(batch * heads * seq), ATTENTION_THREADS>>>(dscores, probs, seq);
    for (int b = 0; b < batch; b++) {
        const float *q = qkv + (size_t)b * seq * ld, *k = q + dim, *ds = dscores + (size_t)b * heads * square;
        float *dq = dqkv + (size_t)b * seq * ld, *dk = dq + dim;
        // dQ += scale · dS K: column-major dQᵀ += scale · Kᵀ-view · dSᵀ-view
        heads_gemm(CUBLAS_OP_N, CUBLAS_OP_N, hd, seq, seq, scale, k, ld, hd, ds, seq, square, 1.0f, dq, ld, hd, heads);
        // dK += scale · dSᵀ Q: column-major dKᵀ += scale · Qᵀ-view · (dSᵀ-view)ᵀ
        heads_gemm(CUBLAS_OP_N, CUBLAS_OP_T, hd, seq, seq, scale, q, ld, hd, ds, seq, square, 1.0f, dk, ld, hd, heads);
    }
}
