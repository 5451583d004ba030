// files.c — whole-file reads, atomic writes, mkdir -p, folder locks, and path safety.
#include "core/files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *file_kind(mode_t mode) {
    return S_ISDIR(mode) ? "a folder" : S_ISFIFO(mode) ? "a pipe (FIFO)" : S_ISSOCK(mode) ? "a socket"
           : S_ISCHR(mode) || S_ISBLK(mode) ? "a device" : "not a regular file";
}

FILE *file_open_regular(const char *path, Error *err) {
    // Refuse by stat first, then open without blocking and check the opened file again: opening a
    // FIFO for reading blocks until a writer comes, and the path may change between the two looks.
    struct stat st;
    if (stat(path, &st) != 0) {
        error_set(err, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        error_set(err, "%s: is %s, not a regular file", path, file_kind(st.st_mode));
        return NULL;
    }
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        error_set(err, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        error_set(err, "%s: is %s, not a regular file", path, file_kind(st.st_mode));
        close(fd);
        return NULL;
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        error_set(err, "%s: cannot open: %s", path, strerror(errno));
        close(fd);
    }
    return f;
}

int file_read_all(const char *path, size_t max_bytes, char **out, size_t *out_size, Error *err) {
    *out = NULL;
    if (out_size) *out_size = 0;
    FILE *f = file_open_regular(path, err);
    if (!f) return -1;
    if (fseek(f, 0, SEEK_END) != 0) {
        fclose(f);
        return error_set(err, "%s: cannot seek", path);
    }
    long size = ftell(f);
    if (size < 0) {
        fclose(f);
        return error_set(err, "%s: cannot tell size", path);
    }
    if (max_bytes && (size_t)size > max_bytes) {
        fclose(f);
        return error_set(err, "%s: file is %ld bytes, over the limit of %zu", path, size, max_bytes);
    }
    rewind(f);
    char *buffer = malloc((size_t)size + 1);
    if (!buffer) {
        fclose(f);
        return error_set(err, "%s: out of memory reading %ld bytes", path, size);
    }
    size_t got = fread(buffer, 1, (size_t)size, f);
    fclose(f);
    if (got != (size_t)size) {
        free(buffer);
        return error_set(err, "%s: short read", path);
    }
    buffer[size] = 0;
    *out = buffer;
    if (out_size) *out_size = (size_t)size;
    return 0;
}

int file_write_atomic(const char *path, const void *data, size_t size, Error *err) {
    size_t n = strlen(path) + 32;
    char *tmp = malloc(n);
    if (!tmp) return error_set(err, "%s: out of memory", path);
    snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        error_set(err, "%s: cannot create: %s", tmp, strerror(errno));
        free(tmp);
        return -1;
    }
    int ok = fwrite(data, 1, size, f) == size;
    ok = (fflush(f) == 0) && ok;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        error_set(err, "%s: cannot write: %s", path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}

int file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

int dir_create_all(const char *path, Error *err) {
    char *copy = string_duplicate(path);
    if (!copy) return error_set(err, "out of memory");
    size_t len = strlen(copy);
    for (size_t i = 1; i <= len; i++) {
        if (copy[i] == '/' || copy[i] == 0) {
            char saved = copy[i];
            copy[i] = 0;
            if (mkdir(copy, 0755) != 0 && errno != EEXIST) {
                error_set(err, "%s: cannot create folder: %s", copy, strerror(errno));
                free(copy);
                return -1;
            }
            copy[i] = saved;
        }
    }
    free(copy);
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) return error_set(err, "%s: not a folder", path);
    return 0;
}

int dir_lock(const char *dir, const char *name, int *out_fd, long *holder, Error *err) {
    *out_fd = -1;
    if (holder) *holder = 0;
    char *path = path_join(dir, name);
    if (!path) return error_set(err, "out of memory");
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
        error_set(err, "%s: cannot create the lock file: %s", path, strerror(errno));
        free(path);
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int busy = errno == EWOULDBLOCK;
        char text[32] = "";
        ssize_t got = pread(fd, text, sizeof text - 1, 0);
        if (holder && got > 0) *holder = strtol(text, NULL, 10);
        if (busy) error_set(err, "%s: another process holds the lock", dir);
        else error_set(err, "%s: cannot lock: %s", path, strerror(errno));
        close(fd);
        free(path);
        return busy ? 1 : -1;
    }
    // The holder's pid, for the message another process prints; the lock itself is the flock.
    char text[32];
    int n = snprintf(text, sizeof text, "%ld\n", (long)getpid());
    int recorded = ftruncate(fd, 0) == 0 && pwrite(fd, text, (size_t)n, 0) == n;
    (void)recorded; // without it only the other process's message lacks the pid; the lock holds
    free(path);
    *out_fd = fd;
    return 0;
}

void dir_unlock(int fd) {
    if (fd >= 0) close(fd); // closing the last descriptor releases the flock
}

char *path_join(const char *dir, const char *name) {
    if (!dir || !dir[0] || strcmp(dir, ".") == 0 || name[0] == '/') return string_duplicate(name);
    size_t n = strlen(dir) + strlen(name) + 2;
    char *out = malloc(n);
    if (!out) return NULL;
    size_t dl = strlen(dir);
    snprintf(out, n, "%s%s%s", dir, dir[dl - 1] == '/' ? "" : "/", name);
    return out;
}

char *path_dirname(const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) return string_duplicate(".");
    if (slash == path) return string_duplicate("/");
    size_t n = (size_t)(slash - path);
    char *out = malloc(n + 1);
    if (!out) return NULL;
    memcpy(out, path, n);
    out[n] = 0;
    return out;
}

int path_is_safe_relative(const char *rel) {
    if (!rel || !rel[0] || rel[0] == '/' || strchr(rel, '\\') || strchr(rel, ':')) return 0;
    int depth = 0;
    const char *p = rel;
    while (*p) {
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 2 && p[0] == '.' && p[1] == '.') {
            if (--depth < 0) return 0;
        } else if (len > 0 && !(len == 1 && p[0] == '.')) {
            depth++;
        }
        if (!end) break;
        p = end + 1;
    }
    return depth > 0;
}

char *string_duplicate(const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *out = malloc(n);
    if (out) memcpy(out, s, n);
    return out;
}
