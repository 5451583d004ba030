// utf8.c — UTF-8 validation, repair (invalid bytes become U+FFFD) and cutting on a character boundary.
#include "core/utf8.h"

#include <stdlib.h>
#include <string.h>

size_t utf8_sequence_size(const unsigned char *s, size_t left) {
    if (left == 0) return 0;
    if (s[0] < 0x80) return 1;
    size_t n = s[0] >= 0xC2 && s[0] <= 0xDF ? 2 : s[0] >= 0xE0 && s[0] <= 0xEF ? 3 : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : 0;
    if (n == 0 || n > left) return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    if (n == 3 && ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0))) return 0; // overlong, surrogate
    if (n == 4 && ((s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90))) return 0;  // overlong, > U+10FFFF
    return n;
}

int utf8_is_valid(const char *text, size_t length, size_t *bad_offset) {
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0; i < length;) {
        size_t n = utf8_sequence_size(s + i, length - i);
        if (n == 0) {
            if (bad_offset) *bad_offset = i;
            return 0;
        }
        i += n;
    }
    return 1;
}

char *utf8_sanitize(const char *text) {
    const unsigned char *in = (const unsigned char *)(text ? text : "");
    size_t size = strlen((const char *)in);
    char *out = malloc(size * 3 + 1); // each invalid byte may become the 3-byte U+FFFD
    if (!out) return NULL;
    size_t n = 0;
    for (size_t i = 0; i < size;) {
        size_t length = utf8_sequence_size(in + i, size - i);
        if (length) {
            memcpy(out + n, in + i, length);
            n += length;
            i += length;
        } else {
            memcpy(out + n, "\xEF\xBF\xBD", 3);
            n += 3;
            i++;
        }
    }
    out[n] = 0;
    return out;
}

size_t utf8_cut(const char *text, size_t max_bytes) {
    size_t n = strnlen(text, max_bytes + 1);
    if (n <= max_bytes) return n;
    n = max_bytes;
    // Step back over continuation bytes to the start of the character that straddles the cut.
    while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80) n--;
    return n;
}
