// screen.c — prompt → generate → decode → parse, and the candidate head's evidence (screen.h).
#include "screen/screen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "screen/model_folder.h"
#include "text/layout.h"

void screen_outputs_free(ScreenOutput *outputs, int count) {
    for (int i = 0; i < count; i++) {
        free(outputs[i].text);
        outputs[i].text = NULL;
    }
}

int screen_scratch_create(ScreenScratch *scratch, const ModelConfig *config, int max_samples, Error *err) {
    memset(scratch, 0, sizeof *scratch);
    if (max_samples < 1) return error_set(err, "screen: max_samples must be at least 1 (got %d)", max_samples);
    scratch->max_samples = max_samples;
    scratch->max_text_len = config->max_text_len;
    size_t L = (size_t)config->max_text_len;
    size_t image_values = (size_t)MODEL_IMAGE_COUNT * 3 * (size_t)config->image_size * (size_t)config->image_size;
    scratch->prompt = malloc(L * sizeof *scratch->prompt);
    scratch->tokens = malloc((size_t)max_samples * L * sizeof *scratch->tokens);
    scratch->logprobs = malloc((size_t)max_samples * L * sizeof *scratch->logprobs);
    scratch->lengths = malloc((size_t)max_samples * sizeof *scratch->lengths);
    scratch->images = malloc(image_values * sizeof *scratch->images);
    if (!scratch->prompt || !scratch->tokens || !scratch->logprobs || !scratch->lengths || !scratch->images) {
        screen_scratch_free(scratch);
        return error_set(err, "screen: out of memory for %d completions of %zu tokens", max_samples, L);
    }
    return 0;
}

void screen_scratch_free(ScreenScratch *scratch) {
    free(scratch->prompt);
    free(scratch->tokens);
    free(scratch->logprobs);
    free(scratch->lengths);
    free(scratch->images);
    memset(scratch, 0, sizeof *scratch);
}

int screen_prepared(Model *model, const Tokenizer *tokenizer, ScreenScratch *scratch, const float *images,
                    int dimension, const GenerateOptions *options, int n, ScreenOutput *outputs, Error *err) {
    if (n < 1 || n > scratch->max_samples)
        return error_set(err, "screen: %d completions asked, 1 to %d fit", n, scratch->max_samples);
    int L = scratch->max_text_len;
    for (int i = 0; i < n; i++) memset(&outputs[i], 0, sizeof outputs[i]);
    int prompt_len = text_prompt_tokens(tokenizer, dimension, scratch->prompt, L, err);
    if (prompt_len < 0) return -1;
    if (prompt_len >= L) return error_set(err, "screen: the prompt leaves no room to answer in %d tokens", L);
    GenerateOptions run = {.max_new_tokens = 0, .temperature = 0, .top_p = 1, .seed = 0};
    if (options) run = *options;
    run.eos_token = TOKEN_EOS;
    run.dimension = dimension >= 0 ? &dimension : NULL; // a vision tower reads it, as in training
    if (run.max_new_tokens <= 0 || run.max_new_tokens > L - prompt_len) run.max_new_tokens = L - prompt_len;
    scratch->prompt_len = prompt_len;
    scratch->max_new_tokens = run.max_new_tokens;
    if (model_generate(model, images, scratch->prompt, prompt_len, n, &run, scratch->tokens, scratch->lengths,
                       scratch->logprobs, err) != 0)
        return -1;
    // the candidate head read the shared prefix once: one set of evidence for every completion
    const float *flaw = model->candidate_flaw_prob;
    for (int i = 0; i < n; i++) {
        ScreenOutput *out = &outputs[i];
        const int *generated = scratch->tokens + (size_t)i * run.max_new_tokens;
        int length = scratch->lengths[i];
        if (length < 0) length = 0;
        if (length > run.max_new_tokens) length = run.max_new_tokens;
        scratch->lengths[i] = length;
        out->text = tokenizer_decode(tokenizer, generated, length);
        if (!out->text) {
            screen_outputs_free(outputs, n);
            return error_set(err, "screen: out of memory decoding a completion");
        }
        out->answer = answer_parse(out->text);
        out->prompt_tokens = prompt_len;
        out->completion_tokens = length;
        out->truncated = length == run.max_new_tokens && (length == 0 || generated[length - 1] != TOKEN_EOS);
        out->has_evidence = flaw != NULL;
        for (int c = 0; c < CANDIDATE_COUNT; c++) out->evidence[c] = flaw ? flaw[c] : NAN;
    }
    return 0;
}

int screen_model_load(ScreenModel *screen, const char *dir, int max_samples, Error *err) {
    memset(screen, 0, sizeof *screen);
    if (max_samples < 1) max_samples = 1;
    if (model_folder_load(dir, &screen->model, max_samples, &screen->tokenizer, err) != 0) return -1;
    if (screen_scratch_create(&screen->scratch, &screen->model.config, max_samples, err) != 0) {
        screen_model_free(screen);
        return -1;
    }
    return 0;
}

void screen_model_free(ScreenModel *screen) {
    if (screen->tokenizer) {
        model_free(&screen->model);
        tokenizer_free(screen->tokenizer);
    }
    screen_scratch_free(&screen->scratch);
    memset(screen, 0, sizeof *screen);
}

int screen_images(ScreenModel *screen, const Image *images[MODEL_IMAGE_COUNT], int dimension,
                  const GenerateOptions *options, int n, ScreenOutput *outputs, Error *err) {
    for (int i = 0; i < n && i < screen->scratch.max_samples; i++) memset(&outputs[i], 0, sizeof outputs[i]);
    if (model_prepare_images(&screen->model.config, images, screen->scratch.images, err) != 0) return -1;
    return screen_prepared(&screen->model, screen->tokenizer, &screen->scratch, screen->scratch.images, dimension,
                           options, n, outputs, err);
}

AnswerSet screen_output_disputed(const ScreenOutput *output) {
    if (!output->has_evidence || output->answer.status == ANSWER_PARSE_FAILED) return 0;
    AnswerSet disputed = 0;
    for (int c = 0; c < CANDIDATE_COUNT; c++)
        if ((output->answer.set >> c & 1) != (output->evidence[c] > 0.5f)) disputed |= (AnswerSet)(1u << c);
    return disputed;
}
