// tower_forward.c — the vision tower's forward and backward passes and its training loss (the
// diagram is in tower.h). The convs, batch norms, every matmul and the cross-attention
// (tower_attention.c) go through reference or fast kernels; the pooling and the element-wise steps
// are plain loops, parallel over samples with disjoint outputs.
#include <math.h>
#include <string.h>

#include "model/tower_internal.h"

static float relu(float x) { return x > 0.0f ? x : 0.0f; }

typedef struct TowerKernels {
    void (*matmul_forward)(float *, const float *, const float *, const float *, int, int, int);
    void (*matmul_backward)(float *, float *, float *, const float *, const float *, const float *, int, int, int);
    void (*conv2d_forward)(float *, float *, const float *, const float *, const float *, int, int, int, int, int, int);
    void (*conv2d_backward)(float *, float *, float *, const float *, float *, const float *, const float *, int, int,
                            int, int, int, int);
    void (*batchnorm_forward)(float *, float *, float *, const float *, const float *, const float *, int, int,
                              BatchnormSync *);
    void (*batchnorm_backward)(float *, float *, float *, const float *, const float *, const float *, const float *,
                               const float *, int, int, BatchnormSync *);
    void (*attention_forward)(float *, float *, const float *, const float *, const float *, int, int);
    void (*attention_backward)(float *, float *, float *, float *, const float *, const float *, const float *,
                               const float *, const float *, int, int);
} TowerKernels;

static const TowerKernels tower_kernels_reference = {
    .matmul_forward = matmul_forward_reference,          .matmul_backward = matmul_backward_reference,
    .conv2d_forward = conv2d_forward_reference,          .conv2d_backward = conv2d_backward_reference,
    .batchnorm_forward = batchnorm_forward_reference,    .batchnorm_backward = batchnorm_backward_reference,
    .attention_forward = tower_attention_forward_reference, .attention_backward = tower_attention_backward_reference};
static const TowerKernels tower_kernels_fast = {
    .matmul_forward = matmul_forward_fast,          .matmul_backward = matmul_backward_fast,
    .conv2d_forward = conv2d_forward_fast,          .conv2d_backward = conv2d_backward_fast,
    .batchnorm_forward = batchnorm_forward_fast,    .batchnorm_backward = batchnorm_backward_fast,
    .attention_forward = tower_attention_forward_fast, .attention_backward = tower_attention_backward_fast};

static const TowerKernels *kernels(const Tower *tower) {
    return tower->use_reference ? &tower_kernels_reference : &tower_kernels_fast;
}

static void heads_forward(Tower *tower, const int *dimension, int B, TowerOutput *out);

// Batch norm's sync for a layer of `side`² positions per image (NULL: one process).
static BatchnormSync *layer_sync(const Tower *tower, BatchnormSync *sync, int side) {
    if (!tower->sync.sum) return NULL;
    *sync = (BatchnormSync){tower->sync.sum, tower->sync.user, (long)tower->sync.global_batch * TOWER_IMAGES * side * side,
                            0};
    return sync;
}

int tower_forward(Tower *tower, const float *images, const int *dimension, int B, int training, TowerOutput *out,
                  Error *err) {
    TowerState *s = tower->activations;
    const TowerConfig *c = &tower->config;
    const TowerKernels *k = kernels(tower);
    if (B < 1 || B > tower->max_batch)
        return error_set(err, "tower: batch of %d samples, the tower was sized for %d", B, tower->max_batch);
    if (tower_tokens(c) > 1024) return error_set(err, "tower: %d tokens per image (at most 1024)", tower_tokens(c));
    int N = B * TOWER_IMAGES, S = c->image_size, plane = S * S, C = tower_dim(c), P = tower_tokens(c);
    // (B*5, 3, S, S) channel-major → (B*5, S, S, 3) channel-last
#pragma omp parallel for schedule(static) if ((size_t)N * plane > 65536)
    for (int n = 0; n < N; n++)
        for (int p = 0; p < plane; p++)
            for (int ch = 0; ch < 3; ch++)
                s->input[((size_t)n * plane + p) * 3 + ch] = images[((size_t)n * 3 + ch) * plane + p];
    const float *input = s->input;
    int side = S;
    for (int l = 0; l < c->convs; l++) {
        int in_ch = l == 0 ? 3 : c->channels[l - 1], out_ch = c->channels[l];
        int out_side = (side - 1) / c->strides[l] + 1, rows = N * out_side * out_side;
        k->conv2d_forward(s->conv[l], s->col[l], input, s->params.conv_weight[l], NULL, N, side, side, in_ch, out_ch,
                          c->strides[l]);
        if (training) {
            BatchnormSync sync_storage, *sync = layer_sync(tower, &sync_storage, out_side);
            k->batchnorm_forward(s->act[l], s->bn_mean[l], s->bn_rstd[l], s->conv[l], s->params.bn_weight[l],
                                 s->params.bn_bias[l], rows, out_ch, sync);
            if (sync && sync->failed) return error_set(err, "tower: the batch-norm sum over processes failed");
            double n = sync ? (double)sync->rows : rows; // the global batch's rows under a sync
            float m = tower->bn_momentum;
            for (int ch = 0; ch < out_ch; ch++) { // PyTorch: the running variance is the unbiased one
                double var = 1.0 / ((double)s->bn_rstd[l][ch] * s->bn_rstd[l][ch]) - 1e-5;
                if (var < 0) var = 0;
                var *= n > 1 ? n / (n - 1) : 1.0;
                s->running_mean[l][ch] = (1 - m) * s->running_mean[l][ch] + m * s->bn_mean[l][ch];
                s->running_var[l][ch] = (float)((1 - m) * s->running_var[l][ch] + m * var);
            }
        } else {
            batchnorm_inference(s->act[l], s->conv[l], s->params.bn_weight[l], s->params.bn_bias[l],
                                s->running_mean[l], s->running_var[l], rows, out_ch);
        }
        size_t n = (size_t)rows * out_ch;
        float *a = s->act[l];
#pragma omp parallel for schedule(static) if (n > 65536)
        for (size_t i = 0; i < n; i++) a[i] = relu(a[i]);
        input = s->act[l];
        side = out_side;
    }
    // tokens (B*5, P, C) = last activation + position
    const float *last = s->act[c->convs - 1];
    for (int n = 0; n < N; n++)
        for (int p = 0; p < P; p++)
            for (int d = 0; d < C; d++) {
                size_t at = ((size_t)n * P + p) * C + d;
                s->tokens[at] = last[at] + s->params.position[(size_t)p * C + d];
            }
    heads_forward(tower, dimension, B, out);
    s->last_training = training;
    return 0;
}

int tower_forward_tokens(Tower *tower, const float *tokens, const int *dimension, int B, TowerOutput *out,
                         Error *err) {
    TowerState *s = tower->activations;
    const TowerConfig *c = &tower->config;
    if (B < 1 || B > tower->max_batch)
        return error_set(err, "tower: batch of %d samples, the tower was sized for %d", B, tower->max_batch);
    memcpy(s->tokens, tokens, sizeof(float) * B * TOWER_IMAGES * tower_tokens(c) * tower_dim(c));
    heads_forward(tower, dimension, B, out);
    s->last_training = 0; // no convolutions ran: only tower_backward_heads may follow
    return 0;
}

// Everything after the tokens (ModelState.tokens, B*5 images): cross-attention, evidence MLP,
// pooling and heads; arms the output gradients for a backward.
static void heads_forward(Tower *tower, const int *dimension, int B, TowerOutput *out) {
    TowerState *s = tower->activations;
    const TowerConfig *c = &tower->config;
    const TowerKernels *k = kernels(tower);
    int N = B * TOWER_IMAGES, C = tower_dim(c), H = c->hidden, P = tower_tokens(c), K = tower_class_count(c);
    int R = B * TOWER_CANDIDATES;
    // split the tokens into candidates (B, 4, P, C) and originals (B, P, C)
    for (int n = 0; n < N; n++) {
        int b = n / TOWER_IMAGES, i = n % TOWER_IMAGES;
        float *dst = i == 0 ? s->orig + (size_t)b * P * C : s->cand + ((size_t)b * TOWER_CANDIDATES + i - 1) * P * C;
        memcpy(dst, s->tokens + (size_t)n * P * C, sizeof(float) * P * C);
    }
    k->matmul_forward(s->query, s->cand, s->params.query, NULL, R * P, C, C);
    k->matmul_forward(s->key, s->orig, s->params.key, NULL, B * P, C, C);
    k->matmul_forward(s->value, s->orig, s->params.value, NULL, B * P, C, C);
    int blas_threads = kernels_blas_serial_begin(); // the fast attention's sgemms run on our threads
#pragma omp parallel for schedule(static)
    for (int r = 0; r < R; r++) {
        int b = r / TOWER_CANDIDATES;
        size_t at = (size_t)r * P * C;
        k->attention_forward(s->attended + at, s->probs + (size_t)r * P * P, s->query + at, s->key + (size_t)b * P * C,
                             s->value + (size_t)b * P * C, P, C);
        // features (P, 3C) = [candidate, attended, candidate − attended]
        for (int p = 0; p < P; p++) {
            float *f = s->features + ((size_t)r * P + p) * 3 * C;
            const float *x = s->cand + at + (size_t)p * C, *a = s->attended + at + (size_t)p * C;
            for (int d = 0; d < C; d++) {
                f[d] = x[d];
                f[C + d] = a[d];
                f[2 * C + d] = x[d] - a[d];
            }
        }
    }
    kernels_blas_serial_end(blas_threads);
    for (int b = 0; b < B; b++) {
        int d = dimension ? dimension[b] : -1;
        s->dimension[b] = d >= 0 && d < TOWER_DIMENSIONS - 1 ? d : TOWER_DIMENSIONS - 1;
    }
    k->matmul_forward(s->hidden_pre, s->features, s->params.mlp1_weight, s->params.mlp1_bias, R * P, 3 * C, H);
    for (int r = 0; r < R; r++) {
        const float *e = s->params.dimension_embedding + (size_t)s->dimension[r / TOWER_CANDIDATES] * H;
        for (int p = 0; p < P; p++)
            for (int h = 0; h < H; h++) {
                size_t at = ((size_t)r * P + p) * H + h;
                s->hidden[at] = relu(s->hidden_pre[at]) * (1.0f + e[h]);
            }
    }
    k->matmul_forward(s->evidence, s->hidden, s->params.mlp2_weight, s->params.mlp2_bias, R * P, H, H);
    size_t ne = (size_t)R * P * H;
    for (size_t i = 0; i < ne; i++) s->evidence[i] = relu(s->evidence[i]);
    // pool (R, 2H) = [max over tokens, mean over tokens]; argmax: the first token on ties
    for (int r = 0; r < R; r++)
        for (int h = 0; h < H; h++) {
            float max = -INFINITY, sum = 0;
            int arg = 0;
            for (int p = 0; p < P; p++) {
                float v = s->evidence[((size_t)r * P + p) * H + h];
                sum += v;
                if (v > max) max = v, arg = p;
            }
            s->pool[(size_t)r * 2 * H + h] = max;
            s->pool[(size_t)r * 2 * H + H + h] = sum / P;
            s->argmax[(size_t)r * H + h] = arg;
        }
    k->matmul_forward(s->flaw_logit, s->pool, s->params.flaw_weight, s->params.flaw_bias, R, 2 * H, 1);
    k->matmul_forward(s->class_logit, s->pool, s->params.class_weight, s->params.class_bias, R, 2 * H, K);
    k->matmul_forward(s->token_logit, s->evidence, s->params.token_weight, s->params.token_bias, R * P, H,
                      TOWER_TOKEN_TARGETS);
    s->last_batch = B;
    s->has_heads = 1;
    s->has_devidence = 0;
    memset(s->dflaw_logit, 0, sizeof(float) * R);
    memset(s->dtoken_logit, 0, sizeof(float) * R * P * TOWER_TOKEN_TARGETS);
    memset(s->dclass_logit, 0, sizeof(float) * R * K);
    if (out) {
        out->flaw_logit = s->flaw_logit;
        out->token_logit = s->token_logit;
        out->class_logit = s->class_logit;
        out->image_tokens = s->tokens;
        out->evidence = s->evidence;
    }
}

void tower_flaw_probabilities(const Tower *tower, float *out, int B) {
    const TowerState *s = tower->activations;
    for (int i = 0; i < B * TOWER_CANDIDATES; i++) out[i] = 1.0f / (1.0f + expf(-s->flaw_logit[i]));
}

void tower_set_output_grads(Tower *tower, const float *dflaw, const float *dtoken, const float *dclass,
                            const float *devidence) {
    TowerState *s = tower->activations;
    const TowerConfig *c = &tower->config;
    size_t R = (size_t)s->last_batch * TOWER_CANDIDATES, P = tower_tokens(c);
    size_t counts[3] = {R, R * P * TOWER_TOKEN_TARGETS, R * tower_class_count(c)};
    float *dst[3] = {s->dflaw_logit, s->dtoken_logit, s->dclass_logit};
    const float *src[3] = {dflaw, dtoken, dclass};
    for (int i = 0; i < 3; i++) {
        if (src[i]) memcpy(dst[i], src[i], sizeof(float) * counts[i]);
        else memset(dst[i], 0, sizeof(float) * counts[i]);
    }
    s->has_devidence = devidence != NULL;
    if (devidence) memcpy(s->devidence_in, devidence, sizeof(float) * R * P * c->hidden);
}

void tower_loss_weights_default(TowerLossWeights *w) { *w = (TowerLossWeights){1.0f, 1.0f, 0.3f, 0.3f, 0.3f}; }

// Binary cross-entropy with logits; *grad = σ(a) − y.
static double bce(float a, float y, float *grad) {
    float p = 1.0f / (1.0f + expf(-a));
    *grad = p - y;
    return (a > 0 ? a : 0) - a * y + log1p(exp(-fabs(a)));
}

// Softmax cross-entropy of one group of logits; accumulates scale·(softmax − onehot) into grad.
static double softmax_ce(const float *logits, int classes, int target, float scale, float *grad) {
    float max = logits[0];
    for (int i = 1; i < classes; i++)
        if (logits[i] > max) max = logits[i];
    double sum = 0;
    for (int i = 0; i < classes; i++) sum += exp(logits[i] - max);
    for (int i = 0; i < classes; i++) grad[i] += scale * (float)(exp(logits[i] - max) / sum - (i == target));
    return log(sum) + max - logits[target];
}

// Token channels: the defect region counts fully, the scene facts at 0.3 each.
static const float token_channel_weight[TOWER_TOKEN_TARGETS] = {1.0f, 0.3f, 0.3f, 0.3f, 0.3f};

static const int class_offsets[3] = {0, TOWER_LIGHT_CLASSES, TOWER_LIGHT_CLASSES + TOWER_SHADOW_CLASSES};
static const int *class_targets(const TowerTargets *t, int group) {
    return group == 0 ? t->light : group == 1 ? t->shadow : t->kind;
}
static int class_count(const TowerConfig *c, int group) {
    return group == 0 ? TOWER_LIGHT_CLASSES : group == 1 ? TOWER_SHADOW_CLASSES : c->kind_classes;
}

void tower_loss_counts(const Tower *tower, const TowerTargets *t, int B, TowerLossCounts *out) {
    int R = B * TOWER_CANDIDATES;
    out->candidates = R;
    out->tokens = (double)R * tower_tokens(&tower->config);
    for (int group = 0; group < 3; group++) {
        const int *y = class_targets(t, group);
        out->classes[group] = 0;
        for (int r = 0; y && r < R; r++) out->classes[group] += y[r] >= 0 && y[r] < class_count(&tower->config, group);
    }
}

TowerLoss tower_loss(Tower *tower, const TowerTargets *t, const TowerLossWeights *w) {
    TowerLossCounts counts;
    tower_loss_counts(tower, t, ((TowerState *)tower->activations)->last_batch, &counts);
    return tower_loss_global(tower, t, w, &counts);
}

TowerLoss tower_loss_global(Tower *tower, const TowerTargets *t, const TowerLossWeights *w,
                            const TowerLossCounts *counts) {
    TowerState *s = tower->activations;
    const TowerConfig *c = &tower->config;
    int R = s->last_batch * TOWER_CANDIDATES, P = tower_tokens(c), K = tower_class_count(c);
    TowerLoss loss = {0};
    float g;
    for (int r = 0; r < R; r++) {
        loss.flaw += bce(s->flaw_logit[r], t->flawed[r], &g);
        s->dflaw_logit[r] = w->flaw * g / (float)counts->candidates;
    }
    loss.flaw /= counts->candidates;
    if (t->token_targets) {
        size_t n = (size_t)R * P;
        for (size_t i = 0; i < n; i++)
            for (int ch = 0; ch < TOWER_TOKEN_TARGETS; ch++) {
                size_t at = i * TOWER_TOKEN_TARGETS + ch;
                double l = bce(s->token_logit[at], t->token_targets[at], &g);
                loss.token += token_channel_weight[ch] * l;
                s->dtoken_logit[at] = w->token * token_channel_weight[ch] * g / (float)counts->tokens;
            }
        loss.token /= counts->tokens;
    }
    const float weights[3] = {w->light, w->shadow, w->kind};
    double *parts[3] = {&loss.light, &loss.shadow, &loss.kind};
    for (int group = 0; group < 3; group++) {
        const int *y = class_targets(t, group);
        double valid = counts->classes[group];
        if (!y || valid == 0) continue;
        for (int r = 0; r < R; r++) {
            if (y[r] < 0 || y[r] >= class_count(c, group)) continue;
            *parts[group] += softmax_ce(s->class_logit + (size_t)r * K + class_offsets[group], class_count(c, group),
                                        y[r], weights[group] / (float)valid,
                                        s->dclass_logit + (size_t)r * K + class_offsets[group]);
        }
        *parts[group] /= valid;
    }
    loss.total = w->flaw * loss.flaw + w->token * loss.token + w->light * loss.light + w->shadow * loss.shadow +
                 w->kind * loss.kind;
    return loss;
}

// Backward of the heads (everything after the tokens) into s->dcand and s->dorig; accumulates into
// the heads' gradients.
static void heads_backward(Tower *tower) {
    TowerState *s = tower->activations;
    const TowerConfig *c = &tower->config;
    const TowerKernels *k = kernels(tower);
    int B = s->last_batch, R = B * TOWER_CANDIDATES;
    int C = tower_dim(c), H = c->hidden, P = tower_tokens(c), K = tower_class_count(c);
    TowerParams *g = &s->grads;
    size_t ne = (size_t)R * P * H;
    // heads → pool and evidence
    memset(s->dpool, 0, sizeof(float) * R * 2 * H);
    if (s->has_devidence) memcpy(s->devidence, s->devidence_in, sizeof(float) * ne);
    else memset(s->devidence, 0, sizeof(float) * ne);
    k->matmul_backward(s->dpool, g->flaw_weight, g->flaw_bias, s->dflaw_logit, s->pool, s->params.flaw_weight, R,
                       2 * H, 1);
    k->matmul_backward(s->dpool, g->class_weight, g->class_bias, s->dclass_logit, s->pool, s->params.class_weight, R,
                       2 * H, K);
    k->matmul_backward(s->devidence, g->token_weight, g->token_bias, s->dtoken_logit, s->evidence,
                       s->params.token_weight, R * P, H, TOWER_TOKEN_TARGETS);
    for (int r = 0; r < R; r++)
        for (int h = 0; h < H; h++) {
            float dmax = s->dpool[(size_t)r * 2 * H + h], dmean = s->dpool[(size_t)r * 2 * H + H + h] / P;
            s->devidence[((size_t)r * P + s->argmax[(size_t)r * H + h]) * H + h] += dmax;
            for (int p = 0; p < P; p++) s->devidence[((size_t)r * P + p) * H + h] += dmean;
        }
    for (size_t i = 0; i < ne; i++) s->devidence[i] = s->evidence[i] > 0.0f ? s->devidence[i] : 0.0f; // ReLU
    memset(s->dhidden, 0, sizeof(float) * ne);
    k->matmul_backward(s->dhidden, g->mlp2_weight, g->mlp2_bias, s->devidence, s->hidden, s->params.mlp2_weight,
                       R * P, H, H);
    // hidden = ReLU(pre)·(1 + E[dim])
    for (int r = 0; r < R; r++) {
        int d = s->dimension[r / TOWER_CANDIDATES];
        const float *e = s->params.dimension_embedding + (size_t)d * H;
        float *de = g->dimension_embedding + (size_t)d * H;
        for (int p = 0; p < P; p++)
            for (int h = 0; h < H; h++) {
                size_t at = ((size_t)r * P + p) * H + h;
                float pre = s->hidden_pre[at], dh = s->dhidden[at];
                de[h] += dh * relu(pre);
                s->dhidden_pre[at] = pre > 0 ? dh * (1.0f + e[h]) : 0.0f;
            }
    }
    memset(s->dfeatures, 0, sizeof(float) * (size_t)R * P * 3 * C);
    k->matmul_backward(s->dfeatures, g->mlp1_weight, g->mlp1_bias, s->dhidden_pre, s->features, s->params.mlp1_weight,
                       R * P, 3 * C, H);
    // features → candidate and attended
    for (size_t i = 0; i < (size_t)R * P; i++) {
        const float *df = s->dfeatures + i * 3 * C;
        for (int d = 0; d < C; d++) {
            s->dcand[i * C + d] = df[d] + df[2 * C + d];
            s->dattended[i * C + d] = df[C + d] - df[2 * C + d];
        }
    }
    memset(s->dquery, 0, sizeof(float) * (size_t)R * P * C);
    memset(s->dkey, 0, sizeof(float) * (size_t)B * P * C);
    memset(s->dvalue, 0, sizeof(float) * (size_t)B * P * C);
    // one sample per iteration: its four candidates add to the same dk, dv in a fixed order
    int blas_threads = kernels_blas_serial_begin();
#pragma omp parallel for schedule(static)
    for (int b = 0; b < B; b++)
        for (int j = 0; j < TOWER_CANDIDATES; j++) {
            size_t r = (size_t)b * TOWER_CANDIDATES + j, at = r * P * C, kv = (size_t)b * P * C;
            k->attention_backward(s->dquery + at, s->dkey + kv, s->dvalue + kv, s->dprobs + (size_t)b * P * P,
                                  s->dattended + at, s->probs + r * P * P, s->query + at, s->key + kv, s->value + kv,
                                  P, C);
        }
    kernels_blas_serial_end(blas_threads);
    memset(s->dorig, 0, sizeof(float) * (size_t)B * P * C);
    k->matmul_backward(s->dcand, g->query, NULL, s->dquery, s->cand, s->params.query, R * P, C, C);
    k->matmul_backward(s->dorig, g->key, NULL, s->dkey, s->orig, s->params.key, B * P, C, C);
    k->matmul_backward(s->dorig, g->value, NULL, s->dvalue, s->orig, s->params.value, B * P, C, C);
}

int tower_backward_heads(Tower *tower, Error *err) {
    TowerState *s = tower->activations;
    if (!s->has_heads) return error_set(err, "tower_backward_heads: no forward to go back through");
    heads_backward(tower);
    s->has_heads = 0;
    return 0;
}

int tower_backward(Tower *tower, Error *err) {
    TowerState *s = tower->activations;
    const TowerConfig *c = &tower->config;
    const TowerKernels *k = kernels(tower);
    if (!s->last_training) return error_set(err, "tower_backward: the last forward was not a training forward");
    int B = s->last_batch, N = B * TOWER_IMAGES, C = tower_dim(c), P = tower_tokens(c);
    TowerParams *g = &s->grads;
    heads_backward(tower);
    // back to tokens (B*5, P, C) = d(last activation); position gets the sum over images
    int L = c->convs;
    float *dlast = s->dact[L - 1];
    for (int n = 0; n < N; n++) {
        int b = n / TOWER_IMAGES, i = n % TOWER_IMAGES;
        const float *src =
            i == 0 ? s->dorig + (size_t)b * P * C : s->dcand + ((size_t)b * TOWER_CANDIDATES + i - 1) * P * C;
        memcpy(dlast + (size_t)n * P * C, src, sizeof(float) * P * C);
        for (size_t j = 0; j < (size_t)P * C; j++) g->position[j] += src[j];
    }
    // conv tower, last to first: ReLU, batch norm, conv
    int sides[TOWER_MAX_CONVS + 1];
    sides[0] = c->image_size;
    for (int l = 0; l < L; l++) sides[l + 1] = (sides[l] - 1) / c->strides[l] + 1;
    for (int l = L - 1; l >= 0; l--) {
        int in_ch = l == 0 ? 3 : c->channels[l - 1], out_ch = c->channels[l];
        int rows = N * sides[l + 1] * sides[l + 1];
        size_t n = (size_t)rows * out_ch;
        float *da = s->dact[l];
        const float *a = s->act[l];
        // vector selects, not branches: half the activations are zero in no pattern a predictor learns
#pragma omp parallel for simd schedule(static) if (n > 65536)
        for (size_t i = 0; i < n; i++) da[i] = a[i] > 0.0f ? da[i] : 0.0f;
        memset(s->dconv[l], 0, sizeof(float) * n);
        BatchnormSync sync_storage, *sync = layer_sync(tower, &sync_storage, sides[l + 1]);
        k->batchnorm_backward(s->dconv[l], g->bn_weight[l], g->bn_bias[l], da, s->conv[l], s->params.bn_weight[l],
                              s->bn_mean[l], s->bn_rstd[l], rows, out_ch, sync);
        if (sync && sync->failed) return error_set(err, "tower: the batch-norm sum over processes failed");
        float *dinput = NULL;
        if (l > 0) {
            dinput = s->dact[l - 1];
            memset(dinput, 0, sizeof(float) * (size_t)N * sides[l] * sides[l] * in_ch);
        }
        k->conv2d_backward(dinput, g->conv_weight[l], NULL, s->dconv[l], s->col[l], l == 0 ? s->input : s->act[l - 1],
                           s->params.conv_weight[l], N, sides[l], sides[l], in_ch, out_ch, c->strides[l]);
    }
    s->last_training = 0; // the fast conv backward consumed the im2col scratch
    s->has_heads = 0;
    return 0;
}
