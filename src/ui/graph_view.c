/* Layer graph: a box per layer (name, type, output shape, parameters), frozen layers
 * with a padlock, hatching and "trainable=False"; a long frozen base collapses into one
 * box that opens on click; the Dropout box points at the layer whose outputs it masks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/draw.h"
#include "ui/views.h"

static size_t box_params(const ui_app *a, const ui_box *b)
{
    size_t p = 0;
    for (int i = b->first; i <= b->last; i++)
        p += a->graph.layers[i].params;
    return p;
}

static int box_height(const ui_app *a, const ui_box *b)
{
    const ui_theme *t = &a->theme;
    int line = t->font_small + t->font_small / 3;
    int lines = b->group ? 5 + a->graph.layers[b->first].random_weights : (b->frozen ? 3 : 2);
    int h = (t->font_normal + t->font_normal / 3) + (lines - 1) * line + t->pad;
    if (b->opened)
        h += line + t->pad / 2;   /* the "close base" header above it */
    return h;
}

static void draw_box(ui_app *a, ui_box *b, SDL_Rect r)
{
    const ui_theme *t = &a->theme;
    const ui_graph_layer *L = &a->graph.layers[b->first];
    SDL_Renderer *ren = a->ren;
    int line = t->font_small + t->font_small / 3;
    char buf[160], fit[160], num[32];

    if (b->opened) {
        SDL_Rect hr = {r.x, r.y, r.w, line + t->pad / 2};
        const char *bn = L->base_name[0] ? L->base_name : "base";
        snprintf(buf, sizeof buf, "\xe2\x96\xbe %s, %d layers%s - click or E to close", bn, b->opened,
                 L->random_weights ? ", RANDOM weights" : "");
        ui_text_fit(a->text, UI_FONT_SANS, t->font_small, buf, r.w, fit, sizeof fit);
        ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->padlock, fit, r.x, hr.y,
                     UI_ALIGN_LEFT, 0);
        ui_hit_add(a, hr, UI_ACT_TOGGLE_GROUP, b->first);
        r.y += hr.h;
        r.h -= hr.h;
    }
    b->rect = r;
    ui_fill(ren, r, t->box);
    if (b->frozen)
        ui_hatch(ren, (SDL_Rect){r.x + 1, r.y + 1, r.w - 2, r.h - 2}, t->hatch,
                 (int)(9 * t->scale));
    bool sel = a->selected >= b->first && a->selected <= b->last;
    b->selected = sel;
    if (sel)
        ui_frame(ren, r, t->box_selected, 3 * t->line);
    else
        ui_frame(ren, r, b->frozen ? t->padlock : t->box_edge, b->frozen ? 2 * t->line : t->line);

    int x = r.x + t->pad, y = r.y + t->pad / 2, inner = r.w - 2 * t->pad;
    int lock = (int)(t->font_normal * 1.1f);
    b->padlock = (SDL_Rect){0, 0, 0, 0};
    if (b->frozen) {
        /* The padlock sits on a plain patch so it reads on top of the hatching. */
        b->padlock = (SDL_Rect){r.x + r.w - t->pad - lock, r.y + t->pad / 2, lock, lock * 6 / 5};
        SDL_Rect patch = {b->padlock.x - 3, b->padlock.y - 2, b->padlock.w + 6, b->padlock.h + 4};
        ui_fill(ren, patch, t->box);
        ui_padlock(ren, b->padlock, t->padlock, t->box);
        inner -= lock + t->pad;
    }
    if (b->group) {
        int nf = 0;
        for (int k = b->first; k <= b->last; k++)
            nf += a->graph.layers[k].frozen;
        ui_text_fit(a->text, UI_FONT_BOLD, t->font_normal, L->base_name[0] ? L->base_name : "frozen base",
                    inner, fit, sizeof fit);
        ui_text_draw(a->text, UI_FONT_BOLD, t->font_normal, t->text, fit, x, y, 0, 0);
        y += t->font_normal + t->font_normal / 3;
        snprintf(buf, sizeof buf, "%d layers: %s \xe2\x80\xa6 %s", b->last - b->first + 1, L->name,
                 a->graph.layers[b->last].name);
        ui_text_fit(a->text, UI_FONT_SANS, t->font_small, buf, r.w - 2 * t->pad, fit, sizeof fit);
        ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, fit, x, y, 0, 0);
        y += line;
        ui_text_draw(a->text, UI_FONT_MONO, t->font_small, t->text, a->graph.layers[b->last].shape,
                     x, y, 0, 0);
        y += line;
        snprintf(buf, sizeof buf, "%s params", ui_fmt_count(box_params(a, b), num, sizeof num));
        ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text, buf, x, y, 0, 0);
        y += line;
        if (L->random_weights) {   /* its weights file was not found: said where it sits */
            ui_text_fit(a->text, UI_FONT_BOLD, t->font_small, "RANDOM weights (no file)",
                        r.w - 2 * t->pad, fit, sizeof fit);
            ui_text_draw(a->text, UI_FONT_BOLD, t->font_small, t->bad, fit, x, y, 0, 0);
            y += line;
        }
        int used;
        if (nf == b->last - b->first + 1) {
            used = ui_text_draw(a->text, UI_FONT_MONO, t->font_small, t->padlock, "trainable=False",
                                x, y, 0, 0).x;
        } else {
            if (nf)
                snprintf(buf, sizeof buf, "%d of %d frozen", nf, b->last - b->first + 1);
            else
                snprintf(buf, sizeof buf, "trainable");
            used = ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text, buf, x, y, 0, 0).x;
        }
        if (used + t->pad + ui_text_size(a->text, UI_FONT_SANS, t->font_small, "click: open", 0).x <=
            r.w - 2 * t->pad)
            ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, "click: open",
                         r.x + r.w - t->pad, y, UI_ALIGN_RIGHT, 0);
        ui_hit_add(a, r, UI_ACT_TOGGLE_GROUP, b->first);
        return;
    }
    SDL_Point tw = ui_text_size(a->text, UI_FONT_SANS, t->font_small, L->type, 0);
    ui_text_fit(a->text, UI_FONT_BOLD, t->font_normal, L->name, inner - tw.x - t->pad, fit, sizeof fit);
    ui_text_draw(a->text, UI_FONT_BOLD, t->font_normal, t->text, fit, x, y, 0, 0);
    ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, L->type, x + inner,
                 y + (t->font_normal - t->font_small), UI_ALIGN_RIGHT, 0);
    y += t->font_normal + t->font_normal / 3;
    if (L->masks >= 0)
        snprintf(buf, sizeof buf, "rate %.2f", (double)L->rate);
    else
        snprintf(buf, sizeof buf, "%s params", ui_fmt_count(L->params, num, sizeof num));
    SDL_Point pw = ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text, buf,
                                r.x + r.w - t->pad, y, UI_ALIGN_RIGHT, 0);
    ui_text_fit(a->text, UI_FONT_MONO, t->font_small, L->shape, r.w - 2 * t->pad - pw.x - t->pad / 2,
                fit, sizeof fit);
    ui_text_draw(a->text, UI_FONT_MONO, t->font_small, t->text, fit, x, y, 0, 0);
    y += line;
    if (b->frozen) {
        ui_text_draw(a->text, UI_FONT_MONO, t->font_small, t->padlock, "trainable=False", x, y, 0, 0);
        if (L->trainable)   /* flag set back but not recompiled: say so */
            ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, "(until compile)",
                         r.x + r.w - t->pad, y, UI_ALIGN_RIGHT, 0);
    }
    ui_hit_add(a, r, UI_ACT_SELECT_LAYER, b->first);
}

void ui_graph_view_draw(ui_app *a, SDL_Rect r)
{
    const ui_theme *t = &a->theme;
    ui_layout *Lo = &a->layout;
    char num[32], num2[32], num3[32], sum[160];
    SDL_Rect c = ui_panel(a, r, "Layer graph");
    /* Keras summary's totals at the foot. */
    (void)num2;
    snprintf(sum, sizeof sum, "%s params, %s non-trainable",
             ui_fmt_count(a->graph.params_total, num, sizeof num),
             ui_fmt_count(a->graph.params_total - a->graph.params_trainable, num3, sizeof num3));
    {
        char fit[160];
        ui_text_fit(a->text, UI_FONT_SANS, t->font_small, sum, c.w, fit, sizeof fit);
        ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, fit, c.x, c.y + c.h,
                     UI_ALIGN_BOTTOM, 0);
        c.h -= t->font_small + t->pad / 2;
    }
    Lo->dropout_box = Lo->source_box = -1;
    if (a->graph.n == 0 || Lo->n_boxes == 0) {
        ui_text_draw(a->text, UI_FONT_SANS, t->font_normal, t->text_dim, "no model", c.x, c.y, 0, 0);
        return;
    }
    int d = ui_dropout_index(a);
    int margin = d >= 0 ? ui_text_size(a->text, UI_FONT_SANS, t->font_small, "outputs", 0).x +
                              (int)(16 * t->scale)
                        : 0;
    int bw = c.w - margin;
    int gap = (int)(t->pad * 1.3f);

    /* Keep the selected box in view. */
    int sel_box = -1;
    for (int i = 0; i < Lo->n_boxes; i++) {
        Lo->boxes[i].rect = (SDL_Rect){0, 0, 0, 0};
        Lo->boxes[i].padlock = (SDL_Rect){0, 0, 0, 0};
        if (a->selected >= Lo->boxes[i].first && a->selected <= Lo->boxes[i].last)
            sel_box = i;
    }
    int foot = t->font_small + t->pad;
    if (a->graph_scroll > Lo->n_boxes - 1)
        a->graph_scroll = Lo->n_boxes - 1;
    if (a->graph_scroll < 0)
        a->graph_scroll = 0;
    if (sel_box >= 0 && sel_box < a->graph_scroll)
        a->graph_scroll = sel_box;
    if (sel_box >= 0) {
        for (;;) {
            int y = c.y;
            for (int i = a->graph_scroll; i <= sel_box; i++)
                y += box_height(a, &Lo->boxes[i]) + gap;
            if (y - gap <= c.y + c.h - foot || a->graph_scroll >= sel_box)
                break;
            a->graph_scroll++;
        }
    }
    if (a->graph_scroll > 0) {
        char more[64];
        snprintf(more, sizeof more, "\xe2\x96\xb2 %d more above (PgUp)", a->graph_scroll);
        ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, more, c.x + bw / 2, c.y,
                     UI_ALIGN_CENTER, 0);
        ui_hit_add(a, (SDL_Rect){c.x, c.y, bw, foot}, UI_ACT_SCROLL, -5);
        c.y += foot;
        c.h -= foot;
    }
    int y = c.y;
    int last_drawn = -1;
    for (int i = a->graph_scroll; i < Lo->n_boxes; i++) {
        ui_box *b = &Lo->boxes[i];
        int h = box_height(a, b);
        if (y + h > c.y + c.h - (i + 1 < Lo->n_boxes ? foot : 0))
            break;
        if (last_drawn >= 0) {
            SDL_Rect pr = Lo->boxes[last_drawn].rect;
            /* An opened base starts with its header line: the arrow ends at its box. */
            int header = b->opened ? t->font_small + t->font_small / 3 + t->pad / 2 : 0;
            ui_arrow(a->ren, c.x + bw / 2, pr.y + pr.h, c.x + bw / 2, y + header, t->box_edge,
                     t->line, (int)(6 * t->scale));
        }
        draw_box(a, b, (SDL_Rect){c.x, y, bw, h});
        if (b->first == d)
            Lo->dropout_box = i;
        if (d >= 0 && b->first <= a->graph.layers[d].masks && a->graph.layers[d].masks <= b->last)
            Lo->source_box = i;
        last_drawn = i;
        y += h + gap;
    }
    if (last_drawn + 1 < Lo->n_boxes) {
        char more[64];
        snprintf(more, sizeof more, "\xe2\x96\xbc %d more below (PgDn)", Lo->n_boxes - 1 - last_drawn);
        ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, more, c.x + bw / 2,
                     c.y + c.h - foot, UI_ALIGN_CENTER, 0);
        ui_hit_add(a, (SDL_Rect){c.x, c.y + c.h - foot, bw, foot}, UI_ACT_SCROLL, 5);
    }
    /* The Dropout box points at the layer whose outputs it masks. */
    if (Lo->dropout_box >= 0 && Lo->source_box >= 0 && Lo->dropout_box != Lo->source_box) {
        SDL_Rect dr = Lo->boxes[Lo->dropout_box].rect, sr = Lo->boxes[Lo->source_box].rect;
        int x0 = dr.x + dr.w, y0 = dr.y + dr.h / 2;
        int xm = dr.x + dr.w + (int)(8 * t->scale);
        int y1 = sr.y + sr.h / 2;
        SDL_Color col = t->cross;
        int th = 2 * t->line;
        ui_line(a->ren, x0, y0, xm, y0, col, th);
        ui_line(a->ren, xm, y0, xm, y1, col, th);
        ui_arrow(a->ren, xm, y1, sr.x + sr.w + 1, y1, col, th, (int)(9 * t->scale));
        ui_text_draw(a->text, UI_FONT_BOLD, t->font_small, col, "masks", xm + 3, (y0 + y1) / 2,
                     UI_ALIGN_MIDDLE, 0);
        ui_text_draw(a->text, UI_FONT_SANS, t->font_small, col, "outputs", xm + 3,
                     (y0 + y1) / 2 + t->font_small + 2, UI_ALIGN_MIDDLE, 0);
    }
}
