#include "bases.h"

int nn_base_fashion_cnn(nn_model *m, int input)
{
    int x = input;
    const int filters[2] = {32, 64};
    for (int b = 0; b < 2; b++) {
        nn_layer_cfg c = nn_layer_cfg_default(NN_CONV2D);
        c.filters = filters[b];
        c.kh = c.kw = 3;
        c.padding = NN_PAD_SAME;
        c.act = NN_ACT_RELU;
        if ((x = nn_model_add(m, &c, &x, 1)) < 0)
            return -1;
        nn_layer_cfg p = nn_layer_cfg_default(NN_MAXPOOL2D);
        p.kh = p.kw = 2;
        if ((x = nn_model_add(m, &p, &x, 1)) < 0)
            return -1;
    }
    return x;
}
