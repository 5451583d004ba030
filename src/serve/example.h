// example.h — samples of a dataset served to the web page's example button (GET /v1/example):
// the five images inlined as data URLs, with the gold answer for comparison.
#ifndef IAR_SERVE_EXAMPLE_H
#define IAR_SERVE_EXAMPLE_H

#include <stddef.h>

#include "core/error.h"
#include "data/dataset.h"

#define EXAMPLE_MAX_IMAGE_BYTES ((size_t)16 << 20)

// {"index":i,"count":n,"id":…,"dimension":…,"answer":["B"],"original":URL,"candidates":[URL×4]};
// `index` must be below the dataset's count. Images resolve under the dataset's path policy
// (dataset_image_resolve). malloc'd; NULL with err on failure.
char *example_json(const Dataset *dataset, size_t index, Error *err);

#endif
