/* Issue 11, defect 3: no lesson can be broken by the extra steps a student is invited to
 * take. Runs a lesson as `dropscope check` does, but takes extra single steps through
 * ls_session_step (what the window's step key calls) at the places a student can add
 * them:
 *   before  - between lesson steps, before the step's measuring window opens (the
 *             student presses the step key while reading the step's text);
 *   run     - right after each `run`/`compare` action of a step, before its
 *             expectations (the key pressed while the lesson's run is going: the window
 *             runs those steps before the lesson's next line).
 * Every expectation must still hold. Usage: test_extra_steps before|run N LESSON...
 * Exit 0 when every lesson passes, 1 when an expectation fails, 2 on an error. Needs
 * Debian's dataset-fashion-mnist (exit 77, skipped, when it is absent). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/trace.h"
#include "lesson/lesson.h"
#include "session/session.h"

static int extra_steps(ls_session *s, int k)
{
    for (int i = 0; i < k; i++) {
        nn_trace *t = ls_session_step(s);
        if (!t) {
            fprintf(stderr, "extra step failed: %s\n", ls_session_error(s));
            return -1;
        }
        nn_trace_destroy(t);
    }
    return 0;
}

static bool is_run(const ls_item *it)
{
    return it->kind == LS_ITEM_ACTION && it->u.action.kind == LS_ACT_RUN;
}

/* One lesson step with extra steps where `where` says. 0, 1 (unmet) or 2 (error). */
static int run_step(ls_session *s, const char *path, int si, bool after_runs, int k)
{
    const ls_step *st = &ls_session_lesson(s)->steps[si];
    ls_session_mark(s);
    for (int j = 0; j < st->n_items; j++) {
        const ls_item *it = &st->items[j];
        if (it->kind == LS_ITEM_ACTION) {
            if (ls_session_apply(s, &it->u.action, NULL, NULL) < 0) {
                fprintf(stderr, "%s:%d: action failed: %s\n", path, it->u.action.loc.line, ls_session_error(s));
                return 2;
            }
            if (after_runs && is_run(it) && extra_steps(s, k) < 0)
                return 2;
        } else if (it->kind == LS_ITEM_EXPECT) {
            double v;
            char desc[512];
            if (!ls_session_expect(s, &it->u.expect, &v, desc, sizeof desc)) {
                fprintf(stderr, "%s:%d: with %d extra steps %s: expectation not met: %s\n", path,
                        it->u.expect.loc.line, k, after_runs ? "after each run" : "before each step", desc);
                return 1;
            }
        }
    }
    return 0;
}

static int run_lesson(const char *path, bool after_runs, int k)
{
    char err[1024];
    ls_lesson *l = ls_lesson_load(path, err, sizeof err);
    if (!l) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    ls_options o = ls_options_default();
    o.quiet = true;
    ls_session *s = ls_session_create(l, &o, err, sizeof err);
    if (!s) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    int rc = 0;
    int n = ls_session_lesson(s)->n_steps;
    for (int i = 0; i < n && rc == 0; i++) {
        if (!after_runs && extra_steps(s, k) < 0)
            rc = 2;
        else
            rc = run_step(s, path, i, after_runs, k);
    }
    if (rc == 0)
        printf("%s: every expectation holds with %d extra steps %s (%ld steps taken)\n", path, k,
               after_runs ? "after each run" : "before each step", ls_session_steps(s));
    ls_session_destroy(s);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 4 || (strcmp(argv[1], "before") && strcmp(argv[1], "run"))) {
        fprintf(stderr, "usage: %s before|run N LESSON...\n", argv[0]);
        return 2;
    }
    const char *data = getenv("DROPSCOPE_DATA");
    struct stat st;
    if (!data && stat("/usr/share/datasets/fashion-mnist", &st) != 0) {
        printf("SKIP: no Fashion-MNIST\n");
        return 77;
    }
    bool after_runs = !strcmp(argv[1], "run");
    int k = atoi(argv[2]);
    int worst = 0;
    for (int i = 3; i < argc; i++) {
        int rc = run_lesson(argv[i], after_runs, k);
        if (rc > worst)
            worst = rc;
    }
    return worst;
}
