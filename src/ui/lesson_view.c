/* Lesson panel: the step's text, its actions and checks, the question with its
 * choices and feedback, next/back. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ui/draw.h"
#include "ui/report.h"
#include "ui/views.h"

static void describe_action(const ls_action *ac, char *buf, size_t n)
{
    switch (ac->kind) {
    case LS_ACT_RUN: snprintf(buf, n, "runs %ld training step%s", ac->n, ac->n == 1 ? "" : "s"); break;
    case LS_ACT_PLAY: snprintf(buf, n, "starts training"); break;
    case LS_ACT_PAUSE: snprintf(buf, n, "pauses"); break;
    case LS_ACT_FREEZE: snprintf(buf, n, "freezes %s", ac->layer); break;
    case LS_ACT_UNFREEZE: snprintf(buf, n, "unfreezes %s", ac->layer); break;
    case LS_ACT_COMPILE: snprintf(buf, n, "compiles the model again"); break;
    case LS_ACT_RATE: snprintf(buf, n, "sets the rate of %s to %.2f", ac->layer, (double)ac->value); break;
    case LS_ACT_MODE: snprintf(buf, n, "switches to %s mode", ac->flag ? "training" : "inference"); break;
    case LS_ACT_EXAMPLE:
        if (ac->n < 0)
            snprintf(buf, n, "shows the whole batch");
        else
            snprintf(buf, n, "shows example %ld", ac->n);   /* 0-based, as the mask view */
        break;
    case LS_ACT_FOCUS_VIEW: snprintf(buf, n, "points at the %s view", ac->view); break;
    case LS_ACT_FOCUS_LAYER: snprintf(buf, n, "selects %s", ac->layer); break;
    case LS_ACT_RESET: snprintf(buf, n, "resets the weights"); break;
    case LS_ACT_SEED: snprintf(buf, n, "sets the seed to %ld", ac->n); break;
    case LS_ACT_LR: snprintf(buf, n, "sets the learning rate to %g", (double)ac->value); break;
    case LS_ACT_VALIDATE: snprintf(buf, n, "runs a validation pass"); break;
    case LS_ACT_PREDICT: snprintf(buf, n, "predicts on the batch (inference)"); break;
    case LS_ACT_COMPARE:
        snprintf(buf, n, "trains twins of %ld steps: %s at rate %.2f, then %.2f", ac->n, ac->layer, ac->value,
                 ac->value2);
        break;
    case LS_ACT_MC:
        snprintf(buf, n, "predicts %ld times with dropout on (training=True)%s", ac->n,
                 ac->flag ? ", one mask held fixed" : ", a fresh mask each pass");
        break;
    default: snprintf(buf, n, "action"); break;
    }
}

/* A check's description with the measured value as a student reads it: whole numbers in
 * full, others to 4 significant digits, 6 when the check failed (the session writes
 * %.10g: 0.1983398437, 9.999999747e-05 for a float 0.0001). */
static void describe_result(const ui_expect_result *r, char *out, size_t n)
{
    const char *m = strstr(r->desc, " (measured ");
    if (!m || !isfinite(r->measured)) {
        snprintf(out, n, "%s", r->desc);
        return;
    }
    char v[48];
    if (fabs(r->measured) < 1e15 && r->measured == floor(r->measured))
        snprintf(v, sizeof v, "%.0f", r->measured);
    else
        snprintf(v, sizeof v, r->ok ? "%.4g" : "%.6g", r->measured);
    const char *close = strchr(m + 11, ')');
    snprintf(out, n, "%.*s (measured %s)%s", (int)(m - r->desc), r->desc, v, close ? close + 1 : "");
}

static const ui_expect_result *find_result(const ui_app *a, int step, int item)
{
    for (int i = a->n_results - 1; i >= 0; i--)
        if (a->results[i].tag.step == step && a->results[i].tag.item == item)
            return &a->results[i];
    return NULL;
}

void ui_lesson_view_draw(ui_app *a, SDL_Rect r)
{
    const ui_theme *t = &a->theme;
    const ls_lesson *l = a->lesson;
    char buf[512];
    if (!l || l->n_steps == 0) {
        SDL_Rect c = ui_panel(a, r, l && l->title ? l->title : "Lesson");
        ui_text_draw(a->text, UI_FONT_SANS, t->font_normal, t->text_dim,
                     "No lesson steps. Explore freely: F1 shows every key.", c.x, c.y, 0, c.w);
        return;
    }
    int k = a->lesson_step;
    const ls_step *st = &l->steps[k];
    snprintf(buf, sizeof buf, "Lesson: %s", l->title ? l->title : "");
    SDL_Rect c = ui_panel(a, r, buf);

    /* Navigation at the bottom. */
    int bh = t->font_normal + t->pad;
    int ny = c.y + c.h - bh;
    int bx = c.x;
    /* Narrow panel: key hints and "step" give way before the buttons leave the panel. */
    const char *kb = "B", *kn = "N";
    snprintf(buf, sizeof buf, "step %d of %d", k + 1, l->n_steps);
    for (int form = 0; form < 3; form++) {
        int need = ui_button_width(a, "\xe2\x97\x80 Back", kb) + 3 * t->pad +
                   ui_text_size(a->text, UI_FONT_SANS, t->font_small, "\xe2\x96\xbc J", 0).x +
                   ui_text_size(a->text, UI_FONT_SANS, t->font_normal, buf, 0).x +
                   (k + 1 < l->n_steps ? ui_button_width(a, "Next \xe2\x96\xb6", kn) : 0);
        if (need <= c.w)
            break;
        if (form == 0)
            kb = kn = "";
        else
            snprintf(buf, sizeof buf, "%d/%d", k + 1, l->n_steps);
    }
    bx += ui_button(a, bx, ny, bh, "\xe2\x97\x80 Back", kb, UI_ACT_LESSON_BACK, 0, false) + t->pad;
    SDL_Point ps = ui_text_draw(a->text, UI_FONT_SANS, t->font_normal, t->text_dim, buf, bx,
                                ny + bh / 2, UI_ALIGN_MIDDLE, 0);
    bx += ps.x + t->pad;
    if (k + 1 < l->n_steps)
        bx += ui_button(a, bx, ny, bh, "Next \xe2\x96\xb6", kn, UI_ACT_LESSON_NEXT, 0, true);
    int room = c.x + c.w - bx - t->pad;   /* for the "more" hint */

    SDL_Rect clip = {c.x, c.y, c.w, c.h - bh - t->pad / 2};
    SDL_RenderSetClipRect(a->ren, &clip);
    int y = c.y - a->lesson_scroll;
    if (st->title)
        y += ui_text_draw(a->text, UI_FONT_BOLD, t->font_large, t->accent, st->title, c.x, y, 0, c.w).y +
             t->pad / 2;
    const ls_question *q = NULL;
    int q_item = -1;
    for (int i = 0; i < st->n_items; i++) {
        const ls_item *it = &st->items[i];
        switch (it->kind) {
        case LS_ITEM_TEXT:
            y += ui_text_draw(a->text, UI_FONT_SANS, t->font_normal, t->text, it->u.text, c.x, y, 0,
                              c.w).y + t->pad / 2;
            break;
        case LS_ITEM_ACTION: {
            char d[160];
            describe_action(&it->u.action, d, sizeof d);
            snprintf(buf, sizeof buf, "\xe2\x96\xb8 This step %s.", d);
            y += ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, buf, c.x, y, 0, c.w).y + 2;
            break;
        }
        case LS_ITEM_EXPECT: {
            const ui_expect_result *res = find_result(a, k, i);
            SDL_Color col = t->text_dim;
            if (res) {
                char desc[sizeof res->desc + 16];
                describe_result(res, desc, sizeof desc);
                snprintf(buf, sizeof buf, "%s %s", res->ok ? "\xe2\x9c\x93" : "\xe2\x9c\x97",
                         desc[0] ? desc : (it->u.expect.text ? it->u.expect.text : ""));
                col = res->ok ? t->good : t->bad;
            } else {
                snprintf(buf, sizeof buf, "\xe2\x80\xa6 check: %s", it->u.expect.text ? it->u.expect.text : "");
            }
            y += ui_text_draw(a->text, UI_FONT_SANS, t->font_small, col, buf, c.x, y, 0, c.w).y + 2;
            break;
        }
        case LS_ITEM_QUESTION:
            if (!q) {
                q = &it->u.question;
                q_item = i;
            }
            break;
        }
    }
    (void)q_item;
    if (q) {
        y += t->pad / 2;
        y += ui_text_draw(a->text, UI_FONT_BOLD, t->font_normal, t->text, q->prompt ? q->prompt : "",
                          c.x, y, 0, c.w).y + t->pad / 2;
        int chosen = a->answers ? a->answers[k] : -1;
        for (int j = 0; j < q->n_choices; j++) {
            snprintf(buf, sizeof buf, "%d  %s", j + 1, q->choices[j]);
            int tw = c.w - 2 * t->pad;
            SDL_Point s = ui_text_size(a->text, UI_FONT_SANS, t->font_normal, buf, tw);
            SDL_Rect br = {c.x, y, c.w, s.y + t->pad / 2 + 2};
            bool on = chosen == j;
            bool right = j == q->answer;
            SDL_Color edge = t->button_edge;
            if (on)
                edge = right ? t->good : t->bad;
            ui_fill(a->ren, br, t->button);
            ui_frame(a->ren, br, edge, on ? 3 : 1);
            ui_text_draw(a->text, UI_FONT_SANS, t->font_normal, t->text, buf, c.x + t->pad,
                         y + t->pad / 4 + 1, 0, tw);
            SDL_Rect vis;
            if (SDL_IntersectRect(&br, &clip, &vis))
                ui_hit_add(a, vis, UI_ACT_ANSWER, j);
            y += br.h + t->pad / 3;
        }
        if (chosen >= 0) {
            bool right = chosen == q->answer;
            if (right)
                snprintf(buf, sizeof buf, "\xe2\x9c\x93 Right. %s", q->explanation ? q->explanation : "");
            else
                snprintf(buf, sizeof buf, "\xe2\x9c\x97 Not quite: look at the views and try another answer.");
            y += ui_text_draw(a->text, UI_FONT_SANS, t->font_normal, right ? t->good : t->bad, buf,
                              c.x, y + t->pad / 3, 0, c.w).y;
            /* just answered: the feedback scrolls into view (from the next frame) */
            int below = y + t->pad - (clip.y + clip.h);
            if (a->report)
                a->report->feedback = below > 0 ? 1 : 2;
            if (a->lesson_reveal && below > 0)
                a->lesson_scroll += below;
            a->lesson_reveal = false;
        } else {
            ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim,
                         "Press 1-9 or click an answer.", c.x, y + t->pad / 3, 0, c.w);
        }
    }
    SDL_RenderSetClipRect(a->ren, NULL);
    /* Longer than the panel: say so, and how to scroll. */
    int content = y + a->lesson_scroll - c.y + t->font_normal;
    a->lesson_need = content + (r.h - clip.h);   /* the layout of the next frame uses it */
    if (a->lesson_scroll > content - clip.h)
        a->lesson_scroll = content - clip.h > 0 ? content - clip.h : 0;
    if (content - a->lesson_scroll > clip.h) {
        const char *hint = "\xe2\x96\xbc more: J or wheel";
        if (ui_text_size(a->text, UI_FONT_SANS, t->font_small, hint, 0).x > room)
            hint = "\xe2\x96\xbc J";
        if (ui_text_size(a->text, UI_FONT_SANS, t->font_small, hint, 0).x > room)
            hint = "";   /* J and the wheel still scroll */
        SDL_Rect m = {c.x + c.w - room, ny, room, bh};
        ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->val, hint, m.x + m.w, ny + bh / 2,
                     UI_ALIGN_RIGHT | UI_ALIGN_MIDDLE, 0);
        ui_hit_add(a, m, UI_ACT_LESSON_SCROLL, 3 * t->font_normal);
    } else if (a->lesson_scroll > 0) {
        ui_text_draw(a->text, UI_FONT_SANS, t->font_small, t->text_dim, "\xe2\x96\xb2 K: back up",
                     c.x + c.w, ny + bh / 2, UI_ALIGN_RIGHT | UI_ALIGN_MIDDLE, 0);
    }
}
