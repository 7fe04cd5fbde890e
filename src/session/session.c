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
#include "data/util.h"
#include "data/weights.h"
#include "session/paths.h"
#include "session/save.h"
#include "session/session_internal.h"

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

/* Messages quote names taken from files (layer names, paths, folders): control
 * characters are escaped (ds_escape_inplace) so that each error or note is one line. */
int ls_fail(ls_session *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
    ds_escape_inplace(s->err, sizeof s->err);
    return -1;
}

void ls_note(ls_session *s, const char *fmt, ...)
{
    size_t k = strlen(s->notes);
    if (k && k + 2 < sizeof s->notes) {
        s->notes[k++] = '\n'; /* the one line break: between notes */
        s->notes[k] = '\0';
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->notes + k, sizeof s->notes - k, fmt, ap);
    va_end(ap);
    ds_escape_inplace(s->notes + k, sizeof s->notes - k);
}

ls_options ls_options_default(void)
{
    ls_options o;
    memset(&o, 0, sizeof o);
    return o;
}

uint64_t ls_options_seed(const ls_options *opt, const ls_lesson *l)
{
    return opt && opt->seed_set ? opt->seed : l->fit.seed;
}

const ls_lesson *ls_session_lesson(const ls_session *s) { return s->lesson; }
nn_model *ls_session_model(ls_session *s) { return s->model; }
const char *ls_session_error(const ls_session *s) { return s->err; }
const char *ls_session_notes(const ls_session *s) { return s->notes; }
const ls_model_desc *ls_session_describe(const ls_session *s) { return &s->desc; }
uint64_t ls_session_seed(const ls_session *s) { return s->seed; }
long ls_session_steps(const ls_session *s) { return s->model->iterations; }
bool ls_session_training(const ls_session *s) { return s->training; }

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
    ls_mc_free(s);
    ls_keep_free(s);  /* these read the model's layer count: before it goes */
    ls_runs_free(s);
    nn_trace_destroy(s->compare_trace);
    ls_bn_free(s);
    nn_model_destroy(s->model);
    ls_lesson_destroy(s->lesson);
    free(s->val_x);
    free(s->x);
    free(s->y);
    free(s->src);
    free(s->change_since_mark);
    ls_cache_drop(s);
    free(s->cache.row_of_src);
    ls_desc_free(s);
    free(s->base_random);
    ls_history_free(s);
    free(s);
}

/* Bytes of the model's parameters and their gradients, known from the layers' shapes
 * before anything is allocated (nn_model_finalize counts them the same way). */
static double param_bytes(const nn_model *m)
{
    double b = 0;
    for (int i = 0; i < m->n_layers; i++)
        for (int q = 0; q < m->layers[i]->n_params; q++)
            b += (double)m->layers[i]->params[q].size * sizeof(float) * (m->layers[i]->params[q].is_stat ? 1 : 2);
    return b;
}

/* The validation images resized to the model's input, held for the whole session, must
 * fit the memory budget with what else is there (on_top bytes): refused, naming the
 * lesson's 'val' line and the sizes, before they are allocated. n: the images. */
static int check_val_budget(ls_session *s, long n, double on_top)
{
    const ls_data *d = &s->lesson->data;
    nn_shape in = s->model->layers[0]->out_shape;
    double per = (double)nn_shape_size(in) * sizeof(float);
    double need = per * (double)n, budget = (double)s->model->memory_budget;
    if (!budget || need + on_top <= budget)
        return 0;
    ls_loc at = d->val_loc.line ? d->val_loc : d->loc;
    char sb[64], rs[64] = "";
    if (d->resize_loc.line)
        snprintf(rs, sizeof rs, " ('resize' at line %d)", d->resize_loc.line);
    return ls_fail(s, "%s:%d:%d: the validation set, %ld images resized to %s%s, needs %.1f MiB on top of %.1f MiB, over the memory budget of %.1f MiB; lower 'val' or the image size",
                   s->lesson->path, at.line, at.col, n, nn_shape_str(in, false, sb, sizeof sb), rs,
                   need / 1048576.0, on_top / 1048576.0, budget / 1048576.0);
}

/* Before any data is read: the resized validation set the lesson asks for ('val' images
 * of Fashion-MNIST, resized when the model's input is not 28x28x1) and the parameters
 * together within the budget. The activations are counted by the engine when it
 * reserves them, and everything once more before the validation set is allocated. */
static int check_lesson_budget(ls_session *s)
{
    const ls_data *d = &s->lesson->data;
    nn_shape in = s->model->layers[0]->out_shape;
    bool same = in.rank == 3 && in.d[0] == 28 && in.d[1] == 28 && in.d[2] == 1;
    if (d->kind != LS_DATA_FASHION || d->val <= 0 || same)
        return 0;
    return check_val_budget(s, d->val, param_bytes(s->model));
}

/* A folder of class sub-folders (Keras's flow_from_directory layout), read at the model's
 * input size; the sets move into s->data so the rest of the session treats them alike. */
static int load_folder(ls_session *s)
{
    const ls_data *d = &s->lesson->data;
    nn_shape in = s->model->layers[0]->out_shape;
    if (in.rank != 3 || in.d[2] != 3)
        return ls_fail(s, "%s:%d:%d: an image folder gives RGB images: the model's input must be (height, width, 3)",
                       s->lesson->path, d->loc.line, d->loc.col);
    char dir[1024];
    if (!d->dir || ls_resolve_path(s->lesson->path, d->dir, dir, sizeof dir) < 0)
        return ls_fail(s, "%s:%d:%d: image folder '%s' not found", s->lesson->path, d->loc.line, d->loc.col,
                       d->dir ? d->dir : "");
    ds_folder_opts o = ds_folder_opts_default();
    o.h = in.d[0];
    o.w = in.d[1];
    o.val_count = d->val;
    o.seed = s->seed;
    if (s->model->memory_budget) {
        /* the images are held for the whole session: counted with the parameters (the model
         * is not finalized yet) once listed, before any is read */
        double held = param_bytes(s->model);
        o.max_bytes = (double)s->model->memory_budget > held ? (double)s->model->memory_budget - held : 1;
    }
    ds_folder f;
    char err[768];
    int rc = ds_folder_load(dir, &o, &f, err, sizeof err);
    if (rc == -2)
        return ls_fail(s, "%s:%d:%d: %s", s->lesson->path, d->loc.line, d->loc.col, err);
    if (rc < 0)
        return ls_fail(s, "%s: %s", s->lesson->path, err);
    s->data.train = f.train;
    s->data.val = f.val;
    memset(&f.train, 0, sizeof f.train);
    memset(&f.val, 0, sizeof f.val);
    snprintf(s->data.dir, sizeof s->data.dir, "%.*s", (int)sizeof s->data.dir - 1, dir);
    ds_folder_free(&f);
    /* the parser cannot know how many class folders there are: checked here */
    const ls_compile *c = &s->lesson->compile;
    int k = s->data.train.k;
    size_t units = s->model->layers[s->model->n_layers - 1]->out_size;
    if (c->loss == NN_LOSS_BCE && k != 2)
        return ls_fail(s, "%s:%d:%d: binary_crossentropy needs exactly 2 classes but %s has %d class folders",
                       s->lesson->path, c->loc.line, c->loc.col, dir, k);
    if (c->loss == NN_LOSS_SCCE && units != (size_t)k)
        return ls_fail(s, "%s:%d:%d: sparse_categorical_crossentropy needs one output unit per class: %s has %d class folders but the model's output has %zu units",
                       s->lesson->path, c->loc.line, c->loc.col, dir, k, units);
    ls_note(s, "images from %s: %d classes, %d training and %d validation images", dir, s->data.train.k,
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
        return ls_fail(s, "%s: %s", s->lesson->path, err);
    return 0;
}

double ls_data_bytes(const ls_session *s)
{
    const ds_set *sets[] = {&s->data.train, &s->data.val, &s->data.test};
    double b = 0;
    for (int i = 0; i < 3; i++)
        b += (double)sets[i]->n * ((double)ds_set_example_floats(sets[i]) * sizeof(float) + 2 * sizeof(int32_t));
    if (s->val_x)
        b += (double)s->data.val.n * (double)nn_shape_size(s->model->layers[0]->out_shape) * sizeof(float);
    return b;
}

/* The model's input size per example and the data's: resize when they differ. */
static int setup_batches(ls_session *s)
{
    char err[512];
    nn_shape in = s->model->layers[0]->out_shape;
    s->batcher = ds_batcher_create(&s->data.train, s->seed, true, err, sizeof err);
    if (!s->batcher)
        return ls_fail(s, "%s: %s", s->lesson->path, err);
    const ds_set *t = &s->data.train;
    /* a vector input takes the images flattened (row-major h, w, c: the same floats) */
    bool vector = in.rank == 1 && in.d[0] == t->h * t->w * t->c; /* other sizes: refused by the parser */
    if (in.rank != 3 && !vector)
        return ls_fail(s, "%s: the model's input must be (height, width, channels) for images", s->lesson->path);
    bool same = vector || (in.d[0] == t->h && in.d[1] == t->w && in.d[2] == t->c);
    if (!same && ds_batcher_set_output(s->batcher, in.d[0], in.d[1], in.d[2], err, sizeof err) < 0)
        return ls_fail(s, "%s: %s", s->lesson->path, err);
    size_t per = nn_shape_size(in);
    s->x = malloc((size_t)s->batch * per * sizeof(float));
    s->y = malloc((size_t)s->batch * sizeof(int32_t));
    s->src = malloc((size_t)s->batch * sizeof(int32_t));
    if (!s->x || !s->y || !s->src)
        return ls_fail(s, "out of memory for a batch");
    const ds_set *v = &s->data.val;
    if (v->n > 0 && !same) {
        /* everything already held: weights, activations, the images as read, a batch */
        double held = (double)s->model->memory_used + (double)s->model->memory_used_act +
                      ls_data_bytes(s) + (double)s->batch * (double)per * sizeof(float);
        if (check_val_budget(s, v->n, held) < 0)
            return -1;
        s->val_x = malloc((size_t)v->n * per * sizeof(float));
        if (!s->val_x)
            return ls_fail(s, "out of memory for the resized validation set");
        if (ds_resize_bilinear(v->x, v->n, v->h, v->w, v->c, s->val_x, in.d[0], in.d[1], in.d[2], err,
                               sizeof err) < 0)
            return ls_fail(s, "%s: %s", s->lesson->path, err);
    }
    return 0;
}

static int load_bases(ls_session *s)
{
    for (int i = 0; i < s->lesson->n_decls; i++) {
        const ls_decl *d = &s->lesson->decls[i];
        if (d->kind != LS_DECL_BASE)
            continue;
        s->base_random[i] = true;
        if (!d->weights) {
            ls_note(s, "%s: no weights given, so the base starts from random weights", d->base);
            continue;
        }
        char path[1024];
        if (ls_resolve_path(s->lesson->path, d->weights, path, sizeof path) < 0) {
            /* Students open the reference lesson without Keras's weights file: say so and
             * go on with random weights (a file that exists but is bad is an error). */
            ls_note(s, "%s:%d:%d: %s: weights '%s' not found (looked next to the lesson and in %s): the base starts from RANDOM weights",
                     s->lesson->path, d->loc.line, d->loc.col, d->base, d->weights, ls_data_dir());
            continue;
        }
        char err[768];
        ds_weights_report rep = {0};
        int rc;
        if (ds_h5_is_hdf5(path) == 1) {
            if (d->layer_count < 1)
                return ls_fail(s, "%s:%d:%d: the base's layers are unknown", s->lesson->path, d->loc.line, d->loc.col);
            rc = ds_h5_load_base(s->model, path, d->layer_first, d->layer_first + d->layer_count - 1, &rep, err,
                                 sizeof err);
        } else {
            rc = ds_weights_load(s->model, path, DS_WEIGHTS_SUBSET, &rep, err, sizeof err);
        }
        if (rc < 0)
            return ls_fail(s, "%s:%d:%d: %s", s->lesson->path, d->loc.line, d->loc.col, err);
        if (rep.n_loaded == 0) {
            ds_weights_report_free(&rep);
            return ls_fail(s, "%s:%d:%d: no layer of the model has weights in %s", s->lesson->path,
                           d->loc.line, d->loc.col, path);
        }
        ls_note(s, "%s: loaded %d layers from %s", d->base, rep.n_loaded, d->weights);
        s->base_random[i] = false;
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
        ls_note(s, "Keras 2.11 profile: lr=%g is silently ignored; training runs at the default learning rate %g",
                 (double)o.lr, (double)def.lr);
        o.lr = def.lr;
    }
    if ((c->profile == LS_KERAS_TF211 || c->profile == LS_KERAS_3) && o.kind == NN_OPT_RMSPROP)
        o.eps_inside_sqrt = true;
    return o;
}

static int init_model(ls_session *s)
{
    ls_profile pr = s->lesson->compile.profile;
    s->model->bn_frozen = pr == LS_KERAS_2_0 ? NN_BN_FROZEN_BATCH_UPDATE
                        : pr == LS_KERAS_2_2 ? NN_BN_FROZEN_BATCH : NN_BN_FROZEN_INFER;
    nn_rng r;
    nn_rng_seed(&r, s->seed);
    if (nn_model_finalize(s->model, &r) < 0)
        return ls_fail(s, "%s: %s", s->lesson->path, nn_model_error(s->model));
    if (load_bases(s) < 0)
        return -1;
    nn_model_seed_dropout(s->model, s->seed);
    nn_optimizer_cfg o = lesson_optimizer(s);
    nn_model_set_from_logits(s->model, s->lesson->compile.from_logits);
    if (nn_model_compile(s->model, &o, s->lesson->compile.loss) < 0)
        return ls_fail(s, "%s:%d:%d: %s", s->lesson->path, s->lesson->compile.loc.line,
                       s->lesson->compile.loc.col, nn_model_error(s->model));
    /* room for a validation chunk too, so validating never reallocates the buffers that
     * hold the last step (masks, gradients) */
    if (nn_model_reserve(s->model, s->batch > NN_EVAL_CHUNK ? s->batch : NN_EVAL_CHUNK) < 0)
        return ls_fail(s, "%s: %s", s->lesson->path, nn_model_error(s->model));
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
    s->seed = ls_options_seed(&s->opt, lesson);
    s->batch = s->opt.batch > 0 ? s->opt.batch : (lesson->fit.batch > 0 ? lesson->fit.batch : 20);
    s->training = true;
    s->val_loss = s->val_acc = NAN;
    s->last_loss = s->last_acc = NAN;
    char berr[768];
    s->model = ls_lesson_build_model(lesson, berr, sizeof berr);
    if (!s->model) {
        ds_seterr(err, errlen, "%s", berr);
        ls_session_destroy(s);
        return NULL;
    }
    s->model->memory_budget = s->opt.memory_budget ? s->opt.memory_budget : default_budget();
    s->base_random = calloc((size_t)lesson->n_decls + 1, sizeof *s->base_random);
    if (!s->base_random)
        ls_fail(s, "out of memory");
    if (!s->base_random || check_lesson_budget(s) < 0 || load_data(s) < 0 || init_model(s) < 0 || setup_batches(s) < 0 ||
        ls_desc_build(s) < 0) {
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
    ls_history_start(s);
    return s;
}

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Keras 3 on TensorFlow reads the trainable flags when it traces the train function:
 * at the first training step after compile() (docs/keras-import.md, "Keras 3"). A
 * change made between the compile and that step takes effect; later ones wait for the
 * next compile, as under Keras 2. */
static int keras3_trace(ls_session *s)
{
    nn_model *m = s->model;
    if (s->lesson->compile.profile != LS_KERAS_3 || !s->training || m->iterations != s->steps_at_compile)
        return 0;
    bool differ = false;
    for (int i = 0; i < m->n_layers && !differ; i++)
        differ = m->layers[i]->trainable != m->layers[i]->train_active;
    return differ ? ls_session_compile(s) : 0;
}

/* Does m have a Dropout layer (of any kind) with a rate above 0? */
static bool ls_has_dropout(const nn_model *m)
{
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i]->type == NN_DROPOUT && m->layers[i]->cfg.rate > 0)
            return true;
    return false;
}

nn_trace *ls_session_step(ls_session *s)
{
    nn_model *m = s->model;
    ls_history_step(s);
    if (keras3_trace(s) < 0)
        return NULL;
    double t0 = now_sec();
    int n = ds_batcher_next(s->batcher, s->batch, s->x, s->y, s->src);
    if (n < 1) {
        ls_fail(s, "no training data");
        return NULL;
    }
    s->last_n = n;
    long step_before = m->iterations;
    nn_step_result res;
    memset(&res, 0, sizeof res);
    res.finite = true;
    int rc;
    const float *act = ls_cache_batch(s, n);
    int p = s->cache.layer;
    if (s->training && s->want_before && ls_keep_sources(s) < 0) {
        ls_fail(s, "out of memory");
        return NULL;
    }
    double loss_off = NAN, acc_off = NAN;   /* the batch as validation would see it */
    if (s->training && ls_has_dropout(m) && nn_model_loss_off(m, p, act, s->x, s->y, n, &loss_off, &acc_off) < 0)
        loss_off = acc_off = NAN;
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
        ls_fail(s, "%s: %s", s->lesson->path, nn_model_error(m));
        return NULL;
    }
    s->last_loss = res.loss;
    s->last_acc = res.accuracy;
    if (s->training && rc == 0 && ls_keep_add(s, n) < 0)
        return NULL;
    if (ls_runs_step(s, res.loss, res.accuracy) < 0)
        return NULL;
    nn_change_fold(s->change_since_mark, m);
    nn_trace *t = nn_trace_capture(m, &res, s->x, s->y, s->src, n);
    if (!t) {
        ls_fail(s, "out of memory for a snapshot");
        return NULL;
    }
    t->training = s->training;
    t->loss_off = loss_off;
    t->accuracy_off = acc_off;
    ls_desc_refresh(s); /* the caller may have changed the model through ls_session_model */
    t->desc_version = s->desc.version;
    if (!t->finite)
        t->step = step_before + 1; /* the step that failed, whether or not its update ran */
    if (rc < 0) {
        ls_fail(s, "%s: %s", s->lesson->path, nn_model_error(m));
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
 * back afterwards (ls_save_dropouts, probe.c), so the window and the expectations still
 * see the last step. */
int ls_session_validate(ls_session *s, double *loss, double *accuracy)
{
    const ds_set *v = &s->data.val;
    if (v->n == 0)
        return ls_fail(s, "%s: the lesson has no validation split (data: val N)", s->lesson->path);
    const float *x = s->val_x ? s->val_x : v->x;
    const float *act = ls_cache_val(s, x);
    ls_saved_dropout *sv = ls_save_dropouts(s->model, s->last_n);
    int rc = act ? nn_model_evaluate_from(s->model, s->cache.layer, act, v->y, v->n, &s->val_loss, &s->val_acc)
                 : nn_model_evaluate(s->model, x, v->y, v->n, &s->val_loss, &s->val_acc);
    ls_restore_dropouts(s->model, sv, s->last_n);
    if (rc < 0)
        return ls_fail(s, "%s: %s", s->lesson->path, nn_model_error(s->model));
    s->have_val = true;
    s->val_at = s->model->iterations;
    ls_runs_validated(s, s->val_loss, s->val_acc);
    if (loss)
        *loss = s->val_loss;
    if (accuracy)
        *accuracy = s->val_acc;
    return 0;
}

void ls_session_mark(ls_session *s)
{
    memset(s->change_since_mark, 0, sizeof(float) * (size_t)s->model->n_layers);
    s->steps_at_mark = s->model->iterations;
    ls_keep_clear(s);
    ls_bn_mark(s);
}

/* A layer, or a whole base by its name: layers [first, first + count). */
int ls_find_layers(ls_session *s, const char *name, int *first, int *count)
{
    if (ls_lesson_find_layers(s->lesson, s->model, name, first, count) < 0 || *count < 1)
        return ls_fail(s, "no layer or base named '%s' in the model", name);
    return 0;
}

int ls_find_layer(ls_session *s, const char *name)
{
    int first, count;
    return ls_find_layers(s, name, &first, &count) < 0 ? -1 : first + count - 1;
}

int ls_session_compile(ls_session *s)
{
    nn_optimizer_cfg o = s->model->opt;
    int rc = nn_model_compile(s->model, &o, s->model->loss);
    s->steps_at_compile = s->model->iterations;
    ls_desc_refresh(s);
    return rc < 0 ? ls_fail(s, "%s", nn_model_error(s->model)) : 0;
}

int ls_session_set_trainable(ls_session *s, const char *layer, bool trainable, bool recompile)
{
    int first, count;
    if (ls_find_layers(s, layer, &first, &count) < 0)
        return -1;
    /* A base's name freezes or unfreezes all its layers, as Keras's base.trainable does. */
    for (int i = first; i < first + count; i++)
        nn_model_set_trainable(s->model, i, trainable);
    ls_desc_refresh(s);
    return recompile ? ls_session_compile(s) : 0;
}

int ls_session_set_rate(ls_session *s, const char *layer, double rate)
{
    int i = ls_find_layer(s, layer);
    if (i < 0)
        return -1;
    int rc = nn_model_set_dropout_rate(s->model, i, rate);
    ls_desc_refresh(s);
    return rc < 0 ? ls_fail(s, "%s", nn_model_error(s->model)) : 0;
}

void ls_session_set_training(ls_session *s, bool training) { s->training = training; }

int ls_session_set_lr(ls_session *s, float lr)
{
    if (nn_model_set_lr(s->model, lr) < 0)
        return ls_fail(s, "%s", nn_model_error(s->model));
    return 0;
}

int ls_session_reset(ls_session *s)
{
    ls_history_reset(s);
    ls_runs_archive(s);
    ls_cache_drop(s);
    nn_rng r;
    nn_rng_seed(&r, s->seed);
    if (nn_model_reinit(s->model, &r) < 0)
        return ls_fail(s, "%s", nn_model_error(s->model));
    s->notes[0] = '\0';
    if (load_bases(s) < 0)
        return -1;
    nn_model_seed_dropout(s->model, s->seed);
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
    return ls_session_compile(s); /* refreshes the description (random weights, frozen) */
}

void ls_session_set_seed(ls_session *s, uint64_t seed)
{
    ls_history_seed(s, seed);
    s->seed = seed;
    nn_model_seed_dropout(s->model, seed);
    ls_desc_refresh(s);
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
            return ls_fail(s, "%s", nn_model_error(s->model));
        return 0;
    }
    case LS_ACT_MC:
        return ls_session_mc_dropout(s, (int)a->n, a->flag);
    case LS_ACT_COMPARE:
        return ls_session_compare(s, a);
    case LS_ACT_PLAY:
    case LS_ACT_PAUSE:
    case LS_ACT_EXAMPLE:
    case LS_ACT_FOCUS_VIEW:
    case LS_ACT_FOCUS_LAYER:
        return 0; /* only the window acts on these */
    }
    return ls_fail(s, "unknown action %d", (int)a->kind);
}

