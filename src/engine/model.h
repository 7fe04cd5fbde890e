/* A model: a DAG of named Keras-style layers in topological order, compiled with a loss
 * and an optimizer, trained one batch at a time.
 *
 * Ownership: the model owns its layers, parameters, buffers and optimizer state.
 * Errors: functions returning int give 0 on success and -1 on failure; pointer
 * functions give NULL. The reason, naming the layer, is in nn_model_error(m).
 * Never includes SDL. */
#ifndef NN_MODEL_H
#define NN_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ops.h"
#include "rng.h"
#include "shape.h"

#define NN_NAME_MAX 64
#define NN_MAX_PARAMS 4
/* Inputs one layer may take (a Concatenate of InceptionV3 takes 4; the limit bounds the
 * stack arrays of the forward and backward passes). */
#define NN_MAX_INPUTS 64
/* Per-channel constants a Rescaling or Normalization layer can be given. */
#define NN_MAX_COEF 16

typedef enum {
    NN_INPUT = 0,
    NN_DENSE,
    NN_CONV2D,
    NN_MAXPOOL2D,
    NN_AVGPOOL2D,
    NN_GAP2D,
    NN_BATCHNORM,
    NN_ACTIVATION,
    NN_FLATTEN,
    NN_DROPOUT,
    NN_CONCAT,
    /* the keras.applications bases' layers (src/engine/layer_extra.c) */
    NN_ZEROPAD2D,
    NN_DEPTHWISE_CONV2D,
    NN_SEPARABLE_CONV2D,
    NN_ADD,
    NN_MULTIPLY,
    NN_RELU,            /* the ReLU layer class (max_value); Activation('relu') is NN_ACTIVATION */
    NN_RESHAPE,
    NN_GMP2D,
    NN_RESCALING,
    NN_NORMALIZATION,
    NN_AUGMENT,         /* RandomFlip, RandomRotation, RandomZoom, RandomTranslation (augment_layer.c) */
    NN_LAYER_TYPE_COUNT
} nn_layer_type;

/* Which Keras class an NN_DROPOUT layer is. The dropout family shares one layer type
 * so that everything reading a Dropout's mask (trace, recorder, window, measurements)
 * reads theirs; the kind picks the arithmetic (src/engine/dropout.c). */
typedef enum {
    NN_DROP_PLAIN = 0,      /* Dropout (with or without noise_shape) */
    NN_DROP_SPATIAL1D,      /* SpatialDropout1D: noise shape (N, 1, C) on (N, steps, C) */
    NN_DROP_SPATIAL2D,      /* SpatialDropout2D: (N, 1, 1, C) on (N, H, W, C) */
    NN_DROP_SPATIAL3D,      /* SpatialDropout3D: (N, 1, 1, 1, C) on (N, D, H, W, C) */
    NN_DROP_GAUSSIAN,       /* GaussianDropout: multiplicative N(1, rate/(1-rate)) noise */
    NN_DROP_ALPHA,          /* AlphaDropout: dropped units set to alpha_p, then affine */
    NN_DROP_KIND_COUNT
} nn_dropout_kind;

/* Which Keras class an NN_AUGMENT layer is. The four random image augmentations share
 * one layer type: each draws one affine map per example in training (and is the identity
 * in inference, like Dropout); the kind says how the map is drawn (src/engine/augment.c). */
typedef enum {
    NN_AUG_FLIP = 0,        /* RandomFlip(mode) */
    NN_AUG_ROTATION,        /* RandomRotation(factor): fractions of a full turn */
    NN_AUG_ZOOM,            /* RandomZoom(height_factor, width_factor) */
    NN_AUG_TRANSLATION,     /* RandomTranslation(height_factor, width_factor) */
    NN_AUG_KIND_COUNT
} nn_augment_kind;

/* RandomFlip's mode as bits: 'horizontal' = left-right, 'vertical' = up-down. */
#define NN_FLIP_HORIZONTAL 1
#define NN_FLIP_VERTICAL 2

/* Where a point outside the image reads (Keras's fill_mode), and how a point between
 * pixels is read (interpolation); TF's ImageProjectiveTransformV3 semantics. */
typedef enum { NN_FILL_REFLECT = 0, NN_FILL_WRAP, NN_FILL_CONSTANT, NN_FILL_NEAREST, NN_FILL_COUNT } nn_fill_mode;
typedef enum { NN_INTERP_BILINEAR = 0, NN_INTERP_NEAREST, NN_INTERP_COUNT } nn_interp;

/* What an augmentation layer drew for one example in a training forward, and the
 * projective transform [a0 a1 a2 b0 b1 b2 c0 c1] it applied: output pixel (x, y) reads
 * the input at ((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k), k = c0 x + c1 y + 1. */
typedef struct {
    uint8_t flip;           /* NN_FLIP_* bits that were applied */
    float angle;            /* radians; positive turns the image counter-clockwise */
    float zoom_x, zoom_y;   /* 1 = none; > 1 zoomed out (shows more), < 1 zoomed in */
    float dx, dy;           /* pixels; the image moves right and down */
    float t[8];
} nn_augment_draw;
/* Keras's training= on a layer call (issue 15). FOLLOW: the pass's own mode (fit
 * trains; predict, evaluate and validation infer). ALWAYS (training=True): Dropout masks
 * in every pass, predict included (Monte Carlo dropout); a BatchNormalization that
 * trains uses batch statistics. NEVER (training=False): Dropout is the identity and
 * BatchNormalization normalises with its moving statistics and never updates them, even
 * in fit; gradients still flow and its gamma/beta still train if it trains. A base called
 * with training=False gives NEVER to every layer inside it. */
typedef enum { NN_TRAIN_FOLLOW = 0, NN_TRAIN_ALWAYS, NN_TRAIN_NEVER } nn_train_mode;

/* Keras class name ("Dense", "Conv2D", "InputLayer", ...). */
const char *nn_layer_type_name(nn_layer_type t);
/* Keras's snake-case base for automatic names ("dense", "conv2d", "input", ...). */
const char *nn_layer_type_prefix(nn_layer_type t);
/* Parses a Keras class name (case-sensitive, also accepts snake-case aliases such as
 * "max_pooling2d"); returns -1 if unknown. */
int nn_layer_type_parse(const char *s);
const char *nn_act_name(nn_act a);
/* "relu", "sigmoid", "softmax", "linear", "relu6", "swish" (also None/"none", and
 * Keras 3's "silu" for swish); -1 if unknown. */
int nn_act_parse(const char *s);

/* Everything needed to add a layer. Unused fields are ignored; start from
 * nn_layer_cfg_default(type), which holds Keras's defaults. */
typedef struct {
    nn_layer_type type;
    const char *name;     /* NULL or "": Keras-style automatic name (dense, dense_1, ...) */
    nn_shape shape;       /* Input: one example's shape */
    int units;            /* Dense */
    int filters;          /* Conv2D */
    int kh, kw;           /* Conv2D kernel size, pooling pool size */
    int sh, sw;           /* strides (pooling: default = pool size) */
    nn_padding padding;
    nn_act act;           /* Dense, Conv2D, Activation */
    bool use_bias;        /* Dense, Conv2D */
    double rate;          /* Dropout (double: Keras computes 1/(1-rate) from a Python float) */
    nn_dropout_kind drop_kind; /* Dropout: which class of the family */
    /* Dropout, AlphaDropout: Keras's noise_shape, batch axis first; noise_rank 0 = none
     * (one draw per element). Entries: 0 = None (the input's extent), 1 = one draw shared
     * along that axis, or the input's extent. SpatialDropoutND fill it in when added. */
    int noise_rank;
    int noise_shape[NN_MAX_RANK + 1];
    float eps, momentum;  /* BatchNormalization (Keras: 1e-3, 0.99) */
    bool center, scale;   /* BatchNormalization (Keras: true, true) */
    bool trainable;       /* false: frozen from the start */
    int pad[4];           /* ZeroPadding2D: top, bottom, left, right */
    int depth_multiplier; /* DepthwiseConv2D, SeparableConv2D (Keras: 1) */
    float max_value;      /* ReLU: INFINITY = None (Keras's default) */
    nn_shape target_shape; /* Reshape: one example's shape; one entry may be -1 */
    /* Rescaling: coef_a = scale, coef_b = offset; Normalization: coef_a = mean, coef_b =
     * variance, as given to the constructor. coef_n values per channel (1: the same for
     * every channel). Normalization with coef_n 0 keeps Keras's adapted weights instead
     * (mean, variance, count: non-trainable, loaded from a weights file). */
    int coef_n;
    float coef_a[NN_MAX_COEF], coef_b[NN_MAX_COEF];
    /* Random augmentation (NN_AUGMENT). aug_flip: RandomFlip's NN_FLIP_* bits. Factor
     * ranges [aug_lo, aug_hi], as Keras turns a float f into (-f, f): [0] RandomRotation's
     * factor (fractions of 2 pi) or the height_factor, [1] the width_factor; aug_width_same:
     * RandomZoom's width_factor=None (the width zooms as the height). */
    nn_augment_kind aug_kind;
    int aug_flip;
    float aug_lo[2], aug_hi[2];
    bool aug_width_same;
    nn_fill_mode fill_mode;
    nn_interp interp;
    float fill_value;
    nn_train_mode training; /* the call's training= (Dropout family, BatchNormalization) */
} nn_layer_cfg;

/* "None", "True", "False": the training= a layer was called with, as Keras writes it. */
const char *nn_train_mode_name(nn_train_mode t);
/* Whether a layer so configured runs in training mode in a pass whose own mode is
 * `training` (before trainable=False, which BatchNormalization also obeys). */
bool nn_layer_training(const nn_layer_cfg *c, bool training);

nn_layer_cfg nn_layer_cfg_default(nn_layer_type type);
/* The Keras class and automatic-name base of a layer as configured: the type's, except
 * for the dropout family ("SpatialDropout2D" / "spatial_dropout2d", ...). */
const char *nn_layer_class_name(const nn_layer_cfg *c);
const char *nn_layer_class_prefix(const nn_layer_cfg *c);

/* A parameter tensor, named as in Keras ("kernel", "bias", "gamma", "beta",
 * "moving_mean", "moving_variance"). */
typedef struct {
    char name[24];
    nn_shape shape;
    size_t size;
    float *data;        /* size floats */
    float *grad;        /* size floats; NULL for statistics (never trained) */
    float *slot[2];     /* optimizer state; allocated on first update, never for frozen */
    bool is_stat;       /* BN moving statistics: always non-trainable */
} nn_param;

typedef struct nn_layer {
    char name[NN_NAME_MAX];
    nn_layer_type type;
    nn_layer_cfg cfg;       /* as given (name pointer cleared) */
    int index;              /* position in the model */
    int n_inputs;
    int *inputs;            /* indices of producer layers, all < index; at most NN_MAX_INPUTS */
    nn_shape out_shape;     /* one example */
    size_t out_size;        /* elements per example */

    /* trainable: the live Keras flag (what summary() shows).
     * train_active: the flag as of the last compile; what training obeys. */
    bool trainable;
    bool train_active;

    int n_params;
    nn_param params[NN_MAX_PARAMS];

    /* Per-batch buffers, batch_cap examples. */
    float *out;             /* layer output */
    float *dout;            /* gradient w.r.t. out (NULL if no gradient flows here) */
    float *logits;          /* output layer with sigmoid/softmax: pre-activation values */
    uint8_t *mask;          /* Dropout: 1 = kept, batch_cap * out_size */
    size_t dropped;         /* Dropout: dropped count in the last training forward */
    float *noise;           /* GaussianDropout: each element's multiplier in the last
                             * training forward (batch_cap * out_size); NULL otherwise */
    bool mask_valid;        /* Dropout: the last forward drew a mask (training mode) */
    float *aux;             /* layer scratch (BN xhat, conv im2col, ...) */
    float *aux2;            /* BN mean and invstd; Rescaling/Normalization per-channel constants */
    float *preact;          /* swish activation on Dense/Conv layers: the pre-activation */
    int32_t *argmax;        /* MaxPooling2D */
    bool bn_used_batch_stats; /* BN: last forward normalised with batch statistics */
    /* Dropout: when set, training forwards use this mask (batch_cap * out_size, owned by
     * the caller) instead of drawing one: for reference tests and replays. */
    const uint8_t *mask_override;
    bool needs_grad;        /* backward reaches this layer (set at compile) */
    /* Augmentation: each example's draw in the last forward (batch_cap entries), valid
     * when mask_valid (a training forward drew them); NULL for other layers. */
    nn_augment_draw *aug;

    /* Weight change in the last step, over all this layer's weights (not statistics
     * for dw_max, statistics included in stat_max). Frozen layers are compared against
     * a copy, so a 0 here is measured, not assumed. */
    float dw_max;
    double dw_norm;
    float stat_max;
    float **frozen_copy;    /* per param, for frozen layers */
} nn_layer;

typedef enum { NN_OPT_SGD = 0, NN_OPT_RMSPROP, NN_OPT_ADAM, NN_OPT_ADAGRAD, NN_OPT_ADADELTA, NN_OPT_COUNT } nn_opt_kind;
typedef enum { NN_LOSS_BCE = 0, NN_LOSS_SCCE } nn_loss_kind;

typedef struct {
    nn_opt_kind kind;
    float lr;
    float momentum;         /* SGD, RMSprop */
    bool nesterov;          /* SGD */
    float rho;              /* RMSprop */
    float eps;              /* RMSprop, Adam */
    bool eps_inside_sqrt;   /* RMSprop: false = Keras 2 (TF <= 2.10), true = TF 2.11+/Keras 3 */
    float beta1, beta2;     /* Adam */
    float initial_accumulator; /* Adagrad: initial_accumulator_value (Keras 0.1) */
    /* Keras 2's decay= (all optimizers): the step at iteration t (0 first) uses
     * lr / (1 + decay * t). 0 = none. */
    float decay;
} nn_optimizer_cfg;

/* Keras defaults for kind (SGD lr 0.01; RMSprop lr 1e-3 rho 0.9 eps 1e-7; Adam 1e-3,
 * 0.9, 0.999, 1e-7; Adagrad lr 1e-3, initial_accumulator_value 0.1, eps 1e-7; Adadelta
 * lr 1e-3, rho 0.95, eps 1e-7). Update rules (TF's kernels):
 * Adagrad: acc += g^2; w -= lr * g / (sqrt(acc) + eps).
 * Adadelta: acc = rho acc + (1 - rho) g^2; u = sqrt(acc_u + eps) / sqrt(acc + eps) * g;
 *           acc_u = rho acc_u + (1 - rho) u^2; w -= lr * u. */
nn_optimizer_cfg nn_optimizer_default(nn_opt_kind kind);
const char *nn_opt_name(nn_opt_kind k);
int nn_opt_parse(const char *s);          /* "sgd", "rmsprop", "adam", "adagrad", "adadelta", any case; -1 */
const char *nn_loss_name(nn_loss_kind k); /* "binary_crossentropy", ... */
int nn_loss_parse(const char *s);

/* What a frozen (trainable=False) BatchNormalization does in fit, by Keras version
 * (KERAS_SEMANTICS.md). INFER: TF 2's tf.keras, inference mode (moving statistics, never
 * updated). BATCH: Keras 2.1.3-2.2.x on TF 1.x, still the batch's statistics in fit,
 * moving statistics left alone (the release notes of 2.1.3; keras-team/keras#9522,
 * #9965). BATCH_UPDATE: Keras 2.0-2.1.2, batch statistics and the moving averages still
 * updated (only gamma and beta frozen; keras-team/keras#4762). Predict and evaluate use
 * the moving statistics in all three. */
typedef enum { NN_BN_FROZEN_INFER = 0, NN_BN_FROZEN_BATCH, NN_BN_FROZEN_BATCH_UPDATE } nn_bn_frozen;

typedef struct nn_model {
    char name[NN_NAME_MAX];
    int n_layers;
    nn_layer **layers;
    int output;             /* index of the output layer (default: last added) */
    bool finalized;
    bool compiled;
    nn_optimizer_cfg opt;
    nn_loss_kind loss;
    /* Keras's from_logits=True: the output layer is linear and the loss reads its raw
     * outputs; 'accuracy' then thresholds them at 0.5 as Keras's binary_accuracy does
     * (on logits, not probabilities). Set before compile; kept by later compiles. */
    bool from_logits;
    long iterations;        /* optimizer steps taken (Adam's t) */
    int batch_cap;          /* examples the buffers hold */
    int lowest_trainable;   /* lowest layer index that trains, or n_layers */
    nn_rng dropout_rng;     /* the masks' stream */
    /* The augmentation layers' draws: a stream of their own (Keras gives each random
     * layer its own seed generator), so adding RandomFlip leaves the masks as they were. */
    nn_rng augment_rng;
    bool verify_frozen;     /* compare frozen weights to a copy every step (default on) */
    nn_bn_frozen bn_frozen; /* a frozen BatchNormalization in fit (default: TF 2's) */
    /* Limit on bytes of buffers + parameters; 0 = none. Building or resizing beyond it
     * fails before allocating, naming the numbers. */
    size_t memory_budget;
    size_t memory_used;     /* parameter bytes */
    size_t memory_used_act; /* activation, gradient and scratch bytes at batch_cap */
    char nonfinite_layer[NN_NAME_MAX]; /* set when an update met a non-finite value */
    char err[512];
} nn_model;

nn_model *nn_model_create(const char *name);
void nn_model_destroy(nn_model *m);   /* NULL is fine */
const char *nn_model_error(const nn_model *m);

/* Adds a layer fed by inputs[0..n_inputs). Checks shapes (Dense needs rank 1, Conv2D
 * rank 3, Concatenate equal H,W, ...), names (unique; automatic if empty).
 * Returns the new layer's index, or -1. */
int nn_model_add(nn_model *m, const nn_layer_cfg *cfg, const int *inputs, int n_inputs);
/* Convenience: one input, the previous layer (or none for Input). */
int nn_model_push(nn_model *m, const nn_layer_cfg *cfg);
int nn_model_find(const nn_model *m, const char *name);   /* index or -1 */
nn_layer *nn_model_layer(nn_model *m, int i);

/* Allocates parameters and initialises them from init_rng (glorot_uniform kernels,
 * zero biases, BN gamma 1 beta 0 mean 0 var 1), in layer order. */
int nn_model_finalize(nn_model *m, nn_rng *init_rng);
/* Re-initialises every parameter from init_rng and clears optimizer state. */
int nn_model_reinit(nn_model *m, nn_rng *init_rng);

/* Sets the live trainable flag (what summary shows). Takes effect for training only
 * after nn_model_compile (as in Keras). */
int nn_model_set_trainable(nn_model *m, int layer, bool trainable);
/* Sets a Dropout layer's rate: 0 <= rate <= 1 (rate 1 fails at the next training
 * forward, as in Keras). Effective from the next step. */
int nn_model_set_dropout_rate(nn_model *m, int layer, double rate);
/* Sets the optimizer's learning rate, effective from the next update. -1 unless lr is a
 * finite number >= 0. */
int nn_model_set_lr(nn_model *m, float lr);
/* What the Dropout masks' generator is seeded with: seed ^ NN_DROPOUT_SEED_SALT, so
 * that the masks' stream differs from the initialiser's and the batcher's, which take
 * the seed itself. Changing the salt changes every seeded record. */
#define NN_DROPOUT_SEED_SALT 0x5eedd20bULL
/* The augmentation draws' generator: seed ^ NN_AUGMENT_SEED_SALT. */
#define NN_AUGMENT_SEED_SALT 0xa09e47c1ULL
/* Seeds the masks' generator (m->dropout_rng) and the augmentation draws' (m->augment_rng)
 * from a run's seed. */
void nn_model_seed_dropout(nn_model *m, uint64_t seed);
/* Snapshot trainable flags into train_active, set loss and optimizer. Optimizer
 * state of tensors that stay trainable is kept. Checks the loss fits the output
 * (BCE: one unit; SCCE: >= 2 units). */
int nn_model_compile(nn_model *m, const nn_optimizer_cfg *opt, nn_loss_kind loss);

/* from_logits for the next compile (see nn_model.from_logits). */
void nn_model_set_from_logits(nn_model *m, bool on);

/* Ensures buffers for batches up to n. */
int nn_model_reserve(nn_model *m, int n);

/* Forward pass over n examples x (n * input size floats). training selects Dropout
 * and BatchNormalization behaviour (frozen BN always runs in inference mode).
 * Returns 0, or -1 (e.g. Dropout rate 1 in training). */
int nn_model_forward(nn_model *m, const float *x, int n, bool training);
/* Loss and number correct for the last forward; dlogits are stored in the output
 * layer's dout when want_grad. */
double nn_model_loss(nn_model *m, const int32_t *labels, int n, int *correct, bool want_grad);
/* Sum (not mean) of the per-example losses of the last forward, added one example at a
 * time so that evaluating a set gives the same bits however it is cut into chunks. */
double nn_model_loss_sum(nn_model *m, const int32_t *labels, int n, int *correct);
/* Backward from the output layer's dout, down to the lowest trainable layer. */
int nn_model_backward(nn_model *m, int n);
/* Optimizer update of every train_active parameter; records per-layer weight change. */
int nn_model_update(nn_model *m);

typedef struct {
    double loss;
    double accuracy;
    int n;
    bool finite;            /* false: loss or a weight became NaN/Inf */
    char nonfinite_layer[NN_NAME_MAX]; /* first layer (in order) with a non-finite value */
} nn_step_result;

/* One training step: forward (training=true), loss, backward, update.
 * On a non-finite loss or weight: returns -1, res->finite false and the layer named in
 * both res and the error. */
int nn_model_train_step(nn_model *m, const float *x, const int32_t *labels, int n,
                        nn_step_result *res);
/* Evaluation and prediction cut a set into chunks of this many examples (growing the
 * buffers to hold one chunk if needed); callers that must keep a step's buffers intact
 * reserve at least this much up front. */
#define NN_EVAL_CHUNK 32
int nn_model_eval_chunk(nn_model *m);
/* Inference-mode loss and accuracy over n examples, in chunks of NN_EVAL_CHUNK. */
int nn_model_evaluate(nn_model *m, const float *x, const int32_t *labels, int n,
                      double *loss, double *accuracy);

/* Parameter counts as Keras's summary() counts them (live trainable flags). */
typedef struct {
    size_t total, trainable, non_trainable;
} nn_param_counts;
nn_param_counts nn_model_count_params(const nn_model *m);
size_t nn_layer_param_count(const nn_layer *l);
/* Writes a Keras-style model.summary() (with a Trainable column) to f. */
void nn_model_summary(const nn_model *m, FILE *f);
/* A model inside the model, as Keras's summary shows it without expand_nested: layers
 * [first, last] as one row "name (cls)" ("mobilenetv2_1.00_160 (Functional)",
 * "sequential (Sequential)") with the last layer's output shape, the layers' parameters
 * summed, Trainable "Y" when any of them is, and named so where a layer reads it. */
typedef struct {
    int first, last;
    const char *name, *cls;
} nn_summary_group;
/* How nn_model_summary_nested prints: the groups (ordered, disjoint; n_groups 0: none)
 * as one row each; sequential: a Keras Sequential model, whose summary has no
 * InputLayer row (its model.layers does not hold one). */
typedef struct {
    const nn_summary_group *groups;
    int n_groups;
    bool sequential;
} nn_summary_opts;
void nn_model_summary_nested(const nn_model *m, const nn_summary_opts *o, FILE *f);

/* Input and output sizes per example. */
size_t nn_model_input_size(const nn_model *m);
size_t nn_model_output_size(const nn_model *m);

/* ---- Frozen prefix (issue 6; src/engine/prefix.c) ----
 * A frozen, deterministic prefix computes the same outputs for an example at every step,
 * so they can be computed once and the rest of the model trained from them. */

/* The largest layer index p (0 < p < output) such that every layer after p reads only
 * p and layers after it, and no layer up to p trains (train_active, i.e. as of the last
 * compile), is a Dropout (unless called with training=False), or is a BatchNormalization that would run in training mode.
 * -1 when there is none. */
int nn_model_frozen_prefix(const nn_model *m);
/* Runs layers 0..layer (inference mode) over n examples x, in chunks of the buffer
 * size, and writes layer's outputs (n * its out_size floats) to act. */
int nn_model_prefix_outputs(nn_model *m, int layer, const float *x, int n, float *act);
/* Forward pass with layer's outputs given: act (n * its out_size floats) is copied into
 * its out buffer and only the layers after it run. Layers before it are skipped and
 * keep stale outputs. Valid when layer is a prefix as nn_model_frozen_prefix defines. */
int nn_model_forward_from(nn_model *m, int layer, const float *act, int n, bool training);
/* nn_model_train_step and nn_model_evaluate from a prefix's outputs; bit-identical to
 * the full versions when act holds what the prefix computes for these examples in this
 * batch. (OpenBLAS's SGEMM rounds a row differently depending on where it sits in the
 * matrix, so the full model itself gives an example last-bit-different activations in
 * a different batch; outputs cached from another batch differ from a recomputation by
 * that much, ~1e-7 relative.) */
int nn_model_train_step_from(nn_model *m, int layer, const float *act, const int32_t *labels,
                             int n, nn_step_result *res);
int nn_model_evaluate_from(nn_model *m, int layer, const float *act, const int32_t *labels,
                           int n, double *loss, double *accuracy);
/* ---- end of frozen prefix ---- */

#endif
