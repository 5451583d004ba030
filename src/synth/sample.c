// sample.c — one generated sample: names of kinds and difficulties, configuration, and the
// assembly of plan + images + record (id, paths, answer, question, rationale, meta).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/files.h"
#include "image/camera.h"
#include "synth/composite.h"
#include "synth/plan.h"
#include "text/prompt.h"

static const char *const DEFECT_IDS[DEFECT_KIND_COUNT] = {
    "none", "warped", "stretched", "text_garbled", "wrong_colour", "part_changed", "part_missing",
    "shadow_reversed", "shadow_missing", "shadow_double", "highlight_wrong_side", "shadow_length",
    "floating", "sunk", "tilted", "upside_down", "wrong_scale", "cut_by_frame", "on_wall",
    "seam", "broken_edge", "perspective_jump", "repeated_tiles", "duplicated_product"};

const char *defect_kind_id(DefectKind kind) {
    return (unsigned)kind < DEFECT_KIND_COUNT ? DEFECT_IDS[kind] : "unknown";
}

Dimension defect_kind_dimension(DefectKind kind) {
    if (kind <= DEFECT_PART_MISSING) return DIMENSION_DEFORMATION;
    if (kind <= DEFECT_SHADOW_LENGTH) return DIMENSION_LIGHTING;
    if (kind <= DEFECT_ON_WALL) return DIMENSION_PLACEMENT;
    return DIMENSION_EXTENSION;
}

const char *synth_difficulty_id(SynthDifficulty difficulty) {
    static const char *const ids[] = {"easy", "medium", "hard", "mix"};
    return (unsigned)difficulty <= SYNTH_MIX ? ids[difficulty] : "unknown";
}

int synth_difficulty_parse(const char *id, SynthDifficulty *out) {
    for (int d = 0; d <= SYNTH_MIX; d++)
        if (strcmp(id, synth_difficulty_id((SynthDifficulty)d)) == 0) {
            *out = (SynthDifficulty)d;
            return 0;
        }
    return -1;
}

const char *synth_style_id(SynthStyle style) {
    static const char *const ids[] = {"render", "photo", "mix"};
    return (unsigned)style <= SYNTH_STYLE_MIX ? ids[style] : "unknown";
}

int synth_style_parse(const char *id, SynthStyle *out) {
    for (int s = 0; s <= SYNTH_STYLE_MIX; s++)
        if (strcmp(id, synth_style_id((SynthStyle)s)) == 0) {
            *out = (SynthStyle)s;
            return 0;
        }
    return -1;
}

void synth_config_default(SynthConfig *config) {
    memset(config, 0, sizeof *config);
    config->seed = 1;
    config->size = SYNTH_DEFAULT_SIZE;
    config->difficulty = SYNTH_MIX;
}

int synth_dimensions_parse(const char *list, unsigned *out, Error *err) {
    *out = 0;
    char buffer[256];
    snprintf(buffer, sizeof buffer, "%s", list);
    char *save = NULL;
    for (char *name = strtok_r(buffer, ", ", &save); name; name = strtok_r(NULL, ", ", &save)) {
        Dimension d;
        if (strcmp(name, "all") == 0) {
            *out = (1u << DIMENSION_COUNT) - 1;
            continue;
        }
        if (dimension_parse(name, &d) != 0)
            return error_set(err, "unknown dimension '%s' (use deformation, lighting, placement, extension or all)", name);
        *out |= 1u << d;
    }
    if (!*out) return error_set(err, "no dimension in '%s'", list);
    return 0;
}

void synth_sample_free(SynthSample *sample) {
    sample_free(&sample->sample);
    for (int i = 0; i <= CANDIDATE_COUNT; i++) image_free(&sample->images[i]);
    memset(sample, 0, sizeof *sample);
}

// Drawn scenes are PNG (flat colours compress losslessly); photo-style images are JPEG, as camera
// photos are (a lossless PNG of sensor noise costs most of the generator's time: docs/perf/synth.md).
static char *image_name(const char *id, char suffix, SynthStyle style) {
    char buffer[96];
    snprintf(buffer, sizeof buffer, "img/%s_%c.%s", id, suffix, style == SYNTH_STYLE_PHOTO ? "jpg" : "png");
    return string_duplicate(buffer);
}

// Which flawed letter gets which kind: the dimension's kinds in a shuffled order, so a sample's
// flaws differ from one another and every kind is drawn about equally often.
static void assign_kinds(const SynthConfig *config, size_t index, Dimension dimension, AnswerSet answer,
                         DefectKind kinds_out[CANDIDATE_COUNT]) {
    DefectKind kinds[DEFECT_KIND_COUNT];
    int count = defect_kinds_of_dimension(dimension, kinds);
    size_t order[DEFECT_KIND_COUNT];
    for (int i = 0; i < count; i++) order[i] = (size_t)i;
    Rng rng = rng_stream(config->seed, index, SYNTH_STREAM(STREAM_KINDS));
    rng_shuffle_size(&rng, order, (size_t)count);
    int next = 0;
    for (int c = 0; c < CANDIDATE_COUNT; c++)
        kinds_out[c] = (answer >> c) & 1 ? kinds[order[next++ % count]] : DEFECT_NONE;
}

// The camera's look for image `which` (0 the original, 1..4 the candidates): good and flawed
// candidates draw from the same distribution, so the look never tells which is which.
static int camera_pass(Image *image, char description[160], const SynthConfig *config, size_t index, int which,
                       Error *err) {
    Rng rng = rng_stream(config->seed, index, SYNTH_STREAM(STREAM_CAMERA + 16 * which));
    CameraLook look;
    camera_look_random(&look, rng_next_double(&rng), &rng);
    if (which == 0) camera_look_milder(&look);
    camera_look_describe(&look, description, 160);
    return camera_apply(image, &look, rng_hash(config->seed, index, SYNTH_STREAM(STREAM_CAMERA), (uint64_t)which), err);
}

// Candidate c of a composite sample (synth/composite.h): the sample's product, the severity range
// of its difficulty, the photo style's camera.
static int composite_candidate(SynthSample *out, const SynthConfig *config, size_t index, double original_height,
                               DefectKind kind, int c, Error *err) {
    CompositeRequest request = {config->photos, {config->seed, index, STREAM_PRODUCT}, original_height, kind, 0, 0};
    plan_severity_range(out->meta.difficulty, &request.severity_lo, &request.severity_hi);
    CandidateMeta *m = &out->meta.candidates[c];
    Image *image = &out->images[1 + c];
    Rng rng = rng_stream(config->seed, index, SYNTH_STREAM(STREAM_CANDIDATE + 16 * (c + 1)));
    size_t wall, surface;
    if (image_create(image, config->size, config->size, 3, err) != 0 ||
        composite_candidate_render(image, m, &wall, &surface, &request, &rng, err) != 0)
        return -1;
    snprintf(m->wall_photo, sizeof m->wall_photo, "%s", synth_photos_name(config->photos, wall));
    snprintf(m->surface_photo, sizeof m->surface_photo, "%s", synth_photos_name(config->photos, surface));
    return camera_pass(image, m->camera, config, index, c + 1, err);
}

int synth_sample_render(SynthSample *out, const SynthConfig *config, size_t index, int flags, Error *err) {
    memset(out, 0, sizeof *out);
    int S = config->size;
    if (S < SYNTH_MIN_SIZE || S > SYNTH_MAX_SIZE)
        return error_set(err, "synth: size %d outside %d..%d", S, SYNTH_MIN_SIZE, SYNTH_MAX_SIZE);
    SynthSampleMeta *meta = &out->meta;
    synth_sample_plan_answer(config, index, &meta->dimension, &meta->answer);
    Rng difficulty_rng = rng_stream(config->seed, index, SYNTH_STREAM(STREAM_DIFFICULTY));
    meta->difficulty = config->difficulty == SYNTH_MIX ? (SynthDifficulty)rng_next_int(&difficulty_rng, 3)
                                                       : config->difficulty;
    meta->size = S;
    ProductSpec product;
    Rng product_rng = rng_stream(config->seed, index, SYNTH_STREAM(STREAM_PRODUCT));
    product_spec_random(&product, &product_rng);
    meta->product = product.kind;
    snprintf(meta->brand, sizeof meta->brand, "%s", product.brand);
    snprintf(meta->dosage, sizeof meta->dosage, "%s", product.dosage);
    if (config->style != SYNTH_STYLE_RENDER && !config->photos) {
        error_set(err, "synth: style %s needs the photo library (run tools/fetch_photos.sh)", synth_style_id(config->style));
        goto fail;
    }
    meta->style = config->style;
    if (config->style == SYNTH_STYLE_MIX) {
        Rng style_rng = rng_stream(config->seed, index, SYNTH_STREAM(STREAM_STYLE));
        meta->style = rng_next_int(&style_rng, 2) ? SYNTH_STYLE_PHOTO : SYNTH_STYLE_RENDER;
    }
    int photo = meta->style == SYNTH_STYLE_PHOTO;
    double original_height = plan_original_height(&product, S);
    if (render_original(&out->images[0], &product, original_height, S, err) != 0) goto fail;
    if (photo && camera_pass(&out->images[0], meta->original_camera, config, index, 0, err) != 0) goto fail;
    DefectKind kinds[CANDIDATE_COUNT];
    assign_kinds(config, index, meta->dimension, meta->answer, kinds);
    int min_props = meta->dimension == DIMENSION_LIGHTING || meta->dimension == DIMENSION_PLACEMENT;
    if (photo) {
        Rng layout_rng = rng_stream(config->seed, index, SYNTH_STREAM(STREAM_LAYOUT));
        meta->composite = rng_next_int(&layout_rng, 2);
    }
    for (int c = 0; c < CANDIDATE_COUNT && meta->composite; c++)
        if (composite_candidate(out, config, index, original_height, kinds[c], c, err) != 0) goto fail;
    for (int c = 0; c < CANDIDATE_COUNT && !meta->composite; c++) {
        Rng rng = rng_stream(config->seed, index, SYNTH_STREAM(STREAM_CANDIDATE + 16 * (c + 1)));
        CandidatePlan plan;
        plan_candidate_layout(&plan, &product, original_height, S, min_props, &rng);
        Rng defect_rng = rng_stream(config->seed, index, SYNTH_STREAM(STREAM_DEFECT + 16 * (c + 1)));
        double severity = plan_severity(meta->difficulty, &defect_rng);
        plan_apply_defect(&plan, kinds[c], severity, S, &defect_rng);
        if (photo) {
            Rng photo_rng = rng_stream(config->seed, index, SYNTH_STREAM(STREAM_PHOTO + 16 * (c + 1)));
            plan.photos = config->photos;
            photo_choice_random(&plan.photo, config->photos, S, &photo_rng);
            plan.inner_photo = plan.photo;
            if (kinds[c] == DEFECT_SEAM)
                photo_choice_seam(&plan.inner_photo, &plan.photo, &plan.scene, &plan.inner, severity, S);
        }
        CandidateMeta *m = &meta->candidates[c];
        if (render_candidate(&out->images[1 + c], m, &plan, S, flags, err) != 0) goto fail;
        if (photo) {
            snprintf(m->wall_photo, sizeof m->wall_photo, "%s", synth_photos_name(config->photos, plan.photo.wall));
            snprintf(m->surface_photo, sizeof m->surface_photo, "%s",
                     synth_photos_name(config->photos, plan.photo.surface));
            if (camera_pass(&out->images[1 + c], m->camera, config, index, c + 1, err) != 0) goto fail;
        }
    }
    // the record
    Sample *s = &out->sample;
    char id[32];
    snprintf(id, sizeof id, "s%06zu", index);
    s->id = string_duplicate(id);
    s->dimension = meta->dimension;
    s->answer = meta->answer;
    s->original = image_name(id, 'o', meta->style);
    for (int c = 0; c < CANDIDATE_COUNT; c++) s->candidates[c] = image_name(id, (char)('a' + c), meta->style);
    s->question = prompt_question_text(s->question, s->dimension);
    char rationale[SYNTH_RATIONALE_MAX + 1];
    Rng variant = rng_stream(config->seed, index, SYNTH_STREAM(STREAM_RATIONALE));
    if (synth_rationale_write(meta, rng_next_u64(&variant), rationale, sizeof rationale) != 0) {
        error_set(err, "synth: sample %s: rationale does not fit %d bytes", id, SYNTH_RATIONALE_MAX);
        goto fail;
    }
    s->rationale = string_duplicate(rationale);
    s->meta_json = synth_meta_to_json(meta);
    if (!s->id || !s->original || !s->candidates[3] || !s->question || !s->rationale || !s->meta_json) {
        error_set(err, "synth: sample %s: out of memory", id);
        goto fail;
    }
    return 0;
fail:
    synth_sample_free(out);
    return -1;
}
