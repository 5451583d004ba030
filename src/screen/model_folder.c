// model_folder.c — model + tokenizer read from and written to one folder (layout in model_folder.h).
#include "screen/model_folder.h"

#include <stdlib.h>

#include "core/files.h"

int model_folder_save(const char *dir, const Model *model, const Tokenizer *tokenizer, Error *err) {
    if (dir_create_all(dir, err) != 0) return -1;
    if (model_save(model, dir, err) != 0) return -1;
    if (!tokenizer) return 0;
    char *path = path_join(dir, "tokenizer.json");
    int rc = path ? tokenizer_save(tokenizer, path, err) : error_set(err, "out of memory");
    free(path);
    return rc;
}

int model_folder_load(const char *dir, Model *model, int max_batch, Tokenizer **tokenizer, Error *err) {
    if (tokenizer) {
        *tokenizer = NULL;
        char *path = path_join(dir, "tokenizer.json");
        int rc = path ? tokenizer_load(tokenizer, path, err) : error_set(err, "out of memory");
        free(path);
        if (rc != 0) return -1;
    }
    if (model && model_load(model, dir, max_batch, err) != 0) {
        if (tokenizer) {
            tokenizer_free(*tokenizer);
            *tokenizer = NULL;
        }
        return -1;
    }
    if (model && tokenizer && model->config.vocab_size < tokenizer_vocab_size(*tokenizer)) {
        error_set(err, "%s: the model's vocabulary (%d) is smaller than tokenizer.json's (%d): they do not belong together",
                  dir, model->config.vocab_size, tokenizer_vocab_size(*tokenizer));
        model_free(model);
        tokenizer_free(*tokenizer);
        *tokenizer = NULL;
        return -1;
    }
    return 0;
}
