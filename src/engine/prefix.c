/* Frozen prefix: find it, compute its outputs, and train/evaluate the rest of the model
 * from them.
 *
 * Running only part of the model reuses nn_model_forward unchanged, so the layers after
 * the prefix compute exactly what they compute in a full forward:
 * - the prefix alone: nn_model_forward_last (an inference forward that keeps only the
 *   last layer's output) with the layer count cut to layer + 1;
 * - the rest: nn_model_forward over a view of the layer list in which the prefix layers
 *   are replaced by shallow copies turned into Input layers. The prefix's last layer
 *   becomes an Input that copies act into its (real) output buffer; the ones before it
 *   become Inputs of zero size, so they cost nothing. Nothing after the prefix reads
 *   them (that is what makes it a prefix). */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static bool has_weights(const nn_layer *l)
{
    for (int p = 0; p < l->n_params; p++)
        if (!l->params[p].is_stat)
            return true;
    return false;
}

/* Same output for the same example at every step, whatever the mode. */
static bool frozen_deterministic(const nn_model *m, const nn_layer *l)
{
    /* before TF 2 a frozen BatchNormalization normalised with the batch's statistics */
    if (l->type == NN_BATCHNORM && m->bn_frozen != NN_BN_FROZEN_INFER && l->cfg.training != NN_TRAIN_NEVER)
        return false;
    if (l->type == NN_DROPOUT || l->type == NN_AUGMENT) /* called with training=False: the identity in every pass */
        return l->cfg.training == NN_TRAIN_NEVER;
    if (l->train_active && (l->type == NN_BATCHNORM || has_weights(l)))
        return false;
    return true;
}

int nn_model_frozen_prefix(const nn_model *m)
{
    if (!m->finalized || m->output < 2)
        return -1;
    int first_bad = m->output;
    for (int i = 0; i < m->output; i++) {
        if (!frozen_deterministic(m, m->layers[i])) {
            first_bad = i;
            break;
        }
    }
    int lo = INT_MAX; /* the lowest layer read by layers p+1 .. output */
    for (int p = m->output - 1; p >= 1; p--) {
        const nn_layer *q = m->layers[p + 1];
        for (int k = 0; k < q->n_inputs; k++)
            if (q->inputs[k] < lo)
                lo = q->inputs[k];
        if (p < first_bad && lo >= p)
            return p;
    }
    return -1;
}

static int check_prefix(nn_model *m, int layer, int n)
{
    if (!m->finalized)
        return nn_model_fail(m, "forward: the model is not built");
    if (layer < 0 || layer >= m->output)
        return nn_model_fail(m, "forward from layer %d: not a layer before the output", layer);
    if (n <= 0)
        return nn_model_fail(m, "batch size must be positive, got %d", n);
    return 0;
}

int nn_model_prefix_outputs(nn_model *m, int layer, const float *x, int n, float *act)
{
    if (check_prefix(m, layer, n) < 0)
        return -1;
    int chunk = nn_model_eval_chunk(m);
    if (chunk < 0)
        return -1;
    size_t in = nn_model_input_size(m), per = m->layers[layer]->out_size;
    int saved = m->n_layers;
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i += chunk) {
        int k = n - i < chunk ? n - i : chunk;
        m->n_layers = layer + 1;
        rc = nn_model_forward_last(m, x + (size_t)i * in, k);
        m->n_layers = saved;
        if (rc == 0)
            memcpy(act + (size_t)i * per, m->layers[layer]->out, (size_t)k * per * sizeof(float));
    }
    return rc;
}

int nn_model_forward_from(nn_model *m, int layer, const float *act, int n, bool training)
{
    if (check_prefix(m, layer, n) < 0 || nn_model_reserve(m, n) < 0)
        return -1;
    nn_layer *stubs = malloc(sizeof *stubs * (size_t)(layer + 1));
    nn_layer **view = malloc(sizeof *view * (size_t)m->n_layers);
    if (!stubs || !view) {
        free(stubs);
        free(view);
        return nn_model_fail(m, "out of memory");
    }
    for (int i = 0; i < m->n_layers; i++) {
        if (i > layer) {
            view[i] = m->layers[i];
            continue;
        }
        stubs[i] = *m->layers[i];
        stubs[i].type = NN_INPUT;
        if (i < layer)
            stubs[i].out_size = 0;
        view[i] = &stubs[i];
    }
    nn_layer **real = m->layers;
    m->layers = view;
    int rc = nn_model_forward(m, act, n, training);
    m->layers = real;
    free(view);
    free(stubs);
    return rc;
}

/* The first layer after the prefix whose output, or any layer whose weights, hold a
 * non-finite value. */
static const char *first_nonfinite(const nn_model *m, int layer, int n)
{
    for (int i = 0; i < m->n_layers; i++) {
        const nn_layer *l = m->layers[i];
        for (int p = 0; p < l->n_params; p++)
            for (size_t k = 0; k < l->params[p].size; k++)
                if (!isfinite(l->params[p].data[k]))
                    return l->name;
        if (i < layer)
            continue;
        size_t total = (size_t)n * l->out_size;
        for (size_t k = 0; k < total; k++)
            if (!isfinite(l->out[k]))
                return l->name;
    }
    return NULL;
}

int nn_model_train_step_from(nn_model *m, int layer, const float *act, const int32_t *labels,
                             int n, nn_step_result *res)
{
    nn_step_result local;
    if (!res)
        res = &local;
    memset(res, 0, sizeof *res);
    res->finite = true;
    res->n = n;
    if (!m->compiled)
        return nn_model_fail(m, "train: the model is not compiled");
    if (nn_model_forward_from(m, layer, act, n, true) < 0)
        return -1;
    int correct = 0;
    res->loss = nn_model_loss(m, labels, n, &correct, true);
    res->accuracy = (double)correct / n;
    if (!isfinite(res->loss)) {
        const char *bad = first_nonfinite(m, layer, n);
        res->finite = false;
        snprintf(res->nonfinite_layer, sizeof res->nonfinite_layer, "%s",
                 bad ? bad : m->layers[m->output]->name);
        return nn_model_fail(m, "the loss is not finite at step %ld; the first non-finite value appears in layer '%s'",
                    m->iterations + 1, res->nonfinite_layer);
    }
    if (nn_model_backward(m, n) < 0)
        return -1;
    m->nonfinite_layer[0] = '\0';
    if (nn_model_update(m) < 0) {
        res->finite = m->nonfinite_layer[0] == '\0';
        memcpy(res->nonfinite_layer, m->nonfinite_layer, sizeof res->nonfinite_layer);
        return -1;
    }
    return 0;
}

typedef struct {
    int layer;
    const float *act;
} from_prefix;

static int forward_prefix_chunk(nn_model *m, int i, int k, const void *ctx)
{
    const from_prefix *f = ctx;
    /* checked before the layer's size is read */
    if (check_prefix(m, f->layer, k) < 0)
        return -1;
    return nn_model_forward_from(m, f->layer, f->act + (size_t)i * m->layers[f->layer]->out_size, k, false);
}

int nn_model_evaluate_from(nn_model *m, int layer, const float *act, const int32_t *labels,
                           int n, double *loss, double *accuracy)
{
    from_prefix f = {layer, act};
    return nn_model_eval_loop(m, labels, n, forward_prefix_chunk, &f, loss, accuracy);
}
