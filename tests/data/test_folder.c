/* Image folders: classes in alphabetical order, pixels as RGB / 255 resized exactly as
 * ds_resize_bilinear, alpha dropped, source indices, a seeded stratified split, and every
 * bad input (not an image, truncated PNG and JPEG, empty class, one class) named.
 * The images are tiny PNGs/JPEGs the test writes itself through SDL2_image. */
#include "testutil.h"

#include <SDL.h>
#include <SDL_image.h>

#include "data/folder.h"

/* pixel (y, x) channel c of the test pattern of image `id` */
static unsigned char pattern(int id, int y, int x, int c)
{
    return (unsigned char)((id * 37 + y * 50 + x * 23 + c * 71) % 256);
}

static void save_image(const char *dir, const char *cls, const char *name, int id, int h, int w, bool alpha,
                       bool jpeg)
{
    char *cd = tu_join(dir, cls);
    mkdir(cd, 0755);
    char *path = tu_join(cd, name);
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, w, h, alpha ? 32 : 24,
                                                    alpha ? SDL_PIXELFORMAT_RGBA32 : SDL_PIXELFORMAT_RGB24);
    assert_non_null(s);
    int bpp = alpha ? 4 : 3;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            unsigned char *p = (unsigned char *)s->pixels + y * s->pitch + x * bpp;
            for (int c = 0; c < 3; c++)
                p[c] = pattern(id, y, x, c);
            if (alpha)
                p[3] = (unsigned char)(x * 40); /* must be ignored */
        }
    int rc = jpeg ? IMG_SaveJPG(s, path, 95) : IMG_SavePNG(s, path);
    if (rc != 0)
        fail_msg("%s: %s", path, IMG_GetError());
    SDL_FreeSurface(s);
    free(path);
    free(cd);
}

/* cats: 3 images, dogs: 2 (one RGBA), Birds: 1 (capital B sorts first), plus noise */
static char *make_tree(void)
{
    char *dir = tu_mkdtemp("folder");
    save_image(dir, "cats", "b.png", 1, 5, 7, false, false);
    save_image(dir, "cats", "a.png", 0, 4, 4, false, false);
    save_image(dir, "cats", "c.PNG", 2, 9, 3, false, false);
    save_image(dir, "dogs", "x.png", 3, 6, 6, true, false);
    save_image(dir, "dogs", "y.png", 4, 2, 2, false, false);
    save_image(dir, "Birds", "z.png", 5, 3, 8, false, false);
    char *readme = tu_join(dir, "cats/README.txt");
    tu_write(readme, "not an image, and ignored\n", 26);
    free(readme);
    char *hidden = tu_join(dir, ".thumbnails");
    mkdir(hidden, 0755);
    free(hidden);
    return dir;
}

/* What an image should become: its pattern / 255, resized with ds_resize_bilinear. */
static void expected(int id, int h, int w, int oh, int ow, float *out)
{
    float *raw = malloc(sizeof(float) * (size_t)(h * w * 3));
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++)
                raw[(y * w + x) * 3 + c] = (float)pattern(id, y, x, c) / 255.0f;
    char err[256];
    assert_int_equal(ds_resize_bilinear(raw, 1, h, w, 3, out, oh, ow, 3, err, sizeof err), 0);
    free(raw);
}

static void test_load(void **state)
{
    (void)state;
    char *dir = make_tree();
    ds_folder_opts o = ds_folder_opts_default();
    o.h = 5;
    o.w = 6;
    ds_folder f;
    char err[1024];
    if (ds_folder_load(dir, &o, &f, err, sizeof err) < 0)
        fail_msg("%s", err);
    const ds_set *t = &f.train;
    assert_int_equal(t->n, 6);
    assert_int_equal(t->k, 3);
    assert_int_equal(f.val.n, 0);
    assert_string_equal(t->class_names[0], "Birds");
    assert_string_equal(t->class_names[1], "cats");
    assert_string_equal(t->class_names[2], "dogs");
    assert_int_equal(t->h, 5);
    assert_int_equal(t->w, 6);
    assert_int_equal(t->c, 3);
    /* listing order: Birds/z, cats/a, cats/b, cats/c.PNG, dogs/x, dogs/y */
    const int ids[6] = {5, 0, 1, 2, 3, 4}, hs[6] = {3, 4, 5, 9, 6, 2}, ws[6] = {8, 4, 7, 3, 6, 2};
    const int labels[6] = {0, 1, 1, 1, 2, 2};
    float want[5 * 6 * 3];
    for (int i = 0; i < 6; i++) {
        assert_int_equal(t->src[i], i);
        assert_int_equal(t->y[i], labels[i]);
        expected(ids[i], hs[i], ws[i], 5, 6, want);
        assert_memory_equal(t->x + (size_t)i * 90, want, sizeof want);
    }
    ds_folder_free(&f);
    tu_rmtree(dir);
    free(dir);
}

static void test_split(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("split");
    for (int i = 0; i < 10; i++) {
        char nm[32];
        snprintf(nm, sizeof nm, "%02d.png", i);
        save_image(dir, "a", nm, i, 3, 3, false, false);
        save_image(dir, "b", nm, 10 + i, 3, 3, false, false);
    }
    ds_folder_opts o = ds_folder_opts_default();
    o.h = o.w = 3;
    o.val_fraction = 0.3;
    o.seed = 4;
    ds_folder f, g;
    char err[1024];
    assert_int_equal(ds_folder_load(dir, &o, &f, err, sizeof err), 0);
    assert_int_equal(f.val.n, 6);
    assert_int_equal(f.train.n, 14);
    int per_class[2] = {0, 0};
    char seen[20] = {0};
    for (int i = 0; i < f.val.n; i++) {
        per_class[f.val.y[i]]++;
        seen[f.val.src[i]]++;
        assert_int_equal(f.val.y[i], f.val.src[i] / 10);
    }
    assert_int_equal(per_class[0], 3);
    assert_int_equal(per_class[1], 3);
    for (int i = 0; i < f.train.n; i++) {
        seen[f.train.src[i]]++;
        if (i)
            assert_true(f.train.src[i] > f.train.src[i - 1]); /* listing order kept */
    }
    for (int i = 0; i < 20; i++)
        assert_int_equal(seen[i], 1);
    /* same seed, same split; the pixels follow their example */
    assert_int_equal(ds_folder_load(dir, &o, &g, err, sizeof err), 0);
    assert_memory_equal(f.val.src, g.val.src, sizeof(int32_t) * 6);
    float want[27];
    expected(f.val.src[0], 3, 3, 3, 3, want); /* image id == listing index here */
    assert_memory_equal(f.val.x, want, sizeof want);
    ds_folder_free(&g);
    /* a count instead of a share; a cap per class */
    o.val_fraction = 0;
    o.val_count = 4;
    o.max_per_class = 5;
    assert_int_equal(ds_folder_load(dir, &o, &g, err, sizeof err), 0);
    assert_int_equal(g.train.n + g.val.n, 10);
    assert_int_equal(g.val.n, 4);
    ds_folder_free(&g);
    ds_folder_free(&f);
    tu_rmtree(dir);
    free(dir);
}

static void expect_fail(const char *dir, const char *n1, const char *n2)
{
    ds_folder_opts o = ds_folder_opts_default();
    o.h = o.w = 4;
    ds_folder f;
    char err[1024] = "";
    assert_int_equal(ds_folder_load(dir, &o, &f, err, sizeof err), -1);
    assert_int_equal(f.train.n, 0);
    tu_assert_msg(err, n1, n2);
}

static void test_errors(void **state)
{
    (void)state;
    char err[1024];
    /* no such folder */
    expect_fail("/nonexistent/dropscope-images", "/nonexistent/dropscope-images", "cannot open");
    /* one class only */
    char *dir = tu_mkdtemp("oneclass");
    save_image(dir, "cats", "a.png", 0, 4, 4, false, false);
    expect_fail(dir, "found 1 class folder (cats)", "at least 2");
    /* an empty class folder */
    char *dogs = tu_join(dir, "dogs");
    mkdir(dogs, 0755);
    expect_fail(dir, dogs, "has no images");
    /* a text file with an image name */
    char *bad = tu_join(dogs, "fake.png");
    tu_write(bad, "hello, I am text\n", 17);
    expect_fail(dir, bad, "not a readable image");
    unlink(bad);
    /* a truncated PNG */
    save_image(dir, "dogs", "t.png", 1, 16, 16, false, false);
    char *t = tu_join(dogs, "t.png");
    size_t n;
    unsigned char *data = tu_slurp(t, &n);
    tu_write(t, data, n / 2);
    expect_fail(dir, t, "dogs/t.png");
    unlink(t);
    /* a truncated JPEG (libjpeg alone would only warn) */
    save_image(dir, "dogs", "j.jpg", 1, 16, 16, false, true);
    char *j = tu_join(dogs, "j.jpg");
    free(data);
    data = tu_slurp(j, &n);
    tu_write(j, data, n - 40);
    expect_fail(dir, j, "truncated");
    /* the whole JPEG reads */
    tu_write(j, data, n);
    ds_folder_opts o = ds_folder_opts_default();
    ds_folder f;
    assert_int_equal(ds_folder_load(dir, &o, &f, err, sizeof err), 0);
    assert_int_equal(f.train.n, 2);
    assert_int_equal(f.train.h, 150);
    ds_folder_free(&f);
    /* bad options */
    o.val_fraction = 1.0;
    assert_int_equal(ds_folder_load(dir, &o, &f, err, sizeof err), -1);
    o.val_fraction = 0;
    o.val_count = 2;
    assert_int_equal(ds_folder_load(dir, &o, &f, err, sizeof err), -1);
    tu_assert_msg(err, "only 2 images");
    free(data);
    free(t);
    free(j);
    free(bad);
    free(dogs);
    tu_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
