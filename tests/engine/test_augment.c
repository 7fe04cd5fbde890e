/* Keras's random augmentation layers (RandomFlip, RandomRotation, RandomZoom,
 * RandomTranslation): hand-computed warps on small images, every kind x fill mode x
 * interpolation against an independent NumPy implementation of Keras's matrices and TF's
 * ImageProjectiveTransformV3 (tests/fixtures/make_augment_reference.py, within 1e-5),
 * the identity at inference, Keras's counts (no weights, output shape = input shape),
 * same seed same draws, and finite-difference gradient checks through the layer. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/augment.h"
#include "engine/model.h"
#include "../fixtures/augment_reference.h"

static void expect_close(const float *got, const float *want, size_t n, float tol, const char *what)
{
    float worst = 0.0f;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        float d = fabsf(got[i] - want[i]);
        if (!(d <= worst)) {
            worst = d;
            at = i;
        }
    }
    if (!(worst <= tol))
        fail_msg("%s: element %zu is %.7g, want %.7g (|diff| %.3g > %.3g)", what, at, got[at], want[at], worst, tol);
}

/* One warp of a 1-channel h x w image by a draw of the given kind. */
static void warp1(float *out, const float *in, int h, int w, nn_augment_draw *d, nn_augment_kind kind, nn_fill_mode fill,
                  nn_interp interp, float fill_value)
{
    nn_augment_matrix(d, kind, h, w);
    nn_warp_dims g = {h, w, 1, fill, interp, fill_value};
    nn_warp_forward(out, in, d->t, &g);
}

static nn_augment_draw no_draw(void)
{
    nn_augment_draw d;
    memset(&d, 0, sizeof d);
    d.zoom_x = d.zoom_y = 1.0f;
    return d;
}

/* A 4x4 image flipped left-right and up-down reads as the reversed rows and columns,
 * with both interpolations (whole pixels). */
static void test_flip_4x4(void **state)
{
    (void)state;
    float in[16], out[16], want[16];
    for (int i = 0; i < 16; i++)
        in[i] = (float)i;
    for (int interp = 0; interp < NN_INTERP_COUNT; interp++) {
        nn_augment_draw d = no_draw();
        d.flip = NN_FLIP_HORIZONTAL;
        warp1(out, in, 4, 4, &d, NN_AUG_FLIP, NN_FILL_CONSTANT, (nn_interp)interp, 7.0f);
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++)
                want[y * 4 + x] = in[y * 4 + 3 - x];
        expect_close(out, want, 16, 0.0f, "horizontal flip");
        d.flip = NN_FLIP_VERTICAL;
        warp1(out, in, 4, 4, &d, NN_AUG_FLIP, NN_FILL_REFLECT, (nn_interp)interp, 0.0f);
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++)
                want[y * 4 + x] = in[(3 - y) * 4 + x];
        expect_close(out, want, 16, 0.0f, "vertical flip");
        d.flip = NN_FLIP_HORIZONTAL | NN_FLIP_VERTICAL;
        warp1(out, in, 4, 4, &d, NN_AUG_FLIP, NN_FILL_WRAP, (nn_interp)interp, 0.0f);
        for (int i = 0; i < 16; i++)
            want[i] = in[15 - i];
        expect_close(out, want, 16, 0.0f, "both flips");
    }
}

/* A quarter turn of a 3x3 (Keras: positive = counter-clockwise): the top-right corner
 * comes to the top-left. 0 1 2 / 3 4 5 / 6 7 8 -> 2 5 8 / 1 4 7 / 0 3 6. Not with 'wrap':
 * cos(pi/2) is -4e-8 in float32, so row 0 is read at -4e-8, just across wrap's seam, and
 * TF's kernel reads the last row there too. */
static void test_rotation_90(void **state)
{
    (void)state;
    float in[9], out[9];
    const float want[9] = {2, 5, 8, 1, 4, 7, 0, 3, 6};
    for (int i = 0; i < 9; i++)
        in[i] = (float)i;
    for (int interp = 0; interp < NN_INTERP_COUNT; interp++)
        for (int fill = 0; fill < NN_FILL_COUNT; fill++) {
            if (fill == NN_FILL_WRAP)
                continue;
            nn_augment_draw d = no_draw();
            d.angle = (float)(M_PI / 2);
            warp1(out, in, 3, 3, &d, NN_AUG_ROTATION, (nn_fill_mode)fill, (nn_interp)interp, 0.0f);
            expect_close(out, want, 9, 1e-5f, "90 degree rotation");
        }
}

/* A row 1 2 3 4 moved two pixels right and one left, with each fill mode (TF's
 * MapCoordinate: reflect dcba|abcd, wrap abcd|abcd, nearest the edge, constant 9). */
static void test_translation_fills(void **state)
{
    (void)state;
    const float in[4] = {1, 2, 3, 4};
    const float right2[NN_FILL_COUNT][4] = {{2, 1, 1, 2}, {3, 4, 1, 2}, {9, 9, 1, 2}, {1, 1, 1, 2}};
    const float left1[NN_FILL_COUNT][4] = {{2, 3, 4, 4}, {2, 3, 4, 1}, {2, 3, 4, 9}, {2, 3, 4, 4}};
    float out[4];
    for (int interp = 0; interp < NN_INTERP_COUNT; interp++)
        for (int fill = 0; fill < NN_FILL_COUNT; fill++) {
            nn_augment_draw d = no_draw();
            d.dx = 2.0f;
            warp1(out, in, 1, 4, &d, NN_AUG_TRANSLATION, (nn_fill_mode)fill, (nn_interp)interp, 9.0f);
            expect_close(out, right2[fill], 4, 0.0f, nn_fill_mode_name((nn_fill_mode)fill));
            d.dx = -1.0f;
            warp1(out, in, 1, 4, &d, NN_AUG_TRANSLATION, (nn_fill_mode)fill, (nn_interp)interp, 9.0f);
            expect_close(out, left1[fill], 4, 0.0f, nn_fill_mode_name((nn_fill_mode)fill));
        }
}

/* Half a pixel right with bilinear reads averages neighbours; zoom 2 about the centre of
 * a 1x5 row reads 2x - 2: pixel 1 reads 0, pixel 2 reads 2, pixel 3 reads 4. */
static void test_bilinear_and_zoom(void **state)
{
    (void)state;
    const float in[5] = {0, 10, 20, 30, 40};
    float out[5];
    nn_augment_draw d = no_draw();
    d.dx = 0.5f;
    warp1(out, in, 1, 5, &d, NN_AUG_TRANSLATION, NN_FILL_CONSTANT, NN_INTERP_BILINEAR, 0.0f);
    const float half[5] = {0, 5, 15, 25, 35};
    expect_close(out, half, 5, 1e-6f, "half-pixel shift");
    d = no_draw();
    d.zoom_x = 2.0f;
    warp1(out, in, 1, 5, &d, NN_AUG_ZOOM, NN_FILL_CONSTANT, NN_INTERP_NEAREST, -1.0f);
    const float zoomed[5] = {-1, 0, 20, 40, -1};
    expect_close(out, zoomed, 5, 0.0f, "zoom out x2");
}

/* Reference case k's draw, its matrix set. */
static nn_augment_draw ref_draw(int k)
{
    nn_augment_draw d = no_draw();
    d.flip = (uint8_t)aref_case[k].flip;
    d.angle = aref_case[k].angle;
    d.zoom_x = aref_case[k].zoom_x, d.zoom_y = aref_case[k].zoom_y;
    d.dx = aref_case[k].dx, d.dy = aref_case[k].dy;
    nn_augment_matrix(&d, (nn_augment_kind)aref_case[k].kind, AREF_H, AREF_W);
    return d;
}

/* Every kind x fill x interpolation against the NumPy reference: the matrix and the image. */
static void test_numpy_reference(void **state)
{
    (void)state;
    const size_t sz = AREF_H * AREF_W * AREF_C;
    float out[AREF_H * AREF_W * AREF_C];
    for (int k = 0; k < AREF_CASES; k++) {
        char what[96];
        nn_augment_draw d = ref_draw(k);
        snprintf(what, sizeof what, "case %d (kind %d, %s, %s) matrix", k, aref_case[k].kind,
                 nn_fill_mode_name((nn_fill_mode)aref_case[k].fill), nn_interp_name((nn_interp)aref_case[k].interp));
        expect_close(d.t, aref_t + 6 * k, 6, 1e-5f, what);
        nn_warp_dims g = {AREF_H, AREF_W, AREF_C, (nn_fill_mode)aref_case[k].fill, (nn_interp)aref_case[k].interp,
                          aref_case[k].fill_value};
        nn_warp_forward(out, aref_in, d.t, &g);
        snprintf(what, sizeof what, "case %d (kind %d, %s, %s) image", k, aref_case[k].kind,
                 nn_fill_mode_name((nn_fill_mode)aref_case[k].fill), nn_interp_name((nn_interp)aref_case[k].interp));
        expect_close(out, aref_out + sz * k, sz, 1e-5f, what);
    }
}

static int add1(nn_model *m, nn_layer_cfg c)
{
    int i = nn_model_push(m, &c);
    if (i < 0)
        fail_msg("%s", nn_model_error(m));
    return i;
}

static nn_layer_cfg aug_cfg(nn_augment_kind kind, nn_fill_mode fill, nn_interp interp)
{
    nn_layer_cfg c = nn_layer_cfg_default(NN_AUGMENT);
    c.aug_kind = kind;
    c.fill_mode = fill;
    c.interp = interp;
    c.fill_value = 0.25f;
    c.aug_lo[0] = c.aug_lo[1] = -0.3f;
    c.aug_hi[0] = c.aug_hi[1] = 0.3f;
    c.aug_width_same = false;
    return c;
}

/* Input(5, 6, 2) -> Conv2D(2, 1x1, linear, trainable) -> augmentation -> Flatten ->
 * Dense(1, sigmoid): the conv's gradient passes through the augmentation's backward. */
static nn_model *small_model(nn_augment_kind kind, nn_fill_mode fill, nn_interp interp)
{
    nn_model *m = nn_model_create("aug");
    nn_layer_cfg c = nn_layer_cfg_default(NN_INPUT);
    c.shape = nn_shape3(5, 6, 2);
    add1(m, c);
    c = nn_layer_cfg_default(NN_CONV2D);
    c.filters = 2;
    c.kh = c.kw = 1;
    add1(m, c);
    add1(m, aug_cfg(kind, fill, interp));
    add1(m, nn_layer_cfg_default(NN_FLATTEN));
    c = nn_layer_cfg_default(NN_DENSE);
    c.units = 1;
    c.act = NN_ACT_SIGMOID;
    add1(m, c);
    nn_rng r;
    nn_rng_seed(&r, 3);
    assert_int_equal(nn_model_finalize(m, &r), 0);
    nn_optimizer_cfg o = nn_optimizer_default(NN_OPT_SGD);
    assert_int_equal(nn_model_compile(m, &o, NN_LOSS_BCE), 0);
    return m;
}

static void fill_input(float *x, size_t n, uint64_t seed)
{
    nn_rng r;
    nn_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        x[i] = 2.0f * nn_rng_uniform(&r) - 1.0f;
}

/* Keras's counts: no weights, the output shape is the input's; the class names. */
static void test_counts_and_names(void **state)
{
    (void)state;
    const char *names[NN_AUG_KIND_COUNT] = {"RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation"};
    for (int k = 0; k < NN_AUG_KIND_COUNT; k++) {
        nn_model *m = small_model((nn_augment_kind)k, NN_FILL_REFLECT, NN_INTERP_BILINEAR);
        nn_layer *l = nn_model_layer(m, 2);
        assert_int_equal(nn_layer_param_count(l), 0);
        assert_int_equal(l->out_shape.rank, 3);
        assert_int_equal(l->out_shape.d[0], 5);
        assert_int_equal(l->out_shape.d[1], 6);
        assert_int_equal(l->out_shape.d[2], 2);
        assert_string_equal(nn_layer_class_name(&l->cfg), names[k]);
        assert_int_equal(nn_model_frozen_prefix(m), -1);
        nn_model_destroy(m);
    }
}

/* Inference: the layer passes its input through, bit for bit, and draws nothing; training
 * changes it, and the same seed gives the same draws. */
static void test_inference_identity_and_seed(void **state)
{
    (void)state;
    enum { N = 4 };
    float x[N * 60];
    fill_input(x, N * 60, 11);
    for (int k = 0; k < NN_AUG_KIND_COUNT; k++) {
        nn_model *m = small_model((nn_augment_kind)k, NN_FILL_REFLECT, NN_INTERP_BILINEAR);
        nn_model *m2 = small_model((nn_augment_kind)k, NN_FILL_REFLECT, NN_INTERP_BILINEAR);
        nn_layer *conv = nn_model_layer(m, 1), *l = nn_model_layer(m, 2), *l2 = nn_model_layer(m2, 2);
        nn_model_seed_dropout(m, 5);
        nn_rng before = m->augment_rng;
        assert_int_equal(nn_model_forward(m, x, N, false), 0);
        assert_false(l->mask_valid);
        assert_memory_equal(l->out, conv->out, N * 60 * sizeof(float));
        assert_memory_equal(&before, &m->augment_rng, sizeof before);
        assert_int_equal(nn_model_forward(m, x, N, true), 0);
        assert_true(l->mask_valid);
        float diff = 0.0f;
        for (int i = 0; i < N * 60; i++)
            diff = fmaxf(diff, fabsf(l->out[i] - conv->out[i]));
        assert_true(diff > 1e-3f); /* four examples, none of which drew the identity */
        nn_model_seed_dropout(m2, 5);
        assert_int_equal(nn_model_forward(m2, x, N, true), 0);
        assert_memory_equal(l->out, l2->out, N * 60 * sizeof(float));
        assert_memory_equal(l->aug, l2->aug, N * sizeof(nn_augment_draw));
        nn_model_destroy(m);
        nn_model_destroy(m2);
    }
}

/* Input (5, 6, 2) -> [augmentation] -> Flatten -> Dropout(0.5): the Dropout's masks. */
static void dropout_masks(bool with_aug, const float *x, int n, int steps, uint8_t *masks)
{
    nn_model *m = nn_model_create("drop");
    nn_layer_cfg c = nn_layer_cfg_default(NN_INPUT);
    c.shape = nn_shape3(5, 6, 2);
    add1(m, c);
    if (with_aug)
        add1(m, aug_cfg(NN_AUG_FLIP, NN_FILL_REFLECT, NN_INTERP_BILINEAR));
    add1(m, nn_layer_cfg_default(NN_FLATTEN));
    c = nn_layer_cfg_default(NN_DROPOUT);
    c.rate = 0.5;
    int d = add1(m, c);
    nn_rng r;
    nn_rng_seed(&r, 3);
    assert_int_equal(nn_model_finalize(m, &r), 0);
    nn_model_seed_dropout(m, 5);
    for (int s = 0; s < steps; s++) {
        assert_int_equal(nn_model_forward(m, x, n, true), 0);
        memcpy(masks + (size_t)s * n * 60, nn_model_layer(m, d)->mask, (size_t)n * 60);
    }
    nn_model_destroy(m);
}

/* The augmentation draws from a stream of its own, as each Keras random layer has its own
 * seed generator: adding a RandomFlip in front of a Dropout leaves the masks, step after
 * step, as they were without it. */
static void test_own_stream(void **state)
{
    (void)state;
    enum { N = 4, STEPS = 3 };
    float x[N * 60];
    fill_input(x, N * 60, 13);
    uint8_t a[STEPS * N * 60], b[STEPS * N * 60];
    dropout_masks(false, x, N, STEPS, a);
    dropout_masks(true, x, N, STEPS, b);
    assert_memory_equal(a, b, sizeof a);
    int dropped = 0;
    for (size_t i = 0; i < sizeof a; i++)
        dropped += !a[i];
    assert_true(dropped > 260 && dropped < 460); /* about half of 720 */
}

static double loss_at(nn_model *m, const float *x, const int32_t *y, int n)
{
    nn_model_seed_dropout(m, 9); /* the same draws at every evaluation */
    assert_int_equal(nn_model_forward(m, x, n, true), 0);
    int correct;
    return nn_model_loss(m, y, n, &correct, false);
}

/* Central differences of the loss in the conv's kernel and bias against the backward,
 * through each kind with each fill mode and interpolation (the draws fixed by reseeding). */
static void test_gradcheck(void **state)
{
    (void)state;
    enum { N = 3 };
    float x[N * 60];
    const int32_t y[N] = {1, 0, 1};
    fill_input(x, N * 60, 21);
    for (int k = 0; k < NN_AUG_KIND_COUNT; k++)
        for (int fill = 0; fill < NN_FILL_COUNT; fill++)
            for (int interp = 0; interp < NN_INTERP_COUNT; interp++) {
                nn_model *m = small_model((nn_augment_kind)k, (nn_fill_mode)fill, (nn_interp)interp);
                nn_layer *conv = nn_model_layer(m, 1);
                loss_at(m, x, y, N);
                int correct;
                nn_model_seed_dropout(m, 9);
                assert_int_equal(nn_model_forward(m, x, N, true), 0);
                nn_model_loss(m, y, N, &correct, true);
                for (int p = 0; p < conv->n_params; p++)
                    memset(conv->params[p].grad, 0, conv->params[p].size * sizeof(float));
                assert_int_equal(nn_model_backward(m, N), 0);
                for (int p = 0; p < conv->n_params; p++) {
                    nn_param *P = &conv->params[p];
                    double scale = 0.0;
                    double fd[8];
                    for (size_t i = 0; i < P->size; i++) {
                        float w0 = P->data[i], e = 1e-2f;
                        P->data[i] = w0 + e;
                        double lp = loss_at(m, x, y, N);
                        P->data[i] = w0 - e;
                        double lm = loss_at(m, x, y, N);
                        P->data[i] = w0;
                        fd[i] = (lp - lm) / (2.0 * e);
                        scale = fmax(scale, fabs(fd[i]));
                    }
                    for (size_t i = 0; i < P->size; i++) {
                        double a = P->grad[i], f = fd[i];
                        double rel = fabs(a - f) / fmax(fmax(fabs(a), fabs(f)), 0.05 * scale + 1e-9);
                        if (!(rel < 2e-2))
                            fail_msg("kind %d %s %s: d/d%s[%zu] backward %.6g, central difference %.6g", k,
                                     nn_fill_mode_name((nn_fill_mode)fill), nn_interp_name((nn_interp)interp), P->name, i,
                                     a, f);
                    }
                }
                nn_model_destroy(m);
            }
}

/* The warp's backward is its transpose: <warp(x), r> == <x, warp^T(r)> for any x, r. */
static void test_adjoint(void **state)
{
    (void)state;
    enum { SZ = AREF_H * AREF_W * AREF_C };
    float r[SZ], wx[SZ], wtr[SZ];
    fill_input(r, SZ, 31);
    for (int k = 0; k < AREF_CASES; k++) {
        nn_augment_draw d = ref_draw(k);
        /* fill_value 0: the warp is then linear, not affine */
        nn_warp_dims g = {AREF_H, AREF_W, AREF_C, (nn_fill_mode)aref_case[k].fill, (nn_interp)aref_case[k].interp, 0.0f};
        nn_warp_forward(wx, aref_in, d.t, &g);
        memset(wtr, 0, sizeof wtr);
        nn_warp_backward(wtr, r, d.t, &g);
        double a = 0.0, b = 0.0;
        for (int i = 0; i < SZ; i++) {
            a += (double)wx[i] * r[i];
            b += (double)aref_in[i] * wtr[i];
        }
        if (!(fabs(a - b) < 1e-4 * fmax(1.0, fabs(a))))
            fail_msg("case %d: <warp x, r> = %.7g but <x, warp^T r> = %.7g", k, a, b);
    }
}

/* Refusals name the layer: a 1-D input, an empty flip mode, reversed and too wide ranges. */
static void test_refusals(void **state)
{
    (void)state;
    struct {
        nn_augment_kind kind;
        int flip;
        float lo, hi;
        const char *want;
    } cases[] = {
        {NN_AUG_FLIP, 0, 0, 0, "mode must be"},
        {NN_AUG_ROTATION, 3, 0.3f, 0.1f, "lower bound"},
        {NN_AUG_ZOOM, 3, -1.5f, 0.2f, "above -1"},
        {NN_AUG_TRANSLATION, 3, -0.2f, 1.5f, "within [-1, 1]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nn_model *m = nn_model_create("bad");
        nn_layer_cfg c = nn_layer_cfg_default(NN_INPUT);
        c.shape = nn_shape3(4, 4, 1);
        add1(m, c);
        c = aug_cfg(cases[i].kind, NN_FILL_REFLECT, NN_INTERP_BILINEAR);
        c.aug_flip = cases[i].flip;
        c.aug_lo[0] = cases[i].lo, c.aug_hi[0] = cases[i].hi;
        c.name = "aug";
        assert_int_equal(nn_model_push(m, &c), -1);
        assert_non_null(strstr(nn_model_error(m), "'aug'"));
        if (!strstr(nn_model_error(m), cases[i].want))
            fail_msg("message '%s' lacks '%s'", nn_model_error(m), cases[i].want);
        nn_model_destroy(m);
    }
    nn_model *m = nn_model_create("flat");
    nn_layer_cfg c = nn_layer_cfg_default(NN_INPUT);
    c.shape = nn_shape1(8);
    add1(m, c);
    c = aug_cfg(NN_AUG_FLIP, NN_FILL_REFLECT, NN_INTERP_BILINEAR);
    assert_int_equal(nn_model_push(m, &c), -1);
    assert_non_null(strstr(nn_model_error(m), "(height, width, channels)"));
    nn_model_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flip_4x4),
        cmocka_unit_test(test_rotation_90),
        cmocka_unit_test(test_translation_fills),
        cmocka_unit_test(test_bilinear_and_zoom),
        cmocka_unit_test(test_numpy_reference),
        cmocka_unit_test(test_counts_and_names),
        cmocka_unit_test(test_inference_identity_and_seed),
        cmocka_unit_test(test_own_stream),
        cmocka_unit_test(test_gradcheck),
        cmocka_unit_test(test_adjoint),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
