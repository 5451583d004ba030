// error.h — errors reported where they are detected: a message with context, returned to the caller.
#ifndef IAR_CORE_ERROR_H
#define IAR_CORE_ERROR_H

#include <stddef.h>

// Library functions return 0 on success and -1 on failure; on failure they fill *err (when err is
// not NULL) with one line saying what failed, where (file, line of input) and, when useful, what to do.
typedef struct Error {
    char message[1024];
} Error;

// Sets err->message from a printf-style format; returns -1 so callers can `return error_set(...)`.
int error_set(Error *err, const char *format, ...) __attribute__((format(printf, 2, 3)));

// Prepends context ("reading data.jsonl: ") to an existing message; returns -1.
int error_prefix(Error *err, const char *format, ...) __attribute__((format(printf, 2, 3)));

#endif
