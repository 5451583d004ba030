// cmd_import.c — `iar import`: your own image sets + a labels file -> a dataset JSONL.
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "data/import.h"

static const char USAGE[] =
    "usage: iar import SETS [--labels FILE] -o DATA.jsonl [--copy] [--dimension NAME]\n\n"
    "Turns your own images and labels into a dataset that iar check, eval and train accept.\n"
    "SETS is what iar screen --batch reads (docs/DATA.md):\n"
    "  a folder of set folders, each holding original.png and a.png b.png c.png d.png (or .jpg), the\n"
    "  set's id being the folder's name; or a CSV with columns original,a,b,c,d[,id,dimension].\n"
    "Labels say which candidates are flawed, for which dimension:\n"
    "  CSV   id,dimension,flawed        (flawed: \"B D\", \"B;D\", \"bd\" or none; a set may have a row\n"
    "                                   per dimension, its samples are then ID:dimension)\n"
    "  JSON  [{\"id\":\"set1\",\"dimension\":\"lighting\",\"flawed\":[\"B\",\"D\"]}, ...] or one object a line\n"
    "Without --labels the sets CSV carries them itself in a flawed column.\n\n"
    "options:\n"
    "  --labels FILE      the labels (CSV, JSON array or JSON Lines)\n"
    "  -o, --out FILE     the dataset to write (atomically); its images must lie inside its folder\n"
    "  --copy             copy the images into img/ next to the output instead\n"
    "  --dimension NAME   the dimension of labels that name none\n"
    "  --config FILE.json these options from a JSON object ({\"copy\": true}); the command line wins\n\n"
    "examples:\n"
    "  iar import shots/ --labels shots/labels.csv -o shots/data.jsonl && iar check shots/data.jsonl\n"
    "  iar import sets.csv -o mine/data.jsonl --copy --dimension lighting\n";

int cmd_import(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        fputs(USAGE, stdout);
        return 0;
    }
    ImportOptions options = {.dimension = -1};
    const char *dimension = NULL;
    const CliOption OPTIONS[] = {
        OPTION_STRING("labels", &options.labels_path),
        OPTION_OUT(&options.out_path),
        OPTION_FLAG("copy", &options.copy_images),
        OPTION_STRING("dimension", &dimension),
        OPTION_END,
    };
    int first = 0;
    if (cli_options_parse("import", argc, argv, OPTIONS, &first) != 0) return 1;
    if (argc - first != 1)
        return cli_fail("import: give one SETS folder or CSV (got %d; usage: iar import SETS --labels FILE -o DATA.jsonl)",
                        argc - first);
    options.sets_path = argv[first];
    if (!options.out_path) return cli_fail("import: no output (-o DATA.jsonl)");
    if (dimension) {
        Dimension d;
        if (dimension_parse(dimension, &d) != 0)
            return cli_fail("import: --dimension %s: expected deformation, lighting, placement or extension", dimension);
        options.dimension = (int)d;
    }
    Error err = {{0}};
    ImportResult result;
    if (dataset_import(&options, &result, &err) != 0) return cli_fail("import: %s", err.message);
    if (result.sets_unlabelled)
        fprintf(stderr, "iar: import: %zu of %zu sets have no label and were left out (the first: %s)\n",
                result.sets_unlabelled, result.sets, result.first_unlabelled);
    fprintf(stderr, "iar: import: wrote %zu samples from %zu sets to %s%s\n", result.samples, result.sets - result.sets_unlabelled,
            options.out_path, options.copy_images ? " (images copied into img/)" : "");
    return 0;
}
