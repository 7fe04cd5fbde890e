/* A session: one lesson brought to life. It owns the model built from the lesson, the
 * data, the batcher and the training state, and turns each training step into an
 * nn_trace snapshot. The headless runner (check, train) and the window's worker thread
 * drive it; it is not thread-safe: one thread at a time.
 * Never includes SDL. */
#ifndef LS_SESSION_H
#define LS_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "engine/model.h"
#include "engine/trace.h"
#include "lesson/lesson.h"

typedef struct ls_session ls_session;

typedef struct {
    const char *data_dir;   /* overrides the lesson's data dir (NULL: keep) */
    bool seed_set;          /* seed overrides the lesson's `fit: seed` */
    uint64_t seed;
    int batch;              /* > 0 overrides the lesson's batch size */
    bool quiet;             /* leave progress out of the notes (the session never prints) */
    size_t memory_budget;   /* bytes; 0 = default (16 GiB) */
    /* Called (on the session's thread) around long work, e.g. a frozen base's outputs
     * for the validation set: what ("base outputs, validation set"), done of total
     * examples (done == total: finished). NULL: not told. */
    void (*progress)(void *user, const char *what, long done, long total);
    void *progress_user;
} ls_options;

/* No overrides: seed_set false, everything else 0/NULL. */
ls_options ls_options_default(void);
/* The seed a session of lesson l runs with under opt (NULL: no overrides): the one
 * place the override rule lives. */
uint64_t ls_options_seed(const ls_options *opt, const ls_lesson *l);

/* ---- The model as the session describes it to readers (the window) ----
 * Static facts are read once per model; the live ones (trainable, frozen, rate, seed)
 * are kept current, and `version` changes whenever any field does. */
typedef struct {
    char name[NN_NAME_MAX];
    nn_layer_type type;     /* nn_layer_type_name gives the Keras class */
    nn_shape shape;         /* output of one example, Keras's shape without the None */
    int units;              /* shape's last dimension (Dense units, channels); 0 rank 0 */
    int n_inputs;
    const int *inputs;      /* all producers' indices (< this layer's); the description's */
    size_t params;
    bool trainable;         /* the live Keras flag (summary) */
    bool frozen;            /* what training obeys: not trainable as of the last compile */
    double rate;            /* Dropout's rate, else 0 */
    int base;               /* index in bases of the base this layer belongs to, or -1 */
    const char *class_name; /* Keras's class as configured (RandomRotation, SpatialDropout2D); static */
    int train_mode;         /* nn_train_mode: the training= it (or its base) was called with */
} ls_layer_desc;

typedef struct {
    char name[LS_NAME_MAX]; /* the declaration's name, or the base's ("fashion_cnn") */
    int first, count;       /* layers [first, first + count) */
    bool random_weights;    /* this base runs on random weights: none given, or not found */
} ls_base_desc;

typedef struct {
    unsigned version;       /* >= 1; changes whenever the description does */
    uint64_t seed;          /* the seed of the run (ls_session_seed) */
    int n_layers;
    ls_layer_desc *layers;
    int n_bases;
    ls_base_desc *bases;    /* the lesson's base declarations, in order */
} ls_model_desc;

/* Loads the data, builds, initialises (seeded), loads base weights, compiles.
 * Takes ownership of lesson. NULL with a message in err. */
ls_session *ls_session_create(ls_lesson *lesson, const ls_options *opt, char *err,
                              size_t errlen);
void ls_session_destroy(ls_session *s);
const ls_lesson *ls_session_lesson(const ls_session *s);
nn_model *ls_session_model(ls_session *s);
const char *ls_session_error(const ls_session *s);
/* Notes for the student (e.g. "inception_v3: no weights file, random weights"). */
const char *ls_session_notes(const ls_session *s);
/* The model's description, owned by the session and valid until the session is
 * destroyed; its contents change in place (with its version) on live changes, so read
 * it on the session's thread. Each step's trace carries the version (desc_version). */
const ls_model_desc *ls_session_describe(const ls_session *s);
/* The seed the run uses now (the lesson's, the options' override, or the last
 * ls_session_set_seed / `seed` action). */
uint64_t ls_session_seed(const ls_session *s);

/* One optimizer step on the next batch (training mode), or, in inference mode, one
 * inference forward on the next batch without an update. Returns a snapshot the caller
 * owns, or NULL on error (non-finite values: the snapshot is still returned with
 * finite=false and the error set). */
nn_trace *ls_session_step(ls_session *s);
/* Validation loss and accuracy (inference mode) on the validation split. */
int ls_session_validate(ls_session *s, double *loss, double *accuracy);
long ls_session_steps(const ls_session *s);
/* Starts a new measuring window: LS_Q_WEIGHT_CHANGE is the largest per-step |dW| of a
 * layer since the last mark (the runner marks at each lesson step). */
void ls_session_mark(ls_session *s);

/* Live changes, effective from the next step. Layer by name; -1 with the error set. */
int ls_session_set_trainable(ls_session *s, const char *layer, bool trainable, bool recompile);
int ls_session_compile(ls_session *s);
int ls_session_set_rate(ls_session *s, const char *layer, double rate);
void ls_session_set_training(ls_session *s, bool training);
bool ls_session_training(const ls_session *s);
int ls_session_set_lr(ls_session *s, float lr);
int ls_session_reset(ls_session *s);
/* Reseeds the Dropout masks' stream (nn_model_seed_dropout) and the seed a reset uses. */
void ls_session_set_seed(ls_session *s, uint64_t seed);

/* Executes one lesson action (run N steps calls on_trace for each step if given; the
 * window uses its own worker loop instead). */
typedef void (*ls_trace_fn)(void *user, const nn_trace *t);
int ls_session_apply(ls_session *s, const ls_action *a, ls_trace_fn on_trace, void *user);
/* Measures an expectation's quantity now; returns false when it is not met. measured
 * receives the value, desc a short human description of the check and its result. */
bool ls_session_expect(ls_session *s, const ls_expect *e, double *measured, char *desc,
                       size_t desclen);

/* The lesson's `predict` (one inference forward over the current batch: no mask, no
 * update) as a snapshot of that pass (training false, the step count unchanged). The
 * caller owns it; NULL with the error set. */
nn_trace *ls_session_predict(ls_session *s);
/* The last validation (by any means: `validate`, an expectation on val_*, fit's
 * validation, the window's V): the step it was made at and its results. false: none
 * since the session began or was reset. */
bool ls_session_last_validation(const ls_session *s, long *step, double *loss, double *acc);
/* ---- Issue 12: probes of the shown batch, MC dropout, the masks' ensemble ---- */

/* The shown batch's loss at the weights as they are now, with dropout on (the mean over
 * LS_LOSS_MASKS fresh masks, drawn from the masks' generator where training left it: the
 * loss fit() would report for this batch now) and off (as validation runs it). Leaves
 * the last step's masks, outputs and the masks' generator as they were. */
#define LS_LOSS_MASKS 256
int ls_session_batch_losses(ls_session *s, double *with_dropout, double *without);

/* Monte Carlo dropout: `passes` forwards over the shown batch with training=True (as
 * Keras's model(x, training=True)), each with fresh masks, or with the first pass's
 * masks held for all (fixed_mask: the spread is then 0). BatchNormalization statistics
 * a pass would move and the masks' generator are put back afterwards, so the training
 * that follows is the one it would have been. Per example: the mean and the spread
 * (population standard deviation, as np.std) of the probability the batch view shows
 * (binary: p(class 1); else the probability of the class the inference pass predicts),
 * beside the inference pass's. */
typedef struct {
    int n;                  /* examples (the shown batch); 0: none run yet */
    int passes;
    bool fixed_mask;
    long step;              /* optimizer steps taken when the passes ran */
    float *mean, *spread, *inference;
    int32_t *cls;           /* the class each probability is of */
} ls_mc_result;
int ls_session_mc_dropout(ls_session *s, int passes, bool fixed_mask);
/* The last MC dropout's result (owned by the session, until the next one), or NULL. */
const ls_mc_result *ls_session_mc(const ls_session *s);
/* Attaches the last MC dropout to t when it ran over t's batch at t's step (what the
 * batch view draws); 0 when attached or none applies, -1 out of memory. */
int ls_session_attach_mc(const ls_session *s, nn_trace *t);

/* Over the training steps since the last ls_session_mark: how many of the per-example
 * masks a Dropout layer drew kept each unit (kept[u] / masks is its keep frequency, near
 * 1 - rate) and how many of those masks were different. kept is owned by the session
 * and valid until its next step; NULL when no mask was drawn. */
typedef struct {
    int units;
    long masks, distinct;
    long hashed;            /* masks compared for `distinct`: the first 1,048,576 */
    const uint32_t *kept;
} ls_keep_stats;
int ls_session_keep_stats(ls_session *s, const char *layer, ls_keep_stats *out);

/* The metric history of each run: the runs a reset ended (oldest first, at most
 * LS_MAX_RUNS), then the current one. Per step k (0-based, step k + 1 of the run): the
 * batch loss and accuracy as trained, and the validation loss and accuracy when that step validated
 * (NAN otherwise). Labelled by the Dropout rates the run ended with ("rate 0.5"), for
 * the window's ghost curves. The arrays are the session's, valid until its next step,
 * reset or compare. */
#define LS_MAX_RUNS 8
typedef struct {
    char label[48];
    long n;
    float *loss, *accuracy, *val_loss, *val_accuracy;
} ls_run_history;
int ls_session_runs(ls_session *s, const ls_run_history **runs);
/* Forgets the runs a reset ended (the current one stays). */
void ls_session_clear_runs(ls_session *s);

/* Twin runs (`compare rate of LAYER X and Y for N steps`): each from a reset with the
 * same seed (the same initial weights, the same batches in the same order), the rate X
 * then Y, N steps; at its end the whole training set and the validation set evaluated
 * with dropout off. The session is left at the end of the second twin (its run is the
 * current one; the first twin's is the run before it in ls_session_runs). */
typedef struct {
    bool valid;
    double rate;
    long steps;
    double train_loss, train_acc, val_loss, val_acc;
} ls_twin;
int ls_session_compare(ls_session *s, const ls_action *a);
/* The last compare's two twins, or NULL. */
const ls_twin *ls_session_twins(const ls_session *s);
/* The snapshot of the second twin's last step (its validation at the end filled in),
 * handed over once: the caller owns it; NULL when there is none to hand over. A window
 * shows it, so that after a compare every panel draws the run the session is left at. */
nn_trace *ls_session_take_compare_trace(ls_session *s);

/* A BatchNormalization layer's moving mean and variance as they are now (the model's
 * own arrays, `channels` each; read on the session's thread), for the window to draw
 * per step. -1 with the error set for a layer that is not BatchNormalization. */
int ls_session_bn_stats(ls_session *s, const char *layer, const float **mean, const float **var,
                        int *channels);

#endif
