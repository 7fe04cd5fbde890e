/* Issue 13: save as lesson (src/session/save.c).
 *
 * Lesson 1 (seed 7 given as an override, so the saved `fit` must carry it) runs 20
 * steps; then the Dropout rate goes to 0.5, dense is frozen (recompiled), at step 25
 * conv2d_1 is unfrozen and compiled, then dense is unfrozen without recompile (live flag
 * true, training still skips it), two inference steps run, the learning rate and the seed change,
 * and training goes on to step 37. After a last rate change (no step after it) the state
 * is saved with a view (example 4, layer dropout). The saved lesson is reopened with no
 * overrides and its steps run as `dropscope check` runs them: the step-37 snapshot (loss,
 * accuracy, every mask byte, every masked activation) and every weight tensor are
 * byte-identical to the original session's, and so are the live settings (rate, flags as
 * they are and as of compile, learning rate, mode, seed, step count). The saved text holds
 * the replay lines written by hand below, and the step-37 masks drop about half the units
 * (the rate change took effect), so a replay that lost a change fails.
 *
 * Needs Debian's dataset-fashion-mnist; skipped when it is absent. */
#include <math.h>
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
#include "engine/trace.h"
#include "lesson/lesson.h"
#include "session/save.h"
#include "session/session.h"

static ls_session *open_file(const char *path, bool seed_set, uint64_t seed)
{
    char err[2048] = "";
    ls_lesson *l = ls_lesson_load(path, err, sizeof err);
    if (!l)
        fail_msg("%s", err);
    ls_options o = ls_options_default();
    o.seed_set = seed_set;
    o.seed = seed;
    o.quiet = true;
    ls_session *s = ls_session_create(l, &o, err, sizeof err);
    if (!s)
        fail_msg("%s", err);
    return s;
}

/* Steps until the session has taken `to` optimizer steps; returns the last snapshot. */
static nn_trace *run_to(ls_session *s, long to)
{
    nn_trace *last = NULL;
    while (ls_session_steps(s) < to) {
        nn_trace_destroy(last);
        last = ls_session_step(s);
        if (!last)
            fail_msg("step: %s", ls_session_error(s));
    }
    return last;
}

static void keep_last(void *user, const nn_trace *t)
{
    nn_trace **keep = user;
    if (t->step == 37 && t->training) {
        nn_trace_destroy(*keep);
        *keep = nn_trace_clone(t);
    }
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void test_save_reopen_step37(void **state)
{
    (void)state;
    char probe[600];
    snprintf(probe, sizeof probe, "%s/train-labels-idx1-ubyte.gz", ds_fmnist_dir(NULL));
    if (access(probe, R_OK) != 0)
        skip();
    const char *src = getenv("DROPSCOPE_SOURCE_DIR");
    char lesson[1024], out[] = "/tmp/dropscope-test-save-XXXXXX";
    snprintf(lesson, sizeof lesson, "%s/lessons/01-which-neurons.lesson", src && *src ? src : DROPSCOPE_SOURCE_DIR);
    int fd = mkstemp(out);
    assert_true(fd >= 0);
    close(fd);

    ls_session *a = open_file(lesson, true, 7);
    nn_trace_destroy(run_to(a, 20));
    assert_int_equal(ls_session_validate(a, NULL, NULL), 0); /* changes nothing the replay needs */
    assert_int_equal(ls_session_set_rate(a, "dropout", 0.5), 0);
    assert_int_equal(ls_session_set_trainable(a, "dense", false, true), 0);
    nn_trace_destroy(run_to(a, 25));
    assert_int_equal(ls_session_set_trainable(a, "conv2d_1", true, false), 0);
    assert_int_equal(ls_session_compile(a), 0);
    assert_int_equal(ls_session_set_trainable(a, "dense", true, false), 0);
    ls_session_set_training(a, false);
    nn_trace_destroy(ls_session_step(a));
    nn_trace_destroy(ls_session_step(a));
    ls_session_set_training(a, true);
    assert_int_equal(ls_session_set_lr(a, 5e-4f), 0);
    ls_session_set_seed(a, 3);
    nn_trace *ta = run_to(a, 37);
    assert_non_null(ta);
    assert_int_equal(ta->step, 37);
    /* the rate change reached the mask: about half of 20 x 1024 dropped */
    double frac = (double)ta->dropout[0].dropped / ((double)ta->batch * ta->dropout[0].units);
    assert_true(frac > 0.45 && frac < 0.55);
    assert_int_equal(ls_session_set_rate(a, "dropout", 0.3), 0); /* after the last step */

    char err[1024] = "";
    ls_save_view view = {.has_example = true, .example = 4, .layer = "dropout"};
    if (ls_session_save_lesson(a, out, &view, err, sizeof err) < 0)
        fail_msg("%s", err);
    const char *text = slurp(out);
    const char *want[] = {"  seed 7\n", "  run 20 steps\n", "set dropout rate of \"dropout\" to 0.5\n",
                          "  freeze \"dense\" without recompile\n  compile\n", "  run 5 steps\n",
                          "  unfreeze \"conv2d_1\" without recompile\n  compile\n  unfreeze \"dense\" without recompile\n",
                          "  mode inference\n  run 2 steps\n", "  mode training\n", "  learning rate 0.000500000024\n", "  seed 3\n  run 12 steps\n",
                          "to 0.29999999999999999\n", "  show example 4\n",
                          "  focus layer \"dropout\"\n", "  expect steps == 37\n"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(text, want[i]))
            fail_msg("saved lesson lacks '%s':%s", want[i], strstr(text, "\nstep ") ? strstr(text, "\nstep ") : text);

    ls_session *b = open_file(out, false, 0);
    const ls_lesson *l = ls_session_lesson(b);
    nn_trace *tb = NULL;
    for (int i = 0; i < l->n_steps; i++)
        for (int j = 0; j < l->steps[i].n_items; j++)
            if (l->steps[i].items[j].kind == LS_ITEM_ACTION &&
                ls_session_apply(b, &l->steps[i].items[j].u.action, keep_last, &tb) < 0)
                fail_msg("replay: %s", ls_session_error(b));
    assert_non_null(tb);
    assert_int_equal(ls_session_steps(b), 37);
    assert_memory_equal(&ta->loss, &tb->loss, sizeof ta->loss);
    assert_memory_equal(&ta->accuracy, &tb->accuracy, sizeof ta->accuracy);
    assert_int_equal(ta->n_dropout, tb->n_dropout);
    size_t units = (size_t)ta->batch * ta->dropout[0].units;
    assert_memory_equal(ta->dropout[0].mask, tb->dropout[0].mask, units);
    assert_memory_equal(ta->dropout[0].act, tb->dropout[0].act, units * sizeof(float));
    nn_model *ma = ls_session_model(a), *mb = ls_session_model(b);
    assert_int_equal(ma->n_layers, mb->n_layers);
    for (int i = 0; i < ma->n_layers; i++) {
        const nn_layer *x = ma->layers[i], *y = mb->layers[i];
        assert_int_equal(x->trainable, y->trainable);
        assert_int_equal(x->train_active, y->train_active);
        if (x->type == NN_DROPOUT)
            assert_memory_equal(&x->cfg.rate, &y->cfg.rate, sizeof x->cfg.rate);
        for (int p = 0; p < x->n_params; p++)
            assert_memory_equal(x->params[p].data, y->params[p].data, x->params[p].size * sizeof(float));
    }
    int dense = 6; /* input_1, the 4 base layers, flatten, then dense */
    assert_string_equal(ma->layers[dense]->name, "dense");
    assert_true(ma->layers[dense]->trainable && !ma->layers[dense]->train_active);
    assert_true(ma->opt.lr == mb->opt.lr && ma->opt.lr == 5e-4f);
    assert_int_equal(ls_session_training(b), true);
    assert_int_equal(ls_session_seed(b), 3);
    nn_trace_destroy(ta);
    nn_trace_destroy(tb);
    ls_session_destroy(a);
    ls_session_destroy(b);
    unlink(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_save_reopen_step37),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
