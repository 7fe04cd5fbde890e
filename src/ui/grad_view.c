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
    char buf[160];
    snprintf(buf, sizeof buf, "gradient into %s's units", D ? D->source_name : "?");
    char fit[160];
    ui_text_fit(a->text, UI_FONT_SANS, t->font_small, buf, area.w, fit, sizeof fit);
    ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text, fit, area.x + area.w / 2, area.y,
                 UI_ALIGN_CENTER, 0);
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

void ui_grad_flow_draw(ui_app *a, SDL_Rect r, const nn_trace *tr)
{
    const ui_theme *t = &a->theme;
    const ui_layout *L = &a->layout;
    char buf[160], fit[160];
    int lh = ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim,
                          "Gradient flow: ||dL/dw|| of each layer this step", r.x, r.y, 0, 0).y;
    int rows = 0;
    for (int i = 0; i < L->n_boxes; i++)
        rows += ui_weights_view_row(a, i).params > 0;
    if (rows == 0 || !tr)
        return;
    int rh = (r.h - lh) / rows;
    rh = rh > t->font_small + 4 ? t->font_small + 4 : rh;
    if (rh < 4)
        return;
    int name_w = r.w * 24 / 100, val_w = r.w * 16 / 100;
    int y = r.y + lh;
    for (int i = 0; i < L->n_boxes; i++) {
        const ui_box *b = &L->boxes[i];
        if (ui_weights_view_row(a, i).params == 0)
            continue;
        const ui_graph_layer *G = &a->graph.layers[b->first];
        bool frozen;
        double g = box_grad(a, tr, b, &frozen);
        snprintf(buf, sizeof buf, "%s", !b->group ? G->name : G->base_name[0] ? G->base_name : "base");
        ui_text_fit(a->text, UI_FONT_SANS, t->font_small, buf, name_w, fit, sizeof fit);
        ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text, fit, r.x, y + rh / 2,
                     UI_ALIGN_MIDDLE, 0);
        SDL_Rect track = {r.x + name_w + 4, y + 1, r.w - name_w - val_w - 8, rh - 2};
        ui_fill(a->ren, track, t->bg);
        const char *word = frozen ? "frozen: no gradient computed"
                           : !tr->training ? "inference: no gradient" : NULL;
        if (word || isnan(g)) {
            if (frozen)
                ui_hatch(a->ren, track, t->hatch, (int)(7 * t->scale));
            ui_text_fit(a->text, UI_FONT_SANS, t->font_small, word ? word : "no gradient computed",
                        track.w - 4, fit, sizeof fit);
            ui_text_draw(a->text, UI_FONT_SANS, t->font_small, frozen ? t->padlock : t->text_dim, fit,
                         track.x + 3, y + rh / 2, UI_ALIGN_MIDDLE, 0);
        } else {
            double f = g > 0 ? (log10(g) - FLOW_LO) / (FLOW_HI - FLOW_LO) : 0;
            f = f < 0.01 ? 0.01 : f > 1 ? 1 : f;
            ui_fill(a->ren, (SDL_Rect){track.x, track.y, (int)(track.w * f), track.h}, t->bar);
            snprintf(buf, sizeof buf, "%.1e", g);
            ui_text_draw(a->text, UI_FONT_MONO, t->font_small, t->text, buf, r.x + r.w, y + rh / 2,
                         UI_ALIGN_RIGHT | UI_ALIGN_MIDDLE, 0);
        }
        y += rh;
    }
}
