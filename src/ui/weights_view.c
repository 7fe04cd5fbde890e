/* Weight change: one bar per layer with weights (a collapsed base is one bar) for the
 * step shown: max |w_after - w_before|, on a log scale. A frozen layer reads exactly 0
 * and says so; a frozen layer that moved would be shown as an alarm. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ui/draw.h"
#include "ui/report.h"
#include "ui/views.h"

#define LOG_LO (-8.0)
#define LOG_HI (-1.0)

static const nn_trace_layer *trace_layer(const nn_trace *t, const ui_app *a, int i)
{
    if (!t)
        return NULL;
    if (i < t->n_layers && !strcmp(t->layers[i].name, a->graph.layers[i].name))
        return &t->layers[i];
    for (int k = 0; k < t->n_layers; k++)
        if (!strcmp(t->layers[k].name, a->graph.layers[i].name))
            return &t->layers[k];
    return NULL;
}

void ui_weights_view_draw(ui_app *a, SDL_Rect r)
{
    const ui_theme *t = &a->theme;
    ui_layout *L = &a->layout;
    const nn_trace *tr = a->cur;
    char buf[160], fit[160];
    ui_report_panel(a->report, "weights", r, tr ? tr->step : 0);
    if (tr)
        snprintf(buf, sizeof buf, "Weight change, step %ld", tr->step);
    else
        snprintf(buf, sizeof buf, "Weight change");
    SDL_Rect c = ui_panel(a, r, buf);
    int rows = 0;
    for (int i = 0; i < L->n_boxes; i++) {
        const ui_box *b = &L->boxes[i];
        for (int k = b->first; k <= b->last; k++)
            if (a->graph.layers[k].params > 0) {
                rows++;
                break;
            }
    }
    if (rows == 0)
        return;
    int axis_h = t->font_small + 2;
    int rh = (c.h - axis_h) / rows;
    int maxh = t->font_normal + t->pad;
    if (rh > maxh)
        rh = maxh;
    int minh = t->font_small + 2;
    int shown = rh < minh ? (c.h - axis_h) / minh : rows;
    if (rh < minh)
        rh = minh;
    int name_w = c.w * 30 / 100, val_w = c.w * 24 / 100;
    int bx = c.x + name_w + t->pad / 2, bw = c.w - name_w - val_w - t->pad;
    int y = c.y, row = 0;
    for (int i = 0; i < L->n_boxes && row < shown; i++) {
        const ui_box *b = &L->boxes[i];
        size_t params = 0;
        bool frozen = true, known = true;
        float dw = 0;
        for (int k = b->first; k <= b->last; k++) {
            params += a->graph.layers[k].params;
            if (a->graph.layers[k].params == 0)
                continue;
            const nn_trace_layer *tl = trace_layer(tr, a, k);
            if (!tl) {
                known = false;
                frozen &= a->graph.layers[k].frozen;
                continue;
            }
            frozen &= tl->frozen;
            if (tl->dw_max > dw || isnan(tl->dw_max))
                dw = tl->dw_max;
        }
        if (params == 0)
            continue;
        if (b->group)
            snprintf(buf, sizeof buf, "%s", a->graph.layers[b->first].base_name[0]
                                                ? a->graph.layers[b->first].base_name
                                                : "base");
        else
            snprintf(buf, sizeof buf, "%s", a->graph.layers[b->first].name);
        ui_text_fit(a->text, UI_FONT_SANS, t->font_small, buf, name_w, fit, sizeof fit);
        ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text, fit, c.x, y + rh / 2,
                     UI_ALIGN_MIDDLE, 0);
        SDL_Rect track = {bx, y + rh / 6, bw, rh - rh / 3};
        ui_fill(a->ren, track, t->bg);
        SDL_Color vc = t->text;
        if (!tr || !known) {
            snprintf(buf, sizeof buf, frozen ? "frozen" : "-");
        } else if (frozen) {
            ui_hatch(a->ren, track, t->hatch, (int)(7 * t->scale));
            int lk = track.h - 2 > 6 ? track.h - 2 : 6;
            ui_padlock(a->ren, (SDL_Rect){track.x + 2, track.y + 1, lk * 5 / 6, lk}, t->padlock, t->bg);
            if (dw == 0) {
                snprintf(buf, sizeof buf, "0 exactly");
                vc = t->padlock;
                char ft[64];
                const char *say = "frozen: unchanged";
                if (ui_text_size(a->text, UI_FONT_SANS, t->font_small, say, 0).x > track.w - lk - 8)
                    say = "frozen";
                ui_text_fit(a->text, UI_FONT_SANS, t->font_small, say, track.w - lk - 8, ft,
                            sizeof ft);
                ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text, ft, track.x + lk + 6,
                             track.y + track.h / 2, UI_ALIGN_MIDDLE, 0);
            } else {   /* should never happen: the engine measures, we show it */
                snprintf(buf, sizeof buf, "%.1e MOVED!", (double)dw);
                vc = t->bad;
            }
        } else if (dw == 0 && !tr->training) {
            snprintf(buf, sizeof buf, "0");
            vc = t->text_dim;
            char ft[64];
            ui_text_fit(a->text, UI_FONT_SANS, t->font_small, "inference: no update", track.w - 8,
                        ft, sizeof ft);
            ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, ft, track.x + 4,
                         track.y + track.h / 2, UI_ALIGN_MIDDLE, 0);
        } else {
            double lv = dw > 0 ? log10((double)dw) : LOG_LO;
            double f = (lv - LOG_LO) / (LOG_HI - LOG_LO);
            if (f < 0.01)
                f = 0.01;
            if (f > 1)
                f = 1;
            SDL_Rect bar = {track.x, track.y, (int)(track.w * f), track.h};
            ui_fill(a->ren, bar, t->bar);
            snprintf(buf, sizeof buf, isnan(dw) ? "NaN" : "%.2e", (double)dw);
        }
        if (L->n_bars < UI_MAX_HITS) {
            L->bars[L->n_bars] = track;
            L->bar_box[L->n_bars] = i;
            L->n_bars++;
        }
        ui_text_fit(a->text, UI_FONT_MONO, t->font_small, buf, val_w, fit, sizeof fit);
        ui_text_draw(a->text, UI_FONT_MONO, t->font_small, vc, fit, c.x + c.w, y + rh / 2,
                     UI_ALIGN_RIGHT | UI_ALIGN_MIDDLE, 0);
        ui_hit_add(a, (SDL_Rect){c.x, y, c.w, rh}, UI_ACT_SELECT_LAYER, b->first);
        y += rh;
        row++;
    }
    if (shown < rows) {
        snprintf(buf, sizeof buf, "+%d more", rows - shown);
        ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, buf, c.x, y, 0, 0);
    }
    /* Log axis. */
    int ay = c.y + c.h - axis_h;
    static const int ticks[] = {-8, -4, -1};
    for (int i = 0; i < 3; i++) {
        int e = ticks[i];
        int x = bx + (int)((e - LOG_LO) / (LOG_HI - LOG_LO) * bw);
        snprintf(buf, sizeof buf, "1e%d", e);
        ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, buf, x, ay,
                     i == 0 ? UI_ALIGN_LEFT : i == 2 ? UI_ALIGN_RIGHT : UI_ALIGN_CENTER, 0);
    }
}
