// cmd_convert.c — `iar convert`: a dataset to the layouts training tools load as-is (messages,
// trl-grpo, vlm-r1, llamafactory, sharegpt), and the messages form back to a dataset.
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "data/convert.h"
#include "data/export.h"

static void convert_print_help(void) {
    printf("usage: iar convert DATA.jsonl --to FORMAT -o OUT.jsonl [--system] [--parts] [--absolute-images]\n"
           "       iar convert MESSAGES.jsonl --from messages -o DATA.jsonl\n\n"
           "FORMAT (docs/DATA.md shows each layout and the command that loads it):\n"
           "  messages      {\"messages\":[user: <image>x5 + question, assistant: rationale or <answer>..</answer>],\n"
           "                \"images\":[original,A,B,C,D],\"id\",\"dimension\",\"meta\"}\n"
           "  trl-grpo      TRL GRPOTrainer: \"prompt\" (conversational, image parts), \"images\", \"solution\"\n"
           "  vlm-r1        VLM-R1: \"image\" (list) and \"conversations\" (from human/gpt); --image_folders OUT's folder\n"
           "  llamafactory  LLaMA-Factory: the messages file plus its entry in OUT's folder's dataset_info.json\n"
           "                (--name NAME; default OUT's file name); images resolve against that folder (media_dir)\n"
           "  sharegpt      ShareGPT: \"conversations\" (from/value), \"system\", \"images\"\n"
           "Image paths are written relative to OUT's folder, which is created when missing; every file is\n"
           "written atomically. --from messages reads the messages form (also ShareGPT \"conversations\" and\n"
           "content as parts); images must lie inside DATA.jsonl's folder.\n\n"
           "options:\n"
           "  --to FORMAT | --from messages   the direction (one of them is required)\n"
           "  -o, --out FILE       the output file\n"
           "  --name NAME          the dataset's name in dataset_info.json (llamafactory)\n"
           "  --system             start each conversation with the built-in system message\n"
           "  --parts              content as a list of {\"type\":\"image\"} and {\"type\":\"text\"} parts (messages)\n"
           "  --absolute-images    write absolute image paths\n"
           "  --config FILE.json   these options from a JSON object ({\"to\": \"trl-grpo\"}); the command line wins\n\n"
           "examples:\n"
           "  iar convert bench1/data.jsonl --to messages -o bench1/messages.jsonl\n"
           "  iar convert bench1/data.jsonl --to llamafactory -o lf_data/iar_bench1.jsonl\n"
           "  iar convert bench1/messages.jsonl --from messages -o bench1/roundtrip.jsonl\n");
}

int cmd_convert(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        convert_print_help();
        return 0;
    }
    const char *output = NULL, *to = NULL, *from = NULL, *name = NULL;
    ConvertOptions options = {0};
    const CliOption OPTIONS[] = {
        OPTION_STRING("to", &to),
        OPTION_STRING("from", &from),
        OPTION_OUT(&output),
        OPTION_STRING("name", &name),
        OPTION_FLAG("system", &options.system_prompt),
        OPTION_FLAG("parts", &options.content_parts),
        OPTION_FLAG("absolute-images", &options.absolute_images),
        OPTION_END,
    };
    int first = 0;
    if (cli_options_parse("convert", argc, argv, OPTIONS, &first) != 0) return 1;
    if (first == argc) return cli_fail("convert: no input file (usage: iar convert DATA.jsonl --to messages -o OUT.jsonl)");
    if (argc - first > 1) return cli_fail("convert: one input at a time ('%s' and '%s')", argv[first], argv[first + 1]);
    const char *input = argv[first];
    if (!output) return cli_fail("convert: no output file (-o OUT.jsonl)");
    if (!to == !from) return cli_fail("convert: give exactly one of --to FORMAT or --from messages");
    ExportFormat format = EXPORT_MESSAGES;
    if (to && export_format_parse(to, &format) != 0)
        return cli_fail("convert: unknown format '%s' (messages, trl-grpo, vlm-r1, llamafactory, sharegpt)", to);
    if (from && strcmp(from, "messages") != 0)
        return cli_fail("convert: --from reads 'messages' only (it also accepts ShareGPT conversations), not '%s'", from);
    if (strcmp(input, output) == 0) return cli_fail("convert: the output would overwrite the input '%s'", input);

    Error err = {{0}};
    size_t written = 0;
    int status = to ? export_dataset(input, output, format, &options, name, &written, &err)
                    : convert_file_from_messages(input, output, &written, &err);
    if (status != 0) return cli_fail_error(&err);
    fprintf(stderr, "iar: convert: wrote %zu %s to %s%s\n", written, to ? "conversations" : "samples", output,
            format == EXPORT_LLAMAFACTORY ? " and its dataset_info.json entry" : "");
    return 0;
}
