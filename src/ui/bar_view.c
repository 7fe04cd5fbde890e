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
} spec;

void ui_bar_view_draw(ui_app *a, SDL_Rect r)
{
    const ui_theme *t = &a->theme;
    char buf[512], title[200];
    ui_fill(a->ren, r, t->panel);
    ui_line(a->ren, r.x, r.y + r.h - 1, r.x + r.w, r.y + r.h - 1, t->panel_edge, 1);
    int row = t->font_normal + 2 * t->pad;
    int y1 = r.y + row / 2 + t->pad / 4;

    char hist[64] = "";
    if (a->history_back > 0)
        snprintf(hist, sizeof hist, "  |  LOOKING BACK %d (End: live)", a->history_back);
    char at[64], mode[64], state[128];
    ui_status_step(a, at, sizeof at);
    ui_status_mode(a, mode, sizeof mode);
    ui_status_state(a, state, sizeof state);
    const nn_trace *cur = a->cur;
    ui_report_panel(a->report, "bar", r, cur ? cur->step : 0);
    int d = ui_dropout_index(a);
    char rate[32] = "";
    if (d >= 0)
        snprintf(rate, sizeof rate, "  |  rate %.2f", (double)a->graph.layers[d].rate);
    snprintf(buf, sizeof buf, "%s  |  %s  |  %s%s  |  lr %.3g  |  seed %llu%s",
             at, mode, state, rate, (double)a->graph.lr, (unsigned long long)a->graph.seed, hist);
    ui_report_status(a->report, buf);
    SDL_Point ss = ui_text_draw(a->text, UI_FONT_SANS, t->font_normal,
                                a->history_back > 0 ? t->box_selected : t->text, buf,
                                r.x + r.w - t->pad, y1, UI_ALIGN_RIGHT | UI_ALIGN_MIDDLE, 0);
    /* The title gets what the status leaves (a message, when there is one, shares it). */
    char tfit[200];
    snprintf(title, sizeof title, "dropscope  %s", a->graph.title);
    ui_text_fit(a->text, UI_FONT_BOLD, t->font_large, title, r.w - ss.x - 3 * t->pad, tfit,
                sizeof tfit);
    SDL_Point ts = ui_text_draw(a->text, UI_FONT_BOLD, t->font_large, t->text, tfit, r.x + t->pad,
                                y1, UI_ALIGN_MIDDLE, 0);
    if (a->message[0] && !SDL_TICKS_PASSED(SDL_GetTicks(), a->message_until)) {   /* shown for its 4 s */
        char fit[256];
        int room = r.w - ts.x - ss.x - 4 * t->pad;
        ui_text_fit(a->text, UI_FONT_SANS, t->font_normal, a->message, room, fit, sizeof fit);
        ui_text_draw(a->text, UI_FONT_SANS, t->font_normal, t->val, fit, r.x + 2 * t->pad + ts.x,
                     y1, UI_ALIGN_MIDDLE, 0);
    }

    bool frozen_sel = a->selected >= 0 && a->selected < a->graph.n && a->graph.layers[a->selected].frozen;
    spec s[] = {
        {a->playing ? "\xe2\x9d\x9a\xe2\x9d\x9a Pause" : "\xe2\x96\xb6 Play", UI_ACT_PLAY, 0, a->playing},
        {"Step", UI_ACT_STEP, 0, false},
        {"Slower", UI_ACT_SLOWER, 0, false},
        {"Faster", UI_ACT_FASTER, 0, false},
        {a->graph.training ? "Training" : "Inference", UI_ACT_MODE, 0, !a->graph.training},
        {frozen_sel ? "Unfreeze" : "Freeze", UI_ACT_FREEZE, 0, false},
        {"Rate-", UI_ACT_RATE_DOWN, 0, false},
        {"Rate+", UI_ACT_RATE_UP, 0, false},
        {"LR-", UI_ACT_LR_DOWN, 0, false},
        {"LR+", UI_ACT_LR_UP, 0, false},
        {a->reset_asked ? "Reset: sure?" : "Reset", UI_ACT_RESET, 0, a->reset_asked},
        {"Seed", UI_ACT_SEED, 0, false},
        {"Presenter", UI_ACT_PRESENTER, 0, a->presenter},
        {"Course", UI_ACT_COURSE, 0, a->course_open},
        {"Save", UI_ACT_SAVE_LESSON, 0, false},
        {a->rec ? "Recording" : "Record", UI_ACT_RECORD, 0, a->rec != NULL},
        {"Keys", UI_ACT_HELP, 0, a->help},
    };
    int n = (int)(sizeof s / sizeof s[0]);
    /* Key hints when they fit. */
    int total = 0, total_nokey = 0;
    for (int i = 0; i < n; i++) {
        int lw = ui_text_size(a->text, UI_FONT_SANS, t->font_normal, s[i].label, 0).x + 2 * t->pad;
        int kw = ui_text_size(a->text, UI_FONT_MONO, t->font_small, ui_key_label(s[i].act), 0).x + t->pad;
        total += lw + kw + t->pad / 2;
        total_nokey += lw + t->pad / 2;
    }
    bool keys = total <= r.w - 2 * t->pad;
    int bh = t->font_normal + t->pad;
    int y2 = r.y + row + (r.h - row - bh) / 2 - t->pad / 4;
    int x = r.x + t->pad;
    if (!keys && total_nokey > r.w - 2 * t->pad)
        n -= 2;   /* very narrow: Presenter and Keys stay reachable by key */
    for (int i = 0; i < n; i++) {
        x += ui_button(a, x, y2, bh, s[i].label, keys ? ui_key_label(s[i].act) : "", s[i].act,
                       s[i].arg, s[i].on) + t->pad / 2;
        if (i == 3 || i == 7 || i == 9)
            x += t->pad;   /* groups: play, mode/freeze/rate, lr, session */
    }
}

void ui_help_view_draw(ui_app *a, SDL_Rect r)
{
    const ui_theme *t = &a->theme;
    SDL_SetRenderDrawBlendMode(a->ren, SDL_BLENDMODE_BLEND);
    SDL_Color shade = t->bg;
    shade.a = 215;
    ui_fill(a->ren, r, shade);
    int n;
    const ui_key *k = ui_keys(&n);
    int shown = 0;
    for (int i = 0; i < n; i++)
        shown += k[i].label[0] && k[i].what[0] && (i == 0 || k[i - 1].act != k[i].act || k[i - 1].arg != k[i].arg);
    int lh = t->font_normal + t->font_normal / 2;
    int per_col = (shown + 1) / 2;
    int pw = r.w * 80 / 100, ph = per_col * lh + 4 * t->font_title;
    if (ph > r.h - 2 * t->pad)
        ph = r.h - 2 * t->pad;
    SDL_Rect p = {r.x + (r.w - pw) / 2, r.y + (r.h - ph) / 2, pw, ph};
    ui_fill(a->ren, p, t->panel);
    ui_frame(a->ren, p, t->accent, 2);
    ui_text_draw(a->text, UI_FONT_BOLD, t->font_title, t->text, "Keys (F1 or Esc to close)",
                 p.x + p.w / 2, p.y + t->pad, UI_ALIGN_CENTER, 0);
    int y0 = p.y + t->pad + t->font_title * 2;
    /* Keys as wide as the widest label; what each does fitted into the rest of its column
     * (at the smallest window the longest descriptions ran into the next column). */
    int colw = (p.w - 3 * t->pad) / 2, keyw = 0;
    for (int i = 0; i < n; i++) {
        int w = ui_text_size(a->text, UI_FONT_MONO, t->font_normal, k[i].label, 0).x;
        if (k[i].what[0] && w > keyw)
            keyw = w;
    }
    keyw += t->pad;
    int j = 0;
    for (int i = 0; i < n; i++) {
        if (!k[i].label[0] || !k[i].what[0])
            continue;
        if (i > 0 && k[i - 1].act == k[i].act && k[i - 1].arg == k[i].arg)
            continue;   /* alternative key, same action: listed once */
        int col = j / per_col, row = j % per_col;
        int x = p.x + t->pad + col * (colw + t->pad), y = y0 + row * lh;
        char fit[160];
        ui_text_draw(a->text, UI_FONT_MONO, t->font_normal, t->accent, k[i].label, x, y, 0, 0);
        ui_text_fit(a->text, UI_FONT_SANS, t->font_normal, k[i].what, colw - keyw, fit, sizeof fit);
        ui_text_draw(a->text, UI_FONT_SANS, t->font_normal, t->text, fit, x + keyw, y, 0, 0);
        j++;
    }
    char mouse[256];
    ui_text_fit(a->text, UI_FONT_SANS, t->font_small,
                "Mouse: click a layer to select it, the frozen base to open it, a thumbnail or a "
                "Dropout tab to show its mask; the wheel scrolls.",
                p.w - 2 * t->pad, mouse, sizeof mouse);
    ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, mouse, p.x + p.w / 2,
                 p.y + p.h - t->pad, UI_ALIGN_CENTER | UI_ALIGN_BOTTOM, 0);
}
