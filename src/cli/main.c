// main.c — the iar binary: dispatches to one subcommand per file in src/cli.
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

typedef struct Command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} Command;

static const Command COMMANDS[] = {
    {"synth", cmd_synth, "generate a procedural screening benchmark with known defects"},
    {"screen", cmd_screen, "screen your own images: ORIGINAL A B C D, or --batch FILE|DIR"},
    {"import", cmd_import, "your own image sets + a labels file (CSV/JSON) -> a dataset"},
    {"check", cmd_check, "validate a dataset and print its statistics"},
    {"show", cmd_show, "draw a contact sheet of samples (original, A-D, gold, defects)"},
    {"convert", cmd_convert, "convert to/from the conversational messages+images format"},
    {"eval", cmd_eval, "evaluate a model (random, all, native:CKPT, openai:MODEL[@URL])"},
    {"plot", cmd_plot, "training curves of runs from their train_log.jsonl (SVG)"},
    {"report", cmd_report, "tables, comparisons and HTML reports of eval runs"},
    {"train", cmd_train, "train the native model: tokenizer, sft, grpo"},
    {"serve", cmd_serve, "serve a trained model: OpenAI-compatible API, /v1/screen, web page"},
    {"demo", cmd_demo, "the embedded default: benchmark, SFT, DPA-GRPO, evaluation, report"},
};

static void print_usage(FILE *out) {
    fprintf(out, "iar — image aesthetic reasoning: screening AI-generated product images\n\n"
                 "usage: iar COMMAND [options]   (iar COMMAND --help for each; iar --version)\n\ncommands:\n");
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        fprintf(out, "  %-8s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(out, "\nexample:\n  iar synth --out bench1 --n 200 && iar eval --data bench1/data.jsonl --model random\n");
}

#ifndef IAR_VERSION
#define IAR_VERSION "unknown"
#endif

int main(int argc, char **argv) {
    if (argc == 2 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0)) {
        printf("iar %s\n", IAR_VERSION);
        return 0;
    }
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        print_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        if (strcmp(argv[1], COMMANDS[i].name) == 0) return COMMANDS[i].run(argc - 1, argv + 1);
    cli_fail("unknown command '%s' (iar --help lists them)", argv[1]);
    return 2;
}
