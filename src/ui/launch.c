/* Lesson lookup, session start, atomic PNG writing. */
#include "ui/launch.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <SDL_image.h>

#include "config.h"
#include "data/atomicio.h"
#include "session/load.h"
#include "session/paths.h"
#include "session/session.h"

int ui_resolve_lesson(const char *arg, char *out, size_t n, char *err, size_t errlen)
{
    return ls_find_lesson(arg, out, n, err, errlen);
}

ui_worker *ui_launch(const char *path, bool seed_set, uint64_t seed, const ls_lesson **lesson,
                     char *err, size_t errlen)
{
    ls_lesson *l = ls_lesson_load_any(path, err, errlen);
    if (!l)
        return NULL;
    ls_options opt = ls_options_default();
    opt.seed_set = seed_set;
    opt.seed = seed;
    opt.quiet = true;
    ui_progress *p = ui_progress_create();
    opt.progress = p ? ui_progress_report : NULL;
    opt.progress_user = p;
    ls_session *s = ls_session_create(l, &opt, err, errlen);
    if (!s) {
        ui_progress_destroy(p);
        return NULL;   /* the session took the lesson and freed it */
    }
    ui_backend *b = ui_backend_session(s, ls_session_seed(s));
    if (!b) {
        ui_progress_destroy(p);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (p)
        ui_backend_set_progress(b, p);
    ui_worker *w = ui_worker_start(b, UI_HISTORY_STEPS);
    if (!w) {
        ui_backend_destroy(b);
        snprintf(err, errlen, "cannot start the training thread");
        return NULL;
    }
    *lesson = b->lesson;
    return w;
}

struct ui_launch_job {
    pthread_t thread;
    char path[PATH_MAX];
    bool seed_set;
    uint64_t seed;
    atomic_bool done;
    ui_worker *worker;
    const ls_lesson *lesson;
    char err[1024];
};

static void *launch_main(void *arg)
{
    ui_launch_job *j = arg;
    j->worker = ui_launch(j->path, j->seed_set, j->seed, &j->lesson, j->err, sizeof j->err);
    atomic_store(&j->done, true);
    return NULL;
}

ui_launch_job *ui_launch_start(const char *path, bool seed_set, uint64_t seed)
{
    ui_launch_job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    snprintf(j->path, sizeof j->path, "%s", path);
    j->seed_set = seed_set;
    j->seed = seed;
    atomic_init(&j->done, false);
    if (pthread_create(&j->thread, NULL, launch_main, j) != 0) {
        free(j);
        return NULL;
    }
    return j;
}

bool ui_launch_done(ui_launch_job *j)
{
    return atomic_load(&j->done);
}

ui_worker *ui_launch_finish(ui_launch_job *j, const ls_lesson **lesson, char *err, size_t errlen)
{
    pthread_join(j->thread, NULL);
    ui_worker *w = j->worker;
    if (w)
        *lesson = j->lesson;
    else
        snprintf(err, errlen, "%s", j->err);
    free(j);
    return w;
}

bool ui_parse_long(const char *s, long lo, long hi, long *out)
{
    if (!s || !(isdigit((unsigned char)s[0]) || (s[0] == '-' && isdigit((unsigned char)s[1]))))
        return false;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* The directory a file goes in ("." when the path has none); returns the base name. */
static const char *split_dir(const char *path, char *dir, size_t n)
{
    snprintf(dir, n, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash) {
        snprintf(dir, n, ".");
        return path;
    }
    *slash = 0;
    if (!dir[0])
        snprintf(dir, n, "/");
    return path + (slash - dir) + 1;
}

int ui_png_writable(const char *path, char *err, size_t errlen)
{
    char dir[PATH_MAX];
    const char *base = split_dir(path, dir, sizeof dir);
    struct stat st;
    if (!base[0] || (stat(path, &st) == 0 && S_ISDIR(st.st_mode))) {
        snprintf(err, errlen, "%s: is a directory, not a file name", path);
        return -1;
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || access(dir, W_OK | X_OK) != 0) {
        int e = errno;
        if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode))
            e = ENOTDIR;
        snprintf(err, errlen, "%s: cannot create a file in %s: %s", path, dir, strerror(e));
        return -1;
    }
    return 0;
}

int ui_save_png(SDL_Surface *s, const char *path, char *err, size_t errlen)
{
    char why[PATH_MAX + 160];
    ds_atomic *f = ds_atomic_open(path, why, sizeof why);
    if (!f) {
        /* Said as shot always has: the user named a file, not a temporary one. */
        static const char tmp_words[] = "cannot create a temporary file in ";
        const char *w = strstr(why, tmp_words);
        if (w)
            snprintf(err, errlen, "%s: cannot create a file in %s", path, w + strlen(tmp_words));
        else
            snprintf(err, errlen, "%s", why);
        return -1;
    }
    SDL_RWops *rw = SDL_RWFromFP(ds_atomic_file(f), SDL_FALSE);
    int rc = rw ? IMG_SavePNG_RW(s, rw, 0) : -1;
    if (rw)
        SDL_RWclose(rw);
    if (rc != 0) {
        snprintf(err, errlen, "%s: cannot write PNG: %s", path, SDL_GetError());
        ds_atomic_abort(f);
        return -1;
    }
    return ds_atomic_commit(f, err, errlen);
}
