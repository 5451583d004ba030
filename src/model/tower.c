// tower.c — the vision tower's memory and files: presets, the parameter layout (names, shapes,
// initialisation), one block for parameters, one for gradients, one for batch-norm buffers, one
// for activations; tower.safetensors + tower.json.
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/files.h"
#include "model/safetensors.h"
#include "model/tower_internal.h"

int tower_config_preset(TowerConfig *out, const char *name, int kind_classes, Error *err) {
    TowerConfig c;
    memset(&c, 0, sizeof c);
    snprintf(c.name, sizeof c.name, "%s", name);
    c.kind_classes = kind_classes;
    if (strcmp(name, "tiny") == 0) { // tests: seconds
        c.image_size = 32;
        c.convs = 3;
        const int ch[] = {8, 16, 16}, st[] = {2, 2, 2};
        memcpy(c.channels, ch, sizeof ch);
        memcpy(c.strides, st, sizeof st);
        c.hidden = 16;
    } else if (strcmp(name, "small") == 0 || strcmp(name, "base") == 0) {
        // The reference probe's tower (../shared/probes): two convs per stage, R/16 tokens per side.
        int wide = strcmp(name, "base") == 0;
        c.image_size = 128;
        c.convs = 7;
        const int ch[] = {24, 48, 48, 96, 96, 96, 96}, st[] = {2, 2, 1, 2, 1, 2, 1};
        for (int i = 0; i < 7; i++) c.channels[i] = ch[i] * (wide ? 2 : 1);
        memcpy(c.strides, st, sizeof st);
        c.hidden = wide ? 192 : 96;
    } else {
        return error_set(err, "unknown tower preset '%s' (tiny, small, base)", name);
    }
    if (tower_config_validate(&c, err) != 0) return -1;
    *out = c;
    return 0;
}

int tower_token_side(const TowerConfig *c) {
    int side = c->image_size;
    for (int l = 0; l < c->convs; l++) side = (side - 1) / c->strides[l] + 1;
    return side;
}
int tower_tokens(const TowerConfig *c) { return tower_token_side(c) * tower_token_side(c); }
int tower_dim(const TowerConfig *c) { return c->channels[c->convs - 1]; }
int tower_class_count(const TowerConfig *c) { return TOWER_LIGHT_CLASSES + TOWER_SHADOW_CLASSES + c->kind_classes; }

int tower_config_validate(const TowerConfig *c, Error *err) {
    if (c->convs < 1 || c->convs > TOWER_MAX_CONVS)
        return error_set(err, "tower: convs %d out of range [1, %d]", c->convs, TOWER_MAX_CONVS);
    if (c->image_size < 8 || c->image_size > 1024)
        return error_set(err, "tower: image_size %d out of range [8, 1024]", c->image_size);
    int side = c->image_size;
    for (int l = 0; l < c->convs; l++) {
        if (c->channels[l] < 1 || c->channels[l] > BATCHNORM_MAX_CHANNELS)
            return error_set(err, "tower: conv %d has %d channels", l, c->channels[l]);
        if (c->strides[l] != 1 && c->strides[l] != 2)
            return error_set(err, "tower: conv %d stride %d (1 or 2)", l, c->strides[l]);
        if (side % c->strides[l] != 0)
            return error_set(err, "tower: image_size %d is not divisible by the convs' strides", c->image_size);
        side /= c->strides[l];
    }
    if (c->hidden < 1 || c->hidden > 4096) return error_set(err, "tower: hidden %d out of range", c->hidden);
    if (c->kind_classes < 1 || c->kind_classes > 256)
        return error_set(err, "tower: kind_classes %d out of range [1, 256]", c->kind_classes);
    if (c->view && (c->view_source < 16 || c->view_source > 1024 || c->view_grid < 1 || c->view_grid > c->view_source))
        return error_set(err, "tower: product view from %d px with a %d-cell grid", c->view_source, c->view_grid);
    return 0;
}

// Parameters in block order; init_std > 0: normal, 0: zeros, -1: ones. Returns the tensor count.
static int tower_layout(const TowerConfig *c, ModelTensor *tensors, float *init_std, size_t *total) {
    TensorLayout cur = {tensors, init_std, 0, 0};
    char name[64];
    int C = tower_dim(c), H = c->hidden, P = tower_tokens(c), K = tower_class_count(c);
    for (int l = 0; l < c->convs; l++) {
        int in_ch = l == 0 ? 3 : c->channels[l - 1], out_ch = c->channels[l];
        snprintf(name, sizeof name, "conv.%d.weight", l);
        tensor_layout_add(&cur, name, sqrtf(2.0f / (9.0f * in_ch)), 4, out_ch, in_ch, 3, 3); // He: ReLU follows
        snprintf(name, sizeof name, "bn.%d.weight", l);
        tensor_layout_add(&cur, name, -1.0f, 1, out_ch, 0, 0, 0);
        snprintf(name, sizeof name, "bn.%d.bias", l);
        tensor_layout_add(&cur, name, 0.0f, 1, out_ch, 0, 0, 0);
    }
    tensor_layout_add(&cur, "position", 0.02f, 2, P, C, 0, 0);
    tensor_layout_add(&cur, "cross.query.weight", 1.0f / sqrtf((float)C), 2, C, C, 0, 0);
    tensor_layout_add(&cur, "cross.key.weight", 1.0f / sqrtf((float)C), 2, C, C, 0, 0);
    tensor_layout_add(&cur, "cross.value.weight", 1.0f / sqrtf((float)C), 2, C, C, 0, 0);
    tensor_layout_add(&cur, "mlp1.weight", sqrtf(2.0f / (3.0f * C)), 2, H, 3 * C, 0, 0);
    tensor_layout_add(&cur, "mlp1.bias", 0.0f, 1, H, 0, 0, 0);
    tensor_layout_add(&cur, "dimension_embedding", 0.0f, 2, TOWER_DIMENSIONS, H, 0, 0);
    tensor_layout_add(&cur, "mlp2.weight", sqrtf(2.0f / H), 2, H, H, 0, 0);
    tensor_layout_add(&cur, "mlp2.bias", 0.0f, 1, H, 0, 0, 0);
    tensor_layout_add(&cur, "flaw.weight", 0.01f, 2, 1, 2 * H, 0, 0);
    tensor_layout_add(&cur, "flaw.bias", 0.0f, 1, 1, 0, 0, 0);
    tensor_layout_add(&cur, "token_head.weight", 0.01f, 2, TOWER_TOKEN_TARGETS, H, 0, 0);
    tensor_layout_add(&cur, "token_head.bias", 0.0f, 1, TOWER_TOKEN_TARGETS, 0, 0, 0);
    tensor_layout_add(&cur, "class_head.weight", 0.01f, 2, K, 2 * H, 0, 0);
    tensor_layout_add(&cur, "class_head.bias", 0.0f, 1, K, 0, 0, 0);
    if (total) *total = cur.offset;
    return cur.count;
}

// Running statistics: per conv, mean (zeros) then variance (ones).
static int tower_buffer_layout(const TowerConfig *c, ModelTensor *tensors, float *init, size_t *total) {
    TensorLayout cur = {tensors, init, 0, 0};
    char name[64];
    for (int l = 0; l < c->convs; l++) {
        snprintf(name, sizeof name, "bn.%d.running_mean", l);
        tensor_layout_add(&cur, name, 0.0f, 1, c->channels[l], 0, 0, 0);
        snprintf(name, sizeof name, "bn.%d.running_var", l);
        tensor_layout_add(&cur, name, -1.0f, 1, c->channels[l], 0, 0, 0);
    }
    if (total) *total = cur.offset;
    return cur.count;
}

size_t tower_parameter_count(const TowerConfig *c) {
    size_t total = 0;
    tower_layout(c, NULL, NULL, &total);
    return total;
}

int tower_heads_first_tensor(const Tower *tower) {
    for (int i = 0; i < tower->tensor_count; i++)
        if (strcmp(tower->tensors[i].name, "cross.query.weight") == 0) return i;
    return tower->tensor_count;
}

double tower_flops_per_sample(const TowerConfig *c) {
    double forward = 0; // multiply-adds × 2
    int side = c->image_size;
    for (int l = 0; l < c->convs; l++) {
        int in_ch = l == 0 ? 3 : c->channels[l - 1];
        side = (side - 1) / c->strides[l] + 1;
        forward += 2.0 * TOWER_IMAGES * side * side * (double)c->channels[l] * 9.0 * in_ch;
    }
    double C = tower_dim(c), H = c->hidden, P = tower_tokens(c), K = tower_class_count(c);
    forward += 2.0 * TOWER_CANDIDATES * P * (C * C) + 2.0 * 2 * P * C * C;            // q; k and v
    forward += 2.0 * TOWER_CANDIDATES * 2 * P * P * C;                               // scores, mix
    forward += 2.0 * TOWER_CANDIDATES * P * (3 * C * H + H * H + TOWER_TOKEN_TARGETS * H);
    forward += 2.0 * TOWER_CANDIDATES * (2 * H) * (1 + K);
    return 3.0 * forward; // backward ≈ 2× forward (the first conv's input gradient is skipped)
}

// ---- activations -------------------------------------------------------------------------------

static size_t tower_state_layout(TowerState *s, const TowerConfig *c, int B, float *base) {
    BlockCursor cur = {base, 0};
    size_t N = (size_t)B * TOWER_IMAGES, S = c->image_size;
    size_t C = tower_dim(c), H = c->hidden, P = tower_tokens(c), K = tower_class_count(c), R = (size_t)B * TOWER_CANDIDATES;
    s->input = block_take(&cur, N * S * S * 3);
    int side = c->image_size;
    for (int l = 0; l < c->convs; l++) {
        int in_ch = l == 0 ? 3 : c->channels[l - 1];
        side = (side - 1) / c->strides[l] + 1;
        size_t outputs = N * side * side * c->channels[l];
        s->col[l] = block_take(&cur, N * side * side * 9 * in_ch);
        s->conv[l] = block_take(&cur, outputs);
        s->act[l] = block_take(&cur, outputs);
        s->dconv[l] = block_take(&cur, outputs);
        s->dact[l] = block_take(&cur, outputs);
        s->bn_mean[l] = block_take(&cur, c->channels[l]);
        s->bn_rstd[l] = block_take(&cur, c->channels[l]);
    }
    s->tokens = block_take(&cur, N * P * C);
    s->cand = block_take(&cur, R * P * C);
    s->orig = block_take(&cur, B * P * C);
    s->query = block_take(&cur, R * P * C);
    s->key = block_take(&cur, B * P * C);
    s->value = block_take(&cur, B * P * C);
    s->probs = block_take(&cur, R * P * P);
    s->attended = block_take(&cur, R * P * C);
    s->features = block_take(&cur, R * P * 3 * C);
    s->hidden_pre = block_take(&cur, R * P * H);
    s->hidden = block_take(&cur, R * P * H);
    s->evidence = block_take(&cur, R * P * H);
    s->pool = block_take(&cur, R * 2 * H);
    s->argmax = (int *)block_take(&cur, R * H);
    s->flaw_logit = block_take(&cur, R);
    s->token_logit = block_take(&cur, R * P * TOWER_TOKEN_TARGETS);
    s->class_logit = block_take(&cur, R * K);
    s->dimension = (int *)block_take(&cur, B);
    s->dflaw_logit = block_take(&cur, R);
    s->dtoken_logit = block_take(&cur, R * P * TOWER_TOKEN_TARGETS);
    s->dclass_logit = block_take(&cur, R * K);
    s->devidence_in = block_take(&cur, R * P * H);
    s->dpool = block_take(&cur, R * 2 * H);
    s->devidence = block_take(&cur, R * P * H);
    s->dhidden = block_take(&cur, R * P * H);
    s->dhidden_pre = block_take(&cur, R * P * H);
    s->dfeatures = block_take(&cur, R * P * 3 * C);
    s->dattended = block_take(&cur, R * P * C);
    s->dquery = block_take(&cur, R * P * C);
    s->dkey = block_take(&cur, B * P * C);
    s->dvalue = block_take(&cur, B * P * C);
    s->dprobs = block_take(&cur, B * P * P);
    s->dcand = block_take(&cur, R * P * C);
    s->dorig = block_take(&cur, B * P * C);
    s->dtokens = block_take(&cur, N * P * C);
    return cur.used;
}

void tower_point_parameters(TowerParams *v, const Tower *tower, float *base) {
    const TowerConfig *c = &tower->config;
    const ModelTensor *t = tower->tensors;
    int i = 0;
    for (int l = 0; l < c->convs; l++) {
        v->conv_weight[l] = base + t[i++].offset;
        v->bn_weight[l] = base + t[i++].offset;
        v->bn_bias[l] = base + t[i++].offset;
    }
    v->position = base + t[i++].offset;
    v->query = base + t[i++].offset;
    v->key = base + t[i++].offset;
    v->value = base + t[i++].offset;
    v->mlp1_weight = base + t[i++].offset;
    v->mlp1_bias = base + t[i++].offset;
    v->dimension_embedding = base + t[i++].offset;
    v->mlp2_weight = base + t[i++].offset;
    v->mlp2_bias = base + t[i++].offset;
    v->flaw_weight = base + t[i++].offset;
    v->flaw_bias = base + t[i++].offset;
    v->token_weight = base + t[i++].offset;
    v->token_bias = base + t[i++].offset;
    v->class_weight = base + t[i++].offset;
    v->class_bias = base + t[i++].offset;
}

int tower_create(Tower *tower, const TowerConfig *config, int max_batch, uint64_t seed, Error *err) {
    memset(tower, 0, sizeof *tower);
    if (tower_config_validate(config, err) != 0) return -1;
    if (max_batch < 1 || max_batch > 65536) return error_set(err, "tower: max_batch %d out of range", max_batch);
    tower->config = *config;
    tower->max_batch = max_batch;
    tower->bn_momentum = 0.1f;
    tower->tensor_count = tower_layout(config, NULL, NULL, &tower->param_count);
    tower->buffer_tensor_count = tower_buffer_layout(config, NULL, NULL, &tower->buffer_count);
    tower->tensors = calloc((size_t)tower->tensor_count, sizeof *tower->tensors);
    tower->buffer_tensors = calloc((size_t)tower->buffer_tensor_count, sizeof *tower->buffer_tensors);
    float *init = calloc((size_t)(tower->tensor_count + tower->buffer_tensor_count), sizeof *init);
    tower->params = malloc(sizeof(float) * tower->param_count);
    tower->grads = calloc(tower->param_count, sizeof(float));
    tower->buffers = malloc(sizeof(float) * tower->buffer_count);
    TowerState *s = calloc(1, sizeof *s);
    tower->activations = s;
    if (!tower->tensors || !tower->buffer_tensors || !init || !tower->params || !tower->grads || !tower->buffers || !s)
        goto out_of_memory;
    tower_layout(config, tower->tensors, init, NULL);
    tensor_block_init(tower->params, tower->tensors, init, tower->tensor_count, seed);
    tower_buffer_layout(config, tower->buffer_tensors, init, NULL);
    tensor_block_init(tower->buffers, tower->buffer_tensors, init, tower->buffer_tensor_count, seed);
    free(init);
    init = NULL;
    tower_point_parameters(&s->params, tower, tower->params);
    tower_point_parameters(&s->grads, tower, tower->grads);
    for (int l = 0; l < config->convs; l++) {
        s->running_mean[l] = tower->buffers + tower->buffer_tensors[2 * l].offset;
        s->running_var[l] = tower->buffers + tower->buffer_tensors[2 * l + 1].offset;
    }
    s->block_floats = tower_state_layout(s, config, max_batch, NULL);
    s->block = calloc(s->block_floats, sizeof(float));
    if (!s->block) goto out_of_memory;
    tower_state_layout(s, config, max_batch, s->block);
    return 0;
out_of_memory:
    free(init);
    tower_free(tower);
    return error_set(err, "tower: out of memory for config '%s' with max_batch %d; lower --batch", config->name,
                     max_batch);
}

void tower_free(Tower *tower) {
    TowerState *s = tower->activations;
    if (s) free(s->block);
    free(s);
    free(tower->tensors);
    free(tower->buffer_tensors);
    free(tower->params);
    free(tower->grads);
    free(tower->buffers);
    memset(tower, 0, sizeof *tower);
}

void tower_zero_grad(Tower *tower) { memset(tower->grads, 0, sizeof(float) * tower->param_count); }

// ---- files -------------------------------------------------------------------------------------

int tower_config_to_json(const TowerConfig *c, void *object) {
    cJSON *root = object;
    if (!root) return -1;
    cJSON_AddStringToObject(root, "name", c->name);
    cJSON_AddNumberToObject(root, "image_size", c->image_size);
    cJSON_AddItemToObject(root, "channels", cJSON_CreateIntArray(c->channels, c->convs));
    cJSON_AddItemToObject(root, "strides", cJSON_CreateIntArray(c->strides, c->convs));
    cJSON_AddNumberToObject(root, "hidden", c->hidden);
    cJSON_AddNumberToObject(root, "kind_classes", c->kind_classes);
    if (c->view) { // written only for a product view, so frame towers' files stay as they were
        cJSON_AddStringToObject(root, "view", "product");
        cJSON_AddNumberToObject(root, "view_source", c->view_source);
        cJSON_AddNumberToObject(root, "view_grid", c->view_grid);
    }
    return 0;
}

int tower_config_from_json(TowerConfig *out, const void *object, const char *path, Error *err) {
    const cJSON *root = object;
    if (!cJSON_IsObject(root)) return error_set(err, "%s: no \"tower\" object", path);
    TowerConfig c;
    memset(&c, 0, sizeof c);
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "name");
    snprintf(c.name, sizeof c.name, "%s", cJSON_IsString(name) ? name->valuestring : "custom");
    const cJSON *channels = cJSON_GetObjectItemCaseSensitive(root, "channels");
    const cJSON *strides = cJSON_GetObjectItemCaseSensitive(root, "strides");
    if (!cJSON_IsArray(channels) || !cJSON_IsArray(strides) ||
        cJSON_GetArraySize(channels) != cJSON_GetArraySize(strides) || cJSON_GetArraySize(channels) > TOWER_MAX_CONVS)
        return error_set(err, "%s: tower \"channels\" and \"strides\" must be arrays of one length (<= %d)", path,
                         TOWER_MAX_CONVS);
    c.convs = cJSON_GetArraySize(channels);
    for (int l = 0; l < c.convs; l++) {
        c.channels[l] = cJSON_GetArrayItem(channels, l)->valueint;
        c.strides[l] = cJSON_GetArrayItem(strides, l)->valueint;
    }
    const char *fields[3] = {"image_size", "hidden", "kind_classes"};
    int *values[3] = {&c.image_size, &c.hidden, &c.kind_classes};
    for (int i = 0; i < 3; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, fields[i]);
        if (!cJSON_IsNumber(v)) return error_set(err, "%s: tower \"%s\" missing or not a number", path, fields[i]);
        *values[i] = v->valueint;
    }
    const cJSON *view = cJSON_GetObjectItemCaseSensitive(root, "view");
    if (view) {
        const cJSON *source = cJSON_GetObjectItemCaseSensitive(root, "view_source");
        const cJSON *grid = cJSON_GetObjectItemCaseSensitive(root, "view_grid");
        if (!cJSON_IsString(view) || strcmp(view->valuestring, "product") != 0 || !cJSON_IsNumber(source) ||
            !cJSON_IsNumber(grid))
            return error_set(err, "%s: tower \"view\" must be \"product\" with numbers \"view_source\" and "
                                  "\"view_grid\"", path);
        c.view = 1;
        c.view_source = source->valueint;
        c.view_grid = grid->valueint;
    }
    if (tower_config_validate(&c, err) != 0) return error_prefix(err, "%s: ", path);
    *out = c;
    return 0;
}

int tower_config_load(TowerConfig *out, const char *dir, Error *err) {
    char *path = path_join(dir, "tower.json"), *text = NULL;
    size_t size;
    int rc = -1;
    cJSON *root = NULL;
    if (file_read_all(path, 1 << 20, &text, &size, err) != 0) goto done;
    root = cJSON_Parse(text);
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(root, "format_version");
    if (!cJSON_IsNumber(version)) {
        error_set(err, "%s: not a tower config (no format_version)", path);
        goto done;
    }
    if (version->valueint != TOWER_FORMAT_VERSION) {
        error_set(err, "%s: tower format v%d, this build reads v%d", path, version->valueint, TOWER_FORMAT_VERSION);
        goto done;
    }
    rc = tower_config_from_json(out, root, path, err);
done:
    cJSON_Delete(root);
    free(text);
    free(path);
    return rc;
}

int tower_save(const Tower *tower, const char *dir, Error *err) {
    if (dir_create_all(dir, err) != 0) return -1;
    SafetensorsPart parts[2] = {{"", tower->tensors, tower->tensor_count, tower->params},
                                {"", tower->buffer_tensors, tower->buffer_tensor_count, tower->buffers}};
    char *path = path_join(dir, "tower.safetensors");
    int rc = safetensors_write(path, parts, 2, TOWER_FORMAT_VERSION, err);
    free(path);
    if (rc != 0) return -1;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "format_version", TOWER_FORMAT_VERSION);
    tower_config_to_json(&tower->config, root);
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) return error_set(err, "tower_save: out of memory");
    path = path_join(dir, "tower.json");
    rc = file_write_atomic(path, text, strlen(text), err);
    free(path);
    free(text);
    return rc;
}

int tower_load(Tower *tower, const char *dir, int max_batch, Error *err) {
    TowerConfig config;
    if (tower_config_load(&config, dir, err) != 0) return -1;
    if (tower_create(tower, &config, max_batch, 0, err) != 0) return -1;
    SafetensorsPart parts[2] = {{"", tower->tensors, tower->tensor_count, tower->params},
                                {"", tower->buffer_tensors, tower->buffer_tensor_count, tower->buffers}};
    char *path = path_join(dir, "tower.safetensors");
    int rc = safetensors_read(path, parts, 2, TOWER_FORMAT_VERSION, err);
    free(path);
    if (rc != 0) tower_free(tower);
    return rc;
}
