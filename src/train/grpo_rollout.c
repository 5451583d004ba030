// grpo_rollout.c — G completions per prompt sharing the image+prompt prefix (screen_prepared),
// scored, and laid out as training rows (text_row_from_tokens: targets on the completion only),
// with the sampler's log-prob of each target for the update to check its own against.
#include "train/grpo_rollout.h"

#include <stdlib.h>
#include <string.h>

#include "text/layout.h"
#include "text/prompt.h"
#include "train/reward_http.h"

int grpo_rows_create(GrpoRows *rows, int capacity, int T, Error *err) {
    memset(rows, 0, sizeof *rows);
    rows->capacity = capacity;
    rows->T = T;
    size_t cells = (size_t)capacity * (size_t)T;
    rows->tokens = calloc(cells, sizeof *rows->tokens);
    rows->targets = calloc(cells, sizeof *rows->targets);
    rows->sampler_logprobs = calloc(cells, sizeof *rows->sampler_logprobs);
    rows->text_len = calloc((size_t)capacity, sizeof *rows->text_len);
    rows->prefix_len = calloc((size_t)capacity, sizeof *rows->prefix_len);
    rows->sample_index = calloc((size_t)capacity, sizeof *rows->sample_index);
    rows->completion_len = calloc((size_t)capacity, sizeof *rows->completion_len);
    rows->truncated = calloc((size_t)capacity, sizeof *rows->truncated);
    rows->completions = calloc((size_t)capacity, sizeof *rows->completions);
    rows->rewards = calloc((size_t)capacity, sizeof *rows->rewards);
    rows->reward_total = calloc((size_t)capacity, sizeof *rows->reward_total);
    rows->advantages = calloc((size_t)capacity, sizeof *rows->advantages);
    if (!rows->tokens || !rows->targets || !rows->sampler_logprobs || !rows->text_len || !rows->prefix_len ||
        !rows->sample_index || !rows->completion_len || !rows->truncated || !rows->completions || !rows->rewards ||
        !rows->reward_total || !rows->advantages) {
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
    free(rows->sampler_logprobs);
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
    sampler->max_new_tokens = max_new_tokens;
    sampler->outputs = calloc((size_t)max_samples, sizeof *sampler->outputs);
    if (!sampler->outputs) return error_set(err, "GRPO: out of memory for the sampler");
    if (screen_scratch_create(&sampler->scratch, config, max_samples, err) != 0) {
        grpo_sampler_free(sampler);
        return error_prefix(err, "GRPO: ");
    }
    return 0;
}

void grpo_sampler_free(GrpoSampler *sampler) {
    screen_scratch_free(&sampler->scratch);
    free(sampler->outputs);
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
    ScreenScratch *scratch = &sampler->scratch;
    if (n > scratch->max_samples || row_offset + n > rows->capacity || rows->T != scratch->max_text_len)
        return error_set(err, "GRPO: %d completions do not fit the rollout buffers", n);
    const Sample *sample = &source->dataset->samples[sample_index];
    image_shard_read(source->shard, sample_index, scratch->images);
    GenerateOptions generate = {
        .max_new_tokens = sampler->max_new_tokens, .temperature = temperature, .top_p = top_p, .seed = seed};
    if (screen_prepared(model, source->tokenizer, scratch, scratch->images, (int)sample->dimension, &generate, n,
                        sampler->outputs, err) != 0)
        return error_prefix(err, "GRPO rollout of %s: ", sample->id);
    char *prompt = reward->http ? prompt_native_text((int)sample->dimension) : NULL; // what the server is told
    if (reward->http && !prompt) return error_set(err, "GRPO: out of memory");
    int rc = 0;
    for (int i = 0; i < n; i++) { // every row takes over its text, even after a reward failed
        int row = row_offset + i;
        ScreenOutput *output = &sampler->outputs[i];
        const int *generated = scratch->tokens + (size_t)i * scratch->max_new_tokens;
        rows->text_len[row] = text_row_from_tokens(scratch->prompt, scratch->prompt_len, generated,
                                                   output->completion_tokens, rows->T,
                                                   rows->tokens + (size_t)row * rows->T,
                                                   rows->targets + (size_t)row * rows->T);
        rows->prefix_len[row] = scratch->prompt_len;
        // generated token j is the target at position prompt_len - 1 + j (text_row_from_tokens)
        float *logprobs = rows->sampler_logprobs + (size_t)row * rows->T;
        const float *sampled = scratch->logprobs + (size_t)i * scratch->max_new_tokens;
        memset(logprobs, 0, (size_t)rows->T * sizeof *logprobs);
        for (int j = 0; j < output->completion_tokens; j++) logprobs[scratch->prompt_len - 1 + j] = sampled[j];
        rows->sample_index[row] = sample_index;
        rows->completion_len[row] = output->completion_tokens;
        rows->truncated[row] = output->truncated;
        free(rows->completions[row]);
        rows->completions[row] = output->text; // the row owns the text now
        output->text = NULL;
        reward_score_text(reward, rows->completions[row], sample->answer, lambda, &rows->rewards[row]);
        RewardHttpQuery query = {.prompt = prompt, .completion = rows->completions[row], .ground_truth = sample->answer,
                                 .dimension = dimension_id(sample->dimension), .sample_id = sample->id};
        if (reward->http && rc == 0 && reward_http_score(reward->http, &query, &rows->rewards[row].total, err) != 0)
            rc = error_prefix(err, "GRPO reward of %s: ", sample->id);
        rows->reward_total[row] = (float)rows->rewards[row].total;
        rows->advantages[row] = 0.0f;
    }
    free(prompt);
    if (rc != 0) return rc;
    if (rows->count < row_offset + n) rows->count = row_offset + n;
    return 0;
}
