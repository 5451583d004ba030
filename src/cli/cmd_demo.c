// cmd_demo.c — `iar demo`: the embedded default run (DESIGN §7). Each step is an ordinary iar
// subcommand called in-process; a step whose output already exists is skipped, so re-running
// resumes instead of starting over.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/files.h"
#include "core/progress.h"

typedef struct DemoStep {
    const char *title;
    const char *done_marker; // relative to the demo folder; the step is skipped when it exists
    int (*run)(int argc, char **argv);
    const char *args;        // space-separated; "{D}" is replaced by the demo folder
} DemoStep;

static const DemoStep STEPS[] = {
    {"generate the training benchmark", "train/data.jsonl", cmd_synth,
     "synth --out {D}/train --n 12000 --seed 1 --size 128 --difficulty mix"},
    {"generate the test benchmark (other seed)", "test/data.jsonl", cmd_synth,
     "synth --out {D}/test --n 400 --seed 2 --size 128 --difficulty mix"},
    {"validate the test benchmark", NULL, cmd_check, "check {D}/test/data.jsonl"},
    {"draw a contact sheet of the first test samples", "contact_sheet.png", cmd_show,
     "show {D}/test/data.jsonl --grid 8 -o {D}/contact_sheet.png"},
    {"train the tokenizer", "tokenizer.json", cmd_train,
     "train tokenizer --data {D}/train/data.jsonl --out {D}/tokenizer.json --vocab 1024"},
    {"chain-of-thought SFT of the small model", "sft/model.safetensors", cmd_train,
     "train sft --data {D}/train/data.jsonl --tokenizer {D}/tokenizer.json --out {D}/sft --config small:pointer "
     "--aux-weight 1 --steps 3000 --batch 16 --val-every 1000 --val-samples 32 --resume"},
    {"DPA-GRPO with hard-case mining", "grpo/model.safetensors", cmd_train,
     "train grpo --data {D}/train/data.jsonl --init {D}/sft --out {D}/grpo --reward dpa --hcm --steps 120 --group 8 "
     "--prompts-per-step 4 --lr 1e-4 --max-new-tokens 64 --hcm-period 40 --hcm-subset 32 --resume"},
    {"evaluate the random baseline", NULL, cmd_eval, "eval --data {D}/test/data.jsonl --model random --out {D}/runs/random"},
    {"evaluate the select-all baseline", NULL, cmd_eval, "eval --data {D}/test/data.jsonl --model all --out {D}/runs/all"},
    {"evaluate SFT", NULL, cmd_eval, "eval --data {D}/test/data.jsonl --model native:{D}/sft --name SFT --out {D}/runs/sft"},
    {"evaluate DPA-GRPO", NULL, cmd_eval,
     "eval --data {D}/test/data.jsonl --model native:{D}/grpo --name DPA-GRPO --out {D}/runs/grpo"},
    {"report", NULL, cmd_report, "report {D}/runs/random {D}/runs/all {D}/runs/sft {D}/runs/grpo -o {D}/report"},
};

static void usage(FILE *out) {
    fprintf(out, "usage: iar demo [--out DIR] [--from N]\n\n"
                 "Runs the embedded default end to end: generates train and test benchmarks, trains the\n"
                 "tokenizer, SFTs the small model, DPA-GRPOs it, evaluates it against the random and\n"
                 "select-all baselines, prints the paper-style table and writes DIR/report/report.html.\n"
                 "Steps whose output exists are skipped: re-running resumes.\n\n"
                 "  --out DIR   demo folder (default: demo)\n"
                 "  --from N    start at step N (1-based) and redo it even if its output exists\n\n"
                 "example:\n  iar demo --out demo\n");
}

// Splits `args` (with {D} replaced) into an argv; returns argc. Memory: one buffer in *storage.
// Splits the step's template on spaces first, then puts the demo folder in place of "{D}" inside
// each word, so a folder whose name has spaces stays one argument. One allocation (*storage).
static int demo_build_argv(const char *args, const char *dir, char **argv, int max, char **storage) {
    size_t n = 2 * strlen(args) + 2;
    for (const char *p = strstr(args, "{D}"); p; p = strstr(p + 3, "{D}")) n += strlen(dir);
    char *buffer = malloc(n);
    if (!buffer) return -1;
    char *w = buffer;
    int argc = 0;
    for (const char *p = args; *p && argc < max - 1;) {
        while (*p == ' ') p++;
        if (!*p) break;
        argv[argc++] = w;
        while (*p && *p != ' ') {
            if (strncmp(p, "{D}", 3) == 0) {
                w += sprintf(w, "%s", dir);
                p += 3;
            } else {
                *w++ = *p++;
            }
        }
        *w++ = 0;
    }
    argv[argc] = NULL;
    *storage = buffer;
    return argc;
}

int cmd_demo(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    const char *dir = "demo";
    long from = 0; // 0: not given (resume after the last finished step)
    const CliOption OPTIONS[] = {OPTION_STRING("out", &dir), OPTION_INT("from", &from, 1, 100), OPTION_END};
    int first = 0;
    if (cli_options_parse("demo", argc, argv, OPTIONS, &first) != 0) return 1;
    if (first < argc) return cli_fail("demo: unexpected argument '%s' (iar demo --help)", argv[first]);
    int from_given = from > 0;
    if (!from_given) from = 1;
    Error err = {{0}};
    if (dir_create_all(dir, &err) != 0) return cli_fail_error(&err);
    int steps = (int)(sizeof STEPS / sizeof STEPS[0]);
    double start = time_now_seconds();
    for (int s = (int)from - 1; s < steps; s++) {
        const DemoStep *step = &STEPS[s];
        if (step->done_marker && !(from_given && s + 1 == from)) {
            char *marker = path_join(dir, step->done_marker);
            int done = file_exists(marker);
            free(marker);
            if (done) {
                fprintf(stderr, "[demo %d/%d] %s: done earlier, skipped\n", s + 1, steps, step->title);
                continue;
            }
        }
        fprintf(stderr, "[demo %d/%d] %s (%.0fs elapsed)\n", s + 1, steps, step->title, time_now_seconds() - start);
        char *step_argv[64], *storage = NULL;
        int step_argc = demo_build_argv(step->args, dir, step_argv, 64, &storage);
        if (step_argc < 0) return cli_fail("demo: out of memory");
        int rc = step->run(step_argc, step_argv);
        fflush(stdout); // keep the step's table and the next progress line in order
        free(storage);
        if (rc != 0) return cli_fail("demo: step %d (%s) failed; fix it and re-run `iar demo --out %s` to resume",
                                     s + 1, step->title, dir);
    }
    fprintf(stderr, "[demo] finished in %.0fs; report: %s/report/report.html\n", time_now_seconds() - start, dir);
    return 0;
}
