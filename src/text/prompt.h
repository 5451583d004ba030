// prompt.h — the question put to a model for a sample: the built-in template (overridable by a
// file for HTTP backends) and the short prompt the native model is trained on.
#ifndef IAR_TEXT_PROMPT_H
#define IAR_TEXT_PROMPT_H

#include "data/dataset.h"

// System prompt and user question for chat models (HTTP backends). malloc'd.
char *prompt_system_text(void);
char *prompt_question_text(const Sample *sample);
// The native model's prompt text for a dimension (-1: unknown). malloc'd.
char *prompt_native_text(int dimension);

#endif
