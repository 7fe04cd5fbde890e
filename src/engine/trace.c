/* Snapshots of a step: deep copies the window and the recorder read. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

void nn_trace_destroy(nn_trace *t)
{
    if (!t)
        return;
    for (int i = 0; i < t->n_dropout; i++) {
        free(t->dropout[i].mask);
        free(t->dropout[i].act);
        free(t->dropout[i].noise);
        free(t->dropout[i].unit_grad);
    }
    free(t->dropout);
    free(t->layers);
    free(t->images);
    free(t->labels);
    free(t->probs);
    free(t->pred);
    free(t->indices);
    free(t->mc_mean);
    free(t->mc_spread);
    free(t->mc_inference);
    for (int i = 0; t->augment && i < t->n_augment; i++)
        free(t->augment[i].draws);
    free(t->augment);
    free(t->aug_images);
    free(t);
}

static void *dup(const void *p, size_t n)
{
    if (!p || n == 0)
        return NULL;
    void *q = malloc(n);
    if (q)
        memcpy(q, p, n);
    return q;
}

/* Norms over the weights dw_norm covers (statistics excluded): ||w|| and, when the layer
 * trains, ||dL/dw|| of the last backward. */
static void weight_norms(const nn_layer *l, nn_trace_layer *tl)
{
    tl->w_norm = tl->grad_norm = NAN;
    if (!l->train_active || l->n_params == 0)
        return;
    double ww = 0, gg = 0;
    bool grads = false;
    for (int p = 0; p < l->n_params; p++) {
        const nn_param *pr = &l->params[p];
        if (pr->is_stat)
            continue;
        for (size_t i = 0; i < pr->size; i++)
            ww += (double)pr->data[i] * pr->data[i];
        if (!pr->grad)
            continue;
        grads = true;
        for (size_t i = 0; i < pr->size; i++)
            gg += (double)pr->grad[i] * pr->grad[i];
    }
    tl->w_norm = sqrt(ww);
    tl->grad_norm = grads && l->needs_grad ? sqrt(gg) : NAN;
}

static const nn_param *param_named(const nn_layer *l, const char *name)
{
    for (int p = 0; p < l->n_params; p++)
        if (!strcmp(l->params[p].name, name))
            return &l->params[p];
    return NULL;
}

static float channel_mean(const nn_param *p)
{
    if (!p || p->size == 0)
        return NAN;
    double s = 0;
    for (size_t i = 0; i < p->size; i++)
        s += p->data[i];
    return (float)(s / (double)p->size);
}

static void bn_stats(const nn_layer *l, nn_trace_layer *tl)
{
    tl->bn_mean = tl->bn_var = NAN;
    if (l->type != NN_BATCHNORM)
        return;
    tl->bn_mean = channel_mean(param_named(l, "moving_mean"));
    tl->bn_var = channel_mean(param_named(l, "moving_variance"));
    tl->bn_batch_stats = l->bn_used_batch_stats;
}

/* Per unit of a trainable Dense src (kernel (in, units) row-major, then bias): the
 * largest |dL/dw| of the last backward over the unit's incoming weights. */
static float *dense_unit_grad(const nn_layer *src)
{
    if (src->type != NN_DENSE || !src->train_active || !src->needs_grad || src->n_params < 1 ||
        !src->params[0].grad || src->params[0].shape.rank != 2)
        return NULL;
    int in_dim = src->params[0].shape.d[0], units = src->params[0].shape.d[1];
    if ((size_t)units != src->out_size)
        return NULL;
    float *g = calloc((size_t)units, sizeof *g);
    if (!g)
        return NULL;
    const float *k = src->params[0].grad;
    for (int r = 0; r < in_dim; r++)
        for (int u = 0; u < units; u++) {
            float v = fabsf(k[(size_t)r * units + u]);
            g[u] = v > g[u] || isnan(v) ? v : g[u];
        }
    const float *b = src->n_params > 1 && src->params[1].grad ? src->params[1].grad : NULL;
    for (int u = 0; b && u < units; u++) {
        float v = fabsf(b[u]);
        g[u] = v > g[u] || isnan(v) ? v : g[u];
    }
    return g;
}

/* Is the noise shape one draw per (example, channel)? */
static bool channelwise(const nn_layer *l)
{
    const nn_layer_cfg *c = &l->cfg;
    if (c->noise_rank < 3 || c->drop_kind == NN_DROP_GAUSSIAN)
        return false;
    for (int k = 1; k < c->noise_rank - 1; k++)
        if (c->noise_shape[k] != 1 || l->out_shape.d[k - 1] == 1)
            return false;
    return true;
}

/* The augmentation layers' draws and the images after the last one (training only). */
static int capture_augment(const nn_model *m, nn_trace *t, int n)
{
    const nn_layer *last = NULL;
    for (int i = 0; i < m->n_layers; i++)
        t->n_augment += m->layers[i]->type == NN_AUGMENT;
    if (t->n_augment == 0)
        return 0;
    if (!(t->augment = calloc((size_t)t->n_augment, sizeof *t->augment)))
        return -1;
    int k = 0;
    for (int i = 0; i < m->n_layers; i++) {
        const nn_layer *l = m->layers[i];
        if (l->type != NN_AUGMENT)
            continue;
        nn_trace_augment *a = &t->augment[k++];
        a->layer = i;
        memcpy(a->name, l->name, sizeof a->name);
        a->kind = (int)l->cfg.aug_kind;
        a->active = l->mask_valid;
        if (a->active && !(a->draws = dup(l->aug, (size_t)n * sizeof *l->aug)))
            return -1;
        if (a->active)
            last = l;
    }
    if (last && nn_shape_equal(last->out_shape, m->layers[0]->out_shape) &&
        !(t->aug_images = dup(last->out, (size_t)n * last->out_size * sizeof(float))))
        return -1;
    return 0;
}

nn_trace *nn_trace_capture(const nn_model *m, const nn_step_result *res, const float *x,
                           const int32_t *labels, const int32_t *indices, int n)
{
    nn_trace *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->step = m->iterations;
    t->loss = res ? res->loss : NAN;
    t->accuracy = res ? res->accuracy : NAN;
    t->val_loss = t->val_accuracy = NAN;
    t->loss_off = t->accuracy_off = NAN;
    t->finite = res ? res->finite : true;
    if (res)
        memcpy(t->nonfinite_layer, res->nonfinite_layer, sizeof t->nonfinite_layer);
    t->lr = m->opt.lr;
    t->batch = n;
    for (int i = 0; i < m->n_layers; i++)
        t->n_dropout += m->layers[i]->type == NN_DROPOUT;
    t->dropout = calloc((size_t)t->n_dropout + 1, sizeof *t->dropout);
    t->layers = calloc((size_t)m->n_layers + 1, sizeof *t->layers);
    if (!t->dropout || !t->layers)
        goto oom;
    t->n_layers = m->n_layers;
    int k = 0;
    for (int i = 0; i < m->n_layers; i++) {
        const nn_layer *l = m->layers[i];
        nn_trace_layer *tl = &t->layers[i];
        memcpy(tl->name, l->name, sizeof tl->name);
        tl->frozen = !l->train_active;
        tl->params = nn_layer_param_count(l);
        tl->dw_max = l->dw_max;
        tl->dw_norm = l->dw_norm;
        weight_norms(l, tl);
        bn_stats(l, tl);
        tl->train_mode = (int)l->cfg.training;
        if (l->type != NN_DROPOUT)
            continue;
        nn_trace_dropout *d = &t->dropout[k++];
        const nn_layer *src = m->layers[l->inputs[0]];
        d->layer = i;
        d->source = src->index;
        memcpy(d->name, l->name, sizeof d->name);
        memcpy(d->source_name, src->name, sizeof d->source_name);
        d->rate = l->cfg.rate;
        d->units = (int)l->out_size;
        d->kind = (int)l->cfg.drop_kind;
        d->shape = l->out_shape;
        d->channelwise = channelwise(l);
        d->has_mask = l->mask_valid;
        d->train_mode = (int)l->cfg.training;
        size_t total = (size_t)n * l->out_size;
        if (d->has_mask) {
            d->mask = dup(l->mask, total);
            d->dropped = l->dropped;
            if (!d->mask)
                goto oom;
        }
        d->act = dup(src->out, total * sizeof(float));
        if (!d->act)
            goto oom;
        if (d->has_mask && l->cfg.drop_kind == NN_DROP_GAUSSIAN &&
            !(d->noise = dup(l->noise, total * sizeof(float))))
            goto oom;
        if (d->has_mask)
            d->unit_grad = dense_unit_grad(src);
    }
    if (capture_augment(m, t, n) < 0)
        goto oom;
    t->opt_kind = (int)m->opt.kind;
    t->opt_rho = m->opt.rho;
    t->opt_beta1 = m->opt.beta1;
    t->opt_momentum = m->opt.momentum;
    t->training = false;
    for (int i = 0; i < t->n_dropout; i++) /* training=True masks in inference too */
        t->training |= t->dropout[i].has_mask && t->dropout[i].train_mode == NN_TRAIN_FOLLOW;
    for (int i = 0; i < t->n_augment; i++) /* likewise an augmentation called with training=True */
        t->training |= t->augment[i].active && t->layers[t->augment[i].layer].train_mode == NN_TRAIN_FOLLOW;
    const nn_layer *in = m->layers[0];
    if (in->out_shape.rank == 3) {
        t->img_h = in->out_shape.d[0];
        t->img_w = in->out_shape.d[1];
        t->img_c = in->out_shape.d[2];
    }
    if (x && t->img_h) {
        t->images = dup(x, (size_t)n * in->out_size * sizeof(float));
        if (!t->images)
            goto oom;
    }
    if (labels && !(t->labels = dup(labels, (size_t)n * sizeof(int32_t))))
        goto oom;
    if (indices && !(t->indices = dup(indices, (size_t)n * sizeof(int32_t))))
        goto oom;
    const nn_layer *out = m->layers[m->output];
    int k_out = (int)out->out_size;
    t->probs = malloc((size_t)n * sizeof(float));
    t->pred = malloc((size_t)n * sizeof(int32_t));
    if (!t->probs || !t->pred)
        goto oom;
    for (int i = 0; i < n; i++) {
        const float *o = out->out + (size_t)i * k_out;
        if (k_out == 1) {
            t->probs[i] = o[0];
            t->pred[i] = o[0] > 0.5f;
        } else {
            int best = 0;
            for (int j = 1; j < k_out; j++)
                if (o[j] > o[best])
                    best = j;
            t->pred[i] = best;
            t->probs[i] = o[best];
        }
    }
    return t;
oom:
    nn_trace_destroy(t);
    return NULL;
}

nn_trace *nn_trace_clone(const nn_trace *s)
{
    nn_trace *t = malloc(sizeof *t);
    if (!t)
        return NULL;
    *t = *s;
    int n = s->batch;
    size_t img = (size_t)s->img_h * s->img_w * s->img_c;
    t->dropout = dup(s->dropout, sizeof *s->dropout * (size_t)(s->n_dropout + 1));
    t->layers = dup(s->layers, sizeof *s->layers * (size_t)(s->n_layers + 1));
    t->images = dup(s->images, (size_t)n * img * sizeof(float));
    t->labels = dup(s->labels, (size_t)n * sizeof(int32_t));
    t->probs = dup(s->probs, (size_t)n * sizeof(float));
    t->pred = dup(s->pred, (size_t)n * sizeof(int32_t));
    t->indices = dup(s->indices, (size_t)n * sizeof(int32_t));
    t->mc_mean = dup(s->mc_mean, (size_t)n * sizeof(float));
    t->mc_spread = dup(s->mc_spread, (size_t)n * sizeof(float));
    t->mc_inference = dup(s->mc_inference, (size_t)n * sizeof(float));
    bool ok = (t->dropout || !s->dropout) && (t->layers || !s->layers) && (t->images || !s->images) &&
              (t->labels || !s->labels) && (t->probs || !s->probs) && (t->pred || !s->pred) &&
              (t->indices || !s->indices) && (t->mc_mean || !s->mc_mean) &&
              (t->mc_spread || !s->mc_spread) && (t->mc_inference || !s->mc_inference);
    if (!t->dropout) /* nothing of s's may be freed through t */
        t->n_dropout = 0;
    t->aug_images = dup(s->aug_images, (size_t)n * img * sizeof(float));
    t->augment = dup(s->augment, sizeof *s->augment * (size_t)s->n_augment);
    ok &= (t->aug_images || !s->aug_images) && (t->augment || !s->augment);
    if (!t->augment)
        t->n_augment = 0;
    for (int i = 0; i < t->n_augment; i++) {
        t->augment[i].draws = dup(s->augment[i].draws, (size_t)n * sizeof *s->augment[i].draws);
        ok &= t->augment[i].draws || !s->augment[i].draws;
    }
    for (int i = 0; i < t->n_dropout; i++) {
        size_t total = (size_t)n * s->dropout[i].units;
        t->dropout[i].mask = dup(s->dropout[i].mask, total);
        t->dropout[i].act = dup(s->dropout[i].act, total * sizeof(float));
        t->dropout[i].noise = dup(s->dropout[i].noise, total * sizeof(float));
        t->dropout[i].unit_grad = dup(s->dropout[i].unit_grad, (size_t)s->dropout[i].units * sizeof(float));
        ok &= (t->dropout[i].mask || !s->dropout[i].mask) && (t->dropout[i].act || !s->dropout[i].act) &&
              (t->dropout[i].noise || !s->dropout[i].noise) &&
              (t->dropout[i].unit_grad || !s->dropout[i].unit_grad);
    }
    if (!ok) {
        nn_trace_destroy(t);
        return NULL;
    }
    return t;
}

size_t nn_trace_dropped(const nn_trace *t, int i, int k)
{
    if (i < 0 || i >= t->n_dropout || !t->dropout[i].has_mask)
        return 0;
    const nn_trace_dropout *d = &t->dropout[i];
    if (k < 0)
        return d->dropped;
    if (k >= t->batch)
        return 0;
    size_t c = 0;
    for (int u = 0; u < d->units; u++)
        c += !d->mask[(size_t)k * d->units + u];
    return c;
}

double nn_change_pick(double acc, double c)
{
    if (isnan(acc) || isnan(c))
        return NAN;
    return c > acc ? c : acc;
}

double nn_model_change(const nn_model *m, int first, int count, const float *since)
{
    double v = 0;
    for (int i = first; i < first + count && i < m->n_layers; i++)
        v = nn_change_pick(v, since ? since[i] : m->layers[i]->dw_max);
    return v;
}

void nn_change_fold(float *since, const nn_model *m)
{
    for (int i = 0; i < m->n_layers; i++)
        since[i] = (float)nn_change_pick(since[i], m->layers[i]->dw_max);
}

double nn_trace_change(const nn_trace *t, int first, int count)
{
    double v = 0;
    for (int i = first; i < first + count && i < t->n_layers; i++)
        v = nn_change_pick(v, t->layers[i].dw_max);
    return v;
}

double nn_trace_step_ceiling(const nn_trace *t)
{
    if (t->opt_kind == NN_OPT_RMSPROP && t->opt_momentum == 0.0f && t->opt_rho < 1.0f)
        return t->lr / sqrt(1.0 - (double)t->opt_rho);
    if (t->opt_kind == NN_OPT_ADAM && t->step == 1)
        return t->lr;
    return 0.0;
}

int nn_model_loss_off(nn_model *m, int from, const float *act, const float *x, const int32_t *y,
                      int n, double *loss, double *accuracy)
{
    int rc = act ? nn_model_forward_from(m, from, act, n, false) : nn_model_forward(m, x, n, false);
    if (rc < 0)
        return -1;
    int correct = 0;
    *loss = nn_model_loss(m, y, n, &correct, false);
    *accuracy = (double)correct / n;
    return 0;
}

int nn_trace_set_mc(nn_trace *t, int passes, bool fixed_mask, const float *mean,
                    const float *spread, const float *inference)
{
    size_t bytes = (size_t)t->batch * sizeof(float);
    float *m = dup(mean, bytes), *s = dup(spread, bytes), *in = dup(inference, bytes);
    if (!m || !s || !in || t->batch <= 0) {
        free(m);
        free(s);
        free(in);
        return -1;
    }
    free(t->mc_mean);
    free(t->mc_spread);
    free(t->mc_inference);
    t->mc_mean = m;
    t->mc_spread = s;
    t->mc_inference = in;
    t->mc_passes = passes;
    t->mc_fixed_mask = fixed_mask;
    return 0;
}
