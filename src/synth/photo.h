// photo.h — private to src/synth: photographs as scene material. A PhotoLibrary holds reduced
// copies of the photographs listed in a folder's MANIFEST.tsv (written by tools/fetch_photos.sh);
// a PhotoChoice says which photographs and which part of them one candidate's wall and surface
// show; photo_paint_background draws them with the scene's perspective, tint and light.
#ifndef IAR_SYNTH_PHOTO_H
#define IAR_SYNTH_PHOTO_H

#include "synth/scene.h"
#include "synth/synth.h"

enum { PHOTO_ROLE_WALL = 1, PHOTO_ROLE_SURFACE = 2 };

typedef struct Photo {
    char name[64];     // file name in the folder
    char package[64];  // the Debian package it came from
    unsigned roles;    // PHOTO_ROLE_* bits
    double y0, y1;     // the usable band of rows, as fractions of the height
    Image image;       // RGB, shorter side PHOTO_SIDE
} Photo;

struct PhotoLibrary {
    Photo *photos;
    size_t count;
    size_t *walls, *surfaces; // indices into photos, by role
    size_t wall_count, surface_count;
};

#define PHOTO_SIDE 512

typedef struct PhotoChoice {
    size_t wall, surface;          // indices into the library
    double wall_x, wall_y, wall_scale; // source pixel of canvas (0,0); source pixels per canvas pixel
    double surface_x, surface_y, surface_scale;
    double wall_blur;              // depth of field behind the product, pixels at 256 px
    double tint;                   // 0..1: how far the photo takes the scene's colours
    double exposure;               // brightness factor (1 but inside a seam)
} PhotoChoice;

void photo_choice_random(PhotoChoice *choice, const PhotoLibrary *library, int size, Rng *rng);
// The photographs inside the frame of a seam (an outpainting that does not continue its original):
// re-cropped by a share of the canvas growing with the severity, brighter or darker as the planned
// inner wall is against the outer one, and tinted strongly towards the inner scene's colours.
void photo_choice_seam(PhotoChoice *inner, const PhotoChoice *outer, const SceneSpec *scene,
                       const SceneSpec *inner_scene, double severity, int size);
// Paints the wall and surface (with the table front when the scene has one) over the whole canvas
// or the current clip, lit by the scene's light.
int photo_paint_background(cairo_t *cr, const PhotoLibrary *library, const PhotoChoice *choice,
                           const SceneSpec *scene, int size, Error *err);

#endif
