/* Dense: y = x W + b, W (in, units) as Keras stores it. Products go through CBLAS. */
#include <cblas.h>

#include "ops.h"

void nn_dense_forward(float *out, const float *in, const float *kernel, const float *bias,
                      int n, int in_dim, int units)
{
    if (bias) {
        for (int i = 0; i < n; i++)
            for (int j = 0; j < units; j++)
                out[(size_t)i * units + j] = bias[j];
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, units, in_dim, 1.0f, in, in_dim,
                kernel, units, bias ? 1.0f : 0.0f, out, units);
}

void nn_dense_backward(float *din, float *dkernel, float *dbias, const float *dout,
                       const float *in, const float *kernel, int n, int in_dim, int units)
{
    if (dkernel) /* dW += x^T dy */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, in_dim, units, n, 1.0f, in, in_dim,
                    dout, units, 1.0f, dkernel, units);
    if (dbias) {
        for (int i = 0; i < n; i++) {
            const float *row = dout + (size_t)i * units;
            for (int j = 0; j < units; j++)
                dbias[j] += row[j];
        }
    }
    if (din) /* dx += dy W^T */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, in_dim, units, 1.0f, dout, units,
                    kernel, units, 1.0f, din, in_dim);
}
