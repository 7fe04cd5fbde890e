/* The worker's backend over a lesson session: the only file of src/ui that calls the
 * session. Runs on the worker thread only. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session/save.h"
#include "session/session.h"
#include "ui/worker.h"

struct ui_progress {
    pthread_mutex_t mu;
    char what[96];
    long done, total;
};

typedef struct {
    ls_session *s;
    ui_progress *progress;
} backend;

ui_progress *ui_progress_create(void)
{
    ui_progress *p = calloc(1, sizeof *p);
    if (p)
        pthread_mutex_init(&p->mu, NULL);
    return p;
}

void ui_progress_destroy(ui_progress *p)
{
    if (!p)
        return;
    pthread_mutex_destroy(&p->mu);
    free(p);
}

void ui_progress_report(void *user, const char *what, long done, long total)
{
    ui_progress *p = user;
    pthread_mutex_lock(&p->mu);
    snprintf(p->what, sizeof p->what, "%s", done < total ? what : "");
    p->done = done;
    p->total = total;
    pthread_mutex_unlock(&p->mu);
}

static void b_progress_text(void *ctx, char *out, size_t n)
{
    ui_progress *p = ((backend *)ctx)->progress;
    out[0] = 0;
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    if (p->what[0])
        snprintf(out, n, "%s: %ld of %ld examples", p->what, p->done, p->total);
    pthread_mutex_unlock(&p->mu);
}

void ui_backend_set_progress(ui_backend *b, ui_progress *p)
{
    ((backend *)b->ctx)->progress = p;
    b->progress_text = b_progress_text;
}

/* Fashion-MNIST class names, short enough for a thumbnail caption. */
static const char *const fashion_names[10] = {"T-shirt", "Trouser", "Pullover", "Dress", "Coat",
                                              "Sandal",  "Shirt",   "Sneaker",  "Bag",   "Boot"};

static void err_from(backend *b, char *err, size_t n, const char *what)
{
    const char *e = ls_session_error(b->s);
    snprintf(err, n, "%s", e && *e ? e : what);
}

static nn_trace *b_step(void *ctx, char *err, size_t n)
{
    backend *b = ctx;
    nn_trace *t = ls_session_step(b->s);
    if (!t || !t->finite)
        err_from(b, err, n, "training step failed");
    return t;
}

static nn_trace *b_predict(void *ctx, char *err, size_t n)
{
    backend *b = ctx;
    nn_trace *t = ls_session_predict(b->s);
    if (!t)
        err_from(b, err, n, "predict failed");
    return t;
}

static int b_command(void *ctx, const ui_cmd *c, char *err, size_t n)
{
    backend *b = ctx;
    int rc = 0;
    switch (c->kind) {
    case UI_CMD_FREEZE:
        rc = ls_session_set_trainable(b->s, c->layer, c->flag, true);
        break;
    case UI_CMD_RATE:
        rc = ls_session_set_rate(b->s, c->layer, c->value);
        break;
    case UI_CMD_MODE:
        ls_session_set_training(b->s, c->flag);
        break;
    case UI_CMD_LR:
        rc = ls_session_set_lr(b->s, c->value);
        break;
    case UI_CMD_RESET:
        rc = ls_session_reset(b->s);
        break;
    case UI_CMD_SEED:
        ls_session_set_seed(b->s, c->seed);
        break;
    case UI_CMD_MARK:
        ls_session_mark(b->s);
        break;
    case UI_CMD_ACTION:
        rc = ls_session_apply(b->s, &c->action, NULL, NULL);
        break;
    case UI_CMD_SAVE_LESSON: {
        ls_save_view v = {.has_example = true, .example = (int)c->n,
                          .layer = c->layer[0] ? c->layer : NULL};
        return ls_session_save_lesson(b->s, c->path, &v, err, n);   /* its own reason */
    }
    default:
        break;
    }
    if (rc != 0)
        err_from(b, err, n, "command failed");
    return rc;
}

/* One run's history as curves: step k + 1, the batch's loss and accuracy, the
 * validation where that step made one. NULL when out of memory. */
static ui_metric *run_curves(const ls_run_history *r)
{
    ui_metric *m = r->n > 0 ? malloc((size_t)r->n * sizeof *m) : NULL;
    for (long k = 0; m && k < r->n; k++) {
        m[k] = (ui_metric){.step = k + 1, .loss = r->loss[k], .accuracy = r->accuracy[k],
                           .val_loss = r->val_loss[k], .val_accuracy = r->val_accuracy[k],
                           .training = true};
        for (int d = 0; d < UI_METRIC_DROPOUTS; d++)
            m[k].dropped[d] = NAN;
    }
    return m;
}

static nn_trace *b_with_mc(void *ctx, const nn_trace *t)
{
    backend *b = ctx;
    nn_trace *c = nn_trace_clone(t);
    if (c && (ls_session_attach_mc(b->s, c) < 0 || c->mc_passes == 0)) {
        nn_trace_destroy(c);
        c = NULL;
    }
    return c;
}

/* The last compare's twins: the two newest runs (the first twin ended by the second's
 * reset; the second is the current run), labelled by the rate each ran at. */
static int b_twins(void *ctx, ui_run *out, nn_trace **last)
{
    backend *b = ctx;
    *last = ls_session_take_compare_trace(b->s);
    const ls_twin *tw = ls_session_twins(b->s);
    const ls_run_history *r;
    int n = ls_session_runs(b->s, &r);
    if (!tw || !tw[0].valid || !tw[1].valid || n < 2)
        return 0;
    for (int k = 0; k < 2; k++) {
        out[k].n = (size_t)r[n - 2 + k].n;
        out[k].m = run_curves(&r[n - 2 + k]);
        snprintf(out[k].label, sizeof out[k].label, "rate %.2f", tw[k].rate);
        if (!out[k].m) {
            free(out[0].m);
            out[0].m = NULL;
            return 0;
        }
    }
    return 2;
}

static int b_validate(void *ctx, double *loss, double *acc, char *err, size_t n)
{
    backend *b = ctx;
    int rc = ls_session_validate(b->s, loss, acc);
    if (rc != 0)
        err_from(b, err, n, "validation failed");
    return rc;
}

static bool b_last_validation(void *ctx, long *step, double *loss, double *acc)
{
    backend *b = ctx;
    return ls_session_last_validation(b->s, step, loss, acc);
}

static bool b_expect(void *ctx, const ls_expect *e, double *measured, char *desc, size_t n)
{
    backend *b = ctx;
    return ls_session_expect(b->s, e, measured, desc, n);
}

/* The window's graph, from the session's description of its model. */
static int b_describe(void *ctx, ui_graph *g)
{
    backend *b = ctx;
    const ls_model_desc *d = ls_session_describe(b->s);
    nn_model *m = ls_session_model(b->s);
    const ls_lesson *l = ls_session_lesson(b->s);
    memset(g, 0, sizeof *g);
    g->layers = calloc((size_t)(d->n_layers > 0 ? d->n_layers : 1), sizeof *g->layers);
    if (!g->layers)
        return -1;
    g->n = d->n_layers;
    for (int i = 0; i < d->n_layers; i++) {
        const ls_layer_desc *L = &d->layers[i];
        ui_graph_layer *o = &g->layers[i];
        snprintf(o->name, sizeof o->name, "%s", L->name);
        snprintf(o->type, sizeof o->type, "%s", L->class_name ? L->class_name : nn_layer_type_name(L->type));
        nn_shape_str(L->shape, true, o->shape, sizeof o->shape);
        o->out_shape = L->shape;
        o->units = L->units;
        o->params = L->params;
        o->trainable = L->trainable;
        o->frozen = L->frozen;
        o->n_inputs = L->n_inputs;
        memcpy(o->inputs, L->inputs, (size_t)L->n_inputs * sizeof *o->inputs);
        o->masks = L->type == NN_DROPOUT && L->n_inputs > 0 ? L->inputs[0] : -1;
        o->rate = (float)L->rate;
        o->train_mode = L->train_mode;
        if (L->base >= 0) {   /* a declared base: the graph collapses it */
            const ls_base_desc *base = &d->bases[L->base];
            o->random_weights = base->random_weights;
            o->base_first = base->first;
            o->base_count = base->count;
            snprintf(o->base_name, sizeof o->base_name, "%.31s", base->name);
        }
    }
    nn_param_counts pc = nn_model_count_params(m);
    g->params_total = pc.total;
    g->params_trainable = pc.trainable;
    g->training = ls_session_training(b->s);
    g->lr = m->opt.lr;
    g->seed = d->seed;
    g->steps = ls_session_steps(b->s);
    if (l) {
        snprintf(g->title, sizeof g->title, "%s", l->title ? l->title : (l->path ? l->path : ""));
        if (l->data.kind == LS_DATA_FASHION) {
            bool all = l->data.n_classes <= 0;   /* no class list: all ten, in order */
            g->n_classes = all ? 10 : l->data.n_classes;
            for (int k = 0; k < g->n_classes && k < 10; k++) {
                int c = all ? k : l->data.classes[k];
                snprintf(g->class_names[k], sizeof g->class_names[k], "%s",
                         c >= 0 && c < 10 ? fashion_names[c] : "?");
            }
        }
    }
    const char *notes = ls_session_notes(b->s);
    snprintf(g->notes, sizeof g->notes, "%s", notes ? notes : "");
    return 0;
}

static void b_free_trace(nn_trace *t)
{
    nn_trace_destroy(t);
}

static void b_destroy(void *ctx)
{
    backend *b = ctx;
    if (!b)
        return;
    ls_session_destroy(b->s);
    ui_progress_destroy(b->progress);   /* after the session that reported into it */
    free(b);
}

/* seed is not kept: the session is the one holder of the seed (ls_session_seed). */
ui_backend *ui_backend_session(struct ls_session *s, uint64_t seed)
{
    (void)seed;
    ui_backend *u = calloc(1, sizeof *u);
    backend *b = calloc(1, sizeof *b);
    if (!u || !b) {
        free(u);
        free(b);
        ls_session_destroy(s);
        return NULL;
    }
    b->s = s;
    u->ctx = b;
    u->step = b_step;
    u->command = b_command;
    u->predict = b_predict;
    u->validate = b_validate;
    u->expect = b_expect;
    u->last_validation = b_last_validation;
    u->describe = b_describe;
    u->twins = b_twins;
    u->with_mc = b_with_mc;
    u->free_trace = b_free_trace;
    u->destroy = b_destroy;
    u->lesson = ls_session_lesson(s);
    return u;
}
