/* The Keras scripts students paste (issues 13 and 15), imported and checked against
 * Keras's own numbers:
 * - the seed snippet (tests/fixtures/keras/seed_snippet.py): RMSprop used on line 36
 *   without an import is read as tensorflow.keras.optimizers.RMSprop with one note;
 *   the weights file that is not there is said once; Keras's summary() counts for the
 *   question's model are 28,769,697 / 19,794,433 / 8,975,264 (KERAS_SEMANTICS.md: the
 *   base to mixed7 holds 8,975,264; Dense 19,268,096 + 525,312 + 1,025);
 * - names that are not Keras's stay errors; a Keras name used twice is noted once;
 * - the notes go to the lesson's 'notes' block, never into a step's text.
 * DS_TEST_SHOW=1 prints the notes and lessons. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "keras/keras.h"
#include "lesson/lesson.h"

static char err[4096];

static bool show(void)
{
    const char *s = getenv("DS_TEST_SHOW");
    return s && *s && strcmp(s, "0");
}

static char *read_fixture(const char *name, size_t *len)
{
    const char *d = getenv("DROPSCOPE_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/keras/%s", d && *d ? d : ".", name);
    FILE *f = fopen(path, "rb");
    if (!f)
        print_error("cannot open %s\n", path);
    assert_non_null(f);
    char *buf = malloc(1 << 20);
    assert_non_null(buf);
    *len = fread(buf, 1, (1 << 20) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

/* Imports (name, text), parses the lesson; fails the test on any error. */
static ls_lesson *import_text(const char *name, const char *text, char **notes_out)
{
    char *notes = NULL;
    char *lesson = ls_keras_import_ex(name, text, strlen(text), &notes, err, sizeof err);
    if (!lesson)
        print_error("%s\n", err);
    assert_non_null(lesson);
    if (show())
        printf("---- %s ----\n%s%s", name, notes, lesson);
    ls_lesson *l = ls_lesson_parse(name, lesson, strlen(lesson), err, sizeof err);
    if (!l)
        print_error("%s\n", err);
    assert_non_null(l);
    free(lesson);
    if (notes_out)
        *notes_out = notes;
    else
        free(notes);
    return l;
}

static ls_lesson *import_fixture(const char *file, char **notes)
{
    size_t len;
    char *text = read_fixture(file, &len);
    ls_lesson *l = import_text(file, text, notes);
    free(text);
    return l;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *s = hay; (s = strstr(s, needle)); s += strlen(needle))
        n++;
    return n;
}

static void no_notes_in_steps(const ls_lesson *l)
{
    for (int s = 0; s < l->n_steps; s++)
        for (int i = 0; i < l->steps[s].n_items; i++)
            if (l->steps[s].items[i].kind == LS_ITEM_TEXT) {
                assert_null(strstr(l->steps[s].items[i].u.text, "is not imported"));
                assert_null(strstr(l->steps[s].items[i].u.text, "not found"));
            }
}

static void expect_counts(const ls_lesson *l, size_t total, size_t trainable, size_t frozen)
{
    nn_model *m = ls_lesson_build_model(l, err, sizeof err);
    if (!m)
        print_error("%s\n", err);
    assert_non_null(m);
    nn_param_counts pc = nn_model_count_params(m);
    if (pc.total != total || pc.trainable != trainable || pc.non_trainable != frozen)
        print_error("counts %zu / %zu / %zu, Keras's %zu / %zu / %zu\n", pc.total, pc.trainable, pc.non_trainable,
                    total, trainable, frozen);
    assert_int_equal(pc.total, total);
    assert_int_equal(pc.trainable, trainable);
    assert_int_equal(pc.non_trainable, frozen);
    nn_model_destroy(m);
}

static void test_seed_snippet(void **state)
{
    (void)state;
    char *notes;
    ls_lesson *l = import_fixture("seed_snippet.py", &notes);
    assert_int_equal(count(notes, "seed_snippet.py:36: note: RMSprop is not imported; read as "
                                  "tensorflow.keras.optimizers.RMSprop; Python would stop here with NameError\n"), 1);
    /* the weights file the snippet names is not next to it: said once */
    assert_int_equal(count(notes, "weights.h5 not found: the base will run on random weights"), 1);
    assert_int_equal(count(notes, "seed_snippet.py:17: note: weights.h5 not found"), 1);
    /* read as Keras's RMSprop, lr= as written */
    assert_int_equal(l->compile.opt.kind, NN_OPT_RMSPROP);
    assert_true(l->compile.opt.lr == 0.0001f);
    assert_true(l->compile.lr_alias);
    assert_int_equal(l->compile.loss, NN_LOSS_BCE);
    /* the notes are the lesson's, not a step's */
    assert_non_null(l->notes);
    assert_non_null(strstr(l->notes, "line 36: RMSprop is not imported"));
    no_notes_in_steps(l);
    expect_counts(l, 28769697, 19794433, 8975264);
    free(notes);
    ls_lesson_destroy(l);
}

static const char conv_head[] =
    "from tensorflow.keras import layers\n"
    "model = Sequential([layers.Conv2D(8, 3, activation='relu', input_shape=(28, 28, 1)),\n"
    "                    layers.Flatten(), Dense(10, activation='softmax')])\n";

/* Sequential and Dense unimported too; Adam twice: one note each, bound from then on. */
static void test_unimported_names(void **state)
{
    (void)state;
    char text[2048];
    snprintf(text, sizeof text, "%s%s", conv_head,
             "opt = Adam(learning_rate=0.01)\nopt = Adam(learning_rate=0.001)\n"
             "model.compile(optimizer=opt, loss='sparse_categorical_crossentropy', metrics=['accuracy'])\n");
    char *notes;
    ls_lesson *l = import_text("u.py", text, &notes);
    assert_int_equal(count(notes, "u.py:2: note: Sequential is not imported; read as tensorflow.keras.Sequential; "
                                  "Python would stop here with NameError\n"), 1);
    assert_int_equal(count(notes, "u.py:3: note: Dense is not imported; read as tensorflow.keras.layers.Dense;"), 1);
    assert_int_equal(count(notes, "Adam is not imported"), 1);
    assert_int_equal(count(notes, "u.py:4: note: Adam is not imported; read as tensorflow.keras.optimizers.Adam;"), 1);
    assert_int_equal(l->compile.opt.kind, NN_OPT_ADAM);
    assert_true(l->compile.opt.lr == 0.001f);
    /* Keras: conv 8*(9+1) = 80; dense 26*26*8*10 + 10 = 54,090 */
    expect_counts(l, 54170, 54170, 0);
    free(notes);
    ls_lesson_destroy(l);
}

/* A name Keras does not have stays an error, where the model needs it. */
static void test_not_keras_names(void **state)
{
    (void)state;
    char text[2048];
    snprintf(text, sizeof text, "%s%s", conv_head,
             "model.compile(optimizer=RMSProp(lr=0.001), loss='sparse_categorical_crossentropy')\n");
    assert_null(ls_keras_import("n.py", text, strlen(text), err, sizeof err));
    assert_string_equal(err, "n.py:4:25: 'RMSProp' (line 4) uses the name 'RMSProp', which this file does not define");
    snprintf(text, sizeof text, "%s%s", conv_head,
             "model.compile(optimizer=my_optimizer, loss='sparse_categorical_crossentropy')\n");
    assert_null(ls_keras_import("n.py", text, strlen(text), err, sizeof err));
    assert_string_equal(err, "n.py:4:25: 'my_optimizer' (line 4) uses the name 'my_optimizer', which this file does not define");
}

/* The lesson's notes block: '>' paragraphs, one note each; only before the steps. */
static void test_notes_block(void **state)
{
    (void)state;
    static const char lesson[] =
        "title \"t\"\nnotes\n  > line 3: one\n  >\n  > line 4: two\ndata fashion_mnist\n  classes 0, 1\n"
        "model\n  Input(shape=(28, 28, 1))\n  Flatten()\n  Dense(2, activation=softmax)\n"
        "compile\n  loss sparse_categorical_crossentropy\n";
    ls_lesson *l = ls_lesson_parse("n.lesson", lesson, strlen(lesson), err, sizeof err);
    if (!l)
        print_error("%s\n", err);
    assert_non_null(l);
    assert_string_equal(l->notes, "line 3: one\n\nline 4: two");
    ls_lesson_destroy(l);
    char bad[1024];
    snprintf(bad, sizeof bad, "%sstep \"s\"\n  run 1 steps\nnotes\n  > late\n", lesson);
    assert_null(ls_lesson_parse("n.lesson", bad, strlen(bad), err, sizeof err));
    assert_string_equal(err, "n.lesson:16:1: 'notes' must come before the first step");
    /* a notes line with no text */
    static const char empty[] = "title \"t\"\nnotes\ndata fashion_mnist\n";
    assert_null(ls_lesson_parse("n.lesson", empty, strlen(empty), err, sizeof err));
    assert_non_null(strstr(err, "expected the text of 'notes'"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_snippet),
        cmocka_unit_test(test_unimported_names),
        cmocka_unit_test(test_not_keras_names),
        cmocka_unit_test(test_notes_block),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
