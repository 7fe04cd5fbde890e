/* The window drawn into a surface, shared by shot and film. */
#include "cli/render.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <SDL_ttf.h>

#include "cli/common.h"
#include "data/atomicio.h"
#include "ui/report.h"

int cli_render_open(cli_render *r, const char *cmd, const cli_render_opts *o)
{
    memset(r, 0, sizeof *r);
    char err[1024];
    /* No window at all: the software renderer draws into a surface. */
    SDL_SetHint(SDL_HINT_VIDEODRIVER, "dummy");
    if (TTF_Init() != 0) {
        fprintf(stderr, "dropscope: SDL_ttf: %s\n", TTF_GetError());
        return 1;
    }
    r->ttf = true;
    r->surf = SDL_CreateRGBSurfaceWithFormat(0, o->w, o->h, 32, SDL_PIXELFORMAT_ARGB8888);
    r->ren = r->surf ? SDL_CreateSoftwareRenderer(r->surf) : NULL;
    if (!r->ren) {
        fprintf(stderr, "dropscope: software renderer: %s\n", SDL_GetError());
        return 1;
    }
    r->worker = cli_launch(o->path, o->seed_set, o->seed, &r->lesson);
    if (!r->worker)
        return 2;
    /* The session's batch (src/session/session.c: the lesson's, 20 by default). */
    int batch = r->lesson && r->lesson->fit.batch > 0 ? r->lesson->fit.batch : 20;
    if (o->example_given && o->example >= batch) {
        fprintf(stderr, "dropscope %s: --example %ld is beyond the batch: the batch has %d "
                        "examples, 0..%d\n", cmd, o->example, batch, batch - 1);
        return 2;
    }
    ui_app_options ao = o->app;
    ao.lesson_path = o->path;
    r->app = ui_app_create(NULL, r->ren, r->worker, r->lesson, &ao, err, sizeof err);
    if (!r->app) {
        fprintf(stderr, "dropscope: %s\n", err);
        return 1;
    }
    ui_worker_set_speed(r->worker, 0);
    /* Space replays as one step, so that the same keys give the same pictures. */
    ui_worker_set_play_limit(r->worker, 1);
    ui_app_enter_step(r->app, 0);
    /* The first step's actions run to the end (a lesson run stops by itself when
     * done); a picture is of a paused window. */
    ui_worker_wait_idle(r->worker);
    ui_worker_set_playing(r->worker, false);
    ui_app_update(r->app);
    if (o->example_given)
        r->app->example = (int)o->example;
    return 0;
}

ui_worker_status cli_render_steps(cli_render *r, long n)
{
    if (n > 0) {
        ui_cmd c = {.kind = UI_CMD_STEP, .n = n};
        ui_worker_push(r->worker, &c);
    }
    ui_worker_wait_idle(r->worker);
    return ui_worker_get_status(r->worker);
}

void cli_render_draw(cli_render *r)
{
    ui_app_update(r->app);
    /* The rate is wall-clock time, which a picture of a paused window would not show
     * after two seconds either (ui/worker.c); left at 0 the same lesson, seed and size
     * give the same pixels every time, so a frame of film equals shot at its step. */
    r->app->status.steps_per_sec = 0;
    ui_app_draw(r->app);   /* twice: the first frame measures the lesson text */
    ui_app_draw(r->app);
    SDL_RenderPresent(r->ren);
}

void cli_render_close(cli_render *r)
{
    ui_app_destroy(r->app);
    ui_worker_stop(r->worker);
    if (r->ren)
        SDL_DestroyRenderer(r->ren);
    SDL_FreeSurface(r->surf);
    if (r->ttf)
        TTF_Quit();
    memset(r, 0, sizeof *r);
}

int cli_parse_keys(const char *s, cli_key *out, int max, char *err, size_t errlen)
{
    int n = 0;
    char tok[64];
    for (const char *p = s; *p;) {
        while (*p == ' ' || *p == '\t')
            p++;
        size_t len = strcspn(p, " \t");
        if (len == 0)
            break;
        if (len >= sizeof tok) {
            snprintf(err, errlen, "--keys: '%.*s...' is not a key name", 20, p);
            return -1;
        }
        memcpy(tok, p, len);
        tok[len] = 0;
        p += len;
        if (n == max) {
            snprintf(err, errlen, "--keys: more than %d keys", max);
            return -1;
        }
        cli_key k = {0};
        char *name = tok;
        for (;;) {
            if (!strncasecmp(name, "Shift+", 6) && name[6])
                k.mod |= KMOD_LSHIFT, name += 6;
            else if (!strncasecmp(name, "Ctrl+", 5) && name[5])
                k.mod |= KMOD_LCTRL, name += 5;
            else
                break;
        }
        k.key = SDL_GetKeyFromName(name);
        if (k.key == SDLK_UNKNOWN) {
            snprintf(err, errlen, "--keys: '%s' (key %d) is not an SDL key name; try N, Space, "
                                  "I, S, Left, Right, End, Shift+L, [ or ]", tok, n + 1);
            return -1;
        }
        out[n++] = k;
    }
    return n;
}

ui_worker_status cli_render_keys(cli_render *r, const cli_key *keys, int n)
{
    for (int i = 0; i < n && !r->app->quit; i++) {
        SDL_Event e = {.type = SDL_KEYDOWN};
        e.key.keysym.sym = keys[i].key;
        e.key.keysym.mod = keys[i].mod;
        e.key.state = SDL_PRESSED;
        ui_app_event(r->app, &e);
        ui_worker_wait_idle(r->worker);
        /* A frame between presses, as in the window: clicks and keys such as Up read
         * what the last frame laid out. */
        ui_app_update(r->app);
        ui_app_draw(r->app);
    }
    return ui_worker_get_status(r->worker);
}

static void describe_json(const cli_render *r, FILE *f)
{
    const ui_app *a = r->app;
    const nn_trace *cur = a->cur;
    bool shown_training = cur ? cur->training : a->graph.training;
    fprintf(f, "{\"window\":[%d,%d],\"presenter\":%s,\"live_step\":%ld,\"viewing_step\":%ld,",
            a->w, a->h, a->presenter ? "true" : "false", a->status.steps,
            cur ? cur->step : 0L);
    fprintf(f, "\"mode\":\"%s\",\"next_mode\":\"%s\",\"playing\":%s,\"lesson\":",
            shown_training ? "training" : "inference",
            a->graph.training ? "training" : "inference", a->playing ? "true" : "false");
    if (r->lesson) {
        fputs("{\"file\":", f);
        ui_report_json_string(f, r->lesson->path ? r->lesson->path : "");
        int ans = a->answers ? a->answers[a->lesson_step] : -1;
        static const char *const fb[3] = {"null", "\"hidden\"", "\"visible\""};
        fprintf(f, ",\"step\":%d,\"steps\":%d,", a->lesson_step + 1, r->lesson->n_steps);
        if (ans >= 0)
            fprintf(f, "\"answer\":%d,", ans + 1);
        else
            fputs("\"answer\":null,", f);
        int k = a->report ? a->report->feedback : 0;
        fprintf(f, "\"feedback\":%s}", fb[k >= 0 && k <= 2 ? k : 0]);
    } else {
        fputs("null", f);
    }
    fputc(',', f);
    ui_report_write_members(a->report, f);
    fputs("}\n", f);
}

int cli_render_describe(const cli_render *r, const char *path, char *err, size_t errlen)
{
    ds_atomic *f = ds_atomic_open(path, err, errlen);
    if (!f)
        return -1;
    describe_json(r, ds_atomic_file(f));
    return ds_atomic_commit(f, err, errlen);
}
