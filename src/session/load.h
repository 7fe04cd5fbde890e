/* Opening what a student hands dropscope: a lesson file or a Keras Python script.
 * Never includes SDL. */
#ifndef LS_LOAD_H
#define LS_LOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "lesson/lesson.h"

/* True when path names a Python file (ends in .py, any case). */
bool ls_is_python_path(const char *path);

/* Opens a lesson file or a Keras Python file: `.py` files are imported (the lesson's
 * path is the .py's, so relative weight paths resolve next to it), anything else is
 * parsed with ls_lesson_load. NULL with the reason in err. Caller owns the result. */
ls_lesson *ls_lesson_load_any(const char *path, char *err, size_t errlen);

#endif
