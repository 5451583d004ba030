// product_view.c — the square around a candidate's product and its resampling (product_view.h).
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/product_view.h"
#include "core/error.h"

int product_view_fits(const TowerConfig *product, const TowerConfig *frame) {
    return product->view && product->view_source == frame->image_size && product->view_grid == tower_token_side(frame);
}

ProductView product_view_from_cells(const unsigned char *cells, int grid, int size, const double *jitter) {
    int x0 = grid, y0 = grid, x1 = -1, y1 = -1;
    for (int gy = 0; gy < grid; gy++)
        for (int gx = 0; gx < grid; gx++)
            if (cells[gy * grid + gx]) {
                if (gx < x0) x0 = gx;
                if (gx > x1) x1 = gx;
                if (gy < y0) y0 = gy;
                if (gy > y1) y1 = gy;
            }
    if (x1 < 0) return (ProductView){0, 0, size};
    double cell = (double)size / grid;
    double w = (x1 + 1 - x0) * cell, h = (y1 + 1 - y0) * cell;
    int side = (int)lround((w > h ? w : h) * PRODUCT_VIEW_MARGIN);
    if (side < PRODUCT_VIEW_MIN_SIDE) side = PRODUCT_VIEW_MIN_SIDE;
    if (side > size) side = size;
    double cx = 0.5 * (x0 + x1 + 1) * cell, cy = 0.5 * (y0 + y1 + 1) * cell;
    if (jitter) cx += (jitter[0] - 0.5) * 0.2 * side, cy += (jitter[1] - 0.5) * 0.2 * side;
    int x = (int)lround(cx - 0.5 * side), y = (int)lround(cy - 0.5 * side);
    x = x < 0 ? 0 : x > size - side ? size - side : x;
    y = y < 0 ? 0 : y > size - side ? size - side : y;
    return (ProductView){x, y, side};
}

int product_view_cells_from_box(int x0, int y0, int x1, int y1, int grid, int size, unsigned char *cells) {
    double cell = (double)size / grid;
    int n = 0;
    for (int gy = 0; gy < grid; gy++)
        for (int gx = 0; gx < grid; gx++) {
            double x = (gx + 0.5) * cell, y = (gy + 0.5) * cell;
            int in = x >= x0 && x < x1 && y >= y0 && y < y1;
            cells[gy * grid + gx] = (unsigned char)in;
            n += in;
        }
    return n;
}

// Area weights of one axis: output o covers [start + o·s, start + (o+1)·s) of the source; its
// source pixels are first[o] .. first[o] + taps - 1 with weights w[o·taps ..] (zero-padded).
static void axis_weights(int start, int side, int out_size, int taps, int *first, float *w) {
    double s = (double)side / out_size;
    for (int o = 0; o < out_size; o++) {
        double a = start + o * s, b = a + s;
        int j0 = (int)floor(a);
        first[o] = j0;
        for (int t = 0; t < taps; t++) {
            double lo = fmax(a, j0 + t), hi = fmin(b, j0 + t + 1);
            w[o * taps + t] = hi > lo ? (float)((hi - lo) / s) : 0.0f;
        }
    }
}

int product_view_sample(const float *image, int size, ProductView v, float *out, int out_size) {
    int taps = (int)ceil((double)v.side / out_size) + 1;
    int *first = malloc(sizeof(int) * 2 * out_size);
    float *w = malloc(sizeof(float) * 2 * (size_t)out_size * taps);
    float *rows = malloc(sizeof(float) * (size_t)v.side * out_size); // horizontal pass of one channel
    if (!first || !w || !rows) {
        free(first), free(w), free(rows);
        return -1;
    }
    int *first_x = first, *first_y = first + out_size;
    float *wx = w, *wy = w + (size_t)out_size * taps;
    axis_weights(v.x, v.side, out_size, taps, first_x, wx);
    axis_weights(v.y, v.side, out_size, taps, first_y, wy);
    size_t plane = (size_t)size * size, out_plane = (size_t)out_size * out_size;
    for (int c = 0; c < 3; c++) {
        const float *src = image + c * plane;
        for (int r = 0; r < v.side; r++)
            for (int o = 0; o < out_size; o++) {
                float acc = 0;
                for (int t = 0; t < taps; t++) {
                    int j = first_x[o] + t;
                    if (j < size && wx[o * taps + t] != 0.0f) acc += wx[o * taps + t] * src[(size_t)(v.y + r) * size + j];
                }
                rows[(size_t)r * out_size + o] = acc;
            }
        for (int oy = 0; oy < out_size; oy++)
            for (int o = 0; o < out_size; o++) {
                float acc = 0;
                for (int t = 0; t < taps; t++) {
                    int r = first_y[oy] + t - v.y;
                    if (r < v.side && wy[oy * taps + t] != 0.0f) acc += wy[oy * taps + t] * rows[(size_t)r * out_size + o];
                }
                out[c * out_plane + (size_t)oy * out_size + o] = acc;
            }
    }
    free(first), free(w), free(rows);
    return 0;
}

int product_view_prepare(const TowerConfig *product, const float *source, const unsigned char *cells,
                         const double (*jitter)[2], float *out, ProductView *views) {
    int F = product->view_source, S = product->image_size, grid = product->view_grid;
    size_t in_image = (size_t)3 * F * F, out_image = (size_t)3 * S * S;
    if (product_view_sample(source, F, (ProductView){0, 0, F}, out, S) != 0) return -1;
    for (int c = 0; c < TOWER_CANDIDATES; c++) {
        ProductView v = product_view_from_cells(cells + (size_t)c * grid * grid, grid, F, jitter ? jitter[c] : NULL);
        if (product_view_sample(source + (size_t)(1 + c) * in_image, F, v, out + (size_t)(1 + c) * out_image, S) != 0)
            return -1;
        if (views) views[c] = v;
    }
    return 0;
}

int product_view_forward(Tower *product, const float *frame_images, const TowerOutput *frame, const int *dimension,
                         int B, TowerOutput *out, Error *err) {
    const TowerConfig *pc = &product->config;
    int F = pc->view_source, V = pc->image_size, TP = pc->view_grid * pc->view_grid;
    size_t in_sample = (size_t)TOWER_IMAGES * 3 * F * F, out_sample = (size_t)TOWER_IMAGES * 3 * V * V;
    float *views = malloc(sizeof(float) * out_sample * B);
    unsigned char *cells = malloc((size_t)B * TOWER_CANDIDATES * TP);
    if (!views || !cells) {
        free(views), free(cells);
        return error_set(err, "product tower: out of memory for %d samples", B);
    }
    for (size_t k = 0; k < (size_t)B * TOWER_CANDIDATES * TP; k++)
        cells[k] = frame->token_logit[k * TOWER_TOKEN_TARGETS + TOWER_TOKEN_PRODUCT] > 0.0f;
    int failed = 0;
#pragma omp parallel for schedule(static) reduction(| : failed)
    for (int b = 0; b < B; b++)
        failed |= product_view_prepare(pc, frame_images + b * in_sample, cells + (size_t)b * TOWER_CANDIDATES * TP,
                                       NULL, views + b * out_sample, NULL) != 0;
    free(cells);
    int rc = failed ? error_set(err, "product tower: out of memory for the views")
                    : tower_forward(product, views, dimension, B, 0, out, err);
    free(views);
    return rc;
}

void product_view_merge_probabilities(float *p, const float *view_logit, const int *dimension, int B) {
    for (int b = 0; dimension && b < B; b++)
        if (dimension[b] == 0)
            for (int c = 0; c < TOWER_CANDIDATES; c++)
                p[b * TOWER_CANDIDATES + c] = 1.0f / (1.0f + expf(-view_logit[b * TOWER_CANDIDATES + c]));
}
