// cache.h — the response cache of HTTP backends: SQLite, keyed by a SHA-256 of (model, base URL,
// prompt, images, parameters), so a repeated run with the same settings sends no request.
#ifndef IAR_EVAL_CACHE_H
#define IAR_EVAL_CACHE_H

#include "core/error.h"

typedef struct ResponseCache ResponseCache;

int response_cache_open(ResponseCache **out, const char *path, Error *err);
void response_cache_close(ResponseCache *cache);
// 1 and a malloc'd *text when the key is cached, 0 when not, -1 on a database error.
int response_cache_get(ResponseCache *cache, const char *key, char **text, int *prompt_tokens, int *completion_tokens,
                       Error *err);
int response_cache_put(ResponseCache *cache, const char *key, const char *text, int prompt_tokens, int completion_tokens,
                       Error *err);

#endif
