/* Text through SDL2_ttf, rendered once per change: every (string, font, size, colour,
 * wrap width) becomes a texture kept in a cache and copied each frame. Entries unused
 * for a while are evicted at the end of a frame. Fonts: DejaVu Sans / Sans Mono from
 * fonts-dejavu-core (DROPSCOPE_FONT_DIR overrides the directory). */
#ifndef UI_TEXT_H
#define UI_TEXT_H

#include <stddef.h>
#include <SDL.h>

typedef enum { UI_FONT_SANS = 0, UI_FONT_BOLD, UI_FONT_MONO, UI_FONT_KINDS } ui_font_kind;

enum {
    UI_ALIGN_LEFT = 0,
    UI_ALIGN_CENTER = 1,
    UI_ALIGN_RIGHT = 2,
    UI_ALIGN_MIDDLE = 4,   /* vertical centre on y */
    UI_ALIGN_BOTTOM = 8,
};

typedef struct ui_text ui_text;

/* Opens the fonts (TTF_Init must have been called). NULL with the font path in err. */
ui_text *ui_text_create(SDL_Renderer *ren, char *err, size_t errlen);
void ui_text_destroy(ui_text *t);   /* NULL is fine */
/* Draws s with its anchor at (x, y); wrap > 0 wraps lines at wrap pixels (at spaces; a
 * word wider than that is cut), a newline always starts a line. Only lines inside the
 * renderer's clip rect (or output) are rendered, so a long paragraph costs what shows.
 * Returns the whole text's size (0, 0 for an empty string or a render failure). */
SDL_Point ui_text_draw(ui_text *t, ui_font_kind f, int size, SDL_Color c, const char *s,
                       int x, int y, int align, int wrap);
/* Size s would have, without drawing (uses the same cache). */
SDL_Point ui_text_size(ui_text *t, ui_font_kind f, int size, const char *s, int wrap);
/* Largest prefix of s (ending at a character boundary) that fits in w pixels, with an
 * ellipsis added when cut; written to out. */
void ui_text_fit(ui_text *t, ui_font_kind f, int size, const char *s, int w, char *out,
                 size_t n);
/* Draws the first of the n candidate texts (most to least complete) that fits in w; the
 * last is cut to fit (ui_text_fit) when none does. Returns the drawn width. */
int ui_text_draw_first_fit(ui_text *t, ui_font_kind f, int size, SDL_Color c,
                           const char *const *cand, int n, int x, int y, int align, int w);
struct ui_report;
/* Records drawn line heights and text cut by ui_text_fit into r (NULL: stop). */
void ui_text_set_report(ui_text *t, struct ui_report *r);
/* End of a frame: evicts entries unused for many frames. */
void ui_text_end_frame(ui_text *t);
/* Bytes of text measured or rendered so far: the work text layout did (tests bound it
 * to show layout runs in time linear in the text). */
unsigned long long ui_text_work(const ui_text *t);
/* Number of TTF renders done so far (tests check text is not re-rendered per frame). */
unsigned long ui_text_render_count(const ui_text *t);

#endif
