// realset_build.c — builds the real-photo check set (docs/PHOTOS.md, bench/realset.sh): the
// generator's products composited onto scenes cut from held-out photographs (never training
// material: tools/fetch_realset_photos.sh), with defects made in image space on the composite
// (warp, stretch, recolour, a missing top; shadows from the product's own silhouette falling the
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
#include "synth/cutout.h"

// Disjoint from `iar synth`: its own seed, and product designs from streams synth never draws.
#define REALSET_SEED 0x7265616c73657431ull // "realset1"
#define REALSET_PRODUCT_STREAM 301
enum { PURPOSE_PLAN = 11, PURPOSE_CANDIDATE = 12, PURPOSE_NOISE = 13 };

typedef struct Kind {
    const char *name;
    Dimension dimension;
} Kind;
static const Kind KINDS[] = {
    {"warped", DIMENSION_DEFORMATION},          {"stretched", DIMENSION_DEFORMATION},
    {"recoloured", DIMENSION_DEFORMATION},      {"top_missing", DIMENSION_DEFORMATION},
    {"shadow_reversed", DIMENSION_LIGHTING},    {"shadow_missing", DIMENSION_LIGHTING},
    {"shadow_double", DIMENSION_LIGHTING},      {"highlight_wrong_side", DIMENSION_LIGHTING},
    {"shadow_length", DIMENSION_LIGHTING},      {"floating", DIMENSION_PLACEMENT},
    {"sunk", DIMENSION_PLACEMENT},              {"tilted", DIMENSION_PLACEMENT},
    {"upside_down", DIMENSION_PLACEMENT},       {"wrong_scale", DIMENSION_PLACEMENT},
    {"seam", DIMENSION_EXTENSION},              {"broken_edge", DIMENSION_EXTENSION},
    {"repeated_tiles", DIMENSION_EXTENSION},    {"duplicated_product", DIMENSION_EXTENSION},
};
#define KIND_COUNT (int)(sizeof KINDS / sizeof KINDS[0])

typedef struct Scene {
    const Image *wall, *surface;
    size_t wall_index, surface_index;
    double wall_x, wall_y, wall_scale, surface_x, surface_y, surface_scale;
    double wall_from, wall_to, surface_from, surface_to; // usable row bands (pixels)
    double horizon;                                      // canvas row of the surface's back edge
    double gain[3];                                      // white balance of the scene
    double light_gain;                                   // brightness slope towards the light side
    int light_side;                                      // -1 from the left, +1 from the right
} Scene;

static double clampd(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

// Bilinear RGB of a photo at (x, y), mirrored at the edges of rows [from, to).
static void photo_sample(const Image *photo, double x, double y, double from, double to, double rgb[3]) {
    double w = photo->width - 1.001, band = to - from - 1.001;
    x = fmod(fabs(x), 2 * w);
    x = x > w ? 2 * w - x : x;
    y = fmod(fabs(y - from), 2 * band);
    y = from + (y > band ? 2 * band - y : y);
    int x0 = (int)x, y0 = (int)y;
    double fx = x - x0, fy = y - y0;
    for (int c = 0; c < 3; c++) {
        const uint8_t *p = photo->data + ((size_t)y0 * photo->width + x0) * 3 + c;
        double top = p[0] * (1 - fx) + p[3] * fx, bottom = p[photo->width * 3] * (1 - fx) + p[photo->width * 3 + 3] * fx;
        rgb[c] = top * (1 - fy) + bottom * fy;
    }
}

// Paints rows/columns [x0,x1)x[y0,y1) of the canvas: the wall above the horizon, the surface laid on
// a floor plane below it (compressed towards the horizon), lit more on the light's side.
static void scene_paint(Image *canvas, const Scene *scene, int x0, int y0, int x1, int y1) {
    int S = canvas->width;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            double rgb[3], shade = 1 + scene->light_gain * scene->light_side * ((double)x / S - 0.5);
            if (y < scene->horizon) {
                photo_sample(scene->wall, scene->wall_x + x * scene->wall_scale, scene->wall_y + y * scene->wall_scale,
                             scene->wall_from, scene->wall_to, rgb);
                shade *= 0.92;
            } else {
                double t = (y - scene->horizon + 1) / (S - scene->horizon + 1), v = 1.0 / (t + 0.25);
                photo_sample(scene->surface, scene->surface_x + (x - S / 2.0) * scene->surface_scale * (0.3 + 0.35 * v),
                             scene->surface_y + scene->surface_scale * S * 0.3 * (4.0 - v), scene->surface_from,
                             scene->surface_to, rgb);
                double edge = y - scene->horizon < 3 ? 0.8 : 1.0; // the back edge of the table catches a shadow
                shade *= edge * (0.9 + 0.15 * t);
            }
            uint8_t *out = canvas->data + ((size_t)y * S + x) * 3;
            for (int c = 0; c < 3; c++) out[c] = (uint8_t)clampd(rgb[c] * scene->gain[c] * shade, 0, 255);
        }
}

static void scene_random(Scene *scene, const PhotoLibrary *photos, int S, Rng *rng) {
    size_t walls[64], surfaces[64], wall_count = 0, surface_count = 0;
    for (size_t i = 0; i < synth_photos_count(photos) && i < 64; i++) {
        unsigned roles;
        synth_photos_image(photos, i, &roles, NULL, NULL);
        if (roles & 1) walls[wall_count++] = i;
        if (roles & 2) surfaces[surface_count++] = i;
    }
    double from, to;
    scene->wall_index = walls[rng_next_int(rng, (int)wall_count)];
    scene->wall = synth_photos_image(photos, scene->wall_index, NULL, &from, &to);
    scene->wall_from = from * scene->wall->height, scene->wall_to = to * scene->wall->height;
    scene->surface_index = surfaces[rng_next_int(rng, (int)surface_count)];
    scene->surface = synth_photos_image(photos, scene->surface_index, NULL, &from, &to);
    scene->surface_from = from * scene->surface->height, scene->surface_to = to * scene->surface->height;
    scene->wall_scale = rng_next_range(rng, 0.6, 1.6) * scene->wall->height / 512.0 * 256.0 / S;
    scene->wall_x = rng_next_range(rng, 0, scene->wall->width * 0.5);
    scene->wall_y = rng_next_range(rng, scene->wall_from, scene->wall_from + (scene->wall_to - scene->wall_from) * 0.4);
    scene->surface_scale = rng_next_range(rng, 0.5, 1.2) * 256.0 / S;
    scene->surface_x = rng_next_range(rng, scene->surface->width * 0.3, scene->surface->width * 0.7);
    scene->surface_y = scene->surface_from + rng_next_range(rng, 0, 20);
    scene->horizon = S * rng_next_range(rng, 0.36, 0.52);
    double warm = rng_next_range(rng, -0.08, 0.08), exposure = rng_next_range(rng, 0.82, 1.15);
    scene->gain[0] = exposure * (1 + warm), scene->gain[1] = exposure, scene->gain[2] = exposure * (1 - warm);
    scene->light_gain = rng_next_range(rng, 0.15, 0.4);
    scene->light_side = rng_next_int(rng, 2) ? 1 : -1;
}

// ---- the product layer: one remap core (affine + a horizontal wave), bilinear on RGBA ----

typedef struct Remap {
    double m[6];          // source = (m0 x + m1 y + m2, m3 x + m4 y + m5)
    double wave, period;  // source x += wave * sin(2 pi y / period)
} Remap;

static int remap_apply(Image *out, const Image *in, int width, int height, const Remap *r, Error *err) {
    if (image_create(out, width, height, 4, err) != 0) return -1;
    for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++) {
            double sx = r->m[0] * x + r->m[1] * y + r->m[2], sy = r->m[3] * x + r->m[4] * y + r->m[5];
            if (r->wave) sx += r->wave * sin(2 * M_PI * y / r->period);
            if (sx < 0 || sy < 0 || sx > in->width - 1.001 || sy > in->height - 1.001) continue;
            int x0 = (int)sx, y0 = (int)sy;
            double fx = sx - x0, fy = sy - y0, w[4] = {(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy};
            const uint8_t *p[4] = {in->data + ((size_t)y0 * in->width + x0) * 4, in->data + ((size_t)y0 * in->width + x0 + 1) * 4,
                                   in->data + ((size_t)(y0 + 1) * in->width + x0) * 4,
                                   in->data + ((size_t)(y0 + 1) * in->width + x0 + 1) * 4};
            double alpha = 0, rgb[3] = {0, 0, 0};
            for (int k = 0; k < 4; k++) {
                alpha += w[k] * p[k][3];
                for (int c = 0; c < 3; c++) rgb[c] += w[k] * p[k][3] * p[k][c];
            }
            uint8_t *o = out->data + ((size_t)y * width + x) * 4;
            if (alpha > 0)
                for (int c = 0; c < 3; c++) o[c] = (uint8_t)clampd(rgb[c] / alpha, 0, 255);
            o[3] = (uint8_t)clampd(alpha, 0, 255);
        }
    return 0;
}

// A product layer with its base point (where it meets the ground) in layer pixels.
typedef struct Layer {
    Image image;
    double base_x, base_y;
} Layer;

static int layer_transform(Layer *layer, const Remap *r, int width, int height, double base_x, double base_y, Error *err) {
    Image out;
    if (remap_apply(&out, &layer->image, width, height, r, err) != 0) return -1;
    image_free(&layer->image);
    layer->image = out;
    layer->base_x = base_x, layer->base_y = base_y;
    return 0;
}

// Rotates by `degrees` about the base point; the new base is the lowest opaque row.
static int layer_tilt(Layer *layer, double degrees, Error *err) {
    int w = layer->image.width, h = layer->image.height, D = 2 * (w > h ? w : h);
    double a = degrees * M_PI / 180, c = cos(a), s = sin(a), cx = D / 2.0, cy = D * 0.75;
    Remap r = {{c, s, layer->base_x - c * cx - s * cy, -s, c, layer->base_y + s * cx - c * cy}, 0, 1};
    if (layer_transform(layer, &r, D, D, cx, cy, err) != 0) return -1;
    int lowest = 0;
    for (int y = 0; y < D; y++)
        for (int x = 0; x < D; x++)
            if (layer->image.data[((size_t)y * D + x) * 4 + 3] > 96) lowest = y;
    layer->base_y = lowest;
    return 0;
}

static void layer_recolour(Layer *layer, double degrees) {
    // rotation of the colour about the grey axis
    double a = degrees * M_PI / 180, c = cos(a), s = sin(a), k = (1 - c) / 3, q = s / sqrt(3.0);
    double m[3][3] = {{c + k, k - q, k + q}, {k + q, c + k, k - q}, {k - q, k + q, c + k}};
    for (size_t i = 0; i < (size_t)layer->image.width * layer->image.height; i++) {
        uint8_t *p = layer->image.data + i * 4;
        double in[3] = {p[0], p[1], p[2]};
        for (int r = 0; r < 3; r++) p[r] = (uint8_t)clampd(m[r][0] * in[0] + m[r][1] * in[1] + m[r][2] * in[2], 0, 255);
    }
}

static void layer_clear_rows(Layer *layer, int from, int to) {
    for (int y = from < 0 ? 0 : from; y < to && y < layer->image.height; y++)
        for (int x = 0; x < layer->image.width; x++) layer->image.data[((size_t)y * layer->image.width + x) * 4 + 3] = 0;
}

// The cast shadow of the layer standing with its base at (bx, ground): its silhouette sheared
// along the floor by dx per unit of height and squashed, blurred, darkening the canvas.
static int shadow_cast(Image *canvas, const Layer *layer, double bx, double ground, double dx_per_height, double opacity,
                       Error *err) {
    int S = canvas->width;
    Image mask;
    if (image_create(&mask, S, S, 1, err) != 0) return -1;
    double ox = bx - layer->base_x;
    for (int y = 0; y < layer->image.height; y++)
        for (int x = 0; x < layer->image.width; x++) {
            uint8_t a = layer->image.data[((size_t)y * layer->image.width + x) * 4 + 3];
            if (a < 64) continue;
            double height = layer->base_y - y;
            if (height < 0) continue;
            int sx = (int)lround(ox + x + dx_per_height * height), sy = (int)lround(ground - height * 0.22);
            if (sx >= 0 && sx < S && sy >= 0 && sy < S) mask.data[(size_t)sy * S + sx] = 255;
        }
    int rc = image_blur_gaussian(&mask, 1.5 + S / 160.0, err);
    for (size_t i = 0; rc == 0 && i < (size_t)S * S; i++)
        for (int c = 0; c < 3; c++) canvas->data[i * 3 + c] = (uint8_t)(canvas->data[i * 3 + c] * (1 - opacity * mask.data[i] / 255.0));
    image_free(&mask);
    return rc;
}

static void layer_composite(Image *canvas, const Layer *layer, double bx, double by, int clip_below) {
    int ox = (int)lround(bx - layer->base_x), oy = (int)lround(by - layer->base_y);
    for (int y = 0; y < layer->image.height; y++) {
        int cy = oy + y;
        if (cy < 0 || cy >= canvas->height || (clip_below >= 0 && cy >= clip_below)) continue;
        for (int x = 0; x < layer->image.width; x++) {
            int cx = ox + x;
            if (cx < 0 || cx >= canvas->width) continue;
            const uint8_t *p = layer->image.data + ((size_t)y * layer->image.width + x) * 4;
            uint8_t *q = canvas->data + ((size_t)cy * canvas->width + cx) * 3;
            for (int c = 0; c < 3; c++) q[c] = (uint8_t)((p[c] * p[3] + q[c] * (255 - p[3]) + 127) / 255);
        }
    }
}

// ---- one candidate ----

typedef struct CandidateOut {
    int kind; // -1: good
    double severity;
    int frame[4], product[4];
    int light_side, shadow_side;
    char camera[160];
} CandidateOut;

static int candidate_render(Image *canvas, CandidateOut *meta, const PhotoLibrary *photos, const ProductDesign *design,
                            double original_height, int kind, size_t index, int letter, int S, Error *err) {
    Rng rng = rng_stream(REALSET_SEED, index, ((uint64_t)PURPOSE_CANDIDATE << 8) | (uint64_t)letter);
    Scene scene;
    scene_random(&scene, photos, S, &rng);
    double sev = kind >= 0 ? rng_next_range(&rng, 0.25, 1.0) : 0;
    meta->kind = kind, meta->severity = sev, meta->light_side = scene.light_side;
    // the original's framing inside the wider canvas, its base on the surface
    double f = rng_next_range(&rng, 0.55, 0.74), side = f * S;
    double base_y = rng_next_range(&rng, fmax(scene.horizon + 0.1 * S, 0.8 * side), S - 0.2 * side - 2);
    double frame_x = rng_next_range(&rng, 0, S - side), frame_y = base_y - 0.8 * side;
    double base_x = frame_x + side / 2, height = original_height * f * rng_next_range(&rng, 0.95, 1.05);
    int fx0 = (int)frame_x, fy0 = (int)frame_y, fx1 = (int)(frame_x + side), fy1 = (int)(frame_y + side);
    meta->frame[0] = fx0, meta->frame[1] = fy0, meta->frame[2] = fx1, meta->frame[3] = fy1;
    const char *name = kind >= 0 ? KINDS[kind].name : "none";
#define IS(k) (strcmp(name, k) == 0)
    if (IS("wrong_scale")) height *= rng_next_int(&rng, 2) ? 1.45 + 0.8 * sev : 1 / (1.5 + 1.0 * sev);
    double azimuth = scene.light_side * rng_next_range(&rng, 35, 70), elevation = rng_next_range(&rng, 30, 50);
    double shadow_dx = -scene.light_side * rng_next_range(&rng, 0.5, 0.9), opacity = rng_next_range(&rng, 0.55, 0.8);

    scene_paint(canvas, &scene, 0, 0, S, S);
    if (IS("seam") || IS("broken_edge")) { // the inside of the frame painted from another scene
        Scene inner = scene;
        if (IS("seam")) {
            for (int c = 0; c < 3; c++) inner.gain[c] *= 1 + (c == 1 ? -0.05 : (c == 0 ? 0.3 : -0.3) * (rng_next_int(&rng, 2) ? 1 : -1)) * (0.3 + 0.7 * sev);
            inner.wall_x += 40 * sev, inner.surface_x += 30 * sev;
        } else {
            inner.horizon += (rng_next_int(&rng, 2) ? 1 : -1) * S * (0.04 + 0.1 * sev);
            inner.horizon = fmin(inner.horizon, base_y - 6);
        }
        scene_paint(canvas, &inner, fx0 < 0 ? 0 : fx0, fy0 < 0 ? 0 : fy0, fx1 > S ? S : fx1, fy1 > S ? S : fy1);
    }
    if (IS("repeated_tiles")) { // one strip at the frame's border repeated outwards
        int period = (int)(S * (0.1 - 0.06 * sev)) + 4, left = fx0 > S - fx1;
        for (int y = 0; y < S; y++)
            for (int x = left ? 0 : fx1; x < (left ? fx0 : S); x++) {
                int src = left ? fx0 + (fx0 - 1 - x) % period : fx1 - period + (x - fx1) % period;
                memcpy(canvas->data + ((size_t)y * S + x) * 3, canvas->data + ((size_t)y * S + src) * 3, 3);
            }
    }
    Layer layer = {0};
    int bx, by;
    double light = IS("highlight_wrong_side") ? -azimuth : azimuth;
    if (cutout_product_render(&layer.image, &bx, &by, design, height, light, elevation, err) != 0) return -1;
    layer.base_x = bx, layer.base_y = by;
    int w = layer.image.width, h = layer.image.height, rc = 0;
    if (IS("warped")) {
        Remap r = {{1, 0, 0, 0, 1, 0}, height * (0.03 + 0.06 * sev), height * rng_next_range(&rng, 0.35, 0.7)};
        Image out;
        rc = remap_apply(&out, &layer.image, w, h, &r, err);
        if (rc == 0) image_free(&layer.image), layer.image = out;
    } else if (IS("stretched")) {
        double k = 1.22 + 0.45 * sev;
        Remap r = {{1 / k, 0, 0, 0, 1, 0}, 0, 1};
        rc = layer_transform(&layer, &r, (int)(w * k), h, bx * k, by, err);
    } else if (IS("recoloured")) {
        layer_recolour(&layer, (rng_next_int(&rng, 2) ? 1 : -1) * (60 + 100 * sev));
    } else if (IS("top_missing")) {
        layer_clear_rows(&layer, 0, (int)(by - height * (0.78 - 0.2 * sev)));
    } else if (IS("tilted")) {
        rc = layer_tilt(&layer, (rng_next_int(&rng, 2) ? 1 : -1) * (14 + 30 * sev), err);
    } else if (IS("upside_down")) {
        Remap r = {{1, 0, 0, 0, -1, h - 1}, 0, 1};
        rc = layer_transform(&layer, &r, w, h, bx, by, err);
    }
    double ground = base_y, lift = 0;
    if (IS("floating")) lift = height * (0.12 + 0.3 * sev);
    if (IS("sunk")) lift = -height * (0.12 + 0.3 * sev);
    if (IS("shadow_length")) shadow_dx *= rng_next_int(&rng, 2) ? 2.6 + 1.5 * sev : 0.3 - 0.2 * sev;
    if (IS("shadow_reversed")) shadow_dx = -shadow_dx;
    meta->shadow_side = IS("shadow_missing") ? 0 : IS("shadow_double") ? 2 : shadow_dx < 0 ? -1 : 1;
    if (rc == 0 && !IS("shadow_missing")) rc = shadow_cast(canvas, &layer, base_x, ground, shadow_dx, opacity, err);
    if (rc == 0 && IS("shadow_double")) rc = shadow_cast(canvas, &layer, base_x, ground, -shadow_dx, opacity * (0.5 + 0.5 * sev), err);
    if (rc == 0 && IS("duplicated_product")) { // a second copy standing in the outpainted area
        double dx = fx0 > S - fx1 ? fx0 / 2.0 : (fx1 + S) / 2.0, k = 0.6 + 0.4 * sev;
        Layer copy = {0};
        if (cutout_product_render(&copy.image, &bx, &by, design, height * k, azimuth, elevation, err) != 0) rc = -1;
        copy.base_x = bx, copy.base_y = by;
        if (rc == 0) rc = shadow_cast(canvas, &copy, dx, base_y, shadow_dx, opacity, err);
        if (rc == 0) layer_composite(canvas, &copy, dx, base_y, -1);
        image_free(&copy.image);
    }
    if (rc == 0) layer_composite(canvas, &layer, base_x, ground - lift, IS("sunk") ? (int)ground : -1);
    meta->product[0] = (int)(base_x - layer.base_x), meta->product[1] = (int)(ground - lift - layer.base_y);
    meta->product[2] = meta->product[0] + layer.image.width, meta->product[3] = meta->product[1] + layer.image.height;
    image_free(&layer.image);
#undef IS
    if (rc != 0) return -1;
    CameraLook look;
    camera_look_random(&look, rng_next_range(&rng, 0.3, 1.0), &rng);
    camera_look_describe(&look, meta->camera, sizeof meta->camera);
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
        if (KINDS[k].dimension == dimension) kinds[kind_count++] = (size_t)k;
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
        cJSON_AddNumberToObject(c, "severity", round(out.severity * 100) / 100);
        cJSON_AddItemToObject(c, "frame", cJSON_CreateIntArray(out.frame, 4));
        cJSON_AddItemToObject(c, "product_box", cJSON_CreateIntArray(out.product, 4));
        cJSON_AddStringToObject(c, "light", out.light_side < 0 ? "left" : "right");
        cJSON_AddStringToObject(c, "shadow", out.shadow_side == 0 ? "none" : out.shadow_side == 2 ? "both" : out.shadow_side < 0 ? "left" : "right");
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
