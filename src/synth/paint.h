// paint.h — private to src/synth: colours, light, shading overlays, label text and the bridge
// between cairo surfaces and Image.
#ifndef IAR_SYNTH_PAINT_H
#define IAR_SYNTH_PAINT_H

#include <cairo.h>
#include <stdint.h>

#include "core/rng.h"
#include "image/image.h"

// Sub-streams of RNG_PURPOSE_SYNTH: rng_stream(seed, sample, SYNTH_STREAM(n)).
#define SYNTH_STREAM(n) (((uint64_t)RNG_PURPOSE_SYNTH << 32) | (uint64_t)(n))
enum { STREAM_ANSWER_BLOCK = 1, STREAM_PLAN, STREAM_PRODUCT, STREAM_SCENE, STREAM_DEFECT, STREAM_RATIONALE };

typedef struct Rgb {
    double r, g, b;
} Rgb;

Rgb rgb_from_hsv(double hue_degrees, double saturation, double value);
Rgb rgb_mix(Rgb a, Rgb b, double t); // a + (b - a) t
Rgb rgb_scale(Rgb c, double k);      // clamped to [0, 1]
double rgb_hue(Rgb c);               // degrees 0..360
const char *rgb_name(Rgb c);         // "red", "blue", ... for rationales
void paint_set_rgb(cairo_t *cr, Rgb c);
void paint_set_rgba(cairo_t *cr, Rgb c, double alpha);

// One light for the whole scene. azimuth: degrees, negative = from the left, 0 = from the viewer;
// elevation: degrees above the surface.
typedef struct Light {
    double azimuth, elevation;
    double strength; // 0..1: how directional (shadow darkness, shading contrast)
} Light;

// Unit vector towards the light: x right, y up, z towards the viewer.
void light_vector(const Light *light, double *lx, double *ly, double *lz);
// Shadow of a vertical object on the floor, per unit of height: image dx and upward dy.
void light_shadow_offset(const Light *light, double *dx_per_height, double *dy_per_height);

// Darkens (brightness < 1) or lightens (> 1) whatever is inside the current clip.
void paint_shade_flat(cairo_t *cr, double brightness);
// Cylindrical shading across [x0, x1] inside the current clip, lit by `light`.
void paint_shade_cylinder(cairo_t *cr, double x0, double x1, const Light *light);
// Brightness of a flat face with normal (nx, ny, nz) under `light`.
double light_face_brightness(const Light *light, double nx, double ny, double nz);

// Selects the label font (DejaVu Sans, regular or bold) on `cr`. Every text the generator draws
// goes through it: glyphs then depend only on their size, never on what was drawn before.
void paint_set_label_font(cairo_t *cr, int bold);
// Draws `text` centred at (cx, cy), bold, shrunk to fit max_width and max_height.
void paint_text_centred(cairo_t *cr, const char *text, double cx, double cy, double max_width, double max_height,
                        int bold);

// Converts an RGB24/ARGB32 surface (flushed) to a 3-channel Image.
int paint_surface_to_image(cairo_surface_t *surface, Image *out, Error *err);
// Gaussian-blurs the rectangle [x0,x1)x[y0,y1) of an ARGB32 surface that holds black with alpha.
int paint_blur_alpha_region(cairo_surface_t *surface, int x0, int y0, int x1, int y1, double sigma, Error *err);

#endif
