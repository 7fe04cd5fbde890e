/* Save as lesson: the session's history of changes, replayed as one lesson step. */
#include "session/save.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/atomicio.h"
#include "keras/keras.h"
#include "session/load.h"
#include "session/session_internal.h"

/* The most steps one `run` line takes (the lesson's MAX_RUN). */
#define SAVE_MAX_RUN 10000000L

typedef enum { H_RUN, H_RATE, H_TRAINABLE, H_COMPILE, H_MODE, H_LR, H_SEED, H_RESET } h_kind;

typedef struct {
    h_kind kind;
    int layer;          /* H_RATE, H_TRAINABLE */
    long n;             /* H_RUN: session steps */
    double value;       /* H_RATE, H_LR */
    bool flag;          /* H_TRAINABLE: trainable; H_MODE: training */
    uint64_t seed;      /* H_SEED */
} h_entry;

/* The history, and the settings as a replay of it leaves them. */
struct ls_history {
    h_entry *e;
    int n, cap;
    bool lost;          /* out of memory once: the history is incomplete */
    int n_layers;
    bool *trainable, *active;
    double *rate;
    bool training;
    float lr;
    uint64_t seed0;     /* the seed the session started with (data split, weights) */
    int batch0;
};

static h_entry *h_add(ls_history *h, h_kind kind)
{
    if (h->n == h->cap) {
        int cap = h->cap ? h->cap * 2 : 64;
        h_entry *e = realloc(h->e, (size_t)cap * sizeof *e);
        if (!e) {
            h->lost = true;
            return NULL;
        }
        h->e = e;
        h->cap = cap;
    }
    h_entry *e = &h->e[h->n++];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    return e;
}

static void h_trainable(ls_history *h, int i, bool flag)
{
    h_entry *e = h_add(h, H_TRAINABLE);
    if (e) {
        e->layer = i;
        e->flag = flag;
    }
    h->trainable[i] = flag;
}

/* Logs what differs between the model now and the history's settings, in an order that
 * reproduces both the flags as of the last compile and the live flags: first the flags
 * the last compile saw, then `compile`, then the live flags. */
static void h_flush(ls_session *s)
{
    ls_history *h = s->history;
    if (!h || h->lost)
        return;
    nn_model *m = s->model;
    bool recompiled = false;
    for (int i = 0; i < h->n_layers; i++)
        if (m->layers[i]->train_active != h->active[i])
            recompiled = true;
    if (recompiled) {
        for (int i = 0; i < h->n_layers; i++)
            if (h->trainable[i] != m->layers[i]->train_active)
                h_trainable(h, i, m->layers[i]->train_active);
        h_add(h, H_COMPILE);
        memcpy(h->active, h->trainable, (size_t)h->n_layers * sizeof(bool));
    }
    for (int i = 0; i < h->n_layers; i++)
        if (h->trainable[i] != m->layers[i]->trainable)
            h_trainable(h, i, m->layers[i]->trainable);
    for (int i = 0; i < h->n_layers; i++) {
        const nn_layer *l = m->layers[i];
        if (l->type == NN_DROPOUT && l->cfg.rate != h->rate[i]) {
            h_entry *e = h_add(h, H_RATE);
            if (e) {
                e->layer = i;
                e->value = l->cfg.rate;
            }
            h->rate[i] = l->cfg.rate;
        }
    }
    if (m->opt.lr != h->lr) {
        h_entry *e = h_add(h, H_LR);
        if (e)
            e->value = m->opt.lr;
        h->lr = m->opt.lr;
    }
    if (s->training != h->training) {
        h_entry *e = h_add(h, H_MODE);
        if (e)
            e->flag = s->training;
        h->training = s->training;
    }
}

void ls_history_start(ls_session *s)
{
    ls_history *h = calloc(1, sizeof *h);
    s->history = h;
    if (!h)
        return;
    nn_model *m = s->model;
    h->n_layers = m->n_layers;
    h->trainable = calloc((size_t)m->n_layers, sizeof(bool));
    h->active = calloc((size_t)m->n_layers, sizeof(bool));
    h->rate = calloc((size_t)m->n_layers, sizeof(double));
    if (!h->trainable || !h->active || !h->rate) {
        h->lost = true;
        return;
    }
    for (int i = 0; i < m->n_layers; i++) {
        h->trainable[i] = m->layers[i]->trainable;
        h->active[i] = m->layers[i]->train_active;
        h->rate[i] = m->layers[i]->type == NN_DROPOUT ? m->layers[i]->cfg.rate : 0.0;
    }
    h->training = s->training;
    h->lr = m->opt.lr;
    h->seed0 = s->seed;
    h->batch0 = s->batch;
}

void ls_history_step(ls_session *s)
{
    ls_history *h = s->history;
    h_flush(s);
    if (!h || h->lost)
        return;
    if (h->n > 0 && h->e[h->n - 1].kind == H_RUN && h->e[h->n - 1].n < SAVE_MAX_RUN) {
        h->e[h->n - 1].n++;
        return;
    }
    h_entry *e = h_add(h, H_RUN);
    if (e)
        e->n = 1;
}

void ls_history_reset(ls_session *s)
{
    ls_history *h = s->history;
    h_flush(s);
    if (!h || h->lost)
        return;
    h_add(h, H_RESET);
    /* the reset recompiles: the flags as of compile become the live ones */
    memcpy(h->active, h->trainable, (size_t)h->n_layers * sizeof(bool));
}

void ls_history_seed(ls_session *s, uint64_t seed)
{
    ls_history *h = s->history;
    h_flush(s);
    if (!h || h->lost)
        return;
    h_entry *e = h_add(h, H_SEED);
    if (e)
        e->seed = seed;
}

void ls_history_free(ls_session *s)
{
    if (!s || !s->history)
        return;
    free(s->history->e);
    free(s->history->trainable);
    free(s->history->active);
    free(s->history->rate);
    free(s->history);
    s->history = NULL;
}

/* ------------------------------------------------------------- writing -- */

/* The lesson's source text (a .py is imported again), NUL-terminated; caller frees.
 * Read up to a NUL byte or the end: neither a lesson nor a script may hold one. */
static char *read_source(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot read the lesson to save from: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t cap = 0;
    ssize_t n = getdelim(&buf, &cap, '\0', f);
    bool bad = ferror(f) || (n < 0 && !feof(f));
    fclose(f);
    if (bad) {
        free(buf);
        snprintf(err, errlen, "%s: cannot read the lesson to save from", path);
        return NULL;
    }
    if (n < 0) {   /* an empty file */
        free(buf);
        buf = calloc(1, 1);
        n = 0;
        if (!buf) {
            snprintf(err, errlen, "%s: out of memory", path);
            return NULL;
        }
    }
    if (!ls_is_python_path(path))
        return buf;
    char *text = ls_keras_import(path, buf, (size_t)n, err, errlen);
    free(buf);
    return text;
}

/* The first word of a line (after blanks), lower-cased into w[n]. */
static void first_word(const char *line, size_t len, char *w, size_t n)
{
    size_t i = 0, k = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    while (i < len && k + 1 < n && (line[i] == '_' || (line[i] >= 'a' && line[i] <= 'z') ||
                                    (line[i] >= 'A' && line[i] <= 'Z'))) {
        char c = line[i++];
        w[k++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    w[k] = '\0';
}

/* Writes the declarations of text (the lines before the first step) without their
 * `fit` section, which the caller writes anew. */
static void write_decls(FILE *f, const char *text, int first_step_line)
{
    const char *p = text;
    bool in_fit = false;
    for (int line = 1; *p && (first_step_line <= 0 || line < first_step_line); line++) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char w[32];
        first_word(p, len, w, sizeof w);
        if (!strcmp(w, "fit"))
            in_fit = true;
        else if (in_fit && w[0] && strcmp(w, "batch") && strcmp(w, "batch_size") && strcmp(w, "seed") &&
                 strcmp(w, "validate") && strcmp(w, "validate_every"))
            in_fit = false;
        if (!in_fit)
            fprintf(f, "%.*s\n", (int)len, p);
        p = nl ? nl + 1 : p + len;
    }
}

/* A layer name as a quoted lesson string. */
static void put_name(FILE *f, const char *name)
{
    fputc('"', f);
    for (const char *c = name; *c; c++) {
        if (*c == '"' || *c == '\\')
            fputc('\\', f);
        fputc(*c, f);
    }
    fputc('"', f);
}

static void write_entry(FILE *f, const nn_model *m, const h_entry *e)
{
    switch (e->kind) {
    case H_RUN:
        fprintf(f, "  run %ld step%s\n", e->n, e->n == 1 ? "" : "s");
        break;
    case H_RATE:
        fprintf(f, "  set dropout rate of ");
        put_name(f, m->layers[e->layer]->name);
        fprintf(f, " to %.17g\n", e->value);
        break;
    case H_TRAINABLE:
        fprintf(f, "  %s ", e->flag ? "unfreeze" : "freeze");
        put_name(f, m->layers[e->layer]->name);
        fprintf(f, " without recompile\n");
        break;
    case H_COMPILE:
        fprintf(f, "  compile\n");
        break;
    case H_MODE:
        fprintf(f, "  mode %s\n", e->flag ? "training" : "inference");
        break;
    case H_LR:
        fprintf(f, "  learning rate %.9g\n", e->value);
        break;
    case H_SEED:
        fprintf(f, "  seed %llu\n", (unsigned long long)e->seed);
        break;
    case H_RESET:
        fprintf(f, "  reset\n");
        break;
    }
}

/* Refuses what a lesson cannot say: a seed action above 2^63-1. */
static int check_history(const ls_history *h, const char *path, char *err, size_t errlen)
{
    if (!h || h->lost) {
        snprintf(err, errlen, "%s: not saved: the session ran out of memory keeping its history", path);
        return -1;
    }
    for (int i = 0; i < h->n; i++)
        if (h->e[i].kind == H_SEED && h->e[i].seed > (uint64_t)INT64_MAX) {
            snprintf(err, errlen, "%s: not saved: seed %llu is beyond what a lesson's seed action takes "
                     "(0..9223372036854775807)", path, (unsigned long long)h->e[i].seed);
            return -1;
        }
    return 0;
}

static void write_step(FILE *f, ls_session *s, const ls_save_view *view)
{
    const ls_lesson *l = s->lesson;
    ls_history *h = s->history;
    long steps = ls_session_steps(s);
    fprintf(f, "\nfit\n  batch_size %d\n  seed %llu\n", h->batch0, (unsigned long long)h->seed0);
    if (l->fit.validate_every > 0)
        fprintf(f, "  validate every %d steps\n", l->fit.validate_every);
    fprintf(f, "\nstep \"Saved at step %ld\"\n", steps);
    fprintf(f, "  > Saved by dropscope at step %ld from %s. This step replays what happened, in order:\n"
               "  > the steps run and every change of rate, freezing, mode and learning rate.\n",
            steps, l->path);
    for (int i = 0; i < h->n; i++)
        write_entry(f, s->model, &h->e[i]);
    if (view && view->has_example) {
        if (view->example < 0)
            fprintf(f, "  show whole batch\n");
        else
            fprintf(f, "  show example %d\n", view->example);
    }
    if (view && view->layer && view->layer[0]) {
        fprintf(f, "  focus layer ");
        put_name(f, view->layer);
        fputc('\n', f);
    }
    fprintf(f, "  expect steps == %ld\n", steps);
}

int ls_session_save_lesson(ls_session *s, const char *path, const ls_save_view *view, char *err,
                           size_t errlen)
{
    ls_history *h = s->history;
    h_flush(s);   /* the changes made since the last step */
    if (check_history(h, path, err, errlen) < 0)
        return -1;
    const ls_lesson *l = s->lesson;
    char *text = read_source(l->path, err, errlen);
    if (!text)
        return -1;
    ds_atomic *a = ds_atomic_open(path, err, errlen);
    if (!a) {
        free(text);
        return -1;
    }
    FILE *f = ds_atomic_file(a);
    fprintf(f, "# Saved by dropscope from %s at step %ld: the lesson's declarations, then one step\n"
               "# that replays the session (dropscope open or check it to reach the same state).\n",
            l->path, ls_session_steps(s));
    write_decls(f, text, l->n_steps > 0 ? l->steps[0].loc.line : 0);
    free(text);
    write_step(f, s, view);
    return ds_atomic_commit(a, err, errlen);
}
