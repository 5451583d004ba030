// paint.c — colours, light vectors, shading overlays, fitted label text, surface conversion.
#include "synth/paint.h"

#include <cairo-ft.h>
#include <fontconfig/fontconfig.h>
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "synth/synth.h"

#define DEG (M_PI / 180.0)

Rgb rgb_from_hsv(double h, double s, double v) {
    h = fmod(fmod(h, 360.0) + 360.0, 360.0) / 60.0;
    int i = (int)h;
    double f = h - i, p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
    switch (i) {
    case 0: return (Rgb){v, t, p};
    case 1: return (Rgb){q, v, p};
    case 2: return (Rgb){p, v, t};
    case 3: return (Rgb){p, q, v};
    case 4: return (Rgb){t, p, v};
    default: return (Rgb){v, p, q};
    }
}

static double clamp01(double v) { return v < 0 ? 0 : (v > 1 ? 1 : v); }

Rgb rgb_mix(Rgb a, Rgb b, double t) {
    return (Rgb){a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t};
}

Rgb rgb_scale(Rgb c, double k) { return (Rgb){clamp01(c.r * k), clamp01(c.g * k), clamp01(c.b * k)}; }

double rgb_hue(Rgb c) {
    double mx = fmax(c.r, fmax(c.g, c.b)), mn = fmin(c.r, fmin(c.g, c.b)), d = mx - mn;
    if (d < 1e-9) return 0;
    double h;
    if (mx == c.r) h = fmod((c.g - c.b) / d, 6.0);
    else if (mx == c.g) h = (c.b - c.r) / d + 2;
    else h = (c.r - c.g) / d + 4;
    h *= 60;
    return h < 0 ? h + 360 : h;
}

const char *rgb_name(Rgb c) {
    double mx = fmax(c.r, fmax(c.g, c.b)), mn = fmin(c.r, fmin(c.g, c.b));
    if (mx - mn < 0.12) return mx > 0.75 ? "white" : (mx < 0.3 ? "black" : "grey");
    double h = rgb_hue(c);
    if (h < 15 || h >= 340) return "red";
    if (h < 45) return "orange";
    if (h < 70) return "yellow";
    if (h < 160) return "green";
    if (h < 200) return "teal";
    if (h < 255) return "blue";
    if (h < 290) return "purple";
    return "pink";
}

void paint_set_rgb(cairo_t *cr, Rgb c) { cairo_set_source_rgb(cr, c.r, c.g, c.b); }
void paint_set_rgba(cairo_t *cr, Rgb c, double alpha) { cairo_set_source_rgba(cr, c.r, c.g, c.b, alpha); }

void light_vector(const Light *light, double *lx, double *ly, double *lz) {
    double a = light->azimuth * DEG, e = light->elevation * DEG;
    *lx = sin(a) * cos(e);
    *ly = sin(e);
    *lz = cos(a) * cos(e);
}

void light_shadow_offset(const Light *light, double *dx, double *dy) {
    double a = light->azimuth * DEG, e = light->elevation * DEG;
    double length = fmin(cos(e) / sin(e), 1.8);
    *dx = -sin(a) * length;
    *dy = cos(a) * length * 0.3 + 0.03; // foreshortened: the floor recedes up the image
}

double light_face_brightness(const Light *light, double nx, double ny, double nz) {
    double lx, ly, lz;
    light_vector(light, &lx, &ly, &lz);
    double diffuse = fmax(0.0, nx * lx + ny * ly + nz * lz);
    double k = 0.35 + 0.5 * light->strength; // contrast grows with directionality
    return 1.0 - k * 0.55 + k * diffuse;
}

void paint_shade_flat(cairo_t *cr, double brightness) {
    if (brightness < 1.0) cairo_set_source_rgba(cr, 0, 0, 0, fmin(0.85, 1.0 - brightness));
    else cairo_set_source_rgba(cr, 1, 1, 1, fmin(0.6, (brightness - 1.0) * 0.8));
    cairo_paint(cr);
}

void paint_shade_cylinder(cairo_t *cr, double x0, double x1, const Light *light) {
    cairo_pattern_t *gradient = cairo_pattern_create_linear(x0, 0, x1, 0);
    for (int i = 0; i <= 8; i++) {
        double u = -1.0 + 2.0 * i / 8.0, nz = sqrt(fmax(0.0, 1.0 - u * u * 0.92));
        double b = light_face_brightness(light, u, 0.0, nz);
        if (b < 1.0) cairo_pattern_add_color_stop_rgba(gradient, i / 8.0, 0, 0, 0, fmin(0.85, 1.0 - b));
        else cairo_pattern_add_color_stop_rgba(gradient, i / 8.0, 1, 1, 1, fmin(0.6, (b - 1.0) * 0.8));
    }
    cairo_set_source(cr, gradient);
    cairo_paint(cr);
    cairo_pattern_destroy(gradient);
}

// The label fonts. cairo's toy API (cairo_select_font_face) resolves its fontconfig pattern at the
// size of the first text drawn and then reuses that resolution for every size; fontconfig turns
// DejaVu's hinting off below 7.5 px, so the glyphs of every later label depended on which sample, on
// which thread, drew text first. These faces are resolved once at a fixed size, so a glyph depends
// only on its own size. A process-wide cache of two immutable handles, guarded by the mutex.
#define LABEL_FONT_REFERENCE_PIXELS 12.0
static pthread_mutex_t label_font_mutex = PTHREAD_MUTEX_INITIALIZER;
static cairo_font_face_t *label_fonts[2]; // regular, bold

static cairo_font_face_t *label_font_resolve(int bold) {
    FcPattern *pattern = FcPatternCreate();
    if (!pattern) return NULL;
    FcPatternAddString(pattern, FC_FAMILY, (const FcChar8 *)"DejaVu Sans");
    FcPatternAddInteger(pattern, FC_WEIGHT, bold ? FC_WEIGHT_BOLD : FC_WEIGHT_REGULAR);
    FcPatternAddInteger(pattern, FC_SLANT, FC_SLANT_ROMAN);
    FcPatternAddDouble(pattern, FC_PIXEL_SIZE, LABEL_FONT_REFERENCE_PIXELS);
    FcConfigSubstitute(NULL, pattern, FcMatchPattern);
    FcDefaultSubstitute(pattern);
    FcResult result;
    FcPattern *match = FcFontMatch(NULL, pattern, &result);
    FcPatternDestroy(pattern);
    if (!match) return NULL;
    // the match names a file, so cairo opens it directly and never re-resolves per size
    cairo_font_face_t *face = cairo_ft_font_face_create_for_pattern(match);
    FcPatternDestroy(match);
    if (cairo_font_face_status(face) != CAIRO_STATUS_SUCCESS) {
        cairo_font_face_destroy(face);
        return NULL;
    }
    return face;
}

void paint_set_label_font(cairo_t *cr, int bold) {
    bold = bold != 0;
    pthread_mutex_lock(&label_font_mutex);
    if (!label_fonts[bold]) label_fonts[bold] = label_font_resolve(bold);
    cairo_font_face_t *face = label_fonts[bold];
    if (face) cairo_set_font_face(cr, face); // cr takes its own reference
    pthread_mutex_unlock(&label_font_mutex);
    if (!face) // no fontconfig match at all: whatever cairo finds (never the case with DejaVu installed)
        cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                               bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
}

void paint_text_centred(cairo_t *cr, const char *text, double cx, double cy, double max_width, double max_height,
                        int bold) {
    if (!text[0] || max_width <= 1 || max_height <= 1) return;
    paint_set_label_font(cr, bold);
    cairo_set_font_size(cr, max_height);
    cairo_text_extents_t ext;
    cairo_text_extents(cr, text, &ext);
    double scale = 1.0;
    if (ext.width > max_width) scale = max_width / ext.width;
    if (ext.height * scale > max_height) scale = max_height / ext.height;
    cairo_set_font_size(cr, max_height * scale);
    cairo_text_extents(cr, text, &ext);
    cairo_move_to(cr, cx - ext.width / 2 - ext.x_bearing, cy - ext.height / 2 - ext.y_bearing);
    cairo_show_text(cr, text);
    cairo_new_path(cr);
}

int paint_surface_to_image(cairo_surface_t *surface, Image *out, Error *err) {
    cairo_surface_flush(surface);
    int w = cairo_image_surface_get_width(surface), h = cairo_image_surface_get_height(surface);
    int stride = cairo_image_surface_get_stride(surface);
    const unsigned char *data = cairo_image_surface_get_data(surface);
    if (image_create(out, w, h, 3, err) != 0) return -1;
    for (int y = 0; y < h; y++) {
        const uint32_t *row = (const uint32_t *)(data + (size_t)y * stride);
        uint8_t *dst = out->data + (size_t)y * w * 3;
        for (int x = 0; x < w; x++) {
            uint32_t p = row[x]; // opaque canvas: premultiplied equals straight
            dst[x * 3 + 0] = (uint8_t)(p >> 16);
            dst[x * 3 + 1] = (uint8_t)(p >> 8);
            dst[x * 3 + 2] = (uint8_t)p;
        }
    }
    return 0;
}

int paint_blur_alpha_region(cairo_surface_t *surface, int x0, int y0, int x1, int y1, double sigma, Error *err) {
    int w = cairo_image_surface_get_width(surface), h = cairo_image_surface_get_height(surface);
    x0 = x0 < 0 ? 0 : x0;
    y0 = y0 < 0 ? 0 : y0;
    x1 = x1 > w ? w : x1;
    y1 = y1 > h ? h : y1;
    if (x1 <= x0 || y1 <= y0) return 0;
    cairo_surface_flush(surface);
    int stride = cairo_image_surface_get_stride(surface);
    unsigned char *data = cairo_image_surface_get_data(surface);
    // The colour is black everywhere, so only alpha (the high byte of each pixel) needs blurring.
    Image region;
    if (image_create(&region, x1 - x0, y1 - y0, 1, err) != 0) return -1;
    for (int y = y0; y < y1; y++) {
        const uint32_t *src = (const uint32_t *)(data + (size_t)y * stride) + x0;
        uint8_t *dst = region.data + (size_t)(y - y0) * region.width;
        for (int x = 0; x < region.width; x++) dst[x] = (uint8_t)(src[x] >> 24);
    }
    int rc = image_blur_gaussian(&region, sigma, err);
    for (int y = y0; rc == 0 && y < y1; y++) {
        const uint8_t *src = region.data + (size_t)(y - y0) * region.width;
        uint32_t *dst = (uint32_t *)(data + (size_t)y * stride) + x0;
        for (int x = 0; x < region.width; x++) dst[x] = (uint32_t)src[x] << 24;
    }
    image_free(&region);
    cairo_surface_mark_dirty(surface);
    return rc;
}

void synth_release_static_data(void) {
    pthread_mutex_lock(&label_font_mutex);
    for (int i = 0; i < 2; i++) {
        cairo_font_face_destroy(label_fonts[i]);
        label_fonts[i] = NULL;
    }
    pthread_mutex_unlock(&label_font_mutex);
    cairo_debug_reset_static_data();
    FcFini();
}
