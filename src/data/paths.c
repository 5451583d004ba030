// paths.c — lexical absolute and relative paths, and the dataset-folder policy on resolved ones.
#include "data/paths.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/files.h"

char *data_path_absolute(const char *path) {
    char *joined = NULL;
    if (path[0] == '/') {
        joined = string_duplicate(path);
    } else {
        char *cwd = getcwd(NULL, 0);
        if (!cwd) return NULL;
        joined = malloc(strlen(cwd) + strlen(path) + 2);
        if (joined) {
            strcpy(joined, cwd);
            strcat(joined, "/");
            strcat(joined, path);
        }
        free(cwd);
    }
    if (!joined) return NULL;
    // Fold the components in place: `out` never runs ahead of `in`.
    size_t out = 0;
    const char *in = joined;
    while (*in) {
        while (*in == '/') in++;
        const char *end = strchr(in, '/');
        size_t len = end ? (size_t)(end - in) : strlen(in);
        if (len == 0 || (len == 1 && in[0] == '.')) {
            // nothing
        } else if (len == 2 && in[0] == '.' && in[1] == '.') {
            while (out > 0 && joined[out - 1] != '/') out--;
            if (out > 0) out--; // the '/' before the dropped component
        } else {
            joined[out++] = '/';
            memmove(joined + out, in, len);
            out += len;
        }
        in += len;
    }
    if (out == 0) joined[out++] = '/';
    joined[out] = 0;
    return joined;
}

// Number of components of an absolute normalised path ("/" has none).
static size_t component_count(const char *path) {
    size_t n = 0;
    for (const char *p = path; *p; p++)
        if (*p == '/' && p[1]) n++;
    return n;
}

char *data_path_relative(const char *from_dir, const char *target) {
    char *from = data_path_absolute(from_dir), *to = data_path_absolute(target);
    char *result = NULL;
    if (!from || !to) goto done;
    // Walk the shared leading components; `rest` ends up at the first one that differs.
    size_t shared = 0;
    const char *f = from, *t = to;
    while (*f == '/' && *t == '/' && f[1] && t[1]) {
        size_t fl = strcspn(f + 1, "/"), tl = strcspn(t + 1, "/");
        if (fl != tl || memcmp(f + 1, t + 1, fl) != 0) break;
        f += 1 + fl;
        t += 1 + tl;
        shared++;
    }
    size_t ups = component_count(from) - shared;
    const char *rest = *t == '/' ? t + 1 : t;
    result = malloc(ups * 3 + strlen(rest) + 2);
    if (!result) goto done;
    result[0] = 0;
    for (size_t k = 0; k < ups; k++) strcat(result, "../");
    strcat(result, rest);
    size_t n = strlen(result);
    if (n == 0) strcpy(result, ".");
    else if (result[n - 1] == '/') result[n - 1] = 0;
done:
    free(from);
    free(to);
    return result;
}

// 1 when the resolved path `real` lies strictly below the resolved folder `root`.
static int path_is_below(const char *real, const char *root) {
    size_t n = strlen(root);
    if (n == 1 && root[0] == '/') return real[0] == '/' && real[1] != 0;
    return strncmp(real, root, n) == 0 && real[n] == '/' && real[n + 1] != 0;
}

int data_path_resolve_image(const char *root, const char *rel, int allow_outside, char **out, Error *err) {
    *out = NULL;
    char *joined = path_join(root ? root : ".", rel);
    if (!joined) return error_set(err, "'%s': out of memory", rel);
    char *real = realpath(joined, NULL);
    int saved = errno;
    free(joined);
    if (!real)
        return saved == ENOENT || saved == ENOTDIR ? error_set(err, "'%s' is missing", rel)
                                                   : error_set(err, "'%s' cannot be opened: %s", rel, strerror(saved));
    // Only a dataset file's own folder confines its images; paths a user names directly (root NULL) do not.
    if (root && !allow_outside) {
        char *root_real = realpath(root, NULL);
        int inside = root_real && path_is_below(real, root_real);
        free(root_real);
        if (!inside) {
            free(real);
            return error_set(err, "'%s' leads outside the dataset folder (through a symbolic link); "
                                  "pass --allow-outside to read it", rel);
        }
    }
    struct stat st;
    if (stat(real, &st) != 0 || !S_ISREG(st.st_mode)) {
        free(real);
        return error_set(err, "'%s' is not a regular file", rel);
    }
    *out = real;
    return 0;
}
