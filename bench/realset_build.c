// realset_build.c — builds the real-photo check set (docs/PHOTOS.md, bench/realset.sh): the
// generator's products (from design streams `iar synth` never draws) composited onto scenes cut
// from held-out photographs (never training material: tools/fetch_realset_photos.sh) by
// synth/composite.c, with defects made in image space on the composite (warp, stretch, recolour, a missing top; shadows from the product's own silhouette falling the
// wrong way, missing, doubled or of the wrong length, shading from the wrong side; floating,
// sunk, tilted, upside down, wrong scale; seams, broken edges, repeated tiles and a duplicated
// product at the outpainting border), each with a continuous severity. Good and flawed candidates
// draw scene, framing, light, exposure and camera (noise, blur, JPEG) from the same distributions,
// so "different" is never the cue. Labelled by construction; deterministic per (seed, index).
//
//   realset_build PHOTOS_DIR OUT_DIR [PER_DIMENSION=20] [SIZE=256]
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/files.h"
#include "core/rng.h"
#include "data/dataset.h"
#include "image/camera.h"
#include "synth/composite.h"

// Disjoint from `iar synth`: its own seed, and product designs from streams synth never draws.
#define REALSET_SEED 0x7265616c73657431ull // "realset1"
#define REALSET_PRODUCT_STREAM 301
enum { PURPOSE_PLAN = 11, PURPOSE_CANDIDATE = 12, PURPOSE_NOISE = 13 };

// The check set's kinds (its own names where they say more than the generator's).
typedef struct Kind {
    const char *name;
    DefectKind defect;
} Kind;
static const Kind KINDS[] = {
    {"warped", DEFECT_WARPED},                 {"stretched", DEFECT_STRETCHED},
    {"recoloured", DEFECT_WRONG_COLOUR},       {"top_missing", DEFECT_PART_MISSING},
    {"shadow_reversed", DEFECT_SHADOW_REVERSED}, {"shadow_missing", DEFECT_SHADOW_MISSING},
    {"shadow_double", DEFECT_SHADOW_DOUBLE},   {"highlight_wrong_side", DEFECT_HIGHLIGHT_WRONG_SIDE},
    {"shadow_length", DEFECT_SHADOW_LENGTH},   {"floating", DEFECT_FLOATING},
    {"sunk", DEFECT_SUNK},                     {"tilted", DEFECT_TILTED},
    {"upside_down", DEFECT_UPSIDE_DOWN},       {"wrong_scale", DEFECT_WRONG_SCALE},
    {"seam", DEFECT_SEAM},                     {"broken_edge", DEFECT_BROKEN_EDGE},
    {"repeated_tiles", DEFECT_REPEATED_TILES}, {"duplicated_product", DEFECT_DUPLICATED_PRODUCT},
};
#define KIND_COUNT (int)(sizeof KINDS / sizeof KINDS[0])

// ---- one candidate: synth/composite.c, then the camera ----

typedef struct CandidateOut {
    int kind; // -1: good
    CandidateMeta meta;
    char camera[160];
} CandidateOut;

static int candidate_render(Image *canvas, CandidateOut *out, const PhotoLibrary *photos, const ProductDesign *design,
                            double original_height, int kind, size_t index, int letter, int S, Error *err) {
    Rng rng = rng_stream(REALSET_SEED, index, ((uint64_t)PURPOSE_CANDIDATE << 8) | (uint64_t)letter);
    CompositeRequest request = {photos, *design, original_height, kind >= 0 ? KINDS[kind].defect : DEFECT_NONE, 0.25, 1.0};
    size_t wall, surface;
    out->kind = kind;
    if (composite_candidate_render(canvas, &out->meta, &wall, &surface, &request, &rng, err) != 0) return -1;
    CameraLook look;
    camera_look_random(&look, rng_next_range(&rng, 0.3, 1.0), &rng);
    camera_look_describe(&look, out->camera, sizeof out->camera);
    return camera_apply(canvas, &look, rng_hash(REALSET_SEED, index, PURPOSE_NOISE, (uint64_t)letter + 1), err);
}

// ---- one sample ----

static int sample_build(const PhotoLibrary *photos, const char *out_dir, size_t index, size_t per_dimension, int S,
                        FILE *jsonl, Error *err) {
    Dimension dimension = (Dimension)(index % DIMENSION_COUNT);
    int flawed_count = 1 + (int)((index / DIMENSION_COUNT) % 3);
    Rng rng = rng_stream(REALSET_SEED, index, PURPOSE_PLAN);
    size_t letters[4] = {0, 1, 2, 3}, kinds[KIND_COUNT], kind_count = 0;
    rng_shuffle_size(&rng, letters, 4);
    for (int k = 0; k < KIND_COUNT; k++)
        if (defect_kind_dimension(KINDS[k].defect) == dimension) kinds[kind_count++] = (size_t)k;
    rng_shuffle_size(&rng, kinds, kind_count);
    int kind_of[4] = {-1, -1, -1, -1};
    AnswerSet answer = 0;
    for (int i = 0; i < flawed_count; i++) kind_of[letters[i]] = (int)kinds[i], answer |= (AnswerSet)(1u << letters[i]);
    ProductDesign design = {REALSET_SEED, index, REALSET_PRODUCT_STREAM};
    char id[32], paths[5][64], brand[32];
    snprintf(id, sizeof id, "r%04zu", index);
    Image image;
    double original_height;
    if (cutout_product_original(&image, &design, S, &original_height, err) != 0) return -1;
    CameraLook mild;
    Rng camera_rng = rng_stream(REALSET_SEED, index, PURPOSE_CANDIDATE << 8);
    camera_look_random(&mild, 0.3, &camera_rng);
    camera_look_milder(&mild);
    int rc = camera_apply(&image, &mild, rng_hash(REALSET_SEED, index, PURPOSE_NOISE, 0), err);
    cJSON *meta = cJSON_CreateObject(), *candidates;
    cJSON_AddNumberToObject(meta, "version", 1);
    cJSON_AddStringToObject(meta, "generator", "iar-realset");
    cJSON_AddStringToObject(meta, "product", product_kind_id(cutout_product_kind(&design, brand, sizeof brand)));
    cJSON_AddStringToObject(meta, "brand", brand);
    cJSON_AddNumberToObject(meta, "size", S);
    candidates = cJSON_AddArrayToObject(meta, "candidates");
    for (int i = 0; rc == 0 && i < 5; i++) {
        snprintf(paths[i], sizeof paths[i], "img/%s_%c.png", id, i ? 'a' + i - 1 : 'o');
        CandidateOut out = {0};
        if (i > 0) {
            image_free(&image);
            if (image_create(&image, S, S, 3, err) != 0) return -1;
            rc = candidate_render(&image, &out, photos, &design, original_height, kind_of[i - 1], index, i, S, err);
        }
        char *path = path_join(out_dir, paths[i]);
        if (rc == 0) rc = image_save_png(&image, path, err);
        free(path);
        if (i == 0 || rc != 0) continue;
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "letter", (const char[]){(char)('A' + i - 1), 0});
        cJSON_AddStringToObject(c, "defect", out.kind >= 0 ? KINDS[out.kind].name : "none");
        const CandidateMeta *m = &out.meta;
        int frame[4] = {m->frame.x0, m->frame.y0, m->frame.x1, m->frame.y1};
        int product[4] = {m->product.x0, m->product.y0, m->product.x1, m->product.y1};
        cJSON_AddNumberToObject(c, "severity", round(m->severity * 100) / 100);
        cJSON_AddItemToObject(c, "frame", cJSON_CreateIntArray(frame, 4));
        cJSON_AddItemToObject(c, "product_box", cJSON_CreateIntArray(product, 4));
        cJSON_AddStringToObject(c, "light", m->light_side < 0 ? "left" : "right");
        cJSON_AddStringToObject(c, "shadow", m->shadow_side == 0 ? "none" : m->shadow_side == 2 ? "both" : m->shadow_side < 0 ? "left" : "right");
        cJSON_AddStringToObject(c, "camera", out.camera);
        cJSON_AddItemToArray(candidates, c);
    }
    image_free(&image);
    if (rc == 0) {
        Sample sample = {.id = id, .dimension = dimension, .original = paths[0], .answer = answer};
        for (int i = 0; i < 4; i++) sample.candidates[i] = paths[i + 1];
        sample.meta_json = cJSON_PrintUnformatted(meta);
        rc = sample_write_json(jsonl, &sample, err);
        free(sample.meta_json);
    }
    cJSON_Delete(meta);
    (void)per_dimension;
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 3 || argc > 5) {
        fprintf(stderr, "usage: realset_build PHOTOS_DIR OUT_DIR [PER_DIMENSION=20] [SIZE=256]\n"
                        "  PHOTOS_DIR: tools/fetch_realset_photos.sh's folder (never the training photographs)\n");
        return 2;
    }
    size_t per_dimension = argc > 3 ? strtoul(argv[3], NULL, 10) : 20;
    int size = argc > 4 ? atoi(argv[4]) : 256;
    if (per_dimension < 1 || per_dimension > 10000 || size < 64 || size > 1024) {
        fprintf(stderr, "realset_build: PER_DIMENSION 1..10000, SIZE 64..1024\n");
        return 2;
    }
    Error err = {{0}};
    PhotoLibrary *photos = NULL;
    char *img = path_join(argv[2], "img"), *data = path_join(argv[2], "data.jsonl");
    if (synth_photos_load(&photos, argv[1], &err) != 0 || dir_create_all(img, &err) != 0) {
        fprintf(stderr, "realset_build: %s\n", err.message);
        return 1;
    }
    FILE *jsonl = fopen(data, "w");
    int rc = jsonl ? 0 : error_set(&err, "%s: cannot write", data);
    size_t count = per_dimension * DIMENSION_COUNT;
    for (size_t i = 0; rc == 0 && i < count; i++) rc = sample_build(photos, argv[2], i, per_dimension, size, jsonl, &err);
    if (jsonl && fclose(jsonl) != 0 && rc == 0) rc = error_set(&err, "%s: write failed", data);
    synth_photos_free(photos);
    synth_release_static_data();
    free(img);
    free(data);
    if (rc != 0) {
        fprintf(stderr, "realset_build: %s\n", err.message);
        return 1;
    }
    fprintf(stderr, "realset_build: %zu samples in %s/data.jsonl\n", count, argv[2]);
    return 0;
}
