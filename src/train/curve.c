// curve.c — training curves as SVG (curve.h): the runs' train_log.jsonl read back, y axes fitted
// to the data with round ticks, x ticks at whole steps placed by the same mapping as the points,
// and a legend that wraps inside the canvas.
#include "train/curve.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/files.h"
#include "core/utf8.h"

typedef struct CurvePoints {
    double *x, *y;
    size_t count, capacity;
} CurvePoints;

static int curve_points_add(CurvePoints *points, double x, double y) {
    if (points->count == points->capacity) {
        size_t capacity = points->capacity ? 2 * points->capacity : 64;
        double *nx = realloc(points->x, capacity * sizeof *nx);
        if (!nx) return -1;
        points->x = nx;
        double *ny = realloc(points->y, capacity * sizeof *ny);
        if (!ny) return -1;
        points->y = ny;
        points->capacity = capacity;
    }
    points->x[points->count] = x;
    points->y[points->count] = y;
    points->count++;
    return 0;
}

static void curve_points_free(CurvePoints *points) {
    free(points->x);
    free(points->y);
    memset(points, 0, sizeof *points);
}

// Calls `line` on every JSON object of the log (lines that do not parse are skipped: a run killed
// mid-write leaves half a line); stops at the first nonzero return.
static int curve_each_line(const char *path, int (*line)(const cJSON *json, void *user), void *user, Error *err) {
    char *text = NULL;
    size_t size = 0;
    if (file_read_all(path, 0, &text, &size, err) != 0) return -1;
    int rc = 0;
    for (char *at = text; at && *at && rc == 0;) {
        char *end = strchr(at, '\n');
        size_t length = end ? (size_t)(end - at) : strlen(at);
        cJSON *json = cJSON_ParseWithLength(at, length);
        if (json) rc = line(json, user);
        cJSON_Delete(json);
        at = end ? end + 1 : NULL;
    }
    free(text);
    return rc < 0 ? error_set(err, "out of memory reading %s", path) : 0;
}

static int is_step_line(const cJSON *json) {
    return cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(json, "step")) &&
           !cJSON_GetObjectItemCaseSensitive(json, "event");
}

static int kind_of_line(const cJSON *json, void *user) {
    CurveRunKind *kind = user;
    if (!is_step_line(json)) return 0;
    if (cJSON_GetObjectItemCaseSensitive(json, "reward_mean")) *kind = CURVE_RUN_GRPO;
    else if (cJSON_GetObjectItemCaseSensitive(json, "tokens_per_s")) *kind = CURVE_RUN_SFT;
    return *kind != CURVE_RUN_UNKNOWN; // the first step line decides
}

int curve_log_kind(const char *log_path, CurveRunKind *kind, Error *err) {
    *kind = CURVE_RUN_UNKNOWN;
    return curve_each_line(log_path, kind_of_line, kind, err);
}

const char *curve_run_kind_name(CurveRunKind kind) {
    return kind == CURVE_RUN_SFT ? "SFT" : kind == CURVE_RUN_GRPO ? "GRPO" : "training";
}

const char *curve_default_field(CurveRunKind kind) {
    return kind == CURVE_RUN_SFT ? "loss" : kind == CURVE_RUN_GRPO ? "accuracy_mean" : NULL;
}

typedef struct CurveRun {
    const char *field;
    CurvePoints train, val; // step lines' field; validation lines' val_exact
} CurveRun;

static int points_of_line(const cJSON *json, void *user) {
    CurveRun *run = user;
    const cJSON *step = cJSON_GetObjectItemCaseSensitive(json, "step");
    const cJSON *event = cJSON_GetObjectItemCaseSensitive(json, "event");
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(json, run->field);
    const cJSON *exact = cJSON_GetObjectItemCaseSensitive(json, "val_exact");
    if (!cJSON_IsNumber(step)) return 0;
    if (!event && cJSON_IsNumber(value)) return curve_points_add(&run->train, step->valuedouble, value->valuedouble);
    if (cJSON_IsString(event) && strcmp(event->valuestring, "validation") == 0 && cJSON_IsNumber(exact))
        return curve_points_add(&run->val, step->valuedouble, exact->valuedouble);
    return 0;
}

// ---- geometry ----

enum {
    CURVE_WIDTH = 720,
    CURVE_LEFT = 64,       // y tick labels
    CURVE_RIGHT = 20,
    CURVE_LEGEND_TOP = 40, // first legend row's baseline
    CURVE_LEGEND_ROW = 18,
    CURVE_TRAIN_HEIGHT = 220,
    CURVE_VAL_HEIGHT = 140,
    CURVE_PANEL_GAP = 40,  // room for the next panel's title
    CURVE_BOTTOM = 44,     // x tick labels and the axis name
    CURVE_SMOOTH = 5,
};
static const char *const CURVE_COLORS[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"};

// Round ticks covering [*low, *high] (about `target` of them): the range is widened to multiples of
// the returned tick spacing (1, 2 or 5 times a power of ten, at least `min_step`).
static double nice_ticks(double *low, double *high, int target, double min_step) {
    if (!(*high - *low > 1e-12 * fmax(1.0, fabs(*high)))) { // one value: a range around it
        double pad = *high != 0 ? fabs(*high) * 0.1 : 0.5;
        *low -= pad, *high += pad;
    }
    double raw = (*high - *low) / target, magnitude = pow(10, floor(log10(raw))), norm = raw / magnitude;
    double step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * magnitude;
    if (step < min_step) step = min_step;
    *low = floor(*low / step + 1e-9) * step;
    *high = ceil(*high / step - 1e-9) * step;
    if (*high <= *low) *high = *low + step;
    return step;
}

typedef struct Axis {
    double low, high, step;
    double from, to; // pixels of low and high
} Axis;

static double axis_px(const Axis *axis, double value) {
    return axis->from + (axis->to - axis->from) * (value - axis->low) / (axis->high - axis->low);
}

// Whole-step x axis: ticks at multiples of a round integer spacing, mapped like the points.
static Axis x_axis(const CurveRun *runs, int count) {
    double low = INFINITY, high = -INFINITY;
    for (int r = 0; r < count; r++) {
        const CurvePoints *sets[2] = {&runs[r].train, &runs[r].val};
        for (int s = 0; s < 2; s++)
            for (size_t i = 0; i < sets[s]->count; i++) low = fmin(low, sets[s]->x[i]), high = fmax(high, sets[s]->x[i]);
    }
    if (!isfinite(low)) low = 0, high = 1;
    Axis axis = {.low = floor(low), .high = ceil(high), .from = CURVE_LEFT, .to = CURVE_WIDTH - CURVE_RIGHT};
    axis.step = nice_ticks(&axis.low, &axis.high, 5, 1.0);
    return axis;
}

// The drawn value of point i: the mean of the last `smooth` points up to it.
static double smoothed(const CurvePoints *p, size_t i, int smooth) {
    size_t from = i + 1 >= (size_t)smooth ? i + 1 - (size_t)smooth : 0;
    double sum = 0;
    for (size_t j = from; j <= i; j++) sum += p->y[j];
    return sum / (double)(i - from + 1);
}

static Axis y_axis(const CurveRun *runs, int count, int val, int smooth, double top, double bottom, int ticks) {
    double low = INFINITY, high = -INFINITY;
    for (int r = 0; r < count; r++) {
        const CurvePoints *p = val ? &runs[r].val : &runs[r].train;
        for (size_t i = 0; i < p->count; i++) {
            double y = smoothed(p, i, smooth);
            if (isfinite(y)) low = fmin(low, y), high = fmax(high, y);
        }
    }
    if (!isfinite(low)) low = 0, high = 1;
    Axis axis = {.low = low, .high = high, .from = bottom, .to = top};
    axis.step = nice_ticks(&axis.low, &axis.high, ticks, 0);
    return axis;
}

// ---- drawing ----

// The first `length` bytes of valid UTF-8 text, XML-escaped.
static void svg_text_bytes(FILE *f, const char *text, size_t length) {
    const unsigned char *p = (const unsigned char *)text;
    for (size_t at = 0; at < length;) {
        size_t n = utf8_sequence_size(p + at, length - at);
        if (n == 0) n = 1;
        if (p[at] == '<') fputs("&lt;", f);
        else if (p[at] == '>') fputs("&gt;", f);
        else if (p[at] == '&') fputs("&amp;", f);
        else if (p[at] == '"') fputs("&quot;", f);
        else fwrite(p + at, 1, n, f);
        at += n;
    }
}

static void svg_text(FILE *f, const char *text) { svg_text_bytes(f, text, strlen(text)); }

// An upper bound of one character's width at font-size 12 in common sans-serif fonts (DejaVu Sans'
// W is 11.9 px, its capitals up to 9, the rest at most 7.5; anything beyond ASCII may be full-width):
// the legend is laid out with it, so it stays inside the canvas whatever the labels.
static double char_px(unsigned char c) {
    if (c >= 0x80 || strchr("WMmw@%", c)) return 12.0;
    return c >= 'A' && c <= 'Z' ? 9.0 : 7.5;
}

// Bytes of the longest prefix of valid UTF-8 `text` whose characters fit in `width` px (all of it
// when it fits, else one character less, for the ellipsis); *used: its width, ellipsis included.
static size_t text_fit(const char *text, double width, double *used) {
    const unsigned char *p = (const unsigned char *)text;
    double total = 0;
    for (size_t at = 0; p[at]; at++) total += (p[at] & 0xC0) != 0x80 ? char_px(p[at]) : 0;
    if (total <= width) {
        *used = total;
        return strlen(text);
    }
    size_t at = 0;
    double sum = char_px(0x80); // the ellipsis
    while (p[at]) {
        size_t n = 1;
        while ((p[at + n] & 0xC0) == 0x80) n++;
        if (sum + char_px(p[at]) > width) break;
        sum += char_px(p[at]);
        at += n;
    }
    *used = sum;
    return at;
}

// Decimals that show a tick spacing exactly (0.05 → 2).
static int tick_decimals(double step) {
    int decimals = 0;
    while (decimals < 6 && fabs(step * pow(10, decimals) - round(step * pow(10, decimals))) > 1e-6) decimals++;
    return decimals;
}

static int tick_count(const Axis *axis) { return (int)lround((axis->high - axis->low) / axis->step) + 1; }

static void draw_y_grid(FILE *f, const Axis *y, const Axis *x) {
    int decimals = tick_decimals(y->step);
    for (int i = 0; i < tick_count(y); i++) {
        double v = y->low + i * y->step, py = axis_px(y, v), shown = fabs(v) < y->step * 1e-6 ? 0 : v; // no "-0"
        fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                   "<text class=\"y-tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.*f</text>\n",
                x->from, x->to, py, py, x->from - 6, py + 4, decimals, shown);
    }
}

static void draw_x_grid(FILE *f, const Axis *x, double top, double bottom, int labels) {
    for (int i = 0; i < tick_count(x); i++) {
        double v = x->low + i * x->step, px = axis_px(x, v);
        fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>\n", px, px, top, bottom);
        if (labels)
            fprintf(f, "<text class=\"x-tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.0f</text>\n", px,
                    bottom + 16, v);
    }
}

static void draw_points(FILE *f, const CurvePoints *p, const Axis *x, const Axis *y, int smooth, const char *color,
                        double width, int dots) {
    if (p->count == 0) return;
    fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\" points=\"", color, width);
    for (size_t i = 0; i < p->count; i++)
        fprintf(f, "%s%.1f,%.1f", i ? " " : "", axis_px(x, p->x[i]), axis_px(y, smoothed(p, i, smooth)));
    fputs("\"/>\n", f);
    for (size_t i = 0; dots && i < p->count; i++)
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", axis_px(x, p->x[i]),
                axis_px(y, p->y[i]), color);
}

// Legend entries flow left to right under the title and wrap before the right edge; a label
// longer than a whole row is cut. Returns the baseline below the last row.
static double draw_legend(FILE *f, const char *const *labels, int count, int draw) {
    const double swatch = 20, gap = 6, spacing = 18, right = CURVE_WIDTH - CURVE_RIGHT;
    double x = CURVE_LEFT, y = CURVE_LEGEND_TOP;
    for (int r = 0; r < count; r++) {
        double text_width;
        size_t shown = text_fit(labels[r], right - CURVE_LEFT - swatch - gap, &text_width);
        double width = swatch + gap + text_width;
        if (x > CURVE_LEFT && x + width > right) x = CURVE_LEFT, y += CURVE_LEGEND_ROW;
        if (draw) {
            const char *color = CURVE_COLORS[r % (int)(sizeof CURVE_COLORS / sizeof CURVE_COLORS[0])];
            fprintf(f, "<g><title>");
            svg_text(f, labels[r]);
            fprintf(f, "</title><line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2.5\"/>"
                       "<text class=\"legend\" x=\"%.1f\" y=\"%.1f\">",
                    x, x + swatch, y - 4, y - 4, color, x + swatch + gap, y);
            svg_text_bytes(f, labels[r], shown);
            fputs(labels[r][shown] ? "…</text></g>\n" : "</text></g>\n", f);
        }
        x += width + spacing;
    }
    return y + CURVE_LEGEND_ROW;
}

static void draw_svg(FILE *f, const CurveRun *runs, const char *const *labels, int count, const char *title,
                     const char *field_title) {
    int has_val = 0;
    for (int r = 0; r < count; r++) has_val |= runs[r].val.count > 0;
    double train_top = draw_legend(f, labels, count, 0) + 16, train_bottom = train_top + CURVE_TRAIN_HEIGHT;
    double val_top = train_bottom + CURVE_PANEL_GAP, val_bottom = val_top + CURVE_VAL_HEIGHT;
    double height = (has_val ? val_bottom : train_bottom) + CURVE_BOTTOM;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%.0f\" viewBox=\"0 0 %d %.0f\" "
               "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            CURVE_WIDTH, height, CURVE_WIDTH, height);
    fprintf(f, "<text class=\"title\" x=\"%d\" y=\"22\" font-size=\"14\">", CURVE_LEFT);
    svg_text(f, title);
    fputs("</text>\n", f);
    draw_legend(f, labels, count, 1);
    Axis x = x_axis(runs, count);
    Axis train_y = y_axis(runs, count, 0, CURVE_SMOOTH, train_top, train_bottom, 5);
    fprintf(f, "<text class=\"panel\" x=\"%d\" y=\"%.1f\">", CURVE_LEFT, train_top - 6);
    svg_text(f, field_title);
    fprintf(f, " per step (%d-step mean)</text>\n", CURVE_SMOOTH);
    draw_x_grid(f, &x, train_top, train_bottom, !has_val);
    draw_y_grid(f, &train_y, &x);
    for (int r = 0; r < count; r++)
        draw_points(f, &runs[r].train, &x, &train_y, CURVE_SMOOTH,
                    CURVE_COLORS[r % (int)(sizeof CURVE_COLORS / sizeof CURVE_COLORS[0])], 1.2, 0);
    if (has_val) {
        Axis val_y = y_axis(runs, count, 1, 1, val_top, val_bottom, 4); // a lower panel: fewer ticks
        fprintf(f, "<text class=\"panel\" x=\"%d\" y=\"%.1f\">validation exact (greedy)</text>\n", CURVE_LEFT,
                val_top - 6);
        draw_x_grid(f, &x, val_top, val_bottom, 1);
        draw_y_grid(f, &val_y, &x);
        for (int r = 0; r < count; r++)
            draw_points(f, &runs[r].val, &x, &val_y, 1,
                        CURVE_COLORS[r % (int)(sizeof CURVE_COLORS / sizeof CURVE_COLORS[0])], 2.5, 1);
    }
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">step</text>\n</svg>\n",
            (x.from + x.to) / 2, height - 8);
}

char *curve_svg(const char *const *log_paths, const char *const *labels, int count, const char *train_field,
                Error *err) {
    if (count < 1) {
        error_set(err, "no training log to draw");
        return NULL;
    }
    CurveRun *runs = calloc((size_t)count, sizeof *runs);
    char **names = calloc((size_t)count, sizeof *names); // labels as valid UTF-8 (they are file names: bytes)
    char *svg = NULL;
    size_t svg_size = 0;
    int ok = 0;
    if (!runs || !names) goto out_of_memory;
    for (int r = 0; r < count; r++)
        if (!(names[r] = utf8_sanitize(labels && labels[r] ? labels[r] : log_paths[r]))) goto out_of_memory;
    CurveRunKind first = CURVE_RUN_UNKNOWN;
    int mixed = 0;
    for (int r = 0; r < count; r++) {
        CurveRunKind kind;
        if (curve_log_kind(log_paths[r], &kind, err) != 0) goto done;
        if (!train_field && kind == CURVE_RUN_UNKNOWN) {
            error_set(err, "%s is not an SFT or GRPO log (no reward_mean or tokens_per_s): name the field to draw",
                      log_paths[r]);
            goto done;
        }
        if (r == 0) first = kind;
        else if (kind != first) mixed = 1;
    }
    if (mixed && !train_field) {
        error_set(err, "the logs mix SFT and GRPO runs: name the field to compare");
        goto done;
    }
    const char *field = train_field ? train_field : curve_default_field(first);
    for (int r = 0; r < count; r++) {
        runs[r].field = field;
        if (curve_each_line(log_paths[r], points_of_line, &runs[r], err) != 0) goto done;
    }
    FILE *f = open_memstream(&svg, &svg_size);
    if (!f) goto out_of_memory;
    int grpo = first == CURVE_RUN_GRPO && !mixed; // its field is a statistic of the step's rollouts
    char title[160], field_title[96];
    snprintf(title, sizeof title, "%s: %s and validation", mixed ? "SFT + GRPO" : curve_run_kind_name(first),
             grpo ? "rollouts" : "training");
    snprintf(field_title, sizeof field_title, "%s%s", grpo ? "rollout " : "", field);
    draw_svg(f, runs, (const char *const *)names, count, title, field_title);
    if (fclose(f) != 0 || !svg) goto out_of_memory;
    ok = 1;
    goto done;
out_of_memory:
    error_set(err, "out of memory drawing curves");
done:
    for (int r = 0; runs && r < count; r++) {
        curve_points_free(&runs[r].train);
        curve_points_free(&runs[r].val);
    }
    for (int r = 0; names && r < count; r++) free(names[r]);
    free(runs);
    free(names);
    if (!ok) {
        free(svg);
        return NULL;
    }
    return svg;
}

int curve_write_svg(const char *const *log_paths, const char *const *labels, int count, const char *train_field,
                    const char *svg_path, Error *err) {
    char *svg = curve_svg(log_paths, labels, count, train_field, err);
    if (!svg) return error_prefix(err, "%s: ", svg_path);
    int rc = file_write_atomic(svg_path, svg, strlen(svg), err);
    free(svg);
    return rc;
}
