// cuda_matmul.cu — the linear layer on cuBLAS: out = inp · weightᵀ + bias, row-major as kernels.h.
// A row-major (r, c) matrix is a column-major (c, r) one, so every product below is written on the
// transposed, column-major views; bias gradients are column sums by gemv against ones.
#include "cuda/cuda_internal.cuh"

__global__ static void bias_broadcast_kernel(float *out, const float *bias, int rows, int out_dim) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < (size_t)rows * out_dim) out[i] = bias[i % out_dim];
}

extern "C" void matmul_forward_cuda(float *out, const float *inp, const float *weight, const float *bias, int rows,
                                    int in_dim, int out_dim) {
    if (rows <= 0) return;
    const float one = 1.0f, beta = bias ? 1.0f : 0.0f;
    if (bias) bias_broadcast_kernel<<<cuda_grid((size_t)rows * out_dim, CUDA_THREADS), CUDA_THREADS>>>(out, bias, rows, out_dim);
    // (out_dim, rows) = weightᵀ-view (out_dim, in_dim) · inp-view (in_dim, rows)
    cuda_blas_status(cublasSgemm(cuda_blas(), CUBLAS_OP_T, CUBLAS_OP_N, out_dim, rows, in_dim, &one, weight, in_dim,
                                 inp, in_dim, &beta, out, out_dim));
}

extern "C" void matmul_backward_cuda(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                                     const float *weight, int rows, int in_dim, int out_dim) {
    if (rows <= 0) return;
    const float one = 1.0f;
    cublasHandle_t h = cuda_blas();
    // dinp-view (in_dim, rows) += weight-view (in_dim, out_dim) · dout-view (out_dim, rows)
    if (dinp)
        cuda_blas_status(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, in_dim, rows, out_dim, &one, weight, in_dim, dout,
                                     out_dim, &one, dinp, in_dim));
    // dweight-view (in_dim, out_dim) += inp-view (in_dim, rows) · dout-viewᵀ (rows, out_dim)
    if (dweight)
        cuda_blas_status(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_T, in_dim, out_dim, rows, &one, inp, in_dim, dout,
                                     out_dim, &one, dweight, in_dim));
    if (dbias) cuda_column_sums(dbias, dout, rows, out_dim);
}
