/* Activations. Backward reads the forward output, so no pre-activation copy is kept. */
#include <math.h>
#include <string.h>

#include "ops.h"

/* e^x for x <= 0 (the sigmoid's argument, -|z|), written so that a loop of it
 * vectorises: range reduction x = n ln2 + r (|r| <= ln2/2, ln2 in two parts), Cephes's
 * degree-5 polynomial for e^r, and 2^n put in the exponent bits (in two factors, so
 * that denormal results come out as expf's). Relative error under 3e-7 (about 2 ulp)
 * down to the denormals; below -104, 0. glibc's expf is a call per element. */
static inline float exp_neg(float x)
{
    x = x < -104.0f ? -104.0f : x;   /* x is finite here: sigmoid() takes care of NaN */
    int n = (int)(x * 1.44269504088896341f - 0.5f);   /* round(x log2 e): x <= 0, truncation */
    float fn = (float)n;
    float r = x - fn * 0.693359375f;
    r = r - fn * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float e = p * r * r + r + 1.0f;
    /* 2^n as two normal factors, so that results down to the denormals are right */
    int n1 = n / 2, n2 = n - n1;
    union {
        int i;
        float f;
    } s1 = {.i = (n1 + 127) << 23}, s2 = {.i = (n2 + 127) << 23};
    return e * s1.f * s2.f;
}

/* The logistic sigmoid, stable in both tails: 1 / (1 + e^-|z|), mirrored for z < 0; a
 * NaN gives NaN (a non-finite value is blamed on the layer where it appeared). Both
 * sides are computed and one chosen, so that a loop of it has no branch. */
static inline float sigmoid(float z)
{
    float a = -fabsf(z);
    float e = exp_neg(a == a ? a : 0.0f);
    float q = 1.0f / (1.0f + e), eq = e * q;
    float s = z >= 0.0f ? q : eq;
    return z == z ? s : z;
}

#if defined(NN_HAVE_V16)
/* The same sigmoid on 16 floats at once (nn_v16f), for the loops over whole feature
 * maps (EfficientNet's swish is a third of its forward). The operations are the scalar
 * ones in the same order (no contraction: -ffp-contract=off), so each element comes out
 * bit for bit as sigmoid() gives it, whichever clone runs. A select is (m & a) | (~m & b)
 * on the bits, since C has no ?: on vectors. */
static inline __attribute__((always_inline)) nn_v16f vsig_select(nn_v16i m, nn_v16f a, nn_v16f b)
{
    return (nn_v16f)((m & (nn_v16i)a) | (~m & (nn_v16i)b));
}

static inline __attribute__((always_inline)) nn_v16f vsig_exp_neg(nn_v16f x)
{
    const nn_v16f zero = {0}, lo = zero - 104.0f;
    x = vsig_select(x < lo, lo, x);
    nn_v16i n = __builtin_convertvector(x * 1.44269504088896341f - 0.5f, nn_v16i);
    nn_v16f fn = __builtin_convertvector(n, nn_v16f);
    nn_v16f r = x - fn * 0.693359375f;
    r = r - fn * -2.12194440e-4f;
    nn_v16f p = zero + 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    nn_v16f e = p * r * r + r + 1.0f;
    nn_v16i n1 = n / 2, n2 = n - n1;
    return e * (nn_v16f)((n1 + 127) << 23) * (nn_v16f)((n2 + 127) << 23);
}

static inline __attribute__((always_inline)) nn_v16f vsig_sigmoid(nn_v16f z)
{
    nn_v16f a = (nn_v16f)((nn_v16i)z | (int)0x80000000u);   /* -|z| */
    const nn_v16f zero = {0};
    nn_v16f e = vsig_exp_neg(vsig_select(a == a, a, zero));
    nn_v16f q = 1.0f / (1.0f + e), eq = e * q;
    nn_v16f s = vsig_select(z >= 0.0f, q, eq);
    return vsig_select(z == z, s, z);
}

/* out[i] = sigmoid(in[i]) (swish: in[i] * sigmoid(in[i])) over n floats; out may be in. */
NN_MULTIVERSION static void sigmoid_apply(float *out, const float *in, size_t n, bool swish)
{
    size_t i = 0;
    for (; i + NN_V16 <= n; i += NN_V16) {
        nn_v16f z;
        memcpy(&z, in + i, sizeof z);
        nn_v16f s = vsig_sigmoid(z);
        if (swish)
            s = z * s;
        memcpy(out + i, &s, sizeof s);
    }
    for (; i < n; i++)
        out[i] = swish ? in[i] * sigmoid(in[i]) : sigmoid(in[i]);
}
#else
static void sigmoid_apply(float *out, const float *in, size_t n, bool swish)
{
    for (size_t i = 0; i < n; i++)
        out[i] = swish ? in[i] * sigmoid(in[i]) : sigmoid(in[i]);
}
#endif

void nn_act_forward(float *out, const float *in, size_t rows, int row_len, nn_act act)
{
    size_t n = rows * (size_t)row_len;
    switch (act) {
    case NN_ACT_LINEAR:
        if (out != in)
            for (size_t i = 0; i < n; i++)
                out[i] = in[i];
        break;
    case NN_ACT_RELU:
        /* as TensorFlow's relu: a NaN passes through (it is not turned into 0), so a
         * non-finite value is blamed on the layer where it appeared */
        for (size_t i = 0; i < n; i++)
            out[i] = in[i] < 0.0f ? 0.0f : in[i];
        break;
    case NN_ACT_SIGMOID:
        sigmoid_apply(out, in, n, false);
        break;
    case NN_ACT_RELU6:
        for (size_t i = 0; i < n; i++)
            out[i] = in[i] < 0.0f ? 0.0f : in[i] > 6.0f ? 6.0f : in[i];
        break;
    case NN_ACT_SWISH:
        sigmoid_apply(out, in, n, true);
        break;
    case NN_ACT_COUNT:
        break;
    case NN_ACT_SOFTMAX:
        for (size_t r = 0; r < rows; r++) {
            const float *x = in + r * row_len;
            float *y = out + r * row_len;
            float mx = x[0];
            for (int j = 1; j < row_len; j++)
                mx = x[j] > mx ? x[j] : mx;
            double sum = 0.0;
            for (int j = 0; j < row_len; j++) {
                y[j] = expf(x[j] - mx);
                sum += y[j];
            }
            float inv = (float)(1.0 / sum);
            for (int j = 0; j < row_len; j++)
                y[j] *= inv;
        }
        break;
    }
}

bool nn_act_needs_input(nn_act act)
{
    return act == NN_ACT_SWISH;
}

void nn_act_backward(float *din, const float *dout, const float *out, size_t rows, int row_len,
                     nn_act act)
{
    nn_act_backward_x(din, dout, out, NULL, rows, row_len, act);
}

void nn_act_backward_x(float *din, const float *dout, const float *out, const float *in, size_t rows,
                       int row_len, nn_act act)
{
    size_t n = rows * (size_t)row_len;
    switch (act) {
    case NN_ACT_LINEAR:
        for (size_t i = 0; i < n; i++)
            din[i] += dout[i];
        break;
    case NN_ACT_RELU:
        for (size_t i = 0; i < n; i++)
            din[i] += out[i] > 0.0f ? dout[i] : 0.0f;
        break;
    case NN_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++)
            din[i] += dout[i] * out[i] * (1.0f - out[i]);
        break;
    case NN_ACT_RELU6:
        for (size_t i = 0; i < n; i++)
            din[i] += out[i] > 0.0f && out[i] < 6.0f ? dout[i] : 0.0f;
        break;
    case NN_ACT_SWISH: /* d/dz z s(z) = s + z s (1 - s) */
        for (size_t i = 0; i < n; i++) {
            float z = in[i], s = sigmoid(z);
            din[i] += dout[i] * (s + z * s * (1.0f - s));
        }
        break;
    case NN_ACT_COUNT:
        break;
    case NN_ACT_SOFTMAX:
        for (size_t r = 0; r < rows; r++) {
            const float *y = out + r * row_len, *dy = dout + r * row_len;
            float *dx = din + r * row_len;
            double dot = 0.0;
            for (int j = 0; j < row_len; j++)
                dot += (double)dy[j] * y[j];
            for (int j = 0; j < row_len; j++)
                dx[j] += y[j] * (dy[j] - (float)dot);
        }
        break;
    }
}
