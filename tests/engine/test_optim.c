/* Adagrad, Adadelta and Keras 2's decay= (issue 15) on one weight w with loss w^2/2
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adagrad),
        cmocka_unit_test(test_adadelta),
        cmocka_unit_test(test_decay),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
