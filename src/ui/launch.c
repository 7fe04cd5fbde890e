/* Lesson lookup, session start, atomic PNG writing. */
#include "ui/launch.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <SDL_image.h>

#include "config.h"
#include "session/load.h"
#include "session/paths.h"
#include "session/session.h"

int ui_resolve_lesson(const char *arg, char *out, size_t n, char *err, size_t errlen)
{
    return ls_find_lesson(arg, out, n, err, errlen);
}

ui_worker *ui_launch(const char *path, long seed, const ls_lesson **lesson, char *err,
                     size_t errlen)
{
    ls_lesson *l = ls_lesson_load_any(path, err, errlen);
    if (!l)
        return NULL;
    ls_options opt = ls_options_default();
    opt.seed_set = seed >= 0; /* SEED-MERGE */
    opt.seed = (uint64_t)seed;
    opt.quiet = true;
    ls_session *s = ls_session_create(l, &opt, err, errlen);
    if (!s)
        return NULL;   /* the session took the lesson and freed it */
    ui_backend *b = ui_backend_session(s, ls_session_seed(s)); /* SEED-MERGE */
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    ui_worker *w = ui_worker_start(b, 300);
    if (!w) {
        ui_backend_destroy(b);
        snprintf(err, errlen, "cannot start the training thread");
        return NULL;
    }
    *lesson = b->lesson;
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
    char dir[PATH_MAX], tmp[PATH_MAX + 32];
    const char *base = split_dir(path, dir, sizeof dir);
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp.XXXXXX", dir, base);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot create a file in %s: %s", path, dir, strerror(errno));
        return -1;
    }
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        close(fd);
        unlink(tmp);
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    SDL_RWops *rw = SDL_RWFromFP(f, SDL_FALSE);
    int rc = rw ? IMG_SavePNG_RW(s, rw, 0) : -1;
    if (rw)
        SDL_RWclose(rw);
    if (rc == 0 && (fflush(f) != 0 || fsync(fileno(f)) != 0))
        rc = -1;
    if (fclose(f) != 0)
        rc = -1;
    if (rc == 0) {   /* mkstemp made it 0600; a picture is for everyone to read */
        mode_t mask = umask(0);
        umask(mask);
        chmod(tmp, 0666 & ~mask);
    }
    if (rc != 0 || rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: cannot write PNG: %s", path,
                 rc != 0 ? SDL_GetError() : strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}
