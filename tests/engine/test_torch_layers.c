/* The issue-15 layers against PyTorch: one forward and backward each, on the inputs,
 * weights and output gradients in tests/fixtures/torch_reference.h (tapp_*, written by
 * make_torch_reference.py in float64 torch: F.pad, grouped F.conv2d with TensorFlow's
 * 'same' pads, broadcasting *, F.relu6, F.silu, amax, (x - mean) / clamp(sqrt(var), 1e-7)).
 * Tolerance: max |engine - torch| <= 1e-5 * max |torch| per tensor (float32 against
 * float64; a wrong index or factor misses by far more). SeparableConv2D's forward runs
 * through a model (layer_extra.c's composition), the rest through ops.h. */
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
#include "../fixtures/torch_reference.h"

#define TOL 1e-5
#define LEN(a) (sizeof(a) / sizeof((a)[0]))

static void close_to(const char *what, const float *got, const float *ref, size_t n)
{
    double d = 0.0, s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)got[i] - ref[i]);
        d = e > d || e != e ? e : d;
        s = fmax(s, fabs(ref[i]));
    }
    print_message("%-14s max diff %.3g (max |ref| %.3g)\n", what, d, s);
    if (!(d <= TOL * s))
        fail_msg("%s: max |diff| %g over %g * %g", what, d, TOL, s);
}

static float *zeros(size_t n)
{
    float *p = calloc(n, sizeof(float));
    assert_non_null(p);
    return p;
}

static void test_zeropad(void **state)
{
    (void)state;
    nn_pad_dims d = {2, 4, 5, 3, 1, 2, 0, 3};
    float *y = zeros(LEN(tapp_zpad_y)), *dx = zeros(LEN(tapp_zpad_dx));
    nn_zeropad2d_forward(y, tapp_zpad_x, &d);
    nn_zeropad2d_backward(dx, tapp_zpad_g, &d);
    close_to("zeropad y", y, tapp_zpad_y, LEN(tapp_zpad_y));
    close_to("zeropad dx", dx, tapp_zpad_dx, LEN(tapp_zpad_dx));
    free(y);
    free(dx);
}

static void test_depthwise(void **state)
{
    (void)state;
    nn_conv_dims d = {.n = 2, .h = 6, .w = 5, .c = 4, .kh = 3, .kw = 3, .filters = 2, .sh = 2, .sw = 2,
                      .padding = NN_PAD_SAME};
    assert_true(nn_conv_dims_init(&d));
    assert_int_equal((size_t)d.n * d.oh * d.ow * 8, LEN(tapp_dw_y));
    float *y = zeros(LEN(tapp_dw_y)), *dx = zeros(LEN(tapp_dw_dx)), *dk = zeros(72), *db = zeros(8);
    nn_depthwise_forward(y, tapp_dw_x, tapp_dw_k, tapp_dw_b, &d);
    nn_depthwise_backward(dx, dk, db, tapp_dw_g, tapp_dw_x, tapp_dw_k, &d);
    close_to("depthwise y", y, tapp_dw_y, LEN(tapp_dw_y));
    close_to("depthwise dx", dx, tapp_dw_dx, LEN(tapp_dw_dx));
    close_to("depthwise dk", dk, tapp_dw_dk, 72);
    close_to("depthwise db", db, tapp_dw_db, 8);
    free(y), free(dx), free(dk), free(db);
}

static void test_separable(void **state)
{
    (void)state;
    nn_model *m = nn_model_create("sep");
    nn_layer_cfg c = nn_layer_cfg_default(NN_INPUT);
    c.shape = nn_shape3(5, 4, 3);
    assert_true(nn_model_push(m, &c) >= 0);
    c = nn_layer_cfg_default(NN_SEPARABLE_CONV2D);
    c.filters = 4;
    c.kh = c.kw = 3;
    c.depth_multiplier = 2;
    c.padding = NN_PAD_SAME;
    int li = nn_model_push(m, &c);
    assert_true(li >= 0);
    nn_rng r;
    nn_rng_seed(&r, 1);
    assert_int_equal(nn_model_finalize(m, &r), 0);
    nn_layer *l = m->layers[li];
    memcpy(l->params[0].data, tapp_sep_k, sizeof tapp_sep_k);
    memcpy(l->params[1].data, tapp_sep_pw, sizeof tapp_sep_pw);
    memcpy(l->params[2].data, tapp_sep_b, sizeof tapp_sep_b);
    assert_int_equal(nn_model_forward(m, tapp_sep_x, 2, false), 0);
    close_to("separable y", l->out, tapp_sep_y, LEN(tapp_sep_y));
    /* backward: the pointwise then the depthwise step, as layer_extra.c chains them */
    nn_conv_dims d = {.n = 2, .h = 5, .w = 4, .c = 3, .kh = 3, .kw = 3, .filters = 2, .sh = 1, .sw = 1,
                      .padding = NN_PAD_SAME};
    assert_true(nn_conv_dims_init(&d));
    nn_conv_dims p = {.n = 2, .h = 5, .w = 4, .c = 6, .kh = 1, .kw = 1, .filters = 4, .sh = 1, .sw = 1,
                      .padding = NN_PAD_VALID};
    assert_true(nn_conv_dims_init(&p));
    float *mid = zeros(2 * 5 * 4 * 6), *dmid = zeros(2 * 5 * 4 * 6), *dx = zeros(120), *dk = zeros(54),
          *dpw = zeros(24), *db = zeros(4);
    nn_depthwise_forward(mid, tapp_sep_x, tapp_sep_k, NULL, &d);
    nn_conv2d_backward(dmid, dpw, db, tapp_sep_g, mid, tapp_sep_pw, &p, NULL);
    nn_depthwise_backward(dx, dk, NULL, dmid, tapp_sep_x, tapp_sep_k, &d);
    close_to("separable dx", dx, tapp_sep_dx, 120);
    close_to("separable dk", dk, tapp_sep_dk, 54);
    close_to("separable dpw", dpw, tapp_sep_dpw, 24);
    close_to("separable db", db, tapp_sep_db, 4);
    free(mid), free(dmid), free(dx), free(dk), free(dpw), free(db);
    nn_model_destroy(m);
}

static void test_multiply_broadcast(void **state)
{
    (void)state;
    const int in_dims[8] = {2, 3, 4, 5, 2, 1, 1, 5}, out_dims[4] = {2, 3, 4, 5};
    const float *ins[2] = {tapp_mul_a, tapp_mul_s};
    float *y = zeros(120), *da = zeros(120), *ds = zeros(10);
    float *dins[2] = {da, ds};
    nn_merge_forward(y, ins, in_dims, 2, out_dims, 4, NN_MERGE_MUL);
    nn_merge_backward(dins, tapp_mul_g, ins, in_dims, 2, out_dims, 4, NN_MERGE_MUL);
    close_to("multiply y", y, tapp_mul_y, 120);
    close_to("multiply da", da, tapp_mul_da, 120);
    close_to("multiply ds", ds, tapp_mul_ds, 10);
    free(y), free(da), free(ds);
}

static void test_relu6_swish(void **state)
{
    (void)state;
    const size_t n = LEN(tapp_act_x);
    float *y = zeros(n), *dx = zeros(n), *y2 = zeros(n), *dx2 = zeros(n);
    nn_act_forward(y, tapp_act_x, n / 4, 4, NN_ACT_RELU6);
    nn_act_backward(dx, tapp_act_g6, y, n / 4, 4, NN_ACT_RELU6);
    close_to("relu6 y", y, tapp_act_y6, n);
    close_to("relu6 dx", dx, tapp_act_d6, n);
    /* the ReLU layer's arithmetic with max_value 6 is the same function */
    memset(dx2, 0, n * sizeof(float));
    nn_relu_max_forward(y2, tapp_act_x, n, 6.0f);
    nn_relu_max_backward(dx2, tapp_act_g6, y2, n, 6.0f);
    close_to("ReLU(6) y", y2, tapp_act_y6, n);
    close_to("ReLU(6) dx", dx2, tapp_act_d6, n);
    memset(dx, 0, n * sizeof(float));
    nn_act_forward(y, tapp_act_x, n / 4, 4, NN_ACT_SWISH);
    nn_act_backward_x(dx, tapp_act_gsw, y, tapp_act_x, n / 4, 4, NN_ACT_SWISH);
    close_to("swish y", y, tapp_act_ysw, n);
    close_to("swish dx", dx, tapp_act_dsw, n);
    free(y), free(dx), free(y2), free(dx2);
}

static void test_gmp(void **state)
{
    (void)state;
    float *y = zeros(10), *dx = zeros(120);
    int32_t am[10];
    nn_gmp2d_forward(y, am, tapp_gmp_x, 2, 12, 5);
    nn_gmp2d_backward(dx, tapp_gmp_g, am, 2, 12, 5);
    close_to("gmp y", y, tapp_gmp_y, 10);
    close_to("gmp dx", dx, tapp_gmp_dx, 120);
    free(y), free(dx);
}

static void test_normalization(void **state)
{
    (void)state;
    float den[3], *y = zeros(36), *dx = zeros(36);
    nn_norm_den(den, tapp_norm_var, 3);
    nn_norm_forward(y, tapp_norm_x, tapp_norm_mean, den, 12, 3);
    nn_norm_backward(dx, tapp_norm_g, den, 12, 3);
    /* channel 1 has variance 0 (divided by 1e-7, values ~1e7): compare each channel on
     * its own scale, so channels 0 and 2 are not hidden under channel 1's */
    for (int ch = 0; ch < 3; ch++) {
        float gy[12], ry[12], gd[12], rd[12];
        for (int r = 0; r < 12; r++) {
            gy[r] = y[r * 3 + ch], ry[r] = tapp_norm_y[r * 3 + ch];
            gd[r] = dx[r * 3 + ch], rd[r] = tapp_norm_dx[r * 3 + ch];
        }
        close_to(ch == 1 ? "norm y (var 0)" : "normalization y", gy, ry, 12);
        close_to(ch == 1 ? "norm dx (var 0)" : "normalization dx", gd, rd, 12);
    }
    free(y), free(dx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zeropad),
        cmocka_unit_test(test_depthwise),
        cmocka_unit_test(test_separable),
        cmocka_unit_test(test_multiply_broadcast),
        cmocka_unit_test(test_relu6_swish),
        cmocka_unit_test(test_gmp),
        cmocka_unit_test(test_normalization),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
