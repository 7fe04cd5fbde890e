/* A frozen BatchNormalization in fit under each Keras version's rule (nn_bn_frozen,
 * KERAS_SEMANTICS.md): TF 2 runs it in inference mode; Keras 2.1.3-2.2 on TF 1.x still
 * normalised with the batch's statistics but left its moving averages alone; Keras
 * 2.0-2.1.2 also moved the averages. Hand-computed on a batch of four:
 *
 *   Input(3) -> BatchNormalization (trainable=False) -> Dense(1, sigmoid), SGD.
 *
 * Each rule: the BN output of the training step, the moving statistics after it, gamma
 * and beta unchanged, predict with the moving statistics, and whether the frozen prefix
 * may be cached (not when its output depends on the batch). */
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

#define N 4
#define C 3
#define EPS 1e-3
#define MOM 0.99

static const float X[N * C] = {
    0.5f, -1.0f, 2.0f,
    1.5f, 0.0f, 2.5f,
    -0.5f, 3.0f, 1.0f,
    2.5f, 1.0f, 0.5f,
};
static const int32_t Y[N] = {1, 0, 1, 0};

static nn_model *build(nn_bn_frozen rule)
{
    nn_model *m = nn_model_create("bn_frozen");
    assert_non_null(m);
    m->bn_frozen = rule;
    nn_layer_cfg c = nn_layer_cfg_default(NN_INPUT);
    c.shape = nn_shape1(C);
    assert_true(nn_model_push(m, &c) >= 0);
    c = nn_layer_cfg_default(NN_BATCHNORM);
    c.eps = (float)EPS;
    c.momentum = (float)MOM;
    c.trainable = false;
    assert_true(nn_model_push(m, &c) >= 0);
    c = nn_layer_cfg_default(NN_DENSE);
    c.units = 1;
    c.act = NN_ACT_SIGMOID;
    assert_true(nn_model_push(m, &c) >= 0);
    nn_rng r;
    nn_rng_seed(&r, 7);
    assert_int_equal(nn_model_finalize(m, &r), 0);
    nn_optimizer_cfg o = nn_optimizer_default(NN_OPT_SGD);
    o.lr = 0.1f;
    if (nn_model_compile(m, &o, NN_LOSS_BCE) != 0)
        fail_msg("%s", nn_model_error(m));
    /* moving statistics away from Keras's 0 and 1, so that both normalisations differ */
    nn_layer *bn = nn_model_layer(m, 1);
    for (int j = 0; j < C; j++) {
        bn->params[2].data[j] = 0.25f * (float)j;        /* moving_mean */
        bn->params[3].data[j] = 2.0f + (float)j;         /* moving_variance */
    }
    return m;
}

/* By hand, in double: the batch's mean and (biased) variance per channel. */
static void batch_stats(double *mean, double *var)
{
    for (int j = 0; j < C; j++) {
        double s = 0, q = 0;
        for (int i = 0; i < N; i++)
            s += X[i * C + j];
        mean[j] = s / N;
        for (int i = 0; i < N; i++)
            q += (X[i * C + j] - mean[j]) * (X[i * C + j] - mean[j]);
        var[j] = q / N;
    }
}

static void check_rule(nn_bn_frozen rule)
{
    nn_model *m = build(rule);
    nn_layer *bn = nn_model_layer(m, 1);
    double mean[C], var[C], mm0[C], mv0[C];
    batch_stats(mean, var);
    for (int j = 0; j < C; j++) {
        mm0[j] = bn->params[2].data[j];
        mv0[j] = bn->params[3].data[j];
    }
    nn_step_result res;
    assert_int_equal(nn_model_train_step(m, X, Y, N, &res), 0);
    bool batch = rule != NN_BN_FROZEN_INFER;
    assert_int_equal(bn->bn_used_batch_stats, batch);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < C; j++) {   /* gamma 1, beta 0 (Keras's initial values, frozen) */
            double mu = batch ? mean[j] : mm0[j], v = batch ? var[j] : mv0[j];
            double want = (X[i * C + j] - mu) / sqrt(v + EPS);
            assert_float_equal(bn->out[i * C + j], want, 1e-5);
        }
    for (int j = 0; j < C; j++) {
        assert_true(bn->params[0].data[j] == 1.0f && bn->params[1].data[j] == 0.0f);
        double wm = mm0[j], wv = mv0[j];
        if (rule == NN_BN_FROZEN_BATCH_UPDATE) {   /* TF's unbiased variance in the average */
            wm = MOM * mm0[j] + (1 - MOM) * mean[j];
            wv = MOM * mv0[j] + (1 - MOM) * var[j] * N / (N - 1);
            assert_true(bn->params[2].data[j] != (float)mm0[j] || mean[j] == mm0[j]);
        } else {
            assert_true(bn->params[2].data[j] == (float)mm0[j]);   /* untouched, bit for bit */
            assert_true(bn->params[3].data[j] == (float)mv0[j]);
        }
        assert_float_equal(bn->params[2].data[j], wm, 1e-6);
        assert_float_equal(bn->params[3].data[j], wv, 1e-6);
    }
    /* predict: the moving statistics, under every rule */
    assert_int_equal(nn_model_forward(m, X, N, false), 0);
    assert_false(bn->bn_used_batch_stats);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < C; j++)
            assert_float_equal(bn->out[i * C + j],
                               (X[i * C + j] - bn->params[2].data[j]) / sqrt(bn->params[3].data[j] + EPS), 1e-5);
    /* the frozen prefix: cached only when its output is the example's alone */
    assert_int_equal(nn_model_frozen_prefix(m), batch ? -1 : 1);
    nn_model_destroy(m);
}

static void test_tf2_inference_mode(void **state)
{
    (void)state;
    check_rule(NN_BN_FROZEN_INFER);
}

static void test_keras22_batch_statistics(void **state)
{
    (void)state;
    check_rule(NN_BN_FROZEN_BATCH);
}

static void test_keras20_batch_statistics_and_averages(void **state)
{
    (void)state;
    check_rule(NN_BN_FROZEN_BATCH_UPDATE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tf2_inference_mode),
        cmocka_unit_test(test_keras22_batch_statistics),
        cmocka_unit_test(test_keras20_batch_statistics_and_averages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
