/* Metrics: loss and accuracy curves (training batches and validation), steps/s.
 * Training is a thin raw line plus a thicker smoothed one; validation is marked with
 * squares joined by a dashed line, so the two differ without colour. */
#include <math.h>
#include <stdio.h>

#include "ui/draw.h"
#include "ui/report.h"
#include "ui/views.h"

static void dashed(SDL_Renderer *ren, int x0, int y0, int x1, int y1, SDL_Color c, int th)
{
    double dx = x1 - x0, dy = y1 - y0, len = sqrt(dx * dx + dy * dy);
    for (double s = 0; s < len; s += 8) {
        double e = s + 4 < len ? s + 4 : len;
        ui_line(ren, x0 + (int)(dx * s / len), y0 + (int)(dy * s / len), x0 + (int)(dx * e / len),
                y0 + (int)(dy * e / len), c, th);
    }
}

static void plot(ui_app *a, SDL_Rect r, bool acc, const char *title)
{
    const ui_theme *t = &a->theme;
    int n = (int)a->n_metrics;
    char buf[96];
    int th = ui_text_draw(a->text, UI_FONT_BOLD, t->font_small, t->text, title, r.x, r.y, 0, 0).y;
    SDL_Rect p = {r.x + (int)(30 * t->scale), r.y + th + 2, r.w - (int)(30 * t->scale),
                  r.h - th - 2 - t->font_small - 2};
    if (p.w < 20 || p.h < 20)
        return;
    ui_fill(a->ren, p, t->bg);
    ui_frame(a->ren, p, t->panel_edge, 1);
    float lo = 0, hi = 1;
    if (!acc) {
        hi = 0;
        for (int i = 0; i < n; i++) {
            const ui_metric *m = &a->metrics[i];
            if (isfinite(m->loss) && m->loss > hi)
                hi = m->loss;
            if (isfinite(m->val_loss) && m->val_loss > hi)
                hi = m->val_loss;
        }
        if (hi <= 0)
            hi = 1;
        hi *= 1.05f;
    }
    snprintf(buf, sizeof buf, acc ? "%.0f%%" : "%.2g", (double)(acc ? hi * 100 : hi));
    ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, buf, p.x - 3, p.y,
                 UI_ALIGN_RIGHT, 0);
    snprintf(buf, sizeof buf, acc ? "%.0f%%" : "%.2g", (double)lo);
    ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, buf, p.x - 3, p.y + p.h,
                 UI_ALIGN_RIGHT | UI_ALIGN_BOTTOM, 0);
    if (acc) {   /* 50%: chance for two classes */
        int y = p.y + p.h / 2;
        dashed(a->ren, p.x, y, p.x + p.w - 1, y, t->panel_edge, 1);
    }
    if (n == 0) {
        ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, "no steps yet",
                     p.x + p.w / 2, p.y + p.h / 2, UI_ALIGN_CENTER | UI_ALIGN_MIDDLE, 0);
        return;
    }
    long s0 = a->metrics[0].step, s1 = a->metrics[n - 1].step;
    if (s1 <= s0)
        s1 = s0 + 1;
    snprintf(buf, sizeof buf, "step %ld", s0);
    ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, buf, p.x, p.y + p.h + 1, 0, 0);
    snprintf(buf, sizeof buf, "%ld", s1);
    ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, buf, p.x + p.w, p.y + p.h + 1,
                 UI_ALIGN_RIGHT, 0);
#define PX(step) (p.x + (int)((double)((step) - s0) / (double)(s1 - s0) * (p.w - 1)))
#define PY(v) (p.y + p.h - 1 - (int)(((v) - lo) / (hi - lo) * (float)(p.h - 1)))
    /* Raw batch values, one point per pixel column at most. */
    SDL_Color dim = ui_mix(t->bg, t->train, 0.45f);
    int px = -1, py = 0, sx = -1, sy = 0;
    float ema = NAN;
    int stride = n / p.w > 1 ? n / p.w : 1;
    for (int i = 0; i < n; i++) {
        const ui_metric *m = &a->metrics[i];
        float v = acc ? m->accuracy : m->loss;
        if (!isfinite(v))
            continue;
        if (v > hi)
            v = hi;
        ema = isnan(ema) ? v : 0.9f * ema + 0.1f * v;
        if (i % stride != 0 && i != n - 1)
            continue;
        int x = PX(m->step), y = PY(v), ys = PY(ema);
        if (n == 1) {   /* one step: a dot, not a line */
            int d = (int)(5 * t->scale);
            ui_fill(a->ren, (SDL_Rect){x - d / 2, y - d / 2, d, d}, t->train);
        }
        if (px >= 0) {
            ui_line(a->ren, px, py, x, y, dim, 1);
            ui_line(a->ren, sx, sy, x, ys, t->train, 2 * t->line);
        }
        px = x;
        py = y;
        sx = x;
        sy = ys;
    }
    /* Validation: squares, dashed. */
    int vx = -1, vy = 0;
    int sq = (int)(5 * t->scale);
    for (int i = 0; i < n; i++) {
        const ui_metric *m = &a->metrics[i];
        float v = acc ? m->val_accuracy : m->val_loss;
        if (!isfinite(v))
            continue;
        int x = PX(m->step), y = PY(v > hi ? hi : v);
        if (vx >= 0)
            dashed(a->ren, vx, vy, x, y, t->val, t->line);
        SDL_Rect q = {x - sq / 2, y - sq / 2, sq, sq};
        ui_fill(a->ren, q, t->val);
        vx = x;
        vy = y;
    }
    /* The step being shown when looking back. */
    if (a->history_back > 0 && a->cur) {
        int x = PX(a->cur->step);
        ui_line(a->ren, x, p.y, x, p.y + p.h - 1, t->box_selected, t->line);
    }
#undef PX
#undef PY
}

void ui_metrics_view_draw(ui_app *a, SDL_Rect r)
{
    const ui_theme *t = &a->theme;
    char title[160];
    if (a->status.pending > 0 || a->playing)
        snprintf(title, sizeof title, "Metrics  %.1f steps/s", a->status.steps_per_sec);
    else
        snprintf(title, sizeof title, "Metrics  paused");
    SDL_Rect c = ui_panel(a, r, title);
    /* Legend, where the title leaves room for it. */
    int legend_w = ui_text_size(a->text, UI_FONT_SANS, t->font_small, "train (batch)", 0).x +
                   ui_text_size(a->text, UI_FONT_SANS, t->font_small, "validation", 0).x +
                   (int)(40 * t->scale) + t->pad;
    int title_w = ui_text_size(a->text, UI_FONT_BOLD, t->font_normal, title, 0).x;
    if (title_w + legend_w + 2 * t->pad > r.w)
        goto plots;
    int lx = c.x + c.w, ly = r.y + t->pad / 2 + t->font_normal / 2 + 2;
    SDL_Point s = ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text, "validation", lx, ly,
                               UI_ALIGN_RIGHT | UI_ALIGN_MIDDLE, 0);
    lx -= s.x + 4;
    int sq = (int)(5 * t->scale);
    ui_fill(a->ren, (SDL_Rect){lx - sq, ly - sq / 2, sq, sq}, t->val);
    lx -= sq + t->pad;
    s = ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text, "train (batch)", lx, ly,
                     UI_ALIGN_RIGHT | UI_ALIGN_MIDDLE, 0);
    lx -= s.x + 4;
    ui_line(a->ren, lx - 16, ly, lx, ly, t->train, 2 * t->line);
plots:;

    /* The numbers of the step the other panels show (its training step when an
     * inference pass is shown), and the last validation up to it. */
    const ui_metric *last = NULL, *lastv = NULL;
    for (size_t i = a->n_metrics; i-- > 0;) {
        const ui_metric *m = &a->metrics[i];
        if (a->cur && m->step > a->cur->step)
            continue;
        if (!last)
            last = m;
        if (isfinite(m->val_loss)) {
            lastv = m;
            break;
        }
    }
    ui_report_panel(a->report, "metrics", r, last ? last->step : 0);
    char lt[96], at[96], v1[32] = "", v2[32] = "";
    if (lastv) {
        snprintf(v1, sizeof v1, ", val %.3f", (double)lastv->val_loss);
        snprintf(v2, sizeof v2, ", val %.1f%%", 100.0 * lastv->val_accuracy);
    }
    if (last) {
        snprintf(lt, sizeof lt, "loss %.3f%s", (double)last->loss, v1);
        snprintf(at, sizeof at, "accuracy %.1f%%%s", 100.0 * last->accuracy, v2);
    } else {
        snprintf(lt, sizeof lt, "loss");
        snprintf(at, sizeof at, "accuracy");
    }
    int half = (c.w - t->pad) / 2;
    plot(a, (SDL_Rect){c.x, c.y, half, c.h}, false, lt);
    plot(a, (SDL_Rect){c.x + half + t->pad, c.y, c.w - half - t->pad, c.h}, true, at);
}
