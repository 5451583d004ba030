// peak.h — this machine's measured sgemm rate, the denominator of MFU.
#ifndef IAR_TRAIN_PEAK_H
#define IAR_TRAIN_PEAK_H

// GFLOP/s of OpenBLAS sgemm on square matrices of side `size` (e.g. 512) over about `seconds`,
// with the current OpenBLAS thread count. Returns the best of the timed repetitions.
double train_measure_peak_gflops(int size, double seconds);
// Sets OpenMP's and OpenBLAS's thread counts (threads <= 0: leaves them).
void train_set_threads(int threads);

#endif
