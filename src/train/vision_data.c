// vision_data.c — the vision tower's data: samples rendered by the generator straight into the
// tower's tensors, with targets read from the generator's own record of each candidate (meta),
// and the scores of a tower on such a set.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "model/product_view.h"
#include "model/model.h"
#include "text/answer_set.h"
#include "train/vision.h"

int vision_batch_create(VisionBatch *b, int capacity, const TowerConfig *tower, Error *err) {
    memset(b, 0, sizeof *b);
    size_t S = (size_t)tower->image_size, P = (size_t)tower_tokens(tower), n = (size_t)capacity;
    b->capacity = capacity;
    b->image_size = tower->image_size;
    b->images = malloc(sizeof(float) * n * TOWER_IMAGES * 3 * S * S);
    b->dimension = malloc(sizeof(int) * n * 3);
    b->flawed = malloc(sizeof(float) * n * TOWER_CANDIDATES);
    b->token_targets = malloc(sizeof(float) * n * TOWER_CANDIDATES * P * TOWER_TOKEN_TARGETS);
    b->light = malloc(sizeof(int) * n * TOWER_CANDIDATES * 3);
    if (!b->images || !b->dimension || !b->flawed || !b->token_targets || !b->light) {
        vision_batch_free(b);
        return error_set(err, "vision: out of memory for a batch of %d samples at %zu px", capacity, S);
    }
    b->true_dimension = b->dimension + n;
    b->difficulty = b->dimension + 2 * n;
    b->shadow = b->light + n * TOWER_CANDIDATES;
    b->kind = b->light + 2 * n * TOWER_CANDIDATES;
    return 0;
}

void vision_batch_free(VisionBatch *b) {
    free(b->images);
    free(b->dimension);
    free(b->flawed);
    free(b->token_targets);
    free(b->light);
    memset(b, 0, sizeof *b);
}

static int box_contains(SynthBox box, double x, double y) { return x >= box.x0 && x < box.x1 && y >= box.y0 && y < box.y1; }

// The part of a candidate's canvas the tower reads: (x, y) and side of a square, canvas pixels.
typedef struct ViewRect {
    double x, y, side;
} ViewRect;

// Targets of candidate c of one sample, token centres mapped to the canvas' pixels through the
// part of the canvas the tower reads.
static void candidate_targets(const SynthSampleMeta *meta, int c, const TowerConfig *tower, ViewRect view,
                              float *tokens, int *light, int *shadow, int *kind, float *flawed) {
    const CandidateMeta *m = &meta->candidates[c];
    int side = tower_token_side(tower);
    double cell = view.side / side;
    for (int ty = 0; ty < side; ty++)
        for (int tx = 0; tx < side; tx++) {
            double x = view.x + (tx + 0.5) * cell, y = view.y + (ty + 0.5) * cell;
            float *t = tokens + ((size_t)ty * side + tx) * TOWER_TOKEN_TARGETS;
            t[TOWER_TOKEN_REGION] = m->defect != DEFECT_NONE && box_contains(m->region, x, y);
            t[TOWER_TOKEN_PRODUCT] = box_contains(m->product, x, y);
            t[TOWER_TOKEN_FRAME] = box_contains(m->frame, x, y);
            t[TOWER_TOKEN_BELOW_SURFACE] = y > m->surface_y;
            t[TOWER_TOKEN_BELOW_BASE] = y > m->base_y;
        }
    *light = m->light_side < 0 ? 0 : 1;
    *shadow = m->shadow_side == 2 ? 3 : m->shadow_side + 1; // left, none, right, both
    *kind = (int)m->defect < tower->kind_classes ? (int)m->defect : -1;
    *flawed = m->defect != DEFECT_NONE;
}

// A product-view tower's five inputs from the frame tower's `source`, each candidate's view around
// its product box in `meta` as the frame tower's grid marks it; sets the views in canvas pixels.
static int product_view_inputs(const TowerConfig *tower, const SynthSampleMeta *meta, const float *source,
                               const double (*jitter)[2], float *out, ViewRect *rects) {
    int F = tower->view_source, grid = tower->view_grid;
    unsigned char *cells = malloc((size_t)TOWER_CANDIDATES * grid * grid);
    if (!cells) return -1;
    double k = (double)F / meta->size; // canvas pixels to source pixels
    for (int c = 0; c < TOWER_CANDIDATES; c++) {
        SynthBox box = meta->candidates[c].product;
        product_view_cells_from_box((int)floor(box.x0 * k), (int)floor(box.y0 * k), (int)ceil(box.x1 * k),
                                    (int)ceil(box.y1 * k), grid, F, cells + (size_t)c * grid * grid);
    }
    ProductView views[TOWER_CANDIDATES];
    int rc = product_view_prepare(tower, source, cells, jitter, out, views);
    free(cells);
    for (int c = 0; c < TOWER_CANDIDATES && rc == 0; c++)
        rects[c] = (ViewRect){views[c].x / k, views[c].y / k, views[c].side / k};
    return rc;
}

int vision_batch_render(VisionBatch *b, const SynthConfig *synth, size_t first, int count, const TowerConfig *tower,
                        double dimension_dropout, Error *err) {
    if (count > b->capacity) return error_set(err, "vision: %d samples for a batch of %d", count, b->capacity);
    size_t S = (size_t)tower->image_size, P = (size_t)tower_tokens(tower), per_sample = TOWER_IMAGES * 3 * S * S;
    ModelConfig view = {.image_size = tower->image_size};
    int failed = -1;
    Error first_error = {0};
#pragma omp parallel for schedule(dynamic, 1)
    for (int i = 0; i < count; i++) {
        SynthSample sample;
        Error e = {0};
        size_t index = first + (size_t)i;
        int rc = synth_sample_render(&sample, synth, index, 0, &e), rendered = rc == 0;
        ViewRect rects[TOWER_CANDIDATES];
        float *out = b->images + (size_t)i * per_sample;
        if (rc == 0) {
            const Image *images[TOWER_IMAGES];
            for (int k = 0; k < TOWER_IMAGES; k++) images[k] = &sample.images[k];
            if (!tower->view) {
                rc = model_prepare_images(&view, images, out, &e);
                for (int c = 0; c < TOWER_CANDIDATES; c++) rects[c] = (ViewRect){0, 0, sample.meta.size};
            } else { // the frame tower's input first, then the views inside it
                ModelConfig source_view = {.image_size = tower->view_source};
                float *source = malloc(sizeof(float) * TOWER_IMAGES * 3 * tower->view_source * tower->view_source);
                double jitter[TOWER_CANDIDATES][2];
                Rng jitter_rng = rng_stream(synth->seed, index, RNG_PURPOSE_VIEW);
                for (int c = 0; c < TOWER_CANDIDATES; c++)
                    jitter[c][0] = rng_next_double(&jitter_rng), jitter[c][1] = rng_next_double(&jitter_rng);
                rc = source ? model_prepare_images(&source_view, images, source, &e)
                            : error_set(&e, "vision: out of memory for the product view");
                if (rc == 0 && product_view_inputs(tower, &sample.meta, source, b->jitter ? jitter : NULL, out, rects) != 0)
                    rc = error_set(&e, "vision: out of memory for the product view");
                free(source);
            }
        }
        if (rc != 0) {
#pragma omp critical(vision_render_error)
            if (failed < 0 || i < failed) failed = i, first_error = e;
            if (rendered) synth_sample_free(&sample);
            continue;
        }
        const SynthSampleMeta *meta = &sample.meta;
        Rng rng = rng_stream(synth->seed, index, RNG_PURPOSE_DATA_ORDER);
        b->true_dimension[i] = (int)meta->dimension;
        b->dimension[i] = rng_next_double(&rng) < dimension_dropout ? -1 : (int)meta->dimension;
        b->difficulty[i] = (int)meta->difficulty;
        for (int c = 0; c < TOWER_CANDIDATES; c++) {
            size_t r = (size_t)i * TOWER_CANDIDATES + c;
            candidate_targets(meta, c, tower, rects[c], b->token_targets + r * P * TOWER_TOKEN_TARGETS, &b->light[r],
                              &b->shadow[r], &b->kind[r], &b->flawed[r]);
        }
        synth_sample_free(&sample);
    }
    if (failed >= 0) {
        *err = first_error;
        return error_prefix(err, "vision: rendering sample %zu: ", first + (size_t)failed);
    }
    b->count = count;
    return 0;
}

double vision_score_accuracy(const VisionScore *s) {
    return s->candidates ? (double)s->candidates_correct / s->candidates : 0.0;
}
double vision_score_exact(const VisionScore *s) { return s->samples ? (double)s->samples_exact / s->samples : 0.0; }

static void score_add(VisionScore *s, size_t correct, size_t exact) {
    s->candidates += TOWER_CANDIDATES;
    s->candidates_correct += correct;
    s->samples++;
    s->samples_exact += exact;
}

int vision_evaluate(Tower *tower, Tower *product, const VisionBatch *set, int batch_size, VisionEvaluation *out,
                    Error *err) {
    memset(out, 0, sizeof *out);
    size_t S = (size_t)set->image_size, per_sample = TOWER_IMAGES * 3 * S * S;
    if (batch_size > tower->max_batch) batch_size = tower->max_batch;
    double loss = 0;
    float *p = malloc(sizeof(float) * TOWER_CANDIDATES * (size_t)batch_size);
    if (!p) return error_set(err, "vision_evaluate: out of memory");
    for (int first = 0; first < set->count; first += batch_size) {
        int n = set->count - first < batch_size ? set->count - first : batch_size;
        const float *images = set->images + (size_t)first * per_sample;
        const int *dimension = set->true_dimension + first;
        TowerOutput frame, view;
        if (tower_forward(tower, images, dimension, n, 0, &frame, err) != 0 ||
            (product && product_view_forward(product, images, &frame, dimension, n, &view, err) != 0)) {
            free(p);
            return -1;
        }
        tower_flaw_probabilities(tower, p, n);
        if (product) product_view_merge_probabilities(p, view.flaw_logit, dimension, n);
        for (int i = 0; i < n; i++) {
            int s = first + i;
            unsigned gold = 0, predicted = answer_set_from_probabilities(p + (size_t)i * 4);
            size_t correct = 0;
            for (int c = 0; c < TOWER_CANDIDATES; c++) {
                int y = set->flawed[(size_t)s * 4 + c] > 0.5f;
                float q = p[(size_t)i * 4 + c];
                gold |= (unsigned)y << c;
                correct += (q > 0.5f) == y;
                loss -= y ? log(fmax(q, 1e-7)) : log(fmax(1 - q, 1e-7));
                int k = set->kind[(size_t)s * 4 + c];
                if (k >= 0 && k < DEFECT_KIND_COUNT) {
                    out->kind[k].candidates++;
                    out->kind[k].candidates_correct += (q > 0.5f) == y;
                }
            }
            size_t exact = predicted == gold;
            score_add(&out->overall, correct, exact);
            score_add(&out->dimension[set->true_dimension[s]], correct, exact);
            if (set->difficulty[s] >= 0 && set->difficulty[s] < 3) score_add(&out->difficulty[set->difficulty[s]], correct, exact);
        }
    }
    free(p);
    out->loss = set->count ? loss / (4.0 * set->count) : 0;
    return 0;
}
