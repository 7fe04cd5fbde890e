/* Xception without top (keras/src/applications/xception.py): entry flow (block1-4),
 * middle flow (block5-12: three separable convolutions and an identity Add), exit flow
 * (block13-14). The residual 1x1 Conv2D/BatchNormalization pairs and the Adds are
 * unnamed in Keras (conv2d, batch_normalization, add, ...). BatchNormalization uses
 * Keras's defaults (epsilon 1e-3, momentum 0.99); no biases. */
#include <stdio.h>

#include "bases.h"
#include "graph.h"
#include "internal.h"

static int sep(nn_graph *g, int x, int filters, const char *block, int k)
{
    char nm[NN_NAME_MAX + 32];
    nn_layer_cfg c = nn_layer_cfg_default(NN_SEPARABLE_CONV2D);
    c.filters = filters;
    c.kh = c.kw = 3;
    c.padding = NN_PAD_SAME;
    c.use_bias = false;
    snprintf(nm, sizeof nm, "%s_sepconv%d", block, k);
    x = nn_graph_add1(g, &c, nm, x);
    snprintf(nm, sizeof nm, "%s_sepconv%d_bn", block, k);
    return nn_graph_bn(g, x, 1e-3f, 0.99f, nm);
}

static int relu(nn_graph *g, int x, const char *block, const char *what)
{
    char nm[NN_NAME_MAX + 32];
    snprintf(nm, sizeof nm, "%.40s_%.16s", block, what);
    return nn_graph_act(g, x, NN_ACT_RELU, nm);
}

/* block2-4 and block13: a strided 1x1 residual, two separable convs, a 3x3/2 pool. */
static int down_block(nn_graph *g, int x, int f1, int f2, int b, bool relu_first)
{
    char blk[16], nm[NN_NAME_MAX];
    snprintf(blk, sizeof blk, "block%d", b);
    int res = nn_graph_conv(g, x, f2, 1, 2, NN_PAD_SAME, false, NN_ACT_LINEAR, NULL);
    res = nn_graph_bn(g, res, 1e-3f, 0.99f, NULL);
    if (relu_first)
        x = relu(g, x, blk, "sepconv1_act");
    x = sep(g, x, f1, blk, 1);
    x = relu(g, x, blk, "sepconv2_act");
    x = sep(g, x, f2, blk, 2);
    snprintf(nm, sizeof nm, "%s_pool", blk);
    x = nn_graph_pool(g, x, NN_MAXPOOL2D, 3, 2, NN_PAD_SAME, nm);
    return nn_graph_add2(g, NN_ADD, x, res, NULL);
}

int nn_base_xception(nn_model *m, int input, const nn_base_opts *o)
{
    if (nn_base_check_input(m, input, "xception", 71) < 0)
        return -1;
    nn_graph g;
    nn_graph_init(&g, m);
    int x = nn_graph_conv(&g, -1, 32, 3, 2, NN_PAD_VALID, false, NN_ACT_LINEAR, "block1_conv1");
    x = nn_graph_bn(&g, x, 1e-3f, 0.99f, "block1_conv1_bn");
    x = nn_graph_act(&g, x, NN_ACT_RELU, "block1_conv1_act");
    x = nn_graph_conv(&g, x, 64, 3, 1, NN_PAD_VALID, false, NN_ACT_LINEAR, "block1_conv2");
    x = nn_graph_bn(&g, x, 1e-3f, 0.99f, "block1_conv2_bn");
    x = nn_graph_act(&g, x, NN_ACT_RELU, "block1_conv2_act");
    x = down_block(&g, x, 128, 128, 2, false);
    x = down_block(&g, x, 256, 256, 3, true);
    x = down_block(&g, x, 728, 728, 4, true);
    for (int i = 0; i < 8; i++) {
        char blk[16];
        snprintf(blk, sizeof blk, "block%d", i + 5);
        int res = x;
        for (int k = 1; k <= 3; k++) {
            char what[24];
            snprintf(what, sizeof what, "sepconv%d_act", k);
            x = relu(&g, x, blk, what);
            x = sep(&g, x, 728, blk, k);
        }
        x = nn_graph_add2(&g, NN_ADD, x, res, NULL);
    }
    x = down_block(&g, x, 728, 1024, 13, true);
    x = sep(&g, x, 1536, "block14", 1);
    x = relu(&g, x, "block14", "sepconv1_act");
    x = sep(&g, x, 2048, "block14", 2);
    x = relu(&g, x, "block14", "sepconv2_act");
    x = nn_graph_pooling(&g, x, o ? o->pooling : NULL, NULL, NULL);
    int rc = nn_graph_emit(m, &g, input, x);
    nn_graph_free(&g);
    return rc;
}
