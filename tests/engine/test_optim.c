/* Adagrad, Adadelta, Keras 2's decay= and losses from logits (issue 15) on one weight w with loss w^2/2
 * (gradient w), three steps, against values computed by hand in double precision
 * (the same three steps of torch.optim.Adagrad(lr=0.1, initial_accumulator_value=0.1,
 * eps=1e-7) and torch.optim.Adadelta(lr=1, rho=0.95, eps=1e-7) give the same numbers):
 *   Adagrad  lr 0.1, w 10:  9.900049963530224, 9.829713083532123, 9.772456485972015
 *   Adadelta lr 1.0, w 10:  9.99858578645177, 9.9971536554061, 9.995709472231646
 *   SGD      lr 0.1, decay 0.5, w 10: steps at lr 0.1, 0.1/1.5, 0.1/2 -> 9, 8.4, 7.98
 * Tolerance 2e-6 (float32 weights and slots). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/model.h"

static nn_model *scalar_model(nn_optimizer_cfg o, float w)
{
    nn_model *m = nn_model_create("scalar");
    nn_layer_cfg c = nn_layer_cfg_default(NN_INPUT);
    c.shape = nn_shape1(1);
    assert_true(nn_model_push(m, &c) >= 0);
    c = nn_layer_cfg_default(NN_DENSE);
    c.units = 1;
    c.act = NN_ACT_SIGMOID;
    c.use_bias = false;
    assert_true(nn_model_push(m, &c) >= 0);
    nn_rng r;
    nn_rng_seed(&r, 1);
    assert_int_equal(nn_model_finalize(m, &r), 0);
    assert_int_equal(nn_model_compile(m, &o, NN_LOSS_BCE), 0);
    m->layers[1]->params[0].data[0] = w;
    return m;
}

static void expect_steps(nn_optimizer_cfg o, const double *want, int steps)
{
    nn_model *m = scalar_model(o, 10.0f);
    nn_param *p = &m->layers[1]->params[0];
    for (int i = 0; i < steps; i++) {
        p->grad[0] = p->data[0];
        assert_int_equal(nn_model_update(m), 0);
        print_message("%s step %d: %.9g (want %.9g)\n", nn_opt_name(o.kind), i + 1, p->data[0], want[i]);
        assert_float_equal(p->data[0], want[i], 2e-6);
    }
    nn_model_destroy(m);
}

static void test_adagrad(void **state)
{
    (void)state;
    nn_optimizer_cfg o = nn_optimizer_default(NN_OPT_ADAGRAD);
    assert_float_equal(o.lr, 0.001, 1e-9);
    assert_float_equal(o.initial_accumulator, 0.1, 1e-9);
    o.lr = 0.1f;
    const double want[3] = {9.900049963530224, 9.829713083532123, 9.772456485972015};
    expect_steps(o, want, 3);
    /* without the initial accumulator the first step would be 10 - 0.1 = 9.9 exactly */
    o.initial_accumulator = 0.0f;
    nn_model *m = scalar_model(o, 10.0f);
    m->layers[1]->params[0].grad[0] = 10.0f;
    assert_int_equal(nn_model_update(m), 0);
    assert_float_equal(m->layers[1]->params[0].data[0], 9.9, 1e-6);
    nn_model_destroy(m);
}

static void test_adadelta(void **state)
{
    (void)state;
    nn_optimizer_cfg o = nn_optimizer_default(NN_OPT_ADADELTA);
    assert_float_equal(o.rho, 0.95, 1e-9);
    assert_float_equal(o.eps, 1e-7, 1e-12);
    o.lr = 1.0f;
    const double want[3] = {9.99858578645177, 9.9971536554061, 9.995709472231646};
    expect_steps(o, want, 3);
}

static void test_decay(void **state)
{
    (void)state;
    nn_optimizer_cfg o = nn_optimizer_default(NN_OPT_SGD);
    o.lr = 0.1f;
    o.decay = 0.5f;
    const double want[3] = {9.0, 8.4, 7.98};
    expect_steps(o, want, 3);
}

static void test_names(void **state)
{
    (void)state;
    assert_int_equal(nn_opt_parse("Adagrad"), NN_OPT_ADAGRAD);
    assert_int_equal(nn_opt_parse("adadelta"), NN_OPT_ADADELTA);
    assert_string_equal(nn_opt_name(NN_OPT_ADADELTA), "adadelta");
    assert_int_equal(nn_opt_parse("adamax"), -1);
}

/* Losses from logits (issue 15) against torch (float64 F.binary_cross_entropy_with_logits
 * and F.cross_entropy on the same numbers): a linear Dense output, x (3, 2). */
static const float lx[6] = {1.0f, 2.0f, -1.0f, 0.5f, 0.3f, -2.0f};

static nn_model *logit_model(int units, const float *w, const float *b, nn_loss_kind loss, bool from_logits,
                             nn_act act)
{
    nn_model *m = nn_model_create("logits");
    nn_layer_cfg c = nn_layer_cfg_default(NN_INPUT);
    c.shape = nn_shape1(2);
    assert_true(nn_model_push(m, &c) >= 0);
    c = nn_layer_cfg_default(NN_DENSE);
    c.units = units;
    c.act = act;
    assert_true(nn_model_push(m, &c) >= 0);
    nn_rng r;
    nn_rng_seed(&r, 1);
    assert_int_equal(nn_model_finalize(m, &r), 0);
    nn_model_set_from_logits(m, from_logits);
    nn_optimizer_cfg o = nn_optimizer_default(NN_OPT_SGD);
    if (nn_model_compile(m, &o, loss) != 0)
        fail_msg("%s", nn_model_error(m));
    memcpy(m->layers[1]->params[0].data, w, sizeof(float) * 2 * (size_t)units);
    memcpy(m->layers[1]->params[1].data, b, sizeof(float) * (size_t)units);
    return m;
}

static double step_loss(nn_model *m, const int32_t *labels, int *correct)
{
    assert_int_equal(nn_model_forward(m, lx, 3, true), 0);
    double l = nn_model_loss(m, labels, 3, correct, true);
    assert_int_equal(nn_model_backward(m, 3), 0);
    return l;
}

static void test_losses_from_logits(void **state)
{
    (void)state;
    const float w[2] = {0.5f, -0.25f}, b[1] = {0.1f};
    const int32_t y[3] = {1, 0, 1};
    nn_model *m = logit_model(1, w, b, NN_LOSS_BCE, true, NN_ACT_LINEAR);
    int correct;
    assert_float_equal(step_loss(m, y, &correct), 0.49865980695382134, 1e-6);
    const nn_param *k = &m->layers[1]->params[0];
    assert_float_equal(k->grad[0], -0.3143170048243586, 1e-6);
    assert_float_equal(k->grad[1], -0.04085237251352966, 1e-6);
    assert_float_equal(m->layers[1]->params[1].grad[0], -0.14138610054701106, 1e-6);
    /* logits 0.1, -0.525, 0.75 thresholded at 0.5 as Keras's binary_accuracy does */
    assert_int_equal(correct, 2);
    nn_model_destroy(m);
    /* the sigmoid output with the plain loss: the same loss, but accuracy on sigmoid(z) */
    m = logit_model(1, w, b, NN_LOSS_BCE, false, NN_ACT_SIGMOID);
    assert_float_equal(step_loss(m, y, &correct), 0.49865980695382134, 1e-6);
    assert_int_equal(correct, 3);
    nn_model_destroy(m);

    const float w3[6] = {0.5f, -1.0f, 0.2f, -0.25f, 0.3f, 0.7f}, b3[3] = {0.1f, 0.0f, -0.2f};
    const int32_t y3[3] = {2, 0, 1};
    const double g3[6] = {0.4318896233998063, -0.27076795272849175, -0.16112167067131453,
                          -0.5348020792308817, 0.7562826575424952, -0.2214805783116133};
    const double gb3[3] = {0.029528805328161795, -0.02157519464852703, -0.007953610679634873};
    m = logit_model(3, w3, b3, NN_LOSS_SCCE, true, NN_ACT_LINEAR);
    assert_float_equal(step_loss(m, y3, &correct), 1.447705254563237, 1e-6);
    for (int i = 0; i < 6; i++)
        assert_float_equal(m->layers[1]->params[0].grad[i], g3[i], 1e-6);
    for (int i = 0; i < 3; i++)
        assert_float_equal(m->layers[1]->params[1].grad[i], gb3[i], 1e-6);
    nn_model_destroy(m);

    /* from_logits on a sigmoid output is refused, naming the layer */
    m = nn_model_create("x");
    nn_layer_cfg c = nn_layer_cfg_default(NN_INPUT);
    c.shape = nn_shape1(2);
    nn_model_push(m, &c);
    c = nn_layer_cfg_default(NN_DENSE);
    c.units = 1;
    c.act = NN_ACT_SIGMOID;
    nn_model_push(m, &c);
    nn_rng r;
    nn_rng_seed(&r, 1);
    nn_model_finalize(m, &r);
    nn_model_set_from_logits(m, true);
    nn_optimizer_cfg o = nn_optimizer_default(NN_OPT_SGD);
    assert_int_equal(nn_model_compile(m, &o, NN_LOSS_BCE), -1);
    assert_non_null(strstr(nn_model_error(m), "from_logits=True) needs an output of 1 unit with no activation"));
    nn_model_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adagrad),
        cmocka_unit_test(test_adadelta),
        cmocka_unit_test(test_decay),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_losses_from_logits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
