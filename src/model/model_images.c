// model_images.c — decoded images to the model's input: letterboxed into S×S (the longer side
// resized to S with image_resize's box filter, the shorter one padded equally on both sides, so a
// product keeps its proportions), alpha dropped, scaled from [0, 255] to [-1, 1], channel-major
// (5, 3, S, S). Square images fill the square exactly, as before letterboxing existed.
#include "image/image.h"
#include "model/model.h"

// The padding is 0 in model units (mid-grey): the value a zero-mean input carries no signal with.
static const float LETTERBOX_PAD = 0.0f;

// Size and offset of a width×height image letterboxed into side×side (each side at least 1 px).
static void letterbox_fit(int width, int height, int side, int *fit_width, int *fit_height, int *x, int *y) {
    if (width >= height) {
        *fit_width = side;
        *fit_height = (int)(((long long)height * side + width / 2) / width);
    } else {
        *fit_height = side;
        *fit_width = (int)(((long long)width * side + height / 2) / height);
    }
    if (*fit_width < 1) *fit_width = 1;
    if (*fit_height < 1) *fit_height = 1;
    *x = (side - *fit_width) / 2;
    *y = (side - *fit_height) / 2;
}

int model_prepare_images(const ModelConfig *config, const struct Image *images[MODEL_IMAGE_COUNT], float *out,
                         Error *err) {
    int S = config->image_size;
    size_t plane = (size_t)S * S;
    for (int i = 0; i < MODEL_IMAGE_COUNT; i++) {
        const Image *in = images[i];
        if (!in || !in->data || in->width < 1 || in->height < 1 || (in->channels != 3 && in->channels != 4))
            return error_set(err, "model_prepare_images: image %d is missing or not RGB/RGBA", i);
        Image rgb = {0}, resized = {0};
        const Image *source = in;
        if (in->channels == 4) {
            if (image_to_rgb(&rgb, in, err) != 0) return -1;
            source = &rgb;
        }
        int fit_width, fit_height, x0, y0;
        letterbox_fit(source->width, source->height, S, &fit_width, &fit_height, &x0, &y0);
        int rc = image_resize(&resized, source, fit_width, fit_height, err);
        image_free(&rgb);
        if (rc != 0) return error_prefix(err, "model_prepare_images: image %d: ", i);
        float *planes = out + (size_t)i * 3 * plane;
        for (size_t p = 0; p < 3 * plane; p++) planes[p] = LETTERBOX_PAD;
        // (3, S, S) <- (fit_height, fit_width, 3) at (y0, x0)
        for (int y = 0; y < fit_height; y++)
            for (int x = 0; x < fit_width; x++)
                for (int c = 0; c < 3; c++)
                    planes[(size_t)c * plane + (size_t)(y0 + y) * S + (x0 + x)] =
                        resized.data[((size_t)y * fit_width + x) * 3 + c] * (2.0f / 255.0f) - 1.0f;
        image_free(&resized);
    }
    return 0;
}
