/* Fake backend: see fake_trace.h. */
#include "fake_trace.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    fake_options o;
    ui_graph_layer *layers;
    int n;
    int dropout;
    bool training;
    float lr;
    unsigned long seed, rng;
    long steps;
    fake_counts counts;
} fake;

static unsigned long next(unsigned long *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static float uni(unsigned long *s)
{
    return (float)(next(s) >> 40) / (float)(1ul << 24);
}

static void add(fake *f, const char *name, const char *type, const char *shape, size_t params,
                bool frozen)
{
    ui_graph_layer *l = &f->layers[f->n];
    memset(l, 0, sizeof *l);
    snprintf(l->name, sizeof l->name, "%s", name);
    snprintf(l->type, sizeof l->type, "%s", type);
    snprintf(l->shape, sizeof l->shape, "%s", shape);
    l->params = params;
    l->trainable = !frozen;
    l->frozen = frozen;
    l->masks = -1;
    if (f->n > 0) {
        l->n_inputs = 1;
        l->inputs[0] = f->n - 1;
    }
    f->n++;
}

void fake_trace_free(nn_trace *t)
{
    if (!t)
        return;
    for (int i = 0; i < t->n_dropout; i++) {
        free(t->dropout[i].mask);
        free(t->dropout[i].act);
    }
    free(t->dropout);
    free(t->layers);
    free(t->images);
    free(t->labels);
    free(t->probs);
    free(t->pred);
    free(t->mc_mean);
    free(t->mc_spread);
    free(t->mc_inference);
    free(t);
}

static nn_trace *make(int batch, int units, float rate, bool training, long step,
                      unsigned long *rng, const fake *f)
{
    nn_trace *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->step = step;
    t->training = training;
    t->loss = 0.7 * exp(-step / 40.0) + 0.1 + 0.05 * uni(rng);
    t->accuracy = 1.0 - 0.5 * exp(-step / 30.0) - 0.05 * uni(rng);
    t->val_loss = step % 10 == 0 && step > 0 ? t->loss * 1.05 : NAN;
    t->val_accuracy = step % 10 == 0 && step > 0 ? t->accuracy * 0.98 : NAN;
    t->loss_off = training ? t->loss * 0.8 : NAN;   /* dropout off: lower, as usual */
    t->accuracy_off = training ? t->accuracy : NAN;
    t->lr = f ? f->lr : 1e-4f;
    t->batch = batch;
    t->n_dropout = 1;
    t->dropout = calloc(1, sizeof *t->dropout);
    nn_trace_dropout *d = t->dropout;
    if (!d)
        goto fail;
    d->layer = f ? f->dropout : 8;
    d->source = d->layer - 1;
    snprintf(d->name, sizeof d->name, "dropout");
    snprintf(d->source_name, sizeof d->source_name, "dense_1");
    d->rate = rate;
    d->units = units;
    d->has_mask = training;
    d->mask = malloc((size_t)batch * units);
    d->act = malloc((size_t)batch * units * sizeof(float));
    if (!d->mask || !d->act)
        goto fail;
    for (size_t i = 0; i < (size_t)batch * units; i++) {
        float u = uni(rng);
        d->act[i] = u < 0.35f ? 0.0f : (u - 0.35f) * 3.0f * (1.0f + (float)(i % units) / units);
        d->mask[i] = training ? uni(rng) >= rate : 1;
        d->dropped += d->mask[i] == 0;
    }
    int nl = f ? f->n : 10;
    t->n_layers = nl;
    t->layers = calloc((size_t)nl, sizeof *t->layers);
    if (!t->layers)
        goto fail;
    for (int i = 0; i < nl; i++) {
        nn_trace_layer *L = &t->layers[i];
        if (f) {
            snprintf(L->name, sizeof L->name, "%s", f->layers[i].name);
            L->frozen = f->layers[i].frozen;
            L->params = f->layers[i].params;
        } else {
            snprintf(L->name, sizeof L->name, "layer_%d", i);
        }
        bool moves = training && !L->frozen && L->params > 0;
        L->dw_max = moves ? (float)(1e-4 * (1 + uni(rng))) : 0.0f;
        L->dw_norm = moves ? L->dw_max * 10 : 0;
    }
    t->img_h = t->img_w = 28;
    t->img_c = 1;
    t->images = malloc((size_t)batch * 28 * 28 * sizeof(float));
    t->labels = malloc((size_t)batch * sizeof(int32_t));
    t->probs = malloc((size_t)batch * sizeof(float));
    t->pred = malloc((size_t)batch * sizeof(int32_t));
    if (!t->images || !t->labels || !t->probs || !t->pred)
        goto fail;
    for (int k = 0; k < batch; k++) {
        int lab = (int)(next(rng) % 2);
        t->labels[k] = lab;
        /* A shoe-ish blob: low and long for sneakers (0), tall for boots (1). */
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++) {
                bool in = lab ? (y > 6 && y < 24 && x > 4 && x < 24 && (y > 15 || x < 14))
                              : (y > 13 && y < 22 && x > 2 && x < 26);
                t->images[(size_t)k * 784 + y * 28 + x] = in ? 0.5f + 0.4f * uni(rng) : 0.0f;
            }
        float p = lab ? 0.5f + 0.5f * uni(rng) : 0.5f * uni(rng);
        if (k % 7 == 3)
            p = 1 - p;
        t->probs[k] = p;
        t->pred[k] = p > 0.5f;
    }
    t->finite = true;
    return t;
fail:
    fake_trace_free(t);
    return NULL;
}

nn_trace *fake_trace_make(int batch, int units, float rate, bool training, long step,
                          unsigned long seed)
{
    unsigned long rng = seed * 2654435761ul + 88172645463325252ul;
    return make(batch, units, rate, training, step, &rng, NULL);
}

static nn_trace *f_step(void *ctx, char *err, size_t n)
{
    fake *f = ctx;
    (void)err;
    (void)n;
    if (f->o.step_sleep_us > 0) {
        struct timespec ts = {0, f->o.step_sleep_us * 1000L};
        nanosleep(&ts, NULL);
    }
    if (f->training)
        f->steps++;
    f->counts.steps++;
    return make(f->o.batch, f->o.units, f->layers[f->dropout].rate, f->training, f->steps, &f->rng, f);
}

static int find(fake *f, const char *name)
{
    for (int i = 0; i < f->n; i++)
        if (!strcmp(f->layers[i].name, name))
            return i;
    return -1;
}

static int f_command(void *ctx, const ui_cmd *c, char *err, size_t n)
{
    fake *f = ctx;
    int k;
    switch (c->kind) {
    case UI_CMD_FREEZE:
        k = find(f, c->layer);
        if (k < 0) {
            snprintf(err, n, "no layer %s", c->layer);
            return -1;
        }
        f->layers[k].trainable = c->flag;
        f->layers[k].frozen = !c->flag;
        f->counts.freezes++;
        return 0;
    case UI_CMD_RATE:
        k = find(f, c->layer);
        if (k < 0 || f->layers[k].masks < 0) {
            snprintf(err, n, "%s is not a Dropout layer", c->layer);
            return -1;
        }
        f->layers[k].rate = c->value;
        f->counts.rates++;
        return 0;
    case UI_CMD_MODE:
        f->training = c->flag;
        f->counts.modes++;
        return 0;
    case UI_CMD_LR:
        f->lr = c->value;
        f->counts.lrs++;
        return 0;
    case UI_CMD_RESET:
        f->steps = 0;
        f->counts.resets++;
        return 0;
    case UI_CMD_SEED:
        f->seed = (unsigned long)c->seed;
        f->rng = f->seed * 2654435761ul + 88172645463325252ul;
        f->counts.seeds++;
        return 0;
    default:
        return 0;
    }
}

static int f_validate(void *ctx, double *loss, double *acc, char *err, size_t n)
{
    (void)ctx;
    (void)err;
    (void)n;
    *loss = 0.3;
    *acc = 0.9;
    return 0;
}

static int f_describe(void *ctx, ui_graph *g)
{
    fake *f = ctx;
    memset(g, 0, sizeof *g);
    g->layers = malloc((size_t)f->n * sizeof *g->layers);
    if (!g->layers)
        return -1;
    memcpy(g->layers, f->layers, (size_t)f->n * sizeof *g->layers);
    g->n = f->n;
    snprintf(g->title, sizeof g->title, "fake lesson");
    g->training = f->training;
    g->lr = f->lr;
    g->seed = f->seed;
    g->steps = f->steps;
    for (int i = 0; i < f->n; i++) {
        g->params_total += f->layers[i].params;
        if (!f->layers[i].frozen)
            g->params_trainable += f->layers[i].params;
    }
    g->n_classes = 2;
    snprintf(g->class_names[0], sizeof g->class_names[0], "Sneaker");
    snprintf(g->class_names[1], sizeof g->class_names[1], "Boot");
    return 0;
}

static void f_destroy(void *ctx)
{
    fake *f = ctx;
    if (!f)
        return;
    free(f->layers);
    free(f);
}

fake_counts fake_backend_counts(const ui_backend *b)
{
    return ((const fake *)b->ctx)->counts;
}

ui_backend *fake_backend_create(const fake_options *o)
{
    fake *f = calloc(1, sizeof *f);
    ui_backend *b = calloc(1, sizeof *b);
    fake_options d = {.batch = 20, .units = 1024, .base_layers = 5, .rate = 0.2f, .seed = 1};
    if (o)
        d = *o;
    if (d.batch <= 0)
        d.batch = 20;
    if (d.units <= 0)
        d.units = 1024;
    if (d.base_layers < 2)
        d.base_layers = 5;
    if (!f || !b || !(f->layers = calloc((size_t)d.base_layers + 6, sizeof *f->layers))) {
        if (f)
            free(f->layers);
        free(f);
        free(b);
        return NULL;
    }
    f->o = d;
    f->training = true;
    f->lr = 1e-4f;
    f->seed = d.seed;
    f->rng = d.seed * 2654435761ul + 88172645463325252ul;
    char shape[40], name[64];
    add(f, "input_1", "InputLayer", "(None, 28, 28, 1)", 0, true);
    for (int i = 1; i < d.base_layers; i++) {
        snprintf(name, sizeof name, i % 2 ? "conv2d%s%.0d" : "max_pooling2d%s%.0d",
                 (i - 1) / 2 ? "_" : "", (i - 1) / 2);
        add(f, name, i % 2 ? "Conv2D" : "MaxPooling2D", i % 2 ? "(None, 26, 26, 16)" : "(None, 13, 13, 16)",
            i % 2 ? 160 * (size_t)i : 0, true);
    }
    add(f, "flatten", "Flatten", "(None, 800)", 0, false);
    add(f, "dense", "Dense", "(None, 512)", 410112, false);
    snprintf(shape, sizeof shape, "(None, %d)", d.units);
    add(f, "dense_1", "Dense", shape, 513 * (size_t)d.units, false);
    add(f, "dropout", "Dropout", shape, 0, false);
    f->dropout = f->n - 1;
    f->layers[f->dropout].masks = f->dropout - 1;
    f->layers[f->dropout].rate = d.rate;
    add(f, "dense_2", "Dense", "(None, 1)", (size_t)d.units + 1, false);
    b->ctx = f;
    b->step = f_step;
    b->command = f_command;
    b->validate = f_validate;
    b->describe = f_describe;
    b->free_trace = fake_trace_free;
    b->destroy = f_destroy;
    return b;
}
