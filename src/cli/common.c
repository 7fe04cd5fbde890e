/* Usage lines, the clock, the progress bar, the headless commands' options, the
 * window's launch. */
#include "cli/common.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/args.h"
#include "session/load.h"
#include "session/paths.h"
#include "ui/launch.h"

int cli_usage(const char *cmd, const char *text)
{
    fprintf(stderr, "usage: dropscope %s %s\n", cmd, text);
    return 2;
}

int cli_help(const char *cmd, const char *text)
{
    printf("usage: dropscope %s %s\n", cmd, text);
    return 0;
}

double cli_now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void cli_progress(long done, long total, double steps_per_s)
{
    int width = 30, fill = total > 0 ? (int)(width * done / total) : width;
    fprintf(stderr, "\r[");
    for (int i = 0; i < width; i++)
        fputc(i < fill ? '#' : '.', stderr);
    fprintf(stderr, "] %ld/%ld  %.1f steps/s ", done, total, steps_per_s);
    fflush(stderr);
}

cli_run_args cli_run_args_default(void)
{
    return (cli_run_args){.steps = -1, .every = -1};
}

int cli_parse_run_args(int argc, char **argv, cli_run_args *a, const char *cmd,
                       const char *help)
{
    *a = cli_run_args_default();
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        long *target = NULL;
        long lo = 0, hi = 100000000;
        if (!strcmp(o, "--steps"))
            target = &a->steps;
        else if (!strcmp(o, "--every"))
            target = &a->every, lo = 1;
        else if (!strcmp(o, "--batch"))
            target = &a->batch, lo = 1, hi = 4096;
        else if (!strcmp(o, "--memory-budget"))
            target = &a->memory_mib, lo = 1, hi = 16L << 20; /* MiB, up to 16 TiB */
        if (target) {
            if (!cli_arg_long(cmd, o, v, lo, hi, NULL, NULL, target))
                return 2;
            i++;
        } else if (!strcmp(o, "--seed")) {
            if (!cli_arg_seed(cmd, o, v, &a->seed))
                return 2;
            a->seed_set = true;
            i++;
        } else if (!strcmp(o, "--record") || !strcmp(o, "--data")) {
            if (!cli_arg_text(cmd, o, v, "a directory"))
                return 2;
            *(!strcmp(o, "--record") ? &a->record : &a->data) = v;
            i++;
        } else if (!strcmp(cmd, "train") && !strcmp(o, "--save-lesson")) {
            if (!cli_arg_text(cmd, o, v, "a file name for the lesson"))
                return 2;
            a->save_lesson = v;
            i++;
        } else if (!strcmp(cmd, "train") && (!strcmp(o, "--verbose") || !strcmp(o, "-v"))) {
            a->verbose = true;
        } else if (!strcmp(cmd, "summary") && !strcmp(o, "--expand-nested")) {
            a->expand_nested = true;
        } else if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
            cli_help(cmd, help);
            return -1;
        } else if (o[0] == '-' && o[1]) {
            fprintf(stderr, "dropscope %s: unknown option '%s'\n", cmd, o);
            return cli_usage(cmd, help);
        } else if (!a->lesson) {
            a->lesson = o;
        } else {
            fprintf(stderr, "dropscope %s: one lesson at a time ('%s' and '%s')\n", cmd, a->lesson, o);
            return 2;
        }
    }
    if (!a->lesson)
        a->lesson = ls_default_lesson_path();
    a->lesson = cli_lesson_path(a->lesson, a->found, sizeof a->found);
    return 0;
}

const char *cli_lesson_path(const char *arg, char *buf, size_t n)
{
    char err[512];
    if (ls_find_lesson(arg, buf, n, err, sizeof err) == 0)
        return buf;
    return arg;   /* names no lesson: the reader says what is wrong with it */
}

ls_session *cli_open_session(const cli_run_args *a, const char *cmd, bool quiet)
{
    char err[2048];
    char found[4096];
    ls_lesson *l = ls_lesson_load_any(cli_lesson_path(a->lesson, found, sizeof found), err, sizeof err);
    if (!l) {
        fprintf(stderr, "dropscope %s: %s\n", cmd, err);
        return NULL;
    }
    ls_options o = ls_options_default();
    o.data_dir = a->data;
    o.seed_set = a->seed_set;
    o.seed = a->seed;
    o.batch = (int)a->batch;
    o.memory_budget = (size_t)a->memory_mib << 20;
    o.quiet = quiet;
    ls_session *s = ls_session_create(l, &o, err, sizeof err);
    if (!s) {
        fprintf(stderr, "dropscope %s: %s\n", cmd, err);
        return NULL;
    }
    /* notes matter (e.g. a base on random weights): always said */
    const char *notes = ls_session_notes(s);
    if (notes[0])
        fprintf(stderr, "%s\n", notes);
    return s;
}

int cli_resolve_lesson(const char *arg, char *path, size_t n)
{
    char err[1024];
    if (ui_resolve_lesson(arg, path, n, err, sizeof err) == 0)
        return 0;
    fprintf(stderr, "dropscope: %s\n", err);
    return 2;
}

ui_worker *cli_launch(const char *path, bool seed_set, uint64_t seed, const ls_lesson **lesson)
{
    char err[1024];
    ui_worker *w = ui_launch(path, seed_set, seed, lesson, err,
                             sizeof err);
    if (!w)
        fprintf(stderr, "dropscope: %s\n", err);
    return w;
}
