/* The window's behaviour (issue 11): what Space does to a lesson run, that every panel
 * draws the one snapshot shown, R's confirmation, one validation number per step.
 * Real sessions on tests/ui/ui.lesson and tests/ui/long_run.lesson. */
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
#include <gif_lib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ui_rig.h"
#include "session/load.h"
#include "session/session.h"
#include "ui/course.h"
#include "ui/launch.h"
#include "ui/report.h"

static char ui_lesson[4096], long_run[4096], lesson1[4096];


static const ui_box *box_of(rig *r, int layer)
{
    for (int i = 0; i < r->a->layout.n_boxes; i++)
        if (r->a->layout.boxes[i].first <= layer && layer <= r->a->layout.boxes[i].last)
            return &r->a->layout.boxes[i];
    fail_msg("no box for layer %d", layer);
    return NULL;
}

/* Every panel that drew a snapshot drew the same step: `step`. */
static void assert_one_step(const ui_report *rep, long step)
{
    int drew = 0;
    for (int i = 0; i < rep->n_panels; i++) {
        if (rep->panels[i].step == 0)
            continue;   /* no snapshot in it (the lesson text) */
        if (rep->panels[i].step != step)
            fail_msg("panel %s drew step %ld, not %ld", rep->panels[i].name, rep->panels[i].step,
                     step);
        drew++;
    }
    assert_true(drew >= 5);   /* graph, mask, batch, metrics, weights, bar */
}

/* Defect 4: looking back, every panel draws the step looked at, the graph's padlocks
 * included, and the status line says which step that is. */
static void test_lookback_one_snapshot(void **state)
{
    (void)state;
    rig r;
    rig_real_lesson(&r, ui_lesson, 1280, 800);
    ui_report rep;
    r.a->report = &rep;
    steps(&r, 2);
    ui_cmd c = {.kind = UI_CMD_FREEZE, .flag = false};
    snprintf(c.layer, sizeof c.layer, "dense");
    ui_worker_push(r.w, &c);
    steps(&r, 1);
    frame(&r);
    int dense = layer_index(&r, "dense");
    assert_true(box_of(&r, dense)->frozen);
    assert_one_step(&rep, 3);
    key(&r, SDLK_LEFT, 0);
    frame(&r);
    assert_int_equal(r.a->cur->step, 2);
    assert_one_step(&rep, 2);
    assert_false(r.a->cur->layers[dense].frozen);
    assert_false(box_of(&r, dense)->frozen);   /* step 2 trained dense */
    assert_non_null(strstr(rep.status, "viewing step 2 (live: 3)"));
    key(&r, SDLK_END, 0);
    frame(&r);
    assert_true(box_of(&r, dense)->frozen);
    assert_one_step(&rep, 3);
    assert_null(strstr(rep.status, "viewing"));
    r.a->report = NULL;
    rig_free(&r);
}

static long live_steps(rig *r)
{
    return ui_worker_get_status(r->w).steps;
}

/* Defect 2: Space pauses a lesson run and resumes it where it was; a finished run stops
 * (no training by itself afterwards). */
static void test_space_pauses_lesson_run(void **state)
{
    (void)state;
    rig r;
    rig_real_lesson(&r, long_run, 1024, 700);
    ui_worker_set_speed(r.w, 50);   /* 100 steps: about 2 s, time to press Space */
    ui_app_enter_step(r.a, 0);
    for (int i = 0; i < 1000 && live_steps(&r) < 3; i++)
        SDL_Delay(5);
    frame(&r);
    assert_true(r.a->playing);   /* the run plays */
    key(&r, SDLK_SPACE, 0);
    ui_worker_wait_idle(r.w);   /* returns: a paused run is idle */
    frame(&r);
    long at = live_steps(&r);
    assert_false(r.a->playing);
    assert_true(at >= 3 && at < 100);
    assert_int_equal(r.a->status.run_left, 100 - at);
    ui_worker_wait_idle(r.w);
    assert_int_equal(live_steps(&r), at);   /* held */
    /* The next lesson step's check waits behind the paused run. */
    ui_app_enter_step(r.a, 1);
    ui_worker_wait_idle(r.w);
    frame(&r);
    assert_int_equal(live_steps(&r), at);
    /* Space resumes where it was; the run ends at 100 and stops. */
    key(&r, SDLK_SPACE, 0);
    ui_worker_wait_idle(r.w);
    frame(&r);
    assert_int_equal(live_steps(&r), 100);
    assert_false(r.a->playing);
    assert_false(ui_worker_get_status(r.w).playing);
    assert_int_equal(r.a->status.run_left, 0);
    bool ok = false;
    for (int i = 0; i < r.a->n_results; i++)
        if (r.a->results[i].tag.step == 1)
            ok = r.a->results[i].ok;
    assert_true(ok);   /* expect steps == 100: measured after the whole run */
    ui_worker_wait_idle(r.w);
    assert_int_equal(live_steps(&r), 100);
    rig_free(&r);
}

static const ui_metric *metric_at(rig *r, long step)
{
    for (size_t i = 0; i < r->a->n_metrics; i++)
        if (r->a->metrics[i].step == step)
            return &r->a->metrics[i];
    fail_msg("no metric at step %ld", step);
    return NULL;
}

static double expect_now(rig *r, ls_quantity q, int tag)
{
    static ls_expect e[8];
    e[tag] = (ls_expect){.q = q, .cmp = LS_CMP_GE, .a = 0, .text = "val"};
    ui_cmd c = {.kind = UI_CMD_EXPECT, .expect = &e[tag], .tag = {.step = 0, .item = tag}};
    ui_worker_push(r->w, &c);
    ui_worker_wait_idle(r->w);
    frame(r);
    for (int i = 0; i < r->a->n_results; i++)
        if (r->a->results[i].tag.item == tag)
            return r->a->results[i].measured;
    fail_msg("no result for tag %d", tag);
    return NAN;
}

/* Defect 5: one validation per step, the same number in the check and on the chart
 * (which the header reads), whoever asked for it: an expectation, a lesson's
 * `validate`, V. */
static void test_validation_one_number(void **state)
{
    (void)state;
    rig r;
    rig_real_lesson(&r, ui_lesson, 1280, 800);
    steps(&r, 3);
    frame(&r);
    assert_true(isnan(metric_at(&r, 3)->val_accuracy));
    double acc = expect_now(&r, LS_Q_VAL_ACCURACY, 0);
    double loss = expect_now(&r, LS_Q_VAL_LOSS, 1);
    assert_true(acc >= 0 && acc <= 1);
    assert_true(metric_at(&r, 3)->val_accuracy == (float)acc);
    assert_true(metric_at(&r, 3)->val_loss == (float)loss);
    /* A lesson's validate two steps later: charted at its step, and the check there
     * reads the same pass. */
    steps(&r, 2);
    ui_cmd v = {.kind = UI_CMD_ACTION, .action = {.kind = LS_ACT_VALIDATE}};
    ui_worker_push(r.w, &v);
    ui_worker_wait_idle(r.w);
    frame(&r);
    float charted = metric_at(&r, 5)->val_accuracy;
    assert_false(isnan(charted));
    assert_true(charted == (float)expect_now(&r, LS_Q_VAL_ACCURACY, 2));
    /* V at step 6 as well. */
    steps(&r, 1);
    key(&r, SDLK_v, 0);
    ui_worker_wait_idle(r.w);
    frame(&r);
    assert_false(isnan(metric_at(&r, 6)->val_accuracy));
    assert_true(metric_at(&r, 6)->val_accuracy == (float)expect_now(&r, LS_Q_VAL_ACCURACY, 3));
    rig_free(&r);
}

/* Defect 6: paused, no rate is shown (not the last seconds' one); running, the rate
 * shown is the one measured; inference passes are not plotted as training batches. */
static void test_readouts(void **state)
{
    (void)state;
    rig r;
    rig_real_lesson(&r, ui_lesson, 1280, 800);
    ui_report rep;
    r.a->report = &rep;
    key(&r, SDLK_SPACE, 0);
    for (int i = 0; i < 2000 && live_steps(&r) < 6; i++)
        SDL_Delay(5);
    frame(&r);
    char want[64];
    snprintf(want, sizeof want, "running at %.1f steps/s", r.a->status.steps_per_sec);
    assert_true(r.a->status.steps_per_sec > 0);
    assert_non_null(strstr(rep.status, want));
    key(&r, SDLK_SPACE, 0);
    ui_worker_wait_idle(r.w);
    frame(&r);
    assert_true(r.a->status.steps_per_sec == 0.0);
    assert_null(strstr(rep.status, "running"));
    assert_non_null(strstr(rep.status, "paused"));
    /* I, then two steps in inference mode: shown, not plotted. */
    size_t n = r.a->n_metrics;
    long live = live_steps(&r);
    assert_int_equal(r.a->metrics[n - 1].step, live);
    key(&r, SDLK_i, 0);
    ui_worker_wait_idle(r.w);
    steps(&r, 2);
    frame(&r);
    assert_false(r.a->cur->training);
    assert_int_equal(r.a->n_metrics, n);
    for (size_t i = 0; i < r.a->n_metrics; i++)
        assert_true(r.a->metrics[i].training);
    key(&r, SDLK_i, 0);
    steps(&r, 1);
    frame(&r);
    assert_int_equal(r.a->n_metrics, n + 1);
    r.a->report = NULL;
    rig_free(&r);
}

/* Defect 9: R asks first (R again or Y confirms, anything else cancels); a reset
 * clears the old check marks with the curves. */
static void test_reset_asks(void **state)
{
    (void)state;
    rig r;
    rig_real_lesson(&r, ui_lesson, 1280, 800);
    ui_app_enter_step(r.a, 1);   /* "Train": run 3 steps, one check */
    ui_worker_wait_idle(r.w);
    frame(&r);
    assert_int_equal(live_steps(&r), 3);
    assert_true(r.a->n_results > 0);
    key(&r, SDLK_r, 0);
    ui_worker_wait_idle(r.w);
    frame(&r);
    assert_int_equal(live_steps(&r), 3);   /* asked, not done */
    assert_true(r.a->reset_asked);
    assert_non_null(strstr(r.a->message, "R again or Y"));
    key(&r, SDLK_a, 0);   /* anything else: no */
    assert_false(r.a->reset_asked);
    key(&r, SDLK_y, 0);   /* Y with nothing asked does nothing */
    ui_worker_wait_idle(r.w);
    frame(&r);
    assert_int_equal(live_steps(&r), 3);
    key(&r, SDLK_r, 0);
    key(&r, SDLK_r, 0);   /* R again: yes */
    ui_worker_wait_idle(r.w);
    frame(&r);
    assert_int_equal(live_steps(&r), 0);
    assert_int_equal(r.a->n_metrics, 0);
    assert_int_equal(r.a->n_results, 0);
    steps(&r, 1);
    key(&r, SDLK_r, 0);
    key(&r, SDLK_y, 0);   /* Y: yes too */
    ui_worker_wait_idle(r.w);
    frame(&r);
    assert_int_equal(live_steps(&r), 0);
    rig_free(&r);
}

/* Defect 8: while the worker computes, it says what (the window shows it after a
 * moment); idle, it says nothing. */
static void test_activity_named(void **state)
{
    (void)state;
    rig r;
    fake_options fo = {.step_sleep_us = 200000};
    rig_fake(&r, 800, 600, &fo);
    ui_cmd c = {.kind = UI_CMD_ACTION, .action = {.kind = LS_ACT_RUN, .n = 4}};
    ui_worker_push(r.w, &c);
    char seen[4][112] = {{0}};
    for (int i = 0; i < 4000 && ui_worker_get_status(r.w).steps < 4; i++) {
        ui_worker_status st = ui_worker_get_status(r.w);
        int k;
        if (sscanf(st.activity, "lesson run: step %d of 4", &k) == 1 && k >= 1 && k <= 4)
            snprintf(seen[k - 1], sizeof seen[k - 1], "%s", st.activity);
        SDL_Delay(2);
    }
    ui_worker_wait_idle(r.w);
    int named = 0;
    for (int k = 0; k < 4; k++)
        if (seen[k][0]) {
            char want[112];
            snprintf(want, sizeof want, "lesson run: step %d of 4", k + 1);
            assert_string_equal(seen[k], want);
            named++;
        }
    assert_true(named >= 2);   /* each step lasts 200 ms; the poll runs every 2 ms */
    ui_worker_status st = ui_worker_get_status(r.w);
    assert_string_equal(st.activity, "");
    assert_true(st.busy_s == 0.0);
    rig_free(&r);
}


/* The course menu (C): every lesson of the course, the answers given, opening a lesson
 * by Enter, click, N at the last step, or a dropped file. */
static void test_course_menu(void **state)
{
    (void)state;
    rig r;
    rig_real_lesson(&r, lesson1, 1280, 800);
    ui_report rep;
    r.a->report = &rep;
    const ui_course *c = r.a->course;
    assert_non_null(c);
    assert_true(c->n >= 9);   /* the shipped course */
    assert_int_equal(ui_course_find(c, lesson1), 0);
    assert_string_equal(c->lessons[0].title, r.lesson->title);
    /* lesson 1's first question, answered with 2 */
    const ls_question *q = NULL;
    for (int i = 0; i < r.lesson->steps[0].n_items && !q; i++)
        if (r.lesson->steps[0].items[i].kind == LS_ITEM_QUESTION)
            q = &r.lesson->steps[0].items[i].u.question;
    assert_non_null(q);
    assert_int_equal(c->lessons[0].q[0].chosen, -1);
    key(&r, SDLK_2, 0);
    assert_int_equal(c->lessons[0].q[0].chosen, 1);
    assert_string_equal(c->lessons[0].q[0].chosen_text, q->choices[1]);
    assert_true(c->lessons[0].q[0].right == (q->answer == 1));
    key(&r, SDLK_c, 0);
    assert_true(r.a->course_open);
    frame(&r);
    int found = 0;
    for (int i = 0; i < rep.n_panels; i++)
        found += !strcmp(rep.panels[i].name, "course");
    assert_int_equal(found, 1);
    assert_true(hits_of(&r, UI_ACT_OPEN_LESSON, -1, NULL) >= 3);
    /* Down, Enter: the second lesson */
    key(&r, SDLK_DOWN, 0);
    key(&r, SDLK_RETURN, 0);
    assert_false(r.a->course_open);
    assert_string_equal(r.a->open_request, c->lessons[1].path);
    /* a click on the third row */
    r.a->open_request[0] = 0;
    key(&r, SDLK_c, 0);
    frame(&r);
    SDL_Rect row;
    assert_int_equal(hits_of(&r, UI_ACT_OPEN_LESSON, 2, &row), 1);
    SDL_Event e = {.type = SDL_MOUSEBUTTONDOWN};
    e.button.button = SDL_BUTTON_LEFT;
    e.button.x = row.x + row.w / 2;
    e.button.y = row.y + row.h / 2;
    ui_app_event(r.a, &e);
    assert_string_equal(r.a->open_request, c->lessons[2].path);
    /* N at the last step: the next lesson */
    r.a->open_request[0] = 0;
    r.a->lesson_step = r.lesson->n_steps - 1;
    key(&r, SDLK_n, 0);
    assert_string_equal(r.a->open_request, c->lessons[1].path);
    /* dropped files */
    r.a->open_request[0] = 0;
    char txt[] = "/tmp/notes.txt", py[] = "/tmp/model.py";
    SDL_Event d = {.type = SDL_DROPFILE};
    d.drop.file = txt;
    ui_app_event(r.a, &d);
    assert_string_equal(r.a->open_request, "");
    assert_non_null(strstr(r.a->message, "not a lesson"));
    d.drop.file = py;
    ui_app_event(r.a, &d);
    assert_string_equal(r.a->open_request, py);
    r.a->report = NULL;
    rig_free(&r);
}

typedef struct {
    int n;
    char what[8][64];
    long done[8], total[8];
} progress_log;

static void log_progress(void *user, const char *what, long done, long total)
{
    progress_log *l = user;
    if (l->n < 8) {
        snprintf(l->what[l->n], sizeof l->what[l->n], "%s", what);
        l->done[l->n] = done;
        l->total[l->n++] = total;
    }
}

/* Defect 8: the session says when it computes a frozen base's outputs and for how many
 * examples (ui.lesson: batch 20, val 60), and the window's progress text names it while
 * it is under way, not after. */
static void test_progress_named(void **state)
{
    (void)state;
    struct {
        progress_log log;
        ui_progress *p;
    } ctx = {.p = ui_progress_create()};
    char err[1024];
    ls_lesson *l = ls_lesson_load_any(ui_lesson, err, sizeof err);
    assert_non_null(l);
    ls_options o = ls_options_default();
    o.quiet = true;
    o.progress = log_progress;
    o.progress_user = &ctx;
    ls_session *s = ls_session_create(l, &o, err, sizeof err);
    assert_non_null(s);
    nn_trace_destroy(ls_session_step(s));
    assert_int_equal(ctx.log.n, 2);
    assert_string_equal(ctx.log.what[0], "base outputs, training batch");
    assert_int_equal(ctx.log.done[0], 0);
    assert_int_equal(ctx.log.total[0], 20);
    assert_int_equal(ctx.log.done[1], 20);
    double loss, acc;
    assert_int_equal(ls_session_validate(s, &loss, &acc), 0);
    /* the validation set in the evaluation's slices of 32, each reported when done */
    assert_int_equal(ctx.log.n, 5);
    for (int k = 2; k < 5; k++) {
        assert_string_equal(ctx.log.what[k], "base outputs, validation set");
        assert_int_equal(ctx.log.total[k], 60);
    }
    assert_int_equal(ctx.log.done[2], 0);
    assert_int_equal(ctx.log.done[3], 32);
    assert_int_equal(ctx.log.done[4], 60);
    /* what the window reads: named while under way, nothing once done */
    ui_backend *b = ui_backend_session(s, 0);
    assert_non_null(b);
    ui_backend_set_progress(b, ctx.p);
    char text[128];
    ui_progress_report(ctx.p, "base outputs, validation set", 0, 60);
    b->progress_text(b->ctx, text, sizeof text);
    assert_string_equal(text, "base outputs, validation set: 0 of 60 examples");
    ui_progress_report(ctx.p, "base outputs, validation set", 60, 60);
    b->progress_text(b->ctx, text, sizeof text);
    assert_string_equal(text, "");
    ui_backend_destroy(b);   /* the session and the progress with it */
}

/* I before the first step shows nothing new and takes no batch: training afterwards
 * sees the same batches as without it (save as lesson replays them so). */
static void test_inference_before_any_step(void **state)
{
    (void)state;
    rig a, b;
    rig_real_lesson(&a, ui_lesson, 800, 600);
    rig_real_lesson(&b, ui_lesson, 800, 600);
    key(&a, SDLK_i, 0);
    ui_worker_wait_idle(a.w);
    assert_int_equal(ui_worker_get_status(a.w).published, 0);
    key(&a, SDLK_i, 0);
    steps(&a, 1);
    steps(&b, 1);
    frame(&a);
    frame(&b);
    assert_true(a.a->cur->training && b.a->cur->training);
    assert_int_equal(a.a->cur->batch, b.a->cur->batch);
    assert_memory_equal(a.a->cur->indices, b.a->cur->indices,
                        (size_t)a.a->cur->batch * sizeof *a.a->cur->indices);
    assert_true(a.a->cur->loss == b.a->cur->loss);
    rig_free(&a);
    rig_free(&b);
}

static bool exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && st.st_size > 0;
}

/* Issue 13's keys in the window: W saves the state as a lesson (a fresh name, shown),
 * which reopens at the same step; T records the next 30 steps, one GIF frame each. */
static void test_save_and_record(void **state)
{
    (void)state;
    char dir[] = "/tmp/ds_share_XXXXXX", old[4096];
    assert_non_null(mkdtemp(dir));
    assert_non_null(getcwd(old, sizeof old));
    assert_int_equal(chdir(dir), 0);
    rig r;
    rig_real_lesson(&r, ui_lesson, 800, 600);
    steps(&r, 2);
    frame(&r);
    key(&r, SDLK_w, 0);
    assert_non_null(strstr(r.a->message, "ui-step2.lesson"));
    ui_worker_wait_idle(r.w);
    frame(&r);
    assert_non_null(strstr(r.a->message, "Saved as a lesson: ui-step2.lesson"));
    assert_true(exists("ui-step2.lesson"));
    key(&r, SDLK_w, 0);   /* never over an existing file */
    assert_non_null(strstr(r.a->message, "ui-step2-2.lesson"));
    ui_worker_wait_idle(r.w);
    /* reopened, it is at step 2 */
    rig again;
    char saved[4200];
    snprintf(saved, sizeof saved, "%s/ui-step2.lesson", dir);
    rig_real_lesson(&again, saved, 800, 600);
    ui_app_enter_step(again.a, 0);
    ui_worker_wait_idle(again.w);
    assert_int_equal(live_steps(&again), 2);
    rig_free(&again);
    /* M: 30 steps, one frame each */
    key(&r, SDLK_t, 0);
    assert_non_null(r.a->rec);
    assert_non_null(strstr(r.a->message, "ui-step2.gif"));
    for (int i = 0; i < 500 && r.a->rec; i++) {
        frame(&r);
        ui_worker_wait_idle(r.w);
    }
    assert_null(r.a->rec);
    assert_int_equal(live_steps(&r), 32);
    assert_non_null(strstr(r.a->message, "Clip saved: ui-step2.gif (30 steps"));
    int gerr = 0;
    GifFileType *g = DGifOpenFileName("ui-step2.gif", &gerr);
    assert_non_null(g);
    assert_int_equal(DGifSlurp(g), GIF_OK);
    assert_int_equal(g->ImageCount, 30);
    assert_int_equal(g->SWidth, 800);
    assert_int_equal(g->SHeight, 600);
    DGifCloseFile(g, &gerr);
    rig_free(&r);
    assert_int_equal(chdir(old), 0);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void resolve(const char *rel, char *out, size_t n)
{
    const char *src = getenv("DROPSCOPE_SOURCE_DIR");
    char p[4200], err[512];
    snprintf(p, sizeof p, "%s/tests/ui/%s", src && *src ? src : ".", rel);
    if (ui_resolve_lesson(p, out, n, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
}

int main(void)
{
    SDL_setenv("SDL_VIDEODRIVER", "dummy", 1);
    if (TTF_Init() != 0) {
        fprintf(stderr, "TTF_Init: %s\n", TTF_GetError());
        return 1;
    }
    resolve("ui.lesson", ui_lesson, sizeof ui_lesson);
    resolve("long_run.lesson", long_run, sizeof long_run);
    resolve("../../lessons/01-which-neurons.lesson", lesson1, sizeof lesson1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookback_one_snapshot),
        cmocka_unit_test(test_space_pauses_lesson_run),
        cmocka_unit_test(test_validation_one_number),
        cmocka_unit_test(test_readouts),
        cmocka_unit_test(test_reset_asks),
        cmocka_unit_test(test_activity_named),
        cmocka_unit_test(test_course_menu),
        cmocka_unit_test(test_save_and_record),
        cmocka_unit_test(test_progress_named),
        cmocka_unit_test(test_inference_before_any_step),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    TTF_Quit();
    return rc;
}
