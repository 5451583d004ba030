// report.h — report.md and report.html for one run or several side by side (the paper's table, paired
// bootstrap intervals against the first run, a per-dimension bar chart and a filterable gallery).
#ifndef IAR_EVAL_REPORT_H
#define IAR_EVAL_REPORT_H

#include <stdio.h>

#include "data/dataset.h"
#include "eval/summary.h"

// A figure drawn elsewhere (the CLI draws the runs' training curves: evaluation does not read
// training logs), written beside report.md as `file`, linked from it and inlined into report.html.
typedef struct ReportFigure {
    const char *file;    // a plain file name ("curves-sft.svg")
    const char *caption; // plain text
    const char *svg;     // the whole SVG document
} ReportFigure;

typedef struct ReportOptions {
    int bootstrap_resamples; // default 1000
    uint64_t bootstrap_seed; // default 0
    size_t gallery_limit;    // samples shown in the HTML gallery; default 200
    int thumbnail_pixels;    // thumbnail width; default 96; 0: no thumbnails
    size_t text_limit;       // bytes of each model output or error shown in the HTML; default 4000
    const ReportFigure *figures; // a "Training curves" section; default none
    size_t figure_count;
} ReportOptions;

void report_options_default(ReportOptions *options);

// The paper-style table in Markdown: one row per run plus the expected random-guess row.
// Columns: Overall, the four dimensions (exact ×100), prop ×100, parse failures, random baseline.
char *report_table_markdown(const EvalRunData *runs, size_t count); // malloc'd
// report.md: the table, more scores, latency/tokens/cost and (for several runs) the differences
// against the first run with 95% paired bootstrap intervals.
int report_markdown_write(FILE *out, const EvalRunData *runs, size_t count, const ReportOptions *options, Error *err);
// The "## Differences against FIRST" section alone (paired bootstrap per dimension), "" for one run;
// malloc'd.
char *report_comparison_markdown(const EvalRunData *runs, size_t count, const ReportOptions *options, Error *err);
// The "By what the data knows" section: exact by gold answer size, and with `dataset` (its `meta`)
// the share of candidates flagged per defect kind and severity band, and clean ones flagged; in
// Markdown, or as HTML tables.
int report_breakdown_write(FILE *out, const EvalRunData *runs, size_t count, const Dataset *dataset);
int report_breakdown_write_html(FILE *out, const EvalRunData *runs, size_t count, const Dataset *dataset);
// Text for HTML: escaped, invalid UTF-8 bytes shown as U+FFFD.
void report_html_escape(FILE *out, const char *text);
// report.html: self-contained (no network). `dataset` supplies the thumbnails; NULL: the report
// loads runs[0]'s dataset when its file still exists, else shows no thumbnails.
int report_html_write(FILE *out, const EvalRunData *runs, size_t count, const Dataset *dataset,
                      const ReportOptions *options, Error *err);
// Writes OUT_DIR/report.md and OUT_DIR/report.html, and the options' figures beside them (atomically).
int report_write_files(const EvalRunData *runs, size_t count, const Dataset *dataset, const char *out_dir,
                       const ReportOptions *options, Error *err);

#endif
