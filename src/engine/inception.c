/* InceptionV3 without top, as keras/applications/inception_v3.py builds it.
 *
 * The architecture is first written down as a graph of nodes in Keras's creation order,
 * which is what fixes the automatic names (conv2d_5 is the sixth Conv2D created). The
 * nodes the cut layer depends on are then added to the model in the order Keras's
 * functional Model lists them (model.layers, and so the layer_names of a saved .h5):
 * sorted by depth (longest path to the output, deepest first), ties broken by the order
 * in which a depth-first walk from the output, visiting inputs in order, first meets
 * them. That is keras.engine.functional._map_graph_network. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inception.h"
#include "internal.h"

#define MAX_NODES 320   /* the full base has 311 layers besides the Input */

typedef struct {
    nn_layer_type type;
    char name[NN_NAME_MAX];
    int filters, kh, kw, stride;
    nn_padding padding;
    int n_in;
    int in[4];          /* node indices; -1 = the model's input layer */
} node;

typedef struct {
    node nodes[MAX_NODES];
    int n;
    int counter[NN_LAYER_TYPE_COUNT]; /* next automatic-name number per layer type */
} graph;

static int new_node(graph *g, nn_layer_type t, const char *name, const int *in, int n_in)
{
    node *nd = &g->nodes[g->n];
    memset(nd, 0, sizeof *nd);
    nd->type = t;
    if (name) {
        snprintf(nd->name, sizeof nd->name, "%s", name);
    } else {
        int k = g->counter[t]++;
        if (k == 0)
            snprintf(nd->name, sizeof nd->name, "%s", nn_layer_type_prefix(t));
        else
            snprintf(nd->name, sizeof nd->name, "%s_%d", nn_layer_type_prefix(t), k);
    }
    nd->n_in = n_in;
    memcpy(nd->in, in, sizeof(int) * (size_t)n_in);
    return g->n++;
}

/* conv2d_bn(x, filters, rows, cols, padding, strides): Conv2D -> BN -> ReLU. */
static int conv_bn(graph *g, int x, int filters, int kh, int kw, nn_padding pad, int stride)
{
    int c = new_node(g, NN_CONV2D, NULL, &x, 1);
    g->nodes[c].filters = filters;
    g->nodes[c].kh = kh;
    g->nodes[c].kw = kw;
    g->nodes[c].stride = stride;
    g->nodes[c].padding = pad;
    int b = new_node(g, NN_BATCHNORM, NULL, &c, 1);
    return new_node(g, NN_ACTIVATION, NULL, &b, 1);
}

/* Same padding, stride 1: the common case. */
static int cbn(graph *g, int x, int filters, int kh, int kw)
{
    return conv_bn(g, x, filters, kh, kw, NN_PAD_SAME, 1);
}

static int pool(graph *g, nn_layer_type t, int x)
{
    int p = new_node(g, t, NULL, &x, 1);
    g->nodes[p].kh = g->nodes[p].kw = 3;
    g->nodes[p].stride = t == NN_MAXPOOL2D ? 2 : 1;
    g->nodes[p].padding = t == NN_MAXPOOL2D ? NN_PAD_VALID : NN_PAD_SAME;
    return p;
}

static int concat(graph *g, const char *name, const int *in, int n_in)
{
    return new_node(g, NN_CONCAT, name, in, n_in);
}

/* mixed0-2 (35x35 at 299): 1x1, 5x5, double 3x3, pool projection. */
static int block_a(graph *g, int x, int pool_filters, const char *name)
{
    int b1 = cbn(g, x, 64, 1, 1);
    int b5 = cbn(g, x, 48, 1, 1);
    b5 = cbn(g, b5, 64, 5, 5);
    int b3 = cbn(g, x, 64, 1, 1);
    b3 = cbn(g, b3, 96, 3, 3);
    b3 = cbn(g, b3, 96, 3, 3);
    int bp = pool(g, NN_AVGPOOL2D, x);
    bp = cbn(g, bp, pool_filters, 1, 1);
    int in[4] = {b1, b5, b3, bp};
    return concat(g, name, in, 4);
}

/* mixed4-7 (17x17 at 299): factorised 7x7 branches with c filters inside. */
static int block_c(graph *g, int x, int c, const char *name)
{
    int b1 = cbn(g, x, 192, 1, 1);
    int b7 = cbn(g, x, c, 1, 1);
    b7 = cbn(g, b7, c, 1, 7);
    b7 = cbn(g, b7, 192, 7, 1);
    int bd = cbn(g, x, c, 1, 1);
    bd = cbn(g, bd, c, 7, 1);
    bd = cbn(g, bd, c, 1, 7);
    bd = cbn(g, bd, c, 7, 1);
    bd = cbn(g, bd, 192, 1, 7);
    int bp = pool(g, NN_AVGPOOL2D, x);
    bp = cbn(g, bp, 192, 1, 1);
    int in[4] = {b1, b7, bd, bp};
    return concat(g, name, in, 4);
}

/* mixed9, mixed10 (8x8 at 299). */
static int block_e(graph *g, int x, int i)
{
    char nm[NN_NAME_MAX];
    int b1 = cbn(g, x, 320, 1, 1);
    int b3 = cbn(g, x, 384, 1, 1);
    int b3a = cbn(g, b3, 384, 1, 3);
    int b3b = cbn(g, b3, 384, 3, 1);
    snprintf(nm, sizeof nm, "mixed9_%d", i);
    int in2[2] = {b3a, b3b};
    b3 = concat(g, nm, in2, 2);
    int bd = cbn(g, x, 448, 1, 1);
    bd = cbn(g, bd, 384, 3, 3);
    int bda = cbn(g, bd, 384, 1, 3);
    int bdb = cbn(g, bd, 384, 3, 1);
    int in3[2] = {bda, bdb};
    bd = concat(g, NULL, in3, 2);
    int bp = pool(g, NN_AVGPOOL2D, x);
    bp = cbn(g, bp, 192, 1, 1);
    snprintf(nm, sizeof nm, "mixed%d", 9 + i);
    int in[4] = {b1, b3, bd, bp};
    return concat(g, nm, in, 4);
}

static void build_graph(graph *g)
{
    int x = -1; /* the input */
    x = conv_bn(g, x, 32, 3, 3, NN_PAD_VALID, 2);
    x = conv_bn(g, x, 32, 3, 3, NN_PAD_VALID, 1);
    x = cbn(g, x, 64, 3, 3);
    x = pool(g, NN_MAXPOOL2D, x);
    x = conv_bn(g, x, 80, 1, 1, NN_PAD_VALID, 1);
    x = conv_bn(g, x, 192, 3, 3, NN_PAD_VALID, 1);
    x = pool(g, NN_MAXPOOL2D, x);

    x = block_a(g, x, 32, "mixed0");
    x = block_a(g, x, 64, "mixed1");
    x = block_a(g, x, 64, "mixed2");

    /* mixed3: reduction to 17x17 */
    int b3 = conv_bn(g, x, 384, 3, 3, NN_PAD_VALID, 2);
    int bd = cbn(g, x, 64, 1, 1);
    bd = cbn(g, bd, 96, 3, 3);
    bd = conv_bn(g, bd, 96, 3, 3, NN_PAD_VALID, 2);
    int bp = pool(g, NN_MAXPOOL2D, x);
    int in3[3] = {b3, bd, bp};
    x = concat(g, "mixed3", in3, 3);

    x = block_c(g, x, 128, "mixed4");
    x = block_c(g, x, 160, "mixed5");
    x = block_c(g, x, 160, "mixed6");
    x = block_c(g, x, 192, "mixed7");

    /* mixed8: reduction to 8x8 */
    b3 = cbn(g, x, 192, 1, 1);
    b3 = conv_bn(g, b3, 320, 3, 3, NN_PAD_VALID, 2);
    int b7 = cbn(g, x, 192, 1, 1);
    b7 = cbn(g, b7, 192, 1, 7);
    b7 = cbn(g, b7, 192, 7, 1);
    b7 = conv_bn(g, b7, 192, 3, 3, NN_PAD_VALID, 2);
    bp = pool(g, NN_MAXPOOL2D, x);
    int in8[3] = {b3, b7, bp};
    x = concat(g, "mixed8", in8, 3);

    x = block_e(g, x, 0);
    block_e(g, x, 1);
}

/* Keras's model.layers order for the nodes `out` depends on. */
typedef struct {
    int *depth;     /* -1: not an ancestor of the output */
    int *visit;     /* pre-order index of the depth-first walk from the output */
    int next;
} order_ctx;

static void walk(const graph *g, order_ctx *o, int v)
{
    if (o->visit[v] >= 0)
        return;
    o->visit[v] = o->next++;
    for (int k = 0; k < g->nodes[v].n_in; k++)
        if (g->nodes[v].in[k] >= 0)
            walk(g, o, g->nodes[v].in[k]);
}

static bool before(const order_ctx *o, int i, int j)
{
    if (o->depth[i] != o->depth[j])
        return o->depth[i] > o->depth[j];
    return o->visit[i] < o->visit[j];
}

/* Insertion sort: a few hundred nodes, and no global state for a comparator. */
static void sort_keras_order(const order_ctx *o, int *v, int n)
{
    for (int i = 1; i < n; i++) {
        int x = v[i], j = i;
        for (; j > 0 && before(o, x, v[j - 1]); j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

/* 1 + the largest k among existing names "prefix" (k = 0) and "prefix_k": Keras's
 * name counters continue from layers made before the base. */
static int first_free(const nn_model *m, const char *prefix)
{
    int next = 0;
    size_t pl = strlen(prefix);
    for (int i = 0; i < m->n_layers; i++) {
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

int nn_base_inception_v3(nn_model *m, int input, const char *cut)
{
    char sb[64];
    if (input < 0 || input >= m->n_layers)
        return nn_model_fail(m, "inception_v3: no input layer");
    const nn_layer *in = m->layers[input];
    nn_shape_str(in->out_shape, false, sb, sizeof sb);
    if (in->out_shape.rank != 3 || in->out_shape.d[2] != 3)
        return nn_model_fail(m, "inception_v3: the input '%s' must have shape (height, width, 3), got %s", in->name, sb);
    if (in->out_shape.d[0] < NN_INCEPTION_MIN_SIZE || in->out_shape.d[1] < NN_INCEPTION_MIN_SIZE)
        return nn_model_fail(m, "inception_v3: input '%s' is %s, but height and width must be at least %d (as in Keras)",
                             in->name, sb, NN_INCEPTION_MIN_SIZE);
    graph *g = calloc(1, sizeof *g);
    int *mem = malloc(sizeof(int) * MAX_NODES * 4);
    if (!g || !mem) {
        free(g);
        free(mem);
        return nn_model_fail(m, "inception_v3: out of memory");
    }
    for (int t = 0; t < NN_LAYER_TYPE_COUNT; t++)
        g->counter[t] = first_free(m, nn_layer_type_prefix(t));
    build_graph(g);

    const char *want = (cut && *cut) ? cut : "mixed10";
    int out = -1;
    for (int i = 0; i < g->n; i++)
        if (!strcmp(g->nodes[i].name, want))
            out = i;
    int rc = -1;
    if (out < 0) {
        nn_model_fail(m, "inception_v3: no layer named '%s' to cut at (use a layer name such as mixed0 .. mixed10)", want);
        goto done;
    }

    order_ctx o = {mem, mem + MAX_NODES, 0};
    int *order = mem + 2 * MAX_NODES, *index = mem + 3 * MAX_NODES;
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
    walk(g, &o, out);
    int n = 0;
    for (int i = 0; i <= out; i++)
        if (o.depth[i] >= 0)
            order[n++] = i;
    sort_keras_order(&o, order, n);

    for (int k = 0; k < n; k++) {
        const node *nd = &g->nodes[order[k]];
        nn_layer_cfg c = nn_layer_cfg_default(nd->type);
        c.name = nd->name;
        int ins[4];
        for (int j = 0; j < nd->n_in; j++)
            ins[j] = nd->in[j] < 0 ? input : index[nd->in[j]];
        switch (nd->type) {
        case NN_CONV2D:
            c.filters = nd->filters;
            c.kh = nd->kh;
            c.kw = nd->kw;
            c.sh = c.sw = nd->stride;
            c.padding = nd->padding;
            c.use_bias = false;
            break;
        case NN_BATCHNORM:
            c.scale = false;
            c.eps = 1e-3f;
            c.momentum = 0.99f;
            break;
        case NN_ACTIVATION:
            c.act = NN_ACT_RELU;
            break;
        case NN_MAXPOOL2D:
        case NN_AVGPOOL2D:
            c.kh = c.kw = nd->kh;
            c.sh = c.sw = nd->stride;
            c.padding = nd->padding;
            break;
        default:
            break;
        }
        int li = nn_model_add(m, &c, ins, nd->n_in);
        if (li < 0)
            goto done; /* the model's error names the layer */
        index[order[k]] = li;
    }
    rc = index[out];
done:
    free(g);
    free(mem);
    return rc;
}
