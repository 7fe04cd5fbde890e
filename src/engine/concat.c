/* Concatenate along the last axis: each output row is the inputs' rows side by side,
 * in input order (Keras's Concatenate(axis=-1)). */
#include <string.h>

#include "ops.h"

static int concat_width(const int *chans, int n_in)
{
    int total = 0;
    for (int i = 0; i < n_in; i++)
        total += chans[i];
    return total;
}

void nn_concat_forward(float *out, const float *const *ins, const int *chans, int n_in,
                       size_t rows)
{
    const size_t width = (size_t)concat_width(chans, n_in);
    size_t off = 0;
    for (int i = 0; i < n_in; i++) {
        const size_t ci = (size_t)chans[i];
        const float *x = ins[i];
        for (size_t r = 0; r < rows; r++)
            memcpy(out + r * width + off, x + r * ci, sizeof(float) * ci);
        off += ci;
    }
}

void nn_concat_backward(float *const *dins, const float *dout, const int *chans, int n_in,
                        size_t rows)
{
    if (!dins)
        return;
    const size_t width = (size_t)concat_width(chans, n_in);
    size_t off = 0;
    for (int i = 0; i < n_in; i++) {
        const size_t ci = (size_t)chans[i];
        float *dx = dins[i];
        if (dx) {
            for (size_t r = 0; r < rows; r++) {
                const float *g = dout + r * width + off;
                float *d = dx + r * ci;
                for (size_t j = 0; j < ci; j++)
                    d[j] += g[j];
            }
        }
        off += ci;
    }
}
