/* Measuring a lesson's expectations: the quantities of ls_expect (loss, dropped units,
 * weight change, ...) read from the model as the last step left it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session/session_internal.h"

int ls_keep_sources(ls_session *s)
{
    nn_model *m = s->model;
    if (!s->before && !(s->before = calloc((size_t)m->n_layers, sizeof *s->before)))
        return -1;
    for (int i = 0; i < m->n_layers; i++) {
        const nn_layer *d = m->layers[i];
        if (d->type != NN_DROPOUT)
            continue;
        const nn_layer *src = m->layers[d->inputs[0]];
        if (src->type != NN_DENSE || !src->train_active)
            continue;
        size_t k = 0;
        for (int p = 0; p < src->n_params; p++)
            k += src->params[p].size;
        if (!s->before[src->index] && !(s->before[src->index] = malloc(k * sizeof(float))))
            return -1;
        float *dst = s->before[src->index];
        for (int p = 0; p < src->n_params; p++) {
            memcpy(dst, src->params[p].data, src->params[p].size * sizeof(float));
            dst += src->params[p].size;
        }
    }
    return 0;
}

static const nn_layer *dropout_layer(ls_session *s, const char *name)
{
    int i = ls_find_layer(s, name);
    if (i < 0)
        return NULL;
    const nn_layer *l = s->model->layers[i];
    if (l->type != NN_DROPOUT) {
        ls_fail(s, "layer '%s' is a %s, not a Dropout layer", name, nn_layer_type_name(l->type));
        return NULL;
    }
    return l;
}

/* The largest change, in the last step, of a weight into a unit the Dropout l dropped
 * for every example of the batch (kernel column and bias): 0 is what Keras promises. */
static int dropped_unit_change(ls_session *s, const nn_layer *l, int n, double *v)
{
    const nn_model *m = s->model;
    const nn_layer *src = m->layers[l->inputs[0]];
    const float *b = s->before ? s->before[src->index] : NULL;
    if (src->type != NN_DENSE || !b || !l->mask_valid)
        return ls_fail(s, "'dropped unit change of %s' needs a training step of a trainable Dense layer feeding it", l->name);
    int units = (int)l->out_size, in_dim = src->params[0].shape.d[0];
    const float *k = src->params[0].data, *bias = src->n_params > 1 ? src->params[1].data : NULL;
    double mx = 0;
    int found = 0;
    for (int u = 0; u < units; u++) {
        bool all = true;
        for (int i = 0; i < n && all; i++)
            all = !l->mask[(size_t)i * units + u];
        if (!all)
            continue;
        found++;
        for (int r = 0; r < in_dim; r++)
            mx = fmax(mx, fabs((double)k[(size_t)r * units + u] - b[(size_t)r * units + u]));
        if (bias)
            mx = fmax(mx, fabs((double)bias[u] - b[(size_t)in_dim * units + u]));
    }
    if (!found)
        return ls_fail(s, "no unit of '%s' was dropped for every example of the batch (try batch_size 1)", l->name);
    *v = mx;
    return 0;
}

/* The scale a kept unit is multiplied by, as the layer defines it (a ratio estimated
 * from float32 data would read 1.000033 at rate 0): Dropout and SpatialDropoutND
 * 1/(1-rate) in double, as Keras computes it from a Python float (rate 0.9 gives
 * 10.000000000000002); GaussianDropout 1, its noise's mean; AlphaDropout Keras's a
 * (kept units become a*x + b); 1 when the last forward drew no mask. */
static double kept_scale(const nn_layer *l)
{
    double rate = l->cfg.rate;
    if (!l->mask_valid)
        return 1.0;
    switch (l->cfg.drop_kind) {
    case NN_DROP_GAUSSIAN:
        return 1.0;
    case NN_DROP_ALPHA:
        return rate > 0.0 && rate < 1.0 ? nn_alpha_dropout_consts(rate).a : 1.0;
    default:
        return 1.0 / (1.0 - rate);
    }
}

/* Over the (example, channel) pairs of the last forward's mask (channels: the last
 * axis), the fraction wholly dropped (LS_Q_DROPPED_CHANNELS) or partly dropped
 * (LS_Q_MIXED_CHANNELS); 0 when no mask was drawn. */
static double channel_fraction(const nn_layer *l, ls_quantity q, int n)
{
    if (!l->mask_valid)
        return 0.0;
    size_t ch = (size_t)l->out_shape.d[l->out_shape.rank - 1], pos = l->out_size / ch;
    size_t hits = 0;
    for (size_t e = 0; e < (size_t)n; e++)
        for (size_t c = 0; c < ch; c++) {
            size_t kept = 0;
            for (size_t p = 0; p < pos; p++)
                kept += l->mask[(e * pos + p) * ch + c];
            hits += q == LS_Q_DROPPED_CHANNELS ? kept == 0 : kept > 0 && kept < pos;
        }
    return (double)hits / ((double)n * (double)ch);
}

/* What the Dropout l did to its input in the last forward: whether it drew a mask, the
 * scale of kept units, the ratio of mean output to mean input, or the largest gradient
 * that reached its input at a dropped unit (the "dead gradient", 0 when correct). */
static double dropout_quantity(const nn_model *m, const nn_layer *l, ls_quantity q, int n)
{
    const nn_layer *src = m->layers[l->inputs[0]];
    size_t total = (size_t)n * l->out_size;
    if (q == LS_Q_MASK_ACTIVE)
        return l->mask_valid ? 1.0 : 0.0;
    if (q == LS_Q_KEPT_SCALE)
        return kept_scale(l);
    if (q == LS_Q_MEAN_RATIO) {
        double so = 0, si = 0;
        for (size_t i = 0; i < total; i++) {
            so += l->out[i];
            si += src->out[i];
        }
        return si != 0 ? so / si : NAN;
    }
    double mx = 0;
    if (l->mask_valid && src->dout)
        for (size_t i = 0; i < total; i++)
            if (!l->mask[i] && fabs(src->dout[i]) > mx)
                mx = fabs(src->dout[i]);
    return mx;
}

int ls_measure(ls_session *s, const ls_expect *e, double *v)
{
    nn_model *m = s->model;
    nn_param_counts c;
    int li;
    const nn_layer *l;
    int n = s->last_n > 0 ? s->last_n : 1;
    switch (e->q) {
    case LS_Q_LOSS:
        *v = s->last_loss;
        return 0;
    case LS_Q_ACCURACY:
        *v = s->last_acc;
        return 0;
    case LS_Q_VAL_LOSS:
    case LS_Q_VAL_ACCURACY:
        if ((!s->have_val || s->val_at != m->iterations) && ls_session_validate(s, NULL, NULL) < 0)
            return -1;
        *v = e->q == LS_Q_VAL_LOSS ? s->val_loss : s->val_acc;
        return 0;
    case LS_Q_DROPPED:
        if (!(l = dropout_layer(s, e->layer)))
            return -1;
        *v = l->mask_valid ? (double)l->dropped / ((double)n * l->out_size) : 0.0;
        return 0;
    case LS_Q_WEIGHT_CHANGE:
    case LS_Q_LAST_CHANGE: {
        int first, count;
        if (ls_find_layers(s, e->layer, &first, &count) < 0)
            return -1;
        *v = nn_model_change(m, first, count, e->q == LS_Q_WEIGHT_CHANGE ? s->change_since_mark : NULL);
        return 0;
    }
    case LS_Q_PARAMS_TOTAL:
    case LS_Q_PARAMS_TRAINABLE:
    case LS_Q_PARAMS_NON_TRAINABLE:
        c = nn_model_count_params(m);
        *v = (double)(e->q == LS_Q_PARAMS_TOTAL ? c.total : e->q == LS_Q_PARAMS_TRAINABLE ? c.trainable : c.non_trainable);
        return 0;
    case LS_Q_LAYER_PARAMS: {
        int first, count;
        if (ls_find_layers(s, e->layer, &first, &count) < 0)
            return -1;
        *v = 0;
        for (li = first; li < first + count; li++)
            *v += (double)nn_layer_param_count(m->layers[li]);
        return 0;
    }
    case LS_Q_LR:
        *v = m->opt.lr;
        return 0;
    case LS_Q_STEPS:
        *v = (double)m->iterations;
        return 0;
    case LS_Q_LOSS_DROPOUT_ON:
    case LS_Q_LOSS_DROPOUT_OFF:
    case LS_Q_LOSS_DROPOUT_GAP: {
        double on, off;
        if (ls_session_batch_losses(s, &on, &off) < 0)
            return -1;
        *v = e->q == LS_Q_LOSS_DROPOUT_ON ? on : e->q == LS_Q_LOSS_DROPOUT_OFF ? off : on - off;
        return 0;
    }
    case LS_Q_MC_SPREAD:
    case LS_Q_MC_MAX_SPREAD:
    case LS_Q_MC_GAP:
        return ls_mc_measure(s, e->q, v);
    case LS_Q_KEEP_FREQ:
    case LS_Q_KEEP_FREQ_LOW:
    case LS_Q_KEEP_FREQ_HIGH:
    case LS_Q_MASKS_SEEN:
    case LS_Q_DISTINCT_MASKS:
    case LS_Q_REPEATED_MASKS:
        return ls_keep_measure(s, e, v);
    case LS_Q_TWIN1_TRAIN_LOSS:
    case LS_Q_TWIN1_VAL_LOSS:
    case LS_Q_TWIN1_VAL_ACC:
    case LS_Q_TWIN1_GAP:
    case LS_Q_TWIN2_TRAIN_LOSS:
    case LS_Q_TWIN2_VAL_LOSS:
    case LS_Q_TWIN2_VAL_ACC:
    case LS_Q_TWIN2_GAP:
    case LS_Q_TWIN_GAP_DIFF:
    case LS_Q_TWIN_VAL_LOSS_DIFF:
    case LS_Q_TWIN_TRAIN_LOSS_DIFF:
    case LS_Q_TWIN_VAL_ACC_DIFF:
        return ls_twin_measure(s, e->q, v);
    case LS_Q_MEAN_ABS_ACT: {
        if ((li = ls_find_layer(s, e->layer)) < 0)
            return -1;
        if (li < s->cache.layer)
            return ls_fail(s, "'%s' lies inside the frozen base dropscope runs once per image: measure the base's last layer or a layer after it", e->layer);
        const nn_layer *L = m->layers[li];
        size_t k = (size_t)n * L->out_size;
        double sum = 0;
        for (size_t i = 0; i < k; i++)
            sum += fabs(L->out[i]);
        *v = k ? sum / (double)k : 0.0;
        return 0;
    }
    case LS_Q_BN_MEAN:
    case LS_Q_BN_VAR:
    case LS_Q_BN_MEAN_CHANGE:
    case LS_Q_BN_VAR_CHANGE:
        return ls_bn_measure(s, e, v);
    case LS_Q_STEPS_IN_STEP:
        *v = (double)(m->iterations - s->steps_at_mark);
        return 0;
    case LS_Q_DROPPED_UNIT_CHANGE:
        if (!(l = dropout_layer(s, e->layer)))
            return -1;
        return dropped_unit_change(s, l, n, v);
    case LS_Q_MASK_ACTIVE:
    case LS_Q_KEPT_SCALE:
    case LS_Q_MEAN_RATIO:
    case LS_Q_DEAD_GRAD:
        if (!(l = dropout_layer(s, e->layer)))
            return -1;
        *v = dropout_quantity(m, l, e->q, n);
        return 0;
    case LS_Q_DROPPED_CHANNELS:
    case LS_Q_MIXED_CHANNELS:
        if (!(l = dropout_layer(s, e->layer)))
            return -1;
        *v = channel_fraction(l, e->q, n);
        return 0;
    }
    return ls_fail(s, "unknown quantity %d", (int)e->q);
}

bool ls_session_expect(ls_session *s, const ls_expect *e, double *measured, char *desc, size_t desclen)
{
    double v = NAN;
    bool ok = ls_measure(s, e, &v) == 0 && ls_expect_holds(e, v);
    if (measured)
        *measured = v;
    if (desc) {
        if (isnan(v) && s->err[0])
            snprintf(desc, desclen, "%s: %s", e->text ? e->text : "expectation", s->err);
        else
            snprintf(desc, desclen, "%s (measured %.10g)", e->text ? e->text : "expectation", v);
    }
    return ok;
}
