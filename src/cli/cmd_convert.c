// cmd_convert.c — `iar convert`: a dataset to the conversational messages + images form used by
// TRL / LLaMA-Factory / VLM-R1, and back.
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "data/convert.h"

static void convert_print_help(void) {
    printf("usage: iar convert DATA.jsonl --to messages -o OUT.jsonl [--system] [--parts]\n"
           "                   [--absolute-images]\n"
           "       iar convert MESSAGES.jsonl --from messages -o DATA.jsonl\n\n"
           "--to messages writes one conversation a line: {\"messages\":[{\"role\":\"user\",\"content\":\n"
           "\"<image>x5 + question\"},{\"role\":\"assistant\",\"content\":rationale or <answer>..</answer>}],\n"
           "\"images\":[original,A,B,C,D],\"id\":..,\"dimension\":..,\"meta\":..} (docs/DATA.md). Image paths are\n"
           "rewritten relative to OUT's folder.\n"
           "--from messages reads that form (also ShareGPT \"conversations\" with from/value, and content given\n"
           "as a list of parts); the answer is read from the assistant's <answer> block, the dimension from the\n"
           "\"dimension\" field or the question. Images must lie inside DATA.jsonl's folder.\n\n"
           "options:\n"
           "  --to messages | --from messages   the direction (one of them is required)\n"
           "  -o, --out FILE       the output file (written atomically)\n"
           "  --system             start each conversation with the built-in system message\n"
           "  --parts              content as a list of {\"type\":\"image\"} and {\"type\":\"text\"} parts (TRL and\n"
           "                       Hugging Face chat templates) instead of a string with <image> placeholders\n"
           "  --absolute-images    write absolute image paths (to messages only)\n\n"
           "example:\n"
           "  iar convert bench1/data.jsonl --to messages -o bench1/messages.jsonl\n"
           "  iar convert bench1/messages.jsonl --from messages -o bench1/roundtrip.jsonl\n");
}

int cmd_convert(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        convert_print_help();
        return 0;
    }
    const char *input = NULL, *output = NULL, *to = NULL, *from = NULL;
    ConvertOptions options = {0};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        int has_value = i + 1 < argc;
        if (strcmp(arg, "--to") == 0 || strcmp(arg, "--from") == 0 || strcmp(arg, "-o") == 0 ||
            strcmp(arg, "--out") == 0) {
            if (!has_value) return cli_fail("convert: %s needs a value (see iar convert --help)", arg);
            const char *value = argv[++i];
            if (strcmp(arg, "--to") == 0) to = value;
            else if (strcmp(arg, "--from") == 0) from = value;
            else output = value;
        } else if (strcmp(arg, "--system") == 0) {
            options.system_prompt = 1;
        } else if (strcmp(arg, "--parts") == 0) {
            options.content_parts = 1;
        } else if (strcmp(arg, "--absolute-images") == 0) {
            options.absolute_images = 1;
        } else if (arg[0] == '-' && arg[1]) {
            return cli_fail("convert: unknown option '%s' (see iar convert --help)", arg);
        } else if (input) {
            return cli_fail("convert: one input at a time ('%s' and '%s')", input, arg);
        } else {
            input = arg;
        }
    }
    if (!input) return cli_fail("convert: no input file (usage: iar convert DATA.jsonl --to messages -o OUT.jsonl)");
    if (!output) return cli_fail("convert: no output file (-o OUT.jsonl)");
    if (!to == !from) return cli_fail("convert: give exactly one of --to messages or --from messages");
    const char *format = to ? to : from;
    if (strcmp(format, "messages") != 0)
        return cli_fail("convert: unknown format '%s' (the only conversational format is 'messages')", format);
    if (strcmp(input, output) == 0) return cli_fail("convert: the output would overwrite the input '%s'", input);

    Error err = {{0}};
    size_t written = 0;
    int status = to ? convert_file_to_messages(input, output, &options, &written, &err)
                    : convert_file_from_messages(input, output, &written, &err);
    if (status != 0) return cli_fail_error(&err);
    fprintf(stderr, "iar: convert: wrote %zu %s to %s\n", written, to ? "conversations" : "samples", output);
    return 0;
}
