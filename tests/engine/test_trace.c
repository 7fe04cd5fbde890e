/* What a step publishes for the window (src/engine/trace.h), checked against numbers
 * computed here by hand from the weights before and after the step, and against finite
 * differences of the loss: the weight change and its relative size, the optimizer's
 * step ceiling, each masked unit's gradient, BatchNormalization's moving statistics,
 * GaussianDropout's noise and the channel-wise flag. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/model.h"
#include "engine/trace.h"

static void add(nn_model *m, nn_layer_cfg c)
{
    assert_true(nn_model_push(m, &c) >= 0);
}

/* Input(in) -> Dense(hidden, relu) -> Dropout(rate) -> Dense(1, sigmoid), compiled. */
static nn_model *mlp(int in, int hidden, double rate, nn_optimizer_cfg o)
{
    nn_model *m = nn_model_create("t");
    nn_layer_cfg c = nn_layer_cfg_default(NN_INPUT);
    c.shape = nn_shape1(in);
    add(m, c);
    c = nn_layer_cfg_default(NN_DENSE);
    c.units = hidden;
    c.act = NN_ACT_RELU;
    add(m, c);
    c = nn_layer_cfg_default(NN_DROPOUT);
    c.rate = rate;
    add(m, c);
    c = nn_layer_cfg_default(NN_DENSE);
    c.units = 1;
    c.act = NN_ACT_SIGMOID;
    add(m, c);
    nn_rng r;
    nn_rng_seed(&r, 7);
    assert_int_equal(nn_model_finalize(m, &r), 0);
    assert_int_equal(nn_model_compile(m, &o, NN_LOSS_BCE), 0);
    nn_model_seed_dropout(m, 3);
    return m;
}

static float *copy_params(const nn_layer *l)
{
    size_t n = 0;
    for (int p = 0; p < l->n_params; p++)
        n += l->params[p].size;
    float *c = malloc(n * sizeof *c), *d = c;
    assert_non_null(c);
    for (int p = 0; p < l->n_params; p++, d += l->params[p - 1].size)
        memcpy(d, l->params[p].data, l->params[p].size * sizeof(float));
    return c;
}

/* max |dw|, ||dw|| and ||w|| of l against the copy before. */
static void by_hand(const nn_layer *l, const float *before, double *mx, double *dn, double *wn)
{
    *mx = *dn = *wn = 0;
    for (int p = 0; p < l->n_params; p++) {
        for (size_t i = 0; i < l->params[p].size; i++) {
            double w = l->params[p].data[i], d = w - (double)before[i];
            *mx = fmax(*mx, fabs(d));
            *dn += d * d;
            *wn += w * w;
        }
        before += l->params[p].size;
    }
    *dn = sqrt(*dn);
    *wn = sqrt(*wn);
}

/* RMSprop's first step: every weight with a gradient moves by lr/sqrt(1-rho), so both
 * Dense layers read the same largest |dw| (3.16e-4 for lr 1e-4, rho 0.9, by hand), while
 * the relative change ||dw||/||w|| differs. The lesson's quantities read the same
 * definition as the trace (nn_model_change vs nn_trace_change). */
static void test_change_and_ceiling(void **state)
{
    (void)state;
    nn_optimizer_cfg o = nn_optimizer_default(NN_OPT_RMSPROP);
    o.lr = 1e-4f;
    nn_model *m = mlp(6, 16, 0.25, o);
    float x[4 * 6];
    int32_t y[4] = {0, 1, 1, 0};
    for (int i = 0; i < 24; i++)
        x[i] = (float)sin(i * 1.7) + 0.5f;
    float *b1 = copy_params(m->layers[1]), *b3 = copy_params(m->layers[3]);
    nn_step_result res;
    assert_int_equal(nn_model_train_step(m, x, y, 4, &res), 0);
    nn_trace *t = nn_trace_capture(m, &res, x, y, NULL, 4);
    assert_non_null(t);
    double ceil = 1e-4 / sqrt(0.1);
    assert_true(fabs(nn_trace_step_ceiling(t) - ceil) < 1e-9);
    double mx, dn, wn;
    by_hand(m->layers[1], b1, &mx, &dn, &wn);
    assert_true(fabs(nn_trace_change(t, 1, 1) - mx) <= 1e-12);
    assert_true(fabs(mx - ceil) < 1e-3 * ceil);   /* eps 1e-7 against |g| */
    assert_true(fabs(t->layers[1].w_norm - wn) < 1e-5 * wn);
    double rel1 = t->layers[1].dw_norm / t->layers[1].w_norm;
    assert_true(fabs(rel1 - dn / wn) < 1e-3 * rel1);
    by_hand(m->layers[3], b3, &mx, &dn, &wn);
    assert_true(fabs(nn_trace_change(t, 3, 1) - ceil) < 1e-3 * ceil);
    double rel3 = t->layers[3].dw_norm / t->layers[3].w_norm;
    assert_true(fabs(rel3 - dn / wn) < 1e-3 * rel3);
    assert_true(fabs(rel1 - rel3) > 0.1 * rel3);  /* the relative change tells them apart */
    /* One definition: the lesson's `last change` (model) is the panel's (trace). */
    assert_true(nn_model_change(m, 0, 4, NULL) == nn_trace_change(t, 0, 4));
    float since[4] = {0, 0, 0, 0};
    nn_change_fold(since, m);
    assert_true(nn_model_change(m, 1, 1, since) == nn_trace_change(t, 1, 1));
    /* the gradient norm is there for trainable layers, absent for Dropout */
    assert_true(t->layers[1].grad_norm > 0);
    assert_true(isnan(t->layers[2].grad_norm));
    assert_int_equal(t->opt_kind, NN_OPT_RMSPROP);
    nn_trace_destroy(t);
    /* a second step with a smaller gradient moves less than the ceiling, never more */
    assert_int_equal(nn_model_train_step(m, x, y, 4, &res), 0);
    /* (dw is measured on float weights: about 1e-4 of the ceiling is rounding) */
    assert_true(m->layers[1]->dw_max <= ceil * (1 + 1e-3));
    float first = since[1];
    nn_change_fold(since, m);
    assert_true(since[1] == fmaxf(first, m->layers[1]->dw_max));
    /* NaN sticks */
    since[1] = 0;
    m->layers[1]->dw_max = NAN;
    nn_change_fold(since, m);
    assert_true(isnan(since[1]));
    assert_true(isnan(nn_model_change(m, 0, 4, NULL)));
    free(b1);
    free(b3);
    nn_model_destroy(m);
}

/* Batch size 1: each unit's published gradient matches a central finite difference of
 * the loss over its incoming weights (mask held fixed), and a dropped unit's is exactly 0
 * -- so is its weights' change under RMSprop. */
static void test_unit_grad(void **state)
{
    (void)state;
    nn_optimizer_cfg o = nn_optimizer_default(NN_OPT_RMSPROP);
    o.lr = 1e-3f;
    int in = 5, H = 12;
    nn_model *m = mlp(in, H, 0.5, o);
    float x[5] = {0.3f, -0.7f, 1.1f, 0.4f, 0.9f};
    int32_t y[1] = {1};
    nn_layer *d1 = m->layers[1], *dr = m->layers[2];
    /* Forward once to draw the mask, then hold it. */
    assert_int_equal(nn_model_forward(m, x, 1, true), 0);
    uint8_t mask[12];
    memcpy(mask, dr->mask, sizeof mask);
    dr->mask_override = mask;
    int dropped = 0;
    for (int u = 0; u < H; u++)
        dropped += !mask[u];
    assert_true(dropped > 0 && dropped < H);
    /* finite differences of the loss over every incoming weight of every unit */
    float fd[12] = {0};
    float *k = d1->params[0].data, *bias = d1->params[1].data;
    for (int u = 0; u < H; u++)
        for (int r = 0; r <= in; r++) {
            float *w = r < in ? &k[(size_t)r * H + u] : &bias[u];
            float w0 = *w, h = 1e-2f;
            *w = w0 + h;
            nn_model_forward(m, x, 1, true);
            double lp = nn_model_loss(m, y, 1, NULL, false);
            *w = w0 - h;
            nn_model_forward(m, x, 1, true);
            double lm = nn_model_loss(m, y, 1, NULL, false);
            *w = w0;
            fd[u] = fmaxf(fd[u], (float)fabs((lp - lm) / (2 * h)));
        }
    float *before = copy_params(d1);
    nn_step_result res;
    assert_int_equal(nn_model_train_step(m, x, y, 1, &res), 0);
    nn_trace *t = nn_trace_capture(m, &res, x, y, NULL, 1);
    assert_non_null(t);
    const float *g = t->dropout[0].unit_grad;
    assert_non_null(g);
    int zero = 0;
    for (int u = 0; u < H; u++) {
        assert_true(fabsf(g[u] - fd[u]) <= 2e-3f + 2e-2f * fd[u]);
        if (!mask[u])
            assert_true(g[u] == 0.0f);
        zero += g[u] == 0.0f;
        /* no gradient, no change (RMSprop without momentum) */
        double mx = 0;
        for (int r = 0; r < in; r++)
            mx = fmax(mx, fabs(k[(size_t)r * H + u] - before[(size_t)r * H + u]));
        mx = fmax(mx, fabs(bias[u] - before[(size_t)in * H + u]));
        assert_true((g[u] == 0.0f) == (mx == 0.0));
    }
    assert_true(zero >= dropped);
    nn_trace *c = nn_trace_clone(t);
    assert_memory_equal(c->dropout[0].unit_grad, g, (size_t)H * sizeof(float));
    nn_trace_destroy(c);
    nn_trace_destroy(t);
    free(before);
    dr->mask_override = NULL;
    nn_model_destroy(m);
}

/* Moving statistics of a BatchNormalization: the trace's channel means equal the
 * parameters' means; frozen (TF2: inference mode) they do not move. */
static void test_bn_stats(void **state)
{
    (void)state;
    nn_model *m = nn_model_create("bn");
    nn_layer_cfg c = nn_layer_cfg_default(NN_INPUT);
    c.shape = nn_shape1(3);
    add(m, c);
    c = nn_layer_cfg_default(NN_BATCHNORM);
    add(m, c);
    c = nn_layer_cfg_default(NN_DENSE);
    c.units = 1;
    c.act = NN_ACT_SIGMOID;
    add(m, c);
    nn_rng r;
    nn_rng_seed(&r, 1);
    assert_int_equal(nn_model_finalize(m, &r), 0);
    nn_optimizer_cfg o = nn_optimizer_default(NN_OPT_SGD);
    assert_int_equal(nn_model_compile(m, &o, NN_LOSS_BCE), 0);
    float x[4 * 3] = {1, 2, 3, 2, 4, 6, 0, 1, 2, 3, 3, 3};
    int32_t y[4] = {0, 1, 0, 1};
    nn_step_result res;
    assert_int_equal(nn_model_train_step(m, x, y, 4, &res), 0);
    nn_trace *t = nn_trace_capture(m, &res, x, y, NULL, 4);
    /* by hand: batch means 1.5, 2.5, 3.5; moving = 0.99 * 0 + 0.01 * mean */
    assert_true(fabsf(t->layers[1].bn_mean - 0.01f * 2.5f) < 1e-6f);
    assert_true(t->layers[1].bn_batch_stats);
    double mv = 0;
    for (int p = 0; p < m->layers[1]->n_params; p++)
        if (!strcmp(m->layers[1]->params[p].name, "moving_variance"))
            for (int i = 0; i < 3; i++)
                mv += m->layers[1]->params[p].data[i] / 3.0;
    assert_true(fabs(t->layers[1].bn_var - mv) < 1e-6);
    assert_true(t->layers[1].bn_var > 1.0f);   /* 0.99 * 1 + 0.01 * (variances > 1) */
    assert_true(isnan(t->layers[2].bn_mean));
    float mean1 = t->layers[1].bn_mean;
    nn_trace_destroy(t);
    nn_model_set_trainable(m, 1, false);
    assert_int_equal(nn_model_compile(m, &o, NN_LOSS_BCE), 0);
    assert_int_equal(nn_model_train_step(m, x, y, 4, &res), 0);
    t = nn_trace_capture(m, &res, x, y, NULL, 4);
    assert_true(t->layers[1].bn_mean == mean1);
    assert_false(t->layers[1].bn_batch_stats);
    assert_true(isnan(t->layers[1].grad_norm));   /* frozen: no gradient computed */
    nn_trace_destroy(t);
    nn_model_destroy(m);
}

/* GaussianDropout publishes its multipliers; SpatialDropout2D is channel-wise, Dropout is
 * not; the source's shape is the feature map's. */
static void test_family_fields(void **state)
{
    (void)state;
    nn_model *m = nn_model_create("fam");
    nn_layer_cfg c = nn_layer_cfg_default(NN_INPUT);
    c.shape = nn_shape3(3, 3, 4);
    add(m, c);
    c = nn_layer_cfg_default(NN_DROPOUT);
    c.rate = 0.5;
    c.drop_kind = NN_DROP_SPATIAL2D;
    assert_true(nn_model_push(m, &c) > 0);
    c = nn_layer_cfg_default(NN_DROPOUT);
    c.rate = 0.5;
    assert_true(nn_model_push(m, &c) > 0);
    c = nn_layer_cfg_default(NN_DROPOUT);
    c.rate = 0.3;
    c.drop_kind = NN_DROP_GAUSSIAN;
    assert_true(nn_model_push(m, &c) > 0);
    nn_rng r;
    nn_rng_seed(&r, 1);
    if (nn_model_finalize(m, &r) != 0)
        fail_msg("%s", nn_model_error(m));
    nn_model_seed_dropout(m, 5);
    float x[2 * 36];
    for (int i = 0; i < 72; i++)
        x[i] = 1.0f + (float)i;
    assert_int_equal(nn_model_forward(m, x, 2, true), 0);
    nn_trace *t = nn_trace_capture(m, NULL, x, NULL, NULL, 2);
    assert_non_null(t);
    assert_int_equal(t->n_dropout, 3);
    assert_true(t->dropout[0].channelwise);
    assert_false(t->dropout[1].channelwise);
    assert_false(t->dropout[2].channelwise);
    assert_int_equal(t->dropout[0].shape.rank, 3);
    assert_int_equal(t->dropout[0].shape.d[2], 4);
    assert_int_equal(t->dropout[2].kind, NN_DROP_GAUSSIAN);
    assert_non_null(t->dropout[2].noise);
    assert_null(t->dropout[0].noise);
    const float *gin = m->layers[2]->out;
    for (int i = 0; i < 72; i++)   /* output = input * noise, by hand */
        assert_true(fabsf(m->layers[3]->out[i] - gin[i] * t->dropout[2].noise[i]) <= 1e-5f * fabsf(gin[i]));
    assert_null(t->dropout[0].unit_grad);   /* not a Dense */
    nn_trace *cl = nn_trace_clone(t);
    assert_memory_equal(cl->dropout[2].noise, t->dropout[2].noise, 72 * sizeof(float));
    nn_trace_destroy(cl);
    nn_trace_destroy(t);
    nn_model_destroy(m);
}

/* The batch's loss with Dropout off is what evaluation gives the same batch with the same
 * weights (nn_model_evaluate, its own code path), differs from the training loss, and
 * measuring it first changes nothing of the training step: the weights after the step
 * are bit-identical to those of a twin model that did not measure it. */
static void test_loss_off(void **state)
{
    (void)state;
    nn_optimizer_cfg o = nn_optimizer_default(NN_OPT_RMSPROP);
    nn_model *m = mlp(6, 32, 0.5, o), *twin = mlp(6, 32, 0.5, o);
    float x[8 * 6];
    int32_t y[8];
    for (int i = 0; i < 48; i++)
        x[i] = (float)cos(i * 0.9) + 0.3f;
    for (int i = 0; i < 8; i++)
        y[i] = i % 3 == 0;
    double eval_loss, eval_acc, off, off_acc;
    assert_int_equal(nn_model_evaluate(m, x, y, 8, &eval_loss, &eval_acc), 0);
    assert_int_equal(nn_model_loss_off(m, -1, NULL, x, y, 8, &off, &off_acc), 0);
    assert_true(fabs(off - eval_loss) < 1e-6 * fabs(eval_loss));
    assert_true(fabs(off_acc - eval_acc) < 1e-12);
    nn_step_result res, res2;
    assert_int_equal(nn_model_train_step(m, x, y, 8, &res), 0);
    assert_int_equal(nn_model_train_step(twin, x, y, 8, &res2), 0);
    assert_true(res.loss == res2.loss);
    assert_true(fabs(res.loss - off) > 1e-4);   /* half the units dropped: not the same loss */
    for (int l = 0; l < m->n_layers; l++)
        for (int p = 0; p < m->layers[l]->n_params; p++)
            assert_memory_equal(m->layers[l]->params[p].data, twin->layers[l]->params[p].data,
                                m->layers[l]->params[p].size * sizeof(float));
    nn_model_destroy(m);
    nn_model_destroy(twin);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_change_and_ceiling),
        cmocka_unit_test(test_unit_grad),
        cmocka_unit_test(test_bn_stats),
        cmocka_unit_test(test_family_fields),
        cmocka_unit_test(test_loss_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
