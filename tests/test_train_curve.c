// test_train_curve.c — the training-curve SVG (train/curve.h) read as text: the title names the kind
// of run from the log's fields, the y axis fits the data (a loss near 6.5 is not clamped to 1), x
// ticks sit at whole steps exactly where those steps' points are, and the legend stays inside the
// canvas whatever the labels.
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/files.h"
#include "support/train_fixture.h"
#include "train/curve.h"

enum { CANVAS_WIDTH = 720 };

// An upper bound of a character's width at font-size 12 in DejaVu Sans, Liberation Sans or Arial
// (W: 11.9 px; capitals at most 9; the rest at most 7.5); beyond ASCII, full width.
static double char_width(unsigned char c) {
    if (c >= 0x80 || strchr("WMmw@%", c)) return 12.0;
    return c >= 'A' && c <= 'Z' ? 9.0 : 7.5;
}

static char *dir;
static char *sft_log, *grpo_log, *vision_log;

static char *write_log(const char *name, const char *text) {
    char *path = path_join(dir, name);
    Error err;
    if (file_write_atomic(path, text, strlen(text), &err) != 0) fail_msg("%s", err.message);
    return path;
}

static int setup(void **state) {
    (void)state;
    dir = train_fixture_tempdir("curve");
    // an SFT run: the loss falls from 6.9 by 0.1 a step, validated at steps 4 and 7
    char sft[2048] = "";
    for (int step = 1; step <= 7; step++) {
        char line[160];
        snprintf(line, sizeof line, "{\"step\":%d,\"loss\":%.1f,\"lr\":0.001,\"tokens_per_s\":900,\"mfu\":0.1}\n", step,
                 7.0 - 0.1 * step);
        strcat(sft, line);
        if (step == 4 || step == 7) {
            snprintf(line, sizeof line, "{\"step\":%d,\"event\":\"validation\",\"val_exact\":%s}\n", step,
                     step == 4 ? "0.5" : "0.75");
            strcat(sft, line);
        }
    }
    sft_log = write_log("sft.jsonl", sft);
    grpo_log = write_log("grpo.jsonl",
                         "{\"step\":1,\"event\":\"hcm\",\"hcm_scored\":4}\n"
                         "{\"step\":1,\"reward_mean\":1.1,\"accuracy_mean\":0.6,\"loss\":-0.01}\n"
                         "{\"step\":2,\"reward_mean\":1.2,\"accuracy_mean\":0.7,\"loss\":0.02}\n"
                         "{\"step\":3,\"reward_mean\":1.3,\"accuracy_mean\":0.8,\"loss\":0.01}\n");
    vision_log = write_log("vision.jsonl", "{\"step\":1,\"loss\":3.7,\"flaw\":0.7}\n");
    return 0;
}

static int teardown(void **state) {
    (void)state;
    train_fixture_remove(dir);
    free(dir);
    free(sft_log);
    free(grpo_log);
    free(vision_log);
    return 0;
}

static char *draw(const char *const *logs, const char *const *labels, int count, const char *field) {
    Error err = {{0}};
    char *svg = curve_svg(logs, labels, count, field, &err);
    if (!svg) fail_msg("curve_svg: %s", err.message);
    return svg;
}

// The numbers of every `<text class="CLASS" x="X" ...>VALUE</text>`, up to `end` (NULL: all).
static int text_elements(const char *svg, const char *end, const char *class_name, double *x, double *value, int max) {
    char needle[64];
    snprintf(needle, sizeof needle, "<text class=\"%s\" x=\"", class_name);
    int n = 0;
    for (const char *p = strstr(svg, needle); p && (!end || p < end) && n < max; p = strstr(p + 1, needle)) {
        x[n] = strtod(p + strlen(needle), NULL);
        const char *close = strchr(p, '>');
        assert_non_null(close);
        value[n++] = strtod(close + 1, NULL);
    }
    return n;
}

static void test_the_title_names_the_kind_of_run(void **state) {
    (void)state;
    CurveRunKind kind;
    Error err;
    assert_int_equal(curve_log_kind(sft_log, &kind, &err), 0);
    assert_int_equal(kind, CURVE_RUN_SFT);
    assert_int_equal(curve_log_kind(grpo_log, &kind, &err), 0); // its hcm event line comes first
    assert_int_equal(kind, CURVE_RUN_GRPO);
    assert_int_equal(curve_log_kind(vision_log, &kind, &err), 0);
    assert_int_equal(kind, CURVE_RUN_UNKNOWN);
    char *svg = draw((const char *[]){sft_log}, NULL, 1, NULL);
    assert_non_null(strstr(svg, ">SFT: training and validation</text>"));
    assert_non_null(strstr(svg, ">loss per step"));
    assert_null(strstr(svg, "GRPO"));
    free(svg);
    svg = draw((const char *[]){grpo_log}, NULL, 1, NULL);
    assert_non_null(strstr(svg, ">GRPO: rollouts and validation</text>"));
    assert_non_null(strstr(svg, ">rollout accuracy_mean per step"));
    free(svg);
    // an SFT loss and a GRPO reward do not share an axis unless a field is named
    assert_null(curve_svg((const char *[]){sft_log, grpo_log}, NULL, 2, NULL, &err));
    assert_non_null(strstr(err.message, "mix SFT and GRPO"));
    svg = draw((const char *[]){sft_log, grpo_log}, NULL, 2, "loss");
    assert_non_null(strstr(svg, ">SFT + GRPO: training and validation</text>"));
    free(svg);
    assert_null(curve_svg((const char *[]){vision_log}, NULL, 1, NULL, &err));
    assert_non_null(strstr(err.message, "name the field"));
}

static void test_the_y_axis_fits_the_data(void **state) {
    (void)state;
    char *svg = draw((const char *[]){sft_log}, NULL, 1, NULL);
    const char *val_panel = strstr(svg, ">validation exact");
    assert_non_null(val_panel);
    double x[32], tick[32];
    int n = text_elements(svg, val_panel, "y-tick", x, tick, 32);
    assert_true(n >= 3 && n <= 8);
    double low = tick[0], high = tick[n - 1];
    // the drawn values (5-step means of 6.9 … 6.3: 6.9 … 6.5) lie inside, and the axis is not 0–1
    if (!(low <= 6.5 + 1e-9 && low > 5.5 && high >= 6.9 - 1e-9 && high < 7.5))
        fail_msg("loss axis %g..%g does not fit 6.5..6.9", low, high);
    for (int i = 1; i < n; i++) assert_true(tick[i] > tick[i - 1]);
    // the loss line falls across the panel instead of running flat along its top
    const char *points = strstr(svg, "points=\"");
    assert_non_null(points);
    double first_x, first_y;
    assert_int_equal(sscanf(points + 8, "%lf,%lf", &first_x, &first_y), 2);
    const char *end = strchr(points + 8, '"');
    const char *last = end;
    while (last > points && last[-1] != ' ' && last[-1] != '"') last--;
    double last_x, last_y;
    assert_int_equal(sscanf(last, "%lf,%lf", &last_x, &last_y), 2);
    if (!(last_y - first_y > 50)) fail_msg("the loss line is flat: y %g -> %g", first_y, last_y);
    // the validation panel fits its own values (0.5 and 0.75)
    n = text_elements(val_panel, NULL, "y-tick", x, tick, 32);
    assert_true(n >= 2);
    assert_true(tick[0] <= 0.5 && tick[0] > 0.2 && tick[n - 1] >= 0.75 && tick[n - 1] < 1.0);
    free(svg);
}

static void test_x_ticks_are_whole_steps_at_their_points(void **state) {
    (void)state;
    char *svg = draw((const char *[]){sft_log}, NULL, 1, NULL);
    double x[32], step[32];
    int n = text_elements(svg, NULL, "x-tick", x, step, 32);
    assert_true(n >= 3);
    char *points = strstr(svg, "points=\"");
    assert_non_null(points);
    char *end = strchr(points + 8, '"');
    *end = '\0';
    int matched = 0;
    for (int i = 0; i < n; i++) {
        if (step[i] != floor(step[i])) fail_msg("x tick %g is not a whole step", step[i]);
        if (i > 0 && !(x[i] > x[i - 1])) fail_msg("x ticks out of order");
        if (step[i] < 1 || step[i] > 7) continue;
        // the loss line has a point at every step 1..7: a tick's x must be that step's point's x
        char coordinate[32];
        snprintf(coordinate, sizeof coordinate, "%.1f,", x[i]);
        if (!strstr(points, coordinate)) fail_msg("x tick %g at x=%.1f has no point of step %g there", step[i], x[i], step[i]);
        matched++;
    }
    assert_true(matched >= 2);
    free(svg);
}

static void test_the_legend_stays_inside_the_canvas(void **state) {
    (void)state;
    const char *logs[4] = {sft_log, sft_log, sft_log, sft_log};
    const char *labels[4] = {"short", "runs/a-rather-long-run-folder-name-that-goes-on=SFT, lr 2e-3",
                             "ünïcödé label with wide characters WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW"
                             "WWWWWWWW",
                             "<&> escaped"};
    char *svg = draw(logs, labels, 4, NULL);
    const char *needle = "<text class=\"legend\" x=\"";
    const char *panel = strstr(svg, "<text class=\"panel\"");
    assert_non_null(panel);
    double first_panel = strtod(strstr(panel, "y=\"") + 3, NULL);
    int entries = 0;
    for (const char *p = strstr(svg, needle); p; p = strstr(p + 1, needle), entries++) {
        double x = strtod(p + strlen(needle), NULL);
        double y = strtod(strstr(p, "y=\"") + 3, NULL);
        const char *text = strchr(p, '>') + 1, *close = strstr(text, "</text>");
        double width = 0;
        for (const char *c = text; c < close; c++) {
            if (*c == '&') c = strchr(c, ';'), width += 12.0; // an entity is one character
            else if ((*c & 0xC0) != 0x80) width += char_width((unsigned char)*c);
        }
        if (x < 0 || x + width > CANVAS_WIDTH)
            fail_msg("legend entry '%.*s' runs from x=%g to %g, past %d", (int)(close - text), text, x, x + width,
                     CANVAS_WIDTH);
        if (!(y < first_panel)) fail_msg("legend entry at y=%g overlaps the plot (which starts at %g)", y, first_panel);
    }
    assert_int_equal(entries, 4);
    assert_non_null(strstr(svg, "…</text>"));        // the longest label is cut, and says so
    assert_non_null(strstr(svg, "&lt;&amp;&gt; escaped")); // labels are XML text
    free(svg);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_title_names_the_kind_of_run),
        cmocka_unit_test(test_the_y_axis_fits_the_data),
        cmocka_unit_test(test_x_ticks_are_whole_steps_at_their_points),
        cmocka_unit_test(test_the_legend_stays_inside_the_canvas),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
