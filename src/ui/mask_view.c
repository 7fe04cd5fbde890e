/* Mask view: the masked layer's units on a near-square grid (32x32 for 1024).
 * Brightness = activation (the Dropout's input); a dropped unit is dark with a cross.
 * One example, or the whole batch (brightness = how many examples dropped the unit).
 * Below: a caption with the count, and a strip of the dropped fraction over recent steps. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/draw.h"
#include "ui/views.h"

/* Steps the dropped-fraction strip shows. */
#define UI_STRIP_STEPS 120

static void grid_dims(int n, int *cols, int *rows)
{
    int c = (int)ceil(sqrt((double)n));
    if (c < 1)
        c = 1;
    *cols = c;
    *rows = (n + c - 1) / c;
}

/* Index of the trace's entry for graph layer d (by layer index, then by name). */
static int trace_dropout(const nn_trace *t, const ui_app *a, int d)
{
    if (!t || t->n_dropout == 0)
        return -1;
    for (int i = 0; i < t->n_dropout; i++)
        if (t->dropout[i].layer == d)
            return i;
    if (d >= 0 && d < a->graph.n)
        for (int i = 0; i < t->n_dropout; i++)
            if (!strcmp(t->dropout[i].name, a->graph.layers[d].name))
                return i;
    return 0;
}

static Uint32 argb(SDL_Color c)
{
    return 0xFF000000u | (Uint32)c.r << 16 | (Uint32)c.g << 8 | c.b;
}

/* The view's cache: the grid painted into pixels and copied as one texture. */
struct ui_mask_cache {
    SDL_Texture *tex;
    Uint32 *px;
    int w, h;                 /* of tex and px */
    int pitch, cols;          /* geometry the gaps were painted for (pitch 0: repaint) */
    Uint32 bg;
};

void ui_mask_view_forget(ui_app *a)
{
    if (!a->mask_cache)
        return;
    if (a->mask_cache->tex)
        SDL_DestroyTexture(a->mask_cache->tex);
    free(a->mask_cache->px);
    free(a->mask_cache);
    a->mask_cache = NULL;
}

/* Paints the grid (cell colours, crosses on dropped cells) into the cache's pixel buffer
 * and copies it to the renderer at grid. */
static void paint_grid(ui_app *a, SDL_Rect grid, int cols, int pitch, int cell, int units,
                       const Uint32 *col, const uint8_t *crossed, Uint32 cross, int th)
{
    int w = grid.w, h = grid.h;
    if (w <= 0 || h <= 0)
        return;
    if (!a->mask_cache && !(a->mask_cache = calloc(1, sizeof *a->mask_cache)))
        return;
    struct ui_mask_cache *g = a->mask_cache;
    if (!g->tex || g->w != w || g->h != h) {
        if (g->tex)
            SDL_DestroyTexture(g->tex);
        free(g->px);
        g->px = malloc((size_t)w * h * sizeof *g->px);
        g->tex = SDL_CreateTexture(a->ren, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_STREAMING,
                                   w, h);
        g->w = w;
        g->h = h;
        g->pitch = 0;   /* repaint the gaps */
        if (!g->px || !g->tex)
            return;
    }
    if (!g->px || !g->tex)
        return;
    Uint32 *px = g->px;
    Uint32 bg = argb(a->theme.panel);
    if (g->bg != bg || g->pitch != pitch || g->cols != cols) {
        /* The gaps between cells only change with the geometry or the theme. */
        for (size_t i = 0; i < (size_t)w * h; i++)
            px[i] = bg;
        g->bg = bg;
        g->pitch = pitch;
        g->cols = cols;
    }
    int in = cell >= 8 ? cell / 6 : 0;
    for (int i = 0; i < units; i++) {
        int x0 = (i % cols) * pitch, y0 = (i / cols) * pitch;
        for (int y = 0; y < cell; y++) {
            Uint32 *row = px + (size_t)(y0 + y) * w + x0;
            for (int x = 0; x < cell; x++)
                row[x] = col[i];
        }
        if (!crossed[i] || cell < 3)
            continue;
        /* Two diagonals, th pixels thick; the centre pixel always carries the cross
         * colour (what tests sample). */
        for (int k = in; k <= cell - 1 - in; k++)
            for (int d = 0; d < th; d++) {
                int xa = k + d, xb = cell - 1 - k - d;
                if (xa < cell)
                    px[(size_t)(y0 + k) * w + x0 + xa] = cross;
                if (xb >= 0)
                    px[(size_t)(y0 + k) * w + x0 + xb] = cross;
            }
        int c0 = cell / 2 - (th > 1), cn = th > 1 ? 2 : 1;
        for (int y = 0; y < cn; y++)
            for (int x = 0; x < cn; x++)
                px[(size_t)(y0 + c0 + y) * w + x0 + c0 + x] = cross;
    }
    SDL_UpdateTexture(g->tex, NULL, px, w * (int)sizeof *px);
    SDL_RenderCopy(a->ren, g->tex, NULL, &grid);
}

/* The dropped fraction of Dropout ti (the trace's order) over recent steps. */
static void draw_strip(ui_app *a, SDL_Rect r, int ti, const char *name, float rate, long shown_step)
{
    const ui_theme *t = &a->theme;
    char buf[128];
    int n = (int)a->n_metrics < UI_STRIP_STEPS ? (int)a->n_metrics : UI_STRIP_STEPS;
    if (name)
        snprintf(buf, sizeof buf, "dropped fraction of %s, last %d steps", name, UI_STRIP_STEPS);
    else
        snprintf(buf, sizeof buf, "dropped fraction, last %d steps", UI_STRIP_STEPS);
    if (ui_text_size(a->text, UI_FONT_SANS, t->font_small, buf, 0).x > r.w)   /* narrow: shorter */
        snprintf(buf, sizeof buf, "dropped fraction");
    int lh = ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, buf, r.x, r.y, 0, 0).y;
    SDL_Rect s = {r.x, r.y + lh + 2, r.w, r.h - lh - 2};
    if (s.h < 6)
        return;
    ui_fill(a->ren, s, t->bg);
    float top = rate * 2 > 0.5f ? (rate * 2 > 1 ? 1 : rate * 2) : 0.5f;
    float bw = (float)s.w / UI_STRIP_STEPS;
    size_t first = a->n_metrics - (size_t)n;
    for (int i = 0; i < n; i++) {
        const ui_metric *m = &a->metrics[first + (size_t)i];
        int x0 = s.x + (int)((UI_STRIP_STEPS - n + i) * bw);
        int x1 = s.x + (int)((UI_STRIP_STEPS - n + i + 1) * bw) - (bw >= 3 ? 1 : 0);
        if (x1 <= x0)
            x1 = x0 + 1;
        bool here = m->step == shown_step;
        float dropped = ti >= 0 && ti < UI_METRIC_DROPOUTS ? m->dropped[ti] : NAN;
        if (isnan(dropped)) {   /* inference step: no mask */
            SDL_Rect q = {x0, s.y + s.h - 2, x1 - x0, 2};
            ui_fill(a->ren, q, t->text_dim);
            continue;
        }
        int h = (int)(dropped / top * (float)s.h + 0.5f);
        if (h > s.h)
            h = s.h;
        SDL_Rect q = {x0, s.y + s.h - h, x1 - x0, h};
        ui_fill(a->ren, q, here ? t->box_selected : t->train);
    }
    /* The rate as a dashed reference line. */
    int yr = s.y + s.h - (int)(rate / top * (float)s.h + 0.5f);
    for (int x = s.x; x < s.x + s.w; x += 8)
        ui_line(a->ren, x, yr, x + 4 < s.x + s.w ? x + 4 : s.x + s.w - 1, yr, t->val, t->line);
    snprintf(buf, sizeof buf, "rate %.2f", (double)rate);
    ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->val, buf, s.x + s.w - 2, yr - 1,
                 UI_ALIGN_RIGHT | UI_ALIGN_BOTTOM, 0);
}

/* What the mask view shows this frame, worked out once for its parts. */
typedef struct {
    int d;                          /* graph layer of the Dropout shown */
    const ui_graph_layer *G;
    const char *src;                /* name of the layer whose outputs it masks */
    const nn_trace *tr;             /* NULL before the first step */
    int ti;                         /* index of its entry in tr->dropout, -1 */
    const nn_trace_dropout *D;      /* that entry, NULL */
    int units;
    int n_drop, pos;                /* Dropout layers in the model; this one's position */
    int B, ex;                      /* batch size (0 none); example shown (-1 all) */
    bool training;                  /* the step drew a mask */
} mask_frame;

/* The example picker (whole batch / previous / which / next) and, with several Dropout
 * layers, a row of tabs for them. Returns the height used. */
static int draw_controls(ui_app *a, SDL_Rect c, const mask_frame *m)
{
    const ui_theme *t = &a->theme;
    const nn_trace *tr = m->tr;
    char buf[256];
    /* In a narrow panel the key hints, then the words, give way before the buttons
     * leave the panel. */
    int bh = t->font_normal + t->pad;
    const char *whole = "Whole batch", *ka = "A", *kp = ",", *kx = ".";
    for (int form = 0; form < 3; form++) {
        bool brief = form == 2;
        if (tr && a->example >= 0)
            snprintf(buf, sizeof buf, brief ? "%d (0-%d)" : "example %d (0-%d)", a->example, tr->batch - 1);
        else if (tr)
            snprintf(buf, sizeof buf, brief ? "all %d" : "all %d examples", tr->batch);
        else if (a->example >= 0)
            snprintf(buf, sizeof buf, "example %d", a->example);
        else
            snprintf(buf, sizeof buf, "whole batch");
        if (brief)
            whole = "All";
        int need = ui_button_width(a, whole, ka) + ui_button_width(a, "\xe2\x97\x80", kp) +
                   ui_button_width(a, "\xe2\x96\xb6", kx) + 3 * (t->pad / 2) +
                   ui_text_size(a->text, UI_FONT_SANS, t->font_normal, buf, 0).x;
        if (need <= c.w)
            break;
        ka = kp = kx = "";
    }
    int x = c.x;
    x += ui_button(a, x, c.y, bh, whole, ka, UI_ACT_WHOLE_BATCH, 0, a->example < 0) + t->pad / 2;
    x += ui_button(a, x, c.y, bh, "\xe2\x97\x80", kp, UI_ACT_EXAMPLE_PREV, 0, false) + t->pad / 2;
    SDL_Point es = ui_text_draw(a->text, UI_FONT_SANS, t->font_normal, t->text, buf, x, c.y + bh / 2,
                                UI_ALIGN_MIDDLE, 0);
    x += es.x + t->pad / 2;
    ui_button(a, x, c.y, bh, "\xe2\x96\xb6", kx, UI_ACT_EXAMPLE_NEXT, 0, false);
    int rows_h = bh + t->pad;
    if (m->n_drop > 1) {
        /* A second row: one tab per Dropout layer (click one, or D for the next), so a
         * model with several shows which one this is and how to see the others. */
        int y2 = c.y + bh + t->pad / 2, tx = c.x;
        const char *lead = "Dropout layer:";   /* left out when the row is narrow */
        if (ui_text_size(a->text, UI_FONT_SANS, t->font_small, lead, 0).x +
                ui_button_width(a, "9 of 9 \xe2\x96\xb8", "") + t->pad > c.w)
            lead = "";
        tx += ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, lead, tx,
                           y2 + bh / 2, UI_ALIGN_MIDDLE, 0).x + t->pad / 2;
        int need = 0;
        for (int i = 0; i < a->graph.n; i++)
            if (a->graph.layers[i].masks >= 0)
                need += ui_button_width(a, a->graph.layers[i].name, "") + t->pad / 2;
        int kw = ui_button_width(a, "next", "D");
        if (tx + need + kw <= c.x + c.w) {
            for (int i = 0; i < a->graph.n; i++)
                if (a->graph.layers[i].masks >= 0)
                    tx += ui_button(a, tx, y2, bh, a->graph.layers[i].name, "", UI_ACT_SHOW_DROPOUT,
                                    i, i == m->d) + t->pad / 2;
            ui_button(a, c.x + c.w - kw, y2, bh, "next", "D", UI_ACT_NEXT_DROPOUT, 0, false);
        } else {   /* too many to list: where we are, and the way on */
            char lab[NN_NAME_MAX + 40];
            snprintf(lab, sizeof lab, "%s (%d of %d) \xe2\x96\xb8", m->G->name, m->pos + 1, m->n_drop);
            const char *kd = "D";   /* narrow: the key hint, then the name give way */
            if (tx + ui_button_width(a, lab, kd) > c.x + c.w)
                kd = "";
            if (tx + ui_button_width(a, lab, kd) > c.x + c.w)
                snprintf(lab, sizeof lab, "%d of %d \xe2\x96\xb8", m->pos + 1, m->n_drop);
            ui_button(a, tx, y2, bh, lab, kd, UI_ACT_NEXT_DROPOUT, 0, true);
        }
        rows_h += bh + t->pad / 2;
    }
    return rows_h;
}

/* A near-square grid of m->units cells centred in area; recorded in a->layout. */
static void place_grid(ui_app *a, SDL_Rect area, int units)
{
    ui_layout *L = &a->layout;
    int cols, rows;
    grid_dims(units > 0 ? units : 1024, &cols, &rows);
    int pitch = area.w / cols < area.h / rows ? area.w / cols : area.h / rows;
    if (pitch < 1)
        pitch = 1;
    int gap = pitch >= 12 ? 2 : pitch >= 5 ? 1 : 0;
    L->grid = (SDL_Rect){area.x + (area.w - cols * pitch) / 2, area.y + (area.h - rows * pitch) / 2,
                         cols * pitch, rows * pitch};
    L->cols = cols;
    L->rows = rows;
    L->pitch = pitch;
    L->cell = pitch - gap;
    L->units = units;
}

/* Before the first step: grey cells and how to start. */
static void draw_no_step(ui_app *a)
{
    const ui_theme *t = &a->theme;
    const ui_layout *L = &a->layout;
    SDL_Rect grid = L->grid;
    for (int i = 0; i < L->units; i++) {
        SDL_Rect q = {grid.x + (i % L->cols) * L->pitch, grid.y + (i / L->cols) * L->pitch, L->cell,
                      L->cell};
        ui_fill(a->ren, q, ui_mix(t->bg, t->cell_lo, 0.5f));
    }
    ui_text_draw(a->text, UI_FONT_BOLD, t->font_large, t->text, "No step yet",
                 grid.x + grid.w / 2, grid.y + grid.h / 2 - t->font_large, UI_ALIGN_CENTER, 0);
    const char *how = "Space: train   S: one step";   /* wrapped when the grid is narrow */
    int hw = ui_text_size(a->text, UI_FONT_SANS, t->font_normal, how, 0).x > grid.w ? grid.w : 0;
    ui_text_draw(a->text, UI_FONT_SANS, t->font_normal, t->text, how, grid.x + grid.w / 2,
                 grid.y + grid.h / 2 + t->pad, UI_ALIGN_CENTER, hw);
}

/* One example: brightness = activation; dropped units dark and crossed. */
static void colour_example(const ui_app *a, const mask_frame *m, Uint32 *col, uint8_t *crossed)
{
    const ui_theme *t = &a->theme;
    int units = m->units;
    const float *act = m->D->act + (size_t)m->ex * units;
    const uint8_t *mask = m->D->mask ? m->D->mask + (size_t)m->ex * units : NULL;
    float mx = 0;
    for (int i = 0; i < units; i++)
        if (act[i] > mx)
            mx = act[i];
    for (int i = 0; i < units; i++) {
        if (m->training && mask && !mask[i]) {
            col[i] = argb(t->cell_dropped);
            crossed[i] = 1;
            continue;
        }
        float v = mx > 0 && act[i] > 0 ? sqrtf(act[i] / mx) : 0.0f;
        col[i] = argb(ui_mix(t->cell_lo, t->cell_hi, v));
    }
}

/* Whole batch: how many of the B examples dropped each unit; in inference, the mean
 * activation. sum is scratch of m->units floats. */
static void colour_batch(const ui_app *a, const mask_frame *m, Uint32 *col, float *sum)
{
    const ui_theme *t = &a->theme;
    int units = m->units, B = m->B;
    const nn_trace_dropout *D = m->D;
    float mx = 0;
    for (int i = 0; i < units; i++)
        sum[i] = 0;
    for (int k = 0; k < B; k++)
        for (int i = 0; i < units; i++) {
            size_t o = (size_t)k * units + i;
            sum[i] += m->training ? (D->mask[o] ? 0.0f : 1.0f) : D->act[o];
        }
    for (int i = 0; i < units; i++)
        if (sum[i] > mx)
            mx = sum[i];
    SDL_Color hot = ui_rgb(UI_OI_YELLOW);
    for (int i = 0; i < units; i++) {
        float v = sum[i];
        if (m->training) {
            float f = v / (float)B;
            col[i] = argb(f <= 0 ? t->cell_lo : ui_mix(ui_rgb(UI_OI_VERMILLION), hot, f * 2.5f));
        } else {
            col[i] = argb(ui_mix(t->cell_lo, t->cell_hi, mx > 0 ? sqrtf(v / mx) : 0));
        }
    }
}

/* The cells of a step: one example, or the whole batch. */
static void draw_cells(ui_app *a, const mask_frame *m)
{
    ui_layout *L = &a->layout;
    int units = m->units;
    /* Cells are painted into a pixel buffer and copied in one go: a thousand small
     * fills and crosses through the renderer cost several milliseconds a frame. */
    Uint32 *col = malloc((size_t)units * sizeof *col);
    float *sum = malloc((size_t)units * sizeof *sum);
    uint8_t *crossed = calloc((size_t)units, 1);
    if (col && sum && crossed) {
        if (m->ex >= 0) {
            colour_example(a, m, col, crossed);
            L->mask_drawn = m->training;
        } else {
            L->batch_counts = m->training;
            colour_batch(a, m, col, sum);
        }
        int th = L->cell >= 14 ? 2 : 1;
        paint_grid(a, L->grid, L->cols, L->pitch, L->cell, units, col, crossed, argb(a->theme.cross),
                   th);
    }
    free(col);
    free(sum);
    free(crossed);
}

/* The caption's second line for the unit under the pointer, in numbers; false when the
 * pointer is not over a unit. */
static bool describe_hovered(const ui_app *a, const mask_frame *m, char *out, size_t n)
{
    const ui_layout *L = &a->layout;
    const nn_trace_dropout *D = m->D;
    int units = m->units, B = m->B, ex = m->ex;
    if (!D || B == 0 || !SDL_PointInRect(&a->mouse, &L->grid))
        return false;
    int cx = (a->mouse.x - L->grid.x) / L->pitch, cy = (a->mouse.y - L->grid.y) / L->pitch;
    int u = cy * L->cols + cx;
    if (cx >= L->cols || u >= units)
        return false;
    if (ex >= 0) {
        float v = D->act[(size_t)ex * units + u];
        bool drop = m->training && D->mask && !D->mask[(size_t)ex * units + u];
        double scale = m->training && D->rate < 1 ? 1.0 / (1.0 - D->rate) : 1.0;
        if (drop)
            snprintf(out, n, "unit %d: activation %.3f, dropped: output 0", u, (double)v);
        else
            snprintf(out, n, "unit %d: activation %.3f, output %.3f", u, (double)v, v * scale);
    } else {
        int cnt = 0;
        for (int k = 0; k < B; k++)
            cnt += m->training && D->mask && !D->mask[(size_t)k * units + u];
        snprintf(out, n, "unit %d: dropped in %d of %d examples", u, cnt, B);
    }
    return true;
}

/* Height of the dropped-fraction strip at the foot of the view. */
static int caption_strip_h(const ui_theme *t)
{
    return (int)(56 * t->scale);
}

/* Two lines under the grid: what it shows in numbers, then what that means (or the
 * unit under the pointer). */
static void draw_caption(ui_app *a, SDL_Rect c, SDL_Rect area, const mask_frame *m)
{
    const ui_theme *t = &a->theme;
    SDL_Rect grid = a->layout.grid;
    const nn_trace_dropout *D = m->D;
    int units = m->units, B = m->B;
    char buf[256], num[32], num2[32];
    int cy = grid.y + grid.h + t->pad / 2;
    if (area.y + area.h > grid.y + grid.h)
        cy = area.y + area.h + t->pad / 2;
    SDL_Color capc = t->text;
    const char *sub = NULL;
    if (!D || B == 0) {
        snprintf(buf, sizeof buf, "%s: %s units, rate %.2f", m->src,
                 ui_fmt_count((size_t)units, num, sizeof num), (double)m->G->rate);
        sub = "Each training step draws a fresh random mask over these units.";
    } else if (!m->training) {
        snprintf(buf, sizeof buf, "Inference mode: no mask, all %s units pass",
                 ui_fmt_count((size_t)units, num, sizeof num));
        capc = t->val;
        sub = "Dropout is the identity in evaluate and predict. I: back to training.";
    } else if (m->ex >= 0) {
        size_t dropped = 0;
        for (int i = 0; i < units; i++)
            dropped += D->mask[(size_t)m->ex * units + i] == 0;
        double rate = D->rate;
        snprintf(buf, sizeof buf, "%s: %zu of %s dropped (%.1f%%) - kept units x%.2f", m->src, dropped,
                 ui_fmt_count((size_t)units, num, sizeof num),
                 100.0 * (double)dropped / units, rate < 1 ? 1.0 / (1.0 - rate) : 0.0);
        sub = "Bright = strong activation. Crossed = dropped: output 0, no gradient.";
    } else {
        snprintf(buf, sizeof buf, "%s, whole batch: %s of %s dropped (%.1f%%)", m->src,
                 ui_fmt_count(D->dropped, num, sizeof num),
                 ui_fmt_count((size_t)B * units, num2, sizeof num2),
                 100.0 * (double)D->dropped / ((double)B * units));
        sub = "Colour: in how many examples the unit was dropped (dark: in none).";
    }
    char hover[200];
    if (describe_hovered(a, m, hover, sizeof hover))
        sub = hover;
    /* Whole, never cut: the count line shrinks to the small size, then wraps; the
     * explanation wraps into the room reserved for the caption or is left out. */
    int fs = t->font_large;
    while (fs > t->font_small && ui_text_size(a->text, UI_FONT_BOLD, fs, buf, 0).x > c.w)
        fs--;
    int wrap = ui_text_size(a->text, UI_FONT_BOLD, fs, buf, 0).x > c.w ? c.w : 0;
    int h1 = ui_text_draw(a->text, UI_FONT_BOLD, fs, capc, buf, c.x + c.w / 2, cy, UI_ALIGN_CENTER,
                          wrap).y;
    int room = c.y + c.h - caption_strip_h(t) - (cy + h1);
    int sw = ui_text_size(a->text, UI_FONT_SANS, t->font_small, sub, 0).x > c.w ? c.w : 0;
    if (ui_text_size(a->text, UI_FONT_SANS, t->font_small, sub, sw).y <= room)
        ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, sub, c.x + c.w / 2, cy + h1,
                     UI_ALIGN_CENTER, sw);
}

void ui_mask_view_draw(ui_app *a, SDL_Rect r)
{
    const ui_theme *t = &a->theme;
    ui_layout *L = &a->layout;
    const nn_trace *tr = a->cur;
    char buf[256];
    int d = ui_dropout_index(a);
    L->mask_drawn = false;
    L->batch_counts = false;
    L->units = 0;
    L->grid = (SDL_Rect){0, 0, 0, 0};
    L->example = a->example;
    L->step = tr ? tr->step : 0;
    if (d < 0) {
        SDL_Rect c = ui_panel(a, r, "Dropout mask");
        ui_text_draw(a->text, UI_FONT_SANS, t->font_normal, t->text_dim,
                     "This model has no Dropout layer.", c.x, c.y, 0, 0);
        return;
    }
    mask_frame m = {.d = d, .G = &a->graph.layers[d], .tr = tr};
    m.src = m.G->masks >= 0 && m.G->masks < a->graph.n ? a->graph.layers[m.G->masks].name : "?";
    m.ti = trace_dropout(tr, a, d);
    m.D = m.ti >= 0 ? &tr->dropout[m.ti] : NULL;
    m.units = m.D ? m.D->units : 0;
    if (!m.units)   /* before the first step */
        m.units = (int)nn_shape_size(m.G->out_shape);   /* the session's description */
    snprintf(buf, sizeof buf, "Dropout mask of %s over the outputs of %s", m.G->name, m.src);
    SDL_Rect c = ui_panel(a, r, buf);
    m.n_drop = ui_dropout_count(a, d, &m.pos);
    if (m.n_drop > 1)   /* the caption, clicked, shows the next Dropout layer (as D does) */
        ui_hit_add(a, (SDL_Rect){r.x, r.y, r.w, c.y - r.y}, UI_ACT_NEXT_DROPOUT, 0);
    int rows_h = draw_controls(a, c, &m);

    /* the caption: the count (wrapped on two lines when narrow) and a line of meaning */
    int cap_h = t->font_large * 6 / 5 + 2 * (t->font_small * 6 / 5) + t->pad * 2;
    int strip_h = caption_strip_h(t);
    SDL_Rect area = {c.x, c.y + rows_h, c.w, c.h - rows_h - cap_h - strip_h - t->pad};
    place_grid(a, area, m.units);
    m.training = tr && tr->training && m.D && m.D->has_mask;
    m.ex = a->example;
    if (tr && m.ex >= tr->batch)
        m.ex = tr->batch - 1;
    m.B = tr ? tr->batch : 0;
    if (!m.D || m.B == 0)
        draw_no_step(a);
    else
        draw_cells(a, &m);
    draw_caption(a, c, area, &m);
    draw_strip(a, (SDL_Rect){c.x, c.y + c.h - strip_h, c.w, strip_h}, m.ti,
               m.n_drop > 1 ? m.G->name : NULL, m.D ? m.D->rate : m.G->rate, tr ? tr->step : -1);
}
