/* Mask view: the masked layer's units on a near-square grid (32x32 for 1024), or its
 * feature maps as tiles (tile_view.c). Brightness = activation (the Dropout's input); a
 * dropped unit is dark with a cross; GaussianDropout's noise and AlphaDropout's alpha'
 * units on colour scales. One example, or the whole batch (colour = how many examples
 * dropped the unit). Below: a legend, a caption with the count, and a strip of the
 * dropped fraction over recent steps. M switches to the gradients beside the mask
 * (grad_view.c) or the keep frequency (keep_view.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/draw.h"
#include "ui/report.h"
#include "ui/mask_internal.h"
#include "ui/views.h"

#define argb ui_argb

/* Steps the dropped-fraction strip shows. */
#define UI_STRIP_STEPS 120

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

void ui_mask_view_forget(ui_app *a)
{
    if (!a->mask_cache)
        return;
    ui_grid_tex_free(&a->mask_cache->main);
    ui_grid_tex_free(&a->mask_cache->grad);
    free(a->mask_cache->keep.kept);
    free(a->mask_cache);
    a->mask_cache = NULL;
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
    int mode;                       /* UI_MASK_* as drawn */
    SDL_Rect area;                  /* where the cells go */
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

/* The mask's grid, recorded in a->layout. */
static void place_grid(ui_app *a, SDL_Rect area, int units)
{
    ui_grid_geom q = ui_grid_place(area, units);
    ui_grid_to_layout(a, &q);
}

/* Feature maps: the layout's cells are the tiles, one per channel (a crossed tile is a
 * channel dropped whole). */
static void place_tiles(ui_app *a, SDL_Rect area, nn_shape shape)
{
    ui_layout *L = &a->layout;
    ui_tile_geom q = ui_tile_place(area, shape);
    if (q.px < 1)
        return;
    L->grid = q.grid;
    L->cols = q.tcols;
    L->rows = (shape.d[2] + q.tcols - 1) / q.tcols;
    L->pitch = q.tpitch;
    L->cell = q.tile;
    L->units = shape.d[2];
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

/* GaussianDropout's multiplier on a diverging scale: below 1 blue, 1 the panel's grey,
 * above 1 orange; saturated at 1 -/+ 2 standard deviations. */
SDL_Color ui_noise_colour(const ui_theme *t, float mult, float rate)
{
    float sd = rate > 0 && rate < 1 ? sqrtf(rate / (1 - rate)) : 1;
    float f = (mult - 1) / (2 * sd);
    f = f < -1 ? -1 : f > 1 ? 1 : f;
    SDL_Color mid = ui_mix(t->cell_lo, t->cell_hi, 0.35f);
    return f < 0 ? ui_mix(mid, ui_rgb(UI_OI_BLUE), -f) : ui_mix(mid, ui_rgb(UI_OI_ORANGE), f);
}

/* The noise families: GaussianDropout's multiplier; AlphaDropout's dropped units (set to
 * alpha', then the affine map) in their own colour, no cross. False for the 0/1 masks. */
static bool colour_noise(const ui_app *a, const mask_frame *m, Uint32 *col)
{
    const ui_theme *t = &a->theme;
    const nn_trace_dropout *D = m->D;
    int units = m->units, B = m->B;
    if (!m->training || (D->kind != NN_DROP_GAUSSIAN && D->kind != NN_DROP_ALPHA))
        return false;
    for (int i = 0; i < units; i++) {
        if (D->kind == NN_DROP_GAUSSIAN && D->noise) {
            float v = 0;
            for (int k = m->ex >= 0 ? m->ex : 0; k < (m->ex >= 0 ? m->ex + 1 : B); k++)
                v += D->noise[(size_t)k * units + i];
            col[i] = argb(ui_noise_colour(t, m->ex >= 0 ? v : v / (float)B, D->rate));
        } else if (D->kind == NN_DROP_ALPHA && D->mask) {
            int dropped = 0;
            for (int k = m->ex >= 0 ? m->ex : 0; k < (m->ex >= 0 ? m->ex + 1 : B); k++)
                dropped += !D->mask[(size_t)k * units + i];
            float f = m->ex >= 0 ? (float)dropped : (float)dropped / (float)B;
            col[i] = argb(ui_mix(t->cell_lo, ui_rgb(UI_OI_SKY), f));
        }
    }
    return true;
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
            col[i] = argb(f <= 0 ? t->cell_lo : ui_mix(ui_rgb(UI_OI_VERMILLION), hot, f));
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
        if (colour_noise(a, m, col)) {
            L->mask_drawn = false;   /* noise, not a 0/1 mask: nothing crossed */
        } else if (m->ex >= 0) {
            colour_example(a, m, col, crossed);
            L->mask_drawn = m->training;
        } else {
            L->batch_counts = m->training;
            colour_batch(a, m, col, sum);
        }
        int th = L->cell >= 14 ? 2 : 1;
        ui_grid_geom q = {L->grid, L->cols, L->rows, L->pitch, L->cell, units};
        struct ui_mask_cache *mc = ui_mask_cache_get(a);
        if (mc && m->D->shape.rank == 3)
            ui_tile_paint(a, &mc->main, m->area, m->D->shape, col, crossed, argb(a->theme.cross));
        else if (mc)
            ui_grid_paint(a, &mc->main, &q, col, crossed, argb(a->theme.cross), th);
        long n_crossed = 0;
        for (int i = 0; i < units; i++)
            n_crossed += crossed[i] != 0;
        ui_report_mask(a->report, m->G->name, units, n_crossed, m->tr ? m->tr->step : 0);
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

/* In the gradients mode at one example: how the empty gradient cells split into dropped
 * units and units whose activation was 0 (no gradient through ReLU either). */
static bool grad_caption(const mask_frame *m, char *out, size_t n)
{
    const nn_trace_dropout *D = m->D;
    if (!D || !D->unit_grad || !m->training || m->B != 1)
        return false;
    int empty = 0, dropped = 0, off = 0;
    for (int u = 0; u < m->units; u++) {
        if (D->unit_grad[u] != 0.0f)
            continue;
        empty++;
        if (!D->mask[u])
            dropped++;
        else if (D->act[u] == 0.0f)
            off++;
    }
    snprintf(out, n, "No gradient: %d units = %d dropped + %d with output 0%s", empty, dropped, off,
             empty == dropped + off ? "" : " + others");
    return true;
}

/* GaussianDropout's scale: the multiplier from 1 - 2 sd to 1 + 2 sd. */
static int noise_legend(ui_app *a, SDL_Rect r, float rate)
{
    const ui_theme *t = &a->theme;
    float sd = rate > 0 && rate < 1 ? sqrtf(rate / (1 - rate)) : 1;
    char l[32], h[32];
    snprintf(l, sizeof l, "x%.2f", (double)(1 - 2 * sd));
    snprintf(h, sizeof h, "x%.2f", (double)(1 + 2 * sd));
    int lw = ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text, l, r.x, r.y, 0, 0).x;
    SDL_Rect bar = {r.x + lw + 4, r.y + 2, r.w / 3, t->font_small - 2};
    for (int x = 0; x < bar.w; x++) {
        float mult = 1 - 2 * sd + 4 * sd * (float)x / (float)(bar.w > 1 ? bar.w - 1 : 1);
        ui_fill(a->ren, (SDL_Rect){bar.x + x, bar.y, 1, bar.h}, ui_noise_colour(t, mult, rate));
    }
    ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, "x1", bar.x + bar.w / 2,
                 bar.y + bar.h, UI_ALIGN_CENTER, 0);
    int x = bar.x + bar.w + 4;
    x += ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text, h, x, r.y, 0, 0).x + t->pad;
    ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, "multiplier", x, r.y, 0, 0);
    return t->font_small * 2;
}

/* The legend under the cells, for what colour alone says; returns the height used. */
static int draw_legend(ui_app *a, SDL_Rect r, const mask_frame *m)
{
    const nn_trace_dropout *D = m->D;
    char right[48], title[160];
    if (!D || !m->training)
        return 0;
    if (D->kind == NN_DROP_GAUSSIAN)
        return noise_legend(a, r, D->rate);
    if (D->kind == NN_DROP_ALPHA)
        return ui_ramp_legend(a, r, a->theme.cell_lo, ui_rgb(UI_OI_SKY), "kept", "dropped",
                              "dropped: set to alpha', then a*x+b; no zeros");
    if (m->ex >= 0)
        return 0;
    snprintf(right, sizeof right, "all %d", m->B);
    snprintf(title, sizeof title, "examples dropping it (dark: none; expect %.0f%%)",
             100.0 * D->rate);
    return ui_ramp_legend(a, r, ui_rgb(UI_OI_VERMILLION), ui_rgb(UI_OI_YELLOW), "1", right, title);
}

/* Height of the dropped-fraction strip at the foot of the view. */
static int caption_strip_h(const ui_theme *t)
{
    return (int)(56 * t->scale);
}

/* The caption's two texts: what the grid shows in numbers (buf, in colour *capc), then
 * what that means, or the unit under the pointer (sub, NULL: none). */
typedef struct {
    char buf[256], sub_buf[200], hover[200], gsub[200];
    const char *sub;
    SDL_Color capc;
    int fs, wrap;           /* the count line's font size and wrap width (caption_height) */
} caption_text;

static void caption_texts(ui_app *a, const mask_frame *m, caption_text *ct)
{
    const ui_theme *t = &a->theme;
    const nn_trace_dropout *D = m->D;
    int units = m->units, B = m->B;
    char *buf = ct->buf, *sub_buf = ct->sub_buf, num[32], num2[32];
    SDL_Color capc = t->text;
    const char *sub = NULL;
    if (!D || B == 0) {
        snprintf(buf, sizeof ct->buf, "%s: %s units, rate %.2f", m->src,
                 ui_fmt_count((size_t)units, num, sizeof num), (double)m->G->rate);
        sub = "Each training step draws a fresh random mask over these units.";
    } else if (!m->training) {
        bool never = D->train_mode == NN_TRAIN_NEVER;
        snprintf(buf, sizeof ct->buf, "%s: every unit kept, scale 1", never ? "training=False" : "inference");
        capc = t->val;
        snprintf(num2, sizeof num2, "%s", ui_fmt_count((size_t)units, num, sizeof num));
        if (never)   /* its call's training=False: no mask in fit either */
            snprintf(sub_buf, sizeof ct->sub_buf, "No mask over the %s units: this Dropout was called "
                     "with training=False, so it never masks, not even in fit.", num2);
        else if (m->tr->mc_passes > 0)   /* MC dropout ran over this batch: say where it is */
            snprintf(sub_buf, sizeof ct->sub_buf, "This grid is the plain predict. The %d MC passes "
                     "(training=True) %s; their answers are in the batch view.", m->tr->mc_passes,
                     m->tr->mc_fixed_mask ? "all used one mask, held fixed"
                                          : "each drew a fresh mask over these units");
        else
            snprintf(sub_buf, sizeof ct->sub_buf, "No mask over the %s units: Dropout is the identity "
                     "in predict and evaluate.", num2);
        sub = sub_buf;
    } else if (m->ex >= 0) {
        size_t dropped = 0;
        for (int i = 0; i < units; i++)
            dropped += D->mask[(size_t)m->ex * units + i] == 0;
        double rate = D->rate;
        char nd[32];
        snprintf(buf, sizeof ct->buf, "%s: %s of %s dropped (%.1f%%) - kept units x%.2f", m->src,
                 ui_fmt_count(dropped, nd, sizeof nd), ui_fmt_count((size_t)units, num, sizeof num),
                 100.0 * (double)dropped / units, rate < 1 ? 1.0 / (1.0 - rate) : 0.0);
        sub = "Bright = strong activation. Crossed = dropped: output 0, no gradient.";
        if (D->kind == NN_DROP_GAUSSIAN)
            snprintf(buf, sizeof ct->buf, "%s: every unit times noise of mean 1, std %.2f", m->src,
                     rate > 0 && rate < 1 ? sqrt(rate / (1 - rate)) : 0.0);
        else if (D->kind == NN_DROP_ALPHA)
            snprintf(buf, sizeof ct->buf, "%s: %s of %s set to alpha' (%.1f%%), then a*x+b", m->src,
                     ui_fmt_count(dropped, nd, sizeof nd), ui_fmt_count((size_t)units, num, sizeof num), 100.0 * (double)dropped / units);
        if (D->shape.rank == 3)
            sub = "One tile per channel. Dark orange: dropped; a crossed tile: the whole channel.";
    } else {
        snprintf(buf, sizeof ct->buf, "%s, whole batch: %s of %s dropped (%.1f%%)", m->src,
                 ui_fmt_count(D->dropped, num, sizeof num),
                 ui_fmt_count((size_t)B * units, num2, sizeof num2),
                 100.0 * (double)D->dropped / ((double)B * units));
        sub = "Colour: in how many examples the unit was dropped (dark: in none).";
    }
    if (D && m->training && D->kind == NN_DROP_GAUSSIAN)
        sub = "GaussianDropout multiplies every unit by noise N(1, rate/(1-rate)): none is dropped.";
    else if (D && m->training && D->kind == NN_DROP_ALPHA)
        sub = "AlphaDropout keeps mean and variance: dropped units take alpha', not 0.";
    if (D && m->training && m->tr && !m->tr->training && D->train_mode == NN_TRAIN_ALWAYS)
        sub = "training=True: this Dropout masks at predict too (a new mask each pass).";
    if (m->mode == UI_MASK_GRADIENTS && grad_caption(m, ct->gsub, sizeof ct->gsub))
        sub = ct->gsub;
    if (describe_hovered(a, m, ct->hover, sizeof ct->hover))
        sub = ct->hover;
    ct->sub = sub;
    ct->capc = capc;
}

/* The count line's font size (large, shrunk to the small size before it wraps) and
 * whether it wraps, set in ct; returns the caption's height w wide: the count line and
 * the explanation. */
static int caption_height(ui_app *a, caption_text *ct, int w)
{
    const ui_theme *t = &a->theme;
    ct->fs = t->font_large;
    while (ct->fs > t->font_small && ui_text_size(a->text, UI_FONT_BOLD, ct->fs, ct->buf, 0).x > w)
        ct->fs--;
    ct->wrap = ui_text_size(a->text, UI_FONT_BOLD, ct->fs, ct->buf, 0).x > w ? w : 0;
    int h = ui_text_size(a->text, UI_FONT_BOLD, ct->fs, ct->buf, ct->wrap).y;
    if (ct->sub) {
        int sw = ui_text_size(a->text, UI_FONT_SANS, t->font_small, ct->sub, 0).x > w ? w : 0;
        h += ui_text_size(a->text, UI_FONT_SANS, t->font_small, ct->sub, sw).y;
    }
    return h;
}

/* The caption under the grid (the legend, then the texts). */
static void draw_caption(ui_app *a, SDL_Rect c, SDL_Rect area, const mask_frame *m,
                         const caption_text *ct)
{
    const ui_theme *t = &a->theme;
    SDL_Rect grid = a->layout.grid;
    int cy = grid.y + grid.h + t->pad / 2;
    if (area.y + area.h > grid.y + grid.h)
        cy = area.y + area.h + t->pad / 2;
    cy += draw_legend(a, (SDL_Rect){c.x, cy, c.w, t->font_small + 4}, m);
    const char *buf = ct->buf, *sub = ct->sub;
    ui_report_mask_caption(a->report, buf, sub);
    /* Whole, never cut: the count line shrinks to the small size, then wraps; the
     * explanation wraps into the room reserved for the caption or is left out. */
    int h1 = ui_text_draw(a->text, UI_FONT_BOLD, ct->fs, ct->capc, buf, c.x + c.w / 2, cy,
                          UI_ALIGN_CENTER, ct->wrap).y;
    int room = c.y + c.h - caption_strip_h(t) - (cy + h1);
    if (!sub)
        return;
    int sw = ui_text_size(a->text, UI_FONT_SANS, t->font_small, sub, 0).x > c.w ? c.w : 0;
    if (ui_text_size(a->text, UI_FONT_SANS, t->font_small, sub, sw).y <= room)
        ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, sub, c.x + c.w / 2, cy + h1,
                     UI_ALIGN_CENTER, sw);
    else
        ui_report_clip(a->report, sub);   /* left out: said, so a test sees it */
}

/* Height of the gradient-flow strip: a title and a row per graph box with weights. */
static int flow_height(ui_app *a)
{
    int rows = ui_boxes_with_weights(a);
    int h = (rows + 1) * (a->theme.font_small + 4);
    return h > a->layout.mask.h / 4 ? a->layout.mask.h / 4 : h;
}

int ui_mask_view_mode(const ui_app *a)
{
    if (a->mask_mode > UI_MASK_AUTO && a->mask_mode < UI_MASK_MODES)
        return a->mask_mode;
    const nn_trace *tr = a->cur;
    int ti = trace_dropout(tr, a, ui_dropout_index(a));
    /* two grids side by side need room: on a narrow panel (800x600) the mask alone,
     * the gradients one key (M) away */
    bool wide = a->layout.mask.w >= (int)(400 * a->theme.scale);
    /* presenter mode's mask panel is narrow for its text size but wide in pixels: the
     * grids side by side still get cells of several pixels */
    bool room = wide || (a->theme.presenter && a->layout.mask.w >= 480);
    bool grads = room && ti >= 0 && tr->dropout[ti].unit_grad && tr->batch == 1;
    return grads ? UI_MASK_GRADIENTS : UI_MASK_PLAIN;
}

int ui_mask_view_next_mode(const ui_app *a)
{
    int m = ui_mask_view_mode(a) + 1;
    return m >= UI_MASK_MODES ? UI_MASK_PLAIN : m;
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
    ui_report_panel(a->report, "mask", r, tr ? tr->step : 0);
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

    /* a Dropout called with training=True masks in inference passes too */
    m.training = tr && m.D && (tr->training || m.D->train_mode == NN_TRAIN_ALWAYS) && m.D->has_mask;
    m.ex = a->example;
    if (tr && m.ex >= tr->batch)
        m.ex = tr->batch - 1;
    m.B = tr ? tr->batch : 0;
    int mode = m.mode = ui_mask_view_mode(a);
    /* the caption: the count (wrapped on two lines when narrow), a legend, a line of meaning */
    caption_text ct;
    caption_texts(a, &m, &ct);
    int cap_h = t->font_large * 6 / 5 + 3 * (t->font_small * 6 / 5) + t->pad * 2;
    int cap_need = caption_height(a, &ct, c.w) + t->font_small + 4 + t->pad * 2;
    if (cap_need > cap_h)   /* the caption whole before a larger grid (up to half the panel) */
        cap_h = cap_need < c.h / 2 ? cap_need : c.h / 2;
    int strip_h = caption_strip_h(t);
    if (mode == UI_MASK_GRADIENTS)
        strip_h = flow_height(a);
    SDL_Rect area = {c.x, c.y + rows_h, c.w, c.h - rows_h - cap_h - strip_h - t->pad};
    if (mode == UI_MASK_GRADIENTS) {
        int half = (area.w - t->pad) / 2, top = t->font_small + 2, foot = t->font_small + 4;
        SDL_Rect right = {area.x + area.w - half, area.y, half, area.h};
        const char *title[3] = {"mask (crossed = dropped)", "mask (x = dropped)", "mask"};
        ui_text_draw_first_fit(a->text, UI_FONT_SANS, t->font_small, t->text, title, 3,
                               area.x + half / 2, area.y, UI_ALIGN_CENTER, half);
        area = (SDL_Rect){area.x, area.y + top, half, area.h - top - foot};
        ui_grad_grid_draw(a, right, tr, m.ti);
    }
    if (mode == UI_MASK_KEEP) {
        ui_keep_view_draw(a, (SDL_Rect){area.x, area.y, area.w, area.h + cap_h}, d, m.units, c);
        draw_strip(a, (SDL_Rect){c.x, c.y + c.h - strip_h, c.w, strip_h}, m.ti,
                   m.n_drop > 1 ? m.G->name : NULL, m.D ? m.D->rate : m.G->rate, tr ? tr->step : -1);
        return;
    }
    place_grid(a, area, m.units);
    m.area = area;
    if (m.D && m.D->shape.rank == 3)
        place_tiles(a, area, m.D->shape);
    if (!m.D || m.B == 0)
        draw_no_step(a);
    else
        draw_cells(a, &m);
    draw_caption(a, c, area, &m, &ct);
    SDL_Rect strip = {c.x, c.y + c.h - strip_h, c.w, strip_h};
    if (mode == UI_MASK_GRADIENTS)
        ui_grad_flow_draw(a, strip, tr);
    else
        draw_strip(a, strip, m.ti, m.n_drop > 1 ? m.G->name : NULL, m.D ? m.D->rate : m.G->rate,
                   tr ? tr->step : -1);
}
