// cutout.h — the generator's products as material for compositing onto photographs: one product
// drawn alone on a transparent canvas under a side light, and its catalogue photo (the original of
// a sample). Used by the composite candidates of the photo style (synth/composite.h) and by the
// real-photo check set (bench/realset_build.c).
#ifndef IAR_SYNTH_CUTOUT_H
#define IAR_SYNTH_CUTOUT_H

#include <stdint.h>

#include "core/error.h"
#include "image/image.h"
#include "synth/synth.h"

// A product design drawn from rng_stream(seed, index, SYNTH_STREAM(stream)): callers pick a stream
// that `iar synth` never uses (synth's streams are below 256), so its products are its own.
typedef struct ProductDesign {
    uint64_t seed, index, stream;
} ProductDesign;

// Kind and brand of the design ("bottle", "Amipan"); brand: at least 24 bytes.
ProductKind cutout_product_kind(const ProductDesign *design, char *brand, size_t size);
// RGBA, tight around the product plus a margin, `height` pixels tall, shaded by a light at
// `azimuth` degrees (negative: from the left) and `elevation` degrees. *base_x, *base_y: the base
// centre in the image (where it touches the ground).
int cutout_product_render(Image *out, int *base_x, int *base_y, const ProductDesign *design, double height,
                          double azimuth, double elevation, Error *err);
// The catalogue photo: the product alone on a studio sweep, size x size, its height the same
// fraction of the frame as in `iar synth` originals.
int cutout_product_original(Image *out, const ProductDesign *design, int size, double *height, Error *err);

// A photograph of a PhotoLibrary (synth_photos_load): its RGB pixels (shorter side about 512), its
// roles (1 wall, 2 surface) and usable row band.
const Image *synth_photos_image(const PhotoLibrary *library, size_t index, unsigned *roles, double *row_from,
                                double *row_to);

#endif
