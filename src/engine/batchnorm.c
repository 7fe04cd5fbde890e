/* BatchNormalization over the last axis (channels-last), training and inference.
 *
 * Per-channel sums run over rows = n*h*w values (165,888 for a batch of 32 at 72x72), so
 * they are accumulated in double: a float sum of that length would lose about four
 * digits. Channels are processed in tiles of BN_TILE with the accumulators on the stack
 * (no allocation); within a tile the inner loop runs over contiguous channels. */
#include <math.h>

#include "ops.h"

#define BN_TILE 128

void nn_bn_forward_train(float *out, float *xhat, float *mean, float *invstd,
                         float *moving_mean, float *moving_var, const float *in,
                         const float *gamma, const float *beta, const nn_bn_dims *d)
{
    const size_t rows = d->rows;
    const int c = d->c;
    /* TF's fused kernel: the moving variance gets var * rows / (rows - 1); 1 row: var. */
    const double unbias = rows > 1 ? (double)rows / (double)(rows - 1) : 1.0;
    double acc[BN_TILE];
    float m[BN_TILE], is[BN_TILE], sc[BN_TILE], sh[BN_TILE];

    for (int c0 = 0; c0 < c; c0 += BN_TILE) {
        const int nt = c - c0 < BN_TILE ? c - c0 : BN_TILE;
        /* mean */
        for (int j = 0; j < nt; j++)
            acc[j] = 0.0;
        for (size_t r = 0; r < rows; r++) {
            const float *x = in + r * c + c0;
            for (int j = 0; j < nt; j++)
                acc[j] += (double)x[j];
        }
        for (int j = 0; j < nt; j++)
            m[j] = (float)(acc[j] / (double)rows);
        /* biased variance, two-pass about the float mean the output uses */
        for (int j = 0; j < nt; j++)
            acc[j] = 0.0;
        for (size_t r = 0; r < rows; r++) {
            const float *x = in + r * c + c0;
            for (int j = 0; j < nt; j++) {
                const double t = (double)x[j] - (double)m[j];
                acc[j] += t * t;
            }
        }
        for (int j = 0; j < nt; j++) {
            const double var = acc[j] / (double)rows;
            is[j] = (float)(1.0 / sqrt(var + (double)d->eps));
            sc[j] = gamma ? gamma[c0 + j] : 1.0f;
            sh[j] = beta ? beta[c0 + j] : 0.0f;
            mean[c0 + j] = m[j];
            invstd[c0 + j] = is[j];
            if (moving_mean)
                moving_mean[c0 + j] =
                    moving_mean[c0 + j] * d->momentum + m[j] * (1.0f - d->momentum);
            if (moving_var)
                moving_var[c0 + j] = moving_var[c0 + j] * d->momentum +
                                     (float)(var * unbias) * (1.0f - d->momentum);
        }
        for (size_t r = 0; r < rows; r++) {
            const float *x = in + r * c + c0;
            float *xh = xhat + r * c + c0;
            float *y = out + r * c + c0;
            for (int j = 0; j < nt; j++) {
                const float t = (x[j] - m[j]) * is[j];
                xh[j] = t;
                y[j] = t * sc[j] + sh[j];
            }
        }
    }
}

/* din = gamma * invstd * (dout - mean(dout) - xhat * mean(dout * xhat)), per channel. */
void nn_bn_backward_train(float *din, float *dgamma, float *dbeta, const float *dout,
                          const float *xhat, const float *invstd, const float *gamma,
                          const nn_bn_dims *d)
{
    const size_t rows = d->rows;
    const int c = d->c;
    double sg[BN_TILE], sgx[BN_TILE];
    float a[BN_TILE], mg[BN_TILE], mgx[BN_TILE];

    if (!din && !dgamma && !dbeta)
        return;
    for (int c0 = 0; c0 < c; c0 += BN_TILE) {
        const int nt = c - c0 < BN_TILE ? c - c0 : BN_TILE;
        for (int j = 0; j < nt; j++)
            sg[j] = sgx[j] = 0.0;
        for (size_t r = 0; r < rows; r++) {
            const float *g = dout + r * c + c0;
            const float *xh = xhat + r * c + c0;
            for (int j = 0; j < nt; j++) {
                sg[j] += (double)g[j];
                sgx[j] += (double)g[j] * (double)xh[j];
            }
        }
        for (int j = 0; j < nt; j++) {
            if (dgamma)
                dgamma[c0 + j] += (float)sgx[j];
            if (dbeta)
                dbeta[c0 + j] += (float)sg[j];
            a[j] = (gamma ? gamma[c0 + j] : 1.0f) * invstd[c0 + j];
            mg[j] = (float)(sg[j] / (double)rows);
            mgx[j] = (float)(sgx[j] / (double)rows);
        }
        if (!din)
            continue;
        for (size_t r = 0; r < rows; r++) {
            const float *g = dout + r * c + c0;
            const float *xh = xhat + r * c + c0;
            float *dx = din + r * c + c0;
            for (int j = 0; j < nt; j++)
                dx[j] += a[j] * (g[j] - mg[j] - xh[j] * mgx[j]);
        }
    }
}

NN_MULTIVERSION void nn_bn_forward_infer(float *out, const float *in, const float *gamma, const float *beta,
                         const float *moving_mean, const float *moving_var,
                         const nn_bn_dims *d)
{
    const size_t rows = d->rows;
    const int c = d->c;
    float m[BN_TILE], sc[BN_TILE], sh[BN_TILE];

    for (int c0 = 0; c0 < c; c0 += BN_TILE) {
        const int nt = c - c0 < BN_TILE ? c - c0 : BN_TILE;
        for (int j = 0; j < nt; j++) {
            m[j] = moving_mean[c0 + j];
            sc[j] = (gamma ? gamma[c0 + j] : 1.0f) / sqrtf(moving_var[c0 + j] + d->eps);
            sh[j] = beta ? beta[c0 + j] : 0.0f;
        }
        for (size_t r = 0; r < rows; r++) {
            const float *x = in + r * c + c0;
            float *y = out + r * c + c0;
            if (x == y)   /* in place: one pointer, so no overlap check stops the vector loop */
                for (int j = 0; j < nt; j++)
                    y[j] = (y[j] - m[j]) * sc[j] + sh[j];
            else
                for (int j = 0; j < nt; j++)
                    y[j] = (x[j] - m[j]) * sc[j] + sh[j];
        }
    }
}

void nn_bn_backward_infer(float *din, float *dgamma, float *dbeta, const float *dout,
                          const float *in, const float *gamma, const float *moving_mean,
                          const float *moving_var, const nn_bn_dims *d)
{
    const size_t rows = d->rows;
    const int c = d->c;
    double sg[BN_TILE], sgx[BN_TILE];
    float m[BN_TILE], is[BN_TILE], a[BN_TILE];

    if (!din && !dgamma && !dbeta)
        return;
    for (int c0 = 0; c0 < c; c0 += BN_TILE) {
        const int nt = c - c0 < BN_TILE ? c - c0 : BN_TILE;
        for (int j = 0; j < nt; j++) {
            m[j] = moving_mean[c0 + j];
            is[j] = 1.0f / sqrtf(moving_var[c0 + j] + d->eps);
            a[j] = (gamma ? gamma[c0 + j] : 1.0f) * is[j];
        }
        if (din) {
            for (size_t r = 0; r < rows; r++) {
                const float *g = dout + r * c + c0;
                float *dx = din + r * c + c0;
                for (int j = 0; j < nt; j++)
                    dx[j] += g[j] * a[j];
            }
        }
        if (!dgamma && !dbeta)
            continue;
        for (int j = 0; j < nt; j++)
            sg[j] = sgx[j] = 0.0;
        for (size_t r = 0; r < rows; r++) {
            const float *g = dout + r * c + c0;
            const float *x = in + r * c + c0;
            for (int j = 0; j < nt; j++) {
                sg[j] += (double)g[j];
                sgx[j] += (double)g[j] * (double)((x[j] - m[j]) * is[j]);
            }
        }
        for (int j = 0; j < nt; j++) {
            if (dgamma)
                dgamma[c0 + j] += (float)sgx[j];
            if (dbeta)
                dbeta[c0 + j] += (float)sg[j];
        }
    }
}
