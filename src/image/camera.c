// camera.c — a randomised camera pipeline over a finished image (see camera.h). Sizes in a look
// (blur, motion) are pixels of a 256-pixel image and scale with the image it is applied to.
#include "image/camera.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REFERENCE_SIDE 256.0

void camera_look_random(CameraLook *look, double strength, Rng *rng) {
    memset(look, 0, sizeof *look);
    double s = strength < 0 ? 0 : (strength > 1 ? 1 : strength);
    double warmth = rng_next_normal(rng) * (0.02 + 0.05 * s), tint = rng_next_normal(rng) * 0.015 * (0.5 + s);
    look->white_balance[0] = 1 + warmth;
    look->white_balance[1] = 1 + tint;
    look->white_balance[2] = 1 - warmth;
    look->vignette = rng_next_range(rng, 0, 0.05 + 0.4 * s);
    double blur = rng_next_double(rng);
    if (blur < 0.5) look->defocus_sigma = rng_next_range(rng, 0.3, 0.4 + 1.3 * s);
    else if (blur < 0.7) {
        look->motion_length = rng_next_range(rng, 1.5, 1.6 + 3.5 * s);
        look->motion_angle = rng_next_range(rng, 0, M_PI);
    }
    look->resample = rng_next_double(rng) < 0.4 ? rng_next_range(rng, 1.15, 1.2 + 1.1 * s) : 1.0;
    look->noise_sigma = rng_next_range(rng, 0.8, 1.0 + 6.0 * s);
    int low = (int)lround(92 - 55 * s);
    look->jpeg_quality = rng_next_double(rng) < 0.85 ? low + rng_next_int(rng, 96 - low) : 0;
}

void camera_look_milder(CameraLook *look) {
    look->vignette *= 0.4;
    look->defocus_sigma *= 0.5;
    look->motion_length = 0;
    look->resample = 1.0;
    look->noise_sigma *= 0.5;
    if (look->jpeg_quality > 0 && look->jpeg_quality < 88) look->jpeg_quality = 88;
}

static uint8_t clamp_byte(double v) { return v <= 0 ? 0 : (v >= 255 ? 255 : (uint8_t)(v + 0.5)); }

// Averages taps along a line through each pixel (bilinear, edge-clamped).
static int motion_blur(Image *image, double length, double angle, Error *err) {
    int W = image->width, H = image->height, taps = (int)ceil(length) + 1;
    Image source;
    if (image_clone(&source, image, err) != 0) return -1;
    double dx = cos(angle), dy = sin(angle);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double sum[3] = {0, 0, 0};
            for (int t = 0; t < taps; t++) {
                double offset = (taps == 1 ? 0 : (double)t / (taps - 1) - 0.5) * length;
                double sx = fmin(fmax(x + dx * offset, 0), W - 1), sy = fmin(fmax(y + dy * offset, 0), H - 1);
                int x0 = (int)sx, y0 = (int)sy, x1 = x0 + 1 < W ? x0 + 1 : x0, y1 = y0 + 1 < H ? y0 + 1 : y0;
                double fx = sx - x0, fy = sy - y0;
                for (int c = 0; c < 3; c++) {
                    const uint8_t *d = source.data;
                    double top = d[((size_t)y0 * W + x0) * 3 + c] * (1 - fx) + d[((size_t)y0 * W + x1) * 3 + c] * fx;
                    double bottom = d[((size_t)y1 * W + x0) * 3 + c] * (1 - fx) + d[((size_t)y1 * W + x1) * 3 + c] * fx;
                    sum[c] += top * (1 - fy) + bottom * fy;
                }
            }
            for (int c = 0; c < 3; c++) image->data[((size_t)y * W + x) * 3 + c] = clamp_byte(sum[c] / taps);
        }
    image_free(&source);
    return 0;
}

static int resample(Image *image, double factor, Error *err) {
    int w = (int)lround(image->width / factor), h = (int)lround(image->height / factor);
    if (w < 8 || h < 8) return 0;
    Image small, back;
    if (image_resize(&small, image, w, h, err) != 0) return -1;
    int rc = image_resize(&back, &small, image->width, image->height, err);
    image_free(&small);
    if (rc != 0) return -1;
    image_free(image);
    *image = back;
    return 0;
}

// Vignetting, sensor noise (shot noise grows with the signal) and white balance in one pass.
static void expose(Image *image, const CameraLook *look, uint64_t noise_key) {
    int W = image->width, H = image->height;
    double cx = (W - 1) / 2.0, cy = (H - 1) / 2.0, r2max = cx * cx + cy * cy;
    double shot[256]; // noise sigma by signal level: shot noise grows with the square root
    for (int v = 0; v < 256; v++) shot[v] = look->noise_sigma * sqrt(fmax(v, 8.0) / 128.0);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double r2 = ((x - cx) * (x - cx) + (y - cy) * (y - cy)) / r2max;
            double gain = 1 - look->vignette * r2 * r2 * 0.5 - look->vignette * r2 * 0.5;
            uint64_t h = rng_hash(noise_key, (uint64_t)y * W + x, RNG_PURPOSE_SYNTH, 0xca);
            // each 2-byte sum is triangular with sd 104.5: close enough to Gaussian for grain
            double luminance = ((double)((h >> 48) & 0xff) + ((h >> 56) & 0xff) - 255) / 104.5;
            uint8_t *p = image->data + ((size_t)y * W + x) * 3;
            for (int c = 0; c < 3; c++) {
                double chroma = ((double)((h >> (16 * c)) & 0xff) + ((h >> (16 * c + 8)) & 0xff) - 255) / 104.5;
                double v = p[c] * gain * look->white_balance[c];
                p[c] = clamp_byte(v + shot[clamp_byte(v)] * (0.75 * luminance + 0.5 * chroma));
            }
        }
}

int camera_apply(Image *image, const CameraLook *look, uint64_t noise_key, Error *err) {
    if (image->channels != 3) return error_set(err, "camera: needs an RGB image");
    double scale = image->width / REFERENCE_SIDE;
    if (look->defocus_sigma > 0.05 && image_blur_gaussian(image, look->defocus_sigma * scale, err) != 0) return -1;
    if (look->motion_length > 0.5 && motion_blur(image, look->motion_length * scale, look->motion_angle, err) != 0)
        return -1;
    if (look->resample > 1.01 && resample(image, look->resample, err) != 0) return -1;
    expose(image, look, noise_key);
    if (look->jpeg_quality > 0) {
        uint8_t *bytes = NULL;
        size_t size = 0;
        if (image_encode_jpeg_memory(image, look->jpeg_quality, &bytes, &size, err) != 0) return -1;
        Image decoded;
        int rc = image_decode_memory(&decoded, bytes, size, 0, err);
        free(bytes);
        if (rc != 0) return -1;
        image_free(image);
        *image = decoded;
    }
    return 0;
}

void camera_look_describe(const CameraLook *look, char *buffer, size_t size) {
    snprintf(buffer, size, "wb %.3f/%.3f/%.3f vignette %.2f defocus %.2f motion %.2f@%.0f resample %.2f noise %.2f jpeg %d",
             look->white_balance[0], look->white_balance[1], look->white_balance[2], look->vignette,
             look->defocus_sigma, look->motion_length, look->motion_angle * 180 / M_PI, look->resample,
             look->noise_sigma, look->jpeg_quality);
}
