// peak.c — measured sgemm peak (for MFU) and the thread-count knob shared by the trainers.
#include "train/peak.h"

#include <cblas.h>
#include <stdlib.h>

#include "core/progress.h"

#ifdef _OPENMP
#include <omp.h>
#endif

void openblas_set_num_threads(int threads);

double train_measure_peak_gflops(int size, double seconds) {
    size_t n = (size_t)size * size;
    float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), *c = malloc(n * sizeof *c);
    if (!a || !b || !c) {
        free(a), free(b), free(c);
        return 0;
    }
    for (size_t i = 0; i < n; i++) a[i] = (float)(i % 7) * 0.1f, b[i] = (float)(i % 5) * 0.1f, c[i] = 0;
    double best = 0, start = time_now_seconds();
    do {
        double t0 = time_now_seconds();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, size, size, size, 1.0f, a, size, b, size, 0.0f, c,
                    size);
        double dt = time_now_seconds() - t0;
        double rate = dt > 0 ? 2.0 * size * (double)size * size / dt / 1e9 : 0;
        if (rate > best) best = rate;
    } while (time_now_seconds() - start < seconds);
    free(a), free(b), free(c);
    return best;
}

void train_set_threads(int threads) {
    if (threads <= 0) return;
#ifdef _OPENMP
    omp_set_num_threads(threads);
#endif
    openblas_set_num_threads(threads);
}
