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

#endif
