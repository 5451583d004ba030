// fuzz_image.c — libFuzzer harness for the PNG/JPEG decoder (image_decode_memory). Besides memory
// errors, it checks that a decoded image has sane dimensions within the pixel limit and that every
// pixel byte can be read, and that re-encoding it as PNG decodes to the same pixels.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/image.h"

// Small enough that the fuzzer explores headers instead of spending its time on huge images.
#define FUZZ_MAX_PIXELS ((size_t)1 << 22)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    Image image;
    Error err = {{0}};
    if (image_decode_memory(&image, data, size, FUZZ_MAX_PIXELS, &err) != 0) return 0;
    if (image.width <= 0 || image.height <= 0 || (image.channels != 3 && image.channels != 4)) abort();
    size_t bytes = (size_t)image.width * (size_t)image.height * (size_t)image.channels;
    if ((size_t)image.width * (size_t)image.height > FUZZ_MAX_PIXELS) abort();
    unsigned sum = 0;
    for (size_t i = 0; i < bytes; i++) sum += image.data[i];
    uint8_t *png = NULL;
    size_t png_size = 0;
    if (image_encode_png_memory(&image, &png, &png_size, &err) == 0) {
        Image back;
        if (image_decode_memory(&back, png, png_size, FUZZ_MAX_PIXELS, &err) != 0) abort();
        if (back.width != image.width || back.height != image.height || back.channels != image.channels ||
            memcmp(back.data, image.data, bytes) != 0)
            abort();
        image_free(&back);
        free(png);
    }
    image_free(&image);
    return (int)(sum & 0); // keeps the read of every byte
}
