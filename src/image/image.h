// image.h — the image type (8-bit RGB or RGBA, row-major, interleaved) and its basic operations.
// Decoding goes through libpng and libjpeg-turbo; every decoder refuses images over a pixel limit.
#ifndef IAR_IMAGE_IMAGE_H
#define IAR_IMAGE_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef struct Image {
    int width, height;
    int channels;  // 3 (RGB) or 4 (RGBA, straight alpha); 1 (a grey mask) only where stated
    uint8_t *data; // height * width * channels bytes, rows top to bottom
} Image;

// Decompression-bomb guard used when the caller passes 0.
#define IMAGE_DEFAULT_MAX_PIXELS ((size_t)40 * 1000 * 1000)

int image_create(Image *out, int width, int height, int channels, Error *err); // zero-filled; 1, 3 or 4 channels
void image_free(Image *image);
int image_clone(Image *out, const Image *in, Error *err);

// Decodes PNG or JPEG (by content, not by name). Output has 3 channels unless the PNG has alpha.
int image_load(Image *out, const char *path, size_t max_pixels, Error *err);
// For material (photographs): a JPEG is decoded directly at a reduced scale whose shorter side stays
// at least `min_side` (a PNG in full); the result may still be larger than min_side.
int image_load_reduced(Image *out, const char *path, int min_side, Error *err);
int image_decode_memory(Image *out, const uint8_t *bytes, size_t size, size_t max_pixels, Error *err);
int image_save_png(const Image *image, const char *path, Error *err); // 1 channel: a grey PNG
int image_save_jpeg(const Image *image, const char *path, int quality, Error *err);
// Encodes PNG into a malloc'd buffer (for data URLs and HTTP responses).
int image_encode_png_memory(const Image *image, uint8_t **out, size_t *out_size, Error *err);
int image_encode_jpeg_memory(const Image *image, int quality, uint8_t **out, size_t *out_size, Error *err);

// Area-averaging resize (exact box filter for downscale, bilinear for upscale). Any channel count.
int image_resize(Image *out, const Image *in, int width, int height, Error *err);
// Separable Gaussian blur in place, sigma in pixels. Any channel count (1: masks, e.g. shadows).
int image_blur_gaussian(Image *image, double sigma, Error *err);
// Alpha-composites RGBA `top` over `bottom` (RGB or RGBA) with its top-left corner at (x, y).
// Does nothing when either image has 1 channel.
void image_composite_over(Image *bottom, const Image *top, int x, int y);
// Converts to 3 channels (dropping alpha over white when present; grey is replicated).
int image_to_rgb(Image *out, const Image *in, Error *err);

#endif
