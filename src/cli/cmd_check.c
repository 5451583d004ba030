// cmd_check.c — `iar check DATA.jsonl`: lists every problem with its line number, or prints the
// dataset's statistics (and the random-guess baseline) when it is valid.
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "data/dataset.h"

static void check_print_help(void) {
    printf("usage: iar check DATA.jsonl [--no-images] [--json] [--allow-outside]\n\n"
           "Validates a dataset (DESIGN §3): every line a JSON object with id, dimension, original, exactly\n"
           "4 candidates and an answer of letters A-D without repeats (or none at all: inference-only); unique\n"
           "ids; image paths relative to the\n"
           "file's folder and inside it; every image present and decodable (PNG or JPEG). Every problem is\n"
           "listed as FILE:LINE: message and the exit status is 1. A valid file prints its statistics: samples\n"
           "per dimension, answer-set sizes, image sizes, rationales, and the random-guess exact score.\n\n"
           "options:\n"
           "  --no-images   check that image files exist, without decoding them (fast)\n"
           "  --json        print the statistics of a valid file as one JSON object\n"
           "  --allow-outside  accept images that resolve (through symbolic links) outside the file's folder\n"
           "  --config FILE.json  these options from a JSON object ({\"json\": true}); the command line wins\n\n"
           "example:\n  iar check bench1/data.jsonl\n");
}

static void check_print_json(const DatasetStats *stats) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "samples", (double)stats->samples);
    cJSON *per_dimension = cJSON_AddObjectToObject(root, "per_dimension");
    for (int d = 0; d < DIMENSION_COUNT; d++)
        cJSON_AddNumberToObject(per_dimension, dimension_id((Dimension)d), (double)stats->per_dimension[d]);
    cJSON *histogram = cJSON_AddArrayToObject(root, "answer_size_histogram");
    for (int k = 0; k <= CANDIDATE_COUNT; k++)
        cJSON_AddItemToArray(histogram, cJSON_CreateNumber((double)stats->answer_size_histogram[k]));
    cJSON_AddNumberToObject(root, "without_answer", (double)stats->without_answer);
    cJSON_AddNumberToObject(root, "min_width", stats->min_width);
    cJSON_AddNumberToObject(root, "max_width", stats->max_width);
    cJSON_AddNumberToObject(root, "min_height", stats->min_height);
    cJSON_AddNumberToObject(root, "max_height", stats->max_height);
    cJSON_AddNumberToObject(root, "with_rationale", (double)stats->with_rationale);
    cJSON_AddNumberToObject(root, "random_exact", stats->random_exact);
    cli_print_json(root);
}

static double percent(size_t part, size_t whole) { return whole ? 100.0 * (double)part / (double)whole : 0.0; }

static void check_print_stats(const char *path, const DatasetStats *stats, int images_decoded) {
    printf("%s: valid, %zu samples\n\n", path, stats->samples);
    printf("  %-12s %-30s %8s\n", "dimension", "", "samples");
    for (int d = 0; d < DIMENSION_COUNT; d++)
        printf("  %-12s %-30s %8zu  %5.1f%%\n", dimension_id((Dimension)d), dimension_title((Dimension)d),
               stats->per_dimension[d], percent(stats->per_dimension[d], stats->samples));
    printf("\n  %-12s %8s\n", "flawed", "samples");
    for (int k = 0; k <= CANDIDATE_COUNT; k++)
        printf("  %-12d %8zu  %5.1f%%\n", k, stats->answer_size_histogram[k],
               percent(stats->answer_size_histogram[k], stats->samples));
    if (stats->without_answer)
        printf("  %-12s %8zu  %5.1f%%  (inference-only: screened, never scored or trained on)\n", "no answer",
               stats->without_answer, percent(stats->without_answer, stats->samples));
    printf("\n");
    if (images_decoded)
        printf("  image sizes:  width %d..%d, height %d..%d (%zu images decoded)\n", stats->min_width,
               stats->max_width, stats->min_height, stats->max_height, stats->samples * (CANDIDATE_COUNT + 1));
    else
        printf("  image sizes:  not decoded (--no-images); every image file exists\n");
    printf("  rationales:   %zu of %zu samples (%.1f%%)\n", stats->with_rationale, stats->samples,
           percent(stats->with_rationale, stats->samples));
    printf("  random-guess exact score: %.2f (x100; a uniform guess over the 15 non-empty subsets)\n",
           100.0 * stats->random_exact);
}

int cmd_check(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        check_print_help();
        return 0;
    }
    int no_images = 0, json = 0, allow_outside = 0, first = 0;
    const CliOption OPTIONS[] = {OPTION_FLAG("no-images", &no_images), OPTION_FLAG("json", &json),
                                 OPTION_FLAG("allow-outside", &allow_outside), OPTION_END};
    if (cli_options_parse("check", argc, argv, OPTIONS, &first) != 0) return 1;
    if (argc - first > 1) return cli_fail("check: one dataset at a time ('%s' and '%s')", argv[first], argv[first + 1]);
    const char *path = first < argc ? argv[first] : NULL;
    int check_images = !no_images;
    if (!path) return cli_fail("check: no dataset given (usage: iar check DATA.jsonl; see --help)");

    Progress progress;
    progress_begin(&progress, check_images ? "decoding images" : "checking files", 0, cli_progress_report, NULL);
    DatasetCheck check;
    Error err = {{0}};
    DatasetCheckOptions check_options = {.check_images = check_images, .allow_outside = allow_outside, .progress = &progress};
    int status = dataset_check_run(&check, path, &check_options, &err);
    if (status != 0) return cli_fail_error(&err); // the file never opened: no progress line
    progress_end(&progress);

    if (check.problem_count) {
        size_t lines = 0, last = (size_t)-1;
        for (size_t i = 0; i < check.problem_count; i++) {
            const DatasetProblem *p = &check.problems[i];
            if (p->line) printf("%s:%zu: %s\n", path, p->line, p->message);
            else printf("%s: %s\n", path, p->message);
            if (p->line != last) lines++;
            last = p->line;
        }
        fflush(stdout);
        size_t count = check.problem_count;
        dataset_check_free(&check);
        return cli_fail("check: %s is not valid: %zu problem%s on %zu line%s", path, count, count == 1 ? "" : "s",
                        lines, lines == 1 ? "" : "s");
    }
    if (json) check_print_json(&check.stats);
    else check_print_stats(path, &check.stats, check_images);
    dataset_check_free(&check);
    return 0;
}
