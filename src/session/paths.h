/* Finding the files a lesson names, and the default lesson. */
#ifndef LS_PATHS_H
#define LS_PATHS_H

#include <stddef.h>

/* Resolves a path written in a lesson: absolute as is; else next to the lesson file,
 * then in the lesson's parent directory, then in the source tree (assets/, lessons/),
 * then the current directory. 0 with the existing path in out, or -1. */
int ls_resolve_path(const char *lesson_path, const char *rel, char *out, size_t n);
/* The default lesson (lessons/01-which-neurons.lesson in the source tree). */
const char *ls_default_lesson_path(void);
/* The source tree's root (DROPSCOPE_SOURCE_DIR from the build, or $DROPSCOPE_HOME). */
const char *ls_source_dir(void);

#endif
