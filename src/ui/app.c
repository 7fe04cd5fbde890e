/* The application: actions, events, and the update and draw phases of a frame. */
#include "ui/app.h"

#include <stddef.h>

#include "ui/course.h"
#include "ui/report.h"
#include "ui/share.h"
#include "session/paths.h"

#include "ui/draw.h"
#include "ui/views.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void say(ui_app *a, const char *fmt, const char *arg)
{
    char msg[sizeof a->message];
    snprintf(msg, sizeof msg, fmt, arg ? arg : "");
    ui_say(a, msg);
}

ui_app *ui_app_create(SDL_Window *win, SDL_Renderer *ren, ui_worker *worker,
                      const ls_lesson *lesson, const ui_app_options *opt, char *err,
                      size_t errlen)
{
    ui_app *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    a->win = win;
    a->ren = ren;
    a->worker = worker;
    a->lesson = lesson;
    a->text = ui_text_create(ren, err, errlen);
    if (!a->text) {
        free(a);
        return NULL;
    }
    SDL_SetRenderDrawBlendMode(ren, SDL_BLENDMODE_BLEND);
    a->presenter = opt && opt->presenter;
    a->example = opt ? opt->example : 0;
    a->speed_idx = ui_speed_index(opt ? opt->speed : 5);
    a->selected = -1;
    a->mask_dropout = -1;
    a->mouse = (SDL_Point){-1, -1};
    a->layout.dropout_box = a->layout.source_box = -1;
    ui_worker_set_speed(worker, ui_speed_value(a->speed_idx));
    a->course = opt ? opt->course : NULL;
    if (!a->course) {
        char dir[4200];
        snprintf(dir, sizeof dir, "%s/lessons", ls_data_dir());
        a->course = ui_course_create(dir);
        a->course_owned = true;
    }
    if (lesson && lesson->n_steps > 0) {
        a->answers = malloc((size_t)lesson->n_steps * sizeof *a->answers);
        if (!a->answers) {
            ui_app_destroy(a);
            snprintf(err, errlen, "out of memory");
            return NULL;
        }
        for (int i = 0; i < lesson->n_steps; i++)
            a->answers[i] = -1;
    }
    ui_app_update(a);
    for (int i = 0; i < a->graph.n; i++)
        if (a->graph.layers[i].random_weights && a->graph.layers[i].base_first == i) {
            say(a, "%s: RANDOM weights (file not found)", a->graph.layers[i].base_name);
            break;
        }
    if (opt && opt->inference && a->graph.training) {
        ui_cmd c = {.kind = UI_CMD_MODE, .flag = false};
        ui_worker_push(worker, &c);
    }
    return a;
}

void ui_app_destroy(ui_app *a)
{
    if (!a)
        return;
    ui_share_forget(a);
    ui_snap_release(a->snap);
    if (a->course_owned)
        ui_course_destroy(a->course);
    ui_batch_view_forget(a);
    ui_mask_view_forget(a);
    ui_metrics_view_forget(a);
    ui_text_destroy(a->text);
    ui_graph_free(&a->graph);
    free(a->metrics);
    free(a->open_group);
    free(a->answers);
    free(a->layout.boxes);
    free(a);
}

int ui_app_set_renderer(ui_app *a, SDL_Renderer *ren, char *err, size_t errlen)
{
    ui_text *t = ui_text_create(ren, err, errlen);
    if (!t)
        return -1;
    ui_text_destroy(a->text);
    a->text = t;
    ui_batch_view_forget(a);
    ui_mask_view_forget(a);
    a->ren = ren;
    SDL_SetRenderDrawBlendMode(ren, SDL_BLENDMODE_BLEND);
    return 0;
}

/* ---- lesson ---- */

static bool ui_only_action(const ls_action *ac)
{
    switch (ac->kind) {
    case LS_ACT_PLAY:
    case LS_ACT_PAUSE:
    case LS_ACT_EXAMPLE:
    case LS_ACT_FOCUS_VIEW:
    case LS_ACT_FOCUS_LAYER:
        return true;
    default:
        return false;
    }
}

static int layer_by_name(const ui_app *a, const char *name)
{
    for (int i = 0; i < a->graph.n; i++)
        if (!strcmp(a->graph.layers[i].name, name))
            return i;
    return -1;
}

static void apply_ui_action(ui_app *a, const ls_action *ac)
{
    static const char *const views[] = {"", "graph", "mask", "metrics", "weights", "batch", "lesson"};
    switch (ac->kind) {
    case LS_ACT_PLAY:
        a->playing = true;
        ui_worker_set_playing(a->worker, true);
        break;
    case LS_ACT_PAUSE:
        a->playing = false;
        ui_worker_set_playing(a->worker, false);
        break;
    case LS_ACT_EXAMPLE:
        a->example = ac->n < 0 ? -1 : (int)ac->n;
        break;
    case LS_ACT_FOCUS_VIEW:
        for (int i = 1; i < (int)(sizeof views / sizeof views[0]); i++)
            if (!strcmp(ac->view, views[i]))
                a->focus = (ui_focus)i;
        break;
    case LS_ACT_FOCUS_LAYER: {
        int k = layer_by_name(a, ac->layer);
        if (k >= 0)
            a->selected = k;
        break;
    }
    default:
        break;
    }
}

/* The window's owner opens path next (open.c): the menu, N at a lesson's last step, a
 * dropped file. */
static void request_open(ui_app *a, const char *path)
{
    snprintf(a->open_request, sizeof a->open_request, "%s", path);
    a->course_open = false;
    const char *base = strrchr(path, '/');
    snprintf(a->message, sizeof a->message, "Opening %.200s ...", base ? base + 1 : path);
    a->message_until = SDL_GetTicks() + 4000;
}

/* At a lesson's last step the course's next lesson is one key away. */
static void offer_next_lesson(ui_app *a)
{
    const ui_course_lesson *next = ui_course_next(a->course, a->lesson ? a->lesson->path : NULL);
    if (next && a->lesson_step == a->lesson->n_steps - 1)
        say(a, "Last step of this lesson. N: the next lesson, %s", next->title);
}

void ui_app_enter_step(ui_app *a, int k)
{
    const ls_lesson *l = a->lesson;
    if (!l || k < 0 || k >= l->n_steps)
        return;
    a->lesson_step = k;
    a->lesson_scroll = 0;
    a->focus = UI_FOCUS_NONE;
    /* Results of this step start afresh. */
    int keep = 0;
    for (int i = 0; i < a->n_results; i++)
        if (a->results[i].tag.step != k)
            a->results[keep++] = a->results[i];
    a->n_results = keep;
    ui_cmd mark = {.kind = UI_CMD_MARK};
    ui_worker_push(a->worker, &mark);
    offer_next_lesson(a);
    const ls_step *st = &l->steps[k];
    for (int i = 0; i < st->n_items; i++) {
        const ls_item *it = &st->items[i];
        if (it->kind == LS_ITEM_ACTION) {
            if (ui_only_action(&it->u.action)) {
                apply_ui_action(a, &it->u.action);
            } else {
                ui_cmd c = {.kind = UI_CMD_ACTION, .action = it->u.action};
                ui_worker_push(a->worker, &c);
            }
        } else if (it->kind == LS_ITEM_EXPECT) {
            ui_cmd c = {.kind = UI_CMD_EXPECT, .expect = &it->u.expect,
                        .tag = {.step = k, .item = i}};
            ui_worker_push(a->worker, &c);
        }
    }
}

static const ls_question *step_question(const ls_lesson *l, int k)
{
    if (!l || k < 0 || k >= l->n_steps)
        return NULL;
    for (int i = 0; i < l->steps[k].n_items; i++)
        if (l->steps[k].items[i].kind == LS_ITEM_QUESTION)
            return &l->steps[k].items[i].u.question;
    return NULL;
}

/* ---- actions ---- */

/* The mask view shows Dropout layer `next` (a tab, or D). */
static void show_dropout(ui_app *a, int next)
{
    if (!ui_is_dropout(a, next))
        return;
    a->mask_dropout = next;
    if (ui_is_dropout(a, a->selected))   /* a selected Dropout would keep the view on it */
        a->selected = next;
    int pos, n = ui_dropout_count(a, next, &pos);
    const ui_graph_layer *L = &a->graph.layers[next];
    const char *src = L->masks < a->graph.n ? a->graph.layers[L->masks].name : "?";
    char msg[sizeof a->message];
    snprintf(msg, sizeof msg, "Mask view: %s (Dropout %d of %d), over the outputs of %s", L->name,
             pos + 1, n, src);
    ui_say(a, msg);
}

/* D: the mask view moves to the next Dropout layer (after the last, the first). */
static void next_dropout(ui_app *a)
{
    int d = ui_dropout_index(a);
    if (d < 0) {
        say(a, "This model has no Dropout layer%s", NULL);
        return;
    }
    for (int i = 1; i <= a->graph.n; i++)
        if (ui_is_dropout(a, (d + i) % a->graph.n)) {
            show_dropout(a, (d + i) % a->graph.n);
            return;
        }
}

static int box_of_layer(const ui_app *a, int layer)
{
    for (int i = 0; i < a->layout.n_boxes; i++)
        if (layer >= a->layout.boxes[i].first && layer <= a->layout.boxes[i].last)
            return i;
    return -1;
}

static void toggle_group(ui_app *a, int first)
{
    if (first < 0 || first >= a->n_open)
        return;
    a->open_group[first] = !a->open_group[first];
    ui_graph_group(a);
}

static float lr_step(float lr, int dir)
{
    /* 1-2-5 sequence: 1e-4, 2e-4, 5e-4, 1e-3, ... */
    if (!(lr > 0))
        return 1e-4f;
    double e = floor(log10(lr) + 1e-6);
    double m = lr / pow(10, e);
    static const double seq[] = {1, 2, 5};
    int i = m < 1.5 ? 0 : m < 3.5 ? 1 : 2;
    i += dir;
    if (i > 2) {
        i = 0;
        e += 1;
    } else if (i < 0) {
        i = 2;
        e -= 1;
    }
    double v = seq[i] * pow(10, e);
    if (v > 1)
        v = 1;
    if (v < 1e-7)
        v = 1e-7;
    return (float)v;
}

static void freeze_selected(ui_app *a)
{
    int b = box_of_layer(a, a->selected);
    if (a->selected < 0 || b < 0) {
        say(a, "Select a layer first (Up/Down or click a box)%s", NULL);
        return;
    }
    const ui_box *bx = &a->layout.boxes[b];
    bool any_trainable = false;
    for (int i = bx->first; i <= bx->last; i++)
        any_trainable |= !a->graph.layers[i].frozen;
    bool trainable = !any_trainable;
    for (int i = bx->first; i <= bx->last; i++) {
        ui_cmd c = {.kind = UI_CMD_FREEZE, .flag = trainable};
        snprintf(c.layer, sizeof c.layer, "%s", a->graph.layers[i].name);
        ui_worker_push(a->worker, &c);
    }
    const ui_graph_layer *L = &a->graph.layers[bx->first];
    if (bx->first == bx->last && L->params == 0)
        say(a, "%s has no weights: trainable changes nothing it does", L->name);
    else
        say(a, trainable ? "Unfreezing %s: it trains from the next step"
                         : "Freezing %s: trainable=False from the next step",
            bx->group ? "the base" : L->name);
}

/* The window itself: quit, help, presenter mode. */
static bool window_action(ui_app *a, ui_action_id act, int arg)
{
    switch (act) {
    case UI_ACT_QUIT:
        a->quit = true;
        break;
    case UI_ACT_HELP:
        if (arg < 0) {   /* Esc */
            if (a->help)
                a->help = false;
            else if (a->presenter)
                ui_app_do(a, UI_ACT_PRESENTER, 0);
        } else {
            a->help = !a->help;
        }
        break;
    case UI_ACT_PRESENTER:
        a->presenter = !a->presenter;
        if (a->win)
            SDL_SetWindowFullscreen(a->win, a->presenter ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
        break;
    default:
        return false;
    }
    return true;
}

/* Playing, single steps, speed, looking back through history. */
static bool playback_action(ui_app *a, ui_action_id act, int arg)
{
    (void)arg;
    switch (act) {
    case UI_ACT_PLAY:
        a->playing = !a->playing;
        a->history_back = 0;
        ui_worker_set_playing(a->worker, a->playing);
        break;
    case UI_ACT_STEP: {
        a->playing = false;
        a->history_back = 0;
        ui_worker_set_playing(a->worker, false);
        ui_cmd c = {.kind = UI_CMD_STEP, .n = 1};
        ui_worker_push(a->worker, &c);
        break;
    }
    case UI_ACT_SLOWER:
    case UI_ACT_FASTER:
        a->speed_idx = ui_speed_step(a->speed_idx, act == UI_ACT_FASTER ? 1 : -1);
        ui_worker_set_speed(a->worker, ui_speed_value(a->speed_idx));
        break;
    case UI_ACT_HIST_BACK: {
        int n = ui_worker_history(a->worker);
        if (a->playing) {   /* looking back means holding still */
            a->playing = false;
            ui_worker_set_playing(a->worker, false);
        }
        if (a->history_back + 1 < n)
            a->history_back++;
        break;
    }
    case UI_ACT_HIST_FWD:
        if (a->history_back > 0)
            a->history_back--;
        break;
    case UI_ACT_HIST_LIVE:
        a->history_back = 0;
        break;
    default:
        return false;
    }
    return true;
}

/* The layer graph: selection, groups, scrolling, freezing, which Dropout the mask view
 * shows. */
static bool graph_action(ui_app *a, ui_action_id act, int arg)
{
    switch (act) {
    case UI_ACT_LAYER_PREV:
    case UI_ACT_LAYER_NEXT: {
        if (a->layout.n_boxes == 0)
            break;
        int b = box_of_layer(a, a->selected);
        if (b < 0)
            b = act == UI_ACT_LAYER_NEXT ? 0 : a->layout.n_boxes - 1;
        else
            b += act == UI_ACT_LAYER_NEXT ? 1 : -1;
        if (b < 0)
            b = 0;
        if (b >= a->layout.n_boxes)
            b = a->layout.n_boxes - 1;
        a->selected = a->layout.boxes[b].first;
        break;
    }
    case UI_ACT_EXPAND: {
        int b = box_of_layer(a, a->selected);
        if (b >= 0 && a->layout.boxes[b].group) {
            toggle_group(a, a->layout.boxes[b].first);
            break;
        }
        /* An opened group the selection is in, else the first group. */
        for (int i = 0; i < a->n_open; i++)
            if (a->open_group[i] && a->selected >= i) {
                toggle_group(a, i);
                return true;
            }
        for (int i = 0; i < a->layout.n_boxes; i++)
            if (a->layout.boxes[i].group) {
                toggle_group(a, a->layout.boxes[i].first);
                return true;
            }
        break;
    }
    case UI_ACT_FREEZE:
        freeze_selected(a);
        break;
    case UI_ACT_SCROLL:
        a->graph_scroll += arg;
        a->graph_user_scroll = true;
        a->graph_sel_seen = a->selected;
        break;
    case UI_ACT_SELECT_LAYER:
        a->selected = arg;
        break;
    case UI_ACT_TOGGLE_GROUP:
        a->selected = arg;
        toggle_group(a, arg);
        break;
    case UI_ACT_NEXT_DROPOUT:
        next_dropout(a);
        break;
    case UI_ACT_SHOW_DROPOUT:
        show_dropout(a, arg);
        break;
    case UI_ACT_MASK_VIEW:
        a->mask_mode = ui_mask_view_next_mode(a);
        break;
    case UI_ACT_CLEAR_GHOSTS:
        ui_metrics_view_clear(a);
        break;
    default:
        return false;
    }
    return true;
}

/* Training knobs, sent to the worker: mode, Dropout rate, learning rate, reset, seed,
 * validation. */
static bool training_action(ui_app *a, ui_action_id act, int arg)
{
    (void)arg;
    switch (act) {
    case UI_ACT_MODE: {
        ui_cmd c = {.kind = UI_CMD_MODE, .flag = !a->graph.training};
        ui_worker_push(a->worker, &c);
        a->graph.training = c.flag;   /* shown at once; the worker confirms */
        say(a, c.flag ? "Training mode: Dropout draws a new mask each step%s"
                      : "Inference mode: Dropout passes everything through%s",
            NULL);
        break;
    }
    case UI_ACT_RATE_DOWN:
    case UI_ACT_RATE_UP: {
        int d = ui_dropout_index(a);
        if (d < 0) {
            say(a, "This model has no Dropout layer%s", NULL);
            break;
        }
        float r = a->graph.layers[d].rate + (act == UI_ACT_RATE_UP ? 0.05f : -0.05f);
        r = roundf(r * 20.0f) / 20.0f;
        if (r < 0)
            r = 0;
        if (r > 0.95f)
            r = 0.95f;
        ui_cmd c = {.kind = UI_CMD_RATE, .value = r};
        snprintf(c.layer, sizeof c.layer, "%s", a->graph.layers[d].name);
        ui_worker_push(a->worker, &c);
        a->graph.layers[d].rate = r;
        break;
    }
    case UI_ACT_LR_DOWN:
    case UI_ACT_LR_UP: {
        ui_cmd c = {.kind = UI_CMD_LR, .value = lr_step(a->graph.lr, act == UI_ACT_LR_UP ? 1 : -1)};
        ui_worker_push(a->worker, &c);
        a->graph.lr = c.value;
        break;
    }
    case UI_ACT_RESET:
    case UI_ACT_CONFIRM: {
        if (!a->reset_asked) {   /* a reset loses the run: ask first */
            if (act == UI_ACT_RESET) {
                a->reset_asked = true;
                say(a, "Reset the weights and clear the curves and checks? R again or Y: yes; "
                       "any other key: no%s", NULL);
            }
            break;
        }
        a->reset_asked = false;
        ui_cmd c = {.kind = UI_CMD_RESET};
        ui_worker_push(a->worker, &c);
        a->history_back = 0;
        a->n_results = 0;   /* the old checks measured the old run */
        say(a, "Reset: weights re-initialised, curves and checks cleared%s", NULL);
        break;
    }
    case UI_ACT_SEED: {
        ui_cmd c = {.kind = UI_CMD_SEED, .seed = a->graph.seed + 1};
        ui_worker_push(a->worker, &c);
        a->graph.seed = c.seed;   /* shown at once, and a second G goes on from it */
        break;
    }
    case UI_ACT_VALIDATE: {
        ui_cmd c = {.kind = UI_CMD_VALIDATE};
        ui_worker_push(a->worker, &c);
        break;
    }
    case UI_ACT_SAVE_LESSON:
        ui_share_save_lesson(a);
        break;
    case UI_ACT_RECORD:
        ui_share_record(a);
        break;
    default:
        return false;
    }
    return true;
}

/* The example the mask and batch views show. */
static bool example_action(ui_app *a, ui_action_id act, int arg)
{
    int batch = a->cur ? a->cur->batch : 0;
    switch (act) {
    case UI_ACT_EXAMPLE_PREV:
    case UI_ACT_EXAMPLE_NEXT:
        if (batch <= 0)
            break;
        a->example += act == UI_ACT_EXAMPLE_NEXT ? 1 : -1;
        if (a->example >= batch)
            a->example = -1;
        if (a->example < -1)
            a->example = batch - 1;
        break;
    case UI_ACT_WHOLE_BATCH:
        a->example = a->example < 0 ? 0 : -1;
        break;
    case UI_ACT_SELECT_EXAMPLE:
        a->example = arg;
        break;
    default:
        return false;
    }
    return true;
}

/* The lesson panel: steps, answers, scrolling. */
static bool lesson_action(ui_app *a, ui_action_id act, int arg)
{
    switch (act) {
    case UI_ACT_LESSON_NEXT: {
        if (a->lesson && a->lesson_step + 1 < a->lesson->n_steps) {
            ui_app_enter_step(a, a->lesson_step + 1);
            break;
        }
        const ui_course_lesson *next = ui_course_next(a->course, a->lesson ? a->lesson->path : NULL);
        if (next)
            request_open(a, next->path);
        break;
    }
    case UI_ACT_LESSON_BACK:
        if (a->lesson_step > 0) {
            a->lesson_step--;   /* back shows the text; it does not replay actions */
            a->lesson_scroll = 0;
        }
        break;
    case UI_ACT_ANSWER: {
        const ls_question *q = step_question(a->lesson, a->lesson_step);
        if (q && arg >= 0 && arg < q->n_choices) {
            a->answers[a->lesson_step] = arg;
            a->lesson_reveal = true;
            /* the lesson shares a place with other panels (presenter mode): it comes
             * forward, so the answer's feedback is seen */
            for (int i = 0; i < a->layout.n_tabs; i++)
                if (a->layout.tab_list[i] == UI_TAB_LESSON)
                    a->tab = UI_TAB_LESSON;
            ui_course_answer(a->course, a->lesson, a->lesson_step, arg);
        }
        break;
    }
    case UI_ACT_LESSON_SCROLL:
        a->lesson_scroll += arg;
        if (a->lesson_scroll < 0)
            a->lesson_scroll = 0;
        break;
    default:
        return false;
    }
    return true;
}

/* The course menu: C shows it; while shown, Up/Down choose a lesson, Enter or a click
 * opens it, Esc or C closes. True when the action was the menu's. */
static bool course_action(ui_app *a, ui_action_id act, int arg)
{
    ui_course *c = a->course;
    if (act == UI_ACT_COURSE) {
        a->course_open = !a->course_open && c;
        int k = ui_course_find(c, a->lesson ? a->lesson->path : NULL);
        if (c)
            c->selected = k >= 0 ? k : 0;
        return true;
    }
    if (act == UI_ACT_OPEN_LESSON) {
        if (c && arg >= 0 && arg < c->n)
            request_open(a, c->lessons[arg].path);
        return true;
    }
    if (!a->course_open)
        return false;
    switch (act) {
    case UI_ACT_LAYER_PREV:
    case UI_ACT_LAYER_NEXT:
        c->selected += act == UI_ACT_LAYER_NEXT ? 1 : -1;
        c->selected = c->selected < 0 ? 0 : c->selected >= c->n ? c->n - 1 : c->selected;
        return true;
    case UI_ACT_EXPAND:   /* Enter */
        request_open(a, c->lessons[c->selected].path);
        return true;
    case UI_ACT_HELP:     /* Esc, F1 */
    case UI_ACT_QUIT:
        a->course_open = false;
        return act == UI_ACT_HELP;
    default:
        return false;
    }
}

void ui_app_do(ui_app *a, ui_action_id act, int arg)
{
    if (course_action(a, act, arg))
        return;
    /* Each action belongs to one group; the group that knows it runs it. */
    static bool (*const groups[])(ui_app *, ui_action_id, int) = {
        ui_state_action, window_action, playback_action, graph_action, training_action, example_action,
        lesson_action};
    if (a->reset_asked && act != UI_ACT_RESET && act != UI_ACT_CONFIRM) {
        a->reset_asked = false;   /* anything else is a no */
        say(a, "Reset cancelled%s", NULL);
    }
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
        if (groups[i](a, act, arg))
            return;
}

/* Window coordinates to renderer pixels (they differ on high-DPI displays). */
static SDL_Point to_pixels(const ui_app *a, int x, int y)
{
    SDL_Point p = {x, y};
    int ww = 0, wh = 0;
    if (a->win) {
        SDL_GetWindowSize(a->win, &ww, &wh);
        if (ww > 0 && wh > 0 && a->w > 0 && a->h > 0 && (ww != a->w || wh != a->h)) {
            p.x = x * a->w / ww;
            p.y = y * a->h / wh;
        }
    }
    return p;
}

void ui_app_event(ui_app *a, const SDL_Event *e)
{
    switch (e->type) {
    case SDL_QUIT:
        a->quit = true;
        break;
    case SDL_KEYDOWN: {
        int arg = 0;
        ui_action_id act = ui_key_action(e->key.keysym.sym, (Uint16)e->key.keysym.mod, &arg);
        if (act != UI_ACT_NONE)
            ui_app_do(a, act, arg);
        break;
    }
    case SDL_MOUSEBUTTONDOWN:
        if (e->button.button == SDL_BUTTON_LEFT) {
            SDL_Point p = to_pixels(a, e->button.x, e->button.y);
            if (a->help) {
                a->help = false;
                break;
            }
            /* Later hits were drawn on top. */
            for (int i = a->layout.n_hits - 1; i >= 0; i--)
                if (SDL_PointInRect(&p, &a->layout.hits[i].rect)) {
                    ui_app_do(a, a->layout.hits[i].act, a->layout.hits[i].arg);
                    break;
                }
        }
        break;
    case SDL_DROPFILE: {   /* a lesson or a Keras script dropped on the window: open it */
        const char *f = e->drop.file;
        size_t n = f ? strlen(f) : 0;
        if (n > 7 && !strcmp(f + n - 7, ".lesson"))
            request_open(a, f);
        else if (n > 3 && !strcmp(f + n - 3, ".py"))
            request_open(a, f);
        else
            say(a, "%s: not a lesson (.lesson) or a Keras script (.py)", f);
        break;
    }
    case SDL_MOUSEMOTION:
        a->mouse = to_pixels(a, e->motion.x, e->motion.y);
        a->signature = 0;   /* the unit under the pointer is described: redraw */
        break;
    case SDL_WINDOWEVENT:
        if (e->window.event == SDL_WINDOWEVENT_LEAVE)
            a->mouse = (SDL_Point){-1, -1};
        break;
    case SDL_MOUSEWHEEL: {
        int mx, my;
        SDL_GetMouseState(&mx, &my);
        SDL_Point p = a->win ? to_pixels(a, mx, my) : a->mouse;
        if (SDL_PointInRect(&p, &a->layout.lesson))
            ui_app_do(a, UI_ACT_LESSON_SCROLL, -e->wheel.y * 3 * a->theme.font_normal);
        else if (SDL_PointInRect(&p, &a->layout.graph) || !a->win)
            ui_app_do(a, UI_ACT_SCROLL, -e->wheel.y);
        break;
    }
    default:
        break;
    }
}

/* ---- update ---- */

/* Looking back, the graph's padlocks are those of the step shown, as the weight panel's
 * numbers are: the live graph is copied again and the snapshot's frozen flags are laid
 * over it. Live, the graph shows what the next step obeys (a freeze takes effect then). */
static void overlay_snapshot_frozen(ui_app *a)
{
    const nn_trace *t = a->cur;
    if (!a->graph_overlaid || !t)
        return;
    for (int i = 0; i < a->graph.n && i < t->n_layers; i++)
        if (!strcmp(a->graph.layers[i].name, t->layers[i].name))
            a->graph.layers[i].frozen = t->layers[i].frozen;
    ui_graph_group(a);
}

/* Notes are kept one line each at the head of the message log (L), where messages do
 * not push them out: what an import did not read (the lesson's `notes` block) and the
 * session's (weights loaded or not found, the frozen base's cache). The import's are
 * also said at once, the first with how many more there are: said in the window, never
 * in a step's text. */
static void say_notes(ui_app *a, const char *notes, bool show)
{
    char line[256], first[264] = "";
    int n_lines = 0;
    for (const char *p = notes; p && *p;) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n > 0) {
            snprintf(line, sizeof line, "%.*s", (int)(n < 250 ? n : 250), p);
            bool kept = false;   /* a note said again (after a reset) is kept once */
            for (int k = 0; k < a->n_notes && !kept; k++)
                kept = !strcmp(a->notes[k].text, line);
            if (!kept && a->n_notes < UI_NOTES_MAX) {
                ui_log_entry *k = &a->notes[a->n_notes++];
                snprintf(k->text, sizeof k->text, "%s", line);
                k->step = a->status.steps;
                k->ticks = SDL_GetTicks();
            }
            if (!n_lines++)   /* room left in the message for how many more there are */
                snprintf(first, sizeof first, "Note: %.190s%s", line, strlen(line) > 190 ? "..." : "");
        }
        p = e ? e + 1 : p + n;
    }
    if (!show || !n_lines)
        return;
    if (n_lines == 1) {
        ui_show_message(a, first);
    } else {   /* the first, and where the others are */
        char both[320];
        snprintf(both, sizeof both, "%s (and %d more note%s from the import: L lists them)", first,
                 n_lines - 1, n_lines > 2 ? "s" : "");
        ui_show_message(a, both);
    }
}

static void update_notes(ui_app *a)
{
    if (!a->lesson_notes_said && a->lesson) {
        a->lesson_notes_said = true;
        say_notes(a, a->lesson->notes, true);
    }
    if (strcmp(a->graph.notes, a->notes_seen)) {
        snprintf(a->notes_seen, sizeof a->notes_seen, "%s", a->graph.notes);
        say_notes(a, a->graph.notes, false);
    }
}

static void update_graph(ui_app *a)
{
    bool back = a->history_back > 0 && a->cur;
    if (back || a->graph_overlaid)
        a->graph_ver = 0u - 1u;   /* copy it again: the overlay is not the live graph */
    a->graph_overlaid = back;
    if (ui_worker_graph(a->worker, &a->graph, &a->graph_ver)) {
        if (a->n_open != a->graph.n) {
            free(a->open_group);
            a->open_group = calloc((size_t)(a->graph.n > 0 ? a->graph.n : 1), 1);
            a->n_open = a->open_group ? a->graph.n : 0;
        }
        if (a->selected >= a->graph.n)
            a->selected = -1;
        if (!ui_is_dropout(a, a->mask_dropout))
            a->mask_dropout = -1;
        ui_graph_group(a);
        update_notes(a);
    }
    overlay_snapshot_frozen(a);
}

bool ui_app_update(ui_app *a)
{
    ui_worker_metrics(a->worker, &a->metrics, &a->n_metrics, &a->cap_metrics, &a->metrics_gen);
    ui_run twin;
    if (ui_worker_take_ghost(a->worker, &twin, &a->ghost_seq))
        ui_metrics_view_add_run(a, &twin);   /* takes twin.m */
    a->status = ui_worker_get_status(a->worker);
    /* The worker decides: a lesson run plays, and stops when it is done. */
    a->playing = a->status.playing;
    if (a->status.error_seq != a->seen_error) {
        a->seen_error = a->status.error_seq;
        say(a, "%s", a->status.error);
    }
    if (a->status.notice_seq != a->notice_seq) {
        a->notice_seq = a->status.notice_seq;
        say(a, "%s", a->status.notice);
    }
    /* Work that takes a while (a base's outputs, a validation, the first step of a big
     * model): the window says what it is, and for how long, instead of looking stuck. */
    if (a->status.busy_s >= 0.7 && a->status.activity[0]) {
        snprintf(a->message, sizeof a->message, "Working: %s (%.0f s)", a->status.activity,
                 a->status.busy_s);
        a->message_until = SDL_GetTicks() + 1000;
    }
    ui_expect_result r[16];
    int n;
    while ((n = ui_worker_results(a->worker, r, 16)) > 0)
        for (int i = 0; i < n; i++) {
            if (a->n_results == (int)(sizeof a->results / sizeof a->results[0])) {
                memmove(a->results, a->results + 1, sizeof a->results - sizeof a->results[0]);
                a->n_results--;
            }
            a->results[a->n_results++] = r[i];
        }
    ui_snap *s = ui_worker_acquire(a->worker, a->history_back);
    ui_snap_release(a->snap);
    a->snap = s;
    a->cur = ui_snap_trace(s);
    if (a->cur && a->example >= a->cur->batch)
        a->example = a->cur->batch - 1;
    update_graph(a);
    unsigned long long h = 1469598103934665603ull;
    unsigned long long parts[] = {(unsigned long long)(uintptr_t)a->snap, a->graph_ver,
                                  a->n_metrics, a->metrics_gen, (unsigned long long)a->status.steps,
                                  a->status.playing, (unsigned long long)a->status.pending,
                                  (unsigned long long)a->status.run_left,
                                  (unsigned long long)a->status.busy_s,
                                  (unsigned long long)(a->status.steps_per_sec * 10),
                                  (unsigned long long)a->n_results, a->status.error_seq,
                                  SDL_TICKS_PASSED(SDL_GetTicks(), a->message_until) ? 0ull : 1ull};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        h = (h ^ parts[i]) * 1099511628211ull;
    bool changed = h != a->signature;
    a->signature = h;
    return changed;
}

/* ---- draw ---- */

void ui_app_draw(ui_app *a)
{
    int w = 0, h = 0;
    SDL_GetRendererOutputSize(a->ren, &w, &h);
    a->w = w;
    a->h = h;
    ui_theme_make(&a->theme, a->presenter, h);
    ui_layout *L = &a->layout;
    L->n_hits = 0;
    L->n_thumbs = 0;
    L->n_bars = 0;
    ui_layout_compute(a);

    ui_report_reset(a->report);
    ui_text_set_report(a->text, a->report);
    ui_color(a->ren, a->theme.bg);
    SDL_RenderClear(a->ren);
    /* Each view is recorded before it draws; a view that draws a snapshot records its
     * panel again with that snapshot's step. */
    static const struct {
        const char *name;
        size_t off;
        void (*draw)(ui_app *, SDL_Rect);
    } views[] = {
        {"graph", offsetof(ui_layout, graph), ui_graph_view_draw},
        {"mask", offsetof(ui_layout, mask), ui_mask_view_draw},
        {"batch", offsetof(ui_layout, batch), ui_batch_view_draw},
        {"lesson", offsetof(ui_layout, lesson), ui_lesson_view_draw},
        {"metrics", offsetof(ui_layout, metrics), ui_metrics_view_draw},
        {"weights", offsetof(ui_layout, weights), ui_weights_view_draw},
        {"bar", offsetof(ui_layout, bar), ui_bar_view_draw},
    };
    for (size_t i = 0; i < sizeof views / sizeof views[0]; i++) {
        SDL_Rect r = *(const SDL_Rect *)((const char *)L + views[i].off);
        if (r.w <= 0 || r.h <= 0)
            continue;   /* not shown (it shares a place with another: layout tabs) */
        /* The graph draws the live structure with the shown snapshot's padlocks
         * (update_graph) and mask: its step is the snapshot's. The other views record
         * the step they drew themselves. */
        long step = views[i].draw == ui_graph_view_draw && a->cur ? a->cur->step : 0;
        ui_report_panel(a->report, views[i].name, r, step);
        views[i].draw(a, r);
    }
    /* The view a lesson step points at. */
    const SDL_Rect *focus[] = {NULL, &L->graph, &L->mask, &L->metrics, &L->weights, &L->batch,
                               &L->lesson};
    if (a->focus > UI_FOCUS_NONE && a->focus <= UI_FOCUS_LESSON)
        ui_frame(a->ren, *focus[a->focus], a->theme.box_selected, 3 * a->theme.line);
    if (a->course_open)
        ui_course_view_draw(a, (SDL_Rect){0, 0, w, h});
    if (a->help)
        ui_help_view_draw(a, (SDL_Rect){0, 0, w, h});
    ui_text_end_frame(a->text);
    ui_share_frame(a);   /* a clip being recorded takes the frame just drawn */
    a->frames++;
}
