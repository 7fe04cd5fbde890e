/* The issue-15 layers in the lesson language, spelled as Keras spells them: a lesson
 * declaring each one parses, builds into the model Keras would build (names, shapes,
 * parameter counts derived by hand below), and wrong arguments are refused with a
 * message naming line and column. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lesson/lesson.h"

#define HEAD "title T\ndata fashion_mnist\n  classes sneaker, ankle boot\n  resize 16x16x3\nmodel\n"
#define TAIL "  Flatten()\n  Dense(1, activation='sigmoid')\ncompile\n  loss binary_crossentropy\n"

static char err[512];

static nn_model *build(const char *text)
{
    ls_lesson *l = ls_lesson_parse("t.lesson", text, strlen(text), err, sizeof err);
    if (!l)
        fail_msg("%s", err);
    nn_model *m = ls_lesson_build_model(l, err, sizeof err);
    if (!m)
        fail_msg("%s", err);
    ls_lesson_destroy(l);
    return m;
}

static const nn_layer *layer(nn_model *m, const char *name)
{
    int i = nn_model_find(m, name);
    if (i < 0)
        fail_msg("no layer '%s'", name);
    return m->layers[i];
}

static void expect_shape(const nn_layer *l, nn_shape s, size_t params)
{
    char a[64], b[64];
    if (!nn_shape_equal(l->out_shape, s))
        fail_msg("layer '%s': shape %s, expected %s", l->name, nn_shape_str(l->out_shape, true, a, sizeof a),
                 nn_shape_str(s, true, b, sizeof b));
    assert_int_equal(nn_layer_param_count(l), params);
}

static void test_layers_parse_and_build(void **state)
{
    (void)state;
    nn_model *m = build(HEAD
        "  x = layers.Rescaling(0.00784313725490196, offset=-1)\n"
        "  n = Normalization(mean=[0.485, 0.456, 0.406], variance=[0.052, 0.050, 0.051])\n"
        "  p = ZeroPadding2D(padding=((0, 1), (0, 1)))\n"
        "  c = Conv2D(8, 3, strides=2, use_bias=False)\n"
        "  r = ReLU(6.)\n"
        "  d = DepthwiseConv2D(3, padding='same', depth_multiplier=2, use_bias=False)\n"
        "  s = layers.SeparableConv2D(16, (3, 3), padding='same', activation='swish')\n"
        "  e = Conv2D(16, 1, activation='relu6')(s)\n"
        "  a = Add()([s, e])\n"
        "  g = GlobalAveragePooling2D()(a)\n"
        "  q = Reshape((1, 1, 16))(g)\n"
        "  k = Multiply()([a, q])\n"
        "  GlobalMaxPooling2D()\n"
        TAIL);
    /* 16x16x3 -> pad (0,1),(0,1): 17x17x3 -> Conv2D 3x3 stride 2 valid: 8x8x8 (216 weights) */
    expect_shape(layer(m, "x"), nn_shape3(16, 16, 3), 0);
    expect_shape(layer(m, "n"), nn_shape3(16, 16, 3), 0);
    expect_shape(layer(m, "p"), nn_shape3(17, 17, 3), 0);
    expect_shape(layer(m, "c"), nn_shape3(8, 8, 8), 3 * 3 * 3 * 8);
    assert_float_equal(layer(m, "r")->cfg.max_value, 6.0, 0);
    expect_shape(layer(m, "d"), nn_shape3(8, 8, 16), 3 * 3 * 8 * 2);
    /* depthwise 3*3*16 + pointwise 16*16 + bias 16 */
    expect_shape(layer(m, "s"), nn_shape3(8, 8, 16), 144 + 256 + 16);
    assert_int_equal(layer(m, "s")->cfg.act, NN_ACT_SWISH);
    assert_int_equal(layer(m, "e")->cfg.act, NN_ACT_RELU6);
    expect_shape(layer(m, "a"), nn_shape3(8, 8, 16), 0);
    expect_shape(layer(m, "q"), nn_shape3(1, 1, 16), 0);
    expect_shape(layer(m, "k"), nn_shape3(8, 8, 16), 0);
    expect_shape(layer(m, "global_max_pooling2d"), nn_shape1(16), 0);
    const nn_layer *x = layer(m, "x");
    assert_int_equal(x->cfg.coef_n, 1);
    assert_float_equal(x->cfg.coef_a[0], 1.0 / 127.5, 1e-9);
    assert_float_equal(x->cfg.coef_b[0], -1.0, 0);
    const nn_layer *n = layer(m, "n");
    assert_int_equal(n->cfg.coef_n, 3);
    assert_float_equal(n->cfg.coef_a[2], 0.406, 1e-7);
    assert_float_equal(n->cfg.coef_b[1], 0.050, 1e-7);
    assert_int_equal(layer(m, "p")->cfg.pad[1], 1);
    assert_int_equal(layer(m, "p")->cfg.pad[0], 0);
    nn_model_destroy(m);

    /* an adapted Normalization keeps Keras's weights: mean, variance (3 each), count */
    m = build(HEAD "  Normalization()\n" TAIL);
    expect_shape(layer(m, "normalization"), nn_shape3(16, 16, 3), 7);
    nn_model_destroy(m);
}

static void expect_error(const char *text, const char *msg)
{
    ls_lesson *l = ls_lesson_parse("t.lesson", text, strlen(text), err, sizeof err);
    nn_model *m = NULL;
    if (l)
        m = ls_lesson_build_model(l, err, sizeof err);
    if (l && m)
        fail_msg("accepted: %s", text);
    if (!strstr(err, msg) || strncmp(err, "t.lesson:", 9) != 0)
        fail_msg("message '%s' lacks '%s' or the file:line", err, msg);
    nn_model_destroy(m);
    ls_lesson_destroy(l);
}

static void test_layer_errors(void **state)
{
    (void)state;
    expect_error(HEAD "  Rescaling()\n" TAIL, "Rescaling needs a scale");
    expect_error(HEAD "  Normalization(mean=0.5)\n" TAIL, "needs both mean and variance");
    expect_error(HEAD "  Normalization(mean=[1, 2], variance=[1, 2])\n" TAIL, "2 values per channel given, but the input has 3");
    expect_error(HEAD "  Normalization(mean=0, variance=-1)\n" TAIL, "a variance is >= 0");
    expect_error(HEAD "  ReLU(negative_slope=0.1)\n" TAIL, "negative_slope is not supported");
    expect_error(HEAD "  Reshape((5, -1))\n" TAIL, "cannot reshape");
    expect_error(HEAD "  Reshape((-1, -1))\n" TAIL, "may hold one -1");
    expect_error(HEAD "  DepthwiseConv2D()\n" TAIL, "DepthwiseConv2D needs a kernel_size");
    expect_error(HEAD "  SeparableConv2D(3)\n" TAIL, "SeparableConv2D needs filters and kernel_size");
    expect_error(HEAD "  a = Conv2D(4, 3)\n  Add()(a)\n" TAIL, "Add joins layers");
    expect_error(HEAD "  a = Conv2D(4, 3)\n  b = Conv2D(5, 3)(a)\n  Add()([a, b])\n" TAIL, "does not match");
    expect_error(HEAD "  Dense(4, activation='gelu')\n" TAIL, "activation");
}

/* The keras.applications bases in a lesson: names as Keras's classes or the lesson's
 * words, pooling= and alpha=, the counts test_bases.c checks at 224 (here at 96). */
static void test_bases_in_lessons(void **state)
{
    (void)state;
    nn_model *m = build("title T\ndata fashion_mnist\n  classes sneaker, ankle boot\n  resize 96x96x3\nmodel\n"
                        "  base base_model = MobileNetV2(input_shape=(96, 96, 3), alpha=0.35, pooling='avg', include_top=False, weights=None) frozen\n"
                        "  Dense(1, activation='sigmoid')\ncompile\n  loss binary_crossentropy\n");
    const nn_layer *gap = layer(m, "global_average_pooling2d");
    expect_shape(gap, nn_shape1(1280), 0);
    nn_param_counts pc = nn_model_count_params(m);
    /* the base's 410,208 (alpha 0.35; the count does not depend on the input size) + 1,281 */
    assert_int_equal(pc.total, 410208 + 1281);
    assert_int_equal(pc.trainable, 1281);
    nn_model_destroy(m);
    m = build("title T\ndata fashion_mnist\n  classes sneaker, ankle boot\n  resize 64x64x3\nmodel\n"
              "  base vgg16(pooling=max)\n  Dense(1, activation='sigmoid')\ncompile\n  loss binary_crossentropy\n");
    expect_shape(layer(m, "global_max_pooling2d"), nn_shape1(512), 0);
    assert_int_equal(nn_model_count_params(m).total, 14714688 + 513);
    nn_model_destroy(m);
    expect_error(HEAD "  base resnet50(alpha=0.5)\n" TAIL, "alpha= belongs to mobilenet_v2");
    expect_error(HEAD "  base inception_v3(pooling='avg')\n" TAIL, "takes no pooling=");
    expect_error(HEAD "  base resnet(pooling='avg')\n" TAIL, "unknown base 'resnet'");
    expect_error(HEAD "  base xception\n" TAIL, "at least 71");
}

/* Optimizers by their lowercase strings and Keras classes, Adagrad/Adadelta arguments, decay=. */
static void test_optimizers_in_lessons(void **state)
{
    (void)state;
    static const char *const words[] = {"'rmsprop'", "'adam'", "'sgd'", "'adadelta'", "'adagrad'"};
    static const nn_opt_kind kinds[] = {NN_OPT_RMSPROP, NN_OPT_ADAM, NN_OPT_SGD, NN_OPT_ADADELTA, NN_OPT_ADAGRAD};
    char text[512];
    for (int i = 0; i < 5; i++) {
        snprintf(text, sizeof text, HEAD "  Flatten()\n  Dense(1, activation='sigmoid')\ncompile\n  optimizer %s\n"
                 "  loss binary_crossentropy\n", words[i]);
        ls_lesson *l = ls_lesson_parse("t.lesson", text, strlen(text), err, sizeof err);
        if (!l)
            fail_msg("%s", err);
        assert_int_equal(l->compile.opt.kind, kinds[i]);
        ls_lesson_destroy(l);
    }
    snprintf(text, sizeof text, HEAD "  Flatten()\n  Dense(1, activation='sigmoid')\ncompile\n"
             "  optimizer tf.keras.optimizers.Adagrad(lr=0.01, initial_accumulator_value=0.5, decay=1e-4)\n"
             "  loss binary_crossentropy\n");
    ls_lesson *l = ls_lesson_parse("t.lesson", text, strlen(text), err, sizeof err);
    if (!l)
        fail_msg("%s", err);
    assert_float_equal(l->compile.opt.lr, 0.01, 1e-9);
    assert_float_equal(l->compile.opt.initial_accumulator, 0.5, 1e-9);
    assert_float_equal(l->compile.opt.decay, 1e-4, 1e-10);
    assert_float_equal(l->compile.opt.eps, 1e-7, 1e-12);
    ls_lesson_destroy(l);
    snprintf(text, sizeof text, HEAD "  Flatten()\n  Dense(1, activation='sigmoid')\ncompile\n"
             "  optimizer Adadelta(rho=0.9)\n  loss binary_crossentropy\n");
    l = ls_lesson_parse("t.lesson", text, strlen(text), err, sizeof err);
    assert_non_null(l);
    assert_float_equal(l->compile.opt.rho, 0.9, 1e-7);
    assert_float_equal(l->compile.opt.lr, 0.001, 1e-9);
    ls_lesson_destroy(l);
    snprintf(text, sizeof text, HEAD "  Flatten()\n  Dense(1)\ncompile\n"
             "  loss BinaryCrossentropy(from_logits=True)\n");
    l = ls_lesson_parse("t.lesson", text, strlen(text), err, sizeof err);
    if (!l)
        fail_msg("%s", err);
    assert_true(l->compile.from_logits);
    assert_int_equal(l->compile.loss, NN_LOSS_BCE);
    ls_lesson_destroy(l);
    expect_error(HEAD "  Flatten()\n  Dense(1, activation='sigmoid')\ncompile\n  optimizer Adadelta(momentum=0.9)\n"
                 "  loss binary_crossentropy\n", "momentum");
}

/* The random augmentations (issue 15, item 3): Keras's spellings and defaults, factor
 * ranges, refusals at line and column. */
static void test_augmentations_in_lessons(void **state)
{
    (void)state;
    nn_model *m = build(HEAD "  layers.RandomFlip('horizontal')\n"
                        "  tf.keras.layers.RandomRotation(0.2)\n"
                        "  RandomZoom((-0.3, -0.1), width_factor=0.2, fill_mode='constant', fill_value=0.5)\n"
                        "  RandomTranslation(0.1, (0, 0.2), interpolation='nearest', fill_mode=wrap)\n"
                        "  RandomFlip()\n" TAIL);
    const nn_layer *f = layer(m, "random_flip"), *r = layer(m, "random_rotation"), *z = layer(m, "random_zoom");
    const nn_layer *t = layer(m, "random_translation"), *f1 = layer(m, "random_flip_1");
    expect_shape(f, nn_shape3(16, 16, 3), 0);
    assert_int_equal(f->cfg.aug_flip, NN_FLIP_HORIZONTAL);
    assert_int_equal(f1->cfg.aug_flip, NN_FLIP_HORIZONTAL | NN_FLIP_VERTICAL); /* Keras's default mode */
    assert_int_equal(r->cfg.aug_kind, NN_AUG_ROTATION);
    assert_float_equal(r->cfg.aug_lo[0], -0.2, 1e-7);
    assert_float_equal(r->cfg.aug_hi[0], 0.2, 1e-7);
    assert_int_equal(r->cfg.fill_mode, NN_FILL_REFLECT);
    assert_int_equal(r->cfg.interp, NN_INTERP_BILINEAR);
    assert_float_equal(z->cfg.aug_lo[0], -0.3, 1e-7);
    assert_float_equal(z->cfg.aug_hi[0], -0.1, 1e-7);
    assert_false(z->cfg.aug_width_same);
    assert_float_equal(z->cfg.aug_lo[1], -0.2, 1e-7);
    assert_int_equal(z->cfg.fill_mode, NN_FILL_CONSTANT);
    assert_float_equal(z->cfg.fill_value, 0.5, 1e-7);
    assert_int_equal(t->cfg.fill_mode, NN_FILL_WRAP);
    assert_int_equal(t->cfg.interp, NN_INTERP_NEAREST);
    assert_float_equal(t->cfg.aug_hi[1], 0.2, 1e-7);
    expect_shape(t, nn_shape3(16, 16, 3), 0);
    nn_model_destroy(m);
    expect_error(HEAD "  RandomRotation()\n" TAIL, "6:3: RandomRotation needs a factor");
    expect_error(HEAD "  RandomTranslation(0.1)\n" TAIL, "needs height_factor and width_factor");
    expect_error(HEAD "  RandomFlip('sideways')\n" TAIL, "unknown mode 'sideways'");
    expect_error(HEAD "  RandomRotation(-0.2)\n" TAIL, "must be >= 0");
    expect_error(HEAD "  RandomZoom(0.2, fill_mode='mirror')\n" TAIL, "unknown fill_mode 'mirror'");
    expect_error(HEAD "  RandomZoom(0.2, interpolation='bicubic')\n" TAIL, "unknown interpolation 'bicubic'");
    expect_error(HEAD "  RandomFlip(seed=4)\n" TAIL, "the lesson's seed");
    expect_error(HEAD "  RandomZoom((0.3, 0.1))\n" TAIL, "lower bound is above");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layers_parse_and_build),
        cmocka_unit_test(test_layer_errors),
        cmocka_unit_test(test_bases_in_lessons),
        cmocka_unit_test(test_optimizers_in_lessons),
        cmocka_unit_test(test_augmentations_in_lessons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
