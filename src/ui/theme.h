/* Colours and type sizes. One palette for the desk (dark, Okabe-Ito accents) and one for
 * presenter mode (black, white, larger type, thicker lines). Okabe-Ito colours are
 * distinguishable with every common colour-vision deficiency; beyond that nothing is
 * told by colour alone (frozen = padlock + hatching + text, dropped = cross). */
#ifndef UI_THEME_H
#define UI_THEME_H

#include <stdbool.h>
#include <SDL.h>

/* Okabe-Ito */
#define UI_OI_BLACK      0x000000
#define UI_OI_ORANGE     0xE69F00
#define UI_OI_SKY        0x56B4E9
#define UI_OI_GREEN      0x009E73
#define UI_OI_YELLOW     0xF0E442
#define UI_OI_BLUE       0x0072B2
#define UI_OI_VERMILLION 0xD55E00
#define UI_OI_PURPLE     0xCC79A7

typedef struct {
    bool presenter;
    float scale;            /* type and line scale: 1 at the desk, larger when presenting */
    int font_small, font_normal, font_large, font_title;
    int min_line;           /* presenter: smallest line of text allowed, px (h/30); 0 */
    int pad;                /* panel padding */
    int line;               /* line thickness */
    SDL_Color bg, panel, panel_edge, text, text_dim, accent;
    SDL_Color box, box_edge, box_selected, hatch, padlock;
    SDL_Color train, val;           /* curves: train solid, validation dashed with markers */
    SDL_Color cell_lo, cell_hi;     /* kept units: activation 0 .. max */
    SDL_Color cell_dropped, cross;  /* dropped units: dark with a cross */
    SDL_Color bar, bar_frozen, good, bad, button, button_edge;
} ui_theme;

/* Fills t for desk or presenter mode, sizes scaled for a window of height h. In
 * presenter mode every size makes a line of at least h/30 pixels (t->min_line). */
void ui_theme_make(ui_theme *t, bool presenter, int h);
SDL_Color ui_rgb(unsigned hex);
SDL_Color ui_mix(SDL_Color a, SDL_Color b, float f);   /* f=0: a, f=1: b */

#endif
