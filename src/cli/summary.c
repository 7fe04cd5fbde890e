/* dropscope summary: the lesson's model as Keras's model.summary() prints it: a model
 * inside the model (a base called as a layer, a Sequential called on a tensor) as one
 * row, or with --expand-nested its layers one by one. */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/common.h"
#include "session/load.h"

int ds_cmd_summary(int argc, char **argv)
{
    cli_run_args a;
    int rc = cli_parse_run_args(argc, argv, &a, "summary", "[LESSON] [--expand-nested]");
    if (rc)
        return rc < 0 ? 0 : rc;
    char err[2048];
    ls_lesson *l = ls_lesson_load_any(a.lesson, err, sizeof err);
    if (!l) {
        fprintf(stderr, "dropscope summary: %s\n", err);
        return 2;
    }
    nn_model *m = ls_lesson_build_model(l, err, sizeof err);
    if (!m) {
        fprintf(stderr, "dropscope summary: %s\n", err);
        ls_lesson_destroy(l);
        return 2;
    }
    nn_summary_group g[64];
    nn_summary_opts o = {g, a.expand_nested ? 0 : ls_lesson_nested_groups(l, g, 64), l->model_sequential};
    nn_model_summary_nested(m, &o, stdout);
    nn_model_destroy(m);
    ls_lesson_destroy(l);
    return 0;
}
