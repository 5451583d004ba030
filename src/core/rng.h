// rng.h — counter-based randomness: every random number is a hash of (seed, sample, purpose, index),
// never drawn from a shared stream, so output is byte-identical whatever the thread count.
#ifndef IAR_CORE_RNG_H
#define IAR_CORE_RNG_H

#include <stddef.h>
#include <stdint.h>

// A pure function: the same four inputs always give the same 64 random bits.
uint64_t rng_hash(uint64_t seed, uint64_t sample, uint64_t purpose, uint64_t index);

// A private stream for one (seed, sample, purpose): draw i is rng_hash(seed, sample, purpose, i).
// Cheap to create; create one per sample and purpose, never share one between threads.
typedef struct Rng {
    uint64_t seed, sample, purpose, counter;
} Rng;

Rng rng_stream(uint64_t seed, uint64_t sample, uint64_t purpose);
uint64_t rng_next_u64(Rng *rng);
double rng_next_double(Rng *rng);                      // uniform in [0, 1)
double rng_next_range(Rng *rng, double lo, double hi); // uniform in [lo, hi)
int rng_next_int(Rng *rng, int n);                     // uniform in [0, n), n > 0
double rng_next_normal(Rng *rng);                      // standard normal (Box-Muller)
void rng_shuffle_size(Rng *rng, size_t *items, size_t count);

// Purposes: named constants so two uses of one seed never collide.
enum {
    RNG_PURPOSE_SYNTH = 1,
    RNG_PURPOSE_SPLIT = 2,
    RNG_PURPOSE_BASELINE = 3,
    RNG_PURPOSE_INIT = 4,
    RNG_PURPOSE_DATA_ORDER = 5,
    RNG_PURPOSE_SAMPLING = 6,
    RNG_PURPOSE_BOOTSTRAP = 7,
    RNG_PURPOSE_RETRY_JITTER = 8,
    RNG_PURPOSE_HARD_CASES = 9,
    RNG_PURPOSE_VIEW = 10, // where the vision tower's product view lies while training
};

#endif
