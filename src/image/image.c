// image.c — the Image type: allocation, copying, loading by content, saving, RGB conversion.
#include "image/image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/files.h"
#include "image/codec.h"

// Any file bigger than this cannot be a sane image for this project (the pixel limit applies too).
#define IMAGE_MAX_FILE_BYTES ((size_t)256 * 1024 * 1024)

int image_check_dimensions(long width, long height, size_t max_pixels, const char *name, Error *err) {
    if (width <= 0 || height <= 0)
        return error_set(err, "%s: image has no pixels (%ldx%ld)", name, width, height);
    if ((size_t)width > max_pixels / (size_t)height)
        return error_set(err, "%s: image is %ldx%ld, over the limit of %zu pixels "
                              "(a decompression bomb or a photo that needs downscaling first)",
                         name, width, height, max_pixels);
    return 0;
}

int image_create(Image *out, int width, int height, int channels, Error *err) {
    memset(out, 0, sizeof *out);
    if (channels != 1 && channels != 3 && channels != 4)
        return error_set(err, "image: %d channels (need 1, 3 or 4)", channels);
    if (image_check_dimensions(width, height, (size_t)1 << 31, "image", err) != 0) return -1;
    size_t bytes = (size_t)width * (size_t)height * (size_t)channels;
    out->data = calloc(bytes, 1);
    if (!out->data) return error_set(err, "image: out of memory for %dx%d", width, height);
    out->width = width;
    out->height = height;
    out->channels = channels;
    return 0;
}

void image_free(Image *image) {
    if (!image) return;
    free(image->data);
    memset(image, 0, sizeof *image);
}

int image_clone(Image *out, const Image *in, Error *err) {
    if (image_create(out, in->width, in->height, in->channels, err) != 0) return -1;
    memcpy(out->data, in->data, (size_t)in->width * in->height * in->channels);
    return 0;
}

int image_decode_memory(Image *out, const uint8_t *bytes, size_t size, size_t max_pixels, Error *err) {
    memset(out, 0, sizeof *out);
    if (max_pixels == 0) max_pixels = IMAGE_DEFAULT_MAX_PIXELS;
    static const uint8_t png_magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (size >= 8 && memcmp(bytes, png_magic, 8) == 0)
        return png_decode_memory(out, bytes, size, max_pixels, "image", err);
    if (size >= 3 && bytes[0] == 0xff && bytes[1] == 0xd8 && bytes[2] == 0xff)
        return jpeg_decode_memory(out, bytes, size, max_pixels, "image", err);
    return error_set(err, "image: not a PNG or JPEG (%zu bytes, unknown signature)", size);
}

int image_load(Image *out, const char *path, size_t max_pixels, Error *err) {
    memset(out, 0, sizeof *out);
    char *bytes = NULL;
    size_t size = 0;
    if (file_read_all(path, IMAGE_MAX_FILE_BYTES, &bytes, &size, err) != 0) return -1;
    int rc = image_decode_memory(out, (const uint8_t *)bytes, size, max_pixels, err);
    free(bytes);
    if (rc != 0) {
        // Replace the generic "image: " with the file's name.
        const char *tail = strncmp(err ? err->message : "", "image: ", 7) == 0 ? err->message + 7 : NULL;
        if (tail) {
            char copy[sizeof err->message];
            snprintf(copy, sizeof copy, "%s", tail);
            error_set(err, "%s: %s", path, copy);
        } else {
            error_prefix(err, "%s: ", path);
        }
    }
    return rc;
}

static int save_encoded(const char *path, uint8_t *bytes, size_t size, Error *err) {
    int rc = file_write_atomic(path, bytes, size, err);
    free(bytes);
    return rc;
}

int image_save_png(const Image *image, const char *path, Error *err) {
    uint8_t *bytes;
    size_t size;
    if (image_encode_png_memory(image, &bytes, &size, err) != 0) return error_prefix(err, "%s: ", path);
    return save_encoded(path, bytes, size, err);
}

int image_save_jpeg(const Image *image, const char *path, int quality, Error *err) {
    uint8_t *bytes;
    size_t size;
    if (image_encode_jpeg_memory(image, quality, &bytes, &size, err) != 0) return error_prefix(err, "%s: ", path);
    return save_encoded(path, bytes, size, err);
}

int image_to_rgb(Image *out, const Image *in, Error *err) {
    if (image_create(out, in->width, in->height, 3, err) != 0) return -1;
    size_t n = (size_t)in->width * in->height;
    if (in->channels == 3) {
        memcpy(out->data, in->data, n * 3);
        return 0;
    }
    if (in->channels == 1) {
        for (size_t i = 0; i < n; i++) memset(out->data + i * 3, in->data[i], 3);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = in->data + i * 4;
        unsigned a = p[3];
        for (int c = 0; c < 3; c++) out->data[i * 3 + c] = (uint8_t)((p[c] * a + 255u * (255u - a) + 127u) / 255u);
    }
    return 0;
}
