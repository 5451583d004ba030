// filter.c — resampling and blurring through one separable-filter core, and alpha compositing.
// Resize and blur differ only in their taps: which source pixels feed each output pixel and with
// what weight. RGBA is filtered premultiplied so transparent pixels never bleed their colour.
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "image/image.h"

// For each output index: `count` taps starting at `first` in the shared index/weight arrays.
typedef struct FilterTaps {
    int out_size;
    int *first, *count;
    int *index;
    float *weight;
    int capacity, used;
    float *kernel; // a blur: the same 2*radius+1 weights at every output away from the borders
    int radius;
} FilterTaps;

static int taps_init(FilterTaps *taps, int out_size, int max_per_output) {
    memset(taps, 0, sizeof *taps);
    taps->out_size = out_size;
    taps->capacity = out_size * max_per_output;
    taps->first = malloc(sizeof(int) * (size_t)out_size);
    taps->count = calloc((size_t)out_size, sizeof(int));
    taps->index = malloc(sizeof(int) * (size_t)taps->capacity);
    taps->weight = malloc(sizeof(float) * (size_t)taps->capacity);
    return taps->first && taps->count && taps->index && taps->weight ? 0 : -1;
}

static void taps_free(FilterTaps *taps) {
    free(taps->first);
    free(taps->count);
    free(taps->index);
    free(taps->weight);
    free(taps->kernel);
}

static void taps_add(FilterTaps *taps, int out, int index, float weight) {
    if (taps->count[out] == 0) taps->first[out] = taps->used;
    taps->index[taps->used] = index;
    taps->weight[taps->used] = weight;
    taps->used++;
    taps->count[out]++;
}

// Downscale: output pixel i covers source span [i*s, (i+1)*s), s = in/out; each source pixel
// contributes its overlap. Upscale: bilinear between the two nearest source centres.
static int taps_build_resize(FilterTaps *taps, int in_size, int out_size) {
    double scale = (double)in_size / out_size;
    int max_taps = scale > 1.0 ? (int)ceil(scale) + 2 : 2;
    if (taps_init(taps, out_size, max_taps) != 0) return -1;
    for (int i = 0; i < out_size; i++) {
        if (scale > 1.0) {
            double lo = i * scale, hi = (i + 1) * scale;
            for (int j = (int)floor(lo); j < in_size && j < hi; j++) {
                double overlap = fmin(hi, j + 1.0) - fmax(lo, (double)j);
                if (overlap > 1e-9) taps_add(taps, i, j, (float)(overlap / scale));
            }
        } else {
            double centre = (i + 0.5) * scale - 0.5;
            if (centre < 0) centre = 0;
            int j = (int)floor(centre);
            if (j >= in_size - 1) {
                taps_add(taps, i, in_size - 1, 1.0f);
                continue;
            }
            float t = (float)(centre - j);
            taps_add(taps, i, j, 1.0f - t);
            if (t > 0) taps_add(taps, i, j + 1, t);
        }
    }
    return 0;
}

// Gaussian of radius ceil(3 sigma), normalised, edge pixels repeated.
static int taps_build_gaussian(FilterTaps *taps, int size, double sigma) {
    int radius = (int)ceil(3.0 * sigma);
    if (taps_init(taps, size, 2 * radius + 1) != 0) return -1;
    float *kernel = malloc(sizeof(float) * (size_t)(2 * radius + 1));
    if (!kernel) return -1;
    double total = 0;
    for (int k = -radius; k <= radius; k++) total += exp(-0.5 * k * k / (sigma * sigma));
    for (int k = -radius; k <= radius; k++) kernel[k + radius] = (float)(exp(-0.5 * k * k / (sigma * sigma)) / total);
    for (int i = 0; i < size; i++)
        for (int k = -radius; k <= radius; k++) {
            int j = i + k < 0 ? 0 : (i + k >= size ? size - 1 : i + k);
            taps_add(taps, i, j, kernel[k + radius]);
        }
    taps->kernel = kernel, taps->radius = radius;
    return 0;
}

static uint8_t clamp_byte(float v) {
    if (!(v > 0.0f)) return 0;
    if (v >= 255.0f) return 255;
    return (uint8_t)(v + 0.5f);
}

// One row of the horizontal pass into floats, premultiplied when RGBA. Inlined with a constant C
// (1, 3 or 4) so the channel loops unroll: the generator's blurs spend most of their time here.
// Outputs [x0, x1) only.
static inline __attribute__((always_inline)) void filter_row_taps(float *dst, const uint8_t *src,
                                                                   const FilterTaps *taps, int x0, int x1, const int C) {
    for (int x = x0; x < x1; x++) {
        float acc[4] = {0, 0, 0, 0};
        for (int t = taps->first[x], e = t + taps->count[x]; t < e; t++) {
            const uint8_t *p = src + (size_t)taps->index[t] * C;
            float w = taps->weight[t];
            if (C != 4) {
                for (int c = 0; c < C; c++) acc[c] += w * p[c];
                continue;
            }
            float a = p[3] * (1.0f / 255.0f);
            for (int c = 0; c < 3; c++) acc[c] += w * a * p[c];
            acc[3] += w * p[3];
        }
        for (int c = 0; c < C; c++) dst[(size_t)x * C + c] = acc[c];
    }
}

// d[i] += w * s[i] for i < n, eight at a time: gcc -O2 turns the eight statements into vector
// instructions (its loop vectoriser does not run at -O2), the same products and sums as a plain loop.
static void axpy(float *restrict d, const float *restrict s, float w, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        d[i + 0] += w * s[i + 0], d[i + 1] += w * s[i + 1], d[i + 2] += w * s[i + 2], d[i + 3] += w * s[i + 3];
        d[i + 4] += w * s[i + 4], d[i + 5] += w * s[i + 5], d[i + 6] += w * s[i + 6], d[i + 7] += w * s[i + 7];
    }
    for (; i < n; i++) d[i] += w * s[i];
}

// A blur's row away from the borders (no premultiplication, C < 4): one contiguous multiply-add
// per kernel weight over the whole row, which vectorises. It adds the same products in the same
// order as filter_row_taps (weights from -radius up), so the result is bit-identical to it.
static void filter_row_kernel(float *dst, const uint8_t *src, float *srcf, const FilterTaps *taps, int W, int C) {
    int r = taps->radius;
    size_t from = (size_t)r * C, to = (size_t)(W - r) * C;
    for (size_t i = 0; i < (size_t)W * C; i++) srcf[i] = src[i];
    for (size_t i = from; i < to; i++) dst[i] = 0;
    for (int k = 0; k <= 2 * r; k++) {
        axpy(dst + from, srcf + from + (ptrdiff_t)(k - r) * C, taps->kernel[k], to - from);
    }
}

// Outputs [x0, x1) through the taps, unrolled for the channel count.
static void filter_row_span(float *dst, const uint8_t *src, const FilterTaps *taps, int x0, int x1, int C) {
    if (C == 1) filter_row_taps(dst, src, taps, x0, x1, 1);
    else if (C == 3) filter_row_taps(dst, src, taps, x0, x1, 3);
    else filter_row_taps(dst, src, taps, x0, x1, 4); // image_create allows 1, 3 or 4 channels
}

static void filter_row(float *dst, const uint8_t *src, float *srcf, const FilterTaps *taps, int W, int C) {
    if (C == 4 || !taps->kernel || W <= 2 * taps->radius) {
        filter_row_span(dst, src, taps, 0, W, C);
        return;
    }
    filter_row_kernel(dst, src, srcf, taps, W, C); // a blur: the middle vectorised, the borders by taps
    filter_row_span(dst, src, taps, 0, taps->radius, C);
    filter_row_span(dst, src, taps, W - taps->radius, W, C);
}

// out (taps_y.out_size rows, taps_x.out_size columns) = taps_y ∘ taps_x applied to in.
static int filter_apply_separable(Image *out, const Image *in, const FilterTaps *taps_x, const FilterTaps *taps_y) {
    int C = in->channels, W = taps_x->out_size, H = taps_y->out_size;
    int alpha = C == 4;
    // horizontal pass into a float buffer (in->height, W, C)
    float *rows = malloc(sizeof(float) * (size_t)in->height * W * C);
    float *srcf = malloc(sizeof(float) * (size_t)in->width * C); // one source row as floats
    if (!rows || !srcf) {
        free(rows);
        free(srcf);
        return -1;
    }
    for (int y = 0; y < in->height; y++)
        filter_row(rows + (size_t)y * W * C, in->data + (size_t)y * in->width * C, srcf, taps_x, W, C);
    free(srcf);
    // vertical pass (H, W, C): whole rows at a time, so the inner loop runs over contiguous memory
    float *acc = malloc(sizeof(float) * (size_t)W * C);
    if (!acc) {
        free(rows);
        return -1;
    }
    size_t row_len = (size_t)W * C;
    for (int y = 0; y < H; y++) {
        memset(acc, 0, sizeof(float) * row_len);
        for (int t = taps_y->first[y], e = t + taps_y->count[y]; t < e; t++) {
            axpy(acc, rows + (size_t)taps_y->index[t] * row_len, taps_y->weight[t], row_len);
        }
        uint8_t *dst = out->data + (size_t)y * row_len;
        if (!alpha) {
            for (size_t i = 0; i < row_len; i++) dst[i] = clamp_byte(acc[i]);
            continue;
        }
        for (int x = 0; x < W; x++) {
            const float *p = acc + (size_t)x * 4;
            float unpremultiply = p[3] > 1e-3f ? 255.0f / p[3] : 0.0f;
            for (int c = 0; c < 3; c++) dst[x * 4 + c] = clamp_byte(p[c] * unpremultiply);
            dst[x * 4 + 3] = clamp_byte(p[3]);
        }
    }
    free(acc);
    free(rows);
    return 0;
}

int image_resize(Image *out, const Image *in, int width, int height, Error *err) {
    memset(out, 0, sizeof *out);
    if (!in->data || width <= 0 || height <= 0)
        return error_set(err, "resize: cannot resize %dx%d to %dx%d", in->width, in->height, width, height);
    if (image_create(out, width, height, in->channels, err) != 0) return -1;
    FilterTaps taps_x, taps_y;
    int ok = taps_build_resize(&taps_x, in->width, width) == 0;
    ok = taps_build_resize(&taps_y, in->height, height) == 0 && ok;
    ok = ok && filter_apply_separable(out, in, &taps_x, &taps_y) == 0;
    taps_free(&taps_x);
    taps_free(&taps_y);
    if (!ok) {
        image_free(out);
        return error_set(err, "resize: out of memory");
    }
    return 0;
}

int image_blur_gaussian(Image *image, double sigma, Error *err) {
    if (!(sigma > 0.0)) return 0; // nothing to blur (also catches NaN)
    if (sigma > 1000.0) return error_set(err, "blur: sigma %g is too large", sigma);
    FilterTaps taps_x, taps_y;
    int ok = taps_build_gaussian(&taps_x, image->width, sigma) == 0;
    ok = taps_build_gaussian(&taps_y, image->height, sigma) == 0 && ok;
    // The vertical pass reads only the float buffer, so writing back into `image` is safe.
    ok = ok && filter_apply_separable(image, image, &taps_x, &taps_y) == 0;
    taps_free(&taps_x);
    taps_free(&taps_y);
    if (!ok) return error_set(err, "blur: out of memory");
    return 0;
}

void image_composite_over(Image *bottom, const Image *top, int x, int y) {
    if (bottom->channels == 1 || top->channels == 1) return;
    int x0 = x < 0 ? 0 : x, y0 = y < 0 ? 0 : y;
    int x1 = x + top->width < bottom->width ? x + top->width : bottom->width;
    int y1 = y + top->height < bottom->height ? y + top->height : bottom->height;
    int BC = bottom->channels, TC = top->channels;
    for (int by = y0; by < y1; by++) {
        uint8_t *b = bottom->data + ((size_t)by * bottom->width + x0) * BC;
        const uint8_t *t = top->data + ((size_t)(by - y) * top->width + (x0 - x)) * TC;
        for (int bx = x0; bx < x1; bx++, b += BC, t += TC) {
            unsigned ta = TC == 4 ? t[3] : 255u;
            if (ta == 0) continue;
            if (ta == 255 || (BC == 4 && b[3] == 0)) {
                memcpy(b, t, 3);
                if (BC == 4) b[3] = (uint8_t)ta;
                continue;
            }
            if (BC == 3) {
                for (int c = 0; c < 3; c++) b[c] = (uint8_t)((t[c] * ta + b[c] * (255u - ta) + 127u) / 255u);
                continue;
            }
            // Straight alpha over straight alpha: out_a = ta + ba (1 - ta), colours weighted.
            unsigned ba = b[3];
            unsigned below = ba * (255u - ta);      // scaled by 255^2
            unsigned oa255 = ta * 255u + below;     // out alpha scaled by 255^2
            for (int c = 0; c < 3; c++) b[c] = (uint8_t)((t[c] * ta * 255u + b[c] * below + oa255 / 2) / oa255);
            b[3] = (uint8_t)((oa255 + 127u) / 255u);
        }
    }
}
