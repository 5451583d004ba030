// paths.h — lexical path arithmetic used when a dataset's image paths move to another folder
// (conversion writes them relative to the output file's folder), and the policy that keeps a
// dataset's images inside its folder once symbolic links are resolved.
#ifndef IAR_DATA_PATHS_H
#define IAR_DATA_PATHS_H

#include "core/error.h"

// Absolute, normalised form of a path ("." and ".." folded, repeated '/' collapsed), taken from the
// current folder when relative. Lexical: symbolic links are not resolved. malloc'd; NULL on failure.
char *data_path_absolute(const char *path);
// The path that leads from folder `from_dir` to `target` ("../img/a.png"). Both are made absolute
// first. malloc'd; NULL on failure.
char *data_path_relative(const char *from_dir, const char *target);

// The path policy for a dataset's images: `root`/`rel` resolved through every symbolic link must be
// a regular file strictly inside the resolved `root`, unless `allow_outside`. root NULL: `rel` was
// named by the user (absolute, or relative to the current folder) and only has to be a regular file.
// *out: the resolved path (malloc'd), which callers open instead of the lexical one. On failure err
// reads "'REL' is missing", "... is not a regular file" or "... leads outside the dataset folder ...".
int data_path_resolve_image(const char *root, const char *rel, int allow_outside, char **out, Error *err);

#endif
