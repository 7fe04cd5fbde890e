/* Private to src/lesson: the model builder's longer form, for the parser's name checks. */
#ifndef LS_BUILD_INTERNAL_H
#define LS_BUILD_INTERNAL_H

#include "lesson/lesson.h"

/* ls_lesson_build_model that also reports, per declaration, the layers it made (first[d],
 * count[d]), which declaration and input failed (through input_locs), and whether a base
 * builder is missing from this build (*unavailable). Same ownership and failure as
 * ls_lesson_build_model: a new unfinalized model, or NULL with err set. */
nn_model *ls_lesson_build_model_ex(const ls_lesson *l, const ls_loc *input_locs, int *first,
                                   int *count, bool *unavailable, char *err, size_t errlen);

#endif
