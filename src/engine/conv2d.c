/* Conv2D forward/backward: im2col + SGEMM, channels-last, Keras/TensorFlow padding.
 *
 * Layout: one im2col row per output pixel, K = kh*kw*c columns in (ki, kj, ci) order,
 * which is exactly the row order of the Keras kernel (kh, kw, c, filters) read as a
 * K x filters matrix. So out (pixels x filters) = col (pixels x K) * kernel (K x filters).
 * Channels-last makes each kernel row's window one contiguous run of kw*c floats, so
 * im2col and col2im are memcpy-sized loops.
 *
 * Scratch: im2col of `chunk` images at a time, chunk chosen so the block stays under
 * CONV_SCRATCH_CAP floats (at least one image). A 1x1 stride-1 convolution (no padding)
 * reads the input directly and needs no scratch. */
#include <cblas.h>
#include <string.h>

#include "ops.h"

/* 4M floats = 16 MiB: a few images' worth for the InceptionV3 stem, many for small maps. */
#define CONV_SCRATCH_CAP ((size_t)1 << 22)

/* TensorFlow's output size and leading pad for one spatial axis. */
static bool axis_dims(int in, int k, int s, nn_padding pad, int *out, int *pad_before)
{
    if (in <= 0 || k <= 0 || s <= 0)
        return false;
    if (pad == NN_PAD_SAME) {
        int o = (in + s - 1) / s;
        int total = (o - 1) * s + k - in;
        if (total < 0)
            total = 0;
        *out = o;
        *pad_before = total / 2;
    } else {
        if (in < k) {
            *out = 0;
            *pad_before = 0;
            return false;
        }
        *out = (in - k) / s + 1;
        *pad_before = 0;
    }
    return *out > 0;
}

bool nn_conv_dims_init(nn_conv_dims *d)
{
    d->oh = d->ow = d->pad_top = d->pad_left = 0;
    if (d->n <= 0 || d->c <= 0 || d->filters <= 0)
        return false;
    bool okh = axis_dims(d->h, d->kh, d->sh, d->padding, &d->oh, &d->pad_top);
    bool okw = axis_dims(d->w, d->kw, d->sw, d->padding, &d->ow, &d->pad_left);
    return okh && okw;
}

/* 1x1, stride 1, no padding: the input already is the im2col matrix. */
static bool conv_is_pointwise(const nn_conv_dims *d)
{
    return d->kh == 1 && d->kw == 1 && d->sh == 1 && d->sw == 1 && d->pad_top == 0 &&
           d->pad_left == 0 && d->oh == d->h && d->ow == d->w;
}

static size_t conv_col_floats(const nn_conv_dims *d)
{
    return (size_t)d->oh * d->ow * d->kh * d->kw * d->c;
}

/* Images per im2col block. */
static int conv_chunk(const nn_conv_dims *d)
{
    size_t per = conv_col_floats(d);
    size_t k = per ? CONV_SCRATCH_CAP / per : (size_t)d->n;
    if (k < 1)
        k = 1;
    if (k > (size_t)d->n)
        k = (size_t)d->n;
    return (int)k;
}

size_t nn_conv2d_scratch_floats(const nn_conv_dims *d)
{
    if (conv_is_pointwise(d))
        return 0;
    return (size_t)conv_chunk(d) * conv_col_floats(d);
}

/* im2col of nb images starting at `in` into col (nb*oh*ow rows of K). */
static void im2col(float *col, const float *in, int nb, const nn_conv_dims *d)
{
    const int h = d->h, w = d->w, c = d->c, kh = d->kh, kw = d->kw;
    const size_t K = (size_t)kh * kw * c;
    const size_t img = (size_t)h * w * c;
    float *row = col;
    for (int b = 0; b < nb; b++) {
        const float *x = in + (size_t)b * img;
        for (int oy = 0; oy < d->oh; oy++) {
            const int y0 = oy * d->sh - d->pad_top;
            for (int ox = 0; ox < d->ow; ox++, row += K) {
                const int x0 = ox * d->sw - d->pad_left;
                /* columns of the window inside the image: [j0, j1) */
                const int j0 = x0 < 0 ? -x0 : 0;
                const int j1 = x0 + kw > w ? w - x0 : kw;
                float *dst = row;
                for (int i = 0; i < kh; i++, dst += (size_t)kw * c) {
                    const int y = y0 + i;
                    if (y < 0 || y >= h || j1 <= j0) {
                        memset(dst, 0, sizeof(float) * (size_t)kw * c);
                        continue;
                    }
                    if (j0 > 0)
                        memset(dst, 0, sizeof(float) * (size_t)j0 * c);
                    memcpy(dst + (size_t)j0 * c, x + ((size_t)y * w + (x0 + j0)) * c,
                           sizeof(float) * (size_t)(j1 - j0) * c);
                    if (j1 < kw)
                        memset(dst + (size_t)j1 * c, 0, sizeof(float) * (size_t)(kw - j1) * c);
                }
            }
        }
    }
}

/* Adds the columns of dcol back onto din (the adjoint of im2col). */
static void col2im_add(float *din, const float *dcol, int nb, const nn_conv_dims *d)
{
    const int h = d->h, w = d->w, c = d->c, kh = d->kh, kw = d->kw;
    const size_t K = (size_t)kh * kw * c;
    const size_t img = (size_t)h * w * c;
    const float *row = dcol;
    for (int b = 0; b < nb; b++) {
        float *x = din + (size_t)b * img;
        for (int oy = 0; oy < d->oh; oy++) {
            const int y0 = oy * d->sh - d->pad_top;
            for (int ox = 0; ox < d->ow; ox++, row += K) {
                const int x0 = ox * d->sw - d->pad_left;
                const int j0 = x0 < 0 ? -x0 : 0;
                const int j1 = x0 + kw > w ? w - x0 : kw;
                if (j1 <= j0)
                    continue;
                const size_t run = (size_t)(j1 - j0) * c;
                for (int i = 0; i < kh; i++) {
                    const int y = y0 + i;
                    if (y < 0 || y >= h)
                        continue;
                    const float *src = row + ((size_t)i * kw + j0) * c;
                    float *dst = x + ((size_t)y * w + (x0 + j0)) * c;
                    for (size_t t = 0; t < run; t++)
                        dst[t] += src[t];
                }
            }
        }
    }
}

static void add_bias(float *out, const float *bias, size_t rows, int f)
{
    for (size_t r = 0; r < rows; r++) {
        float *o = out + r * f;
        for (int j = 0; j < f; j++)
            o[j] += bias[j];
    }
}

#define BIAS_TILE 128

static void bias_grad_add(float *dbias, const float *dout, size_t rows, int f)
{
    double acc[BIAS_TILE];
    for (int j0 = 0; j0 < f; j0 += BIAS_TILE) {
        const int nt = f - j0 < BIAS_TILE ? f - j0 : BIAS_TILE;
        for (int j = 0; j < nt; j++)
            acc[j] = 0.0;
        for (size_t r = 0; r < rows; r++) {
            const float *g = dout + r * f + j0;
            for (int j = 0; j < nt; j++)
                acc[j] += (double)g[j];
        }
        for (int j = 0; j < nt; j++)
            dbias[j0 + j] += (float)acc[j];
    }
}

void nn_conv2d_forward(float *out, const float *in, const float *kernel, const float *bias,
                       const nn_conv_dims *d, float *scratch)
{
    const int F = d->filters;
    const int K = d->kh * d->kw * d->c;
    const size_t P = (size_t)d->oh * d->ow;
    if (conv_is_pointwise(d)) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)((size_t)d->n * P), F, K,
                    1.0f, in, K, kernel, F, 0.0f, out, F);
    } else {
        const int chunk = conv_chunk(d);
        const size_t img = (size_t)d->h * d->w * d->c;
        for (int b = 0; b < d->n; b += chunk) {
            const int nb = d->n - b < chunk ? d->n - b : chunk;
            im2col(scratch, in + (size_t)b * img, nb, d);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)((size_t)nb * P), F, K,
                        1.0f, scratch, K, kernel, F, 0.0f, out + (size_t)b * P * F, F);
        }
    }
    if (bias)
        add_bias(out, bias, (size_t)d->n * P, F);
}

void nn_conv2d_backward(float *din, float *dkernel, float *dbias, const float *dout,
                        const float *in, const float *kernel, const nn_conv_dims *d,
                        float *scratch)
{
    const int F = d->filters;
    const int K = d->kh * d->kw * d->c;
    const size_t P = (size_t)d->oh * d->ow;

    if (dbias) /* sums over n*oh*ow rows: accumulated in double, filters in tiles */
        bias_grad_add(dbias, dout, (size_t)d->n * P, F);
    if (!din && !dkernel)
        return;

    if (conv_is_pointwise(d)) {
        const int M = (int)((size_t)d->n * P);
        if (dkernel) /* dW (K x F) += in^T (K x M) * dout (M x F) */
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, F, M, 1.0f, in, K, dout, F,
                        1.0f, dkernel, F);
        if (din) /* din (M x K) += dout (M x F) * W^T (F x K) */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, K, F, 1.0f, dout, F, kernel,
                        F, 1.0f, din, K);
        return;
    }

    const int chunk = conv_chunk(d);
    const size_t img = (size_t)d->h * d->w * d->c;
    for (int b = 0; b < d->n; b += chunk) {
        const int nb = d->n - b < chunk ? d->n - b : chunk;
        const int M = (int)((size_t)nb * P);
        const float *g = dout + (size_t)b * P * F;
        if (dkernel) {
            im2col(scratch, in + (size_t)b * img, nb, d);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, F, M, 1.0f, scratch, K, g, F,
                        1.0f, dkernel, F);
        }
        if (din) {
            /* the same scratch now holds dcol = dout * W^T */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, K, F, 1.0f, g, F, kernel, F,
                        0.0f, scratch, K);
            col2im_add(din + (size_t)b * img, scratch, nb, d);
        }
    }
}
