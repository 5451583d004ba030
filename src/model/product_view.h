// product_view.h — the product view: a square of a candidate around its product, resampled to a
// second tower's input, so that the product is compared with the original at about the original's
// scale (in the whole candidate it covers a quarter of the width). The square is found on the
// frame tower's token grid: the cells it marks as product, widened by PRODUCT_VIEW_MARGIN. Training
// marks the cells from the generator's product box in the same way, so both see the same squares.
#ifndef IAR_MODEL_PRODUCT_VIEW_H
#define IAR_MODEL_PRODUCT_VIEW_H

#include "model/tower.h"

#define PRODUCT_VIEW_MARGIN 1.4
#define PRODUCT_VIEW_MIN_SIDE 16 // pixels of the source image

typedef struct ProductView {
    int x, y, side; // a square in pixels of the source image
} ProductView;

// 1 when `product` is a product-view tower that reads the views of `frame`'s input on its token grid.
int product_view_fits(const TowerConfig *product, const TowerConfig *frame);

// The square around the cells set in `cells` (grid × grid, row-major, over a source of `size`
// pixels): the cells' bounding box, its longer side times PRODUCT_VIEW_MARGIN around its centre,
// the centre moved by (jitter[0] − 0.5, jitter[1] − 0.5) × 0.2 × side when jitter is not NULL,
// kept inside the source. No cell set: the whole source.
ProductView product_view_from_cells(const unsigned char *cells, int grid, int size, const double *jitter);

// The cells whose centres lie inside the box [x0, x1) × [y0, y1) (pixels of the source), as the
// frame tower's product targets mark them; returns how many.
int product_view_cells_from_box(int x0, int y0, int x1, int y1, int grid, int size, unsigned char *cells);

// Resamples the view of one (3, size, size) image into (3, out_size, out_size) by exact area
// averaging (each output pixel the mean of the source area it covers, fractional at the edges).
// Returns -1 only when out of memory.
int product_view_sample(const float *image, int size, ProductView view, float *out, int out_size);

// One sample's inputs of a product-view tower (`product`, view = 1): from the frame tower's input
// `source` (5, 3, F, F), F = product->view_source, the original whole and each candidate's view
// around the cells set in cells[c] (view_grid² each) into `out` (5, 3, S, S). jitter: NULL, or two
// draws in [0, 1) per candidate. views (may be NULL): each candidate's square in source pixels.
int product_view_prepare(const TowerConfig *product, const float *source, const unsigned char *cells,
                         const double (*jitter)[2], float *out, ProductView *views);

// The product tower over B samples (running statistics): views found from the frame tower's last
// output `frame` (product-token logits > 0) on its inputs `frame_images` (B, 5, 3, F, F). `out` as
// tower_forward's.
int product_view_forward(Tower *product, const float *frame_images, const TowerOutput *frame, const int *dimension,
                         int B, TowerOutput *out, Error *err);

// The model's per-candidate P(flawed) with both towers: in a deformation row (dimension 0) the
// product tower's, sigmoid(view_logit), replaces the frame tower's in p (B, 4); other rows keep it.
void product_view_merge_probabilities(float *p, const float *view_logit, const int *dimension, int B);

#endif
