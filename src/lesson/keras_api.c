/* What Keras names mean to the importer: the modules (tf.keras, keras), layer classes
 * and their arguments, Input, InceptionV3, Model, Sequential, compile with optimizers,
 * losses and metrics, the methods and attributes students use (get_layer, load_weights,
 * layers, input, output, trainable, summary, fit ...), and Keras's automatic layer names.
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
#include <strings.h>

#include "engine/inception.h"
#include "lesson/keras_eval.h"

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

void ki_keras_name(kprog *pg, const char *prefix, bool one_based, char *out, size_t n)
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

/* Levenshtein distance of short strings (for suggestions). */
static int edit_distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > 63 || m > 63)
        return 99;
    int d[64][64];
    for (size_t i = 0; i <= n; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            int c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < c)
                c = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < c)
                c = d[i][j - 1] + 1;
            d[i][j] = c;
        }
    return d[n][m];
}

/* "; did you mean 'x'?" for the closest of names (n of them), or "". */
static const char *suggest(const char *s, const char *const *names, int n, char *buf, size_t len)
{
    int best = 99;
    const char *w = NULL;
    for (int i = 0; i < n; i++) {
        if (!names[i])
            continue;
        int d = edit_distance(s, names[i]);
        if (d < best) {
            best = d;
            w = names[i];
        }
    }
    size_t sl = strlen(s);
    if (w && best <= (sl > 6 ? 3 : 2))
        snprintf(buf, len, "; did you mean '%s'?", w);
    else
        buf[0] = '\0';
    return buf;
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
/* Modules and symbols */

static const struct {
    const char *path;
    int sym, sub;
} symbols[] = {
    {"keras", S_MODULE, M_LOOSE},
    {"keras.layers", S_MODULE, M_LAYERS},
    {"keras.models", S_MODULE, M_MODELS},
    {"keras.applications", S_MODULE, M_APPS},
    {"keras.applications.inception_v3", S_MODULE, M_APPS},
    {"keras.optimizers", S_MODULE, M_OPT},
    {"keras.optimizers.legacy", S_MODULE, M_OPT},
    {"keras.optimizers.experimental", S_MODULE, M_OPT},
    {"keras.losses", S_MODULE, M_LOSS},
    {"keras.activations", S_MODULE, M_ACT},
    {"keras.backend", S_MODULE, M_LOOSE},
    {"tensorflow", S_MODULE, M_LOOSE},
    {"tensorflow.nn", S_MODULE, M_LOOSE},
    {"keras.layers.Dense", S_LAYER, NN_DENSE},
    {"keras.layers.Dropout", S_LAYER, NN_DROPOUT},
    {"keras.layers.Flatten", S_LAYER, NN_FLATTEN},
    {"keras.layers.Conv2D", S_LAYER, NN_CONV2D},
    {"keras.layers.Convolution2D", S_LAYER, NN_CONV2D},
    {"keras.layers.MaxPooling2D", S_LAYER, NN_MAXPOOL2D},
    {"keras.layers.MaxPool2D", S_LAYER, NN_MAXPOOL2D},
    {"keras.layers.AveragePooling2D", S_LAYER, NN_AVGPOOL2D},
    {"keras.layers.AvgPool2D", S_LAYER, NN_AVGPOOL2D},
    {"keras.layers.GlobalAveragePooling2D", S_LAYER, NN_GAP2D},
    {"keras.layers.GlobalAvgPool2D", S_LAYER, NN_GAP2D},
    {"keras.layers.BatchNormalization", S_LAYER, NN_BATCHNORM},
    {"keras.layers.Activation", S_LAYER, NN_ACTIVATION},
    {"keras.layers.Concatenate", S_LAYER, NN_CONCAT},
    {"keras.layers.InputLayer", S_LAYER, NN_INPUT},
    {"keras.layers.Input", S_INPUT_FN, 0},
    {"keras.Input", S_INPUT_FN, 0},
    {"keras.layers.concatenate", S_CONCAT_FN, 0},
    {"keras.Model", S_MODEL, 0},
    {"keras.models.Model", S_MODEL, 0},
    {"keras.Sequential", S_SEQUENTIAL, 0},
    {"keras.models.Sequential", S_SEQUENTIAL, 0},
    {"keras.applications.InceptionV3", S_INCEPTION, 0},
    {"keras.applications.inception_v3.InceptionV3", S_INCEPTION, 0},
    {"keras.optimizers.SGD", S_OPT, NN_OPT_SGD},
    {"keras.optimizers.RMSprop", S_OPT, NN_OPT_RMSPROP},
    {"keras.optimizers.Adam", S_OPT, NN_OPT_ADAM},
    {"keras.optimizers.legacy.SGD", S_OPT, NN_OPT_SGD},
    {"keras.optimizers.legacy.RMSprop", S_OPT, NN_OPT_RMSPROP},
    {"keras.optimizers.legacy.Adam", S_OPT, NN_OPT_ADAM},
    {"keras.optimizers.experimental.SGD", S_OPT, NN_OPT_SGD},
    {"keras.optimizers.experimental.RMSprop", S_OPT, NN_OPT_RMSPROP},
    {"keras.optimizers.experimental.Adam", S_OPT, NN_OPT_ADAM},
    {"keras.losses.BinaryCrossentropy", S_LOSS_CLASS, 0},
    {"keras.losses.SparseCategoricalCrossentropy", S_LOSS_CLASS, 1},
    {"keras.losses.CategoricalCrossentropy", S_LOSS_CLASS, 2},
    {"keras.losses.binary_crossentropy", S_LOSS_FN, 0},
    {"keras.losses.sparse_categorical_crossentropy", S_LOSS_FN, 1},
    {"keras.losses.categorical_crossentropy", S_LOSS_FN, 2},
    {"keras.activations.relu", S_ACT, NN_ACT_RELU},
    {"keras.activations.sigmoid", S_ACT, NN_ACT_SIGMOID},
    {"keras.activations.softmax", S_ACT, NN_ACT_SOFTMAX},
    {"keras.activations.linear", S_ACT, NN_ACT_LINEAR},
    {"tensorflow.nn.relu", S_ACT, NN_ACT_RELU},
    {"tensorflow.nn.sigmoid", S_ACT, NN_ACT_SIGMOID},
    {"tensorflow.nn.softmax", S_ACT, NN_ACT_SOFTMAX},
    {"keras.backend.clear_session", S_CLEAR_SESSION, 0},
};

/* Functions of Keras's model modules that are not the model itself (read, noted). */
static const char *const outside_names[] = {
    "keras.applications.inception_v3.preprocess_input", "keras.applications.inception_v3.decode_predictions",
    NULL};

static const char *const layer_list =
    "Dense, Dropout, Flatten, Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, BatchNormalization, Activation, Concatenate, Input";

/* tensorflow.keras.x, tensorflow.python.keras.x, tensorflow.compat.v2.keras.x -> keras.x */
static void canonical(const char *path, char *out, size_t n)
{
    static const char *const pre[] = {"tensorflow.python.keras", "tensorflow.compat.v1.keras",
                                      "tensorflow.compat.v2.keras", "tensorflow.keras", "tf_keras", NULL};
    for (int i = 0; pre[i]; i++) {
        size_t k = strlen(pre[i]);
        if (!strncmp(path, pre[i], k) && (path[k] == '\0' || path[k] == '.')) {
            snprintf(out, n, "keras%s", path + k);
            return;
        }
    }
    /* tf.optimizers, tf.losses, tf.activations: TensorFlow's aliases of Keras's */
    static const char *const alias[] = {"tensorflow.optimizers", "tensorflow.losses", "tensorflow.activations", NULL};
    for (int i = 0; alias[i]; i++) {
        size_t k = strlen(alias[i]);
        if (!strncmp(path, alias[i], k) && (path[k] == '\0' || path[k] == '.')) {
            snprintf(out, n, "keras%s", path + strlen("tensorflow"));
            return;
        }
    }
    snprintf(out, n, "%s", path);
}

static kval *sym_val(kparser *p, int i, const char *spelled, const ktok *at)
{
    kval *v = ki_val(p, V_SYM, at->line, at->col);
    v->sym = symbols[i].sym;
    v->sub = symbols[i].sub;
    v->path = symbols[i].path;
    v->s = ki_strdup(p, spelled);
    return v;
}

kval *ka_resolve(kparser *p, const char *path, const char *spelled, const ktok *at)
{
    char canon[300];
    canonical(path, canon, sizeof canon);
    if (!spelled)
        spelled = path;
    for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++)
        if (!strcmp(symbols[i].path, canon))
            return sym_val(p, (int)i, spelled, at);
    for (int i = 0; outside_names[i]; i++)
        if (!strcmp(outside_names[i], canon))
            return ki_opaque(p, canon, spelled, at->line, at->col);
    /* the module it is in, if Keras's */
    const char *dot = strrchr(canon, '.');
    if (dot) {
        char mod[300];
        snprintf(mod, sizeof mod, "%.*s", (int)(dot - canon), canon);
        const char *name = dot + 1;
        for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
            if (symbols[i].sym != S_MODULE || strcmp(symbols[i].path, mod))
                continue;
            char sg[96];
            const char *names[64];
            int nn = 0;
            size_t ml = strlen(mod);
            for (size_t j = 0; j < sizeof symbols / sizeof symbols[0] && nn < 64; j++)
                if (!strncmp(symbols[j].path, mod, ml) && symbols[j].path[ml] == '.' &&
                    !strchr(symbols[j].path + ml + 1, '.'))
                    names[nn++] = symbols[j].path + ml + 1;
            suggest(name, names, nn, sg, sizeof sg);
            switch (symbols[i].sub) {
            case M_LAYERS:
                ki_fail(p, at->line, at->col, "the layer '%s' is not supported%s (dropscope has %s)", name, sg, layer_list);
            case M_APPS:
                ki_fail(p, at->line, at->col, "'%s' is not supported%s: the only pretrained base dropscope has is InceptionV3",
                        name, sg);
            case M_OPT:
                if (!strcmp(name, "schedules"))
                    ki_fail(p, at->line, at->col,
                            "learning-rate schedules are not supported: give a number (a lesson step can change it: learning rate X)");
                ki_fail(p, at->line, at->col, "the optimizer '%s' is not supported%s (dropscope has SGD, RMSprop and Adam)",
                        name, sg);
            case M_LOSS:
                ki_fail(p, at->line, at->col,
                        "the loss '%s' is not supported%s (dropscope has binary_crossentropy and sparse_categorical_crossentropy)",
                        name, sg);
            case M_ACT:
                ki_fail(p, at->line, at->col,
                        "the activation '%s' is not supported%s (dropscope has relu, sigmoid, softmax and linear)", name, sg);
            case M_MODELS:
                ki_fail(p, at->line, at->col, "'%s' is not supported%s: build the model with Model(...) or Sequential([...])",
                        name, sg);
            default:
                break;
            }
        }
    }
    /* Keras's other modules (callbacks, preprocessing, utils, datasets ...) and
     * everything else: outside the model */
    return ki_opaque(p, canon, spelled, at->line, at->col);
}

bool ka_star_import(kparser *p, const char *module, const ktok *at)
{
    char canon[300];
    canonical(module, canon, sizeof canon);
    size_t ml = strlen(canon);
    bool found = false;
    for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++)
        if (!strncmp(symbols[i].path, canon, ml) && symbols[i].path[ml] == '.' && !strchr(symbols[i].path + ml + 1, '.')) {
            ki_var_set(p, symbols[i].path + ml + 1, sym_val(p, (int)i, symbols[i].path, at));
            found = true;
        }
    return found;
}

/* ------------------------------------------------------------------------------------ */
/* Arguments */

typedef struct {
    kval *v[24];
    karg *g[24];
} bound;

/* Binds a call's arguments to names (the first n_pos may be positional, in order).
 * Fails on an unknown keyword (at the keyword), too many positional arguments, or a
 * value given twice. */
static void bind_args(kparser *p, kargs *a, const char *callee, const char *const *names, int n_pos, bound *b)
{
    memset(b, 0, sizeof *b);
    int n_names = 0;
    while (names[n_names])
        n_names++;
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
                        callee, suggest(kb, names, n_names, sg, sizeof sg), list);
            }
        }
        if (b->v[k])
            ki_fail(p, g->line, g->col, "%s got two values for '%s'", callee, names[k]);
        b->v[k] = g->v;
        b->g[k] = g;
    }
}

static int vline(const bound *b, int k)
{
    return b->g[k]->vline;
}

static int vcol(const bound *b, int k)
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

static double need_number(kparser *p, const bound *b, int k, const char *what)
{
    kval *v = b->v[k];
    ki_need_known(p, v, vline(b, k), vcol(b, k), what);
    if (!is_num(v) || !isfinite(v->num))
        ki_fail(p, vline(b, k), vcol(b, k), "%s must be a number, found %s", what, ki_kind_name(v));
    return v->num;
}

static long long need_int(kparser *p, const bound *b, int k, const char *what)
{
    kval *v = b->v[k];
    ki_need_known(p, v, vline(b, k), vcol(b, k), what);
    if (!is_num(v) || !(v->is_int || (v->num == floor(v->num) && fabs(v->num) < 1e15)))
        ki_fail(p, vline(b, k), vcol(b, k), "%s must be a whole number, found %s", what, ki_kind_name(v));
    return (long long)v->num;
}

static bool need_bool(kparser *p, const bound *b, int k, const char *what)
{
    kval *v = b->v[k];
    ki_need_known(p, v, vline(b, k), vcol(b, k), what);
    if (v->k != V_BOOL)
        ki_fail(p, vline(b, k), vcol(b, k), "%s takes True or False, found %s", what, ki_kind_name(v));
    return v->b;
}

/* A string argument's value (NUL-terminated in the arena), or NULL when it is None
 * and none_ok. */
static const char *need_str(kparser *p, const bound *b, int k, const char *what, bool none_ok)
{
    kval *v = b->v[k];
    ki_need_known(p, v, vline(b, k), vcol(b, k), what);
    if (v->k == V_NONE && none_ok)
        return NULL;
    if (v->k != V_STR)
        ki_fail(p, vline(b, k), vcol(b, k), "%s must be a string, found %s", what, ki_kind_name(v));
    return v->s;
}

static void str_lower(const char *s, char *out, size_t n)
{
    size_t i = 0;
    for (; s[i] && i + 1 < n; i++)
        out[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i]);
    out[i] = '\0';
}

static nn_act need_act(kparser *p, const bound *b, int k)
{
    kval *v = b->v[k];
    ki_need_known(p, v, vline(b, k), vcol(b, k), "as an activation");
    if (v->k == V_NONE)
        return NN_ACT_LINEAR;
    if (v->k == V_ACT || (v->k == V_SYM && v->sym == S_ACT))
        return (nn_act)v->sub;
    if (v->k == V_STR) {
        static const char *const acts[] = {"linear", "relu", "sigmoid", "softmax"};
        for (int i = 0; i < 4; i++)
            if (!strcmp(v->s, acts[i]))
                return (nn_act)i;
        char sg[96];
        ki_fail(p, vline(b, k), vcol(b, k),
                "the activation '%.40s' is not supported%s (dropscope has relu, sigmoid, softmax and linear)", v->s,
                suggest(v->s, acts, 4, sg, sizeof sg));
    }
    ki_fail(p, vline(b, k), vcol(b, k), "the activation must be a name such as 'relu', found %s", ki_kind_name(v));
}

/* 3 or (3, 3) into "3" / "(3, 3)". */
static void need_pair(kparser *p, const bound *b, int k, const char *what, char *out, size_t n, int *a1, int *a2)
{
    kval *v = b->v[k];
    ki_need_known(p, v, vline(b, k), vcol(b, k), what);
    if (is_num(v)) {
        long long x = need_int(p, b, k, what);
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
    ki_fail(p, vline(b, k), vcol(b, k), "%s must be a whole number or a pair of them, e.g. (3, 3)", what);
}

/* A shape tuple (each side a whole number). */
static int need_shape(kparser *p, kval *v, int line, int col, const char *what, int *dims)
{
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
static void need_default(kparser *p, const bound *b, int k, const char *name, const char *def, const char *why)
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
    ki_fail(p, vline(b, k), vcol(b, k), "%s other than %s is not supported: %s", name, def ? def : "None", why);
}

/* ------------------------------------------------------------------------------------ */
/* Nodes */

static int new_node(kparser *p, kn_kind kind, nn_layer_type type, int line, int col)
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
    n->act = NN_ACT_LINEAR;
    return pg->n_nodes++;
}

static void set_node_name(kparser *p, int ni, const bound *b, int k_name)
{
    knode *n = &p->pg->nodes[ni];
    if (k_name >= 0 && b->v[k_name] && b->v[k_name]->k != V_NONE) {
        const char *s = need_str(p, b, k_name, "the layer's name", false);
        if (!lesson_name_ok(s, (int)strlen(s)))
            ki_fail(p, vline(b, k_name), vcol(b, k_name),
                    "the layer name '%.40s' cannot be used by dropscope: letters, digits and '_', at most %d bytes", s,
                    LS_NAME_MAX - 1);
        snprintf(n->name, sizeof n->name, "%s", s);
        n->named = true;
        return;
    }
    ki_keras_name(p->pg, nn_layer_type_prefix(n->type), n->type == NN_INPUT, n->name, sizeof n->name);
}

static kval *tensor_val(kparser *p, kref r, int line, int col)
{
    kval *v = ki_val(p, V_TENSOR, line, col);
    v->ref = r;
    return v;
}

static kref node_ref(int n)
{
    return (kref){n, -1, 0};
}

static const char *ref_name(const kprog *pg, kref r)
{
    if (r.node >= 0)
        return pg->nodes[r.node].name;
    if (r.base >= 0 && pg->bases[r.base].full && r.sub < pg->bases[r.base].full->n_layers)
        return r.sub == 0 ? pg->bases[r.base].input_name : pg->bases[r.base].full->layers[r.sub]->name;
    return "?";
}

/* The common keyword arguments of every layer. */
static const char *const common_kw[] = {"name", "trainable", "input_shape", "input_dim", "batch_input_shape", "dtype",
                                        NULL};

typedef struct {
    const char *keras;
    nn_layer_type type;
    const char *const *names; /* Keras's arguments in order */
    int n_pos;
} layer_sig;

static const char *const sig_dense[] = {"units", "activation", "use_bias", "kernel_initializer", "bias_initializer",
                                        "kernel_regularizer", "bias_regularizer", "activity_regularizer",
                                        "kernel_constraint", "bias_constraint", NULL};
static const char *const sig_conv[] = {"filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
                                       "groups", "activation", "use_bias", "kernel_initializer", "bias_initializer",
                                       "kernel_regularizer", "bias_regularizer", "activity_regularizer",
                                       "kernel_constraint", "bias_constraint", NULL};
static const char *const sig_pool[] = {"pool_size", "strides", "padding", "data_format", NULL};
static const char *const sig_gap[] = {"data_format", "keepdims", NULL};
static const char *const sig_bn[] = {"axis", "momentum", "epsilon", "center", "scale", "beta_initializer",
                                     "gamma_initializer", "moving_mean_initializer", "moving_variance_initializer",
                                     "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint",
                                     "renorm", "fused", "virtual_batch_size", NULL};
static const char *const sig_act[] = {"activation", NULL};
static const char *const sig_flat[] = {"data_format", NULL};
static const char *const sig_drop[] = {"rate", "noise_shape", "seed", NULL};
static const char *const sig_cat[] = {"axis", NULL};
static const char *const sig_inlayer[] = {"input_shape", "batch_size", "dtype", "input_tensor", "sparse", "name",
                                          "ragged", "type_spec", NULL};

static const layer_sig layer_sigs[] = {
    {"Dense", NN_DENSE, sig_dense, 10},
    {"Conv2D", NN_CONV2D, sig_conv, 16},
    {"MaxPooling2D", NN_MAXPOOL2D, sig_pool, 4},
    {"AveragePooling2D", NN_AVGPOOL2D, sig_pool, 4},
    {"GlobalAveragePooling2D", NN_GAP2D, sig_gap, 2},
    {"BatchNormalization", NN_BATCHNORM, sig_bn, 13},
    {"Activation", NN_ACTIVATION, sig_act, 1},
    {"Flatten", NN_FLATTEN, sig_flat, 1},
    {"Dropout", NN_DROPOUT, sig_drop, 3},
    {"Concatenate", NN_CONCAT, sig_cat, 1},
    {"InputLayer", NN_INPUT, sig_inlayer, 8},
};

static const layer_sig *find_sig(nn_layer_type t)
{
    for (size_t i = 0; i < sizeof layer_sigs / sizeof layer_sigs[0]; i++)
        if (layer_sigs[i].type == t)
            return &layer_sigs[i];
    return NULL;
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
    if (!strcmp(name, "kernel_initializer"))
        return "glorot_uniform";
    if (!strcmp(name, "gamma_initializer") || !strcmp(name, "moving_variance_initializer"))
        return "ones";
    return "zeros";
}

/* Creates a layer object: checks its arguments and writes them in the lesson's form. */
static kval *make_layer(kparser *p, nn_layer_type type, kargs *a, int line, int col)
{
    const layer_sig *sig = find_sig(type);
    const char *names[40];
    int nn = 0;
    for (int i = 0; sig->names[i]; i++)
        names[nn++] = sig->names[i];
    int first_common = nn;
    if (type != NN_INPUT)
        for (int i = 0; common_kw[i]; i++)
            names[nn++] = common_kw[i];
    names[nn] = NULL;
    bound b;
    bind_args(p, a, sig->keras, names, sig->n_pos, &b);
    ki_effect(p);
    int ni = new_node(p, KN_LAYER, type, line, col);
    knode *n = &p->pg->nodes[ni];
    sbuf out = {.n = 0};
    char val[128];
    int k;
    int kn = arg_index(names, "name");
    /* required arguments */
    static const struct {
        nn_layer_type t;
        const char *arg, *example;
    } required[] = {{NN_DENSE, "units", "Dense(512)"},
                    {NN_CONV2D, "filters", "Conv2D(32, (3, 3))"},
                    {NN_CONV2D, "kernel_size", "Conv2D(32, (3, 3))"},
                    {NN_DROPOUT, "rate", "Dropout(0.2)"},
                    {NN_ACTIVATION, "activation", "Activation('relu')"}};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (required[i].t == type && !b.v[arg_index(names, required[i].arg)])
            ki_fail(p, line, col, "%s needs %s, e.g. %s", sig->keras, required[i].arg, required[i].example);
    for (k = 0; k < nn; k++) {
        if (!b.v[k])
            continue;
        const char *nm = names[k];
        kval *v = b.v[k];
        if (!strcmp(nm, "units") || !strcmp(nm, "filters")) {
            long long x = need_int(p, &b, k, nm);
            snprintf(val, sizeof val, "%lld", x);
            sb_arg(p, &out, NULL, val);
            if (type == NN_DENSE)
                n->units = (int)(x > 1 << 30 ? 1 << 30 : x < 0 ? 0 : x);
        } else if (!strcmp(nm, "kernel_size")) {
            int a1, a2;
            need_pair(p, &b, k, nm, val, sizeof val, &a1, &a2);
            sb_arg(p, &out, NULL, val);
        } else if (!strcmp(nm, "rate")) {
            double r = need_number(p, &b, k, "the dropout rate");
            fmt_num(r, false, val, sizeof val);
            sb_arg(p, &out, NULL, val);
            n->rate = r;
        } else if (!strcmp(nm, "activation")) {
            nn_act act = need_act(p, &b, k);
            n->act = act;
            sb_arg(p, &out, type == NN_ACTIVATION ? NULL : "activation", nn_act_name(act));
        } else if (!strcmp(nm, "use_bias") || !strcmp(nm, "center") || !strcmp(nm, "scale")) {
            sb_arg(p, &out, nm, need_bool(p, &b, k, nm) ? "True" : "False");
        } else if (!strcmp(nm, "strides") || !strcmp(nm, "pool_size")) {
            if (v->k == V_NONE && !strcmp(nm, "strides") && type != NN_CONV2D)
                continue;
            int a1, a2;
            need_pair(p, &b, k, nm, val, sizeof val, &a1, &a2);
            sb_arg(p, &out, nm, val);
        } else if (!strcmp(nm, "padding")) {
            const char *s = need_str(p, &b, k, "padding", false);
            char lo[16];
            str_lower(s, lo, sizeof lo);
            if (strcmp(lo, "valid") && strcmp(lo, "same"))
                ki_fail(p, vline(&b, k), vcol(&b, k), "padding must be 'valid' or 'same', found '%.40s'", s);
            sb_arg(p, &out, nm, lo);
        } else if (!strcmp(nm, "data_format")) {
            const char *s = need_str(p, &b, k, "data_format", true);
            if (s && strcmp(s, "channels_last"))
                ki_fail(p, vline(&b, k), vcol(&b, k), "data_format='%.40s' is not supported: dropscope is channels_last only", s);
        } else if (!strcmp(nm, "dilation_rate")) {
            need_default(p, &b, k, nm, "(1, 1)", "dropscope's Conv2D is not dilated");
        } else if (!strcmp(nm, "groups")) {
            need_default(p, &b, k, nm, "1", "dropscope's Conv2D has one group");
        } else if (strstr(nm, "_initializer")) {
            need_default(p, &b, k, nm, init_default(nm), "dropscope initialises weights as Keras does by default");
        } else if (strstr(nm, "_regularizer") || strstr(nm, "_constraint") || !strcmp(nm, "virtual_batch_size")) {
            need_default(p, &b, k, nm, NULL, "dropscope trains without regularizers or constraints");
        } else if (!strcmp(nm, "renorm")) {
            if (need_bool(p, &b, k, nm))
                ki_fail(p, vline(&b, k), vcol(&b, k), "renorm=True is not supported");
        } else if (!strcmp(nm, "fused")) {
            /* an implementation choice: the same numbers */
        } else if (!strcmp(nm, "momentum") || !strcmp(nm, "epsilon")) {
            double x = need_number(p, &b, k, nm);
            fmt_num(x, false, val, sizeof val);
            sb_arg(p, &out, nm, val);
        } else if (!strcmp(nm, "axis")) {
            long long x = need_int(p, &b, k, "axis");
            if (x != -1 && !(x == 3 && type == NN_BATCHNORM))
                ki_fail(p, vline(&b, k), vcol(&b, k), "axis=%lld is not supported: only the channels (axis=-1)", x);
        } else if (!strcmp(nm, "keepdims")) {
            if (need_bool(p, &b, k, nm))
                ki_fail(p, vline(&b, k), vcol(&b, k), "keepdims=True is not supported");
        } else if (!strcmp(nm, "noise_shape")) {
            need_default(p, &b, k, nm, NULL, "dropscope draws a mask over every unit");
        } else if (!strcmp(nm, "seed")) {
            if (v->k != V_NONE) {
                ki_need_known(p, v, vline(&b, k), vcol(&b, k), "as a seed");
                ki_note(p->pg, vline(&b, k),
                        "Dropout's seed= is not used: the lesson's seed fixes every mask (TensorFlow's random streams are not reproduced)");
            }
        } else if (!strcmp(nm, "trainable")) {
            n->trainable = need_bool(p, &b, k, "trainable");
        } else if (!strcmp(nm, "input_shape") || !strcmp(nm, "input_dim") || !strcmp(nm, "batch_input_shape")) {
            int dims[3];
            kval *sv = v;
            if (!strcmp(nm, "batch_input_shape")) { /* (None, h, w, c) */
                ki_need_known(p, v, vline(&b, k), vcol(&b, k), nm);
                if (v->k != V_SEQ || v->n < 2)
                    ki_fail(p, vline(&b, k), vcol(&b, k), "batch_input_shape must be a tuple such as (None, 28, 28, 1)");
                kval *t = ki_val(p, V_SEQ, v->line, v->col);
                t->tuple = true;
                t->items = v->items + 1;
                t->n = v->n - 1;
                sv = t;
            }
            if (!strcmp(nm, "input_dim") && !(is_num(v) && v->is_int))
                ki_fail(p, vline(&b, k), vcol(&b, k), "input_dim must be a whole number");
            n->shape_rank = need_shape(p, sv, vline(&b, k), vcol(&b, k), nm, dims);
            memcpy(n->shape, dims, sizeof dims);
        } else if (!strcmp(nm, "dtype")) {
            const char *s = need_str(p, &b, k, "dtype", true);
            if (s && strcmp(s, "float32"))
                ki_fail(p, vline(&b, k), vcol(&b, k), "dtype='%.40s' is not supported: dropscope computes in float32", s);
        } else if (!strcmp(nm, "name")) {
            /* below */
        } else if (type == NN_INPUT) {
            /* InputLayer's own arguments */
            if (!strcmp(nm, "batch_size")) {
                if (v->k != V_NONE)
                    ki_note(p->pg, vline(&b, k), "the Input's batch_size= is not used: the lesson sets the batch size");
            } else if (!strcmp(nm, "sparse") || !strcmp(nm, "ragged")) {
                if (v->k != V_NONE && need_bool(p, &b, k, nm))
                    ki_fail(p, vline(&b, k), vcol(&b, k), "%s=True is not supported", nm);
            } else {
                need_default(p, &b, k, nm, NULL, "dropscope makes the input from input_shape");
            }
        }
        (void)first_common;
    }
    if (type == NN_INPUT) {
        int ks = arg_index(names, "input_shape");
        if (!b.v[ks])
            ki_fail(p, line, col, "InputLayer needs input_shape, e.g. InputLayer(input_shape=(28, 28, 1))");
        n->applied = true;
        n->order = ++p->pg->applied;
    }
    set_node_name(p, ni, &b, kn);
    n = &p->pg->nodes[ni];
    n->trainable_c = n->trainable;
    n->args = strdup(out.s);
    if (!n->args)
        ki_fail(p, line, col, "out of memory");
    kval *r = ki_val(p, V_LAYER, line, col);
    r->ref = node_ref(ni);
    return r;
}

/* Input(shape=None, batch_size=None, name=None, dtype=None, sparse=None, tensor=None,
 * ragged=None, type_spec=None) */
static kval *make_input(kparser *p, kargs *a, int line, int col)
{
    static const char *const names[] = {"shape", "batch_size", "name", "dtype", "sparse", "tensor", "ragged",
                                        "type_spec", NULL};
    bound b;
    bind_args(p, a, "Input", names, 8, &b);
    if (!b.v[0])
        ki_fail(p, line, col, "Input needs a shape, e.g. Input(shape=(150, 150, 3))");
    ki_effect(p);
    int ni = new_node(p, KN_LAYER, NN_INPUT, line, col);
    knode *n = &p->pg->nodes[ni];
    int dims[3];
    n->shape_rank = need_shape(p, b.v[0], vline(&b, 0), vcol(&b, 0), "the Input's shape", dims);
    memcpy(n->shape, dims, sizeof dims);
    if (b.v[1] && b.v[1]->k != V_NONE)
        ki_note(p->pg, vline(&b, 1), "the Input's batch_size= is not used: the lesson sets the batch size");
    if (b.v[3]) {
        const char *s = need_str(p, &b, 3, "dtype", true);
        if (s && strcmp(s, "float32"))
            ki_fail(p, vline(&b, 3), vcol(&b, 3), "dtype='%.40s' is not supported: dropscope computes in float32", s);
    }
    for (int k = 4; k < 8; k++)
        if (b.v[k] && b.v[k]->k != V_NONE && !(b.v[k]->k == V_BOOL && !b.v[k]->b))
            ki_fail(p, vline(&b, k), vcol(&b, k), "%s= is not supported for Input", names[k]);
    n->applied = true;
    n->order = ++p->pg->applied;
    set_node_name(p, ni, &b, 2);
    n = &p->pg->nodes[ni];
    n->args = strdup("");
    if (!n->args)
        ki_fail(p, line, col, "out of memory");
    return tensor_val(p, node_ref(ni), line, col);
}

/* layer(x) / layer([a, b]) */
static kval *apply_layer(kparser *p, int ni, kargs *a, int line, int col)
{
    knode *n = &p->pg->nodes[ni];
    if (n->type == NN_INPUT)
        ki_fail(p, line, col, "an Input is not called on a tensor");
    if (n->applied)
        ki_fail(p, line, col,
                "the layer '%s' is used a second time (shared weights): dropscope supports each layer once", n->name);
    kval *x = NULL;
    int xl = line, xc = col;
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
        if (g->key && !strcmp(k, "training"))
            ki_fail(p, g->line, g->col,
                    "training= is not supported on a layer: dropscope runs Dropout and BatchNormalization as Keras's fit and predict do");
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
    ki_need_known(p, x, xl, xc, "as a layer's input");
    kref ins[LS_MAX_INPUTS];
    int n_in = 0;
    if (x->k == V_SEQ) {
        if (n->type != NN_CONCAT)
            ki_fail(p, xl, xc, "%s takes one input, found a list (only Concatenate joins several)",
                    nn_layer_type_name(n->type));
        if (x->n < 2 || x->n > LS_MAX_INPUTS)
            ki_fail(p, xl, xc, "Concatenate joins 2 to %d inputs, found %d", LS_MAX_INPUTS, x->n);
        for (int i = 0; i < x->n; i++) {
            if (x->items[i]->k != V_TENSOR)
                ki_fail(p, xl, xc, "Concatenate joins layer outputs, found %s", ki_kind_name(x->items[i]));
            ins[n_in++] = x->items[i]->ref;
        }
    } else if (x->k == V_TENSOR) {
        if (n->type == NN_CONCAT)
            ki_fail(p, xl, xc, "Concatenate joins a list of layer outputs, e.g. Concatenate()([a, b])");
        ins[n_in++] = x->ref;
    } else {
        ki_fail(p, xl, xc, "a layer is called on a layer's output (a tensor), found %s", ki_kind_name(x));
    }
    ki_effect(p);
    n = &p->pg->nodes[ni];
    n->n_in = n_in;
    memcpy(n->in, ins, sizeof ins[0] * (size_t)n_in);
    n->applied = true;
    n->order = ++p->pg->applied;
    return tensor_val(p, node_ref(ni), line, col);
}

/* ------------------------------------------------------------------------------------ */
/* InceptionV3 */

/* A path a lesson string can hold as is: 1..1000 bytes, no quote, backslash or
 * control character (the text is UTF-8 already). */
static bool plain_path(const char *w)
{
    size_t n = strlen(w);
    if (n == 0 || n > 1000)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)w[i];
        if (c < 0x20 || c == 0x7F || c == '"' || c == '\\')
            return false;
    }
    return true;
}

static kval *make_inception(kparser *p, kargs *a, int line, int col)
{
    static const char *const names[] = {"include_top", "weights", "input_tensor", "input_shape", "pooling",
                                        "classes", "classifier_activation", NULL};
    bound b;
    bind_args(p, a, "InceptionV3", names, 7, &b);
    kprog *pg = p->pg;
    if (pg->n_bases >= 1)
        ki_fail(p, line, col, "a second InceptionV3 is not supported: a lesson has one base");
    if (!b.v[0] || need_bool(p, &b, 0, "include_top"))
        ki_fail(p, b.v[0] ? vline(&b, 0) : line, b.v[0] ? vcol(&b, 0) : col,
                "InceptionV3 with its classifier on top (include_top=True%s) is not supported: write include_top=False",
                b.v[0] ? "" : ", Keras's default");
    if (b.v[2] && b.v[2]->k != V_NONE)
        ki_fail(p, vline(&b, 2), vcol(&b, 2), "input_tensor= is not supported: give InceptionV3 an input_shape=");
    if (!b.v[3] || b.v[3]->k == V_NONE)
        ki_fail(p, line, col, "InceptionV3 needs input_shape=, e.g. input_shape=(150, 150, 3): dropscope needs the image size");
    if (b.v[4] && b.v[4]->k != V_NONE) {
        const char *s = need_str(p, &b, 4, "pooling", true);
        ki_fail(p, vline(&b, 4), vcol(&b, 4), "pooling='%.20s' is not supported: add layers.%s() after the base instead", s,
                !strcmp(s, "avg") ? "GlobalAveragePooling2D" : "GlobalMaxPooling2D (not in dropscope) or Flatten");
    }
    for (int k = 5; k < 7; k++)
        if (b.v[k])
            ki_note(pg, vline(&b, k), "InceptionV3's %s= has no effect without the top (include_top=False)", names[k]);
    int dims[3];
    int rank = need_shape(p, b.v[3], vline(&b, 3), vcol(&b, 3), "input_shape", dims);
    if (rank != 3)
        ki_fail(p, vline(&b, 3), vcol(&b, 3), "InceptionV3's input_shape is (height, width, channels)");
    /* Keras names InceptionV3's layers with the session's counters: they match the
     * engine's names (conv2d, batch_normalization, ...) only in a fresh session */
    static const char *const prefixes[] = {"conv2d", "batch_normalization", "activation", "max_pooling2d",
                                           "average_pooling2d", "concatenate", NULL};
    for (int i = 0; prefixes[i]; i++) {
        int *c = uid_slot(pg, prefixes[i]);
        if (c && *c > 0)
            ki_fail(p, line, col,
                    "layers made before InceptionV3 (a %s) would shift its layer names in Keras; create InceptionV3 first",
                    prefixes[i]);
    }
    ki_effect(p);
    kbase *bs = &pg->bases[pg->n_bases];
    memset(bs, 0, sizeof *bs);
    bs->line = line;
    bs->col = col;
    bs->node = -1;
    bs->h = dims[0];
    bs->w = dims[1];
    bs->c = dims[2];
    bs->full = nn_model_create("inception_v3");
    if (!bs->full)
        ki_fail(p, line, col, "out of memory");
    pg->n_bases++;
    nn_layer_cfg in = nn_layer_cfg_default(NN_INPUT);
    in.shape = nn_shape3(dims[0], dims[1], dims[2]);
    if (nn_model_add(bs->full, &in, NULL, 0) < 0 || nn_base_inception_v3(bs->full, 0, NULL) < 0)
        ki_fail(p, vline(&b, 3), vcol(&b, 3), "InceptionV3: %s", nn_model_error(bs->full));
    ki_keras_name(pg, "input", true, bs->input_name, sizeof bs->input_name);
    /* the counters InceptionV3 used */
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
        if (c && *c < k + 1)
            *c = k + 1;
    }
    int n = bs->full->n_layers;
    bs->tr = calloc((size_t)n, sizeof *bs->tr);
    bs->tr_c = calloc((size_t)n, sizeof *bs->tr_c);
    if (!bs->tr || !bs->tr_c)
        ki_fail(p, line, col, "out of memory");
    for (int i = 0; i < n; i++)
        bs->tr[i] = bs->tr_c[i] = true;
    bs->self_tr = bs->self_tr_c = true;
    if (b.v[1] && b.v[1]->k != V_NONE) {
        const char *w = need_str(p, &b, 1, "weights", true);
        if (!strcmp(w, "imagenet")) {
            bs->imagenet = true;
            bs->imagenet_line = vline(&b, 1);
        } else {
            if (!plain_path(w))
                ki_fail(p, vline(&b, 1), vcol(&b, 1), "weights= must be 'imagenet', None or a plain file path (no quotes, backslashes or control characters)");
            bs->weights = strdup(w);
            bs->weights_line = vline(&b, 1);
        }
    } else if (!b.v[1]) {
        bs->imagenet = true; /* Keras's default */
        bs->imagenet_line = line;
    }
    kval *v = ki_val(p, V_BASE, line, col);
    v->idx = pg->n_bases - 1;
    return v;
}

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
            ki_fail(p, line, col, "InceptionV3 is used a second time: dropscope supports it once");
        ni = new_node(p, KN_BASE, NN_INPUT, line, col);
        pg->nodes[ni].base = x->idx;
        snprintf(pg->nodes[ni].name, sizeof pg->nodes[ni].name, "inception_v3");
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
            m->in = node_ref(ni);
            n->seq_model = mi;
            m->out = m->in;
            m->has_io = true;
            m->n_seq = 0;
            /* the Input is not in model.layers: remember it as the input only */
            return;
        }
        int shape_rank = n->kind == KN_BASE ? 3 : n->shape_rank;
        if (m->in.node < 0 && shape_rank > 0) {
            int ii = new_node(p, KN_LAYER, NN_INPUT, line, col);
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
            m->in = node_ref(ii);
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
        m->in = node_ref(ni);
        m->out = m->in;
        m->n_seq--; /* InputLayer: the input, not a layer of model.layers */
        m->has_io = true;
        return;
    }
    n->n_in = 1;
    n->in[0] = m->out; /* node -1: the input is not known (no input_shape yet) */
    n->applied = true;
    n->order = ++pg->applied;
    m->out = node_ref(ni);
    m->has_io = true;
}

static kval *make_sequential(kparser *p, kargs *a, int line, int col)
{
    static const char *const names[] = {"layers", "name", NULL};
    bound b;
    bind_args(p, a, "Sequential", names, 2, &b);
    if (b.v[1])
        need_str(p, &b, 1, "the model's name", true);
    ki_effect(p);
    int mi = new_model(p, true, line, col);
    if (b.v[0] && b.v[0]->k != V_NONE) {
        kval *l = b.v[0];
        ki_need_known(p, l, vline(&b, 0), vcol(&b, 0), "as Sequential's layers");
        if (l->k != V_SEQ)
            ki_fail(p, vline(&b, 0), vcol(&b, 0), "Sequential takes a list of layers, found %s", ki_kind_name(l));
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
    bound b;
    bind_args(p, a, "Model", names, 2, &b);
    if (!b.v[0] || !b.v[1])
        ki_fail(p, line, col, "Model needs inputs and outputs, e.g. Model(inputs, outputs)");
    kref in = need_one_tensor(p, b.v[0], vline(&b, 0), vcol(&b, 0), "the model's inputs");
    kref out = need_one_tensor(p, b.v[1], vline(&b, 1), vcol(&b, 1), "the model's outputs");
    if (b.v[2])
        need_str(p, &b, 2, "the model's name", true);
    bool tr = b.v[3] ? need_bool(p, &b, 3, "trainable") : true;
    ki_effect(p);
    int mi = new_model(p, false, line, col);
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
            r[i] = node_ref(m->seq[i]);
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
        of[i] = node_ref(i);
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
        int64_t lo = index->has_lo ? index->lo : 0, hi = index->has_hi ? index->hi : n;
        if (lo < 0)
            lo += n;
        if (hi < 0)
            hi += n;
        lo = lo < 0 ? 0 : lo > n ? n : lo;
        hi = hi < lo ? lo : hi > n ? n : hi;
        return layers_val(p, list->refs + lo, (int)(hi - lo), line, col);
    }
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

static kval *make_optimizer(kparser *p, int kind, kargs *a, int line, int col)
{
    static const char *const cls[] = {"SGD", "RMSprop", "Adam"};
    static const char *const sgd[] = {"learning_rate", "momentum", "nesterov", "name", "lr", "decay", "clipnorm",
                                      "clipvalue", "global_clipnorm", "weight_decay", "use_ema", "jit_compile", NULL};
    static const char *const rms[] = {"learning_rate", "rho", "momentum", "epsilon", "centered", "name", "lr",
                                      "decay", "clipnorm", "clipvalue", "global_clipnorm", "weight_decay", "use_ema",
                                      "jit_compile", NULL};
    static const char *const adam[] = {"learning_rate", "beta_1", "beta_2", "epsilon", "amsgrad", "name", "lr",
                                       "decay", "clipnorm", "clipvalue", "global_clipnorm", "weight_decay", "use_ema",
                                       "jit_compile", NULL};
    static const char *const *const sigs[] = {sgd, rms, adam};
    static const int n_pos[] = {4, 6, 6};
    const char *const *names = sigs[kind];
    bound b;
    bind_args(p, a, cls[kind], names, n_pos[kind], &b);
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
                ki_fail(p, vline(&b, k), vcol(&b, k),
                        "a learning-rate schedule is not supported: give a number (a lesson step can change it: 'learning rate X')");
            double x = need_number(p, &b, k, "the learning rate");
            fmt_num(x, false, val, sizeof val);
            sb_arg(p, &out, nm, val);
        } else if (!strcmp(nm, "momentum") || !strcmp(nm, "rho") || !strcmp(nm, "beta_1") || !strcmp(nm, "beta_2") ||
                   !strcmp(nm, "epsilon")) {
            if (v->k == V_NONE && !strcmp(nm, "epsilon"))
                continue; /* old Keras: None means the backend's 1e-7 */
            double x = need_number(p, &b, k, nm);
            fmt_num(x, false, val, sizeof val);
            sb_arg(p, &out, nm, val);
        } else if (!strcmp(nm, "nesterov") || !strcmp(nm, "centered") || !strcmp(nm, "amsgrad")) {
            bool x = need_bool(p, &b, k, nm);
            if (x && strcmp(nm, "nesterov"))
                ki_fail(p, vline(&b, k), vcol(&b, k), "%s=True is not supported: dropscope implements %s=False", nm, nm);
            sb_arg(p, &out, nm, x ? "True" : "False");
        } else if (!strcmp(nm, "name")) {
            need_str(p, &b, k, "the optimizer's name", true);
        } else if (!strcmp(nm, "decay")) {
            double x = need_number(p, &b, k, "decay");
            if (x != 0)
                ki_fail(p, vline(&b, k), vcol(&b, k), "decay= is not supported: dropscope keeps the learning rate fixed");
        } else if (!strcmp(nm, "use_ema")) {
            if (need_bool(p, &b, k, nm))
                ki_fail(p, vline(&b, k), vcol(&b, k), "use_ema=True is not supported");
        } else if (!strcmp(nm, "jit_compile")) {
            ki_note(p->pg, vline(&b, k), "the optimizer's jit_compile= is not used: it changes only how TensorFlow runs");
        } else {
            need_default(p, &b, k, nm, NULL, "dropscope applies plain updates");
        }
    }
    kval *v = ki_val(p, V_OPT, line, col);
    v->sub = kind;
    char text[1100];
    if (out.n)
        snprintf(text, sizeof text, "%s(%s)", cls[kind], out.s);
    else
        snprintf(text, sizeof text, "%s", kind == NN_OPT_SGD ? "sgd" : kind == NN_OPT_RMSPROP ? "rmsprop" : "adam");
    v->s = ki_strdup(p, text);
    return v;
}

static kval *make_loss(kparser *p, int kind, kargs *a, int line, int col)
{
    static const char *const cls[] = {"BinaryCrossentropy", "SparseCategoricalCrossentropy", "CategoricalCrossentropy"};
    static const char *const bce[] = {"from_logits", "label_smoothing", "axis", "reduction", "name", NULL};
    static const char *const scce[] = {"from_logits", "ignore_class", "reduction", "name", NULL};
    const char *const *names = kind == 1 ? scce : bce;
    bound b;
    bind_args(p, a, cls[kind], names, kind == 1 ? 4 : 5, &b);
    for (int k = 0; names[k]; k++) {
        if (!b.v[k])
            continue;
        const char *nm = names[k];
        if (!strcmp(nm, "from_logits")) {
            if (need_bool(p, &b, k, nm))
                ki_fail(p, vline(&b, k), vcol(&b, k),
                        "from_logits=True is not supported: end the model with a sigmoid (or softmax) layer and use from_logits=False");
        } else if (!strcmp(nm, "label_smoothing")) {
            if (need_number(p, &b, k, nm) != 0)
                ki_fail(p, vline(&b, k), vcol(&b, k), "label_smoothing is not supported");
        } else if (!strcmp(nm, "axis")) {
            if (need_int(p, &b, k, nm) != -1)
                ki_fail(p, vline(&b, k), vcol(&b, k), "only axis=-1 is supported");
        } else if (!strcmp(nm, "reduction")) {
            const char *s = b.v[k]->k == V_STR ? b.v[k]->s : NULL;
            if (!s || (strcmp(s, "auto") && strcmp(s, "sum_over_batch_size")))
                ki_fail(p, vline(&b, k), vcol(&b, k), "reduction= is not supported: dropscope averages over the batch");
        } else if (!strcmp(nm, "name")) {
            need_str(p, &b, k, "the loss's name", true);
        } else {
            need_default(p, &b, k, nm, NULL, "not supported by dropscope");
        }
    }
    kval *v = ki_val(p, V_LOSS, line, col);
    v->sub = kind == 1 ? NN_LOSS_SCCE : kind == 2 ? NN_LOSS_SCCE : NN_LOSS_BCE;
    v->b = kind == 2;
    return v;
}

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

static void compile_model(kparser *p, int mi, kargs *a, int line, int col)
{
    static const char *const names[] = {"optimizer", "loss", "metrics", "loss_weights", "weighted_metrics",
                                        "run_eagerly", "steps_per_execution", "jit_compile", NULL};
    bound b;
    bind_args(p, a, "compile", names, 7, &b);
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
        c.opt_line = vline(&b, 0);
        c.opt_col = vcol(&b, 0);
        ki_need_known(p, o, vline(&b, 0), vcol(&b, 0), "as the optimizer");
        if (o->k == V_STR) {
            char lo[32];
            str_lower(o->s, lo, sizeof lo);
            if (strcmp(lo, "sgd") && strcmp(lo, "rmsprop") && strcmp(lo, "adam"))
                ki_fail(p, vline(&b, 0), vcol(&b, 0), "the optimizer '%.40s' is not supported (dropscope has sgd, rmsprop and adam)",
                        o->s);
            snprintf(c.opt, sizeof c.opt, "%s", lo);
        } else if (o->k == V_OPT) {
            snprintf(c.opt, sizeof c.opt, "%s", o->s);
        } else if (o->k == V_SYM && o->sym == S_OPT) {
            ki_fail(p, vline(&b, 0), vcol(&b, 0), "give an optimizer object, e.g. %s(learning_rate=0.001) (with parentheses)",
                    o->s);
        } else {
            ki_fail(p, vline(&b, 0), vcol(&b, 0), "the optimizer must be a name such as 'rmsprop' or an optimizer object, found %s",
                    ki_kind_name(o));
        }
    }
    if (!b.v[1] || b.v[1]->k == V_NONE)
        ki_fail(p, line, col, "compile() needs a loss, e.g. loss='binary_crossentropy'");
    kval *l = b.v[1];
    c.loss_line = vline(&b, 1);
    c.loss_col = vcol(&b, 1);
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
                    l->s, suggest(l->s, ls, 6, sg, sizeof sg));
        }
    } else if (l->k == V_SYM && l->sym == S_LOSS_FN) {
        lk = l->sub;
    } else if (l->k == V_LOSS) {
        lk = l->b ? 2 : l->sub == NN_LOSS_BCE ? 0 : 1;
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
        ki_need_known(p, m, vline(&b, 2), vcol(&b, 2), "as the metrics");
        int n = m->k == V_SEQ ? m->n : 1;
        for (int i = 0; i < n; i++) {
            kval *x = m->k == V_SEQ ? m->items[i] : m;
            if (x->k == V_STR && (!strcmp(x->s, "accuracy") || !strcmp(x->s, "acc")))
                c.accuracy = true;
            else if (x->k == V_STR)
                ki_note(pg, vline(&b, 2), "the metric '%.40s' is not shown: dropscope measures loss and accuracy", x->s);
            else
                ki_note(pg, vline(&b, 2), "a metric given as %s is not shown: dropscope measures loss and accuracy",
                        ki_kind_name(x));
        }
    }
    for (int k = 3; k < 5; k++)
        if (b.v[k] && b.v[k]->k != V_NONE)
            ki_fail(p, vline(&b, k), vcol(&b, k), "%s= is not supported", names[k]);
    for (int k = 5; k < 8; k++)
        if (b.v[k])
            ki_note(pg, vline(&b, k), "compile's %s= is not used: it changes only how TensorFlow runs", names[k]);
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
            return str_val(p, ref_name(pg, r), line, col);
        if (!strcmp(nb, "output")) {
            if (r.node >= 0 && !pg->nodes[r.node].applied)
                ki_fail(p, line, col, "the layer '%s' has no output yet: it was never called on an input",
                        pg->nodes[r.node].name);
            return tensor_val(p, r, line, col);
        }
        if (!strcmp(nb, "input")) {
            if (r.node >= 0) {
                const knode *n = &pg->nodes[r.node];
                if (n->type == NN_INPUT && n->kind == KN_LAYER)
                    return tensor_val(p, r, line, col);
                if (!n->applied || n->n_in != 1 || (n->in[0].node < 0 && n->in[0].base < 0))
                    ki_fail(p, line, col, "the layer '%s' has no single input", n->name);
                return tensor_val(p, n->in[0], line, col);
            }
            const nn_layer *ly = pg->bases[r.base].full->layers[r.sub];
            if (ly->n_inputs != 1)
                return tensor_val(p, r, line, col);
            return tensor_val(p, (kref){-1, r.base, ly->inputs[0]}, line, col);
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
            kval *t = tensor_val(p, r, line, col);
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
            return str_val(p, "inception_v3", line, col);
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
            kval *t = tensor_val(p, r, line, col);
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
    bound b;
    bind_args(p, a, "get_layer", names, 2, &b);
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
        long long i = need_int(p, &b, 1, "index");
        if (i < 0 || i >= n)
            ki_fail(p, vline(&b, 1), vcol(&b, 1), "index %lld is out of range: the model has %d layers", i, n);
        return layer_ref_val(p, refs[i], line, col);
    }
    if (!b.v[0])
        ki_fail(p, line, col, "get_layer needs a name, e.g. get_layer('mixed7')");
    const char *s = need_str(p, &b, 0, "the layer's name", false);
    for (int i = 0; i < n; i++)
        if (!strcmp(ref_name(pg, refs[i]), s))
            return layer_ref_val(p, refs[i], line, col);
    const char **cand = ki_alloc(p, sizeof *cand * (size_t)(n + 1));
    for (int i = 0; i < n; i++)
        cand[i] = ref_name(pg, refs[i]);
    char sg[96];
    suggest(s, cand, n, sg, sizeof sg);
    if (self->k == V_BASE)
        ki_fail(p, vline(&b, 0), vcol(&b, 0), "InceptionV3 has no layer named '%.60s'%s (its layers run from '%s' to '%s')",
                s, sg, cand[1 < n ? 1 : 0], cand[n - 1]);
    ki_fail(p, vline(&b, 0), vcol(&b, 0), "the model has no layer named '%.60s'%s", s, sg);
}

static kval *load_weights(kparser *p, kval *self, kargs *a, int line, int col)
{
    static const char *const names[] = {"filepath", "by_name", "skip_mismatch", "options", NULL};
    bound b;
    bind_args(p, a, "load_weights", names, 4, &b);
    if (self->k != V_BASE)
        ki_fail(p, line, col,
                "load_weights on the whole model is not supported: dropscope loads weights into the InceptionV3 base only");
    if (!b.v[0])
        ki_fail(p, line, col, "load_weights needs a file, e.g. load_weights('weights.h5')");
    const char *w = need_str(p, &b, 0, "the weights file", false);
    if (!plain_path(w))
        ki_fail(p, vline(&b, 0), vcol(&b, 0), "the weights file must be a plain path (no quotes, backslashes or control characters)");
    if (b.v[1])
        need_bool(p, &b, 1, "by_name"); /* dropscope's loader matches by name when the file has names */
    if (b.v[2] && need_bool(p, &b, 2, "skip_mismatch"))
        ki_fail(p, vline(&b, 2), vcol(&b, 2), "skip_mismatch=True is not supported");
    if (b.v[3] && b.v[3]->k != V_NONE)
        ki_note(p->pg, vline(&b, 3), "load_weights' options= is not used");
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

/* base(x) / base(x, training=False): InceptionV3 as one layer of the model. */
static kval *apply_base(kparser *p, int bi, kargs *a, int line, int col)
{
    kprog *pg = p->pg;
    kbase *bs = &pg->bases[bi];
    if (bs->node >= 0)
        ki_fail(p, line, col, "InceptionV3 is called a second time: dropscope supports it once");
    kval *x = NULL;
    int xl = line, xc = col;
    for (int i = 0; i < a->n; i++) {
        karg *g = &a->a[i];
        char kb[32];
        const char *k = g->key ? ki_tok_text(p, g->key, kb, sizeof kb) : NULL;
        if ((!k && !x) || (k && !strcmp(k, "inputs") && !x)) {
            x = g->v;
            xl = g->vline;
            xc = g->vcol;
        } else if (k && !strcmp(k, "training")) {
            ki_need_known(p, g->v, g->vline, g->vcol, "as training=");
            if (g->v->k != V_BOOL || g->v->b)
                ki_fail(p, g->vline, g->vcol, "only training=False is supported for the base");
            /* with the base frozen (checked when the lesson is written), dropscope's
             * frozen BatchNormalization already runs in inference mode */
            bs->training_line = g->line;
            bs->training_col = g->col;
        } else {
            ki_fail(p, g->line, g->col, "calling InceptionV3 with %s is not supported", k ? k : "a second input");
        }
    }
    if (!x)
        ki_fail(p, line, col, "InceptionV3 is called without an input");
    ki_need_known(p, x, xl, xc, "as the base's input");
    if (x->k != V_TENSOR)
        ki_fail(p, xl, xc, "InceptionV3 is called on a layer's output (a tensor), found %s", ki_kind_name(x));
    ki_effect(p);
    int ni = new_node(p, KN_BASE, NN_INPUT, line, col);
    knode *n = &pg->nodes[ni];
    n->base = bi;
    snprintf(n->name, sizeof n->name, "inception_v3");
    n->args = strdup("");
    n->n_in = 1;
    n->in[0] = x->ref;
    n->applied = true;
    n->order = ++pg->applied;
    pg->bases[bi].node = ni;
    return tensor_val(p, node_ref(ni), line, col);
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
            ki_fail(p, line, col, "compiling InceptionV3 itself is not supported: build a model on top of it and compile that");
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
        case S_LAYER: return make_layer(p, (nn_layer_type)callee->sub, a, line, col);
        case S_INPUT_FN: return make_input(p, a, line, col);
        case S_CONCAT_FN: {
            static const char *const names[] = {"inputs", "axis", "name", NULL};
            bound b;
            bind_args(p, a, "concatenate", names, 2, &b);
            if (!b.v[0])
                ki_fail(p, line, col, "concatenate needs a list of layer outputs");
            kargs la = {0}, ca = {0};
            int k = 0;
            if (b.v[1])
                la.a[k++] = *b.g[1];
            if (b.v[2])
                la.a[k++] = *b.g[2];
            la.n = k;
            kval *layer = make_layer(p, NN_CONCAT, &la, line, col);
            ca.a[0] = *b.g[0];
            ca.a[0].key = NULL;
            ca.n = 1;
            return apply_layer(p, layer->ref.node, &ca, line, col);
        }
        case S_INCEPTION: return make_inception(p, a, line, col);
        case S_MODEL: return make_model(p, a, line, col);
        case S_SEQUENTIAL: return make_sequential(p, a, line, col);
        case S_OPT: return make_optimizer(p, callee->sub, a, line, col);
        case S_LOSS_CLASS: return make_loss(p, callee->sub, a, line, col);
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
            ki_fail(p, line, col, "calling a layer of InceptionV3 on its own is not supported");
        if (p->pg->nodes[callee->ref.node].kind == KN_BASE)
            return apply_base(p, p->pg->nodes[callee->ref.node].base, a, line, col);
        return apply_layer(p, callee->ref.node, a, line, col);
    case V_BASE:
        return apply_base(p, callee->idx, a, line, col);
    case V_MODEL:
        ki_fail(p, line, col, "calling a model on an input (a model inside a model) is not supported");
    case V_METHOD:
        return call_method(p, callee, a, line, col);
    default:
        ki_fail(p, line, col, "%s is not something to call", ki_kind_name(callee));
    }
}

/* ------------------------------------------------------------------------------------ */

void ki_prog_free(kprog *pg)
{
    if (!pg)
        return;
    for (int i = 0; i < pg->n_nodes; i++)
        free(pg->nodes[i].args);
    free(pg->nodes);
    for (int b = 0; b < pg->n_bases; b++) {
        nn_model_destroy(pg->bases[b].full);
        free(pg->bases[b].weights);
        free(pg->bases[b].tr);
        free(pg->bases[b].tr_c);
    }
    for (int m = 0; m < pg->n_models; m++)
        free(pg->models[m].seq);
    free(pg->models);
    for (int i = 0; i < pg->n_notes; i++)
        free(pg->notes[i].text);
    free(pg->notes);
    memset(pg, 0, sizeof *pg);
}
