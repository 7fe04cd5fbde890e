/* The dropout family as model layers (NN_DROPOUT with its nn_dropout_kind): the shape
 * check when added, the forward in training and inference, and the backward. The
 * arithmetic is in dropout.c; this file decides which of it runs and with what mask.
 * Keras 2 sources followed: keras/layers/core/dropout.py (Dropout, _get_noise_shape),
 * keras/layers/core/spatial_dropout.py (SpatialDropout1D/2D/3D, channels_last noise
 * shapes), keras/layers/noise.py (GaussianDropout, AlphaDropout). */
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* The noise shape of SpatialDropoutND on a rank-N+1 example: None, 1 ... 1, None. */
static int spatial_noise(nn_model *m, nn_layer *l, nn_shape in, int spatial_rank)
{
    char sb[64];
    if (in.rank != spatial_rank + 1)
        return nn_model_fail(m, "layer '%s' (%s) needs a %d-axis input (%s, channels), got %s", l->name,
                             nn_layer_class_name(&l->cfg), spatial_rank + 1,
                             spatial_rank == 1 ? "steps" : spatial_rank == 2 ? "height, width" : "depth, height, width",
                             nn_shape_str(in, true, sb, sizeof sb));
    l->cfg.noise_rank = in.rank + 1;
    l->cfg.noise_shape[0] = 0;
    for (int k = 1; k < in.rank; k++)
        l->cfg.noise_shape[k] = 1;
    l->cfg.noise_shape[in.rank] = 0;
    return 0;
}

int nn_dropout_layer_infer(nn_model *m, nn_layer *l, nn_shape in)
{
    nn_layer_cfg *c = &l->cfg;
    const char *cls = nn_layer_class_name(c);
    if (!(c->rate >= 0.0 && c->rate <= 1.0))
        return nn_model_fail(m, "layer '%s' (%s): rate must be in [0, 1], got %g", l->name, cls, c->rate);
    if ((unsigned)c->drop_kind >= NN_DROP_KIND_COUNT)
        return nn_model_fail(m, "layer '%s': unknown kind of dropout %d", l->name, (int)c->drop_kind);
    l->out_shape = in;
    if (c->drop_kind >= NN_DROP_SPATIAL1D && c->drop_kind <= NN_DROP_SPATIAL3D)
        return spatial_noise(m, l, in, (int)(c->drop_kind - NN_DROP_SPATIAL1D) + 1);
    if (c->noise_rank == 0)
        return 0;
    if (c->drop_kind == NN_DROP_GAUSSIAN)
        return nn_model_fail(m, "layer '%s' (GaussianDropout) takes no noise_shape", l->name);
    char sb[64];
    if (c->noise_rank != in.rank + 1)
        return nn_model_fail(m, "layer '%s' (%s): noise_shape has %d axes but its input %s has %d with the batch axis",
                             l->name, cls, c->noise_rank, nn_shape_str(in, true, sb, sizeof sb), in.rank + 1);
    if (c->noise_shape[0] > 1)
        return nn_model_fail(m, "layer '%s' (%s): noise_shape's batch axis must be None or 1, got %d", l->name, cls,
                             c->noise_shape[0]);
    for (int k = 1; k < c->noise_rank; k++) {
        int v = c->noise_shape[k], d = in.d[k - 1];
        if (v != 0 && v != 1 && v != d)
            return nn_model_fail(m, "layer '%s' (%s): noise_shape axis %d is %d, but the input %s has %d there (give None, 1 or %d)",
                                 l->name, cls, k, v, nn_shape_str(in, true, sb, sizeof sb), d, d);
    }
    return 0;
}

/* Draws the 0/1 mask of a Dropout, SpatialDropoutND or AlphaDropout for n examples;
 * returns the number of dropped elements. */
static size_t draw_mask(nn_model *m, nn_layer *l, int n)
{
    size_t total = (size_t)n * l->out_size;
    const nn_layer_cfg *c = &l->cfg;
    if (c->noise_rank == 0)
        return nn_dropout_draw(l->mask, total, c->rate, &m->dropout_rng);
    int dims[NN_MAX_RANK + 1], noise[NN_MAX_RANK + 1];
    dims[0] = n;
    for (int k = 1; k < c->noise_rank; k++)
        dims[k] = l->out_shape.d[k - 1];
    for (int k = 0; k < c->noise_rank; k++)
        noise[k] = c->noise_shape[k] == 0 ? dims[k] : c->noise_shape[k];
    return nn_dropout_draw_shaped(l->mask, dims, noise, c->noise_rank, c->rate, &m->dropout_rng);
}

int nn_dropout_layer_forward(nn_model *m, nn_layer *l, const float *in, int n, bool training)
{
    size_t total = (size_t)n * l->out_size;
    double rate = l->cfg.rate;
    nn_dropout_kind kind = l->cfg.drop_kind;
    l->mask_valid = false;
    if (!training) {
        memcpy(l->out, in, total * sizeof(float));
        return 0;
    }
    /* Dropout and SpatialDropoutND refuse rate 1; Keras's GaussianDropout and
     * AlphaDropout apply noise only when 0 < rate < 1 and pass the input through else */
    bool noisy = kind == NN_DROP_GAUSSIAN || kind == NN_DROP_ALPHA;
    if (rate >= 1.0 && !noisy)
        return nn_model_fail(m, "layer '%s' (%s): rate 1 drops every unit; training cannot run (as in Keras)", l->name,
                             nn_layer_class_name(&l->cfg));
    l->dropped = 0;
    if (l->mask_override && kind != NN_DROP_GAUSSIAN) {
        memcpy(l->mask, l->mask_override, total);
        for (size_t i = 0; i < total; i++)
            l->dropped += !l->mask[i];
    } else if (rate == 0.0 || rate >= 1.0 || kind == NN_DROP_GAUSSIAN) {
        memset(l->mask, 1, total); /* Keras returns its input unchanged at rate 0 */
    } else {
        l->dropped = draw_mask(m, l, n);
    }
    if (kind == NN_DROP_GAUSSIAN) {
        if (rate > 0.0 && rate < 1.0)
            nn_gaussian_noise_draw(l->noise, total, rate, &m->dropout_rng);
        else
            for (size_t i = 0; i < total; i++)
                l->noise[i] = 1.0f;
        nn_gaussian_dropout_forward(l->out, in, l->noise, total);
    } else if (kind == NN_DROP_ALPHA) {
        if (rate > 0.0 && rate < 1.0)
            nn_alpha_dropout_forward(l->out, in, l->mask, total, rate);
        else
            memcpy(l->out, in, total * sizeof(float));
    } else {
        nn_dropout_forward(l->out, in, l->mask, total, rate);
    }
    l->mask_valid = true;
    return 0;
}

void nn_dropout_layer_backward(const nn_layer *l, float *din, const float *dy, int n)
{
    size_t total = (size_t)n * l->out_size;
    double rate = l->cfg.rate;
    bool identity = !l->mask_valid || ((l->cfg.drop_kind == NN_DROP_GAUSSIAN || l->cfg.drop_kind == NN_DROP_ALPHA) &&
                                       !(rate > 0.0 && rate < 1.0));
    if (identity) {
        for (size_t i = 0; i < total; i++)
            din[i] += dy[i];
    } else if (l->cfg.drop_kind == NN_DROP_GAUSSIAN) {
        nn_gaussian_dropout_backward(din, dy, l->noise, total);
    } else if (l->cfg.drop_kind == NN_DROP_ALPHA) {
        nn_alpha_dropout_backward(din, dy, l->mask, total, rate);
    } else {
        nn_dropout_backward(din, dy, l->mask, total, rate);
    }
}
