#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "session/paths.h"

#define DEFAULT_LESSON "lessons/01-which-neurons.lesson"

static bool exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* True when this executable lives below the build directory it was built in: then the
 * source tree, not an older installed copy, holds the lessons it was built with. */
static bool running_from_build_dir(void)
{
    char exe[PATH_MAX];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (k <= 0)
        return false;
    exe[k] = 0;
    size_t n = strlen(DROPSCOPE_BUILD_DIR);
    return n > 0 && !strncmp(exe, DROPSCOPE_BUILD_DIR, n) && exe[n] == '/';
}

const char *ls_data_dir(void)
{
    static char dir[PATH_MAX];
    const char *h = getenv("DROPSCOPE_HOME");
    if (h && *h)
        return h;
    if (dir[0])
        return dir;
    char probe[PATH_MAX];
    snprintf(probe, sizeof probe, "%s/%s", DROPSCOPE_DATADIR, DEFAULT_LESSON);
    const char *d = !running_from_build_dir() && exists(probe) ? DROPSCOPE_DATADIR
                                                                : DROPSCOPE_SOURCE_DIR;
    snprintf(dir, sizeof dir, "%s", d);
    return dir;
}

int ls_resolve_path(const char *lesson_path, const char *rel, char *out, size_t n)
{
    if (!rel || !*rel)
        return -1;
    if (rel[0] == '/') {
        snprintf(out, n, "%s", rel);
        return exists(out) ? 0 : -1;
    }
    char dir[1024] = ".";
    if (lesson_path) {
        const char *slash = strrchr(lesson_path, '/');
        if (slash)
            snprintf(dir, sizeof dir, "%.*s", (int)(slash - lesson_path), lesson_path);
    }
    const char *fmts[][2] = {{dir, ""}, {dir, "../"}, {ls_data_dir(), ""}, {".", ""}};
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
        int w = snprintf(out, n, "%s/%s%s", fmts[i][0], fmts[i][1], rel);
        if (w > 0 && (size_t)w < n && exists(out))
            return 0;
    }
    return -1;
}

int ls_find_lesson(const char *arg, char *out, size_t n, char *err, size_t errlen)
{
    if (!arg) {
        snprintf(out, n, "%s", ls_default_lesson_path());
        if (exists(out))
            return 0;
        snprintf(err, errlen, "the default lesson %s is missing (is dropscope installed?)", out);
        return -1;
    }
    if (exists(arg)) {
        snprintf(out, n, "%s", arg);
        return 0;
    }
    /* relative to the data directory ("lessons/02-frozen-base.lesson" from anywhere) */
    if (arg[0] != '/') {
        int w = snprintf(out, n, "%s/%s", ls_data_dir(), arg);
        if (w > 0 && (size_t)w < n && exists(out))
            return 0;
    }
    /* a course lesson by name; also "lessons/NAME" without its extension */
    if (!strchr(arg, '/') || !strncmp(arg, "lessons/", 8)) {
        const char *name = strchr(arg, '/') ? arg + 8 : arg;
        size_t len = strlen(name);
        const char *ext = len >= 7 && !strcmp(name + len - 7, ".lesson") ? "" : ".lesson";
        int w = snprintf(out, n, "%s/lessons/%s%s", ls_data_dir(), name, ext);
        if (w > 0 && (size_t)w < n && exists(out))
            return 0;
    }
    snprintf(err, errlen, "lesson %s not found (looked in the current directory and %s/lessons)",
             arg, ls_data_dir());
    return -1;
}

const char *ls_default_lesson_path(void)
{
    static char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", ls_data_dir(), DEFAULT_LESSON);
    return path;
}
