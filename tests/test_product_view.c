// test_product_view.c — the product view: the square found from grid cells, its resampling against
// a plain loop, the views the training data builds, and a model with a product-view tower beside
// its tower (features, the deformation probabilities, save/load).
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "model/model.h"
#include "model/product_view.h"
#include "support/check.h"
#include "support/train_fixture.h"

static void test_view_from_cells(void) {
    unsigned char cells[64];
    // a product covering pixels [40, 72) x [30, 90) of a 128 px source on an 8x8 grid (16 px cells)
    int n = product_view_cells_from_box(40, 30, 72, 90, 8, 128, cells);
    CHECK(n == 2 * 4, "cells whose centres lie in the box: %d, expected 8", n); // columns 2-3, rows 2-5
    CHECK(cells[2 * 8 + 2] && cells[5 * 8 + 3] && !cells[1 * 8 + 2] && !cells[2 * 8 + 4], "wrong cells marked");
    ProductView v = product_view_from_cells(cells, 8, 128, NULL);
    // cells span x [32, 64), y [32, 96): longer side 64, times 1.4 = 90 around (48, 64)
    CHECK(v.side == 90 && v.x == 3 && v.y == 19, "view %d,%d side %d; expected 3,19 side 90", v.x, v.y, v.side);
    double corner[2] = {0.0, 0.0}; // the largest shift up-left: the square stays inside the source
    ProductView j = product_view_from_cells(cells, 8, 128, corner);
    CHECK(j.x == 0 && j.y == 10 && j.side == 90, "jittered view %d,%d side %d", j.x, j.y, j.side);
    memset(cells, 0, sizeof cells);
    v = product_view_from_cells(cells, 8, 128, NULL);
    CHECK(v.x == 0 && v.y == 0 && v.side == 128, "no product cell: the whole source, got %d,%d %d", v.x, v.y, v.side);
    cells[63] = 1; // one corner cell: the minimum side, clamped inside
    v = product_view_from_cells(cells, 8, 128, NULL);
    CHECK(v.side == 22 && v.x == 128 - 22 && v.y == 128 - 22, "corner view %d,%d side %d", v.x, v.y, v.side);
}

// The plain definition: each output pixel the mean of the source area it covers.
static float area_mean(const float *plane, int size, ProductView v, int out_size, int oy, int ox) {
    double s = (double)v.side / out_size, sum = 0;
    double x0 = v.x + ox * s, x1 = x0 + s, y0 = v.y + oy * s, y1 = y0 + s;
    for (int y = (int)floor(y0); y < (int)ceil(y1); y++)
        for (int x = (int)floor(x0); x < (int)ceil(x1); x++) {
            double wy = fmin(y1, y + 1) - fmax(y0, y), wx = fmin(x1, x + 1) - fmax(x0, x);
            sum += wy * wx * plane[y * size + x];
        }
    return (float)(sum / (s * s));
}

static void test_sample(void) {
    enum { S = 40 };
    float image[3 * S * S], out[3 * 64 * 64];
    Rng rng = rng_stream(3, 0, 0);
    for (int i = 0; i < 3 * S * S; i++) image[i] = (float)rng_next_range(&rng, -1, 1);
    CHECK(product_view_sample(image, S, (ProductView){0, 0, S}, out, S) == 0, "sample failed");
    CHECK(memcmp(image, out, sizeof image) == 0, "the whole image at its own size is not an exact copy");
    const ProductView views[] = {{5, 7, 20}, {0, 0, 40}, {13, 2, 27}, {3, 11, 29}};
    const int sizes[] = {10, 16, 64, 29};
    for (int k = 0; k < 4; k++) {
        ProductView v = views[k];
        int n = sizes[k];
        CHECK(product_view_sample(image, S, v, out, n) == 0, "sample failed");
        double worst = 0;
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < n; y++)
                for (int x = 0; x < n; x++)
                    worst = fmax(worst, fabs(out[(c * n + y) * n + x] - area_mean(image + c * S * S, S, v, n, y, x)));
        CHECK(worst < 1e-5, "view %d,%d side %d to %d px: %g from the area mean", v.x, v.y, v.side, n, worst);
    }
}

// A tiny tower, and a product-view tower reading its 16 px input on its 2x2 grid.
static void towers(TowerConfig *frame, TowerConfig *product) {
    Error err = {0};
    if (tower_config_preset(frame, "tiny", 6, &err) != 0) abort();
    frame->image_size = 16;
    *product = *frame;
    product->view = 1;
    product->view_source = 16;
    product->view_grid = tower_token_side(frame);
}

static void test_model_with_product_tower(void) {
    enum { B = 3, T = 6 };
    Error err = {0};
    TowerConfig frame, product;
    towers(&frame, &product);
    ModelConfig config;
    if (model_config_preset(&config, "tiny", 40, &err) != 0) abort();
    if (model_config_attach_tower(&config, &frame, &err) != 0) abort();
    ModelConfig wrong = config;
    TowerConfig other = product;
    other.view_source = 32;
    CHECK(model_config_attach_product_tower(&wrong, &other, &err) != 0 && strstr(err.message, "16 px"),
          "a product tower of another input is accepted: %s", err.message);
    CHECK(model_config_attach_product_tower(&config, &product, &err) == 0, "attach: %s", err.message);
    Model m, n;
    CHECK(model_create(&m, &config, B, 4, &err) == 0, "model: %s", err.message);
    float *images = malloc(sizeof(float) * B * 5 * 3 * 16 * 16);
    Rng rng = rng_stream(5, 0, 0);
    for (int i = 0; i < B * 5 * 3 * 16 * 16; i++) images[i] = (float)rng_next_range(&rng, -1, 1);
    int dimension[B] = {0, 2, -1};
    size_t width = (size_t)tower_dim(&frame) + frame.hidden + 3, P = (size_t)model_image_tokens(&config);
    CHECK(model_vision_feature_count(&config) == 5 * P * width, "feature width without the product column");
    float *features = malloc(sizeof(float) * B * model_vision_feature_count(&config));
    CHECK(model_vision_features(&m, images, dimension, B, features, &err) == 0, "features: %s", err.message);
    float prob[B * 4];
    memcpy(prob, m.candidate_flaw_prob, sizeof prob);
    // the same views by hand: the frame tower, then the product tower on the views it marks
    TowerOutput out, view;
    tower_forward(m.tower, images, dimension, B, 0, &out, &err);
    float frame_logit[B * 4];
    memcpy(frame_logit, out.flaw_logit, sizeof frame_logit);
    CHECK(product_view_forward(m.product_tower, images, &out, dimension, B, &view, &err) == 0, "views: %s",
          err.message);
    for (int b = 0; b < B; b++)
        for (int c = 0; c < 4; c++) {
            float own = view.flaw_logit[b * 4 + c];
            float column = features[((size_t)(b * 5 + 1 + c) * P + P - 1) * width + width - 1];
            CHECK(column == own, "sample %d candidate %d: column %g, product logit %g", b, c, column, own);
            float expected = 1.0f / (1.0f + expf(-(b == 0 ? own : frame_logit[b * 4 + c])));
            CHECK(fabsf(prob[b * 4 + c] - expected) < 1e-6f, "sample %d candidate %d: P(flawed) %g, expected %g", b,
                  c, prob[b * 4 + c], expected);
        }
    // save and load: both towers come back, the same language-model output
    int tokens[B * T], targets[B * T], len[B], prefix[B];
    for (int i = 0; i < B * T; i++) tokens[i] = 4 + i % 30, targets[i] = i % T >= 2 ? 4 + (i + 1) % 30 : -1;
    for (int b = 0; b < B; b++) len[b] = T, prefix[b] = 3;
    ModelBatch batch = {.batch_size = B, .text_len_max = T, .images = images, .tokens = tokens, .targets = targets,
                        .text_len = len, .prefix_len = prefix, .dimension = dimension};
    float lp1[B * T], lp2[B * T];
    CHECK(model_forward(&m, &batch, lp1, NULL, &err) == 0, "forward: %s", err.message);
    char *dir = train_fixture_tempdir("product_view");
    CHECK(model_save(&m, dir, &err) == 0, "save: %s", err.message);
    CHECK(model_load(&n, dir, B, &err) == 0, "load: %s", err.message);
    CHECK(n.product_tower && n.config.product_tower == 1 && n.config.product.view_grid == product.view_grid,
          "the product tower did not come back");
    CHECK(model_forward(&n, &batch, lp2, NULL, &err) == 0, "forward: %s", err.message);
    CHECK(memcmp(lp1, lp2, sizeof lp1) == 0, "a loaded model with a product tower computes another function");
    model_free(&m);
    model_free(&n);
    free(features);
    free(images);
    free(dir);
}

int main(void) {
    test_view_from_cells();
    test_sample();
    test_model_with_product_tower();
    if (failures) fprintf(stderr, "%d failure(s)\n", failures);
    return failures != 0;
}
