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
    const char *args;        // space-separated; "{D}" is the demo folder, "{M}" the shipped model's, "{S}" the
                             // training seed; the word "{PRODUCT}": --init-product {M}/product_tower when the
                             // model has one
} DemoStep;

// Shared by both paths: the test benchmark (a seed no training uses), its check and contact sheet,
// a small text training set, and the baselines.
#define DEMO_DATA_STEPS                                                                                               \
    {"generate the test benchmark (a seed no training uses)", "test/data.jsonl", cmd_synth,                          \
     "synth --out {D}/test --n 400 --seed 2 --size 128 --difficulty mix --style render"},                            \
    {"validate the test benchmark", NULL, cmd_check, "check {D}/test/data.jsonl"},                                  \
    {"draw a contact sheet of the first test samples", "contact_sheet.png", cmd_show,                                \
     "show {D}/test/data.jsonl --grid 8 -o {D}/contact_sheet.png"},                                                  \
    {"generate the SFT training set", "train/data.jsonl", cmd_synth,                                                 \
     "synth --out {D}/train --n 2000 --seed 1 --size 128 --difficulty mix --style render"},                          \
    {"evaluate the random baseline", NULL, cmd_eval, "eval --data {D}/test/data.jsonl --model random --out {D}/runs/random"}, \
    {"evaluate the select-all baseline", NULL, cmd_eval, "eval --data {D}/test/data.jsonl --model all --out {D}/runs/all"}

// SFT of a fresh language side on a frozen tower (and the model's product-view tower: PRODUCT),
// DPA-GRPO on top, both evaluated.
#define DEMO_TRAIN_STEPS(TOWER, PRODUCT, TOKENIZER)                                                                   \
    {"chain-of-thought SFT of a small language side on the frozen tower", "sft/model.safetensors", cmd_train,       \
     "train sft --data {D}/train/data.jsonl --tokenizer " TOKENIZER " --init-vision " TOWER PRODUCT " --config small " \
     "--out {D}/sft --steps 1200 --batch 16 --val-every 0 --val-samples 16 --seed {S} --resume"},                      \
    {"DPA-GRPO with hard-case mining", "grpo/model.safetensors", cmd_train,                                          \
     "train grpo --data {D}/train/data.jsonl --init {D}/sft --out {D}/grpo --reward dpa --hcm --steps 80 --group 8 " \
     "--prompts-per-step 4 --lr 1e-4 --max-new-tokens 112 --hcm-period 20 --hcm-subset 32 --seed {S} --resume"},       \
    {"evaluate SFT", NULL, cmd_eval, "eval --data {D}/test/data.jsonl --model native:{D}/sft --name SFT --out {D}/runs/sft"}, \
    {"evaluate DPA-GRPO", NULL, cmd_eval,                                                                            \
     "eval --data {D}/test/data.jsonl --model native:{D}/grpo --name DPA-GRPO --out {D}/runs/grpo"}

// The default: the shipped model screens the fresh benchmark, then SFT and DPA-GRPO on its tower.
static const DemoStep SHIPPED_STEPS[] = {
    DEMO_DATA_STEPS,
    {"evaluate the shipped model", NULL, cmd_eval,
     "eval --data {D}/test/data.jsonl --model native:{M} --name shipped --out {D}/runs/shipped"},
    DEMO_TRAIN_STEPS("{M}/tower", " {PRODUCT}", "{M}/tokenizer.json"),
    {"report", NULL, cmd_report,
     "report {D}/runs/random {D}/runs/all {D}/runs/shipped {D}/runs/sft {D}/runs/grpo -o {D}/report"},
};

// --from-scratch: the whole path on this machine, the tower pretrained here (short: at 64 px a
// 15-minute budget buys 5,000 steps, which beat 1,600 at 128 px; docs/RESULTS.md).
static const DemoStep SCRATCH_STEPS[] = {
    DEMO_DATA_STEPS,
    {"pretrain the vision tower on rendered samples", "tower/tower.safetensors", cmd_train,
     "train vision --out {D}/tower --config small --image-size 64 --steps 5000 --val-samples 100 --val-every 2500 "
     "--save-every 100 --seed {S} --resume"},
    {"train the tokenizer", "tokenizer.json", cmd_train,
     "train tokenizer --data {D}/train/data.jsonl --out {D}/tokenizer.json --vocab 1024"},
    DEMO_TRAIN_STEPS("{D}/tower", "", "{D}/tokenizer.json"),
    {"report", NULL, cmd_report, "report {D}/runs/random {D}/runs/all {D}/runs/sft {D}/runs/grpo -o {D}/report"},
};

static void usage(FILE *out) {
    fprintf(out, "usage: iar demo [--out DIR] [--from N] [--from-scratch] [--model DIR] [--seed S] [--dry-run]\n\n"
                 "Runs the embedded default end to end: generates a fresh test benchmark, evaluates the\n"
                 "shipped model (models/iar-small) against the random and select-all baselines, then SFTs a\n"
                 "small language side on the shipped model's frozen vision tower(s) and DPA-GRPOs it, evaluates\n"
                 "both, prints the paper-style table and writes DIR/report/report.html.\n"
                 "--from-scratch pretrains a tower here instead (short) and trains everything on top of it.\n"
                 "Steps whose output exists are skipped: re-running resumes.\n\n"
                 "  --out DIR       demo folder (default: demo)\n"
                 "  --from N        start at step N (1-based) and redo it even if its output exists\n"
                 "  --from-scratch  pretrain the vision tower here instead of using the shipped model\n"
                 "  --model DIR     the shipped model to use (default: $IAR_MODEL, then models/iar-small)\n"
                 "  --seed S        the training seed of the tower, SFT and GRPO (default 1); the benchmark and\n"
                 "                  the training set stay the same, so runs with other seeds compare paired\n"
                 "  --dry-run       print each step's command (an `iar` command line) instead of running it\n"
                 "  --config FILE.json  these options from a JSON object; the command line overrides it\n\n"
                 "example:\n  iar demo --out demo\n");
}

// Splits the step's template on spaces first, then puts the demo folder in place of "{D}" (the
// model folder in place of "{M}", the seed in place of "{S}") inside each word, so a folder whose
// name has spaces stays one argument; the word "{PRODUCT}" becomes two or none (`product`: the
// model's product-view tower folder, NULL when it has none). Returns argc. One allocation (*storage).
static int demo_build_argv(const char *args, const char *dir, const char *model, const char *seed,
                           const char *product, char **argv, int max, char **storage) {
    size_t n = 2 * strlen(args) + 2 + (product ? strlen(product) + 32 : 0);
    for (const char *p = strstr(args, "{"); p; p = strstr(p + 1, "{")) n += strlen(dir) + strlen(model) + strlen(seed);
    char *buffer = malloc(n);
    if (!buffer) return -1;
    char *w = buffer;
    int argc = 0;
    for (const char *p = args; *p && argc < max - 2;) {
        while (*p == ' ') p++;
        if (!*p) break;
        if (strncmp(p, "{PRODUCT}", 9) == 0 && (p[9] == ' ' || !p[9])) {
            p += 9;
            if (!product) continue;
            argv[argc++] = strcpy(w, "--init-product"), w += strlen(w) + 1;
            argv[argc++] = strcpy(w, product), w += strlen(w) + 1;
            continue;
        }
        argv[argc++] = w;
        while (*p && *p != ' ') {
            if (strncmp(p, "{D}", 3) == 0 || strncmp(p, "{M}", 3) == 0 || strncmp(p, "{S}", 3) == 0) {
                w += sprintf(w, "%s", p[1] == 'D' ? dir : p[1] == 'M' ? model : seed);
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
    const char *dir = "demo", *model_arg = NULL;
    long from = 0; // 0: not given (resume after the last finished step)
    long seed = 1;
    int from_scratch = 0, dry_run = 0;
    const CliOption OPTIONS[] = {OPTION_STRING("out", &dir), OPTION_LONG("from", &from, 1, 100),
                                 OPTION_FLAG("from-scratch", &from_scratch), OPTION_STRING("model", &model_arg),
                                 OPTION_LONG("seed", &seed, 0, 1000000000), OPTION_FLAG("dry-run", &dry_run),
                                 OPTION_END};
    int first = 0;
    if (cli_options_parse("demo", argc, argv, OPTIONS, &first) != 0) return 1;
    if (first < argc) return cli_fail("demo: unexpected argument '%s' (iar demo --help)", argv[first]);
    int from_given = from > 0;
    if (!from_given) from = 1;
    char model[4096] = "";
    if (!from_scratch && cli_resolve_model(model_arg, model, sizeof model) != 0)
        return cli_fail("demo: no shipped model; run `iar demo --from-scratch` to train everything here");
    Error err = {{0}};
    if (!dry_run && dir_create_all(dir, &err) != 0) return cli_fail_error(&err);
    char *product = from_scratch ? NULL : path_join(model, "product_tower"), *product_json = NULL;
    if (product) {
        product_json = path_join(product, "tower.json");
        if (!file_exists(product_json)) free(product), product = NULL;
        free(product_json);
    }
    const DemoStep *STEPS = from_scratch ? SCRATCH_STEPS : SHIPPED_STEPS;
    int steps = from_scratch ? (int)(sizeof SCRATCH_STEPS / sizeof SCRATCH_STEPS[0])
                             : (int)(sizeof SHIPPED_STEPS / sizeof SHIPPED_STEPS[0]);
    char seed_text[24];
    snprintf(seed_text, sizeof seed_text, "%ld", seed);
    double start = time_now_seconds();
    for (int s = (int)from - 1; s < steps; s++) {
        const DemoStep *step = &STEPS[s];
        if (step->done_marker && !dry_run && !(from_given && s + 1 == from)) {
            char *marker = path_join(dir, step->done_marker);
            int done = file_exists(marker);
            free(marker);
            if (done) {
                fprintf(stderr, "[demo %d/%d] %s: done earlier, skipped\n", s + 1, steps, step->title);
                continue;
            }
        }
        double elapsed = time_now_seconds() - start;
        if (dry_run) printf("# %d/%d: %s\n", s + 1, steps, step->title);
        else fprintf(stderr, "[demo %d/%d] %s (%.0fs elapsed)\n", s + 1, steps, step->title, elapsed);
        char *step_argv[64], *storage = NULL;
        int step_argc = demo_build_argv(step->args, dir, model, seed_text, product, step_argv, 64, &storage);
        if (step_argc < 0) {
            free(product);
            return cli_fail("demo: out of memory");
        }
        if (dry_run) {
            printf("iar");
            for (int a = 0; a < step_argc; a++) printf(strchr(step_argv[a], ' ') ? " '%s'" : " %s", step_argv[a]);
            printf("\n");
            free(storage);
            continue;
        }
        int rc = step->run(step_argc, step_argv);
        fflush(stdout); // keep the step's table and the next progress line in order
        free(storage);
        if (rc != 0) {
            free(product);
            return cli_fail("demo: step %d (%s) failed; fix it and re-run `iar demo --out %s` to resume", s + 1,
                            step->title, dir);
        }
    }
    free(product);
    if (!dry_run)
        fprintf(stderr, "[demo] finished in %.0fs; report: %s/report/report.html\n", time_now_seconds() - start, dir);
    return 0;
}
