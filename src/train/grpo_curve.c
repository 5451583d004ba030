// grpo_curve.c — training curves as a self-contained SVG: for each run, a per-step rollout field
// (the mean accuracy reward by default; thin, smoothed over 5 steps) and the greedy validation exact
// score (thick, dots), read back from the runs' train_log.jsonl.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/files.h"
#include "train/grpo.h"

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

// Reads the step lines' `field` and the validation lines' val_exact.
static int curve_read_log(const char *path, const char *field, CurvePoints *train, CurvePoints *val, Error *err) {
    char *text = NULL;
    size_t size = 0;
    if (file_read_all(path, 0, &text, &size, err) != 0) return -1;
    for (char *line = text; line && *line;) {
        char *end = strchr(line, '\n');
        size_t length = end ? (size_t)(end - line) : strlen(line);
        cJSON *json = cJSON_ParseWithLength(line, length);
        const cJSON *step = cJSON_GetObjectItemCaseSensitive(json, "step");
        const cJSON *event = cJSON_GetObjectItemCaseSensitive(json, "event");
        const cJSON *accuracy = cJSON_GetObjectItemCaseSensitive(json, field);
        const cJSON *exact = cJSON_GetObjectItemCaseSensitive(json, "val_exact");
        int rc = 0;
        if (cJSON_IsNumber(step) && !event && cJSON_IsNumber(accuracy))
            rc = curve_points_add(train, step->valuedouble, accuracy->valuedouble);
        else if (cJSON_IsNumber(step) && cJSON_IsString(event) && strcmp(event->valuestring, "validation") == 0 &&
                 cJSON_IsNumber(exact))
            rc = curve_points_add(val, step->valuedouble, exact->valuedouble);
        cJSON_Delete(json);
        if (rc != 0) {
            free(text);
            return error_set(err, "out of memory reading %s", path);
        }
        line = end ? end + 1 : NULL;
    }
    free(text);
    return 0;
}

enum { CURVE_WIDTH = 720, CURVE_HEIGHT = 420, CURVE_LEFT = 60, CURVE_RIGHT = 180, CURVE_TOP = 40, CURVE_BOTTOM = 50 };
static const char *const CURVE_COLORS[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"};

static double curve_px(double step, double max_step) {
    return CURVE_LEFT + (CURVE_WIDTH - CURVE_LEFT - CURVE_RIGHT) * (max_step > 0 ? step / max_step : 0);
}

static double curve_py(double value) {
    if (value < 0) value = 0;
    if (value > 1) value = 1;
    return CURVE_TOP + (CURVE_HEIGHT - CURVE_TOP - CURVE_BOTTOM) * (1.0 - value);
}

static void curve_write_polyline(FILE *f, const CurvePoints *p, double max_step, int smooth, const char *color,
                                 double width, const char *dash) {
    if (p->count == 0) return;
    fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\"%s%s%s points=\"", color, width,
            dash ? " stroke-dasharray=\"" : "", dash ? dash : "", dash ? "\"" : "");
    for (size_t i = 0; i < p->count; i++) {
        double sum = 0;
        size_t from = i >= (size_t)smooth ? i - (size_t)smooth + 1 : 0, n = 0;
        for (size_t j = from; j <= i; j++, n++) sum += p->y[j];
        fprintf(f, "%.1f,%.1f ", curve_px(p->x[i], max_step), curve_py(sum / (double)n));
    }
    fprintf(f, "\"/>\n");
}

int grpo_curve_write_svg(const char *const *log_paths, const char *const *labels, int count,
                         const char *train_field, const char *svg_path, Error *err) {
    if (!train_field) train_field = "accuracy_mean";
    CurvePoints *train = calloc((size_t)(count > 0 ? count : 1), sizeof *train);
    CurvePoints *val = calloc((size_t)(count > 0 ? count : 1), sizeof *val);
    char *svg = NULL;
    size_t svg_size = 0;
    FILE *f = NULL;
    int rc = -1;
    if (!train || !val) {
        error_set(err, "out of memory drawing %s", svg_path);
        goto done;
    }
    double max_step = 1;
    for (int r = 0; r < count; r++) {
        if (curve_read_log(log_paths[r], train_field, &train[r], &val[r], err) != 0) goto done;
        for (size_t i = 0; i < train[r].count; i++) max_step = fmax(max_step, train[r].x[i]);
        for (size_t i = 0; i < val[r].count; i++) max_step = fmax(max_step, val[r].x[i]);
    }
    f = open_memstream(&svg, &svg_size);
    if (!f) {
        error_set(err, "out of memory drawing %s", svg_path);
        goto done;
    }
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" "
               "font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            CURVE_WIDTH, CURVE_HEIGHT);
    fprintf(f, "<text x=\"%d\" y=\"22\" font-size=\"14\">GRPO: rollout %s (thin, 5-step mean) and "
               "validation exact (thick)</text>\n", CURVE_LEFT, train_field);
    for (int tick = 0; tick <= 5; tick++) { // y grid at 0, 0.2, ... 1
        double y = curve_py(tick / 5.0);
        fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                   "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.1f</text>\n",
                CURVE_LEFT, CURVE_WIDTH - CURVE_RIGHT, y, y, CURVE_LEFT - 6, y + 4, tick / 5.0);
    }
    for (int tick = 0; tick <= 4; tick++) {
        double step = max_step * tick / 4.0;
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.0f</text>\n", curve_px(step, max_step),
                CURVE_HEIGHT - CURVE_BOTTOM + 18, step);
    }
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">step</text>\n",
            (CURVE_LEFT + CURVE_WIDTH - CURVE_RIGHT) / 2, CURVE_HEIGHT - 12);
    for (int r = 0; r < count; r++) {
        const char *color = CURVE_COLORS[r % (int)(sizeof CURVE_COLORS / sizeof CURVE_COLORS[0])];
        curve_write_polyline(f, &train[r], max_step, 5, color, 1.0, "4 3");
        curve_write_polyline(f, &val[r], max_step, 1, color, 2.5, NULL);
        for (size_t i = 0; i < val[r].count; i++)
            fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", curve_px(val[r].x[i], max_step),
                    curve_py(val[r].y[i]), color);
        const char *label = labels && labels[r] ? labels[r] : log_paths[r];
        double y = CURVE_TOP + 10 + 20.0 * r;
        fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2.5\"/>",
                CURVE_WIDTH - CURVE_RIGHT + 10, CURVE_WIDTH - CURVE_RIGHT + 30, y, y, color);
        fputs("<text x=\"", f);
        fprintf(f, "%d\" y=\"%.1f\">", CURVE_WIDTH - CURVE_RIGHT + 36, y + 4);
        for (const char *c = label; *c && c - label < 24; c++) { // XML-escape the label
            if (*c == '<') fputs("&lt;", f);
            else if (*c == '>') fputs("&gt;", f);
            else if (*c == '&') fputs("&amp;", f);
            else fputc(*c, f);
        }
        fputs("</text>\n", f);
    }
    fputs("</svg>\n", f);
    fclose(f);
    f = NULL;
    rc = file_write_atomic(svg_path, svg, svg_size, err);
done:
    if (f) fclose(f);
    free(svg);
    for (int r = 0; train && val && r < count; r++) {
        curve_points_free(&train[r]);
        curve_points_free(&val[r]);
    }
    free(train);
    free(val);
    return rc;
}
