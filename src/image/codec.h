// codec.h — private to src/image: the PNG and JPEG codecs behind image_load / image_save_*.
#ifndef IAR_IMAGE_CODEC_H
#define IAR_IMAGE_CODEC_H

#include "image/image.h"

// Both decoders refuse images over max_pixels (already resolved, never 0) and any corrupt or
// truncated stream; `name` is used in error messages only.
int png_decode_memory(Image *out, const uint8_t *bytes, size_t size, size_t max_pixels, const char *name, Error *err);
int jpeg_decode_memory(Image *out, const uint8_t *bytes, size_t size, size_t max_pixels, const char *name, Error *err);

// The same, decoded at 1/2, 1/4 or 1/8 scale where the shorter side stays >= min_side (1: full).
int jpeg_decode_memory_reduced(Image *out, const uint8_t *bytes, size_t size, size_t max_pixels, int min_side,
                               const char *name, Error *err);

// Shared check: width/height positive and width*height within the limit.
int image_check_dimensions(long width, long height, size_t max_pixels, const char *name, Error *err);

#endif
