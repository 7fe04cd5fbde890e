/* ResNet50 without top (keras/src/applications/resnet.py, ResNet v1): conv1_pad,
 * conv1_conv (7x7/2), conv1_bn, conv1_relu, pool1_pad, pool1_pool, then stacks conv2..conv5
 * of bottleneck blocks convS_blockB_{0,1,2,3}_{conv,bn}, _{1,2}_relu, _add, _out.
 * BatchNormalization epsilon 1.001e-5, momentum 0.99; convolutions with biases. */
#include <stdio.h>

#include "bases.h"
#include "graph.h"
#include "internal.h"

#define RES_EPS 1.001e-5f

static int conv_bn(nn_graph *g, int x, int filters, int k, int stride, const char *block, int i)
{
    char nm[NN_NAME_MAX + 32];
    snprintf(nm, sizeof nm, "%.40s_%d_conv", block, i);
    x = nn_graph_conv(g, x, filters, k, stride, k == 3 ? NN_PAD_SAME : NN_PAD_VALID, true, NN_ACT_LINEAR, nm);
    snprintf(nm, sizeof nm, "%.40s_%d_bn", block, i);
    return nn_graph_bn(g, x, RES_EPS, 0.99f, nm);
}

static int relu(nn_graph *g, int x, const char *block, const char *what)
{
    char nm[NN_NAME_MAX + 32];
    snprintf(nm, sizeof nm, "%.40s_%.16s", block, what);
    return nn_graph_act(g, x, NN_ACT_RELU, nm);
}

/* residual_block_v1: the shortcut (a 1x1 conv + BN when conv_shortcut) is created first. */
static int block(nn_graph *g, int x, int filters, int stride, bool conv_shortcut, const char *name)
{
    int shortcut = x;
    if (conv_shortcut)
        shortcut = conv_bn(g, x, 4 * filters, 1, stride, name, 0);
    x = conv_bn(g, x, filters, 1, stride, name, 1);
    x = relu(g, x, name, "1_relu");
    x = conv_bn(g, x, filters, 3, 1, name, 2);
    x = relu(g, x, name, "2_relu");
    x = conv_bn(g, x, 4 * filters, 1, 1, name, 3);
    char nm[NN_NAME_MAX + 32];
    snprintf(nm, sizeof nm, "%.40s_add", name);
    x = nn_graph_add2(g, NN_ADD, shortcut, x, nm);
    return relu(g, x, name, "out");
}

static int stack(nn_graph *g, int x, int filters, int blocks, int stride1, int s)
{
    char nm[NN_NAME_MAX + 32];
    for (int b = 1; b <= blocks; b++) {
        snprintf(nm, sizeof nm, "conv%d_block%d", s, b);
        x = block(g, x, filters, b == 1 ? stride1 : 1, b == 1, nm);
    }
    return x;
}

int nn_base_resnet50(nn_model *m, int input, const nn_base_opts *o)
{
    if (nn_base_check_input(m, input, "resnet50", 32) < 0)
        return -1;
    nn_graph g;
    nn_graph_init(&g, m);
    int x = nn_graph_pad(&g, -1, 3, 3, 3, 3, "conv1_pad");
    x = nn_graph_conv(&g, x, 64, 7, 2, NN_PAD_VALID, true, NN_ACT_LINEAR, "conv1_conv");
    x = nn_graph_bn(&g, x, RES_EPS, 0.99f, "conv1_bn");
    x = nn_graph_act(&g, x, NN_ACT_RELU, "conv1_relu");
    x = nn_graph_pad(&g, x, 1, 1, 1, 1, "pool1_pad");
    x = nn_graph_pool(&g, x, NN_MAXPOOL2D, 3, 2, NN_PAD_VALID, "pool1_pool");
    x = stack(&g, x, 64, 3, 1, 2);
    x = stack(&g, x, 128, 4, 2, 3);
    x = stack(&g, x, 256, 6, 2, 4);
    x = stack(&g, x, 512, 3, 2, 5);
    x = nn_graph_pooling(&g, x, o ? o->pooling : NULL, "avg_pool", "max_pool");
    int rc = nn_graph_emit(m, &g, input, x);
    nn_graph_free(&g);
    return rc;
}
