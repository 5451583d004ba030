// report_breakdown.c — the report's "By what the data knows" section, in report.md and report.html:
// exact match by the size of the gold answer, and, when the dataset's `meta` names each candidate's
// defect kind and severity, how often each run flagged a candidate of that kind and of that
// severity band (and how often it flagged a clean one).
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/id_index.h"
#include "eval/report.h"

#define MAX_KINDS 48
#define MAX_RUNS 16

typedef struct Tally {
    size_t hits, total; // hits: flagged candidates, or exact answers
} Tally;

typedef struct Breakdown {
    char kinds[MAX_KINDS][48];
    int kind_count;
    Tally kind[MAX_KINDS][MAX_RUNS];
    Tally band[3][MAX_RUNS]; // severity < 1/3, < 2/3, else
    Tally clean[MAX_RUNS];   // candidates without a defect that were flagged anyway
    size_t with_meta;
} Breakdown;

static const char *const BANDS[3] = {"low (< 0.33)", "medium (0.33–0.66)", "high (≥ 0.66)"};

static int kind_slot(Breakdown *b, const char *kind) {
    for (int k = 0; k < b->kind_count; k++)
        if (strcmp(b->kinds[k], kind) == 0) return k;
    if (b->kind_count == MAX_KINDS) return -1;
    snprintf(b->kinds[b->kind_count], sizeof b->kinds[0], "%s", kind);
    return b->kind_count++;
}

// Adds one record's candidates (their defect kinds from the sample's meta) to run r's tallies.
static void tally_record(Breakdown *b, int r, const EvalRecord *record, const Sample *sample) {
    if (!sample->meta_json || record->parse == ANSWER_PARSE_FAILED) return;
    cJSON *meta = cJSON_Parse(sample->meta_json);
    const cJSON *candidates = cJSON_GetObjectItemCaseSensitive(meta, "candidates"), *candidate;
    int counted = 0;
    cJSON_ArrayForEach(candidate, candidates) {
        const char *letter = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(candidate, "letter"));
        const char *defect = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(candidate, "defect"));
        const cJSON *severity = cJSON_GetObjectItemCaseSensitive(candidate, "severity");
        if (!letter || letter[0] < 'A' || letter[0] > 'D' || !defect) continue;
        int flagged = (record->predicted >> (letter[0] - 'A')) & 1;
        counted = 1;
        if (strcmp(defect, "none") == 0) {
            b->clean[r].total++;
            b->clean[r].hits += (size_t)flagged;
            continue;
        }
        int k = kind_slot(b, defect);
        if (k >= 0) b->kind[k][r].total++, b->kind[k][r].hits += (size_t)flagged;
        if (cJSON_IsNumber(severity)) {
            double v = severity->valuedouble;
            int band = v < 1.0 / 3 ? 0 : v < 2.0 / 3 ? 1 : 2;
            b->band[band][r].total++, b->band[band][r].hits += (size_t)flagged;
        }
    }
    if (counted && r == 0) b->with_meta++;
    cJSON_Delete(meta);
}

// The tables are written once, as Markdown (report.md) or as HTML (report.html).
static void cell(FILE *out, int html, Tally t) {
    if (t.total)
        fprintf(out, html ? "<td>%.0f%% (%zu/%zu)</td>" : " %.0f%% (%zu/%zu) |", 100.0 * (double)t.hits / (double)t.total,
                t.hits, t.total);
    else fputs(html ? "<td>–</td>" : " – |", out);
}

static void text(FILE *out, int html, const char *value) {
    if (html) report_html_escape(out, value);
    else fputs(value, out);
}

static void header(FILE *out, int html, const EvalRunData *runs, size_t count, const char *first) {
    fprintf(out, html ? "<table><thead><tr><th>%s</th>" : "| %s |", first);
    for (size_t r = 0; r < count; r++) {
        fputs(html ? "<th>" : " ", out);
        text(out, html, runs[r].info.name);
        fputs(html ? "</th>" : " |", out);
    }
    if (html) {
        fputs("</tr></thead><tbody>\n", out);
        return;
    }
    fprintf(out, "\n|---|");
    for (size_t r = 0; r < count; r++) fprintf(out, "---:|");
    fputc('\n', out);
}

// A row's first cell, `label` (plain text) shown in italics when `emphasis`.
static void row_begin(FILE *out, int html, const char *label, int emphasis) {
    fputs(html ? (emphasis ? "<tr><td><i>" : "<tr><td>") : (emphasis ? "| *" : "| "), out);
    text(out, html, label);
    fputs(html ? (emphasis ? "</i></td>" : "</td>") : (emphasis ? "* |" : " |"), out);
}

static void row_end(FILE *out, int html) { fputs(html ? "</tr>\n" : "\n", out); }

static void table_end(FILE *out, int html) { fputs(html ? "</tbody></table>\n" : "", out); }

static int breakdown_write(FILE *out, int html, const EvalRunData *runs, size_t count, const Dataset *dataset) {
    if (count > MAX_RUNS) count = MAX_RUNS;
    fputs(html ? "<h2>By what the data knows</h2>\n<p>Exact matches by the number of flawed candidates in the gold "
                 "answer:</p>\n"
               : "\n## By what the data knows\n\nExact matches by the number of flawed candidates in the gold answer:\n\n",
          out);
    header(out, html, runs, count, "gold size");
    for (int size = 0; size <= CANDIDATE_COUNT; size++) {
        Tally row[MAX_RUNS] = {{0}};
        size_t any = 0;
        for (size_t r = 0; r < count; r++)
            for (size_t i = 0; i < runs[r].records.count; i++) {
                const EvalRecord *record = &runs[r].records.items[i];
                if (record->gold_unknown || answer_set_size(record->gold) != size) continue;
                row[r].total++, any++;
                row[r].hits += record->scores[SCORE_EXACT] > 0.5;
            }
        if (!any) continue;
        char label[16];
        snprintf(label, sizeof label, "%d", size);
        row_begin(out, html, label, 0);
        for (size_t r = 0; r < count; r++) cell(out, html, row[r]);
        row_end(out, html);
    }
    table_end(out, html);
    if (!dataset) return 0;
    IdIndex ids = {0};
    for (size_t i = 0; i < dataset->count; i++) {
        size_t existing;
        if (id_index_insert(&ids, dataset->samples[i].id, i, &existing) < 0) break;
    }
    Breakdown *b = calloc(1, sizeof *b);
    if (!b) {
        id_index_free(&ids);
        return -1;
    }
    for (size_t r = 0; r < count; r++)
        for (size_t i = 0; i < runs[r].records.count; i++) {
            size_t index;
            const EvalRecord *record = &runs[r].records.items[i];
            if (id_index_find(&ids, record->id, &index)) tally_record(b, (int)r, record, &dataset->samples[index]);
        }
    if (b->kind_count) {
        fprintf(out,
                html ? "<p>Flagged candidates by defect kind (from <code>meta</code>; %zu samples; a parse failure flags "
                       "nothing and is left out):</p>\n"
                     : "\nFlagged candidates by defect kind (from `meta`; %zu samples; a parse failure flags nothing and "
                       "is left out):\n\n",
                b->with_meta);
        header(out, html, runs, count, "defect kind");
        for (int k = 0; k < b->kind_count; k++) {
            row_begin(out, html, b->kinds[k], 0);
            for (size_t r = 0; r < count; r++) cell(out, html, b->kind[k][r]);
            row_end(out, html);
        }
        row_begin(out, html, "clean candidates flagged", 1);
        for (size_t r = 0; r < count; r++) cell(out, html, b->clean[r]);
        row_end(out, html);
        table_end(out, html);
        fputs(html ? "<p>By severity band:</p>\n" : "\nBy severity band:\n\n", out);
        header(out, html, runs, count, "severity");
        for (int band = 0; band < 3; band++) {
            row_begin(out, html, BANDS[band], 0);
            for (size_t r = 0; r < count; r++) cell(out, html, b->band[band][r]);
            row_end(out, html);
        }
        table_end(out, html);
    }
    free(b);
    id_index_free(&ids);
    return 0;
}

int report_breakdown_write(FILE *out, const EvalRunData *runs, size_t count, const Dataset *dataset) {
    return breakdown_write(out, 0, runs, count, dataset);
}

int report_breakdown_write_html(FILE *out, const EvalRunData *runs, size_t count, const Dataset *dataset) {
    return breakdown_write(out, 1, runs, count, dataset);
}
