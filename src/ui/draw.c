/* Drawing helpers shared by the views: lines, hatching, the padlock, arrows, panels,
 * buttons. Everything is plain SDL_Renderer calls so the software renderer draws it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/draw.h"

void ui_hit_add(ui_app *a, SDL_Rect r, ui_action_id act, int arg)
{
    ui_layout *L = &a->layout;
    if (L->n_hits < UI_MAX_HITS)
        L->hits[L->n_hits++] = (ui_hit){r, act, arg};
}

void ui_color(SDL_Renderer *ren, SDL_Color c)
{
    SDL_SetRenderDrawColor(ren, c.r, c.g, c.b, c.a);
}

void ui_fill(SDL_Renderer *ren, SDL_Rect r, SDL_Color c)
{
    ui_color(ren, c);
    if (c.a < 255) {
        SDL_RenderFillRect(ren, &r);
        return;
    }
    /* Opaque: copied, not blended (the software renderer blends every pixel of a fill in
     * blend mode, alpha 255 or not: at 1080p the panels' fills took half the frame). */
    SDL_BlendMode m;
    SDL_GetRenderDrawBlendMode(ren, &m);
    SDL_SetRenderDrawBlendMode(ren, SDL_BLENDMODE_NONE);
    SDL_RenderFillRect(ren, &r);
    SDL_SetRenderDrawBlendMode(ren, m);
}

void ui_frame(SDL_Renderer *ren, SDL_Rect r, SDL_Color c, int thick)
{
    ui_color(ren, c);
    for (int i = 0; i < thick && r.w > 2 * i && r.h > 2 * i; i++) {
        SDL_Rect q = {r.x + i, r.y + i, r.w - 2 * i, r.h - 2 * i};
        SDL_RenderDrawRect(ren, &q);
    }
}

void ui_line(SDL_Renderer *ren, int x0, int y0, int x1, int y1, SDL_Color c, int thick)
{
    ui_color(ren, c);
    bool steep = abs(y1 - y0) > abs(x1 - x0);
    for (int i = 0; i < (thick < 1 ? 1 : thick); i++) {
        int o = i - (thick - 1) / 2;
        if (steep)
            SDL_RenderDrawLine(ren, x0 + o, y0, x1 + o, y1);
        else
            SDL_RenderDrawLine(ren, x0, y0 + o, x1, y1 + o);
    }
}

void ui_hatch(SDL_Renderer *ren, SDL_Rect r, SDL_Color c, int spacing)
{
    if (spacing < 3)
        spacing = 3;
    ui_color(ren, c);
    /* "/" lines every `spacing` pixels, clipped to r. */
    for (int k = spacing / 2; k < r.w + r.h; k += spacing) {
        int x0 = r.x + k, y0 = r.y, x1 = r.x + k - r.h, y1 = r.y + r.h;
        if (SDL_IntersectRectAndLine(&r, &x0, &y0, &x1, &y1))
            SDL_RenderDrawLine(ren, x0, y0, x1, y1);
    }
}

void ui_padlock(SDL_Renderer *ren, SDL_Rect r, SDL_Color body, SDL_Color hole)
{
    int th = r.w / 7 > 1 ? r.w / 7 : 2;
    SDL_Rect b = {r.x, r.y + r.h * 45 / 100, r.w, r.h - r.h * 45 / 100};
    int sw = r.w * 70 / 100;                  /* shackle outer width */
    int sx = r.x + (r.w - sw) / 2;
    int rad = sw / 2;
    int cx = sx + rad, cy = r.y + rad;
    ui_color(ren, body);
    for (int t = 0; t < th; t++) {
        int rr = rad - t;
        if (rr <= 0)
            break;
        int prev_x = cx - rr, prev_y = cy;
        for (int s = 1; s <= 16; s++) {
            double ang = M_PI * s / 16.0;
            int x = cx - (int)lround(rr * cos(ang));
            int y = cy - (int)lround(rr * sin(ang));
            SDL_RenderDrawLine(ren, prev_x, prev_y, x, y);
            prev_x = x;
            prev_y = y;
        }
    }
    SDL_Rect legl = {sx, cy, th, b.y - cy};
    SDL_Rect legr = {sx + sw - th, cy, th, b.y - cy};
    SDL_RenderFillRect(ren, &legl);
    SDL_RenderFillRect(ren, &legr);
    SDL_RenderFillRect(ren, &b);
    /* keyhole */
    int kw = r.w / 5 > 1 ? r.w / 5 : 2;
    SDL_Rect k = {r.x + (r.w - kw) / 2, b.y + b.h / 4, kw, b.h / 2};
    ui_fill(ren, k, hole);
}

void ui_arrow(SDL_Renderer *ren, int x0, int y0, int x1, int y1, SDL_Color c, int thick,
              int head)
{
    double dx = x1 - x0, dy = y1 - y0, len = sqrt(dx * dx + dy * dy);
    if (len < 1)
        return;
    dx /= len;
    dy /= len;
    int bx = x1 - (int)lround(dx * head), by = y1 - (int)lround(dy * head);
    ui_line(ren, x0, y0, bx, by, c, thick);
    SDL_Vertex v[3];
    memset(v, 0, sizeof v);
    v[0].position = (SDL_FPoint){(float)x1, (float)y1};
    v[1].position = (SDL_FPoint){(float)(bx - dy * head * 0.55), (float)(by + dx * head * 0.55)};
    v[2].position = (SDL_FPoint){(float)(bx + dy * head * 0.55), (float)(by - dx * head * 0.55)};
    for (int i = 0; i < 3; i++)
        v[i].color = c;
    SDL_RenderGeometry(ren, NULL, v, 3, NULL, 0);
}

SDL_Rect ui_panel(ui_app *a, SDL_Rect r, const char *title)
{
    const ui_theme *t = &a->theme;
    ui_fill(a->ren, r, t->panel);
    ui_frame(a->ren, r, t->panel_edge, 1);
    int th = 0;
    if (title && *title) {
        /* Whole: a title wider than the panel wraps (the content starts lower). */
        int w = r.w - 2 * t->pad;
        int wrap = ui_text_size(a->text, UI_FONT_BOLD, t->font_normal, title, 0).x > w ? w : 0;
        th = ui_text_draw(a->text, UI_FONT_BOLD, t->font_normal, t->text, title, r.x + t->pad,
                          r.y + t->pad / 2, UI_ALIGN_LEFT, wrap)
                 .y;
    }
    SDL_Rect c = {r.x + t->pad, r.y + t->pad / 2 + th + t->pad / 2, r.w - 2 * t->pad,
                  r.h - (t->pad / 2 + th + t->pad / 2) - t->pad / 2};
    return c;
}

int ui_button_width(ui_app *a, const char *label, const char *key)
{
    const ui_theme *t = &a->theme;
    SDL_Point ls = ui_text_size(a->text, UI_FONT_SANS, t->font_normal, label, 0);
    SDL_Point ks = key && *key ? ui_text_size(a->text, UI_FONT_MONO, t->font_small, key, 0) : (SDL_Point){0, 0};
    return ls.x + (ks.x ? ks.x + t->pad : 0) + 2 * t->pad;
}

int ui_button(ui_app *a, int x, int y, int h, const char *label, const char *key,
              ui_action_id act, int arg, bool on)
{
    const ui_theme *t = &a->theme;
    int fs = t->font_small;
    SDL_Point ks = key && *key ? ui_text_size(a->text, UI_FONT_MONO, fs, key, 0) : (SDL_Point){0, 0};
    int w = ui_button_width(a, label, key);
    SDL_Rect r = {x, y, w, h};
    ui_fill(a->ren, r, on ? ui_mix(t->button, t->accent, 0.35f) : t->button);
    ui_frame(a->ren, r, on ? t->accent : t->button_edge, on ? 2 : 1);
    ui_text_draw(a->text, UI_FONT_SANS, t->font_normal, t->text, label, x + t->pad, y + h / 2,
                 UI_ALIGN_MIDDLE, 0);
    if (ks.x)
        ui_text_draw(a->text, UI_FONT_MONO, fs, t->text_dim, key, x + w - t->pad, y + h / 2,
                     UI_ALIGN_RIGHT | UI_ALIGN_MIDDLE, 0);
    ui_hit_add(a, r, act, arg);
    return w;
}

char *ui_fmt_count(size_t n, char *buf, size_t len)
{
    char tmp[32];
    int k = snprintf(tmp, sizeof tmp, "%zu", n);
    size_t o = 0;
    for (int i = 0; i < k && o + 1 < len; i++) {
        if (i > 0 && (k - i) % 3 == 0 && o + 1 < len)
            buf[o++] = ',';
        if (o + 1 < len)
            buf[o++] = tmp[i];
    }
    buf[o] = 0;
    return buf;
}
