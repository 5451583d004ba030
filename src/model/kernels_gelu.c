// kernels_gelu.c — GELU with the tanh approximation (GPT-2; PyTorch's nn.GELU(approximate="tanh")).
// Elementwise, so the fast path only splits the array across OpenMP threads.
#include <math.h>

#include "model/kernels.h"

#define GELU_SCALE 0.7978845608028654f // sqrt(2/pi)

static inline float gelu_value(float x) {
    float cube = 0.044715f * x * x * x;
    return 0.5f * x * (1.0f + tanhf(GELU_SCALE * (x + cube)));
}

static inline float gelu_derivative(float x) {
    float cube = 0.044715f * x * x * x;
    float t = tanhf(GELU_SCALE * (x + cube));
    float sech2 = 1.0f - t * t;
    return 0.5f * (1.0f + t) + 0.5f * x * sech2 * GELU_SCALE * (1.0f + 3.0f * 0.044715f * x * x);
}

void gelu_forward_reference(float *out, const float *inp, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = gelu_value(inp[i]);
}

void gelu_forward_fast(float *out, const float *inp, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) out[i] = gelu_value(inp[i]);
}

void gelu_backward_reference(float *dinp, const float *inp, const float *dout, size_t n) {
    for (size_t i = 0; i < n; i++) dinp[i] += gelu_derivative(inp[i]) * dout[i];
}

void gelu_backward_fast(float *dinp, const float *inp, const float *dout, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) dinp[i] += gelu_derivative(inp[i]) * dout[i];
}
