// convert.h — the conversational form used by TRL, LLaMA-Factory and VLM-R1 (docs/DATA.md has the
// exact layout): one JSON object a line with "messages" (user: five <image> placeholders then the
// question; assistant: the rationale, or just <answer>…</answer>) and "images" (original, A, B, C, D),
// plus "id", "dimension" and "meta" so that converting back loses nothing.
#ifndef IAR_DATA_CONVERT_H
#define IAR_DATA_CONVERT_H

#include "data/dataset.h"

#define CONVERT_IMAGE_TOKEN "<image>"

typedef struct ConvertOptions {
    int system_prompt;   // 1: start each conversation with the built-in system message
    int absolute_images; // 1: write absolute image paths instead of paths relative to the output
    int content_parts;   // 1: content as a list of {"type":"image"} / {"type":"text"} parts (TRL, HF
                         // chat templates) instead of a string with <image> placeholders
} ConvertOptions;

// One sample as a messages record (a single line, no newline). `images` are the five paths to
// write (original, A..D) as they should appear in the output. malloc'd; NULL with err on failure
// (out of memory, or a rationale whose <answer> differs from the gold answer).
char *convert_sample_to_messages(const Sample *sample, const char *const images[CANDIDATE_COUNT + 1],
                                 const ConvertOptions *options, Error *err);
// One messages record back into a sample. Accepts "messages" (role/content, content as a string or
// a list of {"type":"text"} / {"type":"image"} parts) or the ShareGPT "conversations" (from/value),
// and "images" (or "image"). The answer comes from the assistant text through answer_parse, the
// dimension from a "dimension" field or else the question text. Image paths are copied as written.
int convert_messages_to_sample(Sample *out, const char *line, size_t line_number, Error *err);

// Whole files. To messages: image paths become relative to the output file's folder. From
// messages: image paths (relative to the messages file's folder, or absolute) become relative to
// the output dataset's folder, and must lie inside it. Both write atomically.
int convert_file_to_messages(const char *dataset_path, const char *out_path, const ConvertOptions *options,
                             size_t *written, Error *err);
int convert_file_from_messages(const char *messages_path, const char *out_path, size_t *written, Error *err);

#endif
