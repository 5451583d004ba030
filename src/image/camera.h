// camera.h — the look of a real camera, applied to a finished image: white balance, vignetting,
// defocus or motion blur, resampling, sensor noise and JPEG compression. Every parameter is drawn
// in advance (camera_look_random), so applying a look holds no randomness except the noise, which
// is a hash of (key, pixel): the same look and key give the same bytes on any thread.
#ifndef IAR_IMAGE_CAMERA_H
#define IAR_IMAGE_CAMERA_H

#include <stdint.h>

#include "core/rng.h"
#include "image/image.h"

typedef struct CameraLook {
    double white_balance[3]; // per-channel gains (about 1)
    double vignette;         // 0..1: darkening at the corners
    double defocus_sigma;    // Gaussian blur, pixels (0: sharp)
    double motion_length;    // motion blur length, pixels (0: none)
    double motion_angle;     // radians
    double resample;         // down-then-up scale factor (1: none)
    double noise_sigma;      // sensor noise at mid-grey, in 8-bit levels
    int jpeg_quality;        // 0: not compressed
} CameraLook;

// Draws a look; `strength` 0..1 scales how far from a clean image it may go.
void camera_look_random(CameraLook *look, double strength, Rng *rng);
// The same look with weaker settings (the catalogue photo of a sample: a better camera).
void camera_look_milder(CameraLook *look);
// Applies `look` to a 3-channel image in place; `noise_key` seeds the sensor noise.
int camera_apply(Image *image, const CameraLook *look, uint64_t noise_key, Error *err);
// Writes the look as compact text ("wb 1.04/1.00/0.93 vignette 0.21 ... jpeg 71") for meta.
void camera_look_describe(const CameraLook *look, char *buffer, size_t size);

#endif
