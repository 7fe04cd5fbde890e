/* The Keras importer's interpreter state and values, shared by keras_eval.c (the Python
 * subset) and keras_api.c (what Keras names mean). Private to the importer. */
#ifndef LS_KERAS_EVAL_H
#define LS_KERAS_EVAL_H

#include <setjmp.h>
#include <stdbool.h>

#include "keras/internal.h"

typedef enum {
    V_NONE = 0,
    V_BOOL,
    V_NUM,
    V_STR,
    V_SEQ,      /* list or tuple */
    V_SLICE,
    V_SYM,      /* a Keras module, class or function */
    V_FUNC,     /* a Python builtin */
    V_LAYER,    /* a layer object: ref */
    V_TENSOR,   /* a layer's output: ref */
    V_BASE,     /* an InceptionV3: idx */
    V_MODEL,    /* a Model or Sequential: idx */
    V_OPT,      /* an optimizer: sub = kind, s = lesson text */
    V_LOSS,     /* a loss: sub = nn_loss_kind; b: written as categorical_crossentropy */
    V_ACT,      /* an activation function: sub = nn_act */
    V_METHOD,   /* self.meth */
    V_LAYERS,   /* a list of layers (model.layers): refs */
    V_SUMMARY,  /* what model.summary() returns */
    V_OPAQUE,   /* anything outside the model: numpy, plots, data, history ... */
} vkind;

/* V_SYM kinds */
enum {
    S_MODULE = 0, S_LAYER, S_INPUT_FN, S_CONCAT_FN, S_INCEPTION, S_MODEL, S_SEQUENTIAL, S_OPT,
    S_LOSS_CLASS, S_LOSS_FN, S_ACT, S_CLEAR_SESSION,
};
/* S_MODULE strictness: unknown names in these modules are errors, not opaque values */
enum { M_LOOSE = 0, M_LAYERS, M_APPS, M_OPT, M_LOSS, M_ACT, M_MODELS };

/* Categories of what a statement did outside the model, lowest priority first. */
enum { C_NONE = 0, C_GENERIC, C_IMPORT, C_PRINT, C_SEED, C_PLOT, C_DATA, C_SAVE, C_PREDICT, C_FIT };

typedef struct kval {
    vkind k;
    int line, col;          /* where it was written */
    bool b;
    double num;
    bool is_int, big;
    int64_t i;
    const char *s;          /* V_STR bytes; V_SYM/V_OPAQUE: spelled name; V_OPT: lesson text */
    int slen;
    const char *path;       /* V_SYM/V_OPAQUE: canonical dotted path */
    int sym, sub;           /* V_SYM: kind and detail; V_FUNC: builtin; V_OPT/V_LOSS/V_ACT: kind */
    bool tuple;             /* V_SEQ */
    int n, cap;
    struct kval **items;    /* V_SEQ */
    kref ref;               /* V_LAYER, V_TENSOR */
    int idx;                /* V_BASE, V_MODEL */
    struct kval *self;      /* V_METHOD */
    const char *meth;
    kref *refs;             /* V_LAYERS */
    int nrefs;
    bool has_lo, has_hi;    /* V_SLICE */
    int64_t lo, hi;
    int origin;             /* V_OPAQUE: the line it came from */
    int batch;              /* V_OPAQUE: a data generator's batch size, 0 unknown */
    int cat;                /* V_OPAQUE: the category of a call to it */
    bool unusable;          /* V_STR: an f-string or bytes */
} kval;

typedef struct {
    const ktok *key;        /* NULL: positional */
    kval *v;
    int line, col;          /* of the argument (its key if any) */
    int vline, vcol;        /* of its value */
} karg;

typedef struct {
    int n;
    karg a[48];
    bool star;              /* *args or **kwargs were given */
    int star_line, star_col;
} kargs;

typedef struct achunk achunk;

typedef struct {
    char *name;
    kval *v;
} kvar;

typedef struct kparser {
    kprog *pg;
    const klex *lx;
    const char *path;
    int pos;
    jmp_buf jb;
    char *err;
    size_t errlen;
    achunk *arena;
    size_t arena_used;
    kvar *vars;
    size_t n_vars, cap_vars;
    long work;
    int dry;                /* > 0: inside a comprehension or a loop over unknown values */
    int depth;
    int loop_depth;
    kargs *argbufs[KI_MAX_DEPTH * 4 + 8]; /* one per nested call, reused */
    kref *refs_cache[64];   /* functional models' layers (model.layers), once made */
    int refs_n[64];
    int call_depth;
    /* the statement being run: what it did, for its note */
    int st_line, st_tok;
    bool st_effect;
    int st_cat;
    char st_desc[128];
} kparser;

/* ---- keras_eval.c ---- */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5), noreturn))
#endif
void ki_fail(kparser *p, int line, int col, const char *fmt, ...);
void *ki_alloc(kparser *p, size_t n);
char *ki_strdup(kparser *p, const char *s);
kval *ki_val(kparser *p, vkind k, int line, int col);
kval *ki_opaque(kparser *p, const char *path, const char *spelled, int line, int col);
/* Records that the statement did something outside the model (for its note). */
void ki_event(kparser *p, int cat, const char *desc);
/* The statement changed the model (no note for it). */
void ki_effect(kparser *p);
const char *ki_kind_name(const kval *v);
/* Fails unless v is a plain value: used where an opaque value cannot go. */
void ki_need_known(kparser *p, const kval *v, int line, int col, const char *where);
/* Binds a variable. */
void ki_var_set(kparser *p, const char *name, kval *v);
/* A Python builtin (print, len, ...), or NULL. */
kval *ki_builtin(kparser *p, const char *name, int line, int col);
/* Text of token t (names, operators). */
const char *ki_tok_text(kparser *p, const ktok *t, char *buf, size_t n);

/* ---- keras_layers.c ---- */
/* A call's arguments bound to names: v[k] (NULL if not given) and where it was written. */
typedef struct {
    kval *v[24];
    karg *g[24];
} kbound;

/* Binds a call's arguments to names (the first n_pos may be positional, in order);
 * fails on an unknown keyword (at it, with the closest name), too many positional
 * arguments, or a value given twice. */
void ka_bind_args(kparser *p, kargs *a, const char *callee, const char *const *names, int n_pos, kbound *b);
int ka_vline(const kbound *b, int k);   /* where argument k's value is */
int ka_vcol(const kbound *b, int k);
long long ka_need_int(kparser *p, const kbound *b, int k, const char *what);
bool ka_need_bool(kparser *p, const kbound *b, int k, const char *what);
/* Argument k as a string (in the arena), or NULL for None when none_ok; fails otherwise. */
const char *ka_need_str(kparser *p, const kbound *b, int k, const char *what, bool none_ok);
void ka_str_lower(const char *s, char *out, size_t n);
/* "; did you mean 'x'?" for the closest of names[0..n), or "" (in buf). */
const char *ka_suggest(const char *s, const char *const *names, int n, char *buf, size_t len);
/* A path a lesson string holds as is (no quote, backslash or control character). */
bool ka_plain_path(const char *w);
int ka_new_node(kparser *p, kn_kind kind, nn_layer_type type, int line, int col);
kref ka_node_ref(int n);
kval *ka_tensor_val(kparser *p, kref r, int line, int col);
/* Keras's name of the layer r (a node, a base's layer, a base's Input). */
const char *ka_ref_name(const kprog *pg, kref r);
kval *ka_make_layer(kparser *p, nn_layer_type type, kargs *a, int line, int col);
kval *ka_make_input(kparser *p, kargs *a, int line, int col);
kval *ka_apply_layer(kparser *p, int ni, kargs *a, int line, int col);
kval *ka_make_inception(kparser *p, kargs *a, int line, int col);
kval *ka_make_optimizer(kparser *p, int kind, kargs *a, int line, int col);
kval *ka_make_loss(kparser *p, int kind, kargs *a, int line, int col);

/* ---- keras_api.c ---- */
/* The Keras meaning of a dotted path ("tensorflow.keras.layers.Dense"), spelled as in the
 * source; at: the last name's token. Fails on unknown names in Keras's model modules. */
kval *ka_resolve(kparser *p, const char *path, const char *spelled, const ktok *at);
kval *ka_getattr(kparser *p, kval *obj, const ktok *name);
/* from MODULE import *: binds the Keras names of MODULE; false if MODULE is not Keras's. */
bool ka_star_import(kparser *p, const char *module, const ktok *at);
void ka_setattr(kparser *p, kval *obj, const ktok *name, kval *v, int vline, int vcol);
kval *ka_call(kparser *p, kval *callee, kargs *a, int line, int col);
/* Element i of model.layers (or a slice): for V_LAYERS subscripts. */
kval *ka_layers_index(kparser *p, kval *list, kval *index, int line, int col);

#endif
