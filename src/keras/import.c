/* The lesson written from a Keras script (keras.h): the compiled model's layers
 * in call order, with Keras's names (written out only where the lesson parser would
 * name a layer differently), its base cut where the script cut it, frozen where the
 * script froze it as of compile(); data standing in for the student's images; compile;
 * and steps: the model with its parameter counts, training with the frozen weights and
 * each Dropout's mask measured, inference.
 *
 * The lesson is parsed twice with the real parser: the declarations first (the model
 * it builds gives the parameter counts and sizes the steps use, and every layer's name
 * is compared with Keras's), then the whole lesson. An error the parser finds is
 * reported at the Python line that produced the lesson line. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <strings.h>

#include "keras/keras.h"
#include "keras/internal.h"
#include "keras/layers.h"
#include "lesson/lesson.h"

/* ---- output with a line map ---- */

typedef struct {
    char *s;
    size_t n, cap;
    int lines;
    int *map;           /* per line (1-based): 2 ints, Python line and column (0: none) */
    int map_cap;
    bool oom;
} wbuf;

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static void w_line(wbuf *w, int line, int col, const char *fmt, ...)
{
    if (w->oom)
        return;
    char tmp[8192]; /* a base line with a 4095-byte weights path fits */
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof tmp - 1, fmt, ap);
    va_end(ap);
    if (k < 0)
        k = 0;
    if ((size_t)k >= sizeof tmp - 1)
        k = (int)sizeof tmp - 2;
    tmp[k++] = '\n';
    if (w->n + (size_t)k + 1 > w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 8192;
        while (cap < w->n + (size_t)k + 1)
            cap *= 2;
        char *s = realloc(w->s, cap);
        if (!s) {
            w->oom = true;
            return;
        }
        w->s = s;
        w->cap = cap;
    }
    memcpy(w->s + w->n, tmp, (size_t)k);
    w->n += (size_t)k;
    w->s[w->n] = '\0';
    w->lines++;
    if (w->lines + 1 > w->map_cap) {
        int cap = w->map_cap ? w->map_cap * 2 : 256;
        int *m = realloc(w->map, sizeof *m * 2 * (size_t)cap);
        if (!m) {
            w->oom = true;
            return;
        }
        w->map = m;
        w->map_cap = cap;
    }
    w->map[2 * w->lines] = line;
    w->map[2 * w->lines + 1] = col;
}

#if defined(__GNUC__)
__attribute__((format(printf, 6, 7)))
#endif
static int efail(char *err, size_t errlen, const char *path, int line, int col, const char *fmt, ...)
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

/* ---- the plan: what the lesson declares ---- */

enum { D_INPUT = 0, D_BASE, D_LAYER };

typedef struct {
    int kind;
    int node;              /* D_INPUT (or -1: the base's input), D_LAYER, D_BASE nested */
    int base;              /* D_BASE */
    bool flat;             /* D_BASE: cut out of the model's graph (else called as a layer) */
    int cut;               /* D_BASE: the base's last layer used (index in full) */
    char name[LS_NAME_MAX];
    bool explicit_name;
    kref out;              /* what its output is */
    bool frozen, frozen_live, weighted;
    int from;              /* D_BASE: trainable from this layer of full on (-1: as frozen says) */
    int shape[3];          /* D_INPUT */
    int line, col;
} pdecl;

typedef struct {
    kprog *pg;
    const char *path;
    char *err;
    size_t errlen;
    kmodel *m;
    pdecl *d;
    int n;
    bool *node_used;
    bool *base_need;       /* the flattened base's layers in the lesson */
    int flat_base;         /* -1: none */
    int nested_base;       /* -1: none */
    int in_shape[3];
    bool input_rank2;
    char (*names)[LS_NAME_MAX]; /* the lesson model's names, as the parser will give them */
    int n_names, cap_names;
    int *names_line;
    nn_loss_kind loss;
    int classes;           /* SCCE: output units */
    bool folder;           /* more classes than Fashion-MNIST: the script's image folder */
    int batch;
    int train, val;
} plan;

static bool has_weights(nn_layer_type t)
{
    return t == NN_DENSE || t == NN_CONV2D || t == NN_BATCHNORM;
}

static bool ref_eq(kref a, kref b)
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
static void parser_auto_name(const plan *pl, nn_layer_type t, char *out, size_t n)
{
    const char *prefix = nn_layer_type_prefix(t);
    for (int k = t == NN_INPUT ? 1 : 0;; k++) {
        if (k == 0)
            snprintf(out, n, "%s", prefix);
        else
            snprintf(out, n, "%s_%d", prefix, k);
        if (name_index(pl, out) < 0)
            return;
    }
}

static const char *ref_lesson_name(const plan *pl, kref r)
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
        return efail(pl->err, pl->errlen, pl->path, m->line, m->col,
                     "this model is never compiled: dropscope needs its loss (add model.compile(optimizer=..., loss=..., metrics=['accuracy']))");
    }
    if (pg->undefined[0])
        return efail(pl->err, pl->errlen, pl->path, pg->undefined_line, pg->undefined_col,
                     "no Keras model found, and the name '%s' is not defined in this file%s", pg->undefined,
                     ki_import_hint(pg->undefined));
    return efail(pl->err, pl->errlen, pl->path, 1, 1,
                 "no Keras model found: dropscope imports the model that model.compile(...) is called on");
}

static int oom(const plan *pl)
{
    return efail(pl->err, pl->errlen, pl->path, 1, 1, "out of memory");
}

/* A Sequential's layers are all used; each needs an input shape. */
static int mark_sequential(plan *pl)
{
    const kprog *pg = pl->pg;
    const kmodel *m = pl->m;
    for (int i = 0; i < m->n_seq; i++)
        pl->node_used[m->seq[i]] = true;
    if (m->n_seq == 0)
        return efail(pl->err, pl->errlen, pl->path, m->line, m->col, "the model has no layers");
    for (int i = 0; i < m->n_seq; i++) {
        const knode *n = &pg->nodes[m->seq[i]];
        if (n->n_in == 1 && n->in[0].node < 0 && n->in[0].base < 0)
            return efail(pl->err, pl->errlen, pl->path, m->line, m->col,
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
    if (ref_eq(m->out, m->in)) {
        efail(pl->err, pl->errlen, path, m->line, m->col, "the model has no layers: its output is its input");
        goto done;
    }
    stack[sp++] = m->out;
    while (sp > 0) {
        kref r = stack[--sp];
        if (ref_eq(r, m->in)) {
            reached = true;
            continue;
        }
        if (r.node >= 0) {
            if (pl->node_used[r.node])
                continue;
            const knode *n = &pg->nodes[r.node];
            if (n->kind == KN_LAYER && n->type == NN_INPUT) {
                efail(pl->err, pl->errlen, path, n->line, n->col,
                      "the model uses this Input, which is not its input (Keras: graph disconnected); a model has one input");
                goto done;
            }
            pl->node_used[r.node] = true;
            for (int k = 0; k < n->n_in; k++) {
                if (n->in[k].node < 0 && n->in[k].base < 0) {
                    efail(pl->err, pl->errlen, path, n->line, n->col, "this layer's input has no known shape");
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
                efail(pl->err, pl->errlen, path, m->line, m->col,
                      "the model uses InceptionV3's layer '%s' but its input is not InceptionV3's input (Keras: graph disconnected); write Model(base.input, outputs)",
                      bs->full->layers[r.sub]->name);
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
        efail(pl->err, pl->errlen, path, m->line, m->col, "the model's output does not depend on its input");
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
            return efail(pl->err, pl->errlen, pl->path, bs->line, bs->col,
                         "InceptionV3 is used both as one layer and through its own layers: dropscope supports one of the two");
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
                return efail(pl->err, pl->errlen, pl->path, bs->line, bs->col,
                             "the model uses InceptionV3's layers '%s' and '%s', which are on different branches: dropscope cuts the base at one layer",
                             bs->full->layers[i]->name, bs->full->layers[cut]->name);
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
    if (rank == 1)
        return efail(pl->err, pl->errlen, path, in_line, in_col,
                     "the model's input is a vector of %d numbers; dropscope feeds it images: give the shape as (height, width) or (height, width, channels) and start with Flatten()",
                     pl->in_shape[0]);
    if (rank == 2) {
        /* (28, 28): the same pixels as (28, 28, 1) when only Flatten reads them */
        for (int i = 0; i < pg->n_nodes; i++) {
            if (!pl->node_used[i])
                continue;
            const knode *n = &pg->nodes[i];
            for (int k = 0; k < n->n_in; k++)
                if (ref_eq(n->in[k], m->in) && !(n->kind == KN_LAYER && n->type == NN_FLATTEN))
                    return efail(pl->err, pl->errlen, path, in_line, in_col,
                                 "an input of shape (%d, %d) without channels is supported only when Flatten reads it; write (%d, %d, 1)",
                                 pl->in_shape[0], pl->in_shape[1], pl->in_shape[0], pl->in_shape[1]);
        }
        pl->in_shape[2] = 1;
        pl->input_rank2 = true;
        ki_note(pg, in_line, "the input shape (%d, %d) is read as (%d, %d, 1): the same pixels, with one channel",
                pl->in_shape[0], pl->in_shape[1], pl->in_shape[0], pl->in_shape[1]);
    }
    if (pl->in_shape[2] != 1 && pl->in_shape[2] != 3)
        return efail(pl->err, pl->errlen, path, in_line, in_col,
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
    parser_auto_name(pl, NN_INPUT, autoname, sizeof autoname);
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
    snprintf(d->name, sizeof d->name, "inception_v3");
    d->out = (kref){-1, pl->flat_base, d->cut};
    d->line = bs->line;
    d->col = bs->col;
    for (int i = 1; i < bs->full->n_layers; i++)
        if (pl->base_need[i]) {
            int j = name_index(pl, bs->full->layers[i]->name);
            if (j >= 0)
                return efail(pl->err, pl->errlen, pl->path, pl->names_line[j], 1,
                             "the name '%s' is also the name of an InceptionV3 layer: rename it", pl->names[j]);
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
        return efail(pl->err, pl->errlen, pl->path, n->line, n->col, "the name 'inception_v3' is used twice");
    if (add_name(pl, n->name, n->line) < 0)
        return oom(pl);
    for (int i = 1; i < bs->full->n_layers; i++) {
        int j = name_index(pl, bs->full->layers[i]->name);
        if (j >= 0)
            return efail(pl->err, pl->errlen, pl->path, pl->names_line[j], 1,
                         "the name '%s' is also the name of one of InceptionV3's layers, which the lesson holds: rename it",
                         pl->names[j]);
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
        return efail(pl->err, pl->errlen, pl->path, n->line, n->col,
                     "two layers are named '%s' (lines %d and %d); Keras rejects this model too: names must be unique", n->name,
                     pl->names_line[j], n->line);
    char autoname[LS_NAME_MAX];
    parser_auto_name(pl, n->type, autoname, sizeof autoname);
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
static int make_plan(plan *pl)
{
    kprog *pg = pl->pg;
    if (!pg->compile.set)
        return no_model(pl);
    kmodel *m = &pg->models[pg->compile.model];
    pl->m = m;
    pl->flat_base = pl->nested_base = -1;
    if (m->in.node < 0 && m->in.base < 0)
        return efail(pl->err, pl->errlen, pl->path, m->line, m->col,
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
static int plan_frozen(plan *pl)
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
                    return efail(pl->err, pl->errlen, pl->path, bs->flag_line, bs->flag_col,
                                 "this leaves InceptionV3 partly frozen (%d of the %d layers with weights the model uses) with a frozen layer after a trainable one: dropscope freezes a base up to a layer (base.layers[:N]); unfreeze single layers in a lesson step instead (unfreeze LAYER)",
                                 fr, w);
                if (live)
                    d->frozen_live = s == 1;
                else
                    d->frozen = s == 1;
            }
            if ((st[0] == 2 || st[1] == 2) && (st[0] != st[1] || from[0] != from[1]))
                return efail(pl->err, pl->errlen, pl->path, bs->flag_line, bs->flag_col,
                             "this changes which of InceptionV3's layers are frozen after compile(): with part of a base frozen, dropscope needs the flags of the last compile() to be the flags at the end (compile again after changing them)");
            d->from = st[0] == 2 ? from[0] : -1;
            if (bs->training_line > 0 && !d->frozen)
                return efail(pl->err, pl->errlen, pl->path, bs->training_line, bs->training_col,
                             "training=False on a base that trains is not supported: dropscope runs a trainable base's BatchNormalization in training mode (freeze the base, or drop training=False)");
        }
    }
    return 0;
}

/* ---- data and loss ---- */

static int plan_data(plan *pl)
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
            return efail(pl->err, pl->errlen, pl->path, pg->compile.loss_line, pg->compile.loss_col,
                         "with sparse_categorical_crossentropy the model must end with Dense(classes, activation='softmax')");
        if (units > 10 && pg->data_dir[0] && pl->in_shape[2] == 3 && ka_plain_path(pg->data_dir)) {
            /* the folder the script reads serves: its images, one sub-folder per class */
            pl->folder = true;
            ki_note(pg, pg->data_dir_line,
                    "the model has %d classes, more than the stand-in Fashion-MNIST's 10: the lesson reads the image folder \"%s\" (one sub-folder per class)",
                    units, pg->data_dir);
        } else if (units > 10) {
            return efail(pl->err, pl->errlen, pl->path, pg->compile.loss_line, pg->compile.loss_col,
                         "the model has %d output classes; the lesson's stand-in data (Fashion-MNIST) has 2 to 10: an image folder with %d class sub-folders would serve (in the script: flow_from_directory('DIR') with a (height, width, 3) input; in a lesson: data folder \"DIR\")",
                         units, units);
        }
        if (units < 2)
            return efail(pl->err, pl->errlen, pl->path, pg->compile.loss_line, pg->compile.loss_col,
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

/* ---- writing ---- */

static const char *type_word(nn_layer_type t)
{
    return t == NN_INPUT ? "Input" : nn_layer_type_name(t);
}

static void shape_str(const int *s, char *out, size_t n)
{
    snprintf(out, n, "(%d, %d, %d)", s[0], s[1], s[2]);
}

/* The text of a decl's line (without indentation). */
static void decl_text(const plan *pl, int i, char *out, size_t n)
{
    const pdecl *d = &pl->d[i];
    const kprog *pg = pl->pg;
    char ins[700] = "";
    char shp[64];
    /* inputs, unless it is just the line above */
    if (d->kind == D_LAYER || (d->kind == D_BASE && !d->flat)) {
        const knode *nd = &pg->nodes[d->node];
        bool prev = i > 0 && nd->n_in == 1 && ref_eq(nd->in[0], pl->d[i - 1].out);
        if (i == 0 && nd->n_in == 1 && pl->d[0].kind != D_INPUT)
            prev = true;
        if (!prev || (nd->kind == KN_LAYER && nd->type == NN_CONCAT)) {
            size_t k = 0;
            k += (size_t)snprintf(ins + k, sizeof ins - k, "(%s", nd->n_in > 1 ? "[" : "");
            for (int j = 0; j < nd->n_in && k < sizeof ins; j++)
                k += (size_t)snprintf(ins + k, sizeof ins - k, "%s%s", j ? ", " : "", ref_lesson_name(pl, nd->in[j]));
            if (k < sizeof ins)
                snprintf(ins + k, sizeof ins - k, "%s)", nd->n_in > 1 ? "]" : "");
        }
    }
    switch (d->kind) {
    case D_INPUT:
        shape_str(d->shape, shp, sizeof shp);
        if (d->explicit_name)
            snprintf(out, n, "layer %s = Input(shape=%s)", d->name, shp);
        else
            snprintf(out, n, "Input(shape=%s)", shp);
        break;
    case D_BASE: {
        const kbase *bs = &pg->bases[d->base];
        char args[4600];
        int s3[3] = {bs->h, bs->w, bs->c};
        shape_str(s3, shp, sizeof shp);
        size_t k = (size_t)snprintf(args, sizeof args, "input_shape=%s", shp);
        if (d->cut != bs->full->n_layers - 1)
            k += (size_t)snprintf(args + k, sizeof args - k, ", cut=%s", bs->full->layers[d->cut]->name);
        if (bs->weights && k < sizeof args)
            k += (size_t)snprintf(args + k, sizeof args - k, ", weights=\"%s\"", bs->weights);
        if (d->from > 0 && k < sizeof args)
            snprintf(args + k, sizeof args - k, ", trainable_from=%s", bs->full->layers[d->from]->name);
        snprintf(out, n, "base inception_v3(%s)%s%s", args, ins, d->frozen ? " frozen" : "");
        break;
    }
    default: {
        const knode *nd = &pg->nodes[d->node];
        char pre[LS_NAME_MAX + 16] = "";
        if (d->explicit_name)
            snprintf(pre, sizeof pre, "layer %s = ", d->name);
        snprintf(out, n, "%s%s(%s)%s%s", pre, type_word(nd->type), nd->args ? nd->args : "", ins,
                 d->frozen ? " frozen" : "");
    }
    }
}

/* The file's name for titles: its last path component, printable, without quotes. */
static void base_name(const char *path, char *out, size_t n)
{
    const char *s = strrchr(path, '/');
    s = s ? s + 1 : path;
    size_t k = 0;
    for (; *s && k + 8 < n; s++) {
        unsigned char c = (unsigned char)*s;
        out[k++] = (c == '"' || c == '\\') ? '_' : (char)c;
    }
    out[k] = '\0';
    ki_sanitize(out); /* control characters and invalid UTF-8 (a cut sequence too) become '?' */
    if (!k)
        snprintf(out, n, "model.py");
}

static void fmt_g(double x, char *out, size_t n)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, n, "%.*g", prec, x);
        if (strtod(out, NULL) == x)
            return;
    }
}

static void write_head(wbuf *w, plan *pl)
{
    kprog *pg = pl->pg;
    char file[200];
    base_name(pl->path, file, sizeof file);
    const kcompile *c = &pg->compile;
    w_line(w, 0, 0, "# Imported by dropscope from the Keras file %s.", file);
    w_line(w, 0, 0, "# A lesson file (docs/lesson-format.md): edit it freely; docs/keras-import.md says what is read.");
    w_line(w, 0, 0, "title \"%s, imported from Keras\"", file);
    w_line(w, 0, 0, "summary \"The model of %s as Keras builds it, trained step by step on %s.\"", file,
           pl->folder ? "the images of the folder it reads" : "Fashion-MNIST in place of your images");
    if (pg->n_notes) { /* for the window's notes, not a step's text (issue 13) */
        w_line(w, 0, 0, "notes");
        for (int i = 0; i < pg->n_notes; i++) {
            if (i)
                w_line(w, 0, 0, "  >");
            w_line(w, pg->notes[i].line, 1, "  > %s", pg->notes[i].text);
        }
    }
    w_line(w, 0, 0, "%s", "");
    if (pl->folder)
        w_line(w, pg->data_dir_line, 1, "data folder \"%s\"", pg->data_dir);
    else
        w_line(w, c->loss_line, c->loss_col, "data fashion_mnist");
    if (pl->folder) {
        /* the folder's own classes, read at the model's input size */
    } else if (pl->loss == NN_LOSS_BCE) {
        w_line(w, c->loss_line, c->loss_col, "  classes sneaker, ankle boot");
    } else {
        char cl[64] = "";
        size_t k = 0;
        for (int i = 0; i < pl->classes; i++)
            k += (size_t)snprintf(cl + k, sizeof cl - k, "%s%d", i ? ", " : "", i);
        w_line(w, c->loss_line, c->loss_col, "  classes %s", cl);
    }
    const pdecl *in = &pl->d[0];
    int iline = in->line, icol = in->col;
    if (!pl->folder && (pl->in_shape[0] != 28 || pl->in_shape[1] != 28 || pl->in_shape[2] != 1))
        w_line(w, iline, icol, "  resize %dx%dx%d", pl->in_shape[0], pl->in_shape[1], pl->in_shape[2]);
    w_line(w, 0, 0, "  train %d", pl->train);
    w_line(w, 0, 0, "  val %d", pl->val);
    if (!pl->folder)
        w_line(w, 0, 0, "  # Your own images instead: data folder \"DIR\" (one sub-folder per class), classes by number.");
    w_line(w, 0, 0, "%s", "");
    w_line(w, 0, 0, "model");
    for (int i = 0; i < pl->n; i++) {
        const pdecl *d = &pl->d[i];
        if (d->kind == D_BASE) {
            const kbase *bs = &pg->bases[d->base];
            if (bs->imagenet)
                w_line(w, bs->imagenet_line, 1,
                       "  # weights='imagenet' cannot be downloaded here: the base starts from random weights (give a file: load_weights('....h5'))");
        }
        char text[8000];
        decl_text(pl, i, text, sizeof text);
        w_line(w, d->line, d->col, "  %s", text);
    }
    w_line(w, 0, 0, "%s", "");
    w_line(w, c->line, c->col, "compile%s", c->assumed ? "      # the script never compiles: Keras's defaults, chosen by dropscope" : "");
    w_line(w, c->opt_line, c->opt_col, "  optimizer %s", c->opt);
    w_line(w, c->loss_line, c->loss_col, "  loss %s", nn_loss_name(c->loss));
    w_line(w, c->line, c->col, "  metrics %s", c->accuracy ? "accuracy" : "none");
    w_line(w, c->line, c->col, "  keras 2      # TF 2.4-2.10; 'keras 2.11' shows TF 2.11-2.15 (lr= ignored there)");
    w_line(w, 0, 0, "%s", "");
    w_line(w, pg->batch_line, 1, "fit");
    w_line(w, pg->batch_line, 1, "  batch_size %d%s", pl->batch,
           pg->batch > 0 ? "" : "      # the script does not say; Keras's fit would use 32");
    w_line(w, 0, 0, "  seed 1");
}

typedef struct {
    int decl;               /* index in pl->d */
    int layer;              /* in the built model */
    double rate;
    size_t units;           /* outputs it masks per example */
    char feeder[LS_NAME_MAX];
    size_t feeder_units;
} drop_info;

static void write_steps(wbuf *w, plan *pl, const ls_lesson *l, const nn_model *m)
{
    kprog *pg = pl->pg;
    char file[200];
    base_name(pl->path, file, sizeof file);
    /* the built model with the flags as they are now (summary's view) */
    nn_param_counts pc = nn_model_count_params(m);
    size_t tr = pc.trainable, nt = pc.non_trainable;
    int base_decl = -1;
    for (int i = 0; i < pl->n; i++)
        if (pl->d[i].kind == D_BASE)
            base_decl = i;
    int n_layers = 0;
    for (int i = 0; i < pl->n; i++)
        n_layers += pl->d[i].kind == D_LAYER;
    w_line(w, 0, 0, "%s", "");
    w_line(w, 0, 0, "step \"The model\"");
    if (base_decl >= 0) {
        const pdecl *d = &pl->d[base_decl];
        const kbase *bs = &pg->bases[d->base];
        char cut[96] = "";
        if (d->cut != bs->full->n_layers - 1)
            snprintf(cut, sizeof cut, ", cut at %s", bs->full->layers[d->cut]->name);
        w_line(w, 0, 0, "  > Imported from %s: InceptionV3 (%dx%dx%d input%s) and %d layers of your own.", file, bs->h,
               bs->w, bs->c, cut, n_layers);
        if (d->frozen)
            w_line(w, 0, 0, "  > The base is frozen (trainable=False): its weights will not move, and its BatchNormalization layers run in inference mode.");
        else if (d->from > 0)
            w_line(w, 0, 0, "  > The base is frozen up to %s: the layers before it keep their weights (their BatchNormalization runs in inference mode); from %s on, the base trains with your layers.",
                   bs->full->layers[d->from]->name, bs->full->layers[d->from]->name);
        else
            w_line(w, 0, 0, "  > The base is not frozen: it trains with the new layers.");
        if (!bs->weights)
            w_line(w, 0, 0, "  > The base starts from random weights%s.",
                   bs->imagenet ? " (the imagenet weights cannot be downloaded here)" : "");
    } else {
        w_line(w, 0, 0, "  > Imported from %s: %d layers.", file, n_layers);
    }
    w_line(w, 0, 0, "  >");
    if (pl->folder)
        w_line(w, 0, 0, "  > The images of the folder \"%s\" that the script reads, one sub-folder per class.", pg->data_dir);
    else if (pl->loss == NN_LOSS_BCE)
        w_line(w, 0, 0, "  > Fashion-MNIST's sneakers and ankle boots stand in for your two classes%s.",
               pl->in_shape[0] != 28 || pl->in_shape[1] != 28 || pl->in_shape[2] != 1 ? ", resized to the model's input"
                                                                                      : "");
    else
        w_line(w, 0, 0, "  > Fashion-MNIST's first %d classes stand in for yours%s.", pl->classes,
               pl->in_shape[0] != 28 || pl->in_shape[1] != 28 || pl->in_shape[2] != 1 ? ", resized to the model's input"
                                                                                      : "");
    w_line(w, 0, 0, "  focus view graph");
    for (int i = 0; i < pl->n; i++) {
        const pdecl *d = &pl->d[i];
        if (d->frozen == d->frozen_live || (d->kind != D_BASE && d->kind != D_LAYER))
            continue;
        w_line(w, 0, 0, "  > %s was %s after compile(): Keras's summary shows it, training does not, until the model is compiled again.",
               d->name, d->frozen_live ? "frozen" : "unfrozen");
        w_line(w, 0, 0, "  %s %s without recompile", d->frozen_live ? "freeze" : "unfreeze", d->name);
    }
    w_line(w, 0, 0, "  expect total params == %zu", pc.total);
    w_line(w, 0, 0, "  expect trainable params == %zu", tr);
    w_line(w, 0, 0, "  expect non-trainable params == %zu", nt);

    /* dropouts */
    drop_info drops[64];
    int nd = 0;
    for (int i = 0; i < l->n_decls && nd < 64; i++) {
        const ls_decl *ld = &l->decls[i];
        if (ld->kind != LS_DECL_LAYER || ld->cfg.type != NN_DROPOUT || ld->layer_first < 0)
            continue;
        const nn_layer *ly = m->layers[ld->layer_first];
        drop_info *di = &drops[nd++];
        di->layer = ld->layer_first;
        /* the rate as written (the model holds a float) */
        di->rate = i < pl->n && pl->d[i].node >= 0 ? pg->nodes[pl->d[i].node].rate : ly->cfg.rate;
        di->units = ly->out_size;
        const nn_layer *f = ly->n_inputs > 0 ? m->layers[ly->inputs[0]] : NULL;
        snprintf(di->feeder, sizeof di->feeder, "%s", f ? f->name : "?");
        di->feeder_units = f ? f->out_size : 0;
    }
    w_line(w, 0, 0, "%s", "");
    w_line(w, 0, 0, "step \"Train\"");
    if (pg->compile.assumed)
        w_line(w, 0, 0, "  > Keras would refuse to fit this model: the script never compiles it. dropscope trains it as compile(optimizer='rmsprop', loss='%s') would: Keras's default optimizer, and the loss its output calls for.",
               nn_loss_name(pg->compile.loss));
    w_line(w, 0, 0, "  > 20 training steps of %d images each.%s", pl->batch,
           nd ? " Each Dropout draws a new random mask at every step." : "");
    w_line(w, 0, 0, "  focus view %s", nd ? "mask" : "metrics");
    w_line(w, 0, 0, "  run 20 steps");
    w_line(w, 0, 0, "  expect steps == 20");
    if (base_decl >= 0 && pl->d[base_decl].frozen)
        w_line(w, 0, 0, "  expect weight change of base == 0");
    for (int i = 0; i < pl->n; i++)
        if (pl->d[i].kind == D_LAYER && pl->d[i].frozen)
            w_line(w, 0, 0, "  expect weight change of %s == 0", pl->d[i].name);
    for (int i = 0; i < pl->n; i++)
        if (pl->d[i].kind == D_LAYER && pl->d[i].frozen_live && !pl->d[i].frozen) {
            w_line(w, 0, 0, "  > %s still trains: it was frozen after compile(), and training keeps compile's flags.",
                   pl->d[i].name);
            w_line(w, 0, 0, "  expect weight change of %s > 0", pl->d[i].name);
        }
    for (int i = 0; i < nd; i++) {
        const drop_info *di = &drops[i];
        if (!(di->rate > 0 && di->rate < 1))
            continue;
        double n = (double)di->units * pl->batch;
        double tol = 5 * sqrt(di->rate * (1 - di->rate) / (n > 0 ? n : 1));
        if (tol < 0.05)
            tol = 0.05;
        double lo = di->rate - tol, hi = di->rate + tol;
        if (lo < 0)
            lo = 0;
        if (hi > 1)
            hi = 1;
        w_line(w, 0, 0, "  expect dropped fraction of %s within %.4g..%.4g", m->layers[di->layer]->name, lo, hi);
    }
    if (nd > 0 && drops[0].rate > 0 && drops[0].rate < 1) {
        const drop_info *di = &drops[0];
        char r[32], sc[32];
        fmt_g(di->rate, r, sizeof r);
        fmt_g(1 / (1 - di->rate), sc, sizeof sc);
        w_line(w, 0, 0, "  question Which neurons does %s (Dropout(%s)) switch off?", m->layers[di->layer]->name, r);
        if (base_decl >= 0)
            w_line(w, 0, 0, "  choice Neurons of the %sbase", pl->d[base_decl].frozen ? "frozen " : "");
        w_line(w, 0, 0, "  choice All neurons of the %s", base_decl >= 0 ? "layers after the base" : "model");
        w_line(w, 0, 0, "  choice The %zu outputs of %s, the layer feeding it", di->feeder_units, di->feeder);
        w_line(w, 0, 0, "  answer %d", base_decl >= 0 ? 3 : 2);
        w_line(w, 0, 0, "  explain");
        w_line(w, 0, 0, "  > Dropout multiplies the outputs of the layer that feeds it (%s) by a fresh random 0/1 mask", di->feeder);
        w_line(w, 0, 0, "  > at each training step, scaled by 1/(1 - %s) = %s. It has no weights and touches no weights.", r, sc);
    }
    if (nd > 0) {
        w_line(w, 0, 0, "%s", "");
        w_line(w, 0, 0, "step \"Inference\"");
        w_line(w, 0, 0, "  > predict and evaluate run without Dropout: no mask is drawn.");
        w_line(w, 0, 0, "  mode inference");
        w_line(w, 0, 0, "  predict");
        w_line(w, 0, 0, "  expect mask of %s inactive", m->layers[drops[0].layer]->name);
        w_line(w, 0, 0, "  mode training");
    }
}

#define PARSE_NAME "(keras import)"

/* Parses text; on an error, reports it at the Python line that wrote the lesson line. */
static ls_lesson *check_parse(const wbuf *w, const char *path, char *err, size_t errlen)
{
    char perr[1024];
    ls_lesson *l = ls_lesson_parse(PARSE_NAME, w->s, w->n, perr, sizeof perr);
    if (l)
        return l;
    int g = 0, col = 0, k = 0;
    const char *msg = perr;
    if (sscanf(perr, PARSE_NAME ":%d:%d: %n", &g, &col, &k) == 2 && k > 0)
        msg = perr + k;
    /* the lesson line itself */
    char line[160] = "";
    if (g >= 1) {
        const char *s = w->s;
        for (int i = 1; i < g && s; i++) {
            s = strchr(s, '\n');
            if (s)
                s++;
        }
        if (s) {
            const char *e = strchr(s, '\n');
            size_t n = e ? (size_t)(e - s) : strlen(s);
            while (n && (*s == ' '))
                s++, n--;
            if (n > 100)
                n = 100;
            snprintf(line, sizeof line, "%.*s", (int)n, s);
        }
    }
    if (g >= 1 && g <= w->lines && w->map[2 * g] > 0)
        efail(err, errlen, path, w->map[2 * g], w->map[2 * g + 1], "%s (in the lesson written from it: %s)", msg, line);
    else
        efail(err, errlen, path, 1, 1, "the lesson written from this file does not parse: line %d (%s): %s", g, line, msg);
    return NULL;
}

/* Every layer the lesson declares carries Keras's name; the base ends where it should. */
static int check_names(const plan *pl, const ls_lesson *l, const nn_model *m, char *err, size_t errlen)
{
    int j = 0;
    for (int i = 0; i < pl->n; i++) {
        const pdecl *d = &pl->d[i];
        if (j >= l->n_decls)
            return efail(err, errlen, pl->path, d->line, d->col, "internal error: the lesson lost a layer");
        const ls_decl *ld = &l->decls[j++];
        if (ld->layer_first < 0 || ld->layer_count < 1 || ld->layer_first + ld->layer_count > m->n_layers)
            return efail(err, errlen, pl->path, d->line, d->col, "internal error: the lesson's model was not built");
        const char *want = d->kind == D_BASE ? pl->pg->bases[d->base].full->layers[d->cut]->name : d->name;
        const char *got = d->kind == D_BASE ? m->layers[ld->layer_first + ld->layer_count - 1]->name
                                            : m->layers[ld->layer_first]->name;
        if (strcmp(want, got))
            return efail(err, errlen, pl->path, d->line, d->col,
                         "internal error: the lesson names this layer '%s' where Keras names it '%s'", got, want);
    }
    return 0;
}

static void plan_free(plan *pl)
{
    free(pl->d);
    free(pl->node_used);
    free(pl->base_need);
    free(pl->names);
    free(pl->names_line);
}

static char *notes_text(const kprog *pg, const char *path)
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
static void note_weights(kprog *pg, const plan *pl, const char *path)
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

char *ls_keras_import_ex(const char *path, const char *text, size_t len, char **notes, char *err, size_t errlen)
{
    if (notes)
        *notes = NULL;
    if (err && errlen)
        err[0] = '\0';
    if (!path)
        path = "model.py";
    klex lx;
    if (ki_lex(&lx, path, text, len, err, errlen) < 0)
        return NULL;
    kprog pg;
    memset(&pg, 0, sizeof pg);
    pg.path = path;
    char *out = NULL;
    plan pl;
    memset(&pl, 0, sizeof pl);
    pl.pg = &pg;
    pl.path = path;
    pl.err = err;
    pl.errlen = errlen;
    wbuf w = {0};
    ls_lesson *l = NULL, *l2 = NULL;
    nn_model *m = NULL;
    if (ki_run(&pg, &lx, path, err, errlen) < 0)
        goto done;
    if (make_plan(&pl) < 0 || plan_frozen(&pl) < 0 || plan_data(&pl) < 0)
        goto done;
    note_weights(&pg, &pl, path);
    /* notes in line order (stable) */
    for (int i = 1; i < pg.n_notes; i++) {
        knote x = pg.notes[i];
        int j = i - 1;
        while (j >= 0 && pg.notes[j].line > x.line) {
            pg.notes[j + 1] = pg.notes[j];
            j--;
        }
        pg.notes[j + 1] = x;
    }
    /* the declarations, checked and built */
    write_head(&w, &pl);
    if (w.oom) {
        efail(err, errlen, path, 1, 1, "out of memory");
        goto done;
    }
    l = check_parse(&w, path, err, errlen);
    if (!l)
        goto done;
    char berr[512];
    m = ls_lesson_build_model(l, berr, sizeof berr);
    if (!m) {
        efail(err, errlen, path, 1, 1, "internal error: the lesson's model does not build: %s", berr);
        goto done;
    }
    if (check_names(&pl, l, m, err, errlen) < 0)
        goto done;
    /* summary's view: the flags as they are now */
    for (int i = 0, j = 0; i < pl.n; i++, j++) {
        const pdecl *d = &pl.d[i];
        const ls_decl *ld = &l->decls[j];
        if (d->frozen != d->frozen_live)
            for (int k = ld->layer_first; k < ld->layer_first + ld->layer_count; k++)
                nn_model_set_trainable(m, k, !d->frozen_live);
    }
    write_steps(&w, &pl, l, m);
    if (w.oom) {
        efail(err, errlen, path, 1, 1, "out of memory");
        goto done;
    }
    l2 = check_parse(&w, path, err, errlen);
    if (!l2)
        goto done;
    if (notes) {
        *notes = notes_text(&pg, path);
        if (!*notes) {
            efail(err, errlen, path, 1, 1, "out of memory");
            goto done;
        }
    }
    out = w.s;
    w.s = NULL;
done:
    ls_lesson_destroy(l);
    ls_lesson_destroy(l2);
    nn_model_destroy(m);
    free(w.s);
    free(w.map);
    plan_free(&pl);
    ki_prog_free(&pg);
    ki_lex_free(&lx);
    return out;
}

char *ls_keras_import(const char *path, const char *text, size_t len, char *err, size_t errlen)
{
    return ls_keras_import_ex(path, text, len, NULL, err, errlen);
}
