/* The Keras importer's runtime (runtime.c): the interpreter's state and values, and the
 * services the statements (eval.c), the expressions (expr.c), the Keras API (api.c) and
 * the layers (layers.c) share: the arena, failing, values, what the current statement
 * did (for its note), the notes and the variables. Everything it returns lives in the
 * parser's arena (freed by ki_parser_free) unless said otherwise. Failures unwind with
 * longjmp to ki_run. Private to the importer. */
#ifndef LS_KERAS_RUNTIME_H
#define LS_KERAS_RUNTIME_H

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
    V_LOSS,     /* a loss: sub = nn_loss_kind; b: written as categorical_crossentropy; is_int: from_logits=True */
    V_ACT,      /* an activation function: sub = nn_act */
    V_METHOD,   /* self.meth */
    V_LAYERS,   /* a list of layers (model.layers): refs */
    V_SUMMARY,  /* what model.summary() returns */
    V_OPAQUE,   /* anything outside the model: numpy, plots, data, history ... */
    V_DEF,      /* a function the script defines (def): idx into the parser's defs */
} vkind;

/* V_SYM kinds */
enum {
    S_MODULE = 0, S_LAYER, S_INPUT_FN, S_CONCAT_FN, S_INCEPTION, S_MODEL, S_SEQUENTIAL, S_OPT,
    S_LOSS_CLASS, S_LOSS_FN, S_ACT, S_CLEAR_SESSION,
    S_PREPROCESS, /* keras.applications.<module>.preprocess_input: sub = nn_preprocess_mode */
    S_AUGMENT,    /* keras.layers.RandomFlip ...: sub = nn_augment_kind */
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
    bool huge;              /* V_NUM: a whole number too large to hold exactly (10**18) */
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

/* A function the script defines: its parameters (defaults evaluated at the def, as
 * Python does) and where its body starts. */
#define KI_MAX_PARAMS 16
typedef struct {
    const ktok *name;
    int n;
    const ktok *params[KI_MAX_PARAMS];
    kval *defaults[KI_MAX_PARAMS]; /* NULL: required */
    int body;               /* the token after the header's ':' */
} kdef;

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
    /* functions (def): defined, and the calls being run */
    kdef *defs;
    int n_defs, cap_defs;
    int def_depth;
    kvar *def_saved[8];     /* the variables before each call being run (freed by ki_parser_free on an error) */
    bool returning;         /* a return ran: the blocks stop until the call ends */
    kval *ret;              /* what it returned */
} kparser;

/* A parser for lx (which it borrows) filling pg; messages go to err. NULL when out of
 * memory. The caller sets p->jb before running anything that can fail. */
kparser *ki_parser_new(kprog *pg, const klex *lx, const char *path, char *err, size_t errlen);
/* Frees the parser, its arena (every value) and its variables; accepts NULL. */
void ki_parser_free(kparser *p);

/* Writes "path:line:col: message" to the parser's err and unwinds to ki_run. */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5), noreturn))
#endif
void ki_fail(kparser *p, int line, int col, const char *fmt, ...);
/* Zeroed arena memory; fails (ki_fail) past the arena's limit or when out of memory. */
void *ki_alloc(kparser *p, size_t n);
char *ki_strdup(kparser *p, const char *s);
kval *ki_val(kparser *p, vkind k, int line, int col);
/* The category (C_DATA, C_PLOT, C_SEED or C_GENERIC) of a call to something outside
 * Keras's model API, from its dotted path. */
int ki_path_category(const char *path);
/* A value outside the model, with the category of a call to it taken from its path. */
kval *ki_opaque(kparser *p, const char *path, const char *spelled, int line, int col);
/* Records that the statement did something outside the model (for its note). */
void ki_event(kparser *p, int cat, const char *desc);
/* The statement changed the model (no note for it); fails inside a comprehension, a
 * short-circuited expression or a loop over unknown values. */
void ki_effect(kparser *p);
/* The first line of the statement at t as written (trimmed, at most ~60 characters). */
void ki_snippet(kparser *p, const ktok *t, char *out, size_t n);
/* "a list", "a layer", ... for messages (static text). */
const char *ki_kind_name(const kval *v);
/* Fails unless v is a plain value: used where an opaque value cannot go. */
void ki_need_known(kparser *p, const kval *v, int line, int col, const char *where);
/* Text of token t (names, operators), cut to fit buf; returns buf. */
const char *ki_tok_text(kparser *p, const ktok *t, char *buf, size_t n);

/* Python's bounds of a step-1 slice (V_SLICE) of n elements: negative ends count from
 * the end, then both are clamped, so 0 <= *lo <= *hi <= n. */
void ki_slice_bounds(const kval *slice, int64_t n, int64_t *lo, int64_t *hi);

/* Binds a variable (the name is copied); fails when out of memory. */
void ki_var_set(kparser *p, const char *name, kval *v);
/* Same, named by a name token. */
void ki_var_set_tok(kparser *p, const ktok *name, kval *v);
/* The value bound to a name token, or NULL. */
kval *ki_var_get(kparser *p, const ktok *name);

#endif
