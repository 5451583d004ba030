// kernels_conv.c — the stem's 3x3 padding-1 convolution (stride 1 or 2) in channel-last layout.
// Reference: direct loops. Fast: im2col into (positions, 9*in_ch) rows, then one sgemm against the
// weight viewed as (out_ch, in_ch*9) — PyTorch's (out, in, 3, 3) layout, so the column order is
// (channel, ky, kx). Backward turns d(col) back into d(input) with col2im, one image per thread.
#include <string.h>

#include "model/kernels.h"

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

// col (images*out_h*out_w, in_ch*9) from inp (images, height, width, in_ch); zero outside the image.
// Rows are written in order (channel-major, then tap), reading the window's 9 pixel vectors.
static void conv2d_im2col(float *col, const float *inp, int images, int height, int width, int in_ch, int stride) {
    int out_h = conv2d_output_size(height, stride), out_w = conv2d_output_size(width, stride);
    size_t positions = (size_t)images * out_h * out_w, k = (size_t)in_ch * 9;
#pragma omp parallel for schedule(dynamic, 256)
    for (size_t p = 0; p < positions; p++) {
        int ox = (int)(p % out_w), oy = (int)(p / out_w % out_h);
        size_t n = p / ((size_t)out_w * out_h);
        const float *taps[9];
        conv2d_window(taps, inp + n * height * width * in_ch, oy, ox, height, width, in_ch, stride);
        float *row = col + p * k;
        for (int ci = 0; ci < in_ch; ci++)
            for (int t = 0; t < 9; t++) row[ci * 9 + t] = taps[t] ? taps[t][ci] : 0.0f;
    }
}

// dinp += col2im(dcol); each image is one thread's disjoint output.
static void conv2d_col2im(float *dinp, const float *dcol, int images, int height, int width, int in_ch, int stride) {
    int out_h = conv2d_output_size(height, stride), out_w = conv2d_output_size(width, stride);
    size_t k = (size_t)in_ch * 9;
#pragma omp parallel for schedule(dynamic, 1)
    for (int n = 0; n < images; n++)
        for (int oy = 0; oy < out_h; oy++)
            for (int ox = 0; ox < out_w; ox++) {
                const float *row = dcol + (((size_t)n * out_h + oy) * out_w + ox) * k, *taps[9];
                conv2d_window(taps, dinp + (size_t)n * height * width * in_ch, oy, ox, height, width, in_ch, stride);
                for (int ci = 0; ci < in_ch; ci++)
                    for (int t = 0; t < 9; t++)
                        if (taps[t]) ((float *)taps[t])[ci] += row[ci * 9 + t];
            }
}

void conv2d_forward_fast(float *out, float *col, const float *inp, const float *weight, const float *bias,
                         int images, int height, int width, int in_ch, int out_ch, int stride) {
    int positions = images * conv2d_output_size(height, stride) * conv2d_output_size(width, stride);
    conv2d_im2col(col, inp, images, height, width, in_ch, stride);
    matmul_forward_fast(out, col, weight, bias, positions, in_ch * 9, out_ch);
}

void conv2d_backward_fast(float *dinp, float *dweight, float *dbias, const float *dout, float *col,
                          const float *inp, const float *weight, int images, int height, int width, int in_ch,
                          int out_ch, int stride) {
    int positions = images * conv2d_output_size(height, stride) * conv2d_output_size(width, stride);
    matmul_backward_fast(NULL, dweight, dbias, dout, col, weight, positions, in_ch * 9, out_ch);
    if (!dinp) return;
    // col is no longer needed: it becomes d(col) = dout · weight
    memset(col, 0, sizeof(float) * (size_t)positions * in_ch * 9);
    matmul_backward_fast(col, NULL, NULL, dout, NULL, weight, positions, in_ch * 9, out_ch);
    conv2d_col2im(dinp, col, images, height, width, in_ch, stride);
}
