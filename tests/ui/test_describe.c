/* The frame description (shot --describe's report) over a whole lesson (issue 11): for
 * every step of the lesson, at 800x600, 1280x800 and presenter 1920x1080, what the
 * window drew is checked without eyes:
 *   - every panel that drew a snapshot drew the same step;
 *   - the head is whole: no text of a head layer's box (name, shape, params; the
 *     Dropout box among them) and no mask caption was cut;
 *   - a step that predicts or switches to inference shows an inference pass, and an
 *     inference pass has no crossed cell;
 *   - presenter mode: no text line under h/30 pixels;
 *   - no text of any panel is cut (ellipsised or left out);
 *   - the graph draws the Dropout layer the mask view shows and the layer it masks (the
 *     two ends of the "masks outputs" bracket), whatever the lesson selected;
 *   - a step with a question: once answered (right and wrong), the feedback is in view
 *     whole, without the student scrolling.
 * One process per lesson: the lesson's steps run once, each frame is drawn at the three
 * sizes. Usage: test_describe LESSON [--report-only LIST]; LIST names checks that are
 * printed but do not fail the test (comma separated: one-step, head, inference,
 * presenter-text, answer, bracket, cut), for checks another branch's layout work is to make pass. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>
#include <SDL_ttf.h>

#include "ui/app.h"
#include "ui/draw.h"
#include "ui/launch.h"
#include "ui/report.h"

typedef struct {
    int w, h;
    bool presenter;
} size_case;

static const size_case sizes[] = {{800, 600, false}, {1280, 800, false}, {1920, 1080, true}};

typedef struct {
    const char *name;
    long failed, passed;
    bool report_only;
} check;

static check checks[] = {{"one-step", 0, 0, false}, {"head", 0, 0, false},
                         {"inference", 0, 0, false}, {"presenter-text", 0, 0, false},
                         {"answer", 0, 0, false}, {"bracket", 0, 0, false},
                         {"cut", 0, 0, false}};
enum { C_ONE_STEP, C_HEAD, C_INFERENCE, C_PRESENTER, C_ANSWER, C_BRACKET, C_CUT };

static void verdict(int c, bool ok, const char *where, const char *fmt, const char *detail)
{
    if (ok) {
        checks[c].passed++;
        return;
    }
    checks[c].failed++;
    printf("%s %s: %s: ", checks[c].report_only ? "REPORTED" : "FAIL", checks[c].name, where);
    printf(fmt, detail);
    printf("\n");
}

/* A head layer: not part of a declared base. Its box's texts, as graph_view writes them. */
static bool head_text(const ui_app *a, const char *text)
{
    char num[32], buf[96];
    for (int i = 0; i < a->graph.n; i++) {
        const ui_graph_layer *L = &a->graph.layers[i];
        if (L->base_count > 0 || !strcmp(L->type, "InputLayer"))
            continue;
        snprintf(buf, sizeof buf, "%s params", ui_fmt_count(L->params, num, sizeof num));
        if (!strcmp(text, L->name) || !strcmp(text, L->shape) || !strcmp(text, buf))
            return true;
    }
    return false;
}

/* The mask view's caption (its first line under the grid): "SRC: ...", "SRC, whole
 * batch: ..." or "inference: ...". */
static bool mask_caption(const ui_app *a, const char *text)
{
    if (!strncmp(text, "inference:", 10))
        return true;
    for (int i = 0; i < a->graph.n; i++) {
        const ui_graph_layer *L = &a->graph.layers[i];
        if (L->masks < 0 || L->masks >= a->graph.n)
            continue;
        const char *src = a->graph.layers[L->masks].name;
        size_t n = strlen(src);
        if (!strncmp(text, src, n) && (text[n] == ':' || !strncmp(text + n, ", whole batch", 13)))
            return true;
    }
    return false;
}

static bool step_goes_inference(const ls_step *st)
{
    for (int i = 0; i < st->n_items; i++) {
        const ls_item *it = &st->items[i];
        if (it->kind == LS_ITEM_ACTION && (it->u.action.kind == LS_ACT_PREDICT ||
                                           (it->u.action.kind == LS_ACT_MODE && !it->u.action.flag)))
            return true;
    }
    return false;
}

static void check_frame(const ui_app *a, const ui_report *r, const ls_step *st, const char *where,
                        const size_case *sc)
{
    long step = 0;
    bool one = true;
    char detail[256] = "";
    for (int i = 0; i < r->n_panels; i++) {
        long s = r->panels[i].step;
        if (s == 0)
            continue;
        if (step && s != step) {
            one = false;
            snprintf(detail, sizeof detail, "%s drew step %ld, another panel %ld",
                     r->panels[i].name, s, step);
        }
        step = s;
    }
    verdict(C_ONE_STEP, one, where, "%s", detail);
    bool whole = true;
    for (int i = 0; i < r->n_clipped; i++) {
        const ui_report_clip_rec *c = &r->clipped[i];
        if ((!strcmp(c->panel, "graph") && head_text(a, c->text)) ||
            (!strcmp(c->panel, "mask") && mask_caption(a, c->text))) {
            whole = false;
            snprintf(detail, sizeof detail, "'%s' cut in the %s panel", c->text, c->panel);
            break;
        }
    }
    verdict(C_HEAD, whole, where, "%s", detail);
    if (r->clipped_total)
        snprintf(detail, sizeof detail, "%ld texts cut, first '%s' in the %s panel", r->clipped_total,
                 r->n_clipped ? r->clipped[0].text : "?", r->n_clipped ? r->clipped[0].panel : "?");
    verdict(C_CUT, r->clipped_total == 0, where, "%s", detail);
    const nn_trace *cur = a->cur;
    if (st && step_goes_inference(st)) {
        snprintf(detail, sizeof detail, "the step predicts or switches to inference, the frame "
                 "shows a %s pass", cur && cur->training ? "training" : "missing");
        verdict(C_INFERENCE, cur && !cur->training, where, "%s", detail);
    }
    if (cur && !cur->training && r->mask_drawn) {
        snprintf(detail, sizeof detail, "%ld crossed cells in an inference pass", r->mask_crossed);
        verdict(C_INFERENCE, r->mask_crossed == 0, where, "%s", detail);
    }
    int d = ui_dropout_index(a);
    if (d >= 0 && a->graph.layers[d].masks >= 0) {
        const char *ends[2] = {a->graph.layers[d].name, NULL};
        for (int i = 0; i < a->layout.n_boxes; i++)
            if (a->layout.boxes[i].first <= a->graph.layers[d].masks &&
                a->graph.layers[d].masks <= a->layout.boxes[i].last)
                ends[1] = a->graph.layers[a->layout.boxes[i].first].name;
        for (int e = 0; e < 2; e++) {
            bool drawn = false;
            for (int i = 0; ends[e] && i < r->n_boxes; i++)
                drawn |= !strcmp(r->boxes[i], ends[e]);
            snprintf(detail, sizeof detail, "the box of %s (%s of the bracket) is not drawn",
                     ends[e] ? ends[e] : "?", e ? "the masked layer" : "the Dropout");
            verdict(C_BRACKET, drawn, where, "%s", detail);
        }
    }
    if (sc->presenter) {
        snprintf(detail, sizeof detail, "smallest text %d px, want >= %d", r->min_text_px,
                 (sc->h + 29) / 30);
        verdict(C_PRESENTER, r->min_text_px * 30 >= sc->h, where, "%s", detail);
    }
}

typedef struct {
    SDL_Surface *surf;
    SDL_Renderer *ren;
} target;

static int draw_at(ui_app *a, target *t, const size_case *sc)
{
    char err[256];
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, sc->w, sc->h, 32, SDL_PIXELFORMAT_ARGB8888);
    SDL_Renderer *ren = s ? SDL_CreateSoftwareRenderer(s) : NULL;
    if (!ren || ui_app_set_renderer(a, ren, err, sizeof err) < 0) {
        fprintf(stderr, "renderer %dx%d: %s\n", sc->w, sc->h, ren ? err : SDL_GetError());
        if (ren)
            SDL_DestroyRenderer(ren);
        SDL_FreeSurface(s);
        return -1;
    }
    if (t->ren)
        SDL_DestroyRenderer(t->ren);
    SDL_FreeSurface(t->surf);
    t->surf = s;
    t->ren = ren;
    a->presenter = sc->presenter;
    ui_app_update(a);
    ui_app_draw(a);   /* twice, as shot does: the first frame measures the lesson text */
    ui_app_draw(a);
    return 0;
}

static void parse_report_only(const char *list)
{
    for (size_t c = 0; c < sizeof checks / sizeof checks[0]; c++) {
        const char *p = strstr(list, checks[c].name);
        size_t n = strlen(checks[c].name);
        checks[c].report_only = p && (p[n] == 0 || p[n] == ',');
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_describe LESSON [--report-only LIST]\n");
        return 2;
    }
    if (argc >= 4 && !strcmp(argv[2], "--report-only"))
        parse_report_only(argv[3]);
    SDL_setenv("SDL_VIDEODRIVER", "dummy", 1);
    if (TTF_Init() != 0)
        return 1;
    char path[4096], err[1024];
    const ls_lesson *lesson = NULL;
    ui_worker *w = NULL;
    ui_app *a = NULL;
    target t = {0};
    int rc = 1;
    if (ui_resolve_lesson(argv[1], path, sizeof path, err, sizeof err) < 0 ||
        !(w = ui_launch(path, false, 0, &lesson, err, sizeof err))) {
        fprintf(stderr, "%s\n", err);
        goto out;
    }
    size_case first = sizes[0];
    t.surf = SDL_CreateRGBSurfaceWithFormat(0, first.w, first.h, 32, SDL_PIXELFORMAT_ARGB8888);
    t.ren = SDL_CreateSoftwareRenderer(t.surf);
    ui_app_options o = {.example = 0, .speed = 0};
    if (!(a = ui_app_create(NULL, t.ren, w, lesson, &o, err, sizeof err))) {
        fprintf(stderr, "%s\n", err);
        goto out;
    }
    ui_report rep;
    a->report = &rep;
    ui_worker_set_speed(w, 0);
    int n_steps = lesson && lesson->n_steps > 0 ? lesson->n_steps : 1;
    for (int k = 0; k < n_steps; k++) {
        ui_app_enter_step(a, k);   /* as N does; its run goes to its end */
        ui_worker_wait_idle(w);
        ui_worker_set_playing(w, false);
        const ls_step *st = lesson && k < lesson->n_steps ? &lesson->steps[k] : NULL;
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            if (draw_at(a, &t, &sizes[i]) < 0)
                goto out;
            char where[4400];
            snprintf(where, sizeof where, "%s step %d \"%s\" %dx%d%s", path, k + 1,
                     st && st->title ? st->title : "", sizes[i].w, sizes[i].h,
                     sizes[i].presenter ? " presenter" : "");
            check_frame(a, &rep, st, where, &sizes[i]);
            const ls_question *q = NULL;
            for (int j = 0; st && j < st->n_items && !q; j++)
                if (st->items[j].kind == LS_ITEM_QUESTION)
                    q = &st->items[j].u.question;
            for (int pass = 0; q && pass < 2; pass++) {   /* the right answer, then a wrong one */
                int choice = pass == 0 ? q->answer : (q->answer + 1) % q->n_choices;
                a->lesson_scroll = 0;
                ui_app_do(a, UI_ACT_ANSWER, choice);
                ui_app_draw(a);
                ui_app_draw(a);
                char detail[64];
                snprintf(detail, sizeof detail, "answer %d's feedback %s", choice + 1,
                         rep.feedback == 1 ? "below the panel's edge" : "not drawn");
                verdict(C_ANSWER, rep.feedback == 2, where, "%s", detail);
                a->answers[k] = -1;
                a->lesson_scroll = 0;
            }
        }
    }
    rc = 0;
    for (size_t c = 0; c < sizeof checks / sizeof checks[0]; c++) {
        printf("%s: %ld passed, %ld failed%s\n", checks[c].name, checks[c].passed,
               checks[c].failed, checks[c].report_only ? " (reported only)" : "");
        if (checks[c].failed && !checks[c].report_only)
            rc = 1;
    }
out:
    if (a)
        a->report = NULL;
    ui_app_destroy(a);
    ui_worker_stop(w);
    if (t.ren)
        SDL_DestroyRenderer(t.ren);
    SDL_FreeSurface(t.surf);
    TTF_Quit();
    return rc;
}
