// composite.h — candidates built in image space: a product cut out as an RGBA layer (cutout.h),
// stood on a scene painted from two photographs (a wall, and a surface laid on a floor plane),
// with every defect made on pixels — the layer remapped (warped, stretched, tilted, flipped),
// recoloured, cut or scrambled; its shadow cast from its own silhouette (the wrong way, missing,
// doubled, of the wrong length); moved (floating, sunk, on the wall, cut by the canvas, wrong
// scale); the scene inside the original's frame painted from another view (seam, broken edge,
// perspective jump), tiles repeated or a second copy at the outpainting border. The photo style of
// `iar synth` builds part of its samples this way, and so does the real-photo check set
// (bench/realset_build.c) from its own held-out photographs and product designs.
#ifndef IAR_SYNTH_COMPOSITE_H
#define IAR_SYNTH_COMPOSITE_H

#include "core/rng.h"
#include "synth/cutout.h"

// What a composite candidate is asked to show.
typedef struct CompositeRequest {
    const PhotoLibrary *photos;    // walls and surfaces (roles 1 and 2)
    ProductDesign design;          // the product (cutout.h)
    double original_height;        // the product's height in the original, pixels
    DefectKind defect;             // DEFECT_NONE: a good candidate
    double severity_lo, severity_hi; // the defect's severity is drawn uniformly in [lo, hi]
} CompositeRequest;

// Paints candidate `request` onto `canvas` (RGB, square, allocated by the caller) drawing every
// random decision from `rng`, in a fixed order (a fixed rng gives a fixed image); fills `meta`
// (boxes, rows, light, shadow, ratios; the photographs' names; no camera) and *wall, *surface (the
// library indices of the two photographs).
int composite_candidate_render(Image *canvas, CandidateMeta *meta, size_t *wall, size_t *surface,
                               const CompositeRequest *request, Rng *rng, Error *err);

#endif
