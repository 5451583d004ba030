// image_reduced.c — loading large photographs used as material: JPEGs are decoded at a reduced
// scale inside libjpeg, so a 6000-pixel wallpaper costs a fraction of a full decode.
#include <stdlib.h>
#include <string.h>

#include "core/files.h"
#include "image/codec.h"

#define MATERIAL_MAX_FILE_BYTES ((size_t)64 * 1024 * 1024)

int image_load_reduced(Image *out, const char *path, int min_side, Error *err) {
    memset(out, 0, sizeof *out);
    char *bytes = NULL;
    size_t size = 0;
    if (file_read_all(path, MATERIAL_MAX_FILE_BYTES, &bytes, &size, err) != 0) return -1;
    const uint8_t *b = (const uint8_t *)bytes;
    int rc;
    if (size >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff)
        rc = jpeg_decode_memory_reduced(out, b, size, IMAGE_DEFAULT_MAX_PIXELS, min_side, path, err);
    else if (size >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0)
        rc = png_decode_memory(out, b, size, IMAGE_DEFAULT_MAX_PIXELS, path, err);
    else
        rc = error_set(err, "%s: not a PNG or JPEG", path);
    free(bytes);
    return rc;
}
