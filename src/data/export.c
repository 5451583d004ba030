// export.c — datasets in the layouts TRL, VLM-R1, LLaMA-Factory and ShareGPT loaders read as-is.
// Each record starts as the messages record of convert.c (one place builds the question, the
// assistant's text and the image list) and is reshaped into the target's columns.
#include "data/export.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/files.h"
#include "data/paths.h"

#define IMAGES_PER_SAMPLE (CANDIDATE_COUNT + 1)

static const char *const FORMAT_NAMES[] = {"messages", "trl-grpo", "vlm-r1", "llamafactory", "sharegpt"};

int export_format_parse(const char *name, ExportFormat *out) {
    for (int i = 0; i < (int)(sizeof FORMAT_NAMES / sizeof FORMAT_NAMES[0]); i++)
        if (name && strcmp(name, FORMAT_NAMES[i]) == 0) {
            *out = (ExportFormat)i;
            return 0;
        }
    return -1;
}

const char *export_format_name(ExportFormat format) {
    return (unsigned)format < sizeof FORMAT_NAMES / sizeof FORMAT_NAMES[0] ? FORMAT_NAMES[format] : "?";
}

static cJSON *answer_letters(AnswerSet set) {
    cJSON *array = cJSON_CreateArray();
    for (int i = 0; array && i < CANDIDATE_COUNT; i++)
        if (set & (1u << i)) cJSON_AddItemToArray(array, cJSON_CreateString((const char[]){(char)('A' + i), 0}));
    return array;
}

// ShareGPT turns ({"from","value"}) from the messages; the system message goes to *system.
static cJSON *sharegpt_turns(const cJSON *messages, const char **system) {
    cJSON *turns = cJSON_CreateArray();
    const cJSON *message;
    cJSON_ArrayForEach(message, messages) {
        const char *role = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(message, "role"));
        const char *content = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(message, "content"));
        if (!role || !content) continue;
        if (strcmp(role, "system") == 0) {
            *system = content;
            continue;
        }
        cJSON *turn = cJSON_CreateObject();
        cJSON_AddStringToObject(turn, "from", strcmp(role, "user") == 0 ? "human" : "gpt");
        cJSON_AddStringToObject(turn, "value", content);
        cJSON_AddItemToArray(turns, turn);
    }
    return turns;
}

// The messages record of convert.c reshaped into `format`'s record; malloc'd line.
static char *reshape(const char *messages_line, const Sample *sample, ExportFormat format) {
    if (format == EXPORT_MESSAGES || format == EXPORT_LLAMAFACTORY) return string_duplicate(messages_line);
    cJSON *in = cJSON_Parse(messages_line), *out = cJSON_CreateObject();
    cJSON *messages = cJSON_GetObjectItemCaseSensitive(in, "messages");
    cJSON *images = cJSON_DetachItemFromObjectCaseSensitive(in, "images");
    char gold[16], solution[40];
    answer_set_format(sample->answer, gold, sizeof gold);
    snprintf(solution, sizeof solution, "<answer>%s</answer>", gold);
    const char *system = NULL;
    switch (format) {
    case EXPORT_TRL_GRPO: { // the prompt is the conversation up to the assistant's turn
        cJSON *prompt = cJSON_AddArrayToObject(out, "prompt");
        int count = cJSON_GetArraySize(messages);
        for (int i = 0; i < count - 1; i++) cJSON_AddItemToArray(prompt, cJSON_Duplicate(cJSON_GetArrayItem(messages, i), 1));
        cJSON_AddItemToObject(out, "images", images);
        cJSON_AddStringToObject(out, "solution", solution);
        cJSON_AddItemToObject(out, "answer", answer_letters(sample->answer));
        break;
    }
    case EXPORT_VLM_R1: { // the gpt turn is the solution its accuracy reward reads
        cJSON_AddStringToObject(out, "id", sample->id);
        cJSON_AddItemToObject(out, "image", images);
        cJSON *turns = sharegpt_turns(messages, &system);
        cJSON *last = cJSON_GetArrayItem(turns, cJSON_GetArraySize(turns) - 1);
        if (last) cJSON_ReplaceItemInObjectCaseSensitive(last, "value", cJSON_CreateString(solution));
        cJSON_AddItemToObject(out, "conversations", turns);
        break;
    }
    default: // EXPORT_SHAREGPT
        cJSON_AddItemToObject(out, "conversations", sharegpt_turns(messages, &system));
        if (system) cJSON_AddStringToObject(out, "system", system);
        cJSON_AddItemToObject(out, "images", images);
        break;
    }
    if (format != EXPORT_VLM_R1) cJSON_AddStringToObject(out, "id", sample->id);
    cJSON_AddStringToObject(out, "dimension", dimension_id(sample->dimension));
    char *line = cJSON_PrintUnformatted(out);
    cJSON_Delete(in);
    cJSON_Delete(out);
    return line;
}

// Adds or replaces `name` in OUT_DIR/dataset_info.json (LLaMA-Factory's registry of datasets).
static int write_dataset_info(const char *out_dir, const char *file_name, const char *name, Error *err) {
    char *path = path_join(out_dir, "dataset_info.json"), *text = NULL;
    size_t size = 0;
    cJSON *info = NULL;
    if (!path) return error_set(err, "out of memory");
    if (file_exists(path)) {
        if (file_read_all(path, (size_t)16 << 20, &text, &size, err) != 0) {
            free(path);
            return -1;
        }
        info = cJSON_ParseWithLength(text, size);
        free(text);
        if (!cJSON_IsObject(info)) {
            cJSON_Delete(info);
            error_set(err, "%s: not a JSON object; move it away or fix it (its other entries would be lost)", path);
            free(path);
            return -1;
        }
    } else {
        info = cJSON_CreateObject();
    }
    cJSON *entry = cJSON_CreateObject();
    cJSON_AddStringToObject(entry, "file_name", file_name);
    cJSON_AddStringToObject(entry, "formatting", "sharegpt");
    cJSON *columns = cJSON_AddObjectToObject(entry, "columns");
    cJSON_AddStringToObject(columns, "messages", "messages");
    cJSON_AddStringToObject(columns, "images", "images");
    cJSON *tags = cJSON_AddObjectToObject(entry, "tags");
    const char *const TAGS[][2] = {{"role_tag", "role"},       {"content_tag", "content"}, {"user_tag", "user"},
                                   {"assistant_tag", "assistant"}, {"system_tag", "system"}};
    for (int i = 0; i < 5; i++) cJSON_AddStringToObject(tags, TAGS[i][0], TAGS[i][1]);
    cJSON_DeleteItemFromObjectCaseSensitive(info, name);
    cJSON_AddItemToObject(info, name, entry);
    char *printed = cJSON_Print(info);
    cJSON_Delete(info);
    int rc = printed ? file_write_atomic(path, printed, strlen(printed), err) : error_set(err, "out of memory");
    free(printed);
    free(path);
    return rc;
}

int export_dataset(const char *dataset_path, const char *out_path, ExportFormat format, const ConvertOptions *options,
                   const char *dataset_name, size_t *written, Error *err) {
    if (written) *written = 0;
    Dataset dataset;
    if (dataset_load(&dataset, dataset_path, err) != 0) return -1;
    ConvertOptions shaped = options ? *options : (ConvertOptions){0};
    // TRL's conversational prompts carry image parts; the ShareGPT family counts <image> tokens
    if (format == EXPORT_TRL_GRPO) shaped.content_parts = 1;
    if (format == EXPORT_VLM_R1 || format == EXPORT_SHAREGPT || format == EXPORT_LLAMAFACTORY) shaped.content_parts = 0;
    char *out_dir = path_dirname(out_path), *buffer = NULL;
    size_t size = 0;
    int ok = dataset_require_answers(&dataset, err) == 0;
    if (ok && (!out_dir || dir_create_all(out_dir, err) != 0)) ok = 0, error_prefix(err, "%s: ", out_path);
    FILE *memory = ok ? open_memstream(&buffer, &size) : NULL;
    if (ok && !memory) ok = 0, error_set(err, "%s: out of memory", out_path);
    for (size_t i = 0; i < dataset.count && ok; i++) {
        const Sample *sample = &dataset.samples[i];
        char *images[IMAGES_PER_SAMPLE] = {0};
        for (int k = 0; k < IMAGES_PER_SAMPLE && ok; k++) {
            char *full = dataset_image_path(&dataset, sample, k);
            images[k] = !full ? NULL : shaped.absolute_images ? data_path_absolute(full) : data_path_relative(out_dir, full);
            free(full);
            if (!images[k]) ok = 0, error_set(err, "%s: out of memory", out_path);
        }
        char *record = ok ? convert_sample_to_messages(sample, (const char *const *)images, &shaped, err) : NULL;
        if (ok && !record) ok = 0, error_prefix(err, "%s:%zu: ", dataset_path, sample->line);
        char *line = record ? reshape(record, sample, format) : NULL;
        if (record && (!line || fprintf(memory, "%s\n", line) < 0)) ok = 0, error_set(err, "%s: out of memory", out_path);
        free(line);
        free(record);
        for (int k = 0; k < IMAGES_PER_SAMPLE; k++) free(images[k]);
    }
    if (memory && fclose(memory) != 0 && ok) ok = 0, error_set(err, "%s: out of memory", out_path);
    int rc = ok ? file_write_atomic(out_path, buffer, size, err) : -1;
    if (rc == 0 && format == EXPORT_LLAMAFACTORY) {
        const char *base = strrchr(out_path, '/');
        base = base ? base + 1 : out_path;
        char name[256];
        snprintf(name, sizeof name, "%s", dataset_name ? dataset_name : base);
        char *dot = dataset_name ? NULL : strrchr(name, '.');
        if (dot && dot != name) *dot = 0;
        rc = write_dataset_info(out_dir, base, name, err);
    }
    if (rc == 0 && written) *written = dataset.count;
    free(buffer);
    free(out_dir);
    dataset_free(&dataset);
    return rc;
}
