/* Base architectures as graphs, added in Keras's model.layers order (graph.h). */
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "internal.h"

/* 1 + the largest k among existing names "prefix" (k = 0) and "prefix_k". */
static int first_free(const nn_model *m, const char *prefix)
{
    int next = 0;
    size_t pl = strlen(prefix);
    for (int i = 0; m && i < m->n_layers; i++) {
        const char *nm = m->layers[i]->name;
        if (strncmp(nm, prefix, pl) != 0)
            continue;
        int k = -1;
        if (nm[pl] == '\0') {
            k = 0;
        } else if (nm[pl] == '_' && nm[pl + 1] >= '0' && nm[pl + 1] <= '9') {
            char *end;
            long v = strtol(nm + pl + 1, &end, 10);
            if (*end == '\0' && v < 100000)
                k = (int)v;
        }
        if (k >= next)
            next = k + 1;
    }
    return next;
}

void nn_graph_init(nn_graph *g, const nn_model *m)
{
    memset(g, 0, sizeof *g);
    for (int t = 0; t < NN_LAYER_TYPE_COUNT; t++)
        g->counter[t] = first_free(m, nn_layer_type_prefix(t));
}

void nn_graph_free(nn_graph *g)
{
    free(g->nodes);
    g->nodes = NULL;
    g->n = g->cap = 0;
}

int nn_graph_add(nn_graph *g, const nn_layer_cfg *c, const char *name, const int *in, int n_in)
{
    if (g->oom || n_in > NN_GRAPH_MAX_IN)
        return g->oom = true, -1;
    if (g->n == g->cap) {
        int cap = g->cap ? 2 * g->cap : 256;
        nn_gnode *grown = realloc(g->nodes, sizeof *grown * (size_t)cap);
        if (!grown)
            return g->oom = true, -1;
        g->nodes = grown;
        g->cap = cap;
    }
    nn_gnode *nd = &g->nodes[g->n];
    memset(nd, 0, sizeof *nd);
    nd->cfg = *c;
    nd->cfg.name = NULL;
    if (name) {
        snprintf(nd->name, sizeof nd->name, "%s", name);
    } else {
        int k = g->counter[c->type]++;
        const char *prefix = nn_layer_type_prefix(c->type);
        if (k == 0)
            snprintf(nd->name, sizeof nd->name, "%s", prefix);
        else
            snprintf(nd->name, sizeof nd->name, "%s_%d", prefix, k);
    }
    nd->n_in = n_in;
    memcpy(nd->in, in, sizeof(int) * (size_t)n_in);
    return g->n++;
}

int nn_graph_add1(nn_graph *g, const nn_layer_cfg *c, const char *name, int in)
{
    return nn_graph_add(g, c, name, &in, 1);
}

int nn_graph_pooling(nn_graph *g, int x, const char *pooling, const char *avg_name, const char *max_name)
{
    if (!pooling || !*pooling)
        return x;
    bool avg = !strcmp(pooling, "avg");
    nn_layer_cfg c = nn_layer_cfg_default(avg ? NN_GAP2D : NN_GMP2D);
    return nn_graph_add1(g, &c, avg ? avg_name : max_name, x);
}

typedef struct {
    int *depth;     /* -1: not an ancestor of the output */
    int *visit;     /* pre-order index of the depth-first walk from the output */
    int next;
} order_ctx;

/* Iterative pre-order walk (the graphs are a few hundred nodes deep). */
static void walk(const nn_graph *g, order_ctx *o, int root, int *stack)
{
    int sp = 0;
    stack[sp++] = root;
    while (sp > 0) {
        int v = stack[--sp];
        if (o->visit[v] >= 0)
            continue;
        o->visit[v] = o->next++;
        for (int k = g->nodes[v].n_in - 1; k >= 0; k--) /* first input popped first */
            if (g->nodes[v].in[k] >= 0 && o->visit[g->nodes[v].in[k]] < 0)
                stack[sp++] = g->nodes[v].in[k];
    }
}

static bool before(const order_ctx *o, int i, int j)
{
    if (o->depth[i] != o->depth[j])
        return o->depth[i] > o->depth[j];
    return o->visit[i] < o->visit[j];
}

static void sort_keras_order(const order_ctx *o, int *v, int n)
{
    for (int i = 1; i < n; i++) {
        int x = v[i], j = i;
        for (; j > 0 && before(o, x, v[j - 1]); j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

int nn_graph_emit(nn_model *m, const nn_graph *g, int input, int out)
{
    if (g->oom || out < 0 || out >= g->n)
        return nn_model_fail(m, "out of memory building the base");
    int *mem = malloc(sizeof(int) * (size_t)g->n * 5 * 4 + 16);
    if (!mem)
        return nn_model_fail(m, "out of memory building the base");
    order_ctx o = {mem, mem + g->n, 0};
    int *order = mem + 2 * g->n, *index = mem + 3 * g->n, *stack = mem + 4 * g->n;
    for (int i = 0; i < g->n; i++)
        o.depth[i] = o.visit[i] = index[i] = -1;
    /* creation order is topological, so one backward sweep gives longest paths */
    o.depth[out] = 0;
    for (int i = out; i >= 0; i--) {
        if (o.depth[i] < 0)
            continue;
        for (int k = 0; k < g->nodes[i].n_in; k++) {
            int j = g->nodes[i].in[k];
            if (j >= 0 && o.depth[j] < o.depth[i] + 1)
                o.depth[j] = o.depth[i] + 1;
        }
    }
    walk(g, &o, out, stack);
    int n = 0;
    for (int i = 0; i <= out; i++)
        if (o.depth[i] >= 0)
            order[n++] = i;
    sort_keras_order(&o, order, n);
    int rc = -1;
    for (int k = 0; k < n; k++) {
        const nn_gnode *nd = &g->nodes[order[k]];
        nn_layer_cfg c = nd->cfg;
        c.name = nd->name;
        int ins[NN_GRAPH_MAX_IN];
        for (int j = 0; j < nd->n_in; j++)
            ins[j] = nd->in[j] < 0 ? input : index[nd->in[j]];
        int li = nn_model_add(m, &c, ins, nd->n_in);
        if (li < 0)
            goto done; /* the model's error names the layer */
        index[order[k]] = li;
    }
    rc = index[out];
done:
    free(mem);
    return rc;
}

int nn_graph_conv(nn_graph *g, int x, int filters, int k, int stride, nn_padding pad, bool bias, nn_act act,
                  const char *name)
{
    nn_layer_cfg c = nn_layer_cfg_default(NN_CONV2D);
    c.filters = filters;
    c.kh = c.kw = k;
    c.sh = c.sw = stride;
    c.padding = pad;
    c.use_bias = bias;
    c.act = act;
    return nn_graph_add1(g, &c, name, x);
}

int nn_graph_bn(nn_graph *g, int x, float eps, float momentum, const char *name)
{
    nn_layer_cfg c = nn_layer_cfg_default(NN_BATCHNORM);
    c.eps = eps;
    c.momentum = momentum;
    return nn_graph_add1(g, &c, name, x);
}

int nn_graph_act(nn_graph *g, int x, nn_act act, const char *name)
{
    nn_layer_cfg c = nn_layer_cfg_default(NN_ACTIVATION);
    c.act = act;
    return nn_graph_add1(g, &c, name, x);
}

int nn_graph_pad(nn_graph *g, int x, int top, int bottom, int left, int right, const char *name)
{
    nn_layer_cfg c = nn_layer_cfg_default(NN_ZEROPAD2D);
    c.pad[0] = top, c.pad[1] = bottom, c.pad[2] = left, c.pad[3] = right;
    return nn_graph_add1(g, &c, name, x);
}

int nn_graph_pool(nn_graph *g, int x, nn_layer_type t, int k, int stride, nn_padding pad, const char *name)
{
    nn_layer_cfg c = nn_layer_cfg_default(t);
    c.kh = c.kw = k;
    c.sh = c.sw = stride;
    c.padding = pad;
    return nn_graph_add1(g, &c, name, x);
}

int nn_graph_add2(nn_graph *g, nn_layer_type t, int a, int b, const char *name)
{
    nn_layer_cfg c = nn_layer_cfg_default(t);
    int in[2] = {a, b};
    return nn_graph_add(g, &c, name, in, 2);
}

int nn_base_check_input(nn_model *m, int input, const char *base, int min_size)
{
    char sb[64];
    if (input < 0 || input >= m->n_layers)
        return nn_model_fail(m, "%s: no input layer", base);
    const nn_layer *in = m->layers[input];
    nn_shape_str(in->out_shape, false, sb, sizeof sb);
    if (in->out_shape.rank != 3 || in->out_shape.d[2] != 3)
        return nn_model_fail(m, "%s: the input '%s' must have shape (height, width, 3), got %s", base, in->name, sb);
    if (in->out_shape.d[0] < min_size || in->out_shape.d[1] < min_size)
        return nn_model_fail(m, "%s: input '%s' is %s, but height and width must be at least %d (as in Keras)", base,
                             in->name, sb, min_size);
    return 0;
}
