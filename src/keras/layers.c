/* Keras's layers to the importer: Keras's automatic names, the arguments of layer
 * classes (checked against Keras's signatures and written in the lesson's form), Input,
 * calling a layer on tensors, InceptionV3, optimizers and losses. Errors unwind with
 * ki_fail at the argument's own line:col. See keras_api.c for the rest of Keras. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/bases.h"
#include "engine/inception.h"
#include "keras/layers.h"
#include "keras/runtime.h"
#include "lesson/text.h"
#include "lesson/vocab.h"

/* ------------------------------------------------------------------------------------ */
/* Names */

static int *uid_slot(kprog *pg, const char *prefix)
{
    for (int i = 0; i < pg->n_uids; i++)
        if (!strcmp(pg->uids[i].prefix, prefix))
            return &pg->uids[i].count;
    if (pg->n_uids == (int)(sizeof pg->uids / sizeof pg->uids[0]))
        return NULL;
    snprintf(pg->uids[pg->n_uids].prefix, sizeof pg->uids[0].prefix, "%s", prefix);
    pg->uids[pg->n_uids].count = 0;
    return &pg->uids[pg->n_uids++].count;
}

static void ki_keras_name(kprog *pg, const char *prefix, bool one_based, char *out, size_t n)
{
    int *c = uid_slot(pg, prefix);
    int k = c ? (*c)++ : 0;
    if (one_based)
        snprintf(out, n, "%s_%d", prefix, k + 1);
    else if (k == 0)
        snprintf(out, n, "%s", prefix);
    else
        snprintf(out, n, "%s_%d", prefix, k);
}

/* "; did you mean 'x'?" for the closest of names (n of them), or "". */
const char *ka_suggest(const char *s, const char *const *names, int n, char *buf, size_t len)
{
    return ls_suggest(buf, len, s, strlen(s), names, n, LS_WORDS_PYTHON);
}

/* A name a lesson can hold: letters, digits and '_', at most 63 bytes. */
static bool lesson_name_ok(const char *s, int n)
{
    if (n < 1 || n >= LS_NAME_MAX)
        return false;
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_'))
        return false;
    for (int i = 1; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '_'))
            return false;
    return true;
}

/* ------------------------------------------------------------------------------------ */
/* Arguments */

/* Binds a call's arguments to names (the first n_pos may be positional, in order).
 * Fails on an unknown keyword (at the keyword), too many positional arguments, or a
 * value given twice. */
void ka_bind_args(kparser *p, kargs *a, const char *callee, const char *const *names, int n_pos, kbound *b)
{
    memset(b, 0, sizeof *b);
    int n_names = 0;
    while (names[n_names])
        n_names++;
    if (n_names > (int)(sizeof b->v / sizeof b->v[0])) /* a signature longer than kbound holds */
        ki_fail(p, 1, 1, "internal error: %s has %d arguments, more than the importer holds", callee, n_names);
    int pos = 0;
    for (int i = 0; i < a->n; i++) {
        karg *g = &a->a[i];
        int k = -1;
        if (!g->key) {
            if (pos >= n_pos)
                ki_fail(p, g->line, g->col, "%s takes at most %d positional argument%s here; name the others (key=value)",
                        callee, n_pos, n_pos == 1 ? "" : "s");
            k = pos++;
        } else {
            char kb[64];
            ki_tok_text(p, g->key, kb, sizeof kb);
            for (int j = 0; j < n_names; j++)
                if (!strcmp(names[j], kb))
                    k = j;
            if (k < 0) {
                char sg[96], list[600];
                size_t o = 0;
                list[0] = '\0';
                for (int j = 0; j < n_names && o + 40 < sizeof list; j++)
                    o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", j ? ", " : "", names[j]);
                ki_fail(p, g->line, g->col, "'%s' is not an argument of %s that dropscope supports%s (it takes %s)", kb,
                        callee, ka_suggest(kb, names, n_names, sg, sizeof sg), list);
            }
        }
        if (b->v[k])
            ki_fail(p, g->line, g->col, "%s got two values for '%s'", callee, names[k]);
        b->v[k] = g->v;
        b->g[k] = g;
    }
}

int ka_vline(const kbound *b, int k)
{
    return b->g[k]->vline;
}

int ka_vcol(const kbound *b, int k)
{
    return b->g[k]->vcol;
}

/* Shortest decimal that reads back as x. */
static void fmt_num(double x, bool is_int, char *out, size_t n)
{
    if (is_int && fabs(x) < 9e15) {
        snprintf(out, n, "%lld", (long long)x);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, n, "%.*g", prec, x);
        if (strtod(out, NULL) == x)
            break;
    }
    if (!strpbrk(out, ".eEin"))
        snprintf(out + strlen(out), n - strlen(out), ".0");
}

typedef struct {
    char s[1024];
    size_t n;
} sbuf;

static void sb_add(kparser *p, sbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static void sb_add(kparser *p, sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(b->s + b->n, sizeof b->s - b->n, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= sizeof b->s - b->n)
        ki_fail(p, p->st_line, 1, "the arguments are too long");
    b->n += (size_t)k;
}

static void sb_arg(kparser *p, sbuf *b, const char *key, const char *val)
{
    if (key)
        sb_add(p, b, "%s%s=%s", b->n ? ", " : "", key, val);
    else
        sb_add(p, b, "%s%s", b->n ? ", " : "", val);
}

static bool is_num(const kval *v)
{
    return v->k == V_NUM && !v->big;
}

static double need_number(kparser *p, const kbound *b, int k, const char *what)
{
    kval *v = b->v[k];
    ki_need_known(p, v, ka_vline(b, k), ka_vcol(b, k), what);
    if (!is_num(v) || !isfinite(v->num))
        ki_fail(p, ka_vline(b, k), ka_vcol(b, k), "%s must be a number, found %s", what, ki_kind_name(v));
    return v->num;
}

long long ka_need_int(kparser *p, const kbound *b, int k, const char *what)
{
    kval *v = b->v[k];
    ki_need_known(p, v, ka_vline(b, k), ka_vcol(b, k), what);
    if (!is_num(v) || !(v->is_int || (v->num == floor(v->num) && fabs(v->num) < 1e15)))
        ki_fail(p, ka_vline(b, k), ka_vcol(b, k), "%s must be a whole number, found %s", what, ki_kind_name(v));
    return (long long)v->num;
}

bool ka_need_bool(kparser *p, const kbound *b, int k, const char *what)
{
    kval *v = b->v[k];
    ki_need_known(p, v, ka_vline(b, k), ka_vcol(b, k), what);
    if (v->k != V_BOOL)
        ki_fail(p, ka_vline(b, k), ka_vcol(b, k), "%s takes True or False, found %s", what, ki_kind_name(v));
    return v->b;
}

/* A string argument's value (NUL-terminated in the arena), or NULL when it is None
 * and none_ok. */
const char *ka_need_str(kparser *p, const kbound *b, int k, const char *what, bool none_ok)
{
    kval *v = b->v[k];
    ki_need_known(p, v, ka_vline(b, k), ka_vcol(b, k), what);
    if (v->k == V_NONE && none_ok)
        return NULL;
    if (v->k != V_STR)
        ki_fail(p, ka_vline(b, k), ka_vcol(b, k), "%s must be a string, found %s", what, ki_kind_name(v));
    return v->s;
}

void ka_str_lower(const char *s, char *out, size_t n)
{
    size_t i = 0;
    for (; s[i] && i + 1 < n; i++)
        out[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i]);
    out[i] = '\0';
}

static nn_act need_act(kparser *p, const kbound *b, int k)
{
    kval *v = b->v[k];
    ki_need_known(p, v, ka_vline(b, k), ka_vcol(b, k), "as an activation");
    if (v->k == V_NONE)
        return NN_ACT_LINEAR;
    if (v->k == V_ACT || (v->k == V_SYM && v->sym == S_ACT))
        return (nn_act)v->sub;
    if (v->k == V_STR) {
        const char *const *acts = ls_vocab_activations; /* without the lesson's "none" */
        for (int i = 0; i < LS_VOCAB_ACTIVATIONS; i++)
            if (!strcmp(v->s, acts[i]))
                return (nn_act)i;
        char sg[96];
        ki_fail(p, ka_vline(b, k), ka_vcol(b, k),
                "the activation '%.40s' is not supported%s (dropscope has relu, sigmoid, softmax and linear)", v->s,
                ka_suggest(v->s, acts, LS_VOCAB_ACTIVATIONS, sg, sizeof sg));
    }
    ki_fail(p, ka_vline(b, k), ka_vcol(b, k), "the activation must be a name such as 'relu', found %s", ki_kind_name(v));
}

/* 3 or (3, 3) into "3" / "(3, 3)". */
static void need_pair(kparser *p, const kbound *b, int k, const char *what, char *out, size_t n, int *a1, int *a2)
{
    kval *v = b->v[k];
    ki_need_known(p, v, ka_vline(b, k), ka_vcol(b, k), what);
    if (is_num(v)) {
        long long x = ka_need_int(p, b, k, what);
        snprintf(out, n, "%lld", x);
        *a1 = *a2 = (int)(x > 100000 ? 100000 : x < -1 ? -1 : x);
        return;
    }
    if (v->k == V_SEQ && v->n == 2 && is_num(v->items[0]) && is_num(v->items[1]) && v->items[0]->is_int &&
        v->items[1]->is_int) {
        snprintf(out, n, "(%lld, %lld)", (long long)v->items[0]->num, (long long)v->items[1]->num);
        *a1 = (int)(v->items[0]->num > 100000 ? 100000 : v->items[0]->num);
        *a2 = (int)(v->items[1]->num > 100000 ? 100000 : v->items[1]->num);
        return;
    }
    ki_fail(p, ka_vline(b, k), ka_vcol(b, k), "%s must be a whole number or a pair of them, e.g. (3, 3)", what);
}

/* A shape tuple (each side a whole number). */
static int need_shape(kparser *p, kval *v, int line, int col, const char *what, int *dims)
{
    if (v->k == V_OPAQUE && v->s && strstr(v->s, "shape")) { /* input_shape=x_train.shape[1:] */
        dims[0] = dims[1] = 28;
        dims[2] = 1;
        ki_note(p->pg, line, "%s is taken from the data: read as (28, 28, 1), the shape of the stand-in images (Fashion-MNIST)",
                what);
        return 3;
    }
    ki_need_known(p, v, line, col, what);
    if (is_num(v) && v->is_int) { /* input_dim=784 */
        dims[0] = (int)(v->num > 1e8 ? 1e8 : v->num);
        return 1;
    }
    if (v->k != V_SEQ)
        ki_fail(p, line, col, "%s must be a tuple such as (150, 150, 3), found %s", what, ki_kind_name(v));
    if (v->n < 1 || v->n > 3)
        ki_fail(p, line, col, "%s must be (units,), (height, width) or (height, width, channels), found %d numbers", what,
                v->n);
    for (int i = 0; i < v->n; i++) {
        kval *x = v->items[i];
        if (x->k == V_NONE)
            ki_fail(p, line, col, "%s with None sides is not supported: dropscope needs the image size", what);
        if (!is_num(x) || !x->is_int || x->num < 1)
            ki_fail(p, line, col, "%s must hold whole numbers of at least 1", what);
        dims[i] = (int)(x->num > 1e8 ? 1e8 : x->num);
    }
    return v->n;
}

/* An argument that must keep Keras's default (string or None). */
static void need_default(kparser *p, const kbound *b, int k, const char *name, const char *def, const char *why)
{
    kval *v = b->v[k];
    if (v->k == V_NONE && (!def || !strcmp(def, "None")))
        return;
    if (v->k == V_STR && def && !strcmp(v->s, def))
        return;
    if (def && !strcmp(def, "1") && is_num(v) && v->num == 1)
        return;
    if (def && !strcmp(def, "(1, 1)") &&
        ((is_num(v) && v->num == 1) ||
         (v->k == V_SEQ && v->n == 2 && is_num(v->items[0]) && is_num(v->items[1]) && v->items[0]->num == 1 &&
          v->items[1]->num == 1)))
        return;
    ki_fail(p, ka_vline(b, k), ka_vcol(b, k), "%s other than %s is not supported: %s", name, def ? def : "None", why);
}

/* ------------------------------------------------------------------------------------ */
/* Nodes */

int ka_new_node(kparser *p, kn_kind kind, nn_layer_type type, int line, int col)
{
    kprog *pg = p->pg;
    if (pg->n_nodes >= KI_MAX_NODES)
        ki_fail(p, line, col, "more than %d layers", KI_MAX_NODES);
    if (pg->n_nodes == pg->cap_nodes) {
        int cap = pg->cap_nodes ? pg->cap_nodes * 2 : 32;
        knode *n = realloc(pg->nodes, sizeof *n * (size_t)cap);
        if (!n)
            ki_fail(p, line, col, "out of memory");
        pg->nodes = n;
        pg->cap_nodes = cap;
    }
    knode *n = &pg->nodes[pg->n_nodes];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->type = type;
    n->base = -1;
    n->trainable = n->trainable_c = true;
    n->line = line;
    n->col = col;
    n->seq_model = -1;
    n->nested_in = -1;
    n->act = NN_ACT_LINEAR;
    return pg->n_nodes++;
}

static void set_node_name(kparser *p, int ni, const kbound *b, int k_name)
{
    knode *n = &p->pg->nodes[ni];
    if (k_name >= 0 && b->v[k_name] && b->v[k_name]->k != V_NONE) {
        const char *s = ka_need_str(p, b, k_name, "the layer's name", false);
        if (!lesson_name_ok(s, (int)strlen(s)))
            ki_fail(p, ka_vline(b, k_name), ka_vcol(b, k_name),
                    "the layer name '%.40s' cannot be used by dropscope: letters, digits and '_', at most %d bytes", s,
                    LS_NAME_MAX - 1);
        snprintf(n->name, sizeof n->name, "%s", s);
        n->named = true;
        return;
    }
    ki_keras_name(p->pg, ka_node_prefix(n), n->type == NN_INPUT, n->name, sizeof n->name);
}

kval *ka_tensor_val(kparser *p, kref r, int line, int col)
{
    kval *v = ki_val(p, V_TENSOR, line, col);
    v->ref = r;
    return v;
}

kref ka_node_ref(int n)
{
    return (kref){n, -1, 0};
}

const char *ka_ref_name(const kprog *pg, kref r)
{
    if (r.node >= 0)
        return pg->nodes[r.node].name;
    if (r.base >= 0 && pg->bases[r.base].full && r.sub < pg->bases[r.base].full->n_layers)
        return r.sub == 0 ? pg->bases[r.base].input_name : pg->bases[r.base].full->layers[r.sub]->name;
    return "?";
}

static int arg_index(const char *const *names, const char *name)
{
    for (int i = 0; names[i]; i++)
        if (!strcmp(names[i], name))
            return i;
    return -1;
}

static const char *init_default(const char *name)
{
    if (!strcmp(name, "kernel_initializer") || !strcmp(name, "depthwise_initializer") ||
        !strcmp(name, "pointwise_initializer"))
        return "glorot_uniform";
    if (!strcmp(name, "gamma_initializer") || !strcmp(name, "moving_variance_initializer"))
        return "ones";
    return "zeros";
}

/* v as the lesson writes it: a number, or a tuple of them (nested to depth 2):
 * (1, 1), ((0, 1), (0, 1)), (1, 1, -1). Whole numbers only when ints. */
static void num_tree(kparser *p, const kval *v, int line, int col, const char *what, bool ints, int depth, sbuf *o)
{
    if (is_num(v)) {
        if (ints && !v->is_int)
            ki_fail(p, line, col, "%s takes whole numbers", what);
        char t[64];
        fmt_num(v->num, v->is_int, t, sizeof t);
        sb_add(p, o, "%s", t);
        return;
    }
    ki_need_known(p, (kval *)v, line, col, what);
    if (v->k != V_SEQ || depth >= 2 || v->n < 1 || v->n > 8)
        ki_fail(p, line, col, "%s must be a number or a tuple of numbers, found %s", what, ki_kind_name(v));
    sb_add(p, o, "(");
    for (int i = 0; i < v->n; i++) {
        if (i)
            sb_add(p, o, ", ");
        num_tree(p, v->items[i], line, col, what, ints, depth + 1, o);
    }
    sb_add(p, o, "%s)", v->n == 1 ? "," : "");
}

/* The arguments of ZeroPadding2D, DepthwiseConv2D, SeparableConv2D, ReLU, Reshape and
 * Normalization: written as the lesson reads them (its parser checks the values).
 * Returns whether nm was one of them. */
static bool layer_arg_new(kparser *p, kbound *b, int k, const char *nm, nn_layer_type type, sbuf *out)
{
    kval *v = b->v[k];
    int l = ka_vline(b, k), c = ka_vcol(b, k);
    sbuf t = {.n = 0};
    if ((type == NN_ZEROPAD2D && !strcmp(nm, "padding")) || (type == NN_RESHAPE && !strcmp(nm, "target_shape"))) {
        num_tree(p, v, l, c, nm, true, 0, &t);
        sb_arg(p, out, type == NN_RESHAPE ? NULL : nm, t.s);
    } else if (!strcmp(nm, "depth_multiplier")) {
        num_tree(p, v, l, c, nm, true, 1, &t);
        sb_arg(p, out, nm, t.s);
    } else if (type == NN_RELU && (!strcmp(nm, "max_value") || !strcmp(nm, "negative_slope") || !strcmp(nm, "threshold"))) {
        if (v->k == V_NONE)
            return true;
        num_tree(p, v, l, c, nm, false, 1, &t);
        sb_arg(p, out, nm, t.s);
    } else if (type == NN_NORMALIZATION && (!strcmp(nm, "mean") || !strcmp(nm, "variance"))) {
        if (v->k == V_NONE)
            return true;
        if (v->k == V_OPAQUE)
            ki_fail(p, l, c, "%s= computed from data is not supported: give numbers, or leave it out and adapt() is noted", nm);
        num_tree(p, v, l, c, nm, false, v->k == V_SEQ ? 1 : 0, &t);
        sb_arg(p, out, nm, t.s);
    } else if (type == NN_NORMALIZATION && !strcmp(nm, "invert")) {
        if (ka_need_bool(p, b, k, nm))
            ki_fail(p, l, c, "invert=True is not supported");
    } else if (type == NN_NORMALIZATION && !strcmp(nm, "axis")) {
        if (v->k != V_NONE && !(is_num(v) && v->is_int && v->num == -1))
            ki_fail(p, l, c, "axis other than -1 is not supported: Normalization works per channel");
    } else {
        return false;
    }
    return true;
}

/* ---- the random augmentations (RandomFlip, RandomRotation, RandomZoom, RandomTranslation) ---- */

const char *ka_node_class(const knode *n)
{
    nn_layer_cfg c = nn_layer_cfg_default(n->type);
    c.aug_kind = n->aug_kind;
    return nn_layer_class_name(&c);
}

const char *ka_node_prefix(const knode *n)
{
    nn_layer_cfg c = nn_layer_cfg_default(n->type);
    c.aug_kind = n->aug_kind;
    return nn_layer_class_prefix(&c);
}

/* A factor: a number f >= 0, meaning (-f, f) as Keras reads it, or a pair (lower, upper). */
static void augment_factor(kparser *p, kbound *b, int k, const char *nm, sbuf *out)
{
    kval *v = b->v[k];
    int l = ka_vline(b, k), c = ka_vcol(b, k);
    sbuf t = {.n = 0};
    ki_need_known(p, v, l, c, nm);
    if (is_num(v) && v->num < 0)
        ki_fail(p, l, c, "%s=%g: a single number f means (-f, f) and must be >= 0; give (lower, upper) for a one-sided range",
                nm, v->num);
    if (!is_num(v) && !(v->k == V_SEQ && v->n == 2 && is_num(v->items[0]) && is_num(v->items[1])))
        ki_fail(p, l, c, "%s must be a number or a (lower, upper) pair, found %s", nm, ki_kind_name(v));
    if (v->k == V_SEQ && !(v->items[0]->num <= v->items[1]->num))
        ki_fail(p, l, c, "%s=(%g, %g): the lower bound is above the upper bound", nm, v->items[0]->num, v->items[1]->num);
    num_tree(p, v, l, c, nm, false, 1, &t);
    sb_arg(p, out, nm, t.s);
}

/* One of words, case as Keras compares it (exactly), written as the lesson's word. */
static void augment_choice(kparser *p, kbound *b, int k, const char *nm, const char *const *words, const char *list,
                           sbuf *out)
{
    const char *s = ka_need_str(p, b, k, nm, false);
    for (int i = 0; words[i]; i++)
        if (!strcmp(s, words[i])) {
            sb_arg(p, out, nm, words[i]);
            return;
        }
    ki_fail(p, ka_vline(b, k), ka_vcol(b, k), "%s='%.40s' is not supported (Keras's %s: %s)", nm, s, nm, list);
}

/* An augmentation's own argument nm (mode, factor, height_factor, width_factor, fill_mode,
 * interpolation, fill_value, value_range, seed): checked and written in the lesson's form; false for
 * the arguments every layer takes (name, trainable, input_shape ...). */
static bool augment_arg(kparser *p, kbound *b, int k, const char *nm, const knode *n, sbuf *out)
{
    static const char *const modes[] = {"horizontal", "vertical", "horizontal_and_vertical", NULL};
    static const char *const fills[] = {"reflect", "wrap", "constant", "nearest", NULL};
    static const char *const interps[] = {"bilinear", "nearest", NULL};
    kval *v = b->v[k];
    char val[64];
    if (!strcmp(nm, "mode")) {
        augment_choice(p, b, k, nm, modes, "'horizontal', 'vertical' or 'horizontal_and_vertical'", out);
    } else if (!strcmp(nm, "factor") || !strcmp(nm, "height_factor")) {
        augment_factor(p, b, k, nm, out);
    } else if (!strcmp(nm, "width_factor")) {
        if (v->k == V_NONE && n->aug_kind == NN_AUG_ZOOM)
            return true; /* the width zooms as the height: the lesson's default too */
        augment_factor(p, b, k, nm, out);
    } else if (!strcmp(nm, "fill_mode")) {
        augment_choice(p, b, k, nm, fills, "'reflect', 'wrap', 'constant' or 'nearest'", out);
    } else if (!strcmp(nm, "interpolation")) {
        augment_choice(p, b, k, nm, interps, "'bilinear' or 'nearest'", out);
    } else if (!strcmp(nm, "fill_value")) {
        fmt_num(need_number(p, b, k, nm), false, val, sizeof val);
        sb_arg(p, out, nm, val);
    } else if (!strcmp(nm, "value_range")) { /* Keras 3.0-3.5's RandomRotation */
        ki_need_known(p, v, ka_vline(b, k), ka_vcol(b, k), nm);
        if (!(v->k == V_SEQ && v->n == 2 && is_num(v->items[0]) && is_num(v->items[1])) ||
            !(v->items[0]->num < v->items[1]->num))
            ki_fail(p, ka_vline(b, k), ka_vcol(b, k), "value_range must be a (low, high) pair with low < high, e.g. (0, 255)");
        ki_note(p->pg, ka_vline(b, k),
                "%s's value_range= is read and not written: a rotation moves pixels, whatever their range (fill_value is a value of its own)",
                ka_node_class(n));
    } else if (!strcmp(nm, "seed")) {
        if (v->k != V_NONE) {
            ki_need_known(p, v, ka_vline(b, k), ka_vcol(b, k), "as a seed");
            ki_note(p->pg, ka_vline(b, k),
                    "%s's seed= is not used: the lesson's seed fixes every draw (TensorFlow's random streams are not reproduced)",
                    ka_node_class(n));
        }
    } else {
        return false;
    }
    return true;
}

/* RandomRotation needs factor; RandomZoom height_factor; RandomTranslation both factors. */
static void augment_required(kparser *p, nn_augment_kind kind, const kbound *b, const char *const *names, int line,
                             int col)
{
    if (kind == NN_AUG_ROTATION && !b->v[arg_index(names, "factor")])
        ki_fail(p, line, col, "RandomRotation needs factor (a fraction of a full turn), e.g. RandomRotation(0.2)");
    if (kind == NN_AUG_ZOOM && !b->v[arg_index(names, "height_factor")])
        ki_fail(p, line, col, "RandomZoom needs height_factor, e.g. RandomZoom(0.2)");
    if (kind == NN_AUG_TRANSLATION && (!b->v[arg_index(names, "height_factor")] || !b->v[arg_index(names, "width_factor")]))
        ki_fail(p, line, col, "RandomTranslation needs height_factor and width_factor, e.g. RandomTranslation(0.1, 0.1)");
}

/* Checks one given argument of a layer class (names[k]) against what dropscope does,
 * writes it into out in the lesson's form, and fills what the node needs (units, rate,
 * activation, trainable, input shape). Fails at the argument's line:col. */
static void layer_arg(kparser *p, kbound *b, int k, const char *nm, nn_layer_type type, knode *n, sbuf *out)
{
    kval *v = b->v[k];
    char val[128];
    if (type == NN_AUGMENT && augment_arg(p, b, k, nm, n, out))
        return;
    if (!strcmp(nm, "units") || !strcmp(nm, "filters")) {
        long long x = ka_need_int(p, b, k, nm);
        snprintf(val, sizeof val, "%lld", x);
        sb_arg(p, out, NULL, val);
        if (type == NN_DENSE)
            n->units = (int)(x > 1 << 30 ? 1 << 30 : x < 0 ? 0 : x);
    } else if (!strcmp(nm, "kernel_size")) {
        int a1, a2;
        need_pair(p, b, k, nm, val, sizeof val, &a1, &a2);
        sb_arg(p, out, NULL, val);
    } else if (!strcmp(nm, "rate")) {
        double r = need_number(p, b, k, "the dropout rate");
        fmt_num(r, false, val, sizeof val);
        sb_arg(p, out, NULL, val);
        n->rate = r;
    } else if (!strcmp(nm, "activation")) {
        nn_act act = need_act(p, b, k);
        n->act = act;
        sb_arg(p, out, type == NN_ACTIVATION ? NULL : "activation", nn_act_name(act));
    } else if (type == NN_RESCALING && (!strcmp(nm, "scale") || !strcmp(nm, "offset"))) {
        double x = need_number(p, b, k, nm); /* Rescaling(1./255), offset=-1 */
        fmt_num(x, false, val, sizeof val);
        sb_arg(p, out, nm, val);
    } else if (!strcmp(nm, "use_bias") || !strcmp(nm, "center") || !strcmp(nm, "scale")) {
        sb_arg(p, out, nm, ka_need_bool(p, b, k, nm) ? "True" : "False");
    } else if (!strcmp(nm, "strides") || !strcmp(nm, "pool_size")) {
        if (v->k == V_NONE && !strcmp(nm, "strides") && type != NN_CONV2D)
            return;
        int a1, a2;
        need_pair(p, b, k, nm, val, sizeof val, &a1, &a2);
        sb_arg(p, out, nm, val);
    } else if (layer_arg_new(p, b, k, nm, type, out)) {
        /* the keras.applications layers' own arguments */
    } else if (!strcmp(nm, "padding")) {
        const char *s = ka_need_str(p, b, k, "padding", false);
        char lo[16];
        ka_str_lower(s, lo, sizeof lo);
        if (strcmp(lo, "valid") && strcmp(lo, "same"))
            ki_fail(p, ka_vline(b, k), ka_vcol(b, k), "padding must be 'valid' or 'same', found '%.40s'", s);
        sb_arg(p, out, nm, lo);
    } else if (!strcmp(nm, "data_format")) {
        const char *s = ka_need_str(p, b, k, "data_format", true);
        if (s && strcmp(s, "channels_last"))
            ki_fail(p, ka_vline(b, k), ka_vcol(b, k), "data_format='%.40s' is not supported: dropscope is channels_last only", s);
    } else if (!strcmp(nm, "dilation_rate")) {
        need_default(p, b, k, nm, "(1, 1)", "dropscope's Conv2D is not dilated");
    } else if (!strcmp(nm, "groups")) {
        need_default(p, b, k, nm, "1", "dropscope's Conv2D has one group");
    } else if (strstr(nm, "_initializer")) {
        need_default(p, b, k, nm, init_default(nm), "dropscope initialises weights as Keras does by default");
    } else if (strstr(nm, "_regularizer") || strstr(nm, "_constraint") || !strcmp(nm, "virtual_batch_size")) {
        need_default(p, b, k, nm, NULL, "dropscope trains without regularizers or constraints");
    } else if (!strcmp(nm, "renorm")) {
        if (ka_need_bool(p, b, k, nm))
            ki_fail(p, ka_vline(b, k), ka_vcol(b, k), "renorm=True is not supported");
    } else if (!strcmp(nm, "fused")) {
        /* an implementation choice: the same numbers */
    } else if (!strcmp(nm, "momentum") || !strcmp(nm, "epsilon")) {
        double x = need_number(p, b, k, nm);
        fmt_num(x, false, val, sizeof val);
        sb_arg(p, out, nm, val);
    } else if (!strcmp(nm, "axis")) {
        long long x = ka_need_int(p, b, k, "axis");
        if (x != -1 && !(x == 3 && type == NN_BATCHNORM))
            ki_fail(p, ka_vline(b, k), ka_vcol(b, k), "axis=%lld is not supported: only the channels (axis=-1)", x);
    } else if (!strcmp(nm, "keepdims")) {
        if (ka_need_bool(p, b, k, nm))
            ki_fail(p, ka_vline(b, k), ka_vcol(b, k), "keepdims=True is not supported");
    } else if (!strcmp(nm, "noise_shape")) {
        need_default(p, b, k, nm, NULL, "dropscope draws a mask over every unit");
    } else if (!strcmp(nm, "seed")) {
        if (v->k != V_NONE) {
            ki_need_known(p, v, ka_vline(b, k), ka_vcol(b, k), "as a seed");
            ki_note(p->pg, ka_vline(b, k),
                    "Dropout's seed= is not used: the lesson's seed fixes every mask (TensorFlow's random streams are not reproduced)");
        }
    } else if (!strcmp(nm, "trainable")) {
        n->trainable = ka_need_bool(p, b, k, "trainable");
    } else if (!strcmp(nm, "input_shape") || !strcmp(nm, "input_dim") || !strcmp(nm, "batch_input_shape")) {
        int dims[3];
        kval *sv = v;
        if (!strcmp(nm, "batch_input_shape")) { /* (None, h, w, c) */
            ki_need_known(p, v, ka_vline(b, k), ka_vcol(b, k), nm);
            if (v->k != V_SEQ || v->n < 2)
                ki_fail(p, ka_vline(b, k), ka_vcol(b, k), "batch_input_shape must be a tuple such as (None, 28, 28, 1)");
            kval *t = ki_val(p, V_SEQ, v->line, v->col);
            t->tuple = true;
            t->items = v->items + 1;
            t->n = v->n - 1;
            sv = t;
        }
        if (!strcmp(nm, "input_dim") && !(is_num(v) && v->is_int))
            ki_fail(p, ka_vline(b, k), ka_vcol(b, k), "input_dim must be a whole number");
        n->shape_rank = need_shape(p, sv, ka_vline(b, k), ka_vcol(b, k), nm, dims);
        memcpy(n->shape, dims, sizeof dims);
    } else if (!strcmp(nm, "dtype")) {
        const char *s = ka_need_str(p, b, k, "dtype", true);
        if (s && strcmp(s, "float32"))
            ki_fail(p, ka_vline(b, k), ka_vcol(b, k), "dtype='%.40s' is not supported: dropscope computes in float32", s);
    } else if (!strcmp(nm, "name")) {
        /* below */
    } else if (type == NN_INPUT) {
        /* InputLayer's own arguments */
        if (!strcmp(nm, "batch_size")) {
            if (v->k != V_NONE)
                ki_note(p->pg, ka_vline(b, k), "the Input's batch_size= is not used: the lesson sets the batch size");
        } else if (!strcmp(nm, "sparse") || !strcmp(nm, "ragged")) {
            if (v->k != V_NONE && ka_need_bool(p, b, k, nm))
                ki_fail(p, ka_vline(b, k), ka_vcol(b, k), "%s=True is not supported", nm);
        } else {
            need_default(p, b, k, nm, NULL, "dropscope makes the input from input_shape");
        }
    }
}

/* The vocabulary entry of an augmentation kind. */
static const ls_vocab_layer *augment_sig(nn_augment_kind kind)
{
    for (const ls_vocab_layer *e = ls_vocab_layers; e->keras; e++)
        if (e->type == NN_AUGMENT && e->aug_kind == kind)
            return e;
    return NULL;
}

static kval *make_layer(kparser *p, nn_layer_type type, nn_augment_kind kind, kargs *a, int line, int col);

kval *ka_make_layer(kparser *p, nn_layer_type type, kargs *a, int line, int col)
{
    return make_layer(p, type, NN_AUG_FLIP, a, line, col);
}

kval *ka_make_augment(kparser *p, nn_augment_kind kind, kargs *a, int line, int col)
{
    return make_layer(p, NN_AUGMENT, kind, a, line, col);
}

/* Creates a layer object: checks its arguments and writes them in the lesson's form. */
static kval *make_layer(kparser *p, nn_layer_type type, nn_augment_kind kind, kargs *a, int line, int col)
{
    const ls_vocab_layer *sig = type == NN_AUGMENT ? augment_sig(kind) : ls_vocab_layer_of_type(type);
    const char *names[40];
    int nn = 0;
    for (int i = 0; sig->args[i]; i++)
        names[nn++] = sig->args[i];
    if (type != NN_INPUT)
        for (int i = 0; ls_vocab_common_args[i]; i++)
            names[nn++] = ls_vocab_common_args[i];
    names[nn] = NULL;
    kbound b;
    ka_bind_args(p, a, sig->keras, names, sig->n_pos, &b);
    ki_effect(p);
    int ni = ka_new_node(p, KN_LAYER, type, line, col);
    knode *n = &p->pg->nodes[ni];
    n->aug_kind = kind;
    sbuf out = {.n = 0};
    int kn = arg_index(names, "name");
    /* required arguments */
    static const struct {
        nn_layer_type t;
        const char *arg, *example;
    } required[] = {{NN_DENSE, "units", "Dense(512)"},
                    {NN_CONV2D, "filters", "Conv2D(32, (3, 3))"},
                    {NN_CONV2D, "kernel_size", "Conv2D(32, (3, 3))"},
                    {NN_DROPOUT, "rate", "Dropout(0.2)"},
                    {NN_ACTIVATION, "activation", "Activation('relu')"},
                    {NN_RESCALING, "scale", "Rescaling(1./255)"},
                    {NN_DEPTHWISE_CONV2D, "kernel_size", "DepthwiseConv2D((3, 3))"},
                    {NN_SEPARABLE_CONV2D, "filters", "SeparableConv2D(32, (3, 3))"},
                    {NN_SEPARABLE_CONV2D, "kernel_size", "SeparableConv2D(32, (3, 3))"},
                    {NN_RESHAPE, "target_shape", "Reshape((1, 1, 64))"}};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (required[i].t == type && !b.v[arg_index(names, required[i].arg)])
            ki_fail(p, line, col, "%s needs %s, e.g. %s", sig->keras, required[i].arg, required[i].example);
    if (type == NN_AUGMENT)
        augment_required(p, kind, &b, names, line, col);
    for (int k = 0; k < nn; k++)
        if (b.v[k])
            layer_arg(p, &b, k, names[k], type, n, &out);
    if (type == NN_INPUT) {
        int ks = arg_index(names, "input_shape");
        if (!b.v[ks])
            ki_fail(p, line, col, "InputLayer needs input_shape, e.g. InputLayer(input_shape=(28, 28, 1))");
        n->applied = true;
        n->order = ++p->pg->applied;
    }
    set_node_name(p, ni, &b, kn);
    n = &p->pg->nodes[ni];
    if (type == NN_RESCALING)
        ki_note(p->pg, line, "%s is read as written; the stand-in images are already scaled to 0..1, where Keras's pipeline would feed 0..255", n->name);
    n->trainable_c = n->trainable;
    n->args = strdup(out.s);
    if (!n->args)
        ki_fail(p, line, col, "out of memory");
    kval *r = ki_val(p, V_LAYER, line, col);
    r->ref = ka_node_ref(ni);
    return r;
}

/* Input(shape=None, batch_size=None, name=None, dtype=None, sparse=None, tensor=None,
 * ragged=None, type_spec=None) */
kval *ka_make_input(kparser *p, kargs *a, int line, int col)
{
    const char *spelling;
    const ls_vocab_layer *sig = ls_vocab_layer_find("Input", 5, &spelling); /* the function, not InputLayer */
    kbound b;
    ka_bind_args(p, a, sig->keras, sig->args, sig->n_pos, &b);
    if (!b.v[0])
        ki_fail(p, line, col, "Input needs a shape, e.g. Input(shape=(150, 150, 3))");
    ki_effect(p);
    int ni = ka_new_node(p, KN_LAYER, NN_INPUT, line, col);
    knode *n = &p->pg->nodes[ni];
    int dims[3];
    n->shape_rank = need_shape(p, b.v[0], ka_vline(&b, 0), ka_vcol(&b, 0), "the Input's shape", dims);
    memcpy(n->shape, dims, sizeof dims);
    if (b.v[1] && b.v[1]->k != V_NONE)
        ki_note(p->pg, ka_vline(&b, 1), "the Input's batch_size= is not used: the lesson sets the batch size");
    if (b.v[3]) {
        const char *s = ka_need_str(p, &b, 3, "dtype", true);
        if (s && strcmp(s, "float32"))
            ki_fail(p, ka_vline(&b, 3), ka_vcol(&b, 3), "dtype='%.40s' is not supported: dropscope computes in float32", s);
    }
    for (int k = 4; k < 8; k++)
        if (b.v[k] && b.v[k]->k != V_NONE && !(b.v[k]->k == V_BOOL && !b.v[k]->b))
            ki_fail(p, ka_vline(&b, k), ka_vcol(&b, k), "%s= is not supported for Input", sig->args[k]);
    n->applied = true;
    n->order = ++p->pg->applied;
    set_node_name(p, ni, &b, 2);
    n = &p->pg->nodes[ni];
    n->args = strdup("");
    if (!n->args)
        ki_fail(p, line, col, "out of memory");
    return ka_tensor_val(p, ka_node_ref(ni), line, col);
}

bool ka_is_merge(nn_layer_type t)
{
    return t == NN_CONCAT || t == NN_ADD || t == NN_MULTIPLY;
}

/* layer(x) / layer([a, b]) */
bool ka_is_data(const kval *v)
{
    return v->k == V_OPAQUE && strncmp(v->path, "undefined", 9) != 0; /* an undefined name stays an error */
}

kval *ka_call_on_data(kparser *p, const kval *data, int line, int col)
{
    ki_event(p, C_PREDICT, NULL);
    kval *r = ki_opaque(p, "predict", "a result computed on data", line, col);
    r->origin = data->origin ? data->origin : line;
    return r;
}

nn_train_mode ka_training_arg(kparser *p, const karg *g)
{
    ki_need_known(p, g->v, g->vline, g->vcol, "as training=");
    if (g->v->k == V_NONE)
        return NN_TRAIN_FOLLOW;
    if (g->v->k != V_BOOL)
        ki_fail(p, g->vline, g->vcol, "training= takes True, False or None, found %s", ki_kind_name(g->v));
    return g->v->b ? NN_TRAIN_ALWAYS : NN_TRAIN_NEVER;
}

kval *ka_apply_layer(kparser *p, int ni, kargs *a, int line, int col)
{
    knode *n = &p->pg->nodes[ni];
    if (n->type == NN_INPUT)
        ki_fail(p, line, col, "an Input is not called on a tensor");
    if (n->applied)
        ki_fail(p, line, col,
                "the layer '%s' is used a second time (shared weights): dropscope supports each layer once", n->name);
    kval *x = NULL;
    int xl = line, xc = col;
    nn_train_mode training = NN_TRAIN_FOLLOW;
    for (int i = 0; i < a->n; i++) {
        karg *g = &a->a[i];
        if (!g->key && !x) {
            x = g->v;
            xl = g->vline;
            xc = g->vcol;
            continue;
        }
        char kb[64];
        const char *k = g->key ? ki_tok_text(p, g->key, kb, sizeof kb) : "a second input";
        if (g->key && !strcmp(k, "training")) {
            training = ka_training_arg(p, g);
            continue;
        }
        if (g->key && !strcmp(k, "inputs") && !x) {
            x = g->v;
            xl = g->vline;
            xc = g->vcol;
            continue;
        }
        ki_fail(p, g->line, g->col, "calling a layer with %s is not supported: give it one input", k);
    }
    if (!x)
        ki_fail(p, line, col, "the layer '%s' is called without an input", n->name);
    if (ka_is_data(x)) /* on a batch of data (the TF tutorial's feature_batch): not the model */
        return ka_call_on_data(p, x, line, col);
    ki_need_known(p, x, xl, xc, "as a layer's input");
    kref ins[LS_MAX_INPUTS];
    int n_in = 0;
    bool merge = ka_is_merge(n->type);
    const char *mname = ka_node_class(n);
    if (x->k == V_SEQ) {
        if (!merge)
            ki_fail(p, xl, xc, "%s takes one input, found a list (only Concatenate, Add and Multiply join several)", mname);
        if (x->n < 2 || x->n > LS_MAX_INPUTS)
            ki_fail(p, xl, xc, "%s joins 2 to %d inputs, found %d", mname, LS_MAX_INPUTS, x->n);
        for (int i = 0; i < x->n; i++) {
            if (x->items[i]->k != V_TENSOR)
                ki_fail(p, xl, xc, "%s joins layer outputs, found %s", mname, ki_kind_name(x->items[i]));
            ins[n_in++] = x->items[i]->ref;
        }
    } else if (x->k == V_TENSOR) {
        if (merge)
            ki_fail(p, xl, xc, "%s joins a list of layer outputs, e.g. %s()([a, b])", mname, mname);
        ins[n_in++] = x->ref;
    } else {
        ki_fail(p, xl, xc, "a layer is called on a layer's output (a tensor), found %s", ki_kind_name(x));
    }
    ki_effect(p);
    n = &p->pg->nodes[ni];
    n->n_in = n_in;
    memcpy(n->in, ins, sizeof ins[0] * (size_t)n_in);
    n->applied = true;
    n->training = training;
    n->order = ++p->pg->applied;
    return ka_tensor_val(p, ka_node_ref(ni), line, col);
}

/* The tensor a model is called on (one positional argument or inputs=); training= named
 * as not supported, as on a layer. */
static kval *model_call_input(kparser *p, kargs *a, int line, int col, int *xl, int *xc)
{
    kval *x = NULL;
    for (int i = 0; i < a->n; i++) {
        karg *g = &a->a[i];
        char kb[64];
        const char *k = g->key ? ki_tok_text(p, g->key, kb, sizeof kb) : NULL;
        if (!x && (!k || !strcmp(k, "inputs"))) {
            x = g->v;
            *xl = g->vline;
            *xc = g->vcol;
            continue;
        }
        if (k && !strcmp(k, "training"))
            ki_fail(p, g->line, g->col,
                    "training= is not supported when calling a Sequential model: dropscope runs its augmentation and Dropout layers as Keras's fit and predict do");
        ki_fail(p, g->line, g->col, "calling a model with %s is not supported: give it one input", k ? k : "a second input");
    }
    if (!x)
        ki_fail(p, line, col, "the model is called without an input");
    return x;
}

kval *ka_apply_sequential(kparser *p, int mi, kargs *a, int line, int col)
{
    kprog *pg = p->pg;
    int xl = line, xc = col;
    kval *x = model_call_input(p, a, line, col, &xl, &xc);
    if (ka_is_data(x)) /* data_augmentation(tf.expand_dims(image, 0)) to plot: not the model */
        return ka_call_on_data(p, x, line, col);
    kmodel *m = &pg->models[mi];
    if (!m->sequential)
        ki_fail(p, line, col, "calling a functional Model on an input (a model inside a model) is not supported: build one model from the layers");
    if (m->in.node >= 0 && !pg->nodes[m->in.node].synthetic)
        ki_fail(p, line, col, "calling a Sequential model that has its own Input on a tensor (a model inside a model) is not supported: leave out its Input");
    if (m->called)
        ki_fail(p, line, col, "this Sequential model is called a second time (shared layers): dropscope supports each layer once");
    ki_need_known(p, x, xl, xc, "as the model's input");
    if (x->k != V_TENSOR)
        ki_fail(p, xl, xc, "a model is called on a layer's output (a tensor), found %s", ki_kind_name(x));
    for (int i = 0; i < m->n_seq; i++)
        if (pg->nodes[m->seq[i]].kind != KN_LAYER)
            ki_fail(p, line, col, "calling a Sequential model that holds a pretrained base on a tensor is not supported: call the base itself");
    ki_effect(p);
    m = &pg->models[mi];
    m->called = true;
    kref prev = x->ref;
    for (int i = 0; i < m->n_seq; i++) { /* spliced in order after the tensor, applied now */
        knode *n = &pg->nodes[m->seq[i]];
        n->n_in = 1;
        n->in[0] = prev;
        n->seq_model = -1;
        n->nested_in = mi;
        n->order = ++pg->applied;
        prev = ka_node_ref(m->seq[i]);
    }
    if (m->n_seq)
        ki_note(pg, line,
                "the Sequential model called on a tensor is read as its %d layers, in order, each marked in \"%s\": the summary shows them as one row, as Keras does",
                m->n_seq, m->name);
    return ka_tensor_val(p, prev, line, col);
}

/* ------------------------------------------------------------------------------------ */
/* Pretrained bases (InceptionV3, keras.applications) and preprocess_input */

/* A path a lesson string can hold as is: 1..1000 bytes, no quote, backslash or
 * control character (the text is UTF-8 already). */
void ka_need_path_length(kparser *p, const char *w, int line, int col)
{
    size_t n = strlen(w);
    if (n >= 4096) /* PATH_MAX: no file system opens it */
        ki_fail(p, line, col, "the weights path is %zu bytes long; a file path holds at most 4095 bytes", n);
}

bool ka_plain_path(const char *w)
{
    size_t n = strlen(w);
    if (n == 0 || n >= 4096) /* PATH_MAX */
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)w[i];
        if (c < 0x20 || c == 0x7F || c == '"' || c == '\\')
            return false;
    }
    return true;
}

/* pooling= of a base: None, 'avg' or 'max' into out. */
static void base_pooling(kparser *p, const kbound *b, int k, char *out, size_t n)
{
    out[0] = '\0';
    if (!b->v[k] || b->v[k]->k == V_NONE)
        return;
    const char *s = ka_need_str(p, b, k, "pooling", true);
    if (strcmp(s, "avg") && strcmp(s, "max"))
        ki_fail(p, ka_vline(b, k), ka_vcol(b, k), "pooling must be None, 'avg' or 'max', found '%.20s'", s);
    snprintf(out, n, "%s", s);
}

/* The automatic names (prefix, prefix_N) of the base's layers: Keras takes them from the
 * session's counters, so layers made before the base would shift them; the counters
 * move past them, as Keras's do. */
static void base_counters(kparser *p, const kbase *bs, int line, int col)
{
    kprog *pg = p->pg;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 1; i < bs->full->n_layers; i++) {
            const nn_layer *ly = bs->full->layers[i];
            const char *pre = nn_layer_type_prefix(ly->type);
            size_t pl = strlen(pre);
            int k = -1;
            if (!strcmp(ly->name, pre))
                k = 0;
            else if (!strncmp(ly->name, pre, pl) && ly->name[pl] == '_' && ly->name[pl + 1]) {
                k = atoi(ly->name + pl + 1);
                for (const char *s = ly->name + pl + 1; *s; s++)
                    if (*s < '0' || *s > '9')
                        k = -1;
            }
            int *c = k >= 0 ? uid_slot(pg, pre) : NULL;
            if (pass == 0 && c && *c > 0)
                ki_fail(p, line, col, "layers made before %s (a %s) would shift its layer names in Keras; create %s first",
                        bs->keras, pre, bs->keras);
            if (pass == 1 && c && *c < k + 1)
                *c = k + 1;
        }
}

/* InceptionV3 (app -1) or nn_base_table[app] (VGG16, ResNet50, MobileNetV2, ...) without
 * its top: include_top=False, weights, input_shape, pooling (alpha for MobileNetV2). */
kval *ka_make_base(kparser *p, int app, kargs *a, int line, int col)
{
    static const char *const names[] = {"include_top", "weights", "input_tensor", "input_shape", "pooling",
                                        "classes", "classifier_activation", NULL};
    static const char *const names_mn[] = {"input_shape", "alpha", "include_top", "weights", "input_tensor",
                                           "pooling", "classes", "classifier_activation", NULL};
    const nn_base_info *info = app >= 0 ? &nn_base_table[app] : NULL;
    const char *cls = info ? info->keras : "InceptionV3";
    bool mn = info && !strcmp(info->name, "mobilenet_v2");
    /* argument positions: MobileNetV2 takes input_shape and alpha first */
    int K_TOP = mn ? 2 : 0, K_W = mn ? 3 : 1, K_IT = mn ? 4 : 2, K_SHAPE = mn ? 0 : 3, K_POOL = mn ? 5 : 4, K_CL = mn ? 6 : 5;
    kbound b;
    ka_bind_args(p, a, cls, mn ? names_mn : names, 7, &b);
    kprog *pg = p->pg;
    if (pg->n_bases >= 1)
        ki_fail(p, line, col, "a second pretrained base (%s) is not supported: a lesson has one base", cls);
    if (!b.v[K_TOP] || ka_need_bool(p, &b, K_TOP, "include_top"))
        ki_fail(p, b.v[K_TOP] ? ka_vline(&b, K_TOP) : line, b.v[K_TOP] ? ka_vcol(&b, K_TOP) : col,
                "%s with its classifier on top (include_top=True%s) is not supported: write include_top=False", cls,
                b.v[K_TOP] ? "" : ", Keras's default");
    if (b.v[K_IT] && b.v[K_IT]->k != V_NONE)
        ki_fail(p, ka_vline(&b, K_IT), ka_vcol(&b, K_IT), "input_tensor= is not supported: give %s an input_shape=", cls);
    char pooling[8];
    base_pooling(p, &b, K_POOL, pooling, sizeof pooling);
    if (!info && pooling[0])
        ki_fail(p, ka_vline(&b, K_POOL), ka_vcol(&b, K_POOL), "pooling='%s' is not supported for InceptionV3: add layers.%s() after the base instead",
                pooling, pooling[0] == 'a' ? "GlobalAveragePooling2D" : "GlobalMaxPooling2D");
    float alpha = 0;
    if (mn && b.v[1]) {
        double x = need_number(p, &b, 1, "alpha");
        if (!(x > 0 && x <= 10))
            ki_fail(p, ka_vline(&b, 1), ka_vcol(&b, 1), "alpha must be above 0 (Keras's weights exist for 0.35, 0.5, 0.75, 1.0, 1.3, 1.4)");
        alpha = (float)x;
    }
    for (int k = K_CL; k < K_CL + 2; k++)
        if (b.v[k])
            ki_note(pg, ka_vline(&b, k), "%s's %s= has no effect without the top (include_top=False)", cls, (mn ? names_mn : names)[k]);
    int dims[3];
    if (!b.v[K_SHAPE] || b.v[K_SHAPE]->k == V_NONE) {
        if (!info)
            ki_fail(p, line, col, "InceptionV3 needs input_shape=, e.g. input_shape=(150, 150, 3): dropscope needs the image size");
        dims[0] = dims[1] = info->default_size;
        dims[2] = 3;
        ki_note(pg, line, "%s has no input_shape: Keras builds it for any image size; the lesson uses its default, (%d, %d, 3)",
                cls, info->default_size, info->default_size);
    } else if (need_shape(p, b.v[K_SHAPE], ka_vline(&b, K_SHAPE), ka_vcol(&b, K_SHAPE), "input_shape", dims) != 3) {
        ki_fail(p, ka_vline(&b, K_SHAPE), ka_vcol(&b, K_SHAPE), "%s's input_shape is (height, width, channels)", cls);
    }
    ki_effect(p);
    kbase *bs = &pg->bases[pg->n_bases];
    memset(bs, 0, sizeof *bs);
    bs->line = line;
    bs->col = col;
    bs->node = -1;
    bs->app = app;
    snprintf(bs->keras, sizeof bs->keras, "%s", cls);
    snprintf(bs->word, sizeof bs->word, "%s", info ? info->name : "inception_v3");
    snprintf(bs->pooling, sizeof bs->pooling, "%s", pooling);
    bs->alpha = alpha;
    bs->h = dims[0];
    bs->w = dims[1];
    bs->c = dims[2];
    bs->full = nn_model_create(bs->word);
    if (!bs->full)
        ki_fail(p, line, col, "out of memory");
    pg->n_bases++;
    nn_layer_cfg in = nn_layer_cfg_default(NN_INPUT);
    in.shape = nn_shape3(dims[0], dims[1], dims[2]);
    nn_base_opts opts = {pooling, alpha > 0 ? alpha : 1.0f};
    int sl = b.v[K_SHAPE] ? ka_vline(&b, K_SHAPE) : line, sc = b.v[K_SHAPE] ? ka_vcol(&b, K_SHAPE) : col;
    if (nn_model_add(bs->full, &in, NULL, 0) < 0 ||
        (info ? info->build(bs->full, 0, &opts) : nn_base_inception_v3(bs->full, 0, NULL)) < 0)
        ki_fail(p, sl, sc, "%s: %s", cls, nn_model_error(bs->full));
    base_counters(p, bs, line, col);
    ki_keras_name(pg, "input", true, bs->input_name, sizeof bs->input_name);
    int n = bs->full->n_layers;
    bs->tr = calloc((size_t)n, sizeof *bs->tr);
    bs->tr_c = calloc((size_t)n, sizeof *bs->tr_c);
    if (!bs->tr || !bs->tr_c)
        ki_fail(p, line, col, "out of memory");
    for (int i = 0; i < n; i++)
        bs->tr[i] = bs->tr_c[i] = true;
    bs->self_tr = bs->self_tr_c = true;
    if (b.v[K_W] && b.v[K_W]->k != V_NONE) {
        const char *w = ka_need_str(p, &b, K_W, "weights", true);
        if (!strcmp(w, "imagenet")) {
            bs->imagenet = true;
            bs->imagenet_line = ka_vline(&b, K_W);
        } else {
            ka_need_path_length(p, w, ka_vline(&b, K_W), ka_vcol(&b, K_W));
            if (!ka_plain_path(w))
                ki_fail(p, ka_vline(&b, K_W), ka_vcol(&b, K_W), "weights= must be 'imagenet', None or a plain file path (no quotes, backslashes or control characters)");
            bs->weights = strdup(w);
            bs->weights_line = ka_vline(&b, K_W);
        }
    } else if (!b.v[K_W]) {
        bs->imagenet = true; /* Keras's default */
        bs->imagenet_line = line;
    }
    kval *v = ki_val(p, V_BASE, line, col);
    v->idx = pg->n_bases - 1;
    return v;
}

/* keras.applications.<module>.preprocess_input(x). On a layer's output (the TF tutorial's
 * x = preprocess_input(inputs)) Keras adds its operations to the model; the lesson gets a
 * Rescaling that gives the stand-in images (0..1, grey: the same in R, G and B) what
 * preprocess_input gives the same images in 0..255: tf x/127.5 - 1 = 2*x01 - 1; caffe
 * (RGB to BGR, minus the ImageNet means) 255*x01 - mean[c]. On data it is noted. */
kval *ka_preprocess(kparser *p, int mode, kargs *a, int line, int col)
{
    static const char *const names[] = {"x", "data_format", NULL};
    kbound b;
    ka_bind_args(p, a, "preprocess_input", names, 2, &b);
    if (!b.v[0])
        ki_fail(p, line, col, "preprocess_input needs the images, e.g. preprocess_input(inputs)");
    if (b.v[1] && b.v[1]->k != V_NONE) {
        const char *s = ka_need_str(p, &b, 1, "data_format", true);
        if (s && strcmp(s, "channels_last"))
            ki_fail(p, ka_vline(&b, 1), ka_vcol(&b, 1), "data_format='%.40s' is not supported: dropscope is channels_last only", s);
    }
    kval *x = b.v[0];
    if (x->k != V_TENSOR) {
        if (!ka_is_data(x))
            ki_need_known(p, x, ka_vline(&b, 0), ka_vcol(&b, 0), "as preprocess_input's images");
        ki_event(p, C_DATA, NULL);
        ki_note(p->pg, line,
                "preprocess_input on data is not part of the model: the lesson feeds its stand-in images scaled to 0..1 (put preprocess_input inside the model, x = preprocess_input(inputs), to have it in the lesson)");
        kval *r = ki_opaque(p, "preprocess_input", "preprocessed images", line, col);
        r->origin = x->origin ? x->origin : line;
        return r;
    }
    if (mode == NN_PREP_NONE) { /* EfficientNet's: the identity (its model rescales) */
        ki_note(p->pg, line, "EfficientNet's preprocess_input returns its input unchanged: the base's own Rescaling and Normalization layers scale the images");
        return x;
    }
    if (mode != NN_PREP_TF && mode != NN_PREP_CAFFE)
        ki_fail(p, line, col, "this preprocess_input (mode 'torch') is not supported");
    ki_effect(p);
    int ni = ka_new_node(p, KN_LAYER, NN_RESCALING, line, col);
    knode *n = &p->pg->nodes[ni];
    n->args = strdup(mode == NN_PREP_TF ? "2, offset=-1" : "255, offset=(-103.939, -116.779, -123.68)");
    if (!n->args)
        ki_fail(p, line, col, "out of memory");
    /* Keras adds TFOpLambda layers here (tf.math.truediv, ...), which take no number from
     * the layers' automatic names: a Rescaling of the script's own is still "rescaling".
     * So this one has a name of its own, written out in the lesson. */
    ki_keras_name(p->pg, "preprocess_input", false, n->name, sizeof n->name);
    n->named = true;
    n->n_in = 1;
    n->in[0] = x->ref;
    n->applied = true;
    n->order = ++p->pg->applied;
    ki_note(p->pg, line,
            "preprocess_input is read as the layer %s, %s: on the stand-in images (0..1, grey) it gives what preprocess_input gives them in 0..255 (Keras adds TFOpLambda layers without weights here)",
            n->name, mode == NN_PREP_TF ? "Rescaling(2, offset=-1) (x / 127.5 - 1)" : "Rescaling(255, offset=(-103.939, -116.779, -123.68)) (caffe: BGR minus the ImageNet means; R, G and B are equal in grey images)");
    return ka_tensor_val(p, ka_node_ref(ni), line, col);
}

/* ------------------------------------------------------------------------------------ */
/* Optimizers and losses */


kval *ka_make_optimizer(kparser *p, int kind, kargs *a, int line, int col)
{
    const ls_vocab_optimizer *sig = &ls_vocab_optimizers[kind];
    const char *const *names = sig->args;
    kbound b;
    ka_bind_args(p, a, sig->keras, names, sig->n_pos, &b);
    sbuf out = {.n = 0};
    char val[64];
    int klr = arg_index(names, "learning_rate"), kalias = arg_index(names, "lr");
    if (b.v[klr] && b.v[kalias])
        ki_fail(p, b.g[kalias]->line, b.g[kalias]->col,
                "the learning rate is given twice (learning_rate= and lr=)");
    for (int k = 0; names[k]; k++) {
        if (!b.v[k])
            continue;
        const char *nm = names[k];
        kval *v = b.v[k];
        if (!strcmp(nm, "learning_rate") || !strcmp(nm, "lr")) {
            if (v->k == V_OPAQUE || v->k == V_SYM)
                ki_fail(p, ka_vline(&b, k), ka_vcol(&b, k),
                        "a learning-rate schedule is not supported: give a number (a lesson step can change it: 'learning rate X')");
            double x = need_number(p, &b, k, "the learning rate");
            fmt_num(x, false, val, sizeof val);
            sb_arg(p, &out, nm, val);
        } else if (!strcmp(nm, "momentum") || !strcmp(nm, "rho") || !strcmp(nm, "beta_1") || !strcmp(nm, "beta_2") ||
                   !strcmp(nm, "epsilon") || !strcmp(nm, "initial_accumulator_value") || !strcmp(nm, "decay")) {
            if (v->k == V_NONE && !strcmp(nm, "epsilon"))
                continue; /* old Keras: None means the backend's 1e-7 */
            double x = need_number(p, &b, k, nm);
            fmt_num(x, false, val, sizeof val);
            sb_arg(p, &out, nm, val);
        } else if (!strcmp(nm, "nesterov") || !strcmp(nm, "centered") || !strcmp(nm, "amsgrad")) {
            bool x = ka_need_bool(p, &b, k, nm);
            if (x && strcmp(nm, "nesterov"))
                ki_fail(p, ka_vline(&b, k), ka_vcol(&b, k), "%s=True is not supported: dropscope implements %s=False", nm, nm);
            sb_arg(p, &out, nm, x ? "True" : "False");
        } else if (!strcmp(nm, "name")) {
            ka_need_str(p, &b, k, "the optimizer's name", true);
        } else if (!strcmp(nm, "use_ema")) {
            if (ka_need_bool(p, &b, k, nm))
                ki_fail(p, ka_vline(&b, k), ka_vcol(&b, k), "use_ema=True is not supported");
        } else if (!strcmp(nm, "jit_compile")) {
            ki_note(p->pg, ka_vline(&b, k), "the optimizer's jit_compile= is not used: it changes only how TensorFlow runs");
        } else {
            need_default(p, &b, k, nm, NULL, "dropscope applies plain updates");
        }
    }
    kval *v = ki_val(p, V_OPT, line, col);
    v->sub = kind;
    char text[1100];
    if (out.n)
        snprintf(text, sizeof text, "%s(%s)", sig->keras, out.s);
    else
        snprintf(text, sizeof text, "%s", sig->name);
    v->s = ki_strdup(p, text);
    return v;
}

kval *ka_make_loss(kparser *p, int kind, kargs *a, int line, int col)
{
    const ls_vocab_loss *sig = &ls_vocab_losses[kind];
    const char *const *names = sig->args;
    kbound b;
    ka_bind_args(p, a, sig->keras, names, sig->n_pos, &b);
    bool logits = false;
    for (int k = 0; names[k]; k++) {
        if (!b.v[k])
            continue;
        const char *nm = names[k];
        if (!strcmp(nm, "from_logits")) {
            logits = ka_need_bool(p, &b, k, nm);
            if (logits && sig->one_hot)
                ki_fail(p, ka_vline(&b, k), ka_vcol(&b, k),
                        "CategoricalCrossentropy(from_logits=True) is not supported: use SparseCategoricalCrossentropy(from_logits=True) with class numbers");
        } else if (!strcmp(nm, "label_smoothing")) {
            if (need_number(p, &b, k, nm) != 0)
                ki_fail(p, ka_vline(&b, k), ka_vcol(&b, k), "label_smoothing is not supported");
        } else if (!strcmp(nm, "axis")) {
            if (ka_need_int(p, &b, k, nm) != -1)
                ki_fail(p, ka_vline(&b, k), ka_vcol(&b, k), "only axis=-1 is supported");
        } else if (!strcmp(nm, "reduction")) {
            const char *s = b.v[k]->k == V_STR ? b.v[k]->s : NULL;
            if (!s || (strcmp(s, "auto") && strcmp(s, "sum_over_batch_size")))
                ki_fail(p, ka_vline(&b, k), ka_vcol(&b, k), "reduction= is not supported: dropscope averages over the batch");
        } else if (!strcmp(nm, "name")) {
            ka_need_str(p, &b, k, "the loss's name", true);
        } else {
            need_default(p, &b, k, nm, NULL, "not supported by dropscope");
        }
    }
    kval *v = ki_val(p, V_LOSS, line, col);
    v->sub = sig->kind;
    v->b = sig->one_hot;
    v->is_int = logits; /* from_logits=True */
    return v;
}
