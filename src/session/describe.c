/* The model's description for readers such as the window: what each layer is, what it
 * reads, which base it belongs to and whether that base runs on random weights, so
 * that no reader has to parse shape strings or the session's notes. */
#include <stdlib.h>
#include <string.h>

#include "session/session_internal.h"

void ls_desc_free(ls_session *s)
{
    free(s->desc.layers);
    free(s->desc.bases);
    free(s->desc_inputs);
    s->desc.layers = NULL;
    s->desc.bases = NULL;
    s->desc_inputs = NULL;
    s->desc.n_layers = s->desc.n_bases = 0;
}

/* A base declaration whose layers the model holds (a base whose builder is missing
 * from this build has none). */
static bool base_in_model(const ls_decl *d, const nn_model *m)
{
    return d->kind == LS_DECL_BASE && d->layer_first >= 0 && d->layer_count > 0 &&
           d->layer_first + d->layer_count <= m->n_layers;
}

static int build_layers(ls_session *s)
{
    const nn_model *m = s->model;
    size_t n_in = 0;
    for (int i = 0; i < m->n_layers; i++)
        n_in += (size_t)m->layers[i]->n_inputs;
    s->desc.layers = calloc((size_t)m->n_layers + 1, sizeof *s->desc.layers);
    s->desc_inputs = malloc((n_in + 1) * sizeof *s->desc_inputs);
    if (!s->desc.layers || !s->desc_inputs)
        return -1;
    s->desc.n_layers = m->n_layers;
    int *in = s->desc_inputs;
    for (int i = 0; i < m->n_layers; i++) {
        const nn_layer *L = m->layers[i];
        ls_layer_desc *o = &s->desc.layers[i];
        memcpy(o->name, L->name, sizeof o->name);
        o->type = L->type;
        o->class_name = nn_layer_class_name(&L->cfg);
        o->shape = L->out_shape;
        o->units = L->out_shape.rank > 0 ? L->out_shape.d[L->out_shape.rank - 1] : 0;
        o->n_inputs = L->n_inputs;
        o->inputs = in;
        if (L->n_inputs > 0)   /* an Input has none (and inputs may be NULL) */
            memcpy(in, L->inputs, (size_t)L->n_inputs * sizeof *in);
        in += L->n_inputs;
        o->params = nn_layer_param_count(L);
        o->base = -1;
        o->train_mode = (int)L->cfg.training;
    }
    return 0;
}

static int build_bases(ls_session *s)
{
    const ls_lesson *l = s->lesson;
    s->desc.bases = calloc((size_t)l->n_decls + 1, sizeof *s->desc.bases);
    if (!s->desc.bases)
        return -1;
    for (int d = 0; d < l->n_decls; d++) {
        const ls_decl *dc = &l->decls[d];
        if (!base_in_model(dc, s->model))
            continue;
        ls_base_desc *b = &s->desc.bases[s->desc.n_bases];
        snprintf(b->name, sizeof b->name, "%s", dc->name[0] ? dc->name : dc->base);
        b->first = dc->layer_first;
        b->count = dc->layer_count;
        for (int i = b->first; i < b->first + b->count; i++)
            s->desc.layers[i].base = s->desc.n_bases;
        s->desc.n_bases++;
    }
    return 0;
}

int ls_desc_build(ls_session *s)
{
    ls_desc_free(s);
    if (build_layers(s) < 0 || build_bases(s) < 0) {
        ls_desc_free(s);
        return ls_fail(s, "out of memory for the model's description");
    }
    s->desc.version = 0;
    ls_desc_refresh(s);
    if (s->desc.version == 0) /* nothing differed from the zeroed fields */
        s->desc.version = 1;
    return 0;
}

void ls_desc_refresh(ls_session *s)
{
    ls_model_desc *d = &s->desc;
    const nn_model *m = s->model;
    bool changed = d->seed != s->seed;
    d->seed = s->seed;
    for (int i = 0; i < d->n_layers && i < m->n_layers; i++) {
        const nn_layer *L = m->layers[i];
        ls_layer_desc *o = &d->layers[i];
        double rate = L->type == NN_DROPOUT ? L->cfg.rate : 0.0;
        changed |= o->trainable != L->trainable || o->frozen != !L->train_active || o->rate != rate;
        o->trainable = L->trainable;
        o->frozen = !L->train_active;
        o->rate = rate;
    }
    /* the lesson's declarations map one to one onto the bases, skipping absent ones */
    int k = 0;
    for (int i = 0; i < s->lesson->n_decls && k < d->n_bases; i++) {
        if (!base_in_model(&s->lesson->decls[i], m))
            continue;
        changed |= d->bases[k].random_weights != s->base_random[i];
        d->bases[k++].random_weights = s->base_random[i];
    }
    if (changed)
        d->version++;
}
