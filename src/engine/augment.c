/* Keras's random image augmentations: drawing each example's affine map and warping an
 * image by it. Sources followed: Keras 2's keras/layers/preprocessing/image_preprocessing.py
 * (RandomFlip, RandomRotation, RandomZoom, RandomTranslation, get_*_matrix, transform) and
 * TF's ImageProjectiveTransformV3 kernel (tensorflow/core/kernels/image/image_ops.h:
 * MapCoordinate per fill mode, nearest and bilinear reads, read_with_fill_value), so that
 * a point maps where Keras maps it: the matrix takes each OUTPUT pixel to the input point
 * it reads. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "augment.h"
#include "trace.h"

static const char *fill_names[NN_FILL_COUNT] = {"reflect", "wrap", "constant", "nearest"};
static const char *interp_names[NN_INTERP_COUNT] = {"bilinear", "nearest"};

const char *nn_fill_mode_name(nn_fill_mode f) { return (unsigned)f < NN_FILL_COUNT ? fill_names[f] : "?"; }
const char *nn_interp_name(nn_interp i) { return (unsigned)i < NN_INTERP_COUNT ? interp_names[i] : "?"; }

int nn_fill_mode_parse(const char *s)
{
    for (int i = 0; i < NN_FILL_COUNT; i++)
        if (!strcmp(s, fill_names[i]))
            return i;
    return -1;
}

int nn_interp_parse(const char *s)
{
    for (int i = 0; i < NN_INTERP_COUNT; i++)
        if (!strcmp(s, interp_names[i]))
            return i;
    return -1;
}

static void set_t(float t[8], float a0, float a1, float a2, float b0, float b1, float b2)
{
    t[0] = a0, t[1] = a1, t[2] = a2, t[3] = b0, t[4] = b1, t[5] = b2, t[6] = t[7] = 0.0f;
}

void nn_augment_matrix(nn_augment_draw *d, nn_augment_kind kind, int h, int w)
{
    float W = (float)(w - 1), H = (float)(h - 1);
    switch (kind) {
    case NN_AUG_FLIP: /* reading x from w - 1 - x is Keras's reverse along the axis */
        set_t(d->t, (d->flip & NN_FLIP_HORIZONTAL) ? -1.0f : 1.0f, 0.0f, (d->flip & NN_FLIP_HORIZONTAL) ? W : 0.0f,
              0.0f, (d->flip & NN_FLIP_VERTICAL) ? -1.0f : 1.0f, (d->flip & NN_FLIP_VERTICAL) ? H : 0.0f);
        break;
    case NN_AUG_ROTATION: { /* about the image's centre ((w - 1) / 2, (h - 1) / 2) */
        float c = cosf(d->angle), s = sinf(d->angle);
        set_t(d->t, c, -s, (W - (c * W - s * H)) / 2.0f, s, c, (H - (s * W + c * H)) / 2.0f);
        break;
    }
    case NN_AUG_ZOOM:
        set_t(d->t, d->zoom_x, 0.0f, W / 2.0f * (1.0f - d->zoom_x), 0.0f, d->zoom_y, H / 2.0f * (1.0f - d->zoom_y));
        break;
    default: /* translation: output (x, y) reads input (x - dx, y - dy) */
        set_t(d->t, 1.0f, 0.0f, -d->dx, 0.0f, 1.0f, -d->dy);
        break;
    }
}

static float uniform_in(nn_rng *rng, float lo, float hi)
{
    return lo + (hi - lo) * nn_rng_uniform(rng);
}

void nn_augment_draw_one(nn_augment_draw *d, const nn_layer_cfg *c, int h, int w, nn_rng *rng)
{
    memset(d, 0, sizeof *d);
    d->zoom_x = d->zoom_y = 1.0f;
    switch (c->aug_kind) {
    case NN_AUG_FLIP: /* tf.image.random_flip_left_right: flip where U[0,1) < 0.5; then up-down */
        if ((c->aug_flip & NN_FLIP_HORIZONTAL) && nn_rng_uniform(rng) < 0.5f)
            d->flip |= NN_FLIP_HORIZONTAL;
        if ((c->aug_flip & NN_FLIP_VERTICAL) && nn_rng_uniform(rng) < 0.5f)
            d->flip |= NN_FLIP_VERTICAL;
        break;
    case NN_AUG_ROTATION:
        d->angle = uniform_in(rng, c->aug_lo[0], c->aug_hi[0]) * 2.0f * (float)M_PI;
        break;
    case NN_AUG_ZOOM:
        d->zoom_y = 1.0f + uniform_in(rng, c->aug_lo[0], c->aug_hi[0]);
        d->zoom_x = c->aug_width_same ? d->zoom_y : 1.0f + uniform_in(rng, c->aug_lo[1], c->aug_hi[1]);
        break;
    default:
        d->dy = uniform_in(rng, c->aug_lo[0], c->aug_hi[0]) * (float)h;
        d->dx = uniform_in(rng, c->aug_lo[1], c->aug_hi[1]) * (float)w;
        break;
    }
    nn_augment_matrix(d, c->aug_kind, h, w);
}

/* TF's MapCoordinate: the casts to an integer truncate toward zero as its DenseIndex
 * casts do; every mode but constant ends clamped to [0, len - 1]. */
float nn_warp_map_coord(float v, int len, nn_fill_mode f)
{
    float last = (float)(len - 1);
    if (f == NN_FILL_CONSTANT)
        return v;
    if (f == NN_FILL_REFLECT && len > 1) { /* [abcd] -> [dcba|abcd|dcba] */
        float sz2 = 2.0f * (float)len;
        if (v < 0.0f) {
            v = sz2 * (float)(long)(-v / sz2) + v;
            v = v < -(float)len ? v + sz2 : -v - 1.0f;
        } else if (v > last) {
            v -= sz2 * (float)(long)(v / sz2);
            if (v >= (float)len)
                v = sz2 - v - 1.0f;
        }
    } else if (f == NN_FILL_WRAP && len > 1) { /* [abcd] -> [abcd|abcd|abcd] */
        float sz = last;
        if (v < 0.0f)
            v += (float)len * (float)((long)(-v / sz) + 1);
        else if (v > last)
            v -= (float)len * (float)(long)(v / sz);
    } else if (len <= 1 && f != NN_FILL_NEAREST) {
        v = 0.0f;
    }
    return v < 0.0f ? 0.0f : v > last ? last : v;
}

/* The up to four input pixels (index y * w + x, or -1 for fill_value) output pixel
 * (ox, oy) reads, and their weights; returns how many. */
static int warp_taps(const float t[8], const nn_warp_dims *g, int ox, int oy, int idx[4], float wt[4])
{
    float x = (float)ox, y = (float)oy;
    float k = t[6] * x + t[7] * y + 1.0f;
    if (k == 0.0f) {
        idx[0] = -1, wt[0] = 1.0f;
        return 1;
    }
    float ix = nn_warp_map_coord((t[0] * x + t[1] * y + t[2]) / k, g->w, g->fill);
    float iy = nn_warp_map_coord((t[3] * x + t[4] * y + t[5]) / k, g->h, g->fill);
    if (g->interp == NN_INTERP_NEAREST) { /* std::round: halves away from zero */
        long rx = (long)roundf(ix), ry = (long)roundf(iy);
        idx[0] = (rx >= 0 && rx < g->w && ry >= 0 && ry < g->h) ? (int)(ry * g->w + rx) : -1;
        wt[0] = 1.0f;
        return 1;
    }
    float fx = floorf(ix), fy = floorf(iy);
    float cx = fx + 1.0f, cy = fy + 1.0f;
    const float xs[2] = {fx, cx}, ys[2] = {fy, cy};
    const float wx[2] = {cx - ix, ix - fx}, wy[2] = {cy - iy, iy - fy};
    for (int j = 0; j < 2; j++)
        for (int i = 0; i < 2; i++) {
            long px = (long)xs[i], py = (long)ys[j];
            idx[j * 2 + i] = (px >= 0 && px < g->w && py >= 0 && py < g->h) ? (int)(py * g->w + px) : -1;
            wt[j * 2 + i] = wy[j] * wx[i];
        }
    return 4;
}

void nn_warp_forward(float *out, const float *in, const float t[8], const nn_warp_dims *g)
{
    int idx[4];
    float wt[4];
    for (int oy = 0; oy < g->h; oy++)
        for (int ox = 0; ox < g->w; ox++) {
            int nt = warp_taps(t, g, ox, oy, idx, wt);
            float *o = out + ((size_t)oy * g->w + ox) * g->c;
            for (int ch = 0; ch < g->c; ch++) {
                float v = 0.0f;
                for (int k = 0; k < nt; k++)
                    v += wt[k] * (idx[k] >= 0 ? in[(size_t)idx[k] * g->c + ch] : g->fill_value);
                o[ch] = v;
            }
        }
}

void nn_warp_backward(float *din, const float *dout, const float t[8], const nn_warp_dims *g)
{
    int idx[4];
    float wt[4];
    for (int oy = 0; oy < g->h; oy++)
        for (int ox = 0; ox < g->w; ox++) {
            int nt = warp_taps(t, g, ox, oy, idx, wt);
            const float *d = dout + ((size_t)oy * g->w + ox) * g->c;
            for (int k = 0; k < nt; k++) {
                if (idx[k] < 0 || wt[k] == 0.0f)
                    continue;
                float *di = din + (size_t)idx[k] * g->c;
                for (int ch = 0; ch < g->c; ch++)
                    di[ch] += wt[k] * d[ch];
            }
        }
}

void nn_augment_describe(const nn_augment_draw *d, int kind, char *buf, size_t n)
{
    switch (kind) {
    case NN_AUG_FLIP:
        snprintf(buf, n, "%s", d->flip == (NN_FLIP_HORIZONTAL | NN_FLIP_VERTICAL) ? "flipped both ways"
                               : d->flip == NN_FLIP_HORIZONTAL                   ? "flipped left-right"
                               : d->flip == NN_FLIP_VERTICAL                     ? "flipped up-down"
                                                                                 : "not flipped");
        break;
    case NN_AUG_ROTATION: {
        double deg = d->angle * 180.0 / M_PI;
        snprintf(buf, n, "rotated %.0f\xc2\xb0 %s", fabs(deg), deg >= 0 ? "anticlockwise" : "clockwise");
        break;
    }
    case NN_AUG_ZOOM:
        if (d->zoom_x == d->zoom_y)
            snprintf(buf, n, "zoomed %s x%.2f", d->zoom_x > 1.0f ? "out" : "in", (double)d->zoom_x);
        else
            snprintf(buf, n, "zoomed x%.2f wide, x%.2f high", (double)d->zoom_x, (double)d->zoom_y);
        break;
    default:
        snprintf(buf, n, "shifted %.1f px %s, %.1f px %s", fabs(d->dx), d->dx >= 0 ? "right" : "left", fabs(d->dy),
                 d->dy >= 0 ? "down" : "up");
        break;
    }
}
