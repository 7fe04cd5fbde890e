/* MobileNetV2 without top (keras/src/applications/mobilenet_v2.py): Conv1 (3x3/2 same)
 * -> bn_Conv1 -> Conv1_relu (ReLU(6)), 17 inverted residual blocks (expanded_conv_*,
 * then block_1_* .. block_16_*: 1x1 expand, BN, ReLU6, [ZeroPadding2D for stride 2],
 * 3x3 depthwise, BN, ReLU6, 1x1 project, BN, [Add]), Conv_1 (1x1, 1280) -> Conv_1_bn ->
 * out_relu. BatchNormalization epsilon 1e-3, momentum 0.999; no conv biases. */
#include <stdio.h>

#include "bases.h"
#include "graph.h"
#include "internal.h"

#define MB_EPS 1e-3f
#define MB_MOMENTUM 0.999f

/* Keras's _make_divisible(v, 8). */
static int make_divisible(double v, int divisor)
{
    int nv = (int)(v + divisor / 2.0) / divisor * divisor;
    if (nv < divisor)
        nv = divisor;
    if (nv < 0.9 * v)
        nv += divisor;
    return nv;
}

static int relu6(nn_graph *g, int x, const char *name)
{
    nn_layer_cfg c = nn_layer_cfg_default(NN_RELU);
    c.max_value = 6.0f;
    return nn_graph_add1(g, &c, name, x);
}

/* prefix + what, e.g. "block_3_" "expand_BN" */
static const char *nm(char *buf, const char *prefix, const char *what)
{
    snprintf(buf, NN_NAME_MAX, "%s%s", prefix, what);
    return buf;
}

static int inverted_res_block(nn_graph *g, int x, int in_channels, int *hw, int expansion, int stride,
                              double alpha, int filters, int block_id, int *out_channels)
{
    char prefix[32], b[NN_NAME_MAX];
    int pointwise = make_divisible((int)(filters * alpha), 8);
    int in = x;
    if (block_id) {
        snprintf(prefix, sizeof prefix, "block_%d_", block_id);
        x = nn_graph_conv(g, x, expansion * in_channels, 1, 1, NN_PAD_SAME, false, NN_ACT_LINEAR, nm(b, prefix, "expand"));
        x = nn_graph_bn(g, x, MB_EPS, MB_MOMENTUM, nm(b, prefix, "expand_BN"));
        x = relu6(g, x, nm(b, prefix, "expand_relu"));
    } else {
        snprintf(prefix, sizeof prefix, "expanded_conv_");
    }
    if (stride == 2) { /* imagenet_utils.correct_pad(x, 3) */
        int ah = 1 - hw[0] % 2, aw = 1 - hw[1] % 2;
        x = nn_graph_pad(g, x, 1 - ah, 1, 1 - aw, 1, nm(b, prefix, "pad"));
    }
    nn_layer_cfg c = nn_layer_cfg_default(NN_DEPTHWISE_CONV2D);
    c.kh = c.kw = 3;
    c.sh = c.sw = stride;
    c.use_bias = false;
    c.padding = stride == 1 ? NN_PAD_SAME : NN_PAD_VALID;
    x = nn_graph_add1(g, &c, nm(b, prefix, "depthwise"), x);
    if (stride == 2) { /* padded to even + 1, then valid 3x3/2: ceil(size / 2) */
        hw[0] = (hw[0] + 1) / 2;
        hw[1] = (hw[1] + 1) / 2;
    }
    x = nn_graph_bn(g, x, MB_EPS, MB_MOMENTUM, nm(b, prefix, "depthwise_BN"));
    x = relu6(g, x, nm(b, prefix, "depthwise_relu"));
    x = nn_graph_conv(g, x, pointwise, 1, 1, NN_PAD_SAME, false, NN_ACT_LINEAR, nm(b, prefix, "project"));
    x = nn_graph_bn(g, x, MB_EPS, MB_MOMENTUM, nm(b, prefix, "project_BN"));
    *out_channels = pointwise;
    if (in_channels == pointwise && stride == 1)
        return nn_graph_add2(g, NN_ADD, in, x, nm(b, prefix, "add"));
    return x;
}

int nn_base_mobilenet_v2(nn_model *m, int input, const nn_base_opts *o)
{
    static const struct {
        int filters, stride, expansion;
    } blocks[17] = {{16, 1, 1},  {24, 2, 6},  {24, 1, 6},  {32, 2, 6},  {32, 1, 6},  {32, 1, 6},
                    {64, 2, 6},  {64, 1, 6},  {64, 1, 6},  {64, 1, 6},  {96, 1, 6},  {96, 1, 6},
                    {96, 1, 6},  {160, 2, 6}, {160, 1, 6}, {160, 1, 6}, {320, 1, 6}};
    if (nn_base_check_input(m, input, "mobilenet_v2", 32) < 0)
        return -1;
    double alpha = o && o->alpha > 0 ? o->alpha : 1.0;
    nn_graph g;
    nn_graph_init(&g, m);
    const nn_shape *s = &m->layers[input]->out_shape;
    int hw[2] = {(s->d[0] + 1) / 2, (s->d[1] + 1) / 2}; /* after Conv1 (3x3/2, same) */
    int ch = make_divisible(32 * alpha, 8);
    int x = nn_graph_conv(&g, -1, ch, 3, 2, NN_PAD_SAME, false, NN_ACT_LINEAR, "Conv1");
    x = nn_graph_bn(&g, x, MB_EPS, MB_MOMENTUM, "bn_Conv1");
    x = relu6(&g, x, "Conv1_relu");
    for (int i = 0; i < 17; i++)
        x = inverted_res_block(&g, x, ch, hw, blocks[i].expansion, blocks[i].stride, alpha, blocks[i].filters, i, &ch);
    int last = alpha > 1.0 ? make_divisible(1280 * alpha, 8) : 1280;
    x = nn_graph_conv(&g, x, last, 1, 1, NN_PAD_VALID, false, NN_ACT_LINEAR, "Conv_1");
    x = nn_graph_bn(&g, x, MB_EPS, MB_MOMENTUM, "Conv_1_bn");
    x = relu6(&g, x, "out_relu");
    x = nn_graph_pooling(&g, x, o ? o->pooling : NULL, NULL, NULL);
    int rc = nn_graph_emit(m, &g, input, x);
    nn_graph_free(&g);
    return rc;
}
