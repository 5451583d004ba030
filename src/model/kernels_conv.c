// kernels_conv.c — the 3x3 padding-1 convolution (stride 1 or 2) of the stem and the vision tower,
// channel-last layout. Reference: direct loops over PyTorch's (out, in, 3, 3) weight. Fast: band by
// band of output positions, im2col + sgemm; backward refills each band and takes d(weight) +=
// colᵀ · dout from it, then turns it into d(col) = dout · weight and adds that back with col2im.
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

// The fast path's col rows are tap-major: (positions, 9 taps, in_ch), so a tap is one contiguous
// channel vector (a copy in im2col, a vector add in col2im); the weight is reordered to match,
// (out_ch, in_ch, 9) → (out_ch, 9, in_ch), in a scratch copy (out_ch·in_ch·9 floats, small).
// col is never materialised whole: each thread fills a band of CONV_BAND rows at a time (a slice of
// the caller's col buffer) that the sgemm reads while it is in cache; backward refills it from the
// input instead of reading a saved copy back from memory.
#define CONV_BAND 256         // output rows per im2col band
#define CONV_TASK_ROWS 4096   // output rows per task (whole images): one partial d(weight) each

// dst (out_ch, 9, in_ch) = weight (out_ch, in_ch, 9)
static void conv2d_weight_to_taps(float *dst, const float *weight, int out_ch, int in_ch) {
    for (int co = 0; co < out_ch; co++)
        for (int ci = 0; ci < in_ch; ci++)
            for (int t = 0; t < 9; t++)
                dst[((size_t)co * 9 + t) * in_ch + ci] = weight[((size_t)co * in_ch + ci) * 9 + t];
}

// dweight (out_ch, in_ch, 9) += src (9, in_ch, out_ch): d(weight)ᵀ in tap order
static void conv2d_weight_grad_from_taps_add(float *dweight, const float *src, int out_ch, int in_ch) {
    for (int co = 0; co < out_ch; co++)
        for (int ci = 0; ci < in_ch; ci++)
            for (int t = 0; t < 9; t++)
                dweight[((size_t)co * in_ch + ci) * 9 + t] += src[((size_t)t * in_ch + ci) * out_ch + co];
}

// A window's taps (ky, 0..2) are 3 neighbouring pixels of input row iy, and their col entries are
// contiguous too: away from the left and right edges, one run of 3·in_ch floats per ky.

// col rows [r0, r1) of the whole batch (tap-major; col points at row r0) from inp (images, height,
// width, in_ch); zero outside the image.
static void conv2d_im2col_rows(float *col, const float *inp, size_t r0, size_t r1, int height, int width, int in_ch,
                               int stride) {
    int out_h = conv2d_output_size(height, stride), out_w = conv2d_output_size(width, stride), run = 3 * in_ch;
    size_t plane = (size_t)out_h * out_w, image = (size_t)height * width * in_ch;
    for (size_t r = r0; r < r1; r++) {
        int p = (int)(r % plane), oy = p / out_w, ox = p % out_w, ix0 = ox * stride - 1;
        int whole = ix0 >= 0 && ix0 + 2 < width;
        for (int ky = 0; ky < 3; ky++) {
            int iy = oy * stride - 1 + ky;
            float *dst = col + (r - r0) * 9 * in_ch + (size_t)ky * run;
            if (iy < 0 || iy >= height) {
#pragma omp simd
                for (int i = 0; i < run; i++) dst[i] = 0.0f;
                continue;
            }
            const float *line = inp + r / plane * image + (size_t)iy * width * in_ch; // input row iy
            if (whole) {
                const float *src = line + (size_t)ix0 * in_ch;
#pragma omp simd
                for (int i = 0; i < run; i++) dst[i] = src[i];
            } else {
                for (int kx = 0; kx < 3; kx++) {
                    int ix = ix0 + kx, inside = ix >= 0 && ix < width;
                    for (int ci = 0; ci < in_ch; ci++)
                        dst[kx * in_ch + ci] = inside ? line[(size_t)ix * in_ch + ci] : 0.0f;
                }
            }
        }
    }
}

// dinp += col2im(dcol rows [r0, r1)) (tap-major; dcol holds row r0 first).
static void conv2d_col2im_rows(float *dinp, const float *dcol, size_t r0, size_t r1, int height, int width,
                               int in_ch, int stride) {
    int out_h = conv2d_output_size(height, stride), out_w = conv2d_output_size(width, stride), run = 3 * in_ch;
    size_t plane = (size_t)out_h * out_w, image = (size_t)height * width * in_ch;
    for (size_t r = r0; r < r1; r++) {
        int p = (int)(r % plane), oy = p / out_w, ox = p % out_w, ix0 = ox * stride - 1;
        int whole = ix0 >= 0 && ix0 + 2 < width;
        for (int ky = 0; ky < 3; ky++) {
            int iy = oy * stride - 1 + ky;
            if (iy < 0 || iy >= height) continue;
            const float *g = dcol + (r - r0) * 9 * in_ch + (size_t)ky * run;
            float *line = dinp + r / plane * image + (size_t)iy * width * in_ch; // input row iy
            if (whole) {
                float *x = line + (size_t)ix0 * in_ch;
#pragma omp simd
                for (int i = 0; i < run; i++) x[i] += g[i];
            } else {
                for (int kx = 0; kx < 3; kx++) {
                    int ix = ix0 + kx;
                    if (ix >= 0 && ix < width)
                        for (int ci = 0; ci < in_ch; ci++) line[(size_t)ix * in_ch + ci] += g[kx * in_ch + ci];
                }
            }
        }
    }
}

// Output rows are handed out in tasks of whole images (CONV_TASK_ROWS rows or one image, whichever
// is more), cut into bands of at most CONV_BAND rows. A task owns its images (col2im needs no locks)
// and its partial d(weight); the partials are added in task order, so the result is the same at
// any thread count.
typedef struct ConvPlan {
    size_t rows, k;                 // output positions of the batch; 9·in_ch
    int plane, images_per_task, tasks, threads;
} ConvPlan;

static ConvPlan conv2d_plan(int images, int height, int width, int in_ch, int stride) {
    ConvPlan p = {.k = (size_t)in_ch * 9};
    p.plane = conv2d_output_size(height, stride) * conv2d_output_size(width, stride);
    p.rows = (size_t)images * p.plane;
    p.images_per_task = p.plane >= CONV_TASK_ROWS ? 1 : CONV_TASK_ROWS / p.plane;
    p.tasks = (images + p.images_per_task - 1) / p.images_per_task;
    p.threads = 1; // each thread's band is a slice of col: at most rows / CONV_BAND of them
#ifdef _OPENMP
    p.threads = omp_get_max_threads();
    if (p.threads > p.tasks) p.threads = p.tasks;
    if ((size_t)p.threads * CONV_BAND > p.rows) p.threads = p.rows > CONV_BAND ? (int)(p.rows / CONV_BAND) : 1;
#endif
    return p;
}

static float *conv2d_thread_band(float *col, const ConvPlan *p) {
    int id = 0;
#ifdef _OPENMP
    id = omp_get_thread_num();
#endif
    return col + (size_t)id * CONV_BAND * p->k;
}

void conv2d_forward_fast(float *out, float *col, const float *inp, const float *weight, const float *bias,
                         int images, int height, int width, int in_ch, int out_ch, int stride) {
    ConvPlan p = conv2d_plan(images, height, width, in_ch, stride);
    float *taps_weight = malloc(sizeof(float) * p.k * out_ch);
    if (!taps_weight) {
        conv2d_forward_reference(out, col, inp, weight, bias, images, height, width, in_ch, out_ch, stride);
        return;
    }
    conv2d_weight_to_taps(taps_weight, weight, out_ch, in_ch);
    int previous = kernels_blas_serial_begin(), k = (int)p.k;
#pragma omp parallel num_threads(p.threads)
    {
        float *band = conv2d_thread_band(col, &p);
#pragma omp for schedule(dynamic, 1)
        for (int task = 0; task < p.tasks; task++) {
            size_t r1 = (size_t)(task + 1) * p.images_per_task * p.plane;
            if (r1 > p.rows) r1 = p.rows;
            for (size_t r0 = (size_t)task * p.images_per_task * p.plane; r0 < r1; r0 += CONV_BAND) {
                int n = r1 - r0 < CONV_BAND ? (int)(r1 - r0) : CONV_BAND;
                float *y = out + r0 * out_ch;
                conv2d_im2col_rows(band, inp, r0, r0 + n, height, width, in_ch, stride);
                // (n, out_ch) starts as the bias, then sgemm accumulates onto it
                if (bias)
                    for (int r = 0; r < n; r++) memcpy(y + (size_t)r * out_ch, bias, sizeof(float) * out_ch);
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out_ch, k, 1.0f, band, k, taps_weight, k,
                            bias ? 1.0f : 0.0f, y, out_ch);
            }
        }
    }
    kernels_blas_serial_end(previous);
    free(taps_weight);
}

void conv2d_backward_fast(float *dinp, float *dweight, float *dbias, const float *dout, float *col,
                          const float *inp, const float *weight, int images, int height, int width, int in_ch,
                          int out_ch, int stride) {
    ConvPlan p = conv2d_plan(images, height, width, in_ch, stride);
    size_t grad_size = p.k * out_ch + out_ch; // one task's d(weight)ᵀ (9, in_ch, out_ch) and d(bias)
    float *taps_weight = malloc(sizeof(float) * (p.k * out_ch + grad_size * p.tasks));
    if (!taps_weight) {
        conv2d_backward_reference(dinp, dweight, dbias, dout, col, inp, weight, images, height, width, in_ch, out_ch,
                                  stride);
        return;
    }
    float *partial = taps_weight + p.k * out_ch;
    conv2d_weight_to_taps(taps_weight, weight, out_ch, in_ch);
    int previous = kernels_blas_serial_begin(), k = (int)p.k;
#pragma omp parallel num_threads(p.threads)
    {
        float *band = conv2d_thread_band(col, &p);
#pragma omp for schedule(dynamic, 1)
        for (int task = 0; task < p.tasks; task++) {
            float *dw = partial + grad_size * task, *db = dw + p.k * out_ch;
            memset(dw, 0, sizeof(float) * grad_size);
            size_t r1 = (size_t)(task + 1) * p.images_per_task * p.plane;
            if (r1 > p.rows) r1 = p.rows;
            for (size_t r0 = (size_t)task * p.images_per_task * p.plane; r0 < r1; r0 += CONV_BAND) {
                int n = r1 - r0 < CONV_BAND ? (int)(r1 - r0) : CONV_BAND;
                const float *g = dout + r0 * out_ch;
                if (dweight) { // dwᵀ (k, out_ch) += col bandᵀ · dout band
                    conv2d_im2col_rows(band, inp, r0, r0 + n, height, width, in_ch, stride);
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, out_ch, n, 1.0f, band, k, g, out_ch,
                                1.0f, dw, out_ch);
                }
                if (dbias)
                    for (int r = 0; r < n; r++)
                        for (int o = 0; o < out_ch; o++) db[o] += g[(size_t)r * out_ch + o];
                if (dinp) { // the band becomes d(col) = dout · weight, then goes back onto the input
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, k, out_ch, 1.0f, g, out_ch, taps_weight,
                                k, 0.0f, band, k);
                    conv2d_col2im_rows(dinp, band, r0, r0 + n, height, width, in_ch, stride);
                }
            }
        }
    }
    kernels_blas_serial_end(previous);
    for (int task = 0; task < p.tasks; task++) {
        const float *dw = partial + grad_size * task, *db = dw + p.k * out_ch;
        if (dweight) conv2d_weight_grad_from_taps_add(dweight, dw, out_ch, in_ch);
        if (dbias)
            for (int o = 0; o < out_ch; o++) dbias[o] += db[o];
    }
    free(taps_weight);
}
