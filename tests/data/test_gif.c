/* GIF writer: frames decode back (giflib's own decoder) to the palette colours nearest
 * to what was written, the loop block is there, and a failed write leaves the old file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <gif_lib.h>

#include "data/gif.h"

static const uint32_t pal[4] = {0x000000, 0xFFFFFF, 0xE69F00, 0x0072B2};

static char *tmp_path(const char *name)
{
    static char p[256];
    snprintf(p, sizeof p, "/tmp/dropscope-test-gif-%ld-%s", (long)getpid(), name);
    return p;
}

static void test_nearest(void **state)
{
    (void)state;
    /* hand-computed: exact colours map to themselves */
    for (int i = 0; i < 4; i++)
        assert_int_equal(ds_gif_nearest(pal, 4, pal[i]), i);
    assert_int_equal(ds_gif_nearest(pal, 4, 0x101010), 0);   /* near black */
    assert_int_equal(ds_gif_nearest(pal, 4, 0xF0F0F0), 1);   /* near white */
    assert_int_equal(ds_gif_nearest(pal, 4, 0xD09010), 2);   /* near orange: d=20^2+15^2+16^2 */
    assert_int_equal(ds_gif_nearest(pal, 4, 0x1060A0), 3);   /* near blue */
    /* grey 0x808080: black 49152, white 48387, orange 102^2+31^2+128^2=27429,
     * blue 128^2+14^2+50^2=19080 */
    assert_int_equal(ds_gif_nearest(pal, 4, 0x808080), 3);
    /* a tie goes to the lower index: 0x010101 is 3 from both */
    const uint32_t two[2] = {0x000000, 0x020202};
    assert_int_equal(ds_gif_nearest(two, 2, 0x010101), 0);
}

static void test_round_trip(void **state)
{
    (void)state;
    enum { W = 7, H = 5, N = 3 };
    uint32_t px[N][H][W];
    for (int f = 0; f < N; f++)
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                px[f][y][x] = 0xFF000000u | pal[(x + y + f) % 4];
    px[1][2][3] = 0xFF0F0F0F;   /* not in the palette: nearest is black */
    char err[512] = "";
    const char *path = tmp_path("rt.gif");
    ds_gif *g = ds_gif_open(path, W, H, pal, 4, 10, err, sizeof err);
    assert_non_null(g);
    for (int f = 0; f < N; f++)
        assert_int_equal(ds_gif_add_frame(g, px[f], W * 4, err, sizeof err), 0);
    assert_int_equal(ds_gif_frames(g), N);
    assert_int_equal(ds_gif_close(g, err, sizeof err), 0);

    int e = 0;
    GifFileType *d = DGifOpenFileName(path, &e);
    assert_non_null(d);
    assert_int_equal(DGifSlurp(d), GIF_OK);
    assert_int_equal(d->SWidth, W);
    assert_int_equal(d->SHeight, H);
    assert_int_equal(d->ImageCount, N);
    bool looped = false;
    /* giflib files the blocks before the first image with that image */
    const SavedImage *first = &d->SavedImages[0];
    for (int i = 0; i < first->ExtensionBlockCount; i++)
        if (first->ExtensionBlocks[i].ByteCount == 11 &&
            !memcmp(first->ExtensionBlocks[i].Bytes, "NETSCAPE2.0", 11))
            looped = true;
    assert_true(looped);
    for (int f = 0; f < N; f++) {
        SavedImage *im = &d->SavedImages[f];
        ColorMapObject *map = im->ImageDesc.ColorMap ? im->ImageDesc.ColorMap : d->SColorMap;
        GraphicsControlBlock gcb;
        assert_int_equal(DGifSavedExtensionToGCB(d, f, &gcb), GIF_OK);
        assert_int_equal(gcb.DelayTime, 10);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                GifColorType c = map->Colors[im->RasterBits[y * W + x]];
                uint32_t rgb = (uint32_t)c.Red << 16 | (uint32_t)c.Green << 8 | c.Blue;
                uint32_t want = (f == 1 && y == 2 && x == 3) ? 0x000000 : pal[(x + y + f) % 4];
                assert_int_equal(rgb, want);
            }
    }
    DGifCloseFile(d, &e);
    unlink(path);
}

static void test_refusals_keep_old_file(void **state)
{
    (void)state;
    char err[512] = "";
    const char *path = tmp_path("old.gif");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("old", f);
    fclose(f);
    assert_null(ds_gif_open(path, 0, 5, pal, 4, 10, err, sizeof err));
    assert_non_null(strstr(err, path));
    assert_null(ds_gif_open(path, 5, 5, pal, 1, 10, err, sizeof err));
    /* a clip with no frame is refused and the old file stays */
    ds_gif *g = ds_gif_open(path, 5, 5, pal, 4, 10, err, sizeof err);
    assert_non_null(g);
    assert_int_equal(ds_gif_close(g, err, sizeof err), -1);
    assert_non_null(strstr(err, "no frame"));
    g = ds_gif_open(path, 5, 5, pal, 4, 10, err, sizeof err);
    uint32_t px[25] = {0};
    assert_int_equal(ds_gif_add_frame(g, px, 20, err, sizeof err), 0);
    ds_gif_abort(g);
    char buf[8] = "";
    f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(buf, 1, sizeof buf, f), 3);
    fclose(f);
    assert_string_equal(buf, "old");
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nearest),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_refusals_keep_old_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
