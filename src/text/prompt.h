// prompt.h — the question put to a model for a sample: the built-in template (overridable by a
// file for HTTP backends) and the short prompt the native model is trained on.
#ifndef IAR_TEXT_PROMPT_H
#define IAR_TEXT_PROMPT_H

#include "text/dimension.h"

// System prompt and user question for chat models (HTTP backends). malloc'd.
char *prompt_system_text(void);
// A sample's own question when it has one (not NULL or empty), else the template's for its
// dimension (any value outside 0..3: a dimension-free question).
char *prompt_question_text(const char *question, Dimension dimension);
// The native model's prompt text for a dimension (-1: unknown). malloc'd.
char *prompt_native_text(int dimension);

#endif
