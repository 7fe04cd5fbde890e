/* The frozen-prefix cache: the outputs of the model's frozen, deterministic prefix for
 * each example, computed once, so that training and validation run only the layers
 * after it (what it keeps and why it stays exact: session_internal.h). */
#include <stdlib.h>
#include <string.h>

#include "session/session_internal.h"

void ls_cache_drop(ls_session *s)
{
    free(s->cache.train);
    free(s->cache.have);
    free(s->cache.val);
    free(s->cache.batch);
    s->cache.train = s->cache.val = s->cache.batch = NULL;
    s->cache.have = NULL;
    s->cache.val_ok = false;
    s->cache.layer = -1;
    s->cache.sig = 0;
}

/* What the prefix's outputs depend on: its layers, their modes and (sampled) weights. */
static uint64_t prefix_sig(const nn_model *m, int p)
{
    uint64_t h = 1469598103934665603ULL;
#define MIX(v) (h = (h ^ (uint64_t)(v)) * 1099511628211ULL)
    MIX(p);
    MIX(m->n_layers);
    for (int i = 0; i <= p; i++) {
        const nn_layer *l = m->layers[i];
        MIX(l->type);
        MIX(l->train_active);
        for (int q = 0; q < l->n_params; q++) {
            const nn_param *pr = &l->params[q];
            size_t step = pr->size > 64 ? pr->size / 64 : 1;
            for (size_t k = 0; k < pr->size; k += step) {
                uint32_t bits;
                memcpy(&bits, &pr->data[k], sizeof bits);
                MIX(bits);
            }
        }
    }
#undef MIX
    return h;
}

/* The prefix layer when a cache is in use for the model as it is now, else -1. */
static int cache_ready(ls_session *s)
{
    nn_model *m = s->model;
    if (s->cache.off)
        return -1;
    int p = nn_model_frozen_prefix(m);
    bool worth = false; /* a prefix with weights does real work */
    for (int i = 1; i <= p && !worth; i++)
        worth = m->layers[i]->n_params > 0;
    if (!worth) {
        if (s->cache.layer >= 0)
            ls_cache_drop(s);
        return -1;
    }
    uint64_t sig = prefix_sig(m, p);
    if (s->cache.layer == p && s->cache.sig == sig)
        return p;
    ls_cache_drop(s);
    const ds_set *t = &s->data.train, *v = &s->data.val;
    size_t per = m->layers[p]->out_size;
    double bytes = (double)per * sizeof(float) * ((double)t->n + v->n + s->batch);
    /* on top of everything else held: weights, activations, the data sets */
    double held = (double)m->memory_used + (double)m->memory_used_act + ls_data_bytes(s);
    if (m->memory_budget && bytes + held > (double)m->memory_budget) {
        s->cache.off = true;
        ls_note(s, "the frozen base's outputs (%.0f MiB) do not fit the memory budget: computed every step",
                 bytes / 1048576.0);
        return -1;
    }
    if (!s->cache.row_of_src) {
        int mx = 0;
        for (int i = 0; i < t->n; i++)
            if (t->src[i] + 1 > mx)
                mx = t->src[i] + 1;
        s->cache.row_of_src = malloc(sizeof(int32_t) * (size_t)(mx + 1));
        if (!s->cache.row_of_src) {
            s->cache.off = true;
            return -1;
        }
        for (int i = 0; i < mx; i++)
            s->cache.row_of_src[i] = -1;
        for (int i = 0; i < t->n; i++)
            s->cache.row_of_src[t->src[i]] = i;
        s->cache.n_src = mx;
    }
    s->cache.train = malloc(per * sizeof(float) * (size_t)t->n + 1);
    s->cache.have = calloc((size_t)t->n + 1, 1);
    s->cache.val = v->n ? malloc(per * sizeof(float) * (size_t)v->n) : NULL;
    s->cache.batch = malloc(per * sizeof(float) * (size_t)s->batch);
    if (!s->cache.train || !s->cache.have || (v->n && !s->cache.val) || !s->cache.batch) {
        ls_cache_drop(s);
        s->cache.off = true;
        ls_note(s, "no memory to cache the frozen base's outputs: computed every step");
        return -1;
    }
    s->cache.layer = p;
    s->cache.sig = sig;
    s->cache.per = per;
    if (!s->opt.quiet)
        ls_note(s, "%s: frozen layers up to '%s' are deterministic: their outputs (%zu floats per example, "
                "%.0f MiB for %d training and %d validation examples) are computed once per example",
                s->lesson->path, m->layers[p]->name, per, bytes / 1048576.0, t->n, v->n);
    return p;
}

const float *ls_cache_batch(ls_session *s, int n)
{
    int p = cache_ready(s);
    if (p < 0)
        return NULL;
    size_t per = s->cache.per;
    int32_t rows[n];
    bool all = true;
    for (int k = 0; k < n; k++) {
        int32_t src = s->src[k];
        rows[k] = (src >= 0 && src < s->cache.n_src) ? s->cache.row_of_src[src] : -1;
        if (rows[k] < 0)
            return NULL;
        all = all && s->cache.have[rows[k]];
    }
    if (!all) {
        /* the whole batch at once, as the uncached step computes it */
        ls_progress(s, "base outputs, training batch", 0, n);
        if (nn_model_prefix_outputs(s->model, p, s->x, n, s->cache.batch) < 0)
            return NULL;
        ls_progress(s, "base outputs, training batch", n, n);
        for (int k = 0; k < n; k++) {
            memcpy(s->cache.train + (size_t)rows[k] * per, s->cache.batch + (size_t)k * per, per * sizeof(float));
            s->cache.have[rows[k]] = 1;
        }
        return s->cache.batch;
    }
    for (int k = 0; k < n; k++)
        memcpy(s->cache.batch + (size_t)k * per, s->cache.train + (size_t)rows[k] * per, per * sizeof(float));
    return s->cache.batch;
}

const float *ls_cache_val(ls_session *s, const float *x)
{
    int p = cache_ready(s);
    if (p < 0 || !s->cache.val)
        return NULL;
    if (!s->cache.val_ok) {
        /* in the slices nn_model_prefix_outputs would cut anyway (the same forwards, the
         * same numbers), saying how far it got after each: "k of n examples" */
        int n = s->data.val.n, chunk = nn_model_eval_chunk(s->model);
        if (chunk < 1)
            return NULL;
        size_t in = nn_model_input_size(s->model), per = s->cache.per;
        ls_progress(s, "base outputs, validation set", 0, n);
        for (int i = 0; i < n; i += chunk) {
            int k = n - i < chunk ? n - i : chunk;
            if (nn_model_prefix_outputs(s->model, p, x + (size_t)i * in, k, s->cache.val + (size_t)i * per) < 0)
                return NULL;
            ls_progress(s, "base outputs, validation set", i + k, n);
        }
        s->cache.val_ok = true;
    }
    return s->cache.val;
}
