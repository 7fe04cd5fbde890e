/* Inverted dropout, as Keras: y = x * m / (1 - rate), the same scale in backward. */
#include "ops.h"

size_t nn_dropout_draw(uint8_t *mask, size_t n, double rate, nn_rng *rng)
{
    size_t dropped = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t keep = (double)nn_rng_uniform(rng) >= rate;
        mask[i] = keep;
        dropped += !keep;
    }
    return dropped;
}

void nn_dropout_forward(float *out, const float *in, const uint8_t *mask, size_t n, double rate)
{
    /* Keras: the scale 1/(1-rate) is computed in double (a Python float), then cast */
    float scale = (float)(1.0 / (1.0 - rate));
    for (size_t i = 0; i < n; i++)
        out[i] = mask[i] ? in[i] * scale : 0.0f;
}

void nn_dropout_backward(float *din, const float *dout, const uint8_t *mask, size_t n, double rate)
{
    /* Keras: the scale 1/(1-rate) is computed in double (a Python float), then cast */
    float scale = (float)(1.0 / (1.0 - rate));
    for (size_t i = 0; i < n; i++)
        din[i] += mask[i] ? dout[i] * scale : 0.0f;
}
