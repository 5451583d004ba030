// report_markdown.c — the paper-style table and report.md.
#include <stdlib.h>
#include <string.h>

#include "core/files.h"
#include "eval/report.h"

void report_options_default(ReportOptions *options) {
    memset(options, 0, sizeof *options);
    options->bootstrap_resamples = 1000;
    options->gallery_limit = 200;
    options->thumbnail_pixels = 96;
    options->text_limit = 4000;
}

static const char *const SHORT_TITLES[DIMENSION_COUNT] = {"Appearance Deformation", "Lighting & Shadow",
                                                          "Placement Layout", "Extension Rationality"};

static void table_header(FILE *out) {
    fprintf(out, "| Model | Overall |");
    for (int d = 0; d < DIMENSION_COUNT; d++) fprintf(out, " %s |", SHORT_TITLES[d]);
    fprintf(out, " prop | Parse failures | Random baseline |\n|---|---:|");
    for (int d = 0; d < DIMENSION_COUNT; d++) fprintf(out, "---:|");
    fprintf(out, "---:|---:|---:|\n");
}

static void cell(FILE *out, size_t count, double value) {
    if (count) fprintf(out, " %.1f |", 100.0 * value);
    else fprintf(out, " – |");
}

static void table_write(FILE *out, const EvalRunData *runs, size_t count) {
    table_header(out);
    for (size_t r = 0; r < count; r++) {
        const EvalSummary *s = &runs[r].summary;
        fprintf(out, "| %s |", runs[r].info.name);
        cell(out, s->count[SUMMARY_OVERALL], s->mean[SUMMARY_OVERALL][SCORE_EXACT]);
        for (int d = 0; d < DIMENSION_COUNT; d++) cell(out, s->count[d], s->mean[d][SCORE_EXACT]);
        cell(out, s->count[SUMMARY_OVERALL], s->mean[SUMMARY_OVERALL][SCORE_PROP]);
        fprintf(out, " %zu (%.1f%%) |", s->parse_failures, s->samples ? 100.0 * (double)s->parse_failures / (double)s->samples : 0.0);
        cell(out, s->count[SUMMARY_OVERALL], s->random_mean[SUMMARY_OVERALL][SCORE_EXACT]);
        fputc('\n', out);
    }
    if (count) {
        const EvalSummary *s = &runs[0].summary;
        fprintf(out, "| *random guess (expected)* |");
        cell(out, s->count[SUMMARY_OVERALL], s->random_mean[SUMMARY_OVERALL][SCORE_EXACT]);
        for (int d = 0; d < DIMENSION_COUNT; d++) cell(out, s->count[d], s->random_mean[d][SCORE_EXACT]);
        cell(out, s->count[SUMMARY_OVERALL], s->random_mean[SUMMARY_OVERALL][SCORE_PROP]);
        fprintf(out, " – |");
        cell(out, s->count[SUMMARY_OVERALL], s->random_mean[SUMMARY_OVERALL][SCORE_EXACT]);
        fputc('\n', out);
    }
}

char *report_table_markdown(const EvalRunData *runs, size_t count) {
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    if (!out) return NULL;
    table_write(out, runs, count);
    fclose(out);
    return text;
}

static void comparison_write(FILE *out, const EvalRunData *runs, size_t count, const ReportOptions *options, Error *err) {
    fprintf(out, "\n## Differences against %s\n\nexact ×100, other − %s, with a 95%% paired bootstrap interval "
                 "(%d resamples over the shared ids).\n\n| Model | paired | Overall |",
            runs[0].info.name, runs[0].info.name, options->bootstrap_resamples);
    for (int d = 0; d < DIMENSION_COUNT; d++) fprintf(out, " %s |", SHORT_TITLES[d]);
    fprintf(out, " prop |\n|---|---:|---:|");
    for (int d = 0; d < DIMENSION_COUNT; d++) fprintf(out, "---:|");
    fprintf(out, "---:|\n");
    for (size_t r = 1; r < count; r++) {
        BootstrapInterval overall;
        eval_bootstrap_difference(&runs[0], &runs[r], SCORE_EXACT, -1, options->bootstrap_resamples,
                                  options->bootstrap_seed, &overall, err);
        fprintf(out, "| %s | %zu |", runs[r].info.name, overall.paired);
        for (int column = -1; column <= DIMENSION_COUNT; column++) {
            BootstrapInterval b;
            ScoreKind kind = column == DIMENSION_COUNT ? SCORE_PROP : SCORE_EXACT;
            int dimension = column == DIMENSION_COUNT ? -1 : column;
            eval_bootstrap_difference(&runs[0], &runs[r], kind, dimension, options->bootstrap_resamples,
                                      options->bootstrap_seed, &b, err);
            if (b.paired) fprintf(out, " %+.1f [%+.1f, %+.1f] |", 100 * b.difference, 100 * b.low, 100 * b.high);
            else fprintf(out, " – |");
        }
        fputc('\n', out);
    }
}

char *report_comparison_markdown(const EvalRunData *runs, size_t count, const ReportOptions *options, Error *err) {
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    if (!out) return NULL;
    if (count > 1) comparison_write(out, runs, count, options, err);
    fclose(out);
    return text;
}

// "The model's own evidence": for runs whose lines carry P(flawed) per candidate (native models with a
// vision tower), what that evidence alone would answer (the 1-3 rule of answer_set_from_probabilities)
// against the gold set, and how often the generated answer is the evidence's set: the text can only
// beat its evidence where the two differ.
static void evidence_write(FILE *out, const EvalRunData *runs, size_t count) {
    int any = 0;
    for (size_t r = 0; r < count; r++)
        for (size_t i = 0; i < runs[r].records.count && !any; i++) any = runs[r].records.items[i].has_evidence;
    if (!any) return;
    fprintf(out, "\n## The model's own evidence\n\nRuns whose predictions carry each candidate's P(flawed) from the "
                 "model's vision side: what that evidence alone answers (flawed above 0.5, one to three letters), "
                 "scored like the text, and how often the generated answer is exactly the evidence's set.\n\n"
                 "| Model | samples with evidence | evidence alone: exact | evidence alone: per candidate | "
                 "answer = evidence's set | answer exact where it differs |\n|---|---:|---:|---:|---:|---:|\n");
    for (size_t r = 0; r < count; r++) {
        size_t n = 0, exact = 0, candidates = 0, same = 0, differ = 0, differ_exact = 0;
        for (size_t i = 0; i < runs[r].records.count; i++) {
            const EvalRecord *e = &runs[r].records.items[i];
            if (!e->has_evidence || e->gold_unknown) continue;
            AnswerSet from_evidence = answer_set_from_probabilities(e->evidence);
            n++;
            exact += from_evidence == e->gold;
            candidates += (size_t)(CANDIDATE_COUNT - answer_set_size((AnswerSet)(from_evidence ^ e->gold)));
            int agrees = e->parse != ANSWER_PARSE_FAILED && e->predicted == from_evidence;
            same += (size_t)agrees;
            if (!agrees) differ++, differ_exact += e->scores[SCORE_EXACT] >= 1.0;
        }
        if (n == 0) continue;
        fprintf(out, "| %s | %zu | %.1f | %.3f | %.1f%% | %zu of %zu |\n", runs[r].info.name, n, 100.0 * exact / n,
                (double)candidates / (CANDIDATE_COUNT * n), 100.0 * same / n, differ_exact, differ);
    }
}

int report_markdown_write(FILE *out, const EvalRunData *runs, size_t count, const ReportOptions *options, Error *err) {
    fprintf(out, "# Screening evaluation\n\nexact-match accuracy ×100 per dimension (the headline score); prop = "
                 "proportional partial credit ×100; random baseline = expected exact ×100 of a uniform guess over the "
                 "15 non-empty answer sets, computed exactly for this dataset's gold answers.\n\n");
    table_write(out, runs, count);
    fprintf(out, "\n## Runs\n\n| Model | spec | samples | exact | prop | jaccard | option | format ok | fallback parses | "
                 "request errors | cached | mean latency (s) | p95 latency (s) | tokens in / out | cost (USD) |\n"
                 "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|\n");
    for (size_t r = 0; r < count; r++) {
        const EvalSummary *s = &runs[r].summary;
        const double *m = s->mean[SUMMARY_OVERALL];
        fprintf(out, "| %s | `%s` | %zu | %.1f | %.1f | %.1f | %.1f | %zu | %zu | %zu | %zu | %.3f | %.3f | %lld / %lld | ",
                runs[r].info.name, runs[r].info.model_spec, s->samples, 100 * m[SCORE_EXACT], 100 * m[SCORE_PROP],
                100 * m[SCORE_JACCARD], 100 * m[SCORE_OPTION], s->format_ok, s->fallback_parses, s->request_errors,
                s->cached, s->latency_mean_seconds, s->latency_p95_seconds, s->prompt_tokens, s->completion_tokens);
        if (s->cost_usd >= 0) fprintf(out, "%.4f |\n", s->cost_usd);
        else fprintf(out, "unknown |\n");
    }
    if (count) {
        const EvalSummary *s = &runs[0].summary;
        fprintf(out, "\nGold answer sizes in %s: ", runs[0].info.name);
        for (int i = 0; i <= CANDIDATE_COUNT; i++) fprintf(out, "%s%d flawed: %zu", i ? ", " : "", i, s->answer_size_histogram[i]);
        fprintf(out, ". A guess drawn from this answer-set distribution would score %.1f exact.\n", 100 * s->prior_exact);
    }
    evidence_write(out, runs, count);
    if (count > 1) comparison_write(out, runs, count, options, err);
    return ferror(out) ? error_set(err, "cannot write the Markdown report") : 0;
}

static int write_through_memory(const char *dir, const char *name, int (*writer)(FILE *, const void *), const void *context,
                                Error *err) {
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    if (!out) return error_set(err, "out of memory");
    int status = writer(out, context);
    fclose(out);
    char *path = path_join(dir, name);
    if (status == 0 && path) status = file_write_atomic(path, text, size, err);
    else if (!path) status = error_set(err, "out of memory");
    free(path);
    free(text);
    return status;
}

typedef struct ReportContext {
    const EvalRunData *runs;
    size_t count;
    const Dataset *dataset;
    const ReportOptions *options;
    Error *err;
} ReportContext;

static int write_markdown(FILE *out, const void *context) {
    const ReportContext *c = context;
    if (report_markdown_write(out, c->runs, c->count, c->options, c->err) != 0) return -1;
    if (report_breakdown_write(out, c->runs, c->count, c->dataset) != 0) return error_set(c->err, "out of memory");
    if (c->options->figure_count) fprintf(out, "\n## Training curves\n\n");
    for (size_t i = 0; i < c->options->figure_count; i++)
        fprintf(out, "![%s](%s)\n\n", c->options->figures[i].caption, c->options->figures[i].file);
    return 0;
}

// The figures beside report.md, under the plain file names it links to.
static int write_figures(const char *out_dir, const ReportOptions *options, Error *err) {
    for (size_t i = 0; i < options->figure_count; i++) {
        const ReportFigure *figure = &options->figures[i];
        if (!figure->file[0] || strchr(figure->file, '/') || figure->file[0] == '.')
            return error_set(err, "report figure '%s': expected a plain file name", figure->file);
        char *path = path_join(out_dir, figure->file);
        if (!path) return error_set(err, "out of memory");
        int status = file_write_atomic(path, figure->svg, strlen(figure->svg), err);
        free(path);
        if (status != 0) return -1;
    }
    return 0;
}

static int write_html(FILE *out, const void *context) {
    const ReportContext *c = context;
    return report_html_write(out, c->runs, c->count, c->dataset, c->options, c->err);
}

int report_write_files(const EvalRunData *runs, size_t count, const Dataset *dataset, const char *out_dir,
                       const ReportOptions *options, Error *err) {
    ReportOptions defaults;
    if (!options) {
        report_options_default(&defaults);
        options = &defaults;
    }
    if (dir_create_all(out_dir, err) != 0) return -1;
    // the first run's dataset (run.json) gives the breakdown by defect kind when the caller has none
    Dataset loaded = {0};
    Error ignored = {{0}};
    if (!dataset && count && runs[0].info.data_path[0] && file_exists(runs[0].info.data_path) &&
        dataset_load(&loaded, runs[0].info.data_path, &ignored) == 0)
        dataset = &loaded;
    ReportContext context = {runs, count, dataset, options, err};
    int status = write_figures(out_dir, options, err);
    if (status == 0) status = write_through_memory(out_dir, "report.md", write_markdown, &context, err);
    if (status == 0) status = write_through_memory(out_dir, "report.html", write_html, &context, err);
    dataset_free(&loaded);
    return status;
}
