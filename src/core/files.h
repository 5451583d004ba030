// files.h — small file and path helpers shared by every part.
#ifndef IAR_CORE_FILES_H
#define IAR_CORE_FILES_H

#include <stddef.h>
#include <stdio.h>

#include "core/error.h"

// Opens a regular file for reading; refuses anything else (a FIFO, device, socket or folder) without
// blocking on it. NULL with err on failure.
FILE *file_open_regular(const char *path, Error *err);
// Reads a whole regular file (see file_open_regular) into a NUL-terminated malloc'd buffer; refuses
// files over max_bytes (0: no limit).
int file_read_all(const char *path, size_t max_bytes, char **out, size_t *out_size, Error *err);
// Writes via a temporary file and rename, so a crash never leaves a half-written file.
int file_write_atomic(const char *path, const void *data, size_t size, Error *err);
int file_exists(const char *path);
int dir_create_all(const char *path, Error *err); // mkdir -p
// Takes an exclusive flock on dir/name (created when absent; it is never removed, so two processes
// always lock the same file) without waiting. 0: held, *out_fd to give to dir_unlock; 1: another
// process holds it (*holder: its pid when known, else 0; may be NULL); -1: error.
int dir_lock(const char *dir, const char *name, int *out_fd, long *holder, Error *err);
void dir_unlock(int fd);
// Joins a folder and a relative path ("a/b" + "c.png" -> "a/b/c.png"); malloc'd.
char *path_join(const char *dir, const char *name);
// Folder part of a path ("a/b/c.jsonl" -> "a/b", "c.jsonl" -> "."); malloc'd.
char *path_dirname(const char *path);
// 1 when `rel` is a relative path that stays inside its base folder (no leading '/', no '..'
// component that climbs out, no backslashes or NUL tricks); 0 otherwise.
int path_is_safe_relative(const char *rel);
char *string_duplicate(const char *s); // strdup that accepts NULL

#endif
