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
} nn_trace_dropout;

typedef struct {
    char name[NN_NAME_MAX];
    bool frozen;            /* not train_active in the step */
    size_t params;
    float dw_max;           /* max |w_after - w_before| this step */
    double dw_norm;         /* ||w_after - w_before||_2 */
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
    bool finite;
    char nonfinite_layer[NN_NAME_MAX];
    /* Version of the model description the step ran under (the session's
     * ls_session_describe): a reader rereads the description when it changes. 0 when
     * no session set it. */
    unsigned desc_version;
} nn_trace;

/* Captures the model's state after a step (the last forward's masks and activations,
 * the last update's weight changes). x and labels are the step's batch (x may be
 * NULL: no images); indices may be NULL. Returns NULL on allocation failure.
 * The caller owns the result. */
nn_trace *nn_trace_capture(const nn_model *m, const nn_step_result *res, const float *x,
                           const int32_t *labels, const int32_t *indices, int n);
/* A deep copy; NULL when out of memory. */
nn_trace *nn_trace_clone(const nn_trace *t);
void nn_trace_destroy(nn_trace *t);    /* NULL is fine */
/* Dropped count of example k (or the whole batch when k < 0) for dropout entry i. */
size_t nn_trace_dropped(const nn_trace *t, int i, int k);

#endif
