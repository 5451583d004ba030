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
#include "serve/multipart.h"

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

// Width and height from a PNG's IHDR or a JPEG's SOF marker, without decoding; -1 when the bytes
// are neither (the decoder then says what is wrong).
static int image_probe_size(const uint8_t *b, size_t size, size_t *width, size_t *height) {
    if (size >= 24 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0 && memcmp(b + 12, "IHDR", 4) == 0) {
        *width = (size_t)b[16] << 24 | (size_t)b[17] << 16 | (size_t)b[18] << 8 | b[19];
        *height = (size_t)b[20] << 24 | (size_t)b[21] << 16 | (size_t)b[22] << 8 | b[23];
        return 0;
    }
    if (size < 4 || b[0] != 0xFF || b[1] != 0xD8) return -1;
    for (size_t i = 2; i + 4 <= size;) {
        if (b[i] != 0xFF) return -1;
        uint8_t marker = b[i + 1];
        if (marker == 0xFF) { // fill byte
            i++;
            continue;
        }
        if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD9)) { // no length
            i += 2;
            continue;
        }
        size_t length = (size_t)b[i + 2] << 8 | b[i + 3];
        int is_frame = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
        if (is_frame) {
            if (i + 9 > size || length < 7) return -1;
            *height = (size_t)b[i + 5] << 8 | b[i + 6];
            *width = (size_t)b[i + 7] << 8 | b[i + 8];
            return 0;
        }
        if (length < 2) return -1;
        i += 2 + length;
    }
    return -1;
}

typedef struct EncodedImage {
    const uint8_t *bytes;
    size_t size;
} EncodedImage;

// Budgets, then decodes the five images: per-image cap (400), the request's total (413), the
// server's budget through reserve_pixels (503); nothing is decoded until all three agree.
static int request_decode_all(ScreenRequest *out, const EncodedImage images[MODEL_IMAGE_COUNT],
                              const RequestLimits *limits, Error *err) {
    double start = time_now_seconds();
    size_t per_image = limits->max_pixels ? limits->max_pixels : IMAGE_DEFAULT_MAX_PIXELS;
    size_t total = 0, budget = limits->max_request_pixels ? limits->max_request_pixels : per_image * MODEL_IMAGE_COUNT;
    for (int i = 0; i < MODEL_IMAGE_COUNT; i++) {
        size_t width = 0, height = 0;
        if (images[i].size == 0) return error_set(err, "image %d (%s): the image is empty", i + 1, IMAGE_NAMES[i]);
        if (image_probe_size(images[i].bytes, images[i].size, &width, &height) != 0)
            return error_set(err, "image %d (%s): not a PNG or JPEG (or its header is cut)", i + 1, IMAGE_NAMES[i]);
        if (width == 0 || height == 0 || width > per_image / height)
            return error_set(err, "image %d (%s): %zux%zu is over the limit of %zu pixels per image (--max-pixels)", i + 1,
                             IMAGE_NAMES[i], width, height, per_image);
        total += width * height;
    }
    if (total > budget) {
        out->error_status = 413;
        return error_set(err, "the five images total %zu pixels, over the limit of %zu per request (--max-request-pixels)",
                         total, budget);
    }
    if (limits->reserve_pixels && limits->reserve_pixels(limits->reserve_user, total) != 0) {
        out->error_status = 503;
        return error_set(err, "the server is decoding as many pixels as it allows at once; retry after 1 s");
    }
    out->pixels = total;
    for (int i = 0; i < MODEL_IMAGE_COUNT; i++)
        if (image_decode_memory(&out->images[i], images[i].bytes, images[i].size, limits->max_pixels, err) != 0)
            return error_prefix(err, "image %d (%s): ", i + 1, IMAGE_NAMES[i]);
    out->decode_seconds = time_now_seconds() - start;
    return 0;
}

// Decodes the five texts (data URLs, or bare base64 when `bare_allowed`), then the images.
static int request_decode_texts(ScreenRequest *out, const char *const texts[MODEL_IMAGE_COUNT], int bare_allowed,
                                const RequestLimits *limits, Error *err) {
    uint8_t *bytes[MODEL_IMAGE_COUNT] = {0};
    EncodedImage images[MODEL_IMAGE_COUNT];
    int rc = 0;
    for (int i = 0; i < MODEL_IMAGE_COUNT && rc == 0; i++) {
        const char *text = texts[i];
        size_t length = strlen(text), size = 0;
        rc = (strncasecmp(text, "data:", 5) == 0 || !bare_allowed || strstr(text, "://"))
                 ? data_url_decode(text, length, &bytes[i], &size, err)
                 : base64_decode(text, length, &bytes[i], &size, err);
        if (rc != 0) error_prefix(err, "image %d (%s): ", i + 1, IMAGE_NAMES[i]);
        images[i] = (EncodedImage){bytes[i], size};
    }
    if (rc == 0) rc = request_decode_all(out, images, limits, err);
    for (int i = 0; i < MODEL_IMAGE_COUNT; i++) free(bytes[i]);
    return rc;
}

static void request_init(ScreenRequest *out, const RequestLimits *limits) {
    memset(out, 0, sizeof *out);
    out->dimension = -1;
    out->top_p = 1;
    out->max_tokens = limits->default_tokens < limits->max_tokens ? limits->default_tokens : limits->max_tokens;
    if (out->max_tokens < 1) out->max_tokens = limits->max_tokens;
    out->choices = 1;
    out->error_status = 400;
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

// What this server does with each chat parameter. Parameters it cannot honour are refused rather
// than ignored (a client asking for logprobs must not get a reply without them), unless they hold
// their neutral value (null, false, 0, [] or {}).
static const char *const CHAT_SUPPORTED[] = {"model", "messages", "temperature", "top_p", "max_tokens",
                                             "max_completion_tokens", "seed", "n", "stream", "stream_options",
                                             "stop", "dimension", "user", "metadata", "store"};
static const char *const CHAT_UNSUPPORTED[] = {
    "logprobs", "top_logprobs", "tools", "tool_choice", "functions", "function_call", "parallel_tool_calls",
    "response_format", "logit_bias", "presence_penalty", "frequency_penalty", "repetition_penalty", "audio",
    "modalities", "prediction", "reasoning_effort", "web_search_options", "top_k", "min_p", "best_of",
    "service_tier", "guided_json", "guided_regex", "guided_choice", "echo", "suffix"};

static int json_is_neutral(const cJSON *item) {
    return cJSON_IsNull(item) || cJSON_IsFalse(item) || (cJSON_IsNumber(item) && item->valuedouble == 0) ||
           ((cJSON_IsArray(item) || cJSON_IsObject(item)) && !item->child);
}

static int chat_check_parameters(const cJSON *root, Error *err) {
    const cJSON *item;
    cJSON_ArrayForEach(item, root) {
        int known = 0;
        for (size_t i = 0; i < sizeof CHAT_SUPPORTED / sizeof CHAT_SUPPORTED[0] && !known; i++)
            known = strcmp(item->string, CHAT_SUPPORTED[i]) == 0;
        if (known) continue;
        for (size_t i = 0; i < sizeof CHAT_UNSUPPORTED / sizeof CHAT_UNSUPPORTED[0]; i++)
            if (strcmp(item->string, CHAT_UNSUPPORTED[i]) == 0) {
                if (json_is_neutral(item)) goto next;
                return error_set(err, "'%s' is not supported by this server (the native screener has no %s)", item->string,
                                 item->string);
            }
        return error_set(err, "unrecognized request argument supplied: '%.60s'", item->string);
    next:;
    }
    return 0;
}

// `stop`: a string or a list of up to four non-empty strings.
static int chat_read_stop(ScreenRequest *out, const cJSON *root, Error *err) {
    const cJSON *stop = cJSON_GetObjectItemCaseSensitive(root, "stop");
    if (!stop || cJSON_IsNull(stop)) return 0;
    if (cJSON_IsString(stop)) {
        if (!stop->valuestring[0]) return error_set(err, "'stop' must not be empty");
        out->stop[0] = string_duplicate(stop->valuestring);
        out->stop_count = 1;
        return out->stop[0] ? 0 : error_set(err, "out of memory");
    }
    if (!cJSON_IsArray(stop) || cJSON_GetArraySize(stop) > REQUEST_MAX_STOP)
        return error_set(err, "'stop' must be a string or a list of at most %d strings", REQUEST_MAX_STOP);
    const cJSON *item;
    cJSON_ArrayForEach(item, stop) {
        if (!cJSON_IsString(item) || !item->valuestring[0])
            return error_set(err, "'stop' entries must be non-empty strings");
        out->stop[out->stop_count] = string_duplicate(item->valuestring);
        if (!out->stop[out->stop_count++]) return error_set(err, "out of memory");
    }
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
    if (chat_check_parameters(root, err) || request_read_options(out, root, limits, err) ||
        json_read_number(root, "n", 1, limits->max_choices, 1, &choices, err) ||
        json_read_bool(root, "stream", &out->stream, err) || chat_read_stop(out, root, err))
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
    rc = request_decode_texts(out, urls, 0, limits, err);
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
    rc = request_decode_texts(out, urls, 1, limits, err);
done:
    cJSON_Delete(root);
    if (rc != 0) request_free(out);
    return rc;
}

int request_parse_screen_form(ScreenRequest *out, const char *content_type, const char *body, size_t size,
                              const RequestLimits *limits, Error *err) {
    request_init(out, limits);
    Multipart form;
    if (multipart_parse(&form, content_type, body, size, err) != 0) return -1;
    static const char *const SLOTS[MODEL_IMAGE_COUNT] = {"original", "a", "b", "c", "d"};
    EncodedImage images[MODEL_IMAGE_COUNT];
    int candidates = 0;
    for (int i = 0; i < form.count; i++) // four parts all named "candidates" (or "candidates[]") in order
        if (strncasecmp(form.parts[i].name, "candidates", 10) == 0 && candidates < CANDIDATE_COUNT)
            images[1 + candidates++] = (EncodedImage){(const uint8_t *)form.parts[i].data, form.parts[i].size};
    for (int i = 0; i < MODEL_IMAGE_COUNT; i++) {
        if (i > 0 && candidates == CANDIDATE_COUNT) break;
        const MultipartPart *part = multipart_find(&form, SLOTS[i]);
        if (!part)
            return error_set(err, "form field '%s' is missing: send original, a, b, c, d as files (curl -F %s=@FILE)",
                             SLOTS[i], SLOTS[i]);
        images[i] = (EncodedImage){(const uint8_t *)part->data, part->size};
    }
    // The text fields become a JSON object, so they are checked exactly as in the JSON body.
    cJSON *options = cJSON_CreateObject();
    if (!options) return error_set(err, "out of memory");
    static const char *const NUMBERS[] = {"seed", "max_tokens", "temperature"};
    static const char *const TEXTS[] = {"dimension", "question"};
    int rc = 0;
    for (size_t k = 0; k < sizeof NUMBERS / sizeof NUMBERS[0] + sizeof TEXTS / sizeof TEXTS[0] && rc == 0; k++) {
        int numeric = k < sizeof NUMBERS / sizeof NUMBERS[0];
        const char *name = numeric ? NUMBERS[k] : TEXTS[k - sizeof NUMBERS / sizeof NUMBERS[0]];
        const MultipartPart *part = multipart_find(&form, name);
        if (!part) continue;
        char *value = strndup(part->data, part->size);
        if (!value) {
            rc = error_set(err, "out of memory");
            break;
        }
        char *end = NULL;
        double number = numeric ? strtod(value, &end) : 0;
        cJSON_AddItemToObject(options, name, numeric && end != value && !*end ? cJSON_CreateNumber(number) : cJSON_CreateString(value));
        free(value);
    }
    if (rc == 0) rc = request_read_options(out, options, limits, err);
    const cJSON *question = cJSON_GetObjectItemCaseSensitive(options, "question");
    if (rc == 0 && cJSON_IsString(question) && question->valuestring[0] && !(out->question = string_duplicate(question->valuestring)))
        rc = error_set(err, "out of memory");
    cJSON_Delete(options);
    if (rc == 0) rc = request_decode_all(out, images, limits, err);
    if (rc != 0) request_free(out);
    return rc;
}

void request_free(ScreenRequest *request) {
    for (int i = 0; i < MODEL_IMAGE_COUNT; i++) image_free(&request->images[i]);
    free(request->question);
    request->question = NULL;
    for (int i = 0; i < request->stop_count; i++) free(request->stop[i]), request->stop[i] = NULL;
    request->stop_count = 0;
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
