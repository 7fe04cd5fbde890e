/* Top bar: what is running (step, mode, speed, seed, learning rate, history position)
 * and a button for every action a mouse user needs; F1 shows the keys. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ui/draw.h"
#include "ui/report.h"
#include "ui/views.h"

typedef struct {
    const char *label;
    ui_action_id act;
    int arg;
    bool on;
    int rank;               /* which go first when the row is short: higher goes first */
} spec;

/* The status line from its parts, the least needed left out until it fits in w. */
static void status_text(ui_app *a, int w, char *out, size_t n)
{
    const ui_theme *t = &a->theme;
    char part[7][96];
    int rank[7] = {7, 6, 5, 4, 3, 2, 1};   /* step, mode, looking back, state, rate, lr, seed */
    ui_status_step(a, part[0], sizeof part[0]);
    ui_status_mode(a, part[1], sizeof part[1]);
    if (a->history_back > 0)
        snprintf(part[2], sizeof part[2], "LOOKING BACK %d (End: live)", a->history_back);
    else
        part[2][0] = 0;
    ui_status_state(a, part[3], sizeof part[3]);
    int d = ui_dropout_index(a);
    if (d >= 0)
        snprintf(part[4], sizeof part[4], "rate %.2f", (double)a->graph.layers[d].rate);
    else
        part[4][0] = 0;
    snprintf(part[5], sizeof part[5], "lr %.3g", (double)a->graph.lr);
    snprintf(part[6], sizeof part[6], "seed %llu", (unsigned long long)a->graph.seed);
    for (int drop = 0; drop <= 7; drop++) {
        size_t o = 0;
        out[0] = 0;
        for (int i = 0; i < 7; i++)
            if (part[i][0] && rank[i] > drop)
                o += (size_t)snprintf(out + o, o < n ? n - o : 0, "%s%s", o ? "  |  " : "", part[i]);
        if (ui_text_size(a->text, UI_FONT_SANS, t->font_normal, out, 0).x <= w)
            return;
    }
}

/* Buttons from x, as many as fit in w (the lowest ranks left out first, key hints
 * before any); returns the width used. */
static int draw_buttons(ui_app *a, spec *s, int n, int x, int y, int h, int w)
{
    const ui_theme *t = &a->theme;
    bool keep[32];
    bool keys = true;
    for (int drop = -1; drop <= 32; drop++) {   /* -1: all, with key hints */
        keys = drop < 0;
        int total = 0;
        for (int i = 0; i < n; i++) {
            keep[i] = s[i].rank > drop;
            if (keep[i])
                total += ui_button_width(a, s[i].label, keys ? ui_key_label(s[i].act) : "") + t->pad / 2;
        }
        if (total <= w)
            break;
    }
    int x0 = x;
    for (int i = 0; i < n; i++)
        if (keep[i])
            x += ui_button(a, x, y, h, s[i].label, keys ? ui_key_label(s[i].act) : "", s[i].act,
                           s[i].arg, s[i].on) + t->pad / 2;
    return x - x0;
}

/* The row of tabs over the place panels share (layout tabs): one per panel, the one
 * shown lit, Tab to move on. */
static void draw_tabs(ui_app *a)
{
    const ui_theme *t = &a->theme;
    const ui_layout *L = &a->layout;
    static const char *const names[UI_TABS] = {"Lesson", "Metrics", "Weight change", "Batch"};
    static const char *const brief[UI_TABS] = {"Lesson", "Metrics", "Weights", "Batch"};
    if (L->n_tabs == 0 || L->tabs.w <= 0)
        return;
    ui_report_panel(a->report, "tabs", L->tabs, a->cur ? a->cur->step : 0);
    ui_fill(a->ren, L->tabs, t->bg);
    const char *const *lab = names;
    const char *key = "Tab";
    bool one = false;   /* too narrow for all: the one shown, and Tab for the next */
    for (int form = 0; form < 5; form++) {
        int need = 0;
        for (int i = 0; i < L->n_tabs; i++)
            if (!one || L->tab_list[i] == L->tab_shown)
                need += ui_button_width(a, lab[L->tab_list[i]], "") + t->pad / 2;
        need += ui_text_size(a->text, UI_FONT_MONO, t->font_small, key, 0).x + t->pad;
        if (need <= L->tabs.w - t->pad)
            break;
        lab = brief;   /* full names, then brief, without the key hint, one tab alone */
        key = form == 1 || form == 3 ? "" : "Tab";
        one = form >= 2;
    }
    int h = L->tabs.h - t->pad / 2, x = L->tabs.x + t->pad / 2, y = L->tabs.y + t->pad / 4;
    for (int i = 0; i < L->n_tabs; i++) {
        ui_tab k = L->tab_list[i];
        a->layout.tab_rects[i] = (SDL_Rect){0, 0, 0, 0};
        if (one && k != L->tab_shown)
            continue;
        a->layout.tab_rects[i] = (SDL_Rect){x, y, ui_button_width(a, lab[k], ""), h};
        /* the one tab shown alone moves on when clicked, as Tab does */
        x += ui_button(a, x, y, h, lab[k], "", one ? UI_ACT_NEXT_PANEL : UI_ACT_SHOW_PANEL, (int)k,
                       k == L->tab_shown) + t->pad / 2;
    }
    if (key[0])
        ui_text_draw(a->text, UI_FONT_MONO, t->font_small, t->text_dim, one ? "Tab: next" : key,
                     L->tabs.x + L->tabs.w - t->pad, y + h / 2, UI_ALIGN_RIGHT | UI_ALIGN_MIDDLE, 0);
}

/* The current message, whole: wrapped in a box at the foot of the window, for its 4
 * seconds (L shows it again, with the ones before it). */
static void draw_message(ui_app *a)
{
    const ui_theme *t = &a->theme;
    a->layout.message = (SDL_Rect){0, 0, 0, 0};
    if (!a->message[0] || SDL_TICKS_PASSED(SDL_GetTicks(), a->message_until) || a->show_log)
        return;
    int w = a->w * 60 / 100;
    if (w < 300 && a->w >= 300)
        w = a->w - 2 * t->pad;
    SDL_Point s = ui_text_size(a->text, UI_FONT_SANS, t->font_normal, a->message, w - 2 * t->pad);
    SDL_Rect r = {(a->w - w) / 2, a->h - s.y - 3 * t->pad, w, s.y + 2 * t->pad};
    a->layout.message = r;
    ui_report_panel(a->report, "message", r, a->cur ? a->cur->step : 0);
    ui_fill(a->ren, r, t->panel);
    ui_frame(a->ren, r, t->val, 2 * t->line);
    ui_text_draw(a->text, UI_FONT_SANS, t->font_normal, t->val, a->message, r.x + t->pad, r.y + t->pad,
                 0, w - 2 * t->pad);
}

/* L: the notes (what the import did not read, the session's), kept whole for the
 * session, then the recent messages, newest first, each whole, with the step it was
 * said at. */
static void draw_log(ui_app *a)
{
    const ui_theme *t = &a->theme;
    if (!a->show_log)
        return;
    SDL_Rect r = {a->w / 10, a->layout.bar.y + a->layout.bar.h + t->pad, a->w * 8 / 10,
                  a->h - a->layout.bar.h - 2 * t->pad};
    ui_report_panel(a->report, "log", r, a->cur ? a->cur->step : 0);
    SDL_Rect c = ui_panel(a, r, a->n_notes ? "Notes and recent messages (L or Esc to close)"
                                           : "Recent messages (L or Esc to close)");
    ui_frame(a->ren, r, t->accent, 2);
    ui_hit_add(a, r, UI_ACT_MESSAGE_LOG, 0);
    SDL_RenderSetClipRect(a->ren, &c);
    int y = c.y;
    if (a->n_notes > 0) {
        y += ui_text_draw(a->text, UI_FONT_BOLD, t->font_normal, t->text, "Notes", c.x, y, 0, c.w).y;
        int bw = ui_text_size(a->text, UI_FONT_SANS, t->font_normal, "\xe2\x80\xa2 ", 0).x;
        for (int k = 0; k < a->n_notes && y < c.y + c.h; k++) {
            ui_text_draw(a->text, UI_FONT_SANS, t->font_normal, t->text_dim, "\xe2\x80\xa2", c.x, y, 0, 0);
            y += ui_text_draw(a->text, UI_FONT_SANS, t->font_normal, t->text, a->notes[k].text, c.x + bw, y,
                              0, c.w - bw).y + t->pad / 4;
        }
        ui_report_panel(a->report, "notes", (SDL_Rect){c.x, c.y, c.w, y - c.y}, a->cur ? a->cur->step : 0);
        y += t->pad;
        y += ui_text_draw(a->text, UI_FONT_BOLD, t->font_normal, t->text, "Recent messages", c.x, y, 0, c.w).y;
    }
    if (a->n_log == 0)
        ui_text_draw(a->text, UI_FONT_SANS, t->font_normal, t->text_dim, "No messages yet.", c.x, y, 0, c.w);
    char step[48];
    for (int k = 0; k < a->n_log && y < c.y + c.h; k++) {
        const ui_log_entry *e = ui_log_get(a, k);
        snprintf(step, sizeof step, "step %ld", e->step);
        int sw = ui_text_draw(a->text, UI_FONT_MONO, t->font_small, t->text_dim, step, c.x, y, 0, 0).x;
        int sx = c.x + sw + t->pad;
        y += ui_text_draw(a->text, UI_FONT_SANS, t->font_normal, k == 0 ? t->text : t->text_dim, e->text,
                          sx, y, 0, c.x + c.w - sx).y + t->pad / 2;
    }
    SDL_RenderSetClipRect(a->ren, NULL);
}

void ui_bar_view_draw(ui_app *a, SDL_Rect r)
{
    const ui_theme *t = &a->theme;
    ui_report_panel(a->report, "bar", r, a->cur ? a->cur->step : 0);
    char buf[256], title[200];
    ui_fill(a->ren, r, t->panel);
    ui_line(a->ren, r.x, r.y + r.h - 1, r.x + r.w, r.y + r.h - 1, t->panel_edge, 1);
    int row = t->font_normal * 6 / 5 + 2 * t->pad;
    int y1 = r.y + row / 2 + t->pad / 4;
    bool frozen_sel = a->selected >= 0 && a->selected < a->graph.n && a->graph.layers[a->selected].frozen;
    spec s[] = {
        {a->playing ? "\xe2\x9d\x9a\xe2\x9d\x9a Pause" : "\xe2\x96\xb6 Play", UI_ACT_PLAY, 0, a->playing, 20},
        {"Step", UI_ACT_STEP, 0, false, 19},
        {"Slower", UI_ACT_SLOWER, 0, false, 9},
        {"Faster", UI_ACT_FASTER, 0, false, 10},
        {a->graph.training ? "Training" : "Inference", UI_ACT_MODE, 0, !a->graph.training, 18},
        {frozen_sel ? "Unfreeze" : "Freeze", UI_ACT_FREEZE, 0, false, 16},
        {"Rate-", UI_ACT_RATE_DOWN, 0, false, 15},
        {"Rate+", UI_ACT_RATE_UP, 0, false, 15},
        {"LR-", UI_ACT_LR_DOWN, 0, false, 6},
        {"LR+", UI_ACT_LR_UP, 0, false, 7},
        {a->reset_asked ? "Reset: sure?" : "Reset", UI_ACT_RESET, 0, a->reset_asked, a->reset_asked ? 21 : 8},
        {"Seed", UI_ACT_SEED, 0, false, 5},
        {"Course", UI_ACT_COURSE, 0, a->course_open, 13},
        {"Save", UI_ACT_SAVE_LESSON, 0, false, 4},
        {a->rec ? "Recording" : "Record", UI_ACT_RECORD, 0, a->rec != NULL, a->rec ? 21 : 3},
        {"Messages", UI_ACT_MESSAGE_LOG, 0, a->show_log, 11},
        {"Presenter", UI_ACT_PRESENTER, 0, a->presenter, 12},
        {"Keys", UI_ACT_HELP, 0, a->help, 17},
    };
    int n = (int)(sizeof s / sizeof s[0]);
    int bh = t->font_normal * 6 / 5 + t->pad;
    if (t->presenter) {
        /* One row: the few buttons a presenter clicks, then what is running. */
        int used = draw_buttons(a, s, n, r.x + t->pad, r.y + (r.h - bh) / 2, bh, r.w * 45 / 100);
        status_text(a, r.w - used - 3 * t->pad, buf, sizeof buf);
        ui_report_status(a->report, buf);
        ui_text_draw(a->text, UI_FONT_SANS, t->font_normal, a->history_back > 0 ? t->box_selected : t->text,
                     buf, r.x + r.w - t->pad, r.y + r.h / 2, UI_ALIGN_RIGHT | UI_ALIGN_MIDDLE, 0);
    } else {
        int tw = ui_text_size(a->text, UI_FONT_BOLD, t->font_large, "dropscope", 0).x;
        status_text(a, r.w - tw - 3 * t->pad, buf, sizeof buf);
        ui_report_status(a->report, buf);
        SDL_Point ss = ui_text_draw(a->text, UI_FONT_SANS, t->font_normal,
                                    a->history_back > 0 ? t->box_selected : t->text, buf,
                                    r.x + r.w - t->pad, y1, UI_ALIGN_RIGHT | UI_ALIGN_MIDDLE, 0);
        /* The title gets what the status leaves: the lesson's name when it fits. */
        snprintf(title, sizeof title, "dropscope  %s", a->graph.title);
        const char *cand = ui_text_size(a->text, UI_FONT_BOLD, t->font_large, title, 0).x <=
                                   r.w - ss.x - 3 * t->pad
                               ? title
                               : "dropscope";
        ui_text_draw(a->text, UI_FONT_BOLD, t->font_large, t->text, cand, r.x + t->pad, y1,
                     UI_ALIGN_MIDDLE, 0);
        int y2 = r.y + row + (r.h - row - bh) / 2 - t->pad / 4;
        draw_buttons(a, s, n, r.x + t->pad, y2, bh, r.w - 2 * t->pad);
    }
    draw_tabs(a);
    draw_message(a);
    draw_log(a);
}

/* The key table's entries F1 lists: each action once (alternative keys left out). */
static bool help_listed(const ui_key *k, int i)
{
    return k[i].label[0] && k[i].what[0] &&
           !(i > 0 && k[i - 1].act == k[i].act && k[i - 1].arg == k[i].arg);
}

/* Lays the entries from index `from` out in ncols columns of width colw from (x0, y0)
 * down to ybot, each description wrapped beside its key; draws when draw is set.
 * Returns the index of the first entry left for another page (n: all placed). */
static int help_flow(ui_app *a, const ui_key *k, int n, int from, int x0, int y0, int ybot,
                     int colw, int keyw, int ncols, bool draw)
{
    const ui_theme *t = &a->theme;
    int col = 0, y = y0;
    for (int i = from; i < n; i++) {
        if (!help_listed(k, i))
            continue;
        int h = ui_text_size(a->text, UI_FONT_SANS, t->font_normal, k[i].what, colw - keyw).y;
        if (y + h > ybot && y > y0) {
            col++;
            y = y0;
        }
        if (col >= ncols)
            return i;
        int x = x0 + col * (colw + t->pad);
        if (draw) {
            ui_text_draw(a->text, UI_FONT_MONO, t->font_normal, t->accent, k[i].label, x, y, 0, 0);
            ui_text_draw(a->text, UI_FONT_SANS, t->font_normal, t->text, k[i].what, x + keyw, y, 0,
                         colw - keyw);
        }
        y += h + t->pad / 3;
    }
    return n;
}

void ui_help_view_draw(ui_app *a, SDL_Rect r)
{
    const ui_theme *t = &a->theme;
    ui_report_panel(a->report, "help", r, a->cur ? a->cur->step : 0);
    SDL_SetRenderDrawBlendMode(a->ren, SDL_BLENDMODE_BLEND);
    SDL_Color shade = t->bg;
    shade.a = 215;
    ui_fill(a->ren, r, shade);
    int n;
    const ui_key *k = ui_keys(&n);
    SDL_Rect p = {r.x + t->pad, r.y + t->pad, r.w - 2 * t->pad, r.h - 2 * t->pad};
    if (!t->presenter && r.w > 900)   /* at the desk a framed card, when there is room */
        p = (SDL_Rect){r.x + r.w / 10, r.y + t->pad, r.w * 8 / 10, r.h - 2 * t->pad};
    ui_fill(a->ren, p, t->panel);
    ui_frame(a->ren, p, t->accent, 2);
    const char *title = "Keys (F1 or Esc to close)";
    int tw = ui_text_size(a->text, UI_FONT_BOLD, t->font_title, title, 0).x > p.w / 2 ? p.w / 2 : 0;
    int th = ui_text_draw(a->text, UI_FONT_BOLD, t->font_title, t->text, title, p.x + t->pad,
                          p.y + t->pad / 2, 0, tw).y;
    const char *mouse = "Mouse: click a layer to select it, the frozen base to open it, a thumbnail, "
                        "a tab or a Dropout tab to show it; the wheel scrolls.";
    int mh = ui_text_size(a->text, UI_FONT_SANS, t->font_small, mouse, p.w - 2 * t->pad).y;
    int y0 = p.y + t->pad + th, ybot = p.y + p.h - mh - t->pad;
    /* Keys as wide as the widest label; what each does wrapped beside it, in as few
     * columns as hold them all (nothing is cut: at presenter size it takes three). */
    int keyw = 0;
    for (int i = 0; i < n; i++) {
        int w = ui_text_size(a->text, UI_FONT_MONO, t->font_normal, k[i].label, 0).x;
        if (help_listed(k, i) && w > keyw)
            keyw = w;
    }
    keyw += t->pad;
    /* In as few columns (up to 3) as hold them all; else pages (Left/Right). */
    int ncols = 2, colw = 0, x0 = p.x + t->pad;
    for (; ncols <= 3; ncols++) {
        colw = (p.w - (ncols + 1) * t->pad) / ncols;
        if (help_flow(a, k, n, 0, x0, y0, ybot, colw, keyw, ncols, false) == n)
            break;
    }
    if (ncols > 3)
        ncols = 3;
    colw = (p.w - (ncols + 1) * t->pad) / ncols;
    int start[16] = {0}, pages = 0;
    for (int from = 0; from < n && pages < 16;) {
        start[pages++] = from;
        int next = help_flow(a, k, n, from, x0, y0, ybot, colw, keyw, ncols, false);
        from = next > from ? next : n;
    }
    if (pages == 0)
        pages = 1;
    if (a->help_page >= pages)
        a->help_page = pages - 1;
    if (a->help_page < 0)
        a->help_page = 0;
    help_flow(a, k, n, start[a->help_page], x0, y0, ybot, colw, keyw, ncols, true);
    if (pages > 1) {
        char pg[64];
        snprintf(pg, sizeof pg, "page %d of %d: Left/Right", a->help_page + 1, pages);
        ui_text_draw(a->text, UI_FONT_BOLD, t->font_small, t->val, pg, p.x + p.w - t->pad,
                     p.y + t->pad / 2, UI_ALIGN_RIGHT, 0);
    }
    ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, mouse, p.x + t->pad,
                 p.y + p.h - mh - t->pad / 2, 0, p.w - 2 * t->pad);
}
