/* Layer type names, Keras defaults and name parsing. */
#include <math.h>
#include <string.h>
#include <strings.h>

#include "model.h"

static const struct {
    const char *keras, *prefix, *alias;
} type_names[NN_LAYER_TYPE_COUNT] = {
    [NN_INPUT] = {"InputLayer", "input", "Input"},
    [NN_DENSE] = {"Dense", "dense", "dense"},
    [NN_CONV2D] = {"Conv2D", "conv2d", "conv2d"},
    [NN_MAXPOOL2D] = {"MaxPooling2D", "max_pooling2d", "MaxPool2D"},
    [NN_AVGPOOL2D] = {"AveragePooling2D", "average_pooling2d", "AvgPool2D"},
    [NN_GAP2D] = {"GlobalAveragePooling2D", "global_average_pooling2d", "GlobalAvgPool2D"},
    [NN_BATCHNORM] = {"BatchNormalization", "batch_normalization", "batch_normalization"},
    [NN_ACTIVATION] = {"Activation", "activation", "activation"},
    [NN_FLATTEN] = {"Flatten", "flatten", "flatten"},
    [NN_DROPOUT] = {"Dropout", "dropout", "dropout"},
    [NN_CONCAT] = {"Concatenate", "concatenate", "concatenate"},
    [NN_ZEROPAD2D] = {"ZeroPadding2D", "zero_padding2d", "zero_padding2d"},
    [NN_DEPTHWISE_CONV2D] = {"DepthwiseConv2D", "depthwise_conv2d", "depthwise_conv2d"},
    [NN_SEPARABLE_CONV2D] = {"SeparableConv2D", "separable_conv2d", "SeparableConvolution2D"},
    [NN_ADD] = {"Add", "add", "add"},
    [NN_MULTIPLY] = {"Multiply", "multiply", "multiply"},
    [NN_RELU] = {"ReLU", "re_lu", "re_lu"},
    [NN_RESHAPE] = {"Reshape", "reshape", "reshape"},
    [NN_GMP2D] = {"GlobalMaxPooling2D", "global_max_pooling2d", "GlobalMaxPool2D"},
    [NN_RESCALING] = {"Rescaling", "rescaling", "rescaling"},
    [NN_NORMALIZATION] = {"Normalization", "normalization", "normalization"},
    [NN_AUGMENT] = {"RandomFlip", "random_flip", "random_flip"},
};

const char *nn_layer_type_name(nn_layer_type t)
{
    return (unsigned)t < NN_LAYER_TYPE_COUNT ? type_names[t].keras : "?";
}

const char *nn_layer_type_prefix(nn_layer_type t)
{
    return (unsigned)t < NN_LAYER_TYPE_COUNT ? type_names[t].prefix : "layer";
}

int nn_layer_type_parse(const char *s)
{
    for (int t = 0; t < NN_LAYER_TYPE_COUNT; t++) {
        if (!strcmp(s, type_names[t].keras) || !strcmp(s, type_names[t].prefix) ||
            !strcmp(s, type_names[t].alias))
            return t;
    }
    return -1;
}

static const struct {
    const char *keras, *prefix;
} drop_names[NN_DROP_KIND_COUNT] = {
    [NN_DROP_PLAIN] = {"Dropout", "dropout"},
    [NN_DROP_SPATIAL1D] = {"SpatialDropout1D", "spatial_dropout1d"},
    [NN_DROP_SPATIAL2D] = {"SpatialDropout2D", "spatial_dropout2d"},
    [NN_DROP_SPATIAL3D] = {"SpatialDropout3D", "spatial_dropout3d"},
    [NN_DROP_GAUSSIAN] = {"GaussianDropout", "gaussian_dropout"},
    [NN_DROP_ALPHA] = {"AlphaDropout", "alpha_dropout"},
};

static const struct {
    const char *keras, *prefix;
} aug_names[NN_AUG_KIND_COUNT] = {
    [NN_AUG_FLIP] = {"RandomFlip", "random_flip"},
    [NN_AUG_ROTATION] = {"RandomRotation", "random_rotation"},
    [NN_AUG_ZOOM] = {"RandomZoom", "random_zoom"},
    [NN_AUG_TRANSLATION] = {"RandomTranslation", "random_translation"},
};

const char *nn_layer_class_name(const nn_layer_cfg *c)
{
    if (c->type == NN_DROPOUT && (unsigned)c->drop_kind < NN_DROP_KIND_COUNT)
        return drop_names[c->drop_kind].keras;
    if (c->type == NN_AUGMENT && (unsigned)c->aug_kind < NN_AUG_KIND_COUNT)
        return aug_names[c->aug_kind].keras;
    return nn_layer_type_name(c->type);
}

const char *nn_layer_class_prefix(const nn_layer_cfg *c)
{
    if (c->type == NN_DROPOUT && (unsigned)c->drop_kind < NN_DROP_KIND_COUNT)
        return drop_names[c->drop_kind].prefix;
    if (c->type == NN_AUGMENT && (unsigned)c->aug_kind < NN_AUG_KIND_COUNT)
        return aug_names[c->aug_kind].prefix;
    return nn_layer_type_prefix(c->type);
}

static const char *act_names[NN_ACT_COUNT] = {"linear", "relu", "sigmoid", "softmax", "relu6", "swish"};

const char *nn_act_name(nn_act a)
{
    return (unsigned)a < NN_ACT_COUNT ? act_names[a] : "?";
}

int nn_act_parse(const char *s)
{
    if (!strcasecmp(s, "none"))
        return NN_ACT_LINEAR;
    if (!strcasecmp(s, "silu"))
        return NN_ACT_SWISH;
    for (int i = 0; i < NN_ACT_COUNT; i++)
        if (!strcasecmp(s, act_names[i]))
            return i;
    return -1;
}

nn_layer_cfg nn_layer_cfg_default(nn_layer_type type)
{
    nn_layer_cfg c;
    memset(&c, 0, sizeof c);
    c.type = type;
    c.act = NN_ACT_LINEAR;
    c.use_bias = true;
    c.padding = NN_PAD_VALID;
    c.kh = c.kw = (type == NN_MAXPOOL2D || type == NN_AVGPOOL2D) ? 2 : 3;
    c.sh = c.sw = (type == NN_CONV2D || type == NN_DEPTHWISE_CONV2D || type == NN_SEPARABLE_CONV2D) ? 1 : 0; /* pooling: 0 = pool size */
    c.pad[0] = c.pad[1] = c.pad[2] = c.pad[3] = 1; /* ZeroPadding2D(padding=(1, 1)) */
    c.depth_multiplier = 1;
    c.max_value = INFINITY;
    c.coef_n = type == NN_NORMALIZATION ? 0 : 1; /* Normalization(): adapted weights */
    c.aug_flip = NN_FLIP_HORIZONTAL | NN_FLIP_VERTICAL; /* RandomFlip()'s mode */
    c.aug_width_same = true; /* RandomZoom(width_factor=None) */
    c.coef_a[0] = 1.0f; /* Rescaling's scale has no default in Keras; the lesson requires it */
    c.eps = 1e-3f;
    c.momentum = 0.99f;
    c.center = c.scale = true;
    c.trainable = true;
    return c;
}

const char *nn_train_mode_name(nn_train_mode t)
{
    return t == NN_TRAIN_ALWAYS ? "True" : t == NN_TRAIN_NEVER ? "False" : "None";
}

bool nn_layer_training(const nn_layer_cfg *c, bool training)
{
    return c->training == NN_TRAIN_ALWAYS || (training && c->training != NN_TRAIN_NEVER);
}

static const char *opt_names[NN_OPT_COUNT] = {"sgd", "rmsprop", "adam", "adagrad", "adadelta"};

const char *nn_opt_name(nn_opt_kind k) { return (unsigned)k < NN_OPT_COUNT ? opt_names[k] : "?"; }

int nn_opt_parse(const char *s)
{
    for (int i = 0; i < NN_OPT_COUNT; i++)
        if (!strcasecmp(s, opt_names[i]))
            return i;
    return -1;
}

static const char *loss_names[] = {"binary_crossentropy", "sparse_categorical_crossentropy"};

const char *nn_loss_name(nn_loss_kind k) { return (unsigned)k < 2 ? loss_names[k] : "?"; }

int nn_loss_parse(const char *s)
{
    for (int i = 0; i < 2; i++)
        if (!strcasecmp(s, loss_names[i]))
            return i;
    return -1;
}

nn_optimizer_cfg nn_optimizer_default(nn_opt_kind kind)
{
    nn_optimizer_cfg o;
    memset(&o, 0, sizeof o);
    o.kind = kind;
    switch (kind) {
    case NN_OPT_SGD:
        o.lr = 0.01f;
        break;
    case NN_OPT_RMSPROP:
        o.lr = 0.001f;
        o.rho = 0.9f;
        o.eps = 1e-7f;
        break;
    case NN_OPT_ADAM:
        o.lr = 0.001f;
        o.beta1 = 0.9f;
        o.beta2 = 0.999f;
        o.eps = 1e-7f;
        break;
    case NN_OPT_ADAGRAD:
        o.lr = 0.001f;
        o.initial_accumulator = 0.1f;
        o.eps = 1e-7f;
        break;
    case NN_OPT_ADADELTA:
        o.lr = 0.001f;
        o.rho = 0.95f;
        o.eps = 1e-7f;
        break;
    case NN_OPT_COUNT:
        break;
    }
    return o;
}
