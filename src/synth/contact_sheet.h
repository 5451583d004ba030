// contact_sheet.h — `iar show`: one PNG that puts a sample's original and candidates A-D side by
// side with the gold answer and, from `meta` when present, each candidate's defect and severity.
// Works for any dataset in the DESIGN §3 format, not only generated ones.
#ifndef IAR_SYNTH_CONTACT_SHEET_H
#define IAR_SYNTH_CONTACT_SHEET_H

#include "data/dataset.h"
#include "image/image.h"

// Renders `count` samples as rows of five tiles of `tile` pixels (32..512) into *out (RGB).
int contact_sheet_render(Image *out, const Dataset *dataset, const Sample *const *samples, size_t count, int tile,
                         Error *err);

#endif
