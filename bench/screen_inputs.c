// screen_inputs.c — the mixed inputs of bench/screen.sh: from a square render ORIGINAL, a 1024x768
// JPEG (cropped, 4:3) as OUT/original.jpg; from a square render CANDIDATE, a 1024x512 PNG (2:1)
// as OUT/a.png. usage: screen_inputs ORIGINAL.png CANDIDATE.png OUT_DIR
#include <stdio.h>
#include <string.h>

#include "image/image.h"

// The centre rows of `in` resized to width x height (a crop to the target's aspect ratio).
static int crop_to(Image *out, const Image *in, int width, int height, Error *err) {
    int rows = (int)((long long)in->width * height / width);
    if (rows > in->height) rows = in->height;
    Image band;
    if (image_create(&band, in->width, rows, in->channels, err) != 0) return -1;
    size_t row_bytes = (size_t)in->width * in->channels;
    memcpy(band.data, in->data + (size_t)((in->height - rows) / 2) * row_bytes, row_bytes * rows);
    int rc = image_resize(out, &band, width, height, err);
    image_free(&band);
    return rc;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: screen_inputs ORIGINAL.png CANDIDATE.png OUT_DIR\n");
        return 2;
    }
    Error err = {{0}};
    Image original, candidate, jpeg, wide;
    char path[4096];
    if (image_load(&original, argv[1], 0, &err) != 0 || image_load(&candidate, argv[2], 0, &err) != 0 ||
        crop_to(&jpeg, &original, 1024, 768, &err) != 0 || crop_to(&wide, &candidate, 1024, 512, &err) != 0) {
        fprintf(stderr, "screen_inputs: %s\n", err.message);
        return 1;
    }
    snprintf(path, sizeof path, "%s/original.jpg", argv[3]);
    if (image_save_jpeg(&jpeg, path, 90, &err) != 0) return fprintf(stderr, "screen_inputs: %s\n", err.message), 1;
    snprintf(path, sizeof path, "%s/a.png", argv[3]);
    if (image_save_png(&wide, path, &err) != 0) return fprintf(stderr, "screen_inputs: %s\n", err.message), 1;
    return 0;
}
