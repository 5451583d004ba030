// product.c — random pharmacy products and their drawing. Every product is drawn in its own frame:
// base centre at the origin, `height` pixels up, so placement and deformation are transforms.
#include "synth/product.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const SYLLABLES_START[] = {"Cal", "Ven", "Ox", "Ira", "Pro", "Neu", "Derm", "Fla", "Ami", "Cor",
                                             "Lum", "Sol", "Tri", "Zy", "Med", "Pax", "Rho", "Ul"};
static const char *const SYLLABLES_END[] = {"vex", "dol", "ora", "ine", "mex", "cin", "zol", "tra", "fen", "lix",
                                           "max", "pan", "rin", "sol", "tal", "vit"};
static const int DOSES[] = {5, 10, 20, 25, 50, 100, 200, 250, 400, 500, 1000};
static const char *const COUNTS[] = {"%d tablets", "%d capsules", "%d ml", "%d g", "%d sachets"};
static const int COUNT_NUMBERS[] = {10, 14, 20, 28, 30, 50, 60, 100};

const char *product_kind_id(ProductKind kind) {
    static const char *const ids[PRODUCT_KIND_COUNT] = {"box", "bottle", "blister", "tube", "jar"};
    return (unsigned)kind < PRODUCT_KIND_COUNT ? ids[kind] : "product";
}

static Rgb random_saturated(Rng *rng) {
    return rgb_from_hsv(rng_next_range(rng, 0, 360), rng_next_range(rng, 0.55, 0.9), rng_next_range(rng, 0.55, 0.9));
}

void product_spec_random(ProductSpec *spec, Rng *rng) {
    memset(spec, 0, sizeof *spec);
    spec->kind = (ProductKind)rng_next_int(rng, PRODUCT_KIND_COUNT);
    spec->main = random_saturated(rng);
    spec->accent = random_saturated(rng);
    spec->label = rgb_from_hsv(rng_next_range(rng, 0, 360), rng_next_range(rng, 0, 0.08), rng_next_range(rng, 0.92, 1));
    spec->ink = rng_next_int(rng, 3) == 0 ? rgb_scale(spec->main, 0.6) : (Rgb){0.12, 0.12, 0.16};
    spec->cap = rng_next_int(rng, 2) ? (Rgb){0.95, 0.95, 0.95} : random_saturated(rng);
    spec->pill = rng_next_int(rng, 2) ? (Rgb){0.97, 0.97, 0.94} : random_saturated(rng);
    spec->stripe = rng_next_int(rng, 4);
    spec->logo = rng_next_int(rng, 4);
    spec->cap_style = rng_next_int(rng, 3);
    spec->side = rng_next_int(rng, 2) ? 1 : -1;
    snprintf(spec->brand, sizeof spec->brand, "%s%s", SYLLABLES_START[rng_next_int(rng, 18)],
             SYLLABLES_END[rng_next_int(rng, 16)]);
    snprintf(spec->dosage, sizeof spec->dosage, "%d mg", DOSES[rng_next_int(rng, 11)]);
    snprintf(spec->count, sizeof spec->count, COUNTS[rng_next_int(rng, 5)], COUNT_NUMBERS[rng_next_int(rng, 8)]);
    switch (spec->kind) {
    case PRODUCT_BOX:
        spec->aspect = rng_next_range(rng, 0.55, 1.1);
        spec->depth = rng_next_range(rng, 0.2, 0.38);
        spec->real_height_cm = rng_next_range(rng, 9, 14);
        break;
    case PRODUCT_BOTTLE:
        spec->aspect = rng_next_range(rng, 0.42, 0.58);
        spec->main = rng_next_int(rng, 2) ? rgb_from_hsv(30, 0.85, rng_next_range(rng, 0.45, 0.6)) : spec->main;
        spec->real_height_cm = rng_next_range(rng, 10, 16);
        break;
    case PRODUCT_BLISTER:
        spec->aspect = rng_next_range(rng, 0.6, 0.8);
        spec->main = rgb_from_hsv(0, 0, rng_next_range(rng, 0.72, 0.85)); // foil
        spec->pill_rows = 3 + rng_next_int(rng, 3);
        spec->pill_cols = 2 + rng_next_int(rng, 2);
        spec->real_height_cm = rng_next_range(rng, 9, 12);
        break;
    case PRODUCT_TUBE:
        spec->aspect = rng_next_range(rng, 0.32, 0.42);
        spec->main = rng_next_int(rng, 2) ? (Rgb){0.96, 0.96, 0.95} : spec->main;
        spec->real_height_cm = rng_next_range(rng, 12, 17);
        break;
    default:
        spec->aspect = rng_next_range(rng, 0.95, 1.3);
        spec->real_height_cm = rng_next_range(rng, 6, 9);
        break;
    }
}

const char *product_part_name(const ProductSpec *spec) {
    switch (spec->kind) {
    case PRODUCT_BOX: return "logo";
    case PRODUCT_BLISTER: return "pills";
    case PRODUCT_JAR: return "lid";
    default: return "cap";
    }
}

void product_change_colour(ProductSpec *spec, double severity, Rng *rng) {
    double shift = (rng_next_int(rng, 2) ? 1 : -1) * (50 + 110 * severity);
    Rgb *target = spec->kind == PRODUCT_BLISTER || spec->kind == PRODUCT_TUBE ? &spec->accent : &spec->main;
    double h = rgb_hue(*target);
    double mx = fmax(target->r, fmax(target->g, target->b)), mn = fmin(target->r, fmin(target->g, target->b));
    *target = rgb_from_hsv(h + shift, fmax(0.55, mx > 0 ? (mx - mn) / mx : 0), fmax(0.5, mx));
}

void product_change_part(ProductSpec *spec, Rng *rng) {
    Rgb before = spec->kind == PRODUCT_BOX || spec->kind == PRODUCT_BLISTER ? spec->accent : spec->cap;
    Rgb after = before;
    // a clearly different hue, never a near-identical one (the opposite hue if the draws keep missing)
    for (int tries = 0; fabs(rgb_hue(after) - rgb_hue(before)) < 60 || strcmp(rgb_name(after), rgb_name(before)) == 0;
         tries++)
        after = tries < 16 ? random_saturated(rng) : rgb_from_hsv(rgb_hue(before) + 180, 0.8, 0.75);
    if (spec->kind == PRODUCT_BOX || spec->kind == PRODUCT_BLISTER) {
        spec->accent = after;
        spec->logo = (spec->logo + 1 + rng_next_int(rng, 3)) % 4;
        if (spec->kind == PRODUCT_BLISTER) spec->pill = random_saturated(rng);
    } else {
        spec->cap = after;
        spec->cap_style = (spec->cap_style + 1 + rng_next_int(rng, 2)) % 3;
    }
}

void product_garble_text(ProductSpec *spec, double severity, Rng *rng) {
    static const char glyphs[] = "XQZKJWVxqzkjw#%&";
    size_t n = strlen(spec->brand);
    size_t changes = 2 + (size_t)(severity * (double)n);
    for (size_t i = 0; i < changes && n > 0; i++) {
        size_t at = (size_t)rng_next_int(rng, (int)n);
        spec->brand[at] = glyphs[rng_next_int(rng, (int)sizeof glyphs - 1)];
    }
    // generated text rarely keeps its length: a longer or shorter word also changes the lettering's
    // size on the label, which stays visible when the letters themselves are too small to read
    if (rng_next_int(rng, 2) && n > 4) {
        spec->brand[n - 2 - (size_t)(severity * 2)] = 0;
    } else {
        for (size_t i = n; i < n + 3 + (size_t)(severity * 4) && i + 1 < sizeof spec->brand; i++) {
            spec->brand[i] = glyphs[rng_next_int(rng, (int)sizeof glyphs - 1)];
            spec->brand[i + 1] = 0;
        }
    }
    if (severity > 0.5) snprintf(spec->dosage, sizeof spec->dosage, "%c%c%c rn9", glyphs[rng_next_int(rng, 7)],
                                 '0' + rng_next_int(rng, 10), glyphs[rng_next_int(rng, 7)]);
}

void product_extent(const ProductSpec *spec, double *left, double *right) {
    double half = spec->aspect / 2;
    *left = -half;
    *right = half;
    if (spec->kind == PRODUCT_BOX) {
        if (spec->side > 0) *right += spec->depth;
        else *left -= spec->depth;
    }
}

static void draw_logo(cairo_t *cr, int logo, Rgb colour, double cx, double cy, double r) {
    paint_set_rgb(cr, colour);
    switch (logo) {
    case 0: // a cross in a circle
        cairo_arc(cr, cx, cy, r, 0, 2 * M_PI);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_rectangle(cr, cx - r * 0.18, cy - r * 0.6, r * 0.36, r * 1.2);
        cairo_rectangle(cr, cx - r * 0.6, cy - r * 0.18, r * 1.2, r * 0.36);
        cairo_fill(cr);
        break;
    case 1: // a leaf
        cairo_move_to(cr, cx - r, cy + r * 0.6);
        cairo_curve_to(cr, cx - r, cy - r, cx + r * 0.4, cy - r, cx + r, cy - r);
        cairo_curve_to(cr, cx + r, cy + r * 0.2, cx, cy + r, cx - r, cy + r * 0.6);
        cairo_fill(cr);
        break;
    case 2: // a drop
        cairo_move_to(cr, cx, cy - r);
        cairo_curve_to(cr, cx + r * 0.9, cy, cx + r * 0.9, cy + r, cx, cy + r);
        cairo_curve_to(cr, cx - r * 0.9, cy + r, cx - r * 0.9, cy, cx, cy - r);
        cairo_fill(cr);
        break;
    default: // rings
        cairo_set_line_width(cr, r * 0.28);
        cairo_arc(cr, cx, cy, r * 0.85, 0, 2 * M_PI);
        cairo_stroke(cr);
        cairo_arc(cr, cx, cy, r * 0.35, 0, 2 * M_PI);
        cairo_fill(cr);
        break;
    }
}

// The printed label shared by box fronts, bottles, tubes and jars: a stripe, the brand, dosage, count.
static void draw_label(cairo_t *cr, const ProductSpec *spec, double x0, double y0, double w, double h, int with_logo) {
    paint_set_rgb(cr, spec->label);
    cairo_rectangle(cr, x0, y0, w, h);
    cairo_fill(cr);
    paint_set_rgb(cr, spec->accent);
    switch (spec->stripe) {
    case 0: cairo_rectangle(cr, x0, y0 + h * 0.78, w, h * 0.14); break;
    case 1: cairo_rectangle(cr, x0, y0, w, h * 0.16); break;
    case 2:
        cairo_move_to(cr, x0, y0 + h);
        cairo_line_to(cr, x0 + w * 0.55, y0 + h);
        cairo_line_to(cr, x0 + w, y0 + h * 0.55);
        cairo_line_to(cr, x0 + w, y0 + h * 0.8);
        cairo_line_to(cr, x0 + w * 0.7, y0 + h);
        break;
    default: cairo_rectangle(cr, x0, y0 + h * 0.62, w * 0.12, h * 0.38); break;
    }
    cairo_fill(cr);
    paint_set_rgb(cr, spec->ink);
    double text_x = with_logo ? x0 + w * 0.58 : x0 + w * 0.5, text_w = with_logo ? w * 0.72 : w * 0.9;
    paint_text_centred(cr, spec->brand, text_x, y0 + h * 0.32, text_w, h * 0.22, 1);
    paint_set_rgb(cr, spec->accent);
    paint_text_centred(cr, spec->dosage, x0 + w * 0.5, y0 + h * 0.58, w * 0.6, h * 0.15, 1);
    paint_set_rgb(cr, spec->ink);
    paint_text_centred(cr, spec->count, x0 + w * 0.5, y0 + h * 0.72, w * 0.6, h * 0.09, 0);
    if (with_logo) draw_logo(cr, spec->logo, spec->accent, x0 + w * 0.13, y0 + h * 0.32, fmin(w, h) * 0.09);
}

static void draw_box(cairo_t *cr, const ProductSpec *spec, double H, const Light *light) {
    double W = spec->aspect * H, d = spec->depth * H, rise = d * 0.45, s = spec->side;
    double xf = s * W / 2; // the front edge next to the side face
    // side face
    cairo_save(cr);
    cairo_move_to(cr, xf, 0);
    cairo_line_to(cr, xf + s * d, -rise);
    cairo_line_to(cr, xf + s * d, -H - rise);
    cairo_line_to(cr, xf, -H);
    cairo_close_path(cr);
    cairo_clip_preserve(cr);
    paint_set_rgb(cr, spec->main);
    cairo_fill(cr);
    paint_set_rgb(cr, spec->accent);
    cairo_move_to(cr, xf, -H * 0.2);
    cairo_line_to(cr, xf + s * d, -H * 0.2 - rise);
    cairo_line_to(cr, xf + s * d, -H * 0.32 - rise);
    cairo_line_to(cr, xf, -H * 0.32);
    cairo_fill(cr);
    paint_shade_flat(cr, light_face_brightness(light, s * 0.9, 0, 0.44));
    cairo_restore(cr);
    // top face
    cairo_save(cr);
    cairo_move_to(cr, -W / 2, -H);
    cairo_line_to(cr, W / 2, -H);
    cairo_line_to(cr, W / 2 + s * d, -H - rise);
    cairo_line_to(cr, -W / 2 + s * d, -H - rise);
    cairo_close_path(cr);
    cairo_clip_preserve(cr);
    paint_set_rgb(cr, spec->main);
    cairo_fill(cr);
    paint_shade_flat(cr, light_face_brightness(light, 0, 0.9, 0.44));
    cairo_restore(cr);
    // front face: a coloured carton with a white label panel
    cairo_save(cr);
    cairo_rectangle(cr, -W / 2, -H, W, H);
    cairo_clip(cr);
    paint_set_rgb(cr, spec->main);
    cairo_paint(cr);
    double inset = W * 0.07;
    draw_label(cr, spec, -W / 2 + inset, -H * 0.82, W - 2 * inset, H * 0.6, !spec->part_missing);
    paint_shade_flat(cr, light_face_brightness(light, 0, 0, 1));
    cairo_restore(cr);
    cairo_set_source_rgba(cr, 0, 0, 0, 0.35);
    cairo_set_line_width(cr, fmax(0.6, H * 0.006));
    cairo_move_to(cr, xf, 0);
    cairo_line_to(cr, xf, -H);
    cairo_stroke(cr);
}

// A cap (or nozzle) standing on y_bottom, clipped to its own outline so the shading stays on it.
static void draw_cap(cairo_t *cr, const ProductSpec *spec, double cx, double y_bottom, double w, double h,
                     const Light *light) {
    cairo_save(cr);
    double ch = spec->cap_style == 1 ? h * 1.35 : h;
    if (spec->cap_style == 2) { // dropper / nozzle
        cairo_rectangle(cr, cx - w / 2, y_bottom - h * 0.45, w, h * 0.45);
        cairo_move_to(cr, cx - w * 0.3, y_bottom - h * 0.45);
        cairo_line_to(cr, cx - w * 0.08, y_bottom - h);
        cairo_line_to(cr, cx + w * 0.08, y_bottom - h);
        cairo_line_to(cr, cx + w * 0.3, y_bottom - h * 0.45);
        cairo_close_path(cr);
    } else {
        cairo_rectangle(cr, cx - w / 2, y_bottom - ch, w, ch);
    }
    cairo_clip(cr);
    paint_set_rgb(cr, spec->cap);
    cairo_paint(cr);
    if (spec->cap_style != 2) {
        cairo_set_source_rgba(cr, 0, 0, 0, 0.22);
        cairo_set_line_width(cr, fmax(0.5, w * 0.03));
        int ridges = spec->cap_style == 1 ? 3 : 7;
        for (int i = 1; i < ridges; i++) {
            if (spec->cap_style == 1) { // horizontal bands of a child-proof cap
                cairo_move_to(cr, cx - w / 2, y_bottom - ch * i / ridges);
                cairo_line_to(cr, cx + w / 2, y_bottom - ch * i / ridges);
            } else {
                cairo_move_to(cr, cx - w / 2 + w * i / ridges, y_bottom);
                cairo_line_to(cr, cx - w / 2 + w * i / ridges, y_bottom - ch);
            }
        }
        cairo_stroke(cr);
    }
    paint_shade_cylinder(cr, cx - w / 2, cx + w / 2, light);
    cairo_restore(cr);
}

static void rounded_rectangle(cairo_t *cr, double x, double y, double w, double h, double r) {
    cairo_new_sub_path(cr);
    cairo_arc(cr, x + w - r, y + r, r, -M_PI / 2, 0);
    cairo_arc(cr, x + w - r, y + h - r, r, 0, M_PI / 2);
    cairo_arc(cr, x + r, y + h - r, r, M_PI / 2, M_PI);
    cairo_arc(cr, x + r, y + r, r, M_PI, 1.5 * M_PI);
    cairo_close_path(cr);
}

static void draw_bottle(cairo_t *cr, const ProductSpec *spec, double H, const Light *light) {
    double W = spec->aspect * H, neck = W * 0.42, body_top = -0.7 * H, neck_top = -0.82 * H;
    cairo_save(cr);
    cairo_move_to(cr, -W / 2, -W * 0.08);
    cairo_line_to(cr, -W / 2, body_top);
    cairo_curve_to(cr, -W / 2, body_top - H * 0.08, -neck / 2, body_top - H * 0.06, -neck / 2, body_top - H * 0.1);
    cairo_line_to(cr, -neck / 2, neck_top);
    cairo_line_to(cr, neck / 2, neck_top);
    cairo_line_to(cr, neck / 2, body_top - H * 0.1);
    cairo_curve_to(cr, neck / 2, body_top - H * 0.06, W / 2, body_top - H * 0.08, W / 2, body_top);
    cairo_line_to(cr, W / 2, -W * 0.08);
    cairo_curve_to(cr, W / 2, 0, W / 2 - W * 0.08, 0, W / 2 - W * 0.1, 0);
    cairo_line_to(cr, -W / 2 + W * 0.1, 0);
    cairo_curve_to(cr, -W / 2 + W * 0.08, 0, -W / 2, 0, -W / 2, -W * 0.08);
    cairo_close_path(cr);
    cairo_clip_preserve(cr);
    paint_set_rgb(cr, spec->main);
    cairo_fill(cr);
    draw_label(cr, spec, -W / 2, -0.62 * H, W, 0.48 * H, 0);
    paint_shade_cylinder(cr, -W / 2, W / 2, light);
    cairo_restore(cr);
    if (!spec->part_missing) {
        draw_cap(cr, spec, 0, neck_top + H * 0.01, neck * 1.3, H * 0.17, light);
    } else { // bare neck with its thread
        cairo_set_source_rgba(cr, 0, 0, 0, 0.3);
        cairo_set_line_width(cr, fmax(0.5, H * 0.008));
        for (int i = 0; i < 3; i++) {
            cairo_move_to(cr, -neck / 2, neck_top + H * 0.03 * (i + 1));
            cairo_line_to(cr, neck / 2, neck_top + H * 0.03 * (i + 0.6));
        }
        cairo_stroke(cr);
    }
}

static void draw_blister(cairo_t *cr, const ProductSpec *spec, double H, const Light *light) {
    double W = spec->aspect * H, t = H * 0.025;
    double lx, ly, lz;
    light_vector(light, &lx, &ly, &lz);
    cairo_save(cr);
    rounded_rectangle(cr, -W / 2, -H, W, H, W * 0.06);
    cairo_clip(cr);
    paint_set_rgb(cr, spec->main);
    cairo_paint(cr);
    paint_set_rgb(cr, spec->accent);
    cairo_rectangle(cr, -W / 2, -H, W, H * 0.2);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    paint_text_centred(cr, spec->brand, 0, -H * 0.9, W * 0.8, H * 0.1, 1);
    paint_set_rgb(cr, spec->ink);
    paint_text_centred(cr, spec->dosage, 0, -H * 0.06, W * 0.6, H * 0.07, 1);
    double cell_w = W / spec->pill_cols, cell_h = H * 0.66 / spec->pill_rows;
    double r = fmin(cell_w, cell_h) * 0.36;
    for (int row = 0; row < spec->pill_rows; row++)
        for (int col = 0; col < spec->pill_cols; col++) {
            double cx = -W / 2 + cell_w * (col + 0.5), cy = -H * 0.76 + cell_h * (row + 0.5);
            int empty = spec->part_missing && ((row * 7 + col * 3) % 3 != 1);
            cairo_arc(cr, cx, cy, r * 1.15, 0, 2 * M_PI);
            cairo_set_source_rgba(cr, 0.55, 0.58, 0.62, empty ? 0.8 : 0.45);
            cairo_fill(cr);
            if (empty) { // torn foil
                cairo_set_source_rgba(cr, 0.2, 0.2, 0.22, 0.7);
                cairo_set_line_width(cr, fmax(0.5, r * 0.15));
                cairo_move_to(cr, cx - r * 0.6, cy - r * 0.4);
                cairo_line_to(cr, cx + r * 0.5, cy + r * 0.5);
                cairo_stroke(cr);
                continue;
            }
            paint_set_rgb(cr, spec->pill);
            cairo_save(cr);
            cairo_translate(cr, cx, cy);
            cairo_scale(cr, 1.0, 0.75);
            cairo_arc(cr, 0, 0, r, 0, 2 * M_PI);
            cairo_restore(cr);
            cairo_fill(cr);
            // a specular glint on the bubble, towards the light
            cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
            cairo_arc(cr, cx + lx * r * 0.7, cy - r * 0.45, r * 0.22, 0, 2 * M_PI);
            cairo_fill(cr);
        }
    paint_shade_flat(cr, light_face_brightness(light, 0, 0, 1));
    cairo_restore(cr);
    // card thickness on the side away from the light
    cairo_set_source_rgba(cr, 0, 0, 0, 0.35);
    cairo_rectangle(cr, lx < 0 ? W / 2 - t * 0.2 : -W / 2 - t * 0.8, -H + t, t, H - t);
    cairo_fill(cr);
}

static void draw_tube(cairo_t *cr, const ProductSpec *spec, double H, const Light *light) {
    double W = spec->aspect * H, cap_h = H * 0.14, cap_w = W * 0.55;
    double body_bottom = -cap_h;
    if (!spec->part_missing) {
        cairo_save(cr);
        rounded_rectangle(cr, -cap_w / 2, -cap_h, cap_w, cap_h, cap_w * 0.12);
        cairo_clip(cr);
        paint_set_rgb(cr, spec->cap);
        cairo_paint(cr);
        paint_shade_cylinder(cr, -cap_w / 2, cap_w / 2, light);
        cairo_restore(cr);
    } else {
        body_bottom = 0; // the nozzle rests on the surface without its cap
    }
    cairo_save(cr);
    cairo_move_to(cr, -cap_w * 0.42, body_bottom);
    cairo_curve_to(cr, -W * 0.45, body_bottom - H * 0.05, -W / 2, body_bottom - H * 0.12, -W / 2, -H * 0.3);
    cairo_line_to(cr, -W * 0.52, -H * 0.94);
    cairo_line_to(cr, W * 0.52, -H * 0.94);
    cairo_line_to(cr, W / 2, -H * 0.3);
    cairo_curve_to(cr, W / 2, body_bottom - H * 0.12, W * 0.45, body_bottom - H * 0.05, cap_w * 0.42, body_bottom);
    cairo_close_path(cr);
    cairo_clip(cr);
    paint_set_rgb(cr, spec->main);
    cairo_paint(cr);
    paint_set_rgb(cr, spec->accent);
    cairo_rectangle(cr, -W, -H * 0.45, 2 * W, H * 0.06);
    cairo_fill(cr);
    paint_set_rgb(cr, spec->ink);
    cairo_save(cr);
    cairo_translate(cr, 0, -H * 0.62);
    cairo_rotate(cr, -M_PI / 2);
    paint_text_centred(cr, spec->brand, 0, 0, H * 0.48, W * 0.42, 1);
    cairo_restore(cr);
    paint_set_rgb(cr, spec->accent);
    paint_text_centred(cr, spec->dosage, 0, -H * 0.34, W * 0.8, H * 0.05, 1);
    paint_shade_cylinder(cr, -W / 2, W / 2, light);
    cairo_restore(cr);
    // crimped end
    cairo_save(cr);
    cairo_rectangle(cr, -W * 0.54, -H, W * 1.08, H * 0.07);
    cairo_clip(cr);
    paint_set_rgb(cr, rgb_scale(spec->main, 0.88));
    cairo_paint(cr);
    cairo_set_source_rgba(cr, 0, 0, 0, 0.25);
    cairo_set_line_width(cr, fmax(0.4, H * 0.006));
    for (int i = 1; i < 4; i++) {
        cairo_move_to(cr, -W * 0.54, -H + H * 0.0175 * i);
        cairo_line_to(cr, W * 0.54, -H + H * 0.0175 * i);
    }
    cairo_stroke(cr);
    paint_shade_flat(cr, light_face_brightness(light, 0, 0.3, 0.95));
    cairo_restore(cr);
}

static void draw_jar(cairo_t *cr, const ProductSpec *spec, double H, const Light *light) {
    double W = spec->aspect * H, body_h = H * 0.74;
    cairo_save(cr);
    rounded_rectangle(cr, -W / 2, -body_h, W, body_h, W * 0.1);
    cairo_clip(cr);
    paint_set_rgb(cr, spec->main);
    cairo_paint(cr);
    draw_label(cr, spec, -W / 2, -body_h * 0.85, W, body_h * 0.7, 1);
    paint_shade_cylinder(cr, -W / 2, W / 2, light);
    cairo_restore(cr);
    if (spec->part_missing) { // open jar: the rim and the dark inside
        cairo_set_source_rgba(cr, 0.15, 0.15, 0.15, 0.9);
        cairo_save(cr);
        cairo_translate(cr, 0, -body_h);
        cairo_scale(cr, W * 0.46, H * 0.05);
        cairo_arc(cr, 0, 0, 1, 0, 2 * M_PI);
        cairo_restore(cr);
        cairo_fill(cr);
        return;
    }
    double lid_h = spec->cap_style == 1 ? H * 0.3 : H * 0.24;
    cairo_save(cr);
    rounded_rectangle(cr, -W * 0.52, -body_h - lid_h + H * 0.02, W * 1.04, lid_h, W * 0.04);
    cairo_clip(cr);
    paint_set_rgb(cr, spec->cap);
    cairo_paint(cr);
    cairo_set_source_rgba(cr, 0, 0, 0, 0.2);
    cairo_set_line_width(cr, fmax(0.5, W * 0.012));
    int ridges = spec->cap_style == 2 ? 4 : 14;
    for (int i = 1; i < ridges; i++) {
        cairo_move_to(cr, -W * 0.52 + W * 1.04 * i / ridges, -body_h + H * 0.02);
        cairo_line_to(cr, -W * 0.52 + W * 1.04 * i / ridges, -body_h - lid_h);
    }
    cairo_stroke(cr);
    paint_shade_cylinder(cr, -W * 0.52, W * 0.52, light);
    cairo_restore(cr);
}

void product_draw(cairo_t *cr, const ProductSpec *spec, double height, const Light *light) {
    switch (spec->kind) {
    case PRODUCT_BOX: draw_box(cr, spec, height, light); break;
    case PRODUCT_BOTTLE: draw_bottle(cr, spec, height, light); break;
    case PRODUCT_BLISTER: draw_blister(cr, spec, height, light); break;
    case PRODUCT_TUBE: draw_tube(cr, spec, height, light); break;
    default: draw_jar(cr, spec, height, light); break;
    }
}
