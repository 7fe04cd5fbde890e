/* The window's layout at projector and small sizes, the graph's miniature mask, the
 * message log, and the text layout's cost (issue 11 "Classroom use", defect 7; issue 14's
 * quadratic text layout). No display: SDL's dummy driver and the software renderer.
 *
 * What was drawn is read back from the frame report (report.h: panels, text cut or
 * outside its panel, smallest text line) and from pixels, never from the numbers the
 * code under test computed for itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>
#include <SDL_ttf.h>

#include "ui/text.h"

static const char *const words[] = {"dropout", "masks", "units", "of", "the", "frozen", "base",
                                    "a", "gradient", "scale", "Keras", "is", "1/(1-rate)"};

/* n bytes of words separated by single spaces (no newline), NUL-terminated. */
static char *paragraph(size_t n, bool spaces)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    size_t o = 0;
    unsigned k = 7;
    while (o < n) {
        const char *w = words[(k = k * 1103515245u + 12345u) >> 16 & 7];
        for (const char *p = w; *p && o < n; p++)
            s[o++] = *p;
        if (o < n)
            s[o++] = spaces ? ' ' : 'x';
    }
    s[n] = 0;
    return s;
}

typedef struct {
    SDL_Surface *surf;
    SDL_Renderer *ren;
    ui_text *t;
} text_rig;

static void text_rig_open(text_rig *r)
{
    r->surf = SDL_CreateRGBSurfaceWithFormat(0, 640, 480, 32, SDL_PIXELFORMAT_ARGB8888);
    assert_non_null(r->surf);
    r->ren = SDL_CreateSoftwareRenderer(r->surf);
    assert_non_null(r->ren);
    char err[256];
    r->t = ui_text_create(r->ren, err, sizeof err);
    if (!r->t)
        fail_msg("ui_text_create: %s", err);
}

static void text_rig_close(text_rig *r)
{
    ui_text_destroy(r->t);
    SDL_DestroyRenderer(r->ren);
    SDL_FreeSurface(r->surf);
}

/* Work (bytes measured or rendered) to lay out n bytes wrapped at 400 px. */
static unsigned long long layout_work(size_t n, bool spaces, SDL_Point *size)
{
    text_rig r;
    text_rig_open(&r);
    char *s = paragraph(n, spaces);
    unsigned long long w0 = ui_text_work(r.t);
    *size = ui_text_size(r.t, UI_FONT_SANS, 14, s, 400);
    unsigned long long w = ui_text_work(r.t) - w0;
    free(s);
    text_rig_close(&r);
    return w;
}

/* Issue 14: an 800 kB lesson paragraph made `shot` hang (20 lines of 4 kB: 2.6 s, 40:
 * 8.2 s), SDL_ttf's wrapping re-measuring each line from its start for every character.
 * The layout's work now grows linearly: a 1 MB paragraph costs at most a few times its
 * length, and twice the text about twice the work (with words, and as one long word). */
static void test_layout_linear(void **state)
{
    (void)state;
    for (int spaces = 1; spaces >= 0; spaces--) {
        SDL_Point half, full;
        unsigned long long w1 = layout_work(1 << 19, spaces, &half);
        unsigned long long w2 = layout_work(1 << 20, spaces, &full);
        printf("# layout work, %s: 512 KiB %llu bytes measured, 1 MiB %llu (ratio %.2f)\n",
               spaces ? "words" : "one word", w1, w2, (double)w2 / (double)w1);
        assert_true(w2 <= 64ull << 20);
        assert_true((double)w2 / (double)w1 < 2.3);
        /* Lines fill the width and none exceeds it; twice the text, twice the lines. */
        assert_true(full.x <= 400 && full.x > 300);
        double lines = (double)full.y / (double)half.y;
        assert_true(lines > 1.9 && lines < 2.1);
    }
}

/* The lines wrap where a reader expects: the text's single-line width (SDL_ttf's own
 * measurement) over the wrap width is about the number of lines, and drawing a long
 * paragraph into a clipped area renders only the lines that show. */
static void test_layout_lines(void **state)
{
    (void)state;
    text_rig r;
    text_rig_open(&r);
    char *s = paragraph(3000, true);
    TTF_Font *f = TTF_OpenFont("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 14);
    if (!f) {
        const char *dir = getenv("DROPSCOPE_FONT_DIR");
        char p[512];
        snprintf(p, sizeof p, "%s/DejaVuSans.ttf", dir ? dir : ".");
        f = TTF_OpenFont(p, 14);
    }
    assert_non_null(f);
    int one = 0, h = 0;
    assert_int_equal(TTF_SizeUTF8(f, s, &one, &h), 0);
    int skip = TTF_FontLineSkip(f);
    SDL_Point sz = ui_text_size(r.t, UI_FONT_SANS, 14, s, 300);
    int lines = sz.y / skip;
    assert_int_equal(sz.y % skip, 0);
    assert_true(lines >= one / 300 && lines <= one / 300 * 115 / 100 + 1);
    /* A newline always starts a line. */
    SDL_Point two = ui_text_size(r.t, UI_FONT_SANS, 14, "first\nsecond", 0);
    assert_int_equal(two.y, 2 * skip);
    /* 1 MB drawn into a 200-pixel-high clip: a dozen lines rendered, not thousands. */
    char *big = paragraph(1 << 20, true);
    SDL_Rect clip = {0, 0, 400, 200};
    SDL_RenderSetClipRect(r.ren, &clip);
    unsigned long n0 = ui_text_render_count(r.t);
    SDL_Color white = {255, 255, 255, 255};
    SDL_Point d = ui_text_draw(r.t, UI_FONT_SANS, 14, white, big, 0, -5000, 0, 400);
    unsigned long rendered = ui_text_render_count(r.t) - n0;
    assert_true(d.y > 50000);
    assert_true(rendered >= (unsigned long)(200 / skip) && rendered <= (unsigned long)(200 / skip + 2));
    TTF_CloseFont(f);
    free(big);
    free(s);
    text_rig_close(&r);
}

int main(void)
{
    SDL_setenv("SDL_VIDEODRIVER", "dummy", 1);
    if (SDL_Init(SDL_INIT_VIDEO) != 0 || TTF_Init() != 0) {
        fprintf(stderr, "SDL: %s\n", SDL_GetError());
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_linear),
        cmocka_unit_test(test_layout_lines),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    TTF_Quit();
    SDL_Quit();
    return rc;
}
