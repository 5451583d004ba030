// validate.c — held-out greedy generation scored like `iar eval` does.
#include "train/validate.h"

#include <stdlib.h>
#include <string.h>

#include "eval/score.h"
#include "text/answer.h"

int validate_generate(Model *model, const Tokenizer *tokenizer, const Dataset *dataset, const ImageShard *shard,
                      const size_t *indices, size_t count, ValidationResult *out, Progress *progress, Error *err) {
    memset(out, 0, sizeof *out);
    double start = time_now_seconds();
    int L = model->config.max_text_len;
    float *images = malloc(shard->values_per_sample * sizeof *images);
    int *prompt = malloc((size_t)L * sizeof *prompt), *completion = malloc((size_t)L * sizeof *completion);
    if (!images || !prompt || !completion) {
        free(images), free(prompt), free(completion);
        return error_set(err, "out of memory");
    }
    int rc = 0;
    double completion_tokens = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        const Sample *s = &dataset->samples[indices[i]];
        int prompt_len = text_prompt_tokens(tokenizer, (int)s->dimension, prompt, L, err);
        if (prompt_len < 0 || prompt_len >= L) {
            rc = prompt_len < 0 ? -1 : error_set(err, "the prompt leaves no room to answer in %d tokens", L);
            break;
        }
        image_shard_read(shard, indices[i], images);
        GenerateOptions options = {.max_new_tokens = L - prompt_len, .temperature = 0, .top_p = 1, .seed = 0,
                                   .eos_token = TOKEN_EOS};
        int length = 0;
        if (model_generate(model, images, prompt, prompt_len, 1, &options, completion, &length, NULL, err) != 0) {
            rc = -1;
            break;
        }
        char *text = tokenizer_decode(tokenizer, completion, length);
        if (!text) {
            rc = error_set(err, "out of memory");
            break;
        }
        ParsedAnswer parsed = answer_parse(text);
        free(text);
        double exact = 0, prop = 0;
        if (parsed.status == ANSWER_PARSE_FAILED) {
            out->parse_failures++;
        } else {
            exact = score_exact(parsed.set, s->answer);
            prop = score_prop(parsed.set, s->answer);
        }
        out->samples++;
        out->exact += exact;
        out->prop += prop;
        completion_tokens += length;
        if ((unsigned)s->dimension < DIMENSION_COUNT) {
            out->per_dimension_samples[s->dimension]++;
            out->per_dimension_exact[s->dimension] += exact;
        }
        if (progress) progress_advance(progress, 1, parsed.status == ANSWER_PARSE_FAILED);
    }
    free(images), free(prompt), free(completion);
    if (out->samples) {
        out->exact /= (double)out->samples;
        out->prop /= (double)out->samples;
        out->mean_completion_tokens = completion_tokens / (double)out->samples;
    }
    for (int d = 0; d < DIMENSION_COUNT; d++)
        if (out->per_dimension_samples[d]) out->per_dimension_exact[d] /= (double)out->per_dimension_samples[d];
    out->seconds = time_now_seconds() - start;
    return rc;
}
