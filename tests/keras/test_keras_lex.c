/* Issue 14's Keras-script cases (src/keras/lex.c, expr.c, api.c):
 * - a 1 MB one-line list: the lexer's column computation scans each byte a bounded
 *   number of times (klex.col_steps, a count of work, not a time; the old rescan of the
 *   line per token made it ~n^2/2 / token-length), its columns still count characters
 *   (UTF-8), and a whole 1 MB script with a one-line list of long strings imports;
 * - TabError where Python 3 raises it (cases checked with Python 3.11's compile(): the
 *   same line, column 1), and no TabError where Python accepts the mix;
 * - base.layers[10**18] and [1, 2][10**18] say the index is out of range, a slice
 *   [:10**18] clamps as in Python;
 * - plain string literals of 5,000+ characters are values; a weights path of 3,000
 *   characters is written into the lesson; one of 5,000 is refused for its length.
 * White-box: this test includes keras/internal.h to read the lexer's work counter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "keras/internal.h"
#include "keras/keras.h"

static char err[8192];

/* "x = [" then "item, " repeated until about n bytes, then "]\n". */
static char *one_line_list(size_t n, const char *item, size_t *len)
{
    char *s = malloc(n + 64);
    assert_non_null(s);
    size_t k = (size_t)sprintf(s, "x = [");
    size_t il = strlen(item);
    while (k + il + 4 < n) {
        memcpy(s + k, item, il);
        k += il;
        memcpy(s + k, ", ", 2);
        k += 2;
    }
    memcpy(s + k, item, il);
    k += il;
    memcpy(s + k, "]\n", 3);
    *len = k + 2;
    return s;
}

static size_t utf8_chars(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            c++;
    return c;
}

/* Lexes a one-line list of about n bytes; checks the work bound and the last token's column. */
static void lex_list(size_t n, const char *item)
{
    size_t len;
    char *s = one_line_list(n, item, &len);
    klex lx;
    if (ki_lex(&lx, "big.py", s, len, err, sizeof err))
        print_error("%s\n", err);
    assert_true(lx.n > 1000);
    /* the closing ']' is the token before NEWLINE, EOF */
    const ktok *close = &lx.t[lx.n - 3];
    assert_int_equal(close->kind, KT_OP);
    assert_int_equal(close->op, ']');
    assert_int_equal(close->col, (int)utf8_chars(s, len - 2) + 1);
    /* linear: each byte scanned at most once or twice for columns */
    if (lx.col_steps > 2 * len)
        print_error("%zu bytes, %zu column steps\n", len, lx.col_steps);
    assert_true(lx.col_steps <= 2 * len);
    ki_lex_free(&lx);
    free(s);
}

static void test_linear_columns(void **state)
{
    (void)state;
    lex_list(1u << 19, "7");
    lex_list((1u << 20) - 16, "7");
    lex_list((1u << 20) - 16, "'\\n'");       /* strings with escapes */
    lex_list((1u << 20) - 16, "'\xc3\xa9t\xc3\xa9'"); /* columns in characters */
    lex_list((1u << 20) - 16, "1.5e3");
}

/* A 1 MB script: a one-line list of 1,000 strings of 1,000 characters, then a model. */
static void test_big_script_imports(void **state)
{
    (void)state;
    static const char model[] =
        "\nfrom tensorflow.keras import layers, Sequential\n"
        "model = Sequential([layers.Flatten(input_shape=(28, 28, 1)), layers.Dense(1, activation='sigmoid')])\n"
        "model.compile(optimizer='adam', loss='binary_crossentropy')\n";
    size_t cap = (1u << 20);
    char *s = malloc(cap);
    assert_non_null(s);
    size_t k = (size_t)sprintf(s, "paths = [");
    for (int i = 0; i < 1000; i++) {
        s[k++] = '\'';
        memset(s + k, 'a' + i % 26, 1000);
        k += 1000;
        memcpy(s + k, "', ", 3);
        k += 3;
    }
    s[k++] = ']';
    memcpy(s + k, model, sizeof model);
    k += sizeof model - 1;
    assert_true(k > 1000000 && k < cap);
    char *notes = NULL;
    char *lesson = ls_keras_import_ex("big.py", s, k, &notes, err, sizeof err);
    if (!lesson)
        print_error("%s\n", err);
    assert_non_null(lesson);
    assert_non_null(strstr(lesson, "Dense(1, activation=sigmoid)"));
    free(lesson);
    free(notes);
    free(s);
}

typedef struct {
    const char *text;
    const char *message; /* NULL: Python accepts the indentation */
} tab_case;

/* Each checked with Python 3.11: compile() raises TabError at that line (offset 1), or not. */
static const tab_case tabs[] = {
    {"for l in []:\n        x = 1\n\ty = 2\n", "t.py:3:1: TabError: inconsistent use of tabs and spaces in indentation"},
    {"for l in []:\n    x = 1\n\ty = 2\n", "t.py:3:1: TabError: inconsistent use of tabs and spaces in indentation"},
    {"for l in []:\n\tfor m in []:\n\t        x = 1\n\t\ty = 2\n",
     "t.py:4:1: TabError: inconsistent use of tabs and spaces in indentation"},
    {"for l in []:\n\tx = 1\n        y = 2\n", "t.py:3:1: TabError: inconsistent use of tabs and spaces in indentation"},
    {"for l in []:\n\tx = 1\n\ty = 2\n", NULL},
    {"for l in []:\n\t    x = 1\n\t    y = 2\n", NULL},
    {"for l in []:\n  \tx = 1\n  \ty = 2\nz = 3\n", NULL},
};

static void test_tab_error(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof tabs / sizeof tabs[0]; i++) {
        klex lx;
        int r = ki_lex(&lx, "t.py", tabs[i].text, strlen(tabs[i].text), err, sizeof err);
        if (tabs[i].message) {
            if (r == 0 || strncmp(err, tabs[i].message, strlen(tabs[i].message)))
                print_error("case %zu: want %s\n got %s\n", i, tabs[i].message, r ? err : "(accepted)");
            assert_int_equal(r, -1);
            assert_memory_equal(err, tabs[i].message, strlen(tabs[i].message));
        } else {
            if (r)
                print_error("case %zu: %s\n", i, err);
            assert_int_equal(r, 0);
            ki_lex_free(&lx);
        }
    }
}

static const char header[] =
    "from tensorflow.keras import layers, Model\n"
    "from tensorflow.keras.applications.inception_v3 import InceptionV3\n"
    "base = InceptionV3(input_shape=(150, 150, 3), include_top=False, weights=None)\n";

static void expect_error(const char *body, const char *message)
{
    char text[8192];
    snprintf(text, sizeof text, "%s%s", header, body);
    char *lesson = ls_keras_import("x.py", text, strlen(text), err, sizeof err);
    if (lesson || strncmp(err, message, strlen(message)))
        print_error("want %s\n got %s\n", message, lesson ? "(imported)" : err);
    assert_null(lesson);
    assert_memory_equal(err, message, strlen(message));
}

static char *import_body(const char *body)
{
    size_t n = strlen(header) + strlen(body) + 1;
    char *text = malloc(n);
    assert_non_null(text);
    snprintf(text, n, "%s%s", header, body);
    char *lesson = ls_keras_import("x.py", text, strlen(text), err, sizeof err);
    if (!lesson)
        print_error("%s\n", err);
    assert_non_null(lesson);
    free(text);
    return lesson;
}

static void test_huge_index(void **state)
{
    (void)state;
    expect_error("l = base.layers[10**18]\n", "x.py:4:16: index 1000000000000000000 is out of range: the list has 311 layers");
    expect_error("l = base.layers[-10**18]\n", "x.py:4:16: index -1000000000000000000 is out of range");
    expect_error("l = base.layers[99999999999999999999]\n", "x.py:4:16: index 100000000000000000000 is out of range");
    expect_error("l = [1, 2][10**18]\n", "x.py:4:12: index 1000000000000000000 is out of range (the list has 2 elements)");
    expect_error("l = base.layers[2.0]\n", "x.py:4:16: model.layers takes a whole-number index, found a float");
    /* a slice clamps: [:10**18] is every layer, so the whole base is frozen */
    char *lesson = import_body("for l in base.layers[:10**18]:\n    l.trainable = False\n"
                               "m = Model(base.input, layers.Dense(1, activation='sigmoid')(layers.Flatten()(base.output)))\n"
                               "m.compile(loss='binary_crossentropy')\n");
    assert_non_null(strstr(lesson, ") frozen\n"));
    free(lesson);
}

static char *long_string_script(size_t n, const char *fmt)
{
    char *path = malloc(n + 1);
    assert_non_null(path);
    memset(path, 'w', n);
    memcpy(path, "/d/", 3);
    memcpy(path + n - 3, ".h5", 3);
    path[n] = '\0';
    size_t cap = n + 1024;
    char *body = malloc(cap);
    assert_non_null(body);
    snprintf(body, cap, fmt, path);
    free(path);
    return body;
}

static const char load_fmt[] =
    "note = '%s'\n"
    "base.load_weights('/d/w.h5')\n"
    "base.trainable = False\n"
    "m = Model(base.input, layers.Dense(1, activation='sigmoid')(layers.Flatten()(base.output)))\n"
    "m.compile(loss='binary_crossentropy')\n";
static const char weights_fmt[] =
    "base.load_weights('%s')\n"
    "base.trainable = False\n"
    "m = Model(base.input, layers.Dense(1, activation='sigmoid')(layers.Flatten()(base.output)))\n"
    "m.compile(loss='binary_crossentropy')\n";

static void test_long_strings(void **state)
{
    (void)state;
    /* a 6,000-character value the model does not use */
    char *body = long_string_script(6000, load_fmt);
    char *lesson = import_body(body);
    free(lesson);
    free(body);
    /* a 3,000-character weights path reaches the lesson whole */
    body = long_string_script(3000, weights_fmt);
    lesson = import_body(body);
    const char *w = strstr(lesson, "weights=\"/d/");
    assert_non_null(w);
    assert_int_equal(strcspn(w + 9, "\""), 3000);
    free(lesson);
    free(body);
    /* 5,000: too long for a path, and said so */
    body = long_string_script(5000, weights_fmt);
    expect_error(body, "x.py:4:19: the weights path is 5000 bytes long; a file path holds at most 4095 bytes");
    free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear_columns),
        cmocka_unit_test(test_big_script_imports),
        cmocka_unit_test(test_tab_error),
        cmocka_unit_test(test_huge_index),
        cmocka_unit_test(test_long_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
