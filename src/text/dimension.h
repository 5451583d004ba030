// dimension.h — the four dimensions a sample is judged on, with their stable ids (the JSONL's
// "dimension", the native prompt) and the paper's titles.
#ifndef IAR_TEXT_DIMENSION_H
#define IAR_TEXT_DIMENSION_H

typedef enum Dimension {
    DIMENSION_DEFORMATION = 0,
    DIMENSION_LIGHTING = 1,
    DIMENSION_PLACEMENT = 2,
    DIMENSION_EXTENSION = 3,
    DIMENSION_COUNT = 4
} Dimension;

const char *dimension_id(Dimension dimension);    // "deformation", stable identifier
const char *dimension_title(Dimension dimension); // "Appearance Deformation", the paper's name
int dimension_parse(const char *id, Dimension *out); // 0 on success, -1 for an unknown id

#endif
