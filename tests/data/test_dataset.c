/* Fashion-MNIST loading (on a small fake directory written here, and on the real files
 * when Debian's dataset-fashion-mnist is installed), class selection and relabelling,
 * seeded stratified splits and caps, the batcher's determinism, and bilinear resizing. */
#include "testutil.h"

#include <math.h>

#include "data/dataset.h"
#include "data/idx.h"

static char *dir;

static int setup(void **state)
{
    (void)state;
    dir = tu_mkdtemp("dataset");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_rmtree(dir);
    free(dir);
    return 0;
}

/* ------------------------------------------------------------ a fake data dir -- */

/* Example i has label i % 10 and pixel p = (i * 3 + p) % 256 on a 4x5 image. */
#define FH 4
#define FW 5
static uint8_t fake_px(int i, int p) { return (uint8_t)((i * 3 + p) % 256); }

static void write_fake_pair(const char *d, const char *img, const char *lab, int n)
{
    size_t isz = 16 + (size_t)n * FH * FW, lsz = 8 + (size_t)n;
    uint8_t *bi = calloc(isz, 1), *bl = calloc(lsz, 1);
    uint8_t ih[16] = {0, 0, 8, 3, (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8),
                      (uint8_t)n, 0, 0, 0, FH, 0, 0, 0, FW};
    uint8_t lh[8] = {0, 0, 8, 1, (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8),
                     (uint8_t)n};
    memcpy(bi, ih, 16);
    memcpy(bl, lh, 8);
    for (int i = 0; i < n; i++) {
        bl[8 + i] = (uint8_t)(i % 10);
        for (int p = 0; p < FH * FW; p++)
            bi[16 + (size_t)i * FH * FW + p] = fake_px(i, p);
    }
    char *pi = tu_join(d, img), *pl = tu_join(d, lab);
    tu_write_gz(pi, bi, isz);
    tu_write_gz(pl, bl, lsz);
    free(pi);
    free(pl);
    free(bi);
    free(bl);
}

/* 200 training examples (20 per class), 50 test (5 per class). */
static char *fake_dir(void)
{
    char *d = tu_join(dir, "fake");
    if (access(d, F_OK) == 0)
        return d;
    assert_int_equal(mkdir(d, 0755), 0);
    write_fake_pair(d, "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 200);
    write_fake_pair(d, "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 50);
    return d;
}

static void load_ok(ds_fmnist_opts *o, ds_fmnist *f)
{
    char err[512] = "";
    if (ds_fmnist_load(o, f, err, sizeof err))
        fail_msg("%s", err);
}

/* Every example's label, pixels and source index agree with the fake file. */
static void check_set(const ds_set *s, const int *classes)
{
    for (int i = 0; i < s->n; i++) {
        int src = s->src[i];
        assert_int_equal(classes[s->y[i]], src % 10);
        for (int p = 0; p < FH * FW; p++)
            assert_true(s->x[(size_t)i * FH * FW + p] == (float)fake_px(src, p) / 255.0f);
        if (i)
            assert_true(s->src[i] > s->src[i - 1]); /* file order */
    }
}

static int count_label(const ds_set *s, int y)
{
    int c = 0;
    for (int i = 0; i < s->n; i++)
        c += s->y[i] == y;
    return c;
}

static void test_fake_classes_relabelled(void **state)
{
    (void)state;
    char *d = fake_dir();
    ds_fmnist_opts o = ds_fmnist_opts_default();
    o.dir = d;
    o.n_classes = 2;
    o.classes[0] = 9; /* given order defines the labels: 9 -> 0, 7 -> 1 */
    o.classes[1] = 7;
    ds_fmnist f;
    load_ok(&o, &f);
    assert_int_equal(f.train.n, 40);
    assert_int_equal(f.test.n, 10);
    assert_int_equal(f.val.n, 0);
    assert_int_equal(f.train.h, FH);
    assert_int_equal(f.train.w, FW);
    assert_int_equal(f.train.c, 1);
    assert_int_equal(f.train.k, 2);
    assert_string_equal(f.train.class_names[0], "Ankle boot");
    assert_string_equal(f.train.class_names[1], "Sneaker");
    assert_int_equal(f.train.class_src[0], 9);
    assert_int_equal(count_label(&f.train, 0), 20);
    assert_int_equal(count_label(&f.test, 1), 5);
    check_set(&f.train, o.classes);
    check_set(&f.test, o.classes);
    assert_string_equal(f.dir, d);
    ds_fmnist_free(&f);
    ds_fmnist_free(NULL);
    free(d);
}

static void test_fake_split_and_caps(void **state)
{
    (void)state;
    char *d = fake_dir();
    ds_fmnist_opts o = ds_fmnist_opts_default();
    o.dir = d;
    o.n_classes = 3;
    o.classes[0] = 1;
    o.classes[1] = 4;
    o.classes[2] = 8;
    o.val_count = 12;
    o.seed = 42;
    ds_fmnist f, g;
    load_ok(&o, &f);
    /* stratified: 4 of each class's 20 to validation */
    assert_int_equal(f.val.n, 12);
    assert_int_equal(f.train.n, 48);
    for (int c = 0; c < 3; c++) {
        assert_int_equal(count_label(&f.val, c), 4);
        assert_int_equal(count_label(&f.train, c), 16);
    }
    check_set(&f.val, o.classes);
    check_set(&f.train, o.classes);
    /* train and val are disjoint and together the whole selection */
    int seen[200] = {0};
    for (int i = 0; i < f.train.n; i++)
        seen[f.train.src[i]]++;
    for (int i = 0; i < f.val.n; i++)
        seen[f.val.src[i]]++;
    int total = 0;
    for (int i = 0; i < 200; i++) {
        assert_true(seen[i] <= 1);
        total += seen[i];
    }
    assert_int_equal(total, 60);
    /* same seed, same split; another seed, another split */
    load_ok(&o, &g);
    assert_memory_equal(f.val.src, g.val.src, 12 * sizeof(int32_t));
    ds_fmnist_free(&g);
    o.seed = 43;
    load_ok(&o, &g);
    assert_memory_not_equal(f.val.src, g.val.src, 12 * sizeof(int32_t));
    ds_fmnist_free(&g);
    ds_fmnist_free(&f);

    /* a fraction, caps on every split, largest-remainder shares */
    o.val_count = 0;
    o.val_fraction = 0.25; /* 15 of 60: 5 per class */
    o.max_train = 10;      /* 45 -> 10: 4, 3, 3 */
    o.max_val = 7;         /* 15 -> 7: 3, 2, 2 */
    o.max_test = 4;        /* 15 -> 4: 2, 1, 1 */
    load_ok(&o, &f);
    assert_int_equal(f.train.n, 10);
    assert_int_equal(f.val.n, 7);
    assert_int_equal(f.test.n, 4);
    assert_int_equal(count_label(&f.train, 0), 4);
    assert_int_equal(count_label(&f.train, 2), 3);
    assert_int_equal(count_label(&f.val, 0), 3);
    assert_int_equal(count_label(&f.test, 0), 2);
    check_set(&f.train, o.classes);
    check_set(&f.val, o.classes);
    check_set(&f.test, o.classes);
    ds_fmnist_free(&f);

    /* not stratified: still the right sizes, still deterministic */
    o.stratified = false;
    load_ok(&o, &f);
    load_ok(&o, &g);
    assert_int_equal(f.train.n, 10);
    assert_int_equal(f.val.n, 7);
    assert_memory_equal(f.train.src, g.train.src, 10 * sizeof(int32_t));
    ds_fmnist_free(&f);
    ds_fmnist_free(&g);
    free(d);
}

static void test_fake_errors(void **state)
{
    (void)state;
    char err[512] = "";
    ds_fmnist f;
    ds_fmnist_opts o = ds_fmnist_opts_default();
    char *missing = tu_join(dir, "nothing-here");
    o.dir = missing;
    assert_int_equal(ds_fmnist_load(&o, &f, err, sizeof err), -1);
    tu_assert_msg(err, missing, "train-images-idx3-ubyte.gz: not found",
                  "install Debian's dataset-fashion-mnist package or pass --data DIR / set "
                  "DROPSCOPE_DATA");
    /* The environment variable is used when no directory is given. */
    setenv("DROPSCOPE_DATA", missing, 1);
    assert_string_equal(ds_fmnist_dir(NULL), missing);
    assert_string_equal(ds_fmnist_dir(""), missing);
    assert_string_equal(ds_fmnist_dir("/x"), "/x");
    o.dir = NULL;
    assert_int_equal(ds_fmnist_load(&o, &f, err, sizeof err), -1);
    tu_assert_msg(err, missing, "DROPSCOPE_DATA");
    unsetenv("DROPSCOPE_DATA");
    assert_string_equal(ds_fmnist_dir(NULL), DS_FMNIST_DEFAULT_DIR);
    free(missing);

    char *d = fake_dir();
    o.dir = d;
    o.n_classes = 2;
    o.classes[0] = 3;
    o.classes[1] = 3;
    assert_int_equal(ds_fmnist_load(&o, &f, err, sizeof err), -1);
    tu_assert_msg(err, "class 3 (Dress) is listed twice");
    o.classes[1] = 10;
    assert_int_equal(ds_fmnist_load(&o, &f, err, sizeof err), -1);
    tu_assert_msg(err, "class 10 does not exist");
    o.classes[1] = 4;
    o.val_count = 40;
    assert_int_equal(ds_fmnist_load(&o, &f, err, sizeof err), -1);
    tu_assert_msg(err, "40 validation examples", "only 40 training examples");
    o.val_count = 0;
    o.val_fraction = 1.5;
    assert_int_equal(ds_fmnist_load(&o, &f, err, sizeof err), -1);
    tu_assert_msg(err, "fraction");
    free(d);

    /* images and labels that disagree */
    char *bad = tu_join(dir, "bad");
    mkdir(bad, 0755);
    write_fake_pair(bad, "train-images-idx3-ubyte.gz", "unused-labels.gz", 30);
    write_fake_pair(bad, "unused-images.gz", "train-labels-idx1-ubyte.gz", 20);
    o = ds_fmnist_opts_default();
    o.dir = bad;
    o.skip_test = true;
    assert_int_equal(ds_fmnist_load(&o, &f, err, sizeof err), -1);
    tu_assert_msg(err, "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                  "different counts");
    /* a damaged file is reported by the IDX reader, named */
    char *lab = tu_join(bad, "train-labels-idx1-ubyte.gz");
    tu_write(lab, "\x1f\x8b garbage", 10);
    assert_int_equal(ds_fmnist_load(&o, &f, err, sizeof err), -1);
    tu_assert_msg(err, lab, "gzip");
    free(lab);
    free(bad);
}

static void test_class_names(void **state)
{
    (void)state;
    assert_string_equal(ds_fmnist_class_name(0), "T-shirt/top");
    assert_string_equal(ds_fmnist_class_name(7), "Sneaker");
    assert_string_equal(ds_fmnist_class_name(9), "Ankle boot");
    assert_null(ds_fmnist_class_name(10));
    assert_null(ds_fmnist_class_name(-1));
    assert_int_equal(ds_fmnist_class_parse("sneaker"), 7);
    assert_int_equal(ds_fmnist_class_parse("Ankle boot"), 9);
    assert_int_equal(ds_fmnist_class_parse("ankle_boot"), 9);
    assert_int_equal(ds_fmnist_class_parse("t-shirt/top"), 0);
    assert_int_equal(ds_fmnist_class_parse("tshirt"), 0);
    assert_int_equal(ds_fmnist_class_parse("BAG"), 8);
    assert_int_equal(ds_fmnist_class_parse("3"), 3);
    assert_int_equal(ds_fmnist_class_parse("12"), -1);
    assert_int_equal(ds_fmnist_class_parse("cat"), -1);
    assert_int_equal(ds_fmnist_class_parse(""), -1);
}

/* ---------------------------------------------------------------- the batcher -- */

/* A tiny set of n examples of 2x2x1 whose pixels are the example index. */
static ds_set tiny_set(int n)
{
    ds_set s;
    memset(&s, 0, sizeof s);
    s.n = n;
    s.h = 2;
    s.w = 2;
    s.c = 1;
    s.k = 2;
    s.x = malloc((size_t)n * 4 * sizeof(float));
    s.y = malloc((size_t)n * sizeof(int32_t));
    s.src = malloc((size_t)n * sizeof(int32_t));
    for (int i = 0; i < n; i++) {
        for (int p = 0; p < 4; p++)
            s.x[i * 4 + p] = (float)i;
        s.y[i] = i % 2;
        s.src[i] = 1000 + i;
    }
    snprintf(s.source, sizeof s.source, "tiny");
    return s;
}

static void test_batcher(void **state)
{
    (void)state;
    ds_set s = tiny_set(10);
    char err[256];
    ds_batcher *a = ds_batcher_create(&s, 7, true, err, sizeof err);
    ds_batcher *b = ds_batcher_create(&s, 7, true, err, sizeof err);
    ds_batcher *c = ds_batcher_create(&s, 8, true, err, sizeof err);
    assert_int_equal(ds_batcher_steps_per_epoch(a, 4), 3);
    float xa[4 * 4], xb[4 * 4];
    int32_t ya[4], yb[4], sa[4], sb[4];
    int32_t epoch0[10], epoch1[10], other[10];
    /* batches of 4, 4, 2 (short last batch), then the next epoch */
    int got = 0, k;
    for (int step = 0; step < 3; step++) {
        k = ds_batcher_next(a, 4, xa, ya, sa);
        assert_int_equal(k, step < 2 ? 4 : 2);
        assert_int_equal(ds_batcher_next(b, 4, xb, yb, sb), k);
        assert_memory_equal(xa, xb, (size_t)k * 4 * sizeof(float));
        assert_memory_equal(sa, sb, (size_t)k * sizeof(int32_t));
        for (int i = 0; i < k; i++) {
            int row = sa[i] - 1000;
            assert_true(xa[i * 4 + 3] == (float)row); /* x, y, src move together */
            assert_int_equal(ya[i], row % 2);
            epoch0[got++] = row;
        }
    }
    assert_int_equal(ds_batcher_epoch(a), 0);
    /* each example exactly once per epoch */
    int seen[10] = {0};
    for (int i = 0; i < 10; i++)
        seen[epoch0[i]]++;
    for (int i = 0; i < 10; i++)
        assert_int_equal(seen[i], 1);
    /* the next call starts epoch 1 with a different order */
    for (int i = 0; i < 10; i += 5)
        assert_int_equal(ds_batcher_next(a, 5, NULL, NULL, epoch1 + i), 5);
    assert_int_equal(ds_batcher_epoch(a), 1);
    for (int i = 0; i < 10; i++)
        epoch1[i] -= 1000;
    assert_memory_not_equal(epoch0, epoch1, sizeof epoch0);
    /* another seed, another order */
    assert_int_equal(ds_batcher_next(c, 10, NULL, NULL, other), 10);
    for (int i = 0; i < 10; i++)
        other[i] -= 1000;
    assert_memory_not_equal(epoch0, other, sizeof epoch0);
    /* seeking replays an epoch exactly */
    ds_batcher_seek_epoch(a, 0);
    int32_t again[10];
    assert_int_equal(ds_batcher_next(a, 100, NULL, NULL, again), 10);
    for (int i = 0; i < 10; i++)
        assert_int_equal(again[i] - 1000, epoch0[i]);
    assert_int_equal(ds_batcher_next(a, 0, NULL, NULL, NULL), -1);
    ds_batcher_destroy(a);
    ds_batcher_destroy(b);
    ds_batcher_destroy(c);
    ds_batcher_destroy(NULL);

    /* without shuffling: file order */
    a = ds_batcher_create(&s, 7, false, err, sizeof err);
    int32_t rows[10];
    assert_int_equal(ds_batcher_next(a, 10, NULL, NULL, rows), 10);
    for (int i = 0; i < 10; i++)
        assert_int_equal(rows[i], 1000 + i);
    /* resized output: gray 2x2 -> 5x3x3, every value the example's index */
    assert_int_equal(ds_batcher_set_output(a, 5, 3, 3, err, sizeof err), 0);
    assert_int_equal(ds_batcher_example_floats(a), 45);
    float big[2 * 45];
    assert_int_equal(ds_batcher_next(a, 2, big, NULL, rows), 2);
    for (int i = 0; i < 2; i++)
        for (int p = 0; p < 45; p++)
            assert_true(big[i * 45 + p] == (float)(rows[i] - 1000));
    assert_int_equal(ds_batcher_set_output(a, 5, 3, 2, err, sizeof err), -1);
    tu_assert_msg(err, "tiny", "cannot resize");
    ds_batcher_destroy(a);

    ds_set empty;
    memset(&empty, 0, sizeof empty);
    snprintf(empty.source, sizeof empty.source, "empty.gz");
    assert_null(ds_batcher_create(&empty, 1, true, err, sizeof err));
    tu_assert_msg(err, "empty.gz", "empty");
    ds_set_free(&s);
}

/* ------------------------------------------------------------------- resizing -- */

static void test_resize(void **state)
{
    (void)state;
    char err[256];
    /* 1x2 -> 1x4, TensorFlow half-pixel: [0, 1] -> [0, 0.25, 0.75, 1] */
    const float row[2] = {0.0f, 1.0f};
    float out[4];
    assert_int_equal(ds_resize_bilinear(row, 1, 1, 2, 1, out, 1, 4, 1, err, sizeof err), 0);
    const float want[4] = {0.0f, 0.25f, 0.75f, 1.0f};
    for (int i = 0; i < 4; i++)
        assert_float_equal(out[i], want[i], 1e-7);
    /* 2x2 -> 3x3 by hand: src = (i+0.5)*2/3-0.5 = -1/6, 0.5, 7/6 -> weights 0, .5, 1
     * [[0, 1], [2, 3]] -> [[0, .5, 1], [1, 1.5, 2], [2, 2.5, 3]] */
    const float sq[4] = {0, 1, 2, 3};
    float o9[9];
    assert_int_equal(ds_resize_bilinear(sq, 1, 2, 2, 1, o9, 3, 3, 1, err, sizeof err), 0);
    const float w9[9] = {0, 0.5f, 1, 1, 1.5f, 2, 2, 2.5f, 3};
    for (int i = 0; i < 9; i++)
        assert_float_equal(o9[i], w9[i], 1e-6);
    /* the same size is the identity; gray -> 3 channels repeats */
    float id[4 * 3];
    assert_int_equal(ds_resize_bilinear(sq, 1, 2, 2, 1, id, 2, 2, 3, err, sizeof err), 0);
    for (int i = 0; i < 4; i++)
        for (int ch = 0; ch < 3; ch++)
            assert_true(id[i * 3 + ch] == sq[i]);
    /* downscaling 4x4 -> 2x2 averages 2x2 blocks' centres (src = 0.5, 2.5) */
    float b16[16], o4[4];
    for (int i = 0; i < 16; i++)
        b16[i] = (float)i;
    assert_int_equal(ds_resize_bilinear(b16, 1, 4, 4, 1, o4, 2, 2, 1, err, sizeof err), 0);
    const float w4[4] = {2.5f, 4.5f, 10.5f, 12.5f};
    for (int i = 0; i < 4; i++)
        assert_float_equal(o4[i], w4[i], 1e-6);
    assert_int_equal(ds_resize_bilinear(sq, 1, 2, 2, 2, id, 2, 2, 3, err, sizeof err), -1);
    tu_assert_msg(err, "cannot resize (2, 2, 2) images to (2, 2, 3)");
}

/* --------------------------------------------------- the real Fashion-MNIST -- */

static void test_real_fashion_mnist(void **state)
{
    (void)state;
    const char *d = DS_FMNIST_DEFAULT_DIR;
    char probe[512];
    snprintf(probe, sizeof probe, "%s/train-images-idx3-ubyte.gz", d);
    if (access(probe, R_OK) != 0) {
        fprintf(stderr, "  %s absent (Debian's dataset-fashion-mnist): skipped\n", d);
        skip();
    }
    ds_fmnist_opts o = ds_fmnist_opts_default();
    o.dir = d;
    o.n_classes = 2;
    o.classes[0] = 7; /* Sneaker -> 0 */
    o.classes[1] = 9; /* Ankle boot -> 1 */
    ds_fmnist f;
    load_ok(&o, &f);
    assert_int_equal(f.train.n, 12000);
    assert_int_equal(f.test.n, 2000);
    assert_int_equal(count_label(&f.train, 0), 6000);
    assert_int_equal(count_label(&f.train, 1), 6000);
    assert_int_equal(count_label(&f.test, 0), 1000);
    assert_int_equal(count_label(&f.test, 1), 1000);
    assert_int_equal(f.train.h, 28);
    assert_int_equal(f.train.w, 28);
    assert_int_equal(f.train.c, 1);
    assert_string_equal(f.train.class_names[0], "Sneaker");
    float lo = 1, hi = 0;
    size_t nx = (size_t)f.train.n * 784;
    for (size_t i = 0; i < nx; i++) {
        lo = f.train.x[i] < lo ? f.train.x[i] : lo;
        hi = f.train.x[i] > hi ? f.train.x[i] : hi;
    }
    assert_true(lo == 0.0f);
    assert_true(hi == 1.0f);
    /* source indices point at the right label and pixels in the raw files */
    ds_idx lab, img, tlab;
    char err[512], p[512];
    snprintf(p, sizeof p, "%s/train-labels-idx1-ubyte.gz", d);
    assert_int_equal(ds_idx_read(p, 0, &lab, err, sizeof err), 0);
    snprintf(p, sizeof p, "%s/t10k-labels-idx1-ubyte.gz", d);
    assert_int_equal(ds_idx_read(p, 0, &tlab, err, sizeof err), 0);
    assert_int_equal(ds_idx_read(probe, 0, &img, err, sizeof err), 0);
    assert_int_equal(lab.count, 60000);
    assert_int_equal(tlab.count, 10000);
    for (int i = 0; i < f.train.n; i++) {
        assert_int_equal(lab.data[f.train.src[i]], o.classes[f.train.y[i]]);
        if (i % 997 == 0)
            for (int q = 0; q < 784; q++)
                assert_true(f.train.x[(size_t)i * 784 + q] ==
                            (float)img.data[(size_t)f.train.src[i] * 784 + q] / 255.0f);
    }
    for (int i = 0; i < f.test.n; i++)
        assert_int_equal(tlab.data[f.test.src[i]], o.classes[f.test.y[i]]);
    ds_idx_free(&lab);
    ds_idx_free(&tlab);
    ds_idx_free(&img);
    /* the batcher is deterministic for a seed on the real set */
    ds_batcher *a = ds_batcher_create(&f.train, 123, true, err, sizeof err);
    ds_batcher *b = ds_batcher_create(&f.train, 123, true, err, sizeof err);
    static float xa[20 * 784], xb[20 * 784];
    int32_t ya[20], yb[20], sa[20], sb[20];
    for (int step = 0; step < 50; step++) {
        assert_int_equal(ds_batcher_next(a, 20, xa, ya, sa), 20);
        assert_int_equal(ds_batcher_next(b, 20, xb, yb, sb), 20);
        assert_memory_equal(xa, xb, sizeof xa);
        assert_memory_equal(ya, yb, sizeof ya);
        assert_memory_equal(sa, sb, sizeof sa);
    }
    ds_batcher_destroy(a);
    ds_batcher_destroy(b);
    ds_fmnist_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fake_classes_relabelled),
        cmocka_unit_test(test_fake_split_and_caps),
        cmocka_unit_test(test_fake_errors),
        cmocka_unit_test(test_class_names),
        cmocka_unit_test(test_batcher),
        cmocka_unit_test(test_resize),
        cmocka_unit_test(test_real_fashion_mnist),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
