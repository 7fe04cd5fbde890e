/* The keras.applications bases (issue 15) against Keras's numbers at 224x224x3,
 * include_top=False: layer count (model.layers, the Input included), output shape,
 * total / trainable / non-trainable parameters, names in Keras's order. The counts are
 * Keras's (keras.io/api/applications and model.summary() of tf.keras 2.x):
 *   VGG16 14,714,688 (all trainable)          VGG19 20,024,384
 *   ResNet50 23,587,712 (53,120 non-trainable: BN moving statistics)
 *   MobileNetV2 2,257,984 (34,112 non-trainable)  Xception 20,861,480 (54,528)
 *   EfficientNetB0 4,049,571 (42,023)
 * MobileNetV2(alpha=0.35) is derived from mobilenet_v2.py by hand below. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/bases.h"

typedef struct {
    const char *base;
    int size;
    float alpha;
    int layers;
    nn_shape out;
    size_t total, non_trainable;
} expect;

static nn_model *build(const char *base, int size, float alpha, const char *pooling, int *last)
{
    nn_model *m = nn_model_create(base);
    nn_layer_cfg c = nn_layer_cfg_default(NN_INPUT);
    c.shape = nn_shape3(size, size, 3);
    c.name = "input_1";
    assert_int_equal(nn_model_add(m, &c, NULL, 0), 0);
    nn_base_opts o = {pooling, alpha};
    const nn_base_info *b = nn_base_find(base);
    assert_non_null(b);
    *last = b->build(m, 0, &o);
    if (*last < 0)
        fail_msg("%s: %s", base, nn_model_error(m));
    return m;
}

static void check(const expect *e)
{
    int last;
    nn_model *m = build(e->base, e->size, e->alpha, NULL, &last);
    nn_param_counts pc = nn_model_count_params(m);
    char sb[64];
    print_message("%-14s alpha %.2f: %d layers, output %s, %zu params (%zu non-trainable)\n", e->base, e->alpha,
                  m->n_layers, nn_shape_str(m->layers[last]->out_shape, true, sb, sizeof sb), pc.total,
                  pc.non_trainable);
    assert_int_equal(m->n_layers, e->layers);
    assert_int_equal(last, m->n_layers - 1);
    assert_true(nn_shape_equal(m->layers[last]->out_shape, e->out));
    assert_int_equal(pc.total, e->total);
    assert_int_equal(pc.non_trainable, e->non_trainable);
    nn_model_destroy(m);
}

static void test_counts(void **state)
{
    (void)state;
    const expect es[] = {
        {"vgg16", 224, 1.0f, 19, {3, {7, 7, 512}}, 14714688, 0},
        {"VGG19", 224, 1.0f, 22, {3, {7, 7, 512}}, 20024384, 0},
        {"resnet50", 224, 1.0f, 175, {3, {7, 7, 2048}}, 23587712, 53120},
        {"mobilenet_v2", 224, 1.0f, 154, {3, {7, 7, 1280}}, 2257984, 34112},
        {"xception", 299, 1.0f, 132, {3, {10, 10, 2048}}, 20861480, 54528},
        {"xception", 224, 1.0f, 132, {3, {7, 7, 2048}}, 20861480, 54528},
        /* alpha 0.35 (_make_divisible): first conv 16, block outputs 8, 8, 8, 16 x3, 24 x4,
         * 32 x3, 56 x3, 112, last conv 1280 (alpha <= 1 keeps it). BN channels: 16 + (16 + 8)
         * + 12 * (sum of block 1-16 inputs = 432) + (sum of their outputs = 536) + 1280
         * = 7,040, so 14,080 moving statistics; 410,208 in all (1,691,208 with Keras's
         * 1000-class top, the "1.7M" of the published 0.35 model) */
        {"mobilenet_v2", 224, 0.35f, 154, {3, {7, 7, 1280}}, 410208, 14080},
        /* EfficientNetB0: 4,049,571 of which 42,023 non-trainable (BN statistics 42,016 and
         * the Normalization's mean, variance and count, 7); 237 layers (blocks of 10 to 15
         * layers, see bases_efficientnet.c; Keras adds a 238th, a Rescaling, only for
         * weights='imagenet') */
        {"efficientnet_b0", 224, 1.0f, 237, {3, {7, 7, 1280}}, 4049571, 42023},
    };
    for (size_t i = 0; i < sizeof es / sizeof es[0]; i++)
        check(&es[i]);
}

static void expect_order(nn_model *m, const char *const *names, int n)
{
    int prev = -1;
    for (int i = 0; i < n; i++) {
        int k = nn_model_find(m, names[i]);
        if (k < 0)
            fail_msg("no layer '%s'", names[i]);
        if (k != prev + 1 && prev >= 0)
            fail_msg("'%s' is layer %d, expected %d (right after '%s')", names[i], k, prev + 1, names[i - 1]);
        prev = k;
    }
}

/* Keras's model.layers order where branches meet (tf.keras summary()). */
static void test_names_and_order(void **state)
{
    (void)state;
    int last;
    nn_model *m = build("resnet50", 224, 1.0f, "avg", &last);
    static const char *const res[] = {"conv2_block1_1_conv", "conv2_block1_1_bn", "conv2_block1_1_relu",
                                      "conv2_block1_2_conv", "conv2_block1_2_bn", "conv2_block1_2_relu",
                                      "conv2_block1_0_conv", "conv2_block1_3_conv", "conv2_block1_0_bn",
                                      "conv2_block1_3_bn", "conv2_block1_add", "conv2_block1_out"};
    expect_order(m, res, 12);
    assert_string_equal(m->layers[1]->name, "conv1_pad");
    assert_string_equal(m->layers[last]->name, "avg_pool");
    assert_string_equal(m->layers[last - 1]->name, "conv5_block3_out");
    nn_model_destroy(m);

    m = build("mobilenet_v2", 224, 1.0f, "max", &last);
    static const char *const mb[] = {"Conv1", "bn_Conv1", "Conv1_relu", "expanded_conv_depthwise",
                                     "expanded_conv_depthwise_BN", "expanded_conv_depthwise_relu",
                                     "expanded_conv_project", "expanded_conv_project_BN", "block_1_expand",
                                     "block_1_expand_BN", "block_1_expand_relu", "block_1_pad", "block_1_depthwise"};
    expect_order(m, mb, 13);
    assert_true(nn_shape_equal(m->layers[nn_model_find(m, "block_1_pad")]->out_shape, nn_shape3(113, 113, 96)));
    assert_non_null(nn_model_layer(m, nn_model_find(m, "block_16_project_BN")));
    assert_int_equal(nn_model_find(m, "block_16_add"), -1); /* 160 -> 320 channels: no Add */
    assert_true(nn_model_find(m, "block_15_add") > 0);
    assert_string_equal(m->layers[last]->name, "global_max_pooling2d");
    assert_true(nn_shape_equal(m->layers[last]->out_shape, nn_shape1(1280)));
    nn_model_destroy(m);

    m = build("xception", 299, 1.0f, NULL, &last);
    /* the unnamed residual layers get automatic names in creation order */
    static const char *const xc[] = {"block1_conv2_act", "block2_sepconv1", "block2_sepconv1_bn",
                                     "block2_sepconv2_act", "block2_sepconv2", "block2_sepconv2_bn",
                                     "conv2d", "block2_pool", "batch_normalization", "add"};
    expect_order(m, xc, 10);
    assert_true(nn_model_find(m, "add_11") > 0);
    assert_int_equal(nn_model_find(m, "add_12"), -1);
    assert_true(nn_model_find(m, "conv2d_3") > 0);
    assert_string_equal(m->layers[last]->name, "block14_sepconv2_act");
    nn_model_destroy(m);

    m = build("efficientnet_b0", 224, 1.0f, "max", &last);
    static const char *const ef[] = {"block1a_dwconv", "block1a_bn", "block1a_activation", "block1a_se_squeeze",
                                     "block1a_se_reshape", "block1a_se_reduce", "block1a_se_expand",
                                     "block1a_se_excite", "block1a_project_conv", "block1a_project_bn",
                                     "block2a_expand_conv"};
    expect_order(m, ef, 11);
    assert_string_equal(m->layers[1]->name, "rescaling");
    assert_string_equal(m->layers[2]->name, "normalization");
    assert_string_equal(m->layers[last]->name, "max_pool");
    assert_int_equal(nn_model_find(m, "block1a_drop"), -1); /* rate 0 * 0 / 16: no Dropout */
    int di = nn_model_find(m, "block6d_drop"); /* the 15th block (b = 14): rate 0.2 * 14 / 16 */
    assert_true(di > 0);
    assert_float_equal(m->layers[di]->cfg.rate, 0.2 * 14 / 16, 1e-12);
    assert_int_equal(m->layers[di]->cfg.noise_rank, 4);
    nn_model_destroy(m);

    m = build("vgg16", 64, 1.0f, "avg", &last);
    assert_string_equal(m->layers[last]->name, "global_average_pooling2d");
    assert_string_equal(m->layers[last - 1]->name, "block5_pool");
    assert_true(nn_shape_equal(m->layers[last - 1]->out_shape, nn_shape3(2, 2, 512)));
    nn_model_destroy(m);
}

/* Every base runs a forward (inference and training) at its least input size: finite
 * outputs of the right size. */
static void test_forward_all(void **state)
{
    (void)state;
    for (const nn_base_info *b = nn_base_table; b->name; b++) {
        int last;
        nn_model *m = build(b->name, b->min_size, 1.0f, "avg", &last);
        nn_rng r;
        nn_rng_seed(&r, 3);
        assert_int_equal(nn_model_finalize(m, &r), 0);
        size_t in = nn_model_input_size(m) * 2;
        float *x = malloc(in * sizeof(float));
        assert_non_null(x);
        for (size_t i = 0; i < in; i++)
            x[i] = 255.0f * nn_rng_uniform(&r);
        for (int training = 0; training < 2; training++) {
            if (nn_model_forward(m, x, 2, training) != 0)
                fail_msg("%s: %s", b->name, nn_model_error(m));
            const nn_layer *l = m->layers[last];
            for (size_t i = 0; i < 2 * l->out_size; i++)
                if (!isfinite(l->out[i]))
                    fail_msg("%s: output %zu is %g", b->name, i, l->out[i]);
        }
        free(x);
        nn_model_destroy(m);
    }
}

static void test_bad_inputs(void **state)
{
    (void)state;
    nn_model *m = nn_model_create("x");
    nn_layer_cfg c = nn_layer_cfg_default(NN_INPUT);
    c.shape = nn_shape3(70, 70, 3);
    nn_model_add(m, &c, NULL, 0);
    nn_base_opts o = {NULL, 1.0f};
    assert_int_equal(nn_base_xception(m, 0, &o), -1);
    assert_non_null(strstr(nn_model_error(m), "at least 71"));
    nn_model_destroy(m);
    m = nn_model_create("x");
    c.shape = nn_shape3(64, 64, 1);
    nn_model_add(m, &c, NULL, 0);
    assert_int_equal(nn_base_vgg16(m, 0, &o), -1);
    assert_non_null(strstr(nn_model_error(m), "(height, width, 3)"));
    nn_model_destroy(m);
}

/* preprocess_input by hand: caffe flips to BGR and subtracts the means; tf maps to [-1, 1]. */
static void test_preprocess(void **state)
{
    (void)state;
    float px[3] = {255.0f, 0.0f, 10.0f};
    nn_preprocess_input(px, 1, NN_PREP_CAFFE);
    assert_float_equal(px[0], 10.0f - 103.939f, 1e-4);
    assert_float_equal(px[1], -116.779f, 1e-4);
    assert_float_equal(px[2], 255.0f - 123.68f, 1e-4);
    float q[6] = {0.0f, 127.5f, 255.0f, 51.0f, 0.0f, 255.0f};
    nn_preprocess_input(q, 2, NN_PREP_TF);
    assert_float_equal(q[0], -1.0f, 1e-6);
    assert_float_equal(q[1], 0.0f, 1e-6);
    assert_float_equal(q[2], 1.0f, 1e-6);
    assert_float_equal(q[3], -0.6f, 1e-6);
    assert_int_equal(nn_base_find("MobileNetV2")->preprocess, NN_PREP_TF);
    assert_int_equal(nn_base_find("resnet50")->preprocess, NN_PREP_CAFFE);
    assert_int_equal(nn_base_find("Xception")->default_size, 299);
    assert_null(nn_base_find("resnet"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_names_and_order),
        cmocka_unit_test(test_forward_all),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_preprocess),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
