/* MaxPooling2D, AveragePooling2D and GlobalAveragePooling2D, channels-last.
 *
 * Windows are clipped to the image: 'same' padding never contributes a value. Max
 * pooling then takes the maximum over real pixels only (TensorFlow pads with -inf), and
 * ties go to the first maximum in row-major window order, as TensorFlow's MaxPoolGrad
 * does. Average pooling divides by the number of real pixels in the window.
 * The innermost loops run over channels, which are contiguous, so they vectorise. */
#include "ops.h"

static bool pool_axis(int in, int k, int s, nn_padding pad, int *out, int *pad_before)
{
    *out = *pad_before = 0;
    if (in <= 0 || k <= 0 || s <= 0)
        return false;
    if (pad == NN_PAD_SAME) {
        int o = (in + s - 1) / s;
        int total = (o - 1) * s + k - in;
        *out = o;
        *pad_before = total > 0 ? total / 2 : 0;
    } else {
        if (in < k)
            return false;
        *out = (in - k) / s + 1;
    }
    return *out > 0;
}

bool nn_pool_dims_init(nn_pool_dims *d)
{
    if (d->n <= 0 || d->c <= 0) {
        d->oh = d->ow = d->pad_top = d->pad_left = 0;
        return false;
    }
    bool okh = pool_axis(d->h, d->ph, d->sh, d->padding, &d->oh, &d->pad_top);
    bool okw = pool_axis(d->w, d->pw, d->sw, d->padding, &d->ow, &d->pad_left);
    return okh && okw;
}

/* The window of output (oy, ox) clipped to the image: rows [y0, y1), cols [x0, x1). */
typedef struct {
    int y0, y1, x0, x1;
} pool_win;

static pool_win pool_window(const nn_pool_dims *d, int oy, int ox)
{
    pool_win r;
    r.y0 = oy * d->sh - d->pad_top;
    r.x0 = ox * d->sw - d->pad_left;
    r.y1 = r.y0 + d->ph;
    r.x1 = r.x0 + d->pw;
    if (r.y0 < 0)
        r.y0 = 0;
    if (r.x0 < 0)
        r.x0 = 0;
    if (r.y1 > d->h)
        r.y1 = d->h;
    if (r.x1 > d->w)
        r.x1 = d->w;
    return r;
}

/* The comparison is written as two selects rather than a branch, so that the channel loop
 * vectorises (the same result: a NaN never wins, ties keep the first pixel). */
NN_MULTIVERSION void nn_maxpool2d_forward(float *out, int32_t *argmax, const float *in, const nn_pool_dims *d)
{
    const int c = d->c;
    const size_t img = (size_t)d->h * d->w * c;
    size_t o = 0;
    for (int b = 0; b < d->n; b++) {
        const size_t base = (size_t)b * img;
        for (int oy = 0; oy < d->oh; oy++) {
            for (int ox = 0; ox < d->ow; ox++, o += (size_t)c) {
                pool_win win = pool_window(d, oy, ox);
                float *mo = out + o;
                int32_t *ma = argmax + o;
                /* 'same' windows always hold at least one real pixel */
                const size_t p0 = base + ((size_t)win.y0 * d->w + win.x0) * c;
                for (int ci = 0; ci < c; ci++) {
                    mo[ci] = in[p0 + ci];
                    ma[ci] = (int32_t)(p0 + ci);
                }
                for (int y = win.y0; y < win.y1; y++) {
                    for (int x = win.x0; x < win.x1; x++) {
                        const size_t p = base + ((size_t)y * d->w + x) * c;
                        const float *v = in + p;
                        for (int ci = 0; ci < c; ci++) {
                            const bool up = v[ci] > mo[ci];
                            ma[ci] = up ? (int32_t)(p + ci) : ma[ci];
                            mo[ci] = up ? v[ci] : mo[ci];
                        }
                    }
                }
            }
        }
    }
}

void nn_maxpool2d_backward(float *din, const float *dout, const int32_t *argmax,
                           const nn_pool_dims *d)
{
    if (!din)
        return;
    const size_t total = (size_t)d->n * d->oh * d->ow * d->c;
    for (size_t i = 0; i < total; i++)
        din[argmax[i]] += dout[i];
}

void nn_avgpool2d_forward(float *out, const float *in, const nn_pool_dims *d)
{
    const int c = d->c;
    const size_t img = (size_t)d->h * d->w * c;
    size_t o = 0;
    for (int b = 0; b < d->n; b++) {
        const float *x = in + (size_t)b * img;
        for (int oy = 0; oy < d->oh; oy++) {
            for (int ox = 0; ox < d->ow; ox++, o += (size_t)c) {
                pool_win win = pool_window(d, oy, ox);
                float *mo = out + o;
                for (int ci = 0; ci < c; ci++)
                    mo[ci] = 0.0f;
                for (int y = win.y0; y < win.y1; y++) {
                    for (int xx = win.x0; xx < win.x1; xx++) {
                        const float *v = x + ((size_t)y * d->w + xx) * c;
                        for (int ci = 0; ci < c; ci++)
                            mo[ci] += v[ci];
                    }
                }
                const float cnt = (float)((win.y1 - win.y0) * (win.x1 - win.x0));
                for (int ci = 0; ci < c; ci++)
                    mo[ci] /= cnt;
            }
        }
    }
}

void nn_avgpool2d_backward(float *din, const float *dout, const nn_pool_dims *d)
{
    if (!din)
        return;
    const int c = d->c;
    const size_t img = (size_t)d->h * d->w * c;
    size_t o = 0;
    for (int b = 0; b < d->n; b++) {
        float *x = din + (size_t)b * img;
        for (int oy = 0; oy < d->oh; oy++) {
            for (int ox = 0; ox < d->ow; ox++, o += (size_t)c) {
                pool_win win = pool_window(d, oy, ox);
                const float cnt = (float)((win.y1 - win.y0) * (win.x1 - win.x0));
                const float *g = dout + o;
                for (int y = win.y0; y < win.y1; y++) {
                    for (int xx = win.x0; xx < win.x1; xx++) {
                        float *v = x + ((size_t)y * d->w + xx) * c;
                        for (int ci = 0; ci < c; ci++)
                            v[ci] += g[ci] / cnt;
                    }
                }
            }
        }
    }
}

void nn_gap2d_forward(float *out, const float *in, int n, int hw, int c)
{
    for (int b = 0; b < n; b++) {
        float *o = out + (size_t)b * c;
        const float *x = in + (size_t)b * hw * c;
        for (int ci = 0; ci < c; ci++)
            o[ci] = 0.0f;
        for (int p = 0; p < hw; p++) {
            const float *v = x + (size_t)p * c;
            for (int ci = 0; ci < c; ci++)
                o[ci] += v[ci];
        }
        for (int ci = 0; ci < c; ci++)
            o[ci] /= (float)hw;
    }
}

void nn_gap2d_backward(float *din, const float *dout, int n, int hw, int c)
{
    if (!din)
        return;
    for (int b = 0; b < n; b++) {
        const float *g = dout + (size_t)b * c;
        float *x = din + (size_t)b * hw * c;
        for (int p = 0; p < hw; p++) {
            float *v = x + (size_t)p * c;
            for (int ci = 0; ci < c; ci++)
                v[ci] += g[ci] / (float)hw;
        }
    }
}
