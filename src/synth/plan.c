// plan.c — every random decision of a sample, made before anything is drawn: dimension and answer
// (balanced over blocks of samples), the product, and per candidate the scene, the layout, the
// light and the defect with its severity. Rendering then holds no randomness.
#include <math.h>
#include <string.h>

#include "synth/plan.h"

static const DefectKind KINDS[DIMENSION_COUNT][8] = {
    {DEFECT_WARPED, DEFECT_STRETCHED, DEFECT_TEXT_GARBLED, DEFECT_WRONG_COLOUR, DEFECT_PART_CHANGED,
     DEFECT_PART_MISSING},
    {DEFECT_SHADOW_REVERSED, DEFECT_SHADOW_MISSING, DEFECT_SHADOW_DOUBLE, DEFECT_HIGHLIGHT_WRONG_SIDE,
     DEFECT_SHADOW_LENGTH},
    {DEFECT_FLOATING, DEFECT_SUNK, DEFECT_TILTED, DEFECT_UPSIDE_DOWN, DEFECT_WRONG_SCALE, DEFECT_CUT_BY_FRAME,
     DEFECT_ON_WALL},
    {DEFECT_SEAM, DEFECT_BROKEN_EDGE, DEFECT_PERSPECTIVE_JUMP, DEFECT_REPEATED_TILES, DEFECT_DUPLICATED_PRODUCT},
};
static const int KIND_COUNTS[DIMENSION_COUNT] = {6, 5, 7, 5};

int defect_kinds_of_dimension(Dimension dimension, DefectKind kinds[DEFECT_KIND_COUNT]) {
    if ((unsigned)dimension >= DIMENSION_COUNT) return 0;
    memcpy(kinds, KINDS[dimension], sizeof(DefectKind) * (size_t)KIND_COUNTS[dimension]);
    return KIND_COUNTS[dimension];
}

static int dimension_list(unsigned mask, Dimension dims[DIMENSION_COUNT]) {
    int k = 0;
    for (int d = 0; d < DIMENSION_COUNT; d++)
        if (!mask || (mask >> d) & 1) dims[k++] = (Dimension)d;
    return k;
}

// Every block of 3k consecutive samples holds each (dimension, answer size 1..3) pair once, in a
// shuffled order, so any prefix of the dataset is balanced to within one block. With none_share,
// each sample is then a set with no flaw with that probability (its dimension kept).
void synth_sample_plan_answer(const SynthConfig *config, size_t index, Dimension *dimension, AnswerSet *answer) {
    Dimension dims[DIMENSION_COUNT];
    int k = dimension_list(config->dimensions, dims);
    size_t combos = (size_t)k * 3, order[DIMENSION_COUNT * 3];
    for (size_t i = 0; i < combos; i++) order[i] = i;
    Rng block = rng_stream(config->seed, index / combos, SYNTH_STREAM(STREAM_ANSWER_BLOCK));
    rng_shuffle_size(&block, order, combos);
    size_t combo = order[index % combos];
    *dimension = dims[combo % (size_t)k];
    int flawed = 1 + (int)(combo / (size_t)k);
    size_t letters[CANDIDATE_COUNT] = {0, 1, 2, 3};
    Rng rng = rng_stream(config->seed, index, SYNTH_STREAM(STREAM_ANSWER_LETTERS));
    rng_shuffle_size(&rng, letters, CANDIDATE_COUNT);
    *answer = 0;
    for (int i = 0; i < flawed; i++) *answer |= (AnswerSet)(1u << letters[i]);
    if (config->none_share > 0) {
        Rng none = rng_stream(config->seed, index, SYNTH_STREAM(STREAM_ANSWER_NONE));
        if (rng_next_double(&none) < config->none_share) *answer = 0;
    }
}

void plan_severity_range(SynthDifficulty difficulty, double *lo, double *hi) {
    static const double los[3] = {0.65, 0.35, 0.08}, his[3] = {1.0, 0.68, 0.38};
    *lo = los[difficulty], *hi = his[difficulty];
}

double plan_severity(SynthDifficulty difficulty, Rng *rng) {
    double lo, hi;
    plan_severity_range(difficulty, &lo, &hi);
    return rng_next_range(rng, lo, hi);
}

double plan_original_height(const ProductSpec *product, int size) {
    double left, right;
    product_extent(product, &left, &right);
    return fmin(size * 0.6, size * 0.66 / (right - left));
}

static double product_half_width(const CandidatePlan *plan) {
    double left, right;
    product_extent(&plan->product, &left, &right);
    return fmax(-left, right) * plan->expected_height;
}

// Props stand beside the product, at its real scale (so a wrong scale has a reference), first on
// one side, then the other; one that fits on neither side is left out.
static void place_props(CandidatePlan *plan, int S, int count, Rng *rng) {
    double px_per_cm = plan->expected_height / plan->product.real_height_cm;
    double first_side = rng_next_int(rng, 2) ? 1 : -1;
    SceneSpec *scene = &plan->scene;
    scene->prop_count = 0;
    int used_side[2] = {0, 0};
    for (int i = 0; i < count; i++) {
        Prop prop;
        prop.kind = (PropKind)rng_next_int(rng, PROP_KIND_COUNT);
        prop.colour = rgb_from_hsv(rng_next_range(rng, 0, 360), rng_next_range(rng, 0.3, 0.7), rng_next_range(rng, 0.5, 0.85));
        prop.base_y = plan->floor_y - rng_next_range(rng, 0.0, 0.06) * S;
        if (prop.base_y < scene->surface_y + 0.02 * S) prop.base_y = scene->surface_y + 0.5 * (plan->floor_y - scene->surface_y);
        prop.height = px_per_cm * prop_real_height_cm(prop.kind);
        if (prop.height > prop.base_y - 0.03 * S) { // too tall for the canvas: a low prop instead
            prop.kind = PROP_BOOKS;
            prop.height = px_per_cm * prop_real_height_cm(prop.kind);
        }
        double left, right;
        prop_extent(prop.kind, &left, &right);
        double gap = rng_next_range(rng, 0.03, 0.12) * S;
        for (int attempt = 0; attempt < 2; attempt++) {
            double side = (i + attempt) % 2 == 0 ? first_side : -first_side;
            if (used_side[side > 0]) continue;
            prop.x = plan->base_x + side * (product_half_width(plan) + gap + right * prop.height);
            if (prop.x < -0.2 * prop.height || prop.x > S + 0.2 * prop.height) continue;
            used_side[side > 0] = 1;
            scene->props[scene->prop_count++] = prop;
            break;
        }
    }
}

void plan_candidate_layout(CandidatePlan *plan, const ProductSpec *product, double original_height, int S,
                           int min_props, Rng *rng) {
    memset(plan, 0, sizeof *plan);
    plan->product = *product;
    double f = rng_next_range(rng, 0.52, 0.72);
    plan->frame_side = f * S;
    plan->frame_x = rng_next_range(rng, 0.04, 0.96 - f) * S;
    plan->frame_y = rng_next_range(rng, 0.04, 0.96 - f) * S;
    // outpainting keeps the original's content where it was inside its frame
    plan->base_x = plan->frame_x + 0.5 * plan->frame_side;
    plan->base_y = plan->floor_y = plan->frame_y + 0.8 * plan->frame_side;
    plan->height = plan->expected_height = original_height * f;
    plan->stretch_x = plan->stretch_y = 1;
    plan->shadow_length = plan->shadow_opacity = 1;
    scene_spec_random(&plan->scene, S, rng);
    double surface_y = plan->floor_y - rng_next_range(rng, 0.1, 0.28) * S;
    if (surface_y < 0.2 * S) surface_y = 0.2 * S;
    if (surface_y > plan->floor_y - 0.08 * S) surface_y = plan->floor_y - 0.08 * S;
    plan->scene.surface_y = surface_y;
    double front = plan->floor_y + rng_next_range(rng, 0.06, 0.25) * S;
    plan->scene.front_y = front > 0.93 * S ? S + 10.0 : front;
    int props = rng_next_int(rng, 5) == 0 ? 0 : 1 + (rng_next_int(rng, 3) == 0);
    if (props < min_props) props = min_props;
    place_props(plan, S, props, rng);
}

static void keep_props_on_surface(CandidatePlan *plan, int S) {
    for (int i = 0; i < plan->scene.prop_count; i++) {
        Prop *prop = &plan->scene.props[i];
        if (prop->base_y < plan->scene.surface_y + 0.02 * S) prop->base_y = plan->scene.surface_y + 0.03 * S;
        if (prop->height > prop->base_y - 0.02 * S) prop->height = prop->base_y - 0.02 * S;
    }
}

static void remove_props_near(CandidatePlan *plan, double x, double half_width) {
    int kept = 0;
    for (int i = 0; i < plan->scene.prop_count; i++) {
        Prop *prop = &plan->scene.props[i];
        double left, right;
        prop_extent(prop->kind, &left, &right);
        if (fabs(prop->x - x) < half_width + right * prop->height) continue;
        plan->scene.props[kept++] = *prop;
    }
    plan->scene.prop_count = kept;
}

static void apply_placement(CandidatePlan *plan, DefectKind kind, double sev, int S, Rng *rng) {
    double h = plan->height;
    double left, right;
    product_extent(&plan->product, &left, &right);
    switch (kind) {
    case DEFECT_FLOATING: plan->base_y = plan->floor_y - fmax(2.0, h * (0.06 + 0.2 * sev)); break;
    case DEFECT_SUNK: plan->sink = h * (0.14 + 0.28 * sev); break;
    case DEFECT_TILTED: plan->tilt = (rng_next_int(rng, 2) ? 1 : -1) * (14 + 30 * sev) * M_PI / 180; break;
    case DEFECT_UPSIDE_DOWN: plan->upside_down = 1; break;
    case DEFECT_WRONG_SCALE: {
        double ratio = rng_next_int(rng, 3) ? 1.5 + 0.8 * sev : 1.0 / (1.7 + 0.9 * sev);
        plan->height = fmin(h * ratio, plan->floor_y - 0.02 * S);
        if (plan->height / h < 1.3 && ratio > 1) plan->height = h / (1.7 + 0.9 * sev); // no room above: too small
        break;
    }
    case DEFECT_CUT_BY_FRAME: {
        double width = (right - left) * h, cut = (0.25 + 0.35 * sev) * width;
        if (rng_next_int(rng, 2)) plan->base_x = -cut - left * h; // left edge `cut` pixels past the canvas
        else plan->base_x = S + cut - right * h;
        break;
    }
    case DEFECT_ON_WALL: {
        double gap = h * (0.18 + 0.4 * sev);
        if (plan->scene.surface_y - gap - h < 0.03 * S) {
            plan->scene.surface_y = fmin(0.8 * S, 0.03 * S + h + gap);
            if (plan->scene.front_y < plan->scene.surface_y + 0.12 * S) plan->scene.front_y = plan->scene.surface_y + 0.12 * S;
        }
        plan->base_y = plan->floor_y = plan->scene.surface_y - gap;
        plan->on_wall = 1;
        keep_props_on_surface(plan, S);
        break;
    }
    default: break;
    }
}

static void apply_extension(CandidatePlan *plan, DefectKind kind, double sev, int S, Rng *rng) {
    SceneSpec *inner = &plan->inner;
    *inner = plan->scene;
    switch (kind) {
    case DEFECT_SEAM: {
        double k = 1 + (rng_next_int(rng, 2) ? 1 : -1) * (0.1 + 0.22 * sev);
        Rgb w = plan->scene.wall;
        double mx = fmax(w.r, fmax(w.g, w.b)), mn = fmin(w.r, fmin(w.g, w.b));
        inner->wall = rgb_from_hsv(rgb_hue(w) + 20 + 60 * sev, fmin(1, (mx > 0 ? (mx - mn) / mx : 0) + 0.08 + 0.15 * sev),
                                   fmin(1, mx * k));
        // the generated surface drifts too: darker or lighter and tinted towards the new wall colour
        inner->top = rgb_mix(rgb_scale(plan->scene.top, k), inner->wall, 0.15 + 0.25 * sev);
        inner->front = rgb_mix(rgb_scale(plan->scene.front, k), inner->wall, 0.1 + 0.2 * sev);
        plan->has_inner = 1;
        break;
    }
    case DEFECT_BROKEN_EDGE: {
        double d = (0.04 + 0.1 * sev) * S;
        if (plan->scene.surface_y - d > 0.06 * S) inner->surface_y -= d;
        else inner->surface_y = fmin(inner->surface_y + d, plan->floor_y - 0.03 * S);
        if (inner->front_y < S) inner->front_y += (rng_next_int(rng, 2) ? 1 : -1) * d * 0.6;
        plan->has_inner = 1;
        break;
    }
    case DEFECT_PERSPECTIVE_JUMP:
        if (plan->scene.surface == 2) plan->scene.surface = 0;
        *inner = plan->scene;
        inner->vanish_x += (rng_next_int(rng, 2) ? 1 : -1) * (0.45 + 0.9 * sev) * S;
        inner->vanish_y *= rng_next_range(rng, 0.4, 0.7);
        plan->has_inner = 1;
        break;
    case DEFECT_REPEATED_TILES:
        plan->tile_period = (int)fmax(4.0, plan->frame_side * (0.09 + 0.14 * (1 - sev)));
        break;
    case DEFECT_DUPLICATED_PRODUCT: {
        double room_left = plan->frame_x, room_right = S - plan->frame_x - plan->frame_side;
        plan->duplicate = 1;
        plan->duplicate_height = plan->height * (0.6 + 0.4 * sev);
        plan->duplicate_x = room_left > room_right ? room_left * 0.5 : S - room_right * 0.5;
        double left, right;
        product_extent(&plan->product, &left, &right);
        remove_props_near(plan, plan->duplicate_x, (right - left) * plan->duplicate_height * 0.5);
        break;
    }
    default: break;
    }
}

void plan_apply_defect(CandidatePlan *plan, DefectKind kind, double sev, int S, Rng *rng) {
    plan->defect = kind;
    plan->severity = kind == DEFECT_NONE ? 0.0 : sev;
    double h = plan->height;
    switch (kind) {
    case DEFECT_NONE: break;
    case DEFECT_WARPED:
        plan->warp_amplitude = h * (0.035 + 0.07 * sev);
        plan->warp_period = h * rng_next_range(rng, 0.45, 0.9);
        plan->warp_phase = rng_next_range(rng, 0, 2 * M_PI);
        break;
    case DEFECT_STRETCHED: {
        double factor = 1.22 + 0.45 * sev;
        if (rng_next_int(rng, 2) && plan->floor_y - h * factor > 0.02 * S) plan->stretch_y = factor;
        else plan->stretch_x = factor;
        break;
    }
    case DEFECT_TEXT_GARBLED: product_garble_text(&plan->product, sev, rng); break;
    case DEFECT_WRONG_COLOUR: product_change_colour(&plan->product, sev, rng); break;
    case DEFECT_PART_CHANGED: product_change_part(&plan->product, rng); break;
    case DEFECT_PART_MISSING: plan->product.part_missing = 1; break;
    case DEFECT_SHADOW_REVERSED:
        plan->shadow_mode = SHADOW_REVERSED;
        plan->scene.light.elevation = 50 - 20 * sev;
        plan->shadow_opacity = 0.75 + 0.25 * sev;
        break;
    case DEFECT_SHADOW_MISSING:
        plan->shadow_mode = SHADOW_NONE;
        plan->scene.light.strength = 0.6 + 0.4 * sev;
        break;
    case DEFECT_SHADOW_DOUBLE:
        plan->shadow_mode = SHADOW_DOUBLE;
        plan->shadow_opacity = 0.65 + 0.35 * sev;
        break;
    case DEFECT_HIGHLIGHT_WRONG_SIDE:
        plan->shading_flipped = 1;
        plan->scene.light.strength = 0.65 + 0.35 * sev;
        break;
    case DEFECT_SHADOW_LENGTH:
        plan->shadow_length = rng_next_int(rng, 4) == 0 ? 0.3 - 0.2 * sev : 1.9 + 1.6 * sev;
        break;
    case DEFECT_FLOATING: case DEFECT_SUNK: case DEFECT_TILTED: case DEFECT_UPSIDE_DOWN: case DEFECT_WRONG_SCALE:
    case DEFECT_CUT_BY_FRAME: case DEFECT_ON_WALL:
        apply_placement(plan, kind, sev, S, rng);
        break;
    default: apply_extension(plan, kind, sev, S, rng); break;
    }
}
