// check.h — CHECK(cond, fmt, ...): a failed condition prints where and why, counts into `failures`
// (a static int of the including test), and the test goes on; main returns failures != 0.
#ifndef IAR_TESTS_SUPPORT_CHECK_H
#define IAR_TESTS_SUPPORT_CHECK_H

#include <stdio.h>

static int failures = 0;
#define CHECK(cond, ...)                                                                                              \
    do {                                                                                                              \
        if (!(cond)) {                                                                                                \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                                      \
            fprintf(stderr, __VA_ARGS__);                                                                             \
            fputc('\n', stderr);                                                                                      \
            failures++;                                                                                               \
        }                                                                                                             \
    } while (0)

#endif
