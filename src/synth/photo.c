// photo.c — the photo library (loading MANIFEST.tsv and reduced copies of its photographs) and
// photographic backgrounds: a wall cut from one photograph, a surface cut from another and laid
// on the floor plane towards the scene's vanishing point, both tinted by the scene's colours and
// relit by its one light so that the product's shading and shadow agree with the background.
#include "synth/photo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/files.h"

static int parse_roles(const char *text, unsigned *roles) {
    *roles = 0;
    if (strstr(text, "wall")) *roles |= PHOTO_ROLE_WALL;
    if (strstr(text, "surface")) *roles |= PHOTO_ROLE_SURFACE;
    return *roles ? 0 : -1;
}

// Reduces to a shorter side of exactly PHOTO_SIDE (photographs smaller than that are kept).
static int photo_load_image(Photo *photo, const char *path, Error *err) {
    Image loaded, rgb;
    if (image_load_reduced(&loaded, path, PHOTO_SIDE, err) != 0) return -1;
    int rc = image_to_rgb(&rgb, &loaded, err);
    image_free(&loaded);
    if (rc != 0) return -1;
    int shorter = rgb.width < rgb.height ? rgb.width : rgb.height;
    if (shorter <= PHOTO_SIDE) {
        photo->image = rgb;
        return 0;
    }
    double k = (double)PHOTO_SIDE / shorter;
    rc = image_resize(&photo->image, &rgb, (int)lround(rgb.width * k), (int)lround(rgb.height * k), err);
    image_free(&rgb);
    return rc;
}

static int parse_line(Photo *photo, char *line, const char *manifest, int line_number, Error *err) {
    char *fields[6] = {0};
    int n = 0;
    for (char *save = NULL, *f = strtok_r(line, "\t", &save); f && n < 6; f = strtok_r(NULL, "\t", &save)) fields[n++] = f;
    if (n < 5 || strlen(fields[0]) >= sizeof photo->name || strchr(fields[0], '/') || fields[0][0] == '.')
        return error_set(err, "%s:%d: expected FILE<tab>ROLES<tab>Y0<tab>Y1<tab>PACKAGE[<tab>LICENCE]", manifest, line_number);
    snprintf(photo->name, sizeof photo->name, "%s", fields[0]);
    snprintf(photo->package, sizeof photo->package, "%s", fields[4]);
    photo->y0 = atof(fields[2]);
    photo->y1 = atof(fields[3]);
    if (parse_roles(fields[1], &photo->roles) != 0 || !(photo->y0 >= 0 && photo->y1 <= 1 && photo->y1 - photo->y0 >= 0.2))
        return error_set(err, "%s:%d: bad roles or row band", manifest, line_number);
    return 0;
}

// Decodes and reduces every listed photograph, in parallel (the slowest part of a short synth run).
static int load_images(PhotoLibrary *library, const char *dir, Error *err) {
    Error *errors = calloc(library->count ? library->count : 1, sizeof *errors);
    int *failed = calloc(library->count ? library->count : 1, sizeof *failed);
    if (!errors || !failed) {
        free(errors);
        free(failed);
        return error_set(err, "out of memory");
    }
#pragma omp parallel for schedule(dynamic)
    for (size_t i = 0; i < library->count; i++) {
        char *path = path_join(dir, library->photos[i].name);
        failed[i] = path ? photo_load_image(&library->photos[i], path, &errors[i])
                         : error_set(&errors[i], "out of memory");
        free(path);
    }
    int rc = 0;
    for (size_t i = 0; i < library->count && rc == 0; i++)
        if (failed[i]) rc = error_set(err, "%s", errors[i].message);
    free(errors);
    free(failed);
    return rc;
}

int synth_photos_load(PhotoLibrary **out, const char *dir, Error *err) {
    *out = NULL;
    char *manifest = path_join(dir, "MANIFEST.tsv");
    char *text = NULL;
    size_t size = 0;
    if (!manifest) return error_set(err, "out of memory");
    if (file_read_all(manifest, 1 << 20, &text, &size, err) != 0) {
        free(manifest);
        return -1;
    }
    PhotoLibrary *library = calloc(1, sizeof *library);
    size_t lines = 1;
    for (size_t i = 0; i < size; i++) lines += text[i] == '\n';
    int rc = 0, line_number = 0;
    if (library) {
        library->photos = calloc(lines, sizeof *library->photos);
        library->walls = calloc(lines, sizeof(size_t));
        library->surfaces = calloc(lines, sizeof(size_t));
    }
    if (!library || !library->photos || !library->walls || !library->surfaces) rc = error_set(err, "out of memory");
    for (char *save = NULL, *line = rc ? NULL : strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        line_number++;
        if (line[0] == '#' || line[0] == '\0') continue;
        Photo *photo = &library->photos[library->count];
        if ((rc = parse_line(photo, line, manifest, line_number, err)) != 0) break;
        if (photo->roles & PHOTO_ROLE_WALL) library->walls[library->wall_count++] = library->count;
        if (photo->roles & PHOTO_ROLE_SURFACE) library->surfaces[library->surface_count++] = library->count;
        library->count++;
    }
    if (rc == 0) rc = load_images(library, dir, err);
    if (rc == 0 && (library->wall_count == 0 || library->surface_count == 0))
        rc = error_set(err, "%s: needs at least one wall and one surface photograph", manifest);
    free(text);
    free(manifest);
    if (rc != 0) {
        synth_photos_free(library);
        return -1;
    }
    *out = library;
    return 0;
}

void synth_photos_free(PhotoLibrary *library) {
    if (!library) return;
    for (size_t i = 0; i < library->count; i++) image_free(&library->photos[i].image);
    free(library->photos);
    free(library->walls);
    free(library->surfaces);
    free(library);
}

size_t synth_photos_count(const PhotoLibrary *library) { return library ? library->count : 0; }

const char *synth_photos_name(const PhotoLibrary *library, size_t index) {
    return library && index < library->count ? library->photos[index].name : "";
}

void photo_choice_random(PhotoChoice *choice, const PhotoLibrary *library, int size, Rng *rng) {
    memset(choice, 0, sizeof *choice);
    choice->wall = library->walls[rng_next_int(rng, (int)library->wall_count)];
    choice->surface = library->surfaces[rng_next_int(rng, (int)library->surface_count)];
    const Photo *wall = &library->photos[choice->wall], *surface = &library->photos[choice->surface];
    // the canvas shows between a third and the whole of the photograph's usable band
    double band = (wall->y1 - wall->y0) * wall->image.height;
    double span = fmin(band, wall->image.width) * rng_next_range(rng, 0.35, 1.0);
    choice->wall_scale = span / size;
    choice->wall_x = rng_next_range(rng, 0, fmax(0, wall->image.width - span));
    choice->wall_y = wall->y0 * wall->image.height + rng_next_range(rng, 0, fmax(0, band - span));
    band = (surface->y1 - surface->y0) * surface->image.height;
    span = fmin(band, surface->image.width) * rng_next_range(rng, 0.3, 0.8);
    choice->surface_scale = span / size;
    choice->surface_x = surface->image.width / 2.0 + rng_next_range(rng, -0.2, 0.2) * surface->image.width;
    choice->surface_y = surface->y1 * surface->image.height - rng_next_range(rng, 0, 0.2) * band;
    choice->wall_blur = rng_next_double(rng) < 0.6 ? rng_next_range(rng, 0.5, 2.5) : 0;
    choice->tint = rng_next_range(rng, 0.1, 0.45);
    choice->exposure = 1;
}

static double rgb_mean(Rgb c) { return (c.r + c.g + c.b) / 3.0; }

void photo_choice_seam(PhotoChoice *inner, const PhotoChoice *outer, const SceneSpec *scene,
                       const SceneSpec *inner_scene, double severity, int size) {
    *inner = *outer;
    double shift = size * (0.15 + 0.35 * severity); // canvas pixels: the texture does not line up
    inner->wall_x += shift * outer->wall_scale;
    inner->wall_y += 0.3 * shift * outer->wall_scale;
    inner->surface_x += shift * outer->surface_scale;
    inner->tint = fmax(outer->tint, 0.55 + 0.3 * severity);
    inner->exposure = rgb_mean(inner_scene->wall) / fmax(rgb_mean(scene->wall), 0.05);
}

// Mirrored repetition keeps every source coordinate inside the photograph without a visible edge.
static double mirror(double v, int n) {
    double period = 2.0 * (n - 1);
    v = fmod(v, period);
    if (v < 0) v += period;
    return v > n - 1 ? period - v : v;
}

static void sample_bilinear(const Image *image, double x, double y, double out[3]) {
    x = mirror(x, image->width);
    y = mirror(y, image->height);
    int x0 = (int)x, y0 = (int)y, x1 = x0 + 1 < image->width ? x0 + 1 : x0, y1 = y0 + 1 < image->height ? y0 + 1 : y0;
    double fx = x - x0, fy = y - y0;
    const uint8_t *d = image->data;
    int W = image->width;
    for (int c = 0; c < 3; c++) {
        double top = d[((size_t)y0 * W + x0) * 3 + c] * (1 - fx) + d[((size_t)y0 * W + x1) * 3 + c] * fx;
        double bottom = d[((size_t)y1 * W + x0) * 3 + c] * (1 - fx) + d[((size_t)y1 * W + x1) * 3 + c] * fx;
        out[c] = top * (1 - fy) + bottom * fy;
    }
}

// Per-channel gains that take a photograph part of the way towards a scene colour, times `exposure`.
static void tint_gains(Rgb colour, double tint, double exposure, double gains[3]) {
    double mean = fmax(rgb_mean(colour), 0.05);
    double c[3] = {colour.r, colour.g, colour.b};
    for (int i = 0; i < 3; i++) gains[i] = (1 + tint * (c[i] / mean - 1)) * exposure;
}

static uint8_t to_byte(double v) { return v <= 0 ? 0 : (v >= 255 ? 255 : (uint8_t)(v + 0.5)); }

int photo_paint_background(cairo_t *cr, const PhotoLibrary *library, const PhotoChoice *choice,
                           const SceneSpec *scene, int size, Error *err) {
    int S = size;
    const Image *wall = &library->photos[choice->wall].image, *surface = &library->photos[choice->surface].image;
    Image canvas;
    if (image_create(&canvas, S, S, 3, err) != 0) return -1;
    double lx, ly, lz;
    light_vector(&scene->light, &lx, &ly, &lz);
    // brighter towards the light, as the render style's wall gradient; stronger for a harder light
    double slope = lx * (0.25 + 0.35 * scene->light.strength);
    double wall_gain[3], top_gain[3], front_gain[3];
    tint_gains(scene->wall, choice->tint, choice->exposure, wall_gain);
    tint_gains(scene->top, choice->tint, choice->exposure, top_gain);
    tint_gains(scene->front, choice->tint, choice->exposure, front_gain);
    int horizon = (int)ceil(scene->surface_y), front = (int)ceil(fmin(scene->front_y, S));
    horizon = horizon < 0 ? 0 : (horizon > S ? S : horizon);
    double d_bottom = S - scene->vanish_y, ground = choice->surface_scale * d_bottom;
    for (int y = 0; y < S; y++) {
        uint8_t *row = canvas.data + (size_t)y * S * 3;
        for (int x = 0; x < S; x++) {
            double v[3], light = 1 + slope * ((double)x / S - 0.5) * 2;
            const double *gain;
            if (y < horizon) {
                sample_bilinear(wall, choice->wall_x + x * choice->wall_scale, choice->wall_y + y * choice->wall_scale, v);
                gain = wall_gain;
                light *= 0.92 + 0.08 * y / fmax(1, horizon); // darker up high, away from the lamp
            } else if (y < front) {
                // the floor plane: texture coordinates are ground coordinates, 1/depth per row
                double d = y - scene->vanish_y;
                sample_bilinear(surface, choice->surface_x + ground * (x - scene->vanish_x) / d,
                                choice->surface_y - ground * d_bottom * (1.0 / d - 1.0 / d_bottom), v);
                gain = top_gain;
                light *= 0.85 + 0.2 * (y - horizon) / fmax(1, S - horizon);
            } else { // the table's front face: the same material seen upright, in shade
                sample_bilinear(surface, choice->surface_x + x * choice->surface_scale,
                                choice->surface_y + (y - front) * choice->surface_scale, v);
                gain = front_gain;
                light *= 0.62;
            }
            for (int c = 0; c < 3; c++) row[x * 3 + c] = to_byte(v[c] * gain[c] * light);
        }
    }
    // depth of field: the wall is behind the product, out of focus
    if (choice->wall_blur > 0 && horizon > 2) {
        Image band = {S, horizon, 3, canvas.data};
        if (image_blur_gaussian(&band, choice->wall_blur * S / 256.0, err) != 0) {
            image_free(&canvas);
            return -1;
        }
    }
    cairo_surface_t *surface_out = cairo_image_surface_create(CAIRO_FORMAT_RGB24, S, S);
    if (cairo_surface_status(surface_out) != CAIRO_STATUS_SUCCESS) {
        image_free(&canvas);
        cairo_surface_destroy(surface_out);
        return error_set(err, "synth: out of memory for a %dx%d background", S, S);
    }
    int stride = cairo_image_surface_get_stride(surface_out);
    unsigned char *data = cairo_image_surface_get_data(surface_out);
    for (int y = 0; y < S; y++) {
        uint32_t *dst = (uint32_t *)(data + (size_t)y * stride);
        const uint8_t *src = canvas.data + (size_t)y * S * 3;
        for (int x = 0; x < S; x++)
            dst[x] = 0xff000000u | (uint32_t)src[x * 3] << 16 | (uint32_t)src[x * 3 + 1] << 8 | src[x * 3 + 2];
    }
    cairo_surface_mark_dirty(surface_out);
    image_free(&canvas);
    cairo_set_source_surface(cr, surface_out, 0, 0);
    cairo_paint(cr);
    cairo_surface_destroy(surface_out);
    return 0;
}
