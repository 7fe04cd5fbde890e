/* The keras.applications layers (issue 15) inside a model: finite-difference gradient
 * checks through each new layer, shapes and parameter counts as Keras gives them, and
 * hand-computed values.
 *
 * Gradient check: a small model Input -> Conv2D (trainable, linear) -> LAYER -> ... ->
 * Flatten -> Dense(1, sigmoid) with binary cross-entropy. For every weight of the Conv2D
 * below the layer (so the gradient must pass through the layer's backward) and of the
 * layer itself, the analytic gradient from nn_model_backward is compared with the
 * central difference (L(w + eps) - L(w - eps)) / (2 eps) of the float32 loss, as
 *     |a - f| / max(|a|, |f|, 0.05 * max |f|)  <  2e-2.
 * A wrong index, a missing factor or a dropped path gives errors of order 1. */
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

#define N 3
#define TOL 2e-2
/* 1e-2, or 1e-3 for the piecewise-linear layers, so no perturbation crosses a kink */
static float fd_eps = 1e-2f;

typedef struct {
    nn_model *m;
    float *x;
    int32_t labels[N];
} gc_model;

static int add(nn_model *m, nn_layer_cfg c, const int *in, int n_in)
{
    int i = nn_model_add(m, &c, in, n_in);
    if (i < 0)
        fail_msg("%s", nn_model_error(m));
    return i;
}

static int add1(nn_model *m, nn_layer_cfg c, int in)
{
    return add(m, c, &in, 1);
}

static int input(nn_model *m, int h, int w, int c)
{
    nn_layer_cfg k = nn_layer_cfg_default(NN_INPUT);
    k.shape = nn_shape3(h, w, c);
    return add(m, k, NULL, 0);
}

static int conv(nn_model *m, int in, int filters, int k, nn_act act)
{
    nn_layer_cfg c = nn_layer_cfg_default(NN_CONV2D);
    c.filters = filters;
    c.kh = c.kw = k;
    c.padding = NN_PAD_SAME;
    c.act = act;
    return add1(m, c, in);
}

/* Flatten -> Dense(1, sigmoid), finalize, compile (SGD, BCE), random inputs. */
static void finish(gc_model *g, int last, uint64_t seed)
{
    nn_model *m = g->m;
    int f = last;
    if (m->layers[last]->out_shape.rank != 1)
        f = add1(m, nn_layer_cfg_default(NN_FLATTEN), last);
    nn_layer_cfg d = nn_layer_cfg_default(NN_DENSE);
    d.units = 1;
    d.act = NN_ACT_SIGMOID;
    add1(m, d, f);
    nn_rng r;
    nn_rng_seed(&r, seed);
    assert_int_equal(nn_model_finalize(m, &r), 0);
    nn_optimizer_cfg o = nn_optimizer_default(NN_OPT_SGD);
    if (nn_model_compile(m, &o, NN_LOSS_BCE) != 0)
        fail_msg("%s", nn_model_error(m));
    size_t in = nn_model_input_size(m) * N;
    g->x = malloc(in * sizeof(float));
    assert_non_null(g->x);
    for (size_t i = 0; i < in; i++)
        g->x[i] = nn_rng_normal(&r);
    for (int i = 0; i < N; i++)
        g->labels[i] = i % 2;
    /* larger biases and weights make the Dense output depend on every unit */
    for (int i = 0; i < m->n_layers; i++)
        for (int p = 0; p < m->layers[i]->n_params; p++) {
            nn_param *pr = &m->layers[i]->params[p];
            if (!strcmp(pr->name, "bias"))
                for (size_t k = 0; k < pr->size; k++)
                    pr->data[k] = 0.3f * nn_rng_normal(&r);
        }
}

static double loss_of(gc_model *g)
{
    if (nn_model_forward(g->m, g->x, N, true) != 0)
        fail_msg("%s", nn_model_error(g->m));
    return nn_model_loss(g->m, g->labels, N, NULL, false);
}

/* Checks every trainable parameter of layer li; returns the worst relative error. */
static double check_layer(gc_model *g, int li)
{
    nn_model *m = g->m;
    loss_of(g);
    nn_model_loss(m, g->labels, N, NULL, true);
    assert_int_equal(nn_model_backward(m, N), 0);
    nn_layer *l = m->layers[li];
    double worst = 0.0;
    for (int p = 0; p < l->n_params; p++) {
        nn_param *pr = &l->params[p];
        if (pr->is_stat)
            continue;
        float *a = malloc(pr->size * sizeof(float));
        double *f = malloc(pr->size * sizeof(double));
        assert_true(a && f);
        memcpy(a, pr->grad, pr->size * sizeof(float));
        double fmax_ = 0.0;
        for (size_t k = 0; k < pr->size; k++) {
            float save = pr->data[k];
            pr->data[k] = save + fd_eps;
            double lp = loss_of(g);
            pr->data[k] = save - fd_eps;
            double lm = loss_of(g);
            pr->data[k] = save;
            f[k] = (lp - lm) / (2.0 * fd_eps);
            fmax_ = fmax(fmax_, fabs(f[k]));
        }
        assert_true(fmax_ > 1e-6); /* the check means something only if the loss moves */
        for (size_t k = 0; k < pr->size; k++) {
            double den = fmax(fmax(fabs(a[k]), fabs(f[k])), 0.05 * fmax_);
            double rel = fabs(a[k] - f[k]) / den;
            if (rel > worst)
                worst = rel;
            if (rel > TOL)
                fail_msg("layer '%s' param '%s'[%zu]: analytic %g, numeric %g (rel %g)", l->name, pr->name, k, a[k],
                         f[k], rel);
        }
        free(a);
        free(f);
    }
    return worst;
}

static void gc_free(gc_model *g)
{
    nn_model_destroy(g->m);
    free(g->x);
}

/* Input(5, 6, 2) -> Conv2D(3) named "below" -> cfg -> head; checks "below" and cfg's layer. */
static void gradcheck_one(nn_layer_cfg c, int h, int w)
{
    gc_model g = {nn_model_create("gc"), NULL, {0}};
    int x = input(g.m, h, w, 2);
    int below = conv(g.m, x, 3, 3, NN_ACT_LINEAR);
    int li = add1(g.m, c, below);
    finish(&g, li, 7);
    double a = check_layer(&g, below);
    double b = check_layer(&g, li);
    print_message("%-24s worst rel error: below %.2e, layer %.2e\n", nn_layer_type_name(c.type), a, b);
    gc_free(&g);
}

/* The sigmoid and swish (a vectorised e^x of their own, activation.c) against libm's
 * double-precision exp, over [-110, 110]: relative error under 4e-7 where the result is
 * a normal float, NaN in gives NaN out, the tails are 0 and 1 exactly, and an
 * out-of-place call gives what an in-place one does. */
static void test_sigmoid_swish_accuracy(void **state)
{
    (void)state;
    const int n_pts = 220001;
    float *in = malloc(n_pts * sizeof *in), *sg = malloc(n_pts * sizeof *sg), *sw = malloc(n_pts * sizeof *sw);
    assert_non_null(in);
    assert_non_null(sg);
    assert_non_null(sw);
    for (int i = 0; i < n_pts; i++)
        in[i] = -110.0f + 220.0f * (float)i / (n_pts - 1);
    nn_act_forward(sg, in, n_pts, 1, NN_ACT_SIGMOID);
    memcpy(sw, in, n_pts * sizeof *sw);
    nn_act_forward(sw, sw, n_pts, 1, NN_ACT_SWISH);   /* in place, as the layers call it */
    double worst_sg = 0, worst_sw = 0;
    for (int i = 0; i < n_pts; i++) {
        double z = in[i], s = 1.0 / (1.0 + exp(-z)), w = z * s;
        if (s > 1.2e-38)
            worst_sg = fmax(worst_sg, fabs(sg[i] - s) / s);
        if (s > 1.2e-38 && fabs(w) > 1.2e-38)
            worst_sw = fmax(worst_sw, fabs(sw[i] - w) / fabs(w));
    }
    assert_true(worst_sg < 4e-7);
    assert_true(worst_sw < 4e-7);
    assert_true(sg[0] >= 0.0f && sg[0] < 1e-45f);   /* sigmoid(-110) = 1.7e-48 */
    assert_true(sg[n_pts - 1] == 1.0f);
    /* the special values, at every place of a 16-wide vector and in the scalar tail */
    enum { NS = 37 };
    const float specials[5] = {NAN, 0.0f, -0.0f, INFINITY, -INFINITY};
    float sp[NS], o[NS], o2[NS];
    for (int i = 0; i < NS; i++)
        sp[i] = specials[i % 5];
    nn_act_forward(o, sp, NS, 1, NN_ACT_SIGMOID);
    nn_act_forward(o2, sp, NS, 1, NN_ACT_SWISH);
    for (int i = 0; i < NS; i++) {
        switch (i % 5) {
        case 0:
            assert_true(isnan(o[i]) && isnan(o2[i]));
            break;
        case 1:
        case 2:
            assert_true(o[i] == 0.5f && o2[i] == 0.0f);
            break;
        case 3:
            assert_true(o[i] == 1.0f && o2[i] == INFINITY);
            break;
        default: /* -inf * sigmoid(-inf) = -inf * 0: NaN, as x * sigmoid(x) is in TensorFlow */
            assert_true(o[i] == 0.0f && isnan(o2[i]));
        }
    }
    free(in);
    free(sg);
    free(sw);
}

static void test_gradcheck_zeropad(void **state)
{
    (void)state;
    nn_layer_cfg c = nn_layer_cfg_default(NN_ZEROPAD2D);
    c.pad[0] = 1, c.pad[1] = 2, c.pad[2] = 0, c.pad[3] = 3;
    gradcheck_one(c, 5, 4);
}

static void test_gradcheck_depthwise(void **state)
{
    (void)state;
    nn_layer_cfg c = nn_layer_cfg_default(NN_DEPTHWISE_CONV2D);
    c.kh = c.kw = 3;
    c.depth_multiplier = 2;
    c.sh = c.sw = 2;
    c.padding = NN_PAD_SAME;
    gradcheck_one(c, 6, 5);
    c.depth_multiplier = 1;
    c.sh = c.sw = 1;
    c.padding = NN_PAD_VALID;
    c.act = NN_ACT_SWISH;
    gradcheck_one(c, 5, 5);
}

static void test_gradcheck_separable(void **state)
{
    (void)state;
    nn_layer_cfg c = nn_layer_cfg_default(NN_SEPARABLE_CONV2D);
    c.filters = 4;
    c.kh = c.kw = 3;
    c.depth_multiplier = 2;
    c.padding = NN_PAD_SAME;
    gradcheck_one(c, 5, 4);
    c.use_bias = false;
    c.sh = c.sw = 2;
    c.depth_multiplier = 1;
    gradcheck_one(c, 6, 6);
}

static void test_gradcheck_activations(void **state)
{
    (void)state;
    nn_layer_cfg c = nn_layer_cfg_default(NN_ACTIVATION);
    c.act = NN_ACT_SWISH;
    gradcheck_one(c, 4, 4);
    fd_eps = 1e-3f;
    c.act = NN_ACT_RELU6;
    gradcheck_one(c, 4, 4);
    c = nn_layer_cfg_default(NN_RELU);
    c.max_value = 0.5f; /* inputs ~N(0, 1): some above the cap, some below 0 */
    gradcheck_one(c, 4, 4);
    fd_eps = 1e-2f;
}

static void test_gradcheck_simple(void **state)
{
    (void)state;
    fd_eps = 1e-3f;
    gradcheck_one(nn_layer_cfg_default(NN_GMP2D), 4, 5);
    fd_eps = 1e-2f;
    nn_layer_cfg c = nn_layer_cfg_default(NN_RESHAPE);
    c.target_shape = nn_shape3(-1, 2, 3);
    gradcheck_one(c, 4, 4);
    c = nn_layer_cfg_default(NN_RESCALING);
    c.coef_n = 3;
    c.coef_a[0] = 0.5f, c.coef_a[1] = -2.0f, c.coef_a[2] = 3.0f;
    c.coef_b[0] = 1.0f;
    gradcheck_one(c, 4, 4);
    c = nn_layer_cfg_default(NN_NORMALIZATION);
    c.coef_n = 1;
    c.coef_a[0] = 0.2f;
    c.coef_b[0] = 4.0f;
    gradcheck_one(c, 4, 4);
}

/* Add of two branches; Multiply of a map by its squeezed channels (EfficientNet's SE). */
static void test_gradcheck_merges(void **state)
{
    (void)state;
    for (int op = 0; op < 2; op++) {
        gc_model g = {nn_model_create("gc"), NULL, {0}};
        int x = input(g.m, 4, 4, 2);
        int a = conv(g.m, x, 3, 3, NN_ACT_LINEAR);
        int b;
        if (op == 0) {
            b = conv(g.m, x, 3, 1, NN_ACT_LINEAR);
        } else {
            int s = add1(g.m, nn_layer_cfg_default(NN_GAP2D), a);
            nn_layer_cfg r = nn_layer_cfg_default(NN_RESHAPE);
            r.target_shape = nn_shape3(1, 1, 3);
            s = add1(g.m, r, s);
            nn_layer_cfg c = nn_layer_cfg_default(NN_CONV2D);
            c.filters = 3;
            c.kh = c.kw = 1;
            c.act = NN_ACT_SIGMOID;
            b = add1(g.m, c, s);
        }
        int in[2] = {a, b};
        int li = add(g.m, nn_layer_cfg_default(op == 0 ? NN_ADD : NN_MULTIPLY), in, 2);
        assert_true(nn_shape_equal(g.m->layers[li]->out_shape, nn_shape3(4, 4, 3)));
        finish(&g, li, 11);
        check_layer(&g, a);
        check_layer(&g, b);
        gc_free(&g);
    }
}

/* Shapes and counts as Keras gives them. */
static void test_shapes_and_counts(void **state)
{
    (void)state;
    nn_model *m = nn_model_create("s");
    int x = input(m, 7, 7, 8);
    nn_layer_cfg c = nn_layer_cfg_default(NN_DEPTHWISE_CONV2D);
    c.kh = c.kw = 3;
    c.depth_multiplier = 3;
    int dw = add1(m, c, x);
    /* DepthwiseConv2D(3, depth_multiplier=3) on 8 channels: 3*3*8*3 + 24 = 240 */
    assert_int_equal(nn_layer_param_count(m->layers[dw]), 240);
    assert_true(nn_shape_equal(m->layers[dw]->out_shape, nn_shape3(5, 5, 24)));
    assert_string_equal(m->layers[dw]->name, "depthwise_conv2d");
    c = nn_layer_cfg_default(NN_SEPARABLE_CONV2D);
    c.filters = 16;
    c.kh = c.kw = 3;
    c.padding = NN_PAD_SAME;
    int sp = add1(m, c, x);
    /* SeparableConv2D(16, 3): 3*3*8 + 8*16 + 16 = 216 */
    assert_int_equal(nn_layer_param_count(m->layers[sp]), 216);
    assert_string_equal(m->layers[sp]->name, "separable_conv2d");
    c = nn_layer_cfg_default(NN_ZEROPAD2D);
    int zp = add1(m, c, x);
    assert_true(nn_shape_equal(m->layers[zp]->out_shape, nn_shape3(9, 9, 8)));
    assert_string_equal(m->layers[zp]->name, "zero_padding2d");
    int r = add1(m, nn_layer_cfg_default(NN_RELU), x);
    assert_string_equal(m->layers[r]->name, "re_lu");
    c = nn_layer_cfg_default(NN_NORMALIZATION);
    int nz = add1(m, c, x);
    /* adapted Normalization: mean (8), variance (8), count (): 17 non-trainable */
    assert_int_equal(nn_layer_param_count(m->layers[nz]), 17);
    c.coef_n = 1;
    int nz2 = add1(m, c, x);
    assert_int_equal(nn_layer_param_count(m->layers[nz2]), 0);
    c = nn_layer_cfg_default(NN_RESHAPE);
    c.target_shape = nn_shape2(-1, 8);
    int rs = add1(m, c, x);
    assert_true(nn_shape_equal(m->layers[rs]->out_shape, nn_shape2(49, 8)));
    c.target_shape = nn_shape2(-1, 5);
    assert_int_equal(nn_model_add(m, &c, &x, 1), -1);
    assert_non_null(strstr(nn_model_error(m), "cannot reshape (None, 7, 7, 8)"));
    /* Add of mismatched shapes names both */
    int in2[2] = {x, dw};
    c = nn_layer_cfg_default(NN_ADD);
    assert_int_equal(nn_model_add(m, &c, in2, 2), -1);
    assert_non_null(strstr(nn_model_error(m), "'depthwise_conv2d' has shape (None, 5, 5, 24)"));
    nn_model_destroy(m);
}

/* Hand-computed values through a model: Rescaling(1/127.5, -1), Normalization(mean,
 * variance), ReLU(6), swish, GlobalMaxPooling2D. */
static void test_hand_values(void **state)
{
    (void)state;
    nn_model *m = nn_model_create("h");
    int x = input(m, 1, 2, 2);
    nn_layer_cfg c = nn_layer_cfg_default(NN_RESCALING);
    c.coef_a[0] = 1.0f / 127.5f;
    c.coef_b[0] = -1.0f;
    int rs = add1(m, c, x);
    c = nn_layer_cfg_default(NN_NORMALIZATION);
    c.coef_n = 2;
    c.coef_a[0] = 1.0f, c.coef_a[1] = -1.0f;
    c.coef_b[0] = 4.0f, c.coef_b[1] = 0.0f; /* variance 0: divides by 1e-7, as Keras */
    int nz = add1(m, c, x);
    c = nn_layer_cfg_default(NN_RELU);
    c.max_value = 6.0f;
    int r6 = add1(m, c, x);
    c = nn_layer_cfg_default(NN_ACTIVATION);
    c.act = NN_ACT_SWISH;
    int sw = add1(m, c, x);
    int gm = add1(m, nn_layer_cfg_default(NN_GMP2D), x);
    /* every branch must lead to the output: join them */
    nn_rng r;
    nn_rng_seed(&r, 1);
    nn_layer_cfg f = nn_layer_cfg_default(NN_FLATTEN);
    int fl[4];
    fl[0] = add1(m, f, rs);
    fl[1] = add1(m, f, nz);
    fl[2] = add1(m, f, r6);
    fl[3] = add1(m, f, sw);
    int ins[5] = {fl[0], fl[1], fl[2], fl[3], gm};
    add(m, nn_layer_cfg_default(NN_CONCAT), ins, 5);
    assert_int_equal(nn_model_finalize(m, &r), 0);
    const float xin[4] = {255.0f, 3.0f, 7.0f, -2.0f}; /* (1, 2, 2): pixels (255, 3), (7, -2) */
    assert_int_equal(nn_model_forward(m, xin, 1, false), 0);
    const float *o = m->layers[rs]->out;
    assert_float_equal(o[0], 1.0f, 1e-6);
    assert_float_equal(o[1], 3.0f / 127.5f - 1.0f, 1e-6);
    o = m->layers[nz]->out;
    assert_float_equal(o[0], (255.0f - 1.0f) / 2.0f, 1e-5);
    assert_float_equal(o[1], (3.0f + 1.0f) / 1e-7f, 1e2);
    o = m->layers[r6]->out;
    assert_float_equal(o[0], 6.0f, 0);
    assert_float_equal(o[1], 3.0f, 0);
    assert_float_equal(o[3], 0.0f, 0);
    o = m->layers[sw]->out;
    assert_float_equal(o[1], 3.0 / (1.0 + exp(-3.0)), 1e-6);
    assert_float_equal(o[3], -2.0 / (1.0 + exp(2.0)), 1e-6);
    o = m->layers[gm]->out;
    assert_float_equal(o[0], 255.0f, 0);
    assert_float_equal(o[1], 3.0f, 0);
    nn_model_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigmoid_swish_accuracy),
        cmocka_unit_test(test_gradcheck_zeropad),
        cmocka_unit_test(test_gradcheck_depthwise),
        cmocka_unit_test(test_gradcheck_separable),
        cmocka_unit_test(test_gradcheck_activations),
        cmocka_unit_test(test_gradcheck_simple),
        cmocka_unit_test(test_gradcheck_merges),
        cmocka_unit_test(test_shapes_and_counts),
        cmocka_unit_test(test_hand_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
