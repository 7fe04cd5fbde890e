#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/atomicio.h"
#include "data/npy.h"
#include "data/weights.h"
#include "session/record.h"

typedef struct {
    ds_npy_stream *mask, *act;
    int units;
} rec_dropout;

struct ls_recorder {
    char dir[1024];
    int batch;
    ds_npy_stream *indices;
    int n_dropout;
    rec_dropout *drop;
    char *csv;              /* metrics.csv, kept in memory, written atomically at close */
    size_t csv_len, csv_cap;
    float **initial;        /* every parameter's values at open, written at close */
    int n_initial;
    uint8_t *mask_row;
    float *act_row;
    int32_t *idx_row;
};

static int csv_add(ls_recorder *r, const char *s)
{
    size_t n = strlen(s);
    if (r->csv_len + n + 1 > r->csv_cap) {
        size_t cap = (r->csv_cap ? r->csv_cap * 2 : 4096) + n;
        char *p = realloc(r->csv, cap);
        if (!p)
            return -1;
        r->csv = p;
        r->csv_cap = cap;
    }
    memcpy(r->csv + r->csv_len, s, n + 1);
    r->csv_len += n;
    return 0;
}

void ls_recorder_abort(ls_recorder *r)
{
    if (!r)
        return;
    ds_npy_stream_abort(r->indices);
    for (int i = 0; i < r->n_dropout; i++) {
        ds_npy_stream_abort(r->drop[i].mask);
        ds_npy_stream_abort(r->drop[i].act);
    }
    for (int i = 0; i < r->n_initial; i++)
        free(r->initial[i]);
    free(r->initial);
    free(r->drop);
    free(r->csv);
    free(r->mask_row);
    free(r->act_row);
    free(r->idx_row);
    free(r);
}

ls_recorder *ls_recorder_open(const char *dir, const nn_model *m, int batch, char *err, size_t errlen)
{
    ls_recorder *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(r->dir, sizeof r->dir, "%s", dir);
    r->batch = batch;
    char path[1200];
    int max_units = 1;
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i]->type == NN_DROPOUT) {
            r->n_dropout++;
            if ((int)m->layers[i]->out_size > max_units)
                max_units = (int)m->layers[i]->out_size;
        }
    r->drop = calloc((size_t)r->n_dropout + 1, sizeof *r->drop);
    r->mask_row = malloc((size_t)batch * max_units);
    r->act_row = malloc((size_t)batch * max_units * sizeof(float));
    r->idx_row = malloc((size_t)batch * sizeof(int32_t));
    if (!r->drop || !r->mask_row || !r->act_row || !r->idx_row) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    snprintf(path, sizeof path, "%s/masks", dir);
    if (ds_mkdirs(path, err, errlen) < 0)
        goto fail;
    snprintf(path, sizeof path, "%s/activations", dir);
    if (ds_mkdirs(path, err, errlen) < 0)
        goto fail;
    /* weights_initial is written at close with everything else, so a run killed midway
     * leaves an existing record's files as they were, not half of two runs */
    for (int i = 0; i < m->n_layers; i++)
        r->n_initial += m->layers[i]->n_params;
    r->initial = calloc((size_t)r->n_initial + 1, sizeof *r->initial);
    if (!r->initial) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    for (int i = 0, k = 0; i < m->n_layers; i++)
        for (int p = 0; p < m->layers[i]->n_params; p++, k++) {
            const nn_param *pr = &m->layers[i]->params[p];
            if (!(r->initial[k] = malloc(pr->size * sizeof(float)))) {
                snprintf(err, errlen, "out of memory for a copy of the initial weights");
                goto fail;
            }
            memcpy(r->initial[k], pr->data, pr->size * sizeof(float));
        }
    size_t row[2] = {(size_t)batch, 0};
    snprintf(path, sizeof path, "%s/batch_indices.npy", dir);
    if (!(r->indices = ds_npy_stream_open(path, DS_I32, 1, row, err, errlen)))
        goto fail;
    int k = 0;
    for (int i = 0; i < m->n_layers; i++) {
        const nn_layer *l = m->layers[i];
        if (l->type != NN_DROPOUT)
            continue;
        rec_dropout *d = &r->drop[k++];
        d->units = (int)l->out_size;
        row[1] = l->out_size;
        snprintf(path, sizeof path, "%s/masks/%s.npy", dir, l->name);
        if (!(d->mask = ds_npy_stream_open(path, DS_U8, 2, row, err, errlen)))
            goto fail;
        snprintf(path, sizeof path, "%s/activations/%s.npy", dir, l->name);
        if (!(d->act = ds_npy_stream_open(path, DS_F32, 2, row, err, errlen)))
            goto fail;
    }
    char head[1024] = "step,loss,accuracy,val_loss,val_accuracy,learning_rate,training";
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i]->type == NN_DROPOUT) {
            size_t len = strlen(head);
            snprintf(head + len, sizeof head - len, ",%s_dropped", m->layers[i]->name);
        }
    if (csv_add(r, head) < 0 || csv_add(r, "\n") < 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    return r;
fail:
    ls_recorder_abort(r);
    return NULL;
}

static void num(char *buf, size_t n, double v)
{
    if (isnan(v))
        snprintf(buf, n, ",");
    else
        snprintf(buf, n, ",%.9g", v);
}

int ls_recorder_add(ls_recorder *r, const nn_trace *t, char *err, size_t errlen)
{
    int b = r->batch, n = t->batch < b ? t->batch : b;
    for (int i = 0; i < b; i++)
        r->idx_row[i] = (i < n && t->indices) ? t->indices[i] : -1;
    if (ds_npy_stream_append(r->indices, r->idx_row, 1, err, errlen) < 0)
        return -1;
    for (int k = 0; k < r->n_dropout && k < t->n_dropout; k++) {
        const nn_trace_dropout *d = &t->dropout[k];
        size_t u = (size_t)d->units, used = (size_t)n * u, all = (size_t)b * u;
        memset(r->mask_row, 0, all);
        memset(r->act_row, 0, all * sizeof(float));
        if (d->has_mask)
            memcpy(r->mask_row, d->mask, used);
        else /* inference: nothing was dropped */
            memset(r->mask_row, 1, used);
        if (d->act)
            memcpy(r->act_row, d->act, used * sizeof(float));
        if (ds_npy_stream_append(r->drop[k].mask, r->mask_row, 1, err, errlen) < 0 ||
            ds_npy_stream_append(r->drop[k].act, r->act_row, 1, err, errlen) < 0)
            return -1;
    }
    char line[1024], tmp[64];
    snprintf(line, sizeof line, "%ld", t->step);
    num(tmp, sizeof tmp, t->loss);
    strcat(line, tmp);
    num(tmp, sizeof tmp, t->accuracy);
    strcat(line, tmp);
    num(tmp, sizeof tmp, t->val_loss);
    strcat(line, tmp);
    num(tmp, sizeof tmp, t->val_accuracy);
    strcat(line, tmp);
    num(tmp, sizeof tmp, t->lr);
    strcat(line, tmp);
    strcat(line, t->training ? ",1" : ",0");
    for (int k = 0; k < t->n_dropout && strlen(line) + 32 < sizeof line; k++) {
        snprintf(tmp, sizeof tmp, ",%zu", t->dropout[k].dropped);
        strcat(line, tmp);
    }
    if (csv_add(r, line) < 0 || csv_add(r, "\n") < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* Exchanges the model's parameter arrays with the saved initial ones. */
static void swap_initial(ls_recorder *r, nn_model *m)
{
    for (int i = 0, k = 0; i < m->n_layers; i++)
        for (int p = 0; p < m->layers[i]->n_params && k < r->n_initial; p++, k++) {
            float *t = m->layers[i]->params[p].data;
            m->layers[i]->params[p].data = r->initial[k];
            r->initial[k] = t;
        }
}

int ls_recorder_close(ls_recorder *r, nn_model *m, char *err, size_t errlen)
{
    char path[1200];
    int rc = 0;
    snprintf(path, sizeof path, "%s/weights_final", r->dir);
    if (ds_weights_save(m, path, err, errlen) < 0)
        rc = -1;
    snprintf(path, sizeof path, "%s/weights_initial", r->dir);
    if (rc == 0) {
        swap_initial(r, m);
        rc = ds_weights_save(m, path, err, errlen);
        swap_initial(r, m);
    }
    snprintf(path, sizeof path, "%s/metrics.csv", r->dir);
    if (rc == 0 && ds_write_file_atomic(path, r->csv, r->csv_len, err, errlen) < 0)
        rc = -1;
    if (rc == 0 && ds_npy_stream_close(r->indices, err, errlen) < 0)
        rc = -1;
    else if (rc != 0)
        ds_npy_stream_abort(r->indices);
    r->indices = NULL;
    for (int i = 0; i < r->n_dropout; i++) {
        if (rc == 0 && ds_npy_stream_close(r->drop[i].mask, err, errlen) < 0)
            rc = -1;
        else if (rc != 0)
            ds_npy_stream_abort(r->drop[i].mask);
        r->drop[i].mask = NULL;
        if (rc == 0 && ds_npy_stream_close(r->drop[i].act, err, errlen) < 0)
            rc = -1;
        else if (rc != 0)
            ds_npy_stream_abort(r->drop[i].act);
        r->drop[i].act = NULL;
    }
    ls_recorder_abort(r);
    return rc;
}
