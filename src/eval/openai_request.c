// openai_request.c — request bodies, response parsing, retry policy and prompt templates of the
// OpenAI-compatible backend.
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/files.h"
#include "core/rng.h"
#include "eval/hash.h"
#include "eval/openai.h"
#include "image/image.h"
#include "core/base64.h"
#include "text/prompt.h"

static char *trim_copy(const char *begin, const char *end) {
    while (begin < end && (*begin == '\n' || *begin == '\r' || *begin == ' ')) begin++;
    while (end > begin && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ')) end--;
    char *out = malloc((size_t)(end - begin) + 1);
    if (!out) return NULL;
    memcpy(out, begin, (size_t)(end - begin));
    out[end - begin] = 0;
    return out;
}

int chat_template_load(ChatTemplate *out, const char *path, Error *err) {
    memset(out, 0, sizeof *out);
    if (!path) {
        out->system = prompt_system_text();
        out->user = string_duplicate("{question}");
        return out->system && out->user ? 0 : error_set(err, "out of memory");
    }
    char *text = NULL;
    if (file_read_all(path, 1 << 20, &text, NULL, err) != 0) return -1;
    const char *system = strstr(text, "[system]\n"), *user = strstr(text, "[user]\n");
    if (!system || !user || user < system) {
        free(text);
        return error_set(err, "%s: a template needs a \"[system]\" line, its text, then a \"[user]\" line and its text "
                              "(see docs/EVAL.md)", path);
    }
    out->system = trim_copy(system + 9, user);
    out->user = trim_copy(user + 7, text + strlen(text));
    free(text);
    if (!out->system || !out->user) return error_set(err, "out of memory");
    if (!out->user[0]) return error_set(err, "%s: the [user] text is empty", path);
    return 0;
}

void chat_template_free(ChatTemplate *chat) {
    free(chat->system);
    free(chat->user);
    memset(chat, 0, sizeof *chat);
}

char *chat_template_user_text(const ChatTemplate *chat, const Sample *sample) {
    char *question = prompt_question_text(sample->question, sample->dimension);
    int known = (unsigned)sample->dimension < DIMENSION_COUNT;
    const char *values[3] = {question ? question : "", known ? dimension_id(sample->dimension) : "unknown",
                             known ? dimension_title(sample->dimension) : "unknown"};
    static const char *const NAMES[3] = {"{question}", "{dimension}", "{dimension_title}"};
    char *out = NULL;
    size_t size = 0;
    FILE *stream = open_memstream(&out, &size);
    if (!stream) {
        free(question);
        return NULL;
    }
    for (const char *p = chat->user; *p;) {
        int replaced = 0;
        for (int i = 0; i < 3 && !replaced; i++)
            if (strncmp(p, NAMES[i], strlen(NAMES[i])) == 0) {
                fputs(values[i], stream);
                p += strlen(NAMES[i]);
                replaced = 1;
            }
        if (!replaced) fputc(*p++, stream);
    }
    fclose(stream);
    free(question);
    return out;
}

int image_file_data_url(const char *path, char **out, Error *err) {
    *out = NULL;
    char *bytes = NULL;
    size_t size = 0;
    if (file_read_all(path, 64u << 20, &bytes, &size, err) != 0) return -1;
    const unsigned char *b = (const unsigned char *)bytes;
    if (size >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0) *out = data_url_encode("image/png", b, size);
    else if (size >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff) *out = data_url_encode("image/jpeg", b, size);
    else {
        Image image = {0};
        uint8_t *png = NULL;
        size_t png_size = 0;
        if (image_decode_memory(&image, b, size, 0, err) != 0 || image_encode_png_memory(&image, &png, &png_size, err) != 0) {
            image_free(&image);
            free(bytes);
            return error_prefix(err, "%s: ", path);
        }
        *out = data_url_encode("image/png", png, png_size);
        free(png);
        image_free(&image);
    }
    free(bytes);
    return *out ? 0 : error_set(err, "out of memory");
}

static void add_text_part(cJSON *content, const char *text) {
    cJSON *part = cJSON_CreateObject();
    cJSON_AddStringToObject(part, "type", "text");
    cJSON_AddStringToObject(part, "text", text);
    cJSON_AddItemToArray(content, part);
}

int openai_request_build(char **body, char key[65], const char *model, const char *base_url, const ChatTemplate *chat,
                         const Dataset *dataset, const Sample *sample, const BackendOptions *options, Error *err) {
    *body = NULL;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "model", model);
    cJSON *messages = cJSON_AddArrayToObject(root, "messages");
    if (chat->system && chat->system[0]) {
        cJSON *system = cJSON_CreateObject();
        cJSON_AddStringToObject(system, "role", "system");
        cJSON_AddStringToObject(system, "content", chat->system);
        cJSON_AddItemToArray(messages, system);
    }
    cJSON *user = cJSON_CreateObject();
    cJSON_AddStringToObject(user, "role", "user");
    cJSON *content = cJSON_AddArrayToObject(user, "content");
    cJSON_AddItemToArray(messages, user);
    char *question = chat_template_user_text(chat, sample);
    add_text_part(content, question ? question : "");
    free(question);
    static const char *const LABELS[5] = {"Original image:", "Image A:", "Image B:", "Image C:", "Image D:"};
    for (int i = 0; i < 5; i++) {
        char *path = NULL, *url = NULL; // the dataset's path policy decides what may be sent
        if (dataset_image_resolve(dataset, sample, i, &path, err) != 0 || image_file_data_url(path, &url, err) != 0) {
            free(path);
            cJSON_Delete(root);
            return error_prefix(err, "sample %s: ", sample->id);
        }
        free(path);
        add_text_part(content, LABELS[i]);
        cJSON *part = cJSON_CreateObject();
        cJSON_AddStringToObject(part, "type", "image_url");
        cJSON *image_url = cJSON_AddObjectToObject(part, "image_url");
        cJSON_AddStringToObject(image_url, "url", url);
        cJSON_AddItemToArray(content, part);
        free(url);
    }
    cJSON_AddNumberToObject(root, "temperature", options->temperature);
    cJSON_AddNumberToObject(root, "max_tokens", options->max_tokens);
    cJSON_AddNumberToObject(root, "seed", (double)options->seed);
    *body = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!*body) return error_set(err, "out of memory");
    Sha256 hash;
    uint8_t digest[32];
    sha256_begin(&hash);
    sha256_update_field(&hash, "iar-openai-cache-v1", 19);
    sha256_update_field(&hash, base_url, strlen(base_url));
    sha256_update_field(&hash, *body, strlen(*body));
    sha256_finish(&hash, digest);
    sha256_hex(digest, key);
    return 0;
}

int openai_response_parse(const char *body, char **text, int *prompt_tokens, int *completion_tokens, Error *err) {
    *text = NULL;
    *prompt_tokens = *completion_tokens = -1;
    cJSON *root = cJSON_Parse(body);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return error_set(err, "malformed JSON in the response");
    }
    const cJSON *choices = cJSON_GetObjectItemCaseSensitive(root, "choices");
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(choices, 0), "message");
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(message, "content");
    if (cJSON_IsString(content)) {
        *text = string_duplicate(content->valuestring);
    } else if (cJSON_IsArray(content)) {
        char *joined = NULL;
        size_t size = 0;
        FILE *stream = open_memstream(&joined, &size);
        const cJSON *part;
        cJSON_ArrayForEach(part, content) {
            const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(part, "text"));
            if (t && stream) fputs(t, stream);
        }
        if (stream) fclose(stream);
        *text = joined;
    }
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(usage, "prompt_tokens");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(usage, "completion_tokens");
    if (cJSON_IsNumber(p)) *prompt_tokens = p->valueint;
    if (cJSON_IsNumber(c)) *completion_tokens = c->valueint;
    cJSON_Delete(root);
    if (!*text) return error_set(err, "the response has no choices[0].message.content");
    return 0;
}

int openai_status_retryable(long status) {
    return status == 408 || status == 409 || status == 425 || status == 429 || (status >= 500 && status <= 599);
}

int openai_status_permanent(long status) {
    return status == 400 || status == 413 || status == 415 || status == 422;
}

double openai_retry_delay(const BackendOptions *options, uint64_t request_key, int attempt, double retry_after) {
    double cap = options->retry_max_seconds > 0 ? options->retry_max_seconds : 60.0;
    double delay = options->retry_base_seconds * pow(2.0, attempt > 1 ? attempt - 1 : 0);
    if (delay > cap) delay = cap;
    Rng rng = rng_stream(options->seed, request_key, RNG_PURPOSE_RETRY_JITTER);
    rng.counter = (uint64_t)attempt;
    delay *= 0.5 + 0.5 * rng_next_double(&rng);
    if (retry_after > delay) delay = retry_after < cap ? retry_after : cap;
    return delay;
}
