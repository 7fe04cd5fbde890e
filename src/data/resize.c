/* Bilinear image resizing, matching TensorFlow 2's tf.image.resize (half-pixel centres). */
#include <math.h>
#include <stdlib.h>

#include "dataset.h"
#include "util.h"

typedef struct {
    int lo, hi;
    float t;        /* weight of hi */
} tap;

/* TensorFlow's compute_interpolation_weights with the half-pixel scaler. */
static void taps(tap *tp, int out, int in)
{
    float scale = (float)in / (float)out;
    for (int i = 0; i < out; i++) {
        float src = ((float)i + 0.5f) * scale - 0.5f;
        float f = floorf(src);
        int lo = (int)f, hi = (int)ceilf(src);
        tp[i].lo = lo < 0 ? 0 : lo;
        tp[i].hi = hi > in - 1 ? in - 1 : (hi < 0 ? 0 : hi);
        if (tp[i].lo > in - 1)
            tp[i].lo = in - 1;
        tp[i].t = src - f;
    }
}

int ds_resize_bilinear(const float *in, int n, int h, int w, int c, float *out, int oh, int ow,
                       int oc, char *err, size_t errlen)
{
    if (n < 0 || h < 1 || w < 1 || c < 1 || oh < 1 || ow < 1 || !(oc == c || (c == 1 && oc == 3)))
        return ds_seterr(err, errlen, "cannot resize (%d, %d, %d) images to (%d, %d, %d)", h, w,
                         c, oh, ow, oc);
    tap *ty = malloc((size_t)oh * sizeof *ty), *tx = malloc((size_t)ow * sizeof *tx);
    if (!ty || !tx) {
        free(ty);
        free(tx);
        return ds_seterr(err, errlen, "out of memory resizing to (%d, %d)", oh, ow);
    }
    taps(ty, oh, h);
    taps(tx, ow, w);
    size_t isz = (size_t)h * w * c, osz = (size_t)oh * ow * oc;
    for (int e = 0; e < n; e++) {
        const float *im = in + (size_t)e * isz;
        float *om = out + (size_t)e * osz;
        for (int y = 0; y < oh; y++) {
            const float *r0 = im + (size_t)ty[y].lo * w * c;
            const float *r1 = im + (size_t)ty[y].hi * w * c;
            float ly = ty[y].t;
            for (int x = 0; x < ow; x++) {
                size_t a = (size_t)tx[x].lo * c, b = (size_t)tx[x].hi * c;
                float lx = tx[x].t;
                float *o = om + ((size_t)y * ow + x) * oc;
                for (int ch = 0; ch < c; ch++) {
                    float top = r0[a + ch] + (r0[b + ch] - r0[a + ch]) * lx;
                    float bot = r1[a + ch] + (r1[b + ch] - r1[a + ch]) * lx;
                    o[ch] = top + (bot - top) * ly;
                }
                for (int ch = c; ch < oc; ch++)
                    o[ch] = o[0];
            }
        }
    }
    free(ty);
    free(tx);
    return 0;
}
