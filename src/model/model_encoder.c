// model_encoder.c — the input side of the model: the convolutional stem over the five images and
// the embeddings (image-index + in-image position for image tokens; token + position for text)
// that build the transformer's input sequence (B, N = 5*P + T, D).
//
// Each function handles the rows of `batch` (a view of rows [b0, b0 + batch_size) of the full
// batch, see model_forward.c) and reads/writes the activation rows from b0 on.
#include <string.h>

#include "model/model_encoder.h"

// Stem output of image (b, i) lands at sequence rows [i*P, (i+1)*P) of batch row b.
void model_stem_forward(Model *model, const ModelBatch *batch, int b0) {
    const ModelConfig *c = &model->config;
    ModelState *s = model->activations;
    const KernelOps *k = model_kernels(model);
    int images = batch->batch_size * MODEL_IMAGE_COUNT, side = c->image_size;
    size_t image0 = (size_t)b0 * MODEL_IMAGE_COUNT, plane = (size_t)side * side;
    if (c->vision_tower) { // the tower's features (model_vision_forward) through the projection
        size_t P = (size_t)model_image_tokens(c), U = (size_t)model_vision_width(c), D = (size_t)c->dim;
        k->matmul_forward(s->vision_tokens + image0 * P * D, s->vision_features + image0 * P * U,
                          s->params.vision_weight, s->params.vision_bias, (int)(images * P), (int)U, (int)D);
        return;
    }
    float *stem_input = s->stem_input + image0 * plane * 3;
    // (B*5, 3, S, S) channel-major -> (B*5, S, S, 3) channel-last
#pragma omp parallel for schedule(dynamic, 1) if ((size_t)images * plane > 65536)
    for (int n = 0; n < images; n++)
        for (size_t p = 0; p < plane; p++)
            for (int ch = 0; ch < 3; ch++)
                stem_input[((size_t)n * plane + p) * 3 + ch] = batch->images[((size_t)n * 3 + ch) * plane + p];
    const float *input = stem_input;
    int convs = model_stem_convs(c);
    for (int l = 0; l < convs; l++) {
        StemConv v = model_stem_conv(c, l);
        size_t out_plane = (size_t)v.out_side * v.out_side, outputs = image0 * out_plane * v.out_ch;
        k->conv2d_forward(s->stem_conv[l] + outputs, s->stem_col[l] + image0 * out_plane * 9 * v.in_ch, input,
                          s->params.stem_weight[l], s->params.stem_bias[l], images, v.in_side, v.in_side, v.in_ch,
                          v.out_ch, v.stride);
        if (c->stem_norm)
            k->instancenorm_forward(s->stem_normed[l] + outputs, s->stem_norm_mean[l] + image0 * v.out_ch,
                                    s->stem_norm_rstd[l] + image0 * v.out_ch, s->stem_conv[l] + outputs,
                                    s->params.stem_norm_weight[l], s->params.stem_norm_bias[l], images,
                                    (int)out_plane, v.out_ch);
        if (l < convs - 1) {
            k->gelu_forward(s->stem_gelu[l] + outputs, s->stem_normed[l] + outputs, images * out_plane * v.out_ch);
            input = s->stem_gelu[l] + outputs;
        }
    }
}

void model_stem_backward(Model *model, const ModelBatch *batch, int b0, ModelParams *grads) {
    const ModelConfig *c = &model->config;
    ModelState *s = model->activations;
    const KernelOps *k = model_kernels(model);
    int images = batch->batch_size * MODEL_IMAGE_COUNT;
    size_t image0 = (size_t)b0 * MODEL_IMAGE_COUNT;
    if (c->vision_tower) { // the projection, and d(features) for the tower's heads when they train
        size_t P = (size_t)model_image_tokens(c), U = (size_t)model_vision_width(c), D = (size_t)c->dim;
        float *dfeatures = model->train_tower_heads ? s->dvision_features + image0 * P * U : NULL;
        if (dfeatures) memset(dfeatures, 0, sizeof(float) * images * P * U);
        k->matmul_backward(dfeatures, grads->vision_weight, grads->vision_bias, s->dvision_tokens + image0 * P * D,
                           s->vision_features + image0 * P * U, s->params.vision_weight, (int)(images * P), (int)U,
                           (int)D);
        return;
    }
    // dstem_normed of the last conv was filled by model_embedding_backward
    for (int l = model_stem_convs(c) - 1; l >= 0; l--) {
        StemConv v = model_stem_conv(c, l);
        size_t out_plane = (size_t)v.out_side * v.out_side, outputs = image0 * out_plane * v.out_ch;
        size_t inputs = image0 * v.in_side * v.in_side * v.in_ch, n = (size_t)images * v.in_side * v.in_side * v.in_ch;
        if (c->stem_norm) {
            memset(s->dstem_conv[l] + outputs, 0, sizeof(float) * images * out_plane * v.out_ch);
            k->instancenorm_backward(s->dstem_conv[l] + outputs, grads->stem_norm_weight[l], grads->stem_norm_bias[l],
                                     s->dstem_normed[l] + outputs, s->stem_conv[l] + outputs,
                                     s->params.stem_norm_weight[l], s->stem_norm_mean[l] + image0 * v.out_ch,
                                     s->stem_norm_rstd[l] + image0 * v.out_ch, images, (int)out_plane, v.out_ch);
        }
        const float *input = l == 0 ? s->stem_input + inputs : s->stem_gelu[l - 1] + inputs;
        float *dinput = l == 0 ? NULL : s->dstem_gelu[l - 1] + inputs;
        if (dinput) memset(dinput, 0, sizeof(float) * n);
        k->conv2d_backward(dinput, grads->stem_weight[l], grads->stem_bias[l], s->dstem_conv[l] + outputs,
                           s->stem_col[l] + image0 * out_plane * 9 * v.in_ch, input, s->params.stem_weight[l], images,
                           v.in_side, v.in_side, v.in_ch, v.out_ch, v.stride);
        if (l > 0) {
            memset(s->dstem_normed[l - 1] + inputs, 0, sizeof(float) * n);
            k->gelu_backward(s->dstem_normed[l - 1] + inputs, s->stem_normed[l - 1] + inputs, dinput, n);
        }
    }
}

// Token id used at a position: padding (t >= text_len) always reads token 0, so what the caller
// left there cannot influence anything.
static int text_token(const ModelBatch *batch, int b, int t) {
    return t < batch->text_len[b] ? batch->tokens[(size_t)b * batch->text_len_max + t] : 0;
}

void model_embedding_forward(Model *model, const ModelBatch *batch, int b0) {
    const ModelConfig *c = &model->config;
    ModelState *s = model->activations;
    int D = c->dim, P = model_image_tokens(c), I = MODEL_IMAGE_COUNT * P, T = batch->text_len_max, N = I + T;
    // (B*5, P, D) stem tokens of these rows
    const float *stem_tokens =
        (c->vision_tower ? s->vision_tokens : s->stem_normed[model_stem_convs(c) - 1]) + (size_t)b0 * I * D;
    float *encoded = s->encoded + (size_t)b0 * N * D;
    // (B, N, D): each row written by one thread
#pragma omp parallel for schedule(dynamic, 64) if ((size_t)batch->batch_size * N * D > 65536)
    for (int row = 0; row < batch->batch_size * N; row++) {
        int b = row / N, n = row % N;
        float *x = encoded + (size_t)row * D;
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

void model_embedding_backward(Model *model, const ModelBatch *batch, int b0, ModelParams *grads) {
    const ModelConfig *c = &model->config;
    ModelState *s = model->activations;
    int D = c->dim, P = model_image_tokens(c), I = MODEL_IMAGE_COUNT * P, T = batch->text_len_max, N = I + T;
    float *dstem = (c->vision_tower ? s->dvision_tokens : s->dstem_normed[model_stem_convs(c) - 1]) + (size_t)b0 * I * D;
    const float *dresidual = s->dresidual + (size_t)b0 * N * D;
    // each thread owns a slice of the D columns and visits rows in a fixed order
#pragma omp parallel for schedule(dynamic, 8) if ((size_t)batch->batch_size * N * D > 65536)
    for (int d = 0; d < D; d++) {
        for (int b = 0; b < batch->batch_size; b++) {
            const float *g = dresidual + (size_t)b * N * D;
            for (int n = 0; n < I; n++) {
                float v = g[(size_t)n * D + d];
                dstem[((size_t)b * I + n) * D + d] = v;
                grads->image_index_embedding[(size_t)(n / P) * D + d] += v;
                grads->image_position_embedding[(size_t)(n % P) * D + d] += v;
            }
            for (int t = 0; t < batch->text_len[b]; t++) {
                float v = g[(size_t)(I + t) * D + d];
                grads->token_embedding[(size_t)text_token(batch, b, t) * D + d] += v;
                grads->text_position_embedding[(size_t)t * D + d] += v;
            }
        }
    }
}
