// model.h — the native vision-language model (DESIGN §5): a convolutional stem turns each of the
// five images (original, A-D) into patch tokens; a pre-LN transformer reads the image tokens, then
// the prompt, then the answer text, with bidirectional attention over the image+prompt prefix and
// causal attention over the answer (prefix-LM); the output head is tied to the token embedding.
//
// This header is the contract used by training (SFT, GRPO), generation, serving and the CUDA
// build. Parameters, gradients and AdamW moments are each one contiguous float block.
#ifndef IAR_MODEL_MODEL_H
#define IAR_MODEL_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "model/tensor.h"
#include "model/tower.h"

#define MODEL_IMAGE_COUNT 5 // original + 4 candidates
#define MODEL_FORMAT_VERSION 1

typedef struct ModelConfig {
    char name[16];       // "tiny", "small", "base" or "custom"
    int image_size;      // pixels per side the images are resized to (e.g. 64)
    int stem_layers;     // stride-2 3x3 convs in the stem; tokens per image = (image_size >> stem_layers)^2
    int stem_channels;   // channels of the first conv; doubles each layer; the last conv outputs `dim`
    int vocab_size;      // tokenizer vocabulary (including special tokens)
    int max_text_len;    // prompt + answer tokens
    int dim;             // transformer width
    int layers;
    int heads;
    int mlp_hidden;      // usually 4 * dim
    // The switches below are 0 when absent from config.json (docs/MODEL.md says why each exists).
    int candidate_head;    // 1: a flaw logit per candidate from each image's mean-pooled tokens
    int candidate_pointer; // 1 (needs candidate_head): every text row adds its pointed-to candidate's evidence
    int stem_norm;         // 1: an instance norm (GroupNorm(C, C)) after every stem conv, replacing its bias
    int vision_tower;      // 1: image tokens from the frozen pretrained tower `tower` through one projection
    int vision_pool;       // the tower's tokens are averaged over vision_pool² blocks (1: as they are)
    int product_tower;     // 1 (needs vision_tower): a second frozen tower reads each candidate's product
                           // view (model/product_view.h); its flaw logit is one more feature column
    TowerConfig tower, product;
} ModelConfig;

// Presets: "tiny" (tests, seconds), "small" (the demo), "base" (hours on CPU).
int model_config_preset(ModelConfig *out, const char *name, int vocab_size, Error *err);
int model_config_validate(const ModelConfig *config, Error *err);
// Puts a pretrained tower under the config (vision_tower = 1, the tower's image size; no stem). A config
// with the candidate head or pointer is refused: the tower's flaw head is the evidence.
int model_config_attach_tower(ModelConfig *config, const TowerConfig *tower, Error *err);
// Puts a pretrained product-view tower beside the attached tower (product_tower = 1); it must read
// the views of that tower's input on that tower's token grid.
int model_config_attach_product_tower(ModelConfig *config, const TowerConfig *product, Error *err);

int model_image_tokens(const ModelConfig *config); // per image
size_t model_parameter_count(const ModelConfig *config);
// Training FLOPs (forward + backward) per text token position at full length, for MFU.
double model_flops_per_token(const ModelConfig *config);


typedef struct Model {
    ModelConfig config;
    float *params; // one block: all parameters
    float *grads;  // one block, same layout; backward accumulates (+=)
    size_t param_count;
    ModelTensor *tensors;
    int tensor_count;
    int max_batch;      // activations are allocated once for this many rows
    void *activations;  // private to the implementation
    void *kv_cache;     // private: generation state
    int use_reference;  // 1: plain reference loops instead of the fast (BLAS/OpenMP) kernels
    float last_aux_loss;        // auxiliary per-candidate loss of the last model_forward (0: none)
    float *candidate_flaw_prob; // (max_batch, 4) P(candidate A-D flawed) from the last forward; NULL
                                // without candidate_head
    Tower *tower;               // the frozen vision tower (config.vision_tower), else NULL
    Tower *product_tower;       // the frozen product-view tower (config.product_tower), else NULL
    // 1: the tower's heads train with the language side (its convolutions stay frozen): model_backward
    // goes on into them (their gradients accumulate in tower->grads). Set by the trainers; 0 by default.
    int train_tower_heads;
} Model;

// A batch of training rows. Text of row b is tokens[b*T .. b*T+text_len[b]); positions after are padding.
// targets[b*T+t] is the token that position t must predict (or -1: no loss there).
// Positions t < prefix_len[b] attend bidirectionally among themselves and to all image tokens;
// positions t >= prefix_len[b] attend causally.
typedef struct ModelBatch {
    int batch_size;        // B <= model->max_batch
    int text_len_max;      // T <= config.max_text_len
    const float *images;   // (B, 5, 3, S, S) pixels scaled to [-1, 1], channel-major
    const int *tokens;     // (B, T)
    const int *targets;    // (B, T)
    const int *text_len;   // (B)
    const int *prefix_len; // (B)
    // Auxiliary per-candidate loss (training; needs config.candidate_head): model_backward adds
    // aux_weight * mean binary cross-entropy of the flaw logits against these labels.
    const float *candidate_flawed; // (B, 4) 1 = flawed, NULL: no auxiliary loss
    float aux_weight;
    const int *dimension; // (B) each row's dimension 0..3 or -1 (read by the vision tower); NULL: unknown
    // (B, model_vision_feature_count) the frozen tower's features of these rows, computed earlier by
    // model_vision_features (they never change, so trainers compute them once per sample); NULL: the
    // model runs its tower on `images`
    const float *vision_features;
    // Instead (while the tower's heads train, whose features change every step): the tower's tokens
    // (B, model_vision_token_count) of these rows from model_vision_tokens; the heads run on them (a
    // product-view tower runs on `images`, its views found by the heads)
    const float *tower_tokens;
} ModelBatch;

// Floats of one sample's tower tokens: its five images' conv tokens + position (5, P, C).
size_t model_vision_token_count(const ModelConfig *config);
// Runs the tower's convolutions (running statistics) over `batch_size` samples and writes their tokens
// (what ModelBatch.tower_tokens takes; they stay valid while only the heads train).
int model_vision_tokens(Model *model, const float *images, const int *dimension, int batch_size, float *out,
                        Error *err);

// Copies a pretrained tower (DIR/tower.safetensors + tower.json, `iar train vision`) into the
// model's frozen tower; its config must be the one attached.
int model_tower_load(Model *model, const char *dir, Error *err);
// The same for the product-view tower (config.product_tower).
int model_product_tower_load(Model *model, const char *dir, Error *err);

// Floats of one sample's tower features (0 without a vision tower).
size_t model_vision_feature_count(const ModelConfig *config);
// Runs the frozen tower over `batch_size` <= max_batch samples and writes their features (what
// ModelBatch.vision_features takes); also sets candidate_flaw_prob for them.
int model_vision_features(Model *model, const float *images, const int *dimension, int batch_size, float *out,
                          Error *err);

int model_create(Model *model, const ModelConfig *config, int max_batch, uint64_t seed, Error *err);
void model_free(Model *model);
void model_zero_grad(Model *model);
const ModelTensor *model_find_tensor(const Model *model, const char *name);

// Forward pass. Writes logprobs[b*T+t] = log p(targets[b*T+t]) (0 where the target is -1), and,
// when `entropy` is not NULL, the entropy of the predictive distribution at each position.
int model_forward(Model *model, const ModelBatch *batch, float *logprobs, float *entropy, Error *err);
// Backward pass of the last model_forward, given d(loss)/d(logprobs) per position (0 where the
// target is -1). SFT passes -1/N on target positions; GRPO passes its clipped-ratio coefficients.
// Accumulates into model->grads.
int model_backward(Model *model, const ModelBatch *batch, const float *dlogprobs, Error *err);

// Generation with a KV cache. The images + prompt prefix is computed once and shared by all
// `n_samples` completions. temperature 0 is greedy; otherwise temperature + top-p sampling with
// randomness from rng_hash(seed, sample_index, RNG_PURPOSE_SAMPLING, token position).
typedef struct GenerateOptions {
    int max_new_tokens;
    float temperature;
    float top_p;       // 1.0 = off
    uint64_t seed;
    int eos_token;     // generation of a row stops after emitting it
    const int *dimension; // the sample's dimension 0..3 (read by the vision tower); NULL: unknown
    // Called on the generating thread after each token of each row, as it is picked (streaming);
    // a nonzero return stops the whole generation there (the client went away). NULL: none.
    int (*on_token)(void *user, int row, int token);
    void *on_token_user;
} GenerateOptions;

// images: (5, 3, S, S) as in ModelBatch; prompt: prompt_len token ids.
// out_tokens: (n_samples, max_new_tokens); out_lengths: (n_samples) tokens generated (EOS included);
// out_logprobs (may be NULL): log-prob under the sampling distribution at temperature 1, for each token.
int model_generate(Model *model, const float *images, const int *prompt, int prompt_len, int n_samples,
                   const GenerateOptions *options, int *out_tokens, int *out_lengths, float *out_logprobs,
                   Error *err);

// Checkpoint I/O: DIR/model.safetensors (F32 tensors named as in `tensors`, readable by the
// Hugging Face safetensors library) and DIR/config.json (with "format_version").
int model_save(const Model *model, const char *dir, Error *err);
int model_load(Model *model, const char *dir, int max_batch, Error *err);
int model_config_load(ModelConfig *out, const char *dir, Error *err);

// Resizes and scales the five decoded images into the (5, 3, S, S) layout the model reads.
struct Image;
int model_prepare_images(const ModelConfig *config, const struct Image *images[MODEL_IMAGE_COUNT], float *out,
                         Error *err);

#endif
