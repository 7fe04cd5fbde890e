/* dropscope train: the headless training table, optionally recorded. */
#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/common.h"
#include "data/atomicio.h"
#include "session/save.h"
#include "session/record.h"
#include "session/session.h"

static void print_header(const nn_model *m, FILE *f)
{
    fprintf(f, "%6s %9s %7s %9s %7s", "step", "loss", "acc", "val_loss", "val_acc");
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i]->type == NN_DROPOUT)
            fprintf(f, "  %-24s", m->layers[i]->name);
    fprintf(f, "  %-22s %8s\n", "frozen max|dW|", "steps/s");
}

static void print_row(const nn_trace *t, double sps, FILE *f)
{
    char vl[16] = "-", va[16] = "-";
    if (!isnan(t->val_loss)) {
        snprintf(vl, sizeof vl, "%.4f", t->val_loss);
        snprintf(va, sizeof va, "%.4f", t->val_accuracy);
    }
    fprintf(f, "%6ld %9.4f %7.4f %9s %7s", t->step, t->loss, t->accuracy, vl, va);
    for (int k = 0; k < t->n_dropout; k++) {
        const nn_trace_dropout *d = &t->dropout[k];
        char cell[48];
        if (d->has_mask)
            snprintf(cell, sizeof cell, "%zu/%zu (%.1f%%)", d->dropped, (size_t)t->batch * d->units,
                     100.0 * d->dropped / ((double)t->batch * d->units));
        else
            snprintf(cell, sizeof cell, "no mask (inference)");
        fprintf(f, "  %-24s", cell);
    }
    float fmax = 0;
    int nf = 0;
    for (int i = 0; i < t->n_layers; i++)
        if (t->layers[i].frozen && t->layers[i].params > 0) {
            nf++;
            fmax = t->layers[i].dw_max > fmax ? t->layers[i].dw_max : fmax;
        }
    char fz[48];
    if (nf)
        snprintf(fz, sizeof fz, "%g (%d layer%s)", (double)fmax, nf, nf == 1 ? "" : "s");
    else
        snprintf(fz, sizeof fz, "none frozen");
    fprintf(f, "  %-22s %8.1f\n", fz, sps);
}

/* The closing lines: the rate, and the frozen layers' drift since compile (0:
 * bit-identical): one line with the count and the largest drift; the layers that moved
 * are always named, every frozen layer only with --verbose (140 for the reference). */
static void print_footer(ls_session *s, const nn_model *m, double secs, bool verbose)
{
    printf("# %ld steps in %.1f s (%.1f steps/s)\n", ls_session_steps(s), secs,
           secs > 0 ? ls_session_steps(s) / secs : 0.0);
    int nf = 0, moved = 0, worst = -1;
    for (int i = 0; i < m->n_layers; i++) {
        const nn_layer *l = m->layers[i];
        if (l->train_active || l->n_params == 0)
            continue;
        nf++;
        moved += l->dw_max != 0.0f;
        if (worst < 0 || l->dw_max > m->layers[worst]->dw_max)
            worst = i;
    }
    if (!nf)
        return;
    if (!moved)
        printf("# %d frozen layer%s, all bit-identical (largest |w - w_at_compile| 0)\n", nf,
               nf == 1 ? "" : "s");
    else
        printf("# %d frozen layer%s, %d MOVED (largest |w - w_at_compile| %g, in %s):", nf,
               nf == 1 ? "" : "s", moved, (double)m->layers[worst]->dw_max, m->layers[worst]->name);
    for (int i = 0; moved && i < m->n_layers; i++)
        if (!m->layers[i]->train_active && m->layers[i]->n_params > 0 && m->layers[i]->dw_max != 0.0f)
            printf(" %s=%g", m->layers[i]->name, (double)m->layers[i]->dw_max);
    if (moved)
        printf("\n");
    if (verbose) {
        printf("# frozen:");
        for (int i = 0; i < m->n_layers; i++)
            if (!m->layers[i]->train_active && m->layers[i]->n_params > 0)
                printf(" %s=%g", m->layers[i]->name, (double)m->layers[i]->dw_max);
        printf("\n");
    }
}

/* Trains a->steps steps, printing a row every `every` steps and recording each step to
 * rec (may be NULL). Returns the exit status: 0, or 2 after printing why it stopped. */
static int train_steps(ls_session *s, const cli_run_args *a, long every, ls_recorder *rec)
{
    nn_model *m = ls_session_model(s);
    bool tty = isatty(STDERR_FILENO) && isatty(STDOUT_FILENO);
    char err[1024];
    double t0 = cli_now_sec();
    int status = 0;
    for (long i = 1; i <= a->steps; i++) {
        nn_trace *t = ls_session_step(s);
        if (!t) {
            fprintf(stderr, "%sdropscope train: %s\n", tty ? "\n" : "", ls_session_error(s));
            status = 2;
            break;
        }
        /* validate before recording, so metrics.csv holds what the table prints */
        bool row = i % every == 0 || i == a->steps || i == 1;
        if (t->finite && (i % every == 0 || i == a->steps) && isnan(t->val_loss)) {
            double vl, va;
            if (ls_session_validate(s, &vl, &va) == 0) {
                t->val_loss = vl;
                t->val_accuracy = va;
            }
        }
        if (rec && ls_recorder_add(rec, t, err, sizeof err) < 0) {
            fprintf(stderr, "%sdropscope train: %s\n", tty ? "\n" : "", err);
            nn_trace_destroy(t);
            status = 2;
            break;
        }
        double sps = i / (cli_now_sec() - t0);
        if (!t->finite) {
            print_row(t, sps, stdout);
            fprintf(stderr, "%sdropscope train: stopped: %s\n", tty ? "\n" : "", ls_session_error(s));
            nn_trace_destroy(t);
            status = 2;
            break;
        }
        if (row) {
            if (tty)
                fprintf(stderr, "\r%60s\r", "");
            print_row(t, sps, stdout);
            fflush(stdout);
        }
        if (tty)
            cli_progress(i, a->steps, sps);
        nn_trace_destroy(t);
    }
    if (tty)
        fprintf(stderr, "\n");
    print_footer(s, m, cli_now_sec() - t0, a->verbose);
    return status;
}

#define TRAIN_HELP "[LESSON] [--steps N] [--seed S] [--every K] [--batch B] [--record DIR] " \
                   "[--save-lesson FILE] [--verbose] [--data DIR] [--memory-budget MiB]"

int ds_cmd_train(int argc, char **argv)
{
    cli_run_args a;
    int rc = cli_parse_run_args(argc, argv, &a, "train", TRAIN_HELP);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (a.steps < 0)
        a.steps = 300;
    char err[1024];
    if (a.save_lesson) {
        /* said now, not after the training: the file can be written */
        ds_atomic *probe = ds_atomic_open(a.save_lesson, err, sizeof err);
        if (!probe) {
            fprintf(stderr, "dropscope train: --save-lesson: %s\n", err);
            return 2;
        }
        ds_atomic_abort(probe);
    }
    ls_session *s = cli_open_session(&a, "train", false);
    if (!s)
        return 2;
    nn_model *m = ls_session_model(s);
    long every = a.every > 0 ? a.every : (a.steps >= 20 ? a.steps / 20 : 1);
    const ls_lesson *lesson = ls_session_lesson(s);
    ls_recorder *rec = NULL;
    int batch = a.batch > 0 ? (int)a.batch : (lesson->fit.batch > 0 ? lesson->fit.batch : 20);
    if (a.record && !(rec = ls_recorder_open(a.record, m, batch, err, sizeof err))) {
        fprintf(stderr, "dropscope train: %s\n", err);
        ls_session_destroy(s);
        return 2;
    }
    printf("# %s: %s\n", lesson->path, lesson->title ? lesson->title : "");
    print_header(m, stdout);
    int status = train_steps(s, &a, every, rec);
    if (rec) {
        if (status == 0 || ls_session_steps(s) > 0) {
            if (ls_recorder_close(rec, m, err, sizeof err) < 0) {
                fprintf(stderr, "dropscope train: %s\n", err);
                status = 2;
            } else {
                printf("# recorded to %s (see docs/record-format.md)\n", a.record);
            }
        } else {
            ls_recorder_abort(rec);
        }
    }
    if (a.save_lesson && status == 0) {
        if (ls_session_save_lesson(s, a.save_lesson, NULL, err, sizeof err) < 0) {
            fprintf(stderr, "dropscope train: --save-lesson: %s\n", err);
            status = 2;
        } else {
            printf("# saved step %ld as %s (dropscope open or check it to reach the same state)\n",
                   ls_session_steps(s), a.save_lesson);
        }
    }
    ls_session_destroy(s);
    return status;
}
