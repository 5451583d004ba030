// test_files.c — see test_files.h.
#include "test_files.h"

#include <stdlib.h>
#include <string.h>

#include "core/files.h"

int test_files_same(const char *a_dir, const char *b_dir, const char *name) {
    char *a_path = path_join(a_dir, name), *b_path = path_join(b_dir, name), *a = NULL, *b = NULL;
    size_t a_size = 0, b_size = 0;
    Error err;
    int read = a_path && b_path && file_read_all(a_path, 0, &a, &a_size, &err) == 0 &&
               file_read_all(b_path, 0, &b, &b_size, &err) == 0;
    int same = read && a_size == b_size && memcmp(a, b, a_size) == 0;
    free(a);
    free(b);
    free(a_path);
    free(b_path);
    return same;
}
