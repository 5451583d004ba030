// cuda_layers.cu — the element- and row-wise layers: LayerNorm (a warp per row), the stem's
// InstanceNorm (a block per image and 32 channels), GELU (tanh approximation), the softmax log-prob
// head (a block per row) and the residual add. Reductions run in a fixed order, so results do not
// change from run to run.
#include "cuda/cuda_internal.cuh"

#define LAYERNORM_EPS 1e-5f
#define GELU_SCALE 0.7978845608028654f // sqrt(2/pi)
#define GELU_CUBIC 0.044715f
#define ROWS_PER_BLOCK 8 // LayerNorm: one warp per row

__global__ static void layernorm_forward_kernel(float *out, float *mean_out, float *rstd_out, const float *inp,
                                                const float *weight, const float *bias, int rows, int dim) {
    int row = blockIdx.x * ROWS_PER_BLOCK + (threadIdx.x >> 5), lane = threadIdx.x & 31;
    if (row >= rows) return;
    const float *x = inp + (size_t)row * dim;
    float sum = 0.0f;
    for (int i = lane; i < dim; i += 32) sum += x[i];
    float mean = warp_sum(sum) / dim;
    float var = 0.0f;
    for (int i = lane; i < dim; i += 32) var += (x[i] - mean) * (x[i] - mean);
    float rstd = rsqrtf(warp_sum(var) / dim + LAYERNORM_EPS);
    float *y = out + (size_t)row * dim;
    for (int i = lane; i < dim; i += 32) y[i] = (x[i] - mean) * rstd * weight[i] + bias[i];
    if (lane == 0) {
        mean_out[row] = mean;
        rstd_out[row] = rstd;
    }
}

// dinp (+=) per row; with `scratch` (rows, dim) also writes dout · x̂ there for the weight gradient.
__global__ static void layernorm_backward_kernel(float *dinp, float *scratch, const float *dout, const float *inp,
                                                 const float *weight, const float *mean, const float *rstd, int rows,
                                                 int dim) {
    int row = blockIdx.x * ROWS_PER_BLOCK + (threadIdx.x >> 5), lane = threadIdx.x & 31;
    if (row >= rows) return;
    const float *g = dout + (size_t)row * dim, *x = inp + (size_t)row * dim;
    float mu = mean[row], rs = rstd[row], sum_dnorm = 0.0f, sum_dnorm_norm = 0.0f;
    for (int i = lane; i < dim; i += 32) {
        float norm = (x[i] - mu) * rs, dnorm = g[i] * weight[i];
        sum_dnorm += dnorm;
        sum_dnorm_norm += dnorm * norm;
        if (scratch) scratch[(size_t)row * dim + i] = g[i] * norm;
    }
    sum_dnorm = warp_sum(sum_dnorm) / dim;
    sum_dnorm_norm = warp_sum(sum_dnorm_norm) / dim;
    if (!dinp) return;
    float *dx = dinp + (size_t)row * dim;
    for (int i = lane; i < dim; i += 32) {
        float norm = (x[i] - mu) * rs, dnorm = g[i] * weight[i];
        dx[i] += (dnorm - sum_dnorm - norm * sum_dnorm_norm) * rs;
    }
}

extern "C" void layernorm_forward_cuda(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                                       const float *bias, int rows, int dim) {
    if (rows <= 0) return;
    unsigned blocks = (unsigned)((rows + ROWS_PER_BLOCK - 1) / ROWS_PER_BLOCK);
    layernorm_forward_kernel<<<blocks, 32 * ROWS_PER_BLOCK>>>(out, mean, rstd, inp, weight, bias, rows, dim);
}

extern "C" void layernorm_backward_cuda(float *dinp, float *dweight, float *dbias, const float *dout,
                                        const float *inp, const float *weight, const float *mean, const float *rstd,
                                        int rows, int dim) {
    if (rows <= 0) return;
    float *scratch = dweight ? cuda_workspace((size_t)rows * dim) : NULL;
    unsigned blocks = (unsigned)((rows + ROWS_PER_BLOCK - 1) / ROWS_PER_BLOCK);
    layernorm_backward_kernel<<<blocks, 32 * ROWS_PER_BLOCK>>>(dinp, scratch, dout, inp, weight, mean, rstd, rows,
                                                                dim);
    if (dweight) cuda_column_sums(dweight, scratch, rows, dim);
    if (dbias) cuda_column_sums(dbias, dout, rows, dim);
}

// InstanceNorm over channel-last (images, positions, channels): a block of IN_CHANNELS x IN_ROWS
// threads per (image, IN_CHANNELS channels); thread (x, y) reads channel c0 + x at positions y,
// y + IN_ROWS, ... (coalesced across channels), then column x of the partial sums is added up in
// order of y. Out-of-range channels take part in the barriers but touch no memory.
#define IN_CHANNELS 32
#define IN_ROWS 8

// Σ over y of part[y][x] in a fixed order, for every thread of column x (two barriers).
__device__ __forceinline__ float instancenorm_column_sum(float v, float (*part)[IN_CHANNELS + 1]) {
    part[threadIdx.y][threadIdx.x] = v;
    __syncthreads();
    float total = 0.0f;
    for (int y = 0; y < IN_ROWS; y++) total += part[y][threadIdx.x];
    __syncthreads();
    return total;
}

__global__ static void instancenorm_forward_kernel(float *out, float *mean_out, float *rstd_out, const float *inp,
                                                   const float *weight, const float *bias, int positions,
                                                   int channels) {
    __shared__ float part[IN_ROWS][IN_CHANNELS + 1];
    int c = blockIdx.x * IN_CHANNELS + threadIdx.x, n = blockIdx.y, active = c < channels;
    size_t base = (size_t)n * positions * channels + c;
    const float *x = inp + base;
    float sum = 0.0f;
    if (active)
        for (int p = threadIdx.y; p < positions; p += IN_ROWS) sum += x[(size_t)p * channels];
    float mean = instancenorm_column_sum(sum, part) / positions;
    float var = 0.0f;
    if (active)
        for (int p = threadIdx.y; p < positions; p += IN_ROWS) {
            float d = x[(size_t)p * channels] - mean;
            var += d * d;
        }
    float rstd = 1.0f / sqrtf(instancenorm_column_sum(var, part) / positions + LAYERNORM_EPS);
    if (!active) return;
    float w = weight[c], b = bias[c], *y = out + base;
    for (int p = threadIdx.y; p < positions; p += IN_ROWS)
        y[(size_t)p * channels] = (x[(size_t)p * channels] - mean) * rstd * w + b;
    if (threadIdx.y == 0) {
        mean_out[(size_t)n * channels + c] = mean;
        rstd_out[(size_t)n * channels + c] = rstd;
    }
}

// dinp (+=) per (image, channel); with `scratch` also writes Σ_p dout · x̂ (scratch) and Σ_p dout
// (scratch + images * channels) per (image, channel) for the weight and bias gradients.
__global__ static void instancenorm_backward_kernel(float *dinp, float *scratch, const float *dout, const float *inp,
                                                    const float *weight, const float *mean, const float *rstd,
                                                    int positions, int channels) {
    __shared__ float part[IN_ROWS][IN_CHANNELS + 1];
    int c = blockIdx.x * IN_CHANNELS + threadIdx.x, n = blockIdx.y, active = c < channels;
    size_t base = (size_t)n * positions * channels + c, stat = (size_t)n * channels + c;
    const float *x = inp + base, *g = dout + base;
    float mu = active ? mean[stat] : 0.0f, rs = active ? rstd[stat] : 0.0f, w = active ? weight[c] : 0.0f;
    float sum_g = 0.0f, sum_g_norm = 0.0f;
    if (active)
        for (int p = threadIdx.y; p < positions; p += IN_ROWS) {
            size_t i = (size_t)p * channels;
            sum_g += g[i];
            sum_g_norm += g[i] * (x[i] - mu) * rs;
        }
    sum_g = instancenorm_column_sum(sum_g, part);
    sum_g_norm = instancenorm_column_sum(sum_g_norm, part);
    if (!active) return;
    if (scratch && threadIdx.y == 0) {
        scratch[stat] = sum_g_norm;
        scratch[(size_t)gridDim.y * channels + stat] = sum_g;
    }
    if (!dinp) return;
    // mean_p(dout · w) and mean_p(dout · w · x̂)
    float a = sum_g * w / positions, b = sum_g_norm * w / positions, *dx = dinp + base;
    for (int p = threadIdx.y; p < positions; p += IN_ROWS) {
        size_t i = (size_t)p * channels;
        dx[i] += (g[i] * w - a - (x[i] - mu) * rs * b) * rs;
    }
}

extern "C" void instancenorm_forward_cuda(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                                          const float *bias, int images, int positions, int channels) {
    if (images <= 0 || positions <= 0 || channels <= 0) return;
    dim3 grid((unsigned)((channels + IN_CHANNELS - 1) / IN_CHANNELS), (unsigned)images), block(IN_CHANNELS, IN_ROWS);
    instancenorm_forward_kernel<<<grid, block>>>(out, mean, rstd, inp, weight, bias, positions, channels);
}

extern "C" void instancenorm_backward_cuda(float *dinp, float *dweight, float *dbias, const float *dout,
                                           const float *inp, const float *weight, const float *mean,
                                           const float *rstd, int images, int positions, int channels) {
    if (images <= 0 || positions <= 0 || channels <= 0) return;
    size_t stats = (size_t)images * channels;
    float *scratch = dweight || dbias ? cuda_workspace(2 * stats) : NULL;
    dim3 grid((unsigned)((channels + IN_CHANNELS - 1) / IN_CHANNELS), (unsigned)images), block(IN_CHANNELS, IN_ROWS);
    instancenorm_backward_kernel<<<grid, block>>>(dinp, scratch, dout, inp, weight, mean, rstd, positions, channels);
    // the per-image sums, added over images in order (gemv against ones)
    if (dweight) cuda_column_sums(dweight, scratch, images, channels);
    if (dbias) cuda_column_sums(dbias, scratch + stats, images, channels);
}

__global__ static void gelu_forward_kernel(float *out, const float *inp, size_t n) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    float x = inp[i];
    out[i] = 0.5f * x * (1.0f + tanhf(GELU_SCALE * (x + GELU_CUBIC * x * x * x)));
}

__global__ static void gelu_backward_kernel(float *dinp, const float *inp, const float *dout, size_t n) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    float x = inp[i], t = tanhf(GELU_SCALE * (x + GELU_CUBIC * x * x * x));
    float derivative = 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * GELU_SCALE * (1.0f + 3.0f * GELU_CUBIC * x * x);
    dinp[i] += derivative * dout[i];
}

extern "C" void gelu_forward_cuda(float *out, const float *inp, size_t n) {
    if (n) gelu_forward_kernel<<<cuda_grid(n, CUDA_THREADS), CUDA_THREADS>>>(out, inp, n);
}

extern "C" void gelu_backward_cuda(float *dinp, const float *inp, const float *dout, size_t n) {
    if (n) gelu_backward_kernel<<<cuda_grid(n, CUDA_THREADS), CUDA_THREADS>>>(dinp, inp, dout, n);
}

__global__ static void residual_add_kernel(float *out, const float *inp, size_t n) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) out[i] += inp[i];
}

extern "C" void residual_add_cuda(float *out, const float *inp, size_t n) {
    if (n) residual_add_kernel<<<cuda_grid(n, CUDA_THREADS), CUDA_THREADS>>>(out, inp, n);
}

// One block per row: max, Σ e, Σ e·(x − max), then the target's log-prob and the probabilities.
__global__ static void softmax_logprob_forward_kernel(float *logprob, float *entropy, float *probs,
                                                      const int *targets, int vocab) {
    __shared__ float shared[32];
    __shared__ float row_stats[2];
    float *x = probs + (size_t)blockIdx.x * vocab;
    float max = -INFINITY;
    for (int v = threadIdx.x; v < vocab; v += blockDim.x) max = fmaxf(max, x[v]);
    max = block_max(max, shared);
    float sum = 0.0f, weighted = 0.0f;
    for (int v = threadIdx.x; v < vocab; v += blockDim.x) {
        float e = expf(x[v] - max);
        sum += e;
        weighted += e * (x[v] - max);
    }
    sum = block_sum(sum, shared);
    weighted = block_sum(weighted, shared);
    if (threadIdx.x == 0) {
        float log_sum = logf(sum);
        int target = targets[blockIdx.x];
        logprob[blockIdx.x] = target >= 0 ? x[target] - max - log_sum : 0.0f;
        if (entropy) entropy[blockIdx.x] = log_sum - weighted / sum;
        row_stats[0] = max;
        row_stats[1] = 1.0f / sum;
    }
    __syncthreads(); // x[target] was read before any thread overwrites the row
    for (int v = threadIdx.x; v < vocab; v += blockDim.x) x[v] = expf(x[v] - row_stats[0]) * row_stats[1];
}

__global__ static void softmax_logprob_backward_kernel(float *dlogits, const float *dlogprob, const float *probs,
                                                       const int *targets, int rows, int vocab) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (size_t)rows * vocab) return;
    int r = (int)(i / vocab), v = (int)(i % vocab), target = targets[r];
    float d = target >= 0 ? dlogprob[r] : 0.0f;
    dlogits[i] = -d * probs[i] + (v == target ? d : 0.0f);
}

extern "C" void softmax_logprob_forward_cuda(float *logprob, float *entropy, float *probs_inout, const int *targets,
                                             int rows, int vocab) {
    if (rows > 0) softmax_logprob_forward_kernel<<<rows, CUDA_THREADS>>>(logprob, entropy, probs_inout, targets, vocab);
}

extern "C" void softmax_logprob_backward_cuda(float *dlogits, const float *dlogprob, const float *probs,
                                              const int *targets, int rows, int vocab) {
    size_t n = (size_t)rows * vocab;
    if (n) softmax_logprob_backward_kernel<<<cuda_grid(n, CUDA_THREADS), CUDA_THREADS>>>(dlogits, dlogprob, probs,
                                                                                        targets, rows, vocab);
}
