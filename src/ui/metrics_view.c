/* Metrics: loss and accuracy curves (training batches and validation), steps/s.
 * Training is a thin raw line plus a thicker smoothed one; validation is marked with
 * squares joined by a dashed line, so the two differ without colour. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Earlier runs kept across resets (the worker restarts its metrics at each reset): the
 * current run mirrored as it grows, pushed as a labelled ghost when a reset comes. */
#define UI_GHOSTS 4
typedef struct {
    ui_metric *m;
    size_t n;
    char label[32];
} ui_ghost;

struct ui_metrics_cache {
    unsigned gen;
    bool have_gen;
    ui_ghost cur;
    size_t cap;
    int n_ghosts;
    ui_ghost ghosts[UI_GHOSTS];
};

void ui_metrics_view_forget(ui_app *a)
{
    struct ui_metrics_cache *c = a->metrics_cache;
    if (!c)
        return;
    free(c->cur.m);
    for (int i = 0; i < c->n_ghosts; i++)
        free(c->ghosts[i].m);
    free(c);
    a->metrics_cache = NULL;
}

void ui_metrics_view_clear(ui_app *a)
{
    struct ui_metrics_cache *c = a->metrics_cache;
    if (!c)
        return;
    for (int i = 0; i < c->n_ghosts; i++)
        free(c->ghosts[i].m);
    c->n_ghosts = 0;
}

int ui_metrics_view_ghosts(const ui_app *a, const char **labels, int max)
{
    const struct ui_metrics_cache *c = a->metrics_cache;
    int n = c ? c->n_ghosts : 0;
    for (int i = 0; i < n && i < max; i++)
        labels[i] = c->ghosts[i].label;
    return n;
}

const ui_metric *ui_metrics_view_ghost(const ui_app *a, int g, size_t *n)
{
    const struct ui_metrics_cache *c = a->metrics_cache;
    *n = 0;
    if (!c || g < 0 || g >= c->n_ghosts)
        return NULL;
    *n = c->ghosts[g].n;
    return c->ghosts[g].m;
}

/* Follows a->metrics: a new generation pushes the mirrored run as a ghost. */
static struct ui_metrics_cache *track_runs(ui_app *a)
{
    if (!a->metrics_cache && !(a->metrics_cache = calloc(1, sizeof *a->metrics_cache)))
        return NULL;
    struct ui_metrics_cache *c = a->metrics_cache;
    if (c->have_gen && c->gen != a->metrics_gen && c->cur.n > 1) {
        if (c->n_ghosts == UI_GHOSTS) {
            free(c->ghosts[0].m);
            memmove(c->ghosts, c->ghosts + 1, sizeof c->ghosts[0] * (UI_GHOSTS - 1));
            c->n_ghosts--;
        }
        c->ghosts[c->n_ghosts++] = c->cur;
        memset(&c->cur, 0, sizeof c->cur);
        c->cap = 0;
    } else if (c->have_gen && c->gen != a->metrics_gen) {
        c->cur.n = 0;
    }
    c->gen = a->metrics_gen;
    c->have_gen = true;
    if (a->n_metrics > c->cap) {
        ui_metric *m = realloc(c->cur.m, a->n_metrics * 2 * sizeof *m);
        if (!m)
            return c;
        c->cur.m = m;
        c->cap = a->n_metrics * 2;
    }
    if (a->n_metrics > c->cur.n)
        memcpy(c->cur.m + c->cur.n, a->metrics + c->cur.n, (a->n_metrics - c->cur.n) * sizeof *c->cur.m);
    c->cur.n = a->n_metrics;
    const nn_trace *t = a->cur;
    if (t && t->n_dropout > 0)
        snprintf(c->cur.label, sizeof c->cur.label, "rate %.2f", (double)t->dropout[0].rate);
    else if (!c->cur.label[0])
        snprintf(c->cur.label, sizeof c->cur.label, "run %d", c->n_ghosts + 1);
    return c;
}

void ui_metrics_view_add_run(ui_app *a, ui_run *r)
{
    struct ui_metrics_cache *c = track_runs(a);   /* the run before it goes first */
    if (!c || !r->m || r->n < 2) {
        free(r->m);
        r->m = NULL;
        return;
    }
    if (c->n_ghosts == UI_GHOSTS) {
        free(c->ghosts[0].m);
        memmove(c->ghosts, c->ghosts + 1, sizeof c->ghosts[0] * (UI_GHOSTS - 1));
        c->n_ghosts--;
    }
    ui_ghost *g = &c->ghosts[c->n_ghosts++];
    g->m = r->m;
    g->n = r->n;
    snprintf(g->label, sizeof g->label, "%s", r->label);
    r->m = NULL;
}

/* Ghost curves: each earlier run's smoothed training curve, dim, and its validations as
 * hollow squares joined by a dashed line (a compare's first twin: the gap to read). */
static const unsigned ghost_hues[UI_GHOSTS] = {UI_OI_GREEN, UI_OI_YELLOW, UI_OI_VERMILLION, 0xBBBBBB};

static void draw_ghosts(ui_app *a, SDL_Rect p, bool acc, long s0, long s1, float lo, float hi)
{
    const ui_theme *t = &a->theme;
    const struct ui_metrics_cache *c = a->metrics_cache;
    for (int g = 0; c && g < c->n_ghosts; g++) {
        const ui_ghost *G = &c->ghosts[g];
        SDL_Color col = ui_mix(t->bg, ui_rgb(ghost_hues[g]), 0.75f);
        float ema = NAN;
        int px = -1, py = 0;
        for (size_t i = 0; i < G->n; i++) {
            const ui_metric *m = &G->m[i];
            float v = acc ? m->accuracy : m->loss;
            if (!m->training || !isfinite(v) || m->step < s0 || m->step > s1)
                continue;
            ema = isnan(ema) ? v : 0.9f * ema + 0.1f * (v > hi ? hi : v);
            int x = p.x + (int)((double)(m->step - s0) / (double)(s1 - s0) * (p.w - 1));
            int y = p.y + p.h - 1 - (int)((ema - lo) / (hi - lo) * (float)(p.h - 1));
            if (px >= 0)
                ui_line(a->ren, px, py, x, y, col, t->line);
            px = x;
            py = y;
        }
        int sq = (int)(5 * t->scale);
        px = -1;
        for (size_t i = 0; i < G->n; i++) {
            const ui_metric *m = &G->m[i];
            float v = acc ? m->val_accuracy : m->val_loss;
            if (!isfinite(v) || m->step < s0 || m->step > s1)
                continue;
            int x = p.x + (int)((double)(m->step - s0) / (double)(s1 - s0) * (p.w - 1));
            int y = p.y + p.h - 1 - (int)(((v > hi ? hi : v) - lo) / (hi - lo) * (float)(p.h - 1));
            if (px >= 0)
                dashed(a->ren, px, py, x, y, col, t->line);
            ui_frame(a->ren, (SDL_Rect){x - sq / 2, y - sq / 2, sq, sq}, col, t->line);
            px = x;
            py = y;
        }
    }
}

/* How much of what is plotted a box would hide: the smoothed curves' points (the live
 * run's and the ghosts'), and the validations, which weigh four (each is a measurement
 * the lesson reads; the raw batch values are noise around the curves). */
static int points_inside(const ui_app *a, SDL_Rect p, SDL_Rect box, bool acc, long s0, long s1, float lo,
                         float hi)
{
    const struct ui_metrics_cache *c = a->metrics_cache;
    int inside = 0;
    for (int g = -1; g < (c ? c->n_ghosts : 0); g++) {
        const ui_metric *m = g < 0 ? a->metrics : c->ghosts[g].m;
        size_t n = g < 0 ? a->n_metrics : c->ghosts[g].n;
        float ema = NAN;
        for (size_t i = 0; i < n; i++) {
            float v = acc ? m[i].accuracy : m[i].loss;
            if (m[i].training && isfinite(v))
                ema = isnan(ema) ? v : 0.9f * ema + 0.1f * (v > hi ? hi : v);
            float vs[2] = {m[i].training ? ema : NAN, acc ? m[i].val_accuracy : m[i].val_loss};
            for (int k = 0; k < 2; k++) {
                if (!isfinite(vs[k]) || m[i].step < s0 || m[i].step > s1)
                    continue;
                float u = vs[k] > hi ? hi : vs[k] < lo ? lo : vs[k];
                SDL_Point q = {p.x + (int)((double)(m[i].step - s0) / (double)(s1 - s0) * (p.w - 1)),
                               p.y + p.h - 1 - (int)((u - lo) / (hi - lo) * (float)(p.h - 1))};
                inside += SDL_PointInRect(&q, &box) ? (k ? 4 : 1) : 0;
            }
        }
    }
    return inside;
}

/* The runs' legend, over the curves: each earlier run, then the live one, in the corner
 * of the plot with the fewest points under it (the usual: top right for the loss, whose
 * curves end low, bottom right for the accuracy), so that it hides no run's ending,
 * such as a twin's validation loss climbing to the top. */
static void draw_ghost_legend(ui_app *a, SDL_Rect p, bool acc, long s0, long s1, float lo, float hi)
{
    const ui_theme *t = &a->theme;
    const struct ui_metrics_cache *c = a->metrics_cache;
    if (!c || c->n_ghosts == 0)
        return;
    int lh = t->font_small + 2, wmax = 0;
    char lab[UI_GHOSTS + 1][48];
    /* the labels whole with a line sample ("-- rate 0.50 (now)"), or shorter where the
     * plot is narrow, in the curves' colours ("rate 0.50 now", then "0.50 now"): a
     * legend wider than its plot would write over the next one */
    int form = 0, sample = 26;
    for (; form < 3; form++) {
        wmax = 0;
        sample = form == 0 ? 26 : 8;
        for (int g = 0; g <= c->n_ghosts; g++) {
            bool live = g == c->n_ghosts;
            const char *l = live ? c->cur.label : c->ghosts[g].label;
            if (form == 2 && !strncmp(l, "rate ", 5))
                l += 5;
            snprintf(lab[g], sizeof lab[g], live ? (form ? "%s now" : "%s (now)") : "%s", l);
            int w = ui_text_size(a->text, UI_FONT_SANS, t->font_small, lab[g], 0).x;
            if (w > wmax)
                wmax = w;
        }
        if (wmax + sample <= p.w)
            break;
    }
    if (form == 3)
        return;   /* no room even so: the panel's title says how many runs there are */
    int bw = wmax + sample, bh = (c->n_ghosts + 1) * lh + 4;
    /* corners in order of preference: the usual one first */
    SDL_Rect corner[4] = {
        {p.x + p.w - bw, acc ? p.y + p.h - bh : p.y, bw, bh},
        {p.x + p.w - bw, acc ? p.y : p.y + p.h - bh, bw, bh},
        {p.x, acc ? p.y + p.h - bh : p.y, bw, bh},
        {p.x, acc ? p.y : p.y + p.h - bh, bw, bh},
    };
    int best = 0, best_n = -1;
    for (int k = 0; k < 4; k++) {
        int n = points_inside(a, p, corner[k], acc, s0, s1, lo, hi);
        if (best_n < 0 || n < best_n) {
            best = k;
            best_n = n;
        }
    }
    SDL_Rect b = corner[best];
    int xr = b.x + b.w - 4, y = b.y + 2;
    for (int g = 0; g <= c->n_ghosts; g++, y += lh) {
        bool live = g == c->n_ghosts;
        SDL_Color col = live ? t->train : ui_mix(t->bg, ui_rgb(ghost_hues[g]), 0.75f);
        int w = ui_text_draw(a->text, UI_FONT_SANS, t->font_small, col, lab[g], xr, y, UI_ALIGN_RIGHT, 0).x;
        if (form == 0)
            ui_line(a->ren, xr - w - 18, y + lh / 2, xr - w - 4, y + lh / 2, col, 2 * t->line);
    }
}

/* The training batches' loss (or accuracy) with Dropout off, over the snapshots held
 * (oldest first): what validation would have said of the same batches. */
int ui_metrics_view_off(ui_app *a, long *steps, float *vals, bool acc, int max)
{
    int held = a->worker ? ui_worker_history(a->worker) : 0, n = 0;
    for (int back = held - 1; back >= 0 && n < max; back--) {
        ui_snap *s = ui_worker_acquire(a->worker, back);
        if (!s)
            continue;
        const nn_trace *t = ui_snap_trace(s);
        double v = acc ? t->accuracy_off : t->loss_off;
        if (t->training && isfinite(v)) {
            steps[n] = t->step;
            vals[n++] = (float)v;
        }
        ui_snap_release(s);
    }
    return n;
}

/* The dropout-off values as a dotted purple line in the plot p. */
static void draw_off(ui_app *a, SDL_Rect p, bool acc, long s0, long s1, float lo, float hi)
{
    static long steps[1024];   /* the UI thread only */
    static float vals[1024];
    int n = ui_metrics_view_off(a, steps, vals, acc, 1024);
    SDL_Color c = ui_rgb(UI_OI_PURPLE);
    float ema = NAN;
    for (int i = 0; i < n; i++) {
        if (steps[i] < s0 || steps[i] > s1)
            continue;
        float v = vals[i] > hi ? hi : vals[i];
        ema = isnan(ema) ? v : 0.9f * ema + 0.1f * v;
        int x = p.x + (int)((double)(steps[i] - s0) / (double)(s1 - s0) * (p.w - 1));
        int y = p.y + p.h - 1 - (int)((ema - lo) / (hi - lo) * (float)(p.h - 1));
        int d = (int)(3 * a->theme.scale) > 2 ? (int)(3 * a->theme.scale) : 2;
        ui_fill(a->ren, (SDL_Rect){x - d / 2, y - d / 2, d, d}, c);
    }
}

static void plot(ui_app *a, SDL_Rect r, bool acc, const char *const *title, int n_title)
{
    const ui_theme *t = &a->theme;
    int n = (int)a->n_metrics;
    char buf[96];
    /* the first of the titles (most to least complete) that fits */
    ui_text_draw_first_fit(a->text, UI_FONT_BOLD, t->font_small, t->text, title, n_title, r.x, r.y,
                           0, r.w);
    int th = ui_text_size(a->text, UI_FONT_BOLD, t->font_small, title[n_title - 1], 0).y;
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
        const struct ui_metrics_cache *gc = a->metrics_cache;
        for (int g = 0; gc && g < gc->n_ghosts; g++)
            for (size_t i = 0; i < gc->ghosts[g].n; i++)
            {
                const ui_metric *m = &gc->ghosts[g].m[i];
                if (m->training && isfinite(m->loss) && m->loss > hi)
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
        /* inside its own plot (wrapped when narrow), not run into the next plot's */
        const char *none = "no steps yet";
        int wrap = ui_text_size(a->text, UI_FONT_SANS, t->font_small, none, 0).x > p.w - 4 ? p.w - 4 : 0;
        ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, none, p.x + p.w / 2,
                     p.y + p.h / 2, UI_ALIGN_CENTER | UI_ALIGN_MIDDLE, wrap);
        return;
    }
    long s0 = a->metrics[0].step, s1 = a->metrics[n - 1].step;
    const struct ui_metrics_cache *gc = a->metrics_cache;
    for (int g = 0; gc && g < gc->n_ghosts; g++)   /* the earlier runs fit too */
        if (gc->ghosts[g].n > 0 && gc->ghosts[g].m[gc->ghosts[g].n - 1].step > s1)
            s1 = gc->ghosts[g].m[gc->ghosts[g].n - 1].step;
    if (s1 <= s0)
        s1 = s0 + 1;
    /* the axis's ends: "step 1" ... "N", or "1" ... "N" on a narrow plot, or only the
     * last step when even those two would run into each other */
    char right[32], left[32];
    snprintf(right, sizeof right, "%ld", s1);
    int rw = ui_text_size(a->text, UI_FONT_SANS, t->font_small, right, 0).x, gap = t->pad;
    snprintf(left, sizeof left, "step %ld", s0);
    if (ui_text_size(a->text, UI_FONT_SANS, t->font_small, left, 0).x + gap + rw > p.w)
        snprintf(left, sizeof left, "%ld", s0);
    if (ui_text_size(a->text, UI_FONT_SANS, t->font_small, left, 0).x + gap + rw <= p.w)
        ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, left, p.x, p.y + p.h + 1, 0, 0);
    ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, right, p.x + p.w, p.y + p.h + 1,
                 UI_ALIGN_RIGHT, 0);
#define PX(step) (p.x + (int)((double)((step) - s0) / (double)(s1 - s0) * (p.w - 1)))
#define PY(v) (p.y + p.h - 1 - (int)(((v) - lo) / (hi - lo) * (float)(p.h - 1)))
    draw_ghosts(a, p, acc, s0, s1, lo, hi);
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
        if (!m->training) {   /* an inference pass: apart, a hollow square, not on the curve */
            int d = (int)(6 * t->scale);
            ui_frame(a->ren, (SDL_Rect){PX(m->step) - d / 2, PY(v) - d / 2, d, d}, t->text_dim, 1);
            continue;
        }
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
    if (!acc)
        draw_off(a, p, acc, s0, s1, lo, hi);
    if (a->history_back > 0 && a->cur) {
        int x = PX(a->cur->step);
        ui_line(a->ren, x, p.y, x, p.y + p.h - 1, t->box_selected, t->line);
    }
    if (acc)   /* one legend for both plots: the accuracy's, whose curves end high and leave
                * a corner free, where the loss plot's ending (a twin's validation loss
                * climbing to the top) would be hidden under it */
        draw_ghost_legend(a, p, acc, s0, s1, lo, hi);
#undef PX
#undef PY
}

void ui_metrics_view_draw(ui_app *a, SDL_Rect r)
{
    const ui_theme *t = &a->theme;
    char title[160];
    struct ui_metrics_cache *mc = track_runs(a);
    char rate[48];
    if (a->status.pending > 0 || a->playing)
        snprintf(rate, sizeof rate, "%.1f steps/s", a->status.steps_per_sec);
    else
        snprintf(rate, sizeof rate, "paused");
    if (mc && mc->n_ghosts > 0)
        snprintf(title, sizeof title, "Metrics  %s  (%d earlier run%s, X clears)", rate, mc->n_ghosts,
                 mc->n_ghosts == 1 ? "" : "s");
    else
        snprintf(title, sizeof title, "Metrics  %s", rate);
    SDL_Rect c = ui_panel(a, r, title);
    /* Legend, where the title leaves room for it. */
    int legend_w = ui_text_size(a->text, UI_FONT_SANS, t->font_small, "train (batch)", 0).x +
                   ui_text_size(a->text, UI_FONT_SANS, t->font_small, "dropout off", 0).x +
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
    lx -= 16 + t->pad;
    s = ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text, "dropout off", lx, ly,
                     UI_ALIGN_RIGHT | UI_ALIGN_MIDDLE, 0);
    lx -= s.x + 4;
    for (int k = 0; k < 3; k++)
        ui_fill(a->ren, (SDL_Rect){lx - 14 + 5 * k, ly - 1, 3, 3}, ui_rgb(UI_OI_PURPLE));
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
    char lt[96], at[96], v1[32] = "", v2[32] = "", lm[96] = "", lb[48] = "", ab[48] = "", am[64] = "",
         ap[16] = "";
    if (lastv) {
        snprintf(v1, sizeof v1, ", val %.3f", (double)lastv->val_loss);
        snprintf(v2, sizeof v2, ", val %.1f%%", 100.0 * lastv->val_accuracy);
    }
    if (last) {
        if (a->cur && a->cur->step == last->step && isfinite(a->cur->loss_off)) {
            snprintf(lt, sizeof lt, "loss %.3f (dropout off %.3f)%s", (double)last->loss,
                     a->cur->loss_off, v1);
            snprintf(lm, sizeof lm, "loss %.3f (off %.3f)", (double)last->loss, a->cur->loss_off);
        } else {
            snprintf(lt, sizeof lt, "loss %.3f%s", (double)last->loss, v1);
        }
        snprintf(lb, sizeof lb, "loss %.3f", (double)last->loss);
        snprintf(at, sizeof at, "accuracy %.1f%%%s", 100.0 * last->accuracy, v2);
        snprintf(am, sizeof am, "acc %.1f%%%s", 100.0 * last->accuracy, v2);
        snprintf(ab, sizeof ab, "acc %.1f%%", 100.0 * last->accuracy);
        snprintf(ap, sizeof ap, "%.1f%%", 100.0 * last->accuracy);
    } else {
        snprintf(lt, sizeof lt, "loss");
        snprintf(at, sizeof at, "accuracy");
        snprintf(lb, sizeof lb, "loss");
        snprintf(ab, sizeof ab, "acc");
        snprintf(am, sizeof am, "acc");
        snprintf(ap, sizeof ap, "acc");
    }
    /* whole, then shorter forms before anything is cut */
    const char *lts[3] = {lt, lm[0] ? lm : lb, lb}, *ats[4] = {at, am, ab, ap};
    if (ui_bn_view_layer(a) >= 0) {   /* a third column: the BN layer's moving statistics */
        int third = (c.w - 2 * t->pad) / 3;
        plot(a, (SDL_Rect){c.x, c.y, third, c.h}, false, lts, 3);
        plot(a, (SDL_Rect){c.x + third + t->pad, c.y, third, c.h}, true, ats, 4);
        ui_bn_view_draw(a, (SDL_Rect){c.x + 2 * (third + t->pad), c.y, c.w - 2 * (third + t->pad), c.h});
        return;
    }
    int half = (c.w - t->pad) / 2;
    plot(a, (SDL_Rect){c.x, c.y, half, c.h}, false, lts, 3);
    plot(a, (SDL_Rect){c.x + half + t->pad, c.y, c.w - half - t->pad, c.h}, true, ats, 4);
}
