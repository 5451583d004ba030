// render.h — private to src/synth: everything needed to draw one image of a sample, decided in
// advance by plan.c (so rendering holds no randomness), and the renderer.
#ifndef IAR_SYNTH_RENDER_H
#define IAR_SYNTH_RENDER_H

#include "synth/photo.h"
#include "synth/product.h"
#include "synth/scene.h"
#include "synth/synth.h"

typedef struct CandidatePlan {
    SceneSpec scene;
    SceneSpec inner; // extension defects: the scene drawn inside the original frame
    int has_inner;
    ProductSpec product; // after any deformation edit
    DefectKind defect;
    double severity;
    double frame_x, frame_y, frame_side; // the original's framing inside the extended canvas
    double base_x, base_y;               // where the product's base centre stands
    double floor_y;                      // the surface row under the product (shadow anchor)
    double height;                       // product height, pixels
    double expected_height;              // the height its frame implies
    double stretch_x, stretch_y;
    double warp_amplitude, warp_period, warp_phase;
    double tilt;            // radians, clockwise positive, about the bottom corner it leans on
    int upside_down;
    double sink;            // pixels of the product hidden below the surface
    int on_wall;
    int shadow_mode;        // SHADOW_*
    double shadow_length;   // multiplier of the physical length
    double shadow_opacity;  // multiplier
    int shading_flipped;    // product lit from the side opposite the light
    int tile_period;        // repeated tiles outside the frame (0: none)
    int duplicate;          // a second copy of the product outside the frame
    double duplicate_x, duplicate_height;
    const PhotoLibrary *photos; // photo style: backgrounds from photographs (NULL: drawn)
    PhotoChoice photo;
    PhotoChoice inner_photo;    // the photographs inside the frame when has_inner (photo style)
} CandidatePlan;

enum { SHADOW_NORMAL = 0, SHADOW_REVERSED, SHADOW_NONE, SHADOW_DOUBLE };

// Draws the candidate; fills the geometric fields of `meta` (boxes, light, rows).
int render_candidate(Image *out, CandidateMeta *meta, const CandidatePlan *plan, int size, int flags, Error *err);
// The catalogue photo: the product alone on a studio background, `height` pixels tall.
int render_original(Image *out, const ProductSpec *product, double height, int size, Error *err);

#endif
