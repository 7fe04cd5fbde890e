/* training= on a layer call (issue 15): nn_layer_cfg.training.
 *
 * - BatchNormalization called with training=False while it trains: against PyTorch
 *   (BatchNorm1d in eval() with trainable gamma/beta, tests/fixtures/torch_training.h
 *   from make_torch_training.py), two SGD steps: loss, gradients and weights within a
 *   float32 tolerance, moving statistics bit-identical; and a central-difference check
 *   of the gradients through the inference normalisation.
 * - Dropout with training=True masks in inference passes; with training=False never
 *   masks, not even in a training step; the trace tells a training step from an
 *   inference pass whatever such a Dropout did. */
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
#include "max_diff.h"
#include "engine/trace.h"
#include "../fixtures/torch_training.h"

static int push(nn_model *m, nn_layer_cfg c)
{
    int i = nn_model_push(m, &c);
    if (i < 0)
        fail_msg("%s", nn_model_error(m));
    return i;
}

/* The output Dense(1, sigmoid), then initialisation (seeded) and plain SGD at lr. */
static void finish(nn_model *m, uint64_t seed, float lr)
{
    nn_layer_cfg c = nn_layer_cfg_default(NN_DENSE);
    c.units = 1;
    c.act = NN_ACT_SIGMOID;
    push(m, c);
    nn_rng r;
    nn_rng_seed(&r, seed);
    assert_int_equal(nn_model_finalize(m, &r), 0);
    nn_optimizer_cfg o = nn_optimizer_default(NN_OPT_SGD);
    o.lr = lr;
    o.momentum = 0.0f;
    if (nn_model_compile(m, &o, NN_LOSS_BCE) != 0)
        fail_msg("%s", nn_model_error(m));
}

static nn_param *find_param(nn_model *m, const char *path)
{
    char layer[64];
    const char *slash = strchr(path, '/');
    snprintf(layer, sizeof layer, "%.*s", (int)(slash - path), path);
    nn_layer *l = nn_model_layer(m, nn_model_find(m, layer));
    for (int i = 0; i < l->n_params; i++)
        if (!strcmp(l->params[i].name, slash + 1))
            return &l->params[i];
    fail_msg("no parameter %s", path);
    return NULL;
}

/* Input(5) -> Dense(4) -> BatchNormalization(training=bn_mode) -> Dense(1, sigmoid), SGD. */
static nn_model *build_bn(nn_train_mode bn_mode, nn_param **p)
{
    nn_model *m = nn_model_create("training_mode");
    assert_non_null(m);
    nn_layer_cfg c = nn_layer_cfg_default(NN_INPUT);
    c.shape = nn_shape1(TTR_D);
    push(m, c);
    c = nn_layer_cfg_default(NN_DENSE);
    c.units = TTR_U;
    push(m, c);
    c = nn_layer_cfg_default(NN_BATCHNORM);
    c.eps = TTR_EPS;
    c.training = bn_mode;
    push(m, c);
    finish(m, 1, TTR_LR);
    assert_int_equal(nn_model_reserve(m, TTR_N), 0);
    for (int i = 0; i < TTR_NPARAMS; i++) {
        p[i] = find_param(m, ttr_name[i]);
        memcpy(p[i]->data, ttr_init[i], p[i]->size * sizeof(float));
    }
    return m;
}

static void test_bn_training_false_against_torch(void **state)
{
    (void)state;
    nn_param *p[TTR_NPARAMS];
    nn_model *m = build_bn(NN_TRAIN_NEVER, p);
    nn_layer *bn = nn_model_layer(m, nn_model_find(m, "batch_normalization"));
    assert_true(bn->train_active); /* it trains: only training=False keeps it in inference */
    double worst_g = 0, worst_w = 0;
    for (int s = 0; s < TTR_STEPS; s++) {
        nn_step_result res;
        if (nn_model_train_step(m, ttr_x, ttr_labels, TTR_N, &res) != 0)
            fail_msg("step %d: %s", s + 1, nn_model_error(m));
        assert_false(bn->bn_used_batch_stats);
        if (fabs(res.loss - ttr_loss[s]) > 2e-6)
            fail_msg("step %d: loss %.9g, torch %.9g", s + 1, res.loss, ttr_loss[s]);
        for (int i = 0; i < TTR_NPARAMS && s == 0; i++) {
            if (!ttr_grad[i])
                continue;
            double sc, d = max_diff(p[i]->grad, ttr_grad[i], p[i]->size, &sc);
            worst_g = fmax(worst_g, d / fmax(sc, 1e-12));
            if (d > 1e-5 * fmax(sc, 1.0))
                fail_msg("%s: gradient differs by %.3g (scale %.3g)", ttr_name[i], d, sc);
        }
    }
    for (int i = 0; i < TTR_NPARAMS; i++) {
        double sc, d = max_diff(p[i]->data, ttr_after[i], p[i]->size, &sc);
        worst_w = fmax(worst_w, d);
        if (p[i]->is_stat) /* the moving statistics: not touched at all */
            assert_memory_equal(p[i]->data, ttr_init[i], p[i]->size * sizeof(float));
        else if (d > 1e-6 * fmax(sc, 1.0))
            fail_msg("%s: after %d steps differs from torch by %.3g", ttr_name[i], TTR_STEPS, d);
        else if (max_diff(p[i]->data, ttr_init[i], p[i]->size, &sc) == 0.0)
            fail_msg("%s did not move", ttr_name[i]); /* gamma and beta train too */
    }
    printf("training=False BN vs torch: worst relative gradient diff %.3g, worst weight diff %.3g\n", worst_g, worst_w);
    nn_model_destroy(m);
}

/* The loss of the batch in a training-mode forward (BN still on its moving statistics). */
static double loss_at(nn_model *m)
{
    if (nn_model_forward(m, ttr_x, TTR_N, true) != 0)
        fail_msg("%s", nn_model_error(m));
    return nn_model_loss(m, ttr_labels, TTR_N, NULL, false);
}

static void test_bn_training_false_finite_differences(void **state)
{
    (void)state;
    nn_param *p[TTR_NPARAMS];
    nn_model *m = build_bn(NN_TRAIN_NEVER, p);
    assert_int_equal(nn_model_forward(m, ttr_x, TTR_N, true), 0);
    nn_model_loss(m, ttr_labels, TTR_N, NULL, true);
    assert_int_equal(nn_model_backward(m, TTR_N), 0);
    const float h = 1e-3f;
    double worst = 0;
    for (int i = 0; i < TTR_NPARAMS; i++) {
        if (p[i]->is_stat)
            continue;
        float *g = malloc(p[i]->size * sizeof(float));
        memcpy(g, p[i]->grad, p[i]->size * sizeof(float));
        for (size_t k = 0; k < p[i]->size; k++) {
            const float w = p[i]->data[k];
            p[i]->data[k] = w + h;
            double up = loss_at(m);
            p[i]->data[k] = w - h;
            double dn = loss_at(m);
            p[i]->data[k] = w;
            double num = (up - dn) / (2.0 * h);
            double err = fabs(num - g[k]) / fmax(1e-2, fabs(num) + fabs(g[k]));
            worst = fmax(worst, err);
            if (err > 2e-2)
                fail_msg("%s[%zu]: backward %.6g, central difference %.6g", ttr_name[i], k, g[k], num);
        }
        free(g);
    }
    printf("training=False BN: worst relative finite-difference error %.3g\n", worst);
    nn_model_destroy(m);
}

/* Without training=, the same model normalises each training batch with its own statistics
 * and moves the moving statistics: the test above would fail if training= were ignored. */
static void test_bn_default_follows_the_pass(void **state)
{
    (void)state;
    nn_param *p[TTR_NPARAMS];
    nn_model *m = build_bn(NN_TRAIN_FOLLOW, p);
    nn_step_result res;
    assert_int_equal(nn_model_train_step(m, ttr_x, ttr_labels, TTR_N, &res), 0);
    assert_true(nn_model_layer(m, nn_model_find(m, "batch_normalization"))->bn_used_batch_stats);
    assert_true(fabs(res.loss - ttr_loss[0]) > 1e-3);
    assert_memory_not_equal(p[4]->data, ttr_init[4], p[4]->size * sizeof(float));
    nn_model_destroy(m);
}

/* training=True on a BatchNormalization that trains: batch statistics in a predict pass
 * too, and the moving averages move (Keras's call with training=True); frozen, it stays
 * in inference mode whatever training= says (TF 2). */
static void test_bn_training_true(void **state)
{
    (void)state;
    nn_param *p[TTR_NPARAMS];
    nn_model *m = build_bn(NN_TRAIN_ALWAYS, p);
    nn_layer *bn = nn_model_layer(m, nn_model_find(m, "batch_normalization"));
    assert_int_equal(nn_model_forward(m, ttr_x, TTR_N, false), 0);
    assert_true(bn->bn_used_batch_stats);
    assert_memory_not_equal(p[4]->data, ttr_init[4], p[4]->size * sizeof(float));
    memcpy(p[4]->data, ttr_init[4], p[4]->size * sizeof(float));
    assert_int_equal(nn_model_set_trainable(m, bn->index, false), 0);
    assert_int_equal(nn_model_compile(m, &m->opt, NN_LOSS_BCE), 0);
    assert_int_equal(nn_model_forward(m, ttr_x, TTR_N, true), 0);
    assert_false(bn->bn_used_batch_stats);
    assert_memory_equal(p[4]->data, ttr_init[4], p[4]->size * sizeof(float));
    nn_model_destroy(m);
}

/* Input(64) -> Dropout(0.5, training=mode) -> Dense(1, sigmoid). */
static nn_model *build_drop(nn_train_mode mode, nn_dropout_kind kind)
{
    nn_model *m = nn_model_create("dropout_mode");
    nn_layer_cfg c = nn_layer_cfg_default(NN_INPUT);
    c.shape = nn_shape1(64);
    push(m, c);
    c = nn_layer_cfg_default(NN_DROPOUT);
    c.rate = 0.5;
    c.drop_kind = kind;
    c.training = mode;
    push(m, c);
    finish(m, 2, 0.01f);
    nn_model_seed_dropout(m, 7);
    return m;
}

static void test_dropout_training_true_masks_at_predict(void **state)
{
    (void)state;
    float x[4 * 64];
    int32_t y[4] = {0, 1, 0, 1};
    for (int i = 0; i < 4 * 64; i++)
        x[i] = 1.0f + (float)(i % 7);
    const nn_dropout_kind kinds[] = {NN_DROP_PLAIN, NN_DROP_ALPHA, NN_DROP_GAUSSIAN};
    for (int k = 0; k < 3; k++) {
        nn_model *m = build_drop(NN_TRAIN_ALWAYS, kinds[k]);
        nn_layer *d = nn_model_layer(m, 1);
        assert_int_equal(nn_model_forward(m, x, 4, false), 0); /* predict */
        assert_true(d->mask_valid);
        assert_memory_not_equal(d->out, x, sizeof x);
        if (kinds[k] == NN_DROP_PLAIN) {
            assert_true(d->dropped > 64 && d->dropped < 192);
            for (int i = 0; i < 4 * 64; i++) /* kept x2, dropped 0 */
                assert_float_equal(d->out[i], d->mask[i] ? 2.0f * x[i] : 0.0f, 0.0f);
        }
        /* a trace of that pass is an inference pass that still shows its mask */
        nn_trace *t = nn_trace_capture(m, NULL, NULL, NULL, NULL, 4);
        assert_non_null(t);
        assert_true(t->dropout[0].has_mask);
        assert_int_equal(t->dropout[0].train_mode, NN_TRAIN_ALWAYS);
        assert_false(t->training);
        nn_trace_destroy(t);
        nn_step_result res;
        assert_int_equal(nn_model_train_step(m, x, y, 4, &res), 0);
        assert_true(d->mask_valid);
        nn_model_destroy(m);
    }
}

static void test_dropout_training_false_never_masks(void **state)
{
    (void)state;
    float x[4 * 64];
    int32_t y[4] = {0, 1, 0, 1};
    for (int i = 0; i < 4 * 64; i++)
        x[i] = 0.5f + (float)(i % 5);
    nn_model *m = build_drop(NN_TRAIN_NEVER, NN_DROP_PLAIN);
    nn_layer *d = nn_model_layer(m, 1);
    nn_step_result res;
    assert_int_equal(nn_model_train_step(m, x, y, 4, &res), 0);
    assert_false(d->mask_valid);
    assert_memory_equal(d->out, x, sizeof x);
    /* identity backward: the input's gradient is the Dense kernel times dL/dz */
    nn_model_destroy(m);
    /* rate 1 with training=False: never applied, so nothing fails (as in Keras) */
    m = build_drop(NN_TRAIN_NEVER, NN_DROP_PLAIN);
    assert_int_equal(nn_model_set_dropout_rate(m, 1, 1.0), 0);
    assert_int_equal(nn_model_train_step(m, x, y, 4, &res), 0);
    nn_model_destroy(m);
    assert_string_equal(nn_train_mode_name(NN_TRAIN_NEVER), "False");
    assert_string_equal(nn_train_mode_name(NN_TRAIN_ALWAYS), "True");
    assert_true(nn_layer_training(&(nn_layer_cfg){.training = NN_TRAIN_ALWAYS}, false));
    assert_false(nn_layer_training(&(nn_layer_cfg){.training = NN_TRAIN_NEVER}, true));
    assert_true(nn_layer_training(&(nn_layer_cfg){.training = NN_TRAIN_FOLLOW}, true));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bn_training_false_against_torch),
        cmocka_unit_test(test_bn_training_false_finite_differences),
        cmocka_unit_test(test_bn_default_follows_the_pass),
        cmocka_unit_test(test_bn_training_true),
        cmocka_unit_test(test_dropout_training_true_masks_at_predict),
        cmocka_unit_test(test_dropout_training_false_never_masks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
