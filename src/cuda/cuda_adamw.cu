// cuda_adamw.cu — the optimizer on the device: the global gradient norm (double, two fixed-shape
// reduction passes: the same order every run) and AdamW with the clip scale fused in, element for
// element the update of train/adamw.c.
#include "cuda/cuda_internal.cuh"

#define NORM_BLOCKS 512

__global__ static void squares_kernel(double *partial, const float *g, size_t count) {
    __shared__ double shared[32];
    double sum = 0.0;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < count; i += (size_t)gridDim.x * blockDim.x)
        sum += (double)g[i] * g[i];
    sum = block_sum_double(sum, shared);
    if (threadIdx.x == 0) partial[blockIdx.x] = sum;
}

__global__ static void partial_sum_kernel(double *out, const double *partial, int n) {
    __shared__ double shared[32];
    double sum = 0.0;
    for (int i = threadIdx.x; i < n; i += blockDim.x) sum += partial[i];
    sum = block_sum_double(sum, shared);
    if (threadIdx.x == 0) *out = sum;
}

extern "C" double grad_norm_cuda(const float *grads, size_t count) {
    double *partial = (double *)cuda_workspace(2 * (NORM_BLOCKS + 1));
    if (!partial) return NAN;
    squares_kernel<<<NORM_BLOCKS, CUDA_THREADS>>>(partial, grads, count);
    partial_sum_kernel<<<1, CUDA_THREADS>>>(partial + NORM_BLOCKS, partial, NORM_BLOCKS);
    double total = NAN;
    if (cudaMemcpy(&total, partial + NORM_BLOCKS, sizeof total, cudaMemcpyDeviceToHost) != cudaSuccess) return NAN;
    return sqrt(total);
}

__global__ static void adamw_kernel(float *p, float *g, float *m, float *v, size_t count, float lr, float beta1,
                                    float beta2, float epsilon, float decay, float clip_scale, float correction1,
                                    float correction2) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= count) return;
    float grad = g[i];
    if (clip_scale != 1.0f) g[i] = grad = grad * clip_scale;
    float mi = m[i] = beta1 * m[i] + (1.0f - beta1) * grad;
    float vi = v[i] = beta2 * v[i] + (1.0f - beta2) * grad * grad;
    float m_hat = mi / correction1, v_hat = vi / correction2;
    p[i] -= lr * (m_hat / (sqrtf(v_hat) + epsilon) + decay * p[i]);
}

extern "C" void adamw_update_cuda(float *params, float *grads, float *m, float *v, size_t count, float learning_rate,
                                  float beta1, float beta2, float epsilon, float decay, float clip_scale,
                                  float correction1, float correction2) {
    if (count)
        adamw_kernel<<<cuda_grid(count, CUDA_THREADS), CUDA_THREADS>>>(params, grads, m, v, count, learning_rate, beta1,
                                                                       beta2, epsilon, decay, clip_scale, correction1,
                                                                       correction2);
}
