/* What Keras objects do in the importer (names and modules are in symbols.c): Model and Sequential, model.layers in Keras's order, the trainable flags,
 * compile (optimizer, loss, metrics), the methods and attributes students use
 * (get_layer, load_weights, layers, input, output, trainable, summary, fit ...), and
 * calls dispatched by what is called. Layer classes, their arguments, Keras's names,
 * InceptionV3, optimizers and losses are in layers.c.
 *
 * Arguments are checked against Keras's signatures (positional order included); an
 * argument dropscope cannot honour fails at its own line:col, one that changes nothing
 * dropscope shows (Keras's default value, a Dropout seed, run_eagerly) is accepted, and
 * said in a note when it is not a default. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keras/layers.h"
#include "keras/runtime.h"
#include "lesson/vocab.h"

/* ------------------------------------------------------------------------------------ */
/* Models */

static int new_model(kparser *p, bool sequential, int line, int col)
{
    kprog *pg = p->pg;
    if (pg->n_models >= 64)
        ki_fail(p, line, col, "more than 64 models");
    if (pg->n_models == pg->cap_models) {
        int cap = pg->cap_models ? pg->cap_models * 2 : 4;
        kmodel *m = realloc(pg->models, sizeof *m * (size_t)cap);
        if (!m)
            ki_fail(p, line, col, "out of memory");
        pg->models = m;
        pg->cap_models = cap;
    }
    kmodel *m = &pg->models[pg->n_models];
    memset(m, 0, sizeof *m);
    m->sequential = sequential;
    m->line = line;
    m->col = col;
    m->in = m->out = (kref){-1, -1, 0};
    m->self_tr = m->self_tr_c = true;
    return pg->n_models++;
}

static void seq_add(kparser *p, int mi, kval *x, int line, int col)
{
    kprog *pg = p->pg;
    ki_need_known(p, x, line, col, "in a Sequential model");
    kmodel *m = &pg->models[mi];
    if (m->n_compiles > 0)
        ki_fail(p, line, col, "adding layers after compile() is not supported: add them before compiling");
    int ni;
    if (x->k == V_TENSOR && x->ref.node >= 0 && pg->nodes[x->ref.node].type == NN_INPUT) {
        ni = x->ref.node;
        if (m->n_seq > 0)
            ki_fail(p, line, col, "an Input can only be the first layer of a Sequential model");
        if (pg->nodes[ni].seq_model >= 0)
            ki_fail(p, line, col, "this Input is already in another Sequential model");
    } else if (x->k == V_LAYER && x->ref.node >= 0) {
        ni = x->ref.node;
        knode *n = &pg->nodes[ni];
        if (n->type == NN_INPUT && m->n_seq > 0)
            ki_fail(p, line, col, "an InputLayer can only be the first layer of a Sequential model");
        if (n->type != NN_INPUT && n->applied)
            ki_fail(p, line, col, "the layer '%s' is used a second time (shared weights): dropscope supports each layer once",
                    n->name);
        if (n->type == NN_INPUT && n->seq_model >= 0)
            ki_fail(p, line, col, "this InputLayer is already in another Sequential model");
    } else if (x->k == V_BASE) {
        kbase *bs = &pg->bases[x->idx];
        if (bs->node >= 0)
            ki_fail(p, line, col, "%s is used a second time: dropscope supports it once", bs->keras);
        ni = ka_new_node(p, KN_BASE, NN_INPUT, line, col);
        pg->nodes[ni].base = x->idx;
        snprintf(pg->nodes[ni].name, sizeof pg->nodes[ni].name, "%s", pg->bases[x->idx].word);
        pg->nodes[ni].args = strdup("");
        pg->bases[x->idx].node = ni;
    } else if (x->k == V_MODEL) {
        ki_fail(p, line, col, "a model inside a Sequential model is not supported: add its layers instead");
    } else {
        ki_fail(p, line, col, "Sequential holds layers, found %s", ki_kind_name(x));
    }
    ki_effect(p);
    knode *n = &pg->nodes[ni];
    if (m->n_seq == 0) {
        /* the Input: given, or the one Keras makes from input_shape (NAME_input) */
        if (n->type == NN_INPUT && n->kind == KN_LAYER) {
            m->in = ka_node_ref(ni);
            n->seq_model = mi;
            m->out = m->in;
            m->has_io = true;
            m->n_seq = 0;
            /* the Input is not in model.layers: remember it as the input only */
            return;
        }
        int shape_rank = n->kind == KN_BASE ? 3 : n->shape_rank;
        if (m->in.node < 0 && shape_rank > 0) {
            int ii = ka_new_node(p, KN_LAYER, NN_INPUT, line, col);
            knode *in = &pg->nodes[ii];
            n = &pg->nodes[ni];
            in->synthetic = true;
            in->named = true;
            if (n->kind == KN_BASE) {
                kbase *bs = &pg->bases[n->base];
                in->shape[0] = bs->h;
                in->shape[1] = bs->w;
                in->shape[2] = bs->c;
                in->shape_rank = 3;
            } else {
                memcpy(in->shape, n->shape, sizeof in->shape);
                in->shape_rank = n->shape_rank;
            }
            if (strlen(n->name) + 7 >= sizeof in->name)
                ki_fail(p, line, col, "the layer name '%s' is too long for its Input's name", n->name);
            char nm[LS_NAME_MAX + 8];
            snprintf(nm, sizeof nm, "%s_input", n->name);
            memcpy(in->name, nm, sizeof in->name);
            in->name[sizeof in->name - 1] = '\0';
            in->args = strdup("");
            in->applied = true;
            in->order = ++pg->applied;
            in->seq_model = mi;
            m->in = ka_node_ref(ii);
            m->out = m->in;
        }
    }
    if (m->n_seq == m->cap_seq) {
        int cap = m->cap_seq ? m->cap_seq * 2 : 16;
        int *s = realloc(m->seq, sizeof *s * (size_t)cap);
        if (!s)
            ki_fail(p, line, col, "out of memory");
        m->seq = s;
        m->cap_seq = cap;
    }
    m->seq[m->n_seq++] = ni;
    n = &pg->nodes[ni];
    n->seq_model = mi;
    if (n->type == NN_INPUT && n->kind == KN_LAYER) {
        m->in = ka_node_ref(ni);
        m->out = m->in;
        m->n_seq--; /* InputLayer: the input, not a layer of model.layers */
        m->has_io = true;
        return;
    }
    n->n_in = 1;
    n->in[0] = m->out; /* node -1: the input is not known (no input_shape yet) */
    n->applied = true;
    n->order = ++pg->applied;
    m->out = ka_node_ref(ni);
    m->has_io = true;
}

/* Keras's name for model mi: name= (written quoted into the lesson: no quote, backslash
 * or control character), else the class's automatic one, counted over the models of
 * that class Keras named itself: sequential, sequential_1, ...; model, model_1, ... */
static void name_model(kparser *p, int mi, const char *name)
{
    kmodel *m = &p->pg->models[mi];
    if (name && *name) {
        snprintf(m->name, sizeof m->name, "%s", name);
        for (char *c = m->name; *c; c++)
            if (*c == '"' || *c == '\\' || (unsigned char)*c < 32)
                *c = '_';
        return;
    }
    int k = 0;
    for (int i = 0; i < mi; i++)
        k += p->pg->models[i].sequential == m->sequential && p->pg->models[i].auto_named;
    m->auto_named = true;
    const char *cls = m->sequential ? "sequential" : "model";
    if (k)
        snprintf(m->name, sizeof m->name, "%s_%d", cls, k);
    else
        snprintf(m->name, sizeof m->name, "%s", cls);
}

static kval *make_sequential(kparser *p, kargs *a, int line, int col)
{
    static const char *const names[] = {"layers", "name", NULL};
    kbound b;
    ka_bind_args(p, a, "Sequential", names, 2, &b);
    const char *name = b.v[1] ? ka_need_str(p, &b, 1, "the model's name", true) : NULL;
    ki_effect(p);
    int mi = new_model(p, true, line, col);
    name_model(p, mi, name);
    if (b.v[0] && b.v[0]->k != V_NONE) {
        kval *l = b.v[0];
        ki_need_known(p, l, ka_vline(&b, 0), ka_vcol(&b, 0), "as Sequential's layers");
        if (l->k != V_SEQ)
            ki_fail(p, ka_vline(&b, 0), ka_vcol(&b, 0), "Sequential takes a list of layers, found %s", ki_kind_name(l));
        for (int i = 0; i < l->n; i++)
            seq_add(p, mi, l->items[i], l->items[i]->line, l->items[i]->col);
    }
    kval *v = ki_val(p, V_MODEL, line, col);
    v->idx = mi;
    return v;
}

static kref need_one_tensor(kparser *p, kval *v, int line, int col, const char *what)
{
    ki_need_known(p, v, line, col, what);
    if (v->k == V_SEQ) {
        if (v->n != 1)
            ki_fail(p, line, col, "%s: a model with %d of them is not supported (one input, one output)", what, v->n);
        v = v->items[0];
    }
    if (v->k != V_TENSOR)
        ki_fail(p, line, col, "%s must be a layer's output (a tensor), found %s", what, ki_kind_name(v));
    return v->ref;
}

static kval *make_model(kparser *p, kargs *a, int line, int col)
{
    static const char *const names[] = {"inputs", "outputs", "name", "trainable", NULL};
    kbound b;
    ka_bind_args(p, a, "Model", names, 2, &b);
    if (!b.v[0] || !b.v[1])
        ki_fail(p, line, col, "Model needs inputs and outputs, e.g. Model(inputs, outputs)");
    kref in = need_one_tensor(p, b.v[0], ka_vline(&b, 0), ka_vcol(&b, 0), "the model's inputs");
    kref out = need_one_tensor(p, b.v[1], ka_vline(&b, 1), ka_vcol(&b, 1), "the model's outputs");
    const char *name = b.v[2] ? ka_need_str(p, &b, 2, "the model's name", true) : NULL;
    bool tr = b.v[3] ? ka_need_bool(p, &b, 3, "trainable") : true;
    ki_effect(p);
    int mi = new_model(p, false, line, col);
    name_model(p, mi, name);
    kmodel *m = &p->pg->models[mi];
    m->in = in;
    m->out = out;
    m->has_io = true;
    m->self_tr = m->self_tr_c = tr;
    kval *v = ki_val(p, V_MODEL, line, col);
    v->idx = mi;
    return v;
}

typedef struct {
    int depth, visit, id;
} order_key;

static int cmp_order(const void *a, const void *b)
{
    const order_key *x = a, *y = b;
    if (x->depth != y->depth)
        return x->depth > y->depth ? -1 : 1;
    return (x->visit > y->visit) - (x->visit < y->visit);
}

/* The layers of model mi as Keras's model.layers lists them. Sequential: its layers in
 * order. Functional: every layer between input and output (the InputLayer and the
 * base's layers included) ordered as Keras's _map_graph_network does: by depth (the
 * longest path to the output) from the deepest, ties by the order a depth-first walk
 * from the output first reaches them. */
static int model_refs(kparser *p, int mi, kref **out)
{
    kprog *pg = p->pg;
    kmodel *m = &pg->models[mi];
    if (m->sequential) {
        kref *r = ki_alloc(p, sizeof *r * (size_t)(m->n_seq + 1));
        for (int i = 0; i < m->n_seq; i++)
            r[i] = ka_node_ref(m->seq[i]);
        *out = r;
        return m->n_seq;
    }
    /* a functional model's graph never changes once made */
    if (mi < 64 && p->refs_cache[mi]) {
        *out = p->refs_cache[mi];
        return p->refs_n[mi];
    }
    int off[KI_MAX_BASES + 1];
    int total = pg->n_nodes;
    for (int b = 0; b < pg->n_bases; b++) {
        off[b] = total;
        total += pg->bases[b].full->n_layers;
    }
    kref *of = ki_alloc(p, sizeof *of * (size_t)(total + 1));
    for (int i = 0; i < pg->n_nodes; i++)
        of[i] = ka_node_ref(i);
    for (int b = 0; b < pg->n_bases; b++)
        for (int s = 0; s < pg->bases[b].full->n_layers; s++)
            of[off[b] + s] = (kref){-1, b, s};
#define REF_ID(r) ((r).node >= 0 ? (r).node : (r).base >= 0 ? off[(r).base] + (r).sub : -1)
    int in_id = REF_ID(m->in);
    int *tindex = ki_alloc(p, sizeof(int) * (size_t)(total + 1));
    int *depth = ki_alloc(p, sizeof(int) * (size_t)(total + 1));
    int *post = ki_alloc(p, sizeof(int) * (size_t)(total + 1));
    bool *done = ki_alloc(p, (size_t)total + 1);
    bool *on_stack = ki_alloc(p, (size_t)total + 1);
    struct frame {
        int id, k;
    } *st = ki_alloc(p, sizeof *st * (size_t)(total + 1));
    for (int i = 0; i < total; i++)
        tindex[i] = -1;
    int n_post = 0, counter = 0, sp = 0;
    int out_id = REF_ID(m->out);
    if (out_id < 0) {
        *out = ki_alloc(p, sizeof **out);
        return 0;
    }
    tindex[out_id] = counter++;
    st[sp++] = (struct frame){out_id, 0};
    on_stack[out_id] = true;
    while (sp > 0) {
        struct frame *f = &st[sp - 1];
        int nin = 0;
        kref child = {-1, -1, 0};
        if (f->id != in_id) {
            if (f->id < pg->n_nodes) {
                const knode *n = &pg->nodes[f->id];
                nin = n->n_in;
                if (f->k < nin)
                    child = n->in[f->k];
            } else {
                kref r = of[f->id];
                const nn_layer *ly = pg->bases[r.base].full->layers[r.sub];
                nin = ly->n_inputs;
                if (f->k < nin)
                    child = (kref){-1, r.base, ly->inputs[f->k]};
            }
        }
        if (f->k < nin) {
            f->k++;
            int c = REF_ID(child);
            if (c < 0)
                continue;
            if (tindex[c] < 0)
                tindex[c] = counter++;
            if (!done[c] && !on_stack[c]) {
                on_stack[c] = true;
                st[sp++] = (struct frame){c, 0};
            }
            continue;
        }
        done[f->id] = true;
        on_stack[f->id] = false;
        post[n_post++] = f->id;
        sp--;
    }
    /* depths, walking from the output (reversed post-order is topological) */
    for (int i = n_post - 1; i >= 0; i--) {
        int id = post[i];
        int d = depth[id];
        if (id == in_id)
            continue;
        if (id < pg->n_nodes) {
            const knode *n = &pg->nodes[id];
            for (int k = 0; k < n->n_in; k++) {
                int c = REF_ID(n->in[k]);
                if (c >= 0 && depth[c] < d + 1)
                    depth[c] = d + 1;
            }
        } else {
            kref r = of[id];
            const nn_layer *ly = pg->bases[r.base].full->layers[r.sub];
            for (int k = 0; k < ly->n_inputs; k++) {
                int c = off[r.base] + ly->inputs[k];
                if (depth[c] < d + 1)
                    depth[c] = d + 1;
            }
        }
    }
#undef REF_ID
    /* sort by depth (deepest first), then by first visit */
    order_key *keys = ki_alloc(p, sizeof *keys * (size_t)(n_post + 1));
    for (int i = 0; i < n_post; i++)
        keys[i] = (order_key){depth[post[i]], tindex[post[i]], post[i]};
    qsort(keys, (size_t)n_post, sizeof *keys, cmp_order);
    kref *r = ki_alloc(p, sizeof *r * (size_t)(n_post + 1));
    for (int i = 0; i < n_post; i++)
        r[i] = of[keys[i].id];
    *out = r;
    if (mi < 64) {
        p->refs_cache[mi] = r;
        p->refs_n[mi] = n_post;
    }
    return n_post;
}

static kval *layers_val(kparser *p, kref *refs, int n, int line, int col)
{
    kval *v = ki_val(p, V_LAYERS, line, col);
    v->refs = refs;
    v->nrefs = n;
    return v;
}

static kval *layer_ref_val(kparser *p, kref r, int line, int col)
{
    kval *v = ki_val(p, V_LAYER, line, col);
    v->ref = r;
    return v;
}

kval *ka_layers_index(kparser *p, kval *list, kval *index, int line, int col)
{
    int64_t n = list->nrefs;
    if (index->k == V_SLICE) {
        int64_t lo, hi;
        ki_slice_bounds(index, n, &lo, &hi);
        return layers_val(p, list->refs + lo, (int)(hi - lo), line, col);
    }
    if (index->k == V_NUM && index->huge)
        ki_fail(p, line, col, "index %.0f is out of range: the list has %lld layers", index->num, (long long)n);
    if (!(index->k == V_NUM && index->is_int))
        ki_fail(p, line, col, "model.layers takes a whole-number index, found %s", ki_kind_name(index));
    int64_t i = index->i;
    if (i < 0)
        i += n;
    if (i < 0 || i >= n)
        ki_fail(p, line, col, "index %lld is out of range: the list has %lld layers", (long long)index->i, (long long)n);
    return layer_ref_val(p, list->refs[i], line, col);
}

/* ------------------------------------------------------------------------------------ */
/* Trainable flags */

static void mark_base_flag(kparser *p, kbase *bs)
{
    const ktok *t = &p->lx->t[p->st_tok];
    bs->flag_line = t->line;
    bs->flag_col = t->col;
}

static void set_base_all(kparser *p, kbase *bs, bool v)
{
    bs->self_tr = v;
    for (int i = 0; i < bs->full->n_layers; i++)
        bs->tr[i] = v;
    mark_base_flag(p, bs);
}

static void set_ref_trainable(kparser *p, kref r, bool v)
{
    kprog *pg = p->pg;
    if (r.node >= 0) {
        knode *n = &pg->nodes[r.node];
        if (n->kind == KN_BASE)
            set_base_all(p, &pg->bases[n->base], v);
        else
            n->trainable = v;
    } else if (r.base >= 0) {
        kbase *bs = &pg->bases[r.base];
        bs->tr[r.sub] = v;
        mark_base_flag(p, bs);
    }
}

void ka_setattr(kparser *p, kval *obj, const ktok *name, kval *v, int vl, int vc)
{
    char nb[64];
    ki_tok_text(p, name, nb, sizeof nb);
    if (strcmp(nb, "trainable"))
        ki_fail(p, name->line, name->col, "setting '%s' on %s is not supported (only trainable)", nb, ki_kind_name(obj));
    ki_need_known(p, v, vl, vc, "as trainable");
    if (v->k != V_BOOL)
        ki_fail(p, vl, vc, "trainable takes True or False, found %s", ki_kind_name(v));
    ki_effect(p);
    kprog *pg = p->pg;
    switch (obj->k) {
    case V_LAYER:
        set_ref_trainable(p, obj->ref, v->b);
        break;
    case V_BASE:
        set_base_all(p, &pg->bases[obj->idx], v->b);
        break;
    case V_MODEL: {
        kref *refs;
        int n = model_refs(p, obj->idx, &refs);
        for (int i = 0; i < n; i++)
            set_ref_trainable(p, refs[i], v->b);
        pg->models[obj->idx].self_tr = v->b;
        break;
    }
    default:
        ki_fail(p, name->line, name->col, "setting trainable on %s is not supported", ki_kind_name(obj));
    }
}

/* ------------------------------------------------------------------------------------ */
/* Optimizers, losses, compile */
static void snapshot_flags(kprog *pg)
{
    for (int i = 0; i < pg->n_nodes; i++)
        pg->nodes[i].trainable_c = pg->nodes[i].trainable;
    for (int b = 0; b < pg->n_bases; b++) {
        kbase *bs = &pg->bases[b];
        bs->self_tr_c = bs->self_tr;
        if (bs->full)
            memcpy(bs->tr_c, bs->tr, sizeof *bs->tr * (size_t)bs->full->n_layers);
    }
    for (int m = 0; m < pg->n_models; m++)
        pg->models[m].self_tr_c = pg->models[m].self_tr;
}

/* The last Dense of model mi's output (through Dropout and Activation): its units and
 * the activation applied to it; false when the output is not such a Dense. */
static bool output_dense(const kprog *pg, const kmodel *m, int *units, nn_act *act)
{
    int node = m->sequential ? (m->n_seq ? m->seq[m->n_seq - 1] : -1) : m->out.node;
    bool act_set = false;
    for (int guard = 0; guard < 2048 && node >= 0; guard++) {
        const knode *n = &pg->nodes[node];
        if (n->kind != KN_LAYER)
            return false;
        if (n->type == NN_DENSE) {
            *units = n->units;
            if (!act_set)
                *act = n->act;
            return true;
        }
        if (n->type == NN_ACTIVATION && !act_set) {
            *act = n->act;
            act_set = true;
        } else if (n->type != NN_DROPOUT && n->type != NN_ACTIVATION) {
            return false;
        }
        if (m->sequential) { /* the layer added before it */
            int k = -1;
            for (int i = 0; i < m->n_seq; i++)
                if (m->seq[i] == node)
                    k = i;
            node = k > 0 ? m->seq[k - 1] : -1;
        } else {
            node = n->n_in == 1 ? n->in[0].node : -1;
        }
    }
    return false;
}

void ka_default_compile(kparser *p)
{
    kprog *pg = p->pg;
    if (pg->compile.set || pg->n_models == 0)
        return;
    int mi = pg->n_models - 1;
    const kmodel *m = &pg->models[mi];
    int units = 0;
    nn_act act = NN_ACT_LINEAR;
    nn_loss_kind loss;
    if (output_dense(pg, m, &units, &act) && units == 1 && act == NN_ACT_SIGMOID)
        loss = NN_LOSS_BCE;
    else if (output_dense(pg, m, &units, &act) && units >= 2 && act == NN_ACT_SOFTMAX)
        loss = NN_LOSS_SCCE;
    else
        ki_fail(p, m->line, m->col,
                "this model is never compiled, and its output is not Dense(1, activation='sigmoid') or Dense(classes, activation='softmax'), so dropscope cannot choose its loss: add model.compile(optimizer=..., loss=...)");
    kcompile *c = &pg->compile;
    memset(c, 0, sizeof *c);
    c->set = c->assumed = c->accuracy = true;
    c->model = mi;
    c->line = c->opt_line = c->loss_line = m->line;
    c->col = c->opt_col = c->loss_col = m->col;
    snprintf(c->opt, sizeof c->opt, "rmsprop"); /* compile()'s default */
    c->loss = loss;
    ki_note(pg, m->line,
            "this model is never compiled: Keras would refuse to fit it (\"You must compile your model before training/testing\"); the lesson compiles it with compile()'s default optimizer, rmsprop, and %s, the loss its output calls for",
            nn_loss_name(loss));
    snapshot_flags(pg);
}

static void compile_model(kparser *p, int mi, kargs *a, int line, int col)
{
    static const char *const names[] = {"optimizer", "loss", "metrics", "loss_weights", "weighted_metrics",
                                        "run_eagerly", "steps_per_execution", "jit_compile", NULL};
    kbound b;
    ka_bind_args(p, a, "compile", names, 7, &b);
    kprog *pg = p->pg;
    kcompile c;
    memset(&c, 0, sizeof c);
    c.set = true;
    c.line = line;
    c.col = col;
    c.model = mi;
    c.opt_line = line;
    c.opt_col = col;
    snprintf(c.opt, sizeof c.opt, "rmsprop"); /* Keras's default */
    if (b.v[0]) {
        kval *o = b.v[0];
        c.opt_line = ka_vline(&b, 0);
        c.opt_col = ka_vcol(&b, 0);
        ki_need_known(p, o, ka_vline(&b, 0), ka_vcol(&b, 0), "as the optimizer");
        if (o->k == V_STR) {
            char lo[32];
            ka_str_lower(o->s, lo, sizeof lo);
            bool known = false;
            for (int i = 0; i < LS_VOCAB_OPTIMIZERS; i++)
                known = known || !strcmp(lo, ls_vocab_optimizers[i].name);
            if (!known)
                ki_fail(p, ka_vline(&b, 0), ka_vcol(&b, 0),
                        "the optimizer '%.40s' is not supported (dropscope has sgd, rmsprop, adam, adagrad and adadelta)", o->s);
            snprintf(c.opt, sizeof c.opt, "%s", lo);
        } else if (o->k == V_OPT) {
            snprintf(c.opt, sizeof c.opt, "%s", o->s);
        } else if (o->k == V_SYM && o->sym == S_OPT) {
            ki_fail(p, ka_vline(&b, 0), ka_vcol(&b, 0), "give an optimizer object, e.g. %s(learning_rate=0.001) (with parentheses)",
                    o->s);
        } else {
            ki_fail(p, ka_vline(&b, 0), ka_vcol(&b, 0), "the optimizer must be a name such as 'rmsprop' or an optimizer object, found %s",
                    ki_kind_name(o));
        }
    }
    if (!b.v[1] || b.v[1]->k == V_NONE)
        ki_fail(p, line, col, "compile() needs a loss, e.g. loss='binary_crossentropy'");
    kval *l = b.v[1];
    c.loss_line = ka_vline(&b, 1);
    c.loss_col = ka_vcol(&b, 1);
    ki_need_known(p, l, c.loss_line, c.loss_col, "as the loss");
    int lk = -1;
    if (l->k == V_STR) {
        static const char *const ls[] = {"binary_crossentropy", "sparse_categorical_crossentropy",
                                         "categorical_crossentropy", "BinaryCrossentropy",
                                         "SparseCategoricalCrossentropy", "CategoricalCrossentropy"};
        for (int i = 0; i < 6; i++)
            if (!strcmp(l->s, ls[i]))
                lk = i % 3;
        if (lk < 0) {
            char sg[96];
            ki_fail(p, c.loss_line, c.loss_col,
                    "the loss '%.40s' is not supported%s (dropscope has binary_crossentropy and sparse_categorical_crossentropy)",
                    l->s, ka_suggest(l->s, ls, 6, sg, sizeof sg));
        }
    } else if (l->k == V_SYM && l->sym == S_LOSS_FN) {
        lk = l->sub;
    } else if (l->k == V_LOSS) {
        lk = l->b ? 2 : l->sub == NN_LOSS_BCE ? 0 : 1;
        c.from_logits = l->is_int;
    } else if (l->k == V_SYM && l->sym == S_LOSS_CLASS) {
        ki_fail(p, c.loss_line, c.loss_col, "give a loss object, e.g. %s() (with parentheses)", l->s);
    } else {
        ki_fail(p, c.loss_line, c.loss_col, "the loss must be a name such as 'binary_crossentropy', found %s",
                ki_kind_name(l));
    }
    c.loss = lk == 0 ? NN_LOSS_BCE : NN_LOSS_SCCE;
    if (lk == 2)
        ki_note(pg, c.loss_line,
                "categorical_crossentropy is read as sparse_categorical_crossentropy: the same loss, on class numbers instead of one-hot labels");
    if (b.v[2] && b.v[2]->k != V_NONE) {
        kval *m = b.v[2];
        ki_need_known(p, m, ka_vline(&b, 2), ka_vcol(&b, 2), "as the metrics");
        int n = m->k == V_SEQ ? m->n : 1;
        for (int i = 0; i < n; i++) {
            kval *x = m->k == V_SEQ ? m->items[i] : m;
            if (x->k == V_STR && (!strcmp(x->s, "accuracy") || !strcmp(x->s, "acc")))
                c.accuracy = true;
            else if (x->k == V_STR)
                ki_note(pg, ka_vline(&b, 2), "the metric '%.40s' is not shown: dropscope measures loss and accuracy", x->s);
            else
                ki_note(pg, ka_vline(&b, 2), "a metric given as %s is not shown: dropscope measures loss and accuracy",
                        ki_kind_name(x));
        }
    }
    for (int k = 3; k < 5; k++)
        if (b.v[k] && b.v[k]->k != V_NONE)
            ki_fail(p, ka_vline(&b, k), ka_vcol(&b, k), "%s= is not supported", names[k]);
    for (int k = 5; k < 8; k++)
        if (b.v[k])
            ki_note(pg, ka_vline(&b, k), "compile's %s= is not used: it changes only how TensorFlow runs", names[k]);
    ki_effect(p);
    if (pg->compile.set)
        ki_note(pg, pg->compile.line, "this compile() is replaced by the compile() at line %d", line);
    pg->compile = c;
    pg->models[mi].n_compiles++;
    snapshot_flags(pg);
}

/* ------------------------------------------------------------------------------------ */
/* Attributes and methods */

static kval *method(kparser *p, kval *self, const char *name, int line, int col)
{
    kval *m = ki_val(p, V_METHOD, line, col);
    m->self = self;
    m->meth = ki_strdup(p, name);
    return m;
}

static kval *str_val(kparser *p, const char *s, int line, int col)
{
    kval *v = ki_val(p, V_STR, line, col);
    v->s = ki_strdup(p, s);
    v->slen = (int)strlen(s);
    return v;
}

static bool ref_trainable(const kprog *pg, kref r)
{
    if (r.node >= 0) {
        const knode *n = &pg->nodes[r.node];
        return n->kind == KN_BASE ? pg->bases[n->base].self_tr : n->trainable;
    }
    return r.base >= 0 ? pg->bases[r.base].tr[r.sub] : true;
}

static kval *opaque_attr(kparser *p, kval *obj, const char *name, int line, int col)
{
    char path[128];
    snprintf(path, sizeof path, "%s.%s", ki_kind_name(obj), name);
    return ki_opaque(p, path, path, line, col);
}

kval *ka_getattr(kparser *p, kval *obj, const ktok *name)
{
    kprog *pg = p->pg;
    char nb[64];
    ki_tok_text(p, name, nb, sizeof nb);
    int line = name->line, col = name->col;
    switch (obj->k) {
    case V_LAYER: {
        kref r = obj->ref;
        if (!strcmp(nb, "trainable")) {
            kval *v = ki_val(p, V_BOOL, line, col);
            v->b = ref_trainable(pg, r);
            return v;
        }
        if (!strcmp(nb, "name"))
            return str_val(p, ka_ref_name(pg, r), line, col);
        if (!strcmp(nb, "output")) {
            if (r.node >= 0 && !pg->nodes[r.node].applied)
                ki_fail(p, line, col, "the layer '%s' has no output yet: it was never called on an input",
                        pg->nodes[r.node].name);
            return ka_tensor_val(p, r, line, col);
        }
        if (!strcmp(nb, "input")) {
            if (r.node >= 0) {
                const knode *n = &pg->nodes[r.node];
                if (n->type == NN_INPUT && n->kind == KN_LAYER)
                    return ka_tensor_val(p, r, line, col);
                if (!n->applied || n->n_in != 1 || (n->in[0].node < 0 && n->in[0].base < 0))
                    ki_fail(p, line, col, "the layer '%s' has no single input", n->name);
                return ka_tensor_val(p, n->in[0], line, col);
            }
            const nn_layer *ly = pg->bases[r.base].full->layers[r.sub];
            if (ly->n_inputs != 1)
                return ka_tensor_val(p, r, line, col);
            return ka_tensor_val(p, (kref){-1, r.base, ly->inputs[0]}, line, col);
        }
        if (!strcmp(nb, "set_weights"))
            ki_fail(p, line, col, "set_weights is not supported: dropscope initialises weights (or loads them into a base)");
        if (!strcmp(nb, "get_weights") || !strcmp(nb, "count_params") || !strcmp(nb, "get_config"))
            return method(p, obj, nb, line, col);
        return opaque_attr(p, obj, nb, line, col);
    }
    case V_TENSOR:
        return opaque_attr(p, obj, nb, line, col);
    case V_BASE: {
        kbase *bs = &pg->bases[obj->idx];
        if (!strcmp(nb, "layers")) {
            int n = bs->full->n_layers;
            kref *r = ki_alloc(p, sizeof *r * (size_t)n);
            for (int i = 0; i < n; i++)
                r[i] = (kref){-1, obj->idx, i};
            return layers_val(p, r, n, line, col);
        }
        if (!strcmp(nb, "input") || !strcmp(nb, "output") || !strcmp(nb, "inputs") || !strcmp(nb, "outputs")) {
            kref r = {-1, obj->idx, nb[0] == 'i' ? 0 : bs->full->n_layers - 1};
            kval *t = ka_tensor_val(p, r, line, col);
            if (nb[strlen(nb) - 1] != 's')
                return t;
            kval *s = ki_val(p, V_SEQ, line, col);
            s->items = ki_alloc(p, sizeof *s->items);
            s->items[0] = t;
            s->n = s->cap = 1;
            return s;
        }
        if (!strcmp(nb, "trainable")) {
            kval *v = ki_val(p, V_BOOL, line, col);
            v->b = bs->self_tr;
            return v;
        }
        if (!strcmp(nb, "name"))
            return str_val(p, bs->word, line, col);
        if (!strcmp(nb, "optimizer"))
            ki_fail(p, line, col, "model.optimizer is not supported: give the optimizer in compile()");
        return method(p, obj, nb, line, col);
    }
    case V_MODEL: {
        kmodel *m = &pg->models[obj->idx];
        if (!strcmp(nb, "layers")) {
            kref *r;
            int n = model_refs(p, obj->idx, &r);
            return layers_val(p, r, n, line, col);
        }
        if (!strcmp(nb, "input") || !strcmp(nb, "output") || !strcmp(nb, "inputs") || !strcmp(nb, "outputs")) {
            kref r = nb[0] == 'i' ? m->in : m->out;
            if (r.node < 0 && r.base < 0)
                ki_fail(p, line, col, "this model has no %s yet (give the first layer an input_shape=)", nb);
            kval *t = ka_tensor_val(p, r, line, col);
            if (nb[strlen(nb) - 1] != 's')
                return t;
            kval *s = ki_val(p, V_SEQ, line, col);
            s->items = ki_alloc(p, sizeof *s->items);
            s->items[0] = t;
            s->n = s->cap = 1;
            return s;
        }
        if (!strcmp(nb, "trainable")) {
            kval *v = ki_val(p, V_BOOL, line, col);
            v->b = m->self_tr;
            return v;
        }
        if (!strcmp(nb, "optimizer"))
            ki_fail(p, line, col, "model.optimizer is not supported: give the optimizer in compile()");
        return method(p, obj, nb, line, col);
    }
    default:
        return opaque_attr(p, obj, nb, line, col);
    }
}

/* name= or index= of get_layer, on the layers refs[0..n). */
static kval *get_layer(kparser *p, kval *self, kargs *a, int line, int col)
{
    static const char *const names[] = {"name", "index", NULL};
    kbound b;
    ka_bind_args(p, a, "get_layer", names, 2, &b);
    kprog *pg = p->pg;
    kref *refs;
    int n;
    if (self->k == V_BASE) {
        n = pg->bases[self->idx].full->n_layers;
        refs = ki_alloc(p, sizeof *refs * (size_t)n);
        for (int i = 0; i < n; i++)
            refs[i] = (kref){-1, self->idx, i};
    } else {
        n = model_refs(p, self->idx, &refs);
    }
    if (b.v[1] && b.v[1]->k != V_NONE) {
        long long i = ka_need_int(p, &b, 1, "index");
        if (i < 0 || i >= n)
            ki_fail(p, ka_vline(&b, 1), ka_vcol(&b, 1), "index %lld is out of range: the model has %d layers", i, n);
        return layer_ref_val(p, refs[i], line, col);
    }
    if (!b.v[0])
        ki_fail(p, line, col, "get_layer needs a name, e.g. get_layer('mixed7')");
    const char *s = ka_need_str(p, &b, 0, "the layer's name", false);
    for (int i = 0; i < n; i++)
        if (!strcmp(ka_ref_name(pg, refs[i]), s))
            return layer_ref_val(p, refs[i], line, col);
    const char **cand = ki_alloc(p, sizeof *cand * (size_t)(n + 1));
    for (int i = 0; i < n; i++)
        cand[i] = ka_ref_name(pg, refs[i]);
    char sg[96];
    ka_suggest(s, cand, n, sg, sizeof sg);
    if (self->k == V_BASE)
        ki_fail(p, ka_vline(&b, 0), ka_vcol(&b, 0), "%s has no layer named '%.60s'%s (its layers run from '%s' to '%s')",
                pg->bases[self->idx].keras, s, sg, cand[1 < n ? 1 : 0], cand[n - 1]);
    ki_fail(p, ka_vline(&b, 0), ka_vcol(&b, 0), "the model has no layer named '%.60s'%s", s, sg);
}

static kval *load_weights(kparser *p, kval *self, kargs *a, int line, int col)
{
    static const char *const names[] = {"filepath", "by_name", "skip_mismatch", "options", NULL};
    kbound b;
    ka_bind_args(p, a, "load_weights", names, 4, &b);
    if (self->k != V_BASE)
        ki_fail(p, line, col,
                "load_weights on the whole model is not supported: dropscope loads weights into the pretrained base only");
    if (!b.v[0])
        ki_fail(p, line, col, "load_weights needs a file, e.g. load_weights('weights.h5')");
    const char *w = ka_need_str(p, &b, 0, "the weights file", false);
    if (!w[0]) { /* a placeholder left empty */
        ki_note(p->pg, line, "load_weights('') names no file (Keras would stop here, unable to open it): the base runs on random weights");
        return ki_val(p, V_NONE, line, col);
    }
    ka_need_path_length(p, w, ka_vline(&b, 0), ka_vcol(&b, 0));
    if (!ka_plain_path(w))
        ki_fail(p, ka_vline(&b, 0), ka_vcol(&b, 0), "the weights file must be a plain path (no quotes, backslashes or control characters)");
    if (b.v[1])
        ka_need_bool(p, &b, 1, "by_name"); /* dropscope's loader matches by name when the file has names */
    if (b.v[2] && ka_need_bool(p, &b, 2, "skip_mismatch"))
        ki_fail(p, ka_vline(&b, 2), ka_vcol(&b, 2), "skip_mismatch=True is not supported");
    if (b.v[3] && b.v[3]->k != V_NONE)
        ki_note(p->pg, ka_vline(&b, 3), "load_weights' options= is not used");
    ki_effect(p);
    kbase *bs = &p->pg->bases[self->idx];
    free(bs->weights);
    bs->weights = strdup(w);
    if (!bs->weights)
        ki_fail(p, line, col, "out of memory");
    bs->weights_line = line;
    bs->imagenet = false;
    return ki_val(p, V_NONE, line, col);
}

/* base(x) / base(x, training=False): the pretrained base as one layer of the model. */
static kval *apply_base(kparser *p, int bi, kargs *a, int line, int col)
{
    kprog *pg = p->pg;
    kbase *bs = &pg->bases[bi];
    if (bs->node >= 0)
        ki_fail(p, line, col, "%s is called a second time: dropscope supports it once", bs->keras);
    kval *x = NULL;
    int xl = line, xc = col, tl = bs->training_line, tc = bs->training_col;
    nn_train_mode tm = bs->training;
    for (int i = 0; i < a->n; i++) {
        karg *g = &a->a[i];
        char kb[32];
        const char *k = g->key ? ki_tok_text(p, g->key, kb, sizeof kb) : NULL;
        if ((!k && !x) || (k && !strcmp(k, "inputs") && !x)) {
            x = g->v;
            xl = g->vline;
            xc = g->vcol;
        } else if (k && !strcmp(k, "training")) {
            /* the Keras guide's fine-tuning recipe: training=False keeps the base's
             * BatchNormalization in inference mode even once the base is unfrozen */
            bs->training = ka_training_arg(p, g);
            bs->training_line = g->line;
            bs->training_col = g->col;
        } else {
            ki_fail(p, g->line, g->col, "calling %s with %s is not supported", bs->keras, k ? k : "a second input");
        }
    }
    if (!x)
        ki_fail(p, line, col, "%s is called without an input", bs->keras);
    if (ka_is_data(x)) { /* feature_batch = base_model(image_batch): not the model */
        bs->training_line = tl;
        bs->training_col = tc;
        bs->training = tm;
        return ka_call_on_data(p, x, line, col);
    }
    ki_need_known(p, x, xl, xc, "as the base's input");
    if (x->k != V_TENSOR)
        ki_fail(p, xl, xc, "%s is called on a layer's output (a tensor), found %s", bs->keras, ki_kind_name(x));
    ki_effect(p);
    int ni = ka_new_node(p, KN_BASE, NN_INPUT, line, col);
    knode *n = &pg->nodes[ni];
    n->base = bi;
    snprintf(n->name, sizeof n->name, "%s", bs->word);
    n->args = strdup("");
    n->n_in = 1;
    n->in[0] = x->ref;
    n->applied = true;
    n->order = ++pg->applied;
    pg->bases[bi].node = ni;
    return ka_tensor_val(p, ka_node_ref(ni), line, col);
}

static kval *call_method(kparser *p, kval *m, kargs *a, int line, int col)
{
    kval *self = m->self;
    const char *name = m->meth;
    char desc[128];
    snprintf(desc, sizeof desc, "%s(...)", name);
    if (self->k == V_LAYER) { /* get_weights, count_params, get_config */
        ki_event(p, C_GENERIC, NULL);
        return ki_opaque(p, name, name, line, col);
    }
    if (self->k != V_BASE && self->k != V_MODEL)
        ki_fail(p, line, col, "%s() is not supported here", name);
    bool is_base = self->k == V_BASE;
    if (!strcmp(name, "summary"))
        return ki_val(p, V_SUMMARY, line, col);
    if (!strcmp(name, "get_layer"))
        return get_layer(p, self, a, line, col);
    if (!strcmp(name, "load_weights"))
        return load_weights(p, self, a, line, col);
    if (!strcmp(name, "compile")) {
        if (is_base)
            ki_fail(p, line, col, "compiling %s itself is not supported: build a model on top of it and compile that",
                    p->pg->bases[self->idx].keras);
        compile_model(p, self->idx, a, line, col);
        return ki_val(p, V_NONE, line, col);
    }
    if (!strcmp(name, "add")) {
        if (is_base || !p->pg->models[self->idx].sequential)
            ki_fail(p, line, col, "add() belongs to Sequential models");
        char kb[16];
        if (a->n != 1 || (a->a[0].key && strcmp(ki_tok_text(p, a->a[0].key, kb, sizeof kb), "layer")))
            ki_fail(p, line, col, "add() takes one layer");
        seq_add(p, self->idx, a->a[0].v, a->a[0].vline, a->a[0].vcol);
        return ki_val(p, V_NONE, line, col);
    }
    static const char *const fit[] = {"fit", "fit_generator", "train_on_batch", NULL};
    static const char *const pred[] = {"evaluate", "evaluate_generator", "predict", "predict_generator",
                                       "predict_classes", "predict_proba", "predict_on_batch", "test_on_batch", NULL};
    static const char *const save[] = {"save", "save_weights", "to_json", "to_yaml", NULL};
    static const char *const read[] = {"get_weights", "count_params", "get_config", NULL};
    for (int i = 0; fit[i]; i++)
        if (!strcmp(name, fit[i])) {
            if (!is_base) {
                /* the batch size Keras would use: fit's, else the generator's, else 32 */
                int batch = 0, bl = line;
                for (int k = 0; k < a->n; k++) {
                    char kb[32];
                    kval *v = a->a[k].v;
                    if (a->a[k].key && !strcmp(ki_tok_text(p, a->a[k].key, kb, sizeof kb), "batch_size") &&
                        v->k == V_NUM && v->is_int && v->i > 0) {
                        batch = v->i > 4096 ? 4096 : (int)v->i;
                        bl = a->a[k].vline;
                    }
                }
                if (!batch && a->n > 0 && !a->a[0].key && a->a[0].v->k == V_OPAQUE && a->a[0].v->batch > 0)
                    batch = a->a[0].v->batch > 4096 ? 4096 : a->a[0].v->batch;
                if (!batch && !strcmp(name, "fit"))
                    batch = 32;
                if (batch) {
                    p->pg->batch = batch;
                    p->pg->batch_line = bl;
                }
            }
            char d2[160];
            snprintf(d2, sizeof d2, "%s.%s(...)", is_base ? "the base" : "model", name);
            ki_event(p, C_FIT, d2);
            kval *r = ki_opaque(p, "history", "the training history", line, col);
            r->cat = C_GENERIC;
            return r;
        }
    for (int i = 0; pred[i]; i++)
        if (!strcmp(name, pred[i])) {
            char d2[160];
            snprintf(d2, sizeof d2, "model.%s(...)", name);
            ki_event(p, C_PREDICT, d2);
            return ki_opaque(p, "predictions", "predictions", line, col);
        }
    for (int i = 0; save[i]; i++)
        if (!strcmp(name, save[i])) {
            char d2[160];
            snprintf(d2, sizeof d2, "model.%s(...)", name);
            ki_event(p, C_SAVE, d2);
            return ki_val(p, V_NONE, line, col);
        }
    for (int i = 0; read[i]; i++)
        if (!strcmp(name, read[i])) {
            ki_event(p, C_GENERIC, NULL);
            return ki_opaque(p, name, name, line, col);
        }
    ki_fail(p, line, col, "the model method %s() is not supported", name);
}

kval *ka_call(kparser *p, kval *callee, kargs *a, int line, int col)
{
    switch (callee->k) {
    case V_SYM:
        switch (callee->sym) {
        case S_LAYER: return ka_make_layer(p, (nn_layer_type)callee->sub, a, line, col);
        case S_AUGMENT: return ka_make_augment(p, (nn_augment_kind)callee->sub, a, line, col);
        case S_INPUT_FN: return ka_make_input(p, a, line, col);
        case S_CONCAT_FN: { /* layers.concatenate, add, multiply ([a, b]) */
            static const char *const names[] = {"inputs", "axis", "name", NULL};
            static const char *const names2[] = {"inputs", "name", NULL};
            bool cat = callee->sub == NN_CONCAT;
            const char *fn = cat ? "concatenate" : callee->sub == NN_ADD ? "add" : "multiply";
            kbound b;
            ka_bind_args(p, a, fn, cat ? names : names2, cat ? 2 : 1, &b);
            if (!b.v[0])
                ki_fail(p, line, col, "%s needs a list of layer outputs", fn);
            kargs la = {0}, ca = {0};
            int k = 0;
            for (int i = 1; i < (cat ? 3 : 2); i++)
                if (b.v[i])
                    la.a[k++] = *b.g[i];
            la.n = k;
            kval *layer = ka_make_layer(p, (nn_layer_type)callee->sub, &la, line, col);
            ca.a[0] = *b.g[0];
            ca.a[0].key = NULL;
            ca.n = 1;
            return ka_apply_layer(p, layer->ref.node, &ca, line, col);
        }
        case S_INCEPTION: return ka_make_base(p, callee->sub, a, line, col);
        case S_PREPROCESS: return ka_preprocess(p, callee->sub, a, line, col);
        case S_MODEL: return make_model(p, a, line, col);
        case S_SEQUENTIAL: return make_sequential(p, a, line, col);
        case S_OPT: return ka_make_optimizer(p, callee->sub, a, line, col);
        case S_LOSS_CLASS: return ka_make_loss(p, callee->sub, a, line, col);
        case S_CLEAR_SESSION:
            if (a->n)
                ki_fail(p, line, col, "clear_session() takes no arguments");
            ki_effect(p);
            p->pg->n_uids = 0; /* Keras's name counters start again */
            return ki_val(p, V_NONE, line, col);
        case S_LOSS_FN:
        case S_ACT:
            for (int i = 0; i < a->n; i++)
                if (a->a[i].v->k == V_TENSOR)
                    ki_fail(p, a->a[i].vline, a->a[i].vcol,
                            "%s(...) of a layer's output is not supported: it adds an operation to the model", callee->s);
            ki_event(p, C_GENERIC, NULL);
            return ki_opaque(p, callee->path, callee->s, line, col);
        default:
            ki_fail(p, line, col, "'%s' is a module, not something to call", callee->s);
        }
    case V_LAYER:
        if (callee->ref.node < 0)
            ki_fail(p, line, col, "calling a layer of the pretrained base on its own is not supported");
        if (p->pg->nodes[callee->ref.node].kind == KN_BASE)
            return apply_base(p, p->pg->nodes[callee->ref.node].base, a, line, col);
        return ka_apply_layer(p, callee->ref.node, a, line, col);
    case V_BASE:
        return apply_base(p, callee->idx, a, line, col);
    case V_MODEL:
        return ka_apply_sequential(p, callee->idx, a, line, col);
    case V_METHOD:
        return call_method(p, callee, a, line, col);
    default:
        ki_fail(p, line, col, "%s is not something to call", ki_kind_name(callee));
    }
}
