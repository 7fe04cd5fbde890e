/* dropscope film: the window rendered once per training step (as shot renders it) into
 * an animated GIF with the theme's palette. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "cli/render.h"
#include "data/atomicio.h"
#include "data/gif.h"
#include "ui/palette.h"

#define FILM_HELP "LESSON --steps N --out CLIP.gif [--size WxH] [--example K|all] " \
                  "[--presenter] [--seed S] [--delay-ms D]"
#define FILM_MAX_STEPS 10000
#define FILM_MAX_BATCH 4096

typedef struct {
    const char *lesson, *out;
    long steps, delay_ms;
    cli_render_opts r;
} film_args;

/* One option at argv[*i] (its value at argv[*i + 1]); 0, or 2 after a message. */
static int parse_option(int argc, char **argv, int *i, film_args *a)
{
    const char *o = argv[*i];
    const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
    if (!strcmp(o, "--presenter")) {
        a->r.app.presenter = true;
        return 0;
    }
    (*i)++;
    if (!strcmp(o, "--steps"))
        return cli_arg_long("film", o, v, 1, FILM_MAX_STEPS, NULL, " (one frame per step)", &a->steps) ? 0 : 2;
    if (!strcmp(o, "--delay-ms"))
        return cli_arg_long("film", o, v, 10, 60000, NULL, NULL, &a->delay_ms) ? 0 : 2;
    if (!strcmp(o, "--seed")) {
        a->r.seed_set = true;
        return cli_arg_seed("film", o, v, &a->r.seed) ? 0 : 2;
    }
    if (!strcmp(o, "--out")) {
        a->out = v;
        return cli_arg_text("film", o, v, "a file name (CLIP.gif)") ? 0 : 2;
    }
    if (!strcmp(o, "--example")) {
        a->r.example_given = true;
        if (v && !strcmp(v, "all")) {
            a->r.example = -1;
            return 0;
        }
        if (cli_parse_long(v, 0, FILM_MAX_BATCH - 1, &a->r.example))
            return 0;
        fprintf(stderr, "dropscope film: --example needs an example of the batch, a whole number in "
                        "0..%d (or 'all'), got '%s'\n", FILM_MAX_BATCH - 1, v ? v : "nothing");
        return 2;
    }
    if (!strcmp(o, "--size")) {
        if (cli_parse_size(v, 320, 240, 8192, &a->r.w, &a->r.h))
            return 0;
        fprintf(stderr, "dropscope film: --size wants WxH, e.g. 1280x800 (320x240 to 8192x8192), got '%s'\n",
                v ? v : "nothing");
        return 2;
    }
    fprintf(stderr, "dropscope film: unknown option '%s'\n", o);
    return cli_usage("film", FILM_HELP);
}

/* 0: go on; 2: a one-line message (and maybe the usage) was printed. */
static int parse_args(int argc, char **argv, film_args *a)
{
    *a = (film_args){.steps = -1, .delay_ms = 200, .r = {.w = 1280, .h = 800}};
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1]) {
            if (parse_option(argc, argv, &i, a))
                return 2;
        } else if (!a->lesson) {
            a->lesson = argv[i];
        } else {
            fprintf(stderr, "dropscope film: one lesson at a time ('%s' and '%s')\n", a->lesson, argv[i]);
            return 2;
        }
    }
    if (a->steps < 0) {
        fprintf(stderr, "dropscope film: --steps N is missing: how many steps (frames) to film?\n");
        return cli_usage("film", FILM_HELP);
    }
    if (!a->out) {
        fprintf(stderr, "dropscope film: --out CLIP.gif is missing: where should the clip go?\n");
        return cli_usage("film", FILM_HELP);
    }
    return 0;
}

/* The clip being filmed: opened at the first frame, once the app has drawn and so made
 * its theme (the palette) for the window's size. */
typedef struct {
    const film_args *a;
    ds_gif *gif;
    int ncolors;
} film_clip;

static int film_add(cli_render *r, film_clip *c, char *err, size_t errlen)
{
    if (!c->gif) {
        uint32_t pal[UI_PALETTE_MAX];
        c->ncolors = ui_palette_from_theme(&r->app->theme, pal);
        c->gif = ds_gif_open(c->a->out, c->a->r.w, c->a->r.h, pal, c->ncolors,
                             (int)((c->a->delay_ms + 5) / 10), err, errlen);
        if (!c->gif)
            return -1;
    }
    return ds_gif_add_frame(c->gif, r->surf->pixels, r->surf->pitch, err, errlen);
}

/* Steps and frames: frame k is the window after step k. 0, or 1 after printing why. */
static int film_frames(cli_render *r, film_clip *c)
{
    char err[1024];
    bool tty = isatty(STDERR_FILENO);
    double t0 = cli_now_sec();
    long steps = c->a->steps;
    for (long k = 1; k <= steps; k++) {
        ui_worker_status st = cli_render_steps(r, 1);
        if (st.error[0]) {
            fprintf(stderr, "%sdropscope film: step %ld: %s\n", tty ? "\n" : "", k, st.error);
            return 1;
        }
        cli_render_draw(r);
        if (film_add(r, c, err, sizeof err) < 0) {
            fprintf(stderr, "%sdropscope film: %s\n", tty ? "\n" : "", err);
            return 1;
        }
        if (tty)
            cli_progress(k, steps, k / (cli_now_sec() - t0));
    }
    if (tty)
        fprintf(stderr, "\n");
    return 0;
}

int ds_cmd_film(int argc, char **argv)
{
    film_args a;
    if (parse_args(argc, argv, &a))
        return 2;
    char path[4096], err[1024];
    if (cli_resolve_lesson(a.lesson, path, sizeof path))
        return 2;
    /* Said now, not after the filming: the clip can be written there. */
    ds_atomic *probe = ds_atomic_open(a.out, err, sizeof err);
    if (!probe) {
        fprintf(stderr, "dropscope film: --out: %s\n", err);
        return 2;
    }
    ds_atomic_abort(probe);
    a.r.path = path;
    cli_render r;
    int rc = cli_render_open(&r, "film", &a.r);
    if (rc) {
        cli_render_close(&r);
        return rc;
    }
    film_clip c = {.a = &a};
    rc = film_frames(&r, &c);
    if (rc) {
        ds_gif_abort(c.gif);
    } else if (ds_gif_close(c.gif, err, sizeof err) < 0) {
        fprintf(stderr, "dropscope film: %s\n", err);
        rc = 2;
    } else {
        printf("%s: %dx%d, %ld frames (steps 1..%ld), %d colours, %ld ms a frame\n", a.out, a.r.w, a.r.h,
               a.steps, a.steps, c.ncolors, (a.delay_ms + 5) / 10 * 10);
    }
    cli_render_close(&r);
    return rc;
}
