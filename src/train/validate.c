// validate.c — held-out greedy screening (screen_prepared) scored like `iar eval` does.
#include "train/validate.h"

#include <stdlib.h>
#include <string.h>

#include "eval/score.h"
#include "screen/screen.h"

int validate_generate(Model *model, const Tokenizer *tokenizer, const Dataset *dataset, const ImageShard *shard,
                      const size_t *indices, size_t count, int max_new_tokens, ValidationResult *out,
                      Progress *progress, Error *err) {
    memset(out, 0, sizeof *out);
    double start = time_now_seconds();
    ScreenScratch scratch;
    if (screen_scratch_create(&scratch, &model->config, 1, err) != 0) return -1;
    GenerateOptions greedy = {.max_new_tokens = max_new_tokens, .temperature = 0, .top_p = 1, .seed = 0};
    int rc = 0;
    double completion_tokens = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        const Sample *s = &dataset->samples[indices[i]];
        image_shard_read(shard, indices[i], scratch.images);
        ScreenOutput output;
        if (screen_prepared(model, tokenizer, &scratch, scratch.images, (int)s->dimension, &greedy, 1, &output,
                            err) != 0) {
            rc = -1;
            break;
        }
        int failed = output.answer.status == ANSWER_PARSE_FAILED;
        double exact = failed ? 0 : score_exact(output.answer.set, s->answer);
        double prop = failed ? 0 : score_prop(output.answer.set, s->answer);
        out->parse_failures += failed;
        out->samples++;
        out->exact += exact;
        out->prop += prop;
        completion_tokens += output.completion_tokens;
        if ((unsigned)s->dimension < DIMENSION_COUNT) {
            out->per_dimension_samples[s->dimension]++;
            out->per_dimension_exact[s->dimension] += exact;
        }
        screen_outputs_free(&output, 1);
        if (progress) progress_advance(progress, 1, failed);
    }
    screen_scratch_free(&scratch);
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
