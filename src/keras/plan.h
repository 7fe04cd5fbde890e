/* The importer's plan (plan.c): what the lesson declares, worked out from what the
 * script built (internal.h's kprog): the compiled model's layers in call order with
 * Keras's names, the bases cut and frozen, the data standing in for the student's
 * images. import.c writes the lesson from it. Private to the importer. */
#ifndef LS_KERAS_PLAN_H
#define LS_KERAS_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "keras/internal.h"
#include "lesson/lesson.h"

/* ---- the plan: what the lesson declares ---- */

enum { D_INPUT = 0, D_BASE, D_LAYER };

typedef struct {
    int kind;
    int node;              /* D_INPUT (or -1: the base's input), D_LAYER, D_BASE nested */
    int base;              /* D_BASE */
    bool flat;             /* D_BASE: cut out of the model's graph (else called as a layer) */
    int cut;               /* D_BASE: the base's last layer used (index in full) */
    char name[LS_NAME_MAX];
    bool explicit_name;
    kref out;              /* what its output is */
    bool frozen, frozen_live, weighted;
    int from;              /* D_BASE: trainable from this layer of full on (-1: as frozen says) */
    int shape[3];          /* D_INPUT */
    int line, col;
} pdecl;

typedef struct {
    kprog *pg;
    const char *path;
    char *err;
    size_t errlen;
    kmodel *m;
    pdecl *d;
    int n;
    bool *node_used;
    bool *base_need;       /* the flattened base's layers in the lesson */
    int flat_base;         /* -1: none */
    int nested_base;       /* -1: none */
    int in_shape[3];
    bool input_rank2;
    int vector_len;        /* the input is a vector of this many numbers (0: an image) */
    char (*names)[LS_NAME_MAX]; /* the lesson model's names, as the parser will give them */
    int n_names, cap_names;
    int *names_line;
    nn_loss_kind loss;
    int classes;           /* SCCE: output units */
    bool folder;           /* more classes than Fashion-MNIST: the script's image folder */
    int batch;
    int train, val;
} plan;

/* Writes "path:line:col: message" to err; returns -1. */
#if defined(__GNUC__)
__attribute__((format(printf, 6, 7)))
#endif
int kp_efail(char *err, size_t errlen, const char *path, int line, int col, const char *fmt, ...);
/* Whether two references name the same tensor. */
bool kp_ref_eq(kref a, kref b);
/* The lesson's name for what r is (a layer, a base's layer). */
const char *kp_ref_lesson_name(const plan *pl, kref r);
/* The model's layers, in the order the lesson declares them, with their names. 0 or -1 (err set). */
int kp_make_plan(plan *pl);
/* Frozen flags as of compile() (what training obeys) and now (what summary shows). */
int kp_plan_frozen(plan *pl);
/* The stand-in data, the loss, the classes, the batch and the set sizes. */
int kp_plan_data(plan *pl);
/* Frees what the plan holds (not pl itself). */
void kp_plan_free(plan *pl);
/* The notes as "path:LINE: note: text" lines (caller frees), or NULL when out of memory. */
char *kp_notes_text(const kprog *pg, const char *path);
/* Notes about the used bases' weights: imagenet cannot be downloaded, a file not found. */
void kp_note_weights(kprog *pg, const plan *pl, const char *path);

#endif
