// image_sets.c — sets of five images named by the user (a CSV, a folder of folders, or five paths)
// turned into unlabelled samples with absolute image paths.
#include "data/image_sets.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/files.h"
#include "data/paths.h"

#define IMAGE_SETS_MAX_BYTES ((size_t)64 << 20)
#define CSV_MAX_COLUMNS 32

// Adds the set once, or once per dimension when `dimension` is -1 (ids "ID:dimension").
static int add_set(Dataset *out, const char *id, char *const absolute[5], int dimension, Error *err) {
    for (int d = dimension < 0 ? 0 : dimension; d < (dimension < 0 ? DIMENSION_COUNT : dimension + 1); d++) {
        Sample sample = {.dimension = (Dimension)d, .answer_unknown = 1};
        char full_id[512];
        if (dimension < 0) snprintf(full_id, sizeof full_id, "%s:%s", id, dimension_id((Dimension)d));
        else snprintf(full_id, sizeof full_id, "%s", id);
        sample.id = string_duplicate(full_id);
        sample.original = string_duplicate(absolute[0]);
        int ok = sample.id && sample.original;
        for (int i = 0; i < CANDIDATE_COUNT; i++) ok = (sample.candidates[i] = string_duplicate(absolute[i + 1])) && ok;
        if (!ok || dataset_add(out, &sample, err) != 0) {
            sample_free(&sample);
            return ok ? -1 : error_set(err, "out of memory");
        }
    }
    return 0;
}

static int add_paths(Dataset *out, const char *id, const char *base_dir, const char *const paths[5], int dimension,
                     const char *where, Error *err) {
    char *absolute[5] = {0};
    int rc = 0;
    for (int i = 0; i < 5 && rc == 0; i++) {
        if (!paths[i] || !paths[i][0]) {
            rc = error_set(err, "%s: set %s has no %s image", where, id, i == 0 ? "original" : (const char[]){'A' + i - 1, 0});
            break;
        }
        char *joined = path_join(base_dir, paths[i]);
        absolute[i] = joined ? data_path_absolute(joined) : NULL;
        free(joined);
        if (!absolute[i]) rc = error_set(err, "out of memory");
    }
    if (rc == 0) rc = add_set(out, id, absolute, dimension, err);
    for (int i = 0; i < 5; i++) free(absolute[i]);
    return rc;
}

int image_sets_from_paths(Dataset *out, const char *id, const char *const paths[5], int dimension, Error *err) {
    memset(out, 0, sizeof *out);
    if (add_paths(out, id, ".", paths, dimension, "screen", err) != 0) {
        dataset_free(out);
        return -1;
    }
    return 0;
}

// ---- CSV ----

int image_sets_csv_split(char *line, char **fields, int max_fields, char **next) {
    int count = 0;
    char *in = line, *out = line;
    for (;;) {
        if (count == max_fields) return -1;
        fields[count++] = out;
        if (*in == '"') {
            in++;
            for (;;) {
                if (!*in) return -1;
                if (*in == '"' && in[1] == '"') *out++ = '"', in += 2;
                else if (*in == '"') { in++; break; }
                else *out++ = *in++;
            }
        }
        while (*in && *in != ',' && *in != '\n' && *in != '\r') *out++ = *in++;
        char separator = *in;
        *out++ = 0;
        if (separator == ',') {
            in++;
            continue;
        }
        // `out` may have just overwritten the separator: step over it by what it was
        if (separator == '\r') in++;
        if (separator == '\n' || (separator == '\r' && *in == '\n')) in++;
        *next = in;
        return count;
    }
}

void image_sets_row_id(size_t line, char *buffer, size_t size) { snprintf(buffer, size, "row%06zu", line - 1); }

static int column_role(const char *name) {
    static const char *const NAMES[][3] = {{"original", "orig", "o"}, {"a", "candidate_a", "A"},
                                           {"b", "candidate_b", "B"}, {"c", "candidate_c", "C"},
                                           {"d", "candidate_d", "D"}, {"id", "name", "id"},
                                           {"dimension", "dim", "dimension"}};
    while (isspace((unsigned char)*name)) name++;
    for (int role = 0; role < 7; role++)
        for (int k = 0; k < 3; k++)
            if (strcasecmp(name, NAMES[role][k]) == 0) return role;
    return -1;
}

static int load_csv(Dataset *out, const char *path, int dimension, Error *err) {
    char *text = NULL;
    size_t size = 0;
    if (file_read_all(path, IMAGE_SETS_MAX_BYTES, &text, &size, err) != 0) return -1;
    char *base_dir = path_dirname(path);
    int rc = base_dir ? 0 : error_set(err, "out of memory");
    int column_of[7] = {-1, -1, -1, -1, -1, -1, -1};
    char *cursor = text, *fields[CSV_MAX_COLUMNS];
    size_t line = 0;
    while (rc == 0 && *cursor) {
        line++;
        char *next = cursor + strlen(cursor);
        int count = image_sets_csv_split(cursor, fields, CSV_MAX_COLUMNS, &next);
        cursor = next;
        if (count < 0) {
            rc = error_set(err, "%s:%zu: unterminated quote or more than %d columns", path, line, CSV_MAX_COLUMNS);
            break;
        }
        if (count == 1 && !fields[0][0]) continue; // blank line
        if (line == 1) {
            for (int c = 0; c < count; c++) {
                int role = column_role(fields[c]);
                if (role >= 0) column_of[role] = c;
            }
            for (int role = 0; role < 5 && rc == 0; role++)
                if (column_of[role] < 0)
                    rc = error_set(err, "%s:1: the header needs the columns original,a,b,c,d (missing %s)", path,
                                   role == 0 ? "original" : (const char[]){'a' + role - 1, 0});
            continue;
        }
        const char *paths[5];
        for (int role = 0; role < 5; role++) paths[role] = column_of[role] < count ? fields[column_of[role]] : NULL;
        char id[64];
        image_sets_row_id(line, id, sizeof id);
        const char *given_id = column_of[5] >= 0 && column_of[5] < count && fields[column_of[5]][0] ? fields[column_of[5]] : id;
        int row_dimension = dimension;
        if (column_of[6] >= 0 && column_of[6] < count && fields[column_of[6]][0]) {
            Dimension d;
            if (dimension_parse(fields[column_of[6]], &d) != 0) {
                rc = error_set(err, "%s:%zu: unknown dimension '%.40s' (deformation, lighting, placement, extension)",
                               path, line, fields[column_of[6]]);
                break;
            }
            row_dimension = (int)d;
        }
        char where[600];
        snprintf(where, sizeof where, "%s:%zu", path, line);
        rc = add_paths(out, given_id, base_dir, paths, row_dimension, where, err);
    }
    if (rc == 0 && line < 1) rc = error_set(err, "%s: empty CSV (expected a header original,a,b,c,d)", path);
    free(base_dir);
    free(text);
    return rc;
}

// ---- folders ----

// Finds STEM.png / .jpg / .jpeg (any case) in `dir`; malloc'd file name or NULL.
static char *find_image(const char *dir, const char *stem) {
    DIR *folder = opendir(dir);
    if (!folder) return NULL;
    char *found = NULL;
    size_t stem_size = strlen(stem);
    for (struct dirent *entry; !found && (entry = readdir(folder));) {
        const char *name = entry->d_name;
        if (strncasecmp(name, stem, stem_size) != 0 || name[stem_size] != '.') continue;
        const char *ext = name + stem_size + 1;
        if (strcasecmp(ext, "png") == 0 || strcasecmp(ext, "jpg") == 0 || strcasecmp(ext, "jpeg") == 0)
            found = string_duplicate(name);
    }
    closedir(folder);
    return found;
}

// 1 when `dir` holds the five images of one set (paths returned malloc'd), 0 otherwise.
static int folder_set(const char *dir, char *names[5]) {
    static const char *const STEMS[5] = {"original", "a", "b", "c", "d"};
    int complete = 1;
    for (int i = 0; i < 5; i++) complete = (names[i] = find_image(dir, STEMS[i])) && complete;
    if (!complete)
        for (int i = 0; i < 5; i++) free(names[i]), names[i] = NULL;
    return complete;
}

static int compare_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int load_folder(Dataset *out, const char *dir, int dimension, Error *err) {
    char *names[5];
    if (folder_set(dir, names)) {
        const char *base = strrchr(dir, '/');
        int rc = add_paths(out, base && base[1] ? base + 1 : dir, dir, (const char *const *)names, dimension, dir, err);
        for (int i = 0; i < 5; i++) free(names[i]);
        return rc;
    }
    DIR *folder = opendir(dir);
    if (!folder) return error_set(err, "%s: cannot open the folder", dir);
    char **subfolders = NULL;
    size_t count = 0, capacity = 0;
    int rc = 0;
    for (struct dirent *entry; rc == 0 && (entry = readdir(folder));) {
        if (entry->d_name[0] == '.') continue;
        char *child = path_join(dir, entry->d_name);
        struct stat info;
        if (child && stat(child, &info) == 0 && S_ISDIR(info.st_mode)) {
            if (count == capacity) {
                capacity = capacity ? capacity * 2 : 64;
                char **grown = realloc(subfolders, capacity * sizeof *grown);
                if (!grown) rc = error_set(err, "out of memory");
                else subfolders = grown;
            }
            if (rc == 0) subfolders[count++] = string_duplicate(entry->d_name);
        }
        free(child);
    }
    closedir(folder);
    if (count) qsort(subfolders, count, sizeof *subfolders, compare_names); // readdir's order is arbitrary
    for (size_t i = 0; i < count && rc == 0; i++) {
        char *child = path_join(dir, subfolders[i]);
        if (child && folder_set(child, names)) {
            rc = add_paths(out, subfolders[i], child, (const char *const *)names, dimension, child, err);
            for (int k = 0; k < 5; k++) free(names[k]);
        }
        free(child);
    }
    for (size_t i = 0; i < count; i++) free(subfolders[i]);
    free(subfolders);
    if (rc == 0 && out->count == 0)
        rc = error_set(err, "%s: no image sets (each set is a folder with original.png and a/b/c/d.png, or .jpg)", dir);
    return rc;
}

int image_sets_load(Dataset *out, const char *path, int dimension, Error *err) {
    memset(out, 0, sizeof *out);
    struct stat info;
    if (stat(path, &info) != 0) return error_set(err, "%s: no such file or folder", path);
    int rc = S_ISDIR(info.st_mode) ? load_folder(out, path, dimension, err) : load_csv(out, path, dimension, err);
    if (rc != 0) dataset_free(out);
    return rc;
}
