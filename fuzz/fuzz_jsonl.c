// fuzz_jsonl.c — libFuzzer harness for the dataset line parser (sample_parse_json) and the messages
// record reader (convert_messages_to_sample). Besides memory errors (ASan/UBSan), it checks two
// properties: a line that parses is written back as JSON that parses to the same line again, and every
// accepted image path is a safe relative path.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/files.h"
#include "data/convert.h"
#include "data/dataset.h"

static void check_round_trip(const Sample *sample) {
    Error err = {{0}};
    if (!path_is_safe_relative(sample->original)) abort();
    for (int i = 0; i < CANDIDATE_COUNT; i++)
        if (!path_is_safe_relative(sample->candidates[i])) abort();
    if (sample->answer & ~ANSWER_SET_ALL) abort();
    char *json = sample_to_json(sample);
    if (!json) abort();
    Sample again;
    if (sample_parse_json(&again, json, 1, &err) != 0) {
        fprintf(stderr, "written line does not parse: %s\n%s\n", err.message, json);
        abort();
    }
    char *json_again = sample_to_json(&again);
    if (!json_again || strcmp(json, json_again) != 0) abort();
    char answer[16];
    answer_set_format(again.answer, answer, sizeof answer);
    free(json_again);
    free(json);
    sample_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    Sample sample;
    Error err = {{0}};
    if (sample_parse_json(&sample, text, 1, &err) == 0) {
        check_round_trip(&sample);
        sample_free(&sample);
    }
    if (convert_messages_to_sample(&sample, text, 1, &err) == 0) sample_free(&sample);
    free(text);
    return 0;
}
