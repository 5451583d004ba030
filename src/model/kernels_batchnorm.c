// kernels_batchnorm.c — batch norm over the rows of a channel-last (rows, channels) activation:
// per channel, centred and scaled by the statistics of all rows (every image and position of the
// batch), then an affine per channel (PyTorch's BatchNorm2d in training mode, eps 1e-5).
// Reference: plain loops, double sums in row order. Fast: the rows are cut into fixed chunks whose
// partial sums run on OpenMP threads and are added in chunk order, so the result does not depend
// on the thread count. With a BatchnormSync the sums are added over processes before they are used
// (synchronised batch norm of a data-parallel step; every process then holds the same statistics).
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/kernels.h"

#define BATCHNORM_EPS 1e-5
#define BATCHNORM_CHUNK 512 // rows per partial sum in the fast path

// The rows the statistics are over (every process's with a sync), and the sum over processes.
static double batch_rows(const BatchnormSync *sync, int rows) { return sync ? (double)sync->rows : (double)rows; }
static void sync_sum(BatchnormSync *sync, double *values, int count) {
    if (sync && sync->sum(sync->user, values, count) != 0) sync->failed = 1;
}

void batchnorm_forward_reference(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                                 const float *bias, int rows, int channels, BatchnormSync *sync) {
    // (rows, channels); channels <= BATCHNORM_MAX_CHANNELS (tower_config_validate)
    double sum[BATCHNORM_MAX_CHANNELS], m[BATCHNORM_MAX_CHANNELS], n = batch_rows(sync, rows);
    for (int c = 0; c < channels; c++) {
        sum[c] = 0;
        for (int r = 0; r < rows; r++) sum[c] += inp[(size_t)r * channels + c];
    }
    sync_sum(sync, sum, channels);
    for (int c = 0; c < channels; c++) {
        m[c] = sum[c] / n;
        sum[c] = 0;
        for (int r = 0; r < rows; r++) {
            double d = inp[(size_t)r * channels + c] - m[c];
            sum[c] += d * d;
        }
    }
    sync_sum(sync, sum, channels);
    for (int c = 0; c < channels; c++) {
        double s = 1.0 / sqrt(sum[c] / n + BATCHNORM_EPS);
        mean[c] = (float)m[c];
        rstd[c] = (float)s;
        for (int r = 0; r < rows; r++) {
            size_t i = (size_t)r * channels + c;
            out[i] = (float)((inp[i] - m[c]) * s) * weight[c] + bias[c];
        }
    }
}

void batchnorm_backward_reference(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                                  const float *weight, const float *mean, const float *rstd, int rows, int channels,
                                  BatchnormSync *sync) {
    double sums[2 * BATCHNORM_MAX_CHANNELS], *sum_dy = sums, *sum_dy_xhat = sums + channels;
    for (int c = 0; c < channels; c++) {
        sum_dy[c] = sum_dy_xhat[c] = 0;
        for (int r = 0; r < rows; r++) {
            size_t i = (size_t)r * channels + c;
            double xhat = (inp[i] - mean[c]) * rstd[c];
            sum_dy[c] += dout[i];
            sum_dy_xhat[c] += dout[i] * xhat;
        }
        // this process's rows only: the trainer sums the parameter gradients over processes
        if (dweight) dweight[c] += (float)sum_dy_xhat[c];
        if (dbias) dbias[c] += (float)sum_dy[c];
    }
    if (!dinp) return;
    sync_sum(sync, sums, 2 * channels);
    double n = batch_rows(sync, rows);
    for (int c = 0; c < channels; c++) {
        double g = weight[c] * rstd[c];
        for (int r = 0; r < rows; r++) {
            size_t i = (size_t)r * channels + c;
            double xhat = (inp[i] - mean[c]) * rstd[c];
            dinp[i] += (float)(g * (dout[i] - sum_dy[c] / n - xhat * sum_dy_xhat[c] / n));
        }
    }
}

// Per-channel sums over the rows, in fixed chunks of BATCHNORM_CHUNK rows: chunk k's partial sums
// (double, rows in order) run on any thread, then the chunks are added in order. The loops over
// channels are vector loops (one double accumulator per channel, no reordering).
typedef enum { SUM_X, SUM_SQUARED_DEVIATION, SUM_DY_AND_DY_XHAT } ChunkSum;

// SUM_X: total[c] = Σ x; SUM_SQUARED_DEVIATION: Σ (x − mean)²; SUM_DY_AND_DY_XHAT: total[c] = Σ dy
// and total[channels + c] = Σ dy·xhat (x = a, dy = b).
static void chunk_sums(double *total, ChunkSum what, const float *a, const float *b, const float *mean,
                       const float *rstd, int rows, int channels) {
    int chunks = (rows + BATCHNORM_CHUNK - 1) / BATCHNORM_CHUNK, width = what == SUM_DY_AND_DY_XHAT ? 2 : 1;
    double *partial = calloc((size_t)chunks * width * channels, sizeof *partial);
    if (!partial) { // one chunk, the same rows in the same order
        chunks = 1;
        partial = total;
        memset(total, 0, sizeof *total * width * channels);
    }
    int chunk_rows = partial == total ? rows : BATCHNORM_CHUNK;
#pragma omp parallel for schedule(static) if (chunks > 1)
    for (int k = 0; k < chunks; k++) {
        double *p = partial + (size_t)k * width * channels, *q = p + channels;
        int r1 = (k + 1) * chunk_rows < rows ? (k + 1) * chunk_rows : rows;
        for (int r = k * chunk_rows; r < r1; r++) {
            const float *x = a + (size_t)r * channels, *dy = b ? b + (size_t)r * channels : NULL;
            switch (what) {
            case SUM_X:
#pragma omp simd
                for (int c = 0; c < channels; c++) p[c] += x[c];
                break;
            case SUM_SQUARED_DEVIATION:
#pragma omp simd
                for (int c = 0; c < channels; c++) {
                    double d = x[c] - (double)mean[c];
                    p[c] += d * d;
                }
                break;
            case SUM_DY_AND_DY_XHAT:
#pragma omp simd
                for (int c = 0; c < channels; c++) {
                    p[c] += dy[c];
                    q[c] += (double)dy[c] * ((x[c] - mean[c]) * rstd[c]);
                }
                break;
            }
        }
    }
    if (partial == total) return;
    memset(total, 0, sizeof *total * width * channels);
    for (int k = 0; k < chunks; k++)
        for (int c = 0; c < width * channels; c++) total[c] += partial[(size_t)k * width * channels + c];
    free(partial);
}

void batchnorm_forward_fast(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                            const float *bias, int rows, int channels, BatchnormSync *sync) {
    double sum[BATCHNORM_MAX_CHANNELS], n = batch_rows(sync, rows);
    chunk_sums(sum, SUM_X, inp, NULL, NULL, NULL, rows, channels);
    sync_sum(sync, sum, channels);
    for (int c = 0; c < channels; c++) mean[c] = (float)(sum[c] / n);
    chunk_sums(sum, SUM_SQUARED_DEVIATION, inp, NULL, mean, NULL, rows, channels);
    sync_sum(sync, sum, channels);
    for (int c = 0; c < channels; c++) rstd[c] = (float)(1.0 / sqrt(sum[c] / n + BATCHNORM_EPS));
    // (rows, channels) element-wise, as the reference rounds it: ((x − mean)·rstd)·γ + β
#pragma omp parallel for schedule(static) if ((size_t)rows * channels > 65536)
    for (int r = 0; r < rows; r++) {
        const float *x = inp + (size_t)r * channels;
        float *y = out + (size_t)r * channels;
#pragma omp simd
        for (int c = 0; c < channels; c++) y[c] = (x[c] - mean[c]) * rstd[c] * weight[c] + bias[c];
    }
}

void batchnorm_backward_fast(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                             const float *weight, const float *mean, const float *rstd, int rows, int channels,
                             BatchnormSync *sync) {
    double sum_dy[2 * BATCHNORM_MAX_CHANNELS], *sum_dy_xhat = sum_dy + channels;
    float k1[3 * BATCHNORM_MAX_CHANNELS];
    chunk_sums(sum_dy, SUM_DY_AND_DY_XHAT, inp, dout, mean, rstd, rows, channels);
    for (int c = 0; c < channels; c++) { // this process's rows: the trainer sums parameter gradients
        if (dweight) dweight[c] += (float)sum_dy_xhat[c];
        if (dbias) dbias[c] += (float)sum_dy[c];
    }
    if (dinp) {
        sync_sum(sync, sum_dy, 2 * channels);
        double n = batch_rows(sync, rows);
        float *k2 = k1 + channels, *k3 = k2 + channels;
        for (int c = 0; c < channels; c++) { // dx = g·(dy − mean(dy) − xhat·mean(dy·xhat)), g = γ·rstd
            k1[c] = weight[c] * rstd[c];
            k2[c] = (float)(sum_dy[c] / n);
            k3[c] = (float)(sum_dy_xhat[c] / n);
        }
#pragma omp parallel for schedule(static) if ((size_t)rows * channels > 65536)
        for (int r = 0; r < rows; r++) {
            const float *x = inp + (size_t)r * channels, *dy = dout + (size_t)r * channels;
            float *dx = dinp + (size_t)r * channels;
#pragma omp simd
            for (int c = 0; c < channels; c++) {
                float xhat = (x[c] - mean[c]) * rstd[c];
                dx[c] += k1[c] * (dy[c] - k2[c] - xhat * k3[c]);
            }
        }
    }
}

void batchnorm_inference(float *out, const float *inp, const float *weight, const float *bias,
                         const float *running_mean, const float *running_var, int rows, int channels) {
#pragma omp parallel for schedule(static) if ((size_t)rows * channels > 65536)
    for (int r = 0; r < rows; r++) {
        const float *x = inp + (size_t)r * channels;
        float *y = out + (size_t)r * channels;
        for (int c = 0; c < channels; c++)
            y[c] = (x[c] - running_mean[c]) / sqrtf(running_var[c] + (float)BATCHNORM_EPS) * weight[c] + bias[c];
    }
}
