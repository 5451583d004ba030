// kernels_instancenorm.c — the stem's per-image, per-channel normalisation (PyTorch's
// GroupNorm(C, C), i.e. InstanceNorm with an affine per channel; eps 1e-5, biased variance) in the
// channel-last layout (images, positions, channels). Each channel of each image is centred and
// scaled over its spatial positions, so a feature map reports where it deviates from its own
// image's average: the part that lets the stem learn the flaws (docs/perf/model_accuracy.md).
// Reference: direct loops per (image, channel). Fast: one image per OpenMP task for the outputs and
// d(input); the weight and bias gradients in blocks of channels, images and positions in order.
#include <math.h>

#include "model/kernels.h"

#define INSTANCENORM_EPS 1e-5f

void instancenorm_forward_reference(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                                    const float *bias, int images, int positions, int channels) {
    for (int n = 0; n < images; n++)
        for (int c = 0; c < channels; c++) {
            const float *x = inp + (size_t)n * positions * channels + c;
            float m = 0.0f, v = 0.0f;
            for (int p = 0; p < positions; p++) m += x[(size_t)p * channels];
            m /= positions;
            for (int p = 0; p < positions; p++) v += (x[(size_t)p * channels] - m) * (x[(size_t)p * channels] - m);
            v /= positions;
            float r = 1.0f / sqrtf(v + INSTANCENORM_EPS);
            for (int p = 0; p < positions; p++)
                out[((size_t)n * positions + p) * channels + c] = (x[(size_t)p * channels] - m) * r * weight[c] + bias[c];
            mean[(size_t)n * channels + c] = m;
            rstd[(size_t)n * channels + c] = r;
        }
}

void instancenorm_backward_reference(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                                     const float *weight, const float *mean, const float *rstd, int images,
                                     int positions, int channels) {
    for (int n = 0; n < images; n++)
        for (int c = 0; c < channels; c++) {
            size_t base = (size_t)n * positions * channels + c;
            float m = mean[(size_t)n * channels + c], r = rstd[(size_t)n * channels + c];
            float sum_dnorm = 0.0f, sum_dnorm_norm = 0.0f;
            for (int p = 0; p < positions; p++) {
                float g = dout[base + (size_t)p * channels], norm = (inp[base + (size_t)p * channels] - m) * r;
                if (dweight) dweight[c] += g * norm;
                if (dbias) dbias[c] += g;
                sum_dnorm += g * weight[c];
                sum_dnorm_norm += g * weight[c] * norm;
            }
            if (!dinp) continue;
            sum_dnorm /= positions;
            sum_dnorm_norm /= positions;
            for (int p = 0; p < positions; p++) {
                size_t i = base + (size_t)p * channels;
                float norm = (inp[i] - m) * r;
                dinp[i] += (dout[i] * weight[c] - sum_dnorm - norm * sum_dnorm_norm) * r;
            }
        }
}

// Sums over one image's positions for every channel at once (the inner loop runs over the
// contiguous channels).
void instancenorm_forward_fast(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                               const float *bias, int images, int positions, int channels) {
#pragma omp parallel for schedule(dynamic, 1) if ((size_t)images * positions * channels > 65536)
    for (int n = 0; n < images; n++) {
        const float *x = inp + (size_t)n * positions * channels;
        float *y = out + (size_t)n * positions * channels, *m = mean + (size_t)n * channels,
              *r = rstd + (size_t)n * channels;
        for (int c = 0; c < channels; c++) m[c] = 0.0f, r[c] = 0.0f;
        for (int p = 0; p < positions; p++)
            for (int c = 0; c < channels; c++) m[c] += x[(size_t)p * channels + c];
        for (int c = 0; c < channels; c++) m[c] /= positions;
        for (int p = 0; p < positions; p++)
            for (int c = 0; c < channels; c++) {
                float d = x[(size_t)p * channels + c] - m[c];
                r[c] += d * d;
            }
        for (int c = 0; c < channels; c++) r[c] = 1.0f / sqrtf(r[c] / positions + INSTANCENORM_EPS);
        for (int p = 0; p < positions; p++)
            for (int c = 0; c < channels; c++)
                y[(size_t)p * channels + c] = (x[(size_t)p * channels + c] - m[c]) * r[c] * weight[c] + bias[c];
    }
}

void instancenorm_backward_fast(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                                const float *weight, const float *mean, const float *rstd, int images,
                                int positions, int channels) {
    size_t per_image = (size_t)positions * channels;
#pragma omp parallel if ((size_t)images * per_image > 65536)
    {
        if (dweight || dbias) {
            // blocks of 16 channels, each a task's own output; images and positions summed in order
#pragma omp for schedule(dynamic, 1) nowait
            for (int c0 = 0; c0 < channels; c0 += 16) {
                int c1 = c0 + 16 < channels ? c0 + 16 : channels;
                float sum_w[16] = {0}, sum_b[16] = {0};
                for (int n = 0; n < images; n++)
                    for (int p = 0; p < positions; p++) {
                        size_t row = (size_t)n * per_image + (size_t)p * channels;
                        for (int c = c0; c < c1; c++) {
                            float g = dout[row + c];
                            sum_w[c - c0] += g * (inp[row + c] - mean[(size_t)n * channels + c]) *
                                             rstd[(size_t)n * channels + c];
                            sum_b[c - c0] += g;
                        }
                    }
                for (int c = c0; c < c1; c++) {
                    if (dweight) dweight[c] += sum_w[c - c0];
                    if (dbias) dbias[c] += sum_b[c - c0];
                }
            }
        }
        if (dinp) {
            // per image, in chunks of 256 channels: a[c] = mean_p(dy·w), b[c] = mean_p(dy·w·x̂);
            // dx = (dy·w − a − x̂·b)·rstd
#pragma omp for schedule(dynamic, 1)
            for (int n = 0; n < images; n++) {
                const float *x = inp + (size_t)n * per_image, *g = dout + (size_t)n * per_image;
                const float *m = mean + (size_t)n * channels, *r = rstd + (size_t)n * channels;
                float *dx = dinp + (size_t)n * per_image;
                for (int c0 = 0; c0 < channels; c0 += 256) {
                    int c1 = c0 + 256 < channels ? c0 + 256 : channels;
                    float a[256] = {0}, b[256] = {0};
                    for (int p = 0; p < positions; p++)
                        for (int c = c0; c < c1; c++) {
                            size_t i = (size_t)p * channels + c;
                            float dnorm = g[i] * weight[c];
                            a[c - c0] += dnorm;
                            b[c - c0] += dnorm * (x[i] - m[c]) * r[c];
                        }
                    for (int c = c0; c < c1; c++) a[c - c0] /= positions, b[c - c0] /= positions;
                    for (int p = 0; p < positions; p++)
                        for (int c = c0; c < c1; c++) {
                            size_t i = (size_t)p * channels + c;
                            dx[i] += (g[i] * weight[c] - a[c - c0] - (x[i] - m[c]) * r[c] * b[c - c0]) * r[c];
                        }
                }
            }
        }
    }
}
