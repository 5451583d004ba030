// cuda_internal.cuh — what the .cu files share: the process's cuBLAS handle, the sticky error,
// the growable workspace, launch sizes and block reductions.
#ifndef IAR_CUDA_CUDA_INTERNAL_CUH
#define IAR_CUDA_CUDA_INTERNAL_CUH

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "cuda/cuda.h"

#define CUDA_THREADS 256

// The handle every kernel-level sgemm uses (created on first use, on the default stream).
cublasHandle_t cuda_blas(void);
// Remembers the first failing cuBLAS status for cuda_check.
void cuda_blas_status(cublasStatus_t status);
// A device scratch of at least `floats` floats, reused across calls (grows, never shrinks).
float *cuda_workspace(size_t floats);
// A device vector of at least n ones (for column sums by gemv).
const float *cuda_ones(size_t n);
// out (cols) += Σ_rows inp (rows, cols), by gemv against ones: deterministic.
void cuda_column_sums(float *out, const float *inp, int rows, int cols);

static inline unsigned cuda_grid(size_t n, int threads) {
    size_t blocks = (n + (size_t)threads - 1) / (size_t)threads;
    return (unsigned)(blocks > 0 ? blocks : 1);
}

__device__ __forceinline__ float warp_sum(float v) {
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
    return v;
}

struct SumOp {
    template <typename T> __device__ __forceinline__ T operator()(T a, T b) const { return a + b; }
};
struct MaxOp {
    template <typename T> __device__ __forceinline__ T operator()(T a, T b) const { return fmaxf(a, b); }
};

// Block-wide reduction (blockDim.x a multiple of 32, at most 1024); every thread gets the result.
// `shared` holds 32 values; it syncs before returning so it can be called again at once.
template <typename T, typename Op> __device__ __forceinline__ T block_reduce(T v, T identity, T *shared, Op op) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    for (int offset = 16; offset > 0; offset >>= 1) v = op(v, __shfl_xor_sync(0xffffffffu, v, offset));
    if (lane == 0) shared[warp] = v;
    __syncthreads();
    T total = lane < warps ? shared[lane] : identity;
    for (int offset = 16; offset > 0; offset >>= 1) total = op(total, __shfl_xor_sync(0xffffffffu, total, offset));
    __syncthreads();
    return total;
}

__device__ __forceinline__ float block_sum(float v, float *shared) { return block_reduce(v, 0.0f, shared, SumOp()); }
__device__ __forceinline__ float block_max(float v, float *shared) {
    return block_reduce(v, -INFINITY, shared, MaxOp());
}
__device__ __forceinline__ double block_sum_double(double v, double *shared) {
    return block_reduce(v, 0.0, shared, SumOp());
}

// The prefix-LM mask of kernels.h, on the device (text_len/prefix_len are device pointers).
__device__ __forceinline__ int attention_allows_device(const AttentionMask mask, int b, int query, int key) {
    int t_key = key - mask.image_tokens;
    if (t_key < 0) return 1;
    if (t_key >= mask.text_len[b]) return 0;
    if (t_key < mask.prefix_len[b]) return 1;
    int t_query = query - mask.image_tokens;
    return t_query >= mask.prefix_len[b] && t_key <= t_query;
}

#endif
