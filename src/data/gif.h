/* Animated GIF writing (giflib), for the clips a teacher puts on a slide.
 *
 * Frames are 32-bit ARGB8888 pixels (SDL's surface format); each pixel is mapped to the
 * nearest colour of a palette the caller gives (at most 256 colours; the window passes its
 * theme's). The file goes through atomicio: a clip on disk is either the old one or the
 * complete new one. The clip loops forever.
 *
 * Errors: NULL or -1, with the reason naming the file in err. Never prints. */
#ifndef DS_GIF_H
#define DS_GIF_H

#include <stddef.h>
#include <stdint.h>

typedef struct ds_gif ds_gif;

/* Starts a w x h clip at path with ncolors (2..256) palette entries of 0xRRGGBB and
 * delay_cs hundredths of a second per frame. The target is not touched until close.
 * Caller owns the result: finish it with ds_gif_close or ds_gif_abort. */
ds_gif *ds_gif_open(const char *path, int w, int h, const uint32_t *palette, int ncolors,
                    int delay_cs, char *err, size_t errlen);
/* Appends a frame: h rows of w ARGB8888 pixels, pitch bytes apart. 0 or -1. */
int ds_gif_add_frame(ds_gif *g, const void *pixels, int pitch, char *err, size_t errlen);
/* Number of frames added so far. */
int ds_gif_frames(const ds_gif *g);
/* Finishes the file and puts it in place; frees g in every case. 0 or -1 (old file
 * intact). A clip with no frame is an error. */
int ds_gif_close(ds_gif *g, char *err, size_t errlen);
/* Discards the clip; the target is untouched. NULL is fine. */
void ds_gif_abort(ds_gif *g);
/* The palette index nearest to 0xRRGGBB (squared RGB distance; ties: the lower index). */
int ds_gif_nearest(const uint32_t *palette, int ncolors, uint32_t rgb);

#endif
