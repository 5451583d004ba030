// test_synth_photo.c — the photo style: a photo library read from a MANIFEST.tsv (here a small one
// made of generated textures, so the test needs no download), byte-identical output at 1 and 2
// threads, render samples of `mix` identical to the render style, meta naming photographs and
// camera, backgrounds lit from the scene's light side, the camera pipeline's determinism, and the
// composite candidates: every defect kind made in image space where its meta says.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/files.h"
#include "support/test_files.h"
#include "image/camera.h"
#include "synth/composite.h"
#include "synth/photo.h"
#include "synth/plan.h"

static char *library_dir;
static PhotoLibrary *library;

// A textured image: a gradient with hashed grain, so crops differ from place to place.
static void write_texture(const char *name, int w, int h, uint64_t key, int jpeg) {
    Image image;
    Error err;
    assert_int_equal(image_create(&image, w, h, 3, &err), 0);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++)
                image.data[((size_t)y * w + x) * 3 + c] =
                    (uint8_t)(60 + (x * 90 / w) + (y * 50 / h) * c + (rng_hash(key, (uint64_t)(y * w + x), 1, c) & 31));
    char *path = path_join(library_dir, name);
    assert_int_equal(jpeg ? image_save_jpeg(&image, path, 90, &err) : image_save_png(&image, path, &err), 0);
    free(path);
    image_free(&image);
}

static void write_manifest(const char *text) {
    char *path = path_join(library_dir, "MANIFEST.tsv");
    Error err;
    assert_int_equal(file_write_atomic(path, text, strlen(text), &err), 0);
    free(path);
}

static int setup(void **state) {
    (void)state;
    char pattern[] = "/tmp/iar_test_photo_XXXXXX";
    library_dir = string_duplicate(mkdtemp(pattern));
    write_texture("wall.jpg", 1200, 700, 1, 1);
    write_texture("table.png", 600, 500, 2, 0);
    write_texture("both.jpg", 700, 700, 3, 1);
    write_manifest("# file\troles\trow_from\trow_to\tpackage\tlicence\n"
                   "wall.jpg\twall\t0\t1\ttest\tCC0-1.0\n"
                   "table.png\tsurface\t0.3\t1\ttest\tCC0-1.0\n"
                   "both.jpg\tsurface,wall\t0\t1\ttest\tCC0-1.0\n");
    Error err;
    assert_int_equal(synth_photos_load(&library, library_dir, &err), 0);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    synth_photos_free(library);
    char command[512];
    snprintf(command, sizeof command, "rm -rf '%s'", library_dir);
    assert_int_equal(system(command), 0);
    free(library_dir);
    return 0;
}

static void test_library_loads_reduced_photographs_by_role(void **state) {
    (void)state;
    assert_int_equal(synth_photos_count(library), 3);
    assert_int_equal(library->wall_count, 2);
    assert_int_equal(library->surface_count, 2);
    assert_string_equal(synth_photos_name(library, 1), "table.png");
    // the 1200x700 JPEG is reduced to a shorter side of PHOTO_SIDE; the smaller PNG is kept
    assert_int_equal(library->photos[0].image.height, PHOTO_SIDE);
    assert_int_equal(library->photos[1].image.height, 500);
}

static void test_bad_manifest_refused_with_its_line(void **state) {
    (void)state;
    write_manifest("wall.jpg\twall\t0\t1\ttest\nmissing.jpg\tsurface\t0\t1\ttest\n");
    PhotoLibrary *bad;
    Error err;
    assert_int_equal(synth_photos_load(&bad, library_dir, &err), -1);
    assert_non_null(strstr(err.message, "missing.jpg"));
    write_manifest("wall.jpg\tceiling\t0\t1\ttest\n");
    assert_int_equal(synth_photos_load(&bad, library_dir, &err), -1);
    assert_non_null(strstr(err.message, "MANIFEST.tsv:1"));
    write_manifest("wall.jpg\twall\t0\t1\ttest\n"); // no surface at all
    assert_int_equal(synth_photos_load(&bad, library_dir, &err), -1);
    assert_non_null(strstr(err.message, "surface"));
    assert_int_equal(synth_photos_load(&bad, "/nonexistent-iar-photos", &err), -1);
}

static void test_photo_style_identical_at_one_and_two_threads(void **state) {
    (void)state;
    SynthConfig config;
    synth_config_default(&config);
    config.size = 128;
    config.style = SYNTH_STYLE_PHOTO;
    config.photos = library;
    char one_pattern[] = "/tmp/iar_test_photo1_XXXXXX", two_pattern[] = "/tmp/iar_test_photo2_XXXXXX";
    char *one = mkdtemp(one_pattern), *two = mkdtemp(two_pattern);
    Error err;
    assert_int_equal(synth_generate(&config, one, 4, 1, NULL, &err), 0);
    assert_int_equal(synth_generate(&config, two, 4, 2, NULL, &err), 0);
    assert_true(test_files_same(one, two, "data.jsonl"));
    for (int i = 0; i < 4; i++)
        for (const char *s = "oabcd"; *s; s++) {
            char name[64];
            snprintf(name, sizeof name, "img/s%06d_%c.jpg", i, *s); // photo style is written as JPEG
            assert_true(test_files_same(one, two, name));
        }
    char path[512];
    snprintf(path, sizeof path, "%s/img/s000000_o.jpg", one);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char magic[2] = {0};
    assert_int_equal(fread(magic, 1, 2, f), 2);
    fclose(f);
    assert_true(magic[0] == 0xff && magic[1] == 0xd8); // a JPEG, not a PNG named .jpg
    char command[256];
    snprintf(command, sizeof command, "rm -rf '%s' '%s'", one, two);
    assert_int_equal(system(command), 0);
}

static int images_equal(const Image *a, const Image *b) {
    return a->width == b->width && a->height == b->height && a->channels == b->channels &&
           memcmp(a->data, b->data, (size_t)a->width * a->height * a->channels) == 0;
}

static void test_mix_render_samples_equal_render_style_and_meta_names_sources(void **state) {
    (void)state;
    SynthConfig render, mix;
    synth_config_default(&render);
    render.size = 96;
    mix = render;
    mix.style = SYNTH_STYLE_MIX;
    mix.photos = library;
    int counts[2] = {0, 0}, counts_composite = 0;
    for (size_t i = 0; i < 10; i++) {
        SynthSample a, b;
        Error err;
        assert_int_equal(synth_sample_render(&a, &render, i, 0, &err), 0);
        assert_int_equal(synth_sample_render(&b, &mix, i, 0, &err), 0);
        int photo = b.meta.style == SYNTH_STYLE_PHOTO;
        counts[photo]++;
        assert_int_equal(a.meta.answer, b.meta.answer); // the plan of the sample does not depend on style
        for (int k = 0; k <= CANDIDATE_COUNT; k++) assert_int_equal(images_equal(&a.images[k], &b.images[k]), !photo);
        assert_int_equal(strstr(b.sample.meta_json, "\"style\":\"photo\"") != NULL, photo);
        assert_int_equal(strstr(b.sample.meta_json, "\"camera\":\"wb ") != NULL, photo);
        if (photo) {
            counts_composite += b.meta.composite;
            assert_int_equal(strstr(b.sample.meta_json, "\"layout\":\"composite\"") != NULL, b.meta.composite);
            assert_true(strlen(b.meta.candidates[0].wall_photo) > 0);
            assert_non_null(strstr(b.sample.meta_json, b.meta.candidates[2].surface_photo));
        }
        assert_null(strstr(a.sample.meta_json, "style")); // render meta is as it always was
        synth_sample_free(&a);
        synth_sample_free(&b);
    }
    assert_true(counts[0] > 0 && counts[1] > 0);
    assert_true(counts_composite > 0 && counts_composite < counts[1]); // photo style: both layouts
}

static void test_photo_style_without_library_refused(void **state) {
    (void)state;
    SynthConfig config;
    synth_config_default(&config);
    config.size = 64;
    config.style = SYNTH_STYLE_PHOTO;
    SynthSample sample;
    Error err;
    assert_int_equal(synth_sample_render(&sample, &config, 0, 0, &err), -1);
    assert_non_null(strstr(err.message, "fetch_photos"));
    SynthStyle style;
    assert_int_equal(synth_style_parse("mix", &style), 0);
    assert_int_equal(style, SYNTH_STYLE_MIX);
    assert_int_equal(synth_style_parse("painting", &style), -1);
}

static double rgb_mean_for_test(Rgb c) { return (c.r + c.g + c.b) / 3.0; }

// Mean brightness of the wall's left and right thirds.
static void wall_sides(const Image *image, int rows, double *left, double *right) {
    double sums[2] = {0, 0};
    for (int y = 0; y < rows; y++)
        for (int x = 0; x < image->width / 3; x++)
            for (int c = 0; c < 3; c++) {
                sums[0] += image->data[((size_t)y * image->width + x) * 3 + c];
                sums[1] += image->data[((size_t)y * image->width + image->width - 1 - x) * 3 + c];
            }
    *left = sums[0];
    *right = sums[1];
}

static void test_background_brighter_on_the_light_side(void **state) {
    (void)state;
    const int S = 96;
    SceneSpec scene;
    Rng rng = rng_stream(3, 0, SYNTH_STREAM(STREAM_SCENE));
    scene_spec_random(&scene, S, &rng);
    scene.surface_y = S * 0.55; // the layout sets the rows; here a plain table running to the bottom
    scene.front_y = S * 2;
    scene.vanish_x = S / 2.0;
    scene.vanish_y = -S * 0.5;
    PhotoChoice choice;
    photo_choice_random(&choice, library, S, &rng);
    double ratio[2]; // left / right, light from the left then from the right
    for (int side = -1; side <= 1; side += 2) {
        scene.light.azimuth = 55 * side;
        scene.light.strength = 0.8;
        cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, S, S);
        cairo_t *cr = cairo_create(surface);
        Error err;
        assert_int_equal(photo_paint_background(cr, library, &choice, &scene, S, &err), 0);
        cairo_destroy(cr);
        Image image;
        assert_int_equal(paint_surface_to_image(surface, &image, &err), 0);
        cairo_surface_destroy(surface);
        double left, right;
        wall_sides(&image, (int)scene.surface_y, &left, &right);
        ratio[side > 0] = left / right;
        image_free(&image);
    }
    assert_true(ratio[0] > ratio[1] * 1.15); // the same photograph, relit from the other side
}

static void paint(Image *image, const PhotoChoice *choice, const SceneSpec *scene, int S) {
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, S, S);
    cairo_t *cr = cairo_create(surface);
    Error err;
    assert_int_equal(photo_paint_background(cr, library, choice, scene, S, &err), 0);
    cairo_destroy(cr);
    assert_int_equal(paint_surface_to_image(surface, image, &err), 0);
    cairo_surface_destroy(surface);
}

static double image_mean(const Image *image) {
    double sum = 0;
    for (size_t i = 0; i < (size_t)image->width * image->height * 3; i++) sum += image->data[i];
    return sum / ((double)image->width * image->height * 3);
}

// Inside a seam's frame the photographs are re-cropped and take the inner wall's brightness: the
// outpainting visibly does not continue its original (a tint alone was hidden by the texture).
static void test_seam_recrops_and_relights_the_photographs(void **state) {
    (void)state;
    const int S = 96;
    SceneSpec scene, inner;
    Rng rng = rng_stream(4, 0, SYNTH_STREAM(STREAM_SCENE));
    scene_spec_random(&scene, S, &rng);
    scene.surface_y = S * 0.55;
    scene.front_y = S * 2;
    scene.vanish_x = S / 2.0;
    scene.vanish_y = -S * 0.5;
    scene.wall = (Rgb){0.5, 0.45, 0.4};
    inner = scene;
    inner.wall = rgb_scale(scene.wall, 1.3);
    PhotoChoice outer, seam;
    photo_choice_random(&outer, library, S, &rng);
    outer.tint = 0.1;
    photo_choice_seam(&seam, &outer, &scene, &inner, 0.0, S);
    assert_true(fabs(seam.exposure - rgb_mean_for_test(inner.wall) / rgb_mean_for_test(scene.wall)) < 1e-9);
    assert_true(seam.tint >= 0.55);
    assert_true(fabs(seam.wall_x - outer.wall_x) >= 0.15 * S * outer.wall_scale - 1e-9);
    Image a, b;
    paint(&a, &outer, &scene, S);
    paint(&b, &seam, &inner, S);
    assert_true(image_mean(&b) > image_mean(&a) * 1.1); // brighter, as the inner wall
    double diff = 0;
    for (size_t i = 0; i < (size_t)S * S * 3; i++) diff += abs((int)a.data[i] - (int)b.data[i]);
    assert_true(diff / (S * S * 3) > 8);
    image_free(&a);
    image_free(&b);
}

static void test_camera_is_deterministic_and_changes_pixels(void **state) {
    (void)state;
    Image base;
    Error err;
    char *path = path_join(library_dir, "both.jpg");
    assert_int_equal(image_load(&base, path, 0, &err), 0);
    free(path);
    Image cut;
    assert_int_equal(image_resize(&cut, &base, 128, 128, &err), 0);
    image_free(&base);
    CameraLook look;
    Rng rng = rng_stream(1, 2, 3);
    camera_look_random(&look, 1.0, &rng);
    look.jpeg_quality = 40;
    look.motion_length = 3;
    Image a, b, c;
    assert_int_equal(image_clone(&a, &cut, &err), 0);
    assert_int_equal(image_clone(&b, &cut, &err), 0);
    assert_int_equal(image_clone(&c, &cut, &err), 0);
    assert_int_equal(camera_apply(&a, &look, 7, &err), 0);
    assert_int_equal(camera_apply(&b, &look, 7, &err), 0);
    assert_int_equal(camera_apply(&c, &look, 8, &err), 0);
    assert_true(images_equal(&a, &b));  // same look, same key: same bytes
    assert_false(images_equal(&a, &c)); // the noise follows the key
    assert_false(images_equal(&a, &cut));
    // an identity look leaves the image alone
    CameraLook identity = {.white_balance = {1, 1, 1}, .resample = 1};
    Image d;
    assert_int_equal(image_clone(&d, &cut, &err), 0);
    assert_int_equal(camera_apply(&d, &identity, 7, &err), 0);
    assert_true(images_equal(&d, &cut));
    char text[160];
    camera_look_describe(&look, text, sizeof text);
    assert_non_null(strstr(text, "jpeg 40"));
    image_free(&a);
    image_free(&b);
    image_free(&c);
    image_free(&d);
    image_free(&cut);
}

// One composite candidate of kind `kind` at severity 0.8, from a fixed random stream.
static Image composite(DefectKind kind, CandidateMeta *meta, uint64_t stream) {
    const int S = 128;
    CompositeRequest request = {library, {5, 1, 3}, S * 0.5, kind, 0.8, 0.8};
    Rng rng = rng_stream(11, stream, 1);
    Image image;
    Error err;
    size_t wall, surface;
    assert_int_equal(image_create(&image, S, S, 3, &err), 0);
    assert_int_equal(composite_candidate_render(&image, meta, &wall, &surface, &request, &rng, &err), 0);
    assert_true(wall < synth_photos_count(library) && surface < synth_photos_count(library));
    return image;
}

static int box_inside(SynthBox box, int S) { return box.x0 >= 0 && box.y0 >= 0 && box.x1 <= S && box.y1 <= S && box.x1 > box.x0 && box.y1 > box.y0; }

// Every kind renders, deterministically, with its boxes, rows, shadow and ratios where it put them.
static void test_composite_kinds_are_where_meta_says(void **state) {
    (void)state;
    const int S = 128;
    for (int k = 0; k < DEFECT_KIND_COUNT; k++)
        for (uint64_t stream = 0; stream < 3; stream++) {
            DefectKind kind = (DefectKind)k;
            CandidateMeta m, again;
            Image a = composite(kind, &m, stream), b = composite(kind, &again, stream);
            assert_true(images_equal(&a, &b));
            assert_int_equal(m.defect, kind);
            assert_true(box_inside(m.product, S) && box_inside(m.frame, S) && box_inside(m.region, S));
            assert_true(m.surface_y > 0 && m.surface_y < m.base_y && m.base_y < S);
            int expected_shadow = kind == DEFECT_SHADOW_MISSING ? 0
                                  : kind == DEFECT_SHADOW_DOUBLE ? 2
                                  : kind == DEFECT_SHADOW_REVERSED ? m.light_side : -m.light_side;
            assert_int_equal(m.shadow_side, expected_shadow);
            assert_int_equal(m.light_side, m.light_azimuth < 0 ? -1 : 1);
            if (kind == DEFECT_NONE) assert_true(m.severity == 0 && m.product.y1 >= m.base_y - 2 && m.product.y1 <= m.base_y + 2);
            else assert_true(fabs(m.severity - 0.8) < 1e-12);
            if (kind == DEFECT_FLOATING) assert_true(m.product.y1 < m.base_y - 10 && m.region.y1 == m.base_y + 1);
            if (kind == DEFECT_SUNK) assert_true(m.product.y1 <= m.base_y + 1);
            if (kind == DEFECT_ON_WALL) assert_true(m.product.y1 <= m.surface_y);
            if (kind == DEFECT_CUT_BY_FRAME) assert_true(m.product.x0 == 0 || m.product.x1 == S);
            if (kind == DEFECT_WRONG_SCALE) assert_true(m.scale_ratio > 1.4 || m.scale_ratio < 0.7);
            else assert_true(m.scale_ratio == 1);
            if (kind == DEFECT_SHADOW_LENGTH) assert_true(m.shadow_ratio > 2.5 || m.shadow_ratio < 0.3);
            if (kind == DEFECT_TILTED) assert_true(m.tilt_degrees > 14);
            if (kind == DEFECT_UPSIDE_DOWN) assert_true(m.tilt_degrees == 180);
            if (defect_kind_dimension(kind) == DIMENSION_EXTENSION && kind != DEFECT_NONE &&
                kind != DEFECT_DUPLICATED_PRODUCT)
                assert_memory_equal(&m.region, &m.frame, sizeof m.region);
            if (kind == DEFECT_DUPLICATED_PRODUCT) // the copy stands outside the frame
                assert_true(m.region.x1 <= m.frame.x0 + 2 || m.region.x0 >= m.frame.x1 - 2);
            image_free(&a);
            image_free(&b);
        }
}

// Recolouring and scrambling the label keep the silhouette: the same stream gives the same scene,
// framing and shadow, and the two images differ only on the product; the whole-product recolour
// moves more colour than the cap's, which stays in the top part.
static void test_composite_product_edits_touch_only_the_product(void **state) {
    (void)state;
    CandidateMeta colour, garbled, part;
    Image a = composite(DEFECT_WRONG_COLOUR, &colour, 7), b = composite(DEFECT_TEXT_GARBLED, &garbled, 7),
          c = composite(DEFECT_PART_CHANGED, &part, 7);
    assert_memory_equal(&colour.product, &garbled.product, sizeof colour.product);
    const int S = a.width;
    long inside = 0, outside = 0, top = 0, bottom = 0;
    SynthBox box = colour.product;
    int middle = (box.y0 + box.y1) / 2;
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++)
            for (int ch = 0; ch < 3; ch++) {
                size_t i = ((size_t)y * S + x) * 3 + ch;
                // (the box holds the pixels above alpha 64; the antialiased edge lies within 2 of it)
                int in = x >= box.x0 - 2 && x < box.x1 + 2 && y >= box.y0 - 2 && y < box.y1 + 2;
                long d = abs((int)a.data[i] - (int)b.data[i]);
                if (in) inside += d;
                else outside += d;
                long e = abs((int)c.data[i] - (int)b.data[i]);
                if (in && y < middle) top += e;
                if (!in || y >= middle) bottom += e;
            }
    assert_int_equal(outside, 0);
    assert_true(inside > 20L * (box.x1 - box.x0) * (box.y1 - box.y0) / 4);
    assert_true(top > 0 && top > 2 * bottom); // the changed part is at the top
    image_free(&a);
    image_free(&b);
    image_free(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_library_loads_reduced_photographs_by_role),
        cmocka_unit_test(test_photo_style_identical_at_one_and_two_threads),
        cmocka_unit_test(test_mix_render_samples_equal_render_style_and_meta_names_sources),
        cmocka_unit_test(test_photo_style_without_library_refused),
        cmocka_unit_test(test_background_brighter_on_the_light_side),
        cmocka_unit_test(test_seam_recrops_and_relights_the_photographs),
        cmocka_unit_test(test_camera_is_deterministic_and_changes_pixels),
        cmocka_unit_test(test_composite_kinds_are_where_meta_says),
        cmocka_unit_test(test_composite_product_edits_touch_only_the_product),
        cmocka_unit_test(test_bad_manifest_refused_with_its_line), // rewrites the manifest: last
    };
    int failed = cmocka_run_group_tests(tests, setup, teardown);
    synth_release_static_data();
    return failed;
}
