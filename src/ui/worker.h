/* The training side of the window. A worker thread owns the backend (a lesson session),
 * applies the commands the UI queues between steps, steps at the chosen speed and
 * publishes each step's nn_trace into a ring of recent snapshots. The UI thread never
 * touches the model: it reads snapshots and copies of small published state.
 *
 * Locking: one mutex guards the ring, the command queue and the published state; it is
 * held only to move pointers and copy small structs, never while a step runs. */
#ifndef UI_WORKER_H
#define UI_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/trace.h"
#include "lesson/lesson.h"

/* One layer as the graph view draws it (read from the model by the worker). */
typedef struct {
    char name[NN_NAME_MAX];
    char type[24];          /* Keras class name */
    char shape[40];         /* "(None, 1024)" */
    size_t params;
    bool trainable;         /* live flag (summary) */
    bool frozen;            /* what training obeys: !train_active */
    int n_inputs;
    int inputs[NN_MAX_INPUTS];
    int masks;              /* Dropout: index of the layer it masks, else -1 */
    float rate;             /* Dropout */
    /* A declared base (e.g. fashion_cnn, inception_v3) this layer belongs to:
     * layers [base_first, base_first + base_count); base_count 0 when none. */
    int base_first, base_count;
    char base_name[32];
    bool random_weights;    /* its base's weights were not loaded (a session note says so) */
    /* The output shape as integers (one example, without Keras's None), so that views
     * need not parse `shape`; units is its last dimension (Dense units, channels). */
    nn_shape out_shape;
    int units;
    int train_mode;         /* nn_train_mode of its call (or its base's): training= */
} ui_graph_layer;

typedef struct {
    char title[128];        /* lesson title */
    char notes[1024];
    int n;
    ui_graph_layer *layers;
    bool training;          /* mode for the next step */
    float lr;
    uint64_t seed;
    long steps;
    size_t params_total, params_trainable;
    int n_classes;
    char class_names[10][16];
} ui_graph;

void ui_graph_free(ui_graph *g);

typedef enum {
    UI_CMD_STEP = 0,        /* n single steps (also runs while paused) */
    UI_CMD_FREEZE,          /* layer, flag = trainable; recompiles */
    UI_CMD_RATE,            /* layer, value */
    UI_CMD_MODE,            /* flag: training */
    UI_CMD_LR,              /* value */
    UI_CMD_RESET,
    UI_CMD_SEED,            /* seed */
    UI_CMD_VALIDATE,
    UI_CMD_MARK,            /* start a lesson step's measuring window */
    UI_CMD_ACTION,          /* a lesson action (run N becomes N queued steps) */
    UI_CMD_EXPECT,          /* a lesson expectation; result posted with tag */
    UI_CMD_SAVE_LESSON,     /* path; n: example shown (-1 whole batch); layer: in focus */
} ui_cmd_kind;

/* Which lesson item an expectation result answers: item `item` of step `step`. Two
 * numbers, not one packed tag: a step holds up to 1,024 items. */
typedef struct {
    int step, item;
} ui_expect_tag;

typedef struct {
    ui_cmd_kind kind;
    long n;
    uint64_t seed;
    float value;
    bool flag;
    char layer[NN_NAME_MAX];
    ls_action action;
    const ls_expect *expect;   /* owned by the lesson, which outlives the worker */
    ui_expect_tag tag;         /* EXPECT: posted with the result */
    char path[512];            /* SAVE_LESSON: the file */
} ui_cmd;

/* The model side, as the worker drives it. The session backend (backend_session.c)
 * wraps an ls_session; tests and benches may plug in others. All calls happen on the
 * worker thread (or before it starts). */
struct ui_run;
typedef struct ui_backend {
    void *ctx;
    /* One step; the caller owns the result. NULL on error, reason in err. */
    nn_trace *(*step)(void *ctx, char *err, size_t errlen);
    /* Applies a command other than STEP/ACTION-run. 0 or -1 with err. */
    int (*command)(void *ctx, const ui_cmd *c, char *err, size_t errlen);
    /* One inference pass over the current batch (no mask, no update; a lesson's
     * `predict`) as a snapshot the caller owns. NULL with err. May be NULL: no such
     * pass (the panels then show the last step until the next one). */
    nn_trace *(*predict)(void *ctx, char *err, size_t errlen);
    /* Validation loss and accuracy now (inference mode). 0 or -1 with err. */
    int (*validate)(void *ctx, double *loss, double *accuracy, char *err, size_t errlen);
    /* The last validation made by any means (step, loss, accuracy); false: none. May
     * be NULL. */
    bool (*last_validation)(void *ctx, long *step, double *loss, double *accuracy);
    /* Evaluates an expectation now. */
    bool (*expect)(void *ctx, const ls_expect *e, double *measured, char *desc, size_t n);
    /* Fills g from the model (g is freed first). */
    int (*describe)(void *ctx, ui_graph *g);
    void (*free_trace)(nn_trace *t);
    void (*destroy)(void *ctx);
    /* Lesson (immutable while the backend lives) or NULL. */
    const ls_lesson *lesson;
    /* The long work under way inside a step or command ("base outputs, validation set:
     * 0 of 100 examples"), "" when none. Safe from any thread. May be NULL. */
    void (*progress_text)(void *ctx, char *out, size_t n);
    /* After a `compare`: the two twins' curves, first then second (out[k].m malloc'd,
     * the caller frees), and the snapshot of the second twin's last step (the caller
     * owns it; NULL: none). Return 2, or 0 when there is nothing to show. May be NULL. */
    int (*twins)(void *ctx, struct ui_run *out, nn_trace **last);
    /* After an MC dropout (`mc dropout N passes`): a copy of t with the passes' mean and
     * spread attached when they ran over t's batch at t's step (the caller owns it);
     * NULL when they did not. May be NULL. */
    nn_trace *(*with_mc)(void *ctx, const nn_trace *t);
} ui_backend;

struct ls_session;
/* Backend over a session (takes ownership of s; destroys it on failure too). seed is
 * the seed the session started with (shown on screen). NULL on allocation failure. */
ui_backend *ui_backend_session(struct ls_session *s, uint64_t seed);
void ui_backend_destroy(ui_backend *b);   /* NULL is fine */

/* Where a session reports its long work (ls_options.progress), read by the window while
 * the work goes on. The session backend takes it over (ui_backend_set_progress). */
typedef struct ui_progress ui_progress;
ui_progress *ui_progress_create(void);           /* NULL when out of memory */
void ui_progress_destroy(ui_progress *p);        /* NULL is fine */
/* The ls_options.progress callback (user: the ui_progress). */
void ui_progress_report(void *user, const char *what, long done, long total);
/* b (a session backend) owns p from now on and shows it as progress_text. */
void ui_backend_set_progress(ui_backend *b, ui_progress *p);

/* Dropout layers whose dropped fraction each step keeps (the mask view's strip). */
#define UI_METRIC_DROPOUTS 4

/* One step's scalars, kept for the whole run (curves, the dropped-fraction strip). */
typedef struct {
    long step;
    float loss, accuracy;
    float val_loss, val_accuracy;   /* NAN when not measured */
    /* Per Dropout of the trace (nn_trace.dropout order), whole batch; NAN without a mask */
    float dropped[UI_METRIC_DROPOUTS];
    bool training;
} ui_metric;

/* A whole run's curves, labelled ("rate 0.50"): a compare's twin. */
typedef struct ui_run {
    char label[32];
    size_t n;
    ui_metric *m;
} ui_run;

typedef struct {
    ui_expect_tag tag;
    bool ok;
    double measured;
    char desc[160];
} ui_expect_result;

/* A reference-counted snapshot: valid until released, however far training runs on. */
typedef struct ui_snap ui_snap;
const nn_trace *ui_snap_trace(const ui_snap *s);

typedef struct {
    bool playing;
    double speed;           /* steps per second; <= 0: as fast as possible */
    long pending;           /* single steps (S) queued, not yet run */
    long run_left;          /* steps left of a lesson run (they run while playing) */
    double steps_per_sec;   /* measured */
    long steps;
    char error[256];        /* last command/step error, "" if none */
    unsigned long error_seq;
    unsigned long published;/* snapshots published so far (steps and inference passes) */
    char notice[256];       /* last command's good news ("saved ..."), "" none */
    unsigned long notice_seq;
    char activity[112];     /* what the worker computes now ("lesson run: step 3 of 10",
                             * "validation pass", "checking ..."); "" when idle */
    double busy_s;          /* for how long it has been at it, seconds */
} ui_worker_status;

typedef struct ui_worker ui_worker;

/* Starts the thread (takes ownership of b). The ring keeps the last `history`
 * snapshots (fewer if they would exceed about 256 MB). NULL on failure. */
ui_worker *ui_worker_start(ui_backend *b, int history);
/* Stops the thread, frees the ring and the backend. Snapshots still held by the UI
 * stay valid until released. NULL is fine. */
void ui_worker_stop(ui_worker *w);

void ui_worker_push(ui_worker *w, const ui_cmd *c);
void ui_worker_set_playing(ui_worker *w, bool playing);
void ui_worker_set_speed(ui_worker *w, double steps_per_sec);
/* Free play (Space, no lesson run) pauses by itself after `steps` steps; 0: never
 * (shot replays Space as one step, so that its pictures are reproducible). */
void ui_worker_set_play_limit(ui_worker *w, long steps);
/* Blocks until every queued command and step is done (shot, tests): single steps, a
 * lesson run while it plays, commands not held behind a paused lesson run. */
void ui_worker_wait_idle(ui_worker *w);

ui_worker_status ui_worker_get_status(ui_worker *w);
/* Snapshot `back` steps before the newest (0: newest); NULL if none. Release it. */
ui_snap *ui_worker_acquire(ui_worker *w, int back);
/* Releases a snapshot; works after the worker has stopped. NULL is fine. */
void ui_snap_release(ui_snap *s);
int ui_worker_history(ui_worker *w);               /* snapshots in the ring */
/* Copies the graph if its version differs from *version; returns true if copied. */
bool ui_worker_graph(ui_worker *w, ui_graph *dst, unsigned *version);
/* Appends metrics after the first *have (restarts from 0 when *gen changed, i.e.
 * after a reset). Returns the new count in *have. */
int ui_worker_metrics(ui_worker *w, ui_metric **arr, size_t *have, size_t *cap,
                      unsigned *gen);
/* A finished run to draw beside the live one (a compare's first twin), when its
 * sequence number differs from *seq: moved into *out (the caller frees out->m) and
 * true. The live metrics are then the second twin's. */
bool ui_worker_take_ghost(ui_worker *w, ui_run *out, unsigned *seq);
/* CPU time the worker thread has used, in seconds (benchmarks); -1 if unknown. */
double ui_worker_cpu_seconds(ui_worker *w);
/* Takes expectation results not yet taken; returns how many (<= max). */
int ui_worker_results(ui_worker *w, ui_expect_result *out, int max);

#endif
