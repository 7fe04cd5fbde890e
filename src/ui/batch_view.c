/* The batch: thumbnails of the step's images with their labels and the model's
 * predictions (a tick or a cross, and the confidence). Click one to show its mask.
 * With random augmentation layers, a training step shows the images as the model saw
 * them (augmented), an inference step as they are, and the caption says which. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/draw.h"
#include "ui/report.h"
#include "ui/views.h"

/* The view's cache: one texture holding the whole batch side by side (tw x th per
 * image), rebuilt when the snapshot changes. */
struct ui_batch_cache {
    SDL_Texture *tex;         /* NULL: none (no images, or creating it failed) */
    const nn_trace *trace;    /* the snapshot it was built from */
    long step;
    int tw, th;
};

void ui_batch_view_forget(ui_app *a)
{
    if (!a->batch_cache)
        return;
    if (a->batch_cache->tex)
        SDL_DestroyTexture(a->batch_cache->tex);
    free(a->batch_cache);
    a->batch_cache = NULL;
}

/* The atlas of t's images; NULL when there is none (out of memory: drawn without). */
static const struct ui_batch_cache *build_atlas(ui_app *a, const nn_trace *t)
{
    if (!a->batch_cache && !(a->batch_cache = calloc(1, sizeof *a->batch_cache)))
        return NULL;
    struct ui_batch_cache *c = a->batch_cache;
    if (c->tex && c->trace == t && c->step == t->step)
        return c;
    if (c->tex)
        SDL_DestroyTexture(c->tex);
    c->tex = NULL;
    c->trace = t;
    c->step = t->step;
    int B = t->batch, w = t->img_w, h = t->img_h, ch = t->img_c;
    const float *images = ui_batch_view_images(t);
    if (!images || B <= 0 || w <= 0 || h <= 0 || (ch != 1 && ch != 3))
        return NULL;
    size_t img = (size_t)w * h * ch;
    float lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < img * (size_t)B; i++) {
        if (images[i] < lo)
            lo = images[i];
        if (images[i] > hi)
            hi = images[i];
    }
    if (lo >= 0 && hi <= 1.0f) {   /* [0,1] data keeps its absolute brightness */
        lo = 0;
        hi = 1;
    }
    if (!(hi > lo))
        hi = lo + 1;
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, w * B, h, 32, SDL_PIXELFORMAT_ARGB8888);
    if (!s)
        return NULL;
    for (int k = 0; k < B; k++)
        for (int y = 0; y < h; y++) {
            Uint32 *row = (Uint32 *)((Uint8 *)s->pixels + (size_t)y * s->pitch) + (size_t)k * w;
            const float *src = images + (size_t)k * img + (size_t)y * w * ch;
            for (int x = 0; x < w; x++) {
                Uint32 rgb[3];
                for (int c = 0; c < 3; c++) {
                    float v = (src[x * ch + (ch == 3 ? c : 0)] - lo) / (hi - lo);
                    rgb[c] = (Uint32)(v < 0 ? 0 : v > 1 ? 255 : v * 255.0f + 0.5f);
                }
                row[x] = 0xFF000000u | rgb[0] << 16 | rgb[1] << 8 | rgb[2];
            }
        }
    c->tex = SDL_CreateTextureFromSurface(a->ren, s);
    c->tw = w;
    c->th = h;
    SDL_FreeSurface(s);
    return c->tex ? c : NULL;
}

const float *ui_batch_view_images(const nn_trace *t)
{
    return t->aug_images ? t->aug_images : t->images;
}

void ui_batch_view_aug_caption(const nn_trace *t, int k, char *buf, size_t n)
{
    buf[0] = '\0';
    if (t->n_augment == 0)
        return;
    if (!t->aug_images || k < 0 || k >= t->batch) {
        snprintf(buf, n, "inference: augmentation off, images as they are");
        return;
    }
    size_t used = (size_t)snprintf(buf, n, "example %d augmented:", k);
    for (int i = 0; i < t->n_augment && used < n; i++) {
        const nn_trace_augment *g = &t->augment[i];
        char d[80];
        if (!g->active)
            continue;
        nn_augment_describe(&g->draws[k], g->kind, d, sizeof d);
        used += (size_t)snprintf(buf + used, n - used, "%s %s", i ? "," : "", d);
    }
}

static const char *class_name(const ui_app *a, int c, char *buf, size_t n)
{
    if (c >= 0 && c < a->graph.n_classes && a->graph.class_names[c][0])
        return a->graph.class_names[c];
    snprintf(buf, n, "class %d", c);
    return buf;
}

SDL_Rect ui_batch_view_mc_bar(SDL_Rect img, int scale_px)
{
    int h = scale_px > 6 ? scale_px : 6;
    return (SDL_Rect){img.x, img.y + img.h - h, img.w, h};
}

/* MC dropout over example k: on a 0..1 track across the thumbnail's foot, the spread
 * (mean -/+ one std) as a band, the mean as a white mark, the inference pass's
 * probability as an orange one. */
static void draw_mc_bar(ui_app *a, const nn_trace *tr, int k, SDL_Rect img)
{
    const ui_theme *t = &a->theme;
    SDL_Rect b = ui_batch_view_mc_bar(img, (int)(10 * t->scale));
    ui_fill(a->ren, b, t->bg);
    float m = tr->mc_mean[k], s = tr->mc_spread[k];
    float lo = m - s < 0 ? 0 : m - s, hi = m + s > 1 ? 1 : m + s;
    int x0 = b.x + (int)(lo * (float)(b.w - 1)), x1 = b.x + (int)(hi * (float)(b.w - 1));
    ui_fill(a->ren, (SDL_Rect){x0, b.y, x1 - x0 + 1, b.h}, ui_mix(t->bg, t->accent, 0.6f));
    int xi = b.x + (int)(tr->mc_inference[k] * (float)(b.w - 1));
    ui_fill(a->ren, (SDL_Rect){xi, b.y, 1, b.h}, ui_rgb(UI_OI_ORANGE));
    int xm = b.x + (int)(m * (float)(b.w - 1));
    ui_fill(a->ren, (SDL_Rect){xm, b.y, 1, b.h}, ui_rgb(0xffffff));
}

void ui_batch_view_draw(ui_app *a, SDL_Rect r)
{
    const ui_theme *t = &a->theme;
    ui_layout *L = &a->layout;
    const nn_trace *tr = a->cur;
    char buf[200], fit[200], cb[32];
    int B = tr ? tr->batch : 0;
    ui_report_panel(a->report, "batch", r, tr ? tr->step : 0);
    if (tr) {
        int correct = 0;
        for (int k = 0; k < B; k++)
            correct += tr->pred && tr->labels && tr->pred[k] == tr->labels[k];
        if (tr->mc_passes > 0)
            snprintf(buf, sizeof buf, "Step %ld: MC dropout, %d passes%s", tr->step, tr->mc_passes,
                     tr->mc_fixed_mask ? ", one mask fixed" : "");
        else
            snprintf(buf, sizeof buf, "The batch of step %ld: %d of %d right", tr->step,
                     correct, B);
    } else {
        snprintf(buf, sizeof buf, "The batch");
    }
    SDL_Rect c = ui_panel(a, r, buf);
    if (!tr || B == 0) {
        ui_text_draw(a->text, UI_FONT_SANS, t->font_normal, t->text_dim,
                     "The images of each step's batch appear here.", c.x, c.y, 0, 0);
        return;
    }
    const struct ui_batch_cache *atlas = build_atlas(a, tr);
    /* At the foot, bottom up: the selected example in words, the MC bars' key, whether
     * the images are augmented. Each line whole, wrapped when the panel is narrow. */
    static const char mc_key[] = "Bars: p from 0 to 1; white: mean, band: +/- std, orange: inference";
    const char *lines[3];
    SDL_Color lcol[3];
    char ex[256] = "", aug[256] = "";
    int nl = 0;
    if (a->example >= 0 && a->example < B && tr->mc_passes > 0) {
        int k = a->example;
        snprintf(ex, sizeof ex, "example %d: p %.3f +/- %.3f over %d passes (inference %.3f)", k,
                 (double)tr->mc_mean[k], (double)tr->mc_spread[k], tr->mc_passes,
                 (double)tr->mc_inference[k]);
    } else if (a->example >= 0 && a->example < B && tr->labels && tr->pred && tr->probs) {
        int k = a->example;
        float p = tr->probs[k];
        if (a->graph.n_classes <= 2 && tr->pred[k] == 0)
            p = 1 - p;   /* binary: probs hold p(class 1); show confidence */
        char pb[32];
        snprintf(ex, sizeof ex, "example %d: a %s, predicted %s (%.0f%%) %s", k,
                 class_name(a, tr->labels[k], cb, sizeof cb),
                 class_name(a, tr->pred[k], pb, sizeof pb), 100.0 * p,
                 tr->pred[k] == tr->labels[k] ? "\xe2\x9c\x93 right" : "\xe2\x9c\x97 wrong");
    }
    if (ex[0]) {
        lines[nl] = ex;
        lcol[nl++] = t->text;
    }
    if (tr->mc_passes > 0) {
        lines[nl] = mc_key;
        lcol[nl++] = t->text_dim;
    }
    if (tr->n_augment > 0) {   /* augmented or as they are */
        ui_batch_view_aug_caption(tr, a->example >= 0 && a->example < B ? a->example : 0, aug,
                                  sizeof aug);
        lines[nl] = aug;
        lcol[nl++] = tr->aug_images ? t->text : t->text_dim;
    }
    int foot = 0;
    for (int i = 0; i < nl; i++) {
        int wrap = ui_text_size(a->text, UI_FONT_SANS, t->font_small, lines[i], 0).x > c.w ? c.w : 0;
        int h = ui_text_size(a->text, UI_FONT_SANS, t->font_small, lines[i], wrap).y;
        if (foot + h > c.h * 2 / 5 && lines[i] == mc_key) {   /* the key's short form */
            lines[i] = "bars: mean +/- std; orange: inference";
            wrap = ui_text_size(a->text, UI_FONT_SANS, t->font_small, lines[i], 0).x > c.w ? c.w : 0;
            h = ui_text_size(a->text, UI_FONT_SANS, t->font_small, lines[i], wrap).y;
        }
        if (foot + h > c.h * 2 / 5) {   /* no room left for it: said, so a test sees it */
            ui_report_clip(a->report, lines[i]);
            break;
        }
        ui_text_draw(a->text, UI_FONT_SANS, t->font_small, lcol[i], lines[i], c.x,
                     c.y + c.h - foot - h, 0, wrap);
        foot += h + t->pad / 4;
    }
    foot += nl ? t->pad / 4 : 0;
    c.h -= foot;
    int gap = t->pad / 2 + 2;
    int iw = tr->img_w > 0 ? tr->img_w : 28, ih = tr->img_h > 0 ? tr->img_h : 28;
    int n = B < UI_MAX_THUMBS ? B : UI_MAX_THUMBS;
    /* Largest thumbnail that fits every example; labels only when there is room for
     * them (the selected example is described in words at the foot anyway). */
    int th = 8, tw = 8, cols = 1, lab_h = 0;
    for (int pass = 0; pass < 2; pass++) {
        lab_h = pass == 0 ? t->font_small + 2 : 0;
        for (int side = c.h; side >= 8; side--) {
            int w = side * iw / ih;
            int cl = (c.w + gap) / (w + gap);
            if (cl < 1)
                continue;
            int rows = (n + cl - 1) / cl;
            if (rows * (side + lab_h + gap) <= c.h) {
                th = side;
                tw = w;
                cols = cl;
                break;
            }
        }
        if (pass == 0 && tw >= (int)(44 * t->scale))
            break;
    }
    int maxw = (int)(96 * t->scale);
    if (tw > maxw) {
        tw = maxw;
        th = tw * ih / iw;
        cols = (c.w + gap) / (tw + gap);
    }
    int x0 = c.x + (c.w - (cols * (tw + gap) - gap)) / 2;
    int badge = t->font_small + 2 < tw * 2 / 5 ? t->font_small + 2 : tw * 2 / 5;
    for (int k = 0; k < n; k++) {
        int col = k % cols, row = k / cols;
        SDL_Rect img = {x0 + col * (tw + gap), c.y + row * (th + lab_h + gap), tw, th};
        if (atlas) {
            SDL_Rect src = {k * atlas->tw, 0, atlas->tw, atlas->th};
            SDL_RenderCopy(a->ren, atlas->tex, &src, &img);
        } else {
            ui_fill(a->ren, img, t->box);
        }
        if (L->n_thumbs < UI_MAX_THUMBS)
            L->thumbs[L->n_thumbs++] = img;
        int lbl = tr->labels ? tr->labels[k] : -1;
        if (tr->pred) {
            /* A tick or a cross in the corner: the shape says it, the colour repeats it. */
            bool ok = tr->pred[k] == lbl;
            SDL_Rect bg = {img.x + img.w - badge, img.y, badge, badge};
            ui_fill(a->ren, bg, ok ? t->good : t->bad);
            if (badge >= 10)
                ui_text_draw(a->text, UI_FONT_BOLD, t->font_small, ui_rgb(0xffffff),
                         ok ? "\xe2\x9c\x93" : "\xe2\x9c\x97", bg.x + bg.w / 2, bg.y + bg.h / 2,
                         UI_ALIGN_CENTER | UI_ALIGN_MIDDLE, 0);
        }
        if (tr->mc_passes > 0)
            draw_mc_bar(a, tr, k, img);
        if (k == a->example)
            ui_frame(a->ren, (SDL_Rect){img.x - 3, img.y - 3, img.w + 6, img.h + 6}, t->box_selected, 3);
        if (lab_h > 0) {
            ui_text_fit(a->text, UI_FONT_SANS, t->font_small, class_name(a, lbl, cb, sizeof cb),
                        tw + gap / 2, fit, sizeof fit);
            ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text, fit, img.x + tw / 2,
                         img.y + th + 1, UI_ALIGN_CENTER, 0);
        }
        ui_hit_add(a, (SDL_Rect){img.x, img.y, tw, th + lab_h}, UI_ACT_SELECT_EXAMPLE, k);
    }
}
