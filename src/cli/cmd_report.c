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
            "  --thumbnail PX      thumbnail width, 0 for none (default 96)\n\n"
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
    char **dirs = calloc((size_t)argc + 1, sizeof *dirs);
    size_t count = 0;
    if (!dirs) return cli_fail("report: out of memory");
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
        int bad = 0;
        if (strcmp(arg, "-o") == 0 || strcmp(arg, "--out") == 0) {
            if (!value) bad = cli_fail("report: %s needs a folder", arg);
            out_dir = value;
            i++;
        } else if (strcmp(arg, "--resamples") == 0) {
            bad = cli_parse_int(arg, value, 1, 1000000, &n);
            options.bootstrap_resamples = (int)n;
            i++;
        } else if (strcmp(arg, "--seed") == 0) {
            bad = cli_parse_int(arg, value, 0, 0x7fffffffffffffffL, &n);
            options.bootstrap_seed = (uint64_t)n;
            i++;
        } else if (strcmp(arg, "--gallery") == 0) {
            bad = cli_parse_int(arg, value, 0, 100000000, &n);
            options.gallery_limit = (size_t)n;
            i++;
        } else if (strcmp(arg, "--thumbnail") == 0) {
            bad = cli_parse_int(arg, value, 0, 1024, &n);
            options.thumbnail_pixels = (int)n;
            i++;
        } else if (arg[0] == '-') {
            bad = cli_fail("report: unknown option '%s' (iar report --help)", arg);
        } else {
            dirs[count++] = argv[i];
        }
        if (bad) {
            free(dirs);
            return 1;
        }
    }
    if (count == 0) {
        free(dirs);
        return cli_fail("report: give at least one run folder (iar report --help)");
    }
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
        if (count > 1) {
            char *text = NULL;
            size_t size = 0;
            FILE *memory = open_memstream(&text, &size);
            if (memory) {
                report_markdown_write(memory, runs, count, &options, &err);
                fclose(memory);
                const char *comparison = strstr(text, "\n## Differences");
                if (comparison) printf("%s", comparison);
                free(text);
            }
        }
        if (report_write_files(runs, count, NULL, out_dir, &options, &err) != 0) status = cli_fail_error(&err);
        else printf("\nwrote %s/report.md and %s/report.html\n", out_dir, out_dir);
    }
    for (size_t i = 0; i < loaded; i++) eval_run_data_free(&runs[i]);
    free(runs);
    free(dirs);
    return status;
}
