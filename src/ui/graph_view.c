/* Layer graph: a box per layer (name, type, output shape, parameters), frozen layers
 * with a padlock, hatching and "trainable=False"; a long frozen base collapses into one
 * box that opens on click; the Dropout box points at the layer whose outputs it masks,
 * and that layer's box carries the current mask in miniature with its dropped count.
 * Box sizes come from state.c (the layout makes room for every box). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/draw.h"
#include "ui/report.h"
#include "ui/views.h"

static int draw_first_fit(ui_app *a, ui_font_kind f, int size, SDL_Color c, const char *const *cand,
                          int n, int x, int y, int align, int w)
{
    return ui_text_draw_first_fit(a->text, f, size, c, cand, n, x, y, align, w);
}

/* ---- the mask in miniature ---- */

static int trace_dropout(const nn_trace *t, const ui_app *a, int d)
{
    if (!t)
        return -1;
    for (int i = 0; i < t->n_dropout; i++)
        if (t->dropout[i].layer == d || !strcmp(t->dropout[i].name, a->graph.layers[d].name))
            return i;
    return -1;
}

/* Unit colours of the miniature, quantised to a few levels so each level is one fill
 * call: level 0..7 kept (activation), 8 dropped. Whole batch: level by how many
 * examples dropped the unit. */
#define MINI_LEVELS 9
static int mini_level(const nn_trace_dropout *D, int units, int ex, int B, int u, float mx,
                      bool training)
{
    if (ex >= 0) {
        size_t o = (size_t)ex * units + u;
        if (training && D->mask && !D->mask[o])
            return 8;
        float v = mx > 0 && D->act[o] > 0 ? sqrtf(D->act[o] / mx) : 0.0f;
        return (int)(v * 7.0f + 0.5f);
    }
    int cnt = 0;
    for (int k = 0; training && D->mask && k < B; k++)
        cnt += !D->mask[(size_t)k * units + u];
    return cnt == 0 ? 0 : 1 + (cnt * 6 + B - 1) / B;
}

static void draw_mini_cells(ui_app *a, const nn_trace_dropout *D, int ex, int B, bool training)
{
    const ui_theme *t = &a->theme;
    ui_layout *Lo = &a->layout;
    int units = D->units, p = Lo->mini_pitch, cols = Lo->mini_cols;
    SDL_Rect *rects = malloc((size_t)units * sizeof *rects);
    int *lev = malloc((size_t)units * sizeof *lev);
    if (rects && lev) {
        float mx = 0;
        for (int u = 0; ex >= 0 && u < units; u++)
            if (D->act[(size_t)ex * units + u] > mx)
                mx = D->act[(size_t)ex * units + u];
        for (int u = 0; u < units; u++)
            lev[u] = mini_level(D, units, ex, B, u, mx, training);
        for (int l = 0; l < MINI_LEVELS; l++) {
            int n = 0;
            for (int u = 0; u < units; u++)
                if (lev[u] == l)
                    rects[n++] = (SDL_Rect){Lo->mini.x + (u % cols) * p, Lo->mini.y + (u / cols) * p,
                                            p, p};
            SDL_Color c = l == 8 ? t->cross
                        : ex >= 0 ? ui_mix(t->cell_lo, t->cell_hi, (float)l / 7.0f)
                        : l == 0 ? t->cell_lo : ui_mix(t->cell_lo, t->cross, (float)l / 7.0f);
            ui_color(a->ren, c);
            if (n)
                SDL_RenderFillRects(a->ren, rects, n);
        }
    }
    free(rects);
    free(lev);
}

/* The shown Dropout's mask over this box's units: a grid like the mask view's (same
 * example, same order) and beside it the count dropped, or why there is none. */
static void draw_mini(ui_app *a, SDL_Rect area)
{
    const ui_theme *t = &a->theme;
    ui_layout *Lo = &a->layout;
    int units = ui_mask_units(a), p, cols;
    int h = ui_box_mini_height(a, units, &p, &cols);
    int rows = (units + cols - 1) / cols;
    Lo->mini = (SDL_Rect){area.x, area.y + (h - rows * p) / 2, cols * p, rows * p};
    Lo->mini_pitch = p;
    Lo->mini_cols = cols;
    const nn_trace *tr = a->cur;
    int ti = trace_dropout(tr, a, ui_dropout_index(a));
    const nn_trace_dropout *D = ti >= 0 ? &tr->dropout[ti] : NULL;
    /* a Dropout called with training=True masks in inference passes too */
    bool training = D && (tr->training || D->train_mode == NN_TRAIN_ALWAYS) && D->has_mask && D->mask;
    int B = tr ? tr->batch : 0;
    int ex = a->example >= 0 && B > 0 ? (a->example < B ? a->example : B - 1) : -1;
    ui_fill(a->ren, Lo->mini, t->bg);
    if (D && D->units == units && B > 0)
        draw_mini_cells(a, D, ex, B, training);
    else
        ui_fill(a->ren, Lo->mini, ui_mix(t->bg, t->cell_lo, 0.5f));
    char l1[80], l2[80], s1[80], n1[32], n2[32];
    const char *c1[2] = {l1, s1}, *c2[2] = {l2, "dropped"};
    SDL_Color col = t->text;
    if (!D || B == 0) {
        snprintf(l1, sizeof l1, "%s units", ui_fmt_count((size_t)units, n1, sizeof n1));
        snprintf(s1, sizeof s1, "%s", n1);
        snprintf(l2, sizeof l2, "a new mask each step");
        c2[1] = "masked";
        col = t->text_dim;
    } else if (!training) {
        snprintf(l1, sizeof l1, "inference: no mask");
        snprintf(s1, sizeof s1, "inference");
        snprintf(l2, sizeof l2, "all %s kept", ui_fmt_count((size_t)units, n1, sizeof n1));
        c2[1] = "all kept";
        col = t->val;
    } else {
        size_t dropped = 0, of = (size_t)units;
        if (ex >= 0)
            dropped = nn_trace_dropped(tr, ti, ex);
        else {
            dropped = D->dropped;
            of = (size_t)units * B;
        }
        snprintf(l1, sizeof l1, "%s of %s", ui_fmt_count(dropped, n1, sizeof n1),
                 ui_fmt_count(of, n2, sizeof n2));
        snprintf(s1, sizeof s1, "%s/%s", n1, n2);
        snprintf(l2, sizeof l2, ex >= 0 ? "dropped, kept x%.2f" : "dropped in the batch",
                 D->rate < 1 ? 1.0 / (1.0 - D->rate) : 0.0);
    }
    int x = Lo->mini.x + Lo->mini.w + t->pad, w = area.x + area.w - x;
    int line = ui_box_line(t), y = area.y + h / 2 - line;
    draw_first_fit(a, UI_FONT_BOLD, t->font_small, training ? t->cross : col, c1, 2, x, y, 0, w);
    draw_first_fit(a, UI_FONT_SANS, t->font_small, t->text, c2, 2, x, y + line, 0, w);
}

/* ---- boxes ---- */

/* The box's gradient-flow line (when the layout made room for it): "grad", then the
 * size of its gradient this step or why there is none. Returns the y after it. */
static int draw_grad_line(ui_app *a, const ui_box *b, int x, int y, int w)
{
    if (!a->layout.grad_strip || !ui_box_has_weights(a, b))
        return y;
    const ui_theme *t = &a->theme;
    int line = ui_box_line(t);
    int lw = ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, "grad", x,
                          y + line / 2, UI_ALIGN_MIDDLE, 0).x + t->pad / 2;
    char said[64];
    const ui_graph_layer *L = &a->graph.layers[b->first];
    ui_grad_flow_row(a, (SDL_Rect){x + lw, y, w - lw, line - 1}, a->cur, b, said, sizeof said);
    ui_report_grad(a->report, b->group && L->base_name[0] ? L->base_name : L->name, said);
    return y + line;
}

/* The shape and the parameters (or rate): one line, or a line each when split. Returns
 * the y after them. */
static int draw_shape_line(ui_app *a, const ui_box *b, SDL_Rect r, int x, int y)
{
    const ui_theme *t = &a->theme;
    int line = ui_box_line(t), w = r.w - 2 * t->pad;
    char right[64];
    ui_box_right_text(a, b, right, sizeof right);
    bool split = ui_box_split(a, b, r.w);
    const char *shape[1] = {ui_box_shape(a, b)}, *rt[1] = {right};
    draw_first_fit(a, UI_FONT_MONO, t->font_small, t->text, shape, 1, x, y, 0, w);
    if (split)
        y += line;
    draw_first_fit(a, UI_FONT_SANS, t->font_small, t->text, rt, 1, split ? x : r.x + r.w - t->pad, y,
                   split ? 0 : UI_ALIGN_RIGHT, w);
    return y + line;
}

/* The box's training= line (ui_box_training), shortened to "training=..." when narrow. */
static void draw_training(ui_app *a, const ui_box *b, int x, int y, int w)
{
    const char *s = ui_box_training(a, b);
    if (!s)
        return;
    const ui_theme *t = &a->theme;
    const char *eq = strstr(s, "training=");
    char brief[32], mid[48];
    snprintf(brief, sizeof brief, "%.*s", (int)strcspn(eq, ":)"), eq);
    snprintf(mid, sizeof mid, "%s%s", b->group ? "BN inference: " : "", brief);
    const char *alt[3] = {s, mid, brief};
    draw_first_fit(a, UI_FONT_MONO, t->font_small, t->text, alt, 3, x, y, 0, w);
}

/* A collapsed base: its name and layer count, output shape, parameters and whether it
 * trains. */
static void draw_group(ui_app *a, ui_box *b, SDL_Rect r, int x, int y, int inner)
{
    const ui_theme *t = &a->theme;
    const ui_graph_layer *L = &a->graph.layers[b->first];
    int line = ui_box_line(t), w = r.w - 2 * t->pad;
    char buf[200], fit[200], cnt[32];
    int nf = 0;
    for (int k = b->first; k <= b->last; k++)
        nf += a->graph.layers[k].frozen;
    ui_box_count_text(b, cnt, sizeof cnt);
    ui_text_fit(a->text, UI_FONT_BOLD, t->font_normal, L->base_name[0] ? L->base_name : "frozen base",
                inner, fit, sizeof fit);
    ui_text_draw(a->text, UI_FONT_BOLD, t->font_normal, t->text, fit, x, y, 0, 0);
    bool inline_count = ui_box_count_inline(a, b, r.w);
    if (inline_count)
        ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, cnt, x + inner,
                     y + (t->font_normal - t->font_small), UI_ALIGN_RIGHT, 0);
    y += ui_box_head(t);
    if (!inline_count) {
        snprintf(buf, sizeof buf, "%s: %s \xe2\x80\xa6 %s", cnt, L->name, a->graph.layers[b->last].name);
        const char *layers[2] = {buf, cnt};
        draw_first_fit(a, UI_FONT_SANS, t->font_small, t->text_dim, layers, 2, x, y, 0, w);
        y += line;
    }
    y = draw_shape_line(a, b, r, x, y);
    if (L->random_weights) {   /* its weights file was not found: said where it sits */
        const char *rnd[2] = {"RANDOM weights (no file)", "RANDOM weights"};
        draw_first_fit(a, UI_FONT_BOLD, t->font_small, t->bad, rnd, 2, x, y, 0, w);
        y += line;
    }
    draw_training(a, b, x, y, w);
    y += ui_box_training(a, b) ? line : 0;
    int used;
    draw_grad_line(a, b, x, y + line, w);   /* under the trainable line */
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
    if (used + t->pad + ui_text_size(a->text, UI_FONT_SANS, t->font_small, "click: open", 0).x <= w)
        ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, "click: open",
                     r.x + r.w - t->pad, y, UI_ALIGN_RIGHT, 0);
    ui_hit_add(a, r, UI_ACT_TOGGLE_GROUP, b->first);
}

/* One layer: name and type, output shape and parameters (or the Dropout's rate; on a
 * line each when one line cannot hold both), trainable=False, the mask in miniature. */
static void draw_layer(ui_app *a, ui_box *b, SDL_Rect r, int x, int y, int inner)
{
    const ui_theme *t = &a->theme;
    const ui_graph_layer *L = &a->graph.layers[b->first];
    int line = ui_box_line(t), w = r.w - 2 * t->pad;
    int nw = ui_text_size(a->text, UI_FONT_BOLD, t->font_normal, L->name, 0).x;
    int tw = ui_text_size(a->text, UI_FONT_SANS, t->font_small, L->type, 0).x;
    bool type = nw + t->pad + tw <= inner;   /* the name comes first, whole (wrapped) */
    ui_text_draw(a->text, UI_FONT_BOLD, t->font_normal, t->text, L->name, x, y, 0,
                 nw > inner ? inner : 0);
    if (type)
        ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, L->type, x + inner,
                     y + (t->font_normal - t->font_small), UI_ALIGN_RIGHT, 0);
    y += ui_box_name_height(a, b, r.w);
    y = draw_shape_line(a, b, r, x, y);
    if (b->frozen) {
        int used = ui_text_draw(a->text, UI_FONT_MONO, t->font_small, t->padlock, "trainable=False",
                                x, y, 0, 0).x;
        const char *until = "(until compile)";
        if (L->trainable &&   /* flag set back but not recompiled: say so */
            used + t->pad + ui_text_size(a->text, UI_FONT_SANS, t->font_small, until, 0).x <= w)
            ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, until,
                         r.x + r.w - t->pad, y, UI_ALIGN_RIGHT, 0);
        y += line;
    }
    draw_training(a, b, x, y, w);
    y += ui_box_training(a, b) ? line : 0;
    y = draw_grad_line(a, b, x, y, w);
    if (ui_box_is_source(a, b))
        draw_mini(a, (SDL_Rect){x, y + t->pad / 4, w, r.y + r.h - y});
    ui_hit_add(a, r, UI_ACT_SELECT_LAYER, b->first);
}

static void draw_box(ui_app *a, ui_box *b, SDL_Rect r)
{
    const ui_theme *t = &a->theme;
    const ui_graph_layer *L = &a->graph.layers[b->first];
    SDL_Renderer *ren = a->ren;
    int line = ui_box_line(t);
    if (b->opened) {
        SDL_Rect hr = {r.x, r.y, r.w, line + t->pad / 2};
        const char *bn = L->base_name[0] ? L->base_name : "base";
        char buf[160], brief[160];
        snprintf(buf, sizeof buf, "\xe2\x96\xbe %s, %d layers%s - click or E to close", bn, b->opened,
                 L->random_weights ? ", RANDOM weights" : "");
        snprintf(brief, sizeof brief, "\xe2\x96\xbe %s: E closes", bn);
        const char *hd[2] = {buf, brief};
        draw_first_fit(a, UI_FONT_SANS, t->font_small, t->padlock, hd, 2, r.x, hr.y, 0, r.w);
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

    int x = r.x + t->pad, y = r.y + t->pad / 2, inner = ui_box_inner(a, b, r.w);
    int lock = (int)(t->font_normal * 1.1f);
    b->padlock = (SDL_Rect){0, 0, 0, 0};
    if (b->frozen) {
        /* The padlock sits on a plain patch so it reads on top of the hatching. */
        b->padlock = (SDL_Rect){r.x + r.w - t->pad - lock, r.y + t->pad / 2, lock, lock * 6 / 5};
        SDL_Rect patch = {b->padlock.x - 3, b->padlock.y - 2, b->padlock.w + 6, b->padlock.h + 4};
        ui_fill(ren, patch, t->box);
        ui_padlock(ren, b->padlock, t->padlock, t->box);
    }
    if (b->group)
        draw_group(a, b, r, x, y, inner);
    else
        draw_layer(a, b, r, x, y, inner);
}

/* Scrolls so the selected box shows; returns the first box to draw. */
static int scroll_to_selection(ui_app *a, SDL_Rect c, int bw, int gap, int foot)
{
    ui_layout *Lo = &a->layout;
    int sel_box = -1;
    for (int i = 0; i < Lo->n_boxes; i++) {
        Lo->boxes[i].rect = (SDL_Rect){0, 0, 0, 0};
        Lo->boxes[i].padlock = (SDL_Rect){0, 0, 0, 0};
        if (a->selected >= Lo->boxes[i].first && a->selected <= Lo->boxes[i].last)
            sel_box = i;
    }
    if (a->graph_scroll > Lo->n_boxes - 1)
        a->graph_scroll = Lo->n_boxes - 1;
    if (a->graph_scroll < 0)
        a->graph_scroll = 0;
    if (sel_box >= 0 && sel_box < a->graph_scroll)
        a->graph_scroll = sel_box;
    while (sel_box >= 0 && a->graph_scroll < sel_box) {
        int y = c.y;
        for (int i = a->graph_scroll; i <= sel_box; i++)
            y += ui_box_height(a, &Lo->boxes[i], bw) + gap;
        if (y - gap <= c.y + c.h - foot)
            break;
        a->graph_scroll++;
    }
    return a->graph_scroll;
}

/* When not every box fits and the student has not scrolled or selected: the first box
 * from which the rest fit below a "more above" line, so the head (the layers after the
 * base, the ones a lesson is about) shows whole. */
static int first_for_head(ui_app *a, SDL_Rect c, int bw, int gap, int foot)
{
    ui_layout *Lo = &a->layout;
    int need = 0, sel_box = -1;
    for (int i = 0; i < Lo->n_boxes; i++) {
        need += ui_box_height(a, &Lo->boxes[i], bw) + gap;
        if (a->selected >= Lo->boxes[i].first && a->selected <= Lo->boxes[i].last)
            sel_box = i;
    }
    if (a->selected != a->graph_sel_seen)   /* a new selection: the view is ours again */
        a->graph_user_scroll = false;
    if (need - gap <= c.h || a->graph_user_scroll)
        return a->graph_scroll;
    if (a->selected >= 0 && sel_box < 0)
        return a->graph_scroll;
    int first = Lo->n_boxes - 1, sum = ui_box_height(a, &Lo->boxes[first], bw);
    while (first > 0) {
        int h = ui_box_height(a, &Lo->boxes[first - 1], bw) + gap;
        if (sum + h > c.h - foot)
            break;
        sum += h;
        first--;
    }
    /* a selected box (a lesson's "select bn") stays in view, as high as it must */
    if (sel_box >= 0 && sel_box < first)
        first = sel_box;
    return first;
}

/* The Dropout box points at the layer whose outputs it masks. */
static void draw_bracket(ui_app *a)
{
    const ui_theme *t = &a->theme;
    ui_layout *Lo = &a->layout;
    if (Lo->dropout_box < 0 || Lo->source_box < 0 || Lo->dropout_box == Lo->source_box)
        return;
    SDL_Rect dr = Lo->boxes[Lo->dropout_box].rect, sr = Lo->boxes[Lo->source_box].rect;
    int x0 = dr.x + dr.w, y0 = dr.y + dr.h / 2;
    int xm = dr.x + dr.w + (int)(8 * t->scale);
    int y1 = sr.y + sr.h / 2;
    SDL_Color col = t->cross;
    int th = 2 * t->line;
    ui_line(a->ren, x0, y0, xm, y0, col, th);
    ui_line(a->ren, xm, y0, xm, y1, col, th);
    ui_arrow(a->ren, xm, y1, sr.x + sr.w + 1, y1, col, th, (int)(9 * t->scale));
    int lh = ui_box_line(t);
    ui_text_draw(a->text, UI_FONT_BOLD, t->font_small, col, "masks", xm + 3, (y0 + y1) / 2 - lh / 2,
                 UI_ALIGN_MIDDLE, 0);
    ui_text_draw(a->text, UI_FONT_SANS, t->font_small, col, "outputs", xm + 3,
                 (y0 + y1) / 2 + lh / 2, UI_ALIGN_MIDDLE, 0);
}

/* Keras summary's totals at the foot of c when the boxes (bw wide) leave room for
 * them; c loses that line. */
static void draw_totals(ui_app *a, SDL_Rect *c, int bw)
{
    const ui_theme *t = &a->theme;
    int foot = t->font_small * 6 / 5 + t->pad / 2, need = 0;
    for (int i = 0; i < a->layout.n_boxes; i++)
        need += ui_box_height(a, &a->layout.boxes[i], bw) + (int)(t->pad * 1.3f);
    if (need > c->h - foot && need <= c->h)
        return;
    char n1[32], n2[32], full[160], mid[160], brief[64];
    ui_fmt_count(a->graph.params_total, n1, sizeof n1);
    ui_fmt_count(a->graph.params_total - a->graph.params_trainable, n2, sizeof n2);
    snprintf(full, sizeof full, "%s params, %s non-trainable", n1, n2);
    snprintf(mid, sizeof mid, "%s params, %s frozen", n1, n2);
    snprintf(brief, sizeof brief, "%s params", n1);
    const char *cand[3] = {full, mid, brief};
    draw_first_fit(a, UI_FONT_SANS, t->font_small, t->text_dim, cand, 3, c->x, c->y + c->h,
                   UI_ALIGN_BOTTOM, c->w);
    c->h -= foot;
}

void ui_graph_view_draw(ui_app *a, SDL_Rect r)
{
    const ui_theme *t = &a->theme;
    ui_layout *Lo = &a->layout;
    SDL_Rect c = ui_panel(a, r, "Layer graph");
    int bw = c.w - ui_graph_margin(a);
    draw_totals(a, &c, bw);
    Lo->dropout_box = Lo->source_box = -1;
    Lo->mini = (SDL_Rect){0, 0, 0, 0};
    if (a->graph.n == 0 || Lo->n_boxes == 0) {
        ui_text_draw(a->text, UI_FONT_SANS, t->font_normal, t->text_dim, "no model", c.x, c.y, 0, 0);
        return;
    }
    int d = ui_dropout_index(a);
    int gap = (int)(t->pad * 1.3f);
    int foot = ui_box_line(t) + t->pad / 2;
    int first = scroll_to_selection(a, c, bw, gap, foot);
    first = first_for_head(a, c, bw, gap, foot);
    if (first > 0) {
        char more[64];
        snprintf(more, sizeof more, "\xe2\x96\xb2 %d more above (PgUp)", first);
        ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, more, c.x + bw / 2, c.y,
                     UI_ALIGN_CENTER, 0);
        ui_hit_add(a, (SDL_Rect){c.x, c.y, bw, foot}, UI_ACT_SCROLL, -5);
        c.y += foot;
        c.h -= foot;
    }
    int y = c.y;
    int last_drawn = -1;
    for (int i = first; i < Lo->n_boxes; i++) {
        ui_box *b = &Lo->boxes[i];
        int h = ui_box_height(a, b, bw);
        if (y + h > c.y + c.h - (i + 1 < Lo->n_boxes ? foot : 0))
            break;
        if (last_drawn >= 0) {
            SDL_Rect pr = Lo->boxes[last_drawn].rect;
            /* An opened base starts with its header line: the arrow ends at its box. */
            int header = b->opened ? ui_box_line(t) + t->pad / 2 : 0;
            ui_arrow(a->ren, c.x + bw / 2, pr.y + pr.h, c.x + bw / 2, y + header, t->box_edge,
                     t->line, (int)(6 * t->scale));
        }
        draw_box(a, b, (SDL_Rect){c.x, y, bw, h});
        ui_report_box(a->report, a->graph.layers[b->first].name);
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
    draw_bracket(a);
}
