// scene.c — walls, surfaces with perspective, and props (mug, plant, ball, books).
#include "synth/scene.h"

#include <math.h>
#include <string.h>

const char *prop_name(PropKind kind) {
    static const char *const names[PROP_KIND_COUNT] = {"mug", "plant", "ball", "books"};
    return (unsigned)kind < PROP_KIND_COUNT ? names[kind] : "object";
}

double prop_real_height_cm(PropKind kind) {
    static const double heights[PROP_KIND_COUNT] = {9.5, 24.0, 7.0, 6.0};
    return heights[kind];
}

void prop_extent(PropKind kind, double *left, double *right) {
    static const double half_widths[PROP_KIND_COUNT] = {0.62, 0.42, 0.5, 1.1};
    *left = -half_widths[kind];
    *right = half_widths[kind];
}

void prop_draw(cairo_t *cr, const Prop *prop, const Light *light) {
    double H = prop->height;
    double lx, ly, lz;
    light_vector(light, &lx, &ly, &lz);
    cairo_save(cr);
    switch (prop->kind) {
    case PROP_MUG: {
        double W = H * 0.8;
        cairo_set_line_width(cr, H * 0.1);
        paint_set_rgb(cr, rgb_scale(prop->colour, 0.85));
        cairo_arc(cr, W * 0.5, -H * 0.5, H * 0.22, -M_PI / 2, M_PI / 2); // handle on the right
        cairo_stroke(cr);
        cairo_rectangle(cr, -W / 2, -H, W, H);
        cairo_clip(cr);
        paint_set_rgb(cr, prop->colour);
        cairo_paint(cr);
        paint_shade_cylinder(cr, -W / 2, W / 2, light);
        cairo_reset_clip(cr);
        cairo_set_source_rgba(cr, 0.1, 0.06, 0.03, 0.85); // the rim and the drink inside
        cairo_save(cr);
        cairo_translate(cr, 0, -H);
        cairo_scale(cr, W / 2, H * 0.06);
        cairo_arc(cr, 0, 0, 1, 0, 2 * M_PI);
        cairo_restore(cr);
        cairo_fill(cr);
        break;
    }
    case PROP_PLANT: {
        double pot = H * 0.38, W = H * 0.42;
        Rgb leaf = {0.2, 0.5, 0.22};
        for (int i = 0; i < 7; i++) {
            double angle = -M_PI / 2 + (i - 3) * 0.38;
            cairo_save(cr);
            cairo_translate(cr, 0, -pot);
            cairo_rotate(cr, angle);
            cairo_scale(cr, H * (0.32 + 0.05 * (i % 3)), H * 0.08);
            cairo_arc(cr, 1, 0, 1, 0, 2 * M_PI);
            cairo_restore(cr);
            paint_set_rgb(cr, rgb_scale(leaf, 0.8 + 0.35 * fmax(0.0, cos(angle) * lx * 2 + 0.4)));
            cairo_fill(cr);
        }
        cairo_move_to(cr, -W / 2, -pot);
        cairo_line_to(cr, W / 2, -pot);
        cairo_line_to(cr, W * 0.36, 0);
        cairo_line_to(cr, -W * 0.36, 0);
        cairo_close_path(cr);
        cairo_clip(cr);
        paint_set_rgb(cr, prop->colour);
        cairo_paint(cr);
        paint_shade_cylinder(cr, -W / 2, W / 2, light);
        break;
    }
    case PROP_BALL: {
        double r = H / 2;
        cairo_pattern_t *gradient =
            cairo_pattern_create_radial(lx * r * 0.5, -r - ly * r * 0.4, r * 0.1, 0, -r, r * 1.05);
        Rgb lit = rgb_scale(prop->colour, 1.25), dark = rgb_scale(prop->colour, 0.45 + 0.3 * (1 - light->strength));
        cairo_pattern_add_color_stop_rgb(gradient, 0, lit.r, lit.g, lit.b);
        cairo_pattern_add_color_stop_rgb(gradient, 1, dark.r, dark.g, dark.b);
        cairo_set_source(cr, gradient);
        cairo_arc(cr, 0, -r, r, 0, 2 * M_PI);
        cairo_fill(cr);
        cairo_pattern_destroy(gradient);
        break;
    }
    default: { // a stack of books
        double W = H * 2.2, layer = H / 3;
        for (int i = 0; i < 3; i++) {
            double shift = (i - 1) * W * 0.05;
            Rgb c = rgb_from_hsv(rgb_hue(prop->colour) + i * 70, 0.55, 0.6);
            cairo_save(cr);
            cairo_rectangle(cr, -W / 2 + shift, -layer * (i + 1), W, layer * 0.96);
            cairo_clip(cr);
            paint_set_rgb(cr, c);
            cairo_paint(cr);
            cairo_set_source_rgba(cr, 1, 1, 1, 0.85); // page edges
            cairo_rectangle(cr, -W / 2 + shift + W * 0.04, -layer * (i + 1) + layer * 0.2, W * 0.9, layer * 0.5);
            cairo_fill(cr);
            paint_shade_flat(cr, light_face_brightness(light, 0, 0, 1));
            cairo_restore(cr);
        }
        break;
    }
    }
    cairo_restore(cr);
}

void scene_spec_random(SceneSpec *scene, int size, Rng *rng) {
    memset(scene, 0, sizeof *scene);
    scene->backdrop = rng_next_int(rng, 4);
    scene->surface = rng_next_int(rng, 3);
    double wall_hue = rng_next_range(rng, 0, 360);
    scene->wall = rgb_from_hsv(wall_hue, rng_next_range(rng, 0.05, 0.3), rng_next_range(rng, 0.7, 0.95));
    static const double wood_hues[] = {25, 30, 35, 20};
    switch (scene->surface) {
    case 0:
        scene->top = rgb_from_hsv(wood_hues[rng_next_int(rng, 4)], rng_next_range(rng, 0.4, 0.65),
                                  rng_next_range(rng, 0.45, 0.8));
        break;
    case 1: scene->top = rgb_from_hsv(rng_next_range(rng, 0, 360), 0.08, rng_next_range(rng, 0.7, 0.9)); break;
    default:
        scene->top = rgb_from_hsv(rng_next_range(rng, 0, 360), rng_next_range(rng, 0, 0.12),
                                  rng_next_range(rng, 0.55, 0.9));
        break;
    }
    scene->front = rgb_scale(scene->top, 0.62);
    scene->lines = 5 + rng_next_int(rng, 6);
    scene->vanish_x = size * rng_next_range(rng, 0.2, 0.8);
    scene->vanish_y = -size * rng_next_range(rng, 0.2, 0.9);
    double side = rng_next_int(rng, 2) ? 1 : -1;
    scene->light.azimuth = side * rng_next_range(rng, 32, 72);
    scene->light.elevation = rng_next_range(rng, 28, 52);
    scene->light.strength = rng_next_range(rng, 0.65, 1.0);
}

static void draw_wall(cairo_t *cr, const SceneSpec *scene, int S) {
    double lx, ly, lz;
    light_vector(&scene->light, &lx, &ly, &lz);
    double y1 = scene->surface_y;
    // brighter towards the light
    cairo_pattern_t *gradient = cairo_pattern_create_linear(0, 0, S, 0);
    Rgb bright = rgb_scale(scene->wall, 1.08), dim = rgb_scale(scene->wall, 0.78 - 0.1 * scene->light.strength);
    Rgb left = lx < 0 ? bright : dim, right = lx < 0 ? dim : bright;
    cairo_pattern_add_color_stop_rgb(gradient, 0, left.r, left.g, left.b);
    cairo_pattern_add_color_stop_rgb(gradient, 1, right.r, right.g, right.b);
    cairo_rectangle(cr, 0, 0, S, y1);
    cairo_set_source(cr, gradient);
    cairo_fill(cr);
    cairo_pattern_destroy(gradient);
    switch (scene->backdrop) {
    case 1: { // a window on the light's side, its light falling in
        double w = S * 0.26, h = fmin(S * 0.3, y1 * 0.7), x = lx < 0 ? S * 0.06 : S * 0.94 - w, y = y1 * 0.12;
        cairo_set_source_rgb(cr, 0.93, 0.93, 0.9);
        cairo_rectangle(cr, x - S * 0.012, y - S * 0.012, w + S * 0.024, h + S * 0.024);
        cairo_fill(cr);
        cairo_pattern_t *sky = cairo_pattern_create_linear(0, y, 0, y + h);
        cairo_pattern_add_color_stop_rgb(sky, 0, 0.62, 0.78, 0.95);
        cairo_pattern_add_color_stop_rgb(sky, 1, 0.9, 0.95, 1.0);
        cairo_set_source(cr, sky);
        cairo_rectangle(cr, x, y, w, h);
        cairo_fill(cr);
        cairo_pattern_destroy(sky);
        cairo_set_source_rgb(cr, 0.93, 0.93, 0.9);
        cairo_set_line_width(cr, S * 0.012);
        cairo_move_to(cr, x + w / 2, y);
        cairo_line_to(cr, x + w / 2, y + h);
        cairo_move_to(cr, x, y + h / 2);
        cairo_line_to(cr, x + w, y + h / 2);
        cairo_stroke(cr);
        break;
    }
    case 2: { // tiles
        double tile = S * 0.09;
        cairo_set_source_rgba(cr, 1, 1, 1, 0.55);
        cairo_set_line_width(cr, fmax(0.6, S * 0.004));
        for (double x = tile * 0.5; x < S; x += tile) {
            cairo_move_to(cr, x, 0);
            cairo_line_to(cr, x, y1);
        }
        for (double y = y1 - tile; y > 0; y -= tile) {
            cairo_move_to(cr, 0, y);
            cairo_line_to(cr, S, y);
        }
        cairo_stroke(cr);
        break;
    }
    case 3: { // a shelf with blurred packs on it
        double shelf = y1 * 0.42;
        for (int i = 0; i < 6; i++) {
            double x = S * (0.05 + 0.16 * i), h = S * (0.06 + 0.02 * (i % 3));
            Rgb c = rgb_from_hsv(rgb_hue(scene->wall) + 60 * i, 0.35, 0.75);
            paint_set_rgba(cr, c, 0.8);
            cairo_rectangle(cr, x, shelf - h, S * 0.09, h);
            cairo_fill(cr);
        }
        paint_set_rgb(cr, rgb_scale(scene->wall, 0.6));
        cairo_rectangle(cr, 0, shelf, S, S * 0.018);
        cairo_fill(cr);
        break;
    }
    default: break;
    }
}

static void draw_surface(cairo_t *cr, const SceneSpec *scene, int S) {
    double y0 = scene->surface_y, y1 = fmin(scene->front_y, S);
    double lx, ly, lz;
    light_vector(&scene->light, &lx, &ly, &lz);
    cairo_save(cr);
    cairo_rectangle(cr, 0, y0, S, y1 - y0);
    cairo_clip(cr);
    cairo_pattern_t *gradient = cairo_pattern_create_linear(0, y0, 0, y1);
    Rgb back = rgb_scale(scene->top, 0.85), near = rgb_scale(scene->top, 1.05);
    cairo_pattern_add_color_stop_rgb(gradient, 0, back.r, back.g, back.b);
    cairo_pattern_add_color_stop_rgb(gradient, 1, near.r, near.g, near.b);
    cairo_set_source(cr, gradient);
    cairo_paint(cr);
    cairo_pattern_destroy(gradient);
    // perspective lines towards the vanishing point, evenly spaced along the front
    double line_alpha = scene->surface == 2 ? 0.12 : 0.3;
    cairo_set_source_rgba(cr, 0, 0, 0, line_alpha);
    cairo_set_line_width(cr, fmax(0.6, S * 0.004));
    double spread = S * 2.2;
    for (int i = 0; i <= scene->lines * 2; i++) {
        double xb = scene->vanish_x - spread / 2 + spread * i / (scene->lines * 2);
        cairo_move_to(cr, scene->vanish_x, scene->vanish_y);
        cairo_line_to(cr, scene->vanish_x + (xb - scene->vanish_x) * 3, scene->vanish_y + (S * 1.2 - scene->vanish_y) * 3);
    }
    cairo_stroke(cr);
    if (scene->surface == 1) { // tile rows, closer together further back
        cairo_set_source_rgba(cr, 0, 0, 0, 0.25);
        for (int k = 1; k < 6; k++) {
            double y = y0 + (y1 - y0) * pow(k / 6.0, 1.5);
            cairo_move_to(cr, 0, y);
            cairo_line_to(cr, S, y);
        }
        cairo_stroke(cr);
    }
    // a pool of light on the light's side
    double cx = lx < 0 ? S * 0.15 : S * 0.85;
    cairo_pattern_t *pool = cairo_pattern_create_radial(cx, (y0 + y1) / 2, 0, cx, (y0 + y1) / 2, S * 0.6);
    cairo_pattern_add_color_stop_rgba(pool, 0, 1, 1, 0.95, 0.18 * scene->light.strength);
    cairo_pattern_add_color_stop_rgba(pool, 1, 1, 1, 0.95, 0);
    cairo_set_source(cr, pool);
    cairo_paint(cr);
    cairo_pattern_destroy(pool);
    cairo_restore(cr);
    // the back edge where surface meets wall
    cairo_set_source_rgba(cr, 0, 0, 0, 0.35);
    cairo_set_line_width(cr, fmax(0.8, S * 0.006));
    cairo_move_to(cr, 0, y0);
    cairo_line_to(cr, S, y0);
    cairo_stroke(cr);
    if (scene->front_y < S) { // the table's front face and the floor below it
        paint_set_rgb(cr, scene->front);
        cairo_rectangle(cr, 0, scene->front_y, S, S * 0.07);
        cairo_fill(cr);
        paint_set_rgb(cr, rgb_scale(scene->wall, 0.45));
        cairo_rectangle(cr, 0, scene->front_y + S * 0.07, S, S);
        cairo_fill(cr);
        cairo_set_source_rgba(cr, 1, 1, 1, 0.35);
        cairo_move_to(cr, 0, scene->front_y + 0.5);
        cairo_line_to(cr, S, scene->front_y + 0.5);
        cairo_stroke(cr);
    }
}

void scene_draw_background(cairo_t *cr, const SceneSpec *scene, int size) {
    draw_wall(cr, scene, size);
    draw_surface(cr, scene, size);
}
