/* dropscope shot: the window rendered without a display, into a surface with the
 * software renderer, saved as PNG. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "cli/render.h"
#include "ui/app.h"
#include "ui/launch.h"
#include "ui/report.h"

#define SHOT_HELP "LESSON [--steps N] [--keys \"N N I\"] --out FILE.png [--describe FILE.json] " \
                  "[--size WxH] [--example K|all] [--presenter] [--inference] [--seed N]"

/* The largest batch a session takes (train's --batch). */
#define SHOT_MAX_BATCH 4096

typedef struct {
    const char *lesson, *out;
    const char *describe;   /* --describe FILE.json, or NULL */
    int n_keys;
    cli_key keys[CLI_MAX_KEYS];
    long steps;
    bool seed_set;
    uint64_t seed;
    bool example_given;
    long example;           /* -1: the whole batch */
    int w, h;
    bool inference;         /* train, then one inference forward (no mask) */
    ui_app_options app;
} shot_args;

/* 0: go on; 2: a one-line message (and maybe the usage) was printed. */
static int parse_args(int argc, char **argv, shot_args *a)
{
    *a = (shot_args){.w = 1280, .h = 800, .app = {.example = 0, .speed = 0}};
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(o, "--steps")) {
            if (!cli_arg_long("shot", o, v, 0, 100000000, NULL, NULL, &a->steps))
                return 2;
            i++;
        } else if (!strcmp(o, "--seed")) {
            if (!cli_arg_seed("shot", o, v, &a->seed))
                return 2;
            a->seed_set = true;
            i++;
        } else if (!strcmp(o, "--example")) {
            if (v && !strcmp(v, "all")) {
                a->example = -1;
            } else if (!cli_parse_long(v, 0, SHOT_MAX_BATCH - 1, &a->example)) {
                fprintf(stderr, "dropscope shot: --example needs an example of the batch, a whole "
                                "number in 0..%d (or 'all'), got '%s'\n",
                        SHOT_MAX_BATCH - 1, v ? v : "nothing");
                return 2;
            }
            a->example_given = true;
            i++;
        } else if (!strcmp(o, "--size")) {
            if (!cli_parse_size(v, 320, 240, 8192, &a->w, &a->h)) {
                fprintf(stderr, "dropscope shot: --size wants WxH, e.g. 1280x800 (320x240 to "
                                "8192x8192), got '%s'\n", v ? v : "nothing");
                return 2;
            }
            i++;
        } else if (!strcmp(o, "--out")) {
            if (!cli_arg_text("shot", o, v, "a file name"))
                return 2;
            a->out = v;
            i++;
        } else if (!strcmp(o, "--describe")) {
            if (!cli_arg_text("shot", o, v, "a file name"))
                return 2;
            a->describe = v;
            i++;
        } else if (!strcmp(o, "--keys")) {
            char err[256];
            if (!cli_arg_text("shot", o, v, "key names, e.g. \"N N I\""))
                return 2;
            a->n_keys = cli_parse_keys(v, a->keys, CLI_MAX_KEYS, err, sizeof err);
            if (a->n_keys < 0) {
                fprintf(stderr, "dropscope shot: %s\n", err);
                return 2;
            }
            i++;
        } else if (!strcmp(o, "--presenter")) {
            a->app.presenter = true;
        } else if (!strcmp(o, "--inference")) {
            a->inference = true;
        } else if (o[0] == '-' && o[1]) {
            fprintf(stderr, "dropscope shot: unknown option '%s'\n", o);
            return cli_usage("shot", SHOT_HELP);
        } else if (!a->lesson) {
            a->lesson = o;
        } else {
            fprintf(stderr, "dropscope shot: one lesson at a time ('%s' and '%s')\n", a->lesson, o);
            return 2;
        }
    }
    if (!a->out) {
        fprintf(stderr, "dropscope shot: --out FILE.png is missing: where should the picture go?\n");
        return cli_usage("shot", SHOT_HELP);
    }
    return 0;
}

/* After the lesson's first step and a->steps steps: for --inference, one inference
 * forward (no mask); then the keys. Returns the worker's status after it is idle. */
static ui_worker_status run_to_picture(cli_render *r, const shot_args *a)
{
    ui_worker_status st = cli_render_steps(r, a->steps);
    if (a->inference) {
        /* Train first, then one inference forward: the grid then shows no mask. (A mode
         * change takes effect at the next step boundary, so wait for the training.) */
        ui_cmd m = {.kind = UI_CMD_MODE, .flag = false};
        ui_worker_push(r->worker, &m);
        st = cli_render_steps(r, 1);
    }
    if (a->n_keys > 0) {
        ui_worker_status k = cli_render_keys(r, a->keys, a->n_keys);
        if (!st.error[0])
            st = k;
    }
    return st;
}

int ds_cmd_shot(int argc, char **argv)
{
    shot_args a;
    if (parse_args(argc, argv, &a))
        return 2;
    char path[4096], err[1024];
    if (cli_resolve_lesson(a.lesson, path, sizeof path))
        return 2;
    /* Said now, not after minutes of loading and training. */
    if (ui_png_writable(a.out, err, sizeof err) < 0 ||
        (a.describe && ui_png_writable(a.describe, err, sizeof err) < 0)) {
        fprintf(stderr, "dropscope shot: %s\n", err);
        return 2;
    }
    cli_render_opts o = {.path = path, .w = a.w, .h = a.h, .seed_set = a.seed_set, .seed = a.seed,
                         .example_given = a.example_given, .example = a.example, .app = a.app};
    cli_render r;
    int rc = cli_render_open(&r, "shot", &o);
    if (rc) {
        cli_render_close(&r);
        return rc;
    }
    ui_report report;
    r.app->report = a.describe ? &report : NULL;
    ui_worker_status st = run_to_picture(&r, &a);
    if (st.error[0])
        fprintf(stderr, "dropscope: %s\n", st.error);
    cli_render_draw(&r);
    if (ui_save_png(r.surf, a.out, err, sizeof err) < 0 ||
        (a.describe && cli_render_describe(&r, a.describe, err, sizeof err) < 0)) {
        fprintf(stderr, "dropscope shot: %s\n", err);
        cli_render_close(&r);
        return 2;
    }
    printf("%s: %dx%d, step %ld\n", a.out, a.w, a.h, r.app->cur ? r.app->cur->step : 0L);
    cli_render_close(&r);
    return st.error[0] ? 1 : 0;
}
