// prompt.c — the built-in prompts: a chat prompt for general multimodal models, and the short
// prompt the native model is trained on.
#include "text/prompt.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/files.h"

static const char *const DIMENSION_QUESTIONS[DIMENSION_COUNT] = {
    "Appearance Deformation: is the product itself changed compared with the original (warped, stretched, "
    "bent edges, garbled or missing label text, wrong cap or lid, wrong colours, extra or missing parts)?",
    "Physical Lighting and Shadow: do the shading and shadows break physics (shadow toward the light, missing "
    "shadow, two conflicting shadows, highlight on the dark side, inconsistent shadow length)?",
    "Placement Layout: does the product sit wrongly in the scene (floating above or sunk into the surface, wrong "
    "scale, tilted or upside down, cut by the frame, on a wall, overlapping another object)?",
    "Extension Rationality: do the generated surroundings fail to continue the original (seams, broken table "
    "edge or horizon, perspective jumps, duplicated product, repeated tiles, colour mismatch)?",
};

char *prompt_system_text(void) {
    return string_duplicate(
        "You are an expert reviewer of AI-generated product images for an online pharmacy. You compare "
        "generated images with the original product photo and find the flawed ones. Think step by step "
        "inside <think></think>, then give the letters of all flawed images inside <answer></answer>, "
        "for example <answer>B, D</answer>, or <answer>none</answer> if no image is flawed.");
}

char *prompt_question_text(const char *question, Dimension dimension) {
    if (question && question[0]) return string_duplicate(question);
    const char *check = (unsigned)dimension < DIMENSION_COUNT ? DIMENSION_QUESTIONS[dimension]
                                                              : "Is the image flawed in any way?";
    char *out = NULL;
    if (asprintf(&out,
                 "The first image is the original product photo. The next four images, A, B, C and D, were "
                 "generated from it. Check this dimension: %s Which of A, B, C, D are flawed?",
                 check) < 0)
        return NULL;
    return out;
}

char *prompt_native_text(int dimension) {
    const char *id = (dimension >= 0 && dimension < DIMENSION_COUNT) ? dimension_id((Dimension)dimension) : "any";
    char *out = NULL;
    if (asprintf(&out, "check %s: which of A B C D are flawed?", id) < 0) return NULL;
    return out;
}
