// tower_attention.c — the tower's one-head cross-attention of a candidate's P tokens (queries)
// against its sample's original (keys, values), forward and backward. Reference: plain loops. Fast:
// four sgemms per candidate (scores, mix; and their transposes backward) around the same softmax.
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "model/tower_internal.h"

// out (P, C) = softmax(q kᵀ/√C) v; probs (P, P) saved for backward.
void tower_attention_forward_reference(float *out, float *probs, const float *q, const float *k, const float *v,
                                       int P, int C) {
    float scale = 1.0f / sqrtf((float)C);
    // (P, P) scores, softmax per row, then (P, C) = probs · v
    for (int i = 0; i < P; i++) {
        float *p = probs + (size_t)i * P, max = -INFINITY;
        for (int j = 0; j < P; j++) {
            float s = 0;
            for (int d = 0; d < C; d++) s += q[(size_t)i * C + d] * k[(size_t)j * C + d];
            p[j] = s * scale;
            if (p[j] > max) max = p[j];
        }
        float sum = 0;
        for (int j = 0; j < P; j++) sum += p[j] = expf(p[j] - max);
        for (int j = 0; j < P; j++) p[j] /= sum;
        float *o = out + (size_t)i * C;
        memset(o, 0, sizeof(float) * C);
        for (int j = 0; j < P; j++)
            for (int d = 0; d < C; d++) o[d] += p[j] * v[(size_t)j * C + d];
    }
}

// Accumulates dq (P, C) and the candidate's share of dk, dv (P, C) from dout (P, C).
void tower_attention_backward_reference(float *dq, float *dk, float *dv, float *scratch, const float *dout,
                                        const float *probs, const float *q, const float *k, const float *v, int P,
                                        int C) {
    float scale = 1.0f / sqrtf((float)C);
    for (int i = 0; i < P; i++) {
        const float *p = probs + (size_t)i * P, *g = dout + (size_t)i * C;
        float *dp = scratch + (size_t)i * P, dot = 0;
        for (int j = 0; j < P; j++) {
            float s = 0;
            for (int d = 0; d < C; d++) s += g[d] * v[(size_t)j * C + d];
            dp[j] = s;
            dot += p[j] * s;
            for (int d = 0; d < C; d++) dv[(size_t)j * C + d] += p[j] * g[d];
        }
        for (int j = 0; j < P; j++) {
            float ds = p[j] * (dp[j] - dot) * scale;
            if (ds == 0.0f) continue;
            for (int d = 0; d < C; d++) {
                dq[(size_t)i * C + d] += ds * k[(size_t)j * C + d];
                dk[(size_t)j * C + d] += ds * q[(size_t)i * C + d];
            }
        }
    }
}

// The caller holds OpenBLAS to one thread (it runs these on its own OpenMP threads).
void tower_attention_forward_fast(float *out, float *probs, const float *q, const float *k, const float *v, int P,
                                  int C) {
    float scale = 1.0f / sqrtf((float)C);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, P, P, C, scale, q, C, k, C, 0.0f, probs, P);
    for (int i = 0; i < P; i++) { // softmax per row, as the reference
        float *p = probs + (size_t)i * P, max = -INFINITY;
        for (int j = 0; j < P; j++)
            if (p[j] > max) max = p[j];
        float sum = 0;
        for (int j = 0; j < P; j++) sum += p[j] = expf(p[j] - max);
        for (int j = 0; j < P; j++) p[j] /= sum;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, P, C, P, 1.0f, probs, P, v, C, 0.0f, out, C);
}

void tower_attention_backward_fast(float *dq, float *dk, float *dv, float *scratch, const float *dout,
                                   const float *probs, const float *q, const float *k, const float *v, int P, int C) {
    float scale = 1.0f / sqrtf((float)C);
    // dv += probsᵀ · dout; d(probs) (P, P) = dout · vᵀ
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, P, C, P, 1.0f, probs, P, dout, C, 1.0f, dv, C);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, P, P, C, 1.0f, dout, C, v, C, 0.0f, scratch, P);
    // d(scores) = probs ⊙ (d(probs) − Σ_j probs·d(probs)) / √C, over d(probs)
    for (int i = 0; i < P; i++) {
        const float *p = probs + (size_t)i * P;
        float *dp = scratch + (size_t)i * P, dot = 0;
        for (int j = 0; j < P; j++) dot += p[j] * dp[j];
        for (int j = 0; j < P; j++) dp[j] = p[j] * (dp[j] - dot) * scale;
    }
    // dq += d(scores) · k; dk += d(scores)ᵀ · q
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, P, C, P, 1.0f, scratch, P, k, C, 1.0f, dq, C);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, P, C, P, 1.0f, scratch, P, q, C, 1.0f, dk, C);
}
