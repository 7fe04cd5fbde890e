/* A clip's palette from the theme. */
#include "ui/palette.h"

#include <stdbool.h>

static uint32_t rgb_of(SDL_Color c)
{
    return (uint32_t)c.r << 16 | (uint32_t)c.g << 8 | c.b;
}

/* Adds c unless it is there already or pal is full. */
static void add(uint32_t *pal, int *n, SDL_Color c)
{
    uint32_t v = rgb_of(c);
    for (int i = 0; i < *n; i++)
        if (pal[i] == v)
            return;
    if (*n < UI_PALETTE_MAX)
        pal[(*n)++] = v;
}

int ui_palette_from_theme(const ui_theme *t, uint32_t pal[UI_PALETTE_MAX])
{
    const SDL_Color cols[] = {t->bg, t->panel, t->panel_edge, t->text, t->text_dim, t->accent,
                              t->box, t->box_edge, t->box_selected, t->hatch, t->padlock, t->train,
                              t->val, t->cell_lo, t->cell_hi, t->cell_dropped, t->cross, t->bar,
                              t->bar_frozen, t->good, t->bad, t->button, t->button_edge,
                              ui_rgb(UI_OI_BLACK), ui_rgb(0xFFFFFF), ui_rgb(UI_OI_ORANGE),
                              ui_rgb(UI_OI_SKY), ui_rgb(UI_OI_GREEN), ui_rgb(UI_OI_YELLOW),
                              ui_rgb(UI_OI_BLUE), ui_rgb(UI_OI_VERMILLION), ui_rgb(UI_OI_PURPLE)};
    const int nc = (int)(sizeof cols / sizeof cols[0]);
    int n = 0;
    for (int i = 0; i < nc; i++)
        add(pal, &n, cols[i]);
    /* the mask grid's ramp (activation 0 .. max) and the images' greys */
    for (int k = 1; k < 24; k++)
        add(pal, &n, ui_mix(t->cell_lo, t->cell_hi, k / 24.0f));
    for (int k = 1; k < 16; k++)
        add(pal, &n, ui_mix(ui_rgb(0x000000), ui_rgb(0xFFFFFF), k / 16.0f));
    /* anti-aliased edges: each colour over the background and over a panel */
    const SDL_Color under[] = {t->bg, t->panel, t->box};
    for (int u = 0; u < 3; u++)
        for (int i = 0; i < nc; i++)
            for (int k = 1; k < 4; k++)
                add(pal, &n, ui_mix(under[u], cols[i], k / 4.0f));
    return n;
}
