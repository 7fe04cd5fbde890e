/* The session's state and the helpers its files share (session.c runs it,
 * prefix_cache.c caches the frozen prefix's outputs, measure.c measures expectations,
 * describe.c keeps the model's description). Private to src/session. */
#ifndef LS_SESSION_INTERNAL_H
#define LS_SESSION_INTERNAL_H

#include "data/dataset.h"
#include "session/session.h"

/* Frozen-prefix cache (issue 6): the outputs of the frozen, deterministic prefix of the
 * model for each example, computed the first time the example is seen; the head then
 * trains from them. Dropped whenever the prefix or its weights change. Filled from the
 * training batches as they come and from the validation chunks evaluate uses, so the
 * base outputs used in the first epoch and in every validation are bit-identical to
 * running the whole model; later epochs reuse outputs computed in another batch, which
 * OpenBLAS rounds differently from a recomputation in the last bits (see
 * nn_model_train_step_from), so losses then agree to ~1e-7, not bit for bit. */
typedef struct {
    int layer;          /* the prefix's last layer; -1: no cache */
    uint64_t sig;       /* fingerprint of the prefix it was computed for */
    size_t per;         /* floats per example */
    float *train;       /* data.train.n rows */
    uint8_t *have;      /* data.train.n flags: row computed */
    float *val;         /* data.val.n rows, valid when val_ok */
    bool val_ok;
    int32_t *row_of_src;/* source index -> training row (-1: none) */
    int n_src;
    float *batch;       /* the batch's rows */
    bool off;           /* DROPSCOPE_PREFIX_CACHE=0, or no memory for it */
} ls_prefix_cache;

struct ls_session {
    ls_lesson *lesson;
    ls_options opt;
    nn_model *model;
    ds_fmnist data;
    ds_batcher *batcher;
    float *val_x;           /* validation images at the model's input size */
    int batch;
    uint64_t seed;
    bool training;
    float *x;
    int32_t *y, *src;
    int last_n;             /* examples in the last batch */
    double last_loss, last_acc;
    double val_loss, val_acc;
    bool have_val;
    long val_at;            /* step of the last validation */
    float *change_since_mark; /* per layer */
    long steps_at_mark;     /* optimizer steps taken when the lesson step began */
    long steps_at_compile;  /* optimizer steps taken at the last compile (Keras 3 profile) */
    /* per layer: the weights of a Dense layer feeding a Dropout, as they were before the
     * last training step (kernel then bias), for LS_Q_DROPPED_UNIT_CHANGE */
    float **before;
    bool want_before;       /* the lesson measures LS_Q_DROPPED_UNIT_CHANGE: keep copies */
    ls_prefix_cache cache;
    bool *base_random;      /* per lesson declaration: a base left on random weights */
    ls_model_desc desc;
    int *desc_inputs;       /* every layer's inputs, one after another (desc.layers point in) */
    char notes[1024];
    char err[1024];
    struct ls_history *history; /* save.c: what changed between steps (save as lesson) */
    ls_mc_result mc;        /* probe.c: the last MC dropout */
    struct ls_keep_acc *keep; /* ensemble.c: per layer, the masks since the mark */
    /* compare.c: the runs a reset ended, the current run, twins */
    ls_run_history runs[LS_MAX_RUNS], cur_run, runs_view[LS_MAX_RUNS + 1];
    int n_runs;
    long cur_cap;
    ls_twin twins[2];
    nn_trace *compare_trace;  /* the second twin's last step, until taken */
    float **bn_at_mark;     /* bnstats.c: per BN layer, moving mean then variance at the mark */
};

typedef struct ls_keep_acc ls_keep_acc;
typedef struct ls_saved_dropout ls_saved_dropout;

/* probe.c */
/* Copies what a forward overwrites in the Dropout layers (mask, its flag and count,
 * noise, output, input) for n examples; restore puts it back and frees. */
ls_saved_dropout *ls_save_dropouts(nn_model *m, int n);
void ls_restore_dropouts(nn_model *m, ls_saved_dropout *sv, int n);
void ls_mc_free(ls_session *s);
int ls_mc_measure(ls_session *s, ls_quantity q, double *v);

/* compare.c */
int ls_runs_step(ls_session *s, double loss, double accuracy);
void ls_runs_validated(ls_session *s, double loss, double acc);
void ls_runs_archive(ls_session *s);
void ls_runs_free(ls_session *s);
int ls_twin_measure(ls_session *s, ls_quantity q, double *v);

/* bnstats.c */
void ls_bn_mark(ls_session *s);
void ls_bn_free(ls_session *s);
int ls_bn_measure(ls_session *s, const ls_expect *e, double *v);

/* ensemble.c */
int ls_keep_add(ls_session *s, int n);
void ls_keep_clear(ls_session *s);
void ls_keep_free(ls_session *s);
int ls_keep_measure(ls_session *s, const ls_expect *e, double *v);

typedef struct ls_history ls_history;

/* Sets the session's error (ls_session_error); returns -1. */
int ls_fail(ls_session *s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Appends a line to the session's notes (ls_session_notes). */
void ls_note(ls_session *s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* A layer, or a whole base by its name: layers [first, first + count). -1 with the
 * error set when there is none. */
int ls_find_layers(ls_session *s, const char *name, int *first, int *count);
/* The layer by name (a base's last layer for a base), or -1 with the error set. */
int ls_find_layer(ls_session *s, const char *name);

/* Bytes the data sets hold: the images as read, their labels, and the validation images
 * resized to the model's input (s->val_x) once they are. */
double ls_data_bytes(const ls_session *s);

/* predict.c: tells the options' progress callback, if any. */
void ls_progress(ls_session *s, const char *what, long done, long total);

/* prefix_cache.c */
void ls_cache_drop(ls_session *s);
/* The prefix's outputs for the batch in s->x / s->src (computing those not cached yet),
 * or NULL to run the whole model; s->cache.layer is then the prefix's last layer. */
const float *ls_cache_batch(ls_session *s, int n);
/* The prefix's outputs for the validation images x, or NULL to run the whole model. */
const float *ls_cache_val(ls_session *s, const float *x);

/* measure.c */
/* Copies the weights of every trainable Dense layer that feeds a Dropout into
 * s->before (for LS_Q_DROPPED_UNIT_CHANGE). -1 when out of memory. */
int ls_keep_sources(ls_session *s);
/* The quantity e asks for, now, into *v. -1 with the error set. */
int ls_measure(ls_session *s, const ls_expect *e, double *v);

/* describe.c */
/* Builds s->desc from the model, the lesson's bases and s->base_random. -1 when out of
 * memory (error set). */
int ls_desc_build(ls_session *s);
/* Brings the live fields (trainable, frozen, rate, seed, random weights) up to date,
 * changing the version when any of them changed. */
void ls_desc_refresh(ls_session *s);
void ls_desc_free(ls_session *s);

#endif
