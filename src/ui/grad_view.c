/* Dropout and gradients, beside the mask: the masked Dense's units on the mask's grid,
 * brightness = the largest |dL/dw| of the unit's incoming weights this step (log scale),
 * empty = no gradient at all; and a strip of each layer's gradient size, where a frozen
 * layer says no gradient was computed. At batch size 1 a dropped unit's cell is empty in
 * both grids: it passed no gradient, so its weights got none. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/draw.h"
#include "ui/mask_internal.h"
#include "ui/views.h"

#define FLOW_LO (-7.0)
#define FLOW_HI (1.0)

/* Colours of the gradient grid: empty (exactly 0) and the ramp of nonzero values. */
static SDL_Color grad_empty(const ui_theme *t)
{
    return t->bg;
}

static SDL_Color grad_lo(const ui_theme *t)
{
    return ui_mix(t->bg, t->bar, 0.35f);
}

static SDL_Color grad_hi(const ui_theme *t)
{
    return ui_mix(t->bar, ui_rgb(0xffffff), 0.55f);
}

/* Cell colours: log10 of the gradient between the smallest and largest nonzero value. */
static void colour_grad(const ui_theme *t, const float *g, int units, Uint32 *col, float *lo,
                        float *hi)
{
    *lo = INFINITY;
    *hi = 0;
    for (int u = 0; u < units; u++)
        if (g[u] > 0 && isfinite(g[u])) {
            *lo = g[u] < *lo ? g[u] : *lo;
            *hi = g[u] > *hi ? g[u] : *hi;
        }
    double l0 = *hi > 0 ? log10(*lo) : 0, l1 = *hi > 0 ? log10(*hi) : 1;
    if (l1 - l0 < 1e-6)
        l0 = l1 - 1;
    for (int u = 0; u < units; u++) {
        if (!(g[u] > 0)) {
            col[u] = ui_argb(isnan(g[u]) ? t->bad : grad_empty(t));
            continue;
        }
        float f = (float)((log10(g[u]) - l0) / (l1 - l0));
        col[u] = ui_argb(ui_mix(grad_lo(t), grad_hi(t), f < 0 ? 0 : f > 1 ? 1 : f));
    }
}

void ui_grad_grid_draw(ui_app *a, SDL_Rect area, const nn_trace *tr, int ti)
{
    const ui_theme *t = &a->theme;
    struct ui_mask_cache *mc = ui_mask_cache_get(a);
    if (!mc)
        return;
    mc->grad_geom.units = 0;
    const nn_trace_dropout *D = tr && ti >= 0 ? &tr->dropout[ti] : NULL;
    int title_h = t->font_small + 2, legend_h = t->font_small + 4;
    char full[160], mid[160];
    snprintf(full, sizeof full, "gradient into %s's units", D ? D->source_name : "?");
    snprintf(mid, sizeof mid, "gradient into %s", D ? D->source_name : "?");
    const char *title[3] = {full, mid, "gradient"};
    ui_text_draw_first_fit(a->text, UI_FONT_SANS, t->font_small, t->text, title, 3,
                           area.x + area.w / 2, area.y, UI_ALIGN_CENTER, area.w);
    SDL_Rect g = {area.x, area.y + title_h, area.w, area.h - title_h - legend_h};
    if (!D || !D->unit_grad || !tr->training) {
        ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim,
                     D && !tr->training ? "inference: no gradient" : "no gradient published",
                     g.x + g.w / 2, g.y + g.h / 2, UI_ALIGN_CENTER | UI_ALIGN_MIDDLE, 0);
        return;
    }
    ui_grid_geom q = ui_grid_place(g, D->units);
    Uint32 *col = malloc((size_t)D->units * sizeof *col);
    if (!col)
        return;
    float lo, hi;
    colour_grad(t, D->unit_grad, D->units, col, &lo, &hi);
    ui_grid_paint(a, &mc->grad, &q, col, NULL, 0, 1);
    free(col);
    mc->grad_geom = q;
    char l[32], r[32];
    snprintf(l, sizeof l, "%.0e", hi > 0 ? (double)lo : 0.0);
    snprintf(r, sizeof r, "%.0e", (double)hi);
    ui_ramp_legend(a, (SDL_Rect){g.x, q.grid.y + q.grid.h + 2, g.w, legend_h}, grad_lo(t),
                   grad_hi(t), l, r, "max |dL/dw| (empty: 0)");
}

/* The gradient size of box b (root of the sum of its layers' squares); NAN when none of
 * its layers computed one; *frozen when all its weighted layers are frozen. */
static double box_grad(const ui_app *a, const nn_trace *tr, const ui_box *b, bool *frozen)
{
    double s = 0;
    bool any = false;
    *frozen = true;
    for (int k = b->first; k <= b->last; k++) {
        if (a->graph.layers[k].params == 0)
            continue;
        for (int i = 0; i < tr->n_layers; i++)
            if (!strcmp(tr->layers[i].name, a->graph.layers[k].name)) {
                *frozen &= tr->layers[i].frozen;
                if (!isnan(tr->layers[i].grad_norm)) {
                    s += tr->layers[i].grad_norm * tr->layers[i].grad_norm;
                    any = true;
                }
                break;
            }
    }
    return any ? sqrt(s) : NAN;
}

const char *ui_grad_flow_row(ui_app *a, SDL_Rect row, const nn_trace *tr, const ui_box *b,
                             char *said, size_t n)
{
    const ui_theme *t = &a->theme;
    char fit[160];
    int val_w = ui_text_size(a->text, UI_FONT_MONO, t->font_small, "8.8e-88", 0).x + 4;
    SDL_Rect track = {row.x, row.y + 1, row.w - val_w, row.h - 2};
    ui_fill(a->ren, (SDL_Rect){row.x, row.y + 1, row.w, row.h - 2}, t->bg);
    bool frozen = b->frozen;   /* before the first step: as the graph stands */
    double g = tr ? box_grad(a, tr, b, &frozen) : NAN;
    const char *word = frozen ? "frozen: no gradient computed"
                     : !tr ? "no step yet"
                     : !tr->training ? "inference: no gradient"
                     : isnan(g) ? "no gradient computed" : NULL;
    if (word) {
        if (frozen)
            ui_hatch(a->ren, row, t->hatch, (int)(7 * t->scale));
        /* the shorter "no gradient computed" before a cut */
        const char *brief = frozen ? "no gradient computed" : word;
        const char *say = ui_text_size(a->text, UI_FONT_SANS, t->font_small, word, 0).x <= row.w - 6
                              ? word : brief;
        ui_text_fit(a->text, UI_FONT_SANS, t->font_small, say, row.w - 6, fit, sizeof fit);
        ui_text_draw(a->text, UI_FONT_SANS, t->font_small, frozen ? t->padlock : t->text_dim, fit,
                     row.x + 3, row.y + row.h / 2, UI_ALIGN_MIDDLE, 0);
        snprintf(said, n, "%s", say);
        return said;
    }
    double f = g > 0 ? (log10(g) - FLOW_LO) / (FLOW_HI - FLOW_LO) : 0;
    f = f < 0.01 ? 0.01 : f > 1 ? 1 : f;
    ui_fill(a->ren, (SDL_Rect){track.x, track.y, (int)(track.w * f), track.h}, t->bar);
    snprintf(said, n, "%.1e", g);
    ui_text_draw(a->text, UI_FONT_MONO, t->font_small, t->text, said, row.x + row.w,
                 row.y + row.h / 2, UI_ALIGN_RIGHT | UI_ALIGN_MIDDLE, 0);
    return said;
}

void ui_grad_flow_draw(ui_app *a, SDL_Rect r, const nn_trace *tr)
{
    const ui_theme *t = &a->theme;
    const ui_layout *L = &a->layout;
    char buf[160], fit[160];
    const char *head[3] = {"Gradient flow: ||dL/dw|| of each layer this step",
                           "Gradient flow: ||dL/dw|| per layer", "Gradient flow"};
    ui_text_draw_first_fit(a->text, UI_FONT_SANS, t->font_small, t->text_dim, head, 3, r.x, r.y, 0,
                           r.w);
    int lh = ui_box_line(t);
    int rows = ui_boxes_with_weights(a);
    if (rows == 0 || !tr)
        return;
    int rh = (r.h - lh) / rows;
    rh = rh > t->font_small + 4 ? t->font_small + 4 : rh;
    if (rh < 4)
        return;
    /* names whole where they fit in 40% of the strip */
    int name_w = ui_box_row_names_width(a, r.w * 24 / 100, r.w * 40 / 100);
    int y = r.y + lh;
    for (int i = 0; i < L->n_boxes; i++) {
        const ui_box *b = &L->boxes[i];
        if (!ui_box_has_weights(a, b))
            continue;
        ui_text_fit(a->text, UI_FONT_SANS, t->font_small, ui_box_row_name(a, b), name_w, fit, sizeof fit);
        ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text, fit, r.x, y + rh / 2,
                     UI_ALIGN_MIDDLE, 0);
        ui_grad_flow_row(a, (SDL_Rect){r.x + name_w + 4, y, r.w - name_w - 4, rh}, tr, b, buf,
                         sizeof buf);
        y += rh;
    }
}
