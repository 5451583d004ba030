// kernels_attention.c — multi-head softmax attention with the prefix-LM mask (kernels.h).
// Reference: one plain loop nest that asks attention_mask_allows for every (query, key).
// Fast: one OpenMP task per (row, head) — their outputs are disjoint slices — doing the products
// as sgemm calls on strided views (masked scores are computed, then zeroed by the softmax).
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "model/kernels.h"
#include "model/kernels_simd.h"

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

void attention_backward_reference(float *dqkv, float *dscores, const float *dout, const float *probs,
                                  const float *qkv, const AttentionMask *mask, int batch, int seq, int dim, int heads) {
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

// Softmax of one row of scores in place over the allowed keys; everything else becomes 0.
static void attention_softmax_row(float *p, KeyRanges r, int seq) {
    float max = -INFINITY, sum = 0.0f;
    for (int j = 0; j < r.first_end; j++) max = p[j] > max ? p[j] : max;
    for (int j = r.second_begin; j < r.second_end; j++) max = p[j] > max ? p[j] : max;
    sum += exp_shifted_sum(p, r.first_end, max);
    int second = r.second_end > r.second_begin ? r.second_end - r.second_begin : 0;
    sum += exp_shifted_sum(p + r.second_begin, second, max);
    float inv = 1.0f / sum;
    for (int j = 0; j < seq; j++) {
        int allowed = j < r.first_end || (j >= r.second_begin && j < r.second_end);
        p[j] = allowed ? p[j] * inv : 0.0f;
    }
}

// The query rows of one batch row split where the mask changes shape: rows [0, prefix_end) (images
// + prompt) see keys [0, prefix_end) only; rows [prefix_end, seq) see at most keys [0, key_end)
// (key_end = images + text_len: padding is never a key). Products skip the masked blocks.
typedef struct MaskBlocks {
    int prefix_end, key_end;
} MaskBlocks;

// Where task bh = (row b, head h) reads and writes: its mask blocks and offsets into qkv / dqkv
// (B, N, 3·dim), out / dout (B, N, dim) and probs / dscores (B, heads, N, N).
typedef struct HeadSlice {
    int b;
    MaskBlocks m;
    size_t qkv, out, probs;
} HeadSlice;

static HeadSlice attention_head(const AttentionMask *mask, int bh, int heads, int seq, int dim) {
    int b = bh / heads, h = bh % heads, head_dim = dim / heads;
    HeadSlice s = {b,
                   {mask->image_tokens + mask->prefix_len[b], mask->image_tokens + mask->text_len[b]},
                   (size_t)b * seq * 3 * dim + h * head_dim,
                   (size_t)b * seq * dim + h * head_dim,
                   (size_t)bh * seq * seq};
    return s;
}

// C (rows, cols; ldc) = alpha · A (rows, depth; lda) · B (cols, depth; ldb)ᵀ  (+ beta · C)
static void gemm_nt(int rows, int cols, int depth, float alpha, const float *a, int lda, const float *b, int ldb,
                    float beta, float *c, int ldc) {
    if (rows > 0 && cols > 0)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, cols, depth, alpha, a, lda, b, ldb, beta, c, ldc);
}

// C (rows, cols; ldc) = alpha · A (rows, depth; lda) · B (depth, cols; ldb) + beta · C
static void gemm_nn(int rows, int cols, int depth, float alpha, const float *a, int lda, const float *b, int ldb,
                    float beta, float *c, int ldc) {
    if (rows > 0 && depth > 0)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, cols, depth, alpha, a, lda, b, ldb, beta, c, ldc);
}

// Per (row, head): scores = scale · Q Kᵀ and out = P V as sgemm calls on strided views of qkv
// (leading dimension 3·dim), over the two mask blocks; one OpenMP task per (row, head), OpenBLAS
// single-threaded inside.
void attention_forward_fast(float *out, float *probs, const float *qkv, const AttentionMask *mask, int batch,
                            int seq, int dim, int heads) {
    int head_dim = dim / heads, ld = 3 * dim, previous = kernels_blas_serial_begin();
    float scale = 1.0f / sqrtf((float)head_dim);
#pragma omp parallel for schedule(dynamic, 1)
    for (int bh = 0; bh < batch * heads; bh++) {
        HeadSlice slice = attention_head(mask, bh, heads, seq, dim);
        MaskBlocks m = slice.m;
        const float *q = qkv + slice.qkv, *k = q + dim, *v = q + 2 * dim;
        float *p = probs + slice.probs, *o = out + slice.out;
        size_t rest = (size_t)m.prefix_end * seq;
        // scores: (prefix, prefix) and (seq − prefix, key_end) blocks
        gemm_nt(m.prefix_end, m.prefix_end, head_dim, scale, q, ld, k, ld, 0.0f, p, seq);
        gemm_nt(seq - m.prefix_end, m.key_end, head_dim, scale, q + (size_t)m.prefix_end * ld, ld, k, ld, 0.0f,
                p + rest, seq);
        for (int i = 0; i < seq; i++)
            attention_softmax_row(p + (size_t)i * seq, attention_key_ranges(mask, slice.b, i), seq);
        // out = P V over the same blocks: (N, hd)
        gemm_nn(m.prefix_end, head_dim, m.prefix_end, 1.0f, p, seq, v, ld, 0.0f, o, dim);
        gemm_nn(seq - m.prefix_end, head_dim, m.key_end, 1.0f, p + rest, seq, v, ld, 0.0f,
                o + (size_t)m.prefix_end * dim, dim);
    }
    kernels_blas_serial_end(previous);
}

void attention_backward_fast(float *dqkv, float *dscores, const float *dout, const float *probs, const float *qkv,
                             const AttentionMask *mask, int batch, int seq, int dim, int heads) {
    int head_dim = dim / heads, ld = 3 * dim, previous = kernels_blas_serial_begin();
    float scale = 1.0f / sqrtf((float)head_dim);
#pragma omp parallel for schedule(dynamic, 1)
    for (int bh = 0; bh < batch * heads; bh++) {
        HeadSlice slice = attention_head(mask, bh, heads, seq, dim);
        MaskBlocks m = slice.m;
        size_t rest = (size_t)m.prefix_end * seq;
        const float *q = qkv + slice.qkv, *k = q + dim, *v = q + 2 * dim;
        float *dq = dqkv + slice.qkv, *dk = dq + dim, *dv = dq + 2 * dim;
        const float *p = probs + slice.probs, *g = dout + slice.out;
        float *ds = dscores + slice.probs;
        // dV[0:key_end] += P[:, 0:key_end]ᵀ dO (P is 0 outside the mask)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, m.key_end, head_dim, seq, 1.0f, p, seq, g, dim, 1.0f, dv,
                    ld);
        // dP = dO Vᵀ over the two blocks
        gemm_nt(m.prefix_end, m.prefix_end, head_dim, 1.0f, g, dim, v, ld, 0.0f, ds, seq);
        gemm_nt(seq - m.prefix_end, m.key_end, head_dim, 1.0f, g + (size_t)m.prefix_end * dim, dim, v, ld, 0.0f,
                ds + rest, seq);
        // dS = P ∘ (dP − Σ_j P dP) inside each row's block, 0 up to key_end
        for (int i = 0; i < seq; i++) {
            float *row = ds + (size_t)i * seq;
            const float *prow = p + (size_t)i * seq;
            int width = i < m.prefix_end ? m.prefix_end : m.key_end;
            float weighted = dot_simd(prow, row, width);
            for (int j = 0; j < width; j++) row[j] = prow[j] * (row[j] - weighted);
            for (int j = width; j < m.key_end; j++) row[j] = 0.0f;
        }
        // dQ += scale · dS K (two blocks); dK[0:key_end] += scale · dS[:, 0:key_end]ᵀ Q
        gemm_nn(m.prefix_end, head_dim, m.prefix_end, scale, ds, seq, k, ld, 1.0f, dq, ld);
        gemm_nn(seq - m.prefix_end, head_dim, m.key_end, scale, ds + rest, seq, k, ld, 1.0f,
                dq + (size_t)m.prefix_end * ld, ld);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, m.key_end, head_dim, seq, scale, ds, seq, q, ld, 1.0f, dk,
                    ld);
    }
    kernels_blas_serial_end(previous);
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
