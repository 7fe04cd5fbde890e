/* The random augmentation layers as model layers (NN_AUGMENT with its nn_augment_kind):
 * the checks when added, the forward (one draw per example in training, the identity in
 * inference: Keras runs them only when training is true, exactly like Dropout) and the
 * backward (the transpose of each example's warp). The arithmetic is in augment.c. */
#include <stdlib.h>
#include <string.h>

#include "augment.h"
#include "internal.h"

static const char *kind_factor(nn_augment_kind k, int axis)
{
    if (k == NN_AUG_ROTATION)
        return "factor";
    return axis == 0 ? "height_factor" : "width_factor";
}

/* Keras's checks on a factor range: lower <= upper; zoom factors above -1 (a zoom of
 * 1 + factor must stay positive); translation factors within [-1, 1]. */
static int check_range(nn_model *m, const nn_layer *l, int axis)
{
    const nn_layer_cfg *c = &l->cfg;
    float lo = c->aug_lo[axis], hi = c->aug_hi[axis];
    const char *cls = nn_layer_class_name(c), *arg = kind_factor(c->aug_kind, axis);
    if (!(lo <= hi))
        return nn_model_fail(m, "layer '%s' (%s): %s's lower bound %g is above its upper bound %g", l->name, cls, arg, lo, hi);
    if (c->aug_kind == NN_AUG_ZOOM && !(lo > -1.0f))
        return nn_model_fail(m, "layer '%s' (%s): %s must be above -1 (a zoom of 1 + %g), got %g", l->name, cls, arg, lo, lo);
    if (c->aug_kind == NN_AUG_TRANSLATION && !(lo >= -1.0f && hi <= 1.0f))
        return nn_model_fail(m, "layer '%s' (%s): %s must be within [-1, 1] (a fraction of the image), got (%g, %g)",
                             l->name, cls, arg, lo, hi);
    return 0;
}

int nn_augment_layer_infer(nn_model *m, nn_layer *l, nn_shape in)
{
    const nn_layer_cfg *c = &l->cfg;
    char sb[64];
    if ((unsigned)c->aug_kind >= NN_AUG_KIND_COUNT)
        return nn_model_fail(m, "layer '%s': unknown kind of augmentation %d", l->name, (int)c->aug_kind);
    const char *cls = nn_layer_class_name(c);
    if (in.rank != 3)
        return nn_model_fail(m, "layer '%s' (%s) needs a (height, width, channels) image input but '%s' outputs %s", l->name,
                             cls, m->layers[l->inputs[0]]->name, nn_shape_str(in, true, sb, sizeof sb));
    if ((unsigned)c->fill_mode >= NN_FILL_COUNT || (unsigned)c->interp >= NN_INTERP_COUNT)
        return nn_model_fail(m, "layer '%s' (%s): unknown fill_mode or interpolation", l->name, cls);
    if (c->aug_kind == NN_AUG_FLIP && (c->aug_flip & ~(NN_FLIP_HORIZONTAL | NN_FLIP_VERTICAL) || !c->aug_flip))
        return nn_model_fail(m, "layer '%s' (RandomFlip): mode must be 'horizontal', 'vertical' or 'horizontal_and_vertical'", l->name);
    if (c->aug_kind != NN_AUG_FLIP && check_range(m, l, 0) < 0)
        return -1;
    if ((c->aug_kind == NN_AUG_TRANSLATION || (c->aug_kind == NN_AUG_ZOOM && !c->aug_width_same)) && check_range(m, l, 1) < 0)
        return -1;
    l->out_shape = in;
    return 0;
}

size_t nn_augment_layer_bytes(const nn_layer *l, int n)
{
    (void)l;
    return (size_t)n * sizeof(nn_augment_draw);
}

int nn_augment_layer_alloc(nn_model *m, nn_layer *l, int n)
{
    free(l->aug);
    if (!(l->aug = calloc((size_t)n, sizeof(nn_augment_draw))))
        return nn_model_fail(m, "out of memory for layer '%s' draws", l->name);
    return 0;
}

static nn_warp_dims warp_dims(const nn_layer *l)
{
    nn_warp_dims g = {l->out_shape.d[0], l->out_shape.d[1], l->out_shape.d[2], l->cfg.fill_mode, l->cfg.interp,
                      l->cfg.fill_value};
    return g;
}

int nn_augment_layer_forward(nn_model *m, nn_layer *l, const float *in, int n, bool training)
{
    size_t per = l->out_size;
    l->mask_valid = false;
    if (!training) {
        memcpy(l->out, in, (size_t)n * per * sizeof(float));
        return 0;
    }
    nn_warp_dims g = warp_dims(l);
    for (int i = 0; i < n; i++) {
        nn_augment_draw_one(&l->aug[i], &l->cfg, g.h, g.w, &m->augment_rng);
        nn_warp_forward(l->out + i * per, in + i * per, l->aug[i].t, &g);
    }
    l->mask_valid = true;
    return 0;
}

void nn_augment_layer_backward(const nn_layer *l, float *din, const float *dy, int n)
{
    size_t per = l->out_size;
    if (!l->mask_valid) {
        for (size_t i = 0; i < (size_t)n * per; i++)
            din[i] += dy[i];
        return;
    }
    nn_warp_dims g = warp_dims(l);
    for (int i = 0; i < n; i++)
        nn_warp_backward(din + i * per, dy + i * per, l->aug[i].t, &g);
}
