// model_images.c — decoded images to the model's input: resized to S×S (image_resize's box filter),
// alpha dropped, scaled from [0, 255] to [-1, 1], channel-major (5, 3, S, S).
#include "image/image.h"
#include "model/model.h"

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
        int rc = image_resize(&resized, source, S, S, err);
        image_free(&rgb);
        if (rc != 0) return error_prefix(err, "model_prepare_images: image %d: ", i);
        for (size_t p = 0; p < plane; p++)
            for (int c = 0; c < 3; c++)
                out[((size_t)i * 3 + c) * plane + p] = resized.data[p * 3 + c] * (2.0f / 255.0f) - 1.0f;
        image_free(&resized);
    }
    return 0;
}
