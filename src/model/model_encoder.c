// model_encoder.c — the input side of the model: the convolutional stem over the five images and
// the embeddings (image-index + in-image position for image tokens; token + position for text)
// that build the transformer's input sequence (B, N = 5*P + T, D).
#include <string.h>

#include "model/model_encoder.h"

// Stem output of image (b, i) lands at sequence rows [i*P, (i+1)*P) of batch row b.
void model_stem_forward(Model *model, const ModelBatch *batch) {
    const ModelConfig *c = &model->config;
    ModelState *s = model->activations;
    const KernelOps *k = model_kernels(model);
    int images = batch->batch_size * MODEL_IMAGE_COUNT, side = c->image_size;
    size_t plane = (size_t)side * side;
    // (B*5, 3, S, S) channel-major -> (B*5, S, S, 3) channel-last
#pragma omp parallel for schedule(static)
    for (int n = 0; n < images; n++)
        for (size_t p = 0; p < plane; p++)
            for (int ch = 0; ch < 3; ch++)
                s->stem_input[((size_t)n * plane + p) * 3 + ch] = batch->images[((size_t)n * 3 + ch) * plane + p];
    const float *input = s->stem_input;
    int in_ch = 3;
    for (int l = 0; l < c->stem_layers; l++) {
        int out_ch = model_stem_out_channels(c, l), out_side = side / 2;
        k->conv2d_forward(s->stem_conv[l], s->stem_col[l], input, s->params.stem_weight[l], s->params.stem_bias[l],
                          images, side, side, in_ch, out_ch);
        if (l < c->stem_layers - 1) {
            k->gelu_forward(s->stem_gelu[l], s->stem_conv[l], (size_t)images * out_side * out_side * out_ch);
            input = s->stem_gelu[l];
        }
        side = out_side;
        in_ch = out_ch;
    }
}

void model_stem_backward(Model *model, const ModelBatch *batch) {
    const ModelConfig *c = &model->config;
    ModelState *s = model->activations;
    const KernelOps *k = model_kernels(model);
    int images = batch->batch_size * MODEL_IMAGE_COUNT, L = c->stem_layers;
    // dstem_conv[L-1] was filled by model_embedding_backward
    for (int l = L - 1; l >= 0; l--) {
        int side = c->image_size >> l;
        int in_ch = l == 0 ? 3 : model_stem_out_channels(c, l - 1), out_ch = model_stem_out_channels(c, l);
        const float *input = l == 0 ? s->stem_input : s->stem_gelu[l - 1];
        float *dinput = l == 0 ? NULL : s->dstem_gelu[l - 1];
        if (dinput) memset(dinput, 0, sizeof(float) * (size_t)images * side * side * in_ch);
        k->conv2d_backward(dinput, s->grads.stem_weight[l], s->grads.stem_bias[l], s->dstem_conv[l], s->stem_col[l],
                           input, s->params.stem_weight[l], images, side, side, in_ch, out_ch);
        if (l > 0) {
            size_t n = (size_t)images * side * side * in_ch;
            memset(s->dstem_conv[l - 1], 0, sizeof(float) * n);
            k->gelu_backward(s->dstem_conv[l - 1], s->stem_conv[l - 1], s->dstem_gelu[l - 1], n);
        }
    }
}

// Token id used at a position: padding (t >= text_len) always reads token 0, so what the caller
// left there cannot influence anything.
static int text_token(const ModelBatch *batch, int b, int t) {
    return t < batch->text_len[b] ? batch->tokens[(size_t)b * batch->text_len_max + t] : 0;
}

void model_embedding_forward(Model *model, const ModelBatch *batch) {
    const ModelConfig *c = &model->config;
    ModelState *s = model->activations;
    int D = c->dim, P = model_image_tokens(c), I = MODEL_IMAGE_COUNT * P, T = batch->text_len_max, N = I + T;
    const float *stem_tokens = s->stem_conv[c->stem_layers - 1]; // (B*5, P, D)
    // (B, N, D): each row written by one thread
#pragma omp parallel for schedule(static)
    for (int row = 0; row < batch->batch_size * N; row++) {
        int b = row / N, n = row % N;
        float *x = s->encoded + (size_t)row * D;
        if (n < I) {
            int i = n / P, p = n % P;
            const float *stem = stem_tokens + ((size_t)(b * MODEL_IMAGE_COUNT + i) * P + p) * D;
            const float *index = s->params.image_index_embedding + (size_t)i * D;
            const float *position = s->params.image_position_embedding + (size_t)p * D;
            for (int d = 0; d < D; d++) x[d] = stem[d] + index[d] + position[d];
        } else {
            int t = n - I;
            const float *token = s->params.token_embedding + (size_t)text_token(batch, b, t) * D;
            const float *position = s->params.text_position_embedding + (size_t)t * D;
            for (int d = 0; d < D; d++) x[d] = token[d] + position[d];
        }
    }
}

void model_embedding_backward(Model *model, const ModelBatch *batch) {
    const ModelConfig *c = &model->config;
    ModelState *s = model->activations;
    int D = c->dim, P = model_image_tokens(c), I = MODEL_IMAGE_COUNT * P, T = batch->text_len_max, N = I + T;
    float *dstem = s->dstem_conv[c->stem_layers - 1];
    // each thread owns a slice of the D columns and visits rows in a fixed order
#pragma omp parallel for schedule(static)
    for (int d = 0; d < D; d++) {
        for (int b = 0; b < batch->batch_size; b++) {
            const float *g = s->dresidual + (size_t)b * N * D;
            for (int n = 0; n < I; n++) {
                float v = g[(size_t)n * D + d];
                dstem[((size_t)b * I + n) * D + d] = v;
                s->grads.image_index_embedding[(size_t)(n / P) * D + d] += v;
                s->grads.image_position_embedding[(size_t)(n % P) * D + d] += v;
            }
            for (int t = 0; t < batch->text_len[b]; t++) {
                float v = g[(size_t)(I + t) * D + d];
                s->grads.token_embedding[(size_t)text_token(batch, b, t) * D + d] += v;
                s->grads.text_position_embedding[(size_t)t * D + d] += v;
            }
        }
    }
}
