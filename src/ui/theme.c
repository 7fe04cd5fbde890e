/* Palettes: see theme.h. */
#include "ui/theme.h"

#include <math.h>

SDL_Color ui_rgb(unsigned hex)
{
    SDL_Color c = {(Uint8)(hex >> 16), (Uint8)(hex >> 8), (Uint8)hex, 255};
    return c;
}

SDL_Color ui_mix(SDL_Color a, SDL_Color b, float f)
{
    if (f < 0)
        f = 0;
    if (f > 1)
        f = 1;
    SDL_Color c = {(Uint8)(a.r + (b.r - a.r) * f + 0.5f), (Uint8)(a.g + (b.g - a.g) * f + 0.5f),
                   (Uint8)(a.b + (b.b - a.b) * f + 0.5f), 255};
    return c;
}

/* Point size whose DejaVu line is at least px pixels high (DejaVu's line is 1.164 em,
 * rounded up; 1.16 leaves a margin). */
static int size_for_line(int px)
{
    return (int)ceilf((float)px / 1.16f);
}

void ui_theme_make(ui_theme *t, bool presenter, int h)
{
    int small;
    if (presenter) {
        /* A projected screen read from the back of a room: every line of text at least
         * 1/30 of the window's height (36 px at 1080p), the smallest size included. */
        t->min_line = (h + 29) / 30;
        small = size_for_line(t->min_line);
        t->font_small = small;
        t->font_normal = small + small / 10;
        t->font_large = small * 5 / 4;
        t->font_title = small * 3 / 2;
        t->pad = small / 3;
        t->line = 2;
    } else {
        /* Type grows a little with tall windows so a 1080p desk screen stays legible. */
        float s = h > 900 ? (float)h / 900.0f : 1.0f;
        t->min_line = 0;
        small = (int)(12 * s + 0.5f);
        t->font_small = small;
        t->font_normal = (int)(14 * s + 0.5f);
        t->font_large = (int)(17 * s + 0.5f);
        t->font_title = (int)(20 * s + 0.5f);
        t->pad = (int)(8 * s + 0.5f);
        t->line = 1;
    }
    t->presenter = presenter;
    t->scale = (float)small / 12.0f;   /* lengths drawn beside the type grow with it */

    if (!presenter) {
        t->bg = ui_rgb(0x15181d);
        t->panel = ui_rgb(0x1e232a);
        t->panel_edge = ui_rgb(0x39414c);
        t->text = ui_rgb(0xe8eaed);
        t->text_dim = ui_rgb(0x9aa3ad);
        t->box = ui_rgb(0x2a313a);
        t->box_edge = ui_rgb(0x6b7785);
        t->hatch = ui_rgb(0x56606c);
        t->cell_lo = ui_rgb(0x2b3a4a);
        t->button = ui_rgb(0x2a313a);
        t->button_edge = ui_rgb(0x56606c);
    } else {
        /* High contrast: pure black, white type, brighter edges. */
        t->bg = ui_rgb(0x000000);
        t->panel = ui_rgb(0x000000);
        t->panel_edge = ui_rgb(0xbfbfbf);
        t->text = ui_rgb(0xffffff);
        t->text_dim = ui_rgb(0xd0d0d0);
        t->box = ui_rgb(0x101010);
        t->box_edge = ui_rgb(0xffffff);
        t->hatch = ui_rgb(0x8a8a8a);
        t->cell_lo = ui_rgb(0x203a55);
        t->button = ui_rgb(0x101010);
        t->button_edge = ui_rgb(0xffffff);
    }
    t->accent = ui_rgb(UI_OI_SKY);
    t->box_selected = ui_rgb(UI_OI_YELLOW);
    t->padlock = ui_rgb(UI_OI_ORANGE);
    t->train = ui_rgb(UI_OI_SKY);
    t->val = ui_rgb(UI_OI_ORANGE);
    t->cell_hi = ui_rgb(0xf4f8ff);
    t->cell_dropped = ui_rgb(0x050505);
    t->cross = ui_rgb(UI_OI_VERMILLION);
    t->bar = ui_rgb(UI_OI_GREEN);
    t->bar_frozen = ui_rgb(UI_OI_ORANGE);
    t->good = ui_rgb(UI_OI_GREEN);
    t->bad = ui_rgb(UI_OI_VERMILLION);
}
