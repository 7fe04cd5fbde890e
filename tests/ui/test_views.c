/* The views of issue 12 (src/ui/weights_view.c, grad_view.c, mask view modes, metrics
 * ghosts), drawn headless (SDL's dummy driver, a software renderer over a surface) and
 * checked on the pixels they drew and against the engine's published numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>
#include <SDL_ttf.h>

#include "engine/trace.h"
#include "fake_trace.h"
#include "ui/app.h"
#include "ui/launch.h"
#include "ui/mask_internal.h"
#include "ui/report.h"
#include "ui/views.h"
#include "lesson/lesson.h"
#include "session/load.h"
#include "session/session.h"
#include "ui/report.h"

static char views_lesson[4096];   /* tests/ui/views.lesson: batch size 1 */
static char channel_lesson[4096]; /* lessons/09-channel-dropout.lesson */
static char bn_lesson[4096];      /* lessons/06-fine-tuning.lesson */
static char mc_lesson[4096];      /* lessons/10-mc-dropout.lesson */
static char rates_lesson[4096];
static char twins_lesson[4096];   /* tests/ui/twins.lesson: one compare of 40 steps */   /* tests/ui/rates.lesson: runs that reset, one rate each */
static char noise_lesson[4096];   /* tests/ui/noise.lesson: GaussianDropout, AlphaDropout */
static char augment_lesson[4096]; /* tests/ui/augment.lesson: RandomFlip('horizontal') */
static char calls_lesson[4096];   /* tests/ui/training_calls.lesson: training= on calls */

/* With DS_UI_SHOTS=DIR, a test leaves the frame it checked there as NAME.png. */
static void keep_png(SDL_Surface *s, const char *name)
{
    const char *dir = getenv("DS_UI_SHOTS");
    if (!dir || !*dir)
        return;
    char path[4096], err[512];
    snprintf(path, sizeof path, "%s/%s.png", dir, name);
    if (ui_save_png(s, path, err, sizeof err) < 0)
        fail_msg("%s", err);
}

typedef struct {
    SDL_Surface *surf;
    SDL_Renderer *ren;
    ui_worker *w;
    ui_app *a;
    const ls_lesson *lesson;
} view_rig;

static void open_rig(view_rig *r, const char *lesson, ui_backend *fake, int w, int h)
{
    memset(r, 0, sizeof *r);
    r->surf = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    assert_non_null(r->surf);
    r->ren = SDL_CreateSoftwareRenderer(r->surf);
    assert_non_null(r->ren);
    char err[1024];
    if (lesson)
        r->w = ui_launch(lesson, false, 0, &r->lesson, err, sizeof err);
    else
        r->w = ui_worker_start(fake, 300);
    if (!r->w)
        fail_msg("worker: %s", lesson ? err : "fake");
    ui_app_options o = {.example = 0, .speed = 0};
    r->a = ui_app_create(NULL, r->ren, r->w, r->lesson, &o, err, sizeof err);
    if (!r->a)
        fail_msg("ui_app_create: %s", err);
    ui_worker_set_speed(r->w, 0);
}

static void close_rig(view_rig *r)
{
    ui_app_destroy(r->a);
    ui_worker_stop(r->w);
    SDL_DestroyRenderer(r->ren);
    SDL_FreeSurface(r->surf);
}

static void run_steps(view_rig *r, long n)
{
    ui_cmd c = {.kind = UI_CMD_STEP, .n = n};
    ui_worker_push(r->w, &c);
    ui_worker_wait_idle(r->w);
}

static void draw(view_rig *r)
{
    ui_app_update(r->a);
    ui_app_draw(r->a);
    SDL_RenderPresent(r->ren);
}

static SDL_Color pixel(SDL_Surface *s, int x, int y)
{
    assert_true(x >= 0 && y >= 0 && x < s->w && y < s->h);
    Uint32 v = ((Uint32 *)((Uint8 *)s->pixels + (size_t)y * s->pitch))[x];
    SDL_Color c;
    SDL_GetRGBA(v, s->format, &c.r, &c.g, &c.b, &c.a);
    return c;
}

static bool same_rgb(SDL_Color a, SDL_Color b)
{
    return a.r == b.r && a.g == b.g && a.b == b.b;
}

/* Centre pixel of cell i of a grid. */
static SDL_Color cell_centre(view_rig *r, SDL_Rect grid, int cols, int pitch, int cell, int i)
{
    return pixel(r->surf, grid.x + (i % cols) * pitch + cell / 2, grid.y + (i / cols) * pitch + cell / 2);
}

/* The graph box of layer `name`. */
static int box_of(view_rig *r, const char *name)
{
    for (int i = 0; i < r->a->layout.n_boxes; i++) {
        const ui_box *b = &r->a->layout.boxes[i];
        for (int k = b->first; k <= b->last; k++)
            if (!strcmp(r->a->graph.layers[k].name, name))
                return i;
    }
    fail_msg("no box for %s", name);
    return -1;
}

/* Lesson 5's claim at batch size 1: the cells left empty in the gradient grid are the
 * dropped cells of the mask, plus units whose ReLU output was 0 (no gradient through
 * ReLU either) -- and nothing else; every dropped cell is empty. */
static void test_grad_grid_batch1(void **state)
{
    (void)state;
    view_rig r;
    open_rig(&r, views_lesson, NULL, 1280, 800);
    run_steps(&r, 2);
    draw(&r);
    keep_png(r.surf, "i12-gradient-grid");
    const nn_trace *t = r.a->cur;
    assert_non_null(t);
    assert_int_equal(t->batch, 1);
    assert_int_equal(ui_mask_view_mode(r.a), UI_MASK_GRADIENTS);
    const nn_trace_dropout *D = &t->dropout[0];
    assert_non_null(D->unit_grad);
    const ui_grid_geom *g = &r.a->mask_cache->grad_geom;
    assert_int_equal(g->units, 1024);
    const ui_layout *L = &r.a->layout;
    SDL_Color empty = r.a->theme.bg, cross = r.a->theme.cross;
    int dropped = 0, off = 0, lit = 0;
    for (int u = 0; u < 1024; u++) {
        bool is_empty = same_rgb(cell_centre(&r, g->grid, g->cols, g->pitch, g->cell, u), empty);
        bool crossed = same_rgb(cell_centre(&r, L->grid, L->cols, L->pitch, L->cell, u), cross);
        assert_int_equal(crossed, D->mask[u] == 0);   /* the mask grid shows the mask */
        assert_int_equal(is_empty, D->unit_grad[u] == 0.0f);
        if (crossed) {
            assert_true(is_empty);
            dropped++;
        } else if (is_empty) {
            assert_true(D->act[u] == 0.0f);   /* the only other way to get no gradient */
            off++;
        } else {
            lit++;
        }
    }
    assert_true(dropped > 100 && dropped < 320);   /* rate 0.2: not vacuous */
    assert_true(lit > 100);
    (void)off;
    /* the frozen base computed no gradient; the heads did */
    for (int i = 0; i < t->n_layers; i++)
        if (t->layers[i].params > 0)
            assert_int_equal(isnan(t->layers[i].grad_norm), t->layers[i].frozen);
    close_rig(&r);
}

/* The weight panel's number is the lesson's `last change` of the same layer and step, and
 * the lesson's `weight change` is the largest of the panel's numbers over the steps it
 * covers. With RMSprop from scratch every bar reads lr/sqrt(1-rho) at step 1. */
static void test_weight_panel_is_lesson_quantity(void **state)
{
    (void)state;
    view_rig r;
    open_rig(&r, views_lesson, NULL, 1280, 800);
    run_steps(&r, 1);
    draw(&r);
    int b1 = box_of(&r, "dense_1"), b0 = box_of(&r, "dense");
    ui_weights_row w1 = ui_weights_view_row(r.a, b1), w0 = ui_weights_view_row(r.a, b0);
    double ceil = 1e-4 / sqrt(0.1);   /* by hand */
    assert_true(fabs(w1.dw - ceil) < 1e-3 * ceil);
    assert_true(fabs(w0.dw - ceil) < 1e-3 * ceil);
    assert_true(fabs(w1.rel - w0.rel) > 0.05 * w0.rel);   /* the relative change differs */
    ui_app_enter_step(r.a, 0);
    ui_worker_wait_idle(r.w);
    draw(&r);
    assert_int_equal(r.a->cur->step, 4);
    double panel_max = 0;
    int n = 0;
    for (int back = 0; back < 3; back++) {   /* steps 4, 3, 2: the lesson step's window */
        r.a->history_back = back;
        draw(&r);
        assert_int_equal(r.a->cur->step, 4 - back);
        panel_max = fmax(panel_max, ui_weights_view_row(r.a, box_of(&r, "dense_1")).dw);
    }
    r.a->history_back = 0;
    draw(&r);
    double last1 = ui_weights_view_row(r.a, b1).dw, last0 = ui_weights_view_row(r.a, b0).dw;
    for (int i = 0; i < r.a->n_results; i++) {
        const ui_expect_result *e = &r.a->results[i];
        if (e->tag.step != 0)
            continue;
        n++;
        assert_true(e->ok);
        double want = e->tag.item == 1 ? last1 : e->tag.item == 2 ? panel_max : last0;
        if (e->measured != want)
            fail_msg("item %d: lesson %.9g, panel %.9g", e->tag.item, e->measured, want);
    }
    assert_int_equal(n, 3);
    close_rig(&r);
}

/* Lesson 9: feature maps as tiles, one per channel. SpatialDropout2D's dropped channels
 * are exactly the crossed tiles; element-wise Dropout crosses no tile (a whole map would
 * need all 49 pixels dropped) though a quarter of its pixels are dropped. */
static void test_channel_tiles(void **state)
{
    (void)state;
    view_rig r;
    open_rig(&r, channel_lesson, NULL, 1280, 800);
    run_steps(&r, 1);
    for (int which = 0; which < 2; which++) {
        const char *name = which ? "channelwise" : "elementwise";
        int d = -1;
        for (int i = 0; i < r.a->graph.n; i++)
            if (!strcmp(r.a->graph.layers[i].name, name))
                d = i;
        assert_true(d >= 0);
        ui_app_do(r.a, UI_ACT_SHOW_DROPOUT, d);
        r.a->example = 3;
        draw(&r);
        keep_png(r.surf, which ? "i12-spatial-tiles" : "i12-elementwise-tiles");
        const nn_trace *t = r.a->cur;
        const nn_trace_dropout *D = NULL;
        for (int i = 0; i < t->n_dropout; i++)
            if (!strcmp(t->dropout[i].name, name))
                D = &t->dropout[i];
        assert_non_null(D);
        assert_int_equal(D->shape.rank, 3);
        assert_int_equal(D->channelwise, which == 1);
        int H = D->shape.d[0], W = D->shape.d[1], C = D->shape.d[2];
        const ui_layout *L = &r.a->layout;
        assert_int_equal(L->units, C);
        const uint8_t *mk = D->mask + (size_t)3 * D->units;
        int crossed_tiles = 0, whole = 0;
        for (int c = 0; c < C; c++) {
            bool all = true;
            for (int i = 0; i < H * W; i++)
                all &= !mk[(size_t)i * C + c];
            bool crossed = same_rgb(cell_centre(&r, L->grid, L->cols, L->pitch, L->cell, c), r.a->theme.cross);
            assert_int_equal(crossed, all);
            crossed_tiles += crossed;
            whole += all;
        }
        if (which)
            assert_true(whole >= 4 && whole <= 32);   /* rate 0.25 of 64 channels */
        else
            assert_int_equal(crossed_tiles, 0);
    }
    close_rig(&r);
}

/* The whole-batch heatmap at rate 0.5: a unit's colour says in how many of the 20 examples
 * it was dropped, on the legend's ramp from 1 to all 20; a unit dropped in half of them is
 * mid-ramp, not the "all dropped" end (issue 11 defect 6: it was yellow everywhere). */
static void test_batch_heatmap_scale(void **state)
{
    (void)state;
    fake_options fo = {.batch = 20, .units = 1024, .base_layers = 5, .rate = 0.5f, .seed = 9};
    ui_backend *b = fake_backend_create(&fo);
    assert_non_null(b);
    view_rig r;
    open_rig(&r, NULL, b, 1280, 800);
    run_steps(&r, 1);
    r.a->example = -1;
    draw(&r);
    keep_png(r.surf, "i12-batch-heatmap");
    const nn_trace *t = r.a->cur;
    const ui_layout *L = &r.a->layout;
    assert_true(L->batch_counts);
    SDL_Color all = ui_rgb(UI_OI_YELLOW);
    int half_or_less = 0;
    for (int u = 0; u < 1024; u++) {
        int n = 0;
        for (int k = 0; k < 20; k++)
            n += !t->dropout[0].mask[(size_t)k * 1024 + u];
        SDL_Color want = n ? ui_mix(ui_rgb(UI_OI_VERMILLION), all, (float)n / 20.0f) : r.a->theme.cell_lo;
        SDL_Color got = cell_centre(&r, L->grid, L->cols, L->pitch, L->cell, u);
        assert_true(same_rgb(got, want));
        if (n <= 10) {
            assert_false(same_rgb(got, all));
            half_or_less++;
        }
    }
    assert_true(half_or_less > 400);   /* rate 0.5: most units are dropped in about 10 */
    close_rig(&r);
}

/* Keep frequency over the snapshots held (fake masks at rate 0.2): each unit's kept
 * fraction as counted here from the snapshots themselves, near 0.8 for every unit, drawn
 * as its colour; every one of the 30 x 20 random masks is distinct. */
static void test_keep_frequency(void **state)
{
    (void)state;
    fake_options fo = {.batch = 20, .units = 1024, .base_layers = 5, .rate = 0.2f, .seed = 4};
    ui_backend *b = fake_backend_create(&fo);
    assert_non_null(b);
    view_rig r;
    open_rig(&r, NULL, b, 1280, 800);
    run_steps(&r, 30);
    r.a->mask_mode = UI_MASK_KEEP;
    draw(&r);
    keep_png(r.surf, "i12-keep-frequency");
    assert_int_equal(ui_mask_view_mode(r.a), UI_MASK_KEEP);
    int d = ui_dropout_index(r.a);
    const ui_keep_stats *k = ui_keep_view_stats(r.a, d, 1024);
    assert_non_null(k);
    assert_int_equal(k->draws, 30 * 20);
    assert_int_equal(k->distinct, 30 * 20);
    static double kept[1024];
    memset(kept, 0, sizeof kept);
    for (int back = 0; back < 30; back++) {
        ui_snap *s = ui_worker_acquire(r.w, back);
        assert_non_null(s);
        const nn_trace *t = ui_snap_trace(s);
        for (int i = 0; i < 20 * 1024; i++)
            kept[i % 1024] += t->dropout[0].mask[i];
        ui_snap_release(s);
    }
    const ui_layout *L = &r.a->layout;
    double mean = 0;
    for (int u = 0; u < 1024; u++) {
        kept[u] /= 600.0;
        mean += kept[u] / 1024;
        assert_true(fabs(kept[u] - k->kept[u]) < 1e-6);
        assert_true(fabs(kept[u] - 0.8) < 0.1);
        SDL_Color want = ui_mix(r.a->theme.cell_lo, r.a->theme.cell_hi, k->kept[u]);
        assert_true(same_rgb(cell_centre(&r, L->grid, L->cols, L->pitch, L->cell, u), want));
    }
    assert_true(fabs(mean - 0.8) < 0.01);
    close_rig(&r);
}

/* Earlier runs survive a reset as labelled ghost curves; X clears them. */
static void test_ghost_runs(void **state)
{
    (void)state;
    ui_backend *b = fake_backend_create(NULL);
    assert_non_null(b);
    view_rig r;
    open_rig(&r, NULL, b, 1280, 800);
    run_steps(&r, 20);
    draw(&r);
    const char *labels[4];
    assert_int_equal(ui_metrics_view_ghosts(r.a, labels, 4), 0);
    ui_cmd c = {.kind = UI_CMD_RESET};
    ui_worker_push(r.w, &c);
    ui_cmd rate = {.kind = UI_CMD_RATE, .value = 0.5f};
    snprintf(rate.layer, sizeof rate.layer, "dropout");
    ui_worker_push(r.w, &rate);
    run_steps(&r, 10);
    draw(&r);
    assert_int_equal(r.a->n_metrics, 10);
    assert_int_equal(ui_metrics_view_ghosts(r.a, labels, 4), 1);
    assert_string_equal(labels[0], "rate 0.20");
    keep_png(r.surf, "i12-ghost-runs");
    SDL_Event e;
    memset(&e, 0, sizeof e);
    e.type = SDL_KEYDOWN;
    e.key.keysym.sym = SDLK_x;
    ui_app_event(r.a, &e);
    draw(&r);
    assert_int_equal(ui_metrics_view_ghosts(r.a, labels, 4), 0);
    close_rig(&r);
}

/* Lesson 6: bn's moving mean and variance per step, as the trace publishes them: flat
 * while frozen (TF 2: inference mode), moving once unfrozen; the metrics panel draws the
 * plot beside loss and accuracy. */
static void test_bn_statistics(void **state)
{
    (void)state;
    view_rig r;
    open_rig(&r, bn_lesson, NULL, 1280, 800);
    run_steps(&r, 5);
    draw(&r);
    int layer = ui_bn_view_layer(r.a);
    assert_true(layer >= 0);
    assert_string_equal(r.a->graph.layers[layer].name, "bn");
    ui_cmd c = {.kind = UI_CMD_FREEZE, .flag = true};
    snprintf(c.layer, sizeof c.layer, "bn");
    ui_worker_push(r.w, &c);
    run_steps(&r, 5);
    draw(&r);
    keep_png(r.surf, "i12-bn-statistics");
    ui_bn_point p[64];
    int n = ui_bn_view_series(r.a, layer, p, 64);
    assert_int_equal(n, 10);
    for (int i = 0; i < 5; i++) {
        assert_true(p[i].frozen);
        assert_false(p[i].batch_stats);
        assert_true(p[i].mean == p[0].mean && p[i].var == p[0].var);   /* flat */
    }
    assert_true(p[0].mean == 0.0f && p[0].var == 1.0f);   /* Keras's initial values */
    for (int i = 5; i < 10; i++) {
        assert_false(p[i].frozen);
        assert_true(p[i].batch_stats);
        assert_true(p[i].mean != p[i - 1].mean);   /* updated every training step */
    }
    close_rig(&r);
}

/* "Why is my validation loss lower?": each training step's batch also measured with
 * Dropout off, before the update; the metrics view plots the series the snapshots hold. */
static void test_loss_dropout_off(void **state)
{
    (void)state;
    view_rig r;
    open_rig(&r, views_lesson, NULL, 1280, 800);
    run_steps(&r, 6);
    draw(&r);
    long steps[16];
    float vals[16];
    int n = ui_metrics_view_off(r.a, steps, vals, false, 16);
    assert_int_equal(n, 6);
    int differ = 0;
    for (int back = 0; back < 6; back++) {
        ui_snap *s = ui_worker_acquire(r.w, back);
        const nn_trace *t = ui_snap_trace(s);
        assert_int_equal(steps[5 - back], t->step);
        assert_true(vals[5 - back] == (float)t->loss_off);
        differ += fabs(t->loss_off - t->loss) > 1e-6;
        ui_snap_release(s);
    }
    assert_true(differ > 0);   /* a fifth of dense_1 dropped: the losses differ */
    close_rig(&r);
}

/* A session of the lesson at path, quiet (no progress in its notes). */
static ls_session *quiet_session(const char *path)
{
    char err[1024];
    ls_lesson *l = ls_lesson_load_any(path, err, sizeof err);
    if (!l)
        fail_msg("%s", err);
    ls_options opt = ls_options_default();
    opt.quiet = true;
    ls_session *s = ls_session_create(l, &opt, err, sizeof err);
    if (!s)
        fail_msg("%s", err);
    return s;
}

/* MC dropout in the batch view, on lesson 10 through the window's worker: the lesson's
 * `mc dropout 30 passes` as the window sends it; the worker replaces the newest snapshot
 * by one carrying the session's result (the same numbers, the same step), and each
 * thumbnail's bar marks the mean (white) and the inference probability (orange) where
 * those numbers put them. Before, the worker published nothing after the passes and the
 * batch view drew no bar. */
static void test_mc_batch_view(void **state)
{
    (void)state;
    ls_session *s = quiet_session(mc_lesson);
    ui_backend *b = ui_backend_session(s, ls_session_seed(s));
    assert_non_null(b);
    view_rig r;
    open_rig(&r, NULL, b, 1280, 800);
    run_steps(&r, 60);
    ui_cmd c = {.kind = UI_CMD_ACTION, .action = {.kind = LS_ACT_MC, .n = 30}};
    ui_worker_push(r.w, &c);
    ui_worker_wait_idle(r.w);   /* idle: the session may be read here */
    const ls_mc_result *mc = ls_session_mc(s);
    assert_non_null(mc);
    assert_int_equal(mc->step, 60);
    draw(&r);
    const nn_trace *t = r.a->cur;   /* what the window draws now */
    assert_non_null(t);
    assert_int_equal(t->step, 60);
    assert_int_equal(t->mc_passes, 30);
    assert_int_equal(t->batch, 20);
    assert_memory_equal(t->mc_mean, mc->mean, 20 * sizeof(float));
    assert_memory_equal(t->mc_spread, mc->spread, 20 * sizeof(float));
    assert_memory_equal(t->mc_inference, mc->inference, 20 * sizeof(float));
    r.a->example = 2;
    ui_app_draw(r.a);
    SDL_RenderPresent(r.ren);
    keep_png(r.surf, "i12-mc-dropout");
    assert_int_equal(r.a->layout.n_thumbs, 20);
    double spread = 0;
    for (int k = 0; k < 20; k++) {
        SDL_Rect bar = ui_batch_view_mc_bar(r.a->layout.thumbs[k], (int)(10 * r.a->theme.scale));
        int xm = bar.x + (int)(t->mc_mean[k] * (float)(bar.w - 1));
        int xi = bar.x + (int)(t->mc_inference[k] * (float)(bar.w - 1));
        assert_true(same_rgb(pixel(r.surf, xm, bar.y + bar.h / 2), ui_rgb(0xffffff)));
        if (xi != xm)
            assert_true(same_rgb(pixel(r.surf, xi, bar.y + bar.h / 2), ui_rgb(UI_OI_ORANGE)));
        spread += t->mc_spread[k];
    }
    assert_true(spread > 0);   /* fresh masks: the passes disagree */
    close_rig(&r);
}

/* Lesson 4 as a student plays it: each step resets and trains at another rate; the
 * earlier runs stay on the chart, labelled with their rates, as the lesson compares them. */
static void test_lesson4_ghosts(void **state)
{
    (void)state;
    view_rig r;
    open_rig(&r, rates_lesson, NULL, 1280, 800);
    for (int k = 0; k < 3; k++) {
        ui_app_enter_step(r.a, k);
        ui_worker_wait_idle(r.w);
        draw(&r);
    }
    keep_png(r.surf, "i12-compare-runs");
    const char *labels[4];
    assert_int_equal(ui_metrics_view_ghosts(r.a, labels, 4), 2);
    assert_string_equal(labels[0], "rate 0.00");
    assert_string_equal(labels[1], "rate 0.20");
    assert_int_equal(r.a->cur->step, 300);
    close_rig(&r);
}

/* One twin by hand through the session's public calls, as a student would: the rate,
 * a reset, n steps (each batch's loss and accuracy kept), a validation at every
 * `every` steps. */
static void twin_by_hand(ls_session *s, double rate, int n, int every, float *loss, float *acc,
                         float *vloss)
{
    assert_int_equal(ls_session_set_rate(s, "dropout", rate), 0);
    assert_int_equal(ls_session_reset(s), 0);
    for (int k = 0; k < n; k++) {
        nn_trace *t = ls_session_step(s);
        assert_non_null(t);
        loss[k] = (float)t->loss;
        acc[k] = (float)t->accuracy;
        vloss[k] = (float)t->val_loss;   /* the step's own validation, every `every` */
        nn_trace_destroy(t);
        assert_true(((k + 1) % every == 0) == isfinite(vloss[k]));
    }
}

/* Lesson 4's `compare` in the window. Before, the twins ran inside one command and the
 * window went on showing the run before them: "step 0", "no steps yet" and "No step
 * yet" beside a text about the twins' curves. Now the second twin is the live run (its
 * 40 steps on the chart, its last step the snapshot every panel draws) and the first is
 * a ghost labelled with its rate; both are the numbers the same twins give when run by
 * hand through the session. */
static void test_compare_twins_drawn(void **state)
{
    (void)state;
    enum { N = 40, EVERY = 10 };
    ls_session *s = quiet_session(twins_lesson);
    float loss[2][N], acc[2][N], vloss[2][N];
    twin_by_hand(s, 0.0, N, EVERY, loss[0], acc[0], vloss[0]);
    twin_by_hand(s, 0.5, N, EVERY, loss[1], acc[1], vloss[1]);
    double vl_end, va_end;   /* compare validates each twin at its end */
    assert_int_equal(ls_session_validate(s, &vl_end, &va_end), 0);
    ls_session_destroy(s);

    view_rig r;
    open_rig(&r, twins_lesson, NULL, 1280, 800);
    ui_report rep;
    r.a->report = &rep;
    draw(&r);
    assert_int_equal(r.a->n_metrics, 0);   /* nothing trained yet */
    ui_app_enter_step(r.a, 0);
    ui_worker_wait_idle(r.w);
    draw(&r);
    draw(&r);
    keep_png(r.surf, "i12-compare-twins");
    /* the live run is the second twin, every panel at its last step */
    assert_int_equal(r.a->status.steps, N);
    assert_non_null(r.a->cur);
    assert_int_equal(r.a->cur->step, N);
    assert_true(r.a->cur->training);
    assert_int_equal(r.a->cur->dropout[0].rate * 100 + 0.5, 50);
    assert_int_equal(r.a->n_metrics, N);
    for (int k = 0; k < N; k++) {
        assert_int_equal(r.a->metrics[k].step, k + 1);
        assert_true(r.a->metrics[k].loss == loss[1][k]);
        assert_true(r.a->metrics[k].accuracy == acc[1][k]);
        if (k < N - 1)
            assert_true(isfinite(vloss[1][k]) ? r.a->metrics[k].val_loss == vloss[1][k]
                                              : isnan(r.a->metrics[k].val_loss));
    }
    assert_float_equal(r.a->metrics[N - 1].val_loss, vl_end, 1e-6);
    /* the first twin beside it, labelled by its rate */
    const char *labels[4];
    assert_int_equal(ui_metrics_view_ghosts(r.a, labels, 4), 1);
    assert_string_equal(labels[0], "rate 0.00");
    size_t gn = 0;
    const ui_metric *g = ui_metrics_view_ghost(r.a, 0, &gn);
    assert_int_equal(gn, N);
    for (int k = 0; k < N; k++) {
        assert_true(g[k].loss == loss[0][k]);
        if (k < N - 1)
            assert_true(isfinite(vloss[0][k]) ? g[k].val_loss == vloss[0][k] : isnan(g[k].val_loss));
    }
    assert_true(isfinite(g[N - 1].val_loss));   /* the first twin's validation at its end */
    /* every panel drew that step */
    int seen = 0;
    for (int i = 0; i < rep.n_panels; i++)
        if (!strcmp(rep.panels[i].name, "metrics") || !strcmp(rep.panels[i].name, "mask")) {
            assert_int_equal(rep.panels[i].step, N);
            seen++;
        }
    assert_int_equal(seen, 2);
    r.a->report = NULL;
    close_rig(&r);
}

/* GaussianDropout is drawn as its multipliers on the noise scale, AlphaDropout's dropped
 * units in their own colour; neither shows a cross (nothing is set to 0). */
static void test_noise_colours(void **state)
{
    (void)state;
    view_rig r;
    open_rig(&r, noise_lesson, NULL, 1280, 800);
    run_steps(&r, 1);
    r.a->example = 1;
    for (int which = 0; which < 2; which++) {
        const char *name = which ? "alpha_dropout" : "gaussian_dropout";
        int d = -1;
        for (int i = 0; i < r.a->graph.n; i++)
            if (!strcmp(r.a->graph.layers[i].name, name))
                d = i;
        assert_true(d >= 0);
        ui_app_do(r.a, UI_ACT_SHOW_DROPOUT, d);
        draw(&r);
        keep_png(r.surf, which ? "i12-alpha-dropout" : "i12-gaussian-dropout");
        const nn_trace *t = r.a->cur;
        const nn_trace_dropout *D = NULL;
        for (int i = 0; i < t->n_dropout; i++)
            if (t->dropout[i].layer == d)
                D = &t->dropout[i];
        assert_non_null(D);
        const ui_layout *L = &r.a->layout;
        assert_int_equal(L->units, D->units);
        int away = 0;
        for (int u = 0; u < D->units; u++) {
            SDL_Color got = cell_centre(&r, L->grid, L->cols, L->pitch, L->cell, u);
            assert_false(same_rgb(got, r.a->theme.cross));
            size_t e = (size_t)1 * D->units + u;
            SDL_Color want;
            if (which == 0) {
                assert_non_null(D->noise);
                want = ui_noise_colour(&r.a->theme, D->noise[e], D->rate);
                away += fabsf(D->noise[e] - 1) > 0.3f;
            } else {
                want = ui_mix(r.a->theme.cell_lo, ui_rgb(UI_OI_SKY), D->mask[e] ? 0.0f : 1.0f);
                away += !D->mask[e];
            }
            assert_true(same_rgb(got, want));
        }
        assert_true(away > 5);   /* noise did something: not a vacuous check */
    }
    close_rig(&r);
}

/* The grey the batch view gives value v of [0, 1] data. */
static int grey_of(float v)
{
    return (int)(v < 0 ? 0 : v > 1 ? 255 : v * 255.0f + 0.5f);
}

/* Checks thumbnail k against image img (h x w, one channel), read through the map
 * x -> flip ? w - 1 - x : x, at the centre of each source pixel; returns how many pixels
 * differ from the unflipped image there (0 when the map is the identity). */
static int check_thumb(view_rig *r, SDL_Rect th, const float *img, int h, int w, bool flip)
{
    int moved = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int px = th.x + (int)((x + 0.5) * th.w / w), py = th.y + (int)((y + 0.5) * th.h / h);
            if (px >= th.x + th.w - th.w * 2 / 5 && py < th.y + th.h * 2 / 5)
                continue; /* under the tick or cross */
            SDL_Color c = pixel(r->surf, px, py);
            int want = grey_of(img[y * w + (flip ? w - 1 - x : x)]);
            int plain = grey_of(img[y * w + x]);
            if (abs((int)c.r - want) > 1)
                fail_msg("thumbnail at (%d, %d): grey %d, want %d (%s)", x, y, c.r, want, flip ? "flipped" : "as it is");
            moved += abs((int)c.r - plain) > 1;
        }
    return moved;
}

/* A RandomFlip('horizontal') before the model: in a training step the batch view draws
 * each example flipped exactly where its recorded draw says (and the model's images are
 * the flip of the plain ones); at inference it draws the plain images, captioned so. */
static void test_augmented_batch(void **state)
{
    (void)state;
    view_rig r;
    open_rig(&r, augment_lesson, NULL, 1280, 800);
    run_steps(&r, 3);
    draw(&r);
    const nn_trace *t = r.a->cur;
    assert_non_null(t);
    assert_true(t->training);
    assert_int_equal(t->n_augment, 1);
    assert_true(t->augment[0].active);
    assert_non_null(t->aug_images);
    assert_ptr_equal(ui_batch_view_images(t), t->aug_images);
    int h = t->img_h, w = t->img_w, flipped = 0, moved = 0;
    assert_int_equal(t->img_c, 1);
    assert_int_equal(r.a->layout.n_thumbs, t->batch);
    for (int k = 0; k < t->batch; k++) {
        bool flip = t->augment[0].draws[k].flip == NN_FLIP_HORIZONTAL;
        const float *plain = t->images + (size_t)k * h * w, *aug = t->aug_images + (size_t)k * h * w;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                assert_true(aug[y * w + x] == plain[y * w + (flip ? w - 1 - x : x)]);
        int m = check_thumb(&r, r.a->layout.thumbs[k], plain, h, w, flip);
        if (!flip)
            assert_int_equal(m, 0);
        flipped += flip;
        moved += m;
    }
    assert_true(flipped > 0 && flipped < t->batch); /* both kinds drawn: not a vacuous check */
    assert_true(moved > 0);
    char cap[200];
    ui_batch_view_aug_caption(t, 0, cap, sizeof cap);
    assert_non_null(strstr(cap, t->augment[0].draws[0].flip ? "example 0 augmented: flipped left-right"
                                                            : "example 0 augmented: not flipped"));
    keep_png(r.surf, "i15-augmented-batch");
    ui_cmd c = {.kind = UI_CMD_MODE, .flag = false};
    ui_worker_push(r.w, &c);
    run_steps(&r, 1);
    draw(&r);
    t = r.a->cur;
    assert_false(t->training);
    assert_false(t->augment[0].active);
    assert_null(t->aug_images);
    assert_ptr_equal(ui_batch_view_images(t), t->images);
    for (int k = 0; k < t->batch; k++)
        check_thumb(&r, r.a->layout.thumbs[k], t->images + (size_t)k * h * w, h, w, false);
    ui_batch_view_aug_caption(t, 0, cap, sizeof cap);
    assert_string_equal(cap, "inference: augmentation off, images as they are");
    keep_png(r.surf, "i15-inference-batch");
    close_rig(&r);
}

/* Finds a lesson of the source tree (DROPSCOPE_SOURCE_DIR) into out; false with a message. */
static bool resolve(const char *rel_path, char *out, size_t n)
{
    char err[512], rel[4200];
    const char *src = getenv("DROPSCOPE_SOURCE_DIR");
    snprintf(rel, sizeof rel, "%s/%s", src && *src ? src : ".", rel_path);
    if (ui_resolve_lesson(rel, out, n, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return false;
    }
    return true;
}

/* training= on calls (issue 15): the base's box says its BatchNormalization is in
 * inference mode, the layers' boxes say their training=; in an inference pass a Dropout
 * called with training=True still shows its mask, captioned so, while the status line
 * says INFERENCE (no contradiction: the caption names the call). */
static void test_training_calls(void **state)
{
    (void)state;
    view_rig r;
    open_rig(&r, calls_lesson, NULL, 1280, 800);
    ui_report rep;
    r.a->report = &rep;
    run_steps(&r, 2);
    ui_cmd c = {.kind = UI_CMD_MODE, .flag = false};
    ui_worker_push(r.w, &c);
    run_steps(&r, 1);
    draw(&r);
    keep_png(r.surf, "i15-training-true");
    assert_false(r.a->cur->training);
    assert_non_null(strstr(rep.status, "INFERENCE"));
    assert_true(rep.mask_drawn);
    assert_true(rep.mask_crossed > 0 && rep.mask_crossed < rep.mask_units);   /* rate 0.5 */
    assert_non_null(strstr(rep.mask_caption, "dropped"));
    assert_non_null(strstr(rep.mask_caption, "training=True: this Dropout masks at predict too"));
    const ui_box *base = &r.a->layout.boxes[box_of(&r, "conv2d")];
    assert_true(base->group);
    assert_string_equal(ui_box_training(r.a, base), "BN in inference mode (training=False)");
    assert_string_equal(ui_box_training(r.a, &r.a->layout.boxes[box_of(&r, "bn")]), "training=False: inference mode");
    assert_string_equal(ui_box_training(r.a, &r.a->layout.boxes[box_of(&r, "dropout")]),
                        "training=True: masks at predict too");
    assert_null(ui_box_training(r.a, &r.a->layout.boxes[box_of(&r, "dense")]));
    /* back to training: the caption is the ordinary one */
    c.flag = true;
    ui_worker_push(r.w, &c);
    run_steps(&r, 1);
    draw(&r);
    assert_true(r.a->cur->training);
    assert_null(strstr(rep.mask_caption, "predict too"));
    r.a->report = NULL;
    close_rig(&r);
}

int main(void)
{
    SDL_setenv("SDL_VIDEODRIVER", "dummy", 1);
    if (TTF_Init() != 0) {
        fprintf(stderr, "TTF_Init: %s\n", TTF_GetError());
        return 1;
    }
    if (!resolve("tests/ui/views.lesson", views_lesson, sizeof views_lesson) ||
        !resolve("lessons/09-channel-dropout.lesson", channel_lesson, sizeof channel_lesson) ||
        !resolve("lessons/06-fine-tuning.lesson", bn_lesson, sizeof bn_lesson) ||
        !resolve("lessons/10-mc-dropout.lesson", mc_lesson, sizeof mc_lesson) ||
        !resolve("tests/ui/rates.lesson", rates_lesson, sizeof rates_lesson) ||
        !resolve("tests/ui/twins.lesson", twins_lesson, sizeof twins_lesson) ||
        !resolve("tests/ui/noise.lesson", noise_lesson, sizeof noise_lesson) ||
        !resolve("tests/ui/augment.lesson", augment_lesson, sizeof augment_lesson) ||
        !resolve("tests/ui/training_calls.lesson", calls_lesson, sizeof calls_lesson))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_noise_colours),
        cmocka_unit_test(test_training_calls),
        cmocka_unit_test(test_lesson4_ghosts),
        cmocka_unit_test(test_compare_twins_drawn),
        cmocka_unit_test(test_bn_statistics),
        cmocka_unit_test(test_channel_tiles),
        cmocka_unit_test(test_batch_heatmap_scale),
        cmocka_unit_test(test_keep_frequency),
        cmocka_unit_test(test_ghost_runs),
        cmocka_unit_test(test_loss_dropout_off),
        cmocka_unit_test(test_mc_batch_view),
        cmocka_unit_test(test_grad_grid_batch1),
        cmocka_unit_test(test_weight_panel_is_lesson_quantity),
        cmocka_unit_test(test_augmented_batch),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    TTF_Quit();
    SDL_Quit();
    return rc;
}
