/* The worker's backend over a lesson session: the only file of src/ui that calls the
 * session. Runs on the worker thread only. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session/session.h"
#include "ui/worker.h"

typedef struct {
    ls_session *s;
    uint64_t seed;
} backend;

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
        b->seed = c->seed;
        ls_session_set_seed(b->s, b->seed);
        break;
    case UI_CMD_MARK:
        ls_session_mark(b->s);
        break;
    case UI_CMD_ACTION:
        if (c->action.kind == LS_ACT_SEED)
            b->seed = (uint64_t)c->action.n;
        rc = ls_session_apply(b->s, &c->action, NULL, NULL);
        break;
    default:
        break;
    }
    if (rc != 0)
        err_from(b, err, n, "command failed");
    return rc;
}

static int b_validate(void *ctx, double *loss, double *acc, char *err, size_t n)
{
    backend *b = ctx;
    int rc = ls_session_validate(b->s, loss, acc);
    if (rc != 0)
        err_from(b, err, n, "validation failed");
    return rc;
}

static bool b_expect(void *ctx, const ls_expect *e, double *measured, char *desc, size_t n)
{
    backend *b = ctx;
    return ls_session_expect(b->s, e, measured, desc, n);
}

static int b_describe(void *ctx, ui_graph *g)
{
    backend *b = ctx;
    nn_model *m = ls_session_model(b->s);
    const ls_lesson *l = ls_session_lesson(b->s);
    memset(g, 0, sizeof *g);
    g->layers = calloc((size_t)(m->n_layers > 0 ? m->n_layers : 1), sizeof *g->layers);
    if (!g->layers)
        return -1;
    g->n = m->n_layers;
    for (int i = 0; i < m->n_layers; i++) {
        const nn_layer *L = m->layers[i];
        ui_graph_layer *o = &g->layers[i];
        snprintf(o->name, sizeof o->name, "%s", L->name);
        snprintf(o->type, sizeof o->type, "%s", nn_layer_type_name(L->type));
        nn_shape_str(L->out_shape, true, o->shape, sizeof o->shape);
        o->params = nn_layer_param_count(L);
        o->trainable = L->trainable;
        o->frozen = !L->train_active;
        o->n_inputs = L->n_inputs < 8 ? L->n_inputs : 8;
        for (int k = 0; k < o->n_inputs; k++)
            o->inputs[k] = L->inputs[k];
        o->masks = L->type == NN_DROPOUT && L->n_inputs > 0 ? L->inputs[0] : -1;
        o->rate = L->type == NN_DROPOUT ? L->cfg.rate : 0.0f;
    }
    /* Bases as the lesson declared them (the graph collapses them). */
    const char *notes = ls_session_notes(b->s);
    for (int d = 0; l && d < l->n_decls; d++) {
        const ls_decl *dc = &l->decls[d];
        if (dc->kind != LS_DECL_BASE || dc->layer_first < 0 || dc->layer_count <= 0 ||
            dc->layer_first + dc->layer_count > m->n_layers)
            continue;
        /* A base on random weights: none given, or the session's note that the file was
         * not found (src/lesson/session.c, load_bases) names this declaration. */
        char key[1200];
        snprintf(key, sizeof key, "%s:%d:%d: %s: weights '", l->path ? l->path : "", dc->loc.line,
                 dc->loc.col, dc->base);
        bool random = !dc->weights || (notes && strstr(notes, key));
        for (int i = dc->layer_first; i < dc->layer_first + dc->layer_count; i++) {
            g->layers[i].random_weights = random;
            g->layers[i].base_first = dc->layer_first;
            g->layers[i].base_count = dc->layer_count;
            snprintf(g->layers[i].base_name, sizeof g->layers[i].base_name, "%.31s",
                     dc->name[0] ? dc->name : dc->base);
        }
    }
    nn_param_counts pc = nn_model_count_params(m);
    g->params_total = pc.total;
    g->params_trainable = pc.trainable;
    g->training = ls_session_training(b->s);
    g->lr = m->opt.lr;
    g->seed = b->seed;
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
    free(b);
}

ui_backend *ui_backend_session(struct ls_session *s, uint64_t seed)
{
    ui_backend *u = calloc(1, sizeof *u);
    backend *b = calloc(1, sizeof *b);
    if (!u || !b) {
        free(u);
        free(b);
        ls_session_destroy(s);
        return NULL;
    }
    b->s = s;
    b->seed = seed;
    u->ctx = b;
    u->step = b_step;
    u->command = b_command;
    u->validate = b_validate;
    u->expect = b_expect;
    u->describe = b_describe;
    u->free_trace = b_free_trace;
    u->destroy = b_destroy;
    u->lesson = ls_session_lesson(s);
    return u;
}
