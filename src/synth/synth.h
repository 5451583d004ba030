// synth.h — the procedural screening benchmark: pharmacy products rendered with cairo, placed in
// generated scenes with one light, and four defect families with known kind, severity and region.
// Everything random comes from rng_hash(seed, sample index, purpose, index), so a sample depends on
// nothing but (seed, index, config): output is byte-identical whatever the thread count.
#ifndef IAR_SYNTH_SYNTH_H
#define IAR_SYNTH_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/progress.h"
#include "data/dataset.h"
#include "image/image.h"

typedef enum SynthDifficulty { SYNTH_EASY = 0, SYNTH_MEDIUM, SYNTH_HARD, SYNTH_MIX } SynthDifficulty;
const char *synth_difficulty_id(SynthDifficulty difficulty); // "easy", ...
int synth_difficulty_parse(const char *id, SynthDifficulty *out);

// How scenes look. RENDER: cairo drawings (the original generator). PHOTO: walls and surfaces cut
// from photographs, relit by the scene's light, and every image through a randomised camera
// pipeline; half of its samples are drawn as a table scene, half composited in image space (a
// product layer on a floor-plane photo scene, every defect made on pixels: synth/composite.h).
// MIX: each sample draws one of the two, evenly (a render sample of MIX is byte-identical
// to the same sample of RENDER).
typedef enum SynthStyle { SYNTH_STYLE_RENDER = 0, SYNTH_STYLE_PHOTO, SYNTH_STYLE_MIX } SynthStyle;
const char *synth_style_id(SynthStyle style); // "render", "photo", "mix"
int synth_style_parse(const char *id, SynthStyle *out);

// Photographs used as material (see docs/PHOTOS.md): loaded once, shared read-only by all threads.
typedef struct PhotoLibrary PhotoLibrary;
// Loads dir/MANIFEST.tsv and the photographs it lists (reduced copies).
int synth_photos_load(PhotoLibrary **out, const char *dir, Error *err);
void synth_photos_free(PhotoLibrary *library);
size_t synth_photos_count(const PhotoLibrary *library);
const char *synth_photos_name(const PhotoLibrary *library, size_t index);

typedef struct SynthConfig {
    uint64_t seed;
    int size;                   // canvas side in pixels, SYNTH_MIN_SIZE..SYNTH_MAX_SIZE
    unsigned dimensions;        // bit d set: dimension d is generated (0: all four)
    SynthDifficulty difficulty; // severity range of the defects
    SynthStyle style;           // the library's default is RENDER (the command line's is MIX)
    const PhotoLibrary *photos; // required by PHOTO and MIX; not owned
    double none_share;          // this share of the sets has no flawed candidate (answer "none"), drawn
                                // per sample; 0 (default, the benchmark): every set has 1-3
} SynthConfig;

#define SYNTH_MIN_SIZE 64
#define SYNTH_MAX_SIZE 1024
#define SYNTH_JPEG_QUALITY 95 // photo-style images on disk (drawn ones are PNG)
#define SYNTH_DEFAULT_SIZE 256
void synth_config_default(SynthConfig *config);
// Parses "lighting,placement" into a dimension mask; -1 with a message for an unknown name.
int synth_dimensions_parse(const char *list, unsigned *out, Error *err);

// Defect kinds, grouped by dimension (at least four each). DEFECT_NONE is a good candidate.
typedef enum DefectKind {
    DEFECT_NONE = 0,
    // deformation: the product itself differs from the original
    DEFECT_WARPED, DEFECT_STRETCHED, DEFECT_TEXT_GARBLED, DEFECT_WRONG_COLOUR, DEFECT_PART_CHANGED,
    DEFECT_PART_MISSING,
    // lighting: shading and shadows against the one light of the scene
    DEFECT_SHADOW_REVERSED, DEFECT_SHADOW_MISSING, DEFECT_SHADOW_DOUBLE, DEFECT_HIGHLIGHT_WRONG_SIDE,
    DEFECT_SHADOW_LENGTH,
    // placement: where and how the product sits in the scene
    DEFECT_FLOATING, DEFECT_SUNK, DEFECT_TILTED, DEFECT_UPSIDE_DOWN, DEFECT_WRONG_SCALE, DEFECT_CUT_BY_FRAME,
    DEFECT_ON_WALL,
    // extension: the outpainted surroundings against the original frame
    DEFECT_SEAM, DEFECT_BROKEN_EDGE, DEFECT_PERSPECTIVE_JUMP, DEFECT_REPEATED_TILES, DEFECT_DUPLICATED_PRODUCT,
    DEFECT_KIND_COUNT
} DefectKind;

const char *defect_kind_id(DefectKind kind);         // "shadow_reversed"; "none" for DEFECT_NONE
Dimension defect_kind_dimension(DefectKind kind);    // undefined for DEFECT_NONE
// The kinds of one dimension, in order; returns how many.
int defect_kinds_of_dimension(Dimension dimension, DefectKind kinds[DEFECT_KIND_COUNT]);

typedef enum ProductKind { PRODUCT_BOX = 0, PRODUCT_BOTTLE, PRODUCT_BLISTER, PRODUCT_TUBE, PRODUCT_JAR, PRODUCT_KIND_COUNT } ProductKind;
const char *product_kind_id(ProductKind kind);

typedef struct SynthBox {
    int x0, y0, x1, y1; // pixels, x1/y1 exclusive
} SynthBox;

// What the generator knows about one candidate (written to `meta`, read by the rationale writer
// and by the tests' pixel checks).
typedef struct CandidateMeta {
    DefectKind defect;
    double severity;       // 0..1 (0 for a good candidate)
    SynthBox region;       // where the defect is (the product's box for a good candidate)
    SynthBox product;      // the product's box in the candidate
    SynthBox frame;        // where the original's framing lies in the extended canvas
    int light_side;        // -1 light from the left, +1 from the right
    double light_azimuth;  // degrees, negative = left, 0 = from the viewer
    double light_elevation;// degrees above the surface
    int surface_y;         // row of the surface's back edge (the horizon line of the table)
    int base_y;            // row where the product's base meets the surface (or should)
    int shadow_side;       // where the product's visible cast shadow falls: -1 left, +1 right, 0 none, 2 both ways
    double shadow_ratio;   // product shadow length / length physics implies (1 when consistent)
    int has_prop;          // a reference object (cup, plant, ...) stands in the scene
    double tilt_degrees;   // product rotation (placement defects), 0 otherwise
    double scale_ratio;    // product scale / expected scale (1 when consistent)
    int gap_pixels;        // floating: rows between the base and the surface; sunk: rows hidden
    // photo style only (empty otherwise): the photographs behind the product, the camera's look
    char wall_photo[64], surface_photo[64];
    char camera[160];
} CandidateMeta;

typedef struct SynthSampleMeta {
    Dimension dimension;
    AnswerSet answer;
    SynthDifficulty difficulty; // the sample's own (never SYNTH_MIX)
    ProductKind product;
    char brand[32];
    char dosage[32];
    int size;
    SynthStyle style;          // the sample's own (never SYNTH_STYLE_MIX)
    int composite;             // photo style: built in image space (synth/composite.h), not drawn in a scene
    char original_camera[160]; // photo style: the catalogue photo's camera look
    CandidateMeta candidates[CANDIDATE_COUNT];
} SynthSampleMeta;

// One generated sample: the dataset record (paths "img/<id>_o.png" ...), meta and the 5 images
// (0 = original, 1..4 = A..D), all owned.
typedef struct SynthSample {
    Sample sample;
    SynthSampleMeta meta;
    Image images[1 + CANDIDATE_COUNT];
} SynthSample;

// Render flags for tests: leave parts out of a candidate to isolate them in the pixels.
enum { SYNTH_RENDER_NO_SHADOWS = 1, SYNTH_RENDER_NO_PRODUCT = 2 };

// Renders sample `index` (deterministic). `flags` applies to the candidates (0 for the real thing).
int synth_sample_render(SynthSample *out, const SynthConfig *config, size_t index, int flags, Error *err);
void synth_sample_free(SynthSample *sample);

// Chooses the dimension and answer set of sample `index` (balanced over blocks of samples).
void synth_sample_plan_answer(const SynthConfig *config, size_t index, Dimension *dimension, AnswerSet *answer);

// The chain of thought for SFT: per candidate the fact that matters for the dimension, then the
// gold answer. Short (< SYNTH_RATIONALE_MAX bytes), grounded in `meta`; `variant` picks phrasings.
#define SYNTH_RATIONALE_MAX 400
int synth_rationale_write(const SynthSampleMeta *meta, uint64_t variant, char *buffer, size_t size);
// `meta` as a JSON object (malloc'd).
char *synth_meta_to_json(const SynthSampleMeta *meta);

// `iar synth`: writes out_dir/data.jsonl and out_dir/img/*.png for samples 0..count-1, in order,
// rendering with `threads` OpenMP threads (0: default). Progress may be NULL.
int synth_generate(const SynthConfig *config, const char *out_dir, size_t count, int threads, Progress *progress,
                   Error *err);

// Frees the label fonts and the process-wide font caches that cairo and fontconfig keep (they would
// otherwise show as leaks under LeakSanitizer). Call when no rendering runs (before exit); the next
// render starts from a cold font state. Harmless if unused.
void synth_release_static_data(void);

#endif
