/* Texture cache for text; see text.h. */
#include "ui/text.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL_ttf.h>

#include "ui/report.h"

#define MAX_SIZES 24
#define EVICT_AFTER 180      /* frames */
#define SOFT_LIMIT 1500      /* entries before eviction looks at recently used ones too */

typedef struct entry {
    struct entry *next;
    uint64_t hash;
    int font, size, wrap;
    SDL_Color c;
    SDL_Texture *tex;        /* NULL: renders to nothing (empty string, failure) */
    int w, h;
    unsigned long used;      /* frame last used */
    char s[];
} entry;

struct ui_text {
    SDL_Renderer *ren;
    char path[UI_FONT_KINDS][512];
    struct {
        int kind, size;
        TTF_Font *font;
    } fonts[MAX_SIZES * UI_FONT_KINDS];
    int n_fonts;
    entry **buckets;
    size_t n_buckets, count;
    unsigned long frame, renders;
    ui_report *report;       /* NULL: nothing recorded */
};

static const char *const font_files[UI_FONT_KINDS] = {
    "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf"};

static int find_font_dir(char *out, size_t n)
{
    const char *dirs[3] = {getenv("DROPSCOPE_FONT_DIR"), "/usr/share/fonts/truetype/dejavu",
                           "/usr/share/fonts/dejavu"};
    for (int i = 0; i < 3; i++) {
        if (!dirs[i] || !*dirs[i])
            continue;
        char p[512];
        snprintf(p, sizeof p, "%s/%s", dirs[i], font_files[0]);
        FILE *f = fopen(p, "rb");
        if (f) {
            fclose(f);
            snprintf(out, n, "%s", dirs[i]);
            return 0;
        }
    }
    return -1;
}

ui_text *ui_text_create(SDL_Renderer *ren, char *err, size_t errlen)
{
    char dir[400];
    if (find_font_dir(dir, sizeof dir) < 0) {
        snprintf(err, errlen,
                 "DejaVu fonts not found in /usr/share/fonts/truetype/dejavu "
                 "(install fonts-dejavu-core, or set DROPSCOPE_FONT_DIR)");
        return NULL;
    }
    ui_text *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    t->ren = ren;
    for (int k = 0; k < UI_FONT_KINDS; k++)
        snprintf(t->path[k], sizeof t->path[k], "%s/%s", dir, font_files[k]);
    t->n_buckets = 2048;
    t->buckets = calloc(t->n_buckets, sizeof *t->buckets);
    if (!t->buckets) {
        free(t);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    /* Open one font now so a broken font file is reported at start, not mid-frame. */
    TTF_Font *probe = TTF_OpenFont(t->path[UI_FONT_SANS], 12);
    if (!probe) {
        snprintf(err, errlen, "%s: %s", t->path[UI_FONT_SANS], TTF_GetError());
        ui_text_destroy(t);
        return NULL;
    }
    TTF_CloseFont(probe);
    return t;
}

static void entry_free(entry *e)
{
    if (e->tex)
        SDL_DestroyTexture(e->tex);
    free(e);
}

void ui_text_destroy(ui_text *t)
{
    if (!t)
        return;
    for (size_t i = 0; t->buckets && i < t->n_buckets; i++) {
        entry *e = t->buckets[i];
        while (e) {
            entry *n = e->next;
            entry_free(e);
            e = n;
        }
    }
    free(t->buckets);
    for (int i = 0; i < t->n_fonts; i++)
        TTF_CloseFont(t->fonts[i].font);
    free(t);
}

static TTF_Font *get_font(ui_text *t, int kind, int size)
{
    for (int i = 0; i < t->n_fonts; i++)
        if (t->fonts[i].kind == kind && t->fonts[i].size == size)
            return t->fonts[i].font;
    if (t->n_fonts == (int)(sizeof t->fonts / sizeof t->fonts[0])) {
        /* Many sizes after many resizes: drop the oldest font and the text made with it. */
        TTF_CloseFont(t->fonts[0].font);
        memmove(&t->fonts[0], &t->fonts[1], (size_t)(t->n_fonts - 1) * sizeof t->fonts[0]);
        t->n_fonts--;
    }
    TTF_Font *f = TTF_OpenFont(t->path[kind], size);
    if (!f)
        return NULL;
    t->fonts[t->n_fonts].kind = kind;
    t->fonts[t->n_fonts].size = size;
    t->fonts[t->n_fonts].font = f;
    t->n_fonts++;
    return f;
}

static uint64_t hash_key(int font, int size, SDL_Color c, int wrap, const char *s)
{
    uint64_t h = 1469598103934665603ull;   /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    uint64_t k = ((uint64_t)font << 56) ^ ((uint64_t)size << 40) ^ ((uint64_t)wrap << 20) ^
                 ((uint64_t)c.r << 16 | (uint64_t)c.g << 8 | c.b);
    return (h ^ (k * 0x9E3779B97F4A7C15ull)) * 1099511628211ull;
}

static entry *lookup(ui_text *t, int font, int size, SDL_Color c, const char *s, int wrap)
{
    if (size < 4)
        size = 4;
    if (size > 200)
        size = 200;
    uint64_t h = hash_key(font, size, c, wrap, s);
    entry **b = &t->buckets[h % t->n_buckets];
    for (entry *e = *b; e; e = e->next) {
        if (e->hash == h && e->font == font && e->size == size && e->wrap == wrap &&
            e->c.r == c.r && e->c.g == c.g && e->c.b == c.b && e->c.a == c.a && !strcmp(e->s, s)) {
            e->used = t->frame;
            return e;
        }
    }
    size_t len = strlen(s);
    entry *e = calloc(1, sizeof *e + len + 1);
    if (!e)
        return NULL;
    memcpy(e->s, s, len + 1);
    e->hash = h;
    e->font = font;
    e->size = size;
    e->wrap = wrap;
    e->c = c;
    e->used = t->frame;
    TTF_Font *f = len ? get_font(t, font, size) : NULL;
    if (f) {
        SDL_Surface *surf = wrap > 0 ? TTF_RenderUTF8_Blended_Wrapped(f, s, c, (Uint32)wrap)
                                     : TTF_RenderUTF8_Blended(f, s, c);
        t->renders++;
        if (surf) {
            e->tex = SDL_CreateTextureFromSurface(t->ren, surf);
            e->w = surf->w;
            e->h = surf->h;
            SDL_FreeSurface(surf);
            if (e->tex)
                SDL_SetTextureBlendMode(e->tex, SDL_BLENDMODE_BLEND);
        }
    }
    e->next = *b;
    *b = e;
    t->count++;
    return e;
}

SDL_Point ui_text_draw(ui_text *t, ui_font_kind f, int size, SDL_Color c, const char *s,
                       int x, int y, int align, int wrap)
{
    SDL_Point p = {0, 0};
    if (!s || !*s)
        return p;
    entry *e = lookup(t, f, size, c, s, wrap);
    if (!e || !e->tex)
        return p;
    SDL_Rect r = {x, y, e->w, e->h};
    if ((align & 3) == UI_ALIGN_CENTER)
        r.x -= e->w / 2;
    else if ((align & 3) == UI_ALIGN_RIGHT)
        r.x -= e->w;
    if (align & UI_ALIGN_MIDDLE)
        r.y -= e->h / 2;
    else if (align & UI_ALIGN_BOTTOM)
        r.y -= e->h;
    SDL_RenderCopy(t->ren, e->tex, NULL, &r);
    if (t->report) {
        TTF_Font *font = get_font(t, f, size < 4 ? 4 : size > 200 ? 200 : size);
        ui_report_text(t->report, font ? TTF_FontHeight(font) : e->h);
    }
    p.x = e->w;
    p.y = e->h;
    return p;
}

SDL_Point ui_text_size(ui_text *t, ui_font_kind f, int size, const char *s, int wrap)
{
    SDL_Point p = {0, 0};
    if (!s || !*s)
        return p;
    SDL_Color white = {255, 255, 255, 255};
    /* Measured without a texture: a measurement is not worth a render. */
    TTF_Font *font = get_font(t, f, size < 4 ? 4 : size > 200 ? 200 : size);
    if (!font)
        return p;
    if (wrap <= 0 && !strchr(s, '\n')) {
        int w = 0, h = 0;
        if (TTF_SizeUTF8(font, s, &w, &h) == 0) {
            p.x = w;
            p.y = h;
        }
        return p;
    }
    entry *e = lookup(t, f, size, white, s, wrap);
    if (e) {
        p.x = e->w;
        p.y = e->h;
    }
    return p;
}

void ui_text_fit(ui_text *t, ui_font_kind f, int size, const char *s, int w, char *out,
                 size_t n)
{
    snprintf(out, n, "%s", s);
    if (w <= 0 || ui_text_size(t, f, size, out, 0).x <= w)
        return;
    size_t len = strlen(out);
    while (len > 0) {
        len--;
        while (len > 0 && ((unsigned char)out[len] & 0xC0) == 0x80)
            len--;   /* stay on a UTF-8 boundary */
        if (len + 4 > n)
            continue;
        memcpy(out + len, "\xe2\x80\xa6", 4);   /* … */
        if (ui_text_size(t, f, size, out, 0).x <= w) {
            ui_report_clip(t->report, s);
            return;
        }
    }
    out[0] = 0;
    ui_report_clip(t->report, s);
}

void ui_text_set_report(ui_text *t, ui_report *r)
{
    t->report = r;
}

void ui_text_end_frame(ui_text *t)
{
    t->frame++;
    if (t->frame % 60 != 0 && t->count < SOFT_LIMIT)
        return;
    unsigned long age = t->count < SOFT_LIMIT ? EVICT_AFTER : 2;
    for (size_t i = 0; i < t->n_buckets; i++) {
        entry **pp = &t->buckets[i];
        while (*pp) {
            entry *e = *pp;
            if (t->frame - e->used > age) {
                *pp = e->next;
                entry_free(e);
                t->count--;
            } else {
                pp = &e->next;
            }
        }
    }
}

unsigned long ui_text_render_count(const ui_text *t)
{
    return t->renders;
}
