// backend_native.c — `native:CKPT`: the built-in model behind the evaluator's backend interface.
// Sequential (the model's kernels use the cores), greedy unless BackendOptions sets a temperature.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/progress.h"
#include "eval/backend.h"
#include "screen/screen.h"

typedef struct NativeState {
    ScreenModel screen;
    BackendOptions options;
} NativeState;

static int native_load_images(const Dataset *dataset, const Sample *sample, Image images[MODEL_IMAGE_COUNT],
                              Error *err) {
    memset(images, 0, sizeof(Image) * MODEL_IMAGE_COUNT);
    for (int i = 0; i < MODEL_IMAGE_COUNT; i++) {
        char *path = NULL; // resolved under the dataset's path policy
        int rc = dataset_image_resolve(dataset, sample, i, &path, err) == 0 ? image_load(&images[i], path, 0, err) : -1;
        free(path);
        if (rc != 0) return -1;
    }
    return 0;
}

static int native_run(Backend *self, const Dataset *dataset, const size_t *indices, size_t count,
                      BackendResultFn on_result, void *user, Progress *progress, Error *err) {
    (void)err;
    NativeState *state = self->state;
    for (size_t i = 0; i < count; i++) {
        const Sample *sample = &dataset->samples[indices[i]];
        double start = time_now_seconds();
        Image images[MODEL_IMAGE_COUNT];
        Error local = {{0}};
        ScreenOutput output;
        memset(&output, 0, sizeof output);
        int rc = native_load_images(dataset, sample, images, &local);
        int unreadable = rc != 0; // asking again cannot help an image that cannot be read or lies outside
        if (rc == 0) {
            const Image *views[MODEL_IMAGE_COUNT];
            for (int k = 0; k < MODEL_IMAGE_COUNT; k++) views[k] = &images[k];
            // the seed is mixed with the position so that sampled runs differ per sample yet repeat exactly
            GenerateOptions options = {.max_new_tokens = state->options.max_tokens,
                                       .temperature = state->options.temperature,
                                       .top_p = 1.0f,
                                       .seed = state->options.seed * 1000003ull + indices[i],
                                       .eos_token = TOKEN_EOS};
            rc = screen_images(&state->screen, views, (int)sample->dimension, &options, 1, &output, &local);
        }
        for (int k = 0; k < MODEL_IMAGE_COUNT; k++) image_free(&images[k]);
        BackendResult result = {.text = rc == 0 ? output.text : NULL,
                                .error = rc == 0 ? NULL : local.message,
                                .error_permanent = unreadable,
                                .prompt_tokens = rc == 0 ? output.prompt_tokens : -1,
                                .completion_tokens = rc == 0 ? output.completion_tokens : -1,
                                .latency_seconds = time_now_seconds() - start,
                                .attempts = 1,
                                .has_evidence = rc == 0 && output.has_evidence};
        if (result.has_evidence) memcpy(result.evidence, output.evidence, sizeof result.evidence);
        on_result(user, indices[i], &result);
        screen_outputs_free(&output, 1);
        progress_advance(progress, 1, rc != 0);
    }
    return 0;
}

static void native_destroy(Backend *self) {
    NativeState *state = self->state;
    if (state) screen_model_free(&state->screen);
    free(state);
    self->state = NULL;
}

int backend_native_open(Backend *out, const char *checkpoint_dir, const BackendOptions *options, Error *err) {
    memset(out, 0, sizeof *out);
    if (!checkpoint_dir || !checkpoint_dir[0]) return error_set(err, "native: give a checkpoint folder, as native:CKPT");
    NativeState *state = calloc(1, sizeof *state);
    if (!state) return error_set(err, "out of memory");
    if (options) state->options = *options;
    else backend_options_default(&state->options);
    if (screen_model_load(&state->screen, checkpoint_dir, 1, err) != 0) {
        free(state);
        return error_prefix(err, "native:%s: ", checkpoint_dir);
    }
    // "native-" + the checkpoint folder's last component
    size_t n = strlen(checkpoint_dir);
    while (n > 1 && checkpoint_dir[n - 1] == '/') n--;
    size_t start = n;
    while (start > 0 && checkpoint_dir[start - 1] != '/') start--;
    snprintf(out->name, sizeof out->name, "native-%.*s", (int)(n - start), checkpoint_dir + start);
    out->state = state;
    out->run = native_run;
    out->destroy = native_destroy;
    return 0;
}
