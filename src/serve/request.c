// request.c — parsing of /v1/chat/completions and /v1/screen bodies into a ScreenRequest: options
// are validated first (cheap), then the five images are decoded under the pixel cap.
#include "serve/request.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "core/files.h"
#include "core/progress.h"
#include "data/dataset.h"
#include "core/base64.h"

static const char *const IMAGE_NAMES[MODEL_IMAGE_COUNT] = {"original", "A", "B", "C", "D"};

static cJSON *request_parse_json(const char *body, size_t size, Error *err) {
    if (!body || size == 0) {
        error_set(err, "empty request body: send a JSON object");
        return NULL;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(body, size, &end, 0);
    if (!root) {
        size_t offset = end && end >= body && end <= body + size ? (size_t)(end - body) : 0;
        error_set(err, "malformed JSON at byte %zu of %zu", offset, size);
        return NULL;
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        error_set(err, "the request body must be a JSON object");
        return NULL;
    }
    return root;
}

// Reads an optional number field into *out, checking its range; absent or null keeps *out.
static int json_read_number(const cJSON *root, const char *key, double min, double max, int integer, double *out,
                            Error *err) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!item || cJSON_IsNull(item)) return 0;
    if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble))
        return error_set(err, "'%s' must be a number", key);
    double v = item->valuedouble;
    if (integer && v != floor(v)) return error_set(err, "'%s' must be an integer (got %g)", key, v);
    if (v < min || v > max) return error_set(err, "'%s' is %g, outside %g..%g", key, v, min, max);
    *out = v;
    return 0;
}

static int json_read_bool(const cJSON *root, const char *key, int *out, Error *err) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!item || cJSON_IsNull(item)) return 0;
    if (!cJSON_IsBool(item)) return error_set(err, "'%s' must be true or false", key);
    *out = cJSON_IsTrue(item);
    return 0;
}

// Options shared by both routes: temperature, top_p, max_tokens, seed, dimension.
static int request_read_options(ScreenRequest *out, const cJSON *root, const RequestLimits *limits, Error *err) {
    double temperature = 0, top_p = 1, max_tokens = out->max_tokens, seed = 0;
    if (json_read_number(root, "temperature", 0, 2, 0, &temperature, err) ||
        json_read_number(root, "top_p", 1e-6, 1, 0, &top_p, err) ||
        json_read_number(root, "max_tokens", 1, limits->max_tokens, 1, &max_tokens, err) ||
        json_read_number(root, "max_completion_tokens", 1, limits->max_tokens, 1, &max_tokens, err) ||
        json_read_number(root, "seed", -9.2e18, 9.2e18, 1, &seed, err))
        return -1;
    out->temperature = (float)temperature;
    out->top_p = (float)top_p;
    out->max_tokens = (int)max_tokens;
    out->seed = (uint64_t)(int64_t)seed;
    const cJSON *dimension = cJSON_GetObjectItemCaseSensitive(root, "dimension");
    if (dimension && !cJSON_IsNull(dimension)) {
        Dimension d;
        if (!cJSON_IsString(dimension) || dimension_parse(dimension->valuestring, &d) != 0)
            return error_set(err, "'dimension' must be one of deformation, lighting, placement, extension");
        out->dimension = (int)d;
    }
    return 0;
}

// Decodes one image (a data URL, or bare base64 when `bare_allowed`) into slot `index`.
static int request_decode_image(ScreenRequest *out, int index, const char *text, int bare_allowed,
                                const RequestLimits *limits, Error *err) {
    uint8_t *bytes = NULL;
    size_t size = 0;
    size_t length = strlen(text);
    int rc = (strncasecmp(text, "data:", 5) == 0 || !bare_allowed || strstr(text, "://"))
                 ? data_url_decode(text, length, &bytes, &size, err)
                 : base64_decode(text, length, &bytes, &size, err);
    if (rc == 0 && size == 0) rc = error_set(err, "the image is empty");
    if (rc == 0) rc = image_decode_memory(&out->images[index], bytes, size, limits->max_pixels, err);
    free(bytes);
    if (rc != 0) return error_prefix(err, "image %d (%s): ", index + 1, IMAGE_NAMES[index]);
    return 0;
}

static void request_init(ScreenRequest *out, const RequestLimits *limits) {
    memset(out, 0, sizeof *out);
    out->dimension = -1;
    out->top_p = 1;
    out->max_tokens = limits->default_tokens < limits->max_tokens ? limits->default_tokens : limits->max_tokens;
    if (out->max_tokens < 1) out->max_tokens = limits->max_tokens;
    out->choices = 1;
}

// Appends `text` and a newline to a growing buffer; returns -1 when out of memory.
static int text_append(char **buffer, size_t *size, const char *text) {
    size_t add = strlen(text);
    char *grown = realloc(*buffer, *size + add + 2);
    if (!grown) return -1;
    memcpy(grown + *size, text, add);
    grown[*size + add] = '\n';
    grown[*size + add + 1] = 0;
    *buffer = grown;
    *size += add + 1;
    return 0;
}

// Walks the messages: collects the text (for the dimension) and the image URLs, in order.
static int chat_collect_parts(const cJSON *messages, const char *urls[MODEL_IMAGE_COUNT], int *url_count, char **text,
                              Error *err) {
    size_t text_size = 0;
    int index = 0;
    const cJSON *message;
    cJSON_ArrayForEach(message, messages) {
        index++;
        if (!cJSON_IsObject(message)) return error_set(err, "messages[%d] must be an object", index - 1);
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(message, "role");
        if (!cJSON_IsString(role)) return error_set(err, "messages[%d] has no 'role' string", index - 1);
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(message, "content");
        if (!content || cJSON_IsNull(content)) continue;
        if (cJSON_IsString(content)) {
            if (text_append(text, &text_size, content->valuestring)) return error_set(err, "out of memory");
            continue;
        }
        if (!cJSON_IsArray(content))
            return error_set(err, "messages[%d].content must be a string or a list of parts", index - 1);
        const cJSON *part;
        int part_index = 0;
        cJSON_ArrayForEach(part, content) {
            part_index++;
            const cJSON *type = cJSON_GetObjectItemCaseSensitive(part, "type");
            if (!cJSON_IsString(type))
                return error_set(err, "messages[%d].content[%d] has no 'type'", index - 1, part_index - 1);
            if (strcmp(type->valuestring, "text") == 0) {
                const cJSON *t = cJSON_GetObjectItemCaseSensitive(part, "text");
                if (!cJSON_IsString(t))
                    return error_set(err, "messages[%d].content[%d] has no 'text' string", index - 1, part_index - 1);
                if (text_append(text, &text_size, t->valuestring)) return error_set(err, "out of memory");
            } else if (strcmp(type->valuestring, "image_url") == 0) {
                const cJSON *image = cJSON_GetObjectItemCaseSensitive(part, "image_url");
                if (cJSON_IsObject(image)) image = cJSON_GetObjectItemCaseSensitive(image, "url");
                if (!cJSON_IsString(image))
                    return error_set(err, "messages[%d].content[%d] has no image_url.url string", index - 1,
                                     part_index - 1);
                if (*url_count == MODEL_IMAGE_COUNT)
                    return error_set(err, "too many images: expected %d (the original, then A, B, C, D)",
                                     MODEL_IMAGE_COUNT);
                urls[(*url_count)++] = image->valuestring;
            } else {
                return error_set(err, "messages[%d].content[%d]: unsupported part type '%.40s' (text and image_url only)",
                                 index - 1, part_index - 1, type->valuestring);
            }
        }
    }
    if (index == 0) return error_set(err, "'messages' is empty");
    return 0;
}

static int request_decode_all(ScreenRequest *out, const char *const urls[MODEL_IMAGE_COUNT], int bare_allowed,
                              const RequestLimits *limits, Error *err) {
    double start = time_now_seconds();
    for (int i = 0; i < MODEL_IMAGE_COUNT; i++)
        if (request_decode_image(out, i, urls[i], bare_allowed, limits, err) != 0) return -1;
    out->decode_seconds = time_now_seconds() - start;
    return 0;
}

int request_parse_chat(ScreenRequest *out, const char *body, size_t size, const RequestLimits *limits, Error *err) {
    request_init(out, limits);
    cJSON *root = request_parse_json(body, size, err);
    if (!root) return -1;
    int rc = -1;
    char *text = NULL;
    const char *urls[MODEL_IMAGE_COUNT] = {0};
    int url_count = 0;
    double choices = 1;
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
    const cJSON *messages = cJSON_GetObjectItemCaseSensitive(root, "messages");
    const cJSON *stream_options = cJSON_GetObjectItemCaseSensitive(root, "stream_options");
    if (model && !cJSON_IsString(model)) {
        error_set(err, "'model' must be a string");
        goto done;
    }
    if (model) snprintf(out->model, sizeof out->model, "%s", model->valuestring);
    if (!cJSON_IsArray(messages)) {
        error_set(err, "'messages' must be a list of chat messages");
        goto done;
    }
    if (request_read_options(out, root, limits, err) || json_read_number(root, "n", 1, limits->max_choices, 1, &choices, err) ||
        json_read_bool(root, "stream", &out->stream, err))
        goto done;
    out->choices = (int)choices;
    if (stream_options && cJSON_IsObject(stream_options) &&
        json_read_bool(stream_options, "include_usage", &out->include_usage, err))
        goto done;
    if (chat_collect_parts(messages, urls, &url_count, &text, err) != 0) goto done;
    if (url_count != MODEL_IMAGE_COUNT) {
        error_set(err, "expected %d images (the original, then A, B, C, D), got %d", MODEL_IMAGE_COUNT, url_count);
        goto done;
    }
    if (out->dimension < 0 && text) out->dimension = request_detect_dimension(text);
    rc = request_decode_all(out, urls, 0, limits, err);
done:
    free(text);
    cJSON_Delete(root);
    if (rc != 0) request_free(out);
    return rc;
}

int request_parse_screen(ScreenRequest *out, const char *body, size_t size, const RequestLimits *limits, Error *err) {
    request_init(out, limits);
    cJSON *root = request_parse_json(body, size, err);
    if (!root) return -1;
    int rc = -1;
    const char *urls[MODEL_IMAGE_COUNT] = {0};
    const cJSON *original = cJSON_GetObjectItemCaseSensitive(root, "original");
    const cJSON *candidates = cJSON_GetObjectItemCaseSensitive(root, "candidates");
    const cJSON *question = cJSON_GetObjectItemCaseSensitive(root, "question");
    if (!cJSON_IsString(original)) {
        error_set(err, "'original' must be an image: a data:image/...;base64 URL or base64 string");
        goto done;
    }
    if (!cJSON_IsArray(candidates) || cJSON_GetArraySize(candidates) != CANDIDATE_COUNT) {
        error_set(err, "'candidates' must be a list of %d images (A, B, C, D), got %d", CANDIDATE_COUNT,
                  cJSON_IsArray(candidates) ? cJSON_GetArraySize(candidates) : 0);
        goto done;
    }
    urls[0] = original->valuestring;
    for (int i = 0; i < CANDIDATE_COUNT; i++) {
        const cJSON *candidate = cJSON_GetArrayItem(candidates, i);
        if (!cJSON_IsString(candidate)) {
            error_set(err, "candidates[%d] must be an image string", i);
            goto done;
        }
        urls[i + 1] = candidate->valuestring;
    }
    if (question && !cJSON_IsNull(question) && !cJSON_IsString(question)) {
        error_set(err, "'question' must be a string");
        goto done;
    }
    if (request_read_options(out, root, limits, err) != 0) goto done;
    if (cJSON_IsString(question) && question->valuestring[0]) {
        out->question = string_duplicate(question->valuestring);
        if (!out->question) {
            error_set(err, "out of memory");
            goto done;
        }
    }
    rc = request_decode_all(out, urls, 1, limits, err);
done:
    cJSON_Delete(root);
    if (rc != 0) request_free(out);
    return rc;
}

void request_free(ScreenRequest *request) {
    for (int i = 0; i < MODEL_IMAGE_COUNT; i++) image_free(&request->images[i]);
    free(request->question);
    request->question = NULL;
}

// 1 when `word` occurs in `text` with no letter right before or after it (case-insensitive).
static int text_has_word(const char *text, const char *word) {
    size_t length = strlen(word);
    for (const char *at = strcasestr(text, word); at; at = strcasestr(at + 1, word)) {
        int before = at > text && isalpha((unsigned char)at[-1]);
        int after = isalpha((unsigned char)at[length]);
        if (!before && !after) return 1;
    }
    return 0;
}

int request_detect_dimension(const char *text) {
    // Titles first ("Physical Lighting and Shadow"), then the ids ("lighting"); ambiguity is unknown.
    for (int pass = 0; pass < 2; pass++) {
        int found = -1, count = 0;
        for (int d = 0; d < DIMENSION_COUNT; d++) {
            const char *name = pass == 0 ? dimension_title((Dimension)d) : dimension_id((Dimension)d);
            if (name && text_has_word(text, name)) {
                found = d;
                count++;
            }
        }
        if (count == 1) return found;
        if (count > 1) return -1;
    }
    return -1;
}
