/* Animated GIF writing through giflib; see gif.h. */
#include "data/gif.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gif_lib.h>

#include "data/atomicio.h"

#define CACHE_SLOTS (1u << 16)   /* distinct colours remembered; a UI frame has a few thousand */

struct ds_gif {
    ds_atomic *file;
    GifFileType *gif;
    int w, h, ncolors, delay_cs, frames;
    uint32_t palette[256];
    uint32_t *cache_key;          /* rgb + 1, 0 = empty */
    uint8_t *cache_val;
    GifByteType *row;
    char path[1024];
};

static void seterr(char *err, size_t errlen, const char *path, const char *what, int gif_err)
{
    if (!err || !errlen)
        return;
    if (gif_err)
        snprintf(err, errlen, "%s: %s: %s", path, what, GifErrorString(gif_err));
    else
        snprintf(err, errlen, "%s: %s", path, what);
}

static int write_out(GifFileType *gif, const GifByteType *buf, int n)
{
    FILE *f = gif->UserData;
    return (int)fwrite(buf, 1, (size_t)n, f);
}

int ds_gif_nearest(const uint32_t *palette, int ncolors, uint32_t rgb)
{
    int r = (int)(rgb >> 16 & 255), g = (int)(rgb >> 8 & 255), b = (int)(rgb & 255);
    int best = 0;
    long best_d = -1;
    for (int i = 0; i < ncolors; i++) {
        int dr = r - (int)(palette[i] >> 16 & 255), dg = g - (int)(palette[i] >> 8 & 255),
            db = b - (int)(palette[i] & 255);
        long d = (long)dr * dr + (long)dg * dg + (long)db * db;
        if (best_d < 0 || d < best_d) {
            best_d = d;
            best = i;
        }
    }
    return best;
}

static uint8_t lookup(ds_gif *g, uint32_t rgb)
{
    uint32_t key = rgb + 1, slot = (rgb * 2654435761u) >> 16;
    for (uint32_t probe = 0; probe < CACHE_SLOTS; probe++, slot = (slot + 1) & (CACHE_SLOTS - 1)) {
        if (g->cache_key[slot] == key)
            return g->cache_val[slot];
        if (!g->cache_key[slot]) {
            uint8_t v = (uint8_t)ds_gif_nearest(g->palette, g->ncolors, rgb);
            g->cache_key[slot] = key;
            g->cache_val[slot] = v;
            return v;
        }
    }
    return (uint8_t)ds_gif_nearest(g->palette, g->ncolors, rgb);   /* cache full */
}

ds_gif *ds_gif_open(const char *path, int w, int h, const uint32_t *palette, int ncolors,
                    int delay_cs, char *err, size_t errlen)
{
    if (w < 1 || h < 1 || w > 65535 || h > 65535 || ncolors < 2 || ncolors > 256 || !palette) {
        seterr(err, errlen, path, "a GIF is 1..65535 pixels each way with 2..256 colours", 0);
        return NULL;
    }
    ds_gif *g = calloc(1, sizeof *g);
    if (!g) {
        seterr(err, errlen, path, "out of memory", 0);
        return NULL;
    }
    snprintf(g->path, sizeof g->path, "%s", path);
    g->w = w;
    g->h = h;
    g->ncolors = ncolors;
    g->delay_cs = delay_cs < 0 ? 0 : delay_cs > 65535 ? 65535 : delay_cs;
    memcpy(g->palette, palette, (size_t)ncolors * sizeof *palette);
    g->cache_key = calloc(CACHE_SLOTS, sizeof *g->cache_key);
    g->cache_val = malloc(CACHE_SLOTS);
    g->row = malloc((size_t)w);
    if (!g->cache_key || !g->cache_val || !g->row) {
        seterr(err, errlen, path, "out of memory", 0);
        ds_gif_abort(g);
        return NULL;
    }
    g->file = ds_atomic_open(path, err, errlen);
    if (!g->file) {
        ds_gif_abort(g);
        return NULL;
    }
    int e = 0;
    g->gif = EGifOpen(ds_atomic_file(g->file), write_out, &e);
    if (!g->gif) {
        seterr(err, errlen, path, "cannot start the GIF", e);
        ds_gif_abort(g);
        return NULL;
    }
    /* GIF palettes have a power-of-two size; the unused entries repeat the last colour. */
    int size = 2;
    while (size < ncolors)
        size *= 2;
    GifColorType colors[256];
    for (int i = 0; i < size; i++) {
        uint32_t c = palette[i < ncolors ? i : ncolors - 1];
        colors[i] = (GifColorType){(GifByteType)(c >> 16), (GifByteType)(c >> 8), (GifByteType)c};
    }
    ColorMapObject *map = GifMakeMapObject(size, colors);
    EGifSetGifVersion(g->gif, true);
    /* The NETSCAPE2.0 application block: loop forever. */
    static const GifByteType netscape[] = "NETSCAPE2.0";
    static const GifByteType loop[] = {1, 0, 0};
    if (!map || EGifPutScreenDesc(g->gif, w, h, 8, 0, map) == GIF_ERROR ||
        EGifPutExtensionLeader(g->gif, APPLICATION_EXT_FUNC_CODE) == GIF_ERROR ||
        EGifPutExtensionBlock(g->gif, 11, netscape) == GIF_ERROR ||
        EGifPutExtensionBlock(g->gif, 3, loop) == GIF_ERROR ||
        EGifPutExtensionTrailer(g->gif) == GIF_ERROR) {
        seterr(err, errlen, path, "cannot write the GIF header", g->gif->Error);
        GifFreeMapObject(map);
        ds_gif_abort(g);
        return NULL;
    }
    GifFreeMapObject(map);
    return g;
}

int ds_gif_add_frame(ds_gif *g, const void *pixels, int pitch, char *err, size_t errlen)
{
    GraphicsControlBlock gcb = {.DisposalMode = DISPOSE_DO_NOT, .UserInputFlag = false,
                                .DelayTime = g->delay_cs, .TransparentColor = NO_TRANSPARENT_COLOR};
    GifByteType ext[4];
    EGifGCBToExtension(&gcb, ext);
    if (EGifPutExtension(g->gif, GRAPHICS_EXT_FUNC_CODE, 4, ext) == GIF_ERROR ||
        EGifPutImageDesc(g->gif, 0, 0, g->w, g->h, false, NULL) == GIF_ERROR) {
        seterr(err, errlen, g->path, "cannot write a frame", g->gif->Error);
        return -1;
    }
    for (int y = 0; y < g->h; y++) {
        const uint32_t *px = (const uint32_t *)((const unsigned char *)pixels + (size_t)y * (size_t)pitch);
        uint32_t last = 0xFFFFFFFFu;
        uint8_t idx = 0;
        for (int x = 0; x < g->w; x++) {
            uint32_t rgb = px[x] & 0xFFFFFFu;
            if (rgb != last) {
                idx = lookup(g, rgb);
                last = rgb;
            }
            g->row[x] = idx;
        }
        if (EGifPutLine(g->gif, g->row, g->w) == GIF_ERROR) {
            seterr(err, errlen, g->path, "cannot write a frame", g->gif->Error);
            return -1;
        }
    }
    g->frames++;
    return 0;
}

int ds_gif_frames(const ds_gif *g)
{
    return g ? g->frames : 0;
}

static void release(ds_gif *g)
{
    free(g->cache_key);
    free(g->cache_val);
    free(g->row);
    free(g);
}

int ds_gif_close(ds_gif *g, char *err, size_t errlen)
{
    if (!g)
        return -1;
    if (!g->frames) {
        seterr(err, errlen, g->path, "no frame to write", 0);
        ds_gif_abort(g);
        return -1;
    }
    int e = 0;
    int rc = EGifCloseFile(g->gif, &e);   /* writes the trailer; frees gif, not the stream */
    g->gif = NULL;
    if (rc == GIF_ERROR) {
        seterr(err, errlen, g->path, "cannot finish the GIF", e);
        ds_atomic_abort(g->file);
        release(g);
        return -1;
    }
    rc = ds_atomic_commit(g->file, err, errlen);
    release(g);
    return rc;
}

void ds_gif_abort(ds_gif *g)
{
    if (!g)
        return;
    if (g->gif) {
        int e;
        EGifCloseFile(g->gif, &e);
    }
    ds_atomic_abort(g->file);
    release(g);
}
