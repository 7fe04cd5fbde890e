/* Texture cache for text; see text.h. */
#include "ui/text.h"

#include <stdbool.h>
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
    bool multi;              /* laid out in lines (wrapped or with newlines): no texture */
    int n_lines, cap_lines, line_h;
    size_t *line_start, *line_len;   /* byte offsets of each line in s */
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
    unsigned long long work; /* bytes measured or rendered (ui_text_work) */
    char *scratch;           /* a line being measured, NUL-terminated */
    size_t scratch_cap;
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
    free(e->line_start);
    free(e->line_len);
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
    free(t->scratch);
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

/* ---- line layout ----
 * Wrapped text (and text with newlines) is broken into lines here, in time linear in its
 * length: each candidate line is measured as it grows, and a line never holds more than
 * the width can show, so the bytes measured per line are bounded by the width. Only the
 * lines inside the visible area are rendered, each as its own cached texture (SDL_ttf's
 * own wrapping re-measures from the line start for every character, and one texture for
 * a long paragraph exceeds any texture size limit). */

/* Width of s[0..n) in font f; counts the bytes measured. */
static int measure(ui_text *t, TTF_Font *f, const char *s, size_t n)
{
    if (n == 0)
        return 0;
    if (n + 1 > t->scratch_cap) {
        size_t cap = (n + 1) * 2;
        char *b = realloc(t->scratch, cap);
        if (!b)
            return 1 << 30;
        t->scratch = b;
        t->scratch_cap = cap;
    }
    memcpy(t->scratch, s, n);
    t->scratch[n] = 0;
    t->work += n;
    int w = 0, h = 0;
    if (TTF_SizeUTF8(f, t->scratch, &w, &h) != 0)
        return 1 << 30;
    return w;
}

static int push_line(entry *e, size_t start, size_t len)
{
    if (e->n_lines == e->cap_lines) {
        int cap = e->cap_lines ? e->cap_lines * 2 : 8;
        size_t *ns = realloc(e->line_start, (size_t)cap * sizeof *ns);
        if (!ns)
            return -1;
        e->line_start = ns;
        size_t *nl = realloc(e->line_len, (size_t)cap * sizeof *nl);
        if (!nl)
            return -1;
        e->line_len = nl;
        e->cap_lines = cap;
    }
    e->line_start[e->n_lines] = start;
    e->line_len[e->n_lines] = len;
    e->n_lines++;
    return 0;
}

static size_t utf8_back(const char *s, size_t i)
{
    while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
        i--;
    return i;
}

/* Longest prefix of s[0..n) (at a character boundary, at least one character) that fits
 * in w: a binary search, O(n log n) for a prefix n bounded by the width. */
static size_t fit_prefix(ui_text *t, TTF_Font *f, const char *s, size_t n, int w)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = utf8_back(s, (lo + hi + 1) / 2);
        if (mid <= lo) {
            size_t nx = lo + 1;
            while (nx < n && ((unsigned char)s[nx] & 0xC0) == 0x80)
                nx++;
            if (nx > hi || measure(t, f, s, nx) > w)
                break;
            lo = nx;
            continue;
        }
        if (measure(t, f, s, mid) <= w)
            lo = mid;
        else
            hi = mid - 1;
    }
    if (lo == 0) {   /* not even one character fits: take one anyway */
        lo = 1;
        while (lo < n && ((unsigned char)s[lo] & 0xC0) == 0x80)
            lo++;
    }
    return lo;
}

/* Breaks one paragraph s[0..n) (no newline in it) into lines of at most w pixels. */
static int wrap_paragraph(ui_text *t, TTF_Font *f, entry *e, size_t base, const char *s,
                          size_t n, int w)
{
    /* No line can hold more bytes than this (every glyph is at least a pixel wide, a
     * character at most 4 bytes): longer candidates are known not to fit unmeasured. */
    size_t cap = (size_t)w * 4 + 16;
    size_t i = 0;
    if (n == 0)
        return push_line(e, base, 0);
    while (i < n) {
        size_t end = i, good = i;   /* good: end of the last word that fitted */
        while (end < n) {
            size_t we = end;
            while (we < n && s[we] == ' ')
                we++;
            while (we < n && s[we] != ' ')
                we++;
            if (we - i > cap || measure(t, f, s + i, we - i) > w)
                break;
            good = end = we;
        }
        if (good == i) {   /* one word wider than the line: cut it */
            size_t we = i;
            while (we < n && s[we] != ' ')
                we++;
            size_t lim = we - i < cap ? we - i : cap;
            good = i + fit_prefix(t, f, s + i, lim, w);
        }
        if (push_line(e, base + i, good - i) < 0)
            return -1;
        i = good;
        while (i < n && s[i] == ' ')
            i++;
    }
    return 0;
}

/* Fills e's lines for its string: paragraphs at newlines, each wrapped at wrap (> 0). */
static void layout_lines(ui_text *t, TTF_Font *f, entry *e)
{
    const char *s = e->s;
    size_t n = strlen(s), i = 0;
    int maxw = 0;
    for (;;) {
        const char *nl = memchr(s + i, '\n', n - i);
        size_t pe = nl ? (size_t)(nl - s) : n;
        int first = e->n_lines;
        if (e->wrap > 0) {
            if (wrap_paragraph(t, f, e, i, s + i, pe - i, e->wrap) < 0)
                break;
        } else if (push_line(e, i, pe - i) < 0) {
            break;
        }
        for (int k = first; k < e->n_lines; k++) {
            int lw = measure(t, f, s + e->line_start[k], e->line_len[k]);
            if (lw > maxw && lw < (1 << 30))
                maxw = lw;
        }
        if (!nl)
            break;
        i = pe + 1;
    }
    e->line_h = TTF_FontLineSkip(f);
    e->w = maxw;
    e->h = e->n_lines * e->line_h;
}

static bool multi_line(const char *s, int wrap)
{
    return wrap > 0 || strchr(s, '\n');
}

static entry *lookup(ui_text *t, int font, int size, SDL_Color c, const char *s, int wrap)
{
    if (size < 4)
        size = 4;
    if (size > 200)
        size = 200;
    bool multi = multi_line(s, wrap);
    if (multi)   /* a layout holds no pixels: one per colour would be waste */
        c = (SDL_Color){0, 0, 0, 0};
    if (c.a == 0)   /* invisible: measured only */
        c = (SDL_Color){0, 0, 0, 0};
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
    e->multi = multi;
    TTF_Font *f = len ? get_font(t, font, size) : NULL;
    if (f && multi) {
        layout_lines(t, f, e);
    } else if (f && c.a == 0) {   /* a measurement only (ui_text_size): no pixels */
        int w = 0, h = 0;
        t->work += len;
        if (TTF_SizeUTF8(f, s, &w, &h) == 0) {
            e->w = w;
            e->h = h;
        }
    } else if (f) {
        SDL_Surface *surf = TTF_RenderUTF8_Blended(f, s, c);
        t->renders++;
        t->work += len;
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

/* The area text can show in: the clip rect when one is set, else the whole output. */
static SDL_Rect visible_area(ui_text *t, bool *clipped)
{
    SDL_Rect v = {0, 0, 0, 0};
    *clipped = SDL_RenderIsClipEnabled(t->ren);
    if (*clipped) {
        SDL_RenderGetClipRect(t->ren, &v);
        return v;
    }
    SDL_GetRendererOutputSize(t->ren, &v.w, &v.h);
    return v;
}

/* Records a drawn line: its height, and whether it left the panel being drawn (text
 * scrolled out of a clip rect is hidden on purpose, not cut). */
static void report_line(ui_text *t, int font_h, SDL_Rect r, bool clipped, const char *s)
{
    ui_report *rep = t->report;
    ui_report_text(rep, font_h);
    if (clipped)
        return;
    for (int i = 0; i < rep->n_panels; i++) {
        if (strcmp(rep->panels[i].name, rep->cur_panel) != 0)
            continue;
        SDL_Rect p = rep->panels[i].rect, u;
        if (!SDL_IntersectRect(&p, &r, &u) || u.w != r.w || u.h != r.h)
            ui_report_clip(rep, s);
        return;
    }
}

static void draw_lines(ui_text *t, entry *e, int f, int size, SDL_Color c, SDL_Rect box)
{
    bool clipped;
    SDL_Rect vis = visible_area(t, &clipped);
    TTF_Font *font = t->report ? get_font(t, f, size < 4 ? 4 : size > 200 ? 200 : size) : NULL;
    int first = 0;
    if (vis.y > box.y && e->line_h > 0)
        first = (vis.y - box.y) / e->line_h;
    char small[256];
    for (int k = first; k < e->n_lines; k++) {
        int y = box.y + k * e->line_h;
        if (y >= vis.y + vis.h)
            break;
        size_t n = e->line_len[k];
        if (n == 0)
            continue;
        char *line = n < sizeof small ? small : malloc(n + 1);
        if (!line)
            continue;
        memcpy(line, e->s + e->line_start[k], n);
        line[n] = 0;
        entry *le = lookup(t, f, size, c, line, 0);
        if (le && le->tex) {
            SDL_Rect r = {box.x, y, le->w, le->h};
            SDL_RenderCopy(t->ren, le->tex, NULL, &r);
            if (t->report)
                report_line(t, font ? TTF_FontHeight(font) : le->h, r, clipped, line);
        }
        if (line != small)
            free(line);
    }
}

SDL_Point ui_text_draw(ui_text *t, ui_font_kind f, int size, SDL_Color c, const char *s,
                       int x, int y, int align, int wrap)
{
    SDL_Point p = {0, 0};
    if (!s || !*s)
        return p;
    entry *e = lookup(t, f, size, c, s, wrap);
    if (!e || (!e->tex && !e->multi))
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
    if (e->multi) {
        draw_lines(t, e, f, size, c, r);
    } else {
        SDL_RenderCopy(t->ren, e->tex, NULL, &r);
        if (t->report) {
            bool clipped;
            visible_area(t, &clipped);
            TTF_Font *font = get_font(t, f, size < 4 ? 4 : size > 200 ? 200 : size);
            report_line(t, font ? TTF_FontHeight(font) : e->h, r, clipped, s);
        }
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
    /* Measured without a texture: a measurement is not worth a render. */
    TTF_Font *font = get_font(t, f, size < 4 ? 4 : size > 200 ? 200 : size);
    if (!font)
        return p;
    /* Kept like a texture but without one (colour alpha 0): the views measure the same
     * strings every frame, and shaping them each time cost milliseconds. */
    SDL_Color none = {0, 0, 0, 0};
    entry *e = lookup(t, f, size, none, s, wrap);
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

int ui_text_draw_first_fit(ui_text *t, ui_font_kind f, int size, SDL_Color c,
                           const char *const *cand, int n, int x, int y, int align, int w)
{
    for (int i = 0; i < n; i++)
        if (ui_text_size(t, f, size, cand[i], 0).x <= w)
            return ui_text_draw(t, f, size, c, cand[i], x, y, align, 0).x;
    char fit[256];
    ui_text_fit(t, f, size, cand[n - 1], w, fit, sizeof fit);
    return ui_text_draw(t, f, size, c, fit, x, y, align, 0).x;
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

unsigned long long ui_text_work(const ui_text *t)
{
    return t->work;
}
