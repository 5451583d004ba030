// kernels_gelu.c — GELU with the tanh approximation (GPT-2; PyTorch's nn.GELU(approximate="tanh")).
// Reference: libm tanhf. Fast: a SIMD tanh built on kernels_simd.h's polynomial exp (relative
// error ~1e-7, checked against the reference), split across OpenMP threads in contiguous chunks. libm's
// scalar tanhf was a fifth of the small config's training step.
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "model/kernels.h"
#include "model/kernels_simd.h"

#define GELU_SCALE 0.7978845608028654f // sqrt(2/pi)
#define GELU_CUBIC 0.044715f

static inline float gelu_value(float x) {
    float cube = GELU_CUBIC * x * x * x;
    return 0.5f * x * (1.0f + tanhf(GELU_SCALE * (x + cube)));
}

static inline float gelu_derivative_from_tanh(float x, float t) {
    float sech2 = 1.0f - t * t;
    return 0.5f * (1.0f + t) + 0.5f * x * sech2 * GELU_SCALE * (1.0f + 3.0f * GELU_CUBIC * x * x);
}

void gelu_forward_reference(float *out, const float *inp, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = gelu_value(inp[i]);
}

void gelu_backward_reference(float *dinp, const float *inp, const float *dout, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        dinp[i] += gelu_derivative_from_tanh(x, tanhf(GELU_SCALE * (x + GELU_CUBIC * x * x * x))) * dout[i];
    }
}

// tanh(y) = 1 − 2 / (e^{2|y|} + 1) with the sign of y, on kernels_simd.h's exp (|y| clamped at 9,
// where tanh is 1 in float). gcc -O2 does not vectorise this by itself, hence the AVX2 version.
static inline float tanh_fast(float y) {
    float a = fabsf(y);
    if (a > 9.0f) a = 9.0f;
    return copysignf(1.0f - 2.0f / (exp_fast(2.0f * a) + 1.0f), y);
}

#ifdef __AVX2__
static inline __m256 tanh_fast8(__m256 y) {
    __m256 sign = _mm256_and_ps(y, _mm256_set1_ps(-0.0f));
    __m256 a = _mm256_min_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), y), _mm256_set1_ps(9.0f));
    __m256 e = exp_fast8(_mm256_add_ps(a, a));
    __m256 t = _mm256_sub_ps(_mm256_set1_ps(1.0f), _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, _mm256_set1_ps(1.0f))));
    return _mm256_or_ps(t, sign);
}

// tanh of the GELU argument for 8 lanes
static inline __m256 gelu_tanh8(__m256 x) {
    __m256 inner = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_set1_ps(GELU_CUBIC), x), _mm256_mul_ps(x, x), x);
    return tanh_fast8(_mm256_mul_ps(_mm256_set1_ps(GELU_SCALE), inner));
}
#endif

static inline float gelu_tanh(float x) { return tanh_fast(GELU_SCALE * (x + GELU_CUBIC * x * x * x)); }

// Contiguous chunks of 8-aligned length, so lanes and tails never depend on the thread count.
// One loop serves both directions: forward writes out = GELU(inp); backward (dout not NULL)
// accumulates out += GELU'(inp) · dout.
#define GELU_CHUNK 4096

static void gelu_fast(float *out, const float *inp, const float *dout, size_t n) {
    size_t chunks = (n + GELU_CHUNK - 1) / GELU_CHUNK;
#pragma omp parallel for schedule(dynamic, 1) if (chunks > 1)
    for (size_t c = 0; c < chunks; c++) {
        size_t i = c * GELU_CHUNK, end = i + GELU_CHUNK < n ? i + GELU_CHUNK : n;
#ifdef __AVX2__
        __m256 one = _mm256_set1_ps(1.0f), half = _mm256_set1_ps(0.5f);
        for (; i + 8 <= end; i += 8) {
            __m256 x = _mm256_loadu_ps(inp + i), t = gelu_tanh8(x), half_x = _mm256_mul_ps(half, x);
            if (!dout) {
                _mm256_storeu_ps(out + i, _mm256_fmadd_ps(half_x, t, half_x));
                continue;
            }
            __m256 sech2 = _mm256_fnmadd_ps(t, t, one);
            __m256 inner = _mm256_fmadd_ps(_mm256_set1_ps(3.0f * GELU_CUBIC), _mm256_mul_ps(x, x), one);
            __m256 slope = _mm256_mul_ps(_mm256_mul_ps(half_x, sech2), _mm256_mul_ps(_mm256_set1_ps(GELU_SCALE), inner));
            __m256 derivative = _mm256_add_ps(_mm256_mul_ps(half, _mm256_add_ps(one, t)), slope);
            _mm256_storeu_ps(out + i, _mm256_fmadd_ps(derivative, _mm256_loadu_ps(dout + i), _mm256_loadu_ps(out + i)));
        }
#endif
        for (; i < end; i++) {
            float t = gelu_tanh(inp[i]);
            if (dout)
                out[i] += gelu_derivative_from_tanh(inp[i], t) * dout[i];
            else
                out[i] = 0.5f * inp[i] * (1.0f + t);
        }
    }
}

void gelu_forward_fast(float *out, const float *inp, size_t n) { gelu_fast(out, inp, NULL, n); }

void gelu_backward_fast(float *dinp, const float *inp, const float *dout, size_t n) { gelu_fast(dinp, inp, dout, n); }
