/* Image folders: classes in alphabetical order, pixels as RGB / 255 resized exactly as
 * ds_resize_bilinear, alpha dropped, source indices, a seeded stratified split, and every
 * bad input (not an image, truncated PNG and JPEG, empty class, one class) named.
 * The images are tiny PNGs/JPEGs the test writes itself through SDL2_image. */
#include "testutil.h"

#include <SDL.h>
#include <SDL_image.h>

#include <sys/resource.h>

#include "data/folder.h"
#include "data/imghdr.h"

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

/* ---- issue 14: formats by content, pixel limits, damaged PNGs quiet, special files ---- */

typedef struct {
    unsigned char *b;
    size_t n;
} bytes;

static void add(bytes *o, const void *p, size_t n)
{
    o->b = realloc(o->b, o->n + n + 1);
    memcpy(o->b + o->n, p, n);
    o->n += n;
}

static void add_be32(bytes *o, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8),
                          (unsigned char)v};
    add(o, b, 4);
}

static void add_chunk(bytes *o, const char *type, const void *data, uint32_t len)
{
    add_be32(o, len);
    size_t at = o->n;
    add(o, type, 4);
    if (len)
        add(o, data, len);
    add_be32(o, (uint32_t)crc32(0, o->b + at, len + 4));
}

/* A PNG of w x h whose every row is `row` (filter byte included), deflated row by row so
 * a 20000x20000 image needs no 50 MB buffer; extra (may be NULL) is an ancillary chunk
 * put before the data, plte (for color type 3) its palette. */
static bytes make_png(uint32_t w, uint32_t h, int depth, int ctype, const unsigned char *row, size_t row_n,
                      const unsigned char *plte, uint32_t plte_n, const char *extra, const char *extra_data,
                      uint32_t extra_n)
{
    bytes o = {0};
    add(&o, "\x89PNG\r\n\x1a\n", 8);
    unsigned char ihdr[13] = {0};
    for (int k = 0; k < 4; k++) {
        ihdr[k] = (unsigned char)(w >> (24 - 8 * k));
        ihdr[4 + k] = (unsigned char)(h >> (24 - 8 * k));
    }
    ihdr[8] = (unsigned char)depth;
    ihdr[9] = (unsigned char)ctype;
    add_chunk(&o, "IHDR", ihdr, 13);
    if (extra)
        add_chunk(&o, extra, extra_data, extra_n);
    if (plte)
        add_chunk(&o, "PLTE", plte, plte_n);
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit(&z, 9), Z_OK);
    bytes idat = {0};
    unsigned char out[65536];
    for (uint32_t y = 0; y <= h; y++) {
        z.next_in = (unsigned char *)row;
        z.avail_in = y < h ? (uInt)row_n : 0;
        int flush = y < h ? Z_NO_FLUSH : Z_FINISH;
        do {
            z.next_out = out;
            z.avail_out = sizeof out;
            deflate(&z, flush);
            add(&idat, out, sizeof out - z.avail_out);
        } while (z.avail_out == 0);
    }
    deflateEnd(&z);
    add_chunk(&o, "IDAT", idat.b, (uint32_t)idat.n);
    add_chunk(&o, "IEND", NULL, 0);
    free(idat.b);
    return o;
}

/* Reads path expecting failure with the needles, nothing on stderr and a one-line message. */
static void expect_image_fail(const char *path, const char *n1, const char *n2)
{
    float *px;
    int h, w;
    char err[1024] = "";
    tu_stderr_begin();
    int rc = ds_image_read(path, &px, &h, &w, err, sizeof err);
    char *printed = tu_stderr_end();
    assert_int_equal(rc, -1);
    assert_null(px);
    tu_assert_msg(err, path, n1, n2);
    tu_assert_one_line(err);
    if (printed[0])
        fail_msg("%s: stderr got \"%s\"", path, printed);
    free(printed);
}

static void write_bytes(const char *path, bytes b)
{
    tu_write(path, b.b, b.n);
    free(b.b);
}

/* The crash: an SVG named .png (SDL2_image's IMG_Load sniffed and decoded it);
 * a JPEG named .png; a PPM; none is decoded. */
static void test_formats_by_content(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("formats");
    char *svg = tu_join(dir, "s.png");
    const char *text = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"24000\" height=\"24000\">"
                       "<rect width=\"24000\" height=\"24000\" fill=\"red\"/></svg>\n";
    tu_write(svg, text, strlen(text));
    expect_image_fail(svg, "not a readable image", "not PNG, JPEG or BMP (starts with 3c 73 76 67");
    char *ppm = tu_join(dir, "p.png");
    tu_write(ppm, "P6\n30000 30000\n255\n0123456789a", 30);
    expect_image_fail(ppm, "not a readable image", "not PNG, JPEG or BMP");
    save_image(dir, ".", "j.jpg", 1, 8, 8, false, true);
    char *jpg = tu_join(dir, "j.jpg"), *named_png = tu_join(dir, "j.png");
    assert_int_equal(rename(jpg, named_png), 0);
    expect_image_fail(named_png, "the content is a JPEG image but the name says PNG", "rename");
    /* BMP is read (through SDL's BMP loader) */
    char *bmp = tu_join(dir, "b.bmp");
    SDL_Surface *srf = SDL_CreateRGBSurfaceWithFormat(0, 5, 3, 24, SDL_PIXELFORMAT_RGB24);
    for (int y = 0; y < 3; y++)
        for (int x = 0; x < 5; x++)
            for (int c = 0; c < 3; c++)
                ((unsigned char *)srf->pixels)[y * srf->pitch + x * 3 + c] = pattern(7, y, x, c);
    assert_int_equal(SDL_SaveBMP(srf, bmp), 0);
    SDL_FreeSurface(srf);
    float *px;
    int h, w;
    char err[512];
    if (ds_image_read(bmp, &px, &h, &w, err, sizeof err) < 0)
        fail_msg("%s", err);
    assert_int_equal(h, 3);
    assert_int_equal(w, 5);
    assert_true(px[(2 * 5 + 4) * 3 + 1] == (float)pattern(7, 2, 4, 1) / 255.0f);
    free(px);
    tu_rmtree(dir);
    free(svg);
    free(ppm);
    free(jpg);
    free(named_png);
    free(bmp);
    free(dir);
}

/* Decompression bombs are refused from their header, before anything is decoded: a real
 * 1-bit 20000x20000 PNG (about 80 KB; 5.9 GB decoded before), headers alone claiming
 * 30000x30000 (PNG, BMP, JPEG); the limit is 16 Mpixel and 16384 on a side. */
static void test_bombs(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("bombs");
    unsigned char *row = calloc(1, 2501);
    char *p = tu_join(dir, "bomb.png");
    bytes png = make_png(20000, 20000, 1, 0, row, 2501, NULL, 0, NULL, NULL, 0);
    assert_true(png.n < 100000);
    write_bytes(p, png);
    expect_image_fail(p, "the PNG image is 20000x20000", "over the limit of 16 Mpixel (4096x4096)");
    bytes head = make_png(30000, 30000, 8, 2, row, 1, NULL, 0, NULL, NULL, 0);
    write_bytes(p, head);
    expect_image_fail(p, "30000x30000", "over the limit");
    unsigned char bmp[54] = {'B', 'M', 54, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0, 40, 0, 0, 0,
                             0x30, 0x75, 0, 0, 0x30, 0x75, 0, 0, 1, 0, 24, 0};
    char *b = tu_join(dir, "bomb.bmp");
    tu_write(b, bmp, sizeof bmp);
    expect_image_fail(b, "the BMP image is 30000x30000", "over the limit");
    /* at the limit a header passes (then this one is truncated); one past it does not */
    bmp[18] = 0x00, bmp[19] = 0x10, bmp[22] = 0x00, bmp[23] = 0x10;
    tu_write(b, bmp, sizeof bmp);
    expect_image_fail(b, "the BMP image is truncated", "");
    bmp[18] = 0x01;
    tu_write(b, bmp, sizeof bmp);
    expect_image_fail(b, "4097x4096", "over the limit");
    bmp[18] = 0x00, bmp[19] = 0x40, bmp[22] = 1, bmp[23] = 0; /* 16384 x 1 is fine, 16385 is not */
    ds_img_info info;
    char err[512];
    assert_int_equal(ds_image_sniff(bmp, sizeof bmp, "x.bmp", &info, err, sizeof err), -1);
    tu_assert_msg(err, "truncated");
    bmp[18] = 0x01, bmp[19] = 0x40;
    assert_int_equal(ds_image_sniff(bmp, sizeof bmp, "x.bmp", &info, err, sizeof err), -1);
    tu_assert_msg(err, "16385x1", "over the limit");
    const unsigned char jpeg[] = {0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8, 0x75, 0x30, 0x75, 0x30, 1, 1, 0x11, 0,
                                  0xFF, 0xD9};
    char *j = tu_join(dir, "bomb.jpg");
    tu_write(j, jpeg, sizeof jpeg);
    expect_image_fail(j, "the JPEG image is 30000x30000", "over the limit");
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    if (ru.ru_maxrss > 100 * 1024 && !getenv("DS_SANITIZED"))
        fail_msg("peak memory %ld KB reading the bombs", ru.ru_maxrss);
    free(row);
    tu_rmtree(dir);
    free(p);
    free(b);
    free(j);
    free(dir);
}

/* Damaged PNGs are refused with one message and libpng prints nothing: an invalid chunk
 * type ("libpng error: IDA...: invalid chunk type" before), a CRC error, corrupt deflate
 * data under a correct CRC. A bad ancillary chunk (a garbage iCCP profile) is dropped and
 * the image reads, quietly; so does a palette image whose pixels index past its PLTE. */
static void test_damaged_png_quiet(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("damaged");
    save_image(dir, ".", "ok.png", 3, 16, 16, false, false);
    char *p = tu_join(dir, "ok.png"), *q = tu_join(dir, "bad.png");
    size_t n;
    unsigned char *good = tu_slurp(p, &n);
    assert_true(good && n > 64);
    unsigned char *bad = malloc(n + 64);
    size_t idat = 0;
    for (size_t k = 8; k + 4 < n && !idat; k++)
        if (!memcmp(good + k, "IDAT", 4))
            idat = k;
    assert_true(idat > 0);
    memcpy(bad, good, n);
    bad[idat + 3] = '\x01';
    tu_write(q, bad, n);
    expect_image_fail(q, "damaged PNG: invalid chunk type", "");
    memcpy(bad, good, n);
    bad[idat + 10] ^= 0x55;
    tu_write(q, bad, n);
    expect_image_fail(q, "damaged PNG: CRC error", "'IDAT'");
    uint32_t len = (uint32_t)bad[idat - 4] << 24 | (uint32_t)bad[idat - 3] << 16 | bad[idat - 2] << 8 | bad[idat - 1];
    uint32_t c = (uint32_t)crc32(0, bad + idat, len + 4);
    for (int k = 0; k < 4; k++)
        bad[idat + 4 + len + (size_t)k] = (unsigned char)(c >> (24 - 8 * k));
    tu_write(q, bad, n);
    expect_image_fail(q, "damaged PNG:", "");
    /* quiet and read: a garbage iCCP, a palette index past the palette (black) */
    unsigned char row[4] = {0, 0, 1, 5}; /* filter 0; indices 0, 1, 5 */
    const unsigned char plte[6] = {255, 0, 0, 0, 255, 0};
    bytes pal = make_png(3, 2, 8, 3, row, 4, plte, 6, "iCCP", "x\0\0garbage", 10);
    write_bytes(q, pal);
    float *px;
    int h, w;
    char err[512];
    tu_stderr_begin();
    int rc = ds_image_read(q, &px, &h, &w, err, sizeof err);
    char *printed = tu_stderr_end();
    if (rc < 0)
        fail_msg("%s", err);
    if (printed[0])
        fail_msg("stderr got \"%s\"", printed);
    assert_int_equal(h * w, 6);
    assert_true(px[0] == 1.0f && px[4] == 1.0f && px[6] == 0.0f && px[7] == 0.0f);
    free(px);
    free(printed);
    free(good);
    free(bad);
    tu_rmtree(dir);
    free(p);
    free(q);
    free(dir);
}

/* A named pipe named like an image is refused at once; a class folder whose name holds a
 * newline and ESC[2J is quoted escaped, so the message stays one line. */
static void test_special_files_and_names(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("special");
    char *fifo = tu_mkfifo(dir, "p.png");
    tu_hang_guard(20);
    expect_image_fail(fifo, "is a named pipe, not a regular file", "");
    tu_hang_guard(0);
    /* a (sparse) file over the 128 MiB limit is not read at all */
    char *big = tu_join(dir, "big.png");
    tu_write(big, "", 0);
    assert_int_equal(truncate(big, (off_t)DS_IMAGE_MAX_FILE + 1), 0);
    expect_image_fail(big, "the file is 134217729 bytes, over the 128 MiB limit for an image file", "");
    unlink(big);
    free(big);
    save_image(dir, "cats", "a.png", 0, 4, 4, false, false);
    const char *evil = "dogs\nfake: all fine\x1b[2J";
    char *ed = tu_join(dir, evil);
    mkdir(ed, 0755);
    char *bad = tu_join(ed, "x.png");
    tu_write(bad, "text", 4);
    ds_folder_opts o = ds_folder_opts_default();
    ds_folder f;
    char err[1024];
    assert_int_equal(ds_folder_load(dir, &o, &f, err, sizeof err), -1);
    tu_assert_msg(err, "dogs\\nfake: all fine\\x1b[2J/x.png", "not a readable image");
    tu_assert_one_line(err);
    tu_rmtree(dir);
    free(bad);
    free(ed);
    free(fifo);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_formats_by_content),
        cmocka_unit_test(test_bombs),
        cmocka_unit_test(test_damaged_png_quiet),
        cmocka_unit_test(test_special_files_and_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
