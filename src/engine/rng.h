/* Explicit, seeded random state (xoshiro256**, seeded through splitmix64).
 * Every random draw in dropscope goes through one of these; there is no global state. */
#ifndef NN_RNG_H
#define NN_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t s[4];
} nn_rng;

void nn_rng_seed(nn_rng *r, uint64_t seed);
uint64_t nn_rng_next(nn_rng *r);
/* Uniform float in [0, 1) with 24 random bits (every value exactly representable). */
float nn_rng_uniform(nn_rng *r);
/* Uniform integer in [0, n); n > 0. Unbiased (rejection). */
uint32_t nn_rng_below(nn_rng *r, uint32_t n);
/* Standard normal (Box-Muller), for tests and data augmentation. */
float nn_rng_normal(nn_rng *r);
/* Fisher-Yates shuffle of idx[0..n). */
void nn_rng_shuffle_i32(nn_rng *r, int32_t *idx, int n);

#endif
