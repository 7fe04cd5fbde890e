/* EfficientNetB0 without top (keras/src/applications/efficientnet.py, width and depth
 * 1.0, drop_connect_rate 0.2): Rescaling(1/255) -> Normalization (adapted weights: mean,
 * variance, count) -> stem_conv_pad -> stem_conv (3x3/2) -> stem_bn -> stem_activation
 * (swish), 16 MBConv blocks block1a .. block7a (expand 1x1, [dwconv_pad], depthwise,
 * squeeze-and-excitation: se_squeeze, se_reshape, se_reduce (swish), se_expand
 * (sigmoid), se_excite (Multiply); project 1x1; [drop (Dropout, noise_shape (None, 1, 1,
 * 1), rate 0.2 * b / 16) and add] when the block keeps its shape), top_conv (1x1, 1280)
 * -> top_bn -> top_activation. BatchNormalization: Keras's defaults. Without weights=
 * 'imagenet' Keras adds no third Rescaling, so neither does this. */
#include <stdio.h>

#include "bases.h"
#include "graph.h"
#include "internal.h"

typedef struct {
    int kernel, repeats, filters_in, filters_out, expand, stride;
} block_args;

static const block_args b0_blocks[7] = {
    {3, 1, 32, 16, 1, 1}, {3, 2, 16, 24, 6, 2}, {5, 2, 24, 40, 6, 2}, {3, 3, 40, 80, 6, 2},
    {5, 3, 80, 112, 6, 1}, {5, 4, 112, 192, 6, 2}, {3, 1, 192, 320, 6, 1},
};

static const char *nm(char *buf, const char *prefix, const char *what)
{
    snprintf(buf, NN_NAME_MAX, "%s%s", prefix, what);
    return buf;
}

static int conv1x1(nn_graph *g, int x, int filters, bool bias, nn_act act, const char *name)
{
    return nn_graph_conv(g, x, filters, 1, 1, NN_PAD_SAME, bias, act, name);
}

/* squeeze and excitation on x (filters channels), filters_se = filters_in / 4 */
static int se_block(nn_graph *g, int x, int filters, int filters_se, const char *prefix)
{
    char b[NN_NAME_MAX];
    nn_layer_cfg c = nn_layer_cfg_default(NN_GAP2D);
    int se = nn_graph_add1(g, &c, nm(b, prefix, "se_squeeze"), x);
    c = nn_layer_cfg_default(NN_RESHAPE);
    c.target_shape = nn_shape3(1, 1, filters);
    se = nn_graph_add1(g, &c, nm(b, prefix, "se_reshape"), se);
    se = conv1x1(g, se, filters_se, true, NN_ACT_SWISH, nm(b, prefix, "se_reduce"));
    se = conv1x1(g, se, filters, true, NN_ACT_SIGMOID, nm(b, prefix, "se_expand"));
    return nn_graph_add2(g, NN_MULTIPLY, x, se, nm(b, prefix, "se_excite"));
}

static int mbconv(nn_graph *g, int inputs, int *hw, const block_args *a, int filters_in, int stride,
                  double drop_rate, const char *prefix)
{
    char b[NN_NAME_MAX];
    int filters = filters_in * a->expand, x = inputs;
    if (a->expand != 1) {
        x = conv1x1(g, x, filters, false, NN_ACT_LINEAR, nm(b, prefix, "expand_conv"));
        x = nn_graph_bn(g, x, 1e-3f, 0.99f, nm(b, prefix, "expand_bn"));
        x = nn_graph_act(g, x, NN_ACT_SWISH, nm(b, prefix, "expand_activation"));
    }
    if (stride == 2) { /* imagenet_utils.correct_pad(x, kernel) */
        int k2 = a->kernel / 2, ah = 1 - hw[0] % 2, aw = 1 - hw[1] % 2;
        x = nn_graph_pad(g, x, k2 - ah, k2, k2 - aw, k2, nm(b, prefix, "dwconv_pad"));
        hw[0] = (hw[0] + 1) / 2;
        hw[1] = (hw[1] + 1) / 2;
    }
    nn_layer_cfg c = nn_layer_cfg_default(NN_DEPTHWISE_CONV2D);
    c.kh = c.kw = a->kernel;
    c.sh = c.sw = stride;
    c.padding = stride == 2 ? NN_PAD_VALID : NN_PAD_SAME;
    c.use_bias = false;
    x = nn_graph_add1(g, &c, nm(b, prefix, "dwconv"), x);
    x = nn_graph_bn(g, x, 1e-3f, 0.99f, nm(b, prefix, "bn"));
    x = nn_graph_act(g, x, NN_ACT_SWISH, nm(b, prefix, "activation"));
    int filters_se = filters_in / 4 > 1 ? filters_in / 4 : 1;
    x = se_block(g, x, filters, filters_se, prefix);
    x = conv1x1(g, x, a->filters_out, false, NN_ACT_LINEAR, nm(b, prefix, "project_conv"));
    x = nn_graph_bn(g, x, 1e-3f, 0.99f, nm(b, prefix, "project_bn"));
    if (stride == 1 && filters_in == a->filters_out) {
        if (drop_rate > 0) {
            c = nn_layer_cfg_default(NN_DROPOUT);
            c.rate = drop_rate;
            c.noise_rank = 4;
            c.noise_shape[0] = 0, c.noise_shape[1] = c.noise_shape[2] = c.noise_shape[3] = 1;
            x = nn_graph_add1(g, &c, nm(b, prefix, "drop"), x);
        }
        x = nn_graph_add2(g, NN_ADD, x, inputs, nm(b, prefix, "add"));
    }
    return x;
}

int nn_base_efficientnet_b0(nn_model *m, int input, const nn_base_opts *o)
{
    if (nn_base_check_input(m, input, "efficientnet_b0", 32) < 0)
        return -1;
    nn_graph g;
    nn_graph_init(&g, m);
    nn_layer_cfg c = nn_layer_cfg_default(NN_RESCALING);
    c.coef_a[0] = 1.0f / 255.0f;
    int x = nn_graph_add1(&g, &c, NULL, -1);
    c = nn_layer_cfg_default(NN_NORMALIZATION);
    x = nn_graph_add1(&g, &c, NULL, x);
    const nn_shape *s = &m->layers[input]->out_shape;
    int hw[2] = {s->d[0], s->d[1]};
    x = nn_graph_pad(&g, x, 1 - (1 - hw[0] % 2), 1, 1 - (1 - hw[1] % 2), 1, "stem_conv_pad");
    hw[0] = (hw[0] + 1) / 2;
    hw[1] = (hw[1] + 1) / 2;
    x = nn_graph_conv(&g, x, 32, 3, 2, NN_PAD_VALID, false, NN_ACT_LINEAR, "stem_conv");
    x = nn_graph_bn(&g, x, 1e-3f, 0.99f, "stem_bn");
    x = nn_graph_act(&g, x, NN_ACT_SWISH, "stem_activation");
    int b = 0, total = 0;
    for (int i = 0; i < 7; i++)
        total += b0_blocks[i].repeats;
    for (int i = 0; i < 7; i++) {
        const block_args *a = &b0_blocks[i];
        for (int j = 0; j < a->repeats; j++, b++) {
            char prefix[16];
            snprintf(prefix, sizeof prefix, "block%d%c_", i + 1, 'a' + j);
            x = mbconv(&g, x, hw, a, j ? a->filters_out : a->filters_in, j ? 1 : a->stride, 0.2 * b / total, prefix);
        }
    }
    x = conv1x1(&g, x, 1280, false, NN_ACT_LINEAR, "top_conv");
    x = nn_graph_bn(&g, x, 1e-3f, 0.99f, "top_bn");
    x = nn_graph_act(&g, x, NN_ACT_SWISH, "top_activation");
    x = nn_graph_pooling(&g, x, o ? o->pooling : NULL, "avg_pool", "max_pool");
    int rc = nn_graph_emit(m, &g, input, x);
    nn_graph_free(&g);
    return rc;
}
