// kernels_layernorm.c — LayerNorm over the last dimension (eps 1e-5, biased variance, as PyTorch).
// The per-row math is shared; the fast path runs rows on OpenMP threads and sums the weight and
// bias gradients per block of 16 columns (each block a task's own output, rows summed in order).
#include <math.h>

#include "model/kernels.h"

#define LAYERNORM_EPS 1e-5f

static inline void layernorm_row_forward(float *out, float *mean_out, float *rstd_out, const float *x,
                                         const float *weight, const float *bias, int dim) {
    float mean = 0.0f;
    for (int i = 0; i < dim; i++) mean += x[i];
    mean /= dim;
    float var = 0.0f;
    for (int i = 0; i < dim; i++) var += (x[i] - mean) * (x[i] - mean);
    var /= dim;
    float rstd = 1.0f / sqrtf(var + LAYERNORM_EPS);
    for (int i = 0; i < dim; i++) out[i] = (x[i] - mean) * rstd * weight[i] + bias[i];
    *mean_out = mean;
    *rstd_out = rstd;
}

// dinp of one row: dx = rstd · (dy·w − mean(dy·w) − x̂ · mean(dy·w·x̂))
static inline void layernorm_row_backward_input(float *dinp, const float *dout, const float *x, const float *weight,
                                                float mean, float rstd, int dim) {
    float sum_dnorm = 0.0f, sum_dnorm_norm = 0.0f;
    for (int i = 0; i < dim; i++) {
        float norm = (x[i] - mean) * rstd, dnorm = dout[i] * weight[i];
        sum_dnorm += dnorm;
        sum_dnorm_norm += dnorm * norm;
    }
    sum_dnorm /= dim;
    sum_dnorm_norm /= dim;
    for (int i = 0; i < dim; i++) {
        float norm = (x[i] - mean) * rstd, dnorm = dout[i] * weight[i];
        dinp[i] += (dnorm - sum_dnorm - norm * sum_dnorm_norm) * rstd;
    }
}

void layernorm_forward_reference(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                                 const float *bias, int rows, int dim) {
    // (rows, dim)
    for (int r = 0; r < rows; r++)
        layernorm_row_forward(out + (size_t)r * dim, mean + r, rstd + r, inp + (size_t)r * dim, weight, bias, dim);
}

void layernorm_forward_fast(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                            const float *bias, int rows, int dim) {
#pragma omp parallel for schedule(dynamic, 32) if (rows > 64)
    for (int r = 0; r < rows; r++)
        layernorm_row_forward(out + (size_t)r * dim, mean + r, rstd + r, inp + (size_t)r * dim, weight, bias, dim);
}

void layernorm_backward_reference(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                                  const float *weight, const float *mean, const float *rstd, int rows, int dim) {
    for (int r = 0; r < rows; r++) {
        const float *g = dout + (size_t)r * dim, *x = inp + (size_t)r * dim;
        for (int i = 0; i < dim; i++) {
            if (dweight) dweight[i] += g[i] * (x[i] - mean[r]) * rstd[r];
            if (dbias) dbias[i] += g[i];
        }
        if (dinp) layernorm_row_backward_input(dinp + (size_t)r * dim, g, x, weight, mean[r], rstd[r], dim);
    }
}

void layernorm_backward_fast(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                             const float *weight, const float *mean, const float *rstd, int rows, int dim) {
#pragma omp parallel if (rows > 64)
    {
        if (dweight || dbias) {
            // (dim) in blocks of 16 columns, each block a task that sums the rows in order
#pragma omp for schedule(dynamic, 1) nowait
            for (int c0 = 0; c0 < dim; c0 += 16) {
                int c1 = c0 + 16 < dim ? c0 + 16 : dim;
                float sum_w[16] = {0}, sum_b[16] = {0};
                for (int r = 0; r < rows; r++) {
                    const float *g = dout + (size_t)r * dim, *x = inp + (size_t)r * dim;
                    for (int i = c0; i < c1; i++) {
                        sum_w[i - c0] += g[i] * (x[i] - mean[r]) * rstd[r];
                        sum_b[i - c0] += g[i];
                    }
                }
                for (int i = c0; i < c1; i++) {
                    if (dweight) dweight[i] += sum_w[i - c0];
                    if (dbias) dbias[i] += sum_b[i - c0];
                }
            }
        }
        if (dinp) {
#pragma omp for schedule(dynamic, 32)
            for (int r = 0; r < rows; r++)
                layernorm_row_backward_input(dinp + (size_t)r * dim, dout + (size_t)r * dim, inp + (size_t)r * dim,
                                             weight, mean[r], rstd[r], dim);
        }
    }
}
