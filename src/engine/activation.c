/* Activations. Backward reads the forward output, so no pre-activation copy is kept. */
#include <math.h>

#include "ops.h"

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
        for (size_t i = 0; i < n; i++) {
            float z = in[i];
            /* stable in both tails */
            if (z >= 0.0f) {
                out[i] = 1.0f / (1.0f + expf(-z));
            } else {
                float e = expf(z);
                out[i] = e / (1.0f + e);
            }
        }
        break;
    case NN_ACT_RELU6:
        for (size_t i = 0; i < n; i++)
            out[i] = in[i] < 0.0f ? 0.0f : in[i] > 6.0f ? 6.0f : in[i];
        break;
    case NN_ACT_SWISH:
        for (size_t i = 0; i < n; i++) {
            float z = in[i];
            float s = z >= 0.0f ? 1.0f / (1.0f + expf(-z)) : expf(z) / (1.0f + expf(z));
            out[i] = z * s;
        }
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
            float z = in[i];
            float s = z >= 0.0f ? 1.0f / (1.0f + expf(-z)) : expf(z) / (1.0f + expf(z));
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
