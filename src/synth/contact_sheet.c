// contact_sheet.c — rows of [original | A | B | C | D] with captions, drawn with cairo.
#include "synth/contact_sheet.h"

#include <cairo.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth/paint.h"

#define CAPTION_LINES 2

// Copies an RGB/RGBA image into the tile x tile square at (x, y) of the RGB24 surface, letterboxed:
// the longer side fills the tile, the shorter one is centred on grey, so nothing is stretched.
static int blit_tile(cairo_surface_t *surface, const Image *image, int x, int y, int tile, Error *err) {
    int fit_width = tile, fit_height = tile;
    if (image->width >= image->height) fit_height = (int)(((long long)image->height * tile + image->width / 2) / image->width);
    else fit_width = (int)(((long long)image->width * tile + image->height / 2) / image->height);
    if (fit_width < 1) fit_width = 1;
    if (fit_height < 1) fit_height = 1;
    int x0 = (tile - fit_width) / 2, y0 = (tile - fit_height) / 2;
    Image scaled;
    if (image_resize(&scaled, image, fit_width, fit_height, err) != 0) return -1;
    cairo_surface_flush(surface);
    int stride = cairo_image_surface_get_stride(surface);
    unsigned char *data = cairo_image_surface_get_data(surface);
    for (int j = 0; j < tile; j++) {
        uint32_t *row = (uint32_t *)(data + (size_t)(y + j) * stride) + x;
        for (int i = 0; i < tile; i++) {
            int sx = i - x0, sy = j - y0;
            if (sx < 0 || sy < 0 || sx >= fit_width || sy >= fit_height) {
                row[i] = 0xff808080u; // the letterbox bars
                continue;
            }
            const uint8_t *src = scaled.data + ((size_t)sy * fit_width + sx) * scaled.channels;
            row[i] = 0xff000000u | (uint32_t)src[0] << 16 | (uint32_t)src[1] << 8 | src[2];
        }
    }
    cairo_surface_mark_dirty(surface);
    image_free(&scaled);
    return 0;
}

// "shadow_reversed 0.72" for candidate `c` from the meta JSON, or "" when absent.
static void caption_from_meta(const cJSON *meta, int c, char *out, size_t size) {
    out[0] = 0;
    const cJSON *candidates = cJSON_GetObjectItemCaseSensitive(meta, "candidates");
    const cJSON *item = cJSON_GetArrayItem(candidates, c);
    const cJSON *defect = cJSON_GetObjectItemCaseSensitive(item, "defect");
    const cJSON *severity = cJSON_GetObjectItemCaseSensitive(item, "severity");
    if (!cJSON_IsString(defect)) return;
    if (cJSON_IsNumber(severity) && severity->valuedouble > 0)
        snprintf(out, size, "%s %.2f", defect->valuestring, severity->valuedouble);
    else snprintf(out, size, "%s", defect->valuestring);
}

static void draw_caption(cairo_t *cr, const char *text, double x, double y, double width, double line, Rgb colour) {
    paint_set_rgb(cr, colour);
    paint_text_centred(cr, text, x + width / 2, y + line / 2, width * 0.96, line * 0.72, 0);
}

static int render_row(cairo_surface_t *surface, cairo_t *cr, const Dataset *dataset, const Sample *sample, int y,
                      int tile, int line, Error *err) {
    int gap = tile / 32 + 2;
    char answer[16], header[256];
    if (sample->answer_unknown) snprintf(answer, sizeof answer, "unknown");
    else answer_set_format(sample->answer, answer, sizeof answer);
    snprintf(header, sizeof header, "%s   %s   gold: %s", sample->id, dimension_id(sample->dimension), answer);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    paint_set_label_font(cr, 1);
    cairo_set_font_size(cr, line * 0.75);
    cairo_move_to(cr, gap, y + line * 0.8);
    cairo_show_text(cr, header);
    cairo_new_path(cr);
    cJSON *meta = sample->meta_json ? cJSON_Parse(sample->meta_json) : NULL;
    int rc = 0;
    for (int i = 0; i <= CANDIDATE_COUNT && rc == 0; i++) {
        int x = gap + i * (tile + gap), ty = y + line;
        char *path = dataset_image_path(dataset, sample, i);
        Image image;
        rc = path ? image_load(&image, path, 0, err) : error_set(err, "out of memory");
        free(path);
        if (rc != 0) break;
        rc = blit_tile(surface, &image, x, ty, tile, err);
        image_free(&image);
        char title[64], detail[96];
        int flawed = i > 0 && ((sample->answer >> (i - 1)) & 1);
        if (i == 0) snprintf(title, sizeof title, "original");
        else snprintf(title, sizeof title, "%c  %s", 'A' + i - 1, sample->answer_unknown ? "" : flawed ? "FLAWED" : "ok");
        if (i == 0) detail[0] = 0;
        else caption_from_meta(meta, i - 1, detail, sizeof detail);
        Rgb colour = flawed ? (Rgb){0.75, 0.1, 0.1} : (Rgb){0.1, 0.45, 0.15};
        if (i == 0) colour = (Rgb){0.2, 0.2, 0.2};
        if (flawed) { // a red border marks the gold answer
            cairo_set_source_rgb(cr, 0.85, 0.1, 0.1);
            cairo_set_line_width(cr, gap * 0.8);
            cairo_rectangle(cr, x - gap * 0.4, ty - gap * 0.4, tile + gap * 0.8, tile + gap * 0.8);
            cairo_stroke(cr);
        }
        draw_caption(cr, title, x, ty + tile + gap * 0.5, tile, line, colour);
        if (detail[0]) draw_caption(cr, detail, x, ty + tile + gap * 0.5 + line, tile, line, (Rgb){0.25, 0.25, 0.25});
    }
    cJSON_Delete(meta);
    if (rc != 0) error_prefix(err, "sample %s: ", sample->id);
    return rc;
}

int contact_sheet_render(Image *out, const Dataset *dataset, const Sample *const *samples, size_t count, int tile,
                         Error *err) {
    memset(out, 0, sizeof *out);
    if (tile < 32 || tile > 512) return error_set(err, "contact sheet: tile size %d outside 32..512", tile);
    if (count == 0 || count > 200) return error_set(err, "contact sheet: %zu samples (1..200 fit on a sheet)", count);
    int gap = tile / 32 + 2, line = tile / 12 + 8;
    int row_height = line + tile + gap + CAPTION_LINES * line + gap;
    int width = gap + 5 * (tile + gap), height = (int)count * row_height + gap;
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
    cairo_t *cr = cairo_create(surface);
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS) {
        cairo_destroy(cr);
        cairo_surface_destroy(surface);
        return error_set(err, "contact sheet: cannot create a %dx%d surface", width, height);
    }
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++)
        rc = render_row(surface, cr, dataset, samples[i], gap + (int)i * row_height, tile, line, err);
    cairo_destroy(cr);
    if (rc == 0) rc = paint_surface_to_image(surface, out, err);
    cairo_surface_destroy(surface);
    return rc;
}
