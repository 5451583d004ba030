// cmd_show.c — `iar show`: a contact sheet of one sample (or a grid of many) as a PNG.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "synth/contact_sheet.h"
#include "synth/synth.h"

static const char USAGE[] =
    "usage: iar show DATA.jsonl (--id ID | --grid N [--from K]) -o SHEET.png [--tile PX]\n"
    "Draws the original and candidates A-D side by side (non-square images letterboxed, never\n"
    "stretched), the gold answer, and each candidate's defect kind and severity (from `meta`) under\n"
    "it; --grid puts N samples one per row.\n"
    "  --id ID      the sample to show\n"
    "  --grid N     show N samples (1..200), starting at sample K (--from, default 0)\n"
    "  -o PATH      output PNG\n"
    "  --tile PX    side of each image on the sheet, 32..512 (default 192; 128 in grid mode)\n"
    "  --config FILE.json  these options from a JSON object; the command line overrides it\n"
    "example:\n"
    "  iar show bench_data/data.jsonl --id s000012 -o sheet.png\n"
    "  iar show bench_data/data.jsonl --grid 12 -o grid.png\n";

int cmd_show(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        fputs(USAGE, stdout);
        return 0;
    }
    const char *id = NULL, *out = NULL;
    long grid = 0, from = 0, tile = 0;
    const CliOption OPTIONS[] = {
        OPTION_STRING("id", &id),
        OPTION_OUT(&out),
        OPTION_LONG("grid", &grid, 1, 200),
        OPTION_LONG("from", &from, 0, 100000000),
        OPTION_LONG("tile", &tile, 32, 512),
        OPTION_END,
    };
    int first = 0;
    if (cli_options_parse("show", argc, argv, OPTIONS, &first) != 0) return 1;
    if (argc - first > 1) return cli_fail("show: one dataset only ('%s' and '%s')", argv[first], argv[first + 1]);
    const char *data = first < argc ? argv[first] : NULL;
    if (!data) return cli_fail("show: which dataset? (iar show DATA.jsonl --id ID -o sheet.png)");
    if (!out) return cli_fail("show: -o SHEET.png is required");
    if (!id && !grid) return cli_fail("show: give --id ID or --grid N");
    if (id && grid) return cli_fail("show: --id and --grid exclude each other");
    Error err = {{0}};
    Dataset dataset;
    if (dataset_load(&dataset, data, &err) != 0) return cli_fail_error(&err);
    const Sample **rows = NULL;
    size_t count = 0;
    int rc = 1;
    if (id) {
        const Sample *sample = dataset_find(&dataset, id);
        if (!sample) {
            cli_fail("show: no sample with id '%s' in %s", id, data);
            goto done;
        }
        rows = malloc(sizeof *rows);
        if (rows) rows[count++] = sample;
    } else {
        if ((size_t)from >= dataset.count) {
            cli_fail("show: --from %ld but %s has %zu samples", from, data, dataset.count);
            goto done;
        }
        rows = malloc(sizeof *rows * (size_t)grid);
        for (size_t i = (size_t)from; rows && i < dataset.count && count < (size_t)grid; i++)
            rows[count++] = &dataset.samples[i];
    }
    if (!rows) {
        cli_fail("show: out of memory");
        goto done;
    }
    Image sheet;
    if (contact_sheet_render(&sheet, &dataset, rows, count, tile ? (int)tile : (grid ? 128 : 192), &err) != 0 ||
        image_save_png(&sheet, out, &err) != 0) {
        cli_fail_error(&err);
        image_free(&sheet);
        goto done;
    }
    fprintf(stderr, "wrote %s (%dx%d, %zu sample%s)\n", out, sheet.width, sheet.height, count, count == 1 ? "" : "s");
    image_free(&sheet);
    rc = 0;
done:
    free(rows);
    dataset_free(&dataset);
    synth_release_static_data();
    return rc;
}
