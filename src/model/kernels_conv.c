// kernels_conv.c — the 3x3 padding-1 convolution (stride 1 or 2) of the stem and the vision tower,
// channel-last layout. Reference: direct loops over PyTorch's (out, in, 3, 3) weight. Fast: im2col +
// sgemm band by band (below); backward: d(weight) = doutᵀ · col from the col the forward saved, and
// d(input) band by band: d(col) = dout · weight into a cache-sized slice of col, then col2im.
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "model/kernels.h"

#ifdef _OPENMP
#include <omp.h>
#endif

int conv2d_output_size(int size, int stride) { return (size - 1) / stride + 1; }

void conv2d_forward_reference(float *out, float *col, const float *inp, const float *weight, const float *bias,
                              int images, int height, int width, int in_ch, int out_ch, int stride) {
    int out_h = conv2d_output_size(height, stride), out_w = conv2d_output_size(width, stride);
    // (images, out_h, out_w, out_ch)
    for (int n = 0; n < images; n++)
        for (int oy = 0; oy < out_h; oy++)
            for (int ox = 0; ox < out_w; ox++)
                for (int co = 0; co < out_ch; co++) {
                    float sum = bias ? bias[co] : 0.0f;
                    for (int ci = 0; ci < in_ch; ci++)
                        for (int ky = 0; ky < 3; ky++)
                            for (int kx = 0; kx < 3; kx++) {
                                int iy = oy * stride - 1 + ky, ix = ox * stride - 1 + kx;
                                if (iy < 0 || iy >= height || ix < 0 || ix >= width) continue;
                                sum += weight[((size_t)co * in_ch + ci) * 9 + ky * 3 + kx] *
                                       inp[(((size_t)n * height + iy) * width + ix) * in_ch + ci];
                            }
                    out[(((size_t)n * out_h + oy) * out_w + ox) * out_ch + co] = sum;
                }
}

void conv2d_backward_reference(float *dinp, float *dweight, float *dbias, const float *dout, float *col,
                               const float *inp, const float *weight, int images, int height, int width, int in_ch,
                               int out_ch, int stride) {
    int out_h = conv2d_output_size(height, stride), out_w = conv2d_output_size(width, stride);
    for (int n = 0; n < images; n++)
        for (int oy = 0; oy < out_h; oy++)
            for (int ox = 0; ox < out_w; ox++)
                for (int co = 0; co < out_ch; co++) {
                    float g = dout[(((size_t)n * out_h + oy) * out_w + ox) * out_ch + co];
                    if (dbias) dbias[co] += g;
                    for (int ci = 0; ci < in_ch; ci++)
                        for (int ky = 0; ky < 3; ky++)
                            for (int kx = 0; kx < 3; kx++) {
                                int iy = oy * stride - 1 + ky, ix = ox * stride - 1 + kx;
                                if (iy < 0 || iy >= height || ix < 0 || ix >= width) continue;
                                size_t wi = ((size_t)co * in_ch + ci) * 9 + ky * 3 + kx;
                                size_t xi = (((size_t)n * height + iy) * width + ix) * in_ch + ci;
                                if (dweight) dweight[wi] += g * inp[xi];
                                if (dinp) dinp[xi] += g * weight[wi];
                            }
                }
}

// The 9 input pixels (channel vectors) a 3x3 window at (oy, ox) reads; NULL outside the image.
static void conv2d_window(const float *taps[9], const float *image, int oy, int ox, int height, int width, int in_ch,
                          int stride) {
    for (int ky = 0; ky < 3; ky++)
        for (int kx = 0; kx < 3; kx++) {
            int iy = oy * stride - 1 + ky, ix = ox * stride - 1 + kx;
            int inside = iy >= 0 && iy < height && ix >= 0 && ix < width;
            taps[ky * 3 + kx] = inside ? image + ((size_t)iy * width + ix) * in_ch : NULL;
        }
}

// The fast path's col rows are tap-major: (positions, 9 taps, in_ch), so a tap is one contiguous
// channel vector (a copy in im2col, a vector add in col2im); the weight is reordered to match,
// (out_ch, in_ch, 9) → (out_ch, 9, in_ch), in a scratch copy (out_ch·in_ch·9 floats, small).
// Work goes in bands of CONV_BAND output positions so each band's col rows are still in cache
// when the sgemm (forward) or col2im (backward) reads them.
#define CONV_BAND 256

// dst (out_ch, 9, in_ch) = weight (out_ch, in_ch, 9)
static void conv2d_weight_to_taps(float *dst, const float *weight, int out_ch, int in_ch) {
    for (int co = 0; co < out_ch; co++)
        for (int ci = 0; ci < in_ch; ci++)
            for (int t = 0; t < 9; t++)
                dst[((size_t)co * 9 + t) * in_ch + ci] = weight[((size_t)co * in_ch + ci) * 9 + t];
}

// dweight (out_ch, in_ch, 9) += src (out_ch, 9, in_ch)
static void conv2d_weight_from_taps_add(float *dweight, const float *src, int out_ch, int in_ch) {
    for (int co = 0; co < out_ch; co++)
        for (int ci = 0; ci < in_ch; ci++)
            for (int t = 0; t < 9; t++)
                dweight[((size_t)co * in_ch + ci) * 9 + t] += src[((size_t)co * 9 + t) * in_ch + ci];
}

// col rows [r0, r1) of the whole batch (tap-major; col points at row r0) from inp (images, height,
// width, in_ch); zero outside the image.
static void conv2d_im2col_rows(float *col, const float *inp, size_t r0, size_t r1, int height, int width, int in_ch,
                               int stride) {
    int out_h = conv2d_output_size(height, stride), out_w = conv2d_output_size(width, stride);
    size_t k = (size_t)in_ch * 9, plane = (size_t)out_h * out_w, image = (size_t)height * width * in_ch;
    for (size_t r = r0; r < r1; r++) {
        const float *taps[9];
        int p = (int)(r % plane);
        conv2d_window(taps, inp + r / plane * image, p / out_w, p % out_w, height, width, in_ch, stride);
        float *row = col + (r - r0) * k;
        for (int t = 0; t < 9; t++) { // in_ch floats per tap: too few for memcpy's call to pay
            float *dst = row + (size_t)t * in_ch;
            const float *src = taps[t];
            if (src) {
#pragma omp simd
                for (int ci = 0; ci < in_ch; ci++) dst[ci] = src[ci];
            } else {
#pragma omp simd
                for (int ci = 0; ci < in_ch; ci++) dst[ci] = 0.0f;
            }
        }
    }
}

// dinp += col2im(dcol rows [r0, r1)) (tap-major; dcol holds row r0 first).
static void conv2d_col2im_rows(float *dinp, const float *dcol, size_t r0, size_t r1, int height, int width,
                               int in_ch, int stride) {
    int out_h = conv2d_output_size(height, stride), out_w = conv2d_output_size(width, stride);
    size_t k = (size_t)in_ch * 9, plane = (size_t)out_h * out_w, image = (size_t)height * width * in_ch;
    for (size_t r = r0; r < r1; r++) {
        const float *taps[9], *row = dcol + (r - r0) * k;
        int p = (int)(r % plane);
        conv2d_window(taps, dinp + r / plane * image, p / out_w, p % out_w, height, width, in_ch, stride);
        for (int t = 0; t < 9; t++) {
            if (!taps[t]) continue;
            float *x = (float *)taps[t];
            const float *g = row + (size_t)t * in_ch;
#pragma omp simd
            for (int ci = 0; ci < in_ch; ci++) x[ci] += g[ci];
        }
    }
}

// Output rows are handed out in tasks of whole images (at least CONV_BAND rows when images are
// small), cut into bands of at most CONV_BAND rows: a task owns its images, so col2im needs no
// locks and adds in the same order at any thread count.
typedef struct ConvTasks {
    int plane, images_per_task, tasks, band;
} ConvTasks;

static ConvTasks conv2d_tasks(int images, int out_h, int out_w) {
    ConvTasks t = {.plane = out_h * out_w};
    t.images_per_task = t.plane >= CONV_BAND ? 1 : CONV_BAND / t.plane;
    t.tasks = (images + t.images_per_task - 1) / t.images_per_task;
    t.band = t.plane >= CONV_BAND ? CONV_BAND : t.plane * (images < t.images_per_task ? images : t.images_per_task);
    return t;
}

void conv2d_forward_fast(float *out, float *col, const float *inp, const float *weight, const float *bias,
                         int images, int height, int width, int in_ch, int out_ch, int stride) {
    int out_h = conv2d_output_size(height, stride), out_w = conv2d_output_size(width, stride);
    size_t k = (size_t)in_ch * 9;
    float *taps_weight = malloc(sizeof(float) * k * out_ch);
    if (!taps_weight) {
        conv2d_forward_reference(out, col, inp, weight, bias, images, height, width, in_ch, out_ch, stride);
        return;
    }
    conv2d_weight_to_taps(taps_weight, weight, out_ch, in_ch);
    ConvTasks t = conv2d_tasks(images, out_h, out_w);
    size_t rows = (size_t)images * t.plane;
    int previous = kernels_blas_serial_begin();
#pragma omp parallel for schedule(dynamic, 1) if (t.tasks > 1)
    for (int task = 0; task < t.tasks; task++) {
        size_t r1 = (size_t)(task + 1) * t.images_per_task * t.plane;
        if (r1 > rows) r1 = rows;
        for (size_t r0 = (size_t)task * t.images_per_task * t.plane; r0 < r1; r0 += t.band) {
            int n = r1 - r0 < (size_t)t.band ? (int)(r1 - r0) : t.band;
            float *band_col = col + r0 * k, *y = out + r0 * out_ch;
            conv2d_im2col_rows(band_col, inp, r0, r0 + n, height, width, in_ch, stride);
            // (n, out_ch) starts as the bias, then sgemm accumulates onto it
            if (bias)
                for (int r = 0; r < n; r++) memcpy(y + (size_t)r * out_ch, bias, sizeof(float) * out_ch);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out_ch, (int)k, 1.0f, band_col, (int)k,
                        taps_weight, (int)k, bias ? 1.0f : 0.0f, y, out_ch);
        }
    }
    kernels_blas_serial_end(previous);
    free(taps_weight);
}

void conv2d_backward_fast(float *dinp, float *dweight, float *dbias, const float *dout, float *col,
                          const float *inp, const float *weight, int images, int height, int width, int in_ch,
                          int out_ch, int stride) {
    int out_h = conv2d_output_size(height, stride), out_w = conv2d_output_size(width, stride);
    size_t k = (size_t)in_ch * 9;
    float *taps_weight = malloc(sizeof(float) * k * out_ch * 2);
    if (!taps_weight) {
        conv2d_backward_reference(dinp, dweight, dbias, dout, col, inp, weight, images, height, width, in_ch, out_ch,
                                  stride);
        return;
    }
    float *taps_dweight = taps_weight + k * out_ch;
    conv2d_weight_to_taps(taps_weight, weight, out_ch, in_ch);
    ConvTasks t = conv2d_tasks(images, out_h, out_w);
    size_t rows = (size_t)images * t.plane;
    // d(weight) in tap order from the saved col, then back into PyTorch's order
    memset(taps_dweight, 0, sizeof(float) * k * out_ch);
    matmul_backward_fast(NULL, dweight ? taps_dweight : NULL, dbias, dout, col, taps_weight, (int)rows, (int)k,
                         out_ch);
    if (dweight) conv2d_weight_from_taps_add(dweight, taps_dweight, out_ch, in_ch);
    if (dinp) {
        // col is no longer needed: each thread turns one band of it at a time into d(col) = dout · weight
        int threads = 1;
#ifdef _OPENMP
        threads = omp_get_max_threads();
        if ((size_t)threads * t.band > rows) threads = (int)(rows / t.band);
        if (threads > t.tasks) threads = t.tasks;
#endif
        int previous = kernels_blas_serial_begin();
#pragma omp parallel num_threads(threads)
        {
            int id = 0;
#ifdef _OPENMP
            id = omp_get_thread_num();
#endif
            float *dcol = col + (size_t)id * t.band * k;
#pragma omp for schedule(dynamic, 1)
            for (int task = 0; task < t.tasks; task++) {
                size_t r1 = (size_t)(task + 1) * t.images_per_task * t.plane;
                if (r1 > rows) r1 = rows;
                for (size_t r0 = (size_t)task * t.images_per_task * t.plane; r0 < r1; r0 += t.band) {
                    int n = r1 - r0 < (size_t)t.band ? (int)(r1 - r0) : t.band;
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, (int)k, out_ch, 1.0f,
                                dout + r0 * out_ch, out_ch, taps_weight, (int)k, 0.0f, dcol, (int)k);
                    conv2d_col2im_rows(dinp, dcol, r0, r0 + n, height, width, in_ch, stride);
                }
            }
        }
        kernels_blas_serial_end(previous);
    }
    free(taps_weight);
}
