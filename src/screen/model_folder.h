// model_folder.h — a model folder (DESIGN §3): what inference needs, whoever wrote it.
//   model.safetensors + config.json   via model_save / model_load
//   tokenizer.json                    via tokenizer_save / tokenizer_load
// A training checkpoint is a model folder plus state.bin (train/checkpoint.h).
#ifndef IAR_SCREEN_MODEL_FOLDER_H
#define IAR_SCREEN_MODEL_FOLDER_H

#include "core/error.h"
#include "model/model.h"
#include "text/tokenizer.h"

// Writes the model and, when tokenizer is not NULL, tokenizer.json into `dir` (created if needed).
int model_folder_save(const char *dir, const Model *model, const Tokenizer *tokenizer, Error *err);
// Loads model and tokenizer (either output may be NULL to skip it) and checks that they belong
// together (the model's vocabulary covers the tokenizer's).
int model_folder_load(const char *dir, Model *model, int max_batch, Tokenizer **tokenizer, Error *err);

#endif
