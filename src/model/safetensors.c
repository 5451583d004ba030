// safetensors.c — checkpoint I/O: DIR/model.safetensors and DIR/config.json.
// safetensors layout: 8-byte little-endian header length, a JSON header (padded with spaces to a
// multiple of 8) mapping each tensor name to {"dtype":"F32","shape":[…],"data_offsets":[begin,end]}
// plus "__metadata__" with string values ("format_version"), then the raw little-endian data.
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/files.h"
#include "model/model_internal.h"
#include "model/safetensors.h"

static const char *const config_int_fields[] = {"image_size", "stem_layers", "stem_channels", "vocab_size",
                                                "max_text_len", "dim", "layers", "heads", "mlp_hidden",
                                                "candidate_head", "candidate_pointer", "stem_norm",
                                                "vision_tower", "vision_pool", "product_tower"};
#define CONFIG_INT_FIELDS 15
#define CONFIG_REQUIRED_FIELDS 9 // the switches after mlp_hidden came later: absent means off

static int *config_int_field(ModelConfig *c, int i) {
    int *fields[CONFIG_INT_FIELDS] = {&c->image_size, &c->stem_layers, &c->stem_channels, &c->vocab_size,
                                      &c->max_text_len, &c->dim, &c->layers, &c->heads, &c->mlp_hidden,
                                      &c->candidate_head, &c->candidate_pointer, &c->stem_norm,
                                      &c->vision_tower, &c->vision_pool, &c->product_tower};
    return fields[i];
}

// Switches of variants that were measured, rejected and removed (docs/MODEL.md): older config.json
// files carry them as 0, which loads; a checkpoint trained with one on cannot be run.
static const char *const config_removed_fields[][2] = {{"stem_refine", "+refine (stride-1 stem convs)"},
                                                       {"candidate_max_pool", "+maxpool (max-pooled candidate head)"}};

static int config_check_removed(const cJSON *root, const char *path, Error *err) {
    for (size_t i = 0; i < sizeof config_removed_fields / sizeof config_removed_fields[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, config_removed_fields[i][0]);
        if (!v) continue;
        if (!cJSON_IsNumber(v)) return error_set(err, "%s: non-numeric \"%s\"", path, config_removed_fields[i][0]);
        if (v->valuedouble != 0)
            return error_set(err, "%s: \"%s\" is %g, but the %s variant was removed from iar; retrain without it",
                             path, config_removed_fields[i][0], v->valuedouble, config_removed_fields[i][1]);
    }
    return 0;
}

// The language model's parameters, then (vision_tower) its frozen tower's parameters and buffers,
// then (product_tower) the product-view tower's.
#define MODEL_SAFETENSORS_PARTS 5
static int model_safetensors_parts(const Model *model, SafetensorsPart parts[MODEL_SAFETENSORS_PARTS]) {
    parts[0] = (SafetensorsPart){"", model->tensors, model->tensor_count, model->params};
    int n = 1;
    const Tower *towers[2] = {model->tower, model->product_tower};
    const char *prefixes[2] = {"tower.", "product_tower."};
    for (int k = 0; k < 2; k++) {
        const Tower *t = towers[k];
        if (!t) continue;
        parts[n++] = (SafetensorsPart){prefixes[k], t->tensors, t->tensor_count, t->params};
        parts[n++] = (SafetensorsPart){prefixes[k], t->buffer_tensors, t->buffer_tensor_count, t->buffers};
    }
    return n;
}

static int config_save(const Model *model, const char *path, Error *err) {
    const ModelConfig *config = &model->config;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "format_version", MODEL_FORMAT_VERSION);
    cJSON_AddStringToObject(root, "name", config->name);
    ModelConfig copy = *config;
    for (int i = 0; i < CONFIG_INT_FIELDS; i++) cJSON_AddNumberToObject(root, config_int_fields[i], *config_int_field(&copy, i));
    if (config->vision_tower) tower_config_to_json(&config->tower, cJSON_AddObjectToObject(root, "tower"));
    if (config->product_tower)
        tower_config_to_json(&config->product, cJSON_AddObjectToObject(root, "product_tower_config"));
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) return error_set(err, "%s: out of memory", path);
    int rc = file_write_atomic(path, text, strlen(text), err);
    free(text);
    return rc;
}

static int check_format_version(const cJSON *value, const char *path, Error *err) {
    int version = cJSON_IsNumber(value) ? value->valueint : (cJSON_IsString(value) ? atoi(value->valuestring) : -1);
    if (version < 0) return error_set(err, "%s: no format_version; not an iar checkpoint", path);
    if (version != MODEL_FORMAT_VERSION)
        return error_set(err, "%s: checkpoint format v%d, this build reads v%d; retrain it or use a matching iar build",
                         path, version, MODEL_FORMAT_VERSION);
    return 0;
}

int model_config_load(ModelConfig *out, const char *dir, Error *err) {
    char *path = path_join(dir, "config.json"), *text = NULL;
    size_t size;
    int rc = -1;
    cJSON *root = NULL;
    if (file_read_all(path, 1 << 20, &text, &size, err) != 0) goto done;
    root = cJSON_Parse(text);
    if (!cJSON_IsObject(root)) {
        error_set(err, "%s: not a JSON object", path);
        goto done;
    }
    if (check_format_version(cJSON_GetObjectItemCaseSensitive(root, "format_version"), path, err) != 0) goto done;
    if (config_check_removed(root, path, err) != 0) goto done;
    ModelConfig c;
    memset(&c, 0, sizeof c);
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "name");
    snprintf(c.name, sizeof c.name, "%s", cJSON_IsString(name) ? name->valuestring : "custom");
    for (int i = 0; i < CONFIG_INT_FIELDS; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, config_int_fields[i]);
        if (!v && i >= CONFIG_REQUIRED_FIELDS) continue;
        if (!cJSON_IsNumber(v)) {
            error_set(err, "%s: missing or non-numeric \"%s\"", path, config_int_fields[i]);
            goto done;
        }
        *config_int_field(&c, i) = v->valueint;
    }
    const cJSON *tower = cJSON_GetObjectItemCaseSensitive(root, "tower");
    if (c.vision_tower && tower_config_from_json(&c.tower, tower, path, err) != 0) goto done;
    const cJSON *product = cJSON_GetObjectItemCaseSensitive(root, "product_tower_config");
    if (c.product_tower && tower_config_from_json(&c.product, product, path, err) != 0) goto done;
    if (model_config_validate(&c, err) != 0) {
        error_prefix(err, "%s: ", path);
        goto done;
    }
    *out = c;
    rc = 0;
done:
    cJSON_Delete(root);
    free(text);
    free(path);
    return rc;
}

static char *safetensors_header(const SafetensorsPart *parts, int part_count, int version, size_t *padded_size) {
    cJSON *root = cJSON_CreateObject(), *meta = cJSON_AddObjectToObject(root, "__metadata__");
    char text[96];
    snprintf(text, sizeof text, "%d", version);
    cJSON_AddStringToObject(meta, "format_version", text);
    cJSON_AddStringToObject(meta, "format", "pt");
    size_t base = 0; // bytes of the parts before this one
    for (int p = 0; p < part_count; p++) {
        size_t part_floats = 0;
        for (int i = 0; i < parts[p].count; i++) {
            const ModelTensor *t = &parts[p].tensors[i];
            snprintf(text, sizeof text, "%s%s", parts[p].prefix, t->name);
            cJSON *entry = cJSON_AddObjectToObject(root, text), *shape = cJSON_AddArrayToObject(entry, "shape");
            cJSON_AddStringToObject(entry, "dtype", "F32");
            for (int d = 0; d < t->rank; d++) cJSON_AddItemToArray(shape, cJSON_CreateNumber(t->shape[d]));
            cJSON *offsets = cJSON_AddArrayToObject(entry, "data_offsets");
            cJSON_AddItemToArray(offsets, cJSON_CreateNumber((double)(base + t->offset * sizeof(float))));
            cJSON_AddItemToArray(offsets, cJSON_CreateNumber((double)(base + (t->offset + t->count) * sizeof(float))));
            if (t->offset + t->count > part_floats) part_floats = t->offset + t->count;
        }
        base += part_floats * sizeof(float);
    }
    char *json = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!json) return NULL;
    size_t length = strlen(json), padded = (length + 7) & ~(size_t)7;
    char *out = realloc(json, padded + 1);
    if (!out) {
        free(json);
        return NULL;
    }
    memset(out + length, ' ', padded - length);
    out[padded] = '\0';
    *padded_size = padded;
    return out;
}

static size_t part_floats(const SafetensorsPart *part) {
    size_t n = 0;
    for (int i = 0; i < part->count; i++)
        if (part->tensors[i].offset + part->tensors[i].count > n) n = part->tensors[i].offset + part->tensors[i].count;
    return n;
}

int safetensors_write(const char *path, const SafetensorsPart *parts, int part_count, int version, Error *err) {
    size_t header_size, data_size = 0;
    for (int p = 0; p < part_count; p++) data_size += part_floats(&parts[p]) * sizeof(float);
    char *header = safetensors_header(parts, part_count, version, &header_size);
    size_t total = 8 + header_size + data_size;
    unsigned char *buffer = header ? malloc(total) : NULL;
    if (!buffer) {
        free(header);
        return error_set(err, "%s: out of memory", path);
    }
    for (int i = 0; i < 8; i++) buffer[i] = (unsigned char)((uint64_t)header_size >> (8 * i));
    memcpy(buffer + 8, header, header_size);
    size_t at = 8 + header_size;
    for (int p = 0; p < part_count; p++) { // x86-64 floats are already little-endian
        size_t bytes = part_floats(&parts[p]) * sizeof(float);
        memcpy(buffer + at, parts[p].data, bytes);
        at += bytes;
    }
    free(header);
    int rc = file_write_atomic(path, buffer, total, err);
    free(buffer);
    return rc;
}

int model_save(const Model *model, const char *dir, Error *err) {
    if (dir_create_all(dir, err) != 0) return -1;
    SafetensorsPart parts[MODEL_SAFETENSORS_PARTS];
    int count = model_safetensors_parts(model, parts);
    char *path = path_join(dir, "model.safetensors");
    int rc = safetensors_write(path, parts, count, MODEL_FORMAT_VERSION, err);
    free(path);
    if (rc != 0) return -1;
    path = path_join(dir, "config.json");
    rc = config_save(model, path, err);
    free(path);
    return rc;
}

// Copies every tensor of one part from the parsed header + data; checks dtype, shape and bounds.
static int safetensors_read_part(const SafetensorsPart *part, const cJSON *root, const unsigned char *data,
                                 size_t data_size, const char *path, Error *err) {
    char name[96];
    for (int i = 0; i < part->count; i++) {
        const ModelTensor *t = &part->tensors[i];
        snprintf(name, sizeof name, "%s%s", part->prefix, t->name);
        const cJSON *entry = cJSON_GetObjectItemCaseSensitive(root, name);
        if (!cJSON_IsObject(entry))
            return error_set(err, "%s: tensor '%s' missing; the checkpoint was written for another config", path,
                             name);
        const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(entry, "dtype");
        const cJSON *shape = cJSON_GetObjectItemCaseSensitive(entry, "shape");
        const cJSON *offsets = cJSON_GetObjectItemCaseSensitive(entry, "data_offsets");
        if (!cJSON_IsString(dtype) || strcmp(dtype->valuestring, "F32") != 0)
            return error_set(err, "%s: tensor '%s' is not F32", path, name);
        int shape_ok = cJSON_IsArray(shape) && cJSON_GetArraySize(shape) == t->rank;
        for (int d = 0; shape_ok && d < t->rank; d++)
            shape_ok = cJSON_GetArrayItem(shape, d)->valuedouble == t->shape[d];
        if (!shape_ok) return error_set(err, "%s: tensor '%s' has a different shape than the config says", path, name);
        if (!cJSON_IsArray(offsets) || cJSON_GetArraySize(offsets) != 2)
            return error_set(err, "%s: tensor '%s' has no data_offsets", path, name);
        double begin = cJSON_GetArrayItem(offsets, 0)->valuedouble, end = cJSON_GetArrayItem(offsets, 1)->valuedouble;
        if (begin < 0 || end > (double)data_size || end - begin != (double)(t->count * sizeof(float)))
            return error_set(err, "%s: tensor '%s' data_offsets [%.0f, %.0f] out of bounds or of the wrong size", path,
                             name, begin, end);
        memcpy(part->data + t->offset, data + (size_t)begin, t->count * sizeof(float));
    }
    return 0;
}

int safetensors_read(const char *path, const SafetensorsPart *parts, int part_count, int version, Error *err) {
    char *bytes = NULL;
    size_t size = 0;
    cJSON *root = NULL;
    int rc = -1;
    if (file_read_all(path, 0, &bytes, &size, err) != 0) return -1;
    uint64_t header_size = 0;
    for (int i = 0; i < 8 && size >= 8; i++) header_size |= (uint64_t)(unsigned char)bytes[i] << (8 * i);
    if (size < 8 || header_size > size - 8 || header_size > (100u << 20)) {
        error_set(err, "%s: not a safetensors file (bad header length)", path);
        goto done;
    }
    root = cJSON_ParseWithLength(bytes + 8, (size_t)header_size);
    if (!cJSON_IsObject(root)) {
        error_set(err, "%s: safetensors header is not a JSON object", path);
        goto done;
    }
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(root, "__metadata__");
    const cJSON *found = meta ? cJSON_GetObjectItemCaseSensitive(meta, "format_version") : NULL;
    int file_version = cJSON_IsString(found) ? atoi(found->valuestring) : -1;
    if (file_version != version) {
        error_set(err, "%s: format v%d, this build reads v%d; retrain it or use a matching iar build", path,
                  file_version, version);
        goto done;
    }
    rc = 0;
    for (int p = 0; p < part_count && rc == 0; p++)
        rc = safetensors_read_part(&parts[p], root, (const unsigned char *)bytes + 8 + header_size,
                                   size - 8 - (size_t)header_size, path, err);
done:
    cJSON_Delete(root);
    free(bytes);
    return rc;
}

int model_load(Model *model, const char *dir, int max_batch, Error *err) {
    ModelConfig config;
    if (model_config_load(&config, dir, err) != 0) return -1;
    if (model_create(model, &config, max_batch, 0, err) != 0) return -1;
    SafetensorsPart parts[MODEL_SAFETENSORS_PARTS];
    int count = model_safetensors_parts(model, parts);
    char *path = path_join(dir, "model.safetensors");
    int rc = safetensors_read(path, parts, count, MODEL_FORMAT_VERSION, err);
    free(path);
    if (rc != 0) model_free(model);
    return rc;
}
