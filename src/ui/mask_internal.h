/* Private to the mask view's files (mask_view.c, grad_view.c, keep_view.c, tile_view.c):
 * the grid textures they paint cells into, the view's cache, and what one frame shows. */
#ifndef UI_MASK_INTERNAL_H
#define UI_MASK_INTERNAL_H

#include <stdint.h>
#include <SDL.h>

#include "ui/state.h"

/* Cells painted into a pixel buffer and copied as one texture: a thousand small fills
 * and crosses through the renderer cost several milliseconds a frame. */
typedef struct {
    SDL_Texture *tex;
    Uint32 *px;
    int w, h;                 /* of tex and px */
    int pitch, cols;          /* geometry the gaps were painted for (pitch 0: repaint) */
    Uint32 bg;
} ui_grid_tex;

/* Where a grid of cells sits: cell i at grid.x + (i % cols) * pitch, grid.y + (i / cols)
 * * pitch, cell x cell pixels. */
typedef struct {
    SDL_Rect grid;
    int cols, rows, pitch, cell, units;
} ui_grid_geom;

/* The keep frequency over the snapshots held, worked out once per newest step. */
typedef struct {
    long newest;              /* step of the newest snapshot it was computed for; 0 none */
    int layer, held;          /* Dropout layer; snapshots it covers */
    int units;
    float *kept;              /* [units]: kept fraction over examples and snapshots */
    long draws;               /* masks counted (examples x snapshots with a mask) */
    long distinct;            /* distinct per-example masks among them */
} ui_keep_stats;

struct ui_mask_cache {
    ui_grid_tex main, grad;
    ui_grid_geom grad_geom;   /* the gradient grid drawn last frame (units 0: none) */
    ui_keep_stats keep;
};

/* Mask view modes (a->mask_mode, 0: auto, gradients beside the mask at batch size 1). */
enum { UI_MASK_AUTO = 0, UI_MASK_PLAIN, UI_MASK_GRADIENTS, UI_MASK_KEEP, UI_MASK_MODES };

Uint32 ui_argb(SDL_Color c);
/* The view's cache, created on first use; NULL when out of memory. */
struct ui_mask_cache *ui_mask_cache_get(ui_app *a);
/* A near-square grid of units cells centred in area. */
ui_grid_geom ui_grid_place(SDL_Rect area, int units);
/* Records q as the mask view's grid in a->layout (what clicks and tests read). */
void ui_grid_to_layout(ui_app *a, const ui_grid_geom *q);
/* Paints cells (colours col, crosses where crossed, th pixels thick; crossed may be NULL)
 * into g's buffer and copies it to the renderer at geometry q. */
void ui_grid_paint(ui_app *a, ui_grid_tex *g, const ui_grid_geom *q, const Uint32 *col,
                   const uint8_t *crossed, Uint32 cross, int th);
void ui_grid_tex_free(ui_grid_tex *g);
/* g's buffer and texture at w x h (gaps repainted when resized); false when out of memory. */
bool ui_grid_tex_size(ui_app *a, ui_grid_tex *g, int w, int h);
/* A cross over a cell x cell square at px (row stride w), th pixels thick; its centre
 * pixel always carries the cross colour. */
void ui_paint_cross(Uint32 *px, int w, int cell, Uint32 cross, int th);
/* GaussianDropout's multiplier as a colour (blue below 1, grey at 1, orange above). */
SDL_Color ui_noise_colour(const ui_theme *t, float mult, float rate);

/* Feature maps (tile_view.c): the (H, W, C) elements of shape as C tiles of H x W pixels
 * on a near-square grid in area, colours col and crosses per element (NHWC order); a
 * channel whose every element is crossed gets one cross over its whole tile. */
typedef struct {
    SDL_Rect grid;            /* the tiles' bounding box */
    int tcols, tile, tpitch, px; /* tiles per row, tile side, tile pitch, pixels per element */
} ui_tile_geom;
ui_tile_geom ui_tile_place(SDL_Rect area, nn_shape shape);
void ui_tile_paint(ui_app *a, ui_grid_tex *g, SDL_Rect area, nn_shape shape, const Uint32 *col,
                   const uint8_t *crossed, Uint32 cross);
/* A horizontal colour ramp lo..hi in r, labelled at both ends and titled; returns the
 * height used. */
int ui_ramp_legend(ui_app *a, SDL_Rect r, SDL_Color lo, SDL_Color hi, const char *left,
                   const char *right, const char *title);

/* Gradients (grad_view.c): the masked Dense's per-unit gradient as a grid in area, same
 * layout as the mask; and each layer's gradient size as a strip in r. */
void ui_grad_grid_draw(ui_app *a, SDL_Rect area, const nn_trace *tr, int ti);
void ui_grad_flow_draw(ui_app *a, SDL_Rect r, const nn_trace *tr);
/* Keep frequency (keep_view.c): each unit's kept fraction over the snapshots held and the
 * number of distinct per-example masks, for Dropout layer d of units units (recomputed
 * when the newest snapshot changes; NULL when none or out of memory); drawn in area with
 * its caption, c the panel's content rect. */
const ui_keep_stats *ui_keep_view_stats(ui_app *a, int d, int units);
void ui_keep_view_draw(ui_app *a, SDL_Rect area, int d, int units, SDL_Rect c);

#endif
