/* A parsed lesson: data, model, compile and fit declarations, then ordered steps.
 * Produced by ls_lesson_parse (parse.c); consumed by the session (runner, window).
 * The lesson owns all its strings and arrays. Never includes SDL. */
#ifndef LS_LESSON_H
#define LS_LESSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/model.h"

#define LS_NAME_MAX NN_NAME_MAX
#define LS_MAX_INPUTS 8
#define LS_MAX_CLASSES 10

/* Where a construct came from, for messages "file:line:col". */
typedef struct {
    int line, col;
} ls_loc;

/* ---- data ---- */
typedef enum { LS_DATA_FASHION = 0, LS_DATA_FOLDER } ls_data_kind;
typedef struct {
    ls_data_kind kind;
    char *dir;              /* NULL: default (DROPSCOPE_DATA, then the Debian package) */
    int n_classes;          /* classes used, relabelled 0..n_classes-1 in this order */
    int classes[LS_MAX_CLASSES]; /* Fashion-MNIST class numbers 0..9 */
    int train, val, test;   /* examples per split; 0 = all available (val: 0 = none) */
    int resize_h, resize_w, channels; /* 0: native 28x28x1 */
    ls_loc loc;
    ls_loc val_loc, resize_loc; /* the 'val' and 'resize' settings (0, 0: not given) */
} ls_data;

/* ---- model ---- */
typedef enum { LS_DECL_LAYER = 0, LS_DECL_BASE } ls_decl_kind;
typedef struct {
    ls_decl_kind kind;
    nn_layer_cfg cfg;       /* cfg.name points at name below (or NULL: automatic) */
    char name[LS_NAME_MAX];
    int n_inputs;           /* 0: the previous declaration */
    char inputs[LS_MAX_INPUTS][LS_NAME_MAX];
    bool frozen;
    /* LS_DECL_BASE: a built-in base ("fashion_cnn", "inception_v3"), cut at a layer
     * name (empty: the base's default end), its weights directory or .h5 file
     * (NULL: random initialisation, said on screen) and whether it is frozen. */
    char base[32];
    char cut[LS_NAME_MAX];
    char *weights;
    /* keras.applications bases (issue 15): pooling "" (None), "avg" or "max"; alpha
     * (MobileNetV2's width, 0 = Keras's 1.0) */
    char pooling[4];
    float alpha;
    ls_loc loc;
    /* Filled by ls_lesson_parse from the model it builds to check names (the build is
     * deterministic, so ls_lesson_build_model gives the same indices): this
     * declaration's layers are [layer_first, layer_first + layer_count); a base spans
     * all the layers it added. -1, 0 when the model could not be built at parse time
     * (a base builder missing from this build). */
    int layer_first, layer_count;
    /* LS_DECL_BASE: trainable_from=NAME: the base's layers before NAME (in its own
     * order, Keras's model.layers) are frozen, NAME and after train ("" : not given). */
    char trainable_from[LS_NAME_MAX];
    /* `in NAME`: the model inside the model this declaration belongs to, as Keras's
     * summary shows it (one row): a base called as a layer ("mobilenetv2_1.00_160",
     * a Functional), or consecutive layers of a Sequential called on a tensor
     * ("sequential"). "": none, the layers are the model's own. */
    char nested[LS_NAME_MAX];
} ls_decl;

/* Keras version whose behaviour the lesson reproduces (KERAS_SEMANTICS.md). */
/* LS_KERAS_3: Keras 3 on TensorFlow (docs/keras-import.md, "Keras 3"): lr= is an error,
 * RMSprop's epsilon inside the root, trainable flags read at the first training step
 * after compile (when the train function is traced). */
/* LS_KERAS_2_0, LS_KERAS_2_2: Keras 2.0-2.1.2 and 2.1.3-2.2.x on TensorFlow 1.x, as
 * LS_KERAS_2 except a frozen BatchNormalization in fit (nn_bn_frozen). */
typedef enum { LS_KERAS_2 = 0, LS_KERAS_TF211, LS_KERAS_3, LS_KERAS_2_0, LS_KERAS_2_2 } ls_profile;

typedef struct {
    nn_optimizer_cfg opt;
    bool lr_alias;          /* written as lr= (ignored under LS_KERAS_TF211, an error under 3) */
    ls_loc lr_loc;          /* where lr= was written */
    nn_loss_kind loss;
    bool from_logits;       /* BinaryCrossentropy(from_logits=True), ... (issue 15) */
    bool accuracy;          /* metrics=['accuracy'] */
    ls_profile profile;
    ls_loc loc;
} ls_compile;

typedef struct {
    int batch;              /* default 20 */
    uint64_t seed;          /* default 1 */
    int validate_every;     /* steps between validation passes; 0 = only when asked */
} ls_fit;

/* ---- steps ---- */
typedef enum {
    LS_ACT_RUN = 0,         /* n steps */
    LS_ACT_PLAY,
    LS_ACT_PAUSE,
    LS_ACT_FREEZE,          /* layer; recompile (default true, as a student would) */
    LS_ACT_UNFREEZE,        /* layer; recompile */
    LS_ACT_COMPILE,         /* recompile now (trainable flags take effect) */
    LS_ACT_RATE,            /* layer, value */
    LS_ACT_MODE,            /* flag: true = training, false = inference */
    LS_ACT_EXAMPLE,         /* n: batch example shown; -1 = whole batch */
    LS_ACT_FOCUS_VIEW,      /* view: "graph", "mask", "metrics", "weights", "batch", "lesson" */
    LS_ACT_FOCUS_LAYER,     /* layer */
    LS_ACT_RESET,           /* re-initialise trainable weights (and reload the base) */
    LS_ACT_SEED,            /* n */
    LS_ACT_LR,              /* value */
    LS_ACT_VALIDATE,        /* run a validation pass now */
    LS_ACT_PREDICT,         /* one inference forward over the current batch */
    LS_ACT_MC,              /* n passes over the batch with dropout on (training=True);
                             * flag: one mask held fixed across the passes */
    LS_ACT_COMPARE,         /* twin runs of n steps each from a reset, the Dropout layer's
                             * rate value then value2 */
} ls_action_kind;

typedef struct {
    ls_action_kind kind;
    long n;
    double value;           /* RATE: the rate as written (Keras's Python float); LR: a float */
    double value2;          /* COMPARE: the second twin's rate */
    bool flag;              /* MODE: training; FREEZE/UNFREEZE: recompile */
    char layer[LS_NAME_MAX];
    char view[16];
    ls_loc loc;
} ls_action;

typedef enum {
    LS_Q_LOSS = 0,          /* last step's batch loss */
    LS_Q_ACCURACY,
    LS_Q_VAL_LOSS,
    LS_Q_VAL_ACCURACY,
    LS_Q_DROPPED,           /* layer: dropped fraction of the last step, whole batch */
    LS_Q_WEIGHT_CHANGE,     /* layer: max |dW| since the lesson step began */
    LS_Q_LAST_CHANGE,       /* layer: max |dW| of the last optimizer step */
    LS_Q_PARAMS_TOTAL,
    LS_Q_PARAMS_TRAINABLE,
    LS_Q_PARAMS_NON_TRAINABLE,
    LS_Q_LAYER_PARAMS,      /* layer */
    LS_Q_LR,                /* effective learning rate */
    LS_Q_MASK_ACTIVE,       /* layer: 1 if the last forward drew a mask, else 0 */
    LS_Q_KEPT_SCALE,        /* layer: the scale of kept units, 1/(1-rate) exactly (1 if no mask) */
    LS_Q_MEAN_RATIO,        /* layer: mean(output)/mean(input) of the last forward */
    LS_Q_DEAD_GRAD,         /* layer: max |grad| flowing into units its mask dropped */
    LS_Q_STEPS,             /* optimizer steps taken */
    LS_Q_DROPPED_UNIT_CHANGE, /* layer (Dropout): max |dW| of the last step over the incoming
                               * weights and bias of the units its mask dropped for every
                               * example of the batch (the layer feeding it must be Dense) */
    LS_Q_DROPPED_CHANNELS,  /* layer (Dropout): fraction of (example, channel) pairs whose
                             * every position was dropped in the last forward */
    LS_Q_MIXED_CHANNELS,    /* layer (Dropout): fraction of (example, channel) pairs with some
                             * positions kept and some dropped (0 for channel-wise dropout) */
    LS_Q_STEPS_IN_STEP,     /* optimizer steps taken since this lesson step began (the mark) */
    LS_Q_LOSS_DROPOUT_ON,   /* the shown batch's loss now, dropout on with the last step's mask */
    LS_Q_LOSS_DROPOUT_OFF,  /* the shown batch's loss now, dropout off (as validation runs) */
    LS_Q_LOSS_DROPOUT_GAP,  /* the first minus the second */
    LS_Q_MC_SPREAD,         /* last `mc dropout`: mean over examples of the passes' std */
    LS_Q_MC_MAX_SPREAD,     /* ... the largest example's std */
    LS_Q_MC_GAP,            /* ... mean over examples of |mean of the passes - inference| */
    LS_Q_KEEP_FREQ,         /* layer: mean over units of the fraction of masks keeping it,
                             * over the masks drawn since the lesson step began */
    LS_Q_KEEP_FREQ_LOW,     /* layer: the lowest unit's keep fraction */
    LS_Q_KEEP_FREQ_HIGH,    /* layer: the highest unit's keep fraction */
    LS_Q_MASKS_SEEN,        /* layer: per-example masks drawn since the lesson step began */
    LS_Q_DISTINCT_MASKS,    /* layer: how many of them differ from each other */
    LS_Q_REPEATED_MASKS,    /* layer: masks seen minus distinct masks */
    /* the last `compare`'s twins, at the end of each: the whole training set's loss and
     * the validation loss and accuracy (dropout off, as model.evaluate), and the gap
     * val_loss - training loss. Twin 1 then twin 2, in this order. */
    LS_Q_TWIN1_TRAIN_LOSS,
    LS_Q_TWIN1_VAL_LOSS,
    LS_Q_TWIN1_VAL_ACC,
    LS_Q_TWIN1_GAP,
    LS_Q_TWIN2_TRAIN_LOSS,
    LS_Q_TWIN2_VAL_LOSS,
    LS_Q_TWIN2_VAL_ACC,
    LS_Q_TWIN2_GAP,
    LS_Q_TWIN_GAP_DIFF,     /* first twin's gap minus the second's */
    LS_Q_TWIN_VAL_LOSS_DIFF, /* first twin's val_loss minus the second's */
    LS_Q_TWIN_TRAIN_LOSS_DIFF, /* first twin's training loss minus the second's */
    LS_Q_TWIN_VAL_ACC_DIFF, /* first twin's val_accuracy minus the second's */
    LS_Q_MEAN_ABS_ACT,      /* layer: mean |output| over the last forward's batch */
    LS_Q_BN_MEAN,           /* layer (BatchNormalization): mean over channels of its moving mean */
    LS_Q_BN_VAR,            /* ... of its moving variance */
    LS_Q_BN_MEAN_CHANGE,    /* ... max |change| of the moving mean since the lesson step began */
    LS_Q_BN_VAR_CHANGE,     /* ... of the moving variance */
} ls_quantity;

typedef enum { LS_CMP_LT = 0, LS_CMP_LE, LS_CMP_GT, LS_CMP_GE, LS_CMP_EQ, LS_CMP_WITHIN } ls_cmp;

typedef struct {
    ls_quantity q;
    char layer[LS_NAME_MAX];
    ls_cmp cmp;
    double a, b;            /* WITHIN: a..b inclusive; else a */
    char *text;             /* the expectation as written, for reports */
    ls_loc loc;
} ls_expect;

typedef struct {
    char *prompt;
    int n_choices;
    char **choices;
    int answer;             /* 0-based */
    char *explanation;
    ls_loc loc;
} ls_question;

typedef enum { LS_ITEM_TEXT = 0, LS_ITEM_ACTION, LS_ITEM_EXPECT, LS_ITEM_QUESTION } ls_item_kind;
typedef struct {
    ls_item_kind kind;
    union {
        char *text;         /* a paragraph */
        ls_action action;
        ls_expect expect;
        ls_question question;
    } u;
} ls_item;

/* The most items one step holds (the parser refuses more). Anything that numbers a
 * step's items (e.g. the window's result tags) must leave room for this many. */
#define LS_STEP_MAX_ITEMS 1024

typedef struct {
    char *title;
    int n_items;            /* at most LS_STEP_MAX_ITEMS */
    ls_item *items;         /* in file order: the runner executes them in order */
    ls_loc loc;
} ls_step;

typedef struct {
    char *path;
    char *title;
    char *summary;
    ls_data data;
    /* 'model Sequential(name="...")' or 'model Model(name="...")': the kind of Keras model
     * and its name, as summary() prints them (a Sequential has no InputLayer row). Bare
     * 'model': a functional Model named "model". */
    bool model_sequential;
    char model_name[LS_NAME_MAX];
    int n_decls;
    ls_decl *decls;
    ls_compile compile;
    ls_fit fit;
    int n_steps;
    ls_step *steps;
    char *notes;            /* 'notes' block: what an import did not read, one per line; NULL if none */
} ls_lesson;

/* Parses the lesson file at path. Returns NULL on any error with "path:line:col: what
 * was expected" in err. Layer names used in steps are checked against the model at
 * parse time. The caller owns the result. */
ls_lesson *ls_lesson_load(const char *path, char *err, size_t errlen);
/* Same from a buffer; name is used in messages. */
ls_lesson *ls_lesson_parse(const char *name, const char *text, size_t len, char *err,
                           size_t errlen);
void ls_lesson_destroy(ls_lesson *l);   /* NULL is fine */

/* ---- Appended with parse.c/build.c (docs/lesson-format.md) ---- */

/* A step may name a layer or a whole base: the base's name (default: its kind,
 * "fashion_cnn"), or "base" when the lesson has exactly one. Resolves name against m
 * (built from l) to the layers [*first, *first + *count). Returns 0, or -1 if unknown. */
int ls_lesson_find_layers(const ls_lesson *l, const nn_model *m, const char *name,
                          int *first, int *count);

/* `==` on a real-valued quantity holds within this relative tolerance:
 * |measured - a| <= LS_EQ_REL_TOL * max(|measured|, |a|). Counts (params, steps,
 * mask active) compare exactly; <, <=, >, >= and within compare exactly. */
#define LS_EQ_REL_TOL 1e-6
/* True when measured meets e (NaN never does). */
bool ls_expect_holds(const ls_expect *e, double measured);

/* Builds the lesson's model (not finalized) as declared: bases expanded, names given,
 * frozen flags set. NULL with "file:line:col: ..." or the layer named in err. */
nn_model *ls_lesson_build_model(const ls_lesson *l, char *err, size_t errlen);
/* The models inside the model (`in NAME`) as rows of Keras's summary, in layer order:
 * a base "Functional", consecutive layers "Sequential". Names point into l. Returns how
 * many (at most cap). */
int ls_lesson_nested_groups(const ls_lesson *l, nn_summary_group *g, int cap);

#endif
