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

int ls_bn_measure(ls_session *s, const ls_expect *e, double *v)
{
    const float *mean, *var;
    int c;
    if (ls_session_bn_stats(s, e->layer, &mean, &var, &c) < 0)
        return -1;
    int i = ls_find_layer(s, e->layer);
    const float *now = e->q == LS_Q_BN_MEAN_CHANGE || e->q == LS_Q_BN_MEAN ? mean : var;
    if (e->q == LS_Q_BN_MEAN || e->q == LS_Q_BN_VAR) {
        double sum = 0;
        for (int k = 0; k < c; k++)
            sum += now[k];
        *v = sum / c;
        return 0;
    }
    const float *then = s->bn_at_mark && s->bn_at_mark[i] ? s->bn_at_mark[i] + (now == var ? c : 0) : NULL;
    if (!then)
        return ls_fail(s, "no copy of '%s''s statistics from the start of this lesson step", e->layer);
    double mx = 0;
    for (int k = 0; k < c; k++)
        mx = fmax(mx, fabs((double)now[k] - then[k]));
    *v = mx;
    return 0;
}
