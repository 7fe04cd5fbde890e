/* Internals of the Keras importer (keras.h is its public header), shared by its files.
 * Each file calls only files listed before it, never one after it, so no two files call
 * each other in a loop and each can be read knowing only what comes before:
 *   lex.c      Python tokens (a subset: names, numbers, strings, operators,
 *              NEWLINE/INDENT/DEDENT, notebook magics) with line:col;
 *   runtime.c  (runtime.h) the interpreter's state and values: the arena, failing with
 *              path:line:col, what the current statement did (for its note), notes,
 *              variables, and freeing what the script built;
 *   layers.c   (layers.h) argument binding, layer classes, Keras's automatic names,
 *              InceptionV3, optimizers, losses;
 *   symbols.c  (api.h) modules and their symbols, dotted paths, names used without
 *              an import;
 *   api.c      (api.h) Model, Sequential, model.layers, trainable flags,
 *              compile, methods and attributes;
 *   expr.c     (expr.h) the Python subset's expressions, read by recursive descent
 *              over the token cursor (cursor.h), with Python's builtins; Keras's
 *              names, attributes and calls go to api.c;
 *   eval.c     the statements, run one by one (assignments, imports, loops), each
 *              changing the model or noted as not imported;
 *   plan.c     (plan.h) what the lesson declares: the model's layers and names, the
 *              bases cut and frozen, the stand-in data;
 *   import.c   the lesson written from the plan, checked by the real parser.
 * Errors unwind with longjmp to ki_run; everything is freed by ki_prog_free.
 * Only files in src/keras/ include this header or the other private ones (runtime.h,
 * layers.h, api.h, cursor.h, expr.h). Never includes SDL. */
#ifndef LS_KERAS_INTERNAL_H
#define LS_KERAS_INTERNAL_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/model.h"
#include "lesson/lesson.h"
#include "keras/keras.h"

#define KI_MAX_FILE LS_KERAS_MAX_FILE /* bytes of Python read, as for lessons */
#define KI_MAX_DEPTH 48           /* nesting of expressions and brackets */
#define KI_MAX_SEQ 1024           /* elements of a list or tuple */
#define KI_MAX_STR 4096           /* bytes of a string built by + */
#define KI_MAX_WORK 4000000       /* statements and expressions evaluated in all */
#define KI_MAX_NOTES 2000
#define KI_MAX_NODES 1024         /* layers created (the lesson's limit) */
#define KI_MAX_BASES 8

/* ---- tokens (lex.c) ---- */

typedef enum { KT_NAME, KT_NUM, KT_STR, KT_OP, KT_MAGIC, KT_NEWLINE, KT_INDENT, KT_DEDENT, KT_EOF } kt_kind;

/* Operators of more than one character; one-character operators are their ASCII code. */
enum {
    KO_POW = 256, KO_FLOORDIV, KO_EQ, KO_NE, KO_LE, KO_GE, KO_SHL, KO_SHR, KO_ARROW, KO_WALRUS,
    KO_AUG, /* an augmented assignment; the operator is in tok.aug ('+', '-', KO_POW, ...) */
    KO_ELLIPSIS,
};

typedef struct {
    kt_kind kind;
    int line, col;      /* 1-based; col counts characters */
    int off, len;       /* bytes in the source */
    int op, aug;        /* KT_OP */
    double num;         /* KT_NUM */
    bool is_int, big;   /* KT_NUM: a whole number; one beyond int64 */
    int64_t ival;
    int str, slen;      /* KT_STR: decoded bytes at strs + str */
    bool unusable;      /* KT_STR: f-string or bytes, whose value is not known */
} ktok;

typedef struct {
    ktok *t;
    int n;
    char *strs;         /* decoded string bytes, each NUL-terminated */
    size_t nstrs;
    const char *src;
    size_t len;
    size_t col_steps;   /* bytes scanned to compute columns: at most len per line (a test's bound) */
} klex;

/* Tokenizes text. 0, or -1 with "path:line:col: message" in err. */
int ki_lex(klex *lx, const char *path, const char *text, size_t len, char *err, size_t errlen);
void ki_lex_free(klex *lx);

/* ---- what the script built ---- */

/* A tensor or a layer: a node's output (node >= 0), or layer `sub` of base `base` (sub 0:
 * the base's Input). */
typedef struct {
    int node;
    int base, sub;
} kref;

typedef enum { KN_LAYER = 0, KN_BASE } kn_kind;

typedef struct {
    kn_kind kind;
    nn_layer_type type;     /* KN_LAYER */
    int base;               /* KN_BASE: the InceptionV3 called as a layer */
    char name[LS_NAME_MAX]; /* Keras's name */
    bool named;             /* name= given (else Keras's automatic name) */
    bool synthetic;         /* the Input a Sequential makes (NAME_input) */
    char *args;             /* the lesson's arguments, e.g. "512, activation=relu" */
    int shape[3], shape_rank;  /* Input: shape; others: input_shape= (first layer) */
    int units;              /* Dense */
    nn_act act;             /* Dense, Activation */
    double rate;            /* Dropout */
    nn_augment_kind aug_kind; /* NN_AUGMENT: RandomFlip, RandomRotation, ... */
    bool trainable, trainable_c; /* live; as of the last compile */
    int line, col;          /* where it was created */
    bool applied;
    int order;              /* when it was applied (call order) */
    int n_in;
    kref in[LS_MAX_INPUTS];
    int seq_model;          /* the Sequential it was added to, or -1 */
    int nested_in;          /* the Sequential called on a tensor it was spliced in from, or -1 */
    nn_train_mode training; /* layer(x, training=...): its call's training= */
} knode;

typedef struct {
    int line, col;
    int app;                /* index in nn_base_table (VGG16 ...), or -1: InceptionV3 */
    char keras[24];         /* Keras's class: "InceptionV3", "MobileNetV2" */
    char word[LS_NAME_MAX]; /* the lesson's word and the base's name: "inception_v3", "mobilenet_v2" */
    char pooling[8];        /* pooling= ("avg", "max") or "" */
    float alpha;            /* MobileNetV2's alpha= (0: not given) */
    nn_model *full;         /* Input + the whole base: names, order, inputs */
    char input_name[LS_NAME_MAX]; /* Keras's name of its Input (input_1, ...) */
    int h, w, c;
    char *weights;          /* a file to load, or NULL */
    int weights_line;
    bool imagenet;          /* weights='imagenet' and no file */
    int imagenet_line;
    bool self_tr, self_tr_c;
    bool *tr, *tr_c;        /* per layer of full */
    int flag_line, flag_col; /* the last statement that changed a layer's flag */
    int node;               /* its node when called as a layer, else -1 */
    int training_line, training_col; /* base(x, training=...), or 0 */
    nn_train_mode training; /* base(x, training=False): every layer of it in inference */
} kbase;

typedef struct {
    bool sequential;
    int line, col;
    kref in, out;           /* functional: one input, one output */
    bool has_io;
    int *seq;               /* Sequential: its layers (nodes) in order */
    int n_seq, cap_seq;
    bool self_tr, self_tr_c;
    int n_compiles;
    bool called;            /* Sequential called on a tensor: its layers spliced in there */
    char name[LS_NAME_MAX]; /* Keras's name: name=, else "sequential", "sequential_1", ... ("model", ...) */
    bool auto_named;
} kmodel;

typedef struct {
    bool set;
    int line, col;
    int model;
    char opt[512];          /* "rmsprop" or "RMSprop(lr=0.0001)" */
    int opt_line, opt_col;
    nn_loss_kind loss;
    bool from_logits;       /* BinaryCrossentropy(from_logits=True), SparseCategoricalCrossentropy(...) */
    int loss_line, loss_col;
    bool accuracy;
    bool assumed;           /* the script never compiles: Keras's defaults, the loss its output calls for */
} kcompile;

typedef struct {
    int line;
    char *text;             /* "line N: ..." */
} knote;

typedef struct {
    const char *path;
    knode *nodes;
    int n_nodes, cap_nodes;
    kbase bases[KI_MAX_BASES];
    int n_bases;
    kmodel *models;
    int n_models, cap_models;
    kcompile compile;
    int applied;            /* application counter */
    int batch;              /* from fit(batch_size=) or the data generator; 0: none */
    int batch_line;
    knote *notes;
    int n_notes, cap_notes;
    char undefined[64];     /* the first name used but not defined, for messages */
    char data_dir[256];     /* the first image folder a data generator reads ('' unknown) */
    int data_dir_line;
    int undefined_line, undefined_col;
    /* Keras's name counters (backend.get_uid), per prefix */
    struct {
        char prefix[32];
        int count;
    } uids[32];
    int n_uids;
} kprog;

/* Runs the script (eval.c): fills pg. 0, or -1 with "path:line:col: message" in err. */
int ki_run(kprog *pg, const klex *lx, const char *path, char *err, size_t errlen);

/* ---- runtime.c: what import.c uses too ---- */

/* Frees what pg holds and zeroes it. */
void ki_prog_free(kprog *pg);

/* Adds a note "line N: text" (once per line and text). */
void ki_note(kprog *pg, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Replaces control characters and invalid UTF-8 in s with '?', in place. */
void ki_sanitize(char *s);

/* " (from tensorflow.keras import layers)" for Keras's usual names, else "". */
const char *ki_import_hint(const char *name);

#endif
