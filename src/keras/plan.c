/* The plan (plan.h): what the lesson declares, worked out from what the script built,
 * checked where Keras and the lesson differ (a base partly frozen, classes the stand-in
 * data lacks). Calls the runtime and the layers; import.c writes the lesson from it. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "keras/layers.h"
#include "keras/plan.h"

#if defined(__GNUC__)
__attribute__((format(printf, 6, 7)))
#endif
int kp_efail(char *err, size_t errlen, const char *path, int line, int col, const char *fmt, ...)
{
    if (err && errlen) {
        int k = snprintf(err, errlen, "%s:%d:%d: ", path, line > 0 ? line : 1, col > 0 ? col : 1);
        if (k >= 0 && (size_t)k < errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(err + k, errlen - (size_t)k, fmt, ap);
            va_end(ap);
        }
    }
    return -1;
}


static bool has_weights(nn_layer_type t)
{
    return t == NN_DENSE || t == NN_CONV2D || t == NN_BATCHNORM || t == NN_DEPTHWISE_CONV2D || t == NN_SEPARABLE_CONV2D;
}

bool kp_ref_eq(kref a, kref b)
{
    if (a.node >= 0 || b.node >= 0)
        return a.node == b.node;
    return a.base == b.base && a.sub == b.sub && a.base >= 0;
}

static int name_index(const plan *pl, const char *s)
{
    for (int i = 0; i < pl->n_names; i++)
        if (!strcmp(pl->names[i], s))
            return i;
    return -1;
}

static int add_name(plan *pl, const char *s, int line)
{
    if (pl->n_names == pl->cap_names) {
        int cap = pl->cap_names ? pl->cap_names * 2 : 512;
        char(*nm)[LS_NAME_MAX] = realloc(pl->names, sizeof *nm * (size_t)cap);
        int *nl = realloc(pl->names_line, sizeof *nl * (size_t)cap);
        if (nm)
            pl->names = nm;
        if (nl)
            pl->names_line = nl;
        if (!nm || !nl)
            return -1;
        pl->cap_names = cap;
    }
    snprintf(pl->names[pl->n_names], LS_NAME_MAX, "%s", s);
    pl->names_line[pl->n_names] = line;
    pl->n_names++;
    return 0;
}

/* The name the lesson parser gives an unnamed layer: the first free of prefix,
 * prefix_1, ... (input_1, input_2, ... for an Input). */
static void parser_auto_name(const plan *pl, nn_layer_type t, const char *prefix, char *out, size_t n)
{
    for (int k = t == NN_INPUT ? 1 : 0;; k++) {
        if (k == 0)
            snprintf(out, n, "%s", prefix);
        else
            snprintf(out, n, "%s_%d", prefix, k);
        if (name_index(pl, out) < 0)
            return;
    }
}

const char *kp_ref_lesson_name(const plan *pl, kref r)
{
    const kprog *pg = pl->pg;
    if (r.node >= 0)
        return pg->nodes[r.node].name;
    if (r.base >= 0 && r.sub == 0)
        return pg->bases[r.base].input_name;
    return pg->bases[r.base].full->layers[r.sub]->name;
}

static pdecl *add_decl(plan *pl)
{
    pdecl *d = realloc(pl->d, sizeof *d * (size_t)(pl->n + 1));
    if (!d)
        return NULL;
    pl->d = d;
    memset(&d[pl->n], 0, sizeof d[0]);
    d[pl->n].node = -1;
    d[pl->n].base = -1;
    return &d[pl->n++];
}

/* Weighted layers of base b that the lesson holds: all frozen (1), all trainable (0),
 * frozen up to a layer and trainable from it on (2, *from: its index in full: the
 * lesson's trainable_from), or mixed otherwise (-1). live: the flags now; else as of
 * compile. */
static int base_frozen(const plan *pl, int b, bool nested, bool live, int *n_frozen, int *n_weighted, int *from)
{
    const kbase *bs = &pl->pg->bases[b];
    const bool *tr = live ? bs->tr : bs->tr_c;
    bool self = live ? bs->self_tr : bs->self_tr_c;
    bool model = live ? pl->m->self_tr : pl->m->self_tr_c;
    int fr = 0, w = 0, first_tr = -1;
    bool prefix = true; /* no frozen layer after a trainable one */
    for (int i = 1; i < bs->full->n_layers; i++) {
        if (!nested && !pl->base_need[i])
            continue;
        if (!has_weights(bs->full->layers[i]->type))
            continue;
        w++;
        bool eff = tr[i] && model && (!nested || self);
        fr += !eff;
        if (eff && first_tr < 0)
            first_tr = i;
        if (!eff && first_tr >= 0)
            prefix = false;
    }
    *n_frozen = fr;
    *n_weighted = w;
    *from = first_tr;
    return fr == 0 ? 0 : fr == w ? 1 : prefix ? 2 : -1;
}

/* Why nothing can be imported: the model is never compiled, or there is no model. */
static int no_model(const plan *pl)
{
    const kprog *pg = pl->pg;
    if (pg->n_models > 0) {
        const kmodel *m = &pg->models[pg->n_models - 1];
        return kp_efail(pl->err, pl->errlen, pl->path, m->line, m->col,
                     "this model is never compiled: dropscope needs its loss (add model.compile(optimizer=..., loss=..., metrics=['accuracy']))");
    }
    if (pg->undefined[0])
        return kp_efail(pl->err, pl->errlen, pl->path, pg->undefined_line, pg->undefined_col,
                     "no Keras model found, and the name '%s' is not defined in this file%s", pg->undefined,
                     ki_import_hint(pg->undefined));
    return kp_efail(pl->err, pl->errlen, pl->path, 1, 1,
                 "no Keras model found: dropscope imports the model that model.compile(...) is called on");
}

static int oom(const plan *pl)
{
    return kp_efail(pl->err, pl->errlen, pl->path, 1, 1, "out of memory");
}

/* A Sequential's layers are all used; each needs an input shape. */
static int mark_sequential(plan *pl)
{
    const kprog *pg = pl->pg;
    const kmodel *m = pl->m;
    for (int i = 0; i < m->n_seq; i++)
        pl->node_used[m->seq[i]] = true;
    if (m->n_seq == 0)
        return kp_efail(pl->err, pl->errlen, pl->path, m->line, m->col, "the model has no layers");
    for (int i = 0; i < m->n_seq; i++) {
        const knode *n = &pg->nodes[m->seq[i]];
        if (n->n_in == 1 && n->in[0].node < 0 && n->in[0].base < 0)
            return kp_efail(pl->err, pl->errlen, pl->path, m->line, m->col,
                         "the model's input shape is not given: give its first layer input_shape=(...) or start it with an Input");
    }
    return 0;
}

/* The layers the output depends on, down to the input (pl->node_used), and in direct[b]
 * the layers of base b the model reads directly (the base is then cut out of the
 * graph); direct[b] is allocated here, the caller frees it. Fails when the output does
 * not depend on the input, or depends on another Input. */
static int mark_used(plan *pl, bool **direct)
{
    const kprog *pg = pl->pg;
    const kmodel *m = pl->m;
    const char *path = pl->path;
    int cap = pg->n_nodes + 16, sp = 0;
    kref *stack = malloc(sizeof *stack * (size_t)cap);
    if (!stack)
        return oom(pl);
    int rc = -1;
    bool reached = false;
    if (m->sequential) {
        rc = mark_sequential(pl);
        goto done;
    }
    if (kp_ref_eq(m->out, m->in)) {
        kp_efail(pl->err, pl->errlen, path, m->line, m->col, "the model has no layers: its output is its input");
        goto done;
    }
    stack[sp++] = m->out;
    while (sp > 0) {
        kref r = stack[--sp];
        if (kp_ref_eq(r, m->in)) {
            reached = true;
            continue;
        }
        if (r.node >= 0) {
            if (pl->node_used[r.node])
                continue;
            const knode *n = &pg->nodes[r.node];
            if (n->kind == KN_LAYER && n->type == NN_INPUT) {
                kp_efail(pl->err, pl->errlen, path, n->line, n->col,
                      "the model uses this Input, which is not its input (Keras: graph disconnected); a model has one input");
                goto done;
            }
            pl->node_used[r.node] = true;
            for (int k = 0; k < n->n_in; k++) {
                if (n->in[k].node < 0 && n->in[k].base < 0) {
                    kp_efail(pl->err, pl->errlen, path, n->line, n->col, "this layer's input has no known shape");
                    goto done;
                }
                if (sp == cap) {
                    kref *s2 = realloc(stack, sizeof *s2 * (size_t)cap * 2);
                    if (!s2) {
                        oom(pl);
                        goto done;
                    }
                    stack = s2;
                    cap *= 2;
                }
                stack[sp++] = n->in[k];
            }
        } else {
            const kbase *bs = &pg->bases[r.base];
            if (!(m->in.node < 0 && m->in.base == r.base)) {
                kp_efail(pl->err, pl->errlen, path, m->line, m->col,
                      "the model uses %s's layer '%s' but its input is not %s's input (Keras: graph disconnected); write Model(base.input, outputs)",
                      bs->keras, bs->full->layers[r.sub]->name, bs->keras);
                goto done;
            }
            if (!direct[r.base]) {
                direct[r.base] = calloc((size_t)bs->full->n_layers, 1);
                if (!direct[r.base]) {
                    oom(pl);
                    goto done;
                }
            }
            direct[r.base][r.sub] = true;
            reached = true; /* the base's layers depend on its input */
        }
    }
    if (!reached) {
        kp_efail(pl->err, pl->errlen, path, m->line, m->col, "the model's output does not depend on its input");
        goto done;
    }
    rc = 0;
done:
    free(stack);
    return rc;
}

/* The base: cut out of the graph (pl->flat_base, pl->base_need: its layers up to the
 * last one used), or called as a layer (pl->nested_base). */
static int cut_bases(plan *pl, bool *const *direct)
{
    const kprog *pg = pl->pg;
    for (int b = 0; b < pg->n_bases; b++) {
        const kbase *bs = &pg->bases[b];
        bool nested = bs->node >= 0 && pl->node_used[bs->node];
        if (direct[b] && nested)
            return kp_efail(pl->err, pl->errlen, pl->path, bs->line, bs->col,
                         "%s is used both as one layer and through its own layers: dropscope supports one of the two", bs->keras);
        if (nested)
            pl->nested_base = b;
        if (!direct[b])
            continue;
        pl->flat_base = b;
        int cut = 0;
        for (int i = 0; i < bs->full->n_layers; i++)
            if (direct[b][i])
                cut = i;
        pl->base_need = calloc((size_t)bs->full->n_layers, 1);
        if (!pl->base_need)
            return oom(pl);
        pl->base_need[cut] = true;
        for (int i = cut; i > 0; i--)
            if (pl->base_need[i])
                for (int k = 0; k < bs->full->layers[i]->n_inputs; k++)
                    pl->base_need[bs->full->layers[i]->inputs[k]] = true;
        for (int i = 0; i < bs->full->n_layers; i++)
            if (direct[b][i] && !pl->base_need[i])
                return kp_efail(pl->err, pl->errlen, pl->path, bs->line, bs->col,
                             "the model uses %s's layers '%s' and '%s', which are on different branches: dropscope cuts the base at one layer",
                             bs->keras, bs->full->layers[i]->name, bs->full->layers[cut]->name);
    }
    return 0;
}

/* The model's input: its shape checked (images of 1 or 3 channels; (h, w) only when
 * Flatten reads it) and its declaration, unless the flattened base's own Input
 * (input_1) comes first. */
static int plan_input(plan *pl)
{
    kprog *pg = pl->pg;
    const kmodel *m = pl->m;
    const char *path = pl->path;
    int in_line, in_col, rank;
    const char *in_name;
    if (m->in.node >= 0) {
        const knode *n = &pg->nodes[m->in.node];
        rank = n->shape_rank;
        memcpy(pl->in_shape, n->shape, sizeof pl->in_shape);
        in_name = n->name;
        in_line = n->line;
        in_col = n->col;
    } else {
        const kbase *bs = &pg->bases[m->in.base];
        rank = 3;
        pl->in_shape[0] = bs->h;
        pl->in_shape[1] = bs->w;
        pl->in_shape[2] = bs->c;
        in_name = bs->input_name;
        in_line = bs->line;
        in_col = bs->col;
    }
    if (rank == 1 && pl->in_shape[0] != 28 * 28)
        return kp_efail(pl->err, pl->errlen, path, in_line, in_col,
                     "the model's input is a vector of %d numbers, and the stand-in images (Fashion-MNIST, 28x28x1) flatten to 784: a vector input of 784 (input_shape=(784,)) would take them, or an image input (height, width, channels) followed by Flatten()",
                     pl->in_shape[0]);
    if (rank == 1) { /* Dense-only on vectors: the stand-in images, flattened */
        pl->vector_len = pl->in_shape[0];
        pl->in_shape[0] = pl->in_shape[1] = 28;
        pl->in_shape[2] = 1;
        ki_note(pg, in_line, "the model's input is a vector of 784 numbers: the stand-in 28x28 images are flattened to it");
    }
    if (rank == 2) {
        /* (28, 28): the same pixels as (28, 28, 1) when only Flatten reads them */
        for (int i = 0; i < pg->n_nodes; i++) {
            if (!pl->node_used[i])
                continue;
            const knode *n = &pg->nodes[i];
            for (int k = 0; k < n->n_in; k++)
                if (kp_ref_eq(n->in[k], m->in) && !(n->kind == KN_LAYER && n->type == NN_FLATTEN))
                    return kp_efail(pl->err, pl->errlen, path, in_line, in_col,
                                 "an input of shape (%d, %d) without channels is supported only when Flatten reads it; write (%d, %d, 1)",
                                 pl->in_shape[0], pl->in_shape[1], pl->in_shape[0], pl->in_shape[1]);
        }
        pl->in_shape[2] = 1;
        pl->input_rank2 = true;
        ki_note(pg, in_line, "the input shape (%d, %d) is read as (%d, %d, 1): the same pixels, with one channel",
                pl->in_shape[0], pl->in_shape[1], pl->in_shape[0], pl->in_shape[1]);
    }
    if (pl->in_shape[2] != 1 && pl->in_shape[2] != 3)
        return kp_efail(pl->err, pl->errlen, path, in_line, in_col,
                     "the model's input has %d channels; the lesson's images have 1 (grey) or 3 (RGB)", pl->in_shape[2]);
    bool base_first = pl->flat_base >= 0 && m->in.node < 0 && !strcmp(in_name, "input_1");
    if (base_first)
        return add_name(pl, "input_1", in_line) < 0 ? oom(pl) : 0;
    pdecl *d = add_decl(pl);
    if (!d)
        return oom(pl);
    d->kind = D_INPUT;
    d->node = m->in.node;
    snprintf(d->name, sizeof d->name, "%s", in_name);
    memcpy(d->shape, pl->in_shape, sizeof d->shape);
    d->out = m->in;
    d->line = in_line;
    d->col = in_col;
    char autoname[LS_NAME_MAX];
    parser_auto_name(pl, NN_INPUT, nn_layer_type_prefix(NN_INPUT), autoname, sizeof autoname);
    d->explicit_name = strcmp(autoname, in_name) != 0;
    return add_name(pl, in_name, in_line) < 0 ? oom(pl) : 0;
}

/* The base cut out of the graph comes right after the input, with the names of the
 * layers it keeps. */
static int plan_flat_base(plan *pl)
{
    if (pl->flat_base < 0)
        return 0;
    const kbase *bs = &pl->pg->bases[pl->flat_base];
    pdecl *d = add_decl(pl);
    if (!d)
        return oom(pl);
    d->kind = D_BASE;
    d->base = pl->flat_base;
    d->flat = true;
    for (int i = 0; i < bs->full->n_layers; i++)
        if (pl->base_need[i])
            d->cut = i;
    snprintf(d->name, sizeof d->name, "%s", bs->word);
    d->out = (kref){-1, pl->flat_base, d->cut};
    d->line = bs->line;
    d->col = bs->col;
    for (int i = 1; i < bs->full->n_layers; i++)
        if (pl->base_need[i]) {
            int j = name_index(pl, bs->full->layers[i]->name);
            if (j >= 0)
                return kp_efail(pl->err, pl->errlen, pl->path, pl->names_line[j], 1,
                             "the name '%s' is also the name of a layer of %s: rename it", pl->names[j], bs->keras);
            if (add_name(pl, bs->full->layers[i]->name, bs->line) < 0)
                return oom(pl);
        }
    return 0;
}

/* A base called as a layer: its declaration d and the names of all its layers. */
static int plan_nested_base(plan *pl, pdecl *d, const knode *n)
{
    const kbase *bs = &pl->pg->bases[n->base];
    d->kind = D_BASE;
    d->base = n->base;
    d->cut = bs->full->n_layers - 1;
    if (name_index(pl, n->name) >= 0)
        return kp_efail(pl->err, pl->errlen, pl->path, n->line, n->col, "the name '%s' is used twice", n->name);
    if (add_name(pl, n->name, n->line) < 0)
        return oom(pl);
    for (int i = 1; i < bs->full->n_layers; i++) {
        int j = name_index(pl, bs->full->layers[i]->name);
        if (j >= 0)
            return kp_efail(pl->err, pl->errlen, pl->path, pl->names_line[j], 1,
                         "the name '%s' is also the name of one of %s's layers, which the lesson holds: rename it",
                         pl->names[j], bs->keras);
        if (add_name(pl, bs->full->layers[i]->name, n->line) < 0)
            return oom(pl);
    }
    return 0;
}

/* The declaration of node ni, one of the model's own layers; names must be unique. */
static int plan_node(plan *pl, int ni)
{
    const knode *n = &pl->pg->nodes[ni];
    pdecl *d = add_decl(pl);
    if (!d)
        return oom(pl);
    d->node = ni;
    d->out = (kref){ni, -1, 0};
    d->line = n->line;
    d->col = n->col;
    snprintf(d->name, sizeof d->name, "%s", n->name);
    if (n->kind == KN_BASE)
        return plan_nested_base(pl, d, n);
    d->kind = D_LAYER;
    d->weighted = has_weights(n->type);
    int j = name_index(pl, n->name);
    if (j >= 0)
        return kp_efail(pl->err, pl->errlen, pl->path, n->line, n->col,
                     "two layers are named '%s' (lines %d and %d); Keras rejects this model too: names must be unique", n->name,
                     pl->names_line[j], n->line);
    char autoname[LS_NAME_MAX];
    parser_auto_name(pl, n->type, ka_node_prefix(n), autoname, sizeof autoname);
    d->explicit_name = strcmp(autoname, n->name) != 0;
    return add_name(pl, n->name, n->line) < 0 ? oom(pl) : 0;
}

/* The model's own layers, in call order. */
static int plan_layers(plan *pl)
{
    const kprog *pg = pl->pg;
    int *order = malloc(sizeof *order * (size_t)(pg->n_nodes + 1));
    if (!order)
        return oom(pl);
    int no = 0;
    for (int i = 0; i < pg->n_nodes; i++)
        if (pl->node_used[i] && i != pl->m->in.node)
            order[no++] = i;
    for (int i = 1; i < no; i++) {
        int x = order[i], j = i - 1;
        while (j >= 0 && pg->nodes[order[j]].order > pg->nodes[x].order) {
            order[j + 1] = order[j];
            j--;
        }
        order[j + 1] = x;
    }
    int rc = 0;
    for (int oi = 0; oi < no && rc == 0; oi++)
        rc = plan_node(pl, order[oi]);
    free(order);
    return rc;
}

/* The model's layers, in the order the lesson declares them, with their names. */
int kp_make_plan(plan *pl)
{
    kprog *pg = pl->pg;
    if (!pg->compile.set)
        return no_model(pl);
    kmodel *m = &pg->models[pg->compile.model];
    pl->m = m;
    pl->flat_base = pl->nested_base = -1;
    if (m->in.node < 0 && m->in.base < 0)
        return kp_efail(pl->err, pl->errlen, pl->path, m->line, m->col,
                     "the model's input shape is not given: give its first layer input_shape=(...) or start it with an Input");
    pl->node_used = calloc((size_t)pg->n_nodes + 1, 1);
    if (!pl->node_used)
        return oom(pl);
    bool *direct[KI_MAX_BASES] = {0};
    int rc = -1;
    if (mark_used(pl, direct) == 0 && cut_bases(pl, direct) == 0 && plan_input(pl) == 0 && plan_flat_base(pl) == 0 &&
        plan_layers(pl) == 0)
        rc = 0;
    for (int b = 0; b < KI_MAX_BASES; b++)
        free(direct[b]);
    return rc;
}

/* Frozen flags as of compile() (what training obeys) and now (what summary shows). */
int kp_plan_frozen(plan *pl)
{
    kprog *pg = pl->pg;
    for (int i = 0; i < pl->n; i++) {
        pdecl *d = &pl->d[i];
        if (d->kind == D_LAYER) {
            const knode *n = &pg->nodes[d->node];
            d->frozen = d->weighted && !(n->trainable_c && pl->m->self_tr_c);
            d->frozen_live = d->weighted && !(n->trainable && pl->m->self_tr);
        } else if (d->kind == D_BASE) {
            const kbase *bs = &pg->bases[d->base];
            int fr, w, from[2], st[2];
            for (int live = 0; live < 2; live++) {
                int s = st[live] = base_frozen(pl, d->base, !d->flat, live, &fr, &w, &from[live]);
                if (s < 0)
                    return kp_efail(pl->err, pl->errlen, pl->path, bs->flag_line, bs->flag_col,
                                 "this leaves %s partly frozen (%d of the %d layers with weights the model uses) with a frozen layer after a trainable one: dropscope freezes a base up to a layer (base.layers[:N]); unfreeze single layers in a lesson step instead (unfreeze LAYER)",
                                 bs->keras, fr, w);
                if (live)
                    d->frozen_live = s == 1;
                else
                    d->frozen = s == 1;
            }
            if ((st[0] == 2 || st[1] == 2) && (st[0] != st[1] || from[0] != from[1]))
                return kp_efail(pl->err, pl->errlen, pl->path, bs->flag_line, bs->flag_col,
                             "this changes which of %s's layers are frozen after compile(): with part of a base frozen, dropscope needs the flags of the last compile() to be the flags at the end (compile again after changing them)", bs->keras);
            d->from = st[0] == 2 ? from[0] : -1;
        }
    }
    return 0;
}

/* ---- data and loss ---- */

int kp_plan_data(plan *pl)
{
    kprog *pg = pl->pg;
    pl->loss = pg->compile.loss;
    if (pl->loss == NN_LOSS_SCCE) {
        /* the number of classes: the output units of the last Dense */
        kref r = pl->m->out;
        int units = 0;
        for (int guard = 0; guard < 2048 && r.node >= 0; guard++) {
            const knode *n = &pg->nodes[r.node];
            if (n->kind == KN_LAYER && n->type == NN_DENSE) {
                units = n->units;
                break;
            }
            if (n->kind != KN_LAYER || n->n_in != 1 || !(n->type == NN_ACTIVATION || n->type == NN_DROPOUT))
                break;
            r = n->in[0];
        }
        if (units == 0)
            return kp_efail(pl->err, pl->errlen, pl->path, pg->compile.loss_line, pg->compile.loss_col,
                         "with sparse_categorical_crossentropy the model must end with Dense(classes, activation='softmax')");
        if (units > 10 && pg->data_dir[0] && pl->in_shape[2] == 3 && ka_plain_path(pg->data_dir)) {
            /* the folder the script reads serves: its images, one sub-folder per class */
            pl->folder = true;
            ki_note(pg, pg->data_dir_line,
                    "the model has %d classes, more than the stand-in Fashion-MNIST's 10: the lesson reads the image folder \"%s\" (one sub-folder per class)",
                    units, pg->data_dir);
        } else if (units > 10) {
            return kp_efail(pl->err, pl->errlen, pl->path, pg->compile.loss_line, pg->compile.loss_col,
                         "the model has %d output classes; the lesson's stand-in data (Fashion-MNIST) has 2 to 10: an image folder with %d class sub-folders would serve (in the script: flow_from_directory('DIR') with a (height, width, 3) input; in a lesson: data folder \"DIR\")",
                         units, units);
        }
        if (units < 2)
            return kp_efail(pl->err, pl->errlen, pl->path, pg->compile.loss_line, pg->compile.loss_col,
                         "the model has %d output classes; the lesson's stand-in data (Fashion-MNIST) has 2 to 10", units);
        pl->classes = units;
    }
    pl->batch = pg->batch > 0 ? pg->batch : 20;
    double bytes = (double)pl->in_shape[0] * pl->in_shape[1] * pl->in_shape[2] * 4;
    if (bytes * 2500 <= 64.0 * 1024 * 1024) {
        pl->train = 2000;
        pl->val = 500;
    } else {
        pl->train = 200;
        pl->val = 100;
    }
    return 0;
}

void kp_plan_free(plan *pl)
{
    free(pl->d);
    free(pl->node_used);
    free(pl->base_need);
    free(pl->names);
    free(pl->names_line);
}

char *kp_notes_text(const kprog *pg, const char *path)
{
    size_t cap = 64, n = 0;
    for (int i = 0; i < pg->n_notes; i++)
        cap += strlen(path) + strlen(pg->notes[i].text) + 32;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    s[0] = '\0';
    for (int i = 0; i < pg->n_notes; i++) {
        const char *t = strstr(pg->notes[i].text, ": ");
        t = t ? t + 2 : pg->notes[i].text;
        n += (size_t)snprintf(s + n, cap - n, "%s:%d: note: %s\n", path, pg->notes[i].line, t);
    }
    return s;
}

/* Whether the weights file w exists where the lesson will look for it: as given when
 * absolute, else next to the script, in its parent directory, or in the current one. */
static bool weights_found(const char *script, const char *w)
{
    struct stat st;
    if (w[0] == '/')
        return stat(w, &st) == 0;
    const char *slash = strrchr(script, '/');
    int dl = slash ? (int)(slash - script) : 1;
    const char *dir = slash ? script : ".";
    char path[8400];
    const char *fmts[] = {"%.*s/%s", "%.*s/../%s"};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, fmts[i], dl, dir, w);
        if (stat(path, &st) == 0)
            return true;
    }
    return stat(w, &st) == 0;
}

/* The bases' weights: imagenet cannot be downloaded; a file that is not there is said once, here. */
void kp_note_weights(kprog *pg, const plan *pl, const char *path)
{
    for (int b = 0; b < pg->n_bases; b++) {
        const kbase *bs = &pg->bases[b];
        if (b != pl->flat_base && b != pl->nested_base)
            continue;
        if (bs->imagenet)
            ki_note(pg, bs->imagenet_line,
                    "weights='imagenet' cannot be downloaded here: the base starts from random weights (give a file with load_weights)");
        else if (bs->weights && !weights_found(path, bs->weights))
            ki_note(pg, bs->weights_line, "%s not found: the base will run on random weights", bs->weights);
    }
}

