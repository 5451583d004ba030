// convert.c — to and from the conversational messages + images form (TRL, LLaMA-Factory, VLM-R1).
#include "data/convert.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/files.h"
#include "data/id_index.h"
#include "data/jsonl.h"
#include "data/paths.h"
#include "data/sample_parse.h"
#include "text/answer.h"
#include "text/prompt.h"

#define IMAGES_PER_SAMPLE (CANDIDATE_COUNT + 1)

// ---- one record ----

// The assistant's turn: the rationale when there is one (its conclusion must be the gold answer),
// otherwise just the answer block.
static char *assistant_text(const Sample *sample, Error *err) {
    char gold[16];
    answer_set_format(sample->answer, gold, sizeof gold);
    if (sample->rationale && sample->rationale[0]) {
        ParsedAnswer parsed = answer_parse(sample->rationale);
        if (parsed.status == ANSWER_PARSE_FAILED || parsed.set != sample->answer) {
            char said[16];
            answer_set_format(parsed.set, said, sizeof said);
            error_set(err, "sample %s: the rationale concludes %s but the answer is %s; fix the rationale",
                      sample->id, parsed.status == ANSWER_PARSE_FAILED ? "nothing readable" : said, gold);
            return NULL;
        }
        return string_duplicate(sample->rationale);
    }
    char *text = NULL;
    if (asprintf(&text, "<answer>%s</answer>", gold) < 0) text = NULL;
    return text;
}

// One message. Its content is a string with `images` <image> placeholders before the text, or
// with parts = 1 a list: `images` {"type":"image"} parts, then one {"type":"text"} part.
static cJSON *message_create(const char *role, const char *text, int images, int parts) {
    cJSON *message = cJSON_CreateObject(), *content = NULL;
    if (!message || !cJSON_AddStringToObject(message, "role", role)) goto fail;
    if (parts) {
        content = cJSON_AddArrayToObject(message, "content");
        for (int i = 0; content && i < images; i++) {
            cJSON *part = cJSON_CreateObject();
            if (!cJSON_AddItemToArray(content, part) || !cJSON_AddStringToObject(part, "type", "image")) goto fail;
        }
        cJSON *part = cJSON_CreateObject();
        if (!content || !cJSON_AddItemToArray(content, part) || !cJSON_AddStringToObject(part, "type", "text") ||
            !cJSON_AddStringToObject(part, "text", text))
            goto fail;
        return message;
    }
    size_t token_length = strlen(CONVERT_IMAGE_TOKEN);
    char *joined = malloc((size_t)images * token_length + strlen(text) + 1);
    if (!joined) goto fail;
    joined[0] = 0;
    for (int i = 0; i < images; i++) strcat(joined, CONVERT_IMAGE_TOKEN);
    strcat(joined, text);
    content = cJSON_AddStringToObject(message, "content", joined);
    free(joined);
    if (content) return message;
fail:
    cJSON_Delete(message);
    return NULL;
}

char *convert_sample_to_messages(const Sample *sample, const char *const images[IMAGES_PER_SAMPLE],
                                 const ConvertOptions *options, Error *err) {
    char *answer = assistant_text(sample, err);
    if (!answer) return NULL;
    int parts = options && options->content_parts;
    char *question = prompt_question_text(sample->question, sample->dimension);
    char *system = options && options->system_prompt ? prompt_system_text() : NULL;
    char *text = NULL;
    cJSON *root = cJSON_CreateObject(), *messages = NULL, *paths = NULL;
    if (!question || !root || (options && options->system_prompt && !system)) goto done;

    messages = cJSON_AddArrayToObject(root, "messages");
    if (!messages) goto done;
    if (system && !cJSON_AddItemToArray(messages, message_create("system", system, 0, parts))) goto done;
    if (!cJSON_AddItemToArray(messages, message_create("user", question, IMAGES_PER_SAMPLE, parts))) goto done;
    if (!cJSON_AddItemToArray(messages, message_create("assistant", answer, 0, parts))) goto done;
    paths = cJSON_AddArrayToObject(root, "images");
    if (!paths) goto done;
    for (int i = 0; i < IMAGES_PER_SAMPLE; i++)
        if (!cJSON_AddItemToArray(paths, cJSON_CreateString(images[i]))) goto done;
    if (!cJSON_AddStringToObject(root, "id", sample->id)) goto done;
    if (!cJSON_AddStringToObject(root, "dimension", dimension_id(sample->dimension))) goto done;
    // Marks a question that came from the built-in template, so it comes back as absent.
    if (!sample->question && !cJSON_AddTrueToObject(root, "default_question")) goto done;
    if (sample->meta_json) {
        cJSON *meta = cJSON_Parse(sample->meta_json);
        if (!meta || !cJSON_AddItemToObject(root, "meta", meta)) {
            cJSON_Delete(meta);
            goto done;
        }
    }
    text = cJSON_PrintUnformatted(root);
done:
    if (!text) error_set(err, "sample %s: cannot build the messages record (out of memory)", sample->id);
    cJSON_Delete(root);
    free(question);
    free(system);
    free(answer);
    return text;
}

// Text of a message's content: a string, or the concatenated text parts of a list (each image part
// counted in *image_parts).
static char *content_text(const cJSON *content, int *image_parts) {
    if (cJSON_IsString(content)) return string_duplicate(content->valuestring);
    if (!cJSON_IsArray(content)) return NULL;
    size_t length = 0;
    const cJSON *part;
    cJSON_ArrayForEach(part, content) {
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(part, "text");
        if (cJSON_IsString(text)) length += strlen(text->valuestring);
    }
    char *out = malloc(length + 1);
    if (!out) return NULL;
    out[0] = 0;
    cJSON_ArrayForEach(part, content) {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(part, "type");
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(part, "text");
        if (cJSON_IsString(text)) strcat(out, text->valuestring);
        else if (cJSON_IsString(type) && strcmp(type->valuestring, "image") == 0) (*image_parts)++;
    }
    return out;
}

// The question: the user text without its <image> placeholders, trimmed.
static char *question_from_user_text(const char *text, int *placeholders) {
    size_t token_length = strlen(CONVERT_IMAGE_TOKEN);
    char *out = malloc(strlen(text) + 1);
    if (!out) return NULL;
    size_t n = 0;
    for (const char *p = text; *p;) {
        if (strncmp(p, CONVERT_IMAGE_TOKEN, token_length) == 0) {
            (*placeholders)++;
            p += token_length;
        } else {
            out[n++] = *p++;
        }
    }
    out[n] = 0;
    size_t start = 0;
    while (isspace((unsigned char)out[start])) start++;
    while (n > start && isspace((unsigned char)out[n - 1])) n--;
    memmove(out, out + start, n - start);
    out[n - start] = 0;
    return out;
}

// A dimension named in the question: the paper's title first ("Physical Lighting and Shadow"),
// then the identifier as a word.
static int dimension_from_question(const char *question, Dimension *out) {
    for (int d = 0; d < DIMENSION_COUNT; d++)
        if (strcasestr(question, dimension_title((Dimension)d))) {
            *out = (Dimension)d;
            return 0;
        }
    for (int d = 0; d < DIMENSION_COUNT; d++)
        if (strcasestr(question, dimension_id((Dimension)d))) {
            *out = (Dimension)d;
            return 0;
        }
    return -1;
}

static const cJSON *field_either(const cJSON *object, const char *name, const char *other) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
    return item ? item : cJSON_GetObjectItemCaseSensitive(object, other);
}

// Role of one message ("user", "assistant", "system"), from role or ShareGPT's from.
static const char *message_role(const cJSON *message) {
    const cJSON *role = field_either(message, "role", "from");
    if (!cJSON_IsString(role)) return "";
    const char *r = role->valuestring;
    if (strcmp(r, "human") == 0) return "user";
    if (strcmp(r, "gpt") == 0) return "assistant";
    return r;
}

// Reads the images array into out (5 paths, as written). Returns a problem message or NULL.
static const char *record_images(const cJSON *root, Sample *out) {
    const cJSON *images = field_either(root, "images", "image");
    if (!cJSON_IsArray(images)) return "missing \"images\" array (original, A, B, C, D)";
    if (cJSON_GetArraySize(images) != IMAGES_PER_SAMPLE) return "\"images\" must hold exactly 5 paths (original, A, B, C, D)";
    for (int i = 0; i < IMAGES_PER_SAMPLE; i++) {
        const cJSON *path = cJSON_GetArrayItem(images, i);
        if (!cJSON_IsString(path) || !path->valuestring[0]) return "every entry of \"images\" must be a non-empty path";
        char *copy = string_duplicate(path->valuestring);
        if (!copy) return "out of memory";
        if (i == 0) out->original = copy;
        else out->candidates[i - 1] = copy;
    }
    return NULL;
}

static const char *record_turns(const cJSON *root, Sample *out) {
    const cJSON *messages = field_either(root, "messages", "conversations");
    if (!cJSON_IsArray(messages)) return "missing \"messages\" (or \"conversations\") array";
    const cJSON *user = NULL, *assistant = NULL, *message;
    cJSON_ArrayForEach(message, messages) {
        const char *role = message_role(message);
        if (strcmp(role, "user") == 0 && !user) user = message;
        else if (strcmp(role, "assistant") == 0) assistant = message;
    }
    if (!user) return "no user message";
    if (!assistant) return "no assistant message (the answer is read from it)";
    int placeholders = 0, ignored = 0;
    char *user_text = content_text(field_either(user, "content", "value"), &placeholders);
    char *answer_text = content_text(field_either(assistant, "content", "value"), &ignored);
    const char *problem = NULL;
    if (!user_text || !answer_text) {
        problem = "message content must be a string or a list of parts";
    } else {
        out->question = question_from_user_text(user_text, &placeholders);
        ParsedAnswer parsed = answer_parse(answer_text);
        if (!out->question) problem = "out of memory";
        else if (placeholders != 0 && placeholders != IMAGES_PER_SAMPLE)
            problem = "the user message must hold 5 image placeholders (original, A, B, C, D)";
        else if (parsed.status == ANSWER_PARSE_FAILED) problem = "the assistant message has no readable answer";
        out->answer = parsed.set;
        // Only a chain of thought is kept as the rationale; a bare answer block is not one.
        if (!problem && strstr(answer_text, "<think>")) out->rationale = string_duplicate(answer_text);
    }
    free(user_text);
    free(answer_text);
    return problem;
}

static const char *record_identity(const cJSON *root, Sample *out, size_t line_number) {
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "id");
    char buffer[64];
    if (cJSON_IsString(id) && id->valuestring[0]) out->id = string_duplicate(id->valuestring);
    else if (cJSON_IsNumber(id)) snprintf(buffer, sizeof buffer, "%.0f", id->valuedouble), out->id = string_duplicate(buffer);
    else snprintf(buffer, sizeof buffer, "line%06zu", line_number), out->id = string_duplicate(buffer);
    if (!out->id) return "out of memory";

    const cJSON *dimension = cJSON_GetObjectItemCaseSensitive(root, "dimension");
    if (cJSON_IsString(dimension)) {
        if (dimension_parse(dimension->valuestring, &out->dimension) != 0) return "unknown dimension";
    } else if (dimension_from_question(out->question ? out->question : "", &out->dimension) != 0) {
        return "no \"dimension\" field and no dimension named in the question";
    }
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(root, "meta");
    if (cJSON_IsObject(meta) && !(out->meta_json = cJSON_PrintUnformatted(meta))) return "out of memory";
    return NULL;
}

int convert_messages_to_sample(Sample *out, const char *line, size_t line_number, Error *err) {
    memset(out, 0, sizeof *out);
    cJSON *root = cJSON_ParseWithOpts(line, NULL, 1);
    const char *problem = NULL;
    if (!root || !cJSON_IsObject(root)) problem = "not a JSON object";
    if (!problem) problem = record_images(root, out);
    if (!problem) problem = record_turns(root, out);
    if (!problem) problem = record_identity(root, out, line_number);
    int default_question = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "default_question"));
    cJSON_Delete(root);
    if (problem) {
        sample_free(out);
        return error_set(err, "line %zu: %s", line_number, problem);
    }
    // A question written from the template comes back as absent, so a round trip changes nothing.
    char *question = out->question;
    out->question = NULL;
    char *template_question = default_question ? prompt_question_text(out->question, out->dimension) : NULL;
    if (!template_question || strcmp(template_question, question) != 0) out->question = question;
    else free(question);
    free(template_question);
    out->line = line_number;
    return 0;
}

// ---- whole files ----

// Writes the text collected in a memory stream atomically to path.
static int write_stream(FILE *memory, char **buffer, size_t *size, const char *path, int ok, Error *err) {
    if (fclose(memory) != 0 && ok) ok = 0, error_set(err, "%s: out of memory", path);
    int result = ok ? file_write_atomic(path, *buffer, *size, err) : -1;
    free(*buffer);
    *buffer = NULL;
    return result;
}

int convert_file_to_messages(const char *dataset_path, const char *out_path, const ConvertOptions *options,
                             size_t *written, Error *err) {
    if (written) *written = 0;
    Dataset dataset;
    if (dataset_load(&dataset, dataset_path, err) != 0) return -1;
    char *out_dir = path_dirname(out_path), *buffer = NULL;
    size_t size = 0;
    FILE *memory = out_dir ? open_memstream(&buffer, &size) : NULL;
    if (!memory) {
        free(out_dir);
        dataset_free(&dataset);
        return error_set(err, "%s: out of memory", out_path);
    }
    int ok = 1;
    for (size_t i = 0; i < dataset.count && ok; i++) {
        const Sample *sample = &dataset.samples[i];
        char *images[IMAGES_PER_SAMPLE] = {0};
        for (int k = 0; k < IMAGES_PER_SAMPLE && ok; k++) {
            char *full = dataset_image_path(&dataset, sample, k);
            images[k] = !full                       ? NULL
                        : options && options->absolute_images ? data_path_absolute(full)
                                                              : data_path_relative(out_dir, full);
            free(full);
            if (!images[k]) ok = 0, error_set(err, "%s: out of memory", out_path);
        }
        char *record = ok ? convert_sample_to_messages(sample, (const char *const *)images, options, err) : NULL;
        if (ok && !record) ok = 0, error_prefix(err, "%s:%zu: ", dataset_path, sample->line);
        if (record && fprintf(memory, "%s\n", record) < 0) ok = 0, error_set(err, "%s: out of memory", out_path);
        free(record);
        for (int k = 0; k < IMAGES_PER_SAMPLE; k++) free(images[k]);
    }
    int result = write_stream(memory, &buffer, &size, out_path, ok, err);
    if (result == 0 && written) *written = dataset.count;
    free(out_dir);
    dataset_free(&dataset);
    return result;
}

// Rewrites the sample's image paths (relative to messages_dir, or absolute) relative to out_dir.
static int rebase_images(Sample *sample, const char *messages_dir, const char *out_dir, Error *err) {
    for (int k = 0; k < IMAGES_PER_SAMPLE; k++) {
        char **path = k == 0 ? &sample->original : &sample->candidates[k - 1];
        char *full = (*path)[0] == '/' ? string_duplicate(*path) : path_join(messages_dir, *path);
        char *rel = full ? data_path_relative(out_dir, full) : NULL;
        free(full);
        if (!rel) return error_set(err, "out of memory");
        if (!path_is_safe_relative(rel)) {
            error_set(err, "image '%s' is outside the output dataset's folder '%s' (dataset image paths must stay "
                           "inside it); write the output into a folder that contains the images", *path, out_dir);
            free(rel);
            return -1;
        }
        free(*path);
        *path = rel;
    }
    return 0;
}

// "line 7: problem" -> "FILE:7: problem", the form every other message of a file uses.
static void error_locate(Error *err, const char *path, size_t line) {
    if (!err) return;
    char prefix[32];
    int n = snprintf(prefix, sizeof prefix, "line %zu: ", line);
    char message[sizeof err->message];
    snprintf(message, sizeof message, "%s", err->message);
    const char *rest = strncmp(message, prefix, (size_t)n) == 0 ? message + n : message;
    snprintf(err->message, sizeof err->message, "%.400s:%zu: %.600s", path, line, rest);
}

// Checks a converted sample against the dataset rules by writing it and parsing it back.
static int validate_sample(const Sample *sample, size_t line_number, Error *err) {
    char *text = sample_to_json(sample);
    if (!text) return error_set(err, "line %zu: out of memory", line_number);
    Sample parsed;
    int result = sample_parse_json(&parsed, text, line_number, err);
    sample_free(&parsed);
    free(text);
    return result;
}

int convert_file_from_messages(const char *messages_path, const char *out_path, size_t *written, Error *err) {
    if (written) *written = 0;
    JsonlReader reader;
    if (jsonl_reader_open(&reader, messages_path, DATASET_MAX_LINE_BYTES, err) != 0) return -1;
    char *messages_dir = path_dirname(messages_path), *out_dir = path_dirname(out_path), *buffer = NULL;
    size_t size = 0, count = 0;
    FILE *memory = messages_dir && out_dir ? open_memstream(&buffer, &size) : NULL;
    int ok = memory != NULL, status = 0;
    if (!ok) error_set(err, "%s: out of memory", out_path);
    Dataset dataset = {0}; // kept so the id index can borrow the ids
    IdIndex ids = {0};
    JsonlLine line;
    while (ok && (status = jsonl_reader_next(&reader, &line, err)) == 1) {
        size_t number = reader.line_number;
        Sample sample;
        if (line.oversized || line.has_nul) {
            ok = 0;
            error_set(err, "%s", line.oversized ? "line over the 1 MiB limit" : "line contains a NUL byte");
        } else if (convert_messages_to_sample(&sample, line.text, number, err) != 0) {
            ok = 0;
        } else if (rebase_images(&sample, messages_dir, out_dir, err) != 0) {
            sample_free(&sample);
            ok = 0;
        } else if (validate_sample(&sample, number, err) != 0 || sample_write_json(memory, &sample, err) != 0 ||
                   dataset_add(&dataset, &sample, err) != 0) {
            sample_free(&sample);
            ok = 0;
        } else {
            size_t first = 0;
            const Sample *added = &dataset.samples[dataset.count - 1];
            int inserted = id_index_insert(&ids, added->id, number, &first);
            if (inserted <= 0) {
                ok = 0;
                if (inserted < 0) error_set(err, "out of memory");
                else error_set(err, "duplicate id '%s' (first on line %zu)", added->id, first);
            }
            count++;
        }
        if (!ok) error_locate(err, messages_path, number);
    }
    if (ok && status < 0) ok = 0, error_prefix(err, "%s: ", messages_path);
    if (ok && count == 0) ok = 0, error_set(err, "%s: no records", messages_path);
    int result = memory ? write_stream(memory, &buffer, &size, out_path, ok, err) : -1;
    if (result == 0 && written) *written = count;
    id_index_free(&ids);
    dataset_free(&dataset);
    jsonl_reader_close(&reader);
    free(messages_dir);
    free(out_dir);
    return result;
}
