/* A lesson brought to life: data, model, training state; one step -> one snapshot. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "data/dataset.h"
#include "data/folder.h"
#include "data/h5.h"
#include "data/weights.h"
#include "session/paths.h"
#include "session/session.h"

/* The default memory budget: 16 GiB, or 3/4 of the machine's memory if that is less. */
static size_t default_budget(void)
{
    size_t budget = (size_t)16 << 30;
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page > 0) {
        size_t phys = (size_t)pages * (size_t)page;
        if (phys / 4 * 3 < budget)
            budget = phys / 4 * 3;
    }
    return budget;
}

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
    /* per layer: the weights of a Dense layer feeding a Dropout, as they were before the
     * last training step (kernel then bias), for LS_Q_DROPPED_UNIT_CHANGE */
    float **before;
    bool want_before;       /* the lesson measures LS_Q_DROPPED_UNIT_CHANGE: keep copies */
    /* Frozen-prefix cache (issue 6): the outputs of the frozen, deterministic prefix of the
     * model for each example, computed the first time the example is seen; the head then
     * trains from them. Dropped whenever the prefix or its weights change. Filled from the
     * training batches as they come and from the validation chunks evaluate uses, so the
     * base outputs used in the first epoch and in every validation are bit-identical to
     * running the whole model; later epochs reuse outputs computed in another batch, which
     * OpenBLAS rounds differently from a recomputation in the last bits (see
     * nn_model_train_step_from), so losses then agree to ~1e-7, not bit for bit. */
    struct {
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
    } cache;
    char notes[1024];
    char err[1024];
};

static int set_err(ls_session *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
    return -1;
}

static void add_note(ls_session *s, const char *fmt, ...)
{
    size_t k = strlen(s->notes);
    if (k && k + 2 < sizeof s->notes) {
        s->notes[k++] = '\n';
        s->notes[k] = '\0';
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->notes + k, sizeof s->notes - k, fmt, ap);
    va_end(ap);
}

ls_options ls_options_default(void)
{
    ls_options o;
    memset(&o, 0, sizeof o);
    o.seed = -1;
    return o;
}

const ls_lesson *ls_session_lesson(const ls_session *s) { return s->lesson; }
nn_model *ls_session_model(ls_session *s) { return s->model; }
const char *ls_session_error(const ls_session *s) { return s->err; }
const char *ls_session_notes(const ls_session *s) { return s->notes; }
long ls_session_steps(const ls_session *s) { return s->model->iterations; }
bool ls_session_training(const ls_session *s) { return s->training; }

static void cache_drop(ls_session *s);

void ls_session_destroy(ls_session *s)
{
    if (!s)
        return;
    ds_batcher_destroy(s->batcher);
    ds_fmnist_free(&s->data);
    if (s->before && s->model)
        for (int i = 0; i < s->model->n_layers; i++)
            free(s->before[i]);
    free(s->before);
    nn_model_destroy(s->model);
    ls_lesson_destroy(s->lesson);
    free(s->val_x);
    free(s->x);
    free(s->y);
    free(s->src);
    free(s->change_since_mark);
    cache_drop(s);
    free(s->cache.row_of_src);
    free(s);
}

/* A folder of class sub-folders (Keras's flow_from_directory layout), read at the model's
 * input size; the sets move into s->data so the rest of the session treats them alike. */
static int load_folder(ls_session *s)
{
    const ls_data *d = &s->lesson->data;
    nn_shape in = s->model->layers[0]->out_shape;
    if (in.rank != 3 || in.d[2] != 3)
        return set_err(s, "%s:%d:%d: an image folder gives RGB images: the model's input must be (height, width, 3)",
                       s->lesson->path, d->loc.line, d->loc.col);
    char dir[1024];
    if (!d->dir || ls_resolve_path(s->lesson->path, d->dir, dir, sizeof dir) < 0)
        return set_err(s, "%s:%d:%d: image folder '%s' not found", s->lesson->path, d->loc.line, d->loc.col,
                       d->dir ? d->dir : "");
    ds_folder_opts o = ds_folder_opts_default();
    o.h = in.d[0];
    o.w = in.d[1];
    o.val_count = d->val;
    o.seed = s->seed;
    ds_folder f;
    char err[768];
    if (ds_folder_load(dir, &o, &f, err, sizeof err) < 0)
        return set_err(s, "%s: %s", s->lesson->path, err);
    s->data.train = f.train;
    s->data.val = f.val;
    memset(&f.train, 0, sizeof f.train);
    memset(&f.val, 0, sizeof f.val);
    snprintf(s->data.dir, sizeof s->data.dir, "%.*s", (int)sizeof s->data.dir - 1, dir);
    ds_folder_free(&f);
    if (s->lesson->compile.loss == NN_LOSS_BCE && s->data.train.k != 2)
        return set_err(s, "%s: binary_crossentropy needs exactly 2 classes but %s has %d class folders",
                       s->lesson->path, dir, s->data.train.k);
    add_note(s, "images from %s: %d classes, %d training and %d validation images", dir, s->data.train.k,
             s->data.train.n, s->data.val.n);
    return 0;
}

static int load_data(ls_session *s)
{
    const ls_data *d = &s->lesson->data;
    if (d->kind == LS_DATA_FOLDER)
        return load_folder(s);
    ds_fmnist_opts o = ds_fmnist_opts_default();
    o.dir = s->opt.data_dir ? s->opt.data_dir : d->dir;
    o.n_classes = d->n_classes;
    memcpy(o.classes, d->classes, sizeof o.classes);
    o.val_count = d->val;
    o.stratified = true;
    o.seed = s->seed;
    o.max_train = d->train;
    o.max_test = d->test;
    o.skip_test = d->test < 0;
    char err[768];
    if (ds_fmnist_load(&o, &s->data, err, sizeof err) < 0)
        return set_err(s, "%s: %s", s->lesson->path, err);
    return 0;
}

/* The model's input size per example and the data's: resize when they differ. */
static int setup_batches(ls_session *s)
{
    char err[512];
    nn_shape in = s->model->layers[0]->out_shape;
    s->batcher = ds_batcher_create(&s->data.train, s->seed, true, err, sizeof err);
    if (!s->batcher)
        return set_err(s, "%s: %s", s->lesson->path, err);
    if (in.rank != 3)
        return set_err(s, "%s: the model's input must be (height, width, channels) for images", s->lesson->path);
    const ds_set *t = &s->data.train;
    bool same = in.d[0] == t->h && in.d[1] == t->w && in.d[2] == t->c;
    if (!same && ds_batcher_set_output(s->batcher, in.d[0], in.d[1], in.d[2], err, sizeof err) < 0)
        return set_err(s, "%s: %s", s->lesson->path, err);
    size_t per = nn_shape_size(in);
    s->x = malloc((size_t)s->batch * per * sizeof(float));
    s->y = malloc((size_t)s->batch * sizeof(int32_t));
    s->src = malloc((size_t)s->batch * sizeof(int32_t));
    if (!s->x || !s->y || !s->src)
        return set_err(s, "out of memory for a batch");
    const ds_set *v = &s->data.val;
    if (v->n > 0 && !same) {
        s->val_x = malloc((size_t)v->n * per * sizeof(float));
        if (!s->val_x)
            return set_err(s, "out of memory for the resized validation set");
        if (ds_resize_bilinear(v->x, v->n, v->h, v->w, v->c, s->val_x, in.d[0], in.d[1], in.d[2], err,
                               sizeof err) < 0)
            return set_err(s, "%s: %s", s->lesson->path, err);
    }
    return 0;
}

static int load_bases(ls_session *s)
{
    for (int i = 0; i < s->lesson->n_decls; i++) {
        const ls_decl *d = &s->lesson->decls[i];
        if (d->kind != LS_DECL_BASE)
            continue;
        if (!d->weights) {
            add_note(s, "%s: no weights given, so the base starts from random weights", d->base);
            continue;
        }
        char path[1024];
        if (ls_resolve_path(s->lesson->path, d->weights, path, sizeof path) < 0) {
            /* Students open the reference lesson without Keras's weights file: say so and
             * go on with random weights (a file that exists but is bad is an error). */
            add_note(s, "%s:%d:%d: %s: weights '%s' not found (looked next to the lesson and in %s): the base starts from RANDOM weights",
                     s->lesson->path, d->loc.line, d->loc.col, d->base, d->weights, ls_data_dir());
            continue;
        }
        char err[768];
        ds_weights_report rep = {0};
        int rc;
        if (ds_h5_is_hdf5(path) == 1) {
            if (d->layer_count < 1)
                return set_err(s, "%s:%d:%d: the base's layers are unknown", s->lesson->path, d->loc.line, d->loc.col);
            rc = ds_h5_load_base(s->model, path, d->layer_first, d->layer_first + d->layer_count - 1, &rep, err,
                                 sizeof err);
        } else {
            rc = ds_weights_load(s->model, path, DS_WEIGHTS_SUBSET, &rep, err, sizeof err);
        }
        if (rc < 0)
            return set_err(s, "%s:%d:%d: %s", s->lesson->path, d->loc.line, d->loc.col, err);
        if (rep.n_loaded == 0) {
            ds_weights_report_free(&rep);
            return set_err(s, "%s:%d:%d: no layer of the model has weights in %s", s->lesson->path,
                           d->loc.line, d->loc.col, path);
        }
        add_note(s, "%s: loaded %d layers from %s", d->base, rep.n_loaded, d->weights);
        ds_weights_report_free(&rep);
    }
    return 0;
}

static nn_optimizer_cfg lesson_optimizer(ls_session *s)
{
    const ls_compile *c = &s->lesson->compile;
    nn_optimizer_cfg o = c->opt;
    if (c->lr_alias && c->profile == LS_KERAS_TF211) {
        nn_optimizer_cfg def = nn_optimizer_default(o.kind);
        add_note(s, "Keras 2.11 profile: lr=%g is silently ignored; training runs at the default learning rate %g",
                 (double)o.lr, (double)def.lr);
        o.lr = def.lr;
    }
    if (c->profile == LS_KERAS_TF211 && o.kind == NN_OPT_RMSPROP)
        o.eps_inside_sqrt = true;
    return o;
}

static int init_model(ls_session *s)
{
    nn_rng r;
    nn_rng_seed(&r, s->seed);
    if (nn_model_finalize(s->model, &r) < 0)
        return set_err(s, "%s: %s", s->lesson->path, nn_model_error(s->model));
    if (load_bases(s) < 0)
        return -1;
    nn_rng_seed(&s->model->dropout_rng, s->seed ^ 0x5eedd20bULL);
    nn_optimizer_cfg o = lesson_optimizer(s);
    if (nn_model_compile(s->model, &o, s->lesson->compile.loss) < 0)
        return set_err(s, "%s:%d:%d: %s", s->lesson->path, s->lesson->compile.loc.line,
                       s->lesson->compile.loc.col, nn_model_error(s->model));
    /* room for a validation chunk too, so validating never reallocates the buffers that
     * hold the last step (masks, gradients) */
    if (nn_model_reserve(s->model, s->batch > NN_EVAL_CHUNK ? s->batch : NN_EVAL_CHUNK) < 0)
        return set_err(s, "%s: %s", s->lesson->path, nn_model_error(s->model));
    return 0;
}

ls_session *ls_session_create(ls_lesson *lesson, const ls_options *opt, char *err, size_t errlen)
{
    ls_session *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        ls_lesson_destroy(lesson);
        return NULL;
    }
    s->lesson = lesson;
    s->opt = opt ? *opt : ls_options_default();
    s->cache.layer = -1;
    const char *cache_env = getenv("DROPSCOPE_PREFIX_CACHE"); /* "0": always run the whole model */
    s->cache.off = cache_env && !strcmp(cache_env, "0");
    s->seed = s->opt.seed >= 0 ? (uint64_t)s->opt.seed : lesson->fit.seed;
    s->batch = s->opt.batch > 0 ? s->opt.batch : (lesson->fit.batch > 0 ? lesson->fit.batch : 20);
    s->training = true;
    s->val_loss = s->val_acc = NAN;
    s->last_loss = s->last_acc = NAN;
    char berr[768];
    s->model = ls_lesson_build_model(lesson, berr, sizeof berr);
    if (!s->model) {
        snprintf(err, errlen, "%s", berr);
        ls_session_destroy(s);
        return NULL;
    }
    s->model->memory_budget = s->opt.memory_budget ? s->opt.memory_budget : default_budget();
    if (load_data(s) < 0 || init_model(s) < 0 || setup_batches(s) < 0) {
        snprintf(err, errlen, "%s", s->err);
        ls_session_destroy(s);
        return NULL;
    }
    /* copying the Dense weights before every step costs a pass over them: only when a
     * step of the lesson asks for the dropped units' change */
    for (int i = 0; i < lesson->n_steps; i++)
        for (int j = 0; j < lesson->steps[i].n_items; j++)
            if (lesson->steps[i].items[j].kind == LS_ITEM_EXPECT &&
                lesson->steps[i].items[j].u.expect.q == LS_Q_DROPPED_UNIT_CHANGE)
                s->want_before = true;
    s->change_since_mark = calloc((size_t)s->model->n_layers, sizeof(float));
    if (!s->change_since_mark) {
        snprintf(err, errlen, "out of memory");
        ls_session_destroy(s);
        return NULL;
    }
    return s;
}

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- frozen-prefix cache ---- */

static void cache_drop(ls_session *s)
{
    free(s->cache.train);
    free(s->cache.have);
    free(s->cache.val);
    free(s->cache.batch);
    s->cache.train = s->cache.val = s->cache.batch = NULL;
    s->cache.have = NULL;
    s->cache.val_ok = false;
    s->cache.layer = -1;
    s->cache.sig = 0;
}

/* What the prefix's outputs depend on: its layers, their modes and (sampled) weights. */
static uint64_t prefix_sig(const nn_model *m, int p)
{
    uint64_t h = 1469598103934665603ULL;
#define MIX(v) (h = (h ^ (uint64_t)(v)) * 1099511628211ULL)
    MIX(p);
    MIX(m->n_layers);
    for (int i = 0; i <= p; i++) {
        const nn_layer *l = m->layers[i];
        MIX(l->type);
        MIX(l->train_active);
        for (int q = 0; q < l->n_params; q++) {
            const nn_param *pr = &l->params[q];
            size_t step = pr->size > 64 ? pr->size / 64 : 1;
            for (size_t k = 0; k < pr->size; k += step) {
                uint32_t bits;
                memcpy(&bits, &pr->data[k], sizeof bits);
                MIX(bits);
            }
        }
    }
#undef MIX
    return h;
}

/* The prefix layer when a cache is in use for the model as it is now, else -1. */
static int cache_ready(ls_session *s)
{
    nn_model *m = s->model;
    if (s->cache.off)
        return -1;
    int p = nn_model_frozen_prefix(m);
    bool worth = false; /* a prefix with weights does real work */
    for (int i = 1; i <= p && !worth; i++)
        worth = m->layers[i]->n_params > 0;
    if (!worth) {
        if (s->cache.layer >= 0)
            cache_drop(s);
        return -1;
    }
    uint64_t sig = prefix_sig(m, p);
    if (s->cache.layer == p && s->cache.sig == sig)
        return p;
    cache_drop(s);
    const ds_set *t = &s->data.train, *v = &s->data.val;
    size_t per = m->layers[p]->out_size;
    double bytes = (double)per * sizeof(float) * ((double)t->n + v->n + s->batch);
    if (m->memory_budget && bytes + m->memory_used + m->memory_used_act > (double)m->memory_budget) {
        s->cache.off = true;
        add_note(s, "the frozen base's outputs (%.0f MiB) do not fit the memory budget: computed every step",
                 bytes / 1048576.0);
        return -1;
    }
    if (!s->cache.row_of_src) {
        int mx = 0;
        for (int i = 0; i < t->n; i++)
            if (t->src[i] + 1 > mx)
                mx = t->src[i] + 1;
        s->cache.row_of_src = malloc(sizeof(int32_t) * (size_t)(mx + 1));
        if (!s->cache.row_of_src) {
            s->cache.off = true;
            return -1;
        }
        for (int i = 0; i < mx; i++)
            s->cache.row_of_src[i] = -1;
        for (int i = 0; i < t->n; i++)
            s->cache.row_of_src[t->src[i]] = i;
        s->cache.n_src = mx;
    }
    s->cache.train = malloc(per * sizeof(float) * (size_t)t->n + 1);
    s->cache.have = calloc((size_t)t->n + 1, 1);
    s->cache.val = v->n ? malloc(per * sizeof(float) * (size_t)v->n) : NULL;
    s->cache.batch = malloc(per * sizeof(float) * (size_t)s->batch);
    if (!s->cache.train || !s->cache.have || (v->n && !s->cache.val) || !s->cache.batch) {
        cache_drop(s);
        s->cache.off = true;
        add_note(s, "no memory to cache the frozen base's outputs: computed every step");
        return -1;
    }
    s->cache.layer = p;
    s->cache.sig = sig;
    s->cache.per = per;
    if (!s->opt.quiet)
        fprintf(stderr, "%s: frozen layers up to '%s' are deterministic: their outputs (%zu floats per example, "
                "%.0f MiB for %d training and %d validation examples) are computed once per example\n",
                s->lesson->path, m->layers[p]->name, per, bytes / 1048576.0, t->n, v->n);
    return p;
}

/* The prefix's outputs for the batch in s->x / s->src (computing those not cached yet),
 * or NULL to run the whole model. */
static const float *cache_batch(ls_session *s, int n)
{
    int p = cache_ready(s);
    if (p < 0)
        return NULL;
    size_t per = s->cache.per;
    int32_t rows[n];
    bool all = true;
    for (int k = 0; k < n; k++) {
        int32_t src = s->src[k];
        rows[k] = (src >= 0 && src < s->cache.n_src) ? s->cache.row_of_src[src] : -1;
        if (rows[k] < 0)
            return NULL;
        all = all && s->cache.have[rows[k]];
    }
    if (!all) {
        /* the whole batch at once, as the uncached step computes it */
        if (nn_model_prefix_outputs(s->model, p, s->x, n, s->cache.batch) < 0)
            return NULL;
        for (int k = 0; k < n; k++) {
            memcpy(s->cache.train + (size_t)rows[k] * per, s->cache.batch + (size_t)k * per, per * sizeof(float));
            s->cache.have[rows[k]] = 1;
        }
        return s->cache.batch;
    }
    for (int k = 0; k < n; k++)
        memcpy(s->cache.batch + (size_t)k * per, s->cache.train + (size_t)rows[k] * per, per * sizeof(float));
    return s->cache.batch;
}

/* The prefix's outputs for the validation set, or NULL to run the whole model. */
static const float *cache_val(ls_session *s, const float *x)
{
    int p = cache_ready(s);
    if (p < 0 || !s->cache.val)
        return NULL;
    if (!s->cache.val_ok) {
        if (nn_model_prefix_outputs(s->model, p, x, s->data.val.n, s->cache.val) < 0)
            return NULL;
        s->cache.val_ok = true;
    }
    return s->cache.val;
}

/* Copies the weights of every Dense layer that feeds a Dropout. */
static int keep_sources(ls_session *s)
{
    nn_model *m = s->model;
    if (!s->before && !(s->before = calloc((size_t)m->n_layers, sizeof *s->before)))
        return -1;
    for (int i = 0; i < m->n_layers; i++) {
        const nn_layer *d = m->layers[i];
        if (d->type != NN_DROPOUT)
            continue;
        const nn_layer *src = m->layers[d->inputs[0]];
        if (src->type != NN_DENSE || !src->train_active)
            continue;
        size_t k = 0;
        for (int p = 0; p < src->n_params; p++)
            k += src->params[p].size;
        if (!s->before[src->index] && !(s->before[src->index] = malloc(k * sizeof(float))))
            return -1;
        float *dst = s->before[src->index];
        for (int p = 0; p < src->n_params; p++) {
            memcpy(dst, src->params[p].data, src->params[p].size * sizeof(float));
            dst += src->params[p].size;
        }
    }
    return 0;
}

nn_trace *ls_session_step(ls_session *s)
{
    nn_model *m = s->model;
    double t0 = now_sec();
    int n = ds_batcher_next(s->batcher, s->batch, s->x, s->y, s->src);
    if (n < 1) {
        set_err(s, "no training data");
        return NULL;
    }
    s->last_n = n;
    long step_before = m->iterations;
    nn_step_result res;
    memset(&res, 0, sizeof res);
    res.finite = true;
    int rc;
    const float *act = cache_batch(s, n);
    int p = s->cache.layer;
    if (s->training && s->want_before && keep_sources(s) < 0) {
        set_err(s, "out of memory");
        return NULL;
    }
    if (s->training) {
        rc = act ? nn_model_train_step_from(m, p, act, s->y, n, &res) : nn_model_train_step(m, s->x, s->y, n, &res);
    } else {
        /* inference mode: what predict/evaluate do, no mask and no update */
        rc = act ? nn_model_forward_from(m, p, act, n, false) : nn_model_forward(m, s->x, n, false);
        if (rc == 0) {
            int correct = 0;
            res.loss = nn_model_loss(m, s->y, n, &correct, false);
            res.accuracy = (double)correct / n;
            res.n = n;
        }
        for (int i = 0; i < m->n_layers; i++)
            m->layers[i]->dw_max = 0.0f, m->layers[i]->dw_norm = 0.0;
    }
    if (rc < 0 && res.finite) {
        set_err(s, "%s: %s", s->lesson->path, nn_model_error(m));
        return NULL;
    }
    s->last_loss = res.loss;
    s->last_acc = res.accuracy;
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i]->dw_max > s->change_since_mark[i])
            s->change_since_mark[i] = m->layers[i]->dw_max;
    nn_trace *t = nn_trace_capture(m, &res, s->x, s->y, s->src, n);
    if (!t) {
        set_err(s, "out of memory for a snapshot");
        return NULL;
    }
    t->training = s->training;
    if (!t->finite)
        t->step = step_before + 1; /* the step that failed, whether or not its update ran */
    if (rc < 0) {
        set_err(s, "%s: %s", s->lesson->path, nn_model_error(m));
        return t;
    }
    int every = s->lesson->fit.validate_every;
    if (every > 0 && s->data.val.n > 0 && m->iterations % every == 0 && s->training) {
        double vl, va;
        if (ls_session_validate(s, &vl, &va) == 0) {
            t->val_loss = vl;
            t->val_accuracy = va;
        }
    }
    double dt = now_sec() - t0;
    t->steps_per_sec = dt > 0 ? 1.0 / dt : 0.0;
    return t;
}

/* Validation runs inference forwards through the same buffers; what the last step left
 * in the Dropout layers (mask flag, dropped count, the layer's input and output) is put
 * back afterwards, so the window and the expectations still see the last step. */
typedef struct {
    bool mask_valid;
    size_t dropped;
    float *out, *in;
} saved_dropout;

static saved_dropout *save_dropouts(nn_model *m, int n)
{
    saved_dropout *sv = calloc((size_t)m->n_layers, sizeof *sv);
    if (!sv)
        return NULL;
    for (int i = 0; i < m->n_layers; i++) {
        nn_layer *l = m->layers[i];
        if (l->type != NN_DROPOUT || n <= 0)
            continue;
        size_t bytes = (size_t)n * l->out_size * sizeof(float);
        sv[i].mask_valid = l->mask_valid;
        sv[i].dropped = l->dropped;
        sv[i].out = malloc(bytes);
        sv[i].in = malloc(bytes);
        if (sv[i].out)
            memcpy(sv[i].out, l->out, bytes);
        if (sv[i].in)
            memcpy(sv[i].in, m->layers[l->inputs[0]]->out, bytes);
    }
    return sv;
}

static void restore_dropouts(nn_model *m, saved_dropout *sv, int n)
{
    if (!sv)
        return;
    for (int i = 0; i < m->n_layers; i++) {
        nn_layer *l = m->layers[i];
        if (l->type != NN_DROPOUT || n <= 0)
            continue;
        size_t bytes = (size_t)n * l->out_size * sizeof(float);
        l->mask_valid = sv[i].mask_valid;
        l->dropped = sv[i].dropped;
        if (sv[i].out)
            memcpy(l->out, sv[i].out, bytes);
        if (sv[i].in)
            memcpy(m->layers[l->inputs[0]]->out, sv[i].in, bytes);
        free(sv[i].out);
        free(sv[i].in);
    }
    free(sv);
}

int ls_session_validate(ls_session *s, double *loss, double *accuracy)
{
    const ds_set *v = &s->data.val;
    if (v->n == 0)
        return set_err(s, "%s: the lesson has no validation split (data: val N)", s->lesson->path);
    const float *x = s->val_x ? s->val_x : v->x;
    const float *act = cache_val(s, x);
    saved_dropout *sv = save_dropouts(s->model, s->last_n);
    int rc = act ? nn_model_evaluate_from(s->model, s->cache.layer, act, v->y, v->n, &s->val_loss, &s->val_acc)
                 : nn_model_evaluate(s->model, x, v->y, v->n, &s->val_loss, &s->val_acc);
    restore_dropouts(s->model, sv, s->last_n);
    if (rc < 0)
        return set_err(s, "%s: %s", s->lesson->path, nn_model_error(s->model));
    s->have_val = true;
    s->val_at = s->model->iterations;
    if (loss)
        *loss = s->val_loss;
    if (accuracy)
        *accuracy = s->val_acc;
    return 0;
}

void ls_session_mark(ls_session *s)
{
    memset(s->change_since_mark, 0, sizeof(float) * (size_t)s->model->n_layers);
}

/* A layer, or a whole base by its name: layers [first, first + count). */
static int find_layers(ls_session *s, const char *name, int *first, int *count)
{
    if (ls_lesson_find_layers(s->lesson, s->model, name, first, count) < 0 || *count < 1)
        return set_err(s, "no layer or base named '%s' in the model", name);
    return 0;
}

static int find_layer(ls_session *s, const char *name)
{
    int first, count;
    return find_layers(s, name, &first, &count) < 0 ? -1 : first + count - 1;
}

int ls_session_compile(ls_session *s)
{
    nn_optimizer_cfg o = s->model->opt;
    if (nn_model_compile(s->model, &o, s->model->loss) < 0)
        return set_err(s, "%s", nn_model_error(s->model));
    return 0;
}

int ls_session_set_trainable(ls_session *s, const char *layer, bool trainable, bool recompile)
{
    int first, count;
    if (find_layers(s, layer, &first, &count) < 0)
        return -1;
    /* A base's name freezes or unfreezes all its layers, as Keras's base.trainable does. */
    for (int i = first; i < first + count; i++)
        nn_model_set_trainable(s->model, i, trainable);
    return recompile ? ls_session_compile(s) : 0;
}

int ls_session_set_rate(ls_session *s, const char *layer, float rate)
{
    int i = find_layer(s, layer);
    if (i < 0)
        return -1;
    if (nn_model_set_dropout_rate(s->model, i, rate) < 0)
        return set_err(s, "%s", nn_model_error(s->model));
    return 0;
}

void ls_session_set_training(ls_session *s, bool training) { s->training = training; }

int ls_session_set_lr(ls_session *s, float lr)
{
    if (!(lr >= 0) || !isfinite(lr))
        return set_err(s, "learning rate must be a finite number >= 0");
    s->model->opt.lr = lr;
    return 0;
}

int ls_session_reset(ls_session *s)
{
    cache_drop(s);
    nn_rng r;
    nn_rng_seed(&r, s->seed);
    if (nn_model_reinit(s->model, &r) < 0)
        return set_err(s, "%s", nn_model_error(s->model));
    s->notes[0] = '\0';
    if (load_bases(s) < 0)
        return -1;
    nn_rng_seed(&s->model->dropout_rng, s->seed ^ 0x5eedd20bULL);
    ds_batcher_destroy(s->batcher);
    s->batcher = NULL;
    free(s->x);
    free(s->y);
    free(s->src);
    free(s->val_x);
    s->x = s->val_x = NULL;
    s->y = s->src = NULL;
    if (setup_batches(s) < 0)
        return -1;
    s->have_val = false;
    s->val_loss = s->val_acc = s->last_loss = s->last_acc = NAN;
    ls_session_mark(s);
    return ls_session_compile(s);
}

void ls_session_set_seed(ls_session *s, uint64_t seed)
{
    s->seed = seed;
    nn_rng_seed(&s->model->dropout_rng, seed ^ 0x5eedd20bULL);
}

int ls_session_apply(ls_session *s, const ls_action *a, ls_trace_fn on_trace, void *user)
{
    switch (a->kind) {
    case LS_ACT_RUN:
        for (long i = 0; i < a->n; i++) {
            nn_trace *t = ls_session_step(s);
            if (!t)
                return -1;
            if (on_trace)
                on_trace(user, t);
            bool ok = t->finite;
            nn_trace_destroy(t);
            if (!ok)
                return -1;
        }
        return 0;
    case LS_ACT_FREEZE:
    case LS_ACT_UNFREEZE:
        return ls_session_set_trainable(s, a->layer, a->kind == LS_ACT_UNFREEZE, a->flag);
    case LS_ACT_COMPILE:
        return ls_session_compile(s);
    case LS_ACT_RATE:
        return ls_session_set_rate(s, a->layer, a->value);
    case LS_ACT_MODE:
        ls_session_set_training(s, a->flag);
        return 0;
    case LS_ACT_RESET:
        return ls_session_reset(s);
    case LS_ACT_SEED:
        ls_session_set_seed(s, (uint64_t)a->n);
        return 0;
    case LS_ACT_LR:
        return ls_session_set_lr(s, a->value);
    case LS_ACT_VALIDATE:
        return ls_session_validate(s, NULL, NULL);
    case LS_ACT_PREDICT: {
        /* one inference forward over the last batch (no mask, no update) */
        if (s->last_n == 0 && ds_batcher_next(s->batcher, s->batch, s->x, s->y, s->src) > 0)
            s->last_n = s->batch;
        if (nn_model_forward(s->model, s->x, s->last_n ? s->last_n : 1, false) < 0)
            return set_err(s, "%s", nn_model_error(s->model));
        return 0;
    }
    case LS_ACT_PLAY:
    case LS_ACT_PAUSE:
    case LS_ACT_EXAMPLE:
    case LS_ACT_FOCUS_VIEW:
    case LS_ACT_FOCUS_LAYER:
        return 0; /* only the window acts on these */
    }
    return set_err(s, "unknown action %d", (int)a->kind);
}

/* ---- expectations ---- */

static const nn_layer *dropout_layer(ls_session *s, const char *name)
{
    int i = find_layer(s, name);
    if (i < 0)
        return NULL;
    const nn_layer *l = s->model->layers[i];
    if (l->type != NN_DROPOUT) {
        set_err(s, "layer '%s' is a %s, not a Dropout layer", name, nn_layer_type_name(l->type));
        return NULL;
    }
    return l;
}

static int measure(ls_session *s, const ls_expect *e, double *v)
{
    nn_model *m = s->model;
    nn_param_counts c;
    int li;
    const nn_layer *l;
    int n = s->last_n > 0 ? s->last_n : 1;
    switch (e->q) {
    case LS_Q_LOSS:
        *v = s->last_loss;
        return 0;
    case LS_Q_ACCURACY:
        *v = s->last_acc;
        return 0;
    case LS_Q_VAL_LOSS:
    case LS_Q_VAL_ACCURACY:
        if ((!s->have_val || s->val_at != m->iterations) && ls_session_validate(s, NULL, NULL) < 0)
            return -1;
        *v = e->q == LS_Q_VAL_LOSS ? s->val_loss : s->val_acc;
        return 0;
    case LS_Q_DROPPED:
        if (!(l = dropout_layer(s, e->layer)))
            return -1;
        *v = l->mask_valid ? (double)l->dropped / ((double)n * l->out_size) : 0.0;
        return 0;
    case LS_Q_WEIGHT_CHANGE:
    case LS_Q_LAST_CHANGE: {
        int first, count;
        if (find_layers(s, e->layer, &first, &count) < 0)
            return -1;
        *v = 0;
        for (li = first; li < first + count; li++) {
            double c = e->q == LS_Q_WEIGHT_CHANGE ? s->change_since_mark[li] : m->layers[li]->dw_max;
            *v = c > *v || isnan(c) ? c : *v;
        }
        return 0;
    }
    case LS_Q_PARAMS_TOTAL:
    case LS_Q_PARAMS_TRAINABLE:
    case LS_Q_PARAMS_NON_TRAINABLE:
        c = nn_model_count_params(m);
        *v = (double)(e->q == LS_Q_PARAMS_TOTAL ? c.total : e->q == LS_Q_PARAMS_TRAINABLE ? c.trainable : c.non_trainable);
        return 0;
    case LS_Q_LAYER_PARAMS: {
        int first, count;
        if (find_layers(s, e->layer, &first, &count) < 0)
            return -1;
        *v = 0;
        for (li = first; li < first + count; li++)
            *v += (double)nn_layer_param_count(m->layers[li]);
        return 0;
    }
    case LS_Q_LR:
        *v = m->opt.lr;
        return 0;
    case LS_Q_STEPS:
        *v = (double)m->iterations;
        return 0;
    case LS_Q_DROPPED_UNIT_CHANGE: {
        if (!(l = dropout_layer(s, e->layer)))
            return -1;
        const nn_layer *src = m->layers[l->inputs[0]];
        const float *b = s->before ? s->before[src->index] : NULL;
        if (src->type != NN_DENSE || !b || !l->mask_valid)
            return set_err(s, "'dropped unit change of %s' needs a training step of a trainable Dense layer feeding it", l->name);
        int units = (int)l->out_size, in_dim = src->params[0].shape.d[0];
        const float *k = src->params[0].data, *bias = src->n_params > 1 ? src->params[1].data : NULL;
        double mx = 0;
        int found = 0;
        for (int u = 0; u < units; u++) {
            bool all = true;
            for (int i = 0; i < n && all; i++)
                all = !l->mask[(size_t)i * units + u];
            if (!all)
                continue;
            found++;
            for (int r = 0; r < in_dim; r++)
                mx = fmax(mx, fabs((double)k[(size_t)r * units + u] - b[(size_t)r * units + u]));
            if (bias)
                mx = fmax(mx, fabs((double)bias[u] - b[(size_t)in_dim * units + u]));
        }
        if (!found)
            return set_err(s, "no unit of '%s' was dropped for every example of the batch (try batch_size 1)", l->name);
        *v = mx;
        return 0;
    }
    case LS_Q_MASK_ACTIVE:
    case LS_Q_KEPT_SCALE:
    case LS_Q_MEAN_RATIO:
    case LS_Q_DEAD_GRAD: {
        if (!(l = dropout_layer(s, e->layer)))
            return -1;
        const nn_layer *src = m->layers[l->inputs[0]];
        size_t total = (size_t)n * l->out_size;
        if (e->q == LS_Q_MASK_ACTIVE) {
            *v = l->mask_valid ? 1.0 : 0.0;
            return 0;
        }
        if (e->q == LS_Q_KEPT_SCALE) {
            double sum = 0;
            long cnt = 0;
            for (size_t i = 0; i < total; i++)
                if ((!l->mask_valid || l->mask[i]) && src->out[i] != 0.0f) {
                    sum += (double)l->out[i] / src->out[i];
                    cnt++;
                }
            *v = cnt ? sum / cnt : NAN;
            return 0;
        }
        if (e->q == LS_Q_MEAN_RATIO) {
            double so = 0, si = 0;
            for (size_t i = 0; i < total; i++) {
                so += l->out[i];
                si += src->out[i];
            }
            *v = si != 0 ? so / si : NAN;
            return 0;
        }
        /* dead gradient: what reached the Dropout's input at dropped units */
        double mx = 0;
        if (l->mask_valid && src->dout)
            for (size_t i = 0; i < total; i++)
                if (!l->mask[i] && fabs(src->dout[i]) > mx)
                    mx = fabs(src->dout[i]);
        *v = mx;
        return 0;
    }
    }
    return set_err(s, "unknown quantity %d", (int)e->q);
}

bool ls_session_expect(ls_session *s, const ls_expect *e, double *measured, char *desc, size_t desclen)
{
    double v = NAN;
    bool ok = measure(s, e, &v) == 0 && ls_expect_holds(e, v);
    if (measured)
        *measured = v;
    if (desc) {
        if (isnan(v) && s->err[0])
            snprintf(desc, desclen, "%s: %s", e->text ? e->text : "expectation", s->err);
        else
            snprintf(desc, desclen, "%s (measured %.10g)", e->text ? e->text : "expectation", v);
    }
    return ok;
}
