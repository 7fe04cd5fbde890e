/* Optimizer updates with Keras's formulas (KERAS_SEMANTICS.md). Frozen tensors are never
 * read or written here: no update, no slots, no decay. The weight change of each layer
 * is measured in the same pass. */
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "ops.h"

int nn_opt_slots(const nn_optimizer_cfg *o)
{
    switch (o->kind) {
    case NN_OPT_SGD:
        return o->momentum != 0.0f ? 1 : 0;
    case NN_OPT_RMSPROP:
        return o->momentum != 0.0f ? 2 : 1;
    case NN_OPT_ADAM:
    case NN_OPT_ADADELTA:
        return 2;
    case NN_OPT_ADAGRAD:
        return 1;
    case NN_OPT_COUNT:
        break;
    }
    return 0;
}

/* One fused pass per tensor: the update, the weight change (max |dw| and sum dw^2) and
 * the finiteness of the weights before and after. The tensors are large (19M weights in
 * the reference head) and the pass is memory-bound, so nothing reads them twice.
 *
 * The statistics are kept in LANES partial sums (element i goes to lane i % LANES) so
 * the compiler can vectorize the loop. The double sum of squares therefore adds in a
 * fixed order that differs from one running sum: dw_norm is reproducible, and may differ
 * from a sequential sum in its last bits. Max and finiteness do not depend on order, and
 * every weight and slot is computed by the same float expression as element by element. */
#define LANES 16

typedef struct {
    double ss[LANES];
    float mx[LANES];
    int fin_before[LANES], fin_after[LANES];
} change_acc;

/* BODY computes nw (the new weight) from old = w[i] (and g, slots at i). */
#define FUSED_LOOP(BODY)                                                                       \
    do {                                                                                       \
        size_t i0 = 0;                                                                         \
        for (; i0 + LANES <= n; i0 += LANES)                                                   \
            for (size_t j = 0; j < LANES; j++) {                                               \
                size_t i = i0 + j;                                                             \
                float old = w[i], nw;                                                          \
                BODY;                                                                          \
                w[i] = nw;                                                                     \
                ACC_ELEMENT(j);                                                                \
            }                                                                                  \
        for (size_t j = 0; i0 + j < n; j++) {                                                  \
            size_t i = i0 + j;                                                                 \
            float old = w[i], nw;                                                              \
            BODY;                                                                              \
            w[i] = nw;                                                                         \
            ACC_ELEMENT(j);                                                                    \
        }                                                                                      \
    } while (0)

/* isfinite as a comparison, so it vectorizes: false for NaN and both infinities. */
#define ACC_ELEMENT(j)                                                                         \
    do {                                                                                       \
        float d_ = fabsf(nw - old);                                                            \
        acc.mx[j] = d_ > acc.mx[j] ? d_ : acc.mx[j];                                           \
        acc.ss[j] += (double)d_ * d_;                                                          \
        acc.fin_before[j] &= fabsf(old) <= FLT_MAX;                                            \
        acc.fin_after[j] &= fabsf(nw) <= FLT_MAX;                                              \
    } while (0)

/* The build targets baseline x86-64 (SSE2), where this loop is bound by the square root
 * and division rather than by memory; GCC can add AVX2 and AVX-512 versions chosen at
 * load time. Every version computes the same IEEE float results (no FMA contraction:
 * -ffp-contract=off), and the lanes above fix the order of the sums. */

/* What one chunk's update did: max |dw|, sum dw^2, finiteness before and after. */
typedef struct {
    float mx;
    double ss;
    int fin_before, fin_after;
} chunk_stat;

/* Updates w[0..n) in place from g (slots at the same offsets). */
NN_MULTIVERSION static void update_chunk(const nn_optimizer_cfg *o, long t, float *restrict w,
                                      const float *restrict g, float *restrict s0, float *restrict s1,
                                      size_t n, chunk_stat *st)
{
    change_acc acc;
    for (int j = 0; j < LANES; j++) {
        acc.ss[j] = 0.0;
        acc.mx[j] = 0.0f;
        acc.fin_before[j] = acc.fin_after[j] = 1;
    }
    const float lr = o->lr;
    switch (o->kind) {
    case NN_OPT_SGD: {
        const float mu = o->momentum;
        if (!s0)
            FUSED_LOOP(nw = old - lr * g[i]);
        else if (o->nesterov)
            FUSED_LOOP(float v = mu * s0[i] - lr * g[i]; s0[i] = v; nw = old + (mu * v - lr * g[i]));
        else
            FUSED_LOOP(float v = mu * s0[i] - lr * g[i]; s0[i] = v; nw = old + v);
        break;
    }
    case NN_OPT_RMSPROP: {
        const float rho = o->rho, eps = o->eps, mu = o->momentum;
        /* mean square ms = rho * ms + (1 - rho) * g^2; step = lr * g / denom */
#define RMS_MS float ms = rho * s0[i] + (1.0f - rho) * g[i] * g[i]; s0[i] = ms
        if (o->eps_inside_sqrt && s1) /* momentum form: mom = momentum * mom + step; w -= mom */
            FUSED_LOOP(RMS_MS; float st = lr * g[i] / sqrtf(ms + eps); s1[i] = mu * s1[i] + st; nw = old - s1[i]);
        else if (o->eps_inside_sqrt)
            FUSED_LOOP(RMS_MS; nw = old - lr * g[i] / sqrtf(ms + eps));
        else if (s1)
            FUSED_LOOP(RMS_MS; float st = lr * g[i] / (sqrtf(ms) + eps); s1[i] = mu * s1[i] + st; nw = old - s1[i]);
        else
            FUSED_LOOP(RMS_MS; nw = old - lr * g[i] / (sqrtf(ms) + eps));
#undef RMS_MS
        break;
    }
    case NN_OPT_ADAM: {
        const float b1 = o->beta1, b2 = o->beta2, eps = o->eps;
        float lr_t = (float)(lr * sqrt(1.0 - pow(b2, (double)t)) / (1.0 - pow(b1, (double)t)));
        FUSED_LOOP(s0[i] = b1 * s0[i] + (1.0f - b1) * g[i]; s1[i] = b2 * s1[i] + (1.0f - b2) * g[i] * g[i];
                   nw = old - lr_t * s0[i] / (sqrtf(s1[i]) + eps));
        break;
    }
    case NN_OPT_ADAGRAD: {
        const float eps = o->eps;
        FUSED_LOOP(s0[i] += g[i] * g[i]; nw = old - lr * g[i] / (sqrtf(s0[i]) + eps));
        break;
    }
    case NN_OPT_ADADELTA: {
        const float rho = o->rho, eps = o->eps;
        FUSED_LOOP(s0[i] = rho * s0[i] + (1.0f - rho) * g[i] * g[i];
                   float u = sqrtf(s1[i] + eps) / sqrtf(s0[i] + eps) * g[i];
                   s1[i] = rho * s1[i] + (1.0f - rho) * u * u; nw = old - lr * u);
        break;
    }
    case NN_OPT_COUNT:
        break;
    }
    st->mx = 0.0f;
    st->ss = 0.0;
    st->fin_before = st->fin_after = 1;
    for (int j = 0; j < LANES; j++) {
        st->mx = acc.mx[j] > st->mx ? acc.mx[j] : st->mx;
        st->ss += acc.ss[j];
        st->fin_before &= acc.fin_before[j];
        st->fin_after &= acc.fin_after[j];
    }
}

/* Big tensors are updated in chunks of CHUNK elements, split over the engine's threads.
 * Each chunk's statistics are kept and added up in chunk order, so dw_norm is the same
 * for any number of threads. */
#define CHUNK ((size_t)1 << 16)
#define MAX_THREADS 8
#define PARALLEL_MIN ((size_t)1 << 20) /* elements; below this one thread is quicker */

/* The engine uses as many threads as OpenBLAS is set to (OPENBLAS_NUM_THREADS), so one
 * setting governs the whole step; 1 when the BLAS is not OpenBLAS. */
#if defined(__GNUC__)
int openblas_get_num_threads(void) __attribute__((weak));
static int engine_threads(void)
{
    int t = openblas_get_num_threads ? openblas_get_num_threads() : 1;
    return t < 1 ? 1 : t > MAX_THREADS ? MAX_THREADS : t;
}
#else
static int engine_threads(void) { return 1; }
#endif

typedef struct {
    const nn_optimizer_cfg *o;
    long t;
    float *w, *s0, *s1;
    const float *g;
    size_t n, n_chunks;
    chunk_stat *st;
} update_job;

static void update_part(update_job *j, int part, int parts)
{
    size_t c0 = j->n_chunks * (size_t)part / (size_t)parts, c1 = j->n_chunks * (size_t)(part + 1) / (size_t)parts;
    for (size_t c = c0; c < c1; c++) {
        size_t off = c * CHUNK, len = j->n - off < CHUNK ? j->n - off : CHUNK;
        update_chunk(j->o, j->t, j->w + off, j->g + off, j->s0 ? j->s0 + off : NULL,
                     j->s1 ? j->s1 + off : NULL, len, &j->st[c]);
    }
}

typedef struct {
    update_job *job;
    int part, parts;
} update_task;

static void *update_thread(void *arg)
{
    update_task *t = arg;
    update_part(t->job, t->part, t->parts);
    return NULL;
}

/* Adds chunk statistics in order. */
static void add_stat(chunk_stat *sum, const chunk_stat *c)
{
    sum->mx = c->mx > sum->mx ? c->mx : sum->mx;
    sum->ss += c->ss;
    sum->fin_before &= c->fin_before;
    sum->fin_after &= c->fin_after;
}

/* Updates a tensor; returns max |dw| and adds sum dw^2 to *sumsq. Sets *bad when a
 * weight is non-finite after the update, *bad_before when one was before. */
static float update_tensor(const nn_optimizer_cfg *o, long t, float *w, const float *g, float *s0,
                           float *s1, size_t n, double *sumsq, bool *bad, bool *bad_before)
{
    chunk_stat sum = {0.0f, 0.0, 1, 1}, one;
    update_job job = {o, t, w, s0, s1, g, n, (n + CHUNK - 1) / CHUNK, &one};
    int parts = n >= PARALLEL_MIN ? engine_threads() : 1;
    if (job.n_chunks > 1 && !(job.st = malloc(job.n_chunks * sizeof *job.st))) {
        /* no room for per-chunk statistics: one chunk at a time, added in the same order */
        for (size_t off = 0; off < n; off += CHUNK) {
            update_chunk(o, t, w + off, g + off, s0 ? s0 + off : NULL, s1 ? s1 + off : NULL,
                         n - off < CHUNK ? n - off : CHUNK, &one);
            add_stat(&sum, &one);
        }
    } else {
        pthread_t th[MAX_THREADS];
        update_task task[MAX_THREADS];
        bool started[MAX_THREADS] = {false};
        for (int p = 1; p < parts; p++) {
            task[p] = (update_task){&job, p, parts};
            started[p] = pthread_create(&th[p], NULL, update_thread, &task[p]) == 0;
        }
        update_part(&job, 0, parts);
        for (int p = 1; p < parts; p++) {
            if (started[p])
                pthread_join(th[p], NULL);
            else
                update_part(&job, p, parts); /* a thread could not start: its part runs here */
        }
        for (size_t c = 0; c < job.n_chunks; c++)
            add_stat(&sum, &job.st[c]);
        if (job.st != &one)
            free(job.st);
    }
    *sumsq += sum.ss;
    *bad |= !sum.fin_after;
    *bad_before |= !sum.fin_before;
    return sum.mx;
}

/* |a - b| over a tensor and its frozen copy: max (NaN where there was a number counts
 * as an infinite change) and sum of squares, in LANES partial sums as above so the
 * loop vectorizes; an unchanged tensor gives exactly 0 either way. */
NN_MULTIVERSION static void frozen_change(const float *restrict a, const float *restrict b, size_t n,
                                       float *mx, double *ss)
{
    float lmx[LANES] = {0};
    double lss[LANES] = {0};
    size_t i0 = 0;
    for (; i0 + LANES <= n; i0 += LANES)
        for (size_t j = 0; j < LANES; j++) {
            float d = fabsf(a[i0 + j] - b[i0 + j]);
            d = d <= FLT_MAX ? d : INFINITY; /* NaN (or inf) -> inf */
            lmx[j] = d > lmx[j] ? d : lmx[j];
            lss[j] += (double)d * d;
        }
    for (size_t j = 0; i0 + j < n; j++) {
        float d = fabsf(a[i0 + j] - b[i0 + j]);
        d = d <= FLT_MAX ? d : INFINITY;
        lmx[j] = d > lmx[j] ? d : lmx[j];
        lss[j] += (double)d * d;
    }
    for (int j = 0; j < LANES; j++) {
        *mx = lmx[j] > *mx ? lmx[j] : *mx;
        *ss += lss[j];
    }
}

/* A frozen layer's change is measured against its copy taken at compile time. */
static void measure_frozen(nn_layer *l)
{
    float mx = 0.0f;
    double ss = 0.0;
    for (int p = 0; p < l->n_params; p++)
        frozen_change(l->params[p].data, l->frozen_copy[p], l->params[p].size, &mx, &ss);
    l->dw_max = mx;
    l->dw_norm = sqrt(ss);
}

static bool tensor_finite(const float *a, size_t n)
{
    bool ok = true;
    for (size_t i = 0; i < n; i++)
        ok &= isfinite(a[i]);
    return ok;
}

/* Where did a non-finite value first appear? A weight that already was non-finite
 * before the update; else the first gradient to go bad in backward order (output
 * downwards); else the first layer whose weights went bad. */
static const nn_layer *blame(const nn_model *m, const bool *bad_before, const bool *bad_after)
{
    for (int i = 0; i < m->n_layers; i++)
        if (bad_before[i])
            return m->layers[i];
    for (int i = m->n_layers - 1; i >= 0; i--) {
        const nn_layer *l = m->layers[i];
        if (!l->train_active)
            continue;
        for (int p = 0; p < l->n_params; p++)
            if (l->params[p].grad && !tensor_finite(l->params[p].grad, l->params[p].size))
                return l;
    }
    for (int i = 0; i < m->n_layers; i++)
        if (bad_after[i])
            return m->layers[i];
    return NULL;
}

int nn_model_update(nn_model *m)
{
    if (!m->compiled)
        return nn_model_fail(m, "update: the model is not compiled");
    m->iterations++;
    int ns = nn_opt_slots(&m->opt);
    /* Keras 2's decay: lr / (1 + decay * iterations), iterations counted before this step */
    nn_optimizer_cfg opt = m->opt;
    if (opt.decay > 0.0f)
        opt.lr = (float)(opt.lr / (1.0 + (double)opt.decay * (double)(m->iterations - 1)));
    bool *bad_before = calloc((size_t)m->n_layers * 2, sizeof(bool)), *bad_after = bad_before + m->n_layers;
    if (!bad_before)
        return nn_model_fail(m, "out of memory in update");
    bool any_bad = false;
    for (int i = 0; i < m->n_layers; i++) {
        nn_layer *l = m->layers[i];
        l->dw_max = 0.0f;
        l->dw_norm = 0.0;
        if (!l->train_active) {
            if (l->frozen_copy)
                measure_frozen(l);
            continue;
        }
        double ss = 0.0;
        bool bad = false;
        for (int p = 0; p < l->n_params; p++) {
            nn_param *pr = &l->params[p];
            if (pr->is_stat)
                continue;
            for (int s = 0; s < ns; s++) {
                if (pr->slot[s])
                    continue;
                if (!(pr->slot[s] = nn_big_calloc(pr->size, sizeof(float)))) {
                    nn_model_fail(m, "out of memory for optimizer state of '%s.%s'", l->name, pr->name);
                    free(bad_before);
                    return -1;
                }
                if (opt.kind == NN_OPT_ADAGRAD) /* Keras's initial_accumulator_value */
                    for (size_t k = 0; k < pr->size; k++)
                        pr->slot[s][k] = opt.initial_accumulator;
            }
            float mx = update_tensor(&opt, m->iterations, pr->data, pr->grad, ns > 0 ? pr->slot[0] : NULL,
                                     ns > 1 ? pr->slot[1] : NULL, pr->size, &ss, &bad, &bad_before[i]);
            l->dw_max = mx > l->dw_max ? mx : l->dw_max;
        }
        l->dw_norm = sqrt(ss);
        bad_after[i] = bad;
        any_bad |= bad;
    }
    if (any_bad) {
        const nn_layer *l = blame(m, bad_before, bad_after);
        snprintf(m->nonfinite_layer, sizeof m->nonfinite_layer, "%s", l ? l->name : "?");
        nn_model_fail(m, "a weight became non-finite at step %ld; the first non-finite value appears in layer '%s'",
                      m->iterations, m->nonfinite_layer);
    }
    free(bad_before);
    return any_bad ? -1 : 0;
}
