/* IDX reader: valid gzip and plain files, and every way a file can be wrong, each giving
 * a clear error that names the file (no crash, no huge allocation). */
#include "testutil.h"

#include "data/idx.h"

static char *dir;

static int setup(void **state)
{
    (void)state;
    dir = tu_mkdtemp("idx");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_rmtree(dir);
    free(dir);
    return 0;
}

/* An IDX ubyte file: header for dims, then n_data bytes (i * 7 + 3 mod 256). */
static unsigned char *make_idx(const uint32_t *dims, int ndim, size_t n_data, size_t *len)
{
    size_t hl = 4 + 4 * (size_t)ndim;
    unsigned char *b = malloc(hl + n_data + 1);
    b[0] = 0;
    b[1] = 0;
    b[2] = 0x08;
    b[3] = (unsigned char)ndim;
    for (int i = 0; i < ndim; i++) {
        b[4 + 4 * i] = (unsigned char)(dims[i] >> 24);
        b[5 + 4 * i] = (unsigned char)(dims[i] >> 16);
        b[6 + 4 * i] = (unsigned char)(dims[i] >> 8);
        b[7 + 4 * i] = (unsigned char)dims[i];
    }
    for (size_t i = 0; i < n_data; i++)
        b[hl + i] = (unsigned char)(i * 7 + 3);
    *len = hl + n_data;
    return b;
}

static void check_valid(const char *name, bool gz)
{
    uint32_t dims[3] = {5, 3, 4};
    size_t len;
    unsigned char *b = make_idx(dims, 3, 60, &len);
    char *p = tu_join(dir, name);
    if (gz)
        tu_write_gz(p, b, len);
    else
        tu_write(p, b, len);
    ds_idx x;
    char err[512] = "";
    assert_int_equal(ds_idx_read(p, 0, &x, err, sizeof err), 0);
    assert_int_equal(x.ndim, 3);
    assert_int_equal(x.dims[0], 5);
    assert_int_equal(x.dims[1], 3);
    assert_int_equal(x.dims[2], 4);
    assert_int_equal(x.count, 60);
    for (size_t i = 0; i < 60; i++)
        assert_int_equal(x.data[i], (unsigned char)(i * 7 + 3));
    ds_idx_free(&x);
    assert_null(x.data);
    /* The in-memory reader agrees, on the bytes as stored (gzip or not). */
    size_t n;
    unsigned char *file = tu_slurp(p, &n);
    assert_int_equal(ds_idx_read_mem(file, n, name, 0, &x, err, sizeof err), 0);
    assert_int_equal(x.count, 60);
    assert_memory_equal(x.data, b + 16, 60);
    ds_idx_free(&x);
    free(file);
    free(p);
    free(b);
}

static void test_valid_gz(void **state)
{
    (void)state;
    check_valid("ok-idx3-ubyte.gz", true);
}

static void test_valid_plain(void **state)
{
    (void)state;
    check_valid("ok-idx3-ubyte", false);
}

/* Writes bytes as name (gzip if gz), reads it (file and memory), expects failure with a
 * message naming the file and containing `needle`. */
static void expect_error(const char *name, const void *bytes, size_t len, bool gz,
                         size_t budget, const char *needle)
{
    char *p = tu_join(dir, name);
    if (gz)
        tu_write_gz(p, bytes, len);
    else
        tu_write(p, bytes, len);
    ds_idx x;
    char err[512] = "";
    assert_int_equal(ds_idx_read(p, budget, &x, err, sizeof err), -1);
    assert_null(x.data);
    tu_assert_msg(err, p, needle);
    size_t n;
    unsigned char *file = tu_slurp(p, &n);
    err[0] = '\0';
    assert_int_equal(ds_idx_read_mem(file, n, name, budget, &x, err, sizeof err), -1);
    assert_null(x.data);
    tu_assert_msg(err, name, needle);
    free(file);
    free(p);
}

static void test_truncated(void **state)
{
    (void)state;
    uint32_t dims[3] = {10, 28, 28};
    size_t len;
    unsigned char *b = make_idx(dims, 3, 10 * 784, &len);
    expect_error("trunc.gz", b, len - 100, true, 0, "truncated");
    expect_error("trunc", b, len - 1, false, 0, "truncated");
    expect_error("trunc-header", b, 9, false, 0, "truncated");
    free(b);
}

/* A gzip stream cut short (the compressed file itself is truncated). */
static void test_truncated_gzip_stream(void **state)
{
    (void)state;
    uint32_t dims[2] = {100, 100};
    size_t len;
    unsigned char *b = make_idx(dims, 2, 10000, &len);
    char *p = tu_join(dir, "cut.gz");
    tu_write_gz(p, b, len);
    size_t n;
    unsigned char *gz = tu_slurp(p, &n);
    free(p);
    expect_error("cut2.gz", gz, n / 2, false, 0, "truncated");
    expect_error("notrailer.gz", gz, n - 8, false, 0, "truncated");
    free(gz);
    free(b);
}

/* fuzz_idx's differential check found a gzip stream cut short after all the IDX data:
 * gzread returned the data and stopped quietly, so the file reader accepted what the
 * memory reader refused. Both must refuse it. */
static void test_fuzz_cut_stream(void **state)
{
    (void)state;
    const char *root = getenv("DROPSCOPE_SOURCE_DIR");
    if (!root)
        skip();
    char *p = tu_join(root, "tests/fixtures/idx/fuzz-cut-stream.gz");
    size_t n;
    unsigned char *gz = tu_slurp(p, &n);
    free(p);
    expect_error("fuzz-cut-stream.gz", gz, n, false, 0, "truncated");
    free(gz);
}

static void test_wrong_magic(void **state)
{
    (void)state;
    const char text[] = "hello, this is not an IDX file at all";
    expect_error("text.gz", text, sizeof text, true, 0, "not an IDX file");
    unsigned char b[8] = {0, 0, 0x0D, 1, 0, 0, 0, 0};
    expect_error("float-type", b, sizeof b, false, 0, "0x0d (float) is not supported");
    unsigned char z[8] = {0, 0, 0x08, 0, 0, 0, 0, 0};
    expect_error("zero-dims", z, sizeof z, false, 0, "0 dimensions");
    unsigned char many[8] = {0, 0, 0x08, 9, 0, 0, 0, 0};
    expect_error("nine-dims", many, sizeof many, false, 0, "9 dimensions");
}

/* Header claims fewer items than there are: the rest is trailing garbage. */
static void test_lying_header(void **state)
{
    (void)state;
    uint32_t dims[1] = {50};
    size_t len;
    unsigned char *b = make_idx(dims, 1, 60, &len);
    expect_error("lying.gz", b, len, true, 0, "10 unexpected bytes after the data (the header's dims 50");
    expect_error("lying", b, len, false, 0, "10 unexpected bytes");
    /* Header claims more than there is. */
    uint32_t more[1] = {70};
    unsigned char *c = make_idx(more, 1, 60, &len);
    expect_error("short.gz", c, len, true, 0, "need 70 data bytes, only 60");
    free(c);
    free(b);
}

static void test_huge_dims(void **state)
{
    (void)state;
    /* 0xffffffff^3 overflows 64 bits; 60000x28x28x1000 fits but exceeds the budget. */
    uint32_t huge[3] = {0xffffffffu, 0xffffffffu, 0xffffffffu};
    size_t len;
    unsigned char *b = make_idx(huge, 3, 16, &len);
    expect_error("overflow.gz", b, len, true, 0, "overflow");
    free(b);
    uint32_t big[4] = {60000, 28, 28, 1000};
    b = make_idx(big, 4, 16, &len);
    expect_error("budget", b, len, false, 0, "60000x28x28x1000");
    free(b);
    /* Under the budget but the file is tiny: fails as truncated, having allocated only
     * what was read. */
    uint32_t lie[1] = {200u << 20};
    b = make_idx(lie, 1, 16, &len);
    expect_error("lie-budget", b, len, false, 0, "only 16 are present");
    free(b);
    /* An explicit small budget is honoured. */
    uint32_t small[1] = {100};
    b = make_idx(small, 1, 100, &len);
    expect_error("small-budget", b, len, false, 50, "50-byte limit");
    free(b);
}

static void test_empty_and_missing(void **state)
{
    (void)state;
    expect_error("empty.gz", "", 0, false, 0, "empty file");
    expect_error("empty-gz.gz", "", 0, true, 0, "empty file");
    ds_idx x;
    char err[512];
    char *p = tu_join(dir, "does-not-exist.gz");
    assert_int_equal(ds_idx_read(p, 0, &x, err, sizeof err), -1);
    tu_assert_msg(err, p, "cannot open");
    free(p);
    /* a directory where a file should be */
    assert_int_equal(ds_idx_read(dir, 0, &x, err, sizeof err), -1);
    tu_assert_msg(err, dir, "read error: Is a directory");
}

/* Issue 14: a named pipe where the file should be is refused at once (a blocking open
 * would wait for a writer forever). */
static void test_special_file(void **state)
{
    (void)state;
    char *p = tu_mkfifo(dir, "pipe.gz");
    ds_idx x;
    char err[512];
    tu_hang_guard(20);
    assert_int_equal(ds_idx_read(p, 0, &x, err, sizeof err), -1);
    tu_hang_guard(0);
    tu_assert_msg(err, p, "is a named pipe, not a regular file");
    unlink(p);
    free(p);
}

static void test_corrupt_gzip(void **state)
{
    (void)state;
    uint32_t dims[2] = {100, 100};
    size_t len;
    unsigned char *b = make_idx(dims, 2, 10000, &len);
    char *p = tu_join(dir, "c.gz");
    tu_write_gz(p, b, len);
    size_t n;
    unsigned char *gz = tu_slurp(p, &n);
    free(p);
    /* Flip bytes in the middle of the deflate data: a gzip error, or a CRC mismatch. */
    for (size_t i = n / 2; i < n / 2 + 8; i++)
        gz[i] ^= 0x5a;
    expect_error("flipped.gz", gz, n, false, 0, "gzip");
    free(gz);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_gz),
        cmocka_unit_test(test_valid_plain),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_truncated_gzip_stream),
        cmocka_unit_test(test_wrong_magic),
        cmocka_unit_test(test_lying_header),
        cmocka_unit_test(test_huge_dims),
        cmocka_unit_test(test_empty_and_missing),
        cmocka_unit_test(test_special_file),
        cmocka_unit_test(test_corrupt_gzip),
        cmocka_unit_test(test_fuzz_cut_stream),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
