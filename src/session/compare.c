/* Comparing runs (issue 12): the metric history of every run the session made, each
 * labelled by its Dropout rates ("rate 0.5"), for the window's ghost curves; and twin
 * runs: the same seed (so the same initial weights, batches in the same order and mask
 * stream), one setting changed, each measured at its end on the whole training and
 * validation sets with dropout off (as model.evaluate). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session/session_internal.h"

static void run_label(const ls_session *s, char *out, size_t n)
{
    const nn_model *m = s->model;
    size_t k = 0;
    out[0] = '\0';
    int seen = 0;
    for (int i = 0; i < m->n_layers && k < n; i++) {
        const nn_layer *l = m->layers[i];
        if (l->type != NN_DROPOUT)
            continue;
        if (seen++ == 0)
            k += (size_t)snprintf(out + k, n - k, "rate %.1f", l->cfg.rate);
        else
            k += (size_t)snprintf(out + k, n - k, ", %.1f", l->cfg.rate);
    }
    if (!seen)
        snprintf(out, n, "run");
}

static void run_free(ls_run_history *r)
{
    free(r->loss);
    free(r->accuracy);
    free(r->val_loss);
    free(r->val_accuracy);
    memset(r, 0, sizeof *r);
}

void ls_runs_free(ls_session *s)
{
    for (int i = 0; i < s->n_runs; i++)
        run_free(&s->runs[i]);
    run_free(&s->cur_run);
    s->n_runs = 0;
}

/* After a step: its batch loss; the validation of this step, when there was one. */
int ls_runs_step(ls_session *s, double loss, double accuracy)
{
    ls_run_history *r = &s->cur_run;
    if (r->n == s->cur_cap) {
        long cap = s->cur_cap ? s->cur_cap * 2 : 256;
        float *a = realloc(r->loss, (size_t)cap * sizeof *a);
        if (a)
            r->loss = a;
        float *d = a ? realloc(r->accuracy, (size_t)cap * sizeof *d) : NULL;
        if (d)
            r->accuracy = d;
        float *b = d ? realloc(r->val_loss, (size_t)cap * sizeof *b) : NULL;
        if (b)
            r->val_loss = b;
        float *c = b ? realloc(r->val_accuracy, (size_t)cap * sizeof *c) : NULL;
        if (!c)
            return ls_fail(s, "out of memory");
        r->val_accuracy = c;
        s->cur_cap = cap;
    }
    r->loss[r->n] = (float)loss;
    r->accuracy[r->n] = (float)accuracy;
    r->val_loss[r->n] = r->val_accuracy[r->n] = NAN;
    r->n++;
    run_label(s, r->label, sizeof r->label);
    return 0;
}

/* A validation at the current step goes into the current run's last entry. */
void ls_runs_validated(ls_session *s, double loss, double acc)
{
    ls_run_history *r = &s->cur_run;
    if (r->n > 0) {
        r->val_loss[r->n - 1] = (float)loss;
        r->val_accuracy[r->n - 1] = (float)acc;
    }
}

/* On reset: the current run joins the earlier ones (the oldest goes when full). */
void ls_runs_archive(ls_session *s)
{
    if (s->cur_run.n == 0)
        return;
    if (s->n_runs == LS_MAX_RUNS) {
        run_free(&s->runs[0]);
        memmove(s->runs, s->runs + 1, (LS_MAX_RUNS - 1) * sizeof *s->runs);
        s->n_runs--;
    }
    s->runs[s->n_runs++] = s->cur_run;
    memset(&s->cur_run, 0, sizeof s->cur_run);
    s->cur_cap = 0;
}

int ls_session_runs(ls_session *s, const ls_run_history **runs)
{
    /* the archived runs, then the current one, in one array the session owns */
    int n = 0;
    for (int i = 0; i < s->n_runs; i++)
        s->runs_view[n++] = s->runs[i];
    if (s->cur_run.n > 0)
        s->runs_view[n++] = s->cur_run;
    *runs = s->runs_view;
    return n;
}

void ls_session_clear_runs(ls_session *s)
{
    for (int i = 0; i < s->n_runs; i++)
        run_free(&s->runs[i]);
    s->n_runs = 0;
}

/* Loss and accuracy over the whole training set, dropout off (model.evaluate on the
 * training data). */
static int evaluate_train(ls_session *s, double *loss, double *acc)
{
    const ds_set *t = &s->data.train;
    nn_shape in = s->model->layers[0]->out_shape;
    if (in.rank != 3 || in.d[0] != t->h || in.d[1] != t->w || in.d[2] != t->c)
        return ls_fail(s, "%s: 'compare' evaluates the training set as read: the model's input must be the images' size", s->lesson->path);
    ls_saved_dropout *sv = ls_save_dropouts(s->model, s->last_n);
    int rc = nn_model_evaluate(s->model, t->x, t->y, t->n, loss, acc);
    ls_restore_dropouts(s->model, sv, s->last_n);
    return rc < 0 ? ls_fail(s, "%s", nn_model_error(s->model)) : 0;
}

static int run_twin(ls_session *s, const ls_action *a, double rate, ls_twin *tw)
{
    if (ls_session_set_rate(s, a->layer, rate) < 0 || ls_session_reset(s) < 0)
        return -1;
    nn_trace *last = NULL;   /* the twin's last step, kept for a window to show */
    for (long i = 0; i < a->n; i++) {
        nn_trace *t = ls_session_step(s);
        bool ok = t && t->finite;
        nn_trace_destroy(last);
        last = t;
        if (!ok) {
            nn_trace_destroy(last);
            return -1;
        }
    }
    nn_trace_destroy(s->compare_trace);
    s->compare_trace = last;
    tw->rate = rate;
    tw->steps = a->n;
    if (evaluate_train(s, &tw->train_loss, &tw->train_acc) < 0)
        return -1;
    if (s->data.val.n > 0 && ls_session_validate(s, &tw->val_loss, &tw->val_acc) < 0)
        return -1;
    if (s->data.val.n == 0)
        tw->val_loss = tw->val_acc = NAN;
    tw->valid = true;
    if (last) {   /* its validation is this step's */
        last->val_loss = tw->val_loss;
        last->val_accuracy = tw->val_acc;
    }
    return 0;
}

int ls_session_compare(ls_session *s, const ls_action *a)
{
    memset(s->twins, 0, sizeof s->twins);
    nn_trace_destroy(s->compare_trace);
    s->compare_trace = NULL;
    if (s->data.val.n == 0)
        return ls_fail(s, "%s:%d:%d: 'compare' measures the validation loss: the lesson needs 'val N' in data",
                       s->lesson->path, a->loc.line, a->loc.col);
    if (run_twin(s, a, a->value, &s->twins[0]) < 0)
        return -1;
    return run_twin(s, a, a->value2, &s->twins[1]);
}

const ls_twin *ls_session_twins(const ls_session *s)
{
    return s->twins[0].valid && s->twins[1].valid ? s->twins : NULL;
}

int ls_twin_measure(ls_session *s, ls_quantity q, double *v)
{
    const ls_twin *t = ls_session_twins(s);
    if (!t)
        return ls_fail(s, "no 'compare' has run yet in this lesson");
    int k = q >= LS_Q_TWIN2_TRAIN_LOSS && q <= LS_Q_TWIN2_GAP ? 1 : 0;
    switch (q) {
    case LS_Q_TWIN1_TRAIN_LOSS:
    case LS_Q_TWIN2_TRAIN_LOSS:
        *v = t[k].train_loss;
        return 0;
    case LS_Q_TWIN1_VAL_LOSS:
    case LS_Q_TWIN2_VAL_LOSS:
        *v = t[k].val_loss;
        return 0;
    case LS_Q_TWIN1_VAL_ACC:
    case LS_Q_TWIN2_VAL_ACC:
        *v = t[k].val_acc;
        return 0;
    case LS_Q_TWIN1_GAP:
    case LS_Q_TWIN2_GAP:
        *v = t[k].val_loss - t[k].train_loss;
        return 0;
    case LS_Q_TWIN_GAP_DIFF:
        *v = (t[0].val_loss - t[0].train_loss) - (t[1].val_loss - t[1].train_loss);
        return 0;
    case LS_Q_TWIN_VAL_LOSS_DIFF:
        *v = t[0].val_loss - t[1].val_loss;
        return 0;
    case LS_Q_TWIN_TRAIN_LOSS_DIFF:
        *v = t[0].train_loss - t[1].train_loss;
        return 0;
    case LS_Q_TWIN_VAL_ACC_DIFF:
        *v = t[0].val_acc - t[1].val_acc;
        return 0;
    default:
        return ls_fail(s, "unknown twin quantity %d", (int)q);
    }
}

nn_trace *ls_session_take_compare_trace(ls_session *s)
{
    nn_trace *t = s->compare_trace;
    s->compare_trace = NULL;
    return t;
}
