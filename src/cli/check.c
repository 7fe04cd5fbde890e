/* dropscope check: runs lessons headless and verifies their expectations. */
#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "session/session.h"

#define CHECK_HELP "[--data DIR] [--memory-budget MiB] LESSON..."

static int check_one(const char *path, const char *data_dir, long memory_mib, bool verbose)
{
    cli_run_args a = cli_run_args_default();
    a.lesson = path;
    a.data = data_dir;
    a.memory_mib = memory_mib;
    ls_session *s = cli_open_session(&a, "check", true);
    if (!s)
        return 2;
    const ls_lesson *l = ls_session_lesson(s);
    double t0 = cli_now_sec();
    int status = 0;
    for (int i = 0; i < l->n_steps && status == 0; i++) {
        const ls_step *st = &l->steps[i];
        ls_session_mark(s);
        char line[4096];
        size_t k = (size_t)snprintf(line, sizeof line, "%s: step %d \"%s\":", path, i + 1, st->title ? st->title : "");
        int n_expect = 0, n_q = 0;
        for (int j = 0; j < st->n_items && status == 0; j++) {
            const ls_item *it = &st->items[j];
            if (it->kind == LS_ITEM_ACTION) {
                if (ls_session_apply(s, &it->u.action, NULL, NULL) < 0) {
                    printf("%s\n", line);
                    fprintf(stderr, "%s:%d:%d: action failed: %s\n", path, it->u.action.loc.line,
                            it->u.action.loc.col, ls_session_error(s));
                    status = 2;
                }
            } else if (it->kind == LS_ITEM_EXPECT) {
                double v;
                char desc[512];
                bool ok = ls_session_expect(s, &it->u.expect, &v, desc, sizeof desc);
                n_expect++;
                if (k < sizeof line)
                    k += (size_t)snprintf(line + k, sizeof line - k, " [%s %s]", ok ? "ok" : "FAILED", desc);
                if (!ok) {
                    printf("%s\n", line);
                    fprintf(stderr, "%s:%d:%d: expectation not met: %s\n", path, it->u.expect.loc.line,
                            it->u.expect.loc.col, desc);
                    status = 1;
                }
            } else if (it->kind == LS_ITEM_QUESTION) {
                n_q++;
            }
        }
        if (status == 0) {
            if (k < sizeof line)
                snprintf(line + k, sizeof line - k, " %d expectation%s ok, %d question%s, %ld steps trained",
                         n_expect, n_expect == 1 ? "" : "s", n_q, n_q == 1 ? "" : "s", ls_session_steps(s));
            printf("%s\n", line);
        }
        fflush(stdout);
    }
    if (status == 0 && verbose)
        printf("%s: passed (%d steps, %.1f s)\n", path, l->n_steps, cli_now_sec() - t0);
    ls_session_destroy(s);
    return status;
}

int ds_cmd_check(int argc, char **argv)
{
    const char *data = NULL;
    long memory_mib = 0;
    int n_files = 0, failed = 0;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(o, "--memory-budget")) {
            if (!cli_arg_long("check", o, v, 1, 16L << 20, " of MiB", NULL, &memory_mib))
                return 2;
            i++;
        } else if (!strcmp(o, "--data")) {
            if (!cli_arg_text("check", o, v, "a directory"))
                return 2;
            data = argv[++i];
        } else if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
            return cli_help("check", CHECK_HELP);
        } else if (o[0] == '-') {
            fprintf(stderr, "dropscope check: unknown option '%s'\n", o);
            return 2;
        }
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--data") || !strcmp(argv[i], "--memory-budget")) {
            i++;
            continue;
        }
        n_files++;
        int rc = check_one(argv[i], data, memory_mib, true);
        if (rc) {
            return rc; /* stop at the first unmet expectation */
        }
    }
    if (n_files == 0)
        return cli_usage("check", CHECK_HELP);
    printf("%d passed, %d failed\n", n_files - failed, failed);
    return 0;
}
