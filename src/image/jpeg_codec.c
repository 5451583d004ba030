// jpeg_codec.c — JPEG decode/encode through libjpeg-turbo, from and to memory. Any decoder warning
// (a truncated stream, corrupt entropy data) is an error: libjpeg would otherwise fill the rest
// with grey and succeed, and a screening tool must not judge a half-decoded image.
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>

#include <jpeglib.h>
#include <stdlib.h>
#include <string.h>

#include "image/codec.h"

typedef struct JpegErrorState {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
} JpegErrorState;

static void jpeg_on_error(j_common_ptr cinfo) {
    JpegErrorState *state = (JpegErrorState *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, state->message);
    longjmp(state->jump, 1);
}

static void jpeg_on_message(j_common_ptr cinfo, int level) {
    if (level < 0) jpeg_on_error(cinfo); // a warning: corrupt or truncated data
}

int jpeg_decode_memory(Image *out, const uint8_t *bytes, size_t size, size_t max_pixels, const char *name, Error *err) {
    return jpeg_decode_memory_reduced(out, bytes, size, max_pixels, 1, name, err);
}

int jpeg_decode_memory_reduced(Image *out, const uint8_t *bytes, size_t size, size_t max_pixels, int min_side,
                               const char *name, Error *err) {
    memset(out, 0, sizeof *out);
    struct jpeg_decompress_struct cinfo;
    JpegErrorState state;
    memset(&state, 0, sizeof state);
    cinfo.err = jpeg_std_error(&state.base);
    state.base.error_exit = jpeg_on_error;
    state.base.emit_message = jpeg_on_message;
    Image *volatile result = out;
    if (setjmp(state.jump)) {
        jpeg_destroy_decompress(&cinfo);
        image_free(result);
        return error_set(err, "%s: corrupt JPEG: %s", name, state.message);
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, bytes, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    if (image_check_dimensions((long)cinfo.image_width, (long)cinfo.image_height, max_pixels, name, err) != 0) {
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    cinfo.out_color_space = JCS_RGB;
    // libjpeg scales by 1/2, 1/4 or 1/8 inside the inverse DCT, far cheaper than decoding in full
    unsigned short_side = cinfo.image_width < cinfo.image_height ? cinfo.image_width : cinfo.image_height;
    unsigned denom = 1;
    while (denom < 8 && min_side > 1 && short_side / (denom * 2) >= (unsigned)min_side) denom *= 2;
    cinfo.scale_num = 1;
    cinfo.scale_denom = denom;
    jpeg_start_decompress(&cinfo);
    if (cinfo.output_components != 3) {
        snprintf(state.message, sizeof state.message, "%d output components", cinfo.output_components);
        longjmp(state.jump, 1);
    }
    if (image_create(out, (int)cinfo.output_width, (int)cinfo.output_height, 3, err) != 0) {
        jpeg_destroy_decompress(&cinfo);
        return error_prefix(err, "%s: ", name);
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = out->data + (size_t)cinfo.output_scanline * out->width * 3;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

// Compresses 3-channel `rgb`; the caller owns flattening. Kept apart so no local changes between
// setjmp and longjmp.
static int jpeg_compress_rgb(const Image *rgb, int quality, uint8_t **out, size_t *out_size, Error *err) {
    struct jpeg_compress_struct cinfo;
    JpegErrorState state;
    memset(&state, 0, sizeof state);
    cinfo.err = jpeg_std_error(&state.base);
    state.base.error_exit = jpeg_on_error;
    unsigned char *buffer = NULL;
    unsigned long buffer_size = 0;
    if (setjmp(state.jump)) {
        jpeg_destroy_compress(&cinfo);
        free(buffer);
        return error_set(err, "JPEG encode: %s", state.message);
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, &buffer, &buffer_size);
    cinfo.image_width = (JDIMENSION)rgb->width;
    cinfo.image_height = (JDIMENSION)rgb->height;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = rgb->data + (size_t)cinfo.next_scanline * rgb->width * 3;
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    // jpeg_mem_dest allocates with malloc; hand it to the caller as is.
    *out = buffer;
    *out_size = buffer_size;
    return 0;
}

int image_encode_jpeg_memory(const Image *image, int quality, uint8_t **out, size_t *out_size, Error *err) {
    *out = NULL;
    *out_size = 0;
    if (!image->data || (image->channels != 3 && image->channels != 4))
        return error_set(err, "JPEG encode: not a valid 3- or 4-channel image (convert masks with image_to_rgb)");
    if (quality < 1 || quality > 100) return error_set(err, "JPEG encode: quality %d outside 1..100", quality);
    if (image->channels == 3) return jpeg_compress_rgb(image, quality, out, out_size, err);
    Image rgb; // JPEG has no alpha: flatten over white
    if (image_to_rgb(&rgb, image, err) != 0) return -1;
    int rc = jpeg_compress_rgb(&rgb, quality, out, out_size, err);
    image_free(&rgb);
    return rc;
}
