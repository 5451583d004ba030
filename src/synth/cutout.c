// cutout.c — products drawn alone (transparent background) and their catalogue photos, for
// compositing the generator's products onto photographs; read access to a PhotoLibrary.
#include "synth/cutout.h"

#include <math.h>
#include <string.h>

#include "synth/photo.h"
#include "synth/plan.h"
#include "synth/product.h"
#include "synth/render.h"

static void design_spec(ProductSpec *spec, const ProductDesign *design) {
    Rng rng = rng_stream(design->seed, design->index, SYNTH_STREAM(design->stream));
    product_spec_random(spec, &rng);
}

ProductKind cutout_product_kind(const ProductDesign *design, char *brand, size_t size) {
    ProductSpec spec;
    design_spec(&spec, design);
    if (brand && size) snprintf(brand, size, "%s", spec.brand);
    return spec.kind;
}

int cutout_product_render(Image *out, int *base_x, int *base_y, const ProductDesign *design, double height,
                          double azimuth, double elevation, Error *err) {
    ProductSpec spec;
    design_spec(&spec, design);
    double left, right;
    product_extent(&spec, &left, &right);
    int margin = (int)ceil(height * 0.06) + 2;
    int width = (int)ceil((right - left) * height) + 2 * margin, full = (int)ceil(height) + 2 * margin;
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, full);
    cairo_t *cr = cairo_create(surface);
    *base_x = margin + (int)lround(-left * height);
    *base_y = full - margin;
    cairo_translate(cr, *base_x, *base_y);
    Light light = {azimuth, elevation, 0.85};
    product_draw(cr, &spec, height, &light);
    cairo_destroy(cr);
    cairo_surface_flush(surface);
    int rc = image_create(out, width, full, 4, err);
    const unsigned char *data = cairo_image_surface_get_data(surface);
    int stride = cairo_image_surface_get_stride(surface);
    for (int y = 0; rc == 0 && y < full; y++) {
        const uint32_t *row = (const uint32_t *)(data + (size_t)y * stride);
        for (int x = 0; x < width; x++) {
            uint32_t p = row[x]; // premultiplied ARGB -> straight RGBA
            unsigned a = p >> 24;
            uint8_t *dst = out->data + ((size_t)y * width + x) * 4;
            for (int c = 0; c < 3; c++) {
                unsigned v = (p >> (16 - 8 * c)) & 0xff;
                dst[c] = a ? (uint8_t)(v * 255 / a > 255 ? 255 : v * 255 / a) : 0;
            }
            dst[3] = (uint8_t)a;
        }
    }
    cairo_surface_destroy(surface);
    return rc;
}

int cutout_product_original(Image *out, const ProductDesign *design, int size, double *height, Error *err) {
    ProductSpec spec;
    design_spec(&spec, design);
    *height = plan_original_height(&spec, size);
    return render_original(out, &spec, *height, size, err);
}

const Image *synth_photos_image(const PhotoLibrary *library, size_t index, unsigned *roles, double *row_from,
                                double *row_to) {
    if (index >= library->count) return NULL;
    const Photo *photo = &library->photos[index];
    if (roles) *roles = photo->roles;
    if (row_from) *row_from = photo->y0;
    if (row_to) *row_to = photo->y1;
    return &photo->image;
}
