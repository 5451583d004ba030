// rng.c — splitmix64-style finaliser over a combined counter.
#include "core/rng.h"

#include <math.h>
#include <stddef.h>

static uint64_t mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

uint64_t rng_hash(uint64_t seed, uint64_t sample, uint64_t purpose, uint64_t index) {
    // Each field goes through the mixer before the next is folded in, so (1,2) and (2,1) differ.
    uint64_t h = mix64(seed + 0x9e3779b97f4a7c15ULL);
    h = mix64(h ^ (sample + 0x632be59bd9b4e019ULL));
    h = mix64(h ^ (purpose + 0x85157af5ULL));
    h = mix64(h ^ (index + 0x2545f4914f6cdd1dULL));
    return h;
}

Rng rng_stream(uint64_t seed, uint64_t sample, uint64_t purpose) {
    Rng rng = {seed, sample, purpose, 0};
    return rng;
}

uint64_t rng_next_u64(Rng *rng) {
    return rng_hash(rng->seed, rng->sample, rng->purpose, rng->counter++);
}

double rng_next_double(Rng *rng) {
    return (double)(rng_next_u64(rng) >> 11) * (1.0 / 9007199254740992.0);
}

double rng_next_range(Rng *rng, double lo, double hi) {
    return lo + (hi - lo) * rng_next_double(rng);
}

int rng_next_int(Rng *rng, int n) {
    if (n <= 1) return 0;
    return (int)(rng_next_double(rng) * n);
}

double rng_next_normal(Rng *rng) {
    double u1 = rng_next_double(rng);
    double u2 = rng_next_double(rng);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void rng_shuffle_size(Rng *rng, size_t *items, size_t count) {
    for (size_t i = count; i > 1; i--) {
        size_t j = (size_t)rng_next_int(rng, (int)i);
        size_t t = items[i - 1];
        items[i - 1] = items[j];
        items[j] = t;
    }
}
