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

void nn_model_summary(const nn_model *m, FILE *f)
{
    bool seq = is_sequential(m);
    int width = seq ? 77 : 110;
    char line[128];
    memset(line, '_', (size_t)width);
    line[width] = '\0';
    char dline[128];
    memset(dline, '=', (size_t)width);
    dline[width] = '\0';
    fprintf(f, "Model: \"%s\"\n%s\n", m->name, line);
    fprintf(f, " %-32s %-25s %-10s", "Layer (type)", "Output Shape", "Param #");
    if (!seq)
        fprintf(f, " %-32s", "Connected to");
    fprintf(f, " Trainable\n%s\n", dline);
    for (int i = 0; i < m->n_layers; i++) {
        const nn_layer *l = m->layers[i];
        char lt[160], shape[64], sh[68], pc[32];
        snprintf(lt, sizeof lt, "%s (%s)", l->name, nn_layer_class_name(&l->cfg));
        nn_shape_str(l->out_shape, true, shape, sizeof shape);
        /* Keras prints an InputLayer's shape as a list of one tuple */
        snprintf(sh, sizeof sh, l->type == NN_INPUT ? "[%s]" : "%s", shape);
        commas(nn_layer_param_count(l), pc, sizeof pc);
        fprintf(f, " %-32s %-25s %-10s", lt, sh, pc);
        if (!seq) {
            char conn[256] = "";
            size_t k = 0;
            for (int j = 0; j < l->n_inputs && k < sizeof conn; j++) {
                int w = snprintf(conn + k, sizeof conn - k, "%s%s[0][0]", j ? ", " : "",
                                 m->layers[l->inputs[j]]->name);
                k += w > 0 ? (size_t)w : 0;
            }
            fprintf(f, " %-32s", conn);
        }
        fprintf(f, " %s\n", l->trainable ? "Y" : "N");
    }
    nn_param_counts c = nn_model_count_params(m);
    char a[32], b[32], d[32];
    commas(c.total, a, sizeof a);
    commas(c.trainable, b, sizeof b);
    commas(c.non_trainable, d, sizeof d);
    fprintf(f, "%s\nTotal params: %s\nTrainable params: %s\nNon-trainable params: %s\n%s\n", dline, a, b,
            d, line);
}
