// scene.h — private to src/synth: the generated surroundings of a candidate (wall, surface with
// perspective, one light) and the props that stand in it.
#ifndef IAR_SYNTH_SCENE_H
#define IAR_SYNTH_SCENE_H

#include "synth/paint.h"

typedef enum PropKind { PROP_MUG = 0, PROP_PLANT, PROP_BALL, PROP_BOOKS, PROP_KIND_COUNT } PropKind;

typedef struct Prop {
    PropKind kind;
    double x, base_y; // base centre, pixels
    double height;    // pixels
    Rgb colour;
} Prop;

const char *prop_name(PropKind kind);
double prop_real_height_cm(PropKind kind);
void prop_extent(PropKind kind, double *left, double *right); // in units of height
// Draws the prop with its base centre at (0, 0), `height` pixels tall.
void prop_draw(cairo_t *cr, const Prop *prop, const Light *light);

typedef struct SceneSpec {
    int backdrop; // 0 gradient wall, 1 window on the light's side, 2 tiled wall, 3 shelf
    int surface;  // 0 wood planks, 1 floor tiles, 2 stone counter
    Rgb wall, top, front;
    double surface_y; // back edge of the surface (pixels)
    double front_y;   // front edge of the table (pixels; past the canvas when it runs to the bottom)
    double vanish_x, vanish_y;
    int lines;
    Light light;
    int prop_count;
    Prop props[2];
} SceneSpec;

void scene_spec_random(SceneSpec *scene, int size, Rng *rng);
// Wall, surface, perspective lines and light fall-off over the whole canvas (or the current clip).
void scene_draw_background(cairo_t *cr, const SceneSpec *scene, int size);

#endif
