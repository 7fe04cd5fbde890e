/* Keras .h5 weights by name into the new bases (issue 15): tests/fixtures/h5/bases_subset.h5
 * (written by h5py in tf.keras's save_weights layout, make_h5_bases.py) holds some layers
 * of MobileNetV2(alpha=0.35) and EfficientNetB0 under Keras's names: Conv2D and
 * DepthwiseConv2D kernels, BatchNormalization's four weights, a Conv2D bias, and the
 * Normalization's mean, variance and scalar count. Loaded by name (subset mode), every
 * element must equal the file's, (t + 1) + i / 1024 for weight t, exactly; layers the
 * file lacks keep their values; the file's layers the model lacks are listed as skipped. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "data/h5.h"
#include "engine/bases.h"

static nn_model *base_model(const char *base)
{
    nn_model *m = nn_model_create(base);
    nn_layer_cfg c = nn_layer_cfg_default(NN_INPUT);
    c.shape = nn_shape3(32, 32, 3);
    nn_model_add(m, &c, NULL, 0);
    nn_base_opts o = {NULL, 0.35f};
    if (nn_base_find(base)->build(m, 0, &o) < 0)
        fail_msg("%s", nn_model_error(m));
    nn_rng r;
    nn_rng_seed(&r, 1);
    assert_int_equal(nn_model_finalize(m, &r), 0);
    return m;
}

/* Checks layer's weights against the file's values, t0 being its first weight's index. */
static void expect_weights(nn_model *m, const char *layer, int t0, int n_weights)
{
    int li = nn_model_find(m, layer);
    assert_true(li > 0);
    nn_layer *l = m->layers[li];
    assert_int_equal(l->n_params, n_weights);
    for (int p = 0; p < l->n_params; p++)
        for (size_t i = 0; i < l->params[p].size; i++)
            if (l->params[p].data[i] != (float)((t0 + p + 1) + i / 1024.0))
                fail_msg("%s.%s[%zu] = %.9g, file %.9g", layer, l->params[p].name, i, l->params[p].data[i],
                         (t0 + p + 1) + i / 1024.0);
}

static void test_mobilenet_by_name(void **state)
{
    (void)state;
    nn_model *m = base_model("mobilenet_v2");
    float keep = m->layers[nn_model_find(m, "block_1_expand")]->params[0].data[0];
    char err[512];
    ds_weights_report rep;
    memset(&rep, 0, sizeof rep);
    if (ds_h5_load(m, DS_FIXTURES "/h5/bases_subset.h5", DS_H5_SUBSET, &rep, err, sizeof err) != 0)
        fail_msg("%s", err);
    expect_weights(m, "Conv1", 0, 1);
    expect_weights(m, "bn_Conv1", 1, 4);
    expect_weights(m, "expanded_conv_depthwise", 5, 1);
    expect_weights(m, "block_1_depthwise", 6, 1);
    assert_true(m->layers[nn_model_find(m, "block_1_expand")]->params[0].data[0] == keep);
    ds_weights_report_free(&rep);
    nn_model_destroy(m);
}

static void test_efficientnet_by_name(void **state)
{
    (void)state;
    nn_model *m = base_model("efficientnet_b0");
    char err[512];
    if (ds_h5_load(m, DS_FIXTURES "/h5/bases_subset.h5", DS_H5_SUBSET, NULL, err, sizeof err) != 0)
        fail_msg("%s", err);
    expect_weights(m, "normalization", 7, 3);
    expect_weights(m, "block1a_se_reduce", 10, 2);
    /* the loaded mean and variance are what the Normalization divides by */
    nn_layer *nz = m->layers[nn_model_find(m, "normalization")];
    float x[32 * 32 * 3];
    for (int i = 0; i < 32 * 32 * 3; i++)
        x[i] = 255.0f;
    assert_int_equal(nn_model_forward(m, x, 1, false), 0);
    /* Rescaling(1/255) gives 1; (1 - mean) / sqrt(variance), channel 0: mean 8, variance 9 */
    assert_float_equal(nz->out[0], (1.0 - 8.0) / 3.0, 1e-6);
    nn_model_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mobilenet_by_name),
        cmocka_unit_test(test_efficientnet_by_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
