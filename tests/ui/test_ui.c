/* The window without a display: SDL's dummy video driver, the software renderer drawing
 * into a surface, pixels read back at the rectangles the views say they drew.
 *
 * Real sessions (tests/ui/ui.lesson on Fashion-MNIST) where a test compares with the
 * engine; the fake backend (fake_trace.c) where only the exchange of snapshots or the
 * drawing of a hand-made trace matters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <SDL.h>
#include <SDL_image.h>
#include <SDL_ttf.h>

#include "engine/trace.h"
#include "fake_trace.h"
#include "ui/app.h"
#include "ui/launch.h"
#include "ui_rig.h"


static char lesson_path[4096];
static char two_dropouts_path[4096];   /* tests/ui/two_dropouts.lesson */
static char random_base_path[4096];    /* tests/ui/random_base.lesson */
static char long_step_path[4096];      /* tests/ui/long_step.lesson */




static void rig_real(rig *r, int w, int h)
{
    rig_real_lesson(r, lesson_path, w, h);
}








static SDL_Rect cell_rect(const ui_layout *L, int i)
{
    SDL_Rect q = {L->grid.x + (i % L->cols) * L->pitch, L->grid.y + (i / L->cols) * L->pitch,
                  L->cell, L->cell};
    return q;
}

/* Cells whose centre carries the cross colour: what a student sees as dropped. */
static int count_crossed(rig *r, uint8_t *crossed)
{
    const ui_layout *L = &r->a->layout;
    int n = 0;
    for (int i = 0; i < L->units; i++) {
        SDL_Rect q = cell_rect(L, i);
        bool c = same(px(r->surf, q.x + q.w / 2, q.y + q.h / 2), r->a->theme.cross);
        if (crossed)
            crossed[i] = c;
        n += c;
    }
    return n;
}


static void click(rig *r, int x, int y)
{
    SDL_Event e;
    memset(&e, 0, sizeof e);
    e.type = SDL_MOUSEBUTTONDOWN;
    e.button.button = SDL_BUTTON_LEFT;
    e.button.x = x;
    e.button.y = y;
    ui_app_event(r->a, &e);
}


/* ---- tests on real sessions ---- */

/* The cells drawn as dropped are exactly the engine's dropped units of the shown
 * example: same count as nn_trace_dropped, same positions as the mask. */
static void test_mask_cells_match_engine(void **state)
{
    (void)state;
    rig r;
    rig_real(&r, 1280, 800);
    steps(&r, 3);
    int examples[] = {0, 7, 19};
    for (int e = 0; e < 3; e++) {
        r.a->example = examples[e];
        frame(&r);
        const nn_trace *t = r.a->cur;
        assert_non_null(t);
        assert_int_equal(t->step, 3);
        assert_true(t->training);
        assert_int_equal(t->n_dropout, 1);
        const ui_layout *L = &r.a->layout;
        assert_true(L->mask_drawn);
        assert_int_equal(L->units, t->dropout[0].units);
        assert_int_equal(L->units, 1024);
        assert_int_equal(L->cols, 32);
        assert_int_equal(L->rows, 32);
        assert_true(L->cell >= 5);
        uint8_t crossed[1024];
        int n = count_crossed(&r, crossed);
        size_t engine = nn_trace_dropped(t, 0, examples[e]);
        assert_true(engine > 100 && engine < 320);   /* rate 0.2 of 1024: not a vacuous check */
        assert_int_equal(n, (int)engine);
        const uint8_t *m = t->dropout[0].mask + (size_t)examples[e] * 1024;
        for (int i = 0; i < 1024; i++)
            assert_int_equal(crossed[i], m[i] == 0);
    }
    rig_free(&r);
}

/* Frozen layers' boxes carry a padlock (drawn in the padlock colour) and hatching;
 * trainable ones carry neither. */
static void test_frozen_boxes_have_padlock(void **state)
{
    (void)state;
    rig r;
    rig_real(&r, 1280, 800);
    steps(&r, 1);
    frame(&r);
    const ui_layout *L = &r.a->layout;
    int frozen = 0, trainable = 0;
    for (int i = 0; i < L->n_boxes; i++) {
        const ui_box *b = &L->boxes[i];
        if (b->rect.w == 0)
            continue;
        /* Hatch-coloured pixels inside the box (the hatching, not text). */
        int hatch = 0;
        for (int y = b->rect.y + 2; y < b->rect.y + b->rect.h - 2; y++)
            for (int x = b->rect.x + 2; x < b->rect.x + b->rect.w - 2; x++)
                hatch += same(px(r.surf, x, y), r.a->theme.hatch);
        if (b->frozen) {
            frozen++;
            assert_true(b->padlock.w > 0 && b->padlock.h > 0);
            SDL_Rect u;
            assert_true(SDL_IntersectRect(&b->padlock, &b->rect, &u));
            /* Body left of the keyhole, and the shackle's left leg. */
            SDL_Color body = px(r.surf, b->padlock.x + b->padlock.w / 6,
                                b->padlock.y + b->padlock.h * 85 / 100);
            assert_true(same(body, r.a->theme.padlock));
            assert_true(hatch > 30);
        } else {
            trainable++;
            assert_int_equal(b->padlock.w, 0);
            assert_true(hatch < 5);
        }
    }
    assert_true(frozen >= 1);      /* the fashion_cnn base */
    assert_true(trainable >= 4);   /* flatten, dense, dense_1, dropout, dense_2 */

    /* Weight change: the frozen base's bar is hatched with a padlock and no bar colour
     * (the engine measured exactly 0); trainable layers have a bar. */
    int bars_frozen = 0, bars_moving = 0;
    for (int i = 0; i < L->n_bars; i++) {
        const ui_box *b = &L->boxes[L->bar_box[i]];
        SDL_Rect tr = L->bars[i];
        int green = 0, hatch = 0;
        for (int y = tr.y; y < tr.y + tr.h; y++)
            for (int x = tr.x; x < tr.x + tr.w; x++) {
                SDL_Color c = px(r.surf, x, y);
                green += same(c, r.a->theme.bar);
                hatch += same(c, r.a->theme.hatch);
            }
        float dw = 0;
        for (int k = b->first; k <= b->last; k++)
            if (r.a->cur->layers[k].dw_max > dw)
                dw = r.a->cur->layers[k].dw_max;
        if (b->frozen) {
            bars_frozen++;
            assert_true(dw == 0.0f);
            assert_int_equal(green, 0);
            assert_true(hatch > 10);
        } else {
            bars_moving++;
            assert_true(dw > 0.0f);
            assert_true(green > 10);
        }
    }
    assert_int_equal(bars_frozen, 1);
    assert_int_equal(bars_moving, 3);   /* dense, dense_1, dense_2 */
    rig_free(&r);
}

/* Before the first step: an empty grid of the right size, no cell crossed. */
static void test_before_first_step(void **state)
{
    (void)state;
    rig r;
    rig_real(&r, 1280, 800);
    frame(&r);
    assert_null(r.a->cur);
    assert_int_equal(r.a->layout.units, 1024);
    assert_int_equal(r.a->layout.cols, 32);
    assert_false(r.a->layout.mask_drawn);
    assert_int_equal(count_crossed(&r, NULL), 0);
    assert_int_equal(r.a->layout.n_thumbs, 0);
    rig_free(&r);
}

/* In inference mode the grid shows the activations and no dropped cell. */
static void test_inference_draws_no_dropped_cell(void **state)
{
    (void)state;
    rig r;
    rig_real(&r, 1280, 800);
    steps(&r, 2);
    ui_cmd c = {.kind = UI_CMD_MODE, .flag = false};
    ui_worker_push(r.w, &c);
    steps(&r, 1);
    for (int e = -1; e < 2; e++) {
        r.a->example = e;
        frame(&r);
        const nn_trace *t = r.a->cur;
        assert_false(t->training);
        assert_false(t->dropout[0].has_mask);
        assert_false(r.a->layout.mask_drawn);
        assert_false(r.a->layout.batch_counts);
        assert_int_equal(count_crossed(&r, NULL), 0);
    }
    /* And back: training draws crosses again. */
    c.flag = true;
    ui_worker_push(r.w, &c);
    steps(&r, 1);
    r.a->example = 0;
    frame(&r);
    assert_true(r.a->cur->training);
    assert_int_equal(count_crossed(&r, NULL), (int)nn_trace_dropped(r.a->cur, 0, 0));
    rig_free(&r);
}

/* Keys: play, pause, step, select + freeze, inference, resize. */
static void test_scripted_keys(void **state)
{
    (void)state;
    rig r;
    rig_real(&r, 1280, 800);
    frame(&r);
    /* Space plays, Space pauses; training ran meanwhile. */
    key(&r, SDLK_SPACE, 0);
    assert_true(r.a->playing);
    assert_true(ui_worker_get_status(r.w).playing);
    for (int i = 0; i < 3000 && ui_worker_get_status(r.w).steps < 3; i++)
        SDL_Delay(10);
    key(&r, SDLK_SPACE, 0);
    assert_false(r.a->playing);
    ui_worker_wait_idle(r.w);
    long after_play = ui_worker_get_status(r.w).steps;
    assert_true(after_play >= 3);
    /* S: exactly one step. */
    key(&r, SDLK_s, 0);
    ui_worker_wait_idle(r.w);
    frame(&r);
    assert_int_equal(ui_worker_get_status(r.w).steps, after_play + 1);
    assert_int_equal(r.a->cur->step, after_play + 1);
    /* Down to dense, F freezes it: the next step leaves it unchanged. */
    int dense = layer_index(&r, "dense");
    for (int i = 0; i < 20 && r.a->selected != dense; i++) {
        key(&r, SDLK_DOWN, 0);
        frame(&r);
    }
    assert_int_equal(r.a->selected, dense);
    assert_false(r.a->graph.layers[dense].frozen);
    key(&r, SDLK_f, 0);
    ui_worker_wait_idle(r.w);
    key(&r, SDLK_s, 0);
    ui_worker_wait_idle(r.w);
    frame(&r);
    assert_true(r.a->graph.layers[dense].frozen);
    assert_true(r.a->cur->layers[dense].frozen);
    assert_true(r.a->cur->layers[dense].dw_max == 0.0f);
    assert_true(r.a->cur->layers[layer_index(&r, "dense_1")].dw_max > 0.0f);
    /* its box now has a padlock */
    bool lock = false;
    for (int i = 0; i < r.a->layout.n_boxes; i++)
        if (r.a->layout.boxes[i].first == dense)
            lock = r.a->layout.boxes[i].padlock.w > 0;
    assert_true(lock);
    /* F again unfreezes. */
    key(&r, SDLK_f, 0);
    ui_worker_wait_idle(r.w);
    key(&r, SDLK_s, 0);
    ui_worker_wait_idle(r.w);
    frame(&r);
    assert_false(r.a->graph.layers[dense].frozen);
    assert_true(r.a->cur->layers[dense].dw_max > 0.0f);
    /* I: inference; the next step draws no mask. */
    key(&r, SDLK_i, 0);
    ui_worker_wait_idle(r.w);
    key(&r, SDLK_s, 0);
    ui_worker_wait_idle(r.w);
    frame(&r);
    assert_false(r.a->graph.training);
    assert_false(r.a->cur->training);
    assert_int_equal(count_crossed(&r, NULL), 0);
    key(&r, SDLK_i, 0);
    ui_worker_wait_idle(r.w);
    frame(&r);
    assert_true(r.a->graph.training);
    /* Left steps back through history, End returns. (The history holds the inference
     * passes too, with the step count they were made at.) */
    long live = r.a->cur->step;
    const nn_trace *live_t = r.a->cur;
    key(&r, SDLK_LEFT, 0);
    key(&r, SDLK_LEFT, 0);
    frame(&r);
    assert_int_equal(r.a->history_back, 2);
    assert_ptr_not_equal(r.a->cur, live_t);
    assert_true(r.a->cur->step <= live);
    key(&r, SDLK_END, 0);
    frame(&r);
    assert_int_equal(r.a->cur->step, live);
    /* Faster / slower move through the speeds. */
    int sp = r.a->speed_idx;
    key(&r, SDLK_MINUS, 0);
    assert_int_equal(r.a->speed_idx, sp - 1);
    key(&r, SDLK_EQUALS, KMOD_SHIFT);
    assert_int_equal(r.a->speed_idx, sp);
    /* Resize: a smaller surface; everything is laid out inside it. */
    SDL_Surface *small = SDL_CreateRGBSurfaceWithFormat(0, 900, 600, 32, SDL_PIXELFORMAT_ARGB8888);
    SDL_Renderer *ren = SDL_CreateSoftwareRenderer(small);
    char err[256];
    int old_pitch = r.a->layout.pitch;
    assert_int_equal(ui_app_set_renderer(r.a, ren, err, sizeof err), 0);
    SDL_DestroyRenderer(r.ren);
    SDL_FreeSurface(r.surf);
    r.ren = ren;
    r.surf = small;
    r.a->example = 0;
    frame(&r);
    assert_int_equal(r.a->w, 900);
    assert_int_equal(r.a->h, 600);
    const ui_layout *L = &r.a->layout;
    SDL_Rect win = {0, 0, 900, 600};
    const SDL_Rect *panels[] = {&L->bar, &L->graph, &L->mask, &L->metrics, &L->weights, &L->batch,
                                &L->lesson, &L->grid};
    for (size_t i = 0; i < sizeof panels / sizeof panels[0]; i++) {
        SDL_Rect u;
        if (panels[i]->w == 0 && L->tabbed)
            continue;   /* shares a place with another panel (layout tabs), not shown */
        assert_true(SDL_IntersectRect(panels[i], &win, &u));
        assert_memory_equal(&u, panels[i], sizeof u);
    }
    assert_true(L->pitch < old_pitch);
    assert_int_equal(count_crossed(&r, NULL), (int)nn_trace_dropped(r.a->cur, 0, 0));
    /* F1 shows the keys, Esc closes; Q quits. */
    key(&r, SDLK_F1, 0);
    assert_true(r.a->help);
    frame(&r);
    keep_frame(&r, "help-900x600");
    key(&r, SDLK_ESCAPE, 0);
    assert_false(r.a->help);
    key(&r, SDLK_q, 0);
    assert_true(r.a->quit);
    rig_free(&r);
}

/* The lesson drives the session: entering a step runs its actions and checks. */
static void test_lesson_steps(void **state)
{
    (void)state;
    rig r;
    rig_real(&r, 1280, 800);
    assert_non_null(r.lesson);
    ui_app_enter_step(r.a, 0);
    ui_worker_wait_idle(r.w);
    frame(&r);
    assert_int_equal(r.a->n_results, 1);
    assert_true(r.a->results[0].ok);   /* steps == 0 */
    key(&r, SDLK_1, 0);
    assert_int_equal(r.a->answers[0], 0);
    key(&r, SDLK_2, 0);
    assert_int_equal(r.a->answers[0], 1);   /* the right one */
    key(&r, SDLK_n, 0);
    ui_worker_wait_idle(r.w);
    frame(&r);
    assert_int_equal(r.a->lesson_step, 1);
    assert_int_equal(r.a->cur->step, 3);    /* run 3 steps */
    bool found = false;
    for (int i = 0; i < r.a->n_results; i++)
        if (r.a->results[i].tag.step == 1) {
            found = true;
            assert_true(r.a->results[i].ok);
            assert_true(r.a->results[i].measured > 0.1 && r.a->results[i].measured < 0.3);
        }
    assert_true(found);
    key(&r, SDLK_b, 0);
    assert_int_equal(r.a->lesson_step, 0);
    rig_free(&r);
}

/* A real session played in the worker thread while this (UI) thread does what a
 * student's window does: draws frames (each takes the newest snapshot), looks back
 * through history, and changes things while training runs (rate, freezing, mode,
 * validation, example). DS_UI_PLAY_STEPS steps (default 60; scripts/tsan.sh runs 300
 * under ThreadSanitizer). Every frame's dropped cells match the engine's mask. */
static void test_play_real_session(void **state)
{
    (void)state;
    const char *env = getenv("DS_UI_PLAY_STEPS");
    long target = env && *env ? strtol(env, NULL, 10) : 60;
    if (target < 50)
        target = 50;   /* past the freeze at step 30 and the unfreeze at 45 */
    rig r;
    rig_real(&r, 1280, 800);
    ui_app_enter_step(r.a, 0);
    ui_worker_wait_idle(r.w);
    int dense = layer_index(&r, "dense");
    ui_worker_set_speed(r.w, 0);
    key(&r, SDLK_SPACE, 0);   /* play, as fast as possible */
    assert_true(r.a->playing);
    long last = 0, frames = 0, checked = 0, acted = -1;
    bool inference = false;
    ui_snap *held = NULL;
    Uint32 t0 = SDL_GetTicks();
    while (SDL_GetTicks() - t0 < 600000) {
        frame(&r);
        frames++;
        ui_worker_status st = ui_worker_get_status(r.w);
        assert_string_equal(st.error, "");
        const nn_trace *t = r.a->cur;
        if (t) {
            assert_true(t->step >= last);   /* live view: never goes back */
            last = t->step;
            if (t->training && r.a->example >= 0 && r.a->layout.mask_drawn) {
                assert_int_equal(count_crossed(&r, NULL),
                                 (int)nn_trace_dropped(t, 0, r.a->example));
                checked++;
            }
        }
        if (last >= target)
            break;
        /* An older snapshot held across several frames, then checked and let go. */
        if (frames % 7 == 0) {
            if (held) {
                const nn_trace *o = ui_snap_trace(held);
                assert_true(o->step <= last);
                assert_int_equal(o->n_dropout, 1);
                ui_snap_release(held);
            }
            held = ui_worker_acquire(r.w, (int)(frames % 30));
        }
        /* What a student changes while it trains, at steps so the amount of work
         * does not depend on how fast frames come. */
        for (long k = acted + 1; t && k <= t->step; k++) {   /* each step once */
            if (k % 10 == 3)
                key(&r, k % 20 < 10 ? SDLK_RIGHTBRACKET : SDLK_LEFTBRACKET, 0);
            if (k % 10 == 7) {
                key(&r, SDLK_PERIOD, 0);
                if (r.a->example < 0)
                    key(&r, SDLK_PERIOD, 0);
            }
            if (k % 50 == 25)
                key(&r, SDLK_v, 0);
            if (k % 50 == 40 && !inference) {
                key(&r, SDLK_i, 0);   /* inference until a step of it is shown */
                inference = true;
            }
            if (k == 30 || k == 45) {   /* freeze dense (a recompile), then unfreeze */
                ui_app_do(r.a, UI_ACT_SELECT_LAYER, dense);
                key(&r, SDLK_f, 0);
            }
            acted = k;
        }
        if (inference && t && !t->training) {
            key(&r, SDLK_i, 0);
            inference = false;
        }
        SDL_Delay(16);   /* a window's frame rate: the worker gets its core */
    }
    key(&r, SDLK_SPACE, 0);
    ui_worker_wait_idle(r.w);
    ui_snap_release(held);
    frame(&r);
    assert_true(r.a->cur->step >= target);
    /* a metric per step run (inference steps included), in order */
    assert_true((long)r.a->n_metrics >= ui_worker_get_status(r.w).steps);
    for (size_t i = 1; i < r.a->n_metrics; i++)
        assert_true(r.a->metrics[i].step >= r.a->metrics[i - 1].step);
    assert_int_equal(r.a->metrics[r.a->n_metrics - 1].step, ui_worker_get_status(r.w).steps);
    assert_true(checked > 0);
    assert_false(r.a->graph.layers[dense].frozen);   /* frozen at 30, unfrozen at 45 */
    assert_string_equal(ui_worker_get_status(r.w).error, "");
    print_message("played %ld steps in the worker in %.1f s, %ld frames drawn, %ld masks checked\n",
                  r.a->cur->step, (SDL_GetTicks() - t0) / 1000.0, frames, checked);
    rig_free(&r);
}

/* Pixels of the status message's colour in the bar's first row: the message shown. */
static int message_pixels(rig *r)
{
    /* The bar's top row, and the box messages are shown whole in (layout.message). */
    const SDL_Rect areas[2] = {{r->a->layout.bar.x, r->a->layout.bar.y, r->a->layout.bar.w,
                                r->a->layout.bar.h / 2}, r->a->layout.message};
    int n = 0;
    for (int k = 0; k < 2; k++) {
        const SDL_Rect b = areas[k];
        for (int y = b.y; y < b.y + b.h; y++)
            for (int x = b.x; x < b.x + b.w; x++)
                n += same(px(r->surf, x, y), r->a->theme.val);
    }
    return n;
}


/* Two Dropout layers (lesson 7's model, small): the mask view shows the first; D, a tab
 * or the caption shows the other, with its own units, cells, caption, strip and rate. */
static void test_choose_dropout(void **state)
{
    (void)state;
    rig r;
    rig_real_lesson(&r, two_dropouts_path, 1280, 800);
    steps(&r, 3);
    frame(&r);
    int d0 = layer_index(&r, "dropout"), d1 = layer_index(&r, "dropout_1");
    const nn_trace *t = r.a->cur;
    assert_int_equal(t->n_dropout, 2);
    int t0 = t->dropout[0].layer == d0 ? 0 : 1, t1 = 1 - t0;
    assert_int_equal(t->dropout[t1].layer, d1);
    /* First: dropout over dense's 64 outputs; a tab per Dropout, the shown one on. */
    assert_int_equal(ui_dropout_index(r.a), d0);
    assert_int_equal(r.a->layout.units, 64);
    assert_int_equal(count_crossed(&r, NULL), (int)nn_trace_dropped(t, t0, 0));
    assert_int_equal(hits_of(&r, UI_ACT_SHOW_DROPOUT, d0, NULL), 1);
    assert_int_equal(hits_of(&r, UI_ACT_SHOW_DROPOUT, d1, NULL), 1);
    assert_int_equal(hits_of(&r, UI_ACT_NEXT_DROPOUT, -1, NULL), 2);   /* caption, "next D" */
    assert_int_equal(message_pixels(&r), 0);
    assert_true(r.a->layout.source_box >= 0);
    assert_int_equal(r.a->layout.boxes[r.a->layout.source_box].first, layer_index(&r, "dense"));
    keep_frame(&r, "dropout-first");
    /* D: dropout_1 over dense_1's 100 outputs, its own mask. */
    key(&r, SDLK_d, 0);
    frame(&r);
    assert_int_equal(ui_dropout_index(r.a), d1);
    assert_int_equal(r.a->layout.units, 100);
    assert_int_equal(r.a->layout.cols, 10);
    assert_int_equal(count_crossed(&r, NULL), (int)nn_trace_dropped(t, t1, 0));
    assert_int_equal(r.a->layout.boxes[r.a->layout.source_box].first, layer_index(&r, "dense_1"));
    assert_non_null(strstr(r.a->message, "dropout_1 (Dropout 2 of 2)"));
    assert_true(message_pixels(&r) > 20);   /* said in the bar for 4 s, then gone */
    r.a->message_until = SDL_GetTicks() - 1;
    frame(&r);
    assert_int_equal(message_pixels(&r), 0);
    /* the strip's history is dropout_1's */
    const ui_metric *m = &r.a->metrics[r.a->n_metrics - 1];
    double f1 = (double)t->dropout[t1].dropped / ((double)t->batch * t->dropout[t1].units);
    double f0 = (double)t->dropout[t0].dropped / ((double)t->batch * t->dropout[t0].units);
    assert_true(fabs(m->dropped[t1] - f1) < 1e-6 && fabs(m->dropped[t0] - f0) < 1e-6);
    /* the rate keys change the Dropout shown, not the other */
    float r0 = r.a->graph.layers[d0].rate, r1 = r.a->graph.layers[d1].rate;
    key(&r, SDLK_RIGHTBRACKET, 0);
    ui_worker_wait_idle(r.w);
    frame(&r);
    assert_true(fabsf(r.a->graph.layers[d1].rate - (r1 + 0.05f)) < 1e-6f);
    assert_true(r.a->graph.layers[d0].rate == r0);
    r.a->example = 4;
    frame(&r);
    assert_int_equal(count_crossed(&r, NULL), (int)nn_trace_dropped(r.a->cur, t1, 4));
    keep_frame(&r, "dropout-second");
    /* D again wraps to the first; a click on the dropout_1 tab, then on the caption. */
    key(&r, SDLK_d, 0);
    frame(&r);
    assert_int_equal(ui_dropout_index(r.a), d0);
    SDL_Rect tab = {0, 0, 0, 0};
    assert_int_equal(hits_of(&r, UI_ACT_SHOW_DROPOUT, d1, &tab), 1);
    click(&r, tab.x + tab.w / 2, tab.y + tab.h / 2);
    frame(&r);
    assert_int_equal(ui_dropout_index(r.a), d1);
    assert_int_equal(r.a->layout.units, 100);
    SDL_Rect m0 = r.a->layout.mask;
    click(&r, m0.x + m0.w / 2, m0.y + 4);   /* the caption */
    frame(&r);
    assert_int_equal(ui_dropout_index(r.a), d0);
    /* A selected Dropout (clicked in the graph) is shown; D moves the selection along. */
    ui_app_do(r.a, UI_ACT_SELECT_LAYER, d1);
    frame(&r);
    assert_int_equal(ui_dropout_index(r.a), d1);
    key(&r, SDLK_d, 0);
    assert_int_equal(r.a->selected, d0);
    assert_int_equal(ui_dropout_index(r.a), d0);
    rig_free(&r);
}

/* One Dropout layer: no tabs; D keeps it. */
static void test_one_dropout_no_tabs(void **state)
{
    (void)state;
    rig r;
    rig_real(&r, 1280, 800);
    steps(&r, 1);
    frame(&r);
    int d = ui_dropout_index(r.a);
    assert_true(d >= 0);
    assert_int_equal(hits_of(&r, UI_ACT_SHOW_DROPOUT, -1, NULL), 0);
    assert_int_equal(hits_of(&r, UI_ACT_NEXT_DROPOUT, -1, NULL), 0);
    key(&r, SDLK_d, 0);
    frame(&r);
    assert_int_equal(ui_dropout_index(r.a), d);
    assert_int_equal(r.a->layout.units, 1024);
    rig_free(&r);
}

/* A step may hold 1,024 items: the result of item 256 of step 0 is not taken for one of
 * step 1's (they were both tag 256 once, so entering step 1 threw step 0's away). */
static void test_long_step_results(void **state)
{
    (void)state;
    rig r;
    rig_real_lesson(&r, long_step_path, 1280, 800);
    assert_int_equal(r.lesson->steps[0].n_items, 257);
    ui_app_enter_step(r.a, 0);
    ui_worker_wait_idle(r.w);
    frame(&r);
    assert_int_equal(r.a->n_results, 1);
    ui_app_enter_step(r.a, 1);
    ui_worker_wait_idle(r.w);
    frame(&r);
    assert_int_equal(r.a->n_results, 2);   /* step 1 clears only its own results */
    assert_true(r.a->results[0].ok && r.a->results[1].ok);
    rig_free(&r);
}

/* A base whose weights file is missing (lesson 8 without Keras's file) says so: in the
 * status line when the window opens, and on its box for as long as it is shown. */
static void test_random_base_said(void **state)
{
    (void)state;
    rig r;
    rig_real_lesson(&r, random_base_path, 1280, 800);
    frame(&r);
    int base = layer_index(&r, "conv2d");
    assert_true(r.a->graph.layers[base].random_weights);
    assert_false(r.a->graph.layers[layer_index(&r, "dense")].random_weights);
    assert_non_null(strstr(r.a->message, "fashion_cnn: RANDOM weights"));
    assert_true(message_pixels(&r) > 20);
    int group = -1;
    for (int i = 0; i < r.a->layout.n_boxes; i++)
        if (r.a->layout.boxes[i].group)
            group = i;
    assert_true(group >= 0);
    SDL_Rect b = r.a->layout.boxes[group].rect;
    int bad = 0;
    for (int y = b.y; y < b.y + b.h; y++)
        for (int x = b.x; x < b.x + b.w; x++)
            bad += same(px(r.surf, x, y), r.a->theme.bad);
    assert_true(bad > 20);
    keep_frame(&r, "random-base");
    rig_free(&r);
    /* weights found: nothing said, nothing marked */
    rig_real(&r, 1280, 800);
    frame(&r);
    for (int i = 0; i < r.a->graph.n; i++)
        assert_false(r.a->graph.layers[i].random_weights);
    assert_int_equal(message_pixels(&r), 0);
    rig_free(&r);
}

/* ---- tests on the fake backend ---- */

/* Many fast steps: the UI thread takes snapshots (newest and older) while the worker
 * keeps publishing; every snapshot stays intact while held. Run under TSan too. */
static void test_snapshot_exchange(void **state)
{
    (void)state;
    fake_options fo = {.batch = 8, .units = 256, .base_layers = 5, .rate = 0.5f, .seed = 9};
    ui_backend *b = fake_backend_create(&fo);
    ui_worker *w = ui_worker_start(b, 64);
    assert_non_null(w);
    ui_worker_set_speed(w, 0);
    ui_worker_set_playing(w, true);
    long last = 0, seen = 0;
    unsigned long checksum = 0;
    ui_snap *held[8] = {0};
    Uint32 t0 = SDL_GetTicks();
    for (int it = 0; last < 2000 && SDL_GetTicks() - t0 < 20000; it++) {
        ui_snap *s = ui_worker_acquire(w, 0);
        if (!s)
            continue;
        const nn_trace *t = ui_snap_trace(s);
        assert_true(t->step >= last);   /* the newest never goes back */
        last = t->step;
        seen++;
        size_t dropped = 0;
        for (int i = 0; i < t->batch * t->dropout[0].units; i++) {
            dropped += t->dropout[0].mask[i] == 0;
            checksum += (unsigned long)(t->dropout[0].act[i] * 16);
        }
        assert_int_equal(dropped, t->dropout[0].dropped);
        /* Hold a few older snapshots across many worker steps, then check them. */
        ui_snap *old = ui_worker_acquire(w, 1 + it % 40);
        int k = it % 8;
        if (held[k]) {
            const nn_trace *o = ui_snap_trace(held[k]);
            size_t d = 0;
            for (int i = 0; i < o->batch * o->dropout[0].units; i++)
                d += o->dropout[0].mask[i] == 0;
            assert_int_equal(d, o->dropout[0].dropped);
            ui_snap_release(held[k]);
        }
        held[k] = old;
        ui_snap_release(s);
        if (it % 100 == 0) {   /* live commands while it runs */
            ui_cmd c = {.kind = UI_CMD_RATE, .value = (it / 100) % 2 ? 0.3f : 0.5f};
            snprintf(c.layer, sizeof c.layer, "dropout");
            ui_worker_push(w, &c);
        }
    }
    ui_worker_set_playing(w, false);
    ui_worker_wait_idle(w);
    assert_true(last >= 100);
    assert_true(seen > 10);
    assert_true(ui_worker_history(w) <= 64);
    /* History is consecutive: back k is k steps before the newest. */
    ui_snap *n0 = ui_worker_acquire(w, 0), *n5 = ui_worker_acquire(w, 5);
    assert_int_equal(ui_snap_trace(n0)->step - 5, ui_snap_trace(n5)->step);
    ui_snap_release(n0);
    ui_snap_release(n5);
    ui_worker_stop(w);
    /* Held snapshots outlive the worker. */
    for (int k = 0; k < 8; k++) {
        if (held[k])
            assert_true(ui_snap_trace(held[k])->batch == 8);
        ui_snap_release(held[k]);
    }
    (void)checksum;
}

/* Text is rendered once per change, not every frame. */
static void test_text_rendered_once(void **state)
{
    (void)state;
    rig r;
    rig_fake(&r, 1280, 800, NULL);
    steps(&r, 4);
    frame(&r);
    unsigned long n1 = ui_text_render_count(r.a->text);
    assert_true(n1 > 20);
    for (int i = 0; i < 5; i++)
        frame(&r);
    assert_int_equal(ui_text_render_count(r.a->text), n1);
    steps(&r, 1);   /* a new step changes some numbers: a few renders, not all */
    frame(&r);
    unsigned long n2 = ui_text_render_count(r.a->text);
    assert_true(n2 > n1);
    assert_true(n2 - n1 < n1 / 2);
    rig_free(&r);
}

/* Mouse: a click on the collapsed base opens it, a thumbnail picks the example, the
 * whole batch shows per-unit counts. */
static void test_mouse(void **state)
{
    (void)state;
    rig r;
    rig_fake(&r, 1280, 800, NULL);
    steps(&r, 2);
    frame(&r);
    ui_layout *L = &r.a->layout;
    int boxes = L->n_boxes, group = -1;
    for (int i = 0; i < L->n_boxes; i++)
        if (L->boxes[i].group)
            group = i;
    assert_true(group >= 0);
    SDL_Rect g = L->boxes[group].rect;
    click(&r, g.x + g.w / 2, g.y + g.h / 2);
    frame(&r);
    assert_true(L->n_boxes > boxes);   /* opened: one box per layer */
    for (int i = 0; i < L->n_boxes; i++)
        if (L->boxes[i].frozen && L->boxes[i].rect.w > 0)
            assert_true(L->boxes[i].padlock.w > 0);
    key(&r, SDLK_e, 0);                /* E closes it again */
    frame(&r);
    assert_int_equal(L->n_boxes, boxes);
    assert_true(L->n_thumbs == 20);
    SDL_Rect th = L->thumbs[6];
    click(&r, th.x + th.w / 2, th.y + th.h / 2);
    frame(&r);
    assert_int_equal(r.a->example, 6);
    assert_int_equal(count_crossed(&r, NULL), (int)nn_trace_dropped(r.a->cur, 0, 6));
    key(&r, SDLK_a, 0);
    frame(&r);
    assert_int_equal(r.a->example, -1);
    assert_true(L->batch_counts);
    rig_free(&r);
}

/* Near-square grids for other sizes. */
static void test_grid_shapes(void **state)
{
    (void)state;
    int sizes[] = {512, 100, 37};
    int cols[] = {23, 10, 7};
    for (int i = 0; i < 3; i++) {
        fake_options fo = {.batch = 4, .units = sizes[i], .base_layers = 5, .rate = 0.25f, .seed = 2};
        rig r;
        rig_fake(&r, 1280, 800, &fo);
        steps(&r, 1);
        frame(&r);
        assert_int_equal(r.a->layout.units, sizes[i]);
        assert_int_equal(r.a->layout.cols, cols[i]);
        assert_true(r.a->layout.cols * r.a->layout.rows >= sizes[i]);
        assert_true((r.a->layout.rows - 1) * r.a->layout.cols < sizes[i]);
        assert_int_equal(count_crossed(&r, NULL), (int)nn_trace_dropped(r.a->cur, 0, 0));
        rig_free(&r);
    }
}

/* PNG files are written whole: no temp file left, the picture reads back. */
static void test_png_atomic(void **state)
{
    (void)state;
    char dir[] = "/tmp/ds_ui_pngXXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], err[256];
    snprintf(path, sizeof path, "%s/a.png", dir);
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, 64, 32, 32, SDL_PIXELFORMAT_ARGB8888);
    SDL_FillRect(s, NULL, SDL_MapRGB(s->format, 10, 200, 30));
    assert_int_equal(ui_save_png(s, path, err, sizeof err), 0);
    assert_int_equal(ui_save_png(s, path, err, sizeof err), 0);   /* replaces */
    SDL_Surface *b = IMG_Load(path);
    assert_non_null(b);
    assert_int_equal(b->w, 64);
    assert_int_equal(b->h, 32);
    SDL_FreeSurface(b);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0044, 0044);   /* readable by others, as a picture is */
    char cmd[512];
    snprintf(cmd, sizeof cmd, "test $(ls -A %s | wc -l) -eq 1", dir);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof path, "%s/no/such/dir/a.png", dir);
    assert_int_equal(ui_save_png(s, path, err, sizeof err), -1);
    assert_non_null(strstr(err, "a.png"));
    SDL_FreeSurface(s);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* The window commands' number options: whole numbers in range, nothing else. */
static void test_parse_long(void **state)
{
    (void)state;
    long v = 7;
    assert_true(ui_parse_long("0", 0, 10, &v));
    assert_int_equal(v, 0);
    assert_true(ui_parse_long("10", 0, 10, &v));
    assert_int_equal(v, 10);
    assert_true(ui_parse_long("-3", -5, 10, &v));
    assert_int_equal(v, -3);
    const char *bad[] = {NULL, "", "abc", "1.5", "1e3", " 5", "+5", "5 ", "-", "11", "-1",
                         "99999999999999999999", "0x10"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = 42;
        assert_false(ui_parse_long(bad[i], 0, 10, &v));
        assert_int_equal(v, 42);   /* untouched */
    }
}

/* shot checks where the PNG goes before it loads anything. */
static void test_png_writable(void **state)
{
    (void)state;
    char dir[] = "/tmp/ds_ui_outXXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], err[512];
    snprintf(path, sizeof path, "%s/a.png", dir);
    assert_int_equal(ui_png_writable(path, err, sizeof err), 0);
    assert_int_equal(ui_png_writable(dir, err, sizeof err), -1);   /* a directory */
    assert_non_null(strstr(err, "is a directory"));
    snprintf(path, sizeof path, "%s/", dir);
    assert_int_equal(ui_png_writable(path, err, sizeof err), -1);
    snprintf(path, sizeof path, "%s/no/such/a.png", dir);
    assert_int_equal(ui_png_writable(path, err, sizeof err), -1);
    assert_non_null(strstr(err, "no/such/a.png: cannot create a file in"));
    assert_non_null(strstr(err, "No such file or directory"));
    snprintf(path, sizeof path, "%s/f", dir);   /* under a file */
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    snprintf(path, sizeof path, "%s/f/a.png", dir);
    assert_int_equal(ui_png_writable(path, err, sizeof err), -1);
    assert_non_null(strstr(err, "Not a directory"));
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    SDL_setenv("SDL_VIDEODRIVER", "dummy", 1);
    if (TTF_Init() != 0) {
        fprintf(stderr, "TTF_Init: %s\n", TTF_GetError());
        return 1;
    }
    char err[512];
    const char *src = getenv("DROPSCOPE_SOURCE_DIR");
    char rel[4200];
    snprintf(rel, sizeof rel, "%s/tests/ui/ui.lesson", src && *src ? src : ".");
    if (ui_resolve_lesson(rel, lesson_path, sizeof lesson_path, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    snprintf(rel, sizeof rel, "%s/tests/ui/two_dropouts.lesson", src && *src ? src : ".");
    if (ui_resolve_lesson(rel, two_dropouts_path, sizeof two_dropouts_path, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    snprintf(rel, sizeof rel, "%s/tests/ui/random_base.lesson", src && *src ? src : ".");
    if (ui_resolve_lesson(rel, random_base_path, sizeof random_base_path, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    snprintf(rel, sizeof rel, "%s/tests/ui/long_step.lesson", src && *src ? src : ".");
    if (ui_resolve_lesson(rel, long_step_path, sizeof long_step_path, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mask_cells_match_engine),
        cmocka_unit_test(test_frozen_boxes_have_padlock),
        cmocka_unit_test(test_inference_draws_no_dropped_cell),
        cmocka_unit_test(test_before_first_step),
        cmocka_unit_test(test_scripted_keys),
        cmocka_unit_test(test_lesson_steps),
        cmocka_unit_test(test_play_real_session),
        cmocka_unit_test(test_choose_dropout),
        cmocka_unit_test(test_one_dropout_no_tabs),
        cmocka_unit_test(test_random_base_said),
        cmocka_unit_test(test_long_step_results),
        cmocka_unit_test(test_snapshot_exchange),
        cmocka_unit_test(test_text_rendered_once),
        cmocka_unit_test(test_mouse),
        cmocka_unit_test(test_grid_shapes),
        cmocka_unit_test(test_png_atomic),
        cmocka_unit_test(test_parse_long),
        cmocka_unit_test(test_png_writable),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    TTF_Quit();
    return rc;
}
