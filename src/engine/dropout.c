/* The dropout family's arithmetic, as Keras computes it:
 * - Dropout / SpatialDropoutND: y = x * m / (1 - rate), the same scale in backward; a
 *   noise shape draws one m per noise element and broadcasts it.
 * - GaussianDropout: y = x * e, e ~ N(1, rate / (1 - rate)).
 * - AlphaDropout: y = a * (x * m + alpha_p * (1 - m)) + b. */
#include <math.h>

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

/* Row-major index into the noise shape of the element at full index i: a coordinate
 * along an axis where the noise has extent 1 counts as 0. */
static size_t noise_index(size_t i, const int *dims, const int *noise, int rank)
{
    size_t j = 0, stride = 1;
    for (int k = rank - 1; k >= 0; k--) {
        size_t coord = i % (size_t)dims[k];
        i /= (size_t)dims[k];
        if (noise[k] != 1)
            j += coord * stride;
        stride *= (size_t)noise[k];
    }
    return j;
}

size_t nn_dropout_draw_shaped(uint8_t *mask, const int *dims, const int *noise, int rank, double rate,
                              nn_rng *rng)
{
    size_t total = 1, cells = 1;
    for (int k = 0; k < rank; k++) {
        total *= (size_t)dims[k];
        cells *= (size_t)noise[k];
    }
    nn_dropout_draw(mask, cells, rate, rng);
    /* Broadcast in place, from the end: an element's noise index is never above its own
     * index, so every cell is read before anything overwrites it and no scratch is needed. */
    size_t dropped = 0;
    for (size_t i = total; i-- > 0;) {
        mask[i] = mask[noise_index(i, dims, noise, rank)];
        dropped += !mask[i];
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

void nn_gaussian_noise_draw(float *noise, size_t n, double rate, nn_rng *rng)
{
    /* Keras 2 (keras/layers/noise.py, GaussianDropout.call): stddev = np.sqrt(rate / (1.0 -
     * rate)) in float64, then random_normal(mean=1.0, stddev=stddev) in float32, i.e.
     * z * stddev + 1 with stddev cast to float32. Only for 0 < rate < 1 (else identity). */
    float sd = (float)sqrt(rate / (1.0 - rate));
    for (size_t i = 0; i < n; i++)
        noise[i] = nn_rng_normal(rng) * sd + 1.0f;
}

void nn_gaussian_dropout_forward(float *out, const float *in, const float *noise, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = in[i] * noise[i];
}

void nn_gaussian_dropout_backward(float *din, const float *dout, const float *noise, size_t n)
{
    for (size_t i = 0; i < n; i++)
        din[i] += dout[i] * noise[i];
}

nn_alpha_consts nn_alpha_dropout_consts(double rate)
{
    /* Keras 2 (keras/layers/noise.py, AlphaDropout.call), all in Python floats:
     *   alpha = 1.6732632423543772848170429916717
     *   scale = 1.0507009873554804934193349852946
     *   alpha_p = -alpha * scale                          (= -1.7580993408473766)
     *   a = ((1 - rate) * (1 + rate * alpha_p**2))**-0.5
     *   b = -a * alpha_p * rate
     * then cast to float32 where they meet the float32 tensor. (Klambauer et al. 2017,
     * "Self-Normalizing Neural Networks", eq. 13: a and b keep mean 0 and variance 1.) */
    const double alpha = 1.6732632423543772848170429916717;
    const double scale = 1.0507009873554804934193349852946;
    double alpha_p = -alpha * scale;
    double a = pow((1.0 - rate) * (1.0 + rate * alpha_p * alpha_p), -0.5);
    double b = -a * alpha_p * rate;
    return (nn_alpha_consts){.a = a, .b = b, .alpha_p = alpha_p};
}

void nn_alpha_dropout_forward(float *out, const float *in, const uint8_t *mask, size_t n, double rate)
{
    nn_alpha_consts k = nn_alpha_dropout_consts(rate);
    float a = (float)k.a, b = (float)k.b, alpha_p = (float)k.alpha_p;
    /* TF's two ops, each rounded to float32: x' = x*m + alpha_p*(1-m) (exactly x or
     * alpha_p, as m is 0 or 1), then a*x' + b */
    for (size_t i = 0; i < n; i++) {
        float xm = mask[i] ? in[i] : alpha_p;
        float ax = a * xm;
        out[i] = ax + b;
    }
}

void nn_alpha_dropout_backward(float *din, const float *dout, const uint8_t *mask, size_t n, double rate)
{
    float a = (float)nn_alpha_dropout_consts(rate).a;
    for (size_t i = 0; i < n; i++)
        din[i] += mask[i] ? dout[i] * a : 0.0f;
}
