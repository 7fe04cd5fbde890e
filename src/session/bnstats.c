/* BatchNormalization's moving statistics (issue 12, lesson 6): the moving mean and
 * variance of a BN layer as they are now, and how far they moved since the lesson step
 * began (a copy is taken at each ls_session_mark). Frozen under TF 2 they never move
 * (the layer runs in inference mode); trainable, every training step moves them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "session/session_internal.h"

/* The moving mean and variance parameters of a BN layer: the last two. */
static int stat_params(const nn_layer *l, int *pm, int *pv)
{
    if (l->type != NN_BATCHNORM || l->n_params < 2 || !l->params[l->n_params - 1].is_stat)
        return -1;
    *pm = l->n_params - 2;
    *pv = l->n_params - 1;
    return 0;
}

void ls_bn_mark(ls_session *s)
{
    nn_model *m = s->model;
    if (!s->bn_at_mark && !(s->bn_at_mark = calloc((size_t)m->n_layers, sizeof *s->bn_at_mark)))
        return;
    for (int i = 0; i < m->n_layers; i++) {
        const nn_layer *l = m->layers[i];
        int pm, pv;
        if (stat_params(l, &pm, &pv) < 0)
            continue;
        size_t c = l->params[pm].size;
        if (!s->bn_at_mark[i] && !(s->bn_at_mark[i] = malloc(2 * c * sizeof(float))))
            continue;
        memcpy(s->bn_at_mark[i], l->params[pm].data, c * sizeof(float));
        memcpy(s->bn_at_mark[i] + c, l->params[pv].data, c * sizeof(float));
    }
}

void ls_bn_free(ls_session *s)
{
    if (s->bn_at_mark && s->model)
        for (int i = 0; i < s->model->n_layers; i++)
            free(s->bn_at_mark[i]);
    free(s->bn_at_mark);
    s->bn_at_mark = NULL;
}

int ls_session_bn_stats(ls_session *s, const char *layer, const float **mean, const float **var, int *channels)
{
    int i = ls_find_layer(s, layer), pm, pv;
    if (i < 0)
        return -1;
    const nn_layer *l = s->model->layers[i];
    if (stat_params(l, &pm, &pv) < 0)
        return ls_fail(s, "layer '%s' is a %s, not a BatchNormalization layer", layer, nn_layer_type_name(l->type));
    *mean = l->params[pm].data;
    *var = l->params[pv].data;
    *channels = (int)l->params[pm].size;
    return 0;
}

/* The largest change of layer i's moving mean (or variance) since the mark. */
static int bn_change(ls_session *s, int i, bool mean, double *mx)
{
    const nn_layer *l = s->model->layers[i];
    int pm, pv;
    if (stat_params(l, &pm, &pv) < 0)
        return 0;
    int c = (int)l->params[pm].size;
    const float *now = l->params[mean ? pm : pv].data;
    const float *then = s->bn_at_mark && s->bn_at_mark[i] ? s->bn_at_mark[i] + (mean ? 0 : c) : NULL;
    if (!then)
        return ls_fail(s, "no copy of '%s''s statistics from the start of this lesson step", l->name);
    for (int k = 0; k < c; k++)
        *mx = fmax(*mx, fabs((double)now[k] - then[k]));
    return 1;
}

int ls_bn_measure(ls_session *s, const ls_expect *e, double *v)
{
    bool mean = e->q == LS_Q_BN_MEAN_CHANGE || e->q == LS_Q_BN_MEAN;
    if (e->q == LS_Q_BN_MEAN_CHANGE || e->q == LS_Q_BN_VAR_CHANGE) {
        /* a base: the largest change over its BatchNormalization layers (training=False
         * on a base that trains keeps every one of them still) */
        int first, count, n_bn = 0;
        if (ls_find_layers(s, e->layer, &first, &count) < 0)
            return -1;
        double mx = 0;
        for (int i = first; i < first + count; i++) {
            int r = bn_change(s, i, mean, &mx);
            if (r < 0)
                return -1;
            n_bn += r;
        }
        if (n_bn == 0)
            return ls_fail(s, "'%s' has no BatchNormalization layer", e->layer);
        *v = mx;
        return 0;
    }
    const float *mv, *vv;
    int c;
    if (ls_session_bn_stats(s, e->layer, &mv, &vv, &c) < 0)
        return -1;
    const float *now = mean ? mv : vv;
    double sum = 0;
    for (int k = 0; k < c; k++)
        sum += now[k];
    *v = sum / c;
    return 0;
}
