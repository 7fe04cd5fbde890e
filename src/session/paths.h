/* Finding dropscope's own files (the course, the pretrained base) and the files a lesson
 * names. Never includes SDL. */
#ifndef LS_PATHS_H
#define LS_PATHS_H

#include <stddef.h>

/* The directory that holds lessons/ and assets/: $DROPSCOPE_HOME when set; the source tree
 * when this program runs from its build directory (a developer's build, the tests); else the
 * installed data directory (PREFIX/share/dropscope); else the source tree, as a last resort.
 * Never NULL; the string is static. */
const char *ls_data_dir(void);

/* Resolves a path written in a lesson: absolute as is; else next to the lesson file,
 * then in the lesson's parent directory, then in the data directory (assets/, lessons/),
 * then the current directory. 0 with the existing path in out, or -1. */
int ls_resolve_path(const char *lesson_path, const char *rel, char *out, size_t n);

/* Finds the lesson a user named: an existing file as given; else a course lesson by
 * name ("02-frozen-base" or "02-frozen-base.lesson") in the data directory's lessons/;
 * NULL arg means the default lesson. 0 with the path in out, or -1 with
 * "lesson NAME not found (looked in ...)" in err. */
int ls_find_lesson(const char *arg, char *out, size_t n, char *err, size_t errlen);

/* The default lesson (lessons/01-which-neurons.lesson in the data directory). */
const char *ls_default_lesson_path(void);

#endif
