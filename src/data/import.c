// import.c — the user's image sets (read by image_sets.c, the same layout `iar screen --batch`
// takes) joined with a labels file into a dataset JSONL: label parsing (CSV, JSON array, JSON
// Lines), matching labels to sets, image paths made relative to the output (or copied next to it).
#include "data/import.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "core/files.h"
#include "core/fnv1a.h"
#include "data/id_index.h"
#include "data/image_sets.h"
#include "data/paths.h"

#define LABELS_MAX_BYTES ((size_t)64 << 20)
#define LABELS_MAX_COLUMNS 32

int import_letters_parse(const char *text, AnswerSet *out, Error *err) {
    *out = 0;
    while (isspace((unsigned char)*text)) text++;
    size_t length = strlen(text);
    while (length && isspace((unsigned char)text[length - 1])) length--;
    if (length == 4 && strncasecmp(text, "none", 4) == 0) return 0;
    if (length == 0) return error_set(err, "empty flawed value (write none when no candidate is flawed)");
    for (size_t i = 0; i < length; i++) {
        char c = text[i];
        if (strchr(" ,;|+/", c)) continue;
        char upper = (char)toupper((unsigned char)c);
        if (upper < 'A' || upper > 'D')
            return error_set(err, "unknown letter '%c' in flawed '%.*s' (A-D, or none)", c, (int)(length > 40 ? 40 : length), text);
        AnswerSet bit = (AnswerSet)(1u << (upper - 'A'));
        if (*out & bit) return error_set(err, "letter %c repeated in flawed '%.*s'", upper, (int)(length > 40 ? 40 : length), text);
        *out |= bit;
    }
    return 0;
}

static int labels_add(ImportLabels *labels, const char *id, int dimension, AnswerSet answer, const char *where, Error *err) {
    if (labels->count == labels->capacity) {
        size_t capacity = labels->capacity ? labels->capacity * 2 : 64;
        ImportLabel *grown = realloc(labels->labels, capacity * sizeof *grown);
        if (!grown) return error_set(err, "out of memory");
        labels->labels = grown;
        labels->capacity = capacity;
    }
    ImportLabel *label = &labels->labels[labels->count];
    memset(label, 0, sizeof *label);
    if (!(label->id = string_duplicate(id))) return error_set(err, "out of memory");
    label->dimension = dimension;
    label->answer = answer;
    snprintf(label->where, sizeof label->where, "%s", where);
    labels->count++;
    return 0;
}

void import_labels_free(ImportLabels *labels) {
    for (size_t i = 0; i < labels->count; i++) free(labels->labels[i].id);
    free(labels->labels);
    memset(labels, 0, sizeof *labels);
}

// "" or a dimension name -> -1 or the Dimension; fails naming `where`.
static int parse_dimension(const char *text, int *out, const char *where, Error *err) {
    *out = -1;
    if (!text || !text[0]) return 0;
    Dimension d;
    if (dimension_parse(text, &d) != 0)
        return error_set(err, "%s: unknown dimension '%.40s' (deformation, lighting, placement, extension)", where, text);
    *out = (int)d;
    return 0;
}

enum { LABEL_COLUMN_ID, LABEL_COLUMN_FLAWED, LABEL_COLUMN_DIMENSION, LABEL_COLUMN_COUNT };

static int label_column_role(const char *name) {
    static const char *const NAMES[LABEL_COLUMN_COUNT][4] = {{"id", "name", "id", "id"},
                                                             {"flawed", "answer", "flawed_candidates", "labels"},
                                                             {"dimension", "dim", "dimension", "dimension"}};
    while (isspace((unsigned char)*name)) name++;
    for (int role = 0; role < LABEL_COLUMN_COUNT; role++)
        for (int k = 0; k < 4; k++)
            if (strcasecmp(name, NAMES[role][k]) == 0) return role;
    return -1;
}

static int labels_load_csv(ImportLabels *out, const char *path, char *text, Error *err) {
    int column_of[LABEL_COLUMN_COUNT] = {-1, -1, -1};
    char *cursor = text, *fields[LABELS_MAX_COLUMNS];
    size_t line = 0;
    int rc = 0;
    while (rc == 0 && *cursor) {
        line++;
        char *next = cursor + strlen(cursor);
        int count = image_sets_csv_split(cursor, fields, LABELS_MAX_COLUMNS, &next);
        cursor = next;
        char where[300];
        snprintf(where, sizeof where, "%s:%zu", path, line);
        if (count < 0) return error_set(err, "%s: unterminated quote or more than %d columns", where, LABELS_MAX_COLUMNS);
        if (count == 1 && !fields[0][0]) continue;
        if (line == 1) {
            for (int c = 0; c < count; c++) {
                int role = label_column_role(fields[c]);
                if (role >= 0) column_of[role] = c;
            }
            if (column_of[LABEL_COLUMN_FLAWED] < 0)
                return error_set(err, "%s:1: the header needs a column flawed (or answer) listing the flawed letters, "
                                      "and id unless rows follow the sets CSV's order", path);
            continue;
        }
        char row_id[64];
        image_sets_row_id(line, row_id, sizeof row_id);
        const char *id = column_of[LABEL_COLUMN_ID] >= 0 && column_of[LABEL_COLUMN_ID] < count
                             ? fields[column_of[LABEL_COLUMN_ID]] : row_id;
        if (!id[0]) return error_set(err, "%s: empty id", where);
        const char *flawed = column_of[LABEL_COLUMN_FLAWED] < count ? fields[column_of[LABEL_COLUMN_FLAWED]] : "";
        int dimension = -1;
        if (column_of[LABEL_COLUMN_DIMENSION] >= 0 && column_of[LABEL_COLUMN_DIMENSION] < count &&
            parse_dimension(fields[column_of[LABEL_COLUMN_DIMENSION]], &dimension, where, err) != 0)
            return -1;
        AnswerSet answer;
        if (import_letters_parse(flawed, &answer, err) != 0) return error_prefix(err, "%s: ", where);
        rc = labels_add(out, id, dimension, answer, where, err);
    }
    if (rc == 0 && line == 0) rc = error_set(err, "%s: empty labels file (expected a header id,dimension,flawed)", path);
    return rc;
}

// One JSON label object; `where` names it in messages.
static int labels_add_json(ImportLabels *out, const cJSON *item, const char *where, Error *err) {
    if (!cJSON_IsObject(item)) return error_set(err, "%s: expected an object {\"id\":..,\"dimension\":..,\"flawed\":..}", where);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "id");
    const cJSON *dimension_item = cJSON_GetObjectItemCaseSensitive(item, "dimension");
    const cJSON *flawed = cJSON_GetObjectItemCaseSensitive(item, "flawed");
    if (!flawed) flawed = cJSON_GetObjectItemCaseSensitive(item, "answer");
    char number[32];
    const char *id_text = cJSON_IsString(id) ? id->valuestring : NULL;
    if (cJSON_IsNumber(id)) snprintf(number, sizeof number, "%.0f", id->valuedouble), id_text = number;
    if (!id_text || !id_text[0]) return error_set(err, "%s: no \"id\" (a string naming the set)", where);
    int dimension = -1;
    if (dimension_item && !cJSON_IsNull(dimension_item)) {
        if (!cJSON_IsString(dimension_item)) return error_set(err, "%s: \"dimension\" must be a string", where);
        if (parse_dimension(dimension_item->valuestring, &dimension, where, err) != 0) return -1;
    }
    AnswerSet answer = 0;
    if (cJSON_IsString(flawed)) {
        if (import_letters_parse(flawed->valuestring, &answer, err) != 0) return error_prefix(err, "%s: ", where);
    } else if (cJSON_IsArray(flawed)) {
        const cJSON *letter;
        cJSON_ArrayForEach(letter, flawed) {
            AnswerSet one;
            if (!cJSON_IsString(letter) || strlen(letter->valuestring) != 1)
                return error_set(err, "%s: \"flawed\" entries must be single letters A-D", where);
            if (import_letters_parse(letter->valuestring, &one, err) != 0) return error_prefix(err, "%s: ", where);
            if (answer & one) return error_set(err, "%s: letter %s repeated in \"flawed\"", where, letter->valuestring);
            answer |= one;
        }
    } else {
        return error_set(err, "%s: no \"flawed\" (the flawed letters: [\"B\",\"D\"], \"B, D\" or \"none\")", where);
    }
    return labels_add(out, id_text, dimension, answer, where, err);
}

static int labels_load_json(ImportLabels *out, const char *path, char *text, Error *err) {
    char where[300];
    if (*text == '[') {
        cJSON *root = cJSON_Parse(text);
        if (!root) {
            size_t line = 1;
            for (const char *p = text, *stop = cJSON_GetErrorPtr(); stop && p < stop && *p; p++) line += *p == '\n';
            return error_set(err, "%s:%zu: bad JSON", path, line);
        }
        int rc = 0;
        size_t index = 0;
        const cJSON *item;
        cJSON_ArrayForEach(item, root) {
            snprintf(where, sizeof where, "%s: entry %zu", path, ++index);
            if ((rc = labels_add_json(out, item, where, err)) != 0) break;
        }
        cJSON_Delete(root);
        return rc;
    }
    size_t line = 0;
    for (char *cursor = text; *cursor;) {
        line++;
        char *end = strchr(cursor, '\n');
        if (end) *end = 0;
        char *start = cursor;
        cursor = end ? end + 1 : cursor + strlen(cursor);
        while (isspace((unsigned char)*start)) start++;
        if (!*start) continue;
        snprintf(where, sizeof where, "%s:%zu", path, line);
        cJSON *item = cJSON_Parse(start);
        if (!item) return error_set(err, "%s: bad JSON", where);
        int rc = labels_add_json(out, item, where, err);
        cJSON_Delete(item);
        if (rc != 0) return -1;
    }
    return 0;
}

int import_labels_load(ImportLabels *out, const char *path, Error *err) {
    memset(out, 0, sizeof *out);
    char *text = NULL;
    size_t size = 0;
    if (file_read_all(path, LABELS_MAX_BYTES, &text, &size, err) != 0) return -1;
    char *start = text;
    if ((unsigned char)start[0] == 0xEF && (unsigned char)start[1] == 0xBB && (unsigned char)start[2] == 0xBF) start += 3;
    char *first = start;
    while (isspace((unsigned char)*first)) first++;
    int rc = *first == '[' || *first == '{' ? labels_load_json(out, path, first == start ? start : first, err)
                                            : labels_load_csv(out, path, start, err);
    free(text);
    if (rc == 0 && out->count == 0) rc = error_set(err, "%s: no labels", path);
    if (rc != 0) import_labels_free(out);
    return rc;
}

// ---- joining sets and labels ----

// The set a label names: "ID:dimension" when the sets were expanded over the four dimensions (sets
// with no dimension of their own), else "ID". SIZE_MAX when absent.
static size_t set_find(const IdIndex *index, const ImportLabel *label) {
    size_t found;
    if (label->dimension >= 0) {
        char key[600];
        snprintf(key, sizeof key, "%s:%s", label->id, dimension_id((Dimension)label->dimension));
        if (id_index_find(index, key, &found)) return found;
    }
    if (id_index_find(index, label->id, &found)) return found;
    if (label->dimension < 0) { // an expanded set, which the caller refuses for want of a dimension
        char key[600];
        snprintf(key, sizeof key, "%s:%s", label->id, dimension_id(DIMENSION_DEFORMATION));
        if (id_index_find(index, key, &found)) return found;
    }
    return (size_t)-1;
}

// The image path written in the dataset: relative to out_dir, or a copy under out_dir/img/ named by
// a hash of the source path (a set's images are copied once however many labels name it).
static char *image_for_dataset(const char *absolute, const char *out_dir, int copy, size_t *copied, Error *err) {
    if (!copy) {
        char *rel = data_path_relative(out_dir, absolute);
        if (!rel) return error_set(err, "out of memory"), NULL;
        if (path_is_safe_relative(rel)) return rel;
        free(rel);
        error_set(err, "%s lies outside the output's folder %s (a dataset's images live inside its folder): write the "
                       "dataset next to the images, e.g. SETS/data.jsonl, or pass --copy", absolute, out_dir);
        return NULL;
    }
    const char *base = strrchr(absolute, '/');
    base = base ? base + 1 : absolute;
    char name[96];
    int used = snprintf(name, sizeof name, "img/%08llx_",
                        (unsigned long long)(fnv1a_bytes(FNV1A_START, absolute, strlen(absolute)) >> 32));
    // the source's file name, kept readable: a hash of its full path makes it unique
    for (const char *p = base; *p && used < (int)sizeof name - 1; p++, used++)
        name[used] = isalnum((unsigned char)*p) || *p == '.' || *p == '-' || *p == '_' ? *p : '_';
    name[used] = 0;
    char *target = path_join(out_dir, name);
    if (!target) return error_set(err, "out of memory"), NULL;
    int rc = 0;
    if (!file_exists(target)) {
        char *bytes = NULL;
        size_t size = 0;
        rc = file_read_all(absolute, (size_t)256 << 20, &bytes, &size, err);
        if (rc == 0) rc = file_write_atomic(target, bytes, size, err);
        free(bytes);
        if (rc == 0) (*copied)++;
    }
    free(target);
    return rc == 0 ? string_duplicate(name) : NULL;
}

// Builds the sample of `label` from set sample `set`; the id is the set's, with ":dimension" when
// the labels give this set several dimensions.
static int sample_from_label(Sample *out, const Sample *set, const ImportLabel *label, int dimension, int several,
                             const char *out_dir, int copy, size_t *copied, Error *err) {
    memset(out, 0, sizeof *out);
    char id[600];
    if (several) snprintf(id, sizeof id, "%s:%s", label->id, dimension_id((Dimension)dimension));
    else snprintf(id, sizeof id, "%s", label->id);
    out->id = string_duplicate(id);
    out->dimension = (Dimension)dimension;
    out->answer = label->answer;
    cJSON *meta = cJSON_CreateObject();
    cJSON *source = cJSON_AddObjectToObject(meta, "import");
    cJSON_AddStringToObject(source, "labels", label->where);
    cJSON_AddStringToObject(source, "set", label->id);
    out->meta_json = cJSON_PrintUnformatted(meta);
    cJSON_Delete(meta);
    if (!out->id || !out->meta_json) return error_set(err, "out of memory");
    for (int i = 0; i < 1 + CANDIDATE_COUNT; i++) {
        char *path = image_for_dataset(i == 0 ? set->original : set->candidates[i - 1], out_dir, copy, copied, err);
        if (!path) return error_prefix(err, "%s: ", label->where);
        if (i == 0) out->original = path;
        else out->candidates[i - 1] = path;
    }
    return 0;
}

// The id of a set sample without the ":dimension" image_sets adds when it expands a set.
static size_t base_id_length(const char *id) {
    const char *colon = strrchr(id, ':');
    Dimension d;
    return colon && dimension_parse(colon + 1, &d) == 0 ? (size_t)(colon - id) : strlen(id);
}

static int import_join(const ImportOptions *options, const Dataset *sets, const ImportLabels *labels, const char *out_dir,
                       Dataset *out, ImportResult *result, Error *err) {
    IdIndex set_index = {0}, seen = {0};
    int rc = 0;
    for (size_t i = 0; i < sets->count && rc == 0; i++)
        if (id_index_insert(&set_index, sets->samples[i].id, i, NULL) < 0) rc = error_set(err, "out of memory");
    unsigned char *used = calloc(sets->count ? sets->count : 1, 1);
    int *dimensions = calloc(labels->count ? labels->count : 1, sizeof *dimensions);
    size_t *set_of = calloc(labels->count ? labels->count : 1, sizeof *set_of);
    char **keys = calloc(labels->count ? labels->count : 1, sizeof *keys);
    if (!used || !dimensions || !set_of || !keys) rc = error_set(err, "out of memory");
    // first pass: every label finds its set and dimension; (id, dimension) pairs are unique
    for (size_t l = 0; l < labels->count && rc == 0; l++) {
        const ImportLabel *label = &labels->labels[l];
        ImportLabel resolved = *label;
        if (resolved.dimension < 0) resolved.dimension = options->dimension;
        size_t s = set_find(&set_index, &resolved);
        if (s == (size_t)-1) {
            rc = error_set(err, "%s: no image set '%.200s' in %s (set ids: the folder names, or the CSV's id column)",
                           label->where, label->id, options->sets_path);
            break;
        }
        const Sample *set = &sets->samples[s];
        int expanded = base_id_length(set->id) != strlen(set->id);
        if (resolved.dimension < 0 && expanded) {
            rc = error_set(err, "%s: set '%.200s' has no dimension: add a dimension column (or field), or pass --dimension",
                           label->where, label->id);
            break;
        }
        dimensions[l] = resolved.dimension >= 0 ? resolved.dimension : (int)set->dimension;
        set_of[l] = s;
        used[s] = 1;
        char key[600];
        snprintf(key, sizeof key, "%s:%s", label->id, dimension_id((Dimension)dimensions[l]));
        if (!(keys[l] = string_duplicate(key))) rc = error_set(err, "out of memory");
        size_t first;
        int inserted = rc == 0 ? id_index_insert(&seen, keys[l], l, &first) : -1;
        if (inserted == 0)
            rc = error_set(err, "%s: set '%.200s' is labelled twice for %s (first at %s)", label->where, label->id,
                           dimension_id((Dimension)dimensions[l]), labels->labels[first].where);
        else if (inserted < 0 && rc == 0) rc = error_set(err, "out of memory");
    }
    // second pass: the samples (a set labelled for several dimensions gets ids "ID:dimension")
    IdIndex per_set = {0};
    size_t *label_counts = calloc(labels->count ? labels->count : 1, sizeof *label_counts);
    if (!label_counts && rc == 0) rc = error_set(err, "out of memory");
    for (size_t l = 0; l < labels->count && rc == 0; l++) {
        size_t first;
        int inserted = id_index_insert(&per_set, labels->labels[l].id, l, &first);
        if (inserted < 0) rc = error_set(err, "out of memory");
        else label_counts[inserted ? l : first]++;
    }
    for (size_t l = 0; l < labels->count && rc == 0; l++) {
        size_t first = l;
        id_index_find(&per_set, labels->labels[l].id, &first);
        Sample sample;
        rc = sample_from_label(&sample, &sets->samples[set_of[l]], &labels->labels[l], dimensions[l],
                               label_counts[first] > 1, out_dir, options->copy_images, &result->images_copied, err);
        if (rc == 0) rc = dataset_add(out, &sample, err);
        if (rc != 0) sample_free(&sample);
        else result->samples++;
    }
    // sets: a sample, or the run of four that image_sets makes of a set without a dimension
    for (size_t i = 0; i < sets->count && rc == 0;) {
        const char *id = sets->samples[i].id;
        size_t length = base_id_length(id), j = i + 1;
        int labelled = used[i];
        if (length != strlen(id))
            for (; j < sets->count && strlen(sets->samples[j].id) != length && base_id_length(sets->samples[j].id) == length &&
                   strncmp(sets->samples[j].id, id, length) == 0;
                 j++)
                labelled |= used[j];
        result->sets++;
        if (!labelled && result->sets_unlabelled++ == 0)
            snprintf(result->first_unlabelled, sizeof result->first_unlabelled, "%.*s", (int)(length > 120 ? 120 : length), id);
        i = j;
    }
    for (size_t l = 0; l < labels->count && keys; l++) free(keys[l]);
    free(keys);
    free(label_counts);
    free(set_of);
    free(dimensions);
    free(used);
    id_index_free(&per_set);
    id_index_free(&seen);
    id_index_free(&set_index);
    return rc;
}

int dataset_import(const ImportOptions *options, ImportResult *result, Error *err) {
    memset(result, 0, sizeof *result);
    if (!options->sets_path || !options->out_path) return error_set(err, "import: no sets or no output named");
    Dataset sets = {0}, out = {0};
    ImportLabels labels = {0};
    if (image_sets_load(&sets, options->sets_path, -1, err) != 0) return -1;
    const char *labels_path = options->labels_path ? options->labels_path : options->sets_path;
    int rc = import_labels_load(&labels, labels_path, err);
    char *out_dir = rc == 0 ? path_dirname(options->out_path) : NULL;
    char *out_dir_absolute = out_dir ? data_path_absolute(out_dir) : NULL;
    if (rc == 0 && !out_dir_absolute) rc = error_set(err, "out of memory");
    if (rc == 0) rc = dir_create_all(out_dir_absolute, err);
    if (rc == 0 && options->copy_images) {
        char *img = path_join(out_dir_absolute, "img");
        rc = img ? dir_create_all(img, err) : error_set(err, "out of memory");
        free(img);
    }
    if (rc == 0) rc = import_join(options, &sets, &labels, out_dir_absolute, &out, result, err);
    if (rc == 0) rc = dataset_save(&out, options->out_path, err);
    free(out_dir_absolute);
    free(out_dir);
    dataset_free(&out);
    import_labels_free(&labels);
    dataset_free(&sets);
    return rc;
}
