// error.c — formatting of Error messages.
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int error_set(Error *err, const char *format, ...) {
    if (!err) return -1;
    va_list args;
    va_start(args, format);
    vsnprintf(err->message, sizeof err->message, format, args);
    va_end(args);
    return -1;
}

int error_prefix(Error *err, const char *format, ...) {
    if (!err) return -1;
    char prefix[512];
    va_list args;
    va_start(args, format);
    vsnprintf(prefix, sizeof prefix, format, args);
    va_end(args);
    // prefix + old message, cut to fit (memmove: the old message is shifted in place)
    size_t prefix_len = strlen(prefix), old_len = strnlen(err->message, sizeof err->message - 1);
    if (prefix_len > sizeof err->message - 1) prefix_len = sizeof err->message - 1;
    if (prefix_len + old_len > sizeof err->message - 1) old_len = sizeof err->message - 1 - prefix_len;
    memmove(err->message + prefix_len, err->message, old_len);
    memcpy(err->message, prefix, prefix_len);
    err->message[prefix_len + old_len] = 0;
    return -1;
}
