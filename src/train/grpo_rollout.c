// grpo_rollout.c — G completions per prompt sharing the image+prompt prefix, decoded, scored, and
// laid out as training rows (prompt tokens, then completion; targets on the completion only).
#include "train/grpo_rollout.h"

#include <stdlib.h>
#include <string.h>

int grpo_rows_create(GrpoRows *rows, int capacity, int T, Error *err) {
    memset(rows, 0, sizeof *rows);
    rows->capacity = capacity;
    rows->T = T;
    size_t cells = (size_t)capacity * (size_t)T;
    rows->tokens = calloc(cells, sizeof *rows->tokens);
    rows->targets = calloc(cells, sizeof *rows->targets);
    rows->text_len = calloc((size_t)capacity, sizeof *rows->text_len);
    rows->prefix_len = calloc((size_t)capacity, sizeof *rows->prefix_len);
    rows->sample_index = calloc((size_t)capacity, sizeof *rows->sample_index);
    rows->completion_len = calloc((size_t)capacity, sizeof *rows->completion_len);
    rows->truncated = calloc((size_t)capacity, sizeof *rows->truncated);
    rows->completions = calloc((size_t)capacity, sizeof *rows->completions);
    rows->rewards = calloc((size_t)capacity, sizeof *rows->rewards);
    rows->reward_total = calloc((size_t)capacity, sizeof *rows->reward_total);
    rows->advantages = calloc((size_t)capacity, sizeof *rows->advantages);
    if (!rows->tokens || !rows->targets || !rows->text_len || !rows->prefix_len || !rows->sample_index ||
        !rows->completion_len || !rows->truncated || !rows->completions || !rows->rewards || !rows->reward_total ||
        !rows->advantages) {
        grpo_rows_free(rows);
        return error_set(err, "GRPO: out of memory for %d rollout rows of %d tokens", capacity, T);
    }
    return 0;
}

void grpo_rows_free(GrpoRows *rows) {
    if (rows->completions)
        for (int i = 0; i < rows->capacity; i++) free(rows->completions[i]);
    free(rows->tokens);
    free(rows->targets);
    free(rows->text_len);
    free(rows->prefix_len);
    free(rows->sample_index);
    free(rows->completion_len);
    free(rows->truncated);
    free(rows->completions);
    free(rows->rewards);
    free(rows->reward_total);
    free(rows->advantages);
    memset(rows, 0, sizeof *rows);
}

int grpo_sampler_create(GrpoSampler *sampler, const ModelConfig *config, int max_samples, int max_new_tokens,
                        Error *err) {
    memset(sampler, 0, sizeof *sampler);
    sampler->max_samples = max_samples;
    sampler->max_new_tokens = max_new_tokens;
    sampler->prompt_capacity = config->max_text_len;
    size_t image_values = (size_t)MODEL_IMAGE_COUNT * 3 * (size_t)config->image_size * (size_t)config->image_size;
    sampler->prompt = malloc((size_t)config->max_text_len * sizeof *sampler->prompt);
    sampler->out_tokens = malloc((size_t)max_samples * (size_t)max_new_tokens * sizeof *sampler->out_tokens);
    sampler->out_lengths = malloc((size_t)max_samples * sizeof *sampler->out_lengths);
    sampler->images = malloc(image_values * sizeof *sampler->images);
    if (!sampler->prompt || !sampler->out_tokens || !sampler->out_lengths || !sampler->images) {
        grpo_sampler_free(sampler);
        return error_set(err, "GRPO: out of memory for the sampler");
    }
    return 0;
}

void grpo_sampler_free(GrpoSampler *sampler) {
    free(sampler->prompt);
    free(sampler->out_tokens);
    free(sampler->out_lengths);
    free(sampler->images);
    memset(sampler, 0, sizeof *sampler);
}

void grpo_rollout_images(const GrpoSource *source, size_t sample_index, int n, size_t values_per_image,
                         float *out) {
    image_shard_read(source->shard, sample_index, out);
    for (int i = 1; i < n; i++) memcpy(out + (size_t)i * values_per_image, out, values_per_image * sizeof *out);
}

int grpo_rollout_prompt(Model *model, GrpoSampler *sampler, const GrpoSource *source, size_t sample_index,
                        int n, float temperature, float top_p, uint64_t seed, const RewardConfig *reward,
                        double lambda, GrpoRows *rows, int row_offset, Error *err) {
    if (n > sampler->max_samples || row_offset + n > rows->capacity)
        return error_set(err, "GRPO: %d completions do not fit the rollout buffers", n);
    const Sample *sample = &source->dataset->samples[sample_index];
    int prompt_len = text_prompt_tokens(source->tokenizer, (int)sample->dimension, sampler->prompt,
                                        sampler->prompt_capacity, err);
    if (prompt_len < 0) return -1;
    int max_new = sampler->max_new_tokens;
    if (prompt_len + max_new > rows->T) max_new = rows->T - prompt_len;
    if (max_new < 1)
        return error_set(err, "GRPO: the prompt of %s (%d tokens) leaves no room for an answer in %d tokens",
                         sample->id, prompt_len, rows->T);
    image_shard_read(source->shard, sample_index, sampler->images);
    GenerateOptions generate = {
        .max_new_tokens = max_new, .temperature = temperature, .top_p = top_p, .seed = seed, .eos_token = TOKEN_EOS};
    if (model_generate(model, sampler->images, sampler->prompt, prompt_len, n, &generate, sampler->out_tokens,
                       sampler->out_lengths, NULL, err) != 0)
        return error_prefix(err, "GRPO rollout of %s: ", sample->id);
    // (n, T): prompt, completion, padding; targets on the completion (shifted by one)
    for (int i = 0; i < n; i++) {
        int row = row_offset + i;
        int *tokens = rows->tokens + (size_t)row * rows->T, *targets = rows->targets + (size_t)row * rows->T;
        const int *generated = sampler->out_tokens + (size_t)i * max_new;
        int length = sampler->out_lengths[i];
        if (length < 0) length = 0;
        if (length > max_new) length = max_new;
        memcpy(tokens, sampler->prompt, (size_t)prompt_len * sizeof *tokens);
        memcpy(tokens + prompt_len, generated, (size_t)length * sizeof *tokens);
        int text_len = prompt_len + length;
        for (int t = text_len; t < rows->T; t++) tokens[t] = TOKEN_PAD;
        for (int t = 0; t < rows->T; t++)
            targets[t] = (t >= prompt_len - 1 && t < text_len - 1) ? tokens[t + 1] : -1;
        rows->text_len[row] = text_len;
        rows->prefix_len[row] = prompt_len;
        rows->sample_index[row] = sample_index;
        rows->completion_len[row] = length;
        rows->truncated[row] = length == max_new && (length == 0 || generated[length - 1] != TOKEN_EOS);
        free(rows->completions[row]);
        rows->completions[row] = tokenizer_decode(source->tokenizer, generated, length);
        if (!rows->completions[row]) return error_set(err, "GRPO: out of memory decoding a completion");
        reward_score_text(reward, rows->completions[row], sample->answer, lambda, &rows->rewards[row]);
        rows->reward_total[row] = (float)rows->rewards[row].total;
        rows->advantages[row] = 0.0f;
    }
    if (rows->count < row_offset + n) rows->count = row_offset + n;
    return 0;
}
