/* .npy reader and writers: round trips for every dtype and rank, files written by NumPy
 * itself (tests/fixtures/npy, made by tests/fixtures/make_npy_fixtures.py), byte-identical
 * output to np.save, the streaming writer (read back here and, when Debian's python3 has
 * numpy, by NumPy), and malformed files, each named in the error. */
#include "testutil.h"

#include <math.h>

#include "config.h"
#include "data/npy.h"

static char *dir;

static int setup(void **state)
{
    (void)state;
    dir = tu_mkdtemp("npy");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_rmtree(dir);
    free(dir);
    return 0;
}

static char *fixture(const char *name)
{
    const char *src = getenv("DROPSCOPE_SOURCE_DIR");
    char *p = malloc(1024);
    snprintf(p, 1024, "%s/tests/fixtures/npy/%s", src && *src ? src : DROPSCOPE_SOURCE_DIR,
             name);
    return p;
}

static bool have_numpy(void)
{
    return access("/usr/bin/python3", X_OK) == 0 &&
           system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") == 0;
}

/* ------------------------------------------------------------------ round trips -- */

static void roundtrip(ds_dtype t, int rank, const size_t *shape)
{
    size_t count = 1;
    for (int i = 0; i < rank; i++)
        count *= shape[i];
    size_t es = ds_dtype_size(t);
    unsigned char *data = malloc(count * es + 1);
    for (size_t i = 0; i < count * es; i++)
        data[i] = (unsigned char)(i * 31 + 7 + (unsigned)t);
    if (t == DS_F32) /* keep the floats ordinary numbers so the comparison is clear */
        for (size_t i = 0; i < count; i++)
            ((float *)data)[i] = (float)i * 0.25f - 3.0f;
    char name[64];
    snprintf(name, sizeof name, "rt_%s_r%d.npy", ds_dtype_name(t), rank);
    char *p = tu_join(dir, name);
    char err[512] = "";
    assert_int_equal(ds_npy_write(p, t, rank, shape, data, err, sizeof err), 0);
    ds_npy a;
    if (ds_npy_read(p, &a, err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(a.dtype, t);
    assert_int_equal(a.rank, rank);
    for (int i = 0; i < rank; i++)
        assert_int_equal(a.shape[i], shape[i]);
    assert_int_equal(a.count, count);
    if (count)
        assert_memory_equal(a.data, data, count * es);
    ds_npy_free(&a);
    /* The header is 64-byte aligned, as NumPy writes it. */
    ds_npy_header h;
    assert_int_equal(ds_npy_read_header(p, &h, err, sizeof err), 0);
    assert_int_equal(h.data_offset % 64, 0);
    assert_int_equal(h.major, 1);
    free(p);
    free(data);
}

static void test_roundtrip_all_dtypes(void **state)
{
    (void)state;
    size_t s4[4] = {2, 3, 4, 5}, s2[2] = {7, 3}, s1[1] = {11}, empty[2] = {0, 4};
    for (int t = 0; t < DS_DTYPE_COUNT; t++) {
        roundtrip((ds_dtype)t, 4, s4);
        roundtrip((ds_dtype)t, 2, s2);
        roundtrip((ds_dtype)t, 1, s1);
        roundtrip((ds_dtype)t, 0, NULL);
        roundtrip((ds_dtype)t, 2, empty);
    }
}

/* ------------------------------------------------------- files written by NumPy -- */

static void read_fixture(const char *name, ds_npy *a)
{
    char *p = fixture(name);
    char err[512] = "";
    if (ds_npy_read(p, a, err, sizeof err))
        fail_msg("%s", err);
    free(p);
}

static void test_numpy_fixtures(void **state)
{
    (void)state;
    ds_npy a;
    read_fixture("f32_2x3.npy", &a);
    assert_int_equal(a.dtype, DS_F32);
    assert_int_equal(a.rank, 2);
    assert_int_equal(a.shape[0], 2);
    assert_int_equal(a.shape[1], 3);
    for (int i = 0; i < 6; i++)
        assert_true(((float *)a.data)[i] == (float)i * 0.5f - 1.0f);
    ds_npy_free(&a);

    read_fixture("f32_be_2x3.npy", &a); /* '>f4', converted on read */
    assert_int_equal(a.dtype, DS_F32);
    for (int i = 0; i < 6; i++)
        assert_true(((float *)a.data)[i] == (float)i * 0.5f - 1.0f);
    ds_npy_free(&a);

    read_fixture("u8_4.npy", &a);
    assert_int_equal(a.dtype, DS_U8);
    const uint8_t u8[4] = {0, 100, 200, 255};
    assert_memory_equal(a.data, u8, 4);
    ds_npy_free(&a);

    read_fixture("i32_2x2.npy", &a);
    assert_int_equal(a.dtype, DS_I32);
    const int32_t i32[4] = {-2, -1, 0, INT32_MAX};
    assert_memory_equal(a.data, i32, sizeof i32);
    ds_npy_free(&a);

    read_fixture("i64_3.npy", &a);
    assert_int_equal(a.dtype, DS_I64);
    const int64_t i64[3] = {-1, 0, (int64_t)1 << 40};
    assert_memory_equal(a.data, i64, sizeof i64);
    ds_npy_free(&a);

    read_fixture("f32_scalar.npy", &a);
    assert_int_equal(a.rank, 0);
    assert_int_equal(a.count, 1);
    assert_true(((float *)a.data)[0] == 3.5f);
    ds_npy_free(&a);

    read_fixture("f32_0x4.npy", &a);
    assert_int_equal(a.rank, 2);
    assert_int_equal(a.count, 0);
    assert_null(a.data);
    ds_npy_free(&a);

    read_fixture("f32_v2.npy", &a); /* format 2.0: 4-byte header length */
    assert_int_equal(a.count, 3);
    assert_true(((float *)a.data)[2] == 3.0f);
    ds_npy_free(&a);
    ds_npy_header h;
    char err[512];
    char *p = fixture("f32_v2.npy");
    assert_int_equal(ds_npy_read_header(p, &h, err, sizeof err), 0);
    assert_int_equal(h.major, 2);
    free(p);
}

static void test_numpy_fixtures_refused(void **state)
{
    (void)state;
    char err[512] = "";
    ds_npy a;
    char *p = fixture("f32_fortran.npy");
    assert_int_equal(ds_npy_read(p, &a, err, sizeof err), -1);
    tu_assert_msg(err, p, "Fortran-order");
    free(p);
    p = fixture("f64_2.npy");
    assert_int_equal(ds_npy_read(p, &a, err, sizeof err), -1);
    tu_assert_msg(err, p, "'<f8' (float64) is not supported");
    free(p);
}

/* What we write is byte for byte what np.save wrote. */
static void same_as_numpy(const char *name, ds_dtype t, int rank, const size_t *shape)
{
    char *fx = fixture(name);
    size_t n;
    unsigned char *want = tu_slurp(fx, &n);
    assert_non_null(want);
    ds_npy a;
    char err[512] = "";
    assert_int_equal(ds_npy_read(fx, &a, err, sizeof err), 0);
    char *p = tu_join(dir, name);
    assert_int_equal(ds_npy_write(p, t, rank, shape, a.data, err, sizeof err), 0);
    size_t m;
    unsigned char *got = tu_slurp(p, &m);
    assert_int_equal(m, n);
    assert_memory_equal(got, want, n);
    free(got);
    free(want);
    free(p);
    free(fx);
    ds_npy_free(&a);
}

static void test_writer_matches_numpy(void **state)
{
    (void)state;
    size_t s23[2] = {2, 3}, s4[1] = {4}, s22[2] = {2, 2}, s3[1] = {3}, s04[2] = {0, 4};
    same_as_numpy("f32_2x3.npy", DS_F32, 2, s23);
    same_as_numpy("u8_4.npy", DS_U8, 1, s4);
    same_as_numpy("i32_2x2.npy", DS_I32, 2, s22);
    same_as_numpy("i64_3.npy", DS_I64, 1, s3);
    same_as_numpy("f32_scalar.npy", DS_F32, 0, NULL);
    same_as_numpy("f32_0x4.npy", DS_F32, 2, s04);
}

/* -------------------------------------------------------------------- bad files -- */

/* A v1.0 file with the given dict text (padded as NumPy pads) and n_data data bytes. */
static unsigned char *craft(const char *dict, size_t n_data, size_t *len)
{
    size_t dl = strlen(dict);
    size_t total = (10 + dl + 1 + 63) / 64 * 64;
    unsigned char *b = calloc(total + n_data + 1, 1);
    memcpy(b, "\x93NUMPY\x01\x00", 8);
    b[8] = (unsigned char)((total - 10) & 0xff);
    b[9] = (unsigned char)((total - 10) >> 8);
    memcpy(b + 10, dict, dl);
    memset(b + 10 + dl, ' ', total - 10 - dl - 1);
    b[total - 1] = '\n';
    *len = total + n_data;
    return b;
}

static void expect_bad(const char *name, const unsigned char *b, size_t len, const char *needle)
{
    char *p = tu_join(dir, name);
    tu_write(p, b, len);
    ds_npy a;
    char err[512] = "";
    assert_int_equal(ds_npy_read(p, &a, err, sizeof err), -1);
    assert_null(a.data);
    tu_assert_msg(err, p, needle);
    ds_npy_header h;
    err[0] = '\0';
    assert_int_equal(ds_npy_read_header(p, &h, err, sizeof err), -1);
    tu_assert_msg(err, p, needle);
    err[0] = '\0';
    assert_int_equal(ds_npy_read_mem(b, len, name, &a, err, sizeof err), -1);
    assert_null(a.data);
    tu_assert_msg(err, name, needle);
    free(p);
}

static void expect_bad_dict(const char *name, const char *dict, size_t n_data, const char *needle)
{
    size_t len;
    unsigned char *b = craft(dict, n_data, &len);
    expect_bad(name, b, len, needle);
    free(b);
}

static void test_bad_sizes(void **state)
{
    (void)state;
    const char *d23 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    expect_bad_dict("truncated.npy", d23, 20, "truncated: shape (2, 3) of float32 needs 24");
    expect_bad_dict("trailing.npy", d23, 30, "6 unexpected bytes after the data");
    expect_bad_dict("overflow.npy",
                    "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, "
                    "4294967296), }", 0, "overflows");
    expect_bad_dict("bigdim.npy",
                    "{'descr': '<f4', 'fortran_order': False, 'shape': "
                    "(99999999999999999999999,), }", 0, "too large");
    /* Huge but representable: refused from the file size, before any allocation. */
    expect_bad_dict("huge.npy",
                    "{'descr': '<i8', 'fortran_order': False, 'shape': (1000000000000,), }", 8,
                    "needs 8000000000000 data bytes but the file holds 8");
    expect_bad_dict("ninedims.npy",
                    "{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1), }", 4,
                    "more than 8 dimensions");
}

static void test_bad_headers(void **state)
{
    (void)state;
    expect_bad("empty.npy", (const unsigned char *)"", 0, "not a .npy file");
    static const char zip[] = "PK\x03\x04 this is a zip";
    expect_bad("magic.npy", (const unsigned char *)zip, sizeof zip - 1, "not a .npy file");
    expect_bad("short.npy", (const unsigned char *)"\x93NUMPY\x01", 7, "truncated .npy header");
    expect_bad("v4.npy", (const unsigned char *)"\x93NUMPY\x04\x00\x10\x00", 10,
               "unsupported .npy format version 4.0");
    expect_bad("hlen.npy", (const unsigned char *)"\x93NUMPY\x01\x00\xff\x00{'descr'", 18,
               "truncated .npy header (255 header bytes announced");
    expect_bad("hlen2.npy", (const unsigned char *)"\x93NUMPY\x02\x00\xff\xff\xff\x7f", 12,
               "implausibly large");
    expect_bad_dict("nodict.npy", "['descr', '<f4']", 0, "expected a dict");
    expect_bad_dict("nodescr.npy", "{'fortran_order': False, 'shape': (2,), }", 8,
                    "missing 'descr'");
    expect_bad_dict("noshape.npy", "{'descr': '<f4', 'fortran_order': False}", 8,
                    "missing 'shape'");
    expect_bad_dict("extra.npy",
                    "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", 8,
                    "unexpected key 'x'");
    expect_bad_dict("dup.npy",
                    "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}",
                    8, "duplicate key 'descr'");
    expect_bad_dict("comma.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2)}", 8,
                    "trailing comma");
    expect_bad_dict("negative.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}",
                    8, "non-negative integers");
    expect_bad_dict("unterminated.npy", "{'descr': '<f4", 8, "unterminated string");
    expect_bad_dict("open.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", 8,
                    "expected ',' or '}'");
    expect_bad_dict("after.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x", 8,
                    "unexpected text after the dict");
    expect_bad_dict("fortranval.npy", "{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}", 8,
                    "True or False");
    expect_bad_dict("binary.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}\x01",
                    8, "non-printable");
}

static void test_bad_dtypes(void **state)
{
    (void)state;
    expect_bad_dict("f8.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", 16,
                    "dtype '<f8' (float64) is not supported");
    expect_bad_dict("f2.npy", "{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", 4,
                    "(float16) is not supported");
    expect_bad_dict("obj.npy", "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", 16,
                    "dtype '|O' is not supported");
    expect_bad_dict("struct.npy",
                    "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", 8,
                    "structured dtypes are not supported");
    expect_bad_dict("pipe4.npy", "{'descr': '|f4', 'fortran_order': False, 'shape': (2,), }", 8,
                    "has no byte order");
    expect_bad_dict("fortran.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }",
                    16, "Fortran-order");
}

/* Python 2's NumPy wrote long integers with an L; '<u1' is as good as '|u1'. */
static void test_lenient_variants(void **state)
{
    (void)state;
    size_t len;
    unsigned char *b = craft("{\"descr\": \"<u1\", \"fortran_order\": False, \"shape\": (2L, 3L)}",
                             6, &len);
    ds_npy a;
    char err[512] = "";
    if (ds_npy_read_mem(b, len, "py2.npy", &a, err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(a.dtype, DS_U8);
    assert_int_equal(a.count, 6);
    ds_npy_free(&a);
    free(b);
}

/* ------------------------------------------------------------------ streaming -- */

static void test_stream_roundtrip(void **state)
{
    (void)state;
    char *p = tu_join(dir, "stream.npy");
    char err[512] = "";
    size_t row[2] = {2, 3};
    ds_npy_stream *s = ds_npy_stream_open(p, DS_F32, 2, row, err, sizeof err);
    assert_non_null(s);
    /* Nothing is visible until close. */
    assert_int_not_equal(access(p, F_OK), 0);
    float v[5 * 6];
    for (int i = 0; i < 30; i++)
        v[i] = (float)i - 0.5f;
    assert_int_equal(ds_npy_stream_append(s, v, 2, err, sizeof err), 0);
    assert_int_equal(ds_npy_stream_append(s, v + 12, 0, err, sizeof err), 0);
    assert_int_equal(ds_npy_stream_append(s, v + 12, 3, err, sizeof err), 0);
    assert_int_equal(ds_npy_stream_rows(s), 5);
    assert_int_equal(ds_npy_stream_close(s, err, sizeof err), 0);
    ds_npy a;
    if (ds_npy_read(p, &a, err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(a.rank, 3);
    assert_int_equal(a.shape[0], 5);
    assert_int_equal(a.shape[1], 2);
    assert_int_equal(a.shape[2], 3);
    assert_memory_equal(a.data, v, sizeof v);
    ds_npy_free(&a);
    if (have_numpy()) {
        char cmd[2048];
        snprintf(cmd, sizeof cmd,
                 "/usr/bin/python3 -c 'import numpy as np, sys; a = np.load(sys.argv[1]); "
                 "sys.exit(0 if a.shape == (5, 2, 3) and a.dtype == np.float32 and "
                 "float(a.sum()) == 420.0 and a[4, 1, 2] == 28.5 else 1)' '%s'", p);
        assert_int_equal(system(cmd), 0);
    }
    free(p);
}

/* A row count with many digits still fits the header room kept at open. */
static void test_stream_many_rows(void **state)
{
    (void)state;
    char *p = tu_join(dir, "many.npy");
    char err[512] = "";
    ds_npy_stream *s = ds_npy_stream_open(p, DS_U8, 0, NULL, err, sizeof err);
    assert_non_null(s);
    enum { CHUNK = 65536 };
    static unsigned char buf[CHUNK];
    for (int i = 0; i < CHUNK; i++)
        buf[i] = (unsigned char)i;
    size_t total = 0;
    while (total < 1234567) {
        size_t k = 1234567 - total < CHUNK ? 1234567 - total : CHUNK;
        assert_int_equal(ds_npy_stream_append(s, buf, k, err, sizeof err), 0);
        total += k;
    }
    assert_int_equal(ds_npy_stream_close(s, err, sizeof err), 0);
    ds_npy_header h;
    if (ds_npy_read_header(p, &h, err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(h.rank, 1);
    assert_int_equal(h.shape[0], 1234567);
    assert_int_equal(h.data_offset % 64, 0);
    if (have_numpy()) {
        char cmd[2048];
        snprintf(cmd, sizeof cmd,
                 "/usr/bin/python3 -c 'import numpy as np, sys; a = np.load(sys.argv[1]); "
                 "sys.exit(0 if a.shape == (1234567,) and a.dtype == np.uint8 and "
                 "a[65537] == 1 else 1)' '%s'", p);
        assert_int_equal(system(cmd), 0);
    }
    free(p);
}

static void test_stream_empty_and_abort(void **state)
{
    (void)state;
    char err[512] = "";
    char *p = tu_join(dir, "empty_stream.npy");
    size_t row[1] = {4};
    ds_npy_stream *s = ds_npy_stream_open(p, DS_I32, 1, row, err, sizeof err);
    assert_int_equal(ds_npy_stream_close(s, err, sizeof err), 0);
    ds_npy a;
    assert_int_equal(ds_npy_read(p, &a, err, sizeof err), 0);
    assert_int_equal(a.rank, 2);
    assert_int_equal(a.shape[0], 0);
    assert_int_equal(a.shape[1], 4);
    ds_npy_free(&a);
    /* Abort: the previous file stays as it was, no temp file remains. */
    size_t n0;
    unsigned char *before = tu_slurp(p, &n0);
    int entries = tu_count_entries(dir);
    s = ds_npy_stream_open(p, DS_I32, 1, row, err, sizeof err);
    int32_t r[4] = {1, 2, 3, 4};
    assert_int_equal(ds_npy_stream_append(s, r, 1, err, sizeof err), 0);
    ds_npy_stream_abort(s);
    size_t n1;
    unsigned char *after = tu_slurp(p, &n1);
    assert_int_equal(n0, n1);
    assert_memory_equal(before, after, n0);
    assert_int_equal(tu_count_entries(dir), entries);
    free(before);
    free(after);
    free(p);
}

static void test_write_errors(void **state)
{
    (void)state;
    char err[512] = "";
    char *p = tu_join(dir, "no/such/dir/x.npy");
    size_t sh[1] = {1};
    float v = 1;
    assert_int_equal(ds_npy_write(p, DS_F32, 1, sh, &v, err, sizeof err), -1);
    tu_assert_msg(err, p);
    assert_int_equal(ds_npy_write(p, DS_F32, 9, sh, &v, err, sizeof err), -1);
    tu_assert_msg(err, p, "rank 9");
    free(p);
}

/* Issue 14: a named pipe or a device where a .npy should be is refused at once. */
static void test_special_files(void **state)
{
    (void)state;
    char err[512];
    ds_npy a;
    ds_npy_header h;
    char *p = tu_mkfifo(dir, "pipe.npy");
    tu_hang_guard(20);
    assert_int_equal(ds_npy_read(p, &a, err, sizeof err), -1);
    tu_assert_msg(err, p, "is a named pipe, not a regular file");
    assert_int_equal(ds_npy_read_header(p, &h, err, sizeof err), -1);
    tu_assert_msg(err, p, "is a named pipe");
    assert_int_equal(ds_npy_read("/dev/null", &a, err, sizeof err), -1);
    tu_assert_msg(err, "/dev/null: is a character device");
    tu_hang_guard(0);
    unlink(p);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_all_dtypes),
        cmocka_unit_test(test_numpy_fixtures),
        cmocka_unit_test(test_numpy_fixtures_refused),
        cmocka_unit_test(test_writer_matches_numpy),
        cmocka_unit_test(test_bad_sizes),
        cmocka_unit_test(test_bad_headers),
        cmocka_unit_test(test_bad_dtypes),
        cmocka_unit_test(test_lenient_variants),
        cmocka_unit_test(test_stream_roundtrip),
        cmocka_unit_test(test_stream_many_rows),
        cmocka_unit_test(test_stream_empty_and_abort),
        cmocka_unit_test(test_write_errors),
        cmocka_unit_test(test_special_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
