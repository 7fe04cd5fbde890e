/* A mask is a sample from an ensemble: over the snapshots the worker holds, each unit's
 * kept fraction (near 1 - rate for every unit) and how many distinct masks were drawn --
 * training samples a thinned network each step; inference uses all of them, scaled. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/draw.h"
#include "ui/mask_internal.h"
#include "ui/views.h"

static uint64_t hash_mask(const uint8_t *m, int n)
{
    uint64_t h = 1469598103934665603ull;   /* FNV-1a */
    for (int i = 0; i < n; i++)
        h = (h ^ m[i]) * 1099511628211ull;
    return h;
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

/* Adds snapshot t's masks of Dropout layer d to k; returns false when t has none. */
static bool add_trace(ui_keep_stats *k, const nn_trace *t, int d, uint64_t **hashes, size_t *cap)
{
    for (int i = 0; i < t->n_dropout; i++) {
        const nn_trace_dropout *D = &t->dropout[i];
        if (D->layer != d || !D->has_mask || !D->mask || D->units != k->units)
            continue;
        for (int e = 0; e < t->batch; e++) {
            const uint8_t *m = D->mask + (size_t)e * D->units;
            for (int u = 0; u < D->units; u++)
                k->kept[u] += m[u];
            if ((size_t)k->draws == *cap) {
                size_t nc = *cap ? *cap * 2 : 256;
                uint64_t *nh = realloc(*hashes, nc * sizeof *nh);
                if (!nh)
                    return true;
                *hashes = nh;
                *cap = nc;
            }
            (*hashes)[k->draws++] = hash_mask(m, D->units);
        }
        return true;
    }
    return false;
}

/* Recomputes the statistics when the newest snapshot or the layer changed. */
static void update_stats(ui_app *a, ui_keep_stats *k, int d, int units)
{
    ui_snap *s = ui_worker_acquire(a->worker, 0);
    long newest = s ? ui_snap_trace(s)->step : 0;
    ui_snap_release(s);
    int held = ui_worker_history(a->worker);
    if (k->newest == newest && k->layer == d && k->held == held && k->units == units && k->kept)
        return;
    free(k->kept);
    memset(k, 0, sizeof *k);
    k->newest = newest;
    k->layer = d;
    k->held = held;
    k->units = units;
    if (!(k->kept = calloc((size_t)units, sizeof *k->kept)))
        return;
    uint64_t *hashes = NULL;
    size_t cap = 0;
    for (int back = 0; back < held; back++) {
        ui_snap *sn = ui_worker_acquire(a->worker, back);
        if (!sn)
            break;
        add_trace(k, ui_snap_trace(sn), d, &hashes, &cap);
        ui_snap_release(sn);
    }
    long examples = k->draws;
    for (int u = 0; u < units && examples > 0; u++)
        k->kept[u] /= (float)examples;
    qsort(hashes, (size_t)k->draws, sizeof *hashes, cmp_u64);
    for (long i = 0; i < k->draws; i++)
        k->distinct += i == 0 || hashes[i] != hashes[i - 1];
    free(hashes);
}

const ui_keep_stats *ui_keep_view_stats(ui_app *a, int d, int units)
{
    struct ui_mask_cache *mc = ui_mask_cache_get(a);
    if (!mc || units <= 0)
        return NULL;
    update_stats(a, &mc->keep, d, units);
    return mc->keep.kept ? &mc->keep : NULL;
}

void ui_keep_view_draw(ui_app *a, SDL_Rect area, int d, int units, SDL_Rect c)
{
    const ui_theme *t = &a->theme;
    const ui_keep_stats *k = ui_keep_view_stats(a, d, units);
    float rate = a->graph.layers[d].rate;
    int foot = 2 * t->font_small + t->font_large + t->pad;
    SDL_Rect g = {area.x, area.y, area.w, area.h - foot};
    ui_grid_geom q = ui_grid_place(g, units);
    ui_grid_to_layout(a, &q);
    char buf[256], l[32];
    if (!k || k->draws == 0) {
        ui_text_draw(a->text, UI_FONT_SANS, t->font_normal, t->text_dim,
                     "Keep frequency: no training step held yet.", g.x, g.y, 0, c.w);
        return;
    }
    Uint32 *col = malloc((size_t)units * sizeof *col);
    if (!col)
        return;
    double mean = 0;
    for (int u = 0; u < units; u++) {
        col[u] = ui_argb(ui_mix(t->cell_lo, t->cell_hi, k->kept[u]));
        mean += k->kept[u];
    }
    mean /= units;
    struct ui_mask_cache *mc = ui_mask_cache_get(a);
    if (mc)
        ui_grid_paint(a, &mc->main, &q, col, NULL, 0, 1);
    free(col);
    int y = q.grid.y + q.grid.h + t->pad / 2;
    snprintf(l, sizeof l, "kept 0");
    y += ui_ramp_legend(a, (SDL_Rect){c.x, y, c.w, t->font_small + 4}, t->cell_lo, t->cell_hi, l,
                        "1", "fraction of masks that kept the unit");
    snprintf(buf, sizeof buf, "kept %.3f on average (1 - rate = %.2f)", mean, 1.0 - rate);
    char fit[256];
    ui_text_fit(a->text, UI_FONT_BOLD, t->font_normal, buf, c.w, fit, sizeof fit);
    y += ui_text_draw(a->text, UI_FONT_BOLD, t->font_normal, t->text, fit, c.x + c.w / 2, y,
                      UI_ALIGN_CENTER, 0).y;
    snprintf(buf, sizeof buf, "%ld distinct masks in %ld drawn (%d snapshots held). Training "
             "samples a thinned network each step; inference uses all of them, scaled.",
             k->distinct, k->draws, k->held);
    ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, buf, c.x, y, 0, c.w);
}
