// model_config.c — presets, validation, and the figures derived from a config (tokens per image,
// parameter count, training FLOPs per token).
#include <string.h>

#include "model/model.h"
#include "model/model_internal.h"
#include "model/product_view.h"

// "NAME:VARIANT[+VARIANT...]" changes a preset (docs/MODEL.md): plain (no candidate parts), head
// (pooled flaw head for the auxiliary loss), pointer (head + pointer). Plain NAME gets the preset's
// defaults.
static int config_apply_variant(ModelConfig *c, const char *variants, Error *err) {
    char list[64];
    if (strlen(variants) >= sizeof list) return error_set(err, "model config: variant list '%s' too long", variants);
    strcpy(list, variants);
    for (char *save = NULL, *v = strtok_r(list, "+", &save); v; v = strtok_r(NULL, "+", &save)) {
        if (strcmp(v, "plain") == 0) {
            c->candidate_head = 0, c->candidate_pointer = 0;
        } else if (strcmp(v, "head") == 0) {
            c->candidate_head = 1, c->candidate_pointer = 0;
        } else if (strcmp(v, "pointer") == 0) {
            c->candidate_head = 1, c->candidate_pointer = 1;
        } else if (strcmp(v, "maxpool") == 0 || strcmp(v, "refine") == 0 || strcmp(v, "norefine") == 0) {
            return error_set(err, "model config: variant '%s' was removed (it did not raise the test score, "
                                  "docs/perf/model_accuracy.md); use plain, head or pointer", v);
        } else {
            return error_set(err, "model config: unknown variant '%s' (use plain, head or pointer, e.g. small:pointer)",
                             v);
        }
    }
    return 0;
}

int model_config_preset(ModelConfig *out, const char *name_variant, int vocab_size, Error *err) {
    ModelConfig c;
    memset(&c, 0, sizeof c);
    if (!name_variant) return error_set(err, "model config: no preset name given (use tiny, small or base)");
    char name[32];
    const char *colon = strchr(name_variant, ':');
    size_t name_len = colon ? (size_t)(colon - name_variant) : strlen(name_variant);
    if (name_len >= sizeof name) return error_set(err, "model config: unknown preset '%s' (use tiny, small or base)", name_variant);
    memcpy(name, name_variant, name_len);
    name[name_len] = '\0';
    if (strcmp(name, "tiny") == 0) {
        // seconds on one core: used by the tests and the PyTorch fixture
        c = (ModelConfig){.name = "tiny", .image_size = 16, .stem_layers = 2, .stem_channels = 8,
                          .vocab_size = vocab_size, .max_text_len = 48, .dim = 32, .layers = 2, .heads = 2,
                          .mlp_hidden = 128, .stem_norm = 1};
    } else if (strcmp(name, "small") == 0) {
        // the demo: 4 stride-2 convs (each + instance norm: without it the stem learns no flaw at all,
        // docs/perf/model_accuracy.md) 64 px -> 4x4 = 16 tokens per image, ~1M transformer parameters
        c = (ModelConfig){.name = "small", .image_size = 64, .stem_layers = 4, .stem_channels = 16,
                          .vocab_size = vocab_size, .max_text_len = 128, .dim = 128, .layers = 4, .heads = 2,
                          .mlp_hidden = 512, .stem_norm = 1};
    } else if (strcmp(name, "base") == 0) {
        // 128 px -> 8x8 = 64 tokens per image; hours on CPU
        c = (ModelConfig){.name = "base", .image_size = 128, .stem_layers = 4, .stem_channels = 32,
                          .vocab_size = vocab_size, .max_text_len = 192, .dim = 256, .layers = 8, .heads = 4,
                          .mlp_hidden = 1024, .stem_norm = 1};
    } else {
        return error_set(err, "model config: unknown preset '%s' (use tiny, small or base)", name);
    }
    c.candidate_head = MODEL_DEFAULT_CANDIDATE_HEAD;
    c.candidate_pointer = MODEL_DEFAULT_CANDIDATE_POINTER;
    if (colon && config_apply_variant(&c, colon + 1, err) != 0) return -1;
    if (model_config_validate(&c, err) != 0) return -1;
    *out = c;
    return 0;
}

int model_config_attach_tower(ModelConfig *c, const TowerConfig *tower, Error *err) {
    if (c->candidate_head || c->candidate_pointer)
        return error_set(err, "model config '%s' asks for the candidate head or pointer, which a model on a vision "
                              "tower does not have (the tower's evidence reaches every image token); drop the variant",
                         c->name);
    c->vision_tower = 1;
    c->tower = *tower;
    c->image_size = tower->image_size;
    // 2x2 blocks keep the language model's sequence as short as the stem's was (16 tokens per image
    // for an 8x8 tower); the block's evidence is averaged, its region logit max-pooled
    c->vision_pool = tower_token_side(tower) >= 8 && tower_token_side(tower) % 2 == 0 ? 2 : 1;
    return 0;
}

int model_config_attach_product_tower(ModelConfig *c, const TowerConfig *product, Error *err) {
    if (!c->vision_tower) return error_set(err, "model config: a product-view tower needs a vision tower first");
    c->product_tower = 1;
    c->product = *product;
    return model_config_validate(c, err);
}

int model_vision_width(const ModelConfig *c) {
    return tower_dim(&c->tower) + c->tower.hidden + 2 + (c->product_tower ? 1 : 0);
}

int model_config_validate(const ModelConfig *c, Error *err) {
    if (c->vocab_size < 4 || c->vocab_size > 1000000)
        return error_set(err, "model config: vocab_size %d out of range [4, 1000000]; train the tokenizer first",
                         c->vocab_size);
    if (c->vision_tower) {
        if (c->vision_tower != 1) return error_set(err, "model config: vision_tower %d must be 0 or 1", c->vision_tower);
        if (tower_config_validate(&c->tower, err) != 0) return error_prefix(err, "model config: ");
        if (c->vision_pool < 1 || tower_token_side(&c->tower) % c->vision_pool != 0)
            return error_set(err, "model config: vision_pool %d does not divide the tower's %d tokens per side",
                             c->vision_pool, tower_token_side(&c->tower));
        if (c->image_size != c->tower.image_size)
            return error_set(err, "model config: image_size %d differs from the tower's %d", c->image_size,
                             c->tower.image_size);
        if (c->candidate_head)
            return error_set(err, "model config: a vision tower replaces the candidate head (its flaw head is the "
                                  "evidence); use a plain variant");
        if (c->tower.view) return error_set(err, "model config: the vision tower reads product views; use a frame tower");
    }
    if (c->product_tower) {
        if (c->product_tower != 1 || !c->vision_tower)
            return error_set(err, "model config: product_tower %d must be 0 or 1 and needs vision_tower", c->product_tower);
        if (tower_config_validate(&c->product, err) != 0) return error_prefix(err, "model config: product tower: ");
        if (!product_view_fits(&c->product, &c->tower))
            return error_set(err, "model config: the product tower must read product views of a %d px input on a "
                                  "%d-cell grid (the vision tower's); it reads %d px on %d",
                             c->tower.image_size, tower_token_side(&c->tower), c->product.view_source,
                             c->product.view_grid);
    }
    if (!c->vision_tower && (c->stem_layers < 1 || c->stem_layers > MODEL_MAX_STEM_LAYERS))
        return error_set(err, "model config: stem_layers %d out of range [1, %d]", c->stem_layers,
                         MODEL_MAX_STEM_LAYERS);
    if (!c->vision_tower && (c->image_size < 4 || c->image_size > 1024 || (c->image_size % (1 << c->stem_layers)) != 0))
        return error_set(err, "model config: image_size %d must be in [4, 1024] and divisible by 2^stem_layers (%d)",
                         c->image_size, 1 << c->stem_layers);
    if (c->stem_channels < 1 || c->stem_channels > 4096)
        return error_set(err, "model config: stem_channels %d out of range [1, 4096]", c->stem_channels);
    if (c->dim < 1 || c->dim > 8192 || c->heads < 1 || c->dim % c->heads != 0)
        return error_set(err, "model config: dim %d must be in [1, 8192] and divisible by heads %d", c->dim, c->heads);
    if (c->layers < 1 || c->layers > 256) return error_set(err, "model config: layers %d out of range [1, 256]", c->layers);
    if (c->mlp_hidden < 1 || c->mlp_hidden > 65536)
        return error_set(err, "model config: mlp_hidden %d out of range [1, 65536]", c->mlp_hidden);
    if (c->max_text_len < 2 || c->max_text_len > 8192)
        return error_set(err, "model config: max_text_len %d out of range [2, 8192]", c->max_text_len);
    if (c->stem_norm < 0 || c->stem_norm > 1)
        return error_set(err, "model config: stem_norm %d must be 0 or 1", c->stem_norm);
    if (c->candidate_head < 0 || c->candidate_head > 1 || c->candidate_pointer < 0 || c->candidate_pointer > 1 ||
        (c->candidate_pointer && !c->candidate_head))
        return error_set(err, "model config: candidate_head %d / candidate_pointer %d must be 0 or 1, and the pointer needs the head",
                         c->candidate_head, c->candidate_pointer);
    return 0;
}

int model_image_tokens(const ModelConfig *config) {
    if (config->vision_tower) {
        int side = tower_token_side(&config->tower) / config->vision_pool;
        return side * side;
    }
    int side = config->image_size >> config->stem_layers;
    return side * side;
}

// Output channels of stem conv `l`: stem_channels doubling per conv, the last = dim.
static int stem_channels_out(const ModelConfig *config, int l) {
    return l == config->stem_layers - 1 ? config->dim : config->stem_channels << l;
}

int model_stem_convs(const ModelConfig *config) {
    return config->vision_tower ? 0 : config->stem_layers; // the frozen tower replaces the stem
}

StemConv model_stem_conv(const ModelConfig *config, int l) {
    return (StemConv){.in_ch = l == 0 ? 3 : stem_channels_out(config, l - 1),
                      .out_ch = stem_channels_out(config, l),
                      .stride = 2,
                      .in_side = config->image_size >> l,
                      .out_side = config->image_size >> (l + 1)};
}

size_t model_parameter_count(const ModelConfig *config) {
    size_t total = 0;
    model_layout(config, NULL, NULL, &total);
    return total;
}

double model_flops_per_token(const ModelConfig *c) {
    // forward multiply-adds of one full-length row, times 2 (flops per MAC), times 3 (forward + backward)
    double macs = 0.0;
    for (int j = 0; j < model_stem_convs(c); j++) {
        StemConv conv = model_stem_conv(c, j);
        macs += (double)MODEL_IMAGE_COUNT * conv.out_side * conv.out_side * 9.0 * conv.in_ch * conv.out_ch;
    }
    if (c->vision_tower) // the projection; the frozen tower's features are computed once per sample, outside the step
        macs += (double)MODEL_IMAGE_COUNT * model_image_tokens(c) * model_vision_width(c) * c->dim;
    double seq = (double)MODEL_IMAGE_COUNT * model_image_tokens(c) + c->max_text_len, T = c->max_text_len;
    double D = c->dim, after_attention = D * D + 2.0 * D * c->mlp_hidden; // proj + MLP, per row
    // every block: qkv and attention (counted dense, N²) on all rows; proj + MLP on all rows except
    // in the last block, whose output is only read at the text rows
    macs += c->layers * (seq * 3.0 * D * D + 2.0 * seq * seq * D);
    macs += (c->layers - 1) * seq * after_attention + T * after_attention;
    macs += T * D * c->vocab_size;
    return 6.0 * macs / c->max_text_len;
}
