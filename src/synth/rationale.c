// rationale.c — the chain of thought a model is trained to write: per candidate, the one fact a
// person checks for the sample's dimension (shadow side against the light, base against the
// surface, product against the original, edges across the frame border), then the gold answer.
// Short by design (the native model generates it token by token) and built only from `meta`.
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "synth/synth.h"

static const char *side_word(int side) { return side < 0 ? "left" : "right"; }

// Phrasing choice k of n for candidate c: a few bits of the variant each.
static int pick(uint64_t variant, int c, int n) { return (int)((variant >> (8 * (c % 8))) % (uint64_t)n); }

static void lighting_fact(const CandidateMeta *m, int style, char *out, size_t size) {
    const char *light = side_word(m->light_side), *away = side_word(-m->light_side);
    switch (m->defect) {
    case DEFECT_SHADOW_REVERSED:
        snprintf(out, size, "light %s, shadow falls %s, toward the light", light, light);
        break;
    case DEFECT_SHADOW_MISSING: snprintf(out, size, "light %s, no shadow under the product", light); break;
    case DEFECT_SHADOW_DOUBLE: snprintf(out, size, "light %s, two shadows, left and right", light); break;
    case DEFECT_HIGHLIGHT_WRONG_SIDE:
        snprintf(out, size, "light %s, shadow %s, but product lit on the %s", light, away, away);
        break;
    case DEFECT_SHADOW_LENGTH:
        if (m->has_prop)
            snprintf(out, size, "light %s, shadow %s than the props' shadows", light,
                     m->shadow_ratio > 1 ? "far longer" : "far shorter");
        else
            snprintf(out, size, "light %s, shadow far too %s for the light's height", light,
                     m->shadow_ratio > 1 ? "long" : "short");
        break;
    default:
        snprintf(out, size, style ? "lit from the %s, shadow falls %s" : "light %s, shadow %s", light, away);
        break;
    }
}

static void deformation_fact(const CandidateMeta *m, const SynthSampleMeta *sample, char *out, size_t size) {
    static const char *const parts[PRODUCT_KIND_COUNT] = {"logo", "cap", "pills", "cap", "lid"};
    const char *part = parts[sample->product];
    switch (m->defect) {
    case DEFECT_WARPED: snprintf(out, size, "outline and label warped, edges wavy"); break;
    case DEFECT_STRETCHED: snprintf(out, size, "product stretched out of proportion"); break;
    case DEFECT_TEXT_GARBLED: snprintf(out, size, "label text garbled, not %s", sample->brand); break;
    case DEFECT_WRONG_COLOUR: snprintf(out, size, "colours changed from the original"); break;
    case DEFECT_PART_CHANGED: snprintf(out, size, "%s differs from the original", part); break;
    case DEFECT_PART_MISSING: snprintf(out, size, "%s missing", part); break;
    default: snprintf(out, size, "shape, colours and label match"); break;
    }
}

static void placement_fact(const CandidateMeta *m, char *out, size_t size) {
    switch (m->defect) {
    case DEFECT_FLOATING: snprintf(out, size, "gap between base and surface, floating"); break;
    case DEFECT_SUNK: snprintf(out, size, "base sunk into the surface"); break;
    case DEFECT_TILTED: snprintf(out, size, "tilted %d degrees with no support", (int)lround(fabs(m->tilt_degrees))); break;
    case DEFECT_UPSIDE_DOWN: snprintf(out, size, "standing upside down"); break;
    case DEFECT_WRONG_SCALE:
        snprintf(out, size, "%s for the %s", m->scale_ratio > 1 ? "far too large" : "far too small",
                 m->has_prop ? "objects beside it" : "scene");
        break;
    case DEFECT_CUT_BY_FRAME:
        snprintf(out, size, "cut off by the %s edge", m->product.x0 <= 0 ? "left" : "right");
        break;
    case DEFECT_ON_WALL: snprintf(out, size, "hangs on the wall above the surface"); break;
    default: snprintf(out, size, "base rests on the surface, size fits"); break;
    }
}

static void extension_fact(const CandidateMeta *m, char *out, size_t size) {
    switch (m->defect) {
    case DEFECT_SEAM: snprintf(out, size, "colour jumps at the frame border"); break;
    case DEFECT_BROKEN_EDGE: snprintf(out, size, "table edge breaks at the frame border"); break;
    case DEFECT_PERSPECTIVE_JUMP: snprintf(out, size, "surface lines bend at the frame border"); break;
    case DEFECT_REPEATED_TILES: snprintf(out, size, "surroundings repeat in tiles"); break;
    case DEFECT_DUPLICATED_PRODUCT: snprintf(out, size, "a second copy of the product"); break;
    default: snprintf(out, size, "wall and surface continue smoothly"); break;
    }
}

int synth_rationale_write(const SynthSampleMeta *meta, uint64_t variant, char *buffer, size_t size) {
    static const char *const ok_words[] = {"ok", "consistent", "fine"};
    static const char *const bad_words[] = {"wrong", "flawed", "wrong"};
    static const char *const product_names[PRODUCT_KIND_COUNT] = {"box", "bottle", "blister pack", "tube", "jar"};
    char text[1024];
    size_t used = 0;
    int verdict_style = (int)(variant >> 60) % 3;
    used += (size_t)snprintf(text + used, sizeof text - used, "<think>");
    if (meta->dimension == DIMENSION_DEFORMATION)
        used += (size_t)snprintf(text + used, sizeof text - used, "original: %s %s. ", meta->brand,
                                 product_names[meta->product]);
    for (int c = 0; c < CANDIDATE_COUNT; c++) {
        const CandidateMeta *m = &meta->candidates[c];
        char fact[160];
        switch (meta->dimension) {
        case DIMENSION_LIGHTING: lighting_fact(m, pick(variant, c, 2), fact, sizeof fact); break;
        case DIMENSION_DEFORMATION: deformation_fact(m, meta, fact, sizeof fact); break;
        case DIMENSION_PLACEMENT: placement_fact(m, fact, sizeof fact); break;
        default: extension_fact(m, fact, sizeof fact); break;
        }
        int flawed = (meta->answer >> c) & 1;
        used += (size_t)snprintf(text + used, sizeof text - used, "%c: %s: %s. ", 'A' + c, fact,
                                 flawed ? bad_words[verdict_style] : ok_words[verdict_style]);
        if (used >= sizeof text) return -1;
    }
    char answer[16];
    answer_set_format(meta->answer, answer, sizeof answer);
    used--; // drop the trailing space before </think>
    used += (size_t)snprintf(text + used, sizeof text - used, "</think><answer>%s</answer>", answer);
    if (used >= size || used > SYNTH_RATIONALE_MAX) return -1;
    memcpy(buffer, text, used + 1);
    return 0;
}
