/* Drawing helpers shared by the views (draw.c): lines, hatching, the padlock, arrows,
 * panels, buttons. Plain SDL_Renderer calls, so the software renderer draws them too.
 * Those taking the app draw with a->ren and a->theme; buttons also register their hit
 * in a->layout. Nothing here fails or allocates. */
#ifndef UI_DRAW_H
#define UI_DRAW_H

#include <stdbool.h>
#include <stddef.h>
#include <SDL.h>

#include "ui/state.h"

/* Registers a clickable region (dropped once a->layout holds UI_MAX_HITS). */
void ui_hit_add(ui_app *a, SDL_Rect r, ui_action_id act, int arg);
void ui_color(SDL_Renderer *ren, SDL_Color c);
void ui_fill(SDL_Renderer *ren, SDL_Rect r, SDL_Color c);
void ui_frame(SDL_Renderer *ren, SDL_Rect r, SDL_Color c, int thick);
void ui_line(SDL_Renderer *ren, int x0, int y0, int x1, int y1, SDL_Color c, int thick);
void ui_hatch(SDL_Renderer *ren, SDL_Rect r, SDL_Color c, int spacing);
void ui_padlock(SDL_Renderer *ren, SDL_Rect r, SDL_Color body, SDL_Color hole);
void ui_arrow(SDL_Renderer *ren, int x0, int y0, int x1, int y1, SDL_Color c, int thick,
              int head);
/* Draws a panel with a title (wrapped when wider than the panel); returns the content
 * rect below the title. */
SDL_Rect ui_panel(ui_app *a, SDL_Rect r, const char *title);
/* The width ui_button would take. */
int ui_button_width(ui_app *a, const char *label, const char *key);
/* A button: draws, registers the hit, returns its width. */
int ui_button(ui_app *a, int x, int y, int h, const char *label, const char *key,
              ui_action_id act, int arg, bool on);
/* Formats n with thousands separators ("19,268,096") into buf; returns buf. */
char *ui_fmt_count(size_t n, char *buf, size_t len);

#endif
