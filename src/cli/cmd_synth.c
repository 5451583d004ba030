// cmd_synth.c — `iar synth`: generates the procedural screening benchmark.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/files.h"
#include "synth/synth.h"

static const char USAGE[] =
    "usage: iar synth --out DIR --n N [--seed S] [--size PX] [--dims LIST] [--difficulty easy|medium|hard|mix]\n"
    "                 [--none-share F] [--style render|photo|mix] [--photos DIR] [--threads K]\n"
    "Generates N samples (an original product photo, four generated candidates A-D, the set of flawed\n"
    "ones, a rationale and per-candidate meta) into DIR/data.jsonl and DIR/img/.\n"
    "  --out DIR          output folder (created)\n"
    "  --n N              number of samples (1..10000000)\n"
    "  --seed S           random seed (default 1); same seed, same bytes, at any thread count\n"
    "  --size PX          image side in pixels, 64..1024 (default 256)\n"
    "  --dims LIST        comma-separated: deformation,lighting,placement,extension (default all)\n"
    "  --difficulty D     defect severity: easy, medium, hard or mix (default mix)\n"
    "  --none-share F     this share of the sets (0..1) has no flawed candidate (answer \"none\"; training\n"
    "                     data for a model that can say so); default 0: every set has 1-3, the benchmark\n"
    "  --style S          render: drawn scenes; photo: walls and surfaces from photographs and a camera's\n"
    "                     look on every image (half of its samples a drawn product in a planned scene,\n"
    "                     half a cut-out product composited with every defect made on its pixels);\n"
    "                     mix (default): half and half, or render alone (with a warning) when the\n"
    "                     photographs are not fetched\n"
    "  --photos DIR       the photographs (default $IAR_PHOTOS, else ~/.cache/iar/photos); fetch them\n"
    "                     with tools/fetch_photos.sh\n"
    "  --threads K        rendering threads (default: all cores)\n"
    "  --config FILE.json these options from a JSON object ({\"n\": 2000, \"seed\": 7}); the command\n"
    "                     line overrides it\n"
    "example:\n"
    "  iar synth --out bench_data --n 2000 --seed 7 --difficulty mix --style photo\n";

int cmd_synth(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        fputs(USAGE, stdout);
        return 0;
    }
    SynthConfig config;
    synth_config_default(&config);
    const char *out = NULL, *photos_dir = NULL, *dims = NULL, *difficulty = NULL, *style = NULL;
    config.style = SYNTH_STYLE_MIX; // the library's default is render; users get photographs where fetched
    long n = -1, threads = 0, seed = (long)config.seed;
    Error err = {{0}};
    const CliOption options[] = {
        OPTION_STRING("out", &out),
        OPTION_LONG("n", &n, 1, 10000000),
        OPTION_LONG("seed", &seed, 0, 9e18),
        OPTION_INT("size", &config.size, SYNTH_MIN_SIZE, SYNTH_MAX_SIZE),
        OPTION_STRING("dims", &dims),
        OPTION_STRING("difficulty", &difficulty),
        OPTION_DOUBLE("none-share", &config.none_share, 0, 1),
        OPTION_STRING("style", &style),
        OPTION_STRING("photos", &photos_dir),
        OPTION_LONG("threads", &threads, 1, 256),
        OPTION_END,
    };
    if (cli_options_parse_only("synth", argc, argv, options) != 0) return 1;
    config.seed = (uint64_t)seed;
    if (dims && synth_dimensions_parse(dims, &config.dimensions, &err) != 0) return cli_fail("--dims: %s", err.message);
    if (difficulty && synth_difficulty_parse(difficulty, &config.difficulty) != 0)
        return cli_fail("--difficulty: '%s' is not easy, medium, hard or mix", difficulty);
    if (style && synth_style_parse(style, &config.style) != 0)
        return cli_fail("--style: '%s' is not render, photo or mix", style);
    if (!out) return cli_fail("synth: --out DIR is required (see iar synth --help)");
    if (n < 0) return cli_fail("synth: --n N is required (see iar synth --help)");
    PhotoLibrary *library = NULL;
    if (cli_load_photos("synth", &config.style, photos_dir, &library) != 0) return 1;
    config.photos = library;
    // fail before any progress line when the folder cannot be made
    if (dir_create_all(out, &err) != 0) {
        synth_photos_free(library);
        return cli_fail_error(&err);
    }
    Progress progress;
    progress_begin(&progress, "synth", (size_t)n, cli_progress_report, NULL);
    int rc = synth_generate(&config, out, (size_t)n, (int)threads, &progress, &err);
    progress_end(&progress);
    synth_release_static_data();
    synth_photos_free(library);
    if (rc != 0) return cli_fail_error(&err);
    fprintf(stderr, "wrote %ld samples to %s/data.jsonl (%dpx, seed %llu, difficulty %s, style %s)\n", n, out,
            config.size, (unsigned long long)config.seed, synth_difficulty_id(config.difficulty),
            synth_style_id(config.style));
    return 0;
}
