// serve_fuzz_request.c — libFuzzer harness for the server's request parsers: the first byte picks
// /v1/chat/completions, /v1/screen as JSON or /v1/screen as multipart/form-data (boundary "b0"),
// the rest is the body. Also runs the dimension detector and
// the data-URL decoder on the raw input. Built and run by fuzz/serve_fuzz.sh (see docs/perf/serve.md).
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "serve/multipart.h"
#include "serve/request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    RequestLimits limits = {.max_pixels = 256 * 256, .max_tokens = 512, .default_tokens = 64, .max_choices = 4,
                            .max_request_pixels = 3 * 256 * 256};
    ScreenRequest request;
    Error err;
    const char *body = (const char *)data + 1;
    size_t body_size = size - 1;
    const char *form_type = "multipart/form-data; boundary=b0";
    int route = data[0] % 3;
    int rc = route == 1   ? request_parse_chat(&request, body, body_size, &limits, &err)
             : route == 2 ? request_parse_screen_form(&request, form_type, body, body_size, &limits, &err)
                          : request_parse_screen(&request, body, body_size, &limits, &err);
    if (rc == 0) {
        size_t total = 0; // the request's pixel budget held
        for (int i = 0; i < MODEL_IMAGE_COUNT; i++) total += (size_t)request.images[i].width * request.images[i].height;
        if (total > limits.max_request_pixels || total != request.pixels) abort();
    }
    if (rc == 0) {
        // A parsed request is fully decoded: five images within the pixel cap.
        for (int i = 0; i < MODEL_IMAGE_COUNT; i++)
            if (!request.images[i].data || (size_t)request.images[i].width * request.images[i].height > limits.max_pixels)
                abort();
        request_free(&request);
    } else if (!memchr(err.message, 0, sizeof err.message) || err.message[0] == 0) {
        abort(); // every failure carries a message
    }
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    (void)request_detect_dimension(text);
    uint8_t *bytes = NULL;
    size_t bytes_size = 0;
    if (data_url_decode(text, size, &bytes, &bytes_size, &err) == 0) free(bytes);
    Multipart form; // the splitter alone: every part lies inside the body
    if (multipart_parse(&form, form_type, text, size, &err) == 0)
        for (int i = 0; i < form.count; i++)
            if (form.parts[i].data < text || form.parts[i].data + form.parts[i].size > text + size) abort();
    free(text);
    return 0;
}
