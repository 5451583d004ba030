// kernels_simd.h — a fast exp for the fast kernels (softmax, GELU's tanh): e^z = 2^k · p(r) with
// z = k ln2 + r, |r| <= ln2/2 and a degree-6 polynomial (relative error ~1e-7, Cephes' constants).
// Inputs are clamped to [-87, 88]. The scalar version serves tails and builds without AVX2.
#ifndef IAR_MODEL_KERNELS_SIMD_H
#define IAR_MODEL_KERNELS_SIMD_H

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline float exp_fast(float z) {
    z = z < -87.0f ? -87.0f : (z > 88.0f ? 88.0f : z);
    float k = nearbyintf(z * 1.44269504088896341f);
    float r = z - k * 0.693359375f + k * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int32_t bits = ((int32_t)k + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

#ifdef __AVX2__
#include <immintrin.h>

static inline __m256 exp_fast8(__m256 z) {
    z = _mm256_min_ps(_mm256_max_ps(z, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(88.0f));
    __m256 k = _mm256_round_ps(_mm256_mul_ps(z, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_add_ps(_mm256_sub_ps(z, _mm256_mul_ps(k, _mm256_set1_ps(0.693359375f))),
                             _mm256_mul_ps(k, _mm256_set1_ps(2.12194440e-4f)));
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_add_ps(_mm256_fmadd_ps(_mm256_mul_ps(p, r), r, r), _mm256_set1_ps(1.0f));
    __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}
#endif

// x[i] = e^(x[i] − shift) for i < n; returns their sum (lanes summed in a fixed order).
static inline float exp_shifted_sum(float *x, int n, float shift) {
    int i = 0;
    float sum = 0.0f;
#ifdef __AVX2__
    __m256 acc = _mm256_setzero_ps(), s = _mm256_set1_ps(shift);
    for (; i + 8 <= n; i += 8) {
        __m256 e = exp_fast8(_mm256_sub_ps(_mm256_loadu_ps(x + i), s));
        _mm256_storeu_ps(x + i, e);
        acc = _mm256_add_ps(acc, e);
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, acc);
    for (int l = 0; l < 8; l++) sum += lanes[l];
#endif
    for (; i < n; i++) sum += (x[i] = exp_fast(x[i] - shift));
    return sum;
}

// As exp_shifted_sum, also returning Σ e^(x−shift)·(x−shift) in *weighted (for the entropy).
static inline float exp_shifted_sum_weighted(float *x, int n, float shift, float *weighted) {
    int i = 0;
    float sum = 0.0f, w = 0.0f;
#ifdef __AVX2__
    __m256 acc = _mm256_setzero_ps(), acc_w = _mm256_setzero_ps(), s = _mm256_set1_ps(shift);
    for (; i + 8 <= n; i += 8) {
        __m256 d = _mm256_sub_ps(_mm256_loadu_ps(x + i), s), e = exp_fast8(d);
        _mm256_storeu_ps(x + i, e);
        acc = _mm256_add_ps(acc, e);
        acc_w = _mm256_fmadd_ps(e, d, acc_w);
    }
    float lanes[8], lanes_w[8];
    _mm256_storeu_ps(lanes, acc);
    _mm256_storeu_ps(lanes_w, acc_w);
    for (int l = 0; l < 8; l++) sum += lanes[l], w += lanes_w[l];
#endif
    for (; i < n; i++) {
        float d = x[i] - shift;
        sum += (x[i] = exp_fast(d));
        w += x[i] * d;
    }
    *weighted = w;
    return sum;
}

#endif
