// cmd_report.c — `iar report RUN [RUN2 …]`: tables, paired bootstrap comparisons, report.md/html.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "eval/report.h"
#include "eval/summary.h"

static void report_usage(FILE *out) {
    fprintf(out,
            "usage: iar report RUN [RUN2 …] [-o DIR] [--resamples N] [--gallery N] [--thumbnail PX]\n\n"
            "Reads eval run folders (from `iar eval`), prints the per-dimension table (one row per run) and,\n"
            "for several runs, each difference against the first with a 95%% paired bootstrap interval.\n"
            "Writes report.md and report.html (self-contained) into DIR (default: the first run's folder\n"
            "for one run, runs/compare for several).\n\n"
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
        if (report_write_files(runs, count, NULL, out_dir, &options, &err) != 0) status = cli_fail_error(&err);
        else printf("\nwrote %s/report.md and %s/report.html\n", out_dir, out_dir);
    }
    for (size_t i = 0; i < loaded; i++) eval_run_data_free(&runs[i]);
    free(runs);
    return status;
}
