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
    }
    free(t->dropout);
    free(t->layers);
    free(t->images);
    free(t->labels);
    free(t->probs);
    free(t->pred);
    free(t->indices);
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
        d->has_mask = l->mask_valid;
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
    }
    t->training = false;
    for (int i = 0; i < t->n_dropout; i++)
        t->training |= t->dropout[i].has_mask;
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
    bool ok = (t->dropout || !s->dropout) && (t->layers || !s->layers) && (t->images || !s->images) &&
              (t->labels || !s->labels) && (t->probs || !s->probs) && (t->pred || !s->pred) &&
              (t->indices || !s->indices);
    if (!t->dropout) /* nothing of s's may be freed through t */
        t->n_dropout = 0;
    for (int i = 0; i < t->n_dropout; i++) {
        size_t total = (size_t)n * s->dropout[i].units;
        t->dropout[i].mask = dup(s->dropout[i].mask, total);
        t->dropout[i].act = dup(s->dropout[i].act, total * sizeof(float));
        ok &= (t->dropout[i].mask || !s->dropout[i].mask) && (t->dropout[i].act || !s->dropout[i].act);
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
