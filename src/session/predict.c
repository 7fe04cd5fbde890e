/* What the window reads of a session beyond its steps: the lesson's `predict` as a
 * snapshot (one inference forward over the current batch, no mask, no update, captured
 * so that the window shows that pass), and the last validation result. */
#include <stdlib.h>
#include <string.h>

#include "data/dataset.h"
#include "session/session_internal.h"

nn_trace *ls_session_predict(ls_session *s)
{
    nn_model *m = s->model;
    /* Before any step there is no batch yet: take the first, as `predict` does. */
    if (s->last_n == 0 && ds_batcher_next(s->batcher, s->batch, s->x, s->y, s->src) > 0)
        s->last_n = s->batch;
    int n = s->last_n ? s->last_n : 1;
    nn_step_result res;
    memset(&res, 0, sizeof res);
    res.finite = true;
    if (nn_model_forward(m, s->x, n, false) < 0) {
        ls_fail(s, "%s: %s", s->lesson->path, nn_model_error(m));
        return NULL;
    }
    int correct = 0;
    res.loss = nn_model_loss(m, s->y, n, &correct, false);
    res.accuracy = (double)correct / n;
    res.n = n;
    nn_trace *t = nn_trace_capture(m, &res, s->x, s->y, s->src, n);
    if (!t) {
        ls_fail(s, "out of memory for a snapshot");
        return NULL;
    }
    /* No update ran: the pass changed no weight. */
    for (int i = 0; i < t->n_layers; i++)
        t->layers[i].dw_max = 0.0f, t->layers[i].dw_norm = 0.0;
    t->training = false;
    t->desc_version = s->desc.version;
    return t;
}

bool ls_session_last_validation(const ls_session *s, long *step, double *loss, double *acc)
{
    if (!s->have_val)
        return false;
    *step = s->val_at;
    *loss = s->val_loss;
    *acc = s->val_acc;
    return true;
}

void ls_progress(ls_session *s, const char *what, long done, long total)
{
    if (s->opt.progress)
        s->opt.progress(s->opt.progress_user, what, done, total);
}
