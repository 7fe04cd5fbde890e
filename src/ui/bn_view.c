/* Frozen BatchNormalization (lesson 6): a BN layer's moving mean and moving variance
 * (each averaged over its channels) at every step the worker holds, drawn as two small
 * curves. Under TF 2 a frozen BN runs in inference mode and never updates them, so the
 * curves run flat while it is frozen (hatched); under TF 1.x they kept moving. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/draw.h"
#include "ui/report.h"
#include "ui/views.h"

int ui_bn_view_layer(const ui_app *a)
{
    if (a->selected >= 0 && a->selected < a->graph.n &&
        !strcmp(a->graph.layers[a->selected].type, "BatchNormalization"))
        return a->selected;
    for (int i = 0; i < a->graph.n; i++)
        if (!strcmp(a->graph.layers[i].type, "BatchNormalization"))
            return i;
    return -1;
}

int ui_bn_view_series(ui_app *a, int layer, ui_bn_point *out, int max)
{
    if (layer < 0 || layer >= a->graph.n || !a->worker)
        return 0;
    const char *name = a->graph.layers[layer].name;
    int held = ui_worker_history(a->worker), n = 0;
    for (int back = held - 1; back >= 0 && n < max; back--) {   /* oldest first */
        ui_snap *s = ui_worker_acquire(a->worker, back);
        if (!s)
            continue;
        const nn_trace *t = ui_snap_trace(s);
        for (int i = 0; i < t->n_layers; i++)
            if (!strcmp(t->layers[i].name, name) && !isnan(t->layers[i].bn_mean)) {
                /* an inference pass repeats its step: the training step's point stands
                 * (the pass moved nothing; what fit did is what the point tells) */
                bool repeat = n > 0 && t->step == out[n - 1].step;
                if (repeat && !t->training)
                    break;
                if (!repeat)
                    n++;
                out[n - 1] = (ui_bn_point){t->step, t->layers[i].bn_mean, t->layers[i].bn_var,
                                           t->layers[i].frozen, t->layers[i].bn_batch_stats};
                break;
            }
        ui_snap_release(s);
    }
    return n;
}

/* One curve of p[0..n) (mean or variance) in r, scaled to its own range. */
static void curve(ui_app *a, SDL_Rect r, const ui_bn_point *p, int n, bool var, const char *label)
{
    const ui_theme *t = &a->theme;
    float lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < n; i++) {
        float v = var ? p[i].var : p[i].mean;
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    float span = hi - lo > 1e-6f * (fabsf(hi) + 1e-6f) ? hi - lo : 1e-6f * (fabsf(hi) + 1.0f);
    char buf[96], mid[64], brief[32];
    double last = var ? p[n - 1].var : p[n - 1].mean;
    snprintf(buf, sizeof buf, "%s %.4g", label, last);
    snprintf(mid, sizeof mid, "%s %.2g", label, last);
    snprintf(brief, sizeof brief, "%.2g", last);
    const char *cand[3] = {buf, mid, brief};   /* whole, or shorter on a narrow column */
    ui_text_draw_first_fit(a->text, UI_FONT_SANS, t->font_small, t->text, cand, 3, r.x, r.y, 0, r.w);
    int th = ui_text_size(a->text, UI_FONT_SANS, t->font_small, buf, 0).y;
    SDL_Rect q = {r.x, r.y + th, r.w, r.h - th};
    if (q.h < 6)
        return;
    ui_fill(a->ren, q, t->bg);
    long s0 = p[0].step, s1 = p[n - 1].step > s0 ? p[n - 1].step : s0 + 1;
    for (int i = 0; i < n; i++)   /* frozen stretches hatched */
        if (p[i].frozen) {
            int x0 = q.x + (int)((double)(p[i].step - s0) / (double)(s1 - s0) * (q.w - 1));
            int x1 = i + 1 < n ? q.x + (int)((double)(p[i + 1].step - s0) / (double)(s1 - s0) * (q.w - 1))
                               : x0 + 2;
            ui_hatch(a->ren, (SDL_Rect){x0, q.y, x1 - x0 > 1 ? x1 - x0 : 2, q.h}, t->hatch,
                     (int)(7 * t->scale));
        }
    int px = -1, py = 0;
    for (int i = 0; i < n; i++) {
        float v = var ? p[i].var : p[i].mean;
        int x = q.x + (int)((double)(p[i].step - s0) / (double)(s1 - s0) * (q.w - 1));
        int y = q.y + q.h - 2 - (int)((v - lo) / span * (float)(q.h - 3));
        if (px >= 0)
            ui_line(a->ren, px, py, x, y, var ? t->val : t->train, 2 * t->line);
        px = x;
        py = y;
    }
}

void ui_bn_view_draw(ui_app *a, SDL_Rect r)
{
    const ui_theme *t = &a->theme;
    int layer = ui_bn_view_layer(a);
    if (layer < 0)
        return;
    static ui_bn_point pts[512];   /* the UI thread only */
    int n = ui_bn_view_series(a, layer, pts, 512);
    char buf[160], fit[160];
    snprintf(buf, sizeof buf, "%s: moving statistics", a->graph.layers[layer].name);
    snprintf(fit, sizeof fit, "%s", a->graph.layers[layer].name);
    const char *title[4] = {buf, fit, "BN statistics", "BN"};   /* whole, or shorter */
    ui_text_draw_first_fit(a->text, UI_FONT_BOLD, t->font_small, t->text, title, 4, r.x, r.y, 0, r.w);
    int th = ui_text_size(a->text, UI_FONT_BOLD, t->font_small, buf, 0).y;
    if (n == 0) {
        ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, "no step yet", r.x, r.y + th, 0, 0);
        return;
    }
    const ui_bn_point *last = &pts[n - 1];
    bool never = a->graph.layers[layer].train_mode == NN_TRAIN_NEVER;
    /* before TF 2 a frozen BN still used the batch's statistics; whether its averages
     * moved too (Keras 2.0-2.1.2) or not (2.1.3-2.2) is read off the points themselves */
    int moved = -1;   /* unknown with one point */
    for (int k = 1; k < n; k++)
        if (pts[k].frozen && pts[k - 1].frozen)
            moved = (moved == 1 || pts[k].mean != pts[k - 1].mean || pts[k].var != pts[k - 1].var) ? 1 : 0;
    const char *tf1 = moved == 1 ? "frozen, yet batch statistics (TF 1.x): still moving"
                    : moved == 0 ? "frozen, yet batch statistics (TF 1.x); averages kept"
                                 : "frozen, yet batch statistics (TF 1.x)";
    const char *state = last->frozen ? (last->batch_stats ? tf1 : "frozen (TF 2): inference mode, flat")
                        : last->batch_stats ? "trains: batch statistics, moving averages updated"
                        /* called with training=False: gamma and beta train, the statistics stay */
                        : never ? "training=False: inference mode, flat; gamma, beta train"
                                : "inference step: moving statistics, not updated";
    char shown[200];
    if (a->cur && !a->cur->training && last->batch_stats) {
        /* the pass shown is a predict: it normalises with the moving statistics, unlike
         * the training steps plotted (before TF 2, or a BN that trains) */
        snprintf(shown, sizeof shown, "this predict: moving statistics; in fit: %s", state);
        state = shown;
    }
    ui_report_bn_state(a->report, state);
    int sh = ui_text_draw(a->text, UI_FONT_SANS, t->font_small, last->frozen ? t->padlock : t->text_dim,
                          state, r.x, r.y + r.h, UI_ALIGN_BOTTOM, r.w).y;
    int h = (r.h - th - sh) / 2;
    curve(a, (SDL_Rect){r.x, r.y + th, r.w, h}, pts, n, false, "mean");
    curve(a, (SDL_Rect){r.x, r.y + th + h, r.w, h}, pts, n, true, "variance");
}
