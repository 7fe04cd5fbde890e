#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "session/paths.h"

const char *ls_source_dir(void)
{
    const char *h = getenv("DROPSCOPE_HOME");
    return h && *h ? h : DROPSCOPE_SOURCE_DIR;
}

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
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
    const char *fmts[][2] = {{dir, ""}, {dir, "../"}, {ls_source_dir(), ""}, {".", ""}};
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
        int w = snprintf(out, n, "%s/%s%s", fmts[i][0], fmts[i][1], rel);
        if (w > 0 && (size_t)w < n && exists(out))
            return 0;
    }
    return -1;
}

const char *ls_default_lesson_path(void)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/lessons/01-which-neurons.lesson", ls_source_dir());
    return path;
}
