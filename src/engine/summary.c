/* model.summary() as Keras 2 prints it, with the show_trainable column. */
#include <stdio.h>
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

static bool is_sequential(const nn_model *m)
{
    for (int i = 1; i < m->n_layers; i++)
        if (m->layers[i]->n_inputs != 1 || m->layers[i]->inputs[0] != i - 1)
            return false;
    return true;
}

/* One input of layer l as Keras's "Connected to" names it. */
static int conn_str(const nn_model *m, const nn_layer *l, int j, char *buf, size_t n)
{
    return snprintf(buf, n, "%s[0][0]%s", m->layers[l->inputs[j]]->name, j + 1 < l->n_inputs ? "," : "");
}

/* The columns' widths: Keras's (32, 25, 10, 32), widened to the longest entry so a long
 * "name (Type)" (batch_normalization_60 (BatchNormalization)) keeps every row aligned. */
typedef struct {
    int name, shape, params, conn;
} summary_cols;

static void layer_cells(const nn_layer *l, char *lt, size_t ltn, char *sh, size_t shn)
{
    char shape[64];
    snprintf(lt, ltn, "%s (%s)", l->name, nn_layer_class_name(&l->cfg));
    nn_shape_str(l->out_shape, true, shape, sizeof shape);
    /* Keras prints an InputLayer's shape as a list of one tuple */
    snprintf(sh, shn, l->type == NN_INPUT ? "[%s]" : "%s", shape);
}

static summary_cols measure_cols(const nn_model *m)
{
    summary_cols c = {32, 25, 10, 32};
    for (int i = 0; i < m->n_layers; i++) {
        const nn_layer *l = m->layers[i];
        char lt[160], sh[68], conn[160];
        layer_cells(l, lt, sizeof lt, sh, sizeof sh);
        int a = (int)strlen(lt), b = (int)strlen(sh);
        c.name = a > c.name ? a : c.name;
        c.shape = b > c.shape ? b : c.shape;
        for (int j = 0; j < l->n_inputs; j++) {
            int w = conn_str(m, l, j, conn, sizeof conn);
            c.conn = w > c.conn ? w : c.conn;
        }
    }
    return c;
}

void nn_model_summary(const nn_model *m, FILE *f)
{
    bool seq = is_sequential(m);
    summary_cols c = measure_cols(m);
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
    for (int i = 0; i < m->n_layers; i++) {
        const nn_layer *l = m->layers[i];
        char lt[160], sh[68], pc[32], conn[160] = "";
        layer_cells(l, lt, sizeof lt, sh, sizeof sh);
        commas(nn_layer_param_count(l), pc, sizeof pc);
        fprintf(f, " %-*s %-*s %-*s", c.name, lt, c.shape, sh, c.params, pc);
        if (!seq) {
            if (l->n_inputs > 0)
                conn_str(m, l, 0, conn, sizeof conn);
            fprintf(f, " %-*s", c.conn, conn);
        }
        fprintf(f, " %s\n", l->trainable ? "Y" : "N");
        /* further inputs on lines of their own, in the same column, as Keras does */
        for (int j = 1; !seq && j < l->n_inputs; j++) {
            conn_str(m, l, j, conn, sizeof conn);
            fprintf(f, " %-*s %-*s %-*s %s\n", c.name, "", c.shape, "", c.params, "", conn);
        }
    }
    nn_param_counts pcs = nn_model_count_params(m);
    char a[32], b[32], d[32];
    commas(pcs.total, a, sizeof a);
    commas(pcs.trainable, b, sizeof b);
    commas(pcs.non_trainable, d, sizeof d);
    fprintf(f, "%s\nTotal params: %s\nTrainable params: %s\nNon-trainable params: %s\n%s\n", dline, a, b,
            d, line);
}
