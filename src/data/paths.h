// paths.h — lexical path arithmetic used when a dataset's image paths move to another folder
// (conversion writes them relative to the output file's folder).
#ifndef IAR_DATA_PATHS_H
#define IAR_DATA_PATHS_H

// Absolute, normalised form of a path ("." and ".." folded, repeated '/' collapsed), taken from the
// current folder when relative. Lexical: symbolic links are not resolved. malloc'd; NULL on failure.
char *data_path_absolute(const char *path);
// The path that leads from folder `from_dir` to `target` ("../img/a.png"). Both are made absolute
// first. malloc'd; NULL on failure.
char *data_path_relative(const char *from_dir, const char *target);

#endif
