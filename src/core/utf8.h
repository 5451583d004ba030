// utf8.h — UTF-8 validation and repair: every JSON file iar writes must be valid UTF-8 (JSON readers
// such as Python's refuse anything else), but model outputs, server replies and file names are bytes.
#ifndef IAR_CORE_UTF8_H
#define IAR_CORE_UTF8_H

#include <stddef.h>

// Length (1..4) of the well-formed UTF-8 sequence that starts at `s`, at most `left` bytes long;
// 0 when the bytes there are not one (stray continuation, overlong form, surrogate, > U+10FFFF).
size_t utf8_sequence_size(const unsigned char *s, size_t left);
// 1 when text[0..length) is well-formed UTF-8; otherwise 0 and *bad_offset (may be NULL) is the
// offset of the first byte that is not.
int utf8_is_valid(const char *text, size_t length, size_t *bad_offset);
// A copy of `text` (NULL: "") in which every byte that does not start a well-formed sequence is
// replaced by U+FFFD. malloc'd; NULL when out of memory.
char *utf8_sanitize(const char *text);
// The largest n <= max_bytes such that text[0..n) does not end inside a UTF-8 sequence (for cutting
// long text short without producing a broken character). `text` is NUL-terminated.
size_t utf8_cut(const char *text, size_t max_bytes);

#endif
