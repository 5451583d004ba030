// kill_in_rename.c — an LD_PRELOAD shim for crash tests: the Nth rename() of the process kills it
// with SIGKILL, before the rename (IAR_KILL_RENAME_WHEN=before) or right after it (after, the
// default), as a power cut or an OOM kill would at the worst moment. IAR_KILL_RENAME_AT=N (1-based)
// arms it; unset, the shim only counts, and writes the count to IAR_KILL_RENAME_COUNT_FILE at exit
// when that is set. Built by the Makefile as BUILD/tests/kill_in_rename.so.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long rename_count;

static void write_count(void) {
    const char *path = getenv("IAR_KILL_RENAME_COUNT_FILE");
    if (!path) return;
    FILE *f = fopen(path, "w");
    if (f) fprintf(f, "%ld\n", rename_count), fclose(f);
}

__attribute__((constructor)) static void shim_start(void) { atexit(write_count); }

int rename(const char *from, const char *to) {
    static int (*real_rename)(const char *, const char *);
    if (!real_rename) real_rename = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
    const char *at = getenv("IAR_KILL_RENAME_AT"), *when = getenv("IAR_KILL_RENAME_WHEN");
    rename_count++;
    int armed = at && atol(at) == rename_count;
    int before = when && strcmp(when, "before") == 0;
    if (armed && before) raise(SIGKILL);
    int rc = real_rename(from, to);
    if (armed) raise(SIGKILL);
    return rc;
}
