// tokenizer.h — byte-level BPE trained on the dataset's prompts and rationales; saved as tokenizer.json.
#ifndef IAR_TEXT_TOKENIZER_H
#define IAR_TEXT_TOKENIZER_H

#include <stddef.h>

#include "core/error.h"

// Special tokens come first: 0 = <pad>, 1 = <bos>, 2 = <eos>; then the 256 bytes; then merges.
enum { TOKEN_PAD = 0, TOKEN_BOS = 1, TOKEN_EOS = 2, TOKEN_FIRST_BYTE = 3 };

typedef struct Tokenizer Tokenizer;

int tokenizer_train(Tokenizer **out, const char *const *texts, size_t count, int vocab_size, Error *err);
// Same, choosing how text is cut before merging (merges never cross a cut): "iar-chunks-v1" (words
// with their leading space, digit runs, punctuation runs, whitespace runs) or "iar-phrases-v1"
// (runs ending at . , : ; ? ! > or a newline, tags starting a run: merges may span words, which
// shortens templated rationales). tokenizer_train uses TOKENIZER_DEFAULT_PRETOKENIZER.
#define TOKENIZER_DEFAULT_PRETOKENIZER "iar-phrases-v1"
int tokenizer_train_with_pretokenizer(Tokenizer **out, const char *const *texts, size_t count, int vocab_size,
                                 const char *pretokenizer, Error *err);
int tokenizer_load(Tokenizer **out, const char *path, Error *err);
int tokenizer_save(const Tokenizer *tokenizer, const char *path, Error *err);
void tokenizer_free(Tokenizer *tokenizer);
int tokenizer_vocab_size(const Tokenizer *tokenizer);
// Encodes without special tokens; returns the count (may exceed max: then only max are written).
int tokenizer_encode(const Tokenizer *tokenizer, const char *text, int *out, int max);
// Decodes ids to a malloc'd NUL-terminated string; special tokens are skipped.
char *tokenizer_decode(const Tokenizer *tokenizer, const int *ids, int count);

#endif
