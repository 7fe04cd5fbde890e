#include <math.h>

#include "ops.h"

void nn_glorot_uniform(float *w, size_t n, int fan_in, int fan_out, nn_rng *rng)
{
    float limit = (float)sqrt(6.0 / ((double)fan_in + (double)fan_out));
    for (size_t i = 0; i < n; i++)
        w[i] = (2.0f * nn_rng_uniform(rng) - 1.0f) * limit;
}
