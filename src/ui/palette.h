/* The palette a clip (dropscope film, the window's recording) is drawn in: the theme's
 * colours, each blended with the background and the panel in steps (text is
 * anti-aliased), the mask grid's ramp and a grey ramp (the batch's images). */
#ifndef UI_PALETTE_H
#define UI_PALETTE_H

#include <stdint.h>

#include "ui/theme.h"

#define UI_PALETTE_MAX 256

/* Fills pal with up to UI_PALETTE_MAX distinct 0xRRGGBB colours taken from t, the
 * theme's own colours first; returns how many (never fails). */
int ui_palette_from_theme(const ui_theme *t, uint32_t pal[UI_PALETTE_MAX]);

#endif
