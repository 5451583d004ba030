// cmd_plot.c — `iar plot OUT.svg RUN_DIR[=LABEL] ...`: training curves of one or more SFT or GRPO
// runs from their train_log.jsonl (the drawing is src/train/curve.c; `iar report` draws them too).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "train/curve.h"

static const char USAGE[] =
    "usage: iar plot OUT.svg RUN_DIR[=LABEL] ... [--field NAME]\n\n"
    "Draws a per-step field of each run's train_log.jsonl as one curve per run, labelled LABEL (default:\n"
    "the folder), with the validation exact score below, into an SVG. The title says whether the runs\n"
    "are SFT or GRPO (from the fields their logs hold).\n\n"
    "options:\n"
    "  --field NAME   the train_log.jsonl field to draw (default: loss for SFT, accuracy_mean for GRPO;\n"
    "                 e.g. exact_mean, reward_mean, logprob_gap_max); needed to compare SFT with GRPO\n"
    "  --config FILE.json  these options from a JSON object; the command line overrides it\n\n"
    "example:\n"
    "  iar plot curves.svg runs/grpo-exact=exact runs/dpa=DPA --field exact_mean\n";

int cmd_plot(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        fputs(USAGE, stdout);
        return 0;
    }
    const char *field = NULL;
    const CliOption OPTIONS[] = {OPTION_STRING("field", &field), OPTION_END};
    int first = 0;
    if (cli_options_parse("plot", argc, argv, OPTIONS, &first) != 0) return 1;
    if (argc - first < 2) return cli_fail("plot: give OUT.svg and at least one run folder (iar plot --help)");
    const char *svg = argv[first];
    int count = argc - first - 1;
    char **logs = calloc((size_t)count, sizeof *logs), **labels = calloc((size_t)count, sizeof *labels);
    int rc = logs && labels ? 0 : cli_fail("plot: out of memory");
    for (int i = 0; i < count && rc == 0; i++) {
        const char *arg = argv[first + 1 + i], *eq = strchr(arg, '=');
        int dir_length = eq ? (int)(eq - arg) : (int)strlen(arg);
        labels[i] = strdup(eq ? eq + 1 : arg);
        if (asprintf(&logs[i], "%.*s/train_log.jsonl", dir_length, arg) < 0) logs[i] = NULL;
        if (!labels[i] || !logs[i]) rc = cli_fail("plot: out of memory");
    }
    Error err = {{0}};
    if (rc == 0 && curve_write_svg((const char *const *)logs, (const char *const *)labels, count, field, svg, &err) != 0)
        rc = cli_fail_error(&err);
    for (int i = 0; logs && labels && i < count; i++) free(logs[i]), free(labels[i]);
    free(logs);
    free(labels);
    if (rc == 0) printf("%s\n", svg);
    return rc;
}
