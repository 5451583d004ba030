// composite.c — candidates built in image space (composite.h): the floor-plane scene painted from
// two photographs, the product as an RGBA layer, and the defect operators on pixels.
#include "synth/composite.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "image/image.h"
#include "synth/photo.h"

typedef struct Scene {
    size_t wall_index, surface_index;
    const Image *wall, *surface;
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
    scene->wall_index = photos->walls[rng_next_int(rng, (int)photos->wall_count)];
    const Photo *wall = &photos->photos[scene->wall_index];
    scene->wall = &wall->image;
    scene->wall_from = wall->y0 * scene->wall->height, scene->wall_to = wall->y1 * scene->wall->height;
    scene->surface_index = photos->surfaces[rng_next_int(rng, (int)photos->surface_count)];
    const Photo *surface = &photos->photos[scene->surface_index];
    scene->surface = &surface->image;
    scene->surface_from = surface->y0 * scene->surface->height, scene->surface_to = surface->y1 * scene->surface->height;
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
    double m[6];         // source = (m0 x + m1 y + m2, m3 x + m4 y + m5)
    double wave, period; // source x += wave * sin(2 pi y / period)
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

// Rotates the colour of rows [from, to) about the grey axis by `degrees`.
static void layer_recolour(Layer *layer, double degrees, int from, int to) {
    double a = degrees * M_PI / 180, c = cos(a), s = sin(a), k = (1 - c) / 3, q = s / sqrt(3.0);
    double m[3][3] = {{c + k, k - q, k + q}, {k + q, c + k, k - q}, {k - q, k + q, c + k}};
    int W = layer->image.width;
    for (int y = from < 0 ? 0 : from; y < to && y < layer->image.height; y++)
        for (int x = 0; x < W; x++) {
            uint8_t *p = layer->image.data + ((size_t)y * W + x) * 4;
            double in[3] = {p[0], p[1], p[2]};
            for (int r = 0; r < 3; r++) p[r] = (uint8_t)clampd(m[r][0] * in[0] + m[r][1] * in[1] + m[r][2] * in[2], 0, 255);
        }
}

static void layer_clear_rows(Layer *layer, int from, int to) {
    for (int y = from < 0 ? 0 : from; y < to && y < layer->image.height; y++)
        for (int x = 0; x < layer->image.width; x++) layer->image.data[((size_t)y * layer->image.width + x) * 4 + 3] = 0;
}

// The label scrambled: rows [from, to) of the product's inner width cut into `strips` columns that
// trade places (a rotation by `shift` strips), so the outline stays and the print does not.
static void layer_scramble(Layer *layer, int from, int to, int strips, int shift) {
    int W = layer->image.width, left = W, right = 0; // the product's opaque columns [left, right)
    for (int y = 0; y < layer->image.height; y++) {
        const uint8_t *line = layer->image.data + (size_t)y * W * 4;
        int x0 = 0, x1 = W;
        while (x0 < W && line[x0 * 4 + 3] <= 64) x0++;
        while (x1 > x0 && line[(x1 - 1) * 4 + 3] <= 64) x1--;
        if (x0 < x1) left = x0 < left ? x0 : left, right = x1 > right ? x1 : right;
    }
    int inset = (right - left) / 10, x0 = left + inset, width = (right - inset - x0) / strips;
    if (width < 1) return;
    from = from < 0 ? 0 : from, to = to > layer->image.height ? layer->image.height : to;
    uint8_t *row = malloc((size_t)W * 4);
    if (!row) return;
    for (int y = from; y < to; y++) {
        uint8_t *line = layer->image.data + (size_t)y * W * 4;
        memcpy(row, line, (size_t)W * 4);
        for (int s = 0; s < strips; s++) {
            int src = x0 + ((s + shift) % strips) * width, dst = x0 + s * width;
            for (int x = 0; x < width; x++)
                if (row[(src + x) * 4 + 3] > 64 && line[(dst + x) * 4 + 3] > 64) memcpy(line + (dst + x) * 4, row + (src + x) * 4, 3);
        }
    }
    free(row);
}

// The cast shadow of the layer standing with its base at (bx, ground): its silhouette sheared
// along the floor by dx per unit of height and squashed by `squash`, blurred, darkening the
// canvas (squash 1 and dx 0: the silhouette itself, a shadow on the wall behind).
static int shadow_cast(Image *canvas, const Layer *layer, double bx, double ground, double dx_per_height, double squash,
                       double opacity, Error *err) {
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
            int sx = (int)lround(ox + x + dx_per_height * height), sy = (int)lround(ground - height * squash);
            if (sx >= 0 && sx < S && sy >= 0 && sy < S) mask.data[(size_t)sy * S + sx] = 255;
        }
    int rc = image_blur_gaussian(&mask, 1.5 + S / 160.0, err);
    for (size_t i = 0; rc == 0 && i < (size_t)S * S; i++)
        for (int c = 0; c < 3; c++) canvas->data[i * 3 + c] = (uint8_t)(canvas->data[i * 3 + c] * (1 - opacity * mask.data[i] / 255.0));
    image_free(&mask);
    return rc;
}

// Paints the layer with its base at (bx, by), rows from `clip_below` on left out (-1: none); returns
// the canvas box of its opaque pixels.
static SynthBox layer_composite(Image *canvas, const Layer *layer, double bx, double by, int clip_below) {
    int ox = (int)lround(bx - layer->base_x), oy = (int)lround(by - layer->base_y);
    SynthBox box = {canvas->width, canvas->height, 0, 0};
    for (int y = 0; y < layer->image.height; y++) {
        int cy = oy + y;
        if (cy < 0 || cy >= canvas->height || (clip_below >= 0 && cy >= clip_below)) continue;
        for (int x = 0; x < layer->image.width; x++) {
            int cx = ox + x;
            if (cx < 0 || cx >= canvas->width) continue;
            const uint8_t *p = layer->image.data + ((size_t)y * layer->image.width + x) * 4;
            uint8_t *q = canvas->data + ((size_t)cy * canvas->width + cx) * 3;
            for (int c = 0; c < 3; c++) q[c] = (uint8_t)((p[c] * p[3] + q[c] * (255 - p[3]) + 127) / 255);
            if (p[3] > 64) {
                if (cx < box.x0) box.x0 = cx;
                if (cx >= box.x1) box.x1 = cx + 1;
                if (cy < box.y0) box.y0 = cy;
                if (cy >= box.y1) box.y1 = cy + 1;
            }
        }
    }
    return box;
}

// Outside the frame, one strip at its border repeated outwards (on the side with more room).
static void repeat_tiles(Image *canvas, int fx0, int fx1, int period) {
    int S = canvas->width, left = fx0 > S - fx1;
    for (int y = 0; y < S; y++)
        for (int x = left ? 0 : fx1; x < (left ? fx0 : S); x++) {
            int src = left ? fx0 + (fx0 - 1 - x) % period : fx1 - period + (x - fx1) % period;
            memcpy(canvas->data + ((size_t)y * S + x) * 3, canvas->data + ((size_t)y * S + src) * 3, 3);
        }
}

static int sign(Rng *rng) { return rng_next_int(rng, 2) ? 1 : -1; }

int composite_candidate_render(Image *canvas, CandidateMeta *meta, size_t *wall, size_t *surface,
                               const CompositeRequest *request, Rng *rng, Error *err) {
    int S = canvas->width;
    DefectKind kind = request->defect;
    Scene scene;
    scene_random(&scene, request->photos, S, rng);
    *wall = scene.wall_index, *surface = scene.surface_index;
    double sev = kind != DEFECT_NONE ? rng_next_range(rng, request->severity_lo, request->severity_hi) : 0;
    memset(meta, 0, sizeof *meta);
    meta->defect = kind, meta->severity = sev, meta->light_side = scene.light_side;
    meta->shadow_ratio = meta->scale_ratio = 1;
    // the original's framing inside the wider canvas, its base on the surface
    double f = rng_next_range(rng, 0.55, 0.74), side = f * S;
    double base_y = rng_next_range(rng, fmax(scene.horizon + 0.1 * S, 0.8 * side), S - 0.2 * side - 2);
    double frame_x = rng_next_range(rng, 0, S - side), frame_y = base_y - 0.8 * side;
    double base_x = frame_x + side / 2, height = request->original_height * f * rng_next_range(rng, 0.95, 1.05);
    int fx0 = (int)frame_x, fy0 = (int)frame_y, fx1 = (int)(frame_x + side), fy1 = (int)(frame_y + side);
    meta->frame = (SynthBox){fx0, fy0, fx1, fy1};
    double expected_height = height;
    if (kind == DEFECT_WRONG_SCALE) height *= rng_next_int(rng, 2) ? 1.45 + 0.8 * sev : 1 / (1.5 + 1.0 * sev);
    double azimuth = scene.light_side * rng_next_range(rng, 35, 70), elevation = rng_next_range(rng, 30, 50);
    double shadow_dx = -scene.light_side * rng_next_range(rng, 0.5, 0.9), opacity = rng_next_range(rng, 0.55, 0.8);
    meta->light_azimuth = azimuth, meta->light_elevation = elevation;
    meta->scale_ratio = height / expected_height;

    scene_paint(canvas, &scene, 0, 0, S, S);
    if (kind == DEFECT_SEAM || kind == DEFECT_BROKEN_EDGE || kind == DEFECT_PERSPECTIVE_JUMP) {
        Scene inner = scene; // the inside of the frame painted from another view
        if (kind == DEFECT_SEAM) {
            for (int c = 0; c < 3; c++)
                inner.gain[c] *= 1 + (c == 1 ? -0.05 : (c == 0 ? 0.3 : -0.3) * sign(rng)) * (0.3 + 0.7 * sev);
            inner.wall_x += 40 * sev, inner.surface_x += 30 * sev;
        } else if (kind == DEFECT_BROKEN_EDGE) {
            inner.horizon += sign(rng) * S * (0.04 + 0.1 * sev);
            inner.horizon = fmin(inner.horizon, base_y - 6);
        } else { // the surface and wall seen at another distance
            double k = pow(1.7 + 1.3 * sev, sign(rng));
            inner.surface_scale *= k, inner.wall_scale *= k;
            inner.horizon = fmin(inner.horizon + S * 0.03 * sign(rng), base_y - 6);
        }
        scene_paint(canvas, &inner, fx0 < 0 ? 0 : fx0, fy0 < 0 ? 0 : fy0, fx1 > S ? S : fx1, fy1 > S ? S : fy1);
    }
    if (kind == DEFECT_REPEATED_TILES) repeat_tiles(canvas, fx0, fx1, (int)(S * (0.1 - 0.06 * sev)) + 4);
    meta->surface_y = (int)lround(scene.horizon);
    meta->base_y = (int)ceil(base_y);

    Layer layer = {0};
    int bx, by;
    double light = kind == DEFECT_HIGHLIGHT_WRONG_SIDE ? -azimuth : azimuth;
    if (cutout_product_render(&layer.image, &bx, &by, &request->design, height, light, elevation, err) != 0) return -1;
    layer.base_x = bx, layer.base_y = by;
    int w = layer.image.width, h = layer.image.height, rc = 0;
    switch (kind) {
    case DEFECT_WARPED: {
        Remap r = {{1, 0, 0, 0, 1, 0}, height * (0.03 + 0.06 * sev), height * rng_next_range(rng, 0.35, 0.7)};
        Image out;
        rc = remap_apply(&out, &layer.image, w, h, &r, err);
        if (rc == 0) image_free(&layer.image), layer.image = out;
        break;
    }
    case DEFECT_STRETCHED: {
        double k = 1.22 + 0.45 * sev;
        Remap r = {{1 / k, 0, 0, 0, 1, 0}, 0, 1};
        rc = layer_transform(&layer, &r, (int)(w * k), h, bx * k, by, err);
        break;
    }
    case DEFECT_WRONG_COLOUR: layer_recolour(&layer, sign(rng) * (60 + 100 * sev), 0, h); break;
    case DEFECT_PART_MISSING: layer_clear_rows(&layer, 0, (int)(by - height * (0.78 - 0.2 * sev))); break;
    case DEFECT_PART_CHANGED: { // the top of the product (cap, lid, flap) in another colour
        int top = (int)(by - height);
        layer_recolour(&layer, sign(rng) * (90 + 80 * sev), 0, top + (int)(height * (0.22 + 0.15 * sev)));
        break;
    }
    case DEFECT_TEXT_GARBLED:
        layer_scramble(&layer, (int)(by - height * 0.72), (int)(by - height * 0.3), 3 + (int)(3 * sev),
                       1 + rng_next_int(rng, 2));
        break;
    case DEFECT_TILTED:
        rc = layer_tilt(&layer, sign(rng) * (14 + 30 * sev), err);
        meta->tilt_degrees = 14 + 30 * sev;
        break;
    case DEFECT_UPSIDE_DOWN: {
        Remap r = {{1, 0, 0, 0, -1, h - 1}, 0, 1};
        rc = layer_transform(&layer, &r, w, h, bx, by, err);
        meta->tilt_degrees = 180;
        break;
    }
    default: break;
    }
    double ground = base_y, lift = 0;
    if (kind == DEFECT_FLOATING) lift = height * (0.12 + 0.3 * sev);
    if (kind == DEFECT_SUNK) lift = -height * (0.12 + 0.3 * sev);
    if (kind == DEFECT_ON_WALL) lift = base_y - scene.horizon + S * (0.04 + 0.16 * sev);
    if (kind == DEFECT_CUT_BY_FRAME) { // a share of the product beyond the canvas' left or right edge
        double visible = 0.7 - 0.35 * sev;
        base_x = rng_next_int(rng, 2) ? w * (visible - 0.5) : S - w * (visible - 0.5);
    }
    meta->gap_pixels = (int)lround(fabs(lift));
    if (kind == DEFECT_SHADOW_LENGTH) {
        meta->shadow_ratio = rng_next_int(rng, 2) ? 2.6 + 1.5 * sev : 0.3 - 0.2 * sev;
        shadow_dx *= meta->shadow_ratio;
    }
    if (kind == DEFECT_SHADOW_REVERSED) shadow_dx = -shadow_dx;
    meta->shadow_side = kind == DEFECT_SHADOW_MISSING ? 0 : kind == DEFECT_SHADOW_DOUBLE ? 2 : shadow_dx < 0 ? -1 : 1;
    if (rc == 0 && kind == DEFECT_ON_WALL) // a shadow on the wall right behind it
        rc = shadow_cast(canvas, &layer, base_x + shadow_dx * height * 0.1, ground - lift + height * 0.05, 0, 1,
                         opacity * 0.7, err);
    else if (rc == 0 && kind != DEFECT_SHADOW_MISSING)
        rc = shadow_cast(canvas, &layer, base_x, ground, shadow_dx, 0.22, opacity, err);
    if (rc == 0 && kind == DEFECT_SHADOW_DOUBLE)
        rc = shadow_cast(canvas, &layer, base_x, ground, -shadow_dx, 0.22, opacity * (0.5 + 0.5 * sev), err);
    SynthBox copy_box = {0, 0, 0, 0};
    if (rc == 0 && kind == DEFECT_DUPLICATED_PRODUCT) { // a second copy standing in the outpainted area
        double dx = fx0 > S - fx1 ? fx0 / 2.0 : (fx1 + S) / 2.0, k = 0.6 + 0.4 * sev;
        Layer copy = {0};
        if (cutout_product_render(&copy.image, &bx, &by, &request->design, height * k, azimuth, elevation, err) != 0) rc = -1;
        copy.base_x = bx, copy.base_y = by;
        if (rc == 0) rc = shadow_cast(canvas, &copy, dx, base_y, shadow_dx, 0.22, opacity, err);
        if (rc == 0) copy_box = layer_composite(canvas, &copy, dx, base_y, -1);
        image_free(&copy.image);
    }
    if (rc == 0) meta->product = layer_composite(canvas, &layer, base_x, ground - lift, kind == DEFECT_SUNK ? (int)ground : -1);
    image_free(&layer.image);
    if (rc != 0) return -1;
    meta->region = meta->product;
    if (kind == DEFECT_FLOATING) meta->region.y1 = meta->base_y + 1;
    if (kind == DEFECT_DUPLICATED_PRODUCT) meta->region = copy_box;
    if (kind == DEFECT_SEAM || kind == DEFECT_BROKEN_EDGE || kind == DEFECT_PERSPECTIVE_JUMP ||
        kind == DEFECT_REPEATED_TILES)
        meta->region = meta->frame;
    return 0;
}
