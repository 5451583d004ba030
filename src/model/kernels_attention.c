// kernels_attention.c — multi-head softmax attention with the prefix-LM mask (kernels.h).
// Reference: one plain loop nest that asks attention_mask_allows for every (query, key).
// Fast: one OpenMP task per (row, head) — their outputs are disjoint slices — and keys walked as
// the two contiguous ranges the mask allows, with SIMD dot products over the head dimension.
#include <math.h>
#include <string.h>

#include "model/kernels.h"

void attention_forward_reference(float *out, float *probs, const float *qkv, const AttentionMask *mask, int batch,
                                 int seq, int dim, int heads) {
    int head_dim = dim / heads;
    float scale = 1.0f / sqrtf((float)head_dim);
    // (B, heads, N queries, N keys)
    for (int b = 0; b < batch; b++)
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < seq; i++) {
                const float *q = qkv + ((size_t)b * seq + i) * 3 * dim + h * head_dim;
                float *p = probs + (((size_t)b * heads + h) * seq + i) * seq;
                float max = -INFINITY;
                for (int j = 0; j < seq; j++) {
                    if (!attention_mask_allows(mask, b, i, j)) {
                        p[j] = 0.0f;
                        continue;
                    }
                    const float *k = qkv + ((size_t)b * seq + j) * 3 * dim + dim + h * head_dim;
                    float s = 0.0f;
                    for (int d = 0; d < head_dim; d++) s += q[d] * k[d];
                    p[j] = s * scale;
                    if (p[j] > max) max = p[j];
                }
                float sum = 0.0f;
                for (int j = 0; j < seq; j++)
                    if (attention_mask_allows(mask, b, i, j)) {
                        p[j] = expf(p[j] - max);
                        sum += p[j];
                    }
                for (int j = 0; j < seq; j++) p[j] /= sum;
                float *o = out + ((size_t)b * seq + i) * dim + h * head_dim;
                for (int d = 0; d < head_dim; d++) {
                    float acc = 0.0f;
                    for (int j = 0; j < seq; j++)
                        acc += p[j] * qkv[((size_t)b * seq + j) * 3 * dim + 2 * dim + h * head_dim + d];
                    o[d] = acc;
                }
            }
}

void attention_backward_reference(float *dqkv, const float *dout, const float *probs, const float *qkv,
                                  const AttentionMask *mask, int batch, int seq, int dim, int heads) {
    int head_dim = dim / heads;
    float scale = 1.0f / sqrtf((float)head_dim);
    for (int b = 0; b < batch; b++)
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < seq; i++) {
                const float *p = probs + (((size_t)b * heads + h) * seq + i) * seq;
                const float *g = dout + ((size_t)b * seq + i) * dim + h * head_dim;
                const float *q = qkv + ((size_t)b * seq + i) * 3 * dim + h * head_dim;
                float *dq = dqkv + ((size_t)b * seq + i) * 3 * dim + h * head_dim;
                // d(softmax): ds_j = p_j (dp_j − Σ_k p_k dp_k), dp_j = g · v_j
                float weighted = 0.0f;
                for (int j = 0; j < seq; j++) {
                    const float *v = qkv + ((size_t)b * seq + j) * 3 * dim + 2 * dim + h * head_dim;
                    float dp = 0.0f;
                    for (int d = 0; d < head_dim; d++) dp += g[d] * v[d];
                    weighted += p[j] * dp;
                }
                for (int j = 0; j < seq; j++) {
                    if (!attention_mask_allows(mask, b, i, j)) continue;
                    const float *k = qkv + ((size_t)b * seq + j) * 3 * dim + dim + h * head_dim;
                    const float *v = k + dim;
                    float *dk = dqkv + ((size_t)b * seq + j) * 3 * dim + dim + h * head_dim;
                    float *dv = dk + dim;
                    float dp = 0.0f;
                    for (int d = 0; d < head_dim; d++) dp += g[d] * v[d];
                    float ds = p[j] * (dp - weighted) * scale;
                    for (int d = 0; d < head_dim; d++) {
                        dq[d] += ds * k[d];
                        dk[d] += ds * q[d];
                        dv[d] += p[j] * g[d];
                    }
                }
            }
}

// The keys query i of row b may see: [0, first_end) then [second_begin, second_end).
typedef struct KeyRanges {
    int first_end, second_begin, second_end;
} KeyRanges;

static KeyRanges attention_key_ranges(const AttentionMask *mask, int b, int i) {
    int text_len = mask->text_len[b];
    int prefix = mask->prefix_len[b] < text_len ? mask->prefix_len[b] : text_len;
    KeyRanges r = {mask->image_tokens + prefix, 0, 0};
    int t = i - mask->image_tokens;
    if (t >= mask->prefix_len[b]) {
        r.second_begin = mask->image_tokens + mask->prefix_len[b];
        r.second_end = mask->image_tokens + (t < text_len ? t + 1 : text_len);
        if (r.second_end < r.second_begin) r.second_end = r.second_begin;
    }
    return r;
}

static inline float dot_simd(const float *a, const float *b, int n) {
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (int d = 0; d < n; d++) s += a[d] * b[d];
    return s;
}

static inline void axpy_simd(float *y, float a, const float *x, int n) {
#pragma omp simd
    for (int d = 0; d < n; d++) y[d] += a * x[d];
}

void attention_forward_fast(float *out, float *probs, const float *qkv, const AttentionMask *mask, int batch,
                            int seq, int dim, int heads) {
    int head_dim = dim / heads;
    float scale = 1.0f / sqrtf((float)head_dim);
    size_t row = (size_t)3 * dim;
#pragma omp parallel for schedule(dynamic, 1)
    for (int bh = 0; bh < batch * heads; bh++) {
        int b = bh / heads, h = bh % heads;
        const float *base = qkv + (size_t)b * seq * row + h * head_dim;
        for (int i = 0; i < seq; i++) {
            KeyRanges r = attention_key_ranges(mask, b, i);
            const float *q = base + i * row;
            float *p = probs + ((size_t)bh * seq + i) * seq;
            memset(p, 0, sizeof(float) * seq);
            float max = -INFINITY;
            for (int j = 0; j < r.first_end; j++) {
                p[j] = dot_simd(q, base + j * row + dim, head_dim) * scale;
                if (p[j] > max) max = p[j];
            }
            for (int j = r.second_begin; j < r.second_end; j++) {
                p[j] = dot_simd(q, base + j * row + dim, head_dim) * scale;
                if (p[j] > max) max = p[j];
            }
            float sum = 0.0f;
            float *o = out + ((size_t)b * seq + i) * dim + h * head_dim;
            memset(o, 0, sizeof(float) * head_dim);
            for (int j = 0; j < r.first_end; j++) sum += (p[j] = expf(p[j] - max));
            for (int j = r.second_begin; j < r.second_end; j++) sum += (p[j] = expf(p[j] - max));
            float inv = 1.0f / sum;
            for (int j = 0; j < r.first_end; j++) axpy_simd(o, p[j] *= inv, base + j * row + 2 * dim, head_dim);
            for (int j = r.second_begin; j < r.second_end; j++)
                axpy_simd(o, p[j] *= inv, base + j * row + 2 * dim, head_dim);
        }
    }
}

// dp, ds for keys [begin, end): accumulates dk, dv and returns nothing; dq accumulates in place.
static void attention_backward_range(float *dq, float *dbase, const float *base, const float *q, const float *g,
                                     const float *p, float weighted, float scale, int begin, int end, size_t row,
                                     int dim, int head_dim) {
    for (int j = begin; j < end; j++) {
        const float *k = base + j * row + dim;
        float dp = dot_simd(g, k + dim, head_dim);
        float ds = p[j] * (dp - weighted) * scale;
        axpy_simd(dq, ds, k, head_dim);
        axpy_simd(dbase + j * row + dim, ds, q, head_dim);
        axpy_simd(dbase + j * row + 2 * dim, p[j], g, head_dim);
    }
}

void attention_backward_fast(float *dqkv, const float *dout, const float *probs, const float *qkv,
                             const AttentionMask *mask, int batch, int seq, int dim, int heads) {
    int head_dim = dim / heads;
    float scale = 1.0f / sqrtf((float)head_dim);
    size_t row = (size_t)3 * dim;
#pragma omp parallel for schedule(dynamic, 1)
    for (int bh = 0; bh < batch * heads; bh++) {
        int b = bh / heads, h = bh % heads;
        const float *base = qkv + (size_t)b * seq * row + h * head_dim;
        float *dbase = dqkv + (size_t)b * seq * row + h * head_dim;
        for (int i = 0; i < seq; i++) {
            KeyRanges r = attention_key_ranges(mask, b, i);
            const float *p = probs + ((size_t)bh * seq + i) * seq;
            const float *g = dout + ((size_t)b * seq + i) * dim + h * head_dim;
            float weighted = 0.0f;
            for (int j = 0; j < r.first_end; j++) weighted += p[j] * dot_simd(g, base + j * row + 2 * dim, head_dim);
            for (int j = r.second_begin; j < r.second_end; j++)
                weighted += p[j] * dot_simd(g, base + j * row + 2 * dim, head_dim);
            const float *q = base + i * row;
            float *dq = dbase + i * row;
            attention_backward_range(dq, dbase, base, q, g, p, weighted, scale, 0, r.first_end, row, dim, head_dim);
            attention_backward_range(dq, dbase, base, q, g, p, weighted, scale, r.second_begin, r.second_end, row, dim,
                                     head_dim);
        }
    }
}

void attention_decode_row(float *out, float *scores, const float *q, const float *k, const float *v,
                          size_t stride, int keys, int dim, int heads) {
    int head_dim = dim / heads;
    float scale = 1.0f / sqrtf((float)head_dim);
    for (int h = 0; h < heads; h++) {
        int off = h * head_dim;
        float max = -INFINITY;
        for (int j = 0; j < keys; j++) {
            scores[j] = dot_simd(q + off, k + j * stride + off, head_dim) * scale;
            if (scores[j] > max) max = scores[j];
        }
        float sum = 0.0f;
        for (int j = 0; j < keys; j++) sum += (scores[j] = expf(scores[j] - max));
        float inv = 1.0f / sum;
        float *o = out + off;
        memset(o, 0, sizeof(float) * head_dim);
        for (int j = 0; j < keys; j++) axpy_simd(o, scores[j] * inv, v + j * stride + off, head_dim);
    }
}
