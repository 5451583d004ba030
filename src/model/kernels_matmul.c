// kernels_matmul.c — the linear layer: out = inp · weightᵀ + bias (PyTorch's nn.Linear layout).
// Reference: triple loops. Fast: OpenBLAS sgemm (its threads split rows/columns, never the inner
// sum, so results do not depend on the thread count) and OpenMP over bias columns.
#include <cblas.h>

#include "model/kernels.h"

void matmul_forward_reference(float *out, const float *inp, const float *weight, const float *bias, int rows,
                              int in_dim, int out_dim) {
    // (rows, out_dim) = (rows, in_dim) · (out_dim, in_dim)ᵀ
    for (int r = 0; r < rows; r++) {
        const float *x = inp + (size_t)r * in_dim;
        for (int o = 0; o < out_dim; o++) {
            const float *w = weight + (size_t)o * in_dim;
            float sum = bias ? bias[o] : 0.0f;
            for (int i = 0; i < in_dim; i++) sum += x[i] * w[i];
            out[(size_t)r * out_dim + o] = sum;
        }
    }
}

void matmul_backward_reference(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                               const float *weight, int rows, int in_dim, int out_dim) {
    for (int r = 0; r < rows; r++) {
        const float *g = dout + (size_t)r * out_dim;
        const float *x = inp + (size_t)r * in_dim;
        for (int o = 0; o < out_dim; o++) {
            const float *w = weight + (size_t)o * in_dim;
            if (dinp)
                for (int i = 0; i < in_dim; i++) dinp[(size_t)r * in_dim + i] += g[o] * w[i];
            if (dweight)
                for (int i = 0; i < in_dim; i++) dweight[(size_t)o * in_dim + i] += g[o] * x[i];
            if (dbias) dbias[o] += g[o];
        }
    }
}

void matmul_forward_fast(float *out, const float *inp, const float *weight, const float *bias, int rows,
                         int in_dim, int out_dim) {
    if (rows == 0) return;
    if (bias) {
        // (rows, out_dim) starts as the bias, then sgemm accumulates onto it
#pragma omp parallel for schedule(static)
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < out_dim; o++) out[(size_t)r * out_dim + o] = bias[o];
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, out_dim, in_dim, 1.0f, inp, in_dim, weight, in_dim,
                bias ? 1.0f : 0.0f, out, out_dim);
}

void matmul_backward_fast(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                          const float *weight, int rows, int in_dim, int out_dim) {
    if (rows == 0) return;
    // dinp (rows, in_dim) += dout (rows, out_dim) · weight (out_dim, in_dim)
    if (dinp)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, in_dim, out_dim, 1.0f, dout, out_dim, weight,
                    in_dim, 1.0f, dinp, in_dim);
    // dweight (out_dim, in_dim) += doutᵀ · inp
    if (dweight)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out_dim, in_dim, rows, 1.0f, dout, out_dim, inp, in_dim,
                    1.0f, dweight, in_dim);
    if (dbias) {
        // each thread owns a slice of columns; rows are summed in order
#pragma omp parallel for schedule(static)
        for (int o = 0; o < out_dim; o++) {
            float sum = 0.0f;
            for (int r = 0; r < rows; r++) sum += dout[(size_t)r * out_dim + o];
            dbias[o] += sum;
        }
    }
}
