// test_report.c — report tables, the paired bootstrap, and the HTML page's content (self-contained:
// no external URL; the table, the chart, the breakdown by what the data knows, figures, the gallery
// with thumbnails and filters).
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/files.h"
#include "eval/eval.h"
#include "eval/report.h"
#include "eval/summary.h"
#include "support/eval_fixture.h"

static EvalRunData make_run(const char *name, size_t count, const double *exact_by_index) {
    EvalRunData run;
    memset(&run, 0, sizeof run);
    snprintf(run.info.name, sizeof run.info.name, "%s", name);
    run.records.items = calloc(count, sizeof *run.records.items);
    run.records.count = run.records.capacity = count;
    for (size_t i = 0; i < count; i++) {
        EvalRecord *r = &run.records.items[i];
        char id[16];
        snprintf(id, sizeof id, "s%05zu", i);
        r->id = string_duplicate(id);
        r->dimension = (int)(i % 4);
        r->gold = eval_fixture_gold(i);
        r->parse = ANSWER_PARSED_TAGGED;
        r->scores[SCORE_EXACT] = exact_by_index[i];
        r->scores[SCORE_PROP] = exact_by_index[i];
        r->predicted = exact_by_index[i] > 0 ? r->gold : (AnswerSet)(r->gold ^ 1);
        r->raw = string_duplicate("<think>the shadow of B points toward the light</think><answer>B</answer>");
    }
    eval_summary_compute(&run.summary, &run.records, &run.info);
    return run;
}

static void free_run(EvalRunData *run) { eval_run_data_free(run); }

static void test_bootstrap_interval(void **state) {
    (void)state;
    enum { N = 400 };
    double base[N], better[N];
    for (int i = 0; i < N; i++) {
        base[i] = i % 4 == 0;          // 25%
        better[i] = i % 4 == 0 || i % 4 == 1; // 50%, superset of base's hits
    }
    EvalRunData a = make_run("a", N, base), b = make_run("b", N, better);
    BootstrapInterval interval;
    Error err;
    assert_int_equal(eval_bootstrap_difference(&a, &b, SCORE_EXACT, -1, 1000, 1, &interval, &err), 0);
    assert_int_equal(interval.paired, N);
    assert_float_equal(interval.difference, 0.25, 1e-12);
    assert_true(interval.low > 0.18 && interval.low < 0.25);
    assert_true(interval.high > 0.25 && interval.high < 0.32);
    BootstrapInterval again;
    eval_bootstrap_difference(&a, &b, SCORE_EXACT, -1, 1000, 1, &again, &err);
    assert_float_equal(again.low, interval.low, 0); // counter-based: reproducible
    // identical runs: a zero-width interval at 0
    assert_int_equal(eval_bootstrap_difference(&a, &a, SCORE_EXACT, -1, 500, 1, &interval, &err), 0);
    assert_float_equal(interval.low, 0, 0);
    assert_float_equal(interval.high, 0, 0);
    // one dimension only pairs its own samples
    assert_int_equal(eval_bootstrap_difference(&a, &b, SCORE_EXACT, 2, 200, 1, &interval, &err), 0);
    assert_int_equal(interval.paired, N / 4);
    free_run(&a);
    free_run(&b);
}

static void test_markdown_table(void **state) {
    (void)state;
    double all_right[8] = {1, 1, 1, 1, 1, 1, 1, 1}, half[8] = {1, 0, 1, 0, 1, 0, 1, 0};
    EvalRunData runs[2] = {make_run("model-a", 8, all_right), make_run("model-b", 8, half)};
    char *table = report_table_markdown(runs, 2);
    assert_non_null(table);
    assert_non_null(strstr(table, "| Model | Overall | Appearance Deformation | Lighting & Shadow | Placement Layout | Extension Rationality | prop | Parse failures | Random baseline |"));
    assert_non_null(strstr(table, "| model-a | 100.0 | 100.0 | 100.0 | 100.0 | 100.0 | 100.0 | 0 (0.0%) | 6.7 |"));
    assert_non_null(strstr(table, "| model-b | 50.0 | 100.0 | 0.0 | 100.0 | 0.0 | 50.0 |"));
    assert_non_null(strstr(table, "| *random guess (expected)* | 6.7 |"));
    free(table);
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    ReportOptions options;
    report_options_default(&options);
    Error err;
    assert_int_equal(report_markdown_write(out, runs, 2, &options, &err), 0);
    fclose(out);
    assert_non_null(strstr(text, "## Differences against model-a"));
    assert_non_null(strstr(text, "| model-b | 8 | -50.0 ["));
    assert_null(strstr(text, "own evidence")); // no run carries evidence
    free(text);
    // model-b's evidence names the gold set in every sample; its text follows it in the right half only
    for (size_t i = 0; i < 8; i++) {
        EvalRecord *r = &runs[1].records.items[i];
        r->has_evidence = 1;
        for (int c = 0; c < CANDIDATE_COUNT; c++) r->evidence[c] = (r->gold >> c & 1) ? 0.9f : 0.1f;
    }
    out = open_memstream(&text, &size);
    assert_int_equal(report_markdown_write(out, runs, 2, &options, &err), 0);
    fclose(out);
    assert_non_null(strstr(text, "## The model's own evidence"));
    assert_non_null(strstr(text, "| model-b | 8 | 100.0 | 1.000 | 50.0% | 0 of 4 |"));
    free(text);
    free_run(&runs[0]);
    free_run(&runs[1]);
}

static void test_html_is_self_contained(void **state) {
    (void)state;
    char *dir = eval_fixture_dir("report");
    EvalFixtureOptions fixture = {.count = 12, .pixels = 16};
    char *data = eval_fixture_dataset(dir, &fixture);
    EvalRunOptions options;
    eval_run_options_default(&options);
    options.data_path = data;
    options.model_spec = "random";
    char *out = path_join(dir, "run");
    options.out_dir = out;
    EvalRunResult result;
    Error err = {{0}};
    if (eval_run(&options, NULL, &result, &err) != 0) fail_msg("%s", err.message);
    char *html_path = path_join(out, "report.html"), *html = NULL;
    assert_int_equal(file_read_all(html_path, 0, &html, NULL, &err), 0);
    assert_non_null(strstr(html, "<svg"));
    assert_non_null(strstr(html, "<table>"));
    assert_non_null(strstr(html, "id=wrong-only"));
    assert_non_null(strstr(html, "id=dimension-filter"));
    size_t thumbnails = 0;
    for (const char *p = strstr(html, "src='data:image/"); p; p = strstr(p + 1, "src='data:image/")) thumbnails++;
    assert_int_equal(thumbnails, 12 * 5);
    // nothing is fetched from the network
    for (const char *p = strstr(html, "http"); p; p = strstr(p + 1, "http"))
        if (strncmp(p, "http://www.w3.org/2000/svg", 26) != 0) fail_msg("network reference: %.60s", p);
    free(html);
    free(html_path);
    free(out);
    free(data);
    eval_fixture_remove(dir);
    free(dir);
}

// Candidate A carries a strong shadow defect, B a weak lighting one, C and D are clean (meta).
static const char SAMPLE_META[] =
    "{\"candidates\":[{\"letter\":\"A\",\"defect\":\"shadow\",\"severity\":0.9},"
    "{\"letter\":\"B\",\"defect\":\"light<dir>\",\"severity\":0.1},{\"letter\":\"C\",\"defect\":\"none\"},"
    "{\"letter\":\"D\",\"defect\":\"none\"}]}";

static char *html_of(const EvalRunData *runs, size_t count, const Dataset *dataset, const ReportOptions *options) {
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    Error err = {{0}};
    if (report_html_write(out, runs, count, dataset, options, &err) != 0) fail_msg("%s", err.message);
    fclose(out);
    return text;
}

// report.html has the "by what the data knows" section of report.md, as HTML tables.
static void test_html_has_the_breakdown_by_what_the_data_knows(void **state) {
    (void)state;
    enum { N = 8 };
    double half[N] = {1, 0, 1, 0, 1, 0, 1, 0}, all[N] = {1, 1, 1, 1, 1, 1, 1, 1};
    EvalRunData runs[2] = {make_run("model <a>", N, half), make_run("model-b", N, all)};
    Sample samples[N];
    memset(samples, 0, sizeof samples);
    char ids[N][16];
    for (int i = 0; i < N; i++) {
        snprintf(ids[i], sizeof ids[i], "s%05d", i);
        samples[i].id = ids[i];
        samples[i].meta_json = (char *)SAMPLE_META;
    }
    Dataset dataset = {.samples = samples, .count = N, .capacity = N};
    ReportOptions options;
    report_options_default(&options);
    options.gallery_limit = 0;
    options.thumbnail_pixels = 0;
    char *html = html_of(runs, 2, &dataset, &options);
    assert_non_null(strstr(html, "<h2>By what the data knows</h2>"));
    assert_non_null(strstr(html, "<table><thead><tr><th>gold size</th><th>model &lt;a&gt;</th><th>model-b</th></tr>"));
    assert_non_null(strstr(html, "<tr><td>1</td><td>")); // one-letter gold answers
    assert_non_null(strstr(html, "<th>defect kind</th>"));
    assert_non_null(strstr(html, "<tr><td>shadow</td>"));
    assert_non_null(strstr(html, "<tr><td>light&lt;dir&gt;</td>")); // meta is data: escaped
    assert_non_null(strstr(html, "<tr><td><i>clean candidates flagged</i></td>"));
    assert_non_null(strstr(html, "<th>severity</th>"));
    assert_non_null(strstr(html, "<tr><td>high (≥ 0.66)</td>"));
    // tallies read "P% (hits/total)": model-b answers every gold size right; C and D of 8 samples are clean
    assert_non_null(strstr(html, "<tr><td>2</td><td>50% (2/4)</td><td>100% (4/4)</td></tr>"));
    assert_non_null(strstr(html, "<i>clean candidates flagged</i></td><td>31% (5/16)</td>"));
    assert_null(strstr(html, "| gold size |")); // no Markdown leaks into the page
    free(html);
    // without a dataset, the gold-size table alone
    html = html_of(runs, 2, NULL, &options);
    assert_non_null(strstr(html, "<th>gold size</th>"));
    assert_null(strstr(html, "<th>defect kind</th>"));
    free(html);
    free_run(&runs[0]);
    free_run(&runs[1]);
}

// Figures (the CLI's training curves) land beside the report, linked from report.md and inline
// in report.html; a figure name that is not a plain file name is refused.
static void test_figures_are_linked_and_inlined(void **state) {
    (void)state;
    double all[4] = {1, 1, 1, 1};
    EvalRunData run = make_run("model-a", 4, all);
    char *dir = eval_fixture_dir("report-figures");
    const char *svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><text>SFT: curve</text></svg>\n";
    ReportFigure figure = {.file = "curves-sft.svg", .caption = "SFT training curves", .svg = svg};
    ReportOptions options;
    report_options_default(&options);
    options.thumbnail_pixels = 0;
    options.figures = &figure;
    options.figure_count = 1;
    Error err = {{0}};
    if (report_write_files(&run, 1, NULL, dir, &options, &err) != 0) fail_msg("%s", err.message);
    char *path = path_join(dir, "curves-sft.svg"), *text = NULL;
    assert_int_equal(file_read_all(path, 0, &text, NULL, &err), 0);
    assert_string_equal(text, svg);
    free(text);
    free(path);
    path = path_join(dir, "report.md");
    assert_int_equal(file_read_all(path, 0, &text, NULL, &err), 0);
    assert_non_null(strstr(text, "## Training curves\n\n![SFT training curves](curves-sft.svg)"));
    free(text);
    free(path);
    path = path_join(dir, "report.html");
    assert_int_equal(file_read_all(path, 0, &text, NULL, &err), 0);
    assert_non_null(strstr(text, "<h2>Training curves</h2>"));
    assert_non_null(strstr(text, "<text>SFT: curve</text></svg>"));
    free(text);
    free(path);
    figure.file = "../escape.svg";
    assert_int_equal(report_write_files(&run, 1, NULL, dir, &options, &err), -1);
    assert_non_null(strstr(err.message, "plain file name"));
    eval_fixture_remove(dir);
    free(dir);
    free_run(&run);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bootstrap_interval),
        cmocka_unit_test(test_markdown_table),
        cmocka_unit_test(test_html_is_self_contained),
        cmocka_unit_test(test_html_has_the_breakdown_by_what_the_data_knows),
        cmocka_unit_test(test_figures_are_linked_and_inlined),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
