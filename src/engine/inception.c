/* InceptionV3 without top, as keras/applications/inception_v3.py builds it.
 *
 * The architecture is written down as a graph in Keras's creation order, which fixes the
 * automatic names (conv2d_5 is the sixth Conv2D created); graph.c then adds the nodes
 * the cut layer depends on in the order Keras's functional Model lists them. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "graph.h"
#include "inception.h"
#include "internal.h"

typedef nn_graph graph;

/* conv2d_bn(x, filters, rows, cols, padding, strides): Conv2D -> BN -> ReLU. */
static int conv_bn(graph *g, int x, int filters, int kh, int kw, nn_padding pad, int stride)
{
    nn_layer_cfg c = nn_layer_cfg_default(NN_CONV2D);
    c.filters = filters;
    c.kh = kh;
    c.kw = kw;
    c.sh = c.sw = stride;
    c.padding = pad;
    c.use_bias = false;
    x = nn_graph_add1(g, &c, NULL, x);
    c = nn_layer_cfg_default(NN_BATCHNORM);
    c.scale = false;
    c.eps = 1e-3f;
    c.momentum = 0.99f;
    x = nn_graph_add1(g, &c, NULL, x);
    return nn_graph_act(g, x, NN_ACT_RELU, NULL);
}

/* Same padding, stride 1: the common case. */
static int cbn(graph *g, int x, int filters, int kh, int kw)
{
    return conv_bn(g, x, filters, kh, kw, NN_PAD_SAME, 1);
}

static int pool(graph *g, nn_layer_type t, int x)
{
    bool mx = t == NN_MAXPOOL2D;
    return nn_graph_pool(g, x, t, 3, mx ? 2 : 1, mx ? NN_PAD_VALID : NN_PAD_SAME, NULL);
}

static int concat(graph *g, const char *name, const int *in, int n_in)
{
    nn_layer_cfg c = nn_layer_cfg_default(NN_CONCAT);
    return nn_graph_add(g, &c, name, in, n_in);
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

static int build_graph(graph *g)
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
    return block_e(g, x, 1);
}

int nn_base_inception_v3(nn_model *m, int input, const char *cut)
{
    if (nn_base_check_input(m, input, "inception_v3", NN_INCEPTION_MIN_SIZE) < 0)
        return -1;
    graph g;
    nn_graph_init(&g, m);
    build_graph(&g);
    const char *want = (cut && *cut) ? cut : "mixed10";
    int out = -1;
    for (int i = 0; i < g.n; i++)
        if (!strcmp(g.nodes[i].name, want))
            out = i;
    int rc = out < 0 ? nn_model_fail(m, "inception_v3: no layer named '%s' to cut at (use a layer name such as mixed0 .. mixed10)", want)
                     : nn_graph_emit(m, &g, input, out);
    nn_graph_free(&g);
    return rc;
}
