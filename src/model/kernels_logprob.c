// kernels_logprob.c — the output head's softmax: log-probability of each target token and the
// entropy of the predictive distribution, and the gradient back to the logits.
// Rows are independent: the fast path runs rows on OpenMP threads, with a vectorised exp.
#include <math.h>

#include "model/kernels.h"
#include "model/kernels_simd.h"

static inline void softmax_row_forward(float *logprob, float *entropy, float *x, int target, int vocab) {
    float max = -INFINITY;
    for (int v = 0; v < vocab; v++)
        if (x[v] > max) max = x[v];
    float sum = 0.0f, weighted = 0.0f;
    for (int v = 0; v < vocab; v++) {
        float e = expf(x[v] - max);
        weighted += e * (x[v] - max);
        sum += e;
    }
    float log_sum = logf(sum);
    *logprob = target >= 0 ? x[target] - max - log_sum : 0.0f;
    if (entropy) *entropy = log_sum - weighted / sum; // −Σ p log p with log p = x − max − log Σ
    float inv = 1.0f / sum;
    for (int v = 0; v < vocab; v++) x[v] = expf(x[v] - max) * inv;
}

// The fast row: the same math with kernels_simd.h's vectorised exp.
static inline void softmax_row_forward_simd(float *logprob, float *entropy, float *x, int target, int vocab) {
    float max = -INFINITY;
    for (int v = 0; v < vocab; v++) max = x[v] > max ? x[v] : max;
    float picked = target >= 0 ? x[target] : 0.0f, weighted;
    float sum = exp_shifted_sum_weighted(x, vocab, max, &weighted), log_sum = logf(sum);
    *logprob = target >= 0 ? picked - max - log_sum : 0.0f;
    if (entropy) *entropy = log_sum - weighted / sum;
    float inv = 1.0f / sum;
    for (int v = 0; v < vocab; v++) x[v] *= inv;
}

static inline void softmax_row_backward(float *dlogits, float dlogprob, const float *p, int target, int vocab) {
    if (target < 0) dlogprob = 0.0f;
    for (int v = 0; v < vocab; v++) dlogits[v] = -dlogprob * p[v];
    if (target >= 0) dlogits[target] += dlogprob;
}

void softmax_logprob_forward_reference(float *logprob, float *entropy, float *probs_inout, const int *targets,
                                       int rows, int vocab) {
    // (rows, vocab)
    for (int r = 0; r < rows; r++)
        softmax_row_forward(logprob + r, entropy ? entropy + r : NULL, probs_inout + (size_t)r * vocab, targets[r],
                            vocab);
}

void softmax_logprob_forward_fast(float *logprob, float *entropy, float *probs_inout, const int *targets, int rows,
                                  int vocab) {
#pragma omp parallel for schedule(dynamic, 16) if (rows > 16)
    for (int r = 0; r < rows; r++)
        softmax_row_forward_simd(logprob + r, entropy ? entropy + r : NULL, probs_inout + (size_t)r * vocab, targets[r],
                            vocab);
}

void softmax_logprob_backward_reference(float *dlogits, const float *dlogprob, const float *probs,
                                        const int *targets, int rows, int vocab) {
    for (int r = 0; r < rows; r++)
        softmax_row_backward(dlogits + (size_t)r * vocab, dlogprob[r], probs + (size_t)r * vocab, targets[r], vocab);
}

void softmax_logprob_backward_fast(float *dlogits, const float *dlogprob, const float *probs, const int *targets,
                                   int rows, int vocab) {
#pragma omp parallel for schedule(dynamic, 16) if (rows > 16)
    for (int r = 0; r < rows; r++)
        softmax_row_backward(dlogits + (size_t)r * vocab, dlogprob[r], probs + (size_t)r * vocab, targets[r], vocab);
}
