/* InceptionV3 as a built-in base, checked against numbers Keras prints for
 * InceptionV3(include_top=False): layer counts, parameter totals, output shapes, the
 * automatic names at known positions of model.layers, and the spatial sizes along the
 * stem at 150x150. A forward pass at the smallest size (75x75) runs finite. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/inception.h"
#include "engine/model.h"

static nn_model *base(int h, int w, const char *cut, int *out)
{
    nn_model *m = nn_model_create("inception_v3");
    nn_layer_cfg c = nn_layer_cfg_default(NN_INPUT);
    c.shape = nn_shape3(h, w, 3);
    int in = nn_model_push(m, &c);
    assert_int_equal(in, 0);
    *out = nn_base_inception_v3(m, in, cut);
    return m;
}

static void assert_layer(const nn_model *m, int i, const char *name)
{
    if (i >= m->n_layers || strcmp(m->layers[i]->name, name) != 0)
        fail_msg("layer %d: expected '%s', got '%s'", i, name, i < m->n_layers ? m->layers[i]->name : "(none)");
}

static void assert_hw(nn_model *m, const char *name, int hw)
{
    int i = nn_model_find(m, name);
    if (i < 0)
        fail_msg("no layer '%s'", name);
    nn_shape s = m->layers[i]->out_shape;
    if (s.rank != 3 || s.d[0] != hw || s.d[1] != hw)
        fail_msg("'%s': expected %dx%d, got rank %d %dx%d", name, hw, hw, s.rank, s.d[0], s.d[1]);
}

static void test_mixed7_at_150(void **state)
{
    (void)state;
    int out;
    nn_model *m = base(150, 150, "mixed7", &out);
    if (out < 0)
        fail_msg("%s", nn_model_error(m));
    assert_int_equal(m->n_layers, 229);
    assert_int_equal(out, 228);
    assert_string_equal(m->layers[out]->name, "mixed7");
    nn_shape s = m->layers[out]->out_shape;
    assert_int_equal(s.rank, 3);
    assert_int_equal(s.d[0], 7);
    assert_int_equal(s.d[1], 7);
    assert_int_equal(s.d[2], 768);
    assert_int_equal(m->layers[out]->out_size, 37632);
    nn_param_counts c = nn_model_count_params(m);
    assert_int_equal(c.total, 8975264);
    for (int i = 0; i < m->n_layers; i++)
        nn_model_set_trainable(m, i, false);
    c = nn_model_count_params(m);
    assert_int_equal(c.trainable, 0);
    assert_int_equal(c.non_trainable, 8975264);

    /* the stem, then mixed0 in Keras's model.layers order (depth first, then traversal) */
    const char *head[] = {
        "input_1", "conv2d", "batch_normalization", "activation", "conv2d_1",
        "batch_normalization_1", "activation_1", "conv2d_2", "batch_normalization_2",
        "activation_2", "max_pooling2d", "conv2d_3", "batch_normalization_3", "activation_3",
        "conv2d_4", "batch_normalization_4", "activation_4", "max_pooling2d_1", "conv2d_8",
        "batch_normalization_8", "activation_8", "conv2d_6", "conv2d_9", "batch_normalization_6",
        "batch_normalization_9", "activation_6", "activation_9", "average_pooling2d", "conv2d_5",
        "conv2d_7", "conv2d_10", "conv2d_11", "batch_normalization_5", "batch_normalization_7",
        "batch_normalization_10", "batch_normalization_11", "activation_5", "activation_7",
        "activation_10", "activation_11", "mixed0",
    };
    for (int i = 0; i < (int)(sizeof head / sizeof head[0]); i++)
        assert_layer(m, i, head[i]);
    /* the last block's conv is the 69th Conv2D created (conv2d_68 ... conv2d_69) */
    assert_true(nn_model_find(m, "conv2d_69") > 0);
    assert_true(nn_model_find(m, "conv2d_70") < 0);
    assert_true(nn_model_find(m, "activation_69") > 0);
    assert_true(nn_model_find(m, "average_pooling2d_6") > 0);
    assert_true(nn_model_find(m, "max_pooling2d_2") > 0);
    assert_true(nn_model_find(m, "mixed8") < 0);

    /* Conv2D without bias; BatchNormalization without gamma */
    const nn_layer *cv = m->layers[nn_model_find(m, "conv2d")];
    assert_int_equal(cv->n_params, 1);
    assert_int_equal(cv->params[0].shape.d[0], 3);
    assert_int_equal(cv->params[0].shape.d[3], 32);
    const nn_layer *bn = m->layers[nn_model_find(m, "batch_normalization")];
    assert_int_equal(bn->n_params, 3);
    assert_string_equal(bn->params[0].name, "beta");
    assert_true(bn->cfg.eps == 1e-3f && bn->cfg.momentum == 0.99f);

    /* every layer's inputs come before it */
    for (int i = 1; i < m->n_layers; i++)
        for (int k = 0; k < m->layers[i]->n_inputs; k++)
            assert_true(m->layers[i]->inputs[k] < i);
    nn_model_destroy(m);
}

static void test_spatial_sizes_150(void **state)
{
    (void)state;
    int out;
    nn_model *m = base(150, 150, "mixed7", &out);
    assert_true(out > 0);
    assert_hw(m, "input_1", 150);
    assert_hw(m, "conv2d", 74);
    assert_hw(m, "conv2d_1", 72);
    assert_hw(m, "conv2d_2", 72);
    assert_hw(m, "max_pooling2d", 35);
    assert_hw(m, "conv2d_3", 35);
    assert_hw(m, "conv2d_4", 33);
    assert_hw(m, "max_pooling2d_1", 16);
    assert_hw(m, "mixed0", 16);
    assert_hw(m, "mixed1", 16);
    assert_hw(m, "mixed2", 16);
    assert_hw(m, "mixed3", 7);
    assert_hw(m, "mixed7", 7);
    assert_int_equal(m->layers[nn_model_find(m, "mixed0")]->out_shape.d[2], 256);
    assert_int_equal(m->layers[nn_model_find(m, "mixed2")]->out_shape.d[2], 288);
    assert_int_equal(m->layers[nn_model_find(m, "mixed3")]->out_shape.d[2], 768);
    nn_model_destroy(m);
}

static void test_full_base_299(void **state)
{
    (void)state;
    int out;
    nn_model *m = base(299, 299, NULL, &out);
    if (out < 0)
        fail_msg("%s", nn_model_error(m));
    assert_int_equal(m->n_layers, 311);
    assert_string_equal(m->layers[out]->name, "mixed10");
    assert_int_equal(out, 310);
    nn_shape s = m->layers[out]->out_shape;
    assert_int_equal(s.d[0], 8);
    assert_int_equal(s.d[1], 8);
    assert_int_equal(s.d[2], 2048);
    assert_int_equal(nn_model_count_params(m).total, 21802784);
    assert_true(nn_model_find(m, "conv2d_93") > 0);
    assert_true(nn_model_find(m, "conv2d_94") < 0);
    assert_true(nn_model_find(m, "mixed9_0") > 0);
    assert_true(nn_model_find(m, "mixed9_1") > 0);
    assert_true(nn_model_find(m, "concatenate") > 0);
    assert_true(nn_model_find(m, "concatenate_1") > 0);
    assert_true(nn_model_find(m, "concatenate_2") < 0);
    /* mixed9_0 and concatenate both feed mixed9 */
    const nn_layer *m9 = m->layers[nn_model_find(m, "mixed9")];
    assert_int_equal(m9->n_inputs, 4);
    assert_string_equal(m->layers[m9->inputs[1]]->name, "mixed9_0");
    assert_string_equal(m->layers[m9->inputs[2]]->name, "concatenate");
    nn_model_destroy(m);

    /* "" also means the full base */
    m = base(299, 299, "", &out);
    assert_int_equal(out, 310);
    nn_model_destroy(m);
}

static void test_other_cuts(void **state)
{
    (void)state;
    int out;
    nn_model *m = base(150, 150, "mixed2", &out);
    assert_true(out > 0);
    assert_int_equal(m->n_layers, 1 + 17 + 3 * 23);
    nn_model_destroy(m);
    /* a cut inside a block keeps only what it depends on */
    m = base(150, 150, "activation_5", &out);
    assert_true(out > 0);
    assert_string_equal(m->layers[out]->name, "activation_5");
    assert_int_equal(m->n_layers, 1 + 17 + 3);
    nn_model_destroy(m);
}

static void test_errors(void **state)
{
    (void)state;
    int out;
    nn_model *m = base(150, 150, "mixed77", &out);
    assert_int_equal(out, -1);
    assert_non_null(strstr(nn_model_error(m), "mixed77"));
    assert_int_equal(m->n_layers, 1);
    nn_model_destroy(m);

    m = base(74, 74, "mixed7", &out);
    assert_int_equal(out, -1);
    assert_non_null(strstr(nn_model_error(m), "75"));
    assert_non_null(strstr(nn_model_error(m), "(74, 74, 3)"));
    nn_model_destroy(m);
    m = base(300, 74, "mixed7", &out);
    assert_int_equal(out, -1);
    nn_model_destroy(m);

    m = nn_model_create("gray");
    nn_layer_cfg c = nn_layer_cfg_default(NN_INPUT);
    c.shape = nn_shape3(150, 150, 1);
    nn_model_push(m, &c);
    assert_int_equal(nn_base_inception_v3(m, 0, "mixed7"), -1);
    assert_non_null(strstr(nn_model_error(m), "(150, 150, 1)"));
    nn_model_destroy(m);
}

static void test_forward_75(void **state)
{
    (void)state;
    int out;
    nn_model *m = base(75, 75, NULL, &out);
    if (out < 0)
        fail_msg("%s", nn_model_error(m));
    assert_int_equal(m->layers[out]->out_shape.d[0], 1);
    nn_rng r;
    nn_rng_seed(&r, 3);
    assert_int_equal(nn_model_finalize(m, &r), 0);
    const int n = 2;
    size_t in = nn_model_input_size(m);
    float *x = malloc(sizeof(float) * in * n);
    for (size_t i = 0; i < in * n; i++)
        x[i] = nn_rng_uniform(&r);
    if (nn_model_forward(m, x, n, false) < 0)
        fail_msg("%s", nn_model_error(m));
    const nn_layer *o = m->layers[out];
    double sum = 0;
    for (size_t i = 0; i < (size_t)n * o->out_size; i++) {
        assert_true(isfinite(o->out[i]));
        assert_true(o->out[i] >= 0.0f); /* every branch ends in a ReLU */
        sum += o->out[i];
    }
    assert_true(sum > 0);
    free(x);
    nn_model_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mixed7_at_150),
        cmocka_unit_test(test_spatial_sizes_150),
        cmocka_unit_test(test_full_base_299),
        cmocka_unit_test(test_other_cuts),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_forward_75),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
