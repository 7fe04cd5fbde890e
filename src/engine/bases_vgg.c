/* VGG16 and VGG19 without top (keras/src/applications/vgg16.py, vgg19.py): blocks of
 * 3x3 'same' ReLU convolutions named blockB_convK, each ended by a 2x2 max pool
 * blockB_pool. */
#include <stdio.h>

#include "bases.h"
#include "graph.h"
#include "internal.h"

static int vgg(nn_model *m, int input, const nn_base_opts *o, const int *convs, const char *base)
{
    static const int filters[5] = {64, 128, 256, 512, 512};
    if (nn_base_check_input(m, input, base, 32) < 0)
        return -1;
    nn_graph g;
    nn_graph_init(&g, m);
    int x = -1;
    char nm[NN_NAME_MAX + 32];
    for (int b = 0; b < 5; b++) {
        for (int k = 0; k < convs[b]; k++) {
            snprintf(nm, sizeof nm, "block%d_conv%d", b + 1, k + 1);
            x = nn_graph_conv(&g, x, filters[b], 3, 1, NN_PAD_SAME, true, NN_ACT_RELU, nm);
        }
        snprintf(nm, sizeof nm, "block%d_pool", b + 1);
        x = nn_graph_pool(&g, x, NN_MAXPOOL2D, 2, 2, NN_PAD_VALID, nm);
    }
    x = nn_graph_pooling(&g, x, o ? o->pooling : NULL, NULL, NULL);
    int rc = nn_graph_emit(m, &g, input, x);
    nn_graph_free(&g);
    return rc;
}

int nn_base_vgg16(nn_model *m, int input, const nn_base_opts *o)
{
    static const int convs[5] = {2, 2, 3, 3, 3};
    return vgg(m, input, o, convs, "vgg16");
}

int nn_base_vgg19(nn_model *m, int input, const nn_base_opts *o)
{
    static const int convs[5] = {2, 2, 4, 4, 4};
    return vgg(m, input, o, convs, "vgg19");
}
