// export.h — a dataset written in the layout a training tool loads as-is (docs/DATA.md has each
// layout and the command that loads it):
//   trl-grpo      TRL GRPOTrainer: "prompt" (conversational, image parts), "images", "solution"
//   vlm-r1        VLM-R1: "image" (list) + "conversations" (from human/gpt, <image> tokens)
//   llamafactory  LLaMA-Factory: the ShareGPT-with-messages file plus its dataset_info.json entry
//   sharegpt      classic ShareGPT: "conversations" (from/value), "system", "images"
// Image paths are written relative to the output file's folder (LLaMA-Factory's media_dir,
// VLM-R1's --image_folders), so the folder moves as a whole. The output folder is created when
// missing and every file is written atomically (nothing on error).
#ifndef IAR_DATA_EXPORT_H
#define IAR_DATA_EXPORT_H

#include <stddef.h>

#include "core/error.h"
#include "data/convert.h"

typedef enum ExportFormat {
    EXPORT_MESSAGES, // the plain messages form of convert.h
    EXPORT_TRL_GRPO,
    EXPORT_VLM_R1,
    EXPORT_LLAMAFACTORY,
    EXPORT_SHAREGPT,
} ExportFormat;

// "messages", "trl-grpo", "vlm-r1", "llamafactory", "sharegpt"; -1 for another name.
int export_format_parse(const char *name, ExportFormat *out);
const char *export_format_name(ExportFormat format);

// Writes DATASET (labels required: these are training formats) to OUT in `format`. For
// llamafactory, OUT's folder also gets (or keeps, updated) a dataset_info.json whose entry
// `dataset_name` (NULL: OUT's file name without extension) points at OUT.
int export_dataset(const char *dataset_path, const char *out_path, ExportFormat format, const ConvertOptions *options,
                   const char *dataset_name, size_t *written, Error *err);

#endif
