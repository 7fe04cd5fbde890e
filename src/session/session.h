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
    long seed;              /* >= 0 overrides the lesson's seed */
    int batch;              /* > 0 overrides the lesson's batch size */
    bool quiet;             /* no progress output on stderr */
    size_t memory_budget;   /* bytes; 0 = default (16 GiB) */
} ls_options;

/* No overrides: seed -1, everything else 0/NULL. */
ls_options ls_options_default(void);

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
int ls_session_set_rate(ls_session *s, const char *layer, float rate);
void ls_session_set_training(ls_session *s, bool training);
bool ls_session_training(const ls_session *s);
int ls_session_set_lr(ls_session *s, float lr);
int ls_session_reset(ls_session *s);
void ls_session_set_seed(ls_session *s, uint64_t seed);

/* Executes one lesson action (run N steps calls on_trace for each step if given; the
 * window uses its own worker loop instead). */
typedef void (*ls_trace_fn)(void *user, const nn_trace *t);
int ls_session_apply(ls_session *s, const ls_action *a, ls_trace_fn on_trace, void *user);
/* Measures an expectation's quantity now; returns false when it is not met. measured
 * receives the value, desc a short human description of the check and its result. */
bool ls_session_expect(ls_session *s, const ls_expect *e, double *measured, char *desc,
                       size_t desclen);

#endif
