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
#include "keras_fixture.h"
#include "lesson/lesson.h"

static char err[4096];

static bool show(void)
{
    const char *s = getenv("DS_TEST_SHOW");
    return s && *s && strcmp(s, "0");
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
    char *text = keras_fixture_read(file, &len);
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

/* Never compiled (issue 15): Keras's compile() defaults and the loss the output calls
 * for, said in a note and in the training step; counts 784*128+128 + 128*10+10. */
static void test_uncompiled(void **state)
{
    (void)state;
    char *notes;
    ls_lesson *l = import_fixture("uncompiled_mnist.py", &notes);
    assert_non_null(strstr(notes, "uncompiled_mnist.py:5: note: this model is never compiled: Keras would refuse to fit it"));
    assert_int_equal(l->compile.opt.kind, NN_OPT_RMSPROP);
    assert_true(l->compile.opt.lr == 0.001f);
    assert_int_equal(l->compile.loss, NN_LOSS_SCCE);
    assert_int_equal(l->data.n_classes, 10);
    bool said = false;
    for (int i = 0; i < l->steps[1].n_items; i++)
        if (l->steps[1].items[i].kind == LS_ITEM_TEXT && strstr(l->steps[1].items[i].u.text, "Keras would refuse to fit this model"))
            said = true;
    assert_true(said);
    expect_counts(l, 101770, 101770, 0);
    free(notes);
    ls_lesson_destroy(l);
    /* an output that does not say which loss */
    static const char linear[] = "import tensorflow as tf\n"
                                 "m = tf.keras.Sequential([tf.keras.layers.Dense(3, input_shape=(28, 28, 1))])\n";
    assert_null(ls_keras_import("l.py", linear, strlen(linear), err, sizeof err));
    assert_memory_equal(err, "l.py:2:5: this model is never compiled, and its output is not Dense(1", 67);
}

/* Keras's inner modules (keras.layers.core, .normalization.batch_normalization ...) are
 * keras.layers; counts: conv 16*9+16, BN 4*16 (half of it moving statistics), dense
 * 13*13*16*10+10. */
static void test_import_paths(void **state)
{
    (void)state;
    ls_lesson *l = import_fixture("import_paths.py", NULL);
    assert_int_equal(l->decls[2].cfg.type, NN_BATCHNORM);
    expect_counts(l, 27274, 27242, 32);
    ls_lesson_destroy(l);
}

static const char base_head[] =
    "from tensorflow.keras import layers, Model\n"
    "from tensorflow.keras.applications.inception_v3 import InceptionV3\n"
    "base = InceptionV3(input_shape=(150, 150, 3), include_top=False, weights=None)\n";

/* load_weights('') (a placeholder left empty): noted, random weights, not an error. */
static void test_load_weights_empty(void **state)
{
    (void)state;
    char text[2048];
    snprintf(text, sizeof text, "%s%s", base_head,
             "base.load_weights('')\nbase.trainable = False\n"
             "m = Model(base.input, layers.Dense(1, activation='sigmoid')(layers.Flatten()(base.output)))\n"
             "m.compile(loss='binary_crossentropy')\n");
    char *notes;
    ls_lesson *l = import_text("w.py", text, &notes);
    assert_non_null(strstr(notes, "w.py:4: note: load_weights('') names no file (Keras would stop here, unable to open it): the base runs on random weights\n"));
    assert_int_equal(count(notes, "load_weights"), 1);
    assert_null(l->decls[1].weights);
    free(notes);
    ls_lesson_destroy(l);
}

static const char many_classes[] =
    "from tensorflow.keras.preprocessing.image import ImageDataGenerator\n"
    "from tensorflow.keras import layers, models\n"
    "%s"
    "model = models.Sequential([layers.Conv2D(8, 3, input_shape=(64, 64, 3)), layers.Flatten(),\n"
    "                           layers.Dense(20, activation='softmax')])\n"
    "model.compile(optimizer='adam', loss='sparse_categorical_crossentropy')\n";

/* More classes than Fashion-MNIST's ten: the script's image folder serves, or the
 * message says what would. */
static void test_many_classes(void **state)
{
    (void)state;
    char text[2048];
    snprintf(text, sizeof text, many_classes,
             "gen = ImageDataGenerator(rescale=1/255).flow_from_directory('flowers/train', target_size=(64, 64))\n");
    char *notes;
    ls_lesson *l = import_text("c.py", text, &notes);
    assert_int_equal(l->data.kind, LS_DATA_FOLDER);
    assert_string_equal(l->data.dir, "flowers/train");
    assert_non_null(strstr(notes, "c.py:3: note: the model has 20 classes, more than the stand-in Fashion-MNIST's 10: the lesson reads the image folder \"flowers/train\""));
    free(notes);
    ls_lesson_destroy(l);
    snprintf(text, sizeof text, many_classes, "");
    assert_null(ls_keras_import("c.py", text, strlen(text), err, sizeof err));
    assert_string_equal(err, "c.py:5:38: the model has 20 output classes; the lesson's stand-in data (Fashion-MNIST) has 2 to 10: an image folder with 20 class sub-folders would serve (in the script: flow_from_directory('DIR') with a (height, width, 3) input; in a lesson: data folder \"DIR\")");
}

static const ls_decl *base_decl(const ls_lesson *l)
{
    for (int i = 0; i < l->n_decls; i++)
        if (l->decls[i].kind == LS_DECL_BASE)
            return &l->decls[i];
    fail_msg("no base");
    return NULL;
}

/* Part of a base frozen (issue 15): base.layers[:-114] (Keras's order: up to mixed6)
 * and a flag set by name in an if. Keras's counts by hand: the base to mixed7 holds
 * 8,975,264; mixed7's block (10 Conv2D without bias on 768 or 192 channels: 2,138,112;
 * 10 BatchNormalization(scale=False) of 192: 1,920 beta trainable, 3,840 moving
 * statistics) trains: 2,140,032 + the head. */
static void test_partial_freeze(void **state)
{
    (void)state;
    ls_lesson *l = import_fixture("fine_tune_slice.py", NULL);
    const ls_decl *b = base_decl(l);
    assert_false(b->frozen);
    assert_string_equal(b->trainable_from, "conv2d_64");
    expect_counts(l, 8976033, 2140032 + 769, 6835232);
    ls_lesson_destroy(l);
    char *notes;
    l = import_fixture("fine_tune_by_name.py", &notes);
    assert_string_equal(base_decl(l)->trainable_from, "conv2d_64");
    /* USE_DROPOUT == 1: Dropout(0.2), not the elif's 0.5 */
    bool rate02 = false;
    for (int i = 0; i < l->n_decls; i++)
        if (l->decls[i].kind == LS_DECL_LAYER && l->decls[i].cfg.type == NN_DROPOUT)
            rate02 = l->decls[i].cfg.rate == 0.2;
    assert_true(rate02);
    expect_counts(l, 28769697, 19794433 + 2140032, 8975264 - 2140032);
    assert_null(strstr(notes, "if "));
    free(notes);
    ls_lesson_destroy(l);
}

/* ifs: known conditions choose the branch; unknown ones are read without changing the
 * model and noted; one that would change it fails. */
static void test_if_statements(void **state)
{
    (void)state;
    static const char known[] =
        "import tensorflow as tf\nMODE = 'small'\nunits = 8\n"
        "if MODE == 'big':\n    units = 64\nelif MODE == 'small':\n    units = 16\nelse:\n    units = 32\n"
        "if not MODE: units = 1\n"
        "m = tf.keras.Sequential([tf.keras.layers.Flatten(input_shape=(28, 28, 1)),\n"
        "    tf.keras.layers.Dense(units, activation='relu'), tf.keras.layers.Dense(1, activation='sigmoid')])\n"
        "m.compile(loss='binary_crossentropy')\n"
        "if history.history['acc'][-1] > 0.9:\n    print('good')\nelse:\n    print('bad')\n";
    char *notes;
    ls_lesson *l = import_text("i.py", known, &notes);
    assert_int_equal(l->decls[2].cfg.units, 16);
    assert_non_null(strstr(notes, "i.py:14: note: `if history.history['acc'][-1] > 0.9:` is not imported"));
    /* Keras: 784*16+16 + 16+1 */
    expect_counts(l, 12577, 12577, 0);
    free(notes);
    ls_lesson_destroy(l);
    static const char unknown[] =
        "import tensorflow as tf\n"
        "m = tf.keras.Sequential([tf.keras.layers.Flatten(input_shape=(28, 28, 1))])\n"
        "if x_train.shape[0] > 100:\n    m.add(tf.keras.layers.Dense(1, activation='sigmoid'))\n";
    assert_null(ls_keras_import("i.py", unknown, strlen(unknown), err, sizeof err));
    assert_string_equal(err, "i.py:4:1: this changes the model inside a comprehension, a short-circuited expression, a loop over values dropscope does not read or an if on such values; write it as plain statements");
}

/* The lesson's trainable_from= on a base: parsed, and an unknown layer said. */
static void test_trainable_from_syntax(void **state)
{
    (void)state;
    static const char fmt[] =
        "title \"t\"\ndata fashion_mnist\n  classes 0, 1\n  resize 150x150x3\nmodel\n"
        "  base inception_v3(input_shape=(150, 150, 3), cut=mixed7, trainable_from=%s)\n"
        "  GlobalAveragePooling2D()\n  Dense(1, activation=sigmoid)\ncompile\n  loss binary_crossentropy\n";
    char text[1024];
    snprintf(text, sizeof text, fmt, "conv2d_64");
    ls_lesson *l = ls_lesson_parse("t.lesson", text, strlen(text), err, sizeof err);
    if (!l)
        print_error("%s\n", err);
    assert_non_null(l);
    expect_counts(l, 8976033, 2140801, 6835232);
    ls_lesson_destroy(l);
    snprintf(text, sizeof text, fmt, "conv2d_999");
    assert_null(ls_lesson_parse("t.lesson", text, strlen(text), err, sizeof err));
    assert_non_null(strstr(err, "the base 'inception_v3' has no layer named 'conv2d_999' to train from"));
}

/* Dense-only on vectors (issue 15): the stand-in images flattened to 784; Keras's count
 * for this MLP: 784*512+512 + 512*512+512 + 512*10+10 = 669,706. */
static void test_vector_input(void **state)
{
    (void)state;
    char *notes;
    ls_lesson *l = import_fixture("dense_vectors.py", &notes);
    assert_int_equal(l->decls[0].cfg.type, NN_INPUT);
    assert_int_equal(l->decls[0].cfg.shape.rank, 1);
    assert_int_equal(l->decls[0].cfg.shape.d[0], 784);
    assert_int_equal(l->data.resize_h, 0);
    assert_non_null(strstr(notes, "dense_vectors.py:16: note: the model's input is a vector of 784 numbers: the stand-in 28x28 images are flattened to it"));
    expect_counts(l, 669706, 669706, 0);
    free(notes);
    ls_lesson_destroy(l);
}

/* The TF tutorial's way (issue 15): the base and two layers called on a batch of data
 * are noted and skipped (not shared layers), then the model; Keras's InceptionV3
 * without top holds 21,802,784 parameters, Dense(1) on 2,048 adds 2,049. */
static void test_base_on_data(void **state)
{
    (void)state;
    char *notes;
    ls_lesson *l = import_fixture("tutorial_features.py", &notes);
    assert_non_null(strstr(notes, "tutorial_features.py:20: note: `feature_batch = base_model(image_batch)` is not imported"));
    assert_non_null(strstr(notes, "tutorial_features.py:27: note: `feature_batch_average = global_average_layer(feature_batch)` is not imported"));
    assert_non_null(strstr(notes, "tutorial_features.py:29: note: `prediction_batch = prediction_layer(feature_batch_average)` is not imported"));
    assert_true(base_decl(l)->frozen);
    expect_counts(l, 21804833, 2049, 21802784);
    free(notes);
    ls_lesson_destroy(l);
}

/* input_shape=x_train.shape[1:]: the stand-in data's shape, with a note. */
static void test_shape_from_data(void **state)
{
    (void)state;
    char *notes;
    ls_lesson *l = import_fixture("data_shape.py", &notes);
    assert_non_null(strstr(notes, "data_shape.py:9: note: input_shape is taken from the data: read as (28, 28, 1), the shape of the stand-in images (Fashion-MNIST)"));
    assert_int_equal(l->data.resize_h, 0);
    /* Keras: 8*9+8 + 26*26*8*10+10 */
    expect_counts(l, 54170, 54170, 0);
    free(notes);
    ls_lesson_destroy(l);
}

/* Rescaling (under layers and layers.experimental.preprocessing) and
 * GlobalMaxPooling2D, now in the lesson language (i15-engine): Keras's counts
 * 16*9+16 + 16*10+10. */
static void test_rescaling(void **state)
{
    (void)state;
    char *notes;
    ls_lesson *l = import_fixture("preprocessing_cnn.py", &notes);
    assert_int_equal(l->decls[1].cfg.type, NN_RESCALING);
    assert_int_equal(l->decls[4].cfg.type, NN_RESCALING);
    assert_int_equal(l->decls[5].cfg.type, NN_GMP2D);
    assert_non_null(strstr(notes, "preprocessing_cnn.py:10: note: rescaling is read as written"));
    expect_counts(l, 330, 330, 0);
    free(notes);
    ls_lesson_destroy(l);
}

/* TensorFlow's transfer-learning tutorial with MobileNetV2 (alpha 0.35 at 96x96):
 * preprocess_input inside the model becomes Rescaling(2, offset=-1), the base keeps
 * alpha, the linear Dense(1) trains with BinaryCrossentropy(from_logits=True); Keras's
 * counts 410,208 (14,080 moving statistics) + 1,281, the base frozen. */
static void test_tutorial_mobilenet(void **state)
{
    (void)state;
    char *notes;
    ls_lesson *l = import_fixture("tutorial_mobilenet.py", &notes);
    assert_non_null(strstr(notes, "tutorial_mobilenet.py:31: note: preprocess_input is read as the layer preprocess_input, Rescaling(2, offset=-1)"));
    const ls_decl *b = base_decl(l);
    assert_string_equal(b->base, "mobilenet_v2");
    assert_true(b->alpha == 0.35f);
    assert_true(b->frozen);
    assert_int_equal(l->decls[1].cfg.type, NN_RESCALING);
    assert_true(l->compile.from_logits);
    assert_int_equal(l->compile.loss, NN_LOSS_BCE);
    assert_int_equal(l->compile.opt.kind, NN_OPT_ADAM);
    expect_counts(l, 411489, 1281, 410208);
    free(notes);
    ls_lesson_destroy(l);
}

/* The tutorial at its own sizes with its augmentation (issue 15, item 3): the Sequential
 * of RandomFlip and RandomRotation called on the input is read as its two layers; called
 * on one picture to plot it, it is outside the model. Keras's counts: MobileNetV2 at
 * 160x160 without top 2,257,984 + Dense(1) 1,281 = 2,259,265, the augmentations 0. */
static void test_tutorial_augment(void **state)
{
    (void)state;
    char *notes;
    ls_lesson *l = import_fixture("tutorial_augment.py", &notes);
    assert_non_null(strstr(notes, "tutorial_augment.py:46: note: the Sequential model called on a tensor is read as its 2 layers"));
    assert_non_null(strstr(notes, "tutorial_augment.py:30: note: `augmented_image = data_augmentation("));
    assert_int_equal(l->decls[1].cfg.type, NN_AUGMENT);
    assert_int_equal(l->decls[1].cfg.aug_kind, NN_AUG_FLIP);
    assert_int_equal(l->decls[1].cfg.aug_flip, NN_FLIP_HORIZONTAL);
    assert_string_equal(l->decls[1].name, ""); /* random_flip, as Keras names it */
    assert_int_equal(l->decls[2].cfg.aug_kind, NN_AUG_ROTATION);
    assert_true(l->decls[2].cfg.aug_lo[0] == -0.2f && l->decls[2].cfg.aug_hi[0] == 0.2f);
    assert_int_equal(l->decls[3].cfg.type, NN_RESCALING);
    assert_string_equal(base_decl(l)->base, "mobilenet_v2");
    assert_true(base_decl(l)->frozen);
    expect_counts(l, 2259265, 1281, 2257984);
    free(notes);
    ls_lesson_destroy(l);
}

/* The augmentations under every path Keras has had them (layers., tf.keras.layers.,
 * keras.layers., layers.experimental.preprocessing., and imported from there by name),
 * with their arguments; wrong ones refused at the argument's line:col. */
static void test_augment_paths(void **state)
{
    (void)state;
    static const char text[] =
        "import tensorflow as tf\n"
        "from tensorflow import keras\n"
        "from tensorflow.keras import layers\n"
        "from tensorflow.keras.layers.experimental.preprocessing import RandomFlip, RandomZoom\n"
        "model = keras.Sequential([\n"
        "    keras.Input(shape=(28, 28, 1)),\n"
        "    RandomFlip('vertical', seed=7),\n"
        "    layers.experimental.preprocessing.RandomRotation((-0.1, 0.05), fill_mode='constant', fill_value=0.5),\n"
        "    tf.keras.layers.experimental.preprocessing.RandomTranslation(0.1, 0.2, interpolation='nearest'),\n"
        "    RandomZoom(0.3, None, fill_mode='wrap'),\n"
        "    keras.layers.RandomZoom(height_factor=(-0.2, 0.1), width_factor=0.1),\n"
        "    layers.Flatten(),\n"
        "    layers.Dense(1, activation='sigmoid'),\n"
        "])\n"
        "model.compile(optimizer='adam', loss='binary_crossentropy', metrics=['accuracy'])\n";
    char *notes;
    ls_lesson *l = import_text("aug.py", text, &notes);
    assert_non_null(strstr(notes, "aug.py:7: note: RandomFlip's seed= is not used"));
    assert_int_equal(l->decls[1].cfg.aug_flip, NN_FLIP_VERTICAL);
    assert_int_equal(l->decls[2].cfg.aug_kind, NN_AUG_ROTATION);
    assert_true(l->decls[2].cfg.aug_lo[0] == -0.1f && l->decls[2].cfg.aug_hi[0] == 0.05f);
    assert_int_equal(l->decls[2].cfg.fill_mode, NN_FILL_CONSTANT);
    assert_true(l->decls[2].cfg.fill_value == 0.5f);
    assert_int_equal(l->decls[3].cfg.aug_kind, NN_AUG_TRANSLATION);
    assert_int_equal(l->decls[3].cfg.interp, NN_INTERP_NEAREST);
    assert_true(l->decls[3].cfg.aug_hi[1] == 0.2f);
    assert_true(l->decls[4].cfg.aug_width_same);
    assert_int_equal(l->decls[4].cfg.fill_mode, NN_FILL_WRAP);
    assert_false(l->decls[5].cfg.aug_width_same);
    expect_counts(l, 785, 785, 0);
    free(notes);
    ls_lesson_destroy(l);
    /* Keras 3's additions: data_format='channels_last' on all four, value_range on
     * RandomRotation (3.0-3.5): read, noted, nothing in the lesson */
    static const char k3[] =
        "import keras\n"
        "model = keras.Sequential([\n"
        "    keras.Input(shape=(28, 28, 1)),\n"
        "    keras.layers.RandomFlip('horizontal', data_format='channels_last'),\n"
        "    keras.layers.RandomRotation(0.1, value_range=(0, 1), data_format=None),\n"
        "    keras.layers.RandomZoom(0.1, data_format='channels_last'),\n"
        "    keras.layers.RandomTranslation(0.1, 0.1, data_format='channels_last'),\n"
        "    keras.layers.Flatten(),\n"
        "    keras.layers.Dense(1, activation='sigmoid'),\n"
        "])\n"
        "model.compile(optimizer='adam', loss='binary_crossentropy')\n";
    l = import_text("k3.py", k3, &notes);
    assert_non_null(strstr(notes, "k3.py:5: note: RandomRotation's value_range= is read and not written"));
    assert_int_equal(l->decls[2].cfg.aug_kind, NN_AUG_ROTATION);
    assert_true(l->decls[2].cfg.aug_lo[0] == -0.1f && l->decls[2].cfg.aug_hi[0] == 0.1f);
    expect_counts(l, 785, 785, 0);
    free(notes);
    ls_lesson_destroy(l);
    static const struct {
        const char *line, *msg;
    } bad[] = {
        {"layers.RandomFlip('horizontal', data_format='channels_first')", "data_format='channels_first' is not supported"},
        {"layers.RandomRotation(0.2, value_range=(1, 0))", "value_range must be a (low, high) pair with low < high"},
        {"layers.RandomFlip('sideways')", "x.py:2:19: mode='sideways' is not supported (Keras's mode: 'horizontal', 'vertical' or 'horizontal_and_vertical')"},
        {"layers.RandomRotation(-0.2)", "x.py:2:23: factor=-0.2: a single number f means (-f, f)"},
        {"layers.RandomRotation()", "x.py:2:1: RandomRotation needs factor"},
        {"layers.RandomTranslation(0.1)", "RandomTranslation needs height_factor and width_factor"},
        {"layers.RandomZoom(0.1, fill_mode='mirror')", "fill_mode='mirror' is not supported"},
        {"layers.RandomZoom(0.1, interpolation='bicubic')", "interpolation='bicubic' is not supported"},
        {"layers.RandomZoom(0.1, value_range=(0, 1))", "value_range"},
        {"layers.experimental.preprocessing.RandomContrast(0.2)", "the augmentation layer 'RandomContrast' is not supported yet"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char t[256];
        snprintf(t, sizeof t, "from tensorflow.keras import layers\n%s\n", bad[i].line);
        assert_null(ls_keras_import("x.py", t, strlen(t), err, sizeof err));
        if (!strstr(err, bad[i].msg))
            print_error("'%s' gave '%s', wanted '%s'\n", bad[i].line, err, bad[i].msg);
        assert_non_null(strstr(err, bad[i].msg));
        assert_null(strstr(err, "'experimental'"));
    }
    /* a Sequential with its own Input called on a tensor: a model inside a model */
    static const char nested[] =
        "from tensorflow import keras\n"
        "aug = keras.Sequential([keras.Input(shape=(8, 8, 1)), keras.layers.RandomFlip()])\n"
        "x = keras.Input(shape=(8, 8, 1))\n"
        "y = aug(x)\n";
    assert_null(ls_keras_import("n.py", nested, strlen(nested), err, sizeof err));
    assert_non_null(strstr(err, "n.py:4:5: calling a Sequential model that has its own Input"));
}

/* One script per base family, each in a student's spelling, against Keras's counts
 * (the bases' own counts are the engine's tests; the heads derived by hand in each
 * fixture's comment). */
static void test_vgg16_cifar(void **state)
{
    (void)state;
    char *notes;
    ls_lesson *l = import_fixture("vgg16_cifar.py", &notes);
    /* preprocess_input on the data: noted, not a layer */
    assert_int_equal(count(notes, "note: preprocess_input on data is not part of the model"), 2);
    assert_string_equal(base_decl(l)->base, "vgg16");
    assert_true(base_decl(l)->frozen);
    assert_int_equal(l->compile.opt.kind, NN_OPT_ADAGRAD);
    expect_counts(l, 14848586, 133898, 14714688);
    free(notes);
    ls_lesson_destroy(l);
}

static void test_resnet50_logits(void **state)
{
    (void)state;
    char *notes;
    ls_lesson *l = import_fixture("resnet50_logits.py", &notes);
    assert_non_null(strstr(notes, "resnet50_logits.py:14: note: preprocess_input is read as the layer preprocess_input, Rescaling(255, offset=(-103.939, -116.779, -123.68))"));
    const ls_decl *b = base_decl(l);
    assert_string_equal(b->base, "resnet50");
    assert_string_equal(b->pooling, "avg");
    assert_false(b->frozen);
    assert_int_equal(l->compile.opt.kind, NN_OPT_ADADELTA);
    assert_true(l->compile.opt.lr == 1.0f);
    assert_true(l->compile.opt.decay == 1e-4f);
    assert_int_equal(l->compile.loss, NN_LOSS_SCCE);
    assert_true(l->compile.from_logits);
    expect_counts(l, 23608202, 23555082, 53120);
    free(notes);
    ls_lesson_destroy(l);
}

static void test_xception_max(void **state)
{
    (void)state;
    ls_lesson *l = import_fixture("xception_max.py", NULL);
    const ls_decl *b = base_decl(l);
    assert_string_equal(b->base, "xception");
    assert_string_equal(b->pooling, "max");
    assert_true(b->frozen);
    assert_int_equal(l->compile.opt.kind, NN_OPT_SGD);
    assert_true(l->compile.opt.decay == 1e-6f);
    expect_counts(l, 20863529, 2049, 20861480);
    ls_lesson_destroy(l);
}

static void test_efficientnet_head(void **state)
{
    (void)state;
    char *notes;
    ls_lesson *l = import_fixture("efficientnet_head.py", &notes);
    assert_non_null(strstr(notes, "efficientnet_head.py:12: note: EfficientNet's preprocess_input returns its input unchanged"));
    assert_string_equal(base_decl(l)->base, "efficientnet_b0");
    expect_counts(l, 4062381, 12810, 4049571);
    free(notes);
    ls_lesson_destroy(l);
}

/* The spellings students use for a base: the class from applications, from its module,
 * the module through tf; each gives the same base (VGG19: Keras's 20,024,384, no
 * BatchNormalization; Flatten at 32x32 gives 512 features, Dense(2, softmax) 1,026). */
static void test_base_spellings(void **state)
{
    (void)state;
    static const char *const spell[] = {
        "from tensorflow.keras.applications import VGG19\nb = VGG19(",
        "import tensorflow as tf\nb = tf.keras.applications.vgg19.VGG19(",
        "from tensorflow.keras.applications import vgg19\nb = vgg19.VGG19(",
        "import keras\nb = keras.applications.VGG19(",
    };
    for (size_t i = 0; i < sizeof spell / sizeof spell[0]; i++) {
        char text[1024];
        snprintf(text, sizeof text,
                 "%sinclude_top=False, weights=None, input_shape=(32, 32, 3))\n"
                 "from tensorflow.keras import layers, models\n"
                 "m = models.Sequential([b, layers.Flatten(), layers.Dense(2, activation='softmax')])\n"
                 "m.compile(optimizer='adadelta', loss='sparse_categorical_crossentropy')\n",
                 spell[i]);
        ls_lesson *l = import_text("spell.py", text, NULL);
        assert_string_equal(base_decl(l)->base, "vgg19");
        assert_int_equal(l->compile.opt.kind, NN_OPT_ADADELTA);
        expect_counts(l, 20025410, 20025410, 0);
        ls_lesson_destroy(l);
    }
}

/* The layers the bases are made of, in a functional script (mobile_blocks.py): each read
 * into the lesson language with its arguments; Keras's counts by hand in the fixture. */
static void test_mobile_blocks(void **state)
{
    (void)state;
    ls_lesson *l = import_fixture("mobile_blocks.py", NULL);
    static const nn_layer_type want[] = {NN_INPUT, NN_NORMALIZATION, NN_ZEROPAD2D, NN_CONV2D, NN_BATCHNORM, NN_RELU,
                                         NN_DEPTHWISE_CONV2D, NN_RELU, NN_CONV2D, NN_ADD, NN_GAP2D, NN_RESHAPE,
                                         NN_CONV2D, NN_CONV2D, NN_MULTIPLY, NN_SEPARABLE_CONV2D, NN_GMP2D, NN_DENSE};
    assert_int_equal(l->n_decls, (int)(sizeof want / sizeof want[0]));
    for (int i = 0; i < l->n_decls; i++)
        assert_int_equal(l->decls[i].cfg.type, want[i]);
    assert_int_equal(l->decls[9].n_inputs, 2);
    assert_int_equal(l->decls[14].n_inputs, 2);
    assert_int_equal(l->compile.opt.kind, NN_OPT_ADAGRAD);
    expect_counts(l, 2462, 2430, 32);
    ls_lesson_destroy(l);
}

/* The tutorial's fine-tuning: MobileNetV2's layers[:100] frozen. Its DepthwiseConv2D
 * layers hold weights, so the base trains from block_11_depthwise (layers[101], the
 * first layer with weights after the frozen ones), not from its BatchNormalization;
 * the counts are those the tutorial's summary prints (2,259,265 / 1,862,721 / 396,544;
 * before the fix 1,857,537 trainable). */
static void test_tutorial_fine_tune(void **state)
{
    (void)state;
    ls_lesson *l = import_fixture("tutorial_fine_tune.py", NULL);
    const ls_decl *b = base_decl(l);
    assert_string_equal(b->trainable_from, "block_11_depthwise");
    assert_false(b->frozen);
    /* base_model(x, training=False): the base's BatchNormalization stays in inference
     * mode though it trains; its gamma and beta still count as trainable (above) */
    assert_int_equal(b->cfg.training, NN_TRAIN_NEVER);
    assert_int_equal(l->compile.opt.kind, NN_OPT_RMSPROP);
    expect_counts(l, 2259265, 1862721, 396544);
    ls_lesson_destroy(l);
}

/* training= on layer calls (issue 15): BatchNormalization()(x, training=False),
 * Dropout(0.3)(x, training=True), Dropout(0.5)(x, training=False); counts by hand in the
 * fixture (801 / 769 / 32: the BN's moving statistics are the non-trainable 32). */
static void test_training_calls(void **state)
{
    (void)state;
    ls_lesson *l = import_fixture("training_calls.py", NULL);
    const nn_train_mode want[] = {NN_TRAIN_FOLLOW, NN_TRAIN_FOLLOW, NN_TRAIN_NEVER, NN_TRAIN_FOLLOW,
                                  NN_TRAIN_FOLLOW, NN_TRAIN_ALWAYS, NN_TRAIN_NEVER, NN_TRAIN_FOLLOW};
    assert_int_equal(l->n_decls, 8);
    for (int i = 0; i < 8; i++)
        assert_int_equal(l->decls[i].cfg.training, want[i]);
    expect_counts(l, 801, 769, 32);
    ls_lesson_destroy(l);
}

/* The Keras guide's fine-tuning on Xception: base(x, training=False) frozen, then the
 * whole base unfrozen and recompiled; training=False stays on the base (its
 * BatchNormalization in inference mode while it trains), and the counts are the guide's
 * (20,863,529 / 20,809,001 / 54,528: gamma and beta train, moving statistics do not). */
static void test_guide_fine_tune(void **state)
{
    (void)state;
    ls_lesson *l = import_fixture("guide_fine_tune.py", NULL);
    const ls_decl *b = base_decl(l);
    assert_false(b->frozen);
    assert_int_equal(b->cfg.training, NN_TRAIN_NEVER);
    assert_int_equal(l->compile.opt.kind, NN_OPT_ADAM);
    expect_counts(l, 20863529, 20809001, 54528);
    ls_lesson_destroy(l);
}

/* A model built in functions (def), as keras.io and course notebooks write it: a helper
 * returning a list of layers, a default argument given by keyword, a return inside an
 * if, the model made twice (Keras's names then go on counting: sequential_1, conv2d_2).
 * Counts derived by hand in the fixture's comment. Then what a function call can get
 * wrong, each at its line:col. */
static void test_def_build_model(void **state)
{
    (void)state;
    char *notes;
    ls_lesson *l = import_fixture("def_build_model.py", &notes);
    assert_true(l->model_sequential);
    assert_string_equal(l->model_name, "sequential_1");
    const ls_decl *drop = NULL;
    for (int i = 0; i < l->n_decls; i++)
        if (l->decls[i].cfg.type == NN_DROPOUT)
            drop = &l->decls[i];
    assert_non_null(drop);
    assert_true(drop->cfg.rate == 0.3); /* dropout_rate=0.3, by keyword */
    expect_counts(l, 56129, 56129, 0);
    nn_model *m = ls_lesson_build_model(l, err, sizeof err);
    assert_non_null(m);
    assert_int_equal(nn_model_find(m, "conv2d_2"), 1);  /* the second model's layers */
    assert_true(nn_model_find(m, "dense_3") > 0);
    assert_int_equal(nn_model_find(m, "conv2d"), -1);
    nn_model_destroy(m);
    free(notes);
    ls_lesson_destroy(l);
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"def f(a):\n    return a\nf()\n", "x.py:3:1: f() is missing the argument 'a'"},
        {"def f(a):\n    return a\nf(1, 2)\n", "x.py:3:6: f() takes 1 argument, 2 given"},
        {"def f(a):\n    return a\nf(b=1)\n", "x.py:3:3: f() has no parameter 'b'"},
        {"def f(a):\n    return a\nf(1, a=2)\n", "f() got two values for 'a'"},
        {"def f(*args):\n    pass\n", "x.py:1:7: *args, **kwargs and '/' in a function's parameters are not supported"},
        {"def f(a=1, b):\n    pass\n", "x.py:1:12: syntax error: a parameter without a default after one with a default"},
        {"def f(n):\n    return f(n)\nf(1)\n", "functions calling functions more than 8 deep are not supported"},
        {"return 1\n", "x.py:1:1: syntax error: 'return' outside a function"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_null(ls_keras_import("x.py", bad[i].text, strlen(bad[i].text), err, sizeof err));
        if (!strstr(err, bad[i].msg))
            print_error("'%s' gave '%s', wanted '%s'\n", bad[i].text, err, bad[i].msg);
        assert_non_null(strstr(err, bad[i].msg));
    }
    /* a function's own names do not outlive it; the globals it reads are the script's */
    static const char scope[] =
        "from tensorflow import keras\n"
        "units = 8\n"
        "def head(x):\n"
        "    units = 3\n"
        "    return keras.layers.Dense(units)(x)\n"
        "inputs = keras.Input(shape=(784,))\n"
        "outputs = keras.layers.Dense(units, activation='sigmoid')(head(inputs))\n"
        "x = units\n";
    static const char scope_model[] =
        "model = keras.Model(inputs, keras.layers.Dense(1, activation='sigmoid')(outputs))\n"
        "model.compile(optimizer='sgd', loss='binary_crossentropy')\n";
    char t[1024];
    snprintf(t, sizeof t, "%s%s", scope, scope_model);
    l = import_text("s.py", t, &notes);
    /* Dense(3) on 784: 2,355; Dense(8) on 3 (units is the script's 8 again): 32; Dense(1) on 8: 9 */
    expect_counts(l, 2396, 2396, 0);
    free(notes);
    ls_lesson_destroy(l);
    /* the TF tutorial's fine-tuning written as a function: `x is not None`, `x is None`
     * and `x == None` are known when x is; Keras's counts as in tutorial_fine_tune.py */
    static const char ft[] =
        "from tensorflow import keras\n"
        "def make_model(shape, fine_tune_at=None, head=None):\n"
        "    base = keras.applications.MobileNetV2(input_shape=shape, include_top=False)\n"
        "    base.trainable = fine_tune_at is not None\n"
        "    if fine_tune_at is None:\n"
        "        return None\n"
        "    for layer in base.layers[:fine_tune_at]:\n"
        "        layer.trainable = False\n"
        "    inputs = keras.Input(shape=shape)\n"
        "    x = keras.applications.mobilenet_v2.preprocess_input(inputs)\n"
        "    x = base(x, training=False)\n"
        "    x = keras.layers.GlobalAveragePooling2D()(x)\n"
        "    x = keras.layers.Dropout(0.2)(x)\n"
        "    if head == None:\n"
        "        outputs = keras.layers.Dense(1)(x)\n"
        "    return keras.Model(inputs, outputs)\n"
        "model = make_model((160, 160, 3), fine_tune_at=100)\n"
        "model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-5),\n"
        "              loss=keras.losses.BinaryCrossentropy(from_logits=True))\n";
    l = import_text("ft.py", ft, &notes);
    expect_counts(l, 2259265, 1862721, 396544);
    free(notes);
    ls_lesson_destroy(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_snippet),
        cmocka_unit_test(test_unimported_names),
        cmocka_unit_test(test_not_keras_names),
        cmocka_unit_test(test_notes_block),
        cmocka_unit_test(test_uncompiled),
        cmocka_unit_test(test_import_paths),
        cmocka_unit_test(test_load_weights_empty),
        cmocka_unit_test(test_many_classes),
        cmocka_unit_test(test_partial_freeze),
        cmocka_unit_test(test_if_statements),
        cmocka_unit_test(test_trainable_from_syntax),
        cmocka_unit_test(test_vector_input),
        cmocka_unit_test(test_base_on_data),
        cmocka_unit_test(test_shape_from_data),
        cmocka_unit_test(test_rescaling),
        cmocka_unit_test(test_tutorial_mobilenet),
        cmocka_unit_test(test_tutorial_augment),
        cmocka_unit_test(test_augment_paths),
        cmocka_unit_test(test_vgg16_cifar),
        cmocka_unit_test(test_resnet50_logits),
        cmocka_unit_test(test_xception_max),
        cmocka_unit_test(test_efficientnet_head),
        cmocka_unit_test(test_base_spellings),
        cmocka_unit_test(test_mobile_blocks),
        cmocka_unit_test(test_tutorial_fine_tune),
        cmocka_unit_test(test_training_calls),
        cmocka_unit_test(test_guide_fine_tune),
        cmocka_unit_test(test_def_build_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
