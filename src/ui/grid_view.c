/* The cells the mask view's modes share (mask_internal.h): near-square grids of cells
 * painted into a pixel buffer and copied as one texture, crosses, colour-ramp legends,
 * and the view's cache. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ui/draw.h"
#include "ui/mask_internal.h"

static void grid_dims(int n, int *cols, int *rows)
{
    int c = (int)ceil(sqrt((double)n));
    if (c < 1)
        c = 1;
    *cols = c;
    *rows = (n + c - 1) / c;
}

Uint32 ui_argb(SDL_Color c)
{
    return 0xFF000000u | (Uint32)c.r << 16 | (Uint32)c.g << 8 | c.b;
}

struct ui_mask_cache *ui_mask_cache_get(ui_app *a)
{
    if (!a->mask_cache)
        a->mask_cache = calloc(1, sizeof *a->mask_cache);
    return a->mask_cache;
}

void ui_grid_tex_free(ui_grid_tex *g)
{
    if (g->tex)
        SDL_DestroyTexture(g->tex);
    free(g->px);
    memset(g, 0, sizeof *g);
}

/* g's buffer and texture at w x h; false when out of memory. */
bool ui_grid_tex_size(ui_app *a, ui_grid_tex *g, int w, int h)
{
    if (!g->tex || g->w != w || g->h != h) {
        ui_grid_tex_free(g);
        g->px = malloc((size_t)w * h * sizeof *g->px);
        g->tex = SDL_CreateTexture(a->ren, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_STREAMING,
                                   w, h);
        g->w = w;
        g->h = h;
        g->pitch = 0;   /* repaint the gaps */
    }
    return g->px && g->tex;
}

/* Two diagonals, th pixels thick, in the cell at px; the centre pixel always carries the
 * cross colour (what tests sample). */
void ui_paint_cross(Uint32 *px, int w, int cell, Uint32 cross, int th)
{
    int in = cell >= 8 ? cell / 6 : 0;
    for (int k = in; k <= cell - 1 - in; k++)
        for (int d = 0; d < th; d++) {
            int xa = k + d, xb = cell - 1 - k - d;
            if (xa < cell)
                px[(size_t)k * w + xa] = cross;
            if (xb >= 0)
                px[(size_t)k * w + xb] = cross;
        }
    int c0 = cell / 2 - (th > 1), cn = th > 1 ? 2 : 1;
    for (int y = 0; y < cn; y++)
        for (int x = 0; x < cn; x++)
            px[(size_t)(c0 + y) * w + c0 + x] = cross;
}

void ui_grid_paint(ui_app *a, ui_grid_tex *g, const ui_grid_geom *q, const Uint32 *col,
                   const uint8_t *crossed, Uint32 cross, int th)
{
    int w = q->grid.w, h = q->grid.h, cols = q->cols, pitch = q->pitch, cell = q->cell;
    if (w <= 0 || h <= 0 || !ui_grid_tex_size(a, g, w, h))
        return;
    Uint32 *px = g->px;
    Uint32 bg = ui_argb(a->theme.panel);
    if (g->bg != bg || g->pitch != pitch || g->cols != cols) {
        /* The gaps between cells only change with the geometry or the theme. */
        for (size_t i = 0; i < (size_t)w * h; i++)
            px[i] = bg;
        g->bg = bg;
        g->pitch = pitch;
        g->cols = cols;
    }
    for (int i = 0; i < q->units; i++) {
        int x0 = (i % cols) * pitch, y0 = (i / cols) * pitch;
        for (int y = 0; y < cell; y++) {
            Uint32 *row = px + (size_t)(y0 + y) * w + x0;
            for (int x = 0; x < cell; x++)
                row[x] = col[i];
        }
        if (crossed && crossed[i] && cell >= 3)
            ui_paint_cross(px + (size_t)y0 * w + x0, w, cell, cross, th);
    }
    SDL_UpdateTexture(g->tex, NULL, px, w * (int)sizeof *px);
    SDL_RenderCopy(a->ren, g->tex, NULL, &q->grid);
}

int ui_ramp_legend(ui_app *a, SDL_Rect r, SDL_Color lo, SDL_Color hi, const char *left,
                   const char *right, const char *title)
{
    const ui_theme *t = &a->theme;
    int fh = t->font_small;
    int lw = ui_text_draw(a->text, UI_FONT_SANS, fh, t->text, left, r.x, r.y, 0, 0).x;
    int rw = ui_text_size(a->text, UI_FONT_SANS, fh, right, 0).x;
    SDL_Rect bar = {r.x + lw + 4, r.y + 2, r.w / 3, fh - 2};
    for (int x = 0; x < bar.w; x++)
        ui_fill(a->ren, (SDL_Rect){bar.x + x, bar.y, 1, bar.h},
                ui_mix(lo, hi, bar.w > 1 ? (float)x / (float)(bar.w - 1) : 1.0f));
    ui_frame(a->ren, bar, t->panel_edge, 1);
    int x = bar.x + bar.w + 4;
    ui_text_draw(a->text, UI_FONT_SANS, fh, t->text, right, x, r.y, 0, 0);
    x += rw + t->pad;
    /* the title whole beside the bar, or not at all (the panel's caption says it) */
    if (title && ui_text_size(a->text, UI_FONT_SANS, fh, title, 0).x <= r.x + r.w - x)
        ui_text_draw(a->text, UI_FONT_SANS, fh, t->text_dim, title, x, r.y, 0, 0);
    return fh + 2;
}

ui_grid_geom ui_grid_place(SDL_Rect area, int units)
{
    ui_grid_geom q = {.units = units};
    grid_dims(units > 0 ? units : 1024, &q.cols, &q.rows);
    q.pitch = area.w / q.cols < area.h / q.rows ? area.w / q.cols : area.h / q.rows;
    if (q.pitch < 1)
        q.pitch = 1;
    int gap = q.pitch >= 12 ? 2 : q.pitch >= 5 ? 1 : 0;
    q.grid = (SDL_Rect){area.x + (area.w - q.cols * q.pitch) / 2,
                        area.y + (area.h - q.rows * q.pitch) / 2, q.cols * q.pitch, q.rows * q.pitch};
    q.cell = q.pitch - gap;
    return q;
}

void ui_grid_to_layout(ui_app *a, const ui_grid_geom *q)
{
    ui_layout *L = &a->layout;
    L->grid = q->grid;
    L->cols = q->cols;
    L->rows = q->rows;
    L->pitch = q->pitch;
    L->cell = q->cell;
    L->units = q->units;
}
