// product.h — private to src/synth: pharmacy products (box, bottle, blister, tube, jar), their
// random appearance and their drawing under a light.
#ifndef IAR_SYNTH_PRODUCT_H
#define IAR_SYNTH_PRODUCT_H

#include "synth/paint.h"
#include "synth/synth.h"

typedef struct ProductSpec {
    ProductKind kind;
    double aspect;       // body width / body height
    double depth;        // box: side face depth / height
    int side;            // box: +1 side face visible on the right, -1 on the left
    Rgb main, accent, label, ink, cap, pill;
    int stripe, logo, cap_style;
    int pill_rows, pill_cols;
    char brand[24], dosage[24], count[24];
    double real_height_cm; // for scale against props
    int part_missing;      // cap / lid / logo / pills left out (deformation)
} ProductSpec;

void product_spec_random(ProductSpec *spec, Rng *rng);
// Name of the part that a PART_CHANGED / PART_MISSING defect touches: "cap", "lid", "logo", "pills".
const char *product_part_name(const ProductSpec *spec);
// Defect edits on the spec (severity 0..1).
void product_change_colour(ProductSpec *spec, double severity, Rng *rng);
void product_change_part(ProductSpec *spec, Rng *rng);
void product_garble_text(ProductSpec *spec, double severity, Rng *rng);

// Horizontal extent of the drawing around the base centre, in units of height.
void product_extent(const ProductSpec *spec, double *left, double *right);
// Draws the product with its base centre at (0, 0), `height` pixels tall (upwards, -y), shaded by
// `light`. The caller's transform places, scales or deforms it.
void product_draw(cairo_t *cr, const ProductSpec *spec, double height, const Light *light);

#endif
