// render.c — draws a planned candidate: background (and the inner scene of extension defects),
// then each object far to near as a layer that casts its own soft shadow, then post-effects.
// Shadows come from the object's own silhouette sheared along the floor away from the light.
#include "synth/render.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// Two scratch layers, reused for every object of one image.
typedef struct Layers {
    int size;
    cairo_surface_t *object, *shadow;
} Layers;

// One thing standing on the surface: the product or a prop.
typedef struct Placed {
    const ProductSpec *product; // NULL for a prop
    const Prop *prop;
    double x, base_y, floor_y, height;
    double stretch_x, stretch_y, tilt, sink;
    int upside_down, on_wall;
    double warp_amplitude, warp_period, warp_phase;
    Light shading;
    int shadow_mode;
    double shadow_length, shadow_opacity;
} Placed;

static void surface_clear(cairo_surface_t *surface) {
    cairo_t *cr = cairo_create(surface);
    cairo_set_operator(cr, CAIRO_OPERATOR_CLEAR);
    cairo_paint(cr);
    cairo_destroy(cr);
}

// Bounding box of the pixels of an ARGB32 surface with alpha above `threshold`; x1 <= x0 when empty.
static SynthBox surface_alpha_box(cairo_surface_t *surface, unsigned threshold) {
    cairo_surface_flush(surface);
    int w = cairo_image_surface_get_width(surface), h = cairo_image_surface_get_height(surface);
    int stride = cairo_image_surface_get_stride(surface);
    const unsigned char *data = cairo_image_surface_get_data(surface);
    SynthBox box = {w, h, 0, 0};
    for (int y = 0; y < h; y++) {
        const uint32_t *row = (const uint32_t *)(data + (size_t)y * stride);
        for (int x = 0; x < w; x++)
            if ((row[x] >> 24) > threshold) {
                if (x < box.x0) box.x0 = x;
                if (x >= box.x1) box.x1 = x + 1;
                if (y < box.y0) box.y0 = y;
                if (y >= box.y1) box.y1 = y + 1;
            }
    }
    return box;
}

// Horizontal sine displacement of rows: a wobbly, warped outline and label.
static void layer_warp(cairo_surface_t *surface, SynthBox box, double amplitude, double period, double phase) {
    cairo_surface_flush(surface);
    int w = cairo_image_surface_get_width(surface), stride = cairo_image_surface_get_stride(surface);
    unsigned char *data = cairo_image_surface_get_data(surface);
    uint32_t *copy = malloc(sizeof(uint32_t) * (size_t)w);
    if (!copy) return;
    for (int y = box.y0; y < box.y1; y++) {
        uint32_t *row = (uint32_t *)(data + (size_t)y * stride);
        memcpy(copy, row, sizeof(uint32_t) * (size_t)w);
        double shift = amplitude * sin(2 * M_PI * (y - box.y0) / period + phase);
        for (int x = 0; x < w; x++) {
            double sx = x - shift;
            int x0 = (int)floor(sx);
            double t = sx - x0;
            uint32_t a = x0 >= 0 && x0 < w ? copy[x0] : 0, b = x0 + 1 >= 0 && x0 + 1 < w ? copy[x0 + 1] : 0;
            uint32_t out = 0;
            for (int c = 0; c < 32; c += 8) {
                double v = ((a >> c) & 0xff) * (1 - t) + ((b >> c) & 0xff) * t;
                out |= (uint32_t)(v + 0.5) << c;
            }
            row[x] = out;
        }
    }
    free(copy);
    cairo_surface_mark_dirty(surface);
}

static void draw_placed(cairo_t *cr, const Placed *p) {
    cairo_save(cr);
    double left, right;
    if (p->product) product_extent(p->product, &left, &right);
    else prop_extent(p->prop->kind, &left, &right);
    cairo_translate(cr, p->x, p->base_y + p->sink);
    if (p->tilt != 0) { // lean on the bottom corner on the side it falls towards
        double corner = (p->tilt > 0 ? right : left) * p->height * p->stretch_x;
        cairo_translate(cr, corner, 0);
        cairo_rotate(cr, p->tilt);
        cairo_translate(cr, -corner, 0);
    }
    if (p->upside_down) {
        cairo_translate(cr, 0, -p->height * p->stretch_y / 2);
        cairo_rotate(cr, M_PI);
        cairo_translate(cr, 0, p->height * p->stretch_y / 2);
    }
    cairo_scale(cr, p->stretch_x, p->stretch_y);
    if (p->product) product_draw(cr, p->product, p->height, &p->shading);
    else {
        Prop prop = *p->prop;
        prop.height = p->height;
        prop_draw(cr, &prop, &p->shading);
    }
    cairo_restore(cr);
}

// Casts the object's shadow into layers->shadow and paints it on the canvas.
static int cast_shadow(cairo_t *canvas, Layers *layers, const Placed *p, const Light *light, SynthBox object_box,
                       Error *err) {
    int S = layers->size;
    surface_clear(layers->shadow);
    cairo_t *cr = cairo_create(layers->shadow);
    double dx, dy;
    light_shadow_offset(light, &dx, &dy);
    dx *= p->shadow_length;
    dy *= p->shadow_length;
    double floor_y = p->floor_y, lift = floor_y - (p->base_y + p->sink);
    int passes = p->shadow_mode == SHADOW_DOUBLE ? 2 : 1;
    for (int pass = 0; pass < passes; pass++) {
        double sx = (p->shadow_mode == SHADOW_REVERSED || pass == 1) ? -dx : dx;
        cairo_matrix_t m;
        if (p->on_wall) // cast on the wall right behind: a small offset away from the light
            cairo_matrix_init(&m, 1, 0, 0, 1, (dx > 0 ? 1 : -1) * p->height * 0.08, p->height * 0.05);
        else
            cairo_matrix_init(&m, 1, 0, -sx, dy, sx * floor_y, floor_y * (1 - dy));
        cairo_set_matrix(cr, &m);
        if (!p->on_wall) cairo_translate(cr, 0, lift > 0 ? lift : 0); // a floating object's shadow stays on the floor
        // only the object's box can cast anything: clip to it (in the transformed space) to save time
        cairo_rectangle(cr, object_box.x0 - 1, object_box.y0 - 1, object_box.x1 - object_box.x0 + 2,
                        object_box.y1 - object_box.y0 + 2);
        cairo_clip(cr);
        cairo_set_source_rgba(cr, 0, 0, 0, pass == 0 ? 1.0 : 0.75);
        cairo_pattern_t *mask = cairo_pattern_create_for_surface(layers->object);
        cairo_pattern_set_filter(mask, CAIRO_FILTER_FAST); // blurred afterwards anyway
        cairo_mask(cr, mask);
        cairo_pattern_destroy(mask);
        cairo_reset_clip(cr);
        cairo_identity_matrix(cr);
    }
    // contact shadow: where the base meets the surface
    double base_w = (object_box.x1 - object_box.x0) * 0.55;
    if (!p->on_wall && base_w > 0 && !p->tilt && !p->upside_down) {
        cairo_save(cr);
        cairo_translate(cr, (object_box.x0 + object_box.x1) / 2.0, floor_y);
        cairo_scale(cr, base_w * 1.05, fmax(1.0, p->height * 0.045));
        cairo_arc(cr, 0, 0, 1, 0, 2 * M_PI);
        cairo_restore(cr);
        cairo_set_source_rgba(cr, 0, 0, 0, 0.9);
        cairo_fill(cr);
    }
    cairo_destroy(cr);
    // blur only where the shadow is
    double sigma = 0.6 + S * (p->on_wall ? 0.014 : 0.008);
    int margin = (int)ceil(3 * sigma) + 1;
    SynthBox box = surface_alpha_box(layers->shadow, 0);
    if (box.x1 <= box.x0) return 0;
    if (paint_blur_alpha_region(layers->shadow, box.x0 - margin, box.y0 - margin, box.x1 + margin, box.y1 + margin,
                                sigma, err) != 0)
        return -1;
    cairo_save(canvas);
    cairo_rectangle(canvas, box.x0 - margin, box.y0 - margin, box.x1 - box.x0 + 2 * margin,
                    box.y1 - box.y0 + 2 * margin);
    cairo_clip(canvas);
    cairo_set_source_surface(canvas, layers->shadow, 0, 0);
    cairo_paint_with_alpha(canvas, (0.28 + 0.4 * light->strength) * p->shadow_opacity);
    cairo_restore(canvas);
    return 0;
}

// Draws one object with its shadow; returns the object's pixel box in *box.
static int render_object(cairo_t *canvas, Layers *layers, const Placed *p, const Light *light, int flags,
                         SynthBox *box, Error *err) {
    surface_clear(layers->object);
    cairo_t *cr = cairo_create(layers->object);
    draw_placed(cr, p);
    if (p->sink > 0) { // the part below the surface line disappears
        cairo_set_operator(cr, CAIRO_OPERATOR_CLEAR);
        cairo_rectangle(cr, 0, p->floor_y, layers->size, layers->size);
        cairo_fill(cr);
    }
    cairo_destroy(cr);
    *box = surface_alpha_box(layers->object, 24);
    if (p->warp_amplitude > 0 && box->x1 > box->x0) {
        layer_warp(layers->object, *box, p->warp_amplitude, p->warp_period, p->warp_phase);
        *box = surface_alpha_box(layers->object, 24);
    }
    if (box->x1 <= box->x0) return 0;
    int shadows = !(flags & SYNTH_RENDER_NO_SHADOWS) && p->shadow_mode != SHADOW_NONE;
    if (shadows && cast_shadow(canvas, layers, p, light, *box, err) != 0) return -1;
    if (p->product && (flags & SYNTH_RENDER_NO_PRODUCT)) return 0;
    cairo_save(canvas);
    cairo_rectangle(canvas, box->x0 - 1, box->y0 - 1, box->x1 - box->x0 + 2, box->y1 - box->y0 + 2);
    cairo_clip(canvas);
    cairo_set_source_surface(canvas, layers->object, 0, 0);
    cairo_paint(canvas);
    cairo_restore(canvas);
    return 0;
}

static Placed placed_product(const CandidatePlan *plan, const ProductSpec *product, double x, double height) {
    Placed p;
    memset(&p, 0, sizeof p);
    p.product = product;
    p.x = x;
    p.base_y = plan->base_y;
    p.floor_y = plan->floor_y;
    p.height = height;
    p.stretch_x = plan->stretch_x;
    p.stretch_y = plan->stretch_y;
    p.tilt = plan->tilt;
    p.sink = plan->sink;
    p.upside_down = plan->upside_down;
    p.on_wall = plan->on_wall;
    p.warp_amplitude = plan->warp_amplitude;
    p.warp_period = plan->warp_period;
    p.warp_phase = plan->warp_phase;
    p.shading = plan->scene.light;
    if (plan->shading_flipped) p.shading.azimuth = -p.shading.azimuth;
    p.shadow_mode = plan->shadow_mode;
    p.shadow_length = plan->shadow_length;
    p.shadow_opacity = plan->shadow_opacity;
    return p;
}

static Placed placed_prop(const CandidatePlan *plan, const Prop *prop) {
    Placed p;
    memset(&p, 0, sizeof p);
    p.prop = prop;
    p.x = prop->x;
    p.base_y = p.floor_y = prop->base_y;
    p.height = prop->height;
    p.stretch_x = p.stretch_y = 1;
    p.shading = plan->scene.light;
    p.shadow_length = p.shadow_opacity = 1;
    return p;
}

// Outside the frame, the canvas repeats one strip of the frame's border over and over.
static void apply_repeated_tiles(cairo_surface_t *surface, const CandidatePlan *plan) {
    cairo_surface_flush(surface);
    int S = cairo_image_surface_get_width(surface), stride = cairo_image_surface_get_stride(surface);
    unsigned char *data = cairo_image_surface_get_data(surface);
    int fx0 = (int)plan->frame_x, fy0 = (int)plan->frame_y;
    int fx1 = (int)(plan->frame_x + plan->frame_side), fy1 = (int)(plan->frame_y + plan->frame_side);
    int T = plan->tile_period;
    uint32_t *copy = malloc(sizeof(uint32_t) * (size_t)S * S);
    if (!copy) return;
    for (int y = 0; y < S; y++) memcpy(copy + (size_t)y * S, data + (size_t)y * stride, sizeof(uint32_t) * S);
    for (int y = 0; y < S; y++) {
        int sy = y;
        if (y < fy0) sy = fy0 + ((y - fy0) % T + T) % T;
        else if (y >= fy1) sy = fy1 - T + ((y - fy1) % T + T) % T;
        uint32_t *row = (uint32_t *)(data + (size_t)y * stride);
        for (int x = 0; x < S; x++) {
            int sx = x;
            if (x < fx0) sx = fx0 + ((x - fx0) % T + T) % T;
            else if (x >= fx1) sx = fx1 - T + ((x - fx1) % T + T) % T;
            if (sx != x || sy != y) row[x] = copy[(size_t)sy * S + sx];
        }
    }
    free(copy);
    cairo_surface_mark_dirty(surface);
}

static SynthBox box_union(SynthBox a, SynthBox b) {
    if (a.x1 <= a.x0) return b;
    if (b.x1 <= b.x0) return a;
    return (SynthBox){a.x0 < b.x0 ? a.x0 : b.x0, a.y0 < b.y0 ? a.y0 : b.y0, a.x1 > b.x1 ? a.x1 : b.x1,
                      a.y1 > b.y1 ? a.y1 : b.y1};
}

// The photo style paints the same scene (surface line, vanishing point, colours, light) from
// photographs, so every extension defect that changes the scene inside the frame shows there too.
static int draw_background(cairo_t *canvas, const CandidatePlan *plan, const SceneSpec *scene, const PhotoChoice *photo,
                           int S, Error *err) {
    if (plan->photos) return photo_paint_background(canvas, plan->photos, photo, scene, S, err);
    scene_draw_background(canvas, scene, S);
    return 0;
}

int render_candidate(Image *out, CandidateMeta *meta, const CandidatePlan *plan, int size, int flags, Error *err) {
    memset(out, 0, sizeof *out);
    int S = size;
    Layers layers = {S, cairo_image_surface_create(CAIRO_FORMAT_ARGB32, S, S),
                     cairo_image_surface_create(CAIRO_FORMAT_ARGB32, S, S)};
    cairo_surface_t *canvas_surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, S, S);
    cairo_t *canvas = cairo_create(canvas_surface);
    int rc = -1;
    if (cairo_status(canvas) != CAIRO_STATUS_SUCCESS || cairo_surface_status(layers.object) != CAIRO_STATUS_SUCCESS ||
        cairo_surface_status(layers.shadow) != CAIRO_STATUS_SUCCESS) {
        error_set(err, "synth: cannot create a %dx%d drawing surface (out of memory?)", S, S);
        goto done;
    }
    if (draw_background(canvas, plan, &plan->scene, &plan->photo, S, err) != 0) goto done;
    if (plan->has_inner) {
        cairo_save(canvas);
        cairo_rectangle(canvas, plan->frame_x, plan->frame_y, plan->frame_side, plan->frame_side);
        cairo_clip(canvas);
        int drawn = draw_background(canvas, plan, &plan->inner, &plan->inner_photo, S, err);
        cairo_restore(canvas);
        if (drawn != 0) goto done;
    }
    // far to near: props behind the product come first
    Placed objects[4];
    int count = 0;
    for (int i = 0; i < plan->scene.prop_count; i++) objects[count++] = placed_prop(plan, &plan->scene.props[i]);
    int product_index = count;
    objects[count++] = placed_product(plan, &plan->product, plan->base_x, plan->height);
    int duplicate_index = -1;
    if (plan->duplicate) {
        duplicate_index = count;
        objects[count] = placed_product(plan, &plan->product, plan->duplicate_x, plan->duplicate_height);
        objects[count].base_y = objects[count].floor_y = plan->floor_y - plan->duplicate_height * 0.08;
        count++;
    }
    int order[4] = {0, 1, 2, 3};
    for (int i = 1; i < count; i++) // insertion sort by base row, stable
        for (int j = i; j > 0 && objects[order[j]].floor_y < objects[order[j - 1]].floor_y; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    SynthBox boxes[4];
    for (int i = 0; i < count; i++)
        if (render_object(canvas, &layers, &objects[order[i]], &plan->scene.light, flags, &boxes[order[i]], err) != 0)
            goto done;
    cairo_destroy(canvas);
    canvas = NULL;
    if (plan->tile_period > 0) apply_repeated_tiles(canvas_surface, plan);
    if (paint_surface_to_image(canvas_surface, out, err) != 0) goto done;

    SynthBox frame = {(int)plan->frame_x, (int)plan->frame_y, (int)(plan->frame_x + plan->frame_side),
                      (int)(plan->frame_y + plan->frame_side)};
    meta->defect = plan->defect;
    meta->severity = plan->severity;
    meta->product = boxes[product_index];
    meta->frame = frame;
    meta->light_azimuth = plan->scene.light.azimuth;
    meta->light_elevation = plan->scene.light.elevation;
    meta->light_side = plan->scene.light.azimuth < 0 ? -1 : 1;
    meta->surface_y = (int)lround(plan->scene.surface_y);
    meta->base_y = (int)ceil(plan->floor_y); // first row at or below the surface line
    meta->has_prop = plan->scene.prop_count > 0;
    switch (plan->shadow_mode) {
    case SHADOW_REVERSED: meta->shadow_side = meta->light_side; break;
    case SHADOW_NONE: meta->shadow_side = 0; break;
    case SHADOW_DOUBLE: meta->shadow_side = 2; break;
    default: meta->shadow_side = -meta->light_side; break; // away from the light (on the wall too)
    }
    meta->shadow_ratio = plan->shadow_length;
    meta->tilt_degrees = plan->upside_down ? 180.0 : plan->tilt * 180.0 / M_PI;
    meta->scale_ratio = plan->height / plan->expected_height;
    meta->gap_pixels = plan->sink > 0 ? (int)lround(plan->sink) : (int)lround(plan->floor_y - plan->base_y);
    meta->region = meta->product;
    switch (plan->defect) {
    case DEFECT_SEAM: case DEFECT_BROKEN_EDGE: case DEFECT_PERSPECTIVE_JUMP: case DEFECT_REPEATED_TILES:
        meta->region = frame;
        break;
    case DEFECT_DUPLICATED_PRODUCT: meta->region = boxes[duplicate_index]; break;
    case DEFECT_FLOATING:
        meta->region = box_union(meta->product, (SynthBox){meta->product.x0, meta->product.y1, meta->product.x1,
                                                           meta->base_y + 1});
        break;
    default: break;
    }
    rc = 0;
done:
    if (canvas) cairo_destroy(canvas);
    cairo_surface_destroy(canvas_surface);
    cairo_surface_destroy(layers.object);
    cairo_surface_destroy(layers.shadow);
    if (rc != 0) image_free(out);
    return rc;
}

int render_original(Image *out, const ProductSpec *product, double height, int size, Error *err) {
    int S = size;
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, S, S);
    cairo_t *cr = cairo_create(surface);
    // a seamless studio sweep: near-white wall curving into a slightly darker floor
    cairo_pattern_t *sweep = cairo_pattern_create_linear(0, 0, 0, S);
    cairo_pattern_add_color_stop_rgb(sweep, 0, 0.97, 0.97, 0.97);
    cairo_pattern_add_color_stop_rgb(sweep, 0.7, 0.93, 0.93, 0.93);
    cairo_pattern_add_color_stop_rgb(sweep, 1, 0.86, 0.86, 0.87);
    cairo_set_source(cr, sweep);
    cairo_paint(cr);
    cairo_pattern_destroy(sweep);
    double base_y = S * 0.8;
    cairo_save(cr);
    cairo_translate(cr, S / 2.0, base_y);
    cairo_scale(cr, height * 0.45, height * 0.035);
    cairo_pattern_t *contact = cairo_pattern_create_radial(0, 0, 0, 0, 0, 1);
    cairo_pattern_add_color_stop_rgba(contact, 0, 0, 0, 0, 0.35);
    cairo_pattern_add_color_stop_rgba(contact, 1, 0, 0, 0, 0);
    cairo_set_source(cr, contact);
    cairo_arc(cr, 0, 0, 1, 0, 2 * M_PI);
    cairo_fill(cr);
    cairo_pattern_destroy(contact);
    cairo_restore(cr);
    Light studio = {0, 62, 0.45}; // soft frontal light: no side is favoured
    cairo_translate(cr, S / 2.0, base_y);
    product_draw(cr, product, height, &studio);
    cairo_destroy(cr);
    int rc = paint_surface_to_image(surface, out, err);
    cairo_surface_destroy(surface);
    return rc;
}
