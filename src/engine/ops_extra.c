/* The arithmetic of the layers the keras.applications bases need beyond InceptionV3's:
 * ZeroPadding2D, DepthwiseConv2D, the broadcasting merges (Add, Multiply), ReLU with
 * max_value, GlobalMaxPooling2D, Rescaling and Normalization. Conventions as in ops.h:
 * channels-last, forward overwrites, backward adds. */
#include <math.h>
#include <string.h>

#include "ops.h"

/* ---- ZeroPadding2D ---- */

void nn_zeropad2d_forward(float *out, const float *in, const nn_pad_dims *d)
{
    const int oh = d->h + d->top + d->bottom, ow = d->w + d->left + d->right, c = d->c;
    const size_t orow = (size_t)ow * c, irow = (size_t)d->w * c;
    for (int b = 0; b < d->n; b++) {
        float *o = out + (size_t)b * oh * orow;
        const float *x = in + (size_t)b * d->h * irow;
        /* only the border is zeroed: the rows above and below, the strips either side */
        memset(o, 0, sizeof(float) * (size_t)d->top * orow);
        memset(o + (size_t)(d->top + d->h) * orow, 0, sizeof(float) * (size_t)d->bottom * orow);
        for (int y = 0; y < d->h; y++) {
            float *row = o + (size_t)(y + d->top) * orow;
            memset(row, 0, sizeof(float) * (size_t)d->left * c);
            memcpy(row + (size_t)d->left * c, x + (size_t)y * irow, sizeof(float) * irow);
            memset(row + (size_t)d->left * c + irow, 0, sizeof(float) * (size_t)d->right * c);
        }
    }
}

void nn_zeropad2d_backward(float *din, const float *dout, const nn_pad_dims *d)
{
    const int oh = d->h + d->top + d->bottom, ow = d->w + d->left + d->right, c = d->c;
    const size_t orow = (size_t)ow * c, irow = (size_t)d->w * c;
    for (int b = 0; b < d->n; b++) {
        const float *g = dout + (size_t)b * oh * orow;
        float *x = din + (size_t)b * d->h * irow;
        for (int y = 0; y < d->h; y++) {
            const float *src = g + (size_t)(y + d->top) * orow + (size_t)d->left * c;
            float *dst = x + (size_t)y * irow;
            for (size_t t = 0; t < irow; t++)
                dst[t] += src[t];
        }
    }
}

/* ---- DepthwiseConv2D ---- */

/* The window's rows and columns inside the image for output pixel (oy, ox). */
typedef struct {
    int y0, x0, i0, i1, j0, j1;
} dw_window;

static dw_window dw_win(const nn_conv_dims *d, int oy, int ox)
{
    dw_window w;
    w.y0 = oy * d->sh - d->pad_top;
    w.x0 = ox * d->sw - d->pad_left;
    w.i0 = w.y0 < 0 ? -w.y0 : 0;
    w.i1 = w.y0 + d->kh > d->h ? d->h - w.y0 : d->kh;
    w.j0 = w.x0 < 0 ? -w.x0 : 0;
    w.j1 = w.x0 + d->kw > d->w ? d->w - w.x0 : d->kw;
    return w;
}

#if defined(NN_HAVE_V16)
/* One output pixel of a depth multiplier 1 convolution: 16 channels at a time held in a
 * register over the window's taps, stored once. The sum runs as the scalar loop's does
 * (the bias, then the taps in row order), so the result is the same to the bit. */
static inline __attribute__((always_inline)) void dw_pixel_dm1(float *o, const float *x, const float *kernel,
                                                               const float *bias, const nn_conv_dims *d,
                                                               const dw_window *w)
{
    const int c = d->c;
    int c0 = 0;
    for (; c0 + NN_V16 <= c; c0 += NN_V16) {
        nn_v16f acc = {0};
        if (bias)
            memcpy(&acc, bias + c0, sizeof acc);
        for (int i = w->i0; i < w->i1; i++)
            for (int j = w->j0; j < w->j1; j++) {
                nn_v16f v, k;
                memcpy(&v, x + ((size_t)(w->y0 + i) * d->w + (w->x0 + j)) * c + c0, sizeof v);
                memcpy(&k, kernel + ((size_t)i * d->kw + j) * c + c0, sizeof k);
                acc += v * k;
            }
        memcpy(o + c0, &acc, sizeof acc);
    }
    for (; c0 < c; c0++) {
        float acc = bias ? bias[c0] : 0.0f;
        for (int i = w->i0; i < w->i1; i++)
            for (int j = w->j0; j < w->j1; j++)
                acc += x[((size_t)(w->y0 + i) * d->w + (w->x0 + j)) * c + c0] * kernel[((size_t)i * d->kw + j) * c + c0];
        o[c0] = acc;
    }
}
#endif

NN_MULTIVERSION void nn_depthwise_forward(float *out, const float *in, const float *kernel, const float *bias,
                          const nn_conv_dims *d)
{
    const int c = d->c, dm = d->filters, oc = c * dm;
    const size_t img = (size_t)d->h * d->w * c;
#if defined(NN_HAVE_V16)
    if (dm == 1) {
        for (int b = 0; b < d->n; b++)
            for (int oy = 0; oy < d->oh; oy++)
                for (int ox = 0; ox < d->ow; ox++) {
                    dw_window w = dw_win(d, oy, ox);
                    dw_pixel_dm1(out + (((size_t)b * d->oh + oy) * d->ow + ox) * oc, in + (size_t)b * img,
                                 kernel, bias, d, &w);
                }
        return;
    }
#endif
    for (int b = 0; b < d->n; b++) {
        const float *x = in + (size_t)b * img;
        for (int oy = 0; oy < d->oh; oy++)
            for (int ox = 0; ox < d->ow; ox++) {
                float *o = out + (((size_t)b * d->oh + oy) * d->ow + ox) * oc;
                for (int k = 0; k < oc; k++)
                    o[k] = bias ? bias[k] : 0.0f;
                dw_window w = dw_win(d, oy, ox);
                for (int i = w.i0; i < w.i1; i++)
                    for (int j = w.j0; j < w.j1; j++) {
                        const float *v = x + ((size_t)(w.y0 + i) * d->w + (w.x0 + j)) * c;
                        const float *kr = kernel + ((size_t)i * d->kw + j) * oc;
                        if (dm == 1) {
                            for (int ci = 0; ci < c; ci++)
                                o[ci] += v[ci] * kr[ci];
                        } else {
                            for (int ci = 0; ci < c; ci++)
                                for (int m = 0; m < dm; m++)
                                    o[ci * dm + m] += v[ci] * kr[ci * dm + m];
                        }
                    }
            }
    }
}

void nn_depthwise_backward(float *din, float *dkernel, float *dbias, const float *dout,
                           const float *in, const float *kernel, const nn_conv_dims *d)
{
    const int c = d->c, dm = d->filters, oc = c * dm;
    const size_t img = (size_t)d->h * d->w * c;
    for (int b = 0; b < d->n; b++) {
        const float *x = in + (size_t)b * img;
        float *dx = din ? din + (size_t)b * img : NULL;
        for (int oy = 0; oy < d->oh; oy++)
            for (int ox = 0; ox < d->ow; ox++) {
                const float *g = dout + (((size_t)b * d->oh + oy) * d->ow + ox) * oc;
                if (dbias)
                    for (int k = 0; k < oc; k++)
                        dbias[k] += g[k];
                dw_window w = dw_win(d, oy, ox);
                for (int i = w.i0; i < w.i1; i++)
                    for (int j = w.j0; j < w.j1; j++) {
                        size_t at = ((size_t)(w.y0 + i) * d->w + (w.x0 + j)) * c;
                        size_t kat = ((size_t)i * d->kw + j) * oc;
                        for (int ci = 0; ci < c; ci++)
                            for (int m = 0; m < dm; m++) {
                                int k = ci * dm + m;
                                if (dkernel)
                                    dkernel[kat + k] += x[at + ci] * g[k];
                                if (dx)
                                    dx[at + ci] += kernel[kat + k] * g[k];
                            }
                    }
            }
    }
}

/* ---- Add, Multiply with broadcasting ---- */

/* Element strides of input i for each output axis (0 where the input is broadcast). */
static void merge_strides(long *st, const int *dims, int rank)
{
    long s = 1;
    for (int k = rank - 1; k >= 0; k--) {
        st[k] = dims[k] == 1 ? 0 : s;
        s *= dims[k];
    }
}

/* Offsets into each input of output element e (row-major over out_dims). */
static void merge_offsets(long *off, long e, const long *st, int n_in, const int *out_dims, int rank)
{
    for (int i = 0; i < n_in; i++)
        off[i] = 0;
    for (int k = rank - 1; k >= 0; k--) {
        long idx = e % out_dims[k];
        e /= out_dims[k];
        for (int i = 0; i < n_in; i++)
            off[i] += idx * st[i * rank + k];
    }
}

#define MERGE_MAX_IN 64
#define MERGE_MAX_RANK 8

static long merge_total(const int *out_dims, int rank)
{
    long t = 1;
    for (int k = 0; k < rank; k++)
        t *= out_dims[k];
    return t;
}

static bool same_dims(const int *a, const int *b, int rank)
{
    for (int k = 0; k < rank; k++)
        if (a[k] != b[k])
            return false;
    return true;
}

void nn_merge_forward(float *out, const float *const *ins, const int *in_dims, int n_in,
                      const int *out_dims, int rank, nn_merge_op op)
{
    long st[MERGE_MAX_IN * MERGE_MAX_RANK], off[MERGE_MAX_IN] = {0};
    const long total = merge_total(out_dims, rank);
    bool plain = true;
    for (int i = 0; i < n_in; i++) {
        merge_strides(st + i * rank, in_dims + i * rank, rank);
        plain &= same_dims(in_dims + i * rank, out_dims, rank);
    }
    if (plain) { /* no broadcasting: one flat loop per input */
        memcpy(out, ins[0], sizeof(float) * (size_t)total);
        for (int i = 1; i < n_in; i++)
            for (long e = 0; e < total; e++)
                out[e] = op == NN_MERGE_ADD ? out[e] + ins[i][e] : out[e] * ins[i][e];
        return;
    }
    /* row by row over the last axis: offsets once per row, then stride 0 or 1 */
    const int last = out_dims[rank - 1];
    for (long row = 0; row < total / last; row++) {
        merge_offsets(off, row * last, st, n_in, out_dims, rank);
        float *o = out + row * last;
        const long s0 = st[rank - 1];
        for (int k = 0; k < last; k++)
            o[k] = ins[0][off[0] + s0 * k];
        for (int i = 1; i < n_in; i++) {
            const float *x = ins[i] + off[i];
            const long si = st[i * rank + rank - 1];
            if (op == NN_MERGE_ADD)
                for (int k = 0; k < last; k++)
                    o[k] += x[si * k];
            else
                for (int k = 0; k < last; k++)
                    o[k] *= x[si * k];
        }
    }
}

void nn_merge_backward(float *const *dins, const float *dout, const float *const *ins,
                       const int *in_dims, int n_in, const int *out_dims, int rank, nn_merge_op op)
{
    long st[MERGE_MAX_IN * MERGE_MAX_RANK], off[MERGE_MAX_IN] = {0};
    const long total = merge_total(out_dims, rank);
    for (int i = 0; i < n_in; i++)
        merge_strides(st + i * rank, in_dims + i * rank, rank);
    const int last = out_dims[rank - 1];
    for (long row = 0; row < total / last; row++) {
        merge_offsets(off, row * last, st, n_in, out_dims, rank);
        const float *g = dout + row * last;
        for (int i = 0; i < n_in; i++) {
            if (!dins[i])
                continue;
            float *d = dins[i] + off[i];
            const long si = st[i * rank + rank - 1];
            if (op == NN_MERGE_ADD || n_in == 1) {
                for (int k = 0; k < last; k++)
                    d[si * k] += g[k];
                continue;
            }
            for (int k = 0; k < last; k++) {
                float v = g[k];
                for (int j = 0; j < n_in; j++)
                    if (j != i)
                        v *= ins[j][off[j] + st[j * rank + rank - 1] * k];
                d[si * k] += v;
            }
        }
    }
}

/* ---- ReLU(max_value) ---- */

/* A NaN passes through (as TensorFlow's relu). Separate loops for the cap and for in
 * place (where GCC's run-time overlap check would send the loop to its scalar form), so
 * that each vectorises. */
NN_MULTIVERSION void nn_relu_max_forward(float *out, const float *in, size_t n, float max_value)
{
    const float cap = isfinite(max_value) ? max_value : INFINITY;
    if (out == in)
        for (size_t i = 0; i < n; i++) {
            float v = out[i] < 0.0f ? 0.0f : out[i];
            out[i] = v > cap ? cap : v;
        }
    else
        for (size_t i = 0; i < n; i++) {
            float v = in[i] < 0.0f ? 0.0f : in[i];
            out[i] = v > cap ? cap : v;
        }
}

void nn_relu_max_backward(float *din, const float *dout, const float *out, size_t n, float max_value)
{
    bool cap = isfinite(max_value);
    for (size_t i = 0; i < n; i++)
        din[i] += out[i] > 0.0f && (!cap || out[i] < max_value) ? dout[i] : 0.0f;
}

/* ---- GlobalMaxPooling2D ---- */

void nn_gmp2d_forward(float *out, int32_t *argmax, const float *in, int n, int hw, int c)
{
    for (int b = 0; b < n; b++) {
        const float *x = in + (size_t)b * hw * c;
        float *o = out + (size_t)b * c;
        int32_t *a = argmax + (size_t)b * c;
        for (int ci = 0; ci < c; ci++) {
            o[ci] = x[ci];
            a[ci] = ci;
        }
        for (int p = 1; p < hw; p++)
            for (int ci = 0; ci < c; ci++)
                if (x[(size_t)p * c + ci] > o[ci]) {
                    o[ci] = x[(size_t)p * c + ci];
                    a[ci] = (int32_t)((size_t)p * c + ci);
                }
    }
}

void nn_gmp2d_backward(float *din, const float *dout, const int32_t *argmax, int n, int hw, int c)
{
    /* argmax indexes one example's (hw, c) map */
    for (int b = 0; b < n; b++) {
        const int32_t *a = argmax + (size_t)b * c;
        const float *g = dout + (size_t)b * c;
        float *x = din + (size_t)b * hw * c;
        for (int ci = 0; ci < c; ci++)
            x[a[ci]] += g[ci];
    }
}

/* ---- Rescaling and Normalization ---- */

void nn_affine_forward(float *out, const float *in, const float *scale, const float *offset, size_t rows, int c)
{
    for (size_t r = 0; r < rows; r++)
        for (int ci = 0; ci < c; ci++)
            out[r * c + ci] = in[r * c + ci] * scale[ci] + offset[ci];
}

void nn_affine_backward(float *din, const float *dout, const float *scale, size_t rows, int c)
{
    for (size_t r = 0; r < rows; r++)
        for (int ci = 0; ci < c; ci++)
            din[r * c + ci] += dout[r * c + ci] * scale[ci];
}

void nn_norm_den(float *den, const float *variance, int c)
{
    for (int ci = 0; ci < c; ci++) {
        float s = sqrtf(variance[ci]);
        den[ci] = s > 1e-7f ? s : 1e-7f;
    }
}

void nn_norm_forward(float *out, const float *in, const float *mean, const float *den, size_t rows, int c)
{
    for (size_t r = 0; r < rows; r++)
        for (int ci = 0; ci < c; ci++)
            out[r * c + ci] = (in[r * c + ci] - mean[ci]) / den[ci];
}

void nn_norm_backward(float *din, const float *dout, const float *den, size_t rows, int c)
{
    for (size_t r = 0; r < rows; r++)
        for (int ci = 0; ci < c; ci++)
            din[r * c + ci] += dout[r * c + ci] / den[ci];
}
