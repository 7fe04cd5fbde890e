/* Convolutional feature maps in the mask view: one tile per channel (H x W pixels, one
 * per element), so element-wise dropout shows scattered dark pixels inside every tile
 * and channel-wise dropout (SpatialDropout2D, a noise_shape of (N, 1, 1, C)) whole dark
 * tiles, each crossed over. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ui/draw.h"
#include "ui/mask_internal.h"

ui_tile_geom ui_tile_place(SDL_Rect area, nn_shape shape)
{
    ui_tile_geom q;
    memset(&q, 0, sizeof q);
    int H = shape.d[0], W = shape.d[1], C = shape.d[2];
    if (H < 1 || W < 1 || C < 1)
        return q;
    int best = 0;
    for (int cols = 1; cols <= C; cols++) {   /* the column count giving the largest tiles */
        int rows = (C + cols - 1) / cols;
        int pw = area.w / cols, ph = area.h / rows;
        int p = pw < ph ? pw : ph;
        int px = (p - 2) / (W > H ? W : H);
        if (px > best || (px == best && px > 0 && cols * rows < q.tcols * ((C + q.tcols - 1) / q.tcols))) {
            best = px;
            q.tcols = cols;
        }
    }
    if (best < 1)
        best = 1, q.tcols = (int)ceil(sqrt((double)C));
    q.px = best;
    q.tile = best * (W > H ? W : H);
    q.tpitch = q.tile + (q.tile >= 12 ? 3 : 1);
    int rows = (C + q.tcols - 1) / q.tcols;
    q.grid = (SDL_Rect){area.x + (area.w - q.tcols * q.tpitch) / 2,
                        area.y + (area.h - rows * q.tpitch) / 2, q.tcols * q.tpitch, rows * q.tpitch};
    return q;
}

/* Is every element of channel c crossed? */
static bool whole_channel(const uint8_t *crossed, int HW, int C, int c)
{
    for (int i = 0; i < HW; i++)
        if (!crossed[(size_t)i * C + c])
            return false;
    return true;
}

void ui_tile_paint(ui_app *a, ui_grid_tex *g, SDL_Rect area, nn_shape shape, const Uint32 *col,
                   const uint8_t *crossed, Uint32 cross)
{
    ui_tile_geom q = ui_tile_place(area, shape);
    int w = q.grid.w, h = q.grid.h;
    if (q.px < 1 || w <= 0 || h <= 0 || !ui_grid_tex_size(a, g, w, h))
        return;
    int H = shape.d[0], W = shape.d[1], C = shape.d[2];
    Uint32 bg = ui_argb(a->theme.panel);
    /* a dropped element: the cross's colour, dimmed, so it reads apart from activation 0 */
    Uint32 dropped = ui_argb(ui_mix(a->theme.cell_dropped, a->theme.cross, 0.5f));
    for (size_t i = 0; i < (size_t)w * h; i++)
        g->px[i] = bg;
    g->pitch = 0;   /* the grid painter repaints its gaps */
    for (int c = 0; c < C; c++) {
        int x0 = (c % q.tcols) * q.tpitch, y0 = (c / q.tcols) * q.tpitch;
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                size_t e = ((size_t)y * W + x) * C + c;
                Uint32 v = crossed && crossed[e] ? dropped : col[e];
                for (int dy = 0; dy < q.px; dy++)
                    for (int dx = 0; dx < q.px; dx++)
                        g->px[(size_t)(y0 + y * q.px + dy) * w + x0 + x * q.px + dx] = v;
            }
        if (crossed && whole_channel(crossed, H * W, C, c) && q.tile >= 3)
            ui_paint_cross(g->px + (size_t)y0 * w + x0, w, q.tile, cross, q.tile >= 14 ? 2 : 1);
    }
    SDL_UpdateTexture(g->tex, NULL, g->px, w * (int)sizeof *g->px);
    SDL_RenderCopy(a->ren, g->tex, NULL, &q.grid);
}
