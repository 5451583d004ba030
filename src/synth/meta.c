// meta.c — the sample's `meta` object: product, difficulty and, per candidate, what the generator
// did (defect kind, severity, region) and the scene facts a checker or a rationale relies on.
#include <cjson/cJSON.h>
#include <math.h>

#include "synth/synth.h"

static cJSON *box_json(SynthBox box) {
    const int values[4] = {box.x0, box.y0, box.x1, box.y1};
    return cJSON_CreateIntArray(values, 4);
}

static double round3(double v) { return round(v * 1000.0) / 1000.0; }

char *synth_meta_to_json(const SynthSampleMeta *meta) {
    cJSON *root = cJSON_CreateObject();
    if (!root) return NULL;
    cJSON_AddNumberToObject(root, "version", 1);
    cJSON_AddStringToObject(root, "generator", "iar-synth");
    cJSON_AddStringToObject(root, "difficulty", synth_difficulty_id(meta->difficulty));
    cJSON_AddStringToObject(root, "product", product_kind_id(meta->product));
    cJSON_AddStringToObject(root, "brand", meta->brand);
    cJSON_AddStringToObject(root, "dosage", meta->dosage);
    cJSON_AddNumberToObject(root, "size", meta->size);
    if (meta->style == SYNTH_STYLE_PHOTO) { // render-style meta stays exactly as it always was
        cJSON_AddStringToObject(root, "style", "photo");
        cJSON_AddStringToObject(root, "original_camera", meta->original_camera);
        cJSON_AddStringToObject(root, "layout", meta->composite ? "composite" : "scene");
    }
    cJSON *candidates = cJSON_AddArrayToObject(root, "candidates");
    for (int c = 0; candidates && c < CANDIDATE_COUNT; c++) {
        const CandidateMeta *m = &meta->candidates[c];
        cJSON *item = cJSON_CreateObject();
        if (!item) break;
        char letter[2] = {(char)('A' + c), 0};
        cJSON_AddStringToObject(item, "letter", letter);
        cJSON_AddStringToObject(item, "defect", defect_kind_id(m->defect));
        cJSON_AddNumberToObject(item, "severity", round3(m->severity));
        cJSON_AddItemToObject(item, "region", box_json(m->region));
        cJSON_AddItemToObject(item, "product_box", box_json(m->product));
        cJSON_AddItemToObject(item, "frame", box_json(m->frame));
        cJSON_AddStringToObject(item, "light", m->light_side < 0 ? "left" : "right");
        cJSON_AddNumberToObject(item, "light_azimuth", round3(m->light_azimuth));
        cJSON_AddNumberToObject(item, "light_elevation", round3(m->light_elevation));
        static const char *const shadow_words[] = {"left", "none", "right", "both"};
        cJSON_AddStringToObject(item, "shadow", shadow_words[m->shadow_side + 1]);
        cJSON_AddNumberToObject(item, "surface_y", m->surface_y);
        cJSON_AddNumberToObject(item, "base_y", m->base_y);
        if (m->defect != DEFECT_NONE) {
            if (m->shadow_ratio != 1) cJSON_AddNumberToObject(item, "shadow_ratio", round3(m->shadow_ratio));
            if (m->tilt_degrees != 0) cJSON_AddNumberToObject(item, "tilt_degrees", round3(m->tilt_degrees));
            if (fabs(m->scale_ratio - 1) > 1e-6) cJSON_AddNumberToObject(item, "scale_ratio", round3(m->scale_ratio));
            if (m->gap_pixels != 0) cJSON_AddNumberToObject(item, "gap_pixels", m->gap_pixels);
        }
        if (meta->style == SYNTH_STYLE_PHOTO) {
            cJSON_AddStringToObject(item, "wall_photo", m->wall_photo);
            cJSON_AddStringToObject(item, "surface_photo", m->surface_photo);
            cJSON_AddStringToObject(item, "camera", m->camera);
        }
        cJSON_AddItemToArray(candidates, item);
    }
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return text;
}
