// cuda_sample.cu — rollout sampling on the device, one block per row, with generate.c's rule:
// probabilities at the temperature in double, top-p over tokens ranked by probability (ties by id),
// then the first token whose cumulative mass exceeds u · kept mass. Ranks are counted in parallel
// (O(V²) compares spread over the block), the final scan is sequential as on the CPU.
#include "cuda/cuda_internal.cuh"

__global__ static void sample_kernel(int *tokens, float *logprobs, const float *logits, const double *uniforms,
                                     float *scratch, int vocab, float temperature, float top_p) {
    __shared__ float shared[32];
    __shared__ double shared_double[32];
    __shared__ int shared_index[32];
    const float *x = logits + (size_t)blockIdx.x * vocab;
    float *probs = scratch + (size_t)blockIdx.x * vocab * 3;
    int *order = (int *)(probs + vocab);
    // max and the first index holding it (as the CPU's strict '>' scan)
    float max = -INFINITY;
    int argmax = vocab;
    for (int v = threadIdx.x; v < vocab; v += blockDim.x)
        if (x[v] > max) max = x[v], argmax = v;
    float block_maximum = block_max(max, shared);
    int candidate = max == block_maximum ? argmax : vocab;
    for (int offset = 16; offset > 0; offset >>= 1) candidate = min(candidate, __shfl_xor_sync(0xffffffffu, candidate, offset));
    if ((threadIdx.x & 31) == 0) shared_index[threadIdx.x >> 5] = candidate;
    __syncthreads();
    if (threadIdx.x == 0) {
        for (int w = 1; w < (int)(blockDim.x >> 5); w++) shared_index[0] = min(shared_index[0], shared_index[w]);
    }
    __syncthreads();
    argmax = shared_index[0];
    max = block_maximum;
    double sum = 0.0;
    for (int v = threadIdx.x; v < vocab; v += blockDim.x) sum += exp((double)x[v] - max);
    double log_sum = log(block_sum_double(sum, shared_double));
    int token = argmax;
    if (temperature > 0.0f) {
        double total = 0.0;
        for (int v = threadIdx.x; v < vocab; v += blockDim.x)
            total += (probs[v] = (float)exp(((double)x[v] - max) / temperature));
        total = block_sum_double(total, shared_double);
        for (int v = threadIdx.x; v < vocab; v += blockDim.x) probs[v] = (float)(probs[v] / total);
        __syncthreads();
        // order[rank] = token: by probability, descending, ties by id (identity when top_p is 1)
        for (int v = threadIdx.x; v < vocab; v += blockDim.x) {
            int rank = v;
            if (top_p < 1.0f) {
                rank = 0;
                float pv = probs[v];
                for (int w = 0; w < vocab; w++) rank += probs[w] > pv || (probs[w] == pv && w < v);
            }
            order[rank] = v;
        }
        __syncthreads();
        if (threadIdx.x == 0) {
            int kept = vocab;
            double kept_mass = 1.0;
            if (top_p < 1.0f) {
                double cumulative = 0.0;
                for (kept = 0; kept < vocab;) {
                    cumulative += probs[order[kept++]];
                    if (cumulative >= top_p) break;
                }
                kept_mass = cumulative;
            }
            double u = uniforms[blockIdx.x] * kept_mass, cumulative = 0.0;
            token = order[kept - 1];
            for (int i = 0; i < kept; i++) {
                cumulative += probs[order[i]];
                if (u < cumulative) {
                    token = order[i];
                    break;
                }
            }
        }
    }
    if (threadIdx.x == 0) {
        tokens[blockIdx.x] = token;
        logprobs[blockIdx.x] = (float)((double)x[token] - max - log_sum);
    }
}

extern "C" void sample_tokens_cuda(int *tokens, float *logprobs, const float *logits, const double *uniforms,
                                   float *scratch, int rows, int vocab, float temperature, float top_p) {
    if (rows > 0)
        sample_kernel<<<rows, CUDA_THREADS>>>(tokens, logprobs, logits, uniforms, scratch, vocab, temperature, top_p);
}
