// kernels_matmul.c — the linear layer: out = inp · weightᵀ + bias (PyTorch's nn.Linear layout).
// Reference: triple loops. Fast: OpenBLAS sgemm on fixed-size pieces (row blocks for the output
// and d(input), output-feature blocks for d(weight)) run on OpenMP threads, with OpenBLAS itself
// single-threaded meanwhile. The pieces depend only on the shapes, never on the thread count, so
// results are identical at any thread count, and one thread pool (OpenMP) owns the cores instead of
// two pools spinning against each other.
#include <cblas.h>
#include <stdlib.h>

#include "model/kernels.h"

#define MATMUL_ROW_BLOCK 512 // rows per sgemm call for the output and d(input)
#define MATMUL_WEIGHT_PIECES 1
#define MATMUL_WEIGHT_CHUNK_ROWS 8192 // rows per partial d(weight) when d(input) is not wanted // d(weight) is split into this many output-feature blocks

int kernels_blas_serial_begin(void) {
    int previous = openblas_get_num_threads();
    if (previous != 1) openblas_set_num_threads(1);
    return previous;
}

void kernels_blas_serial_end(int previous) {
    if (previous != 1) openblas_set_num_threads(previous);
}

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
    int previous = kernels_blas_serial_begin(), blocks = (rows + MATMUL_ROW_BLOCK - 1) / MATMUL_ROW_BLOCK;
#pragma omp parallel for schedule(dynamic, 1) if (blocks > 1)
    for (int block = 0; block < blocks; block++) {
        int r0 = block * MATMUL_ROW_BLOCK, n = rows - r0 < MATMUL_ROW_BLOCK ? rows - r0 : MATMUL_ROW_BLOCK;
        float *y = out + (size_t)r0 * out_dim;
        // (n, out_dim) starts as the bias, then sgemm accumulates onto it
        if (bias)
            for (int r = 0; r < n; r++)
                for (int o = 0; o < out_dim; o++) y[(size_t)r * out_dim + o] = bias[o];
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out_dim, in_dim, 1.0f, inp + (size_t)r0 * in_dim,
                    in_dim, weight, in_dim, bias ? 1.0f : 0.0f, y, out_dim);
    }
    kernels_blas_serial_end(previous);
}

// d(weight) alone over many rows (a convolution's weight gradient): fixed chunks of rows each give
// a partial product on their own thread, added in chunk order (the same at any thread count).
// Returns 0 when it could not allocate its scratch (the caller falls back to one sgemm).
static int matmul_weight_grad_chunked(float *dweight, float *dbias, const float *dout, const float *inp, int rows,
                                      int in_dim, int out_dim) {
    int chunks = (rows + MATMUL_WEIGHT_CHUNK_ROWS - 1) / MATMUL_WEIGHT_CHUNK_ROWS;
    size_t size = (size_t)out_dim * in_dim;
    float *partial = malloc(sizeof(float) * size * chunks);
    if (!partial) return 0;
#pragma omp parallel for schedule(dynamic, 1)
    for (int k = 0; k < chunks; k++) {
        int r0 = k * MATMUL_WEIGHT_CHUNK_ROWS, n = rows - r0 < MATMUL_WEIGHT_CHUNK_ROWS ? rows - r0 : MATMUL_WEIGHT_CHUNK_ROWS;
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out_dim, in_dim, n, 1.0f, dout + (size_t)r0 * out_dim,
                    out_dim, inp + (size_t)r0 * in_dim, in_dim, 0.0f, partial + size * k, in_dim);
    }
#pragma omp parallel for schedule(static) if (size > 65536)
    for (size_t i = 0; i < size; i++) {
        float sum = dweight[i];
        for (int k = 0; k < chunks; k++) sum += partial[size * k + i];
        dweight[i] = sum;
    }
    free(partial);
    if (dbias)
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < out_dim; o++) dbias[o] += dout[(size_t)r * out_dim + o];
    return 1;
}

void matmul_backward_fast(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                          const float *weight, int rows, int in_dim, int out_dim) {
    if (rows == 0) return;
    if (!dinp && dweight && rows >= 2 * MATMUL_WEIGHT_CHUNK_ROWS) {
        int previous = kernels_blas_serial_begin(), done = matmul_weight_grad_chunked(dweight, dbias, dout, inp, rows,
                                                                                      in_dim, out_dim);
        kernels_blas_serial_end(previous);
        if (done) return;
    }
    int previous = kernels_blas_serial_begin(), blocks = (rows + MATMUL_ROW_BLOCK - 1) / MATMUL_ROW_BLOCK;
    int pieces = (dweight || dbias) ? MATMUL_WEIGHT_PIECES : 0, piece = (out_dim + pieces - 1) / (pieces ? pieces : 1);
    // tasks [0, pieces): d(weight) and d(bias) by blocks of output features (the long ones, first);
    // tasks [pieces, pieces + blocks): d(input) by row blocks. Every task owns its outputs.
#pragma omp parallel for schedule(dynamic, 1) if ((double)rows * in_dim * out_dim > 262144.0)
    for (int task = 0; task < pieces + (dinp ? blocks : 0); task++) {
        if (task < pieces) {
            // dweight (n, in_dim) += dout[:, o0:o0+n]ᵀ · inp
            int o0 = task * piece, n = out_dim - o0 < piece ? out_dim - o0 : piece;
            if (n <= 0) continue;
            if (dweight)
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, in_dim, rows, 1.0f, dout + o0, out_dim, inp,
                            in_dim, 1.0f, dweight + (size_t)o0 * in_dim, in_dim);
            if (dbias)
                for (int r = 0; r < rows; r++)
                    for (int o = o0; o < o0 + n; o++) dbias[o] += dout[(size_t)r * out_dim + o];
        } else {
            // dinp (n, in_dim) += dout (n, out_dim) · weight (out_dim, in_dim)
            int r0 = (task - pieces) * MATMUL_ROW_BLOCK, n = rows - r0 < MATMUL_ROW_BLOCK ? rows - r0 : MATMUL_ROW_BLOCK;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, in_dim, out_dim, 1.0f, dout + (size_t)r0 * out_dim,
                        out_dim, weight, in_dim, 1.0f, dinp + (size_t)r0 * in_dim, in_dim);
        }
    }
    kernels_blas_serial_end(previous);
}
