// generate.c — text generation with a KV cache. The images + prompt prefix runs once through
// model_forward_hidden (bidirectional, exactly as in training); its keys and values are copied
// into each sample's cache, then every sample decodes one token per step, attending to the prefix
// and causally to its own earlier tokens — the layout model_forward scores, so the log-probs
// returned here match model_forward's up to float rounding.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#ifdef _OPENMP
#include <omp.h>
#endif
#include "model/model_internal.h"

// One allocation per call (outside the token loop), kept in Model.kv_cache and reused when big enough.
typedef struct KvCache {
    size_t floats;
    float *keys, *values;        // (layers, samples, capacity, D)
    float *x, *ln, *qkv, *att;   // (samples, D) / (samples, 3D) / (samples, D)
    float *fc, *fc_gelu, *logits; // (samples, F), (samples, F), (samples, V)
    float *scores, *probs;        // (samples, capacity), (samples, V)
    float *mean, *rstd;           // (samples)
    int *order;                   // (samples, V) top-p sort scratch
    int *active;                  // (samples) indices of unfinished samples
    int *tokens;                  // (samples) the token fed at this step
    float data[];
} KvCache;

static KvCache *kv_cache_reserve(Model *model, int samples, int capacity) {
    const ModelConfig *c = &model->config;
    size_t S = (size_t)samples, D = c->dim, F = c->mlp_hidden, V = c->vocab_size;
    size_t need = 2 * (size_t)c->layers * S * capacity * D + S * (D * 6 + 2 * F + 2 * V + capacity + 2) +
                  S * V + 2 * S; // order, active+tokens stored as ints in float-sized slots
    KvCache *cache = model->kv_cache;
    if (!cache || cache->floats < need) {
        free(cache);
        cache = malloc(sizeof(KvCache) + sizeof(float) * need);
        model->kv_cache = cache;
        if (!cache) return NULL;
        cache->floats = need;
    }
    float *p = cache->data;
    cache->keys = p, p += (size_t)c->layers * S * capacity * D;
    cache->values = p, p += (size_t)c->layers * S * capacity * D;
    cache->x = p, p += S * D;
    cache->ln = p, p += S * D;
    cache->qkv = p, p += S * 3 * D;
    cache->att = p, p += S * D;
    cache->fc = p, p += S * F;
    cache->fc_gelu = p, p += S * F;
    cache->logits = p, p += S * V;
    cache->probs = p, p += S * V;
    cache->scores = p, p += S * capacity;
    cache->mean = p, p += S;
    cache->rstd = p, p += S;
    cache->order = (int *)p, p += S * V;
    cache->active = (int *)p, p += S;
    cache->tokens = (int *)p;
    return cache;
}

static double uniform_from_hash(uint64_t h) { return (double)(h >> 11) * (1.0 / 9007199254740992.0); }

static int compare_by_probability(const void *a, const void *b, void *probs_arg) {
    const float *probs = probs_arg;
    int i = *(const int *)a, j = *(const int *)b;
    if (probs[i] != probs[j]) return probs[i] > probs[j] ? -1 : 1;
    return i - j; // ties by token id: the order never depends on the sort's stability
}

// Picks the next token from logits (V); returns it and its log-prob at temperature 1.
static int generate_pick_token(const float *logits, int V, const GenerateOptions *options, uint64_t sample_index,
                               int position, float *probs, int *order, float *logprob) {
    float max = -INFINITY;
    int argmax = 0;
    for (int v = 0; v < V; v++)
        if (logits[v] > max) max = logits[v], argmax = v;
    double sum = 0.0;
    for (int v = 0; v < V; v++) sum += exp((double)logits[v] - max);
    double log_sum = log(sum);
    int token = argmax;
    if (options->temperature > 0.0f) {
        double total = 0.0;
        for (int v = 0; v < V; v++) total += (probs[v] = (float)exp(((double)logits[v] - max) / options->temperature));
        for (int v = 0; v < V; v++) probs[v] = (float)(probs[v] / total);
        int kept = V;
        for (int v = 0; v < V; v++) order[v] = v;
        double kept_mass = 1.0;
        if (options->top_p < 1.0f) {
            qsort_r(order, (size_t)V, sizeof *order, compare_by_probability, probs);
            double cumulative = 0.0;
            for (kept = 0; kept < V;) {
                cumulative += probs[order[kept++]];
                if (cumulative >= options->top_p) break;
            }
            kept_mass = cumulative;
        }
        double u = uniform_from_hash(rng_hash(options->seed, sample_index, RNG_PURPOSE_SAMPLING, (uint64_t)position)) *
                   kept_mass;
        token = order[kept - 1];
        double cumulative = 0.0;
        for (int i = 0; i < kept; i++) {
            cumulative += probs[order[i]];
            if (u < cumulative) {
                token = order[i];
                break;
            }
        }
    }
    *logprob = (float)((double)logits[token] - max - log_sum);
    return token;
}

// Runs the rows in cache->tokens (one per active sample, all at text position `position`) through
// the blocks, appending their keys/values at cache row `key_row`; leaves logits per active row.
static void generate_decode_step(Model *model, KvCache *cache, int active, int samples, int capacity, int position,
                                 int key_row) {
    const ModelConfig *c = &model->config;
    ModelState *s = model->activations;
    const KernelOps *k = model_kernels(model);
    int D = c->dim, F = c->mlp_hidden;
    for (int r = 0; r < active; r++) {
        const float *token = s->params.token_embedding + (size_t)cache->tokens[r] * D;
        const float *pos = s->params.text_position_embedding + (size_t)position * D;
        for (int d = 0; d < D; d++) cache->x[(size_t)r * D + d] = token[d] + pos[d];
    }
    for (int l = 0; l < c->layers; l++) {
        const LayerParams *p = &s->params.layers[l];
        k->layernorm_forward(cache->ln, cache->mean, cache->rstd, cache->x, p->ln1_weight, p->ln1_bias, active, D);
        k->matmul_forward(cache->qkv, cache->ln, p->qkv_weight, p->qkv_bias, active, D, 3 * D);
        for (int r = 0; r < active; r++) {
            int sample = cache->active[r];
            size_t base = ((size_t)l * samples + sample) * capacity * D;
            const float *qkv = cache->qkv + (size_t)r * 3 * D;
            memcpy(cache->keys + base + (size_t)key_row * D, qkv + D, sizeof(float) * D);
            memcpy(cache->values + base + (size_t)key_row * D, qkv + 2 * D, sizeof(float) * D);
            attention_decode_row(cache->att + (size_t)r * D, cache->scores + (size_t)r * capacity, qkv,
                                 cache->keys + base, cache->values + base, (size_t)D, key_row + 1, D, c->heads);
        }
        // ln doubles as the projection's output before the residual add
        k->matmul_forward(cache->ln, cache->att, p->proj_weight, p->proj_bias, active, D, D);
        for (size_t i = 0; i < (size_t)active * D; i++) cache->x[i] += cache->ln[i];
        k->layernorm_forward(cache->ln, cache->mean, cache->rstd, cache->x, p->ln2_weight, p->ln2_bias, active, D);
        k->matmul_forward(cache->fc, cache->ln, p->fc_weight, p->fc_bias, active, D, F);
        k->gelu_forward(cache->fc_gelu, cache->fc, (size_t)active * F);
        k->matmul_forward(cache->ln, cache->fc_gelu, p->fc_proj_weight, p->fc_proj_bias, active, F, D);
        for (size_t i = 0; i < (size_t)active * D; i++) cache->x[i] += cache->ln[i];
    }
    // the candidate pointer reads the prefix's pooled images, computed once by model_forward_hidden
    candidate_pointer_decode(model, cache->x, cache->scores, active);
    k->layernorm_forward(cache->ln, cache->mean, cache->rstd, cache->x, s->params.final_ln_weight,
                         s->params.final_ln_bias, active, D);
    k->matmul_forward(cache->logits, cache->ln, s->params.token_embedding, NULL, active, D, c->vocab_size);
}

static int generate_run(Model *model, const float *images, const int *prompt, int prompt_len, int n_samples,
                        const GenerateOptions *options, int *out_tokens, int *out_lengths, float *out_logprobs,
                        Error *err) {
    const ModelConfig *c = &model->config;
    ModelState *s = model->activations;
    if (n_samples < 1) return error_set(err, "model_generate: n_samples %d must be at least 1", n_samples);
    if (prompt_len < 1 || prompt_len > c->max_text_len)
        return error_set(err, "model_generate: prompt of %d tokens, the model reads 1 to %d", prompt_len,
                         c->max_text_len);
    if (options->max_new_tokens < 0 || !(options->temperature >= 0.0f) || !(options->top_p > 0.0f) ||
        options->top_p > 1.0f)
        return error_set(err, "model_generate: bad options (max_new_tokens %d, temperature %g, top_p %g)",
                         options->max_new_tokens, options->temperature, options->top_p);
    // each generated token sits at a text position; the last one must still have a position embedding
    int max_new = options->max_new_tokens;
    if (max_new > c->max_text_len - prompt_len) max_new = c->max_text_len - prompt_len;
    int D = c->dim, V = c->vocab_size, I = MODEL_IMAGE_COUNT * model_image_tokens(c);
    int prefix = I + prompt_len, capacity = prefix + max_new;
    for (int i = 0; i < n_samples; i++) out_lengths[i] = 0;
    if (max_new == 0) return 0;

    int text_len = prompt_len;
    ModelBatch batch = {.batch_size = 1, .text_len_max = prompt_len, .images = images, .tokens = prompt,
                        .text_len = &text_len, .prefix_len = &text_len, .dimension = options->dimension};
    if (model_forward_hidden(model, &batch, err) != 0) return error_prefix(err, "model_generate: ");
    KvCache *cache = kv_cache_reserve(model, n_samples, capacity);
    if (!cache) return error_set(err, "model_generate: out of memory for %d samples of %d tokens", n_samples, capacity);
    // the prefix keys/values, shared by every sample: (prefix, 3D) rows of each layer's qkv
    for (int l = 0; l < c->layers; l++)
        for (int sample = 0; sample < n_samples; sample++) {
            size_t base = ((size_t)l * n_samples + sample) * capacity * D;
            for (int j = 0; j < prefix; j++) {
                const float *qkv = s->layers[l].qkv + (size_t)j * 3 * D;
                memcpy(cache->keys + base + (size_t)j * D, qkv + D, sizeof(float) * D);
                memcpy(cache->values + base + (size_t)j * D, qkv + 2 * D, sizeof(float) * D);
            }
        }
    const KernelOps *k = model_kernels(model);
    k->matmul_forward(cache->logits, s->final_ln + (size_t)(prompt_len - 1) * D, s->params.token_embedding, NULL, 1,
                      D, V);
    for (int sample = 1; sample < n_samples; sample++)
        memcpy(cache->logits + (size_t)sample * V, cache->logits, sizeof(float) * V);
    int active = n_samples, stopped = 0;
    for (int r = 0; r < n_samples; r++) cache->active[r] = r;
    for (int step = 0; step < max_new && active > 0; step++) {
        int position = prompt_len + step, still = 0;
        for (int r = 0; r < active; r++) {
            int sample = cache->active[r];
            float logprob;
            int token = generate_pick_token(cache->logits + (size_t)r * V, V, options, (uint64_t)sample, position,
                                            cache->probs + (size_t)r * V, cache->order + (size_t)r * V, &logprob);
            out_tokens[(size_t)sample * options->max_new_tokens + step] = token;
            if (out_logprobs) out_logprobs[(size_t)sample * options->max_new_tokens + step] = logprob;
            out_lengths[sample] = step + 1;
            if (options->on_token && options->on_token(options->on_token_user, sample, token) != 0) stopped = 1;
            if (token == options->eos_token || step + 1 == max_new) continue;
            // compact the unfinished rows to the front; r only grows faster than still
            cache->active[still] = sample;
            cache->tokens[still] = token;
            still++;
        }
        active = stopped ? 0 : still;
        if (active > 0) generate_decode_step(model, cache, active, n_samples, capacity, position, prefix + step);
    }
    return 0;
}

// Generation works on one row (the prefix) or a handful of rows (decoding) at a time: it runs on
// the calling thread only, since the OpenMP barriers of per-kernel parallelism cost more than they
// save at that size (measured: base's 344-token prefix + 64 tokens took 0.37 s on 1 thread and
// 0.95 s on 2 on the shared box; small's 64 tokens 11 ms vs 4.5 s under load). Callers that need
// more throughput run several generations on separate threads (each on its own Model).
int model_generate(Model *model, const float *images, const int *prompt, int prompt_len, int n_samples,
                   const GenerateOptions *options, int *out_tokens, int *out_lengths, float *out_logprobs,
                   Error *err) {
#ifdef _OPENMP
    int threads = omp_get_max_threads();
    omp_set_num_threads(1);
#endif
    int rc = generate_run(model, images, prompt, prompt_len, n_samples, options, out_tokens, out_lengths, out_logprobs,
                          err);
#ifdef _OPENMP
    omp_set_num_threads(threads);
#endif
    return rc;
}
