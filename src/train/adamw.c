// adamw.c — AdamW with decoupled weight decay on matrices and global gradient-norm clipping.
#include "train/adamw.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void adamw_config_default(AdamWConfig *config) {
    config->beta1 = 0.9f;
    config->beta2 = 0.95f;
    config->epsilon = 1e-8f;
    config->weight_decay = 0.1f;
    config->clip_norm = 1.0f;
}

int adamw_create_tensors(AdamW *opt, const ModelTensor *tensors, int tensor_count, size_t param_count,
                         const AdamWConfig *config, Error *err) {
    memset(opt, 0, sizeof *opt);
    opt->config = *config;
    opt->count = param_count;
    opt->tensor_count = tensor_count;
    opt->moments = calloc(2 * opt->count, sizeof *opt->moments);
    opt->decays = calloc((size_t)tensor_count + 1, 1);
    if (!opt->moments || !opt->decays) {
        adamw_free(opt);
        return error_set(err, "AdamW: out of memory for %zu parameters", param_count);
    }
    opt->m = opt->moments;
    opt->v = opt->moments + opt->count;
    for (int i = 0; i < tensor_count; i++) opt->decays[i] = tensors[i].rank >= 2;
    return 0;
}

int adamw_create(AdamW *opt, const Model *model, const AdamWConfig *config, Error *err) {
    return adamw_create_tensors(opt, model->tensors, model->tensor_count, model->param_count, config, err);
}

void adamw_free(AdamW *opt) {
    free(opt->moments);
    free(opt->decays);
    memset(opt, 0, sizeof *opt);
}

size_t adamw_state_size(const AdamW *opt) { return sizeof(int64_t) + 2 * opt->count * sizeof(float); }

void adamw_state_write(const AdamW *opt, unsigned char *out) {
    memcpy(out, &opt->step, sizeof(int64_t));
    memcpy(out + sizeof(int64_t), opt->moments, 2 * opt->count * sizeof(float));
}

void adamw_state_read(AdamW *opt, const unsigned char *in) {
    memcpy(&opt->step, in, sizeof(int64_t));
    memcpy(opt->moments, in + sizeof(int64_t), 2 * opt->count * sizeof(float));
}

double adamw_grad_norm(const float *grads, size_t count) {
    // (count) — four fixed partial sums keep it vectorisable and the order fixed
    double partial[4] = {0, 0, 0, 0};
    size_t i = 0;
    for (; i + 4 <= count; i += 4)
        for (int k = 0; k < 4; k++) partial[k] += (double)grads[i + k] * grads[i + k];
    for (; i < count; i++) partial[0] += (double)grads[i] * grads[i];
    return sqrt((partial[0] + partial[1]) + (partial[2] + partial[3]));
}

double adamw_update(AdamW *opt, Model *model, float learning_rate) {
    return adamw_update_tensors(opt, model->params, model->grads, model->tensors, learning_rate);
}

double adamw_update_tensors(AdamW *opt, float *params, float *grads, const ModelTensor *tensors, float learning_rate) {
    double norm = adamw_grad_norm(grads, opt->count);
    if (!isfinite(norm)) return norm;
    const AdamWConfig *c = &opt->config;
    float scale = 1.0f;
    if (c->clip_norm > 0 && norm > c->clip_norm) scale = (float)(c->clip_norm / norm);
    if (scale != 1.0f)
        for (size_t i = 0; i < opt->count; i++) grads[i] *= scale;
    double t = (double)(opt->step + 1);
    float correction1 = (float)(1.0 - pow(c->beta1, t));
    float correction2 = (float)(1.0 - pow(c->beta2, t));
    for (int k = 0; k < opt->tensor_count; k++) {
        const ModelTensor *tensor = &tensors[k];
        float decay = opt->decays[k] ? c->weight_decay : 0.0f;
        float *p = params + tensor->offset, *g = grads + tensor->offset;
        float *m = opt->m + tensor->offset, *v = opt->v + tensor->offset;
        // (count) element-wise; each element independent
        for (size_t i = 0; i < tensor->count; i++) {
            m[i] = c->beta1 * m[i] + (1.0f - c->beta1) * g[i];
            v[i] = c->beta2 * v[i] + (1.0f - c->beta2) * g[i] * g[i];
            float m_hat = m[i] / correction1, v_hat = v[i] / correction2;
            p[i] -= learning_rate * (m_hat / (sqrtf(v_hat) + c->epsilon) + decay * p[i]);
        }
    }
    opt->step++;
    return norm;
}
