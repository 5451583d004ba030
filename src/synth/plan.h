// plan.h — private to src/synth: the random decisions of a sample (see plan.c).
#ifndef IAR_SYNTH_PLAN_H
#define IAR_SYNTH_PLAN_H

#include "synth/render.h"

// Extra sub-streams (paint.h lists the first ones); candidate c of a sample uses stream + 16 * (c + 1).
enum { STREAM_ANSWER_LETTERS = 7, STREAM_DIFFICULTY = 8, STREAM_KINDS = 9, STREAM_CANDIDATE = 10, STREAM_STYLE = 11,
       STREAM_PHOTO = 12, STREAM_CAMERA = 13, STREAM_LAYOUT = 14, STREAM_ANSWER_NONE = 15 };

// The severity range of a difficulty, and one severity drawn uniformly in it.
void plan_severity_range(SynthDifficulty difficulty, double *lo, double *hi);
double plan_severity(SynthDifficulty difficulty, Rng *rng);
// Height of the product in the original photo.
double plan_original_height(const ProductSpec *product, int size);
// A good candidate: frame, scene, light, props (at least min_props).
void plan_candidate_layout(CandidatePlan *plan, const ProductSpec *product, double original_height, int size,
                           int min_props, Rng *rng);
// Turns a good candidate into one flawed by `kind` at severity `sev`.
void plan_apply_defect(CandidatePlan *plan, DefectKind kind, double sev, int size, Rng *rng);

#endif
