/* Extra passes over the shown batch that leave the last step as it was: the batch's
 * loss with dropout on and off (issue 12: "why is my validation loss lower than my
 * training loss?") and Monte Carlo dropout (predicting with training=True, N passes).
 * Each probe saves what a forward overwrites and the step's readers need (the Dropout
 * layers' masks, outputs and inputs, the augmentation layers' draws, the masks' generator, the BatchNormalization
 * statistics a training-mode forward would move) and puts it back afterwards, so the
 * window and the expectations still see the last step, and the next training step
 * draws the masks it would have drawn without the probe. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "session/session_internal.h"

struct ls_saved_dropout {
    bool mask_valid;
    size_t dropped;
    float *out, *in, *noise;
    uint8_t *mask;
    nn_augment_draw *aug;   /* an augmentation layer's draws: the step's, shown by the window */
};

/* The layers a training-mode probe redraws: the dropout family and the augmentations. */
static bool redrawn(const nn_layer *l)
{
    return l->type == NN_DROPOUT || l->type == NN_AUGMENT;
}

static void *dup_or_null(const void *p, size_t bytes)
{
    void *q = p ? malloc(bytes) : NULL;
    if (q)
        memcpy(q, p, bytes);
    return q;
}

ls_saved_dropout *ls_save_dropouts(nn_model *m, int n)
{
    ls_saved_dropout *sv = calloc((size_t)m->n_layers, sizeof *sv);
    if (!sv)
        return NULL;
    for (int i = 0; i < m->n_layers; i++) {
        nn_layer *l = m->layers[i];
        if (!redrawn(l) || n <= 0)
            continue;
        size_t k = (size_t)n * l->out_size;
        sv[i].aug = dup_or_null(l->aug, (size_t)n * sizeof *l->aug);
        sv[i].mask_valid = l->mask_valid;
        sv[i].dropped = l->dropped;
        sv[i].out = dup_or_null(l->out, k * sizeof(float));
        sv[i].in = dup_or_null(m->layers[l->inputs[0]]->out, k * sizeof(float));
        sv[i].noise = dup_or_null(l->noise, k * sizeof(float));
        sv[i].mask = dup_or_null(l->mask, k);
    }
    return sv;
}

void ls_restore_dropouts(nn_model *m, ls_saved_dropout *sv, int n)
{
    if (!sv)
        return;
    for (int i = 0; i < m->n_layers; i++) {
        nn_layer *l = m->layers[i];
        if (!redrawn(l) || n <= 0)
            continue;
        size_t k = (size_t)n * l->out_size;
        if (sv[i].aug)
            memcpy(l->aug, sv[i].aug, (size_t)n * sizeof *l->aug);
        free(sv[i].aug);
        l->mask_valid = sv[i].mask_valid;
        l->dropped = sv[i].dropped;
        if (sv[i].out)
            memcpy(l->out, sv[i].out, k * sizeof(float));
        if (sv[i].in)
            memcpy(m->layers[l->inputs[0]]->out, sv[i].in, k * sizeof(float));
        if (sv[i].noise && l->noise)
            memcpy(l->noise, sv[i].noise, k * sizeof(float));
        if (sv[i].mask)
            memcpy(l->mask, sv[i].mask, k);
        free(sv[i].out);
        free(sv[i].in);
        free(sv[i].noise);
        free(sv[i].mask);
    }
    free(sv);
}

/* What a probe puts back. */
typedef struct {
    ls_saved_dropout *sv;
    nn_rng rng, aug_rng;
    float **stats;          /* per layer and parameter slot: BN statistics */
    int n;
} probe;

static int probe_begin(ls_session *s, probe *p, int n)
{
    nn_model *m = s->model;
    memset(p, 0, sizeof *p);
    p->n = n;
    p->rng = m->dropout_rng;
    p->aug_rng = m->augment_rng;
    p->sv = ls_save_dropouts(m, n);
    p->stats = calloc((size_t)m->n_layers * NN_MAX_PARAMS, sizeof *p->stats);
    if (!p->sv || !p->stats)
        return ls_fail(s, "out of memory");
    for (int i = 0; i < m->n_layers; i++)
        for (int q = 0; q < m->layers[i]->n_params; q++) {
            const nn_param *pr = &m->layers[i]->params[q];
            if (pr->is_stat && !(p->stats[i * NN_MAX_PARAMS + q] = dup_or_null(pr->data, pr->size * sizeof(float))))
                return ls_fail(s, "out of memory");
        }
    return 0;
}

static void probe_end(ls_session *s, probe *p)
{
    nn_model *m = s->model;
    ls_restore_dropouts(m, p->sv, p->n);
    m->dropout_rng = p->rng;
    m->augment_rng = p->aug_rng;
    if (p->stats)
        for (int i = 0; i < m->n_layers; i++)
            for (int q = 0; q < m->layers[i]->n_params; q++) {
                float *v = p->stats[i * NN_MAX_PARAMS + q];
                if (v)
                    memcpy(m->layers[i]->params[q].data, v, m->layers[i]->params[q].size * sizeof(float));
                free(v);
            }
    free(p->stats);
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i]->type == NN_DROPOUT)
            m->layers[i]->mask_override = NULL;
}

/* The shown batch: the last step's (or the first batch when no step ran yet). */
static int shown_batch(ls_session *s)
{
    if (s->last_n == 0) {
        int n = ds_batcher_next(s->batcher, s->batch, s->x, s->y, s->src);
        if (n < 1)
            return ls_fail(s, "no training data");
        s->last_n = n;
    }
    return s->last_n;
}

/* A forward over the shown batch, from the frozen prefix's cached outputs when there
 * are (the prefix holds no Dropout: nn_model_frozen_prefix), so passes cost the head. */
static int batch_forward(ls_session *s, int n, bool training)
{
    nn_model *m = s->model;
    const float *act = ls_cache_batch(s, n);
    int rc = act ? nn_model_forward_from(m, s->cache.layer, act, n, training) : nn_model_forward(m, s->x, n, training);
    return rc < 0 ? ls_fail(s, "%s", nn_model_error(m)) : 0;
}

int ls_session_batch_losses(ls_session *s, double *with_dropout, double *without)
{
    nn_model *m = s->model;
    int n = shown_batch(s);
    if (n < 0)
        return -1;
    probe p;
    int rc = probe_begin(s, &p, n);
    int correct;
    /* dropout on: the mean over LS_LOSS_MASKS fresh masks (the last step's own mask would
     * flatter: the update just fitted the weights to it), at the weights as they are now */
    double sum = 0;
    for (int k = 0; rc == 0 && k < LS_LOSS_MASKS; k++) {
        if ((rc = batch_forward(s, n, true)) == 0)
            sum += nn_model_loss(m, s->y, n, &correct, false);
    }
    if (rc == 0)
        *with_dropout = sum / LS_LOSS_MASKS;
    double acc;   /* dropout off: the definition each step's trace uses (loss_off) */
    if (rc == 0 && nn_model_loss_off(m, s->cache.layer, ls_cache_batch(s, n), s->x, s->y, n, without, &acc) < 0)
        rc = ls_fail(s, "%s", nn_model_error(m));
    probe_end(s, &p);
    return rc;
}

/* ---- Monte Carlo dropout ---- */

/* Each example's probability as the batch view shows it: binary p(class 1), else the
 * probability of cls[e]. */
static void read_probs(const nn_model *m, int n, const int32_t *cls, float *out)
{
    const nn_layer *o = m->layers[m->output];
    int k = (int)o->out_size;
    for (int e = 0; e < n; e++)
        out[e] = k == 1 ? o->out[e] : o->out[(size_t)e * k + cls[e]];
}

static void argmax_classes(const nn_model *m, int n, int32_t *cls)
{
    const nn_layer *o = m->layers[m->output];
    int k = (int)o->out_size;
    for (int e = 0; e < n; e++) {
        int best = 0;
        for (int c = 1; c < k; c++)
            if (o->out[(size_t)e * k + c] > o->out[(size_t)e * k + best])
                best = c;
        cls[e] = k == 1 ? 1 : best;
    }
}

static int mc_alloc(ls_session *s, int n)
{
    ls_mc_result *r = &s->mc;
    free(r->mean);
    free(r->spread);
    free(r->inference);
    free(r->cls);
    r->mean = calloc((size_t)n, sizeof *r->mean);
    r->spread = calloc((size_t)n, sizeof *r->spread);
    r->inference = calloc((size_t)n, sizeof *r->inference);
    r->cls = calloc((size_t)n, sizeof *r->cls);
    r->n = 0;
    if (!r->mean || !r->spread || !r->inference || !r->cls)
        return ls_fail(s, "out of memory");
    return 0;
}

/* Holds the masks the first pass drew for the passes after it. */
static int hold_masks(ls_session *s, uint8_t **held, int n)
{
    nn_model *m = s->model;
    for (int i = 0; i < m->n_layers; i++) {
        nn_layer *l = m->layers[i];
        if (l->type != NN_DROPOUT || !l->mask_valid)
            continue;
        if (!(held[i] = dup_or_null(l->mask, (size_t)n * l->out_size)))
            return ls_fail(s, "out of memory");
        l->mask_override = held[i];
    }
    return 0;
}

/* passes forwards with training=True; sums of p and p^2 in double per example. */
static int mc_passes(ls_session *s, int n, int passes, bool fixed, double *sum, double *sq, float *pr)
{
    nn_model *m = s->model;
    uint8_t **held = calloc((size_t)m->n_layers, sizeof *held);
    int rc = held ? 0 : ls_fail(s, "out of memory");
    for (int k = 0; k < passes && rc == 0; k++) {
        if ((rc = batch_forward(s, n, true)) < 0)
            break;
        read_probs(m, n, s->mc.cls, pr);
        for (int e = 0; e < n; e++) {
            sum[e] += pr[e];
            sq[e] += (double)pr[e] * pr[e];
        }
        if (k == 0 && fixed)
            rc = hold_masks(s, held, n);
    }
    if (held)
        for (int i = 0; i < m->n_layers; i++) {
            m->layers[i]->mask_override = NULL;
            free(held[i]);
        }
    free(held);
    return rc;
}

int ls_session_mc_dropout(ls_session *s, int passes, bool fixed_mask)
{
    nn_model *m = s->model;
    int n = shown_batch(s);
    if (n < 0)
        return -1;
    if (passes < 1)
        return ls_fail(s, "mc dropout needs at least one pass");
    if (mc_alloc(s, n) < 0)
        return -1;
    probe p;
    double *sum = calloc((size_t)n, sizeof *sum), *sq = calloc((size_t)n, sizeof *sq);
    float *pr = calloc((size_t)n, sizeof *pr);
    int rc = probe_begin(s, &p, n);
    if (rc == 0 && (!sum || !sq || !pr))
        rc = ls_fail(s, "out of memory");
    /* the inference prediction first: it fixes the class whose probability is followed */
    if (rc == 0)
        rc = batch_forward(s, n, false);
    if (rc == 0) {
        argmax_classes(m, n, s->mc.cls);
        read_probs(m, n, s->mc.cls, s->mc.inference);
        rc = mc_passes(s, n, passes, fixed_mask, sum, sq, pr);
    }
    for (int e = 0; rc == 0 && e < n; e++) {
        double mean = sum[e] / passes, var = sq[e] / passes - mean * mean;
        s->mc.mean[e] = (float)mean;
        s->mc.spread[e] = (float)sqrt(var > 0 ? var : 0); /* population std, as np.std */
    }
    probe_end(s, &p);
    free(sum);
    free(sq);
    free(pr);
    if (rc == 0) {
        s->mc.n = n;
        s->mc.passes = passes;
        s->mc.fixed_mask = fixed_mask;
        s->mc.step = m->iterations;
    }
    return rc;
}

const ls_mc_result *ls_session_mc(const ls_session *s)
{
    return s->mc.n > 0 ? &s->mc : NULL;
}

void ls_mc_free(ls_session *s)
{
    free(s->mc.mean);
    free(s->mc.spread);
    free(s->mc.inference);
    free(s->mc.cls);
    memset(&s->mc, 0, sizeof s->mc);
}

/* The MC quantities of the last `mc dropout`; -1 with the error set before any. */
int ls_mc_measure(ls_session *s, ls_quantity q, double *v)
{
    const ls_mc_result *r = ls_session_mc(s);
    if (!r)
        return ls_fail(s, "no 'mc dropout N passes' has run yet in this lesson");
    double acc = 0;
    for (int e = 0; e < r->n; e++) {
        double x = q == LS_Q_MC_GAP ? fabs((double)r->mean[e] - r->inference[e]) : r->spread[e];
        acc = q == LS_Q_MC_MAX_SPREAD ? fmax(acc, x) : acc + x;
    }
    *v = q == LS_Q_MC_MAX_SPREAD ? acc : acc / r->n;
    return 0;
}

int ls_session_attach_mc(const ls_session *s, nn_trace *t)
{
    const ls_mc_result *r = &s->mc;
    if (r->n <= 0 || r->n != t->batch || r->step != t->step)
        return 0;
    return nn_trace_set_mc(t, r->passes, r->fixed_mask, r->mean, r->spread, r->inference);
}
