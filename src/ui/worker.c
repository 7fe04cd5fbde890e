/* Worker thread: see worker.h. */
#include "ui/worker.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RING_BYTES (256u << 20)
#define LESSON_RUN_MIN_SPEED 20.0   /* lesson "run N" never crawls below this */
#define SPS_WINDOW 64

struct ui_snap {
    nn_trace *t;
    atomic_int refs;
    void (*free_trace)(nn_trace *t);
};

const nn_trace *ui_snap_trace(const ui_snap *s)
{
    return s ? s->t : NULL;
}

void ui_snap_release(ui_snap *s)
{
    if (s && atomic_fetch_sub(&s->refs, 1) == 1) {
        s->free_trace(s->t);
        free(s);
    }
}

struct ui_worker {
    ui_backend *b;
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t wake, idle;
    bool quit, busy;

    ui_cmd *q;
    size_t q_head, q_len, q_cap;
    long pending;               /* single steps (S): run even while paused */
    long run_left;              /* steps left of a lesson "run N": run only while playing */
    bool playing;
    long play_limit;            /* free play stops after this many steps; 0: never */
    long played;                /* free-play steps since playing last started */
    double speed;
    double next_due;

    ui_snap **ring;
    bool newest_pass;           /* the newest snapshot is an inference pass (predict) */
    int ring_max, ring_cap, ring_len, ring_head;   /* head: next slot to write */

    ui_graph graph;
    unsigned graph_ver;

    ui_metric *m;
    size_t m_len, m_cap;
    unsigned m_gen;
    ui_run ghost;               /* a compare's first twin, until the window takes it */
    unsigned ghost_seq;

    ui_expect_result res[64];
    int n_res;

    double stamps[SPS_WINDOW];
    int n_stamps, stamp_head;
    long steps;
    char error[256];
    unsigned long error_seq;
    long run_total;             /* steps of the lesson run(s) under way, done or not */
    char notice[256];
    unsigned long notice_seq;
    unsigned long published;
    char activity[112];
    double activity_t0;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void ui_graph_free(ui_graph *g)
{
    if (!g)
        return;
    free(g->layers);
    g->layers = NULL;
    g->n = 0;
}

/* Copies src into dst (freed first). 0, or -1 out of memory (dst then has no layers). */
static int graph_copy(ui_graph *dst, const ui_graph *src)
{
    ui_graph_free(dst);
    ui_graph_layer *l = NULL;
    if (src->n > 0) {
        l = malloc((size_t)src->n * sizeof *l);
        if (!l)
            return -1;
        memcpy(l, src->layers, (size_t)src->n * sizeof *l);
    }
    *dst = *src;
    dst->layers = l;
    return 0;
}

static size_t trace_bytes(const nn_trace *t)
{
    size_t b = sizeof *t + (size_t)t->n_layers * sizeof(nn_trace_layer);
    for (int i = 0; i < t->n_dropout; i++)
        b += (size_t)t->batch * (size_t)t->dropout[i].units * 5;
    b += (size_t)t->batch * ((size_t)t->img_h * t->img_w * t->img_c * 4 + 16);
    return b;
}

static void set_error(ui_worker *w, const char *msg)
{
    snprintf(w->error, sizeof w->error, "%s", msg);
    w->error_seq++;
}

/* Under the lock. */
static void ring_clear(ui_worker *w)
{
    for (int i = 0; i < w->ring_len; i++) {
        int k = (w->ring_head - 1 - i + w->ring_max) % w->ring_max;
        ui_snap_release(w->ring[k]);
        w->ring[k] = NULL;
    }
    w->ring_len = 0;
    w->ring_head = 0;
    w->newest_pass = false;
}

/* Under the lock. */
static void ring_push(ui_worker *w, ui_snap *s)
{
    if (w->ring_cap == 0) {
        size_t per = trace_bytes(s->t);
        long cap = (long)(RING_BYTES / (per ? per : 1));
        w->ring_cap = cap < 8 ? 8 : cap > w->ring_max ? w->ring_max : (int)cap;
    }
    if (w->ring_len == w->ring_cap) {
        int oldest = (w->ring_head - w->ring_len + w->ring_max) % w->ring_max;
        ui_snap_release(w->ring[oldest]);
        w->ring[oldest] = NULL;
        w->ring_len--;
    }
    w->ring[w->ring_head] = s;
    w->ring_head = (w->ring_head + 1) % w->ring_max;
    w->ring_len++;
}

/* Under the lock. */
static void metric_push(ui_worker *w, const nn_trace *t)
{
    if (w->m_len == w->m_cap) {
        size_t cap = w->m_cap ? w->m_cap * 2 : 1024;
        ui_metric *m = realloc(w->m, cap * sizeof *m);
        if (!m)
            return;
        w->m = m;
        w->m_cap = cap;
    }
    ui_metric *m = &w->m[w->m_len++];
    m->step = t->step;
    m->loss = (float)t->loss;
    m->accuracy = (float)t->accuracy;
    m->val_loss = (float)t->val_loss;
    m->val_accuracy = (float)t->val_accuracy;
    m->training = t->training;
    for (int i = 0; i < UI_METRIC_DROPOUTS; i++) {
        const nn_trace_dropout *d = i < t->n_dropout ? &t->dropout[i] : NULL;
        m->dropped[i] = NAN;
        if (d && d->has_mask && t->batch > 0 && d->units > 0)
            m->dropped[i] = (float)((double)d->dropped / ((double)t->batch * d->units));
    }
}

static void stamp(ui_worker *w, double now)
{
    w->stamps[w->stamp_head] = now;
    w->stamp_head = (w->stamp_head + 1) % SPS_WINDOW;
    if (w->n_stamps < SPS_WINDOW)
        w->n_stamps++;
}

static double measured_sps(const ui_worker *w, double now)
{
    /* Rate over the steps of the last two seconds, measured between steps (so it holds
     * still while paused, and the window does not redraw its text for nothing). */
    if (w->n_stamps == 0)
        return 0.0;
    double newest = w->stamps[(w->stamp_head - 1 + SPS_WINDOW) % SPS_WINDOW];
    if (now - newest > 2.0)
        return 0.0;
    int n = 0;
    double first = newest;
    for (int i = 0; i < w->n_stamps; i++) {
        double s = w->stamps[(w->stamp_head - 1 - i + SPS_WINDOW) % SPS_WINDOW];
        if (newest - s > 2.0)
            break;
        first = s;
        n++;
    }
    if (n < 2)
        return 0.0;
    return (n - 1) / (newest - first);
}

/* Under the lock: t becomes the newest snapshot (the worker owns it from here; it is
 * freed when out of memory). Only training steps go on the curves: an inference pass
 * (predict, I) is shown but not plotted as a training batch. */
static void publish(ui_worker *w, nn_trace *t)
{
    ui_snap *s = malloc(sizeof *s);
    if (!s) {
        w->b->free_trace(t);
        return;
    }
    s->t = t;
    s->free_trace = w->b->free_trace;
    atomic_init(&s->refs, 1);
    ring_push(w, s);
    if (t->training)
        metric_push(w, t);
    w->newest_pass = false;
    w->published++;
    w->steps = t->step;
    pthread_cond_broadcast(&w->idle);
}

/* Outside the lock: one inference pass over the current batch (a lesson's `predict`,
 * or the switch to inference mode), published so that every panel shows it. */
static int predict(ui_worker *w, char *err, size_t errlen)
{
    if (!w->b->predict)
        return 0;
    nn_trace *t = w->b->predict(w->b->ctx, err, errlen);
    if (!t)
        return -1;
    pthread_mutex_lock(&w->mu);
    /* `mode inference` then `predict`: one pass over the same batch, shown once. */
    if (w->newest_pass && w->ring_len > 0) {
        ui_snap *old = w->ring[(w->ring_head - 1 + w->ring_max) % w->ring_max];
        if (old->t->step == t->step) {
            w->ring_head = (w->ring_head - 1 + w->ring_max) % w->ring_max;
            w->ring[w->ring_head] = NULL;
            w->ring_len--;
            ui_snap_release(old);
        }
    }
    publish(w, t);
    w->newest_pass = true;
    pthread_mutex_unlock(&w->mu);
    return 0;
}

/* Outside the lock: the switch to inference shows an inference pass over the batch
 * shown, when there is one (before any step, or after a reset, there is none: a pass
 * would take a batch from the training sequence, which a step alone may do). */
static int show_inference(ui_worker *w, char *err, size_t errlen)
{
    pthread_mutex_lock(&w->mu);
    bool any = w->ring_len > 0;
    pthread_mutex_unlock(&w->mu);
    return any ? predict(w, err, errlen) : 0;
}

static void describe(ui_worker *w)
{
    ui_graph g = {0};
    if (w->b->describe && w->b->describe(w->b->ctx, &g) == 0) {
        pthread_mutex_lock(&w->mu);
        ui_graph_free(&w->graph);
        w->graph = g;
        w->graph_ver++;
        pthread_mutex_unlock(&w->mu);
    } else {
        ui_graph_free(&g);
    }
}

/* Outside the lock, after a command: a validation it made (a lesson's `validate`, an
 * expectation on val_*, V) goes on the chart at the step it was made at, so that the
 * chart, the header and the check show one number per step. */
static void record_validation(ui_worker *w)
{
    long step;
    double loss, acc;
    if (!w->b->last_validation || !w->b->last_validation(w->b->ctx, &step, &loss, &acc))
        return;
    pthread_mutex_lock(&w->mu);
    for (size_t i = w->m_len; i-- > 0;) {
        if (w->m[i].step < step)
            break;
        if (w->m[i].step == step) {
            w->m[i].val_loss = (float)loss;
            w->m[i].val_accuracy = (float)acc;
            break;
        }
    }
    pthread_mutex_unlock(&w->mu);
}

/* Outside the lock, after a `compare`: the session is left at the end of the second
 * twin, so the curves become its run (a new generation, its last step published as the
 * newest snapshot, the step count its), and the first twin is handed to the window as a
 * finished run beside it. Without this the panels went on showing the run before the
 * compare ("no steps yet") next to a lesson text about the twins' curves. */
static void show_twins(ui_worker *w)
{
    ui_run r[2];
    memset(r, 0, sizeof r);
    nn_trace *last = NULL;
    if (!w->b->twins || w->b->twins(w->b->ctx, r, &last) != 2) {
        if (last)
            w->b->free_trace(last);
        return;
    }
    pthread_mutex_lock(&w->mu);
    ring_clear(w);
    w->m_gen++;
    w->m_len = 0;
    w->n_stamps = 0;
    /* all but the last step here; the last comes with its snapshot */
    size_t keep = last && last->training && r[1].n > 0 ? r[1].n - 1 : r[1].n;
    if (keep > w->m_cap) {
        ui_metric *m = realloc(w->m, keep * sizeof *m);
        if (m) {
            w->m = m;
            w->m_cap = keep;
        }
    }
    if (keep <= w->m_cap) {
        memcpy(w->m, r[1].m, keep * sizeof *w->m);
        w->m_len = keep;
    }
    w->steps = (long)r[1].n;
    if (last)
        publish(w, last);
    free(w->ghost.m);
    w->ghost = r[0];
    w->ghost_seq++;
    pthread_mutex_unlock(&w->mu);
    free(r[1].m);
}

/* Outside the lock, after an MC dropout: the newest snapshot (the batch the passes ran
 * over) is replaced by a copy carrying their mean and spread, so that the batch view
 * draws them at once; the curves are not touched (it is the same step). */
static void show_mc(ui_worker *w)
{
    if (!w->b->with_mc)
        return;
    pthread_mutex_lock(&w->mu);
    ui_snap *s = w->ring_len > 0 ? w->ring[(w->ring_head - 1 + w->ring_max) % w->ring_max] : NULL;
    if (s)
        atomic_fetch_add(&s->refs, 1);
    pthread_mutex_unlock(&w->mu);
    if (!s)
        return;
    nn_trace *t = w->b->with_mc(w->b->ctx, s->t);
    ui_snap *n = t ? malloc(sizeof *n) : NULL;
    if (n) {
        n->t = t;
        n->free_trace = w->b->free_trace;
        atomic_init(&n->refs, 1);
        pthread_mutex_lock(&w->mu);
        int k = (w->ring_head - 1 + w->ring_max) % w->ring_max;
        if (w->ring_len > 0 && w->ring[k] == s) {   /* still the newest: replaced */
            ui_snap_release(s);
            w->ring[k] = n;
            w->published++;
            n = NULL;
        }
        pthread_mutex_unlock(&w->mu);
    } else if (t) {
        w->b->free_trace(t);
    }
    if (n) {   /* a step came in between: the passes belong to an older batch */
        ui_snap_release(n);
    }
    ui_snap_release(s);
}

bool ui_worker_take_ghost(ui_worker *w, ui_run *out, unsigned *seq)
{
    bool took = false;
    pthread_mutex_lock(&w->mu);
    if (*seq != w->ghost_seq && w->ghost.m) {
        *out = w->ghost;
        memset(&w->ghost, 0, sizeof w->ghost);
        took = true;
    }
    *seq = w->ghost_seq;
    pthread_mutex_unlock(&w->mu);
    return took;
}

/* Runs outside the lock. */
static void apply(ui_worker *w, ui_cmd *c)
{
    char err[256] = "";
    int rc = 0;
    bool changes_graph = true;
    switch (c->kind) {
    case UI_CMD_STEP:
        pthread_mutex_lock(&w->mu);
        w->pending += c->n;
        pthread_mutex_unlock(&w->mu);
        return;
    case UI_CMD_ACTION:
        if (c->action.kind == LS_ACT_RUN) {
            /* A lesson run plays: Space pauses and resumes it, and it stops when done. */
            pthread_mutex_lock(&w->mu);
            if (w->run_left == 0)
                w->run_total = 0;
            w->run_left += c->action.n;
            w->run_total += c->action.n;
            if (!w->playing) {
                w->next_due = now_s();
                w->n_stamps = 0;
            }
            w->playing = c->action.n > 0 || w->playing;
            w->played = 0;
            pthread_mutex_unlock(&w->mu);
            return;
        }
        if (c->action.kind == LS_ACT_PREDICT && w->b->predict) {
            rc = predict(w, err, sizeof err);   /* the lesson's pass, shown */
            break;
        }
        rc = w->b->command(w->b->ctx, c, err, sizeof err);
        if (rc == 0 && c->action.kind == LS_ACT_MODE && !c->action.flag)
            rc = show_inference(w, err, sizeof err);
        if (rc == 0 && c->action.kind == LS_ACT_COMPARE)
            show_twins(w);
        if (rc == 0 && c->action.kind == LS_ACT_MC)
            show_mc(w);
        break;
    case UI_CMD_EXPECT: {
        ui_expect_result r = {.tag = c->tag};
        r.ok = w->b->expect ? w->b->expect(w->b->ctx, c->expect, &r.measured, r.desc,
                                           sizeof r.desc)
                            : false;
        record_validation(w);   /* before the result: whoever reads it finds it charted */
        pthread_mutex_lock(&w->mu);
        if (w->n_res < (int)(sizeof w->res / sizeof w->res[0]))
            w->res[w->n_res++] = r;
        pthread_mutex_unlock(&w->mu);
        return;
    }
    case UI_CMD_VALIDATE: {
        double loss = NAN, acc = NAN;
        rc = w->b->validate ? w->b->validate(w->b->ctx, &loss, &acc, err, sizeof err) : -1;
        if (rc == 0 && !w->b->last_validation) {
            pthread_mutex_lock(&w->mu);
            if (w->m_len > 0) {
                w->m[w->m_len - 1].val_loss = (float)loss;
                w->m[w->m_len - 1].val_accuracy = (float)acc;
            }
            pthread_mutex_unlock(&w->mu);
        }
        changes_graph = false;
        break;
    }
    default:
        rc = w->b->command(w->b->ctx, c, err, sizeof err);
        /* Inference from now on: shown at once, not after the next step. */
        if (rc == 0 && c->kind == UI_CMD_MODE && !c->flag)
            rc = show_inference(w, err, sizeof err);
        break;
    }
    record_validation(w);
    if (rc != 0) {
        pthread_mutex_lock(&w->mu);
        set_error(w, err[0] ? err : "command failed");
        pthread_mutex_unlock(&w->mu);
    } else if (c->kind == UI_CMD_SAVE_LESSON) {
        pthread_mutex_lock(&w->mu);
        snprintf(w->notice, sizeof w->notice, "Saved as a lesson: %.200s (dropscope open it)",
                 c->path);
        w->notice_seq++;
        pthread_mutex_unlock(&w->mu);
    }
    if (c->kind == UI_CMD_RESET ||
        (c->kind == UI_CMD_ACTION && c->action.kind == LS_ACT_RESET)) {
        pthread_mutex_lock(&w->mu);
        ring_clear(w);
        w->m_len = 0;
        w->m_gen++;
        w->n_stamps = 0;
        w->steps = 0;   /* the live step count starts again too */
        pthread_mutex_unlock(&w->mu);
    }
    if (changes_graph)
        describe(w);
}

static bool lesson_ordered(const ui_cmd *c)
{
    return c->kind == UI_CMD_ACTION || c->kind == UI_CMD_EXPECT || c->kind == UI_CMD_MARK;
}

/* Under the lock. Lesson commands keep their order after a lesson's queued steps;
 * the student's own commands take effect at the next step boundary. */
static bool next_command(ui_worker *w, ui_cmd *out)
{
    for (size_t i = 0; i < w->q_len; i++) {
        size_t k = (w->q_head + i) % w->q_cap;
        if ((w->pending > 0 || w->run_left > 0) && lesson_ordered(&w->q[k]))
            continue;
        *out = w->q[k];
        for (size_t j = i; j > 0; j--)   /* close the gap from the front */
            w->q[(w->q_head + j) % w->q_cap] = w->q[(w->q_head + j - 1) % w->q_cap];
        w->q_head = (w->q_head + 1) % w->q_cap;
        w->q_len--;
        return true;
    }
    return false;
}

/* Under the lock, after a step: what it used up. A single step (S) counts against
 * pending; a played one against the lesson run (which stops playing when done) or the
 * free-play limit. */
static void count_step(ui_worker *w, bool single)
{
    if (single) {
        if (w->pending > 0)
            w->pending--;
        return;
    }
    if (w->run_left > 0) {
        if (--w->run_left == 0)
            w->playing = false;   /* a finished lesson run stops: no free running after it */
        return;
    }
    if (w->play_limit > 0 && ++w->played >= w->play_limit)
        w->playing = false;
}

/* Under the lock: a queued command next_command would take now. */
static bool has_doable(const ui_worker *w)
{
    for (size_t i = 0; i < w->q_len; i++)
        if (!((w->pending > 0 || w->run_left > 0) && lesson_ordered(&w->q[(w->q_head + i) % w->q_cap])))
            return true;
    return false;
}

/* Under the lock: what the next piece of work computes, for the window's sign of life. */
static void set_activity(ui_worker *w, const char *what)
{
    if (strcmp(w->activity, what) != 0)
        w->activity_t0 = now_s();
    snprintf(w->activity, sizeof w->activity, "%s", what);
}

static void command_activity(ui_worker *w, const ui_cmd *c)
{
    char buf[112];
    const ls_action_kind k = c->action.kind;
    if (c->kind == UI_CMD_EXPECT)
        snprintf(buf, sizeof buf, "checking: %.90s", c->expect && c->expect->text ? c->expect->text : "");
    else if (c->kind == UI_CMD_VALIDATE || (c->kind == UI_CMD_ACTION && k == LS_ACT_VALIDATE))
        snprintf(buf, sizeof buf, "validation pass");
    else if ((c->kind == UI_CMD_MODE && !c->flag) ||
             (c->kind == UI_CMD_ACTION && (k == LS_ACT_PREDICT || (k == LS_ACT_MODE && !c->action.flag))))
        snprintf(buf, sizeof buf, "predict pass (inference, no mask)");
    else if (c->kind == UI_CMD_RESET || (c->kind == UI_CMD_ACTION && k == LS_ACT_RESET))
        snprintf(buf, sizeof buf, "re-initialising the weights");
    else
        snprintf(buf, sizeof buf, "applying a change");
    set_activity(w, buf);
}

static void step_activity(ui_worker *w, bool single)
{
    char buf[112];
    if (!single && w->run_left > 0)
        snprintf(buf, sizeof buf, "lesson run: step %ld of %ld", w->run_total - w->run_left + 1,
                 w->run_total);
    else
        snprintf(buf, sizeof buf, "%s", single ? "one step" : "training");
    set_activity(w, buf);
}

static void *worker_main(void *arg)
{
    ui_worker *w = arg;
    pthread_mutex_lock(&w->mu);
    while (!w->quit) {
        ui_cmd c;
        if (next_command(w, &c)) {
            w->busy = true;
            command_activity(w, &c);
            pthread_mutex_unlock(&w->mu);
            apply(w, &c);
            pthread_mutex_lock(&w->mu);
            w->activity[0] = 0;
            pthread_cond_broadcast(&w->idle);
            continue;
        }
        if (w->pending == 0 && !w->playing) {
            w->busy = false;
            w->activity[0] = 0;
            pthread_cond_broadcast(&w->idle);
            pthread_cond_wait(&w->wake, &w->mu);
            continue;
        }
        bool single = w->pending > 0;
        double rate = w->speed;
        if (!single && w->run_left > 0 && rate > 0 && rate < LESSON_RUN_MIN_SPEED)
            rate = LESSON_RUN_MIN_SPEED;
        if (single && !w->playing)
            rate = 0;   /* a single step runs now */
        double now = now_s();
        if (rate > 0 && now < w->next_due) {
            double wait = w->next_due - now;
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            double t = ts.tv_sec + ts.tv_nsec * 1e-9 + wait;
            ts.tv_sec = (time_t)t;
            ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
            pthread_cond_timedwait(&w->wake, &w->mu, &ts);
            continue;
        }
        w->busy = true;
        step_activity(w, single);
        pthread_mutex_unlock(&w->mu);

        char err[256] = "";
        nn_trace *t = w->b->step(w->b->ctx, err, sizeof err);
        double done = now_s();

        pthread_mutex_lock(&w->mu);
        count_step(w, single);
        w->activity[0] = 0;
        if (!t) {
            set_error(w, err[0] ? err : "training step failed");
            w->playing = false;
            w->pending = w->run_left = 0;
            continue;
        }
        bool finite = t->finite;
        const char *bad = t->nonfinite_layer;
        char msg[256];
        snprintf(msg, sizeof msg, "non-finite values in layer %s: training paused",
                 bad[0] ? bad : "?");
        publish(w, t);
        stamp(w, done);
        if (!finite) {
            set_error(w, err[0] ? err : msg);
            w->playing = false;
            w->pending = w->run_left = 0;
        }
        if (rate > 0) {
            w->next_due += 1.0 / rate;
            if (w->next_due < done - 0.25 || w->next_due > done + 1.0 / rate)
                w->next_due = done + 1.0 / rate;
        } else {
            w->next_due = done;
        }
    }
    w->busy = false;
    pthread_cond_broadcast(&w->idle);
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

ui_worker *ui_worker_start(ui_backend *b, int history)
{
    ui_worker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->b = b;
    w->ring_max = history < 8 ? 8 : history;
    w->ring = calloc((size_t)w->ring_max, sizeof *w->ring);
    w->q_cap = 256;
    w->q = malloc(w->q_cap * sizeof *w->q);
    w->speed = 2.0;
    if (!w->ring || !w->q) {
        free(w->ring);
        free(w->q);
        free(w);
        return NULL;
    }
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->wake, NULL);
    pthread_cond_init(&w->idle, NULL);
    describe(w);
    w->busy = true;   /* until the thread first goes idle */
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
        w->b = NULL;  /* the caller keeps b on failure */
        ui_worker_stop(w);
        return NULL;
    }
    w->started = true;
    return w;
}

void ui_worker_stop(ui_worker *w)
{
    if (!w)
        return;
    if (w->started) {
        pthread_mutex_lock(&w->mu);
        w->quit = true;
        pthread_cond_broadcast(&w->wake);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->thread, NULL);
    }
    ring_clear(w);
    ui_backend_destroy(w->b);
    ui_graph_free(&w->graph);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->wake);
    pthread_cond_destroy(&w->idle);
    free(w->ring);
    free(w->q);
    free(w->m);
    free(w->ghost.m);
    free(w);
}

void ui_backend_destroy(ui_backend *b)
{
    if (!b)
        return;
    if (b->destroy)
        b->destroy(b->ctx);
    free(b);
}

void ui_worker_push(ui_worker *w, const ui_cmd *c)
{
    pthread_mutex_lock(&w->mu);
    if (w->q_len == w->q_cap) {
        size_t cap = w->q_cap * 2;
        ui_cmd *q = malloc(cap * sizeof *q);
        if (!q) {
            set_error(w, "out of memory queueing a command");
            pthread_mutex_unlock(&w->mu);
            return;
        }
        for (size_t i = 0; i < w->q_len; i++)
            q[i] = w->q[(w->q_head + i) % w->q_cap];
        free(w->q);
        w->q = q;
        w->q_cap = cap;
        w->q_head = 0;
    }
    w->q[(w->q_head + w->q_len) % w->q_cap] = *c;
    w->q_len++;
    w->busy = true;
    pthread_cond_broadcast(&w->wake);
    pthread_mutex_unlock(&w->mu);
}

void ui_worker_set_playing(ui_worker *w, bool playing)
{
    pthread_mutex_lock(&w->mu);
    if (playing && !w->playing) {
        w->next_due = now_s();
        w->played = 0;
        w->n_stamps = 0;   /* the rate measured from now on, not across the pause */
        w->busy = true;
    }
    w->playing = playing;
    pthread_cond_broadcast(&w->wake);
    pthread_mutex_unlock(&w->mu);
}

void ui_worker_set_speed(ui_worker *w, double sps)
{
    pthread_mutex_lock(&w->mu);
    w->speed = sps;
    w->next_due = now_s();
    pthread_cond_broadcast(&w->wake);
    pthread_mutex_unlock(&w->mu);
}

void ui_worker_set_play_limit(ui_worker *w, long steps)
{
    pthread_mutex_lock(&w->mu);
    w->play_limit = steps > 0 ? steps : 0;
    pthread_mutex_unlock(&w->mu);
}

void ui_worker_wait_idle(ui_worker *w)
{
    pthread_mutex_lock(&w->mu);
    /* Free play without a limit never idles: then wait only for what was asked. A
     * paused lesson run, and lesson commands queued behind it, wait for Space. */
    for (;;) {
        bool free_play = w->playing && w->run_left == 0 && w->play_limit == 0;
        bool asked = has_doable(w) || w->pending > 0;
        if (free_play ? !asked : !asked && !w->playing && !w->busy)
            break;
        pthread_cond_wait(&w->idle, &w->mu);
    }
    pthread_mutex_unlock(&w->mu);
}

ui_worker_status ui_worker_get_status(ui_worker *w)
{
    ui_worker_status s;
    pthread_mutex_lock(&w->mu);
    s.playing = w->playing;
    s.speed = w->speed;
    s.pending = w->pending;
    s.run_left = w->run_left;
    s.steps = w->steps;
    /* Paused, nothing runs: no rate (not the last two seconds' one). */
    s.steps_per_sec = w->playing || w->pending > 0 ? measured_sps(w, now_s()) : 0.0;
    snprintf(s.error, sizeof s.error, "%s", w->error);
    s.error_seq = w->error_seq;
    snprintf(s.activity, sizeof s.activity, "%s", w->activity);
    char detail[112] = "";
    if (w->activity[0] && w->b->progress_text)   /* the long part of it, named */
        w->b->progress_text(w->b->ctx, detail, sizeof detail);
    if (detail[0])
        snprintf(s.activity, sizeof s.activity, "%.49s, %.60s", w->activity, detail);
    snprintf(s.notice, sizeof s.notice, "%s", w->notice);
    s.notice_seq = w->notice_seq;
    s.published = w->published;
    s.busy_s = w->activity[0] ? now_s() - w->activity_t0 : 0.0;
    pthread_mutex_unlock(&w->mu);
    return s;
}

ui_snap *ui_worker_acquire(ui_worker *w, int back)
{
    ui_snap *s = NULL;
    pthread_mutex_lock(&w->mu);
    if (back < 0)
        back = 0;
    if (w->ring_len > 0) {
        if (back >= w->ring_len)
            back = w->ring_len - 1;
        s = w->ring[(w->ring_head - 1 - back + w->ring_max) % w->ring_max];
        atomic_fetch_add(&s->refs, 1);
    }
    pthread_mutex_unlock(&w->mu);
    return s;
}

int ui_worker_history(ui_worker *w)
{
    pthread_mutex_lock(&w->mu);
    int n = w->ring_len;
    pthread_mutex_unlock(&w->mu);
    return n;
}

bool ui_worker_graph(ui_worker *w, ui_graph *dst, unsigned *version)
{
    bool copied = false;
    pthread_mutex_lock(&w->mu);
    if (*version != w->graph_ver && graph_copy(dst, &w->graph) == 0) {
        *version = w->graph_ver;
        copied = true;
    }
    pthread_mutex_unlock(&w->mu);
    return copied;
}

int ui_worker_metrics(ui_worker *w, ui_metric **arr, size_t *have, size_t *cap, unsigned *gen)
{
    pthread_mutex_lock(&w->mu);
    if (*gen != w->m_gen) {
        *have = 0;
        *gen = w->m_gen;
    }
    /* The last entry may have gained a validation result since it was copied. */
    size_t from = *have > 0 ? *have - 1 : 0;
    if (from > w->m_len)
        from = *have = 0;
    if (w->m_len > *cap) {
        size_t c = *cap ? *cap : 1024;
        while (c < w->m_len)
            c *= 2;
        ui_metric *a = realloc(*arr, c * sizeof *a);
        if (!a) {
            pthread_mutex_unlock(&w->mu);
            return -1;
        }
        *arr = a;
        *cap = c;
    }
    if (w->m_len > from)
        memcpy(*arr + from, w->m + from, (w->m_len - from) * sizeof **arr);
    *have = w->m_len;
    pthread_mutex_unlock(&w->mu);
    return 0;
}

double ui_worker_cpu_seconds(ui_worker *w)
{
    clockid_t id;
    struct timespec ts;
    if (!w->started || pthread_getcpuclockid(w->thread, &id) != 0 || clock_gettime(id, &ts) != 0)
        return -1;
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int ui_worker_results(ui_worker *w, ui_expect_result *out, int max)
{
    pthread_mutex_lock(&w->mu);
    int n = w->n_res < max ? w->n_res : max;
    memcpy(out, w->res, (size_t)n * sizeof *out);
    memmove(w->res, w->res + n, (size_t)(w->n_res - n) * sizeof *out);
    w->n_res -= n;
    pthread_mutex_unlock(&w->mu);
    return n;
}
