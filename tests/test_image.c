// test_image.c — the image layer: codec round trips, refusal of corrupt/truncated/oversized input,
// and resize / blur / composite against plain reference computations on small known inputs.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/image.h"

static void fill_pattern(Image *image, unsigned salt) {
    size_t n = (size_t)image->width * image->height * image->channels;
    for (size_t i = 0; i < n; i++) image->data[i] = (uint8_t)((i * 37u + salt * 11u + (i / 7u) * 3u) & 0xff);
}

static void encode_test_png(Image *image, uint8_t **bytes, size_t *size, int width, int height, int channels) {
    Error err;
    assert_int_equal(image_create(image, width, height, channels, &err), 0);
    fill_pattern(image, 1);
    assert_int_equal(image_encode_png_memory(image, bytes, size, &err), 0);
}

static void test_png_round_trip_is_exact(void **state) {
    (void)state;
    for (int channels = 3; channels <= 4; channels++) {
        Image image, back;
        uint8_t *bytes;
        size_t size;
        Error err;
        encode_test_png(&image, &bytes, &size, 13, 7, channels);
        assert_int_equal(image_decode_memory(&back, bytes, size, 0, &err), 0);
        assert_int_equal(back.width, 13);
        assert_int_equal(back.height, 7);
        assert_int_equal(back.channels, channels);
        assert_memory_equal(back.data, image.data, 13 * 7 * channels);
        image_free(&image);
        image_free(&back);
        free(bytes);
    }
}

static void test_png_file_round_trip(void **state) {
    (void)state;
    Image image, back;
    Error err;
    assert_int_equal(image_create(&image, 5, 4, 3, &err), 0);
    fill_pattern(&image, 3);
    char path[] = "/tmp/iar_test_image_XXXXXX.png";
    int fd = mkstemps(path, 4);
    assert_true(fd >= 0);
    assert_int_equal(image_save_png(&image, path, &err), 0);
    assert_int_equal(image_load(&back, path, 0, &err), 0);
    assert_memory_equal(back.data, image.data, 5 * 4 * 3);
    // the pixel limit applies to files too, and the message names the file
    image_free(&back);
    assert_int_equal(image_load(&back, path, 19, &err), -1);
    assert_non_null(strstr(err.message, path));
    assert_non_null(strstr(err.message, "limit"));
    assert_null(back.data);
    remove(path);
    close(fd);
    image_free(&image);
}

static void test_jpeg_round_trip_is_close(void **state) {
    (void)state;
    Image image, back;
    Error err;
    assert_int_equal(image_create(&image, 32, 24, 3, &err), 0);
    for (int y = 0; y < 24; y++)
        for (int x = 0; x < 32; x++) {
            uint8_t *p = image.data + (y * 32 + x) * 3;
            p[0] = (uint8_t)(x * 8);
            p[1] = (uint8_t)(y * 10);
            p[2] = 128;
        }
    uint8_t *bytes;
    size_t size;
    assert_int_equal(image_encode_jpeg_memory(&image, 95, &bytes, &size, &err), 0);
    assert_true(bytes[0] == 0xff && bytes[1] == 0xd8);
    assert_int_equal(image_decode_memory(&back, bytes, size, 0, &err), 0);
    assert_int_equal(back.width, 32);
    assert_int_equal(back.channels, 3);
    double total = 0;
    for (int i = 0; i < 32 * 24 * 3; i++) total += fabs((double)back.data[i] - image.data[i]);
    assert_true(total / (32 * 24 * 3) < 3.0);
    free(bytes);
    assert_int_equal(image_encode_jpeg_memory(&image, 0, &bytes, &size, &err), -1);
    assert_null(bytes);
    image_free(&image);
    image_free(&back);
}

static void test_truncated_and_corrupt_png_refused(void **state) {
    (void)state;
    Image image, back;
    uint8_t *bytes;
    size_t size;
    Error err;
    encode_test_png(&image, &bytes, &size, 40, 30, 3);
    // truncated anywhere after the signature
    for (size_t cut = 9; cut < size; cut += size / 9) {
        assert_int_equal(image_decode_memory(&back, bytes, cut, 0, &err), -1);
        assert_non_null(strstr(err.message, "PNG"));
        assert_null(back.data);
    }
    // one flipped byte inside the compressed data breaks the chunk CRC
    bytes[size / 2] ^= 0x5a;
    assert_int_equal(image_decode_memory(&back, bytes, size, 0, &err), -1);
    assert_non_null(strstr(err.message, "corrupt PNG"));
    // not an image at all
    const uint8_t text[] = "hello, not an image";
    assert_int_equal(image_decode_memory(&back, text, sizeof text, 0, &err), -1);
    assert_non_null(strstr(err.message, "not a PNG or JPEG"));
    free(bytes);
    image_free(&image);
}

static void test_truncated_and_corrupt_jpeg_refused(void **state) {
    (void)state;
    Image image, back;
    Error err;
    assert_int_equal(image_create(&image, 64, 48, 3, &err), 0);
    fill_pattern(&image, 5);
    uint8_t *bytes;
    size_t size;
    assert_int_equal(image_encode_jpeg_memory(&image, 90, &bytes, &size, &err), 0);
    // libjpeg alone would pad a truncated stream with grey and succeed
    assert_int_equal(image_decode_memory(&back, bytes, size * 2 / 3, 0, &err), -1);
    assert_non_null(strstr(err.message, "corrupt JPEG"));
    assert_null(back.data);
    assert_int_equal(image_decode_memory(&back, bytes, 40, 0, &err), -1);
    // garbage after a valid header
    uint8_t *broken = malloc(size);
    memcpy(broken, bytes, size);
    for (size_t i = size / 3; i < size - 2; i++) broken[i] = (uint8_t)(i * 7);
    assert_int_equal(image_decode_memory(&back, broken, size, 0, &err), -1);
    free(broken);
    free(bytes);
    image_free(&image);
}

static void test_pixel_limit_refuses_bombs(void **state) {
    (void)state;
    Image image, back;
    uint8_t *bytes;
    size_t size;
    Error err;
    encode_test_png(&image, &bytes, &size, 100, 60, 3);
    assert_int_equal(image_decode_memory(&back, bytes, size, 5999, &err), -1);
    assert_non_null(strstr(err.message, "over the limit"));
    assert_int_equal(image_decode_memory(&back, bytes, size, 6000, &err), 0);
    image_free(&back);
    free(bytes);
    // JPEG: the limit is checked from the header, before any pixel is decoded
    assert_int_equal(image_encode_jpeg_memory(&image, 80, &bytes, &size, &err), 0);
    assert_int_equal(image_decode_memory(&back, bytes, size, 100, &err), -1);
    assert_non_null(strstr(err.message, "over the limit"));
    free(bytes);
    image_free(&image);
}

// Plain 2-D reference of area averaging: each output pixel is the overlap-weighted mean of the
// source pixels its footprint covers.
static double reference_area_average(const Image *in, int W, int H, int x, int y, int c) {
    double sx = (double)in->width / W, sy = (double)in->height / H, total = 0, weight = 0;
    for (int j = 0; j < in->height; j++)
        for (int i = 0; i < in->width; i++) {
            double ox = fmin((x + 1) * sx, i + 1.0) - fmax(x * sx, (double)i);
            double oy = fmin((y + 1) * sy, j + 1.0) - fmax(y * sy, (double)j);
            if (ox <= 0 || oy <= 0) continue;
            total += ox * oy * in->data[(j * in->width + i) * in->channels + c];
            weight += ox * oy;
        }
    return total / weight;
}

static void test_resize_area_average(void **state) {
    (void)state;
    Image in, out;
    Error err;
    // exact 2x2 box on a known input
    assert_int_equal(image_create(&in, 4, 2, 3, &err), 0);
    const uint8_t grey[8] = {0, 100, 200, 40, 20, 60, 255, 255};
    for (int i = 0; i < 8; i++) memset(in.data + i * 3, grey[i], 3);
    assert_int_equal(image_resize(&out, &in, 2, 1, &err), 0);
    assert_int_equal(out.data[0], 45);  // (0+100+20+60)/4
    assert_int_equal(out.data[3], 188); // (200+40+255+255)/4 = 187.5
    image_free(&in);
    image_free(&out);
    // fractional factors against the plain reference
    assert_int_equal(image_create(&in, 17, 11, 3, &err), 0);
    fill_pattern(&in, 9);
    assert_int_equal(image_resize(&out, &in, 5, 4, &err), 0);
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 5; x++)
            for (int c = 0; c < 3; c++) {
                double want = reference_area_average(&in, 5, 4, x, y, c);
                assert_true(fabs(out.data[(y * 5 + x) * 3 + c] - want) <= 0.51);
            }
    image_free(&out);
    assert_int_equal(image_resize(&out, &in, 0, 4, &err), -1);
    image_free(&in);
}

static void test_resize_upscale_bilinear(void **state) {
    (void)state;
    Image in, out;
    Error err;
    assert_int_equal(image_create(&in, 2, 1, 3, &err), 0);
    memset(in.data, 0, 3);
    memset(in.data + 3, 200, 3);
    assert_int_equal(image_resize(&out, &in, 4, 1, &err), 0);
    // centres at -0.25 (clamped), 0.25, 0.75, 1.25 (clamped)
    const int want[4] = {0, 50, 150, 200};
    for (int x = 0; x < 4; x++) assert_int_equal(out.data[x * 3], want[x]);
    image_free(&in);
    image_free(&out);
}

static void test_resize_rgba_does_not_bleed_transparent_colour(void **state) {
    (void)state;
    Image in, out;
    Error err;
    assert_int_equal(image_create(&in, 2, 2, 4, &err), 0);
    // one opaque red pixel, three fully transparent bright-green pixels
    for (int i = 0; i < 4; i++) {
        uint8_t *p = in.data + i * 4;
        p[0] = i == 0 ? 255 : 0;
        p[1] = i == 0 ? 0 : 255;
        p[2] = 0;
        p[3] = i == 0 ? 255 : 0;
    }
    assert_int_equal(image_resize(&out, &in, 1, 1, &err), 0);
    assert_int_equal(out.data[0], 255);
    assert_int_equal(out.data[1], 0);
    assert_int_equal(out.data[3], 64); // 255/4 = 63.75
    image_free(&in);
    image_free(&out);
}

// The plain separable blur the fast one must equal bit for bit: a float sum per output over clamped
// source indices, weights from -radius up, horizontal then vertical, rounded half up.
static uint8_t reference_round(float v) { return !(v > 0.0f) ? 0 : v >= 255.0f ? 255 : (uint8_t)(v + 0.5f); }
static void reference_blur(uint8_t *out, const uint8_t *in, int W, int H, int C, double sigma) {
    int r = (int)ceil(3.0 * sigma);
    float *kernel = malloc(sizeof(float) * (size_t)(2 * r + 1)), *rows = malloc(sizeof(float) * (size_t)W * H * C);
    double total = 0;
    for (int k = -r; k <= r; k++) total += exp(-0.5 * k * k / (sigma * sigma));
    for (int k = -r; k <= r; k++) kernel[k + r] = (float)(exp(-0.5 * k * k / (sigma * sigma)) / total);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < C; c++) {
                float acc = 0;
                for (int k = -r; k <= r; k++) {
                    int j = x + k < 0 ? 0 : x + k >= W ? W - 1 : x + k;
                    acc += kernel[k + r] * in[((size_t)y * W + j) * C + c];
                }
                rows[((size_t)y * W + x) * C + c] = acc;
            }
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < C; c++) {
                float acc = 0;
                for (int k = -r; k <= r; k++) {
                    int j = y + k < 0 ? 0 : y + k >= H ? H - 1 : y + k;
                    acc += kernel[k + r] * rows[((size_t)j * W + x) * C + c];
                }
                out[((size_t)y * W + x) * C + c] = reference_round(acc);
            }
    free(kernel);
    free(rows);
}

// The blur's vectorised rows (away from the borders) against the plain reference, on noise, for
// sizes narrower and wider than the kernel and for 1 and 3 channels.
static void test_blur_matches_reference(void **state) {
    (void)state;
    const int sizes[][2] = {{5, 7}, {37, 23}, {64, 64}, {129, 40}};
    const double sigmas[] = {0.6, 1.5, 4.2, 11.0};
    Error err;
    uint32_t seed = 12345;
    for (int s = 0; s < 4; s++)
        for (int g = 0; g < 4; g++)
            for (int C = 1; C <= 3; C += 2) {
                int W = sizes[s][0], H = sizes[s][1];
                Image image;
                assert_int_equal(image_create(&image, W, H, C, &err), 0);
                for (size_t i = 0; i < (size_t)W * H * C; i++) image.data[i] = (uint8_t)((seed = seed * 1664525u + 1013904223u) >> 24);
                uint8_t *want = malloc((size_t)W * H * C);
                reference_blur(want, image.data, W, H, C, sigmas[g]);
                assert_int_equal(image_blur_gaussian(&image, sigmas[g], &err), 0);
                assert_memory_equal(image.data, want, (size_t)W * H * C);
                free(want);
                image_free(&image);
            }
}

static void test_blur_gaussian(void **state) {
    (void)state;
    Image image;
    Error err;
    // a constant image stays constant
    assert_int_equal(image_create(&image, 9, 9, 3, &err), 0);
    memset(image.data, 77, 9 * 9 * 3);
    assert_int_equal(image_blur_gaussian(&image, 1.5, &err), 0);
    for (int i = 0; i < 9 * 9 * 3; i++) assert_int_equal(image.data[i], 77);
    // an impulse spreads symmetrically, matching the separable 2-D Gaussian
    memset(image.data, 0, 9 * 9 * 3);
    image.data[(4 * 9 + 4) * 3] = 255;
    double sigma = 1.0;
    assert_int_equal(image_blur_gaussian(&image, sigma, &err), 0);
    double norm = 0;
    for (int k = -3; k <= 3; k++) norm += exp(-0.5 * k * k / (sigma * sigma));
    for (int y = 0; y < 9; y++)
        for (int x = 0; x < 9; x++) {
            int dx = x - 4, dy = y - 4;
            double want = 0;
            if (abs(dx) <= 3 && abs(dy) <= 3)
                want = 255.0 * exp(-0.5 * (dx * dx + dy * dy) / (sigma * sigma)) / (norm * norm);
            assert_true(fabs(image.data[(y * 9 + x) * 3] - want) <= 0.51);
            assert_int_equal(image.data[(y * 9 + x) * 3], image.data[(x * 9 + y) * 3]);
        }
    assert_int_equal(image_blur_gaussian(&image, 0.0, &err), 0); // no-op
    image_free(&image);
}

static void test_composite_over(void **state) {
    (void)state;
    Image bottom, top;
    Error err;
    assert_int_equal(image_create(&bottom, 4, 4, 3, &err), 0);
    memset(bottom.data, 100, 4 * 4 * 3);
    assert_int_equal(image_create(&top, 2, 2, 4, &err), 0);
    for (int i = 0; i < 4; i++) {
        uint8_t *p = top.data + i * 4;
        p[0] = 200;
        p[1] = 0;
        p[2] = 100;
        p[3] = i == 0 ? 255 : (i == 1 ? 128 : 0);
    }
    image_composite_over(&bottom, &top, -1, 3); // only top's (1,0) lands, at bottom (0,3)
    const uint8_t *p = bottom.data + (3 * 4 + 0) * 3;
    assert_int_equal(p[0], (200 * 128 + 100 * 127 + 127) / 255);
    assert_int_equal(p[1], (100 * 127 + 127) / 255);
    for (int i = 0; i < 4 * 3 * 3; i++) assert_int_equal(bottom.data[i], 100); // rows 0..2 untouched
    image_composite_over(&bottom, &top, 2, 0);
    assert_int_equal(bottom.data[(0 * 4 + 2) * 3], 200); // opaque pixel copied
    assert_int_equal(bottom.data[(1 * 4 + 2) * 3], 100); // transparent pixel leaves bottom
    // RGBA over a half-transparent RGBA: out alpha = ta + ba (1 - ta)
    Image under;
    assert_int_equal(image_create(&under, 1, 1, 4, &err), 0);
    under.data[0] = 0;
    under.data[3] = 128;
    image_composite_over(&under, &top, -1, 0);
    assert_int_equal(under.data[3], (128 * 255 + 128 * 127 + 127) / 255);
    Image rgb;
    assert_int_equal(image_to_rgb(&rgb, &top, &err), 0);
    assert_int_equal(rgb.data[3 * 3 + 1], 255); // transparent becomes white
    image_free(&rgb);
    image_free(&under);
    image_free(&bottom);
    image_free(&top);
}

// A 1-channel mask filters exactly like each channel of a grey RGB image, and saves as a grey PNG.
static void test_single_channel_masks(void **state) {
    (void)state;
    Image mask, rgb, back;
    Error err;
    assert_int_equal(image_create(&mask, 11, 9, 1, &err), 0);
    fill_pattern(&mask, 4);
    assert_int_equal(image_to_rgb(&rgb, &mask, &err), 0);
    assert_int_equal(image_blur_gaussian(&mask, 1.3, &err), 0);
    assert_int_equal(image_blur_gaussian(&rgb, 1.3, &err), 0);
    for (int i = 0; i < 11 * 9; i++) assert_int_equal(mask.data[i], rgb.data[i * 3 + 1]);
    uint8_t *bytes;
    size_t size;
    assert_int_equal(image_encode_png_memory(&mask, &bytes, &size, &err), 0);
    assert_int_equal(image_decode_memory(&back, bytes, size, 0, &err), 0);
    assert_int_equal(back.channels, 3); // grey PNGs decode as RGB
    for (int i = 0; i < 11 * 9; i++) assert_int_equal(back.data[i * 3 + 2], mask.data[i]);
    free(bytes);
    image_free(&back);
    assert_int_equal(image_resize(&back, &mask, 4, 3, &err), 0);
    assert_int_equal(back.channels, 1);
    image_free(&back);
    assert_int_equal(image_create(&back, 2, 2, 2, &err), -1);
    image_free(&mask);
    image_free(&rgb);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_png_round_trip_is_exact),
        cmocka_unit_test(test_png_file_round_trip),
        cmocka_unit_test(test_jpeg_round_trip_is_close),
        cmocka_unit_test(test_truncated_and_corrupt_png_refused),
        cmocka_unit_test(test_truncated_and_corrupt_jpeg_refused),
        cmocka_unit_test(test_pixel_limit_refuses_bombs),
        cmocka_unit_test(test_resize_area_average),
        cmocka_unit_test(test_resize_upscale_bilinear),
        cmocka_unit_test(test_resize_rgba_does_not_bleed_transparent_colour),
        cmocka_unit_test(test_blur_gaussian),
        cmocka_unit_test(test_blur_matches_reference),
        cmocka_unit_test(test_composite_over),
        cmocka_unit_test(test_single_channel_masks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
