/* The session's description of its model (ls_session_describe), what the window draws
 * from instead of parsing shape strings and notes:
 * - lesson 8 (InceptionV3 to mixed7) without its .h5: every layer, integer shapes, all
 *   four inputs of a Concatenate, one base flagged as running on random weights, the seed;
 * - lesson 1 (fashion_cnn with its shipped weights): the base is not flagged; the version
 *   changes after a freeze, again after the compile that makes it effective, not after a
 *   compile that changes nothing; a step's trace carries the version; the options' seed
 *   and a reseed show in the description. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "data/dataset.h"
#include "session/session.h"

static bool have_data(void)
{
    const char *d = ds_fmnist_dir(NULL);
    char probe[600];
    snprintf(probe, sizeof probe, "%s/train-labels-idx1-ubyte.gz", d);
    if (access(probe, R_OK) != 0) {
        fprintf(stderr, "  %s absent (Debian's dataset-fashion-mnist): skipped\n", d);
        return false;
    }
    return true;
}

static char *source_path(const char *rel)
{
    const char *src = getenv("DROPSCOPE_SOURCE_DIR"); /* set by meson's test environment */
    if (!src || !*src)
        src = DROPSCOPE_SOURCE_DIR;
    char *p = malloc(strlen(src) + strlen(rel) + 2);
    assert_non_null(p);
    sprintf(p, "%s/%s", src, rel);
    return p;
}

static ls_session *open_lesson(const char *rel, const ls_options *o)
{
    char *path = source_path(rel);
    char err[2048] = "";
    ls_lesson *l = ls_lesson_load(path, err, sizeof err);
    if (!l)
        fail_msg("%s", err);
    ls_session *s = ls_session_create(l, o, err, sizeof err);
    if (!s)
        fail_msg("%s", err);
    free(path);
    return s;
}

static int find(const ls_model_desc *d, const char *name)
{
    for (int i = 0; i < d->n_layers; i++)
        if (!strcmp(d->layers[i].name, name))
            return i;
    fail_msg("no layer '%s' in the description", name);
    return -1;
}

static void test_inception_reference(void **state)
{
    (void)state;
    if (!have_data())
        skip();
    char *h5 = source_path("lessons/inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5");
    char *h5a = source_path("assets/inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5");
    bool weights_absent = access(h5, R_OK) != 0 && access(h5a, R_OK) != 0;
    free(h5);
    free(h5a);
    ls_options o = ls_options_default();
    o.quiet = true;
    ls_session *s = open_lesson("lessons/08-inception-reference.lesson", &o);
    const ls_model_desc *d = ls_session_describe(s);
    const nn_model *m = ls_session_model(s);
    assert_true(d->version >= 1);
    assert_int_equal(d->n_layers, m->n_layers);
    for (int i = 0; i < d->n_layers; i++) {
        assert_string_equal(d->layers[i].name, m->layers[i]->name);
        assert_int_equal(d->layers[i].n_inputs, m->layers[i]->n_inputs);
    }
    /* integer shapes: the input, the features at mixed7, the head */
    const ls_layer_desc *in = &d->layers[0];
    assert_int_equal(in->shape.rank, 3);
    assert_int_equal(in->shape.d[0], 150);
    assert_int_equal(in->shape.d[2], 3);
    assert_int_equal(in->units, 3);
    const ls_layer_desc *mixed7 = &d->layers[find(d, "mixed7")];
    assert_int_equal(mixed7->type, NN_CONCAT);
    assert_int_equal(mixed7->shape.rank, 3);
    assert_int_equal(mixed7->shape.d[0], 7);
    assert_int_equal(mixed7->units, 768);
    assert_int_equal(d->layers[find(d, "dense_1")].units, 1024);
    const ls_layer_desc *drop = &d->layers[find(d, "dropout")];
    assert_true((float)drop->rate == 0.2f); /* the parser reads it through a float today */
    assert_int_equal(drop->inputs[0], find(d, "dense_1"));
    assert_int_equal(d->layers[find(d, "dense")].params, 19268096);
    /* every input of a Concatenate, in order */
    int mixed0 = find(d, "mixed0");
    const nn_layer *c = m->layers[mixed0];
    assert_int_equal(d->layers[mixed0].n_inputs, 4);
    for (int k = 0; k < 4; k++)
        assert_int_equal(d->layers[mixed0].inputs[k], c->inputs[k]);
    /* one base, frozen, all its layers pointing at it */
    assert_int_equal(d->n_bases, 1);
    const ls_base_desc *b = &d->bases[0];
    assert_string_equal(b->name, "inception_v3");
    assert_true(b->count > 200);
    assert_int_equal(b->first + b->count - 1, find(d, "mixed7"));
    for (int i = b->first; i < b->first + b->count; i++) {
        assert_int_equal(d->layers[i].base, 0);
        assert_false(d->layers[i].trainable);
        assert_true(d->layers[i].frozen);
    }
    assert_int_equal(d->layers[find(d, "dense")].base, -1);
    if (weights_absent)
        assert_true(b->random_weights);
    else
        fprintf(stderr, "  InceptionV3's .h5 is present: its random_weights flag not checked\n");
    assert_true(d->seed == 1);
    assert_true(ls_session_seed(s) == 1);
    ls_session_destroy(s);
}

static void test_version_follows_changes(void **state)
{
    (void)state;
    if (!have_data())
        skip();
    ls_options o = ls_options_default();
    o.quiet = true;
    o.seed_set = true;
    o.seed = 7;
    ls_session *s = open_lesson("lessons/01-which-neurons.lesson", &o);
    const ls_model_desc *d = ls_session_describe(s);
    assert_true(d->seed == 7);
    assert_true(ls_session_seed(s) == 7);
    assert_int_equal(d->n_bases, 1);
    assert_false(d->bases[0].random_weights); /* assets/fashion_cnn ships */
    int dense = find(d, "dense");
    assert_int_equal(d->layers[dense].shape.rank, 1);
    assert_int_equal(d->layers[dense].units, 512);
    assert_int_equal(d->layers[dense].n_inputs, 1);
    assert_int_equal(d->layers[dense].inputs[0], find(d, "flatten"));

    unsigned v0 = d->version;
    nn_trace *t = ls_session_step(s);
    assert_non_null(t);
    assert_int_equal(t->desc_version, v0);
    nn_trace_destroy(t);
    assert_int_equal(d->version, v0); /* a step changes nothing described */

    /* freeze: the live flag changes now, training obeys it after the compile */
    assert_int_equal(ls_session_set_trainable(s, "dense", false, false), 0);
    unsigned v1 = d->version;
    assert_int_not_equal(v1, v0);
    assert_false(d->layers[dense].trainable);
    assert_false(d->layers[dense].frozen);
    assert_int_equal(ls_session_compile(s), 0);
    unsigned v2 = d->version;
    assert_int_not_equal(v2, v1);
    assert_true(d->layers[dense].frozen);
    assert_int_equal(ls_session_compile(s), 0);
    assert_int_equal(d->version, v2); /* nothing changed */
    t = ls_session_step(s);
    assert_non_null(t);
    assert_int_equal(t->desc_version, v2);
    nn_trace_destroy(t);

    assert_int_equal(ls_session_set_rate(s, "dropout", 0.5f), 0);
    assert_int_not_equal(d->version, v2);
    assert_true(d->layers[find(d, "dropout")].rate == 0.5);
    unsigned v3 = d->version;
    ls_session_set_seed(s, 8);
    assert_true(d->seed == 8);
    assert_true(ls_session_seed(s) == 8);
    assert_int_not_equal(d->version, v3);
    ls_session_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inception_reference),
        cmocka_unit_test(test_version_follows_changes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
