/* Issue 14, lessons and sessions: line ends (LF, CRLF and a lone CR read alike, lines
 * counted that way), time linear in the text (1 MB paragraphs, comments, long values,
 * each under a generous bound, times printed), the messages of a folder lesson (its class
 * count and image size are the folder's, known once it is read), the memory budget
 * counting the resized validation set before allocating it, named pipes refused without
 * blocking, and control characters escaped in every message (one line each).
 * Expected values are written out by hand; none is captured from the program. */
#include "../data/testutil.h"

#include <SDL.h>
#include <SDL_image.h>

#include <sys/resource.h>
#include <time.h>

#include "lesson/lesson.h"
#include "session/load.h"
#include "session/session.h"

static char err[2048];

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static long max_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024;
}

/* text with every "\n" replaced by eol (caller frees) */
static char *with_eol(const char *text, const char *eol)
{
    size_t n = strlen(text), el = strlen(eol), k = 0;
    char *out = malloc(n * el + 1);
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '\n') {
            memcpy(out + k, eol, el);
            k += el;
        } else {
            out[k++] = text[i];
        }
    }
    out[k] = '\0';
    return out;
}

/* ---------------------------------------------------------------------- line ends -- */

static const char good_lesson[] = "title T\n"                          /* 1 */
                                  "data fashion_mnist\n"               /* 2 */
                                  "  classes sneaker, ankle boot\n"    /* 3 */
                                  "\n"                                 /* 4 */
                                  "model\n"                            /* 5 */
                                  "  Flatten()\n"                      /* 6 */
                                  "  Dense(1, activation=sigmoid)\n"   /* 7 */
                                  "compile\n"                          /* 8 */
                                  "  loss binary_crossentropy\n"       /* 9 */
                                  "# a comment\n"                      /* 10 */
                                  "step \"one\"\n"                     /* 11 */
                                  "> first line\n"                     /* 12 */
                                  "> second line\n"                    /* 13 */
                                  "  run 2 steps\n"                    /* 14 */
                                  "step \"two\"\n"                     /* 15 */
                                  "  freeze dense\n";                  /* 16 */

static void test_line_ends(void **state)
{
    (void)state;
    const char *eols[] = {"\n", "\r\n", "\r"};
    for (int k = 0; k < 3; k++) {
        char *t = with_eol(good_lesson, eols[k]);
        ls_lesson *l = ls_lesson_parse("t.lesson", t, strlen(t), err, sizeof err);
        if (!l)
            fail_msg("line end %d: %s", k, err);
        assert_string_equal(l->title, "T");
        assert_int_equal(l->data.n_classes, 2);
        assert_int_equal(l->n_decls, 2);
        assert_int_equal(l->decls[0].loc.line, 6);
        assert_int_equal(l->decls[0].loc.col, 3);
        assert_int_equal(l->decls[1].loc.line, 7);
        assert_int_equal(l->compile.loc.line, 8);
        assert_int_equal(l->n_steps, 2);
        assert_int_equal(l->steps[0].loc.line, 11);
        assert_int_equal(l->steps[1].loc.line, 15);
        assert_int_equal(l->steps[0].n_items, 2);
        assert_int_equal(l->steps[0].items[0].kind, LS_ITEM_TEXT);
        assert_string_equal(l->steps[0].items[0].u.text, "first line second line");
        assert_int_equal(l->steps[0].items[1].u.action.loc.line, 14);
        assert_int_equal(l->steps[1].items[0].u.action.loc.line, 16);
        ls_lesson_destroy(l);
        free(t);
    }
    /* errors: on a line in the middle, and at the end of the file */
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"title T\ndata fashion_mnist\n\n  bogus 3\n", "t.lesson:4:3: unknown data setting 'bogus'"},
        {"title T\n# c\ndata fashion_mnist\nmodel\n  Flatten()\n  Dense(1)\n",
         "t.lesson:7:1: expected a 'compile' section but found the end of the file"},
        {"title T\n# c\ndata fashion_mnist\nmodel\n  Flatten()\n  Dense(1)",
         "t.lesson:6:11: expected a 'compile' section but found the end of the file"},
    };
    for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++)
        for (int k = 0; k < 3; k++) {
            char *t = with_eol(bad[b].text, eols[k]);
            ls_lesson *l = ls_lesson_parse("t.lesson", t, strlen(t), err, sizeof err);
            assert_null(l);
            if (strncmp(err, bad[b].want, strlen(bad[b].want)))
                fail_msg("case %zu, line end %d: got '%s', wanted '%s...'", b, k, err, bad[b].want);
            free(t);
        }
    /* "\r\r" is two line ends (a blank line), "\r\n" one */
    const char *mixed = "title T\r\rdata fashion_mnist\r\n\n  bogus 3\n";
    assert_null(ls_lesson_parse("t.lesson", mixed, strlen(mixed), err, sizeof err));
    assert_string_equal(err, "t.lesson:5:3: unknown data setting 'bogus' (known: classes, train, val, test, resize, dir)");
}

/* --------------------------------------------------------------- linear in the text -- */

#define HEADER "title T\ndata fashion_mnist\n  classes sneaker, ankle boot\nmodel\n  Flatten()\n" \
               "  Dense(1, activation=sigmoid)\ncompile\n  loss binary_crossentropy\n"
#define MB (1 << 20)
#define BOUND_S 5.0

/* Appends to a buffer of MB bytes while room is left for `reserve` more. */
typedef struct {
    char *s;
    size_t n;
} buf;

static void put(buf *b, const char *s) { b->n += (size_t)sprintf(b->s + b->n, "%s", s); }

/* Parses b from a file (the reader too), checks it within BOUND_S; returns the lesson. */
static ls_lesson *timed_load(const char *what, const buf *b, const char *dir)
{
    char *path = tu_join(dir, "big.lesson");
    tu_write(path, b->s, b->n);
    double t0 = now();
    ls_lesson *l = ls_lesson_load(path, err, sizeof err);
    double t = now() - t0;
    if (!l)
        fail_msg("%s: %s", what, err);
    print_message("%s (%zu bytes): %.3f s\n", what, b->n, t);
    if (t > BOUND_S)
        fail_msg("%s: %.2f s, over the bound of %.0f s: not linear", what, t, BOUND_S);
    free(path);
    return l;
}

static void test_linear(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("lin");
    buf b = {malloc(MB + 1), 0};
    char line[4200];

    /* one paragraph of 1 MB: 78-character '>' lines (with CR line ends: the same) */
    for (int cr = 0; cr < 2; cr++) {
        b.n = 0;
        put(&b, HEADER "step \"s\"\n");
        memset(line, 'w', sizeof line);
        memcpy(line, "> ", 2);
        line[80] = '\0';
        line[79] = cr ? '\r' : '\n';
        int lines = 0;
        while (b.n + 81 < MB) {
            put(&b, line);
            lines++;
        }
        ls_lesson *l = timed_load(cr ? "a 1 MB paragraph, CR line ends" : "a 1 MB paragraph", &b, dir);
        assert_int_equal(l->steps[0].n_items, 1);
        /* 77 letters a line, joined by single spaces */
        assert_int_equal(strlen(l->steps[0].items[0].u.text), (size_t)lines * 77 + (size_t)lines - 1);
        ls_lesson_destroy(l);
    }

    /* 1 MB of comments: short lines, then lines of 4000 characters */
    for (int len = 2; len <= 4000; len += 3998) {
        b.n = 0;
        put(&b, "title T\n");
        memset(line, 'c', (size_t)len);
        line[0] = '#';
        line[len - 1] = '\n';
        line[len] = '\0';
        while (b.n + (size_t)len + 200 < MB)
            put(&b, line);
        put(&b, HEADER + 8);
        ls_lesson *l = timed_load(len == 2 ? "1 MB of '#' lines" : "1 MB of 4000-byte comments", &b, dir);
        assert_int_equal(l->n_decls, 2);
        ls_lesson_destroy(l);
    }

    /* long values: steps whose titles are 4000-character strings, each with a question
     * of 4000-character choices */
    b.n = 0;
    put(&b, HEADER);
    memset(line, 'v', 4000);
    line[4000] = '\0';
    int steps = 0;
    while (b.n + 4 * 4020 < MB && steps < 60) {
        b.n += (size_t)sprintf(b.s + b.n, "step \"%s\"\n  question \"%s\"\n  choice \"%s\"\n  choice \"%s\"\n  answer a\n",
                               line, line, line, line);
        steps++;
    }
    ls_lesson *l = timed_load("long values (4000-byte strings)", &b, dir);
    assert_int_equal(l->n_steps, steps);
    assert_int_equal(strlen(l->steps[steps - 1].title), 4000);
    ls_lesson_destroy(l);

    free(b.s);
    tu_rmtree(dir);
    free(dir);
}

/* ---------------------------------------------------------------- folder lessons -- */

static void save_png(const char *dir, const char *cls, const char *name, int h, int w)
{
    char *cd = tu_join(dir, cls);
    mkdir(cd, 0755);
    char *path = tu_join(cd, name);
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, w, h, 24, SDL_PIXELFORMAT_RGB24);
    assert_non_null(s);
    for (int y = 0; y < h; y++)
        memset((unsigned char *)s->pixels + y * s->pitch, (y * 40) & 255, (size_t)w * 3);
    if (IMG_SavePNG(s, path) != 0)
        fail_msg("%s: %s", path, IMG_GetError());
    SDL_FreeSurface(s);
    free(path);
    free(cd);
}

/* A folder lesson on dir with the given input and head, as a file in dir. */
static ls_lesson *folder_lesson(const char *dir, const char *input, const char *head, const char *loss)
{
    char text[2048], *path = tu_join(dir, "f.lesson");
    snprintf(text, sizeof text,
             "title F\ndata folder \"%s\"\nmodel\n  Input(shape=%s)\n  Flatten()\n  %s\ncompile\n  loss %s\n", dir,
             input, head, loss);
    tu_write(path, text, strlen(text));
    ls_lesson *l = ls_lesson_load(path, err, sizeof err);
    free(path);
    return l;
}

static void test_folder_messages(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("fold");
    /* two class folders of 12x12 images (neither 28x28 nor the model's 20x20) */
    save_png(dir, "cats", "a.png", 12, 12);
    save_png(dir, "cats", "b.png", 12, 12);
    save_png(dir, "dogs", "a.png", 12, 12);
    save_png(dir, "dogs", "b.png", 12, 12);
    ls_options o = ls_options_default();
    o.quiet = true;

    /* binary loss, two folders, no 'classes': a sound lesson (it said "the data has 10") */
    ls_lesson *l = folder_lesson(dir, "(20, 20, 3)", "Dense(1, activation=sigmoid)", "binary_crossentropy");
    if (!l)
        fail_msg("two class folders, binary loss: %s", err);
    ls_session *s = ls_session_create(l, &o, err, sizeof err);
    if (!s)
        fail_msg("two class folders, binary loss: %s", err);
    ls_session_destroy(s);

    /* a one-channel input: the folder gives RGB at the input's size, not "28x28x1" */
    assert_null(folder_lesson(dir, "(20, 20, 1)", "Dense(1, activation=sigmoid)", "binary_crossentropy"));
    assert_non_null(strstr(err, "f.lesson:4:3: the model's input is (20, 20, 1) but an image folder gives RGB images, resized to the input's height and width"));
    assert_null(strstr(err, "28x28"));

    /* three folders: the count is the folder's */
    save_png(dir, "birds", "a.png", 12, 12);
    l = folder_lesson(dir, "(20, 20, 3)", "Dense(1, activation=sigmoid)", "binary_crossentropy");
    assert_non_null(l);
    assert_null(ls_session_create(l, &o, err, sizeof err));
    char want[1200];
    snprintf(want, sizeof want, "f.lesson:7:1: binary_crossentropy needs exactly 2 classes but %s has 3 class folders", dir);
    if (!strstr(err, want))
        fail_msg("got '%s', wanted '...%s'", err, want);
    l = folder_lesson(dir, "(20, 20, 3)", "Dense(5, activation=softmax)", "sparse_categorical_crossentropy");
    assert_non_null(l);
    assert_null(ls_session_create(l, &o, err, sizeof err));
    snprintf(want, sizeof want,
             "f.lesson:7:1: sparse_categorical_crossentropy needs one output unit per class: %s has 3 class folders but the model's output has 5 units",
             dir);
    if (!strstr(err, want))
        fail_msg("got '%s', wanted '...%s'", err, want);
    tu_rmtree(dir);
    free(dir);
}

/* ------------------------------------------------------------------ memory budget -- */

static const char big_val[] = "title B\n"                            /* 1 */
                              "data fashion_mnist\n"                 /* 2 */
                              "  classes sneaker, ankle boot\n"      /* 3 */
                              "  val %d\n"                           /* 4 */
                              "  resize 1024x1024x3\n"               /* 5 */
                              "model\n"                              /* 6 */
                              "  Input(shape=(1024, 1024, 3))\n"     /* 7 */
                              "  Flatten()\n"                        /* 8 */
                              "  Dense(1, activation=sigmoid)\n"     /* 9 */
                              "compile\n"                            /* 10 */
                              "  loss binary_crossentropy\n";        /* 11 */

static void test_val_budget(void **state)
{
    (void)state;
    char text[1024];
    snprintf(text, sizeof text, big_val, 1000);
    ls_lesson *l = ls_lesson_parse("b.lesson", text, strlen(text), err, sizeof err);
    assert_non_null(l);
    ls_options o = ls_options_default();
    o.quiet = true;
    o.memory_budget = (size_t)4096 << 20;
    long rss0 = max_rss_mb();
    double t0 = now();
    assert_null(ls_session_create(l, &o, err, sizeof err));
    double t = now() - t0;
    long rss = max_rss_mb() - rss0;
    print_message("val 1000 at 1024x1024x3 refused in %.3f s, peak RSS +%ld MB\n", t, rss);
    /* 1000 * 1024*1024*3 floats = 12000 MiB; Dense(1) on 3145728 inputs: kernel, bias
     * and their gradients, (3145728 + 1) * 2 * 4 bytes = 24.0 MiB */
    assert_string_equal(err, "b.lesson:4:3: the validation set, 1000 images resized to (1024, 1024, 3) ('resize' at line 5), needs 12000.0 MiB on top of 24.0 MiB, over the memory budget of 4096.0 MiB; lower 'val' or the image size");
    assert_true(t < 1.0);
    assert_true(rss < 100);

    /* the default budget (at most 16 GiB) refuses 2000 such images (24000 MiB) */
    snprintf(text, sizeof text, big_val, 2000);
    l = ls_lesson_parse("b.lesson", text, strlen(text), err, sizeof err);
    assert_non_null(l);
    o.memory_budget = 0;
    assert_null(ls_session_create(l, &o, err, sizeof err));
    assert_non_null(strstr(err, "b.lesson:4:3: the validation set, 2000 images resized to (1024, 1024, 3) ('resize' at line 5), needs 24000.0 MiB"));
}

/* An image folder's images are counted against the budget once listed, before any is
 * read: a folder whose files are not even images is refused for its size, naming the
 * lesson's 'data' line, at a small peak. */
static void test_folder_budget(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("foldb");
    const char *cls[] = {"cats", "dogs"};
    for (int c = 0; c < 2; c++) {
        char *cd = tu_join(dir, cls[c]);
        mkdir(cd, 0755);
        for (int i = 0; i < 3; i++) {
            char name[16];
            snprintf(name, sizeof name, "%d.png", i);
            char *p = tu_join(cd, name);
            tu_write(p, "not a png", 9);      /* never read: the budget refuses first */
            free(p);
        }
        free(cd);
    }
    ls_lesson *l = folder_lesson(dir, "(2048, 2048, 3)", "Dense(1, activation=sigmoid)", "binary_crossentropy");
    assert_non_null(l);
    ls_options o = ls_options_default();
    o.quiet = true;
    o.memory_budget = (size_t)200 << 20;
    long rss0 = max_rss_mb();
    assert_null(ls_session_create(l, &o, err, sizeof err));
    long rss = max_rss_mb() - rss0;
    print_message("6 images at 2048x2048x3 refused, peak RSS +%ld MB: %s\n", rss, err);
    /* 6 * 2048*2048*3 * 4 bytes + labels = 288.0 MiB; Dense(1) on 12582912 inputs, kernel,
     * bias and gradients: 96.0 MiB, leaving 104.0 MiB of the 200 */
    char want[1024];
    snprintf(want, sizeof want, "f.lesson:2:1: %s: 6 images read at 2048x2048x3 need 288.0 MiB, over the 104.0 MiB "
             "the memory budget leaves for them; use fewer images or a smaller input size", dir);
    if (!strstr(err, want))
        fail_msg("got '%s', wanted '...%s'", err, want);
    assert_true(rss < 100);
    /* under a budget that holds them, the same folder gets as far as its first image */
    l = folder_lesson(dir, "(2048, 2048, 3)", "Dense(1, activation=sigmoid)", "binary_crossentropy");
    assert_non_null(l);
    o.memory_budget = (size_t)1024 << 20;
    assert_null(ls_session_create(l, &o, err, sizeof err));
    assert_non_null(strstr(err, "0.png"));
    tu_rmtree(dir);
    free(dir);
}

/* ------------------------------------------------------------------- named pipes -- */

static void test_pipes(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("pipe");
    const char *names[] = {"f.py", "f.lesson"};
    for (int i = 0; i < 2; i++) {
        char *p = tu_mkfifo(dir, names[i]);
        tu_hang_guard(10);
        assert_null(ls_lesson_load_any(p, err, sizeof err));
        tu_hang_guard(0);
        char want[600];
        snprintf(want, sizeof want, "%s: is a named pipe, not a regular file", p);
        if (strncmp(err, want, strlen(want)))
            fail_msg("got '%s', wanted '%s...'", err, want);
        free(p);
    }
    tu_rmtree(dir);
    free(dir);
}

/* ------------------------------------------------------------ escaped messages -- */

static void assert_one_line(const char *m)
{
    for (const char *c = m; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            fail_msg("control character 0x%02x in '%s'", *c, m);
}

static void test_escaped(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("esc");
    /* a lesson file named with a newline and ESC[2J: a parse error names it escaped */
    char *path = tu_join(dir, "a\n\x1b[2J.lesson");
    const char *bad = "title T\ndata fashion_mnist\n  bogus 1\n";
    tu_write(path, bad, strlen(bad));
    assert_null(ls_lesson_load(path, err, sizeof err));
    assert_one_line(err);
    assert_non_null(strstr(err, "/a\\n\\x1b[2J.lesson:3:3: unknown data setting 'bogus'"));
    /* a session's message (the budget's refusal) names the lesson escaped */
    char big[1024];
    snprintf(big, sizeof big, big_val, 1000);
    tu_write(path, big, strlen(big));
    ls_lesson *l = ls_lesson_load(path, err, sizeof err);
    assert_non_null(l);
    ls_options o = ls_options_default();
    o.memory_budget = (size_t)1024 << 20;
    assert_null(ls_session_create(l, &o, err, sizeof err));
    assert_one_line(err);
    assert_non_null(strstr(err, "/a\\n\\x1b[2J.lesson:4:3: the validation set"));
    free(path);
    tu_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_ends),
        cmocka_unit_test(test_linear),
        cmocka_unit_test(test_folder_messages),
        cmocka_unit_test(test_val_budget),
        cmocka_unit_test(test_folder_budget),
        cmocka_unit_test(test_pipes),
        cmocka_unit_test(test_escaped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
