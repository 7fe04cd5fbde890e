/* A per-step snapshot of what training did: what the window and the recorder read.
 * A snapshot is a deep copy: it stays valid while the model trains on.
 * Never includes SDL. */
#ifndef NN_TRACE_H
#define NN_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

typedef struct {
    int layer;              /* index of the Dropout layer */
    int source;             /* index of the layer whose outputs it masks */
    char name[NN_NAME_MAX];
    char source_name[NN_NAME_MAX];
    float rate;
    int units;              /* elements per example */
    bool has_mask;          /* false in inference mode: no mask was drawn */
    uint8_t *mask;          /* [batch * units], 1 = kept */
    float *act;             /* [batch * units], the Dropout layer's input */
    size_t dropped;         /* over the whole batch */
    int kind;               /* nn_dropout_kind: Dropout, SpatialDropoutND, Gaussian, Alpha */
    nn_shape shape;         /* one example's shape of the masked outputs ((H, W, C) maps) */
    bool channelwise;       /* one draw per (example, channel), broadcast over the rest */
    float *noise;           /* GaussianDropout: [batch * units] multipliers; else NULL */
    /* The masked layer's gradient, when it is a Dense that trains: per unit, the largest
     * |dL/dw| over the unit's incoming weights (its kernel column and bias) in the last
     * backward ([units]); NULL otherwise. */
    float *unit_grad;
    int train_mode;         /* nn_train_mode of its call: ALWAYS masks at predict too */
} nn_trace_dropout;

/* A random augmentation layer (RandomFlip, RandomRotation, RandomZoom, RandomTranslation)
 * in the step: what it drew for each example, or nothing in inference (it passed the
 * images through, as Keras does outside training). */
typedef struct {
    int layer;
    char name[NN_NAME_MAX];
    int kind;               /* nn_augment_kind */
    bool active;            /* a training forward drew transforms */
    nn_augment_draw *draws; /* [batch] when active, else NULL */
} nn_trace_augment;

typedef struct {
    char name[NN_NAME_MAX];
    bool frozen;            /* not train_active in the step */
    size_t params;
    float dw_max;           /* max |w_after - w_before| this step */
    double dw_norm;         /* ||w_after - w_before||_2 */
    /* ||w||_2 after the step over the weights dw_norm covers (NAN for frozen layers: not
     * measured); dw_norm / w_norm is the relative change that tells layers apart. */
    double w_norm;
    /* ||dL/dw||_2 of the last backward over the same weights; NAN when none was computed
     * (frozen, no weights, or an inference step: see nn_trace.training). */
    double grad_norm;
    /* BatchNormalization: the mean over channels of moving_mean and moving_variance after
     * the step, and whether its forward normalised with batch statistics. NAN otherwise. */
    float bn_mean, bn_var;
    bool bn_batch_stats;
    int train_mode;         /* nn_train_mode of its call (or its base's): training= */
} nn_trace_layer;

typedef struct nn_trace {
    long step;              /* 1-based count of optimizer steps taken at this snapshot */
    bool training;          /* the step ran in training mode (Dropout active) */
    double loss, accuracy;  /* the step's batch, forward before the update */
    double val_loss, val_accuracy; /* NAN when not measured at this step */
    double steps_per_sec;
    float lr;
    int batch;              /* examples in the batch */
    int n_dropout;
    nn_trace_dropout *dropout;
    int n_layers;
    nn_trace_layer *layers;
    /* The batch: images (batch * img_size floats), labels, predicted probability
     * (binary: p(class 1); categorical: probability of the predicted class) and the
     * predicted class. */
    int img_h, img_w, img_c;
    float *images;
    int32_t *labels;
    float *probs;
    int32_t *pred;
    int32_t *indices;       /* each example's index in its source file, or NULL */
    /* Random augmentation layers, in model order, and the batch as the model saw it after
     * the last of them when they drew (training): [batch * img] in images' shape, NULL in
     * inference or without augmentation (the model then saw `images` as they are). */
    int n_augment;
    nn_trace_augment *augment;
    float *aug_images;
    bool finite;
    char nonfinite_layer[NN_NAME_MAX];
    /* Version of the model description the step ran under (the session's
     * ls_session_describe): a reader rereads the description when it changes. 0 when
     * no session set it. */
    unsigned desc_version;
    int opt_kind;           /* nn_opt_kind of the update */
    float opt_rho, opt_beta1; /* RMSprop's rho, Adam's beta_1 */
    float opt_momentum;     /* SGD, RMSprop */
    /* The step's batch with Dropout off (inference mode, the weights before the update):
     * the loss and accuracy validation would give it, beside loss/accuracy as trained
     * ("why is my validation loss lower?"). NAN when not measured. */
    double loss_off, accuracy_off;
    /* Monte Carlo dropout over this batch (passes forwards with training=True), when one
     * ran at this step: per example the mean and spread (std) of the probability `probs`
     * shows, beside the inference pass's; mc_passes 0 when none. */
    int mc_passes;
    bool mc_fixed_mask;     /* one mask held for every pass (the spread is then 0) */
    float *mc_mean, *mc_spread, *mc_inference;   /* [batch] */
} nn_trace;

/* One augmentation draw in words for a caption: "flipped left-right", "rotated 12 degrees
 * anticlockwise", "zoomed out x1.15", "shifted 2.0 px right, 1.0 px up"; "not flipped",
 * ... when it drew the identity. */
void nn_augment_describe(const nn_augment_draw *d, int kind, char *buf, size_t n);

/* Captures the model's state after a step (the last forward's masks and activations,
 * the last update's weight changes). x and labels are the step's batch (x may be
 * NULL: no images); indices may be NULL. Returns NULL on allocation failure.
 * The caller owns the result. */
nn_trace *nn_trace_capture(const nn_model *m, const nn_step_result *res, const float *x,
                           const int32_t *labels, const int32_t *indices, int n);
/* A deep copy; NULL when out of memory. */
nn_trace *nn_trace_clone(const nn_trace *t);
void nn_trace_destroy(nn_trace *t);    /* NULL is fine */
/* The one definition of `weight change`, for the weight panel and the lesson's
 * quantities alike. A layer's change in one step is dw_max, the largest |w_after -
 * w_before| over its weights; a run of layers (a base) takes the largest of theirs; over
 * several steps, the largest per step. A NaN anywhere makes the result NaN. */
double nn_change_pick(double acc, double c);
/* The change of layers [first, first + count) of m: this step's (since == NULL, the
 * lesson's `last change`) or the running maximum since a mark (`weight change`). */
double nn_model_change(const nn_model *m, int first, int count, const float *since);
/* Folds the step m just took into since[0 .. m->n_layers), a running maximum. */
void nn_change_fold(float *since, const nn_model *m);
/* The change of the trace's layers [first, first + count) in its step. */
double nn_trace_change(const nn_trace *t, int first, int count);
/* Attaches an MC dropout result over t's batch (copies of mean, spread, inference,
 * t->batch each). 0, or -1 out of memory (t unchanged). */
int nn_trace_set_mc(nn_trace *t, int passes, bool fixed_mask, const float *mean,
                    const float *spread, const float *inference);
/* Loss and accuracy of the batch in inference mode (Dropout off, BN on its moving
 * statistics): run it before the training step on the same batch. From layer `from`'s
 * outputs act when act is not NULL (a frozen prefix's cache), else from x. Overwrites
 * the layers' buffers and draws no random numbers. 0, or -1 with the model's error. */
int nn_model_loss_off(nn_model *m, int from, const float *act, const float *x, const int32_t *y,
                      int n, double *loss, double *accuracy);
/* The size every weight with a gradient moves by in the optimizer's first step, whatever
 * the gradient, and the most any weight moves in a later step (RMSprop without momentum:
 * lr / sqrt(1 - rho), eps neglected; Adam: lr, at its first step only). 0 when the
 * optimizer has no such ceiling (SGD, RMSprop with momentum; Adam after step 1). The
 * largest |dw| of a layer with many weights sits at it, whatever the layer. */
double nn_trace_step_ceiling(const nn_trace *t);
/* Dropped count of example k (or the whole batch when k < 0) for dropout entry i. */
size_t nn_trace_dropped(const nn_trace *t, int i, int k);

#endif
