// report_html.c — report.html: one self-contained page (no network): the table, a per-dimension bar
// chart in inline SVG, the breakdown by what the data knows, the training curves given as figures
// (inline SVG), and a gallery of samples (five thumbnails as data URLs, gold vs predicted, the
// model's reasoning) filterable to wrong answers and by dimension with a few lines of inline JS.
// Every text is escaped, made valid UTF-8, and model outputs are cut short (the page stays readable
// whatever a model replies; predictions.jsonl keeps the whole text).
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "core/utf8.h"
#include "data/id_index.h"
#include "eval/report.h"
#include "image/image.h"

// Escaped text, at most `limit` bytes of it (0: all), invalid UTF-8 bytes shown as U+FFFD.
static void html_text(FILE *out, const char *text, size_t limit) {
    const unsigned char *p = (const unsigned char *)(text ? text : "");
    size_t length = strlen((const char *)p), at = 0;
    while (at < length && (limit == 0 || at < limit)) {
        size_t n = utf8_sequence_size(p + at, length - at);
        if (n == 0) {
            fputs("\xEF\xBF\xBD", out);
            at++;
            continue;
        }
        if (limit && at + n > limit) break;
        switch (p[at]) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: fwrite(p + at, 1, n, out);
        }
        at += n;
    }
    if (at < length) fprintf(out, "… (%zu more bytes in predictions.jsonl)", length - at);
}

static void html_escape(FILE *out, const char *text) { html_text(out, text, 0); }

void report_html_escape(FILE *out, const char *text) { html_text(out, text, 0); }

// The figures drawn for the report (training curves), inline: the page stays one file.
static void html_figures(FILE *out, const ReportOptions *options) {
    if (!options->figure_count) return;
    fputs("<h2>Training curves</h2>\n", out);
    for (size_t i = 0; i < options->figure_count; i++) {
        const ReportFigure *figure = &options->figures[i];
        fputs("<div class=curve>", out);
        fputs(figure->svg, out);
        fputs("<p>", out);
        html_escape(out, figure->caption);
        fputs(" (", out);
        html_escape(out, figure->file);
        fputs(")</p></div>\n", out);
    }
}

static const char *const COLUMN_TITLES[SUMMARY_GROUPS] = {"Appearance Deformation", "Lighting &amp; Shadow",
                                                          "Placement Layout", "Extension Rationality", "Overall"};
static const char *const BAR_COLOURS[] = {"#3366cc", "#dc3912", "#ff9900", "#109618", "#990099", "#0099c6"};

static void html_table(FILE *out, const EvalRunData *runs, size_t count) {
    fputs("<table><thead><tr><th>Model</th><th>Overall</th>", out);
    for (int d = 0; d < DIMENSION_COUNT; d++) fprintf(out, "<th>%s</th>", COLUMN_TITLES[d]);
    fputs("<th>prop</th><th>Parse failures</th><th>Random baseline</th></tr></thead><tbody>\n", out);
    for (size_t r = 0; r <= count; r++) {
        int expected = r == count; // last row: the expected random guess
        const EvalSummary *s = &runs[expected ? 0 : r].summary;
        const double (*m)[SCORE_KIND_COUNT] = expected ? s->random_mean : s->mean;
        fputs(expected ? "<tr class=random><td><i>random guess (expected)</i></td>" : "<tr><td>", out);
        if (!expected) {
            html_escape(out, runs[r].info.name);
            fputs("</td>", out);
        }
        fprintf(out, "<td>%.1f</td>", 100 * m[SUMMARY_OVERALL][SCORE_EXACT]);
        for (int d = 0; d < DIMENSION_COUNT; d++)
            if (s->count[d]) fprintf(out, "<td>%.1f</td>", 100 * m[d][SCORE_EXACT]);
            else fputs("<td>–</td>", out);
        fprintf(out, "<td>%.1f</td>", 100 * m[SUMMARY_OVERALL][SCORE_PROP]);
        if (expected) fputs("<td>–</td>", out);
        else fprintf(out, "<td>%zu</td>", s->parse_failures);
        fprintf(out, "<td>%.1f</td></tr>\n", 100 * s->random_mean[SUMMARY_OVERALL][SCORE_EXACT]);
    }
    fputs("</tbody></table>\n", out);
}

// Grouped bars: Overall then the four dimensions; one bar per run and one for the random guess.
static void html_chart(FILE *out, const EvalRunData *runs, size_t count) {
    const int width = 760, height = 280, left = 40, bottom = 40, top = 20;
    size_t bars = count + 1;
    double group_width = (double)(width - left - 10) / SUMMARY_GROUPS;
    double bar_width = (group_width - 16) / (double)bars;
    double plot_height = height - bottom - top;
    fprintf(out, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' role='img' aria-label='exact accuracy per dimension'>\n",
            width, height + 20 * (int)((bars + 2) / 3));
    for (int tick = 0; tick <= 100; tick += 25) {
        double y = top + plot_height * (1.0 - tick / 100.0);
        fprintf(out, "<line x1='%d' x2='%d' y1='%.1f' y2='%.1f' stroke='#ddd'/><text x='%d' y='%.1f' font-size='10' text-anchor='end'>%d</text>\n",
                left, width - 10, y, y, left - 4, y + 3, tick);
    }
    for (int g = 0; g < SUMMARY_GROUPS; g++) {
        int group = g == 0 ? SUMMARY_OVERALL : g - 1;
        double x0 = left + g * group_width + 8;
        for (size_t b = 0; b < bars; b++) {
            int is_random = b == count;
            const EvalSummary *s = &runs[is_random ? 0 : b].summary;
            double value = 100 * (is_random ? s->random_mean[group][SCORE_EXACT] : s->mean[group][SCORE_EXACT]);
            double h = plot_height * value / 100.0;
            fprintf(out, "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='%s'><title>%.1f</title></rect>\n",
                    x0 + (double)b * bar_width, top + plot_height - h, bar_width - 2, h,
                    is_random ? "#999" : BAR_COLOURS[b % 6], value);
        }
        fprintf(out, "<text x='%.1f' y='%d' font-size='11' text-anchor='middle'>%s</text>\n", x0 + (group_width - 16) / 2,
                height - bottom + 16, COLUMN_TITLES[group]);
    }
    for (size_t b = 0; b < bars; b++) {
        double x = left + (double)(b % 3) * 240;
        double y = height + 20.0 * (double)(b / 3) - 10;
        fprintf(out, "<rect x='%.1f' y='%.1f' width='12' height='12' fill='%s'/><text x='%.1f' y='%.1f' font-size='12'>",
                x, y - 10, b == count ? "#999" : BAR_COLOURS[b % 6], x + 16, y);
        if (b == count) fputs("random guess (expected)", out);
        else html_escape(out, runs[b].info.name);
        fputs("</text>\n", out);
    }
    fputs("</svg>\n", out);
}

static void html_thumbnail(FILE *out, const Dataset *dataset, const Sample *sample, int index, int pixels) {
    const char *label = index == 0 ? "original" : (const char *[]){"A", "B", "C", "D"}[index - 1];
    fprintf(out, "<figure><figcaption>%s</figcaption>", label);
    char *path = NULL;
    if (dataset) dataset_image_resolve(dataset, sample, index, &path, NULL); // the dataset's path policy
    Image image = {0}, small = {0};
    uint8_t *jpeg = NULL;
    size_t jpeg_size = 0;
    char *url = NULL;
    if (path && pixels > 0 && image_load(&image, path, 0, NULL) == 0 && image.width > 0) {
        int h = (int)((double)pixels * image.height / image.width + 0.5);
        if (image_resize(&small, &image, pixels, h > 0 ? h : 1, NULL) == 0 &&
            image_encode_jpeg_memory(&small, 85, &jpeg, &jpeg_size, NULL) == 0)
            url = data_url_encode("image/jpeg", jpeg, jpeg_size);
    }
    if (url) fprintf(out, "<img alt='%s' src='%s'>", label, url);
    else fputs("<div class=missing>no image</div>", out);
    fputs("</figure>", out);
    free(url);
    free(jpeg);
    image_free(&small);
    image_free(&image);
    free(path);
}

static void html_gallery(FILE *out, const EvalRunData *runs, size_t count, const Dataset *dataset, const ReportOptions *options) {
    const EvalRecords *records = &runs[0].records;
    size_t shown = records->count < options->gallery_limit ? records->count : options->gallery_limit;
    fprintf(out, "<h2>Samples</h2><p>Showing %zu of %zu samples of %s", shown, records->count, "");
    html_escape(out, runs[0].info.name);
    fputs(" (the prediction and output of every run; \"wrong\" refers to the last run, ", out);
    html_escape(out, runs[count - 1].info.name);
    fputs(").</p>\n<div class=filters><label><input type=checkbox id=wrong-only> "
          "wrong answers only</label> <label>dimension <select id=dimension-filter><option value=''>all</option>", out);
    for (int d = 0; d < DIMENSION_COUNT; d++) fprintf(out, "<option value='%s'>%s</option>", dimension_id((Dimension)d), COLUMN_TITLES[d]);
    fputs("</select></label> <span id=visible-count></span></div>\n<div id=gallery>\n", out);
    IdIndex *indexes = calloc(count, sizeof *indexes);
    for (size_t r = 1; indexes && r < count; r++)
        for (size_t i = 0; i < runs[r].records.count; i++) id_index_insert(&indexes[r], runs[r].records.items[i].id, i, NULL);
    for (size_t i = 0; i < shown; i++) {
        const EvalRecord *record = &records->items[i];
        const char *dimension = record->dimension >= 0 ? dimension_id((Dimension)record->dimension) : "";
        // "wrong" refers to the last run: in a comparison that is usually the newest model
        const EvalRecord *last = record;
        size_t last_index;
        if (count > 1)
            last = (indexes && id_index_find(&indexes[count - 1], record->id, &last_index))
                       ? &runs[count - 1].records.items[last_index]
                       : NULL;
        int wrong = !last || last->scores[SCORE_EXACT] < 1.0;
        char gold[32], predicted[32];
        answer_set_format(record->gold, gold, sizeof gold);
        fprintf(out, "<div class='card%s' data-dimension='%s' data-wrong='%d'><h3>", wrong ? " wrong" : "", dimension, wrong);
        html_escape(out, record->id);
        fprintf(out, " <small>%s</small></h3>\n<div class=thumbs>", dimension);
        const Sample *sample = dataset ? dataset_find(dataset, record->id) : NULL;
        for (int k = 0; k < 5; k++) html_thumbnail(out, sample ? dataset : NULL, sample, k, options->thumbnail_pixels);
        fprintf(out, "</div>\n<p>gold <b>%s</b></p><ul>", gold);
        for (size_t r = 0; r < count; r++) {
            const EvalRecord *p = record;
            size_t j;
            if (r > 0) p = (indexes && id_index_find(&indexes[r], record->id, &j)) ? &runs[r].records.items[j] : NULL;
            fputs("<li>", out);
            html_escape(out, runs[r].info.name);
            if (!p) fputs(": –", out);
            else if (p->parse == ANSWER_PARSE_FAILED) {
                fputs(": <span class=bad>parse failure (", out);
                html_text(out, p->error ? p->error : p->parse_reason, options->text_limit);
                fputs(")</span>", out);
            } else {
                answer_set_format(p->predicted, predicted, sizeof predicted);
                fprintf(out, ": <span class=%s>%s</span>", p->scores[SCORE_EXACT] >= 1.0 ? "ok" : "bad", predicted);
            }
            if (p && p->has_evidence) { // the model's own P(flawed) per candidate, flawed ones in bold
                fputs(" <span class=evidence>evidence", out);
                for (int c = 0; c < CANDIDATE_COUNT; c++)
                    fprintf(out, p->evidence[c] > 0.5f ? " %c <b>%.2f</b>" : " %c %.2f", 'A' + c, p->evidence[c]);
                fputs("</span>", out);
            }
            if (p && (p->raw || p->error)) {
                fputs("<details><summary>output</summary><pre>", out);
                html_text(out, p->raw ? p->raw : p->error, options->text_limit);
                fputs("</pre></details>", out);
            }
            fputs("</li>", out);
        }
        fputs("</ul></div>\n", out);
    }
    for (size_t r = 1; indexes && r < count; r++) id_index_free(&indexes[r]);
    free(indexes);
    fputs("</div>\n", out);
}

static const char STYLE[] =
    "body{font-family:sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:12px 0}"
    "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child,th:first-child{text-align:left}"
    "tr.random{color:#666}#gallery{display:flex;flex-wrap:wrap;gap:12px}.card{border:1px solid #ccc;border-radius:6px;"
    "padding:8px;width:560px}.card.wrong{border-color:#d88}.card h3{margin:0 0 6px;font-size:14px}.thumbs{display:flex;gap:4px}"
    "figure{margin:0;text-align:center;font-size:11px}figure img{display:block;width:96px}.missing{width:96px;height:96px;"
    "background:#eee;font-size:10px}.ok{color:#080;font-weight:bold}.bad{color:#c00;font-weight:bold}.evidence{color:#555;font-size:12px}pre{white-space:pre-wrap;"
    "font-size:12px;background:#f6f6f6;padding:6px}.filters{margin:8px 0}.curve{margin:12px 0}.curve svg{max-width:100%;"
    "height:auto}.curve p{font-size:12px;color:#555}";

static const char SCRIPT[] =
    "(function(){\n"
    "  var wrong = document.getElementById('wrong-only');\n"
    "  var dimension = document.getElementById('dimension-filter');\n"
    "  var label = document.getElementById('visible-count');\n"
    "  function apply() {\n"
    "    var cards = document.querySelectorAll('#gallery .card'), shown = 0;\n"
    "    for (var i = 0; i < cards.length; i++) {\n"
    "      var c = cards[i];\n"
    "      var ok = (!wrong.checked || c.dataset.wrong === '1') && (!dimension.value || c.dataset.dimension === dimension.value);\n"
    "      c.style.display = ok ? '' : 'none';\n"
    "      if (ok) shown++;\n"
    "    }\n"
    "    label.textContent = shown + ' shown';\n"
    "  }\n"
    "  wrong.addEventListener('change', apply);\n"
    "  dimension.addEventListener('change', apply);\n"
    "  apply();\n"
    "})();\n";

int report_html_write(FILE *out, const EvalRunData *runs, size_t count, const Dataset *dataset,
                      const ReportOptions *options, Error *err) {
    if (count == 0) return error_set(err, "no run to report");
    Dataset loaded = {0};
    if (!dataset && options->thumbnail_pixels > 0 && runs[0].info.data_path[0] && dataset_load(&loaded, runs[0].info.data_path, NULL) == 0) {
        loaded.allow_outside = runs[0].info.allow_outside; // what the run itself was allowed to read
        dataset = &loaded;
    }
    fputs("<!doctype html>\n<html lang=en><head><meta charset='utf-8'><link rel='icon' href='data:,'><title>iar report</title>"
          "<style>", out);
    fputs(STYLE, out);
    fputs("</style></head><body>\n<h1>Screening evaluation</h1>\n<p>exact-match accuracy ×100 per dimension; prop = "
          "proportional partial credit ×100; random baseline = expected exact ×100 of a uniform guess over the 15 non-empty "
          "answer sets.</p>\n",
          out);
    html_table(out, runs, count);
    html_chart(out, runs, count);
    int status = report_breakdown_write_html(out, runs, count, dataset);
    html_figures(out, options);
    html_gallery(out, runs, count, dataset, options);
    fputs("<script>\n", out);
    fputs(SCRIPT, out);
    fputs("</script>\n</body></html>\n", out);
    if (dataset == &loaded) dataset_free(&loaded);
    if (status != 0) return error_set(err, "out of memory writing the HTML report");
    return ferror(out) ? error_set(err, "cannot write the HTML report") : 0;
}
