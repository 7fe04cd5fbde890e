/* Keras import (src/keras/keras.h): the reference model of KERAS_SEMANTICS.md
 * into the lesson it must be (InceptionV3 cut at mixed7, frozen, the head, Keras's
 * parameter counts), the variants students write (Sequential, add, tf.keras spellings,
 * standalone keras, optimizers as strings and objects, metrics=['acc'], multi-line
 * calls, comments, a conv net without a base, trainable on single layers, the base
 * called as a layer), Keras's automatic names after InceptionV3, the notes, and a table
 * of rejected inputs each with its exact path:line:col and message.
 * DS_TEST_SHOW=1 prints the messages and the lessons. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "keras/keras.h"
#include "../keras/keras_fixture.h"
#include "session/load.h"
#include "lesson/lesson.h"
#include "session/session.h"

static char err[4096];

static bool show(void)
{
    const char *s = getenv("DS_TEST_SHOW");
    return s && *s && strcmp(s, "0");
}

static const char *source_dir(void)
{
    const char *d = getenv("DROPSCOPE_SOURCE_DIR");
    return d && *d ? d : ".";
}

/* Imports text and parses the lesson it gives; fails the test on any error. */
static ls_lesson *import_ok(const char *name, const char *text, size_t len, char **lesson_out, char **notes_out)
{
    char *notes = NULL;
    char *lesson = ls_keras_import_ex(name, text, len, &notes, err, sizeof err);
    if (!lesson)
        print_error("%s\n", err);
    assert_non_null(lesson);
    assert_non_null(notes);
    if (show())
        printf("---- %s ----\n%s%s", name, notes, lesson);
    ls_lesson *l = ls_lesson_parse(name, lesson, strlen(lesson), err, sizeof err);
    if (!l)
        print_error("%s\n", err);
    assert_non_null(l);
    if (lesson_out)
        *lesson_out = lesson;
    else
        free(lesson);
    if (notes_out)
        *notes_out = notes;
    else
        free(notes);
    return l;
}

static ls_lesson *import_fixture(const char *file, char **lesson_out, char **notes_out)
{
    size_t len;
    char *text = keras_fixture_read(file, &len);
    ls_lesson *l = import_ok(file, text, len, lesson_out, notes_out);
    free(text);
    return l;
}

static ls_lesson *import_str(const char *text, char **lesson_out, char **notes_out)
{
    return import_ok("x.py", text, strlen(text), lesson_out, notes_out);
}

static const ls_decl *layer_decl(const ls_lesson *l, int i, nn_layer_type t)
{
    assert_true(i < l->n_decls);
    assert_int_equal(l->decls[i].kind, LS_DECL_LAYER);
    assert_int_equal(l->decls[i].cfg.type, t);
    return &l->decls[i];
}

static nn_model *build(const ls_lesson *l)
{
    nn_model *m = ls_lesson_build_model(l, err, sizeof err);
    if (!m)
        print_error("%s\n", err);
    assert_non_null(m);
    return m;
}

static bool has_step_expect(const ls_lesson *l, const char *text)
{
    for (int s = 0; s < l->n_steps; s++)
        for (int i = 0; i < l->steps[s].n_items; i++) {
            const ls_item *it = &l->steps[s].items[i];
            if (it->kind == LS_ITEM_EXPECT && strstr(it->u.expect.text, text))
                return true;
        }
    return false;
}

/* ---- the reference model ---- */

/* KERAS_SEMANTICS.md's reference code, exactly, with the imports it needs. */
static const char reference_py[] =
    "from tensorflow.keras import layers\n"
    "from tensorflow.keras import Model\n"
    "from tensorflow.keras.applications.inception_v3 import InceptionV3\n"
    "from tensorflow.keras.optimizers import RMSprop\n"
    "\n"
    "pre_trained_model = InceptionV3(input_shape=(150, 150, 3), include_top=False, weights=None)\n"
    "pre_trained_model.load_weights('weights.h5')\n"
    "for layer in pre_trained_model.layers:\n"
    "    layer.trainable = False\n"
    "last_output = pre_trained_model.get_layer('mixed7').output\n"
    "x = layers.Flatten()(last_output)\n"
    "x = layers.Dense(512, activation='relu')(x)\n"
    "x = layers.Dense(1024, activation='relu')(x)\n"
    "x = layers.Dropout(0.2)(x)\n"
    "x = layers.Dense(1, activation='sigmoid')(x)\n"
    "model = Model(pre_trained_model.input, x)\n"
    "model.compile(optimizer=RMSprop(lr=0.0001), loss='binary_crossentropy', metrics=['accuracy'])\n";

static void check_reference_lesson(const ls_lesson *l)
{
    /* data: two classes, images resized to the model's input */
    assert_int_equal(l->data.kind, LS_DATA_FASHION);
    assert_int_equal(l->data.n_classes, 2);
    assert_int_equal(l->data.classes[0], 7);
    assert_int_equal(l->data.classes[1], 9);
    assert_int_equal(l->data.resize_h, 150);
    assert_int_equal(l->data.resize_w, 150);
    assert_int_equal(l->data.channels, 3);
    /* model: the base cut at mixed7, frozen, with the weights file; the head */
    assert_int_equal(l->n_decls, 6);
    const ls_decl *b = &l->decls[0];
    assert_int_equal(b->kind, LS_DECL_BASE);
    assert_string_equal(b->base, "inception_v3");
    assert_string_equal(b->cut, "mixed7");
    assert_true(b->frozen);
    assert_non_null(b->weights);
    assert_int_equal(b->cfg.shape.rank, 3);
    assert_int_equal(b->cfg.shape.d[0], 150);
    layer_decl(l, 1, NN_FLATTEN);
    const ls_decl *d = layer_decl(l, 2, NN_DENSE);
    assert_int_equal(d->cfg.units, 512);
    assert_int_equal(d->cfg.act, NN_ACT_RELU);
    assert_false(d->frozen);
    d = layer_decl(l, 3, NN_DENSE);
    assert_int_equal(d->cfg.units, 1024);
    d = layer_decl(l, 4, NN_DROPOUT);
    assert_true(d->cfg.rate > 0.1999 && d->cfg.rate < 0.2001);
    d = layer_decl(l, 5, NN_DENSE);
    assert_int_equal(d->cfg.units, 1);
    assert_int_equal(d->cfg.act, NN_ACT_SIGMOID);
    /* compile: RMSprop(lr=0.0001) kept as lr= (the alias), binary cross-entropy, accuracy */
    assert_int_equal(l->compile.opt.kind, NN_OPT_RMSPROP);
    assert_true(l->compile.opt.lr == 0.0001f);
    assert_true(l->compile.lr_alias);
    assert_int_equal(l->compile.loss, NN_LOSS_BCE);
    assert_true(l->compile.accuracy);
    assert_int_equal(l->compile.profile, LS_KERAS_2);
    /* the built model: Keras's names and counts */
    nn_model *m = build(l);
    nn_param_counts c = nn_model_count_params(m);
    assert_int_equal(c.non_trainable, 8975264);
    assert_int_equal(c.trainable, 19268096 + 525312 + 1025);
    assert_int_equal(nn_layer_param_count(m->layers[nn_model_find(m, "dense")]), 19268096);
    assert_int_equal(nn_layer_param_count(m->layers[nn_model_find(m, "dense_1")]), 525312);
    assert_int_equal(nn_layer_param_count(m->layers[nn_model_find(m, "dense_2")]), 1025);
    assert_true(nn_model_find(m, "dropout") >= 0);
    assert_true(nn_model_find(m, "mixed7") >= 0);
    assert_true(nn_model_find(m, "mixed8") < 0);
    assert_int_equal(m->n_layers, 229 + 5);
    nn_model_destroy(m);
    /* the steps measure what the question is about */
    assert_true(l->n_steps >= 2);
    assert_true(has_step_expect(l, "trainable params == 19794433"));
    assert_true(has_step_expect(l, "non-trainable params == 8975264"));
    assert_true(has_step_expect(l, "weight change of base == 0"));
    assert_true(has_step_expect(l, "dropped fraction of dropout within 0.15..0.25"));
}

static void test_reference(void **state)
{
    (void)state;
    char *lesson;
    ls_lesson *l = import_str(reference_py, &lesson, NULL);
    check_reference_lesson(l);
    assert_string_equal(l->decls[0].weights, "weights.h5");
    /* the base line as the lesson format documents it */
    assert_non_null(strstr(lesson, "  base inception_v3(input_shape=(150, 150, 3), cut=mixed7, weights=\"weights.h5\") frozen\n"
                                   "  Flatten()\n"
                                   "  Dense(512, activation=relu)\n"
                                   "  Dense(1024, activation=relu)\n"
                                   "  Dropout(0.2)\n"
                                   "  Dense(1, activation=sigmoid)\n"));
    assert_non_null(strstr(lesson, "  optimizer RMSprop(lr=0.0001)\n"));
    free(lesson);
    ls_lesson_destroy(l);
    /* the committed fixture, the same model with a weights variable and more imports */
    l = import_fixture("reference.py", NULL, NULL);
    check_reference_lesson(l);
    ls_lesson_destroy(l);
}

/* The same model in the notebook a student exports: shell commands, plots, data
 * generators, a callback class, fit; multi-line calls with spaces around '='. */
static void test_notebook(void **state)
{
    (void)state;
    char *notes;
    ls_lesson *l = import_fixture("notebook.py", NULL, &notes);
    assert_int_equal(l->n_decls, 5);
    assert_string_equal(l->decls[0].cut, "mixed7");
    assert_true(l->decls[0].frozen);
    assert_string_equal(l->decls[0].weights, "/tmp/inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5");
    assert_int_equal(layer_decl(l, 2, NN_DENSE)->cfg.units, 1024);
    assert_false(l->compile.lr_alias); /* learning_rate= */
    assert_true(l->compile.opt.lr == 0.0001f);
    assert_int_equal(l->fit.batch, 20); /* flow_from_directory(batch_size=20) */
    static const char *const want[] = {
        "notebook.py:2: note: `!wget --no-check-certificate \\` is not imported: a notebook command\n",
        "notebook.py:5: note: `%matplotlib inline` is not imported: a notebook command\n",
        "notebook.py:7: note: `import os` is not imported: dropscope reads only the Keras model\n",
        "notebook.py:32: note: print(...) is not imported: printing does not change the model\n",
        "notebook.py:59: note: ImageDataGenerator(...) is not imported: the lesson uses Fashion-MNIST (or your own images: data folder \"DIR\")\n",
        "notebook.py:68: note: train_datagen.flow_from_directory(...) is not imported: the lesson uses Fashion-MNIST",
        "notebook.py:77: note: class myCallback is not imported: callbacks act inside model.fit, which dropscope does not import\n",
        "notebook.py:85: note: model.fit(...) is not imported: dropscope trains step by step\n",
        "notebook.py:94: note: `acc = history.history['accuracy']` is not imported: it does not build the model\n",
        "notebook.py:101: note: plt.plot(...) is not imported: dropscope draws its own plots\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        if (!strstr(notes, want[i]))
            print_error("missing note: %s\nnotes:\n%s", want[i], notes);
        assert_non_null(strstr(notes, want[i]));
    }
    /* every statement outside the model is said, none twice */
    int n = 0;
    for (const char *s = notes; (s = strchr(s, '\n')); s++)
        n++;
    /* the weights file, said once when it is not there (issue 13) */
    bool missing = access("/tmp/inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5", F_OK) != 0;
    if (missing)
        assert_non_null(strstr(notes, "notebook.py:24: note: /tmp/inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5 not found: the base will run on random weights\n"));
    assert_int_equal(n, 30 + missing);
    free(notes);
    /* and the notes are in the lesson's notes (for the window), not in a step's text (issue 13) */
    assert_non_null(l->notes);
    assert_non_null(strstr(l->notes, "line 85: model.fit(...) is not imported: dropscope trains step by step"));
    for (int s = 0; s < l->n_steps; s++)
        for (int i = 0; i < l->steps[s].n_items; i++)
            if (l->steps[s].items[i].kind == LS_ITEM_TEXT)
                assert_null(strstr(l->steps[s].items[i].u.text, "is not imported"));
    ls_lesson_destroy(l);
}

/* ---- variants ---- */

static void test_sequential(void **state)
{
    (void)state;
    ls_lesson *l = import_fixture("sequential.py", NULL, NULL);
    /* the Input Keras makes for a Sequential model: flatten_input, (28, 28) read as (28, 28, 1) */
    assert_int_equal(l->n_decls, 5);
    const ls_decl *in = layer_decl(l, 0, NN_INPUT);
    assert_string_equal(in->name, "flatten_input");
    assert_int_equal(in->cfg.shape.d[2], 1);
    layer_decl(l, 1, NN_FLATTEN);
    assert_int_equal(layer_decl(l, 2, NN_DENSE)->cfg.act, NN_ACT_RELU); /* activation=tf.nn.relu */
    layer_decl(l, 3, NN_DROPOUT);
    assert_int_equal(layer_decl(l, 4, NN_DENSE)->cfg.act, NN_ACT_SOFTMAX);
    assert_int_equal(l->data.n_classes, 10);
    assert_int_equal(l->data.resize_h, 0);
    assert_int_equal(l->compile.opt.kind, NN_OPT_ADAM); /* tf.optimizers.Adam() */
    assert_int_equal(l->compile.loss, NN_LOSS_SCCE);
    assert_int_equal(l->fit.batch, 32); /* model.fit(x, y) uses Keras's default batch size */
    nn_model *m = build(l);
    assert_int_equal(nn_model_count_params(m).total, 101770);
    nn_model_destroy(m);
    ls_lesson_destroy(l);
}

static void test_sequential_add(void **state)
{
    (void)state;
    ls_lesson *l = import_fixture("sequential_add.py", NULL, NULL);
    assert_int_equal(l->n_decls, 10);
    assert_string_equal(layer_decl(l, 0, NN_INPUT)->name, "conv2d_input");
    const ls_decl *c = layer_decl(l, 1, NN_CONV2D);
    assert_int_equal(c->cfg.filters, 32);
    assert_int_equal(c->cfg.kh, 3);
    const ls_decl *p = layer_decl(l, 5, NN_MAXPOOL2D); /* MaxPooling2D(2, 2): pool 2, strides 2 */
    assert_int_equal(p->cfg.kh, 2);
    assert_int_equal(p->cfg.sh, 2);
    layer_decl(l, 3, NN_BATCHNORM);
    assert_true(layer_decl(l, 8, NN_DROPOUT)->cfg.rate == 0.5);
    assert_int_equal(l->compile.opt.kind, NN_OPT_ADAM); /* 'adam' */
    assert_true(l->compile.opt.lr == 0.001f);
    assert_true(l->compile.accuracy); /* metrics=['acc'] */
    nn_model *m = build(l);
    nn_param_counts pc = nn_model_count_params(m);
    assert_int_equal(pc.total, 121473);
    assert_int_equal(pc.non_trainable, 64); /* BatchNormalization's moving statistics */
    assert_int_equal(nn_model_find(m, "conv2d_1"), 4);
    nn_model_destroy(m);
    ls_lesson_destroy(l);
}

static void test_functional_conv(void **state)
{
    (void)state;
    char *lesson;
    ls_lesson *l = import_fixture("functional_conv.py", &lesson, NULL);
    /* names given with name= are kept; inputs named where not the line above */
    assert_string_equal(layer_decl(l, 0, NN_INPUT)->name, "image");
    const ls_decl *large = layer_decl(l, 2, NN_CONV2D);
    assert_string_equal(large->name, "large");
    assert_int_equal(large->n_inputs, 1);
    assert_string_equal(large->inputs[0], "image");
    /* model.layers[1] is 'large' (Keras orders model.layers by depth) */
    assert_true(large->frozen);
    assert_false(layer_decl(l, 1, NN_CONV2D)->frozen);
    const ls_decl *cat = layer_decl(l, 5, NN_CONCAT);
    assert_int_equal(cat->n_inputs, 2);
    assert_string_equal(cat->inputs[0], "conv2d");
    assert_string_equal(cat->inputs[1], "activation");
    layer_decl(l, 7, NN_GAP2D);
    /* SGD(0.01, momentum=0.9, nesterov=True) given positionally to compile */
    assert_int_equal(l->compile.opt.kind, NN_OPT_SGD);
    assert_true(l->compile.opt.lr == 0.01f);
    assert_true(l->compile.opt.momentum == 0.9f);
    assert_true(l->compile.opt.nesterov);
    assert_int_equal(l->compile.loss, NN_LOSS_SCCE);
    assert_int_equal(l->data.n_classes, 3);
    assert_true(l->compile.accuracy);
    assert_non_null(strstr(lesson, "  Concatenate()([conv2d, activation])\n"));
    free(lesson);
    ls_lesson_destroy(l);
}

static void test_single_trainable(void **state)
{
    (void)state;
    ls_lesson *l = import_fixture("single_trainable.py", NULL, NULL);
    assert_true(layer_decl(l, 2, NN_DENSE)->frozen);      /* Dense(..., trainable=False) */
    const ls_decl *h = layer_decl(l, 3, NN_DENSE);         /* get_layer('hidden').trainable = False */
    assert_string_equal(h->name, "hidden");
    assert_true(h->frozen);
    assert_false(layer_decl(l, 5, NN_DENSE)->frozen);     /* frozen after compile: still trains */
    assert_int_equal(l->compile.opt.kind, NN_OPT_ADAM);
    assert_true(l->compile.opt.lr == 0.001f);
    assert_true(l->compile.opt.beta1 == 0.8f);
    /* ... which the lesson shows as Keras does: summary sees it frozen, training does not */
    bool act = false;
    for (int i = 0; i < l->steps[0].n_items; i++) {
        const ls_item *it = &l->steps[0].items[i];
        if (it->kind == LS_ITEM_ACTION && it->u.action.kind == LS_ACT_FREEZE) {
            assert_string_equal(it->u.action.layer, "dense_1");
            assert_false(it->u.action.flag); /* without recompile */
            act = true;
        }
    }
    assert_true(act);
    assert_true(has_step_expect(l, "trainable params == 0"));
    assert_true(has_step_expect(l, "weight change of dense_1 > 0"));
    assert_true(has_step_expect(l, "weight change of hidden == 0"));
    ls_lesson_destroy(l);
}

static void test_nested_base(void **state)
{
    (void)state;
    char *notes;
    ls_lesson *l = import_fixture("nested_base.py", NULL, &notes);
    /* inputs = Input(...) after InceptionV3 made input_1: Keras calls it input_2 */
    assert_string_equal(layer_decl(l, 0, NN_INPUT)->name, "input_2");
    assert_int_equal(l->decls[1].kind, LS_DECL_BASE);
    assert_string_equal(l->decls[1].cut, "");   /* the whole base */
    assert_true(l->decls[1].frozen);            /* base_model.trainable = False */
    assert_null(l->decls[1].weights);           /* imagenet: not downloadable, said */
    assert_non_null(strstr(notes, "nested_base.py:9: note: weights='imagenet' cannot be downloaded here"));
    layer_decl(l, 2, NN_GAP2D);
    assert_int_equal(l->data.resize_h, 160);    /* IMG_SIZE + (3,) */
    assert_int_equal(l->compile.opt.kind, NN_OPT_ADAM);
    assert_true(l->compile.opt.lr == 0.0001f);
    nn_model *m = build(l);
    nn_param_counts pc = nn_model_count_params(m);
    assert_int_equal(pc.non_trainable, 21802784); /* InceptionV3 without top */
    assert_int_equal(pc.trainable, 2049);
    nn_model_destroy(m);
    free(notes);
    ls_lesson_destroy(l);
}

/* Spellings: tf.keras.layers.X, keras.layers.X (standalone), from ... import X, aliases,
 * optimizer strings in any case, Adam/SGD with arguments, metrics=['acc'], comments,
 * blank lines and continuation lines. */
static void test_spellings(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "import tensorflow as tf\n"
        "model = tf.keras.models.Sequential([\n"
        "    tf.keras.layers.Conv2D(16, (3, 3), activation='relu', input_shape=(28, 28, 1)),  # a comment\n"
        "\n"
        "    tf.keras.layers.MaxPooling2D(2, 2),\n"
        "    tf.keras.layers.Flatten(),\n"
        "    tf.keras.layers.Dense(1, activation='sigmoid')\n"
        "])\n"
        "model.compile(optimizer='RMSprop', loss='binary_crossentropy', metrics=['acc'])\n",

        "from keras import layers, models, optimizers\n"
        "model = models.Sequential()\n"
        "model.add(layers.Conv2D(16, (3, 3), activation='relu', input_shape=(28, 28, 1)))\n"
        "model.add(layers.MaxPooling2D(2, 2))\n"
        "model.add(layers.Flatten())\n"
        "model.add(layers.Dense(1, activation='sigmoid'))\n"
        "model.compile(optimizer=optimizers.RMSprop(learning_rate=1e-3), loss='binary_crossentropy',\n"
        "              metrics=['accuracy'])\n",

        "from tensorflow.keras.layers import Conv2D, MaxPooling2D as Pool, Flatten, Dense\n"
        "from tensorflow.keras.models import Sequential\n"
        "from tensorflow.keras.optimizers import SGD\n"
        "layer_list = [Conv2D(16, (3, 3), activation='relu', input_shape=(28, 28, 1)), Pool(2, 2)]\n"
        "layer_list.append(Flatten())\n"
        "layer_list += [Dense(1, activation='sigmoid')]\n"
        "model = Sequential(layer_list)\n"
        "model.compile(SGD(learning_rate=0.001, momentum=0.0), 'binary_crossentropy', metrics=('acc',))\n",

        "import tensorflow as tf\n"
        "from tensorflow import keras\n"
        "inputs = keras.Input(shape=(28, 28, 1))\n"
        "x = keras.layers.Conv2D(16, 3, \\\n"
        "                        activation='relu')(inputs)\n"
        "x = keras.layers.MaxPool2D()(x); x = keras.layers.Flatten()(x)\n"
        "outputs = keras.layers.Dense(1, activation=keras.activations.sigmoid)(x)\n"
        "model = keras.Model(inputs=inputs, outputs=outputs, name='small')\n"
        "model.compile(optimizer=keras.optimizers.Adam(), loss=keras.losses.BinaryCrossentropy(),\n"
        "              metrics=['accuracy'])\n",
    };
    static const nn_opt_kind opts[] = {NN_OPT_RMSPROP, NN_OPT_RMSPROP, NN_OPT_SGD, NN_OPT_ADAM};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        ls_lesson *l = import_str(texts[i], NULL, NULL);
        assert_int_equal(l->n_decls, 5);
        layer_decl(l, 1, NN_CONV2D);
        layer_decl(l, 2, NN_MAXPOOL2D);
        layer_decl(l, 3, NN_FLATTEN);
        assert_int_equal(layer_decl(l, 4, NN_DENSE)->cfg.act, NN_ACT_SIGMOID);
        assert_int_equal(l->compile.opt.kind, opts[i]);
        assert_true(l->compile.accuracy);
        nn_model *m = build(l);
        /* Conv2D(16, 3x3) on 28x28x1: 160; pool to 13x13x16; Dense(1): 2705 */
        assert_int_equal(nn_model_count_params(m).total, 160 + 2705);
        nn_model_destroy(m);
        ls_lesson_destroy(l);
    }
}

/* Keras names every unnamed layer from counters InceptionV3 has already advanced:
 * conv2d_94 after its conv2d .. conv2d_93, even when the base is cut at mixed7. */
static void test_names_after_base(void **state)
{
    (void)state;
    static const char text[] =
        "from tensorflow.keras import layers, Model\n"
        "from tensorflow.keras.applications.inception_v3 import InceptionV3\n"
        "extra = layers.Input(shape=(8,))   # made first: the base's input is input_2\n"
        "base = InceptionV3(input_shape=(150, 150, 3), include_top=False, weights=None)\n"
        "base.trainable = False\n"
        "x = base.get_layer('mixed7').output\n"
        "x = layers.Conv2D(16, 3, activation='relu')(x)\n"
        "x = layers.BatchNormalization()(x)\n"
        "x = layers.Flatten()(x)\n"
        "x = layers.Dropout(0.5)(x)\n"
        "x = layers.Dense(1, activation='sigmoid')(x)\n"
        "model = Model(base.input, x)\n"
        "model.compile(optimizer='rmsprop', loss='binary_crossentropy', metrics=['accuracy'])\n";
    char *lesson;
    ls_lesson *l = import_str(text, &lesson, NULL);
    assert_string_equal(layer_decl(l, 0, NN_INPUT)->name, "input_2");
    assert_string_equal(l->decls[1].cut, "mixed7");
    assert_string_equal(layer_decl(l, 2, NN_CONV2D)->name, "conv2d_94");
    assert_string_equal(layer_decl(l, 3, NN_BATCHNORM)->name, "batch_normalization_94");
    assert_string_equal(layer_decl(l, 4, NN_FLATTEN)->name, "");   /* flatten: the parser's name too */
    assert_non_null(strstr(lesson, "  layer conv2d_94 = Conv2D(16, 3, activation=relu)\n"));
    assert_true(has_step_expect(l, "dropped fraction of dropout within"));
    nn_model *m = build(l);
    assert_true(nn_model_find(m, "conv2d_94") >= 0);
    assert_true(nn_model_find(m, "flatten") >= 0);
    assert_true(nn_model_find(m, "dense") >= 0);
    nn_model_destroy(m);
    free(lesson);
    ls_lesson_destroy(l);

    /* clear_session() starts Keras's counters again */
    static const char text2[] =
        "import tensorflow as tf\n"
        "junk = tf.keras.layers.Dense(3)\n"
        "tf.keras.backend.clear_session()\n"
        "model = tf.keras.Sequential([tf.keras.layers.Flatten(input_shape=(28, 28, 1)),\n"
        "                             tf.keras.layers.Dense(1, activation='sigmoid')])\n"
        "model.compile(loss='binary_crossentropy')\n";
    l = import_str(text2, &lesson, NULL);
    assert_non_null(strstr(lesson, "\n  Dense(1, activation=sigmoid)\n")); /* dense, not dense_1 */
    free(lesson);
    ls_lesson_destroy(l);

    /* without clear_session the unused layer took 'dense' */
    static const char text3[] =
        "import tensorflow as tf\n"
        "junk = tf.keras.layers.Dense(3)\n"
        "model = tf.keras.Sequential([tf.keras.layers.Flatten(input_shape=(28, 28, 1)),\n"
        "                             tf.keras.layers.Dense(1, activation='sigmoid')])\n"
        "model.compile(loss='binary_crossentropy')\n";
    l = import_str(text3, &lesson, NULL);
    assert_non_null(strstr(lesson, "\n  layer dense_1 = Dense(1, activation=sigmoid)\n"));
    assert_false(l->compile.accuracy);
    free(lesson);
    ls_lesson_destroy(l);
}

/* The ways students freeze the base: the loop with a one-line body, base.trainable,
 * a slice of model.layers, nothing; and after compile (Keras keeps compile's flags). */
static void test_freeze_forms(void **state)
{
    (void)state;
    static const char head[] =
        "from tensorflow.keras import layers, Model\n"
        "from tensorflow.keras.applications.inception_v3 import InceptionV3\n"
        "base = InceptionV3(input_shape=(150, 150, 3), include_top=False, weights=None)\n";
    static const char tail[] =
        "x = layers.Flatten()(base.get_layer('mixed7').output)\n"
        "x = layers.Dense(8, activation='relu')(x)\n"
        "x = layers.Dense(1, activation='sigmoid')(x)\n"
        "model = Model(base.input, x)\n";
    static const char compile[] = "model.compile(optimizer='rmsprop', loss='binary_crossentropy')\n";
    static const struct {
        const char *before, *after;
        bool frozen, frozen_after, head_frozen;
    } cases[] = {
        {"for layer in base.layers: layer.trainable = False\n", "", true, false, false},
        {"base.trainable = False\n", "", true, false, false},
        {"", "", false, false, false},
        {"", "for layer in model.layers[:-3]:\n    layer.trainable = False\n", true, false, false},
        {"base.trainable = False\nbase.trainable = True\n", "", false, false, false},
        /* model.trainable = False wins over its layers' flags: Keras trains nothing */
        {"", "model.trainable = False\nfor l in model.layers[-2:]:\n    l.trainable = True\n", true, false, true},
        {"COMPILE", "base.trainable = False\n", false, true, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[2048];
        bool late = !strcmp(cases[i].before, "COMPILE");
        snprintf(text, sizeof text, "%s%s%s%s%s", head, late ? "" : cases[i].before, tail,
                 late ? compile : cases[i].after, late ? cases[i].after : compile);
        ls_lesson *l = import_str(text, NULL, NULL);
        assert_int_equal(l->decls[0].kind, LS_DECL_BASE);
        if (l->decls[0].frozen != cases[i].frozen)
            print_error("case %zu: frozen %d\n", i, l->decls[0].frozen);
        assert_int_equal(l->decls[0].frozen, cases[i].frozen);
        assert_int_equal(layer_decl(l, 2, NN_DENSE)->frozen, cases[i].head_frozen);
        assert_int_equal(has_step_expect(l, "weight change of base == 0"), cases[i].frozen);
        bool act = false;
        for (int k = 0; k < l->steps[0].n_items; k++) {
            const ls_item *it = &l->steps[0].items[k];
            if (it->kind == LS_ITEM_ACTION && it->u.action.kind == LS_ACT_FREEZE &&
                !strcmp(it->u.action.layer, "inception_v3") && !it->u.action.flag)
                act = true;
        }
        assert_int_equal(act, cases[i].frozen_after);
        ls_lesson_destroy(l);
    }
}

/* Slices follow Python: negative ends count from the end and out-of-range ends are
 * clamped, for lists (the units) and for model.layers (the flags). */
static void test_slices(void **state)
{
    (void)state;
    static const char text[] =
        "from tensorflow.keras import layers, models\n"
        "u = [2, 4, 8, 16][-2:99]\n"       /* [8, 16] */
        "v = [3, 5, 7][-9:1]\n"            /* [3] */
        "w = [1, 2][5:]\n"                 /* [] */
        "model = models.Sequential()\n"
        "model.add(layers.Flatten(input_shape=(28, 28)))\n"
        "model.add(layers.Dense(u[0]))\n"
        "model.add(layers.Dense(u[-1]))\n"
        "model.add(layers.Dense(v[0] + len(w)))\n"
        "model.add(layers.Dense(10))\n"
        "for l in model.layers[-99:2]:\n"  /* Flatten and the first Dense */
        "    l.trainable = False\n"
        "for l in model.layers[-1:99]:\n"  /* the last */
        "    l.trainable = False\n"
        "for l in model.layers[3:1]:\n"    /* none */
        "    l.trainable = True\n"
        "model.compile(optimizer='adam', loss='sparse_categorical_crossentropy')\n";
    ls_lesson *l = import_str(text, NULL, NULL);
    assert_int_equal(layer_decl(l, 2, NN_DENSE)->cfg.units, 8);
    assert_int_equal(layer_decl(l, 3, NN_DENSE)->cfg.units, 16);
    assert_int_equal(layer_decl(l, 4, NN_DENSE)->cfg.units, 3);
    assert_true(layer_decl(l, 2, NN_DENSE)->frozen);
    assert_false(layer_decl(l, 3, NN_DENSE)->frozen);
    assert_false(layer_decl(l, 4, NN_DENSE)->frozen);
    assert_true(layer_decl(l, 5, NN_DENSE)->frozen);
    ls_lesson_destroy(l);
}

/* ls_lesson_load_any: .py files are imported, lessons parsed. */
static void test_load_any(void **state)
{
    (void)state;
    char dir[] = "/tmp/ds_keras_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/model.PY", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(reference_py, f);
    fclose(f);
    assert_true(ls_is_python_path(path));
    assert_false(ls_is_python_path("x.lesson"));
    assert_false(ls_is_python_path("py"));
    ls_lesson *l = ls_lesson_load_any(path, err, sizeof err);
    if (!l)
        print_error("%s\n", err);
    assert_non_null(l);
    assert_string_equal(l->path, path); /* weights resolve next to the .py */
    check_reference_lesson(l);
    ls_lesson_destroy(l);
    /* an error names the .py */
    f = fopen(path, "wb");
    fputs("import tensorflow as tf\nx = tf.keras.layers.LSTM(3)\n", f);
    fclose(f);
    assert_null(ls_lesson_load_any(path, err, sizeof err));
    char want[512];
    snprintf(want, sizeof want, "%s:2:21: the layer 'LSTM' is not supported", path);
    assert_memory_equal(err, want, strlen(want));
    unlink(path);
    assert_null(ls_lesson_load_any(path, err, sizeof err));
    assert_non_null(strstr(err, "cannot open"));
    rmdir(dir);
    /* lessons go through the lesson parser */
    snprintf(path, sizeof path, "%s/tests/lesson/inception.lesson", source_dir());
    l = ls_lesson_load_any(path, err, sizeof err);
    assert_non_null(l);
    ls_lesson_destroy(l);
}

/* ---- rejected inputs ---- */

typedef struct {
    const char *what;
    int header;             /* 0: none; 1: imports; 2: imports, an Input and a base */
    const char *body;
    const char *message;    /* expected "x.py:LINE:COL: ..." (a prefix of the message) */
} bad_case;

static const char header1[] =
    "import tensorflow as tf\n"
    "from tensorflow.keras import layers, Model\n"
    "from tensorflow.keras.optimizers import RMSprop\n"
    "from tensorflow.keras.applications.inception_v3 import InceptionV3\n";
static const char header2[] =
    "import tensorflow as tf\n"
    "from tensorflow.keras import layers, Model\n"
    "from tensorflow.keras.optimizers import RMSprop\n"
    "from tensorflow.keras.applications.inception_v3 import InceptionV3\n"
    "inp = layers.Input(shape=(28, 28, 1))\n"
    "base = InceptionV3(input_shape=(150, 150, 3), include_top=False, weights=None)\n";

static const bad_case bad[] = {
    /* what the brief names */
    {"unknown layer", 2, "x = layers.LSTM(32)(inp)\n",
     "x.py:7:12: the layer 'LSTM' is not supported (dropscope has Dense, Dropout, Flatten, Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, BatchNormalization, Activation, Concatenate, Rescaling, Input, ZeroPadding2D, DepthwiseConv2D, SeparableConv2D, Add, Multiply, ReLU, Reshape, Normalization, RandomFlip, RandomRotation, RandomZoom, RandomTranslation)"},
    {"syntax: unclosed call", 2, "x = layers.Dense(3, activation='relu'\n", "x.py:7:17: this '(' is never closed"},
    {"syntax: missing operand", 2, "x = 1 +\n", "x.py:7:8: syntax error: expected a value but found the end of the line"},
    {"syntax: two names", 2, "x = layers Dense\n", "x.py:7:12: syntax error: expected the end of the statement but found 'Dense'"},
    {"unknown optimizer argument", 2, "opt = RMSprop(lr=0.001, rhoo=0.9)\n",
     "x.py:7:25: 'rhoo' is not an argument of RMSprop that dropscope supports; did you mean 'rho'?"},
    {"unknown layer of InceptionV3", 2, "o = base.get_layer('nope').output\n",
     "x.py:7:20: InceptionV3 has no layer named 'nope' (its layers run from 'conv2d' to 'mixed10')"},
    {"a misspelt layer of InceptionV3", 2, "o = base.get_layer(name='mixed77').output\n",
     "x.py:7:25: InceptionV3 has no layer named 'mixed77'; did you mean 'mixed7'?"},
    {"def with *args (a def is read, issue 15)", 2, "def build(*layers):\n    return 1\n",
     "x.py:7:11: *args, **kwargs and '/' in a function's parameters are not supported: name each one"},
    {"if on data (issue 15: ifs with known conditions are read)", 2, "if x_train.shape[0] > 10:\n    base.trainable = False\n",
     "x.py:8:1: this changes the model inside a comprehension, a short-circuited expression, a loop over values dropscope does not read or an if on such values"},
    {"lambda", 2, "f = lambda x: x\n", "x.py:7:5: 'lambda' is not supported"},
    /* the base */
    {"include_top by default", 1, "b = InceptionV3(input_shape=(150, 150, 3), weights=None)\n",
     "x.py:5:5: InceptionV3 with its classifier on top (include_top=True, Keras's default) is not supported: write include_top=False"},
    {"include_top=True", 1, "b = InceptionV3(True, None, input_shape=(150, 150, 3))\n",
     "x.py:5:17: InceptionV3 with its classifier on top (include_top=True) is not supported"},
    {"no input_shape", 1, "b = InceptionV3(include_top=False, weights=None)\n",
     "x.py:5:5: InceptionV3 needs input_shape=, e.g. input_shape=(150, 150, 3): dropscope needs the image size"},
    {"too small", 1, "b = InceptionV3(input_shape=(50, 50, 3), include_top=False)\n", "x.py:5:29: InceptionV3: inception_v3: input 'input_1' is (50, 50, 3), but height and width must be at least 75 (as in Keras)"},
    {"pooling", 1, "b = InceptionV3(input_shape=(150, 150, 3), include_top=False, pooling='avg')\n",
     "x.py:5:71: pooling='avg' is not supported for InceptionV3: add layers.GlobalAveragePooling2D() after the base instead"},
    {"a second base", 2, "b2 = InceptionV3(input_shape=(150, 150, 3), include_top=False)\n",
     "x.py:7:6: a second pretrained base (InceptionV3) is not supported: a lesson has one base"},
    {"another application", 2, "b2 = tf.keras.applications.DenseNet121()\n",
     "x.py:7:28: 'DenseNet121' is not supported: the pretrained bases dropscope has are InceptionV3, VGG16, VGG19, ResNet50, MobileNetV2, Xception and EfficientNetB0"},
    {"application below its least size (issue 15)", 1, "b = tf.keras.applications.MobileNetV2(input_shape=(20, 20, 3), include_top=False)\n",
     "x.py:5:51: MobileNetV2: mobilenet_v2: input 'input_1' is (20, 20, 3), but height and width must be at least 32 (as in Keras)"},
    {"application with its top (issue 15)", 1, "b = tf.keras.applications.vgg16.VGG16(input_shape=(32, 32, 3))\n",
     "x.py:5:5: VGG16 with its classifier on top (include_top=True, Keras's default) is not supported: write include_top=False"},
    {"application pooling (issue 15)", 1, "b = tf.keras.applications.ResNet50(include_top=False, pooling='mean')\n",
     "x.py:5:63: pooling must be None, 'avg' or 'max', found 'mean'"},
    {"alpha 0 (issue 15)", 1, "b = tf.keras.applications.MobileNetV2((96, 96, 3), 0, include_top=False)\n",
     "x.py:5:52: alpha must be above 0"},
    {"a second application", 2, "b2 = tf.keras.applications.MobileNetV2()\n",
     "x.py:7:6: a second pretrained base (MobileNetV2) is not supported: a lesson has one base"},
    {"part of the base frozen", 2,
     "for l in base.layers[100:200]:\n    l.trainable = False\n"
     "m = Model(base.input, layers.Flatten()(base.get_layer('mixed7').output))\nm.compile(loss='binary_crossentropy')\n",
     "x.py:8:5: this leaves InceptionV3 partly frozen (62 of the 140 layers with weights the model uses) with a frozen layer after a trainable one"},
    {"load_weights on the model", 2, "m = Model(inp, layers.Flatten()(inp))\nm.load_weights('m.h5')\n",
     "x.py:8:1: load_weights on the whole model is not supported"},
    {"training= a number on a base (issue 15: a constant True, False or None)", 2,
     "i2 = layers.Input(shape=(150, 150, 3))\ny = base(i2, training=1)\ny = layers.Flatten()(y)\n"
     "m = Model(i2, layers.Dense(1, activation='sigmoid')(y))\nm.compile(loss='binary_crossentropy')\n",
     "x.py:8:23: training= takes True, False or None, found"},
    /* layers and arguments */
    {"another layer", 2, "y = layers.LSTM(1)\n", "x.py:7:12: the layer 'LSTM' is not supported"},
    {"a preprocessing layer (issue 15: named as what it is)", 2, "y = layers.Resizing(64, 64)\n",
     "x.py:7:12: the preprocessing layer 'Resizing' is not supported yet"},
    {"an augmentation layer under experimental.preprocessing (issue 15: not 'experimental')", 2,
     "y = layers.experimental.preprocessing.RandomContrast(0.2)\n",
     "x.py:7:39: the augmentation layer 'RandomContrast' is not supported yet: dropscope has RandomFlip, RandomRotation, RandomZoom and RandomTranslation"},
    {"activation", 2, "y = layers.Dense(3, activation='tanh')\n",
     "x.py:7:32: the activation 'tanh' is not supported (dropscope has relu, sigmoid, softmax and linear)"},
    {"initializer", 2, "y = layers.Conv2D(3, 3, kernel_initializer='he_normal')\n",
     "x.py:7:44: kernel_initializer other than glorot_uniform is not supported"},
    {"regularizer", 2, "y = layers.Dense(3, kernel_regularizer=tf.keras.regularizers.l2(0.01))\n",
     "x.py:7:40: kernel_regularizer other than None is not supported: dropscope trains without regularizers or constraints"},
    {"units not a number", 2, "y = layers.Dense('a')\n", "x.py:7:18: units must be a whole number, found a string"},
    {"unknown layer argument", 2, "y = layers.Dense(3, activaton='relu')\n",
     "x.py:7:21: 'activaton' is not an argument of Dense that dropscope supports; did you mean 'activation'?"},
    {"noise_shape", 2, "y = layers.Dropout(0.5, noise_shape=(1, 3))\n",
     "x.py:7:37: noise_shape other than None is not supported"},
    {"Dropout without a rate", 2, "y = layers.Dropout()\n", "x.py:7:5: Dropout needs rate, e.g. Dropout(0.2)"},
    {"shared layer", 2, "d = layers.Flatten()\ny = d(inp)\nz = d(inp)\n",
     "x.py:9:5: the layer 'flatten' is used a second time (shared weights): dropscope supports each layer once"},
    {"tensor arithmetic", 2, "y = layers.Flatten()(inp) + 1\n",
     "x.py:7:27: '+' on a layer's output is not supported: it adds an operation to the model that dropscope cannot run (use layers)"},
    {"tf function on a tensor", 2, "y = tf.reshape(inp, (-1, 784))\n",
     "x.py:7:16: tf.reshape(...) of a layer's output is not supported"},
    {"training= not a constant on a layer (issue 15)", 2, "y = layers.Dropout(0.5)(inp, training=flag)\n",
     "x.py:7:39:"},
    {"training= a string on a layer (issue 15)", 2, "y = layers.Dropout(0.5)(inp, training='yes')\n",
     "x.py:7:39: training= takes True, False or None, found"},
    {"layers in a comprehension", 2, "ls = [layers.Dense(i) for i in range(3)]\n",
     "x.py:7:1: this changes the model inside a comprehension"},
    {"duplicate names", 2,
     "a = layers.Flatten(name='f')(inp)\nb = layers.Dense(1, activation='sigmoid', name='f')(a)\nm = Model(inp, b)\n"
     "m.compile(loss='binary_crossentropy')\n",
     "x.py:8:5: two layers are named 'f' (lines 7 and 8); Keras rejects this model too: names must be unique"},
    {"a name the lesson cannot hold", 2, "y = layers.Dense(3, name='my dense')\n",
     "x.py:7:26: the layer name 'my dense' cannot be used by dropscope"},
    {"range checked by the lesson parser", 2,
     "y = layers.Dense(0)(layers.Flatten()(inp))\nm = Model(inp, y)\nm.compile(loss='binary_crossentropy')\n",
     "x.py:7:5: units must be at least 1, found '0' (in the lesson written from it: Dense(0))"},
    /* models */
    {"no model", 1, "x = 1\n", "x.py:1:1: no Keras model found: dropscope imports the model that model.compile(...) is called on"},
    {"not compiled", 2, "m = Model(inp, layers.Flatten()(inp))\n", "x.py:7:5: this model is never compiled"},
    {"two inputs", 2, "m = Model([inp, inp], inp)\n",
     "x.py:7:11: the model's inputs: a model with 2 of them is not supported (one input, one output)"},
    {"no input shape", 2,
     "m = tf.keras.Sequential([layers.Flatten(), layers.Dense(1, activation='sigmoid')])\nm.compile(loss='binary_crossentropy')\n",
     "x.py:7:5: the model's input shape is not given: give its first layer input_shape=(...) or start it with an Input"},
    {"a vector input", 2,
     "i2 = layers.Input(shape=(100,))\nm = Model(i2, layers.Dense(1, activation='sigmoid')(i2))\nm.compile(loss='binary_crossentropy')\n",
     "x.py:7:6: the model's input is a vector of 100 numbers, and the stand-in images (Fashion-MNIST, 28x28x1) flatten to 784: a vector input of 784 (input_shape=(784,)) would take them"},
    {"disconnected", 2,
     "m = Model(inp, layers.Flatten()(base.get_layer('mixed7').output))\nm.compile(loss='binary_crossentropy')\n",
     "x.py:7:5: the model uses InceptionV3's layer 'mixed7' but its input is not InceptionV3's input (Keras: graph disconnected)"},
    {"add after compile", 1,
     "m = tf.keras.Sequential([layers.Flatten(input_shape=(28, 28, 1))])\nm.compile(loss='binary_crossentropy')\n"
     "m.add(layers.Dense(1))\n",
     "x.py:7:7: adding layers after compile() is not supported"},
    /* compile */
    {"loss", 2, "m = Model(inp, layers.Dense(1)(layers.Flatten()(inp)))\nm.compile(optimizer='adam', loss='mse')\n",
     "x.py:8:34: the loss 'mse' is not supported (dropscope has binary_crossentropy and sparse_categorical_crossentropy)"},
    {"no loss", 2, "m = Model(inp, layers.Dense(1)(layers.Flatten()(inp)))\nm.compile(optimizer='adam')\n",
     "x.py:8:1: compile() needs a loss, e.g. loss='binary_crossentropy'"},
    {"optimizer", 2, "o = tf.keras.optimizers.Nadam()\n",
     "x.py:7:25: the optimizer 'Nadam' is not supported; did you mean 'Adam'? (dropscope has SGD, RMSprop, Adam, Adagrad and Adadelta)"},
    {"optimizer string", 2, "m = Model(inp, layers.Dense(1)(layers.Flatten()(inp)))\nm.compile(optimizer='nadam', loss='mse')\n",
     "x.py:8:21: the optimizer 'nadam' is not supported (dropscope has sgd, rmsprop, adam, adagrad and adadelta)"},
    {"optimizer class", 2, "m = Model(inp, layers.Dense(1)(layers.Flatten()(inp)))\nm.compile(optimizer=RMSprop, loss='mse')\n",
     "x.py:8:21: give an optimizer object, e.g. RMSprop(learning_rate=0.001) (with parentheses)"},
    {"lr twice", 2, "o = RMSprop(learning_rate=0.1, lr=0.1)\n", "x.py:7:32: the learning rate is given twice"},
    {"schedule", 2,
     "s = tf.keras.optimizers.schedules.ExponentialDecay(0.1, 100, 0.9)\n",
     "x.py:7:25: learning-rate schedules are not supported: give a number"},
    {"from_logits", 2,
     "m = Model(inp, layers.Dense(2)(layers.Flatten()(inp)))\nm.compile(loss=tf.keras.losses.CategoricalCrossentropy(from_logits=True))\n",
     "x.py:8:68: CategoricalCrossentropy(from_logits=True) is not supported: use SparseCategoricalCrossentropy(from_logits=True) with class numbers"},
    {"too many classes", 2,
     "m = Model(inp, layers.Dense(20, activation='softmax')(layers.Flatten()(inp)))\nm.compile(loss='sparse_categorical_crossentropy')\n",
     "x.py:8:16: the model has 20 output classes; the lesson's stand-in data (Fashion-MNIST) has 2 to 10"},
    {"loss vs the last layer (lesson parser)", 2,
     "m = Model(inp, layers.Dense(2, activation='softmax')(layers.Flatten()(inp)))\nm.compile(loss='binary_crossentropy')\n",
     "x.py:8:1: binary_crossentropy needs one output unit (Dense(1, activation=sigmoid)) but 'dense' has 2 (in the lesson written from it: compile)"},
    /* Python outside the subset */
    {"conditional expression", 2, "y = 1 if True else 2\n",
     "x.py:7:7: a conditional expression ('... if ... else ...') is not supported"},
    {"while", 2, "while True:\n    pass\n", "x.py:7:1: 'while' is not supported"},
    {"with", 2, "with tf.device('/cpu:0'):\n    pass\n", "x.py:7:1: 'with' is not supported"},
    {"decorator", 2, "@tf.function\ndef f():\n    pass\n", "x.py:7:1: decorators are not supported"},
    {"nested loops", 2, "for a in base.layers:\n    for b in base.layers:\n        pass\n",
     "x.py:8:5: a loop inside a loop is not supported"},
    {"setattr", 2, "setattr(base, 'trainable', False)\n", "x.py:7:1: setattr() is not supported"},
    {"trainable not a bool", 2, "base.trainable = 0\n", "x.py:7:18: trainable takes True or False, found an int"},
    {"other attribute", 2, "base.name = 'b'\n", "x.py:7:6: setting 'name' on a pretrained base model is not supported (only trainable)"},
    {"undefined name in the model", 2, "y = layers.Dense(units)\n",
     "x.py:7:18: 'units' (line 7) uses the name 'units', which this file does not define"},
    {"undefined name, not Keras's", 1, "m = Sequentail([layers.Dense(3)])\n",
     "x.py:5:5: no Keras model found, and the name 'Sequentail' is not defined in this file"},
    {"bad indentation", 2, "for l in base.layers:\n    l.trainable = False\n  x = 1\n",
     "x.py:9:3: this line's indentation does not match any outer block"},
    {"unexpected indent", 2, "  x = 1\n", "x.py:7:3: syntax error: unexpected indentation"},
    {"unterminated string", 2, "x = 'abc\n", "x.py:7:5: this string is never closed (it ends at the end of the line)"},
    {"unterminated triple string", 2, "x = '''abc\n\n", "x.py:7:5: this triple-quoted string is never closed"},
    {"bad escape", 2, "x = '\\x4'\n", "x.py:7:6: invalid \\x escape: it needs two hexadecimal digits"},
    {"complex number", 2, "x = 1j\n", "x.py:7:5: complex numbers are not supported"},
    {"leading zero", 2, "x = 012\n", "x.py:7:5: leading zeros in a decimal number are not allowed"},
    {"mismatched bracket", 2, "x = (1]\n", "x.py:7:7: ']' does not match the '(' at line 7, column 5"},
    {"stray character", 2, "x = 1 $ 2\n", "x.py:7:7: unexpected character '$'"},
    {"non-ASCII name", 2, "é = 1\n", "x.py:7:1: unexpected character 'é'"},
    {"control character", 2, "x = 1\x01\n", "x.py:7:6: control character 0x01; a Python file is plain text"},
    {"invalid UTF-8", 2, "x = '\xff'\n", "x.py:7:6: invalid UTF-8 (byte 0xff); save the file as UTF-8"},
    /* fuzz: a lone CR ends a line, as in Python (the line numbers count it) */
    {"lone CR", 0, "x = 1\ry = (\n", "x.py:2:5: this '(' is never closed"},
    {"CR LF", 0, "x = 1\r\ny = (\r\n", "x.py:2:5: this '(' is never closed"},
};

static void test_rejected(void **state)
{
    (void)state;
    int failures = 0;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const bad_case *c = &bad[i];
        char text[4096];
        snprintf(text, sizeof text, "%s%s", c->header == 2 ? header2 : c->header == 1 ? header1 : "", c->body);
        char *notes = (char *)1;
        char *lesson = ls_keras_import_ex("x.py", text, strlen(text), &notes, err, sizeof err);
        if (show())
            printf("%-40s %s\n", c->what, lesson ? "(imported)" : err);
        if (lesson || strncmp(err, c->message, strlen(c->message))) {
            print_error("case '%s':\n  want %s\n  got  %s\n", c->what, c->message, lesson ? "(imported)" : err);
            free(lesson);
            failures++;
            continue;
        }
        assert_null(notes);
        /* a tiny error buffer gives the same verdict and stays terminated */
        char small[8];
        memset(small, 'x', sizeof small);
        assert_null(ls_keras_import("x.py", text, strlen(text), small, sizeof small));
        assert_non_null(memchr(small, '\0', sizeof small));
    }
    assert_int_equal(failures, 0);
}

/* A NUL byte, and a file over the size limit. */
static void test_binary_and_size(void **state)
{
    (void)state;
    static const char nul[] = "x = 1\n\0y = 2\n";
    assert_null(ls_keras_import("x.py", nul, sizeof nul - 1, err, sizeof err));
    assert_string_equal(err, "x.py:2:1: found a NUL byte; a Python file is text (is this a binary file?)");
    size_t n = (1u << 20) + 1;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, '#', n);
    assert_null(ls_keras_import("x.py", big, n, err, sizeof err));
    assert_string_equal(err, "x.py:1:1: the file is 1048577 bytes; the importer reads at most 1048576 bytes");
    free(big);
    /* empty, and only comments: no model */
    assert_null(ls_keras_import("x.py", "", 0, err, sizeof err));
    assert_string_equal(err, "x.py:1:1: no Keras model found: dropscope imports the model that model.compile(...) is called on");
    assert_null(ls_keras_import("x.py", "# nothing\n", 10, err, sizeof err));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference),
        cmocka_unit_test(test_notebook),
        cmocka_unit_test(test_sequential),
        cmocka_unit_test(test_sequential_add),
        cmocka_unit_test(test_functional_conv),
        cmocka_unit_test(test_single_trainable),
        cmocka_unit_test(test_nested_base),
        cmocka_unit_test(test_spellings),
        cmocka_unit_test(test_names_after_base),
        cmocka_unit_test(test_freeze_forms),
        cmocka_unit_test(test_slices),
        cmocka_unit_test(test_load_any),
        cmocka_unit_test(test_rejected),
        cmocka_unit_test(test_binary_and_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
