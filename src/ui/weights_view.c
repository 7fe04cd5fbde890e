/* Weight change: one row per layer with weights (a collapsed base is one row) for the
 * step shown. The bar and the first number are the one quantity the lessons call
 * `last change` (nn_trace_change: the largest |w_after - w_before| this step, log
 * scale); the second is the relative change ||dw|| / ||w||, which tells layers apart
 * when an optimizer moves every weight by the same ceiling (RMSprop: lr/sqrt(1-rho)).
 * A frozen layer reads exactly 0 and says so; a frozen layer that moved is an alarm. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ui/draw.h"
#include "ui/report.h"
#include "ui/views.h"

#define LOG_LO (-8.0)
#define LOG_HI (-1.0)

static int trace_layer_index(const nn_trace *t, const ui_app *a, int i)
{
    if (!t)
        return -1;
    if (i < t->n_layers && !strcmp(t->layers[i].name, a->graph.layers[i].name))
        return i;
    for (int k = 0; k < t->n_layers; k++)
        if (!strcmp(t->layers[k].name, a->graph.layers[i].name))
            return k;
    return -1;
}

ui_weights_row ui_weights_view_row(const ui_app *a, int box)
{
    const nn_trace *tr = a->cur;
    const ui_box *b = &a->layout.boxes[box];
    ui_weights_row w = {.frozen = true, .known = tr != NULL, .rel = 0};
    double dw2 = 0, ww2 = 0;
    for (int k = b->first; k <= b->last; k++) {
        w.params += a->graph.layers[k].params;
        if (a->graph.layers[k].params == 0)
            continue;
        int ti = trace_layer_index(tr, a, k);
        if (ti < 0) {
            w.known = false;
            w.frozen &= a->graph.layers[k].frozen;
            continue;
        }
        const nn_trace_layer *tl = &tr->layers[ti];
        w.frozen &= tl->frozen;
        w.dw = nn_change_pick(w.dw, nn_trace_change(tr, ti, 1));
        dw2 += tl->dw_norm * tl->dw_norm;
        if (!tl->frozen)
            ww2 += tl->w_norm * tl->w_norm;
    }
    w.rel = ww2 > 0 ? sqrt(dw2 / ww2) : isnan(ww2) ? NAN : 0;
    return w;
}

/* The row's numbers: the largest |dw| into buf, the relative change into rb; the bar's
 * fraction (log scale) in *f, 0 when none is drawn. */
static SDL_Color row_values(const ui_app *a, const ui_weights_row *w, char *buf, size_t n,
                            char *rb, size_t rn, double *f)
{
    const ui_theme *t = &a->theme;
    const nn_trace *tr = a->cur;
    *f = 0;
    snprintf(rb, rn, "-");
    if (!tr || !w->known) {
        snprintf(buf, n, w->frozen ? "frozen" : "-");
        return t->text;
    }
    if (w->frozen) {
        if (w->dw == 0) {
            snprintf(buf, n, "0 exactly");
            snprintf(rb, rn, "0");
            return t->padlock;
        }
        snprintf(buf, n, "%.1e MOVED!", w->dw); /* should never happen: measured, shown */
        return t->bad;
    }
    if (w->dw == 0 && !tr->training) {
        snprintf(buf, n, "0");
        return t->text_dim;
    }
    double lv = w->dw > 0 ? log10(w->dw) : LOG_LO;
    *f = (lv - LOG_LO) / (LOG_HI - LOG_LO);
    *f = *f < 0.01 ? 0.01 : *f > 1 ? 1 : *f;
    snprintf(buf, n, isnan(w->dw) ? "NaN" : "%.2e", w->dw);
    snprintf(rb, rn, isnan(w->rel) ? "-" : "%.1e", w->rel);
    return t->text;
}

/* The track of one row: the bar, or the frozen hatching and padlock, or a word. */
static void draw_track(ui_app *a, SDL_Rect track, const ui_weights_row *w, double f)
{
    const ui_theme *t = &a->theme;
    const nn_trace *tr = a->cur;
    ui_fill(a->ren, track, t->bg);
    if (!tr || !w->known)
        return;
    if (w->frozen) {
        ui_hatch(a->ren, track, t->hatch, (int)(7 * t->scale));
        int lk = track.h - 2 > 6 ? track.h - 2 : 6;
        ui_padlock(a->ren, (SDL_Rect){track.x + 2, track.y + 1, lk * 5 / 6, lk}, t->padlock, t->bg);
        if (w->dw != 0)
            return;
        const char *say[2] = {"frozen: unchanged", "frozen"};
        ui_text_draw_first_fit(a->text, UI_FONT_SANS, t->font_small, t->text, say, 2, track.x + lk + 6,
                               track.y + track.h / 2, UI_ALIGN_MIDDLE, track.w - lk - 8);
    } else if (w->dw == 0 && !tr->training) {
        const char *say[2] = {"inference: no update", "no update"};   /* whole, or shorter */
        ui_text_draw_first_fit(a->text, UI_FONT_SANS, t->font_small, t->text_dim, say, 2, track.x + 4,
                               track.y + track.h / 2, UI_ALIGN_MIDDLE, track.w - 8);
    } else {
        ui_fill(a->ren, (SDL_Rect){track.x, track.y, (int)(track.w * f), track.h}, t->bar);
    }
}

/* Rows whose largest |dw| sits at the optimizer's ceiling (within 2%). */
static int rows_at_ceiling(const ui_app *a, double ceil)
{
    int n = 0;
    for (int i = 0; ceil > 0 && i < a->layout.n_boxes; i++) {
        ui_weights_row w = ui_weights_view_row(a, i);
        n += w.params > 0 && !w.frozen && fabs(w.dw - ceil) <= 0.02 * ceil;
    }
    return n;
}

/* Why every bar reads the same, when it does (into buf); false when they do not. */
static bool ceiling_note(const ui_app *a, char *buf, size_t n)
{
    const nn_trace *tr = a->cur;
    double ceil = tr && tr->training ? nn_trace_step_ceiling(tr) : 0;
    if (rows_at_ceiling(a, ceil) < 2)
        return false;
    if (tr->opt_kind == NN_OPT_ADAM)
        snprintf(buf, n, "All %.2e = lr: Adam's first step moves every weight by lr. "
                 "|dw|/|w| tells layers apart.", ceil);
    else
        snprintf(buf, n, "All %.2e = lr/sqrt(1-rho), the most RMSprop moves one weight "
                 "in a step. |dw|/|w| tells layers apart.", ceil);
    return true;
}

void ui_weights_view_draw(ui_app *a, SDL_Rect r)
{
    const ui_theme *t = &a->theme;
    ui_layout *L = &a->layout;
    const nn_trace *tr = a->cur;
    char buf[160], fit[160], rb[32];
    ui_report_panel(a->report, "weights", r, tr ? tr->step : 0);
    if (tr)
        snprintf(buf, sizeof buf, "Weight change, step %ld", tr->step);
    else
        snprintf(buf, sizeof buf, "Weight change");
    SDL_Rect c = ui_panel(a, r, buf);
    int rows = ui_boxes_with_weights(a);
    if (rows == 0)
        return;
    int axis_h = t->font_small + 2;
    char note[320];
    int note_h = ceiling_note(a, note, sizeof note)
                     ? ui_text_size(a->text, UI_FONT_SANS, t->font_small, note, c.w).y : 0;
    int head_h = t->font_small + 2;
    if (c.h - axis_h - note_h - head_h < rows * (t->font_small + 2))
        note_h = 0;   /* the rows first */
    int avail = c.h - axis_h - note_h - head_h;
    int val_w = ui_text_size(a->text, UI_FONT_MONO, t->font_small, "0 exactly", 0).x + t->pad / 2;
    int rel_w = ui_text_size(a->text, UI_FONT_SANS, t->font_small, "|dw|/|w|", 0).x + t->pad / 2;
    int num_w = ui_text_size(a->text, UI_FONT_MONO, t->font_small, "8.8e-88", 0).x + t->pad / 2;
    rel_w = rel_w > num_w ? rel_w : num_w;
    /* names whole up to 40% of the width */
    int name_w = ui_box_row_names_width(a, c.w * 28 / 100, c.w * 40 / 100);
    int bx = c.x + name_w + t->pad / 2, bw = c.w - name_w - val_w - rel_w - t->pad;
    /* too narrow for a bar beside the numbers (presenter mode): the bar under them */
    bool two = bw < (int)(70 * t->scale);
    int rh = avail / rows, maxh = t->font_normal + t->pad, minh = t->font_small + 2;
    if (two) {
        maxh *= 2;
        minh *= 2;
        bx = c.x;
        bw = c.w;
    }
    rh = rh > maxh ? maxh : rh;
    int shown = rh < minh ? avail / minh : rows;
    rh = rh < minh ? minh : rh;
    /* Column heads: what each number is. */
    ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, "largest |dw| this step",
                 c.x + c.w - rel_w - t->pad / 2, c.y, UI_ALIGN_RIGHT, 0);
    ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, "|dw|/|w|", c.x + c.w, c.y,
                 UI_ALIGN_RIGHT, 0);
    int y = c.y + head_h, row = 0;
    for (int i = 0; i < L->n_boxes && row < shown; i++) {
        const ui_box *b = &L->boxes[i];
        ui_weights_row w = ui_weights_view_row(a, i);
        if (w.params == 0)
            continue;
        int ty = two ? y + rh / 4 : y + rh / 2;   /* the text line's middle */
        ui_text_fit(a->text, UI_FONT_SANS, t->font_small, ui_box_row_name(a, b), name_w, fit, sizeof fit);
        ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text, fit, c.x, ty, UI_ALIGN_MIDDLE, 0);
        SDL_Rect track = two ? (SDL_Rect){bx, y + rh / 2 + rh / 12, bw, rh / 2 - rh / 6}
                             : (SDL_Rect){bx, y + rh / 6, bw, rh - rh / 3};
        double f;
        SDL_Color vc = row_values(a, &w, buf, sizeof buf, rb, sizeof rb, &f);
        draw_track(a, track, &w, f);
        if (L->n_bars < UI_MAX_HITS) {
            L->bars[L->n_bars] = track;
            L->bar_box[L->n_bars] = i;
            L->n_bars++;
        }
        ui_text_fit(a->text, UI_FONT_MONO, t->font_small, buf, val_w, fit, sizeof fit);
        ui_text_draw(a->text, UI_FONT_MONO, t->font_small, vc, fit, c.x + c.w - rel_w - t->pad / 2,
                     ty, UI_ALIGN_RIGHT | UI_ALIGN_MIDDLE, 0);
        ui_text_fit(a->text, UI_FONT_MONO, t->font_small, rb, rel_w, fit, sizeof fit);
        ui_text_draw(a->text, UI_FONT_MONO, t->font_small, vc, fit, c.x + c.w, ty,
                     UI_ALIGN_RIGHT | UI_ALIGN_MIDDLE, 0);
        ui_hit_add(a, (SDL_Rect){c.x, y, c.w, rh}, UI_ACT_SELECT_LAYER, b->first);
        y += rh;
        row++;
    }
    if (shown < rows) {
        snprintf(buf, sizeof buf, "+%d more", rows - shown);
        ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, buf, c.x, y, 0, 0);
    }
    /* Log axis, then the note. */
    int ay = c.y + c.h - axis_h - note_h;
    static const int ticks[] = {-8, -4, -1};
    int tick_w = ui_text_size(a->text, UI_FONT_SANS, t->font_small, "1e-4", 0).x;
    for (int i = 0; i < 3; i++) {
        int e = ticks[i];
        if ((i == 1 && bw < 4 * tick_w) || bw < 3 * tick_w)
            continue;   /* fewer labels rather than labels running into each other */
        int x = bx + (int)((e - LOG_LO) / (LOG_HI - LOG_LO) * bw);
        snprintf(buf, sizeof buf, "1e%d", e);
        ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, buf, x, ay,
                     i == 0 ? UI_ALIGN_LEFT : i == 2 ? UI_ALIGN_RIGHT : UI_ALIGN_CENTER, 0);
    }
    if (note_h)
        ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, note, c.x, ay + axis_h, 0, c.w);
}
