// test_synth_defects.c — each defect is really in the pixels. A candidate is rendered with and
// without parts (shadows, product) from the same plan, and the difference is measured where the
// defect says it is: shadow mass against the light, a gap row under a floating base, a jump at the
// original frame's border, a period outside the frame, a changed box or colour.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth/plan.h"

#define S 128

static ProductSpec product_of_kind(ProductKind kind, uint64_t seed) {
    ProductSpec product;
    for (uint64_t i = 0;; i++) {
        Rng rng = rng_stream(seed, i, SYNTH_STREAM(STREAM_PRODUCT));
        product_spec_random(&product, &rng);
        if (product.kind == kind) return product;
    }
}

// The same layout (seed) as a good candidate and as one with `kind`; props left out unless asked,
// so that only the product casts shadows.
static CandidatePlan plan_for(DefectKind kind, double severity, ProductKind product_kind, uint64_t seed, int props) {
    ProductSpec product = product_of_kind(product_kind, seed);
    Rng rng = rng_stream(seed, 0, SYNTH_STREAM(STREAM_PLAN));
    CandidatePlan plan;
    plan_candidate_layout(&plan, &product, plan_original_height(&product, S), S, props, &rng);
    if (!props) plan.scene.prop_count = 0;
    Rng defect_rng = rng_stream(seed, 0, SYNTH_STREAM(STREAM_DEFECT));
    plan_apply_defect(&plan, kind, severity, S, &defect_rng);
    return plan;
}

static Image render(const CandidatePlan *plan, int flags, CandidateMeta *meta) {
    Image image;
    CandidateMeta scratch;
    Error err;
    assert_int_equal(render_candidate(&image, meta ? meta : &scratch, plan, S, flags, &err), 0);
    return image;
}

static double luminance(const Image *image, int x, int y) {
    const uint8_t *p = image->data + ((size_t)y * image->width + x) * 3;
    return 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
}

// Shadow darkening left and right of the product's centre: render with shadows minus without.
static void shadow_mass(const CandidatePlan *plan, double *left, double *right, CandidateMeta *meta) {
    Image full = render(plan, 0, meta), bare = render(plan, SYNTH_RENDER_NO_SHADOWS, NULL);
    double centre = (meta->product.x0 + meta->product.x1) / 2.0;
    *left = *right = 0;
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) {
            double d = luminance(&bare, x, y) - luminance(&full, x, y);
            if (d <= 0) continue;
            if (x < centre) *left += d;
            else *right += d;
        }
    image_free(&full);
    image_free(&bare);
}

static void test_shadow_falls_away_from_light_unless_reversed(void **state) {
    (void)state;
    for (uint64_t seed = 1; seed <= 6; seed++) {
        ProductKind kind = (ProductKind)(seed % PRODUCT_KIND_COUNT);
        CandidateMeta meta;
        double left, right;
        CandidatePlan good = plan_for(DEFECT_NONE, 0, kind, seed, 0);
        shadow_mass(&good, &left, &right, &meta);
        double toward_light = meta.light_side < 0 ? left : right, away = meta.light_side < 0 ? right : left;
        assert_true(away > 1.3 * toward_light);
        assert_int_equal(meta.shadow_side, -meta.light_side);
        CandidatePlan reversed = plan_for(DEFECT_SHADOW_REVERSED, 0.5, kind, seed, 0);
        shadow_mass(&reversed, &left, &right, &meta);
        toward_light = meta.light_side < 0 ? left : right;
        away = meta.light_side < 0 ? right : left;
        assert_true(toward_light > 1.3 * away); // the shadow mass lies on the light's side
        assert_int_equal(meta.shadow_side, meta.light_side);
    }
}

static void test_missing_and_double_shadows(void **state) {
    (void)state;
    for (uint64_t seed = 1; seed <= 4; seed++) {
        CandidateMeta meta;
        double left, right, good_left, good_right;
        CandidatePlan good = plan_for(DEFECT_NONE, 0, PRODUCT_BOX, seed, 0);
        shadow_mass(&good, &good_left, &good_right, &meta);
        CandidatePlan missing = plan_for(DEFECT_SHADOW_MISSING, 0.5, PRODUCT_BOX, seed, 0);
        shadow_mass(&missing, &left, &right, &meta);
        assert_true(left + right < 0.01 * (good_left + good_right));
        CandidatePlan twice = plan_for(DEFECT_SHADOW_DOUBLE, 0.8, PRODUCT_BOX, seed, 0);
        shadow_mass(&twice, &left, &right, &meta);
        assert_true(fmin(left, right) > 0.4 * fmax(left, right)); // mass on both sides
        assert_int_equal(meta.shadow_side, 2);
    }
}

static void test_shadow_length_changes_its_reach(void **state) {
    (void)state;
    int checked = 0;
    for (uint64_t seed = 1; seed <= 12 && checked < 3; seed++) {
        CandidatePlan good = plan_for(DEFECT_NONE, 0, PRODUCT_BOTTLE, seed, 0);
        CandidatePlan shorter = good, longer = good;
        shorter.shadow_length = 0.3;
        longer.shadow_length = 2.5;
        CandidateMeta meta;
        const CandidatePlan *plans[3] = {&shorter, &good, &longer};
        double reach[3], room = 0;
        for (int k = 0; k < 3; k++) { // how far past the product the shadow darkens the surface
            Image full = render(plans[k], 0, &meta), bare = render(plans[k], SYNTH_RENDER_NO_SHADOWS, NULL);
            reach[k] = 0;
            room = meta.light_side < 0 ? S - meta.product.x1 : meta.product.x0;
            for (int y = 0; y < S; y++)
                for (int x = 0; x < S; x++) {
                    if (luminance(&bare, x, y) - luminance(&full, x, y) < 6) continue;
                    double beyond = meta.light_side < 0 ? x - meta.product.x1 : meta.product.x0 - x;
                    reach[k] = fmax(reach[k], beyond);
                }
            image_free(&full);
            image_free(&bare);
        }
        if (reach[1] > room - 3) continue; // the canvas edge cuts the normal shadow already
        assert_true(reach[0] < 0.6 * reach[1]);
        assert_true(reach[2] > fmin(1.5 * reach[1], room - 3));
        checked++;
    }
    assert_true(checked > 0);
}

static void test_floating_product_leaves_a_gap_row(void **state) {
    (void)state;
    for (uint64_t seed = 1; seed <= 5; seed++) {
        ProductKind kind = (ProductKind)(seed % PRODUCT_KIND_COUNT);
        CandidateMeta meta;
        CandidatePlan floating = plan_for(DEFECT_FLOATING, 0.5, kind, seed, 0);
        Image full = render(&floating, 0, &meta), no_product = render(&floating, SYNTH_RENDER_NO_PRODUCT, NULL);
        assert_true(meta.gap_pixels >= 2);
        assert_true(meta.base_y - meta.product.y1 >= 2); // the product's lowest row is above the surface
        // in the gap rows the product is absent across its middle: the surface shows through
        int width = meta.product.x1 - meta.product.x0, gap_rows = 0;
        for (int y = meta.product.y1; y < meta.base_y; y++) {
            int clean = 1;
            for (int x = meta.product.x0 + width / 3; x < meta.product.x1 - width / 3; x++)
                clean &= fabs(luminance(&full, x, y) - luminance(&no_product, x, y)) < 1.0;
            gap_rows += clean;
        }
        assert_true(gap_rows >= 2);
        image_free(&full);
        image_free(&no_product);
        // a good candidate's base reaches the surface
        CandidatePlan good = plan_for(DEFECT_NONE, 0, kind, seed, 0);
        Image image = render(&good, 0, &meta);
        assert_true(meta.base_y - meta.product.y1 <= 1);
        image_free(&image);
    }
}

static void test_sunk_product_is_cut_at_the_surface(void **state) {
    (void)state;
    CandidateMeta good_meta, sunk_meta;
    CandidatePlan good = plan_for(DEFECT_NONE, 0, PRODUCT_JAR, 2, 0);
    CandidatePlan sunk = plan_for(DEFECT_SUNK, 0.6, PRODUCT_JAR, 2, 0);
    Image a = render(&good, 0, &good_meta), b = render(&sunk, 0, &sunk_meta);
    int good_height = good_meta.product.y1 - good_meta.product.y0, sunk_height = sunk_meta.product.y1 - sunk_meta.product.y0;
    assert_true(sunk_height < 0.85 * good_height);
    assert_true(sunk_meta.product.y1 <= sunk_meta.base_y);
    assert_true(sunk_meta.product.y0 > good_meta.product.y0); // it went down, not shrank from below
    image_free(&a);
    image_free(&b);
}

// Mean colour of columns [x0, x0 + 3) in row y, summed over channels.
static double strip_colour(const Image *image, int x0, int y, int channel) {
    double total = 0;
    for (int x = x0; x < x0 + 3; x++) total += image->data[((size_t)y * S + x) * 3 + channel];
    return total / 3;
}

// Rows where the colour just outside a frame border differs from the colour just inside (3-column
// strips two pixels either side, so thin perspective lines average out), minus the same count
// between two strips further inside the frame: a seam or a broken edge shows only at the border.
static int border_jumps(const Image *image, const CandidateMeta *meta, double threshold) {
    int count = 0;
    const int borders[2] = {meta->frame.x0, meta->frame.x1};
    for (int b = 0; b < 2; b++) {
        int x = borders[b], in = b == 0 ? 1 : -1;
        if (x < 6 || x > S - 6) continue;
        for (int y = meta->frame.y0 + 1; y < meta->frame.y1 - 1; y++) {
            double border = 0, control = 0;
            for (int c = 0; c < 3; c++) {
                border += fabs(strip_colour(image, x - 1 - 4 * in, y, c) - strip_colour(image, x - 1 + 4 * in, y, c));
                control += fabs(strip_colour(image, x - 1 + 8 * in, y, c) - strip_colour(image, x - 1 + 16 * in, y, c));
            }
            count += (border > threshold) - (control > threshold);
        }
    }
    return count;
}

static void test_seam_and_broken_edge_at_frame_border(void **state) {
    (void)state;
    const int flags = SYNTH_RENDER_NO_PRODUCT | SYNTH_RENDER_NO_SHADOWS;
    for (uint64_t seed = 1; seed <= 4; seed++) {
        CandidateMeta meta;
        CandidatePlan good = plan_for(DEFECT_NONE, 0, PRODUCT_BOX, seed, 0);
        Image image = render(&good, flags, &meta);
        assert_true(border_jumps(&image, &meta, 24.0) < 6);
        image_free(&image);
        CandidatePlan seam = plan_for(DEFECT_SEAM, 0.5, PRODUCT_BOX, seed, 0);
        image = render(&seam, flags, &meta);
        assert_true(border_jumps(&image, &meta, 24.0) > (meta.frame.y1 - meta.frame.y0) / 2);
        image_free(&image);
        CandidatePlan broken = plan_for(DEFECT_BROKEN_EDGE, 0.5, PRODUCT_BOX, seed, 0);
        image = render(&broken, flags, &meta);
        assert_true(border_jumps(&image, &meta, 24.0) >= 3); // the edge sits at two heights
        image_free(&image);
    }
}

static void test_repeated_tiles_are_periodic_outside_the_frame(void **state) {
    (void)state;
    for (uint64_t seed = 1; seed <= 3; seed++) {
        CandidatePlan tiles = plan_for(DEFECT_REPEATED_TILES, 0.5, PRODUCT_TUBE, seed, 1);
        CandidateMeta meta;
        Image image = render(&tiles, 0, &meta);
        int T = tiles.tile_period, same = 0, total = 0;
        for (int y = 0; y < S; y++)
            for (int x = 0; x + T < meta.frame.x0; x++) {
                total++;
                same += memcmp(image.data + ((size_t)y * S + x) * 3, image.data + ((size_t)y * S + x + T) * 3, 3) == 0;
            }
        if (total) assert_true(same == total);
        // and the top band above the frame repeats vertically
        total = same = 0;
        for (int y = 0; y + T < meta.frame.y0; y++)
            for (int x = 0; x < S; x++) {
                total++;
                same += memcmp(image.data + ((size_t)y * S + x) * 3, image.data + ((size_t)(y + T) * S + x) * 3, 3) == 0;
            }
        if (total) assert_true(same == total);
        image_free(&image);
    }
}

static void test_placement_geometry(void **state) {
    (void)state;
    CandidateMeta good_meta, meta;
    CandidatePlan good = plan_for(DEFECT_NONE, 0, PRODUCT_BOTTLE, 4, 1);
    Image a = render(&good, 0, &good_meta);
    int good_w = good_meta.product.x1 - good_meta.product.x0, good_h = good_meta.product.y1 - good_meta.product.y0;
    image_free(&a);
    CandidatePlan scaled = plan_for(DEFECT_WRONG_SCALE, 0.8, PRODUCT_BOTTLE, 4, 1);
    a = render(&scaled, 0, &meta);
    double ratio = (double)(meta.product.y1 - meta.product.y0) / good_h;
    assert_true(fabs(ratio - meta.scale_ratio) < 0.15 * meta.scale_ratio);
    assert_true(ratio > 1.3 || ratio < 0.7);
    image_free(&a);
    CandidatePlan cut = plan_for(DEFECT_CUT_BY_FRAME, 0.5, PRODUCT_BOTTLE, 4, 1);
    a = render(&cut, 0, &meta);
    assert_true(meta.product.x0 == 0 || meta.product.x1 == S);
    assert_true(meta.product.x1 - meta.product.x0 < 0.85 * good_w);
    image_free(&a);
    CandidatePlan tilted = plan_for(DEFECT_TILTED, 0.8, PRODUCT_BOTTLE, 4, 1);
    a = render(&tilted, 0, &meta);
    assert_true(meta.product.x1 - meta.product.x0 > 1.3 * good_w);
    assert_true(fabs(meta.tilt_degrees) > 20);
    image_free(&a);
    CandidatePlan wall = plan_for(DEFECT_ON_WALL, 0.5, PRODUCT_BOTTLE, 4, 1);
    a = render(&wall, 0, &meta);
    assert_true(meta.product.y1 < meta.surface_y); // the base is above the table's back edge
    image_free(&a);
}

static double mean_product_channel(const Image *image, const CandidateMeta *meta, int channel) {
    double total = 0;
    int n = 0;
    for (int y = meta->product.y0; y < meta->product.y1; y++)
        for (int x = meta->product.x0; x < meta->product.x1; x++, n++)
            total += image->data[((size_t)y * S + x) * 3 + channel];
    return total / n;
}

static void test_deformations_change_the_product(void **state) {
    (void)state;
    CandidateMeta good_meta, meta;
    CandidatePlan good = plan_for(DEFECT_NONE, 0, PRODUCT_BOX, 6, 0);
    Image a = render(&good, 0, &good_meta);
    CandidatePlan colour = plan_for(DEFECT_WRONG_COLOUR, 0.7, PRODUCT_BOX, 6, 0);
    Image b = render(&colour, 0, &meta);
    double change = 0;
    for (int c = 0; c < 3; c++) change += fabs(mean_product_channel(&a, &good_meta, c) - mean_product_channel(&b, &meta, c));
    assert_true(change > 25);
    image_free(&b);
    CandidatePlan stretched = plan_for(DEFECT_STRETCHED, 0.7, PRODUCT_BOX, 6, 0);
    b = render(&stretched, 0, &meta);
    double good_aspect = (double)(good_meta.product.x1 - good_meta.product.x0) / (good_meta.product.y1 - good_meta.product.y0);
    double aspect = (double)(meta.product.x1 - meta.product.x0) / (meta.product.y1 - meta.product.y0);
    assert_true(fabs(aspect / good_aspect - 1) > 0.2);
    image_free(&b);
    // a missing part, changed text or warp: same place, different pixels inside the product
    const DefectKind local[3] = {DEFECT_PART_MISSING, DEFECT_TEXT_GARBLED, DEFECT_WARPED};
    for (int k = 0; k < 3; k++) {
        CandidatePlan plan = plan_for(local[k], 0.7, PRODUCT_BOX, 6, 0);
        b = render(&plan, 0, &meta);
        int differ = 0, total = 0;
        for (int y = good_meta.product.y0; y < good_meta.product.y1; y++)
            for (int x = good_meta.product.x0; x < good_meta.product.x1; x++, total++)
                differ += memcmp(a.data + ((size_t)y * S + x) * 3, b.data + ((size_t)y * S + x) * 3, 3) != 0;
        assert_true(differ > total / 50);
        image_free(&b);
    }
    image_free(&a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shadow_falls_away_from_light_unless_reversed),
        cmocka_unit_test(test_missing_and_double_shadows),
        cmocka_unit_test(test_shadow_length_changes_its_reach),
        cmocka_unit_test(test_floating_product_leaves_a_gap_row),
        cmocka_unit_test(test_sunk_product_is_cut_at_the_surface),
        cmocka_unit_test(test_seam_and_broken_edge_at_frame_border),
        cmocka_unit_test(test_repeated_tiles_are_periodic_outside_the_frame),
        cmocka_unit_test(test_placement_geometry),
        cmocka_unit_test(test_deformations_change_the_product),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    synth_release_static_data();
    return failed;
}
