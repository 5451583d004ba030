// vlm.c — a checkpoint folder (model + tokenizer) used as a screener: prepare the five images,
// build the prompt in the shared text layout (train/loader.h), generate, decode.
#include "model/vlm.h"

#include <stdlib.h>
#include <string.h>

#include "train/checkpoint.h"
#include "train/loader.h"

int vlm_load(Vlm *vlm, const char *checkpoint_dir, int max_batch, Error *err) {
    memset(vlm, 0, sizeof *vlm);
    if (checkpoint_load_model(checkpoint_dir, &vlm->model, max_batch > 0 ? max_batch : 1, &vlm->tokenizer, err) != 0)
        return -1;
    return 0;
}

void vlm_free(Vlm *vlm) {
    if (vlm->tokenizer) {
        model_free(&vlm->model);
        tokenizer_free(vlm->tokenizer);
    }
    memset(vlm, 0, sizeof *vlm);
}

// The native model reads only the dimension's short prompt: a free-form question is not part of
// what it was trained on, so `question` is accepted and ignored.
int vlm_screen(Vlm *vlm, const Image *images[MODEL_IMAGE_COUNT], int dimension, const char *question,
               const GenerateOptions *options, int n_samples, VlmOutput *outputs, Error *err) {
    (void)question;
    const ModelConfig *config = &vlm->model.config;
    int L = config->max_text_len;
    if (n_samples < 1) return error_set(err, "screen: n_samples must be at least 1");
    size_t pixels = (size_t)MODEL_IMAGE_COUNT * 3 * config->image_size * config->image_size;
    float *prepared = malloc(pixels * sizeof *prepared);
    int *prompt = malloc((size_t)L * sizeof *prompt);
    if (!prepared || !prompt) {
        free(prepared), free(prompt);
        return error_set(err, "out of memory");
    }
    int rc = model_prepare_images(config, images, prepared, err);
    int prompt_len = rc == 0 ? text_prompt_tokens(vlm->tokenizer, dimension, prompt, L, err) : -1;
    if (rc == 0 && prompt_len < 0) rc = -1;
    if (rc == 0 && prompt_len >= L) rc = error_set(err, "screen: the prompt leaves no room to answer");
    GenerateOptions run = {.max_new_tokens = L - 1, .temperature = 0, .top_p = 1, .seed = 0, .eos_token = TOKEN_EOS};
    if (options) run = *options;
    run.eos_token = TOKEN_EOS;
    if (rc == 0 && (run.max_new_tokens <= 0 || run.max_new_tokens > L - prompt_len)) run.max_new_tokens = L - prompt_len;
    int *tokens = rc == 0 ? malloc((size_t)n_samples * run.max_new_tokens * sizeof *tokens) : NULL;
    int *lengths = rc == 0 ? malloc((size_t)n_samples * sizeof *lengths) : NULL;
    if (rc == 0 && (!tokens || !lengths)) rc = error_set(err, "out of memory");
    if (rc == 0)
        rc = model_generate(&vlm->model, prepared, prompt, prompt_len, n_samples, &run, tokens, lengths, NULL, err);
    for (int s = 0; s < n_samples; s++) outputs[s] = (VlmOutput){NULL, 0, 0};
    for (int s = 0; s < n_samples && rc == 0; s++) {
        outputs[s].text = tokenizer_decode(vlm->tokenizer, tokens + (size_t)s * run.max_new_tokens, lengths[s]);
        outputs[s].prompt_tokens = prompt_len;
        outputs[s].completion_tokens = lengths[s];
        if (!outputs[s].text) rc = error_set(err, "out of memory");
    }
    if (rc != 0)
        for (int s = 0; s < n_samples; s++) free(outputs[s].text), outputs[s].text = NULL;
    free(prepared), free(prompt), free(tokens), free(lengths);
    return rc;
}
