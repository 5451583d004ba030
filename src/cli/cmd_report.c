// cmd_report.c — `iar report RUN [RUN2 …]`: tables, paired bootstrap comparisons, report.md/html,
// and the training curves of the runs whose training log it finds (drawn here: eval does not read
// training logs, train/curve.h does).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/files.h"
#include "eval/report.h"
#include "eval/summary.h"
#include "train/curve.h"

static void report_usage(FILE *out) {
    fprintf(out,
            "usage: iar report RUN [RUN2 …] [-o DIR] [--resamples N] [--gallery N] [--thumbnail PX]\n\n"
            "Reads eval run folders (from `iar eval`), prints the per-dimension table (one row per run) and,\n"
            "for several runs, each difference against the first with a 95%% paired bootstrap interval.\n"
            "Writes report.md and report.html (self-contained) into DIR (default: the first run's folder\n"
            "for one run, runs/compare for several). A run whose folder, or the native model folder it\n"
            "evaluated, holds a train_log.jsonl gets its training curves drawn: curves-sft.svg and\n"
            "curves-grpo.svg beside the report, linked from report.md and inlined in report.html.\n\n"
            "options:\n"
            "  -o, --out DIR       where report.md and report.html go\n"
            "  --resamples N       bootstrap resamples (default 1000)\n"
            "  --seed S            bootstrap seed (default 0)\n"
            "  --gallery N         samples in the HTML gallery (default 200)\n"
            "  --thumbnail PX      thumbnail width, 0 for none (default 96)\n"
            "  --config FILE.json  these options from a JSON object; the command line overrides it\n\n"
            "examples:\n"
            "  iar report runs/random_bench1_20250101\n"
            "  iar report runs/random_bench1_20250101 runs/native-sft_bench1_20250101 -o runs/compare\n");
}

// The training log behind an evaluated run: RUN/train_log.jsonl, else that of the native model
// folder it evaluated (run.json's "native:DIR"). NULL when neither exists.
static char *run_training_log(const char *dir, const EvalRunInfo *info) {
    char *log = path_join(dir, "train_log.jsonl");
    if (log && file_exists(log)) return log;
    free(log);
    if (strncmp(info->model_spec, "native:", 7) != 0 || !info->model_spec[7]) return NULL;
    log = path_join(info->model_spec + 7, "train_log.jsonl");
    if (log && file_exists(log)) return log;
    free(log);
    return NULL;
}

typedef struct ReportCurves {
    ReportFigure figures[2]; // SFT, GRPO
    char *svg[2];
    char caption[2][96];
    size_t count;
} ReportCurves;

// One figure per kind of run (an SFT loss and a GRPO reward do not share an axis). A log that
// cannot be drawn costs its figure a warning, never the report.
static void report_curves_draw(ReportCurves *curves, char **dirs, const EvalRunData *runs, size_t count) {
    static const CurveRunKind KINDS[2] = {CURVE_RUN_SFT, CURVE_RUN_GRPO};
    static const char *const FILES[2] = {"curves-sft.svg", "curves-grpo.svg"};
    memset(curves, 0, sizeof *curves);
    char **logs = calloc(count, sizeof *logs);
    const char **mine = calloc(count, sizeof *mine), **labels = calloc(count, sizeof *labels);
    CurveRunKind *kinds = calloc(count, sizeof *kinds);
    int allocated = logs && mine && labels && kinds;
    for (size_t i = 0; allocated && i < count; i++) {
        logs[i] = run_training_log(dirs[i], &runs[i].info);
        Error err = {{0}};
        if (logs[i] && curve_log_kind(logs[i], &kinds[i], &err) != 0) fprintf(stderr, "iar: report: %s\n", err.message);
    }
    for (int k = 0; k < 2 && allocated; k++) {
        int n = 0;
        for (size_t i = 0; i < count; i++)
            if (logs[i] && kinds[i] == KINDS[k]) labels[n] = runs[i].info.name, mine[n++] = logs[i];
        if (n == 0) continue;
        Error err = {{0}};
        char *svg = curve_svg(mine, labels, n, NULL, &err);
        if (!svg) {
            fprintf(stderr, "iar: report: no %s curves: %s\n", curve_run_kind_name(KINDS[k]), err.message);
            continue;
        }
        size_t f = curves->count++;
        curves->svg[f] = svg;
        snprintf(curves->caption[f], sizeof curves->caption[f], "%s training curves (train_log.jsonl of %d run%s)",
                 curve_run_kind_name(KINDS[k]), n, n == 1 ? "" : "s");
        curves->figures[f] = (ReportFigure){.file = FILES[k], .caption = curves->caption[f], .svg = svg};
    }
    for (size_t i = 0; logs && i < count; i++) free(logs[i]);
    free(logs);
    free(mine);
    free(labels);
    free(kinds);
}

static void report_curves_free(ReportCurves *curves) {
    for (size_t i = 0; i < curves->count; i++) free(curves->svg[i]);
    memset(curves, 0, sizeof *curves);
}

int cmd_report(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        report_usage(stdout);
        return 0;
    }
    ReportOptions options;
    report_options_default(&options);
    const char *out_dir = NULL;
    long resamples = options.bootstrap_resamples, seed = (long)options.bootstrap_seed;
    long gallery = (long)options.gallery_limit, thumbnail = options.thumbnail_pixels;
    const CliOption OPTIONS[] = {
        OPTION_OUT(&out_dir),
        OPTION_LONG("resamples", &resamples, 1, 1000000),
        OPTION_LONG("seed", &seed, 0, 9e18),
        OPTION_LONG("gallery", &gallery, 0, 100000000),
        OPTION_LONG("thumbnail", &thumbnail, 0, 1024),
        OPTION_END,
    };
    int first = 0;
    if (cli_options_parse("report", argc, argv, OPTIONS, &first) != 0) return 1;
    options.bootstrap_resamples = (int)resamples;
    options.bootstrap_seed = (uint64_t)seed;
    options.gallery_limit = (size_t)gallery;
    options.thumbnail_pixels = (int)thumbnail;
    char **dirs = argv + first;
    size_t count = (size_t)(argc - first);
    if (count == 0) return cli_fail("report: give at least one run folder (iar report --help)");
    EvalRunData *runs = calloc(count, sizeof *runs);
    Error err = {{0}};
    int status = runs ? 0 : cli_fail("report: out of memory");
    size_t loaded = 0;
    for (; status == 0 && loaded < count; loaded++)
        if (eval_run_data_load(&runs[loaded], dirs[loaded], &err) != 0) {
            status = cli_fail_error(&err);
            break;
        }
    if (status == 0) {
        if (!out_dir) out_dir = count == 1 ? dirs[0] : "runs/compare";
        Progress progress;
        progress_begin(&progress, "report", 0, NULL, NULL);
        char *table = report_table_markdown(runs, count);
        printf("%s", table ? table : "");
        free(table);
        char *comparison = report_comparison_markdown(runs, count, &options, &err);
        printf("%s", comparison ? comparison : "");
        free(comparison);
        ReportCurves curves;
        report_curves_draw(&curves, dirs, runs, count);
        options.figures = curves.figures;
        options.figure_count = curves.count;
        if (report_write_files(runs, count, NULL, out_dir, &options, &err) != 0) status = cli_fail_error(&err);
        else printf("\nwrote %s/report.md and %s/report.html\n", out_dir, out_dir);
        for (size_t i = 0; status == 0 && i < curves.count; i++) printf("wrote %s/%s\n", out_dir, curves.figures[i].file);
        report_curves_free(&curves);
    }
    for (size_t i = 0; i < loaded; i++) eval_run_data_free(&runs[i]);
    free(runs);
    return status;
}
