/* model.summary() as Keras 2 prints it, with the show_trainable column. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

static void commas(size_t v, char *buf, size_t n)
{
    char tmp[32];
    int len = snprintf(tmp, sizeof tmp, "%zu", v);
    size_t k = 0;
    for (int i = 0; i < len && k + 1 < n; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            buf[k++] = ',';
        buf[k++] = tmp[i];
    }
    buf[k] = '\0';
}

/* One row of the table: a layer, or a nested model's layers [first, last]. */
typedef struct {
    int first, last;
    const char *name, *cls; /* a group's; NULL for a layer */
} summary_row;

typedef struct {
    const nn_model *m;
    summary_row *rows;
    int n_rows;
    int *row_of; /* layer index -> its row */
} summary_table;

static int make_table(summary_table *t, const nn_model *m, const nn_summary_group *g, int ng, bool sequential)
{
    t->m = m;
    t->n_rows = 0;
    t->rows = malloc(sizeof *t->rows * (size_t)(m->n_layers > 0 ? m->n_layers : 1));
    t->row_of = malloc(sizeof *t->row_of * (size_t)(m->n_layers > 0 ? m->n_layers : 1));
    if (!t->rows || !t->row_of) {
        free(t->rows);
        free(t->row_of);
        return -1;
    }
    int k = 0;
    for (int i = 0; i < m->n_layers; i++) {
        while (k < ng && g[k].last < i)
            k++;
        summary_row r = {i, i, NULL, NULL};
        if (k < ng && g[k].first == i && g[k].last >= i && g[k].last < m->n_layers)
            r = (summary_row){g[k].first, g[k].last, g[k].name, g[k].cls};
        for (int j = r.first; j <= r.last; j++)
            t->row_of[j] = t->n_rows;
        i = r.last;
        if (sequential && !r.name && m->layers[i]->type == NN_INPUT) { /* not among a Sequential's layers */
            t->row_of[i] = -1;
            continue;
        }
        t->rows[t->n_rows++] = r;
    }
    return 0;
}

/* The inputs of row r that come from outside it: out[] gets their rows, in order, once. */
static int row_inputs(const summary_table *t, int r, int *out, int cap)
{
    int n = 0;
    const summary_row *w = &t->rows[r];
    for (int i = w->first; i <= w->last; i++) {
        const nn_layer *l = t->m->layers[i];
        for (int j = 0; j < l->n_inputs; j++) {
            int from = t->row_of[l->inputs[j]];
            if (from == r || from < 0)
                continue;
            bool seen = false;
            for (int q = 0; q < n; q++)
                seen |= out[q] == from;
            if (!seen && n < cap)
                out[n++] = from;
        }
    }
    return n;
}

static const char *row_name(const summary_table *t, int r)
{
    const summary_row *w = &t->rows[r];
    return w->name ? w->name : t->m->layers[w->first]->name;
}

/* Keras prints a model whose rows form one chain without the "Connected to" column. */
static bool is_sequential(const summary_table *t)
{
    int ins[NN_MAX_INPUTS * 4];
    for (int r = 0; r < t->n_rows; r++) {
        int n = row_inputs(t, r, ins, (int)(sizeof ins / sizeof *ins));
        if (r == 0 ? n != 0 : n != 1 || ins[0] != r - 1)
            return false;
    }
    return true;
}

/* One input of a row as Keras's "Connected to" names it. */
static int conn_str(const summary_table *t, const int *ins, int n, int j, char *buf, size_t len)
{
    return snprintf(buf, len, "%s[0][0]%s", row_name(t, ins[j]), j + 1 < n ? "," : "");
}

/* The columns' widths: Keras's (32, 25, 10, 32), widened to the longest entry so a long
 * "name (Type)" (batch_normalization_60 (BatchNormalization)) keeps every row aligned. */
typedef struct {
    int name, shape, params, conn;
} summary_cols;

static void row_cells(const summary_table *t, int r, char *lt, size_t ltn, char *sh, size_t shn, char *pc, size_t pcn,
                      bool *trainable)
{
    const summary_row *w = &t->rows[r];
    const nn_layer *last = t->m->layers[w->last];
    char shape[64];
    if (w->name)
        snprintf(lt, ltn, "%s (%s)", w->name, w->cls);
    else
        snprintf(lt, ltn, "%s (%s)", last->name, nn_layer_class_name(&last->cfg));
    nn_shape_str(last->out_shape, true, shape, sizeof shape);
    /* Keras prints an InputLayer's shape as a list of one tuple */
    snprintf(sh, shn, !w->name && last->type == NN_INPUT ? "[%s]" : "%s", shape);
    size_t params = 0;
    *trainable = false;
    for (int i = w->first; i <= w->last; i++) {
        params += nn_layer_param_count(t->m->layers[i]);
        *trainable |= t->m->layers[i]->trainable;
    }
    commas(params, pc, pcn);
}

static summary_cols measure_cols(const summary_table *t)
{
    summary_cols c = {32, 25, 10, 32};
    for (int r = 0; r < t->n_rows; r++) {
        char lt[200], sh[68], pc[32], conn[200];
        bool tr;
        row_cells(t, r, lt, sizeof lt, sh, sizeof sh, pc, sizeof pc, &tr);
        int a = (int)strlen(lt), b = (int)strlen(sh);
        c.name = a > c.name ? a : c.name;
        c.shape = b > c.shape ? b : c.shape;
        int ins[NN_MAX_INPUTS * 4];
        int n = row_inputs(t, r, ins, (int)(sizeof ins / sizeof *ins));
        for (int j = 0; j < n; j++) {
            int w = conn_str(t, ins, n, j, conn, sizeof conn);
            c.conn = w > c.conn ? w : c.conn;
        }
    }
    return c;
}

void nn_model_summary(const nn_model *m, FILE *f)
{
    nn_summary_opts o = {NULL, 0, false};
    nn_model_summary_nested(m, &o, f);
}

void nn_model_summary_nested(const nn_model *m, const nn_summary_opts *o, FILE *f)
{
    summary_table t;
    if (make_table(&t, m, o->groups, o->n_groups, o->sequential) < 0) {
        fprintf(f, "(out of memory)\n");
        return;
    }
    bool seq = is_sequential(&t);
    summary_cols c = measure_cols(&t);
    int width = (seq ? 77 : 110) + (c.name - 32) + (c.shape - 25) + (seq ? 0 : c.conn - 32);
    char line[512], dline[512];
    width = width < (int)sizeof line - 1 ? width : (int)sizeof line - 1;
    memset(line, '_', (size_t)width);
    line[width] = '\0';
    memset(dline, '=', (size_t)width);
    dline[width] = '\0';
    fprintf(f, "Model: \"%s\"\n%s\n", m->name, line);
    fprintf(f, " %-*s %-*s %-*s", c.name, "Layer (type)", c.shape, "Output Shape", c.params, "Param #");
    if (!seq)
        fprintf(f, " %-*s", c.conn, "Connected to");
    fprintf(f, " Trainable\n%s\n", dline);
    for (int r = 0; r < t.n_rows; r++) {
        char lt[200], sh[68], pc[32], conn[200] = "";
        bool tr;
        row_cells(&t, r, lt, sizeof lt, sh, sizeof sh, pc, sizeof pc, &tr);
        int ins[NN_MAX_INPUTS * 4];
        int n = row_inputs(&t, r, ins, (int)(sizeof ins / sizeof *ins));
        fprintf(f, " %-*s %-*s %-*s", c.name, lt, c.shape, sh, c.params, pc);
        if (!seq) {
            if (n > 0)
                conn_str(&t, ins, n, 0, conn, sizeof conn);
            fprintf(f, " %-*s", c.conn, conn);
        }
        fprintf(f, " %s\n", tr ? "Y" : "N");
        /* further inputs on lines of their own, in the same column, as Keras does */
        for (int j = 1; !seq && j < n; j++) {
            conn_str(&t, ins, n, j, conn, sizeof conn);
            fprintf(f, " %-*s %-*s %-*s %s\n", c.name, "", c.shape, "", c.params, "", conn);
        }
    }
    free(t.rows);
    free(t.row_of);
    nn_param_counts pcs = nn_model_count_params(m);
    char a[32], b[32], d[32];
    commas(pcs.total, a, sizeof a);
    commas(pcs.trainable, b, sizeof b);
    commas(pcs.non_trainable, d, sizeof d);
    fprintf(f, "%s\nTotal params: %s\nTrainable params: %s\nNon-trainable params: %s\n%s\n", dline, a, b,
            d, line);
}
