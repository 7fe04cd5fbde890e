/* Issue 13: checks a clip from `dropscope film` against pictures from `dropscope shot`.
 *
 *   film_compare CLIP.gif W H FRAMES [K SHOT.png]...
 *
 * Decodes the clip with giflib (DGifSlurp, independent of dropscope's writer) and each
 * PNG with SDL2_image, and checks: the clip is W x H with FRAMES frames; for each pair,
 * every pixel of the shot mapped to the nearest colour of the clip's own colour table
 * (ds_gif_nearest) is the index frame K (1-based: the window after step K) holds.
 * Prints what it compared; on a mismatch, how many pixels and where (their bounding box),
 * and exits 1. Exit 2 when a file cannot be read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>
#include <SDL_image.h>
#include <gif_lib.h>

#include "data/gif.h"

static int compare(const GifFileType *gif, const uint32_t *pal, int ncolors, int k, const char *png)
{
    SDL_Surface *raw = IMG_Load(png);
    if (!raw) {
        fprintf(stderr, "%s: %s\n", png, IMG_GetError());
        return 2;
    }
    SDL_Surface *s = SDL_ConvertSurfaceFormat(raw, SDL_PIXELFORMAT_ARGB8888, 0);
    SDL_FreeSurface(raw);
    if (!s || s->w != gif->SWidth || s->h != gif->SHeight) {
        fprintf(stderr, "%s: not %dx%d like the clip\n", png, gif->SWidth, gif->SHeight);
        SDL_FreeSurface(s);
        return 1;
    }
    const SavedImage *im = &gif->SavedImages[k - 1];
    const GifImageDesc *d = &im->ImageDesc;
    long bad = 0;
    int x0 = s->w, y0 = s->h, x1 = -1, y1 = -1;
    for (int y = 0; y < s->h; y++)
        for (int x = 0; x < s->w; x++) {
            uint32_t argb = ((const uint32_t *)((const uint8_t *)s->pixels + (size_t)y * s->pitch))[x];
            int want = ds_gif_nearest(pal, ncolors, argb & 0xFFFFFF);
            /* a frame may cover only part of the screen: outside it, the screen's earlier
             * frames show (this writer's frames all cover it) */
            int got = -1;
            if (x >= d->Left && x < d->Left + d->Width && y >= d->Top && y < d->Top + d->Height)
                got = im->RasterBits[(size_t)(y - d->Top) * d->Width + (x - d->Left)];
            if (got != want) {
                bad++;
                x0 = x < x0 ? x : x0, y0 = y < y0 ? y : y0;
                x1 = x > x1 ? x : x1, y1 = y > y1 ? y : y1;
            }
        }
    SDL_FreeSurface(s);
    if (bad) {
        printf("frame %d vs %s: %ld of %d pixels differ, in (%d,%d)-(%d,%d)\n", k, png, bad,
               gif->SWidth * gif->SHeight, x0, y0, x1, y1);
        return 1;
    }
    printf("frame %d vs %s: all %d pixels agree\n", k, png, gif->SWidth * gif->SHeight);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 5 || (argc - 5) % 2) {
        fprintf(stderr, "usage: film_compare CLIP.gif W H FRAMES [K SHOT.png]...\n");
        return 2;
    }
    int err = 0;
    GifFileType *gif = DGifOpenFileName(argv[1], &err);
    if (!gif || DGifSlurp(gif) != GIF_OK) {
        fprintf(stderr, "%s: giflib cannot read it (%s)\n", argv[1], GifErrorString(gif ? gif->Error : err));
        return 2;
    }
    int w = atoi(argv[2]), h = atoi(argv[3]), frames = atoi(argv[4]);
    int rc = 0;
    if (gif->SWidth != w || gif->SHeight != h || gif->ImageCount != frames) {
        printf("%s: %dx%d with %d frames, want %dx%d with %d\n", argv[1], gif->SWidth, gif->SHeight,
               gif->ImageCount, w, h, frames);
        rc = 1;
    } else {
        printf("%s: %dx%d, %d frames\n", argv[1], w, h, frames);
    }
    const ColorMapObject *cm = gif->SColorMap ? gif->SColorMap : (gif->ImageCount ? gif->SavedImages[0].ImageDesc.ColorMap : NULL);
    if (!cm) {
        fprintf(stderr, "%s: no colour table\n", argv[1]);
        return 2;
    }
    uint32_t pal[256];
    int n = cm->ColorCount > 256 ? 256 : cm->ColorCount;
    for (int i = 0; i < n; i++)
        pal[i] = (uint32_t)cm->Colors[i].Red << 16 | (uint32_t)cm->Colors[i].Green << 8 | cm->Colors[i].Blue;
    for (int i = 5; rc != 2 && i + 1 < argc; i += 2) {
        int k = atoi(argv[i]);
        if (k < 1 || k > gif->ImageCount) {
            printf("no frame %d in %s\n", k, argv[1]);
            rc = 1;
            continue;
        }
        int r = compare(gif, pal, n, k, argv[i + 1]);
        rc = r > rc ? r : rc;
    }
    DGifCloseFile(gif, &err);
    return rc;
}
