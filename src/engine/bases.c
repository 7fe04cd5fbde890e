#include <string.h>
#include <strings.h>

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

const nn_base_info nn_base_table[] = {
    {"vgg16", "VGG16", "vgg16", 224, 32, NN_PREP_CAFFE, nn_base_vgg16},
    {"vgg19", "VGG19", "vgg19", 224, 32, NN_PREP_CAFFE, nn_base_vgg19},
    {"resnet50", "ResNet50", "resnet50", 224, 32, NN_PREP_CAFFE, nn_base_resnet50},
    {"mobilenet_v2", "MobileNetV2", "mobilenet_v2", 224, 32, NN_PREP_TF, nn_base_mobilenet_v2},
    {"xception", "Xception", "xception", 299, 71, NN_PREP_TF, nn_base_xception},
    {"efficientnet_b0", "EfficientNetB0", "efficientnet", 224, 32, NN_PREP_NONE, nn_base_efficientnet_b0},
    {NULL, NULL, NULL, 0, 0, NN_PREP_NONE, NULL},
};

const nn_base_info *nn_base_find(const char *s)
{
    for (const nn_base_info *b = nn_base_table; b->name; b++)
        if (!strcasecmp(s, b->name) || !strcasecmp(s, b->keras))
            return b;
    return NULL;
}

void nn_preprocess_input(float *x, size_t pixels, nn_preprocess_mode mode)
{
    static const float caffe_mean[3] = {103.939f, 116.779f, 123.68f}; /* B, G, R */
    static const float torch_mean[3] = {0.485f, 0.456f, 0.406f}, torch_std[3] = {0.229f, 0.224f, 0.225f};
    for (size_t i = 0; i < pixels; i++) {
        float *p = x + 3 * i;
        switch (mode) {
        case NN_PREP_CAFFE: {
            float r = p[0];
            p[0] = p[2] - caffe_mean[0];
            p[1] = p[1] - caffe_mean[1];
            p[2] = r - caffe_mean[2];
            break;
        }
        case NN_PREP_TF:
            for (int c = 0; c < 3; c++)
                p[c] = p[c] / 127.5f - 1.0f;
            break;
        case NN_PREP_TORCH:
            for (int c = 0; c < 3; c++)
                p[c] = (p[c] / 255.0f - torch_mean[c]) / torch_std[c];
            break;
        case NN_PREP_NONE:
            break;
        }
    }
}
