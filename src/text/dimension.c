// dimension.c — dimension ids and titles (dimension.h).
#include "text/dimension.h"

#include <string.h>

static const char *const DIMENSION_IDS[DIMENSION_COUNT] = {"deformation", "lighting", "placement", "extension"};
static const char *const DIMENSION_TITLES[DIMENSION_COUNT] = {
    "Appearance Deformation", "Physical Lighting and Shadow", "Placement Layout", "Extension Rationality"};

const char *dimension_id(Dimension dimension) {
    return (unsigned)dimension < DIMENSION_COUNT ? DIMENSION_IDS[dimension] : "unknown";
}

const char *dimension_title(Dimension dimension) {
    return (unsigned)dimension < DIMENSION_COUNT ? DIMENSION_TITLES[dimension] : "Unknown";
}

int dimension_parse(const char *id, Dimension *out) {
    if (!id) return -1;
    for (int d = 0; d < DIMENSION_COUNT; d++)
        if (strcmp(id, DIMENSION_IDS[d]) == 0) {
            *out = (Dimension)d;
            return 0;
        }
    return -1;
}
