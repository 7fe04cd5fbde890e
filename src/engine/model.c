/* The model: building the DAG, buffers, forward, loss, backward. The optimizer update
 * is in optimizer.c, summary() in summary.c. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int nn_model_fail(nn_model *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->err, sizeof m->err, fmt, ap);
    va_end(ap);
    return -1;
}

nn_model *nn_model_create(const char *name)
{
    nn_model *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    snprintf(m->name, sizeof m->name, "%s", name && *name ? name : "model");
    m->output = -1;
    m->verify_frozen = true;
    nn_rng_seed(&m->dropout_rng, 0);
    nn_rng_seed(&m->augment_rng, NN_AUGMENT_SEED_SALT);
    return m;
}

static void free_buffers(nn_layer *l)
{
    free(l->out);
    free(l->dout);
    free(l->logits);
    free(l->mask);
    free(l->aux);
    free(l->aux2);
    free(l->argmax);
    free(l->noise);
    free(l->preact);
    free(l->aug);
    l->preact = NULL;
    l->aug = NULL;
    l->out = l->dout = l->logits = l->aux = l->aux2 = l->noise = NULL;
    l->mask = NULL;
    l->argmax = NULL;
}

static void free_frozen_copy(nn_layer *l)
{
    if (!l->frozen_copy)
        return;
    for (int p = 0; p < l->n_params; p++)
        free(l->frozen_copy[p]);
    free(l->frozen_copy);
    l->frozen_copy = NULL;
}

void nn_model_destroy(nn_model *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->n_layers; i++) {
        nn_layer *l = m->layers[i];
        free_buffers(l);
        free_frozen_copy(l);
        for (int p = 0; p < l->n_params; p++) {
            free(l->params[p].data);
            free(l->params[p].grad);
            free(l->params[p].slot[0]);
            free(l->params[p].slot[1]);
        }
        free(l->inputs);
        free(l);
    }
    free(m->layers);
    free(m);
}

const char *nn_model_error(const nn_model *m) { return m->err; }

nn_layer *nn_model_layer(nn_model *m, int i)
{
    return (i >= 0 && i < m->n_layers) ? m->layers[i] : NULL;
}

int nn_model_find(const nn_model *m, const char *name)
{
    for (int i = 0; i < m->n_layers; i++)
        if (!strcmp(m->layers[i]->name, name))
            return i;
    return -1;
}

/* Keras names unnamed layers prefix, prefix_1, prefix_2 ... (Input: input_1, input_2). */
static void auto_name(const nn_model *m, const nn_layer_cfg *c, char *out, size_t n)
{
    const char *prefix = nn_layer_class_prefix(c);
    int k = (c->type == NN_INPUT) ? 1 : 0;
    for (;; k++) {
        if (k == 0)
            snprintf(out, n, "%s", prefix);
        else
            snprintf(out, n, "%s_%d", prefix, k);
        if (nn_model_find(m, out) < 0)
            return;
    }
}

void nn_layer_add_param(nn_layer *l, const char *name, nn_shape shape, bool is_stat)
{
    nn_param *p = &l->params[l->n_params++];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->shape = shape;
    p->size = shape.rank == 0 ? 1 : nn_shape_size(shape); /* a scalar (Normalization's count) */
    p->is_stat = is_stat;
}

static bool pool_dims(const nn_layer *l, const nn_shape *in, nn_pool_dims *d)
{
    memset(d, 0, sizeof *d);
    d->n = 1;
    d->h = in->d[0];
    d->w = in->d[1];
    d->c = in->d[2];
    d->ph = l->cfg.kh;
    d->pw = l->cfg.kw;
    d->sh = l->cfg.sh > 0 ? l->cfg.sh : l->cfg.kh;
    d->sw = l->cfg.sw > 0 ? l->cfg.sw : l->cfg.kw;
    d->padding = l->cfg.padding;
    return nn_pool_dims_init(d);
}

static bool conv_dims(const nn_layer *l, const nn_shape *in, int n, nn_conv_dims *d)
{
    return nn_layer_conv_dims(l, in, n, l->cfg.filters, d);
}

bool nn_layer_conv_dims(const nn_layer *l, const nn_shape *in, int n, int filters, nn_conv_dims *d)
{
    memset(d, 0, sizeof *d);
    d->n = n;
    d->h = in->d[0];
    d->w = in->d[1];
    d->c = in->d[2];
    d->kh = l->cfg.kh;
    d->kw = l->cfg.kw;
    d->filters = filters;
    d->sh = l->cfg.sh;
    d->sw = l->cfg.sw;
    d->padding = l->cfg.padding;
    return nn_conv_dims_init(d);
}

/* Checks the layer against its inputs; sets out_shape and declares parameters. */
static int infer(nn_model *m, nn_layer *l)
{
    char sb[64];
    const nn_layer_cfg *c = &l->cfg;
    nn_shape in = l->n_inputs > 0 ? m->layers[l->inputs[0]]->out_shape : (nn_shape){0, {0}};
    const char *nm = l->name;
    bool joins = l->type == NN_CONCAT || l->type == NN_ADD || l->type == NN_MULTIPLY;
    if (l->type != NN_INPUT && !joins && l->n_inputs != 1)
        return nn_model_fail(m, "layer '%s' (%s) takes exactly one input, got %d", nm,
                    nn_layer_type_name(l->type), l->n_inputs);
    switch (l->type) {
    case NN_INPUT:
        if (l->n_inputs != 0)
            return nn_model_fail(m, "layer '%s': an Input takes no inputs", nm);
        if (c->shape.rank != 1 && c->shape.rank != 3)
            return nn_model_fail(m, "layer '%s': input shape must be (units) or (height, width, channels)", nm);
        for (int i = 0; i < c->shape.rank; i++)
            if (c->shape.d[i] <= 0)
                return nn_model_fail(m, "layer '%s': input shape %s has a non-positive dimension", nm,
                            nn_shape_str(c->shape, false, sb, sizeof sb));
        l->out_shape = c->shape;
        break;
    case NN_DENSE:
        if (in.rank != 1)
            return nn_model_fail(m, "layer '%s' (Dense) needs a flat input but '%s' outputs %s; add a Flatten", nm,
                        m->layers[l->inputs[0]]->name, nn_shape_str(in, true, sb, sizeof sb));
        if (c->units <= 0)
            return nn_model_fail(m, "layer '%s' (Dense): units must be positive, got %d", nm, c->units);
        l->out_shape = nn_shape1(c->units);
        nn_layer_add_param(l, "kernel", nn_shape2(in.d[0], c->units), false);
        if (c->use_bias)
            nn_layer_add_param(l, "bias", nn_shape1(c->units), false);
        break;
    case NN_CONV2D: {
        if (in.rank != 3)
            return nn_model_fail(m, "layer '%s' (Conv2D) needs a (height, width, channels) input but '%s' outputs %s", nm,
                        m->layers[l->inputs[0]]->name, nn_shape_str(in, true, sb, sizeof sb));
        if (c->filters <= 0 || c->kh <= 0 || c->kw <= 0 || c->sh <= 0 || c->sw <= 0)
            return nn_model_fail(m, "layer '%s' (Conv2D): filters, kernel size and strides must be positive", nm);
        nn_conv_dims d;
        if (!conv_dims(l, &in, 1, &d))
            return nn_model_fail(m, "layer '%s' (Conv2D): kernel %dx%d does not fit input %s with '%s' padding", nm,
                        c->kh, c->kw, nn_shape_str(in, true, sb, sizeof sb),
                        c->padding == NN_PAD_SAME ? "same" : "valid");
        l->out_shape = nn_shape3(d.oh, d.ow, c->filters);
        nn_layer_add_param(l, "kernel", nn_shape4(c->kh, c->kw, in.d[2], c->filters), false);
        if (c->use_bias)
            nn_layer_add_param(l, "bias", nn_shape1(c->filters), false);
        break;
    }
    case NN_MAXPOOL2D:
    case NN_AVGPOOL2D: {
        if (in.rank != 3)
            return nn_model_fail(m, "layer '%s' (%s) needs a (height, width, channels) input, got %s", nm,
                        nn_layer_type_name(l->type), nn_shape_str(in, true, sb, sizeof sb));
        if (c->kh <= 0 || c->kw <= 0 || c->sh < 0 || c->sw < 0)
            return nn_model_fail(m, "layer '%s': pool size and strides must be positive", nm);
        nn_pool_dims d;
        if (!pool_dims(l, &in, &d))
            return nn_model_fail(m, "layer '%s': pool %dx%d does not fit input %s", nm, c->kh, c->kw,
                        nn_shape_str(in, true, sb, sizeof sb));
        l->out_shape = nn_shape3(d.oh, d.ow, in.d[2]);
        break;
    }
    case NN_GAP2D:
        if (in.rank != 3)
            return nn_model_fail(m, "layer '%s' (GlobalAveragePooling2D) needs a (height, width, channels) input, got %s",
                        nm, nn_shape_str(in, true, sb, sizeof sb));
        l->out_shape = nn_shape1(in.d[2]);
        break;
    case NN_BATCHNORM: {
        int ch = in.d[in.rank - 1];
        l->out_shape = in;
        if (!(c->eps > 0) || !(c->momentum >= 0 && c->momentum <= 1))
            return nn_model_fail(m, "layer '%s' (BatchNormalization): epsilon must be > 0 and momentum in [0, 1]", nm);
        if (c->scale)
            nn_layer_add_param(l, "gamma", nn_shape1(ch), false);
        if (c->center)
            nn_layer_add_param(l, "beta", nn_shape1(ch), false);
        nn_layer_add_param(l, "moving_mean", nn_shape1(ch), true);
        nn_layer_add_param(l, "moving_variance", nn_shape1(ch), true);
        break;
    }
    case NN_ACTIVATION:
        l->out_shape = in;
        break;
    case NN_FLATTEN:
        l->out_shape = nn_shape1((int)nn_shape_size(in));
        break;
    case NN_DROPOUT:
        if (nn_dropout_layer_infer(m, l, in) < 0)
            return -1;
        break;
    case NN_CONCAT: {
        if (l->n_inputs < 1)
            return nn_model_fail(m, "layer '%s' (Concatenate) needs at least one input", nm);
        nn_shape s = in;
        int last = s.rank - 1;
        for (int i = 1; i < l->n_inputs; i++) {
            nn_shape t = m->layers[l->inputs[i]]->out_shape;
            bool ok = t.rank == s.rank;
            for (int k = 0; ok && k < last; k++)
                ok = t.d[k] == s.d[k];
            if (!ok) {
                char tb[64];
                return nn_model_fail(m, "layer '%s' (Concatenate): input '%s' has shape %s, which does not match %s except in the last axis",
                            nm, m->layers[l->inputs[i]]->name, nn_shape_str(t, true, tb, sizeof tb),
                            nn_shape_str(in, true, sb, sizeof sb));
            }
            s.d[last] += t.d[last];
        }
        l->out_shape = s;
        break;
    }
    default:
        if (nn_extra_layer_infer(m, l, in) < 0)
            return -1;
        break;
    }
    l->out_size = nn_shape_size(l->out_shape);
    if (l->out_size == 0 || l->out_size > (size_t)1 << 30)
        return nn_model_fail(m, "layer '%s': output shape %s is empty or too large", nm,
                    nn_shape_str(l->out_shape, true, sb, sizeof sb));
    return 0;
}

int nn_model_add(nn_model *m, const nn_layer_cfg *cfg, const int *inputs, int n_inputs)
{
    if (m->finalized)
        return nn_model_fail(m, "cannot add layers after the model is built");
    if (n_inputs < 0 || n_inputs > NN_MAX_INPUTS)
        return nn_model_fail(m, "a layer takes 0 to %d inputs, got %d", NN_MAX_INPUTS, n_inputs);
    if ((unsigned)cfg->type >= NN_LAYER_TYPE_COUNT)
        return nn_model_fail(m, "unknown layer type %d", (int)cfg->type);
    for (int i = 0; i < n_inputs; i++)
        if (inputs[i] < 0 || inputs[i] >= m->n_layers)
            return nn_model_fail(m, "layer '%s': input %d is not an earlier layer", cfg->name ? cfg->name : "?", inputs[i]);
    nn_layer *l = calloc(1, sizeof *l);
    if (!l)
        return nn_model_fail(m, "out of memory");
    l->type = cfg->type;
    l->cfg = *cfg;
    l->cfg.name = NULL;
    if (cfg->name && *cfg->name) {
        if (strlen(cfg->name) >= NN_NAME_MAX) {
            free(l);
            return nn_model_fail(m, "layer name '%.40s...' is longer than %d characters", cfg->name, NN_NAME_MAX - 1);
        }
        if (nn_model_find(m, cfg->name) >= 0) {
            free(l);
            return nn_model_fail(m, "layer name '%s' is used twice; layer names must be unique", cfg->name);
        }
        snprintf(l->name, sizeof l->name, "%s", cfg->name);
    } else {
        auto_name(m, cfg, l->name, sizeof l->name);
    }
    l->index = m->n_layers;
    l->n_inputs = n_inputs;
    l->inputs = n_inputs ? malloc(sizeof(int) * (size_t)n_inputs) : NULL;
    if (n_inputs && !l->inputs) {
        free(l);
        return nn_model_fail(m, "out of memory");
    }
    for (int i = 0; i < n_inputs; i++)
        l->inputs[i] = inputs[i];
    l->trainable = l->train_active = cfg->trainable;
    if (infer(m, l) < 0) {
        free(l->inputs);
        free(l);
        return -1;
    }
    nn_layer **grown = realloc(m->layers, sizeof *grown * (size_t)(m->n_layers + 1));
    if (!grown) {
        free(l->inputs);
        free(l);
        return nn_model_fail(m, "out of memory");
    }
    m->layers = grown;
    m->layers[m->n_layers++] = l;
    m->output = l->index;
    return l->index;
}

int nn_model_push(nn_model *m, const nn_layer_cfg *cfg)
{
    if (cfg->type == NN_INPUT)
        return nn_model_add(m, cfg, NULL, 0);
    if (m->n_layers == 0)
        return nn_model_fail(m, "the first layer must be an Input");
    int prev = m->n_layers - 1;
    return nn_model_add(m, cfg, &prev, 1);
}

size_t nn_model_input_size(const nn_model *m)
{
    return m->n_layers ? m->layers[0]->out_size : 0;
}

size_t nn_model_output_size(const nn_model *m)
{
    return m->output >= 0 ? m->layers[m->output]->out_size : 0;
}

static void init_params(nn_layer *l, nn_rng *rng)
{
    for (int p = 0; p < l->n_params; p++) {
        nn_param *pr = &l->params[p];
        if (strstr(pr->name, "kernel")) { /* kernel, depthwise_kernel, pointwise_kernel */
            int fan_in, fan_out;
            if (pr->shape.rank == 2) {
                fan_in = pr->shape.d[0];
                fan_out = pr->shape.d[1];
            } else {
                int rf = pr->shape.d[0] * pr->shape.d[1];
                fan_in = rf * pr->shape.d[2];
                fan_out = rf * pr->shape.d[3];
            }
            nn_glorot_uniform(pr->data, pr->size, fan_in, fan_out, rng);
        } else {
            float v = (!strcmp(pr->name, "gamma") || !strcmp(pr->name, "moving_variance") ||
                       !strcmp(pr->name, "variance")) ? 1.0f : 0.0f;
            for (size_t i = 0; i < pr->size; i++)
                pr->data[i] = v;
        }
        if (pr->grad)
            memset(pr->grad, 0, pr->size * sizeof(float));
        for (int s = 0; s < 2; s++) {
            free(pr->slot[s]);
            pr->slot[s] = NULL;
        }
    }
}

int nn_model_finalize(nn_model *m, nn_rng *init_rng)
{
    if (m->finalized)
        return nn_model_fail(m, "model already built");
    if (m->n_layers == 0 || m->layers[0]->type != NN_INPUT)
        return nn_model_fail(m, "a model starts with an Input layer");
    for (int i = 1; i < m->n_layers; i++)
        if (m->layers[i]->type == NN_INPUT)
            return nn_model_fail(m, "layer '%s': only one Input is supported", m->layers[i]->name);
    /* Every layer must feed the output: a dangling branch is a mistake in the model. */
    char *used = calloc((size_t)m->n_layers, 1);
    if (!used)
        return nn_model_fail(m, "out of memory");
    used[m->output] = 1;
    for (int i = m->output; i >= 0; i--)
        if (used[i])
            for (int k = 0; k < m->layers[i]->n_inputs; k++)
                used[m->layers[i]->inputs[k]] = 1;
    for (int i = 0; i < m->n_layers; i++) {
        if (!used[i]) {
            int bad = i;
            free(used);
            return nn_model_fail(m, "layer '%s' does not lead to the output layer '%s'", m->layers[bad]->name,
                        m->layers[m->output]->name);
        }
    }
    free(used);
    size_t bytes = 0;
    for (int i = 0; i < m->n_layers; i++)
        for (int p = 0; p < m->layers[i]->n_params; p++)
            bytes += m->layers[i]->params[p].size * sizeof(float) * (m->layers[i]->params[p].is_stat ? 1 : 2);
    if (m->memory_budget && bytes > m->memory_budget) {
        int big = 0;
        for (int i = 1; i < m->n_layers; i++)
            if (nn_layer_param_count(m->layers[i]) > nn_layer_param_count(m->layers[big]))
                big = i;
        return nn_model_fail(m, "the model's parameters need %.1f MiB, over the memory budget of %.1f MiB (the largest layer, '%s', has %zu parameters)",
                    bytes / 1048576.0, m->memory_budget / 1048576.0, m->layers[big]->name,
                    nn_layer_param_count(m->layers[big]));
    }
    for (int i = 0; i < m->n_layers; i++) {
        nn_layer *l = m->layers[i];
        for (int p = 0; p < l->n_params; p++) {
            nn_param *pr = &l->params[p];
            pr->data = nn_big_alloc(pr->size * sizeof(float));
            pr->grad = pr->is_stat ? NULL : nn_big_calloc(pr->size, sizeof(float));
            if (!pr->data || (!pr->is_stat && !pr->grad))
                return nn_model_fail(m, "out of memory allocating '%s.%s' (%zu floats)", l->name, pr->name, pr->size);
        }
        init_params(l, init_rng);
    }
    m->memory_used = bytes;
    m->finalized = true;
    return 0;
}

int nn_model_reinit(nn_model *m, nn_rng *init_rng)
{
    if (!m->finalized)
        return nn_model_fail(m, "model not built");
    for (int i = 0; i < m->n_layers; i++)
        init_params(m->layers[i], init_rng);
    m->iterations = 0;
    return nn_model_compile(m, &m->opt, m->loss);
}

int nn_model_set_trainable(nn_model *m, int layer, bool trainable)
{
    if (layer < 0 || layer >= m->n_layers)
        return nn_model_fail(m, "no layer %d", layer);
    m->layers[layer]->trainable = trainable;
    return 0;
}

int nn_model_set_lr(nn_model *m, float lr)
{
    if (!(lr >= 0) || !isfinite(lr))
        return nn_model_fail(m, "learning rate must be a finite number >= 0");
    m->opt.lr = lr;
    return 0;
}

void nn_model_seed_dropout(nn_model *m, uint64_t seed)
{
    nn_rng_seed(&m->dropout_rng, seed ^ NN_DROPOUT_SEED_SALT);
    nn_rng_seed(&m->augment_rng, seed ^ NN_AUGMENT_SEED_SALT);
}

int nn_model_set_dropout_rate(nn_model *m, int layer, double rate)
{
    if (layer < 0 || layer >= m->n_layers || m->layers[layer]->type != NN_DROPOUT)
        return nn_model_fail(m, "layer %d is not a Dropout layer", layer);
    if (!(rate >= 0.0f && rate <= 1.0f))
        return nn_model_fail(m, "layer '%s' (%s): rate must be in [0, 1], got %g", m->layers[layer]->name,
                             nn_layer_class_name(&m->layers[layer]->cfg), rate);
    m->layers[layer]->cfg.rate = rate;
    return 0;
}

static bool layer_trains(const nn_layer *l)
{
    if (!l->train_active)
        return false;
    for (int p = 0; p < l->n_params; p++)
        if (!l->params[p].is_stat)
            return true;
    return false;
}

/* Buffers sized for n examples; dout only where gradients flow. */
static int alloc_buffers(nn_model *m, int n)
{
    size_t total = 0;
    for (int i = 0; i < m->n_layers; i++) {
        const nn_layer *l = m->layers[i];
        size_t k = (size_t)n * l->out_size;
        total += k * sizeof(float) * (l->needs_grad ? 2 : 1);
        if (l->type == NN_DROPOUT)
            total += k + (l->cfg.drop_kind == NN_DROP_GAUSSIAN ? k * sizeof(float) : 0);
        if (l->type == NN_MAXPOOL2D)
            total += k * sizeof(int32_t);
        if (l->type == NN_BATCHNORM)
            total += k * sizeof(float);
        if (l->type == NN_CONV2D) {
            nn_conv_dims d;
            conv_dims(l, &m->layers[l->inputs[0]]->out_shape, n, &d);
            total += nn_conv2d_scratch_floats(&d) * sizeof(float);
        }
        if (l->type > NN_CONCAT || (l->type == NN_CONV2D || l->type == NN_DENSE))
            total += nn_extra_layer_bytes(m, l, n);
    }
    if (m->memory_budget && total + m->memory_used > m->memory_budget)
        return nn_model_fail(m, "a batch of %d needs %.1f MiB of activations on top of %.1f MiB of weights, over the memory budget of %.1f MiB",
                    n, total / 1048576.0, m->memory_used / 1048576.0, m->memory_budget / 1048576.0);
    for (int i = 0; i < m->n_layers; i++) {
        nn_layer *l = m->layers[i];
        free_buffers(l);
        size_t k = (size_t)n * l->out_size;
        l->out = nn_big_alloc(k * sizeof(float));
        if (!l->out)
            return nn_model_fail(m, "out of memory for layer '%s' outputs", l->name);
        if (l->needs_grad && !(l->dout = nn_big_calloc(k, sizeof(float))))
            return nn_model_fail(m, "out of memory for layer '%s' gradients", l->name);
        if (i == m->output && !(l->logits = malloc(k * sizeof(float))))
            return nn_model_fail(m, "out of memory");
        if (l->type == NN_DROPOUT && !(l->mask = calloc(k, 1)))
            return nn_model_fail(m, "out of memory for layer '%s' mask", l->name);
        if (l->type == NN_DROPOUT && l->cfg.drop_kind == NN_DROP_GAUSSIAN && !(l->noise = malloc(k * sizeof(float))))
            return nn_model_fail(m, "out of memory for layer '%s' noise", l->name);
        if (l->type == NN_MAXPOOL2D && !(l->argmax = malloc(k * sizeof(int32_t))))
            return nn_model_fail(m, "out of memory");
        if (l->type == NN_BATCHNORM) {
            int ch = l->out_shape.d[l->out_shape.rank - 1];
            if (!(l->aux = nn_big_alloc(k * sizeof(float))) || !(l->aux2 = malloc(2 * (size_t)ch * sizeof(float))))
                return nn_model_fail(m, "out of memory");
        }
        if (l->type == NN_CONV2D) {
            nn_conv_dims d;
            conv_dims(l, &m->layers[l->inputs[0]]->out_shape, n, &d);
            size_t s = nn_conv2d_scratch_floats(&d);
            if (s && !(l->aux = nn_big_alloc(s * sizeof(float))))
                return nn_model_fail(m, "out of memory for layer '%s' scratch", l->name);
        }
        if ((l->type > NN_CONCAT || l->type == NN_CONV2D || l->type == NN_DENSE) && nn_extra_layer_alloc(m, l, n) < 0)
            return -1;
        l->mask_valid = false;
    }
    m->batch_cap = n;
    m->memory_used_act = total;
    return 0;
}

int nn_model_reserve(nn_model *m, int n)
{
    if (!m->finalized)
        return nn_model_fail(m, "model not built");
    if (n <= 0)
        return nn_model_fail(m, "batch size must be positive, got %d", n);
    if (n <= m->batch_cap)
        return 0;
    return alloc_buffers(m, n);
}

/* Which layers need gradients: trainable ones and everything above them. */
static void mark_grads(nn_model *m)
{
    m->lowest_trainable = m->n_layers;
    for (int i = 0; i < m->n_layers; i++) {
        nn_layer *l = m->layers[i];
        bool g = layer_trains(l);
        if (g && i < m->lowest_trainable)
            m->lowest_trainable = i;
        for (int k = 0; k < l->n_inputs && !g; k++)
            g = m->layers[l->inputs[k]]->needs_grad;
        l->needs_grad = g;
    }
}

static int snapshot_frozen(nn_model *m)
{
    for (int i = 0; i < m->n_layers; i++) {
        nn_layer *l = m->layers[i];
        free_frozen_copy(l);
        l->dw_max = 0;
        l->dw_norm = 0;
        if (l->train_active || l->n_params == 0 || !m->verify_frozen)
            continue;
        l->frozen_copy = calloc((size_t)l->n_params, sizeof(float *));
        if (!l->frozen_copy)
            return nn_model_fail(m, "out of memory");
        for (int p = 0; p < l->n_params; p++) {
            size_t sz = l->params[p].size * sizeof(float);
            if (!(l->frozen_copy[p] = nn_big_alloc(sz)))
                return nn_model_fail(m, "out of memory");
            memcpy(l->frozen_copy[p], l->params[p].data, sz);
        }
    }
    return 0;
}

void nn_model_set_from_logits(nn_model *m, bool on)
{
    m->from_logits = on;
}

static int compile_checked(nn_model *m, const nn_optimizer_cfg *opt, nn_loss_kind loss);

/* from_logits=True: a linear output, one unit (binary) or one per class. */
static int compile_from_logits(nn_model *m, const nn_optimizer_cfg *opt, nn_loss_kind loss, const nn_layer *out,
                               nn_act act)
{
    if (loss == NN_LOSS_BCE && (out->out_size != 1 || act != NN_ACT_LINEAR))
        return nn_model_fail(m, "compile: BinaryCrossentropy(from_logits=True) needs an output of 1 unit with no activation (linear), but '%s' has %zu units and activation %s",
                    out->name, out->out_size, nn_act_name(act));
    if (loss == NN_LOSS_SCCE && (out->out_size < 2 || act != NN_ACT_LINEAR || out->out_shape.rank != 1))
        return nn_model_fail(m, "compile: SparseCategoricalCrossentropy(from_logits=True) needs a flat output of 2 or more units with no activation (linear), but '%s' has %zu units and activation %s",
                    out->name, out->out_size, nn_act_name(act));
    return compile_checked(m, opt, loss);
}

int nn_model_compile(nn_model *m, const nn_optimizer_cfg *opt, nn_loss_kind loss)
{
    if (!m->finalized)
        return nn_model_fail(m, "compile: the model is not built");
    const nn_layer *out = m->layers[m->output];
    bool is_dense_like = out->type == NN_DENSE || out->type == NN_CONV2D || out->type == NN_ACTIVATION;
    nn_act act = is_dense_like ? out->cfg.act : NN_ACT_LINEAR;
    if (m->from_logits)
        return compile_from_logits(m, opt, loss, out, act);
    if (loss == NN_LOSS_BCE && (out->out_size != 1 || act != NN_ACT_SIGMOID))
        return nn_model_fail(m, "compile: binary_crossentropy needs an output of 1 unit with a sigmoid activation, but '%s' has %zu units and activation %s",
                    out->name, out->out_size, nn_act_name(act));
    if (loss == NN_LOSS_SCCE && (out->out_size < 2 || act != NN_ACT_SOFTMAX || out->out_shape.rank != 1))
        return nn_model_fail(m, "compile: sparse_categorical_crossentropy needs a flat output of 2 or more units with a softmax activation, but '%s' has %zu units and activation %s",
                    out->name, out->out_size, nn_act_name(act));
    return compile_checked(m, opt, loss);
}

/* compile once the loss is known to fit the output. */
static int compile_checked(nn_model *m, const nn_optimizer_cfg *opt, nn_loss_kind loss)
{
    if (!(opt->lr >= 0) || !isfinite(opt->lr))
        return nn_model_fail(m, "compile: learning rate must be a finite number >= 0");
    /* optimizer state (allocated at the first update) counts against the budget too */
    int slots = nn_opt_slots(opt);
    size_t slot_bytes = 0;
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i]->trainable)
            for (int p = 0; p < m->layers[i]->n_params; p++)
                if (!m->layers[i]->params[p].is_stat)
                    slot_bytes += m->layers[i]->params[p].size * sizeof(float) * (size_t)slots;
    if (m->memory_budget && m->memory_used + m->memory_used_act + slot_bytes > m->memory_budget)
        return nn_model_fail(m, "compile: %s's state for the trainable weights needs %.1f MiB on top of %.1f MiB of weights and activations, over the memory budget of %.1f MiB",
                    nn_opt_name(opt->kind), slot_bytes / 1048576.0, (m->memory_used + m->memory_used_act) / 1048576.0,
                    m->memory_budget / 1048576.0);
    m->opt = *opt;
    m->loss = loss;
    for (int i = 0; i < m->n_layers; i++)
        m->layers[i]->train_active = m->layers[i]->trainable;
    mark_grads(m);
    if (snapshot_frozen(m) < 0)
        return -1;
    m->compiled = true;
    if (m->batch_cap > 0)
        return alloc_buffers(m, m->batch_cap);
    return 0;
}

static const float *layer_in(const nn_model *m, const nn_layer *l, int k)
{
    return m->layers[l->inputs[k]]->out;
}

static void apply_act(nn_model *m, nn_layer *l, int n)
{
    size_t rows = (size_t)n * (l->out_size / (size_t)l->out_shape.d[l->out_shape.rank - 1]);
    int row_len = l->out_shape.d[l->out_shape.rank - 1];
    if (l->index == m->output)
        memcpy(l->logits, l->out, (size_t)n * l->out_size * sizeof(float));
    if (l->preact)
        memcpy(l->preact, l->out, (size_t)n * l->out_size * sizeof(float));
    if (l->cfg.act != NN_ACT_LINEAR)
        nn_act_forward(l->out, l->out, rows, row_len, l->cfg.act);
}

/* A BatchNormalization's parameters: gamma and beta (NULL without scale, center), then
 * the moving mean and variance. */
static void bn_params(const nn_layer *l, const float **gamma, const float **beta, float **mm, float **mv)
{
    int pi = 0;
    *gamma = l->cfg.scale ? l->params[pi++].data : NULL;
    *beta = l->cfg.center ? l->params[pi++].data : NULL;
    *mm = l->params[pi].data;
    *mv = l->params[pi + 1].data;
}

static int forward_layer(nn_model *m, nn_layer *l, const float *x, int n, bool training)
{
    size_t total = (size_t)n * l->out_size;
    switch (l->type) {
    case NN_INPUT:
        memcpy(l->out, x, total * sizeof(float));
        break;
    case NN_DENSE: {
        const nn_layer *src = m->layers[l->inputs[0]];
        nn_dense_forward(l->out, src->out, l->params[0].data, l->cfg.use_bias ? l->params[1].data : NULL,
                         n, (int)src->out_size, l->cfg.units);
        apply_act(m, l, n);
        break;
    }
    case NN_CONV2D: {
        nn_conv_dims d;
        conv_dims(l, &m->layers[l->inputs[0]]->out_shape, n, &d);
        nn_conv2d_forward(l->out, layer_in(m, l, 0), l->params[0].data,
                          l->cfg.use_bias ? l->params[1].data : NULL, &d, l->aux);
        apply_act(m, l, n);
        break;
    }
    case NN_MAXPOOL2D:
    case NN_AVGPOOL2D: {
        nn_pool_dims d;
        pool_dims(l, &m->layers[l->inputs[0]]->out_shape, &d);
        d.n = n;
        if (l->type == NN_MAXPOOL2D)
            nn_maxpool2d_forward(l->out, l->argmax, layer_in(m, l, 0), &d);
        else
            nn_avgpool2d_forward(l->out, layer_in(m, l, 0), &d);
        break;
    }
    case NN_GAP2D: {
        nn_shape s = m->layers[l->inputs[0]]->out_shape;
        nn_gap2d_forward(l->out, layer_in(m, l, 0), n, s.d[0] * s.d[1], s.d[2]);
        break;
    }
    case NN_BATCHNORM: {
        int ch = l->out_shape.d[l->out_shape.rank - 1];
        nn_bn_dims d = {total / (size_t)ch, ch, l->cfg.eps, l->cfg.momentum};
        const float *gamma, *beta;
        float *mm, *mv;
        bn_params(l, &gamma, &beta, &mm, &mv);
        /* TF 2: a frozen BatchNormalization always runs in inference mode; training=False
         * on its call (or its base's) does too, and then its backward is the inference
         * normalisation's (nn_bn_backward_infer): gamma and beta still train. */
        /* Keras before TF 2 (m->bn_frozen): a frozen one still used the batch's statistics
         * in fit, and before 2.1.3 still moved its averages. */
        bool frozen_batch = !l->train_active && m->bn_frozen != NN_BN_FROZEN_INFER;
        l->bn_used_batch_stats = nn_layer_training(&l->cfg, training) && (l->train_active || frozen_batch);
        if (l->bn_used_batch_stats) {
            if (d.rows < 2)
                return nn_model_fail(m, "layer '%s' (BatchNormalization): training needs more than one value per channel", l->name);
            bool keep = frozen_batch && m->bn_frozen == NN_BN_FROZEN_BATCH;
            nn_bn_forward_train(l->out, l->aux, l->aux2, l->aux2 + ch, keep ? NULL : mm, keep ? NULL : mv,
                                layer_in(m, l, 0), gamma, beta, &d);
        } else {
            nn_bn_forward_infer(l->out, layer_in(m, l, 0), gamma, beta, mm, mv, &d);
        }
        break;
    }
    case NN_ACTIVATION: {
        int row_len = l->out_shape.d[l->out_shape.rank - 1];
        if (l->index == m->output)
            memcpy(l->logits, layer_in(m, l, 0), total * sizeof(float));
        nn_act_forward(l->out, layer_in(m, l, 0), total / (size_t)row_len, row_len, l->cfg.act);
        break;
    }
    case NN_FLATTEN: /* channels-last data is already in Keras's flatten order */
        memcpy(l->out, layer_in(m, l, 0), total * sizeof(float));
        break;
    case NN_DROPOUT:
        if (nn_dropout_layer_forward(m, l, layer_in(m, l, 0), n, nn_layer_training(&l->cfg, training)) < 0)
            return -1;
        break;
    case NN_CONCAT: {
        const float *ins[NN_MAX_INPUTS];
        int chans[NN_MAX_INPUTS];
        int last = l->out_shape.rank - 1;
        for (int k = 0; k < l->n_inputs; k++) {
            ins[k] = layer_in(m, l, k);
            chans[k] = m->layers[l->inputs[k]]->out_shape.d[last];
        }
        nn_concat_forward(l->out, ins, chans, l->n_inputs, total / (size_t)l->out_shape.d[last]);
        break;
    }
    default:
        /* training= on the call: an augmentation follows it as Dropout does */
        if (nn_extra_layer_forward(m, l, n, nn_layer_training(&l->cfg, training)) < 0)
            return -1;
        if (nn_layer_type_has_act(l->type))
            apply_act(m, l, n);
        break;
    }
    return 0;
}

/* Layer j applies one function to each value of layer i's output alone: an Activation
 * other than softmax, or a ReLU. */
static bool elementwise_of(const nn_layer *j, int i)
{
    if (j->n_inputs != 1 || j->inputs[0] != i)
        return false;
    return (j->type == NN_ACTIVATION && j->cfg.act != NN_ACT_SOFTMAX) || j->type == NN_RELU;
}

/* A BatchNormalization in inference mode (l) and the activation after it (j) in one
 * sweep: blocks of rows small enough to stay in the cache are normalised straight into
 * j's output and the activation applied there, so the normalised map is written and
 * read back once instead of twice. The same operations in the same order as the two
 * layers run apart, so j's output is the same to the bit; l's own output is not written. */
static void bn_act_fused(nn_model *m, nn_layer *l, nn_layer *j, int n)
{
    const int ch = l->out_shape.d[l->out_shape.rank - 1];
    const size_t rows = (size_t)n * l->out_size / (size_t)ch;
    const size_t block = 8192 / (size_t)ch > 16 ? 8192 / (size_t)ch : 16;
    const float *gamma, *beta;
    float *mm, *mv;
    bn_params(l, &gamma, &beta, &mm, &mv);
    const float *x = layer_in(m, l, 0);
    l->bn_used_batch_stats = false;
    for (size_t r0 = 0; r0 < rows; r0 += block) {
        nn_bn_dims d = {rows - r0 < block ? rows - r0 : block, ch, l->cfg.eps, l->cfg.momentum};
        float *y = j->out + r0 * (size_t)ch;
        nn_bn_forward_infer(y, x + r0 * (size_t)ch, gamma, beta, mm, mv, &d);
        if (j->type == NN_RELU)
            nn_relu_max_forward(y, y, d.rows * (size_t)ch, j->cfg.max_value);
        else
            nn_act_forward(y, y, d.rows, ch, j->cfg.act);
    }
}

/* The forward over every layer; with fuse (inference only, for nn_model_forward_last) a
 * BatchNormalization read by nothing but the activation after it runs with it. */
static int forward_all(nn_model *m, const float *x, int n, bool training, bool fuse)
{
    if (!m->finalized)
        return nn_model_fail(m, "forward: the model is not built");
    if (nn_model_reserve(m, n) < 0)
        return -1;
    int *readers = NULL;
    if (fuse) {
        if (!(readers = calloc((size_t)m->n_layers, sizeof *readers)))
            return nn_model_fail(m, "out of memory");
        for (int i = 0; i < m->n_layers; i++)
            for (int k = 0; k < m->layers[i]->n_inputs; k++)
                readers[m->layers[i]->inputs[k]]++;
    }
    int rc = 0;
    for (int i = 0; i < m->n_layers && rc == 0; i++) {
        nn_layer *l = m->layers[i];
        if (fuse && l->type == NN_BATCHNORM && i + 1 < m->n_layers && i != m->output && i + 1 != m->output &&
            readers[i] == 1 && elementwise_of(m->layers[i + 1], i) && !nn_layer_training(&l->cfg, training)) {
            bn_act_fused(m, l, m->layers[i + 1], n);
            i++;
            continue;
        }
        rc = forward_layer(m, l, x, n, training);
    }
    free(readers);
    return rc;
}

int nn_model_forward(nn_model *m, const float *x, int n, bool training)
{
    return forward_all(m, x, n, training, false);
}

int nn_model_forward_last(nn_model *m, const float *x, int n)
{
    return forward_all(m, x, n, false, true);
}

static const float *output_logits(const nn_model *m)
{
    return m->layers[m->output]->logits;
}

/* Keras's binary accuracy: sigmoid(z) > 0.5, or with from_logits the raw z > 0.5. */
static int binary_correct(const nn_model *m, const float *z, const int32_t *labels, int n)
{
    if (!m->from_logits)
        return nn_binary_correct(z, labels, n);
    int c = 0;
    for (int i = 0; i < n; i++)
        c += (z[i] > 0.5f) == (labels[i] == 1);
    return c;
}

double nn_model_loss(nn_model *m, const int32_t *labels, int n, int *correct, bool want_grad)
{
    nn_layer *out = m->layers[m->output];
    float *d = want_grad ? out->dout : NULL;
    double loss;
    if (m->loss == NN_LOSS_BCE) {
        loss = nn_bce_logits(d, output_logits(m), labels, n);
        if (correct)
            *correct = binary_correct(m, output_logits(m), labels, n);
    } else {
        int k = (int)out->out_size;
        loss = nn_scce_logits(d, output_logits(m), labels, n, k);
        if (correct)
            *correct = nn_categorical_correct(output_logits(m), labels, n, k);
    }
    return loss;
}

double nn_model_loss_sum(nn_model *m, const int32_t *labels, int n, int *correct)
{
    const nn_layer *out = m->layers[m->output];
    const float *z = output_logits(m);
    int k = (int)out->out_size;
    double sum = 0.0;
    /* one example at a time: the sum does not depend on how a set is cut into chunks */
    for (int i = 0; i < n; i++)
        sum += m->loss == NN_LOSS_BCE ? nn_bce_logits(NULL, z + i, labels + i, 1)
                                      : nn_scce_logits(NULL, z + (size_t)i * k, labels + i, 1, k);
    if (correct)
        *correct = m->loss == NN_LOSS_BCE ? binary_correct(m, z, labels, n)
                                          : nn_categorical_correct(z, labels, n, k);
    return sum;
}

static void backward_layer(nn_model *m, nn_layer *l, int n, float *tmp)
{
    size_t total = (size_t)n * l->out_size;
    bool train = layer_trains(l);
    float *dy = l->dout;
    /* The output layer's dout already holds d(loss)/d(logits). */
    bool has_act = nn_layer_type_has_act(l->type) && l->cfg.act != NN_ACT_LINEAR && l->index != m->output;
    if (has_act) {
        int row_len = l->out_shape.d[l->out_shape.rank - 1];
        memset(tmp, 0, total * sizeof(float));
        nn_act_backward_x(tmp, l->dout, l->out, l->preact, total / (size_t)row_len, row_len, l->cfg.act);
        dy = tmp;
    }
    nn_layer *src = l->n_inputs ? m->layers[l->inputs[0]] : NULL;
    float *din = (src && src->needs_grad) ? src->dout : NULL;
    switch (l->type) {
    case NN_INPUT:
        break;
    case NN_DENSE: /* overwrites its weight gradients: nn_model_backward did not clear them */
        nn_dense_backward_fresh(din, train ? l->params[0].grad : NULL,
                                (train && l->cfg.use_bias) ? l->params[1].grad : NULL, dy, src->out,
                                l->params[0].data, n, (int)src->out_size, l->cfg.units);
        break;
    case NN_CONV2D: {
        nn_conv_dims d;
        conv_dims(l, &src->out_shape, n, &d);
        nn_conv2d_backward(din, train ? l->params[0].grad : NULL,
                           (train && l->cfg.use_bias) ? l->params[1].grad : NULL, dy, src->out,
                           l->params[0].data, &d, l->aux);
        break;
    }
    case NN_MAXPOOL2D:
    case NN_AVGPOOL2D: {
        if (!din)
            break;
        nn_pool_dims d;
        pool_dims(l, &src->out_shape, &d);
        d.n = n;
        if (l->type == NN_MAXPOOL2D)
            nn_maxpool2d_backward(din, dy, l->argmax, &d);
        else
            nn_avgpool2d_backward(din, dy, &d);
        break;
    }
    case NN_GAP2D:
        if (din)
            nn_gap2d_backward(din, dy, n, src->out_shape.d[0] * src->out_shape.d[1], src->out_shape.d[2]);
        break;
    case NN_BATCHNORM: {
        int ch = l->out_shape.d[l->out_shape.rank - 1];
        nn_bn_dims d = {total / (size_t)ch, ch, l->cfg.eps, l->cfg.momentum};
        int pi = 0;
        int gi = l->cfg.scale ? pi++ : -1;
        int bi = l->cfg.center ? pi++ : -1;
        const float *gamma = gi >= 0 ? l->params[gi].data : NULL;
        float *dgamma = (train && gi >= 0) ? l->params[gi].grad : NULL;
        float *dbeta = (train && bi >= 0) ? l->params[bi].grad : NULL;
        if (l->bn_used_batch_stats)
            nn_bn_backward_train(din, dgamma, dbeta, dy, l->aux, l->aux2 + ch, gamma, &d);
        else
            nn_bn_backward_infer(din, dgamma, dbeta, dy, src->out, gamma, l->params[pi].data,
                                 l->params[pi + 1].data, &d);
        break;
    }
    case NN_ACTIVATION: {
        if (!din)
            break;
        if (l->index == m->output) { /* loss gave d/d(logits) = d/d(input) */
            for (size_t i = 0; i < total; i++)
                din[i] += dy[i];
            break;
        }
        int row_len = l->out_shape.d[l->out_shape.rank - 1];
        nn_act_backward_x(din, dy, l->out, src->out, total / (size_t)row_len, row_len, l->cfg.act);
        break;
    }
    case NN_FLATTEN:
        if (din)
            for (size_t i = 0; i < total; i++)
                din[i] += dy[i];
        break;
    case NN_DROPOUT:
        if (din)
            nn_dropout_layer_backward(l, din, dy, n);
        break;
    case NN_CONCAT: {
        float *dins[NN_MAX_INPUTS];
        int chans[NN_MAX_INPUTS];
        int last = l->out_shape.rank - 1;
        for (int k = 0; k < l->n_inputs; k++) {
            nn_layer *s = m->layers[l->inputs[k]];
            dins[k] = s->needs_grad ? s->dout : NULL;
            chans[k] = s->out_shape.d[last];
        }
        nn_concat_backward(dins, dy, chans, l->n_inputs, total / (size_t)l->out_shape.d[last]);
        break;
    }
    default:
        nn_extra_layer_backward(m, l, n, dy, train);
        break;
    }
}

int nn_model_backward(nn_model *m, int n)
{
    if (!m->compiled)
        return nn_model_fail(m, "backward: the model is not compiled");
    /* scratch for activation derivatives: the largest layer output */
    size_t mx = 0;
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i]->needs_grad && m->layers[i]->out_size > mx)
            mx = m->layers[i]->out_size;
    float *tmp = malloc(mx * (size_t)n * sizeof(float) + sizeof(float));
    if (!tmp)
        return nn_model_fail(m, "out of memory in backward");
    for (int i = 0; i < m->output; i++) {
        nn_layer *l = m->layers[i];
        if (l->dout)
            memset(l->dout, 0, (size_t)n * l->out_size * sizeof(float));
    }
    for (int i = 0; i < m->n_layers; i++) {
        nn_layer *l = m->layers[i];
        if (l->type == NN_DENSE) /* written whole by its backward below (77 MB not cleared) */
            continue;
        for (int p = 0; p < l->n_params; p++)
            if (l->params[p].grad && layer_trains(l))
                memset(l->params[p].grad, 0, l->params[p].size * sizeof(float));
    }
    for (int i = m->output; i >= m->lowest_trainable; i--) {
        nn_layer *l = m->layers[i];
        if (l->needs_grad)
            backward_layer(m, l, n, tmp);
    }
    free(tmp);
    return 0;
}

/* The first layer (in order) whose output or weights hold a non-finite value. */
static const char *first_nonfinite(const nn_model *m, int n)
{
    for (int i = 0; i < m->n_layers; i++) {
        const nn_layer *l = m->layers[i];
        for (int p = 0; p < l->n_params; p++)
            for (size_t k = 0; k < l->params[p].size; k++)
                if (!isfinite(l->params[p].data[k]))
                    return l->name;
        size_t total = (size_t)n * l->out_size;
        for (size_t k = 0; k < total; k++)
            if (!isfinite(l->out[k]))
                return l->name;
    }
    return NULL;
}

static int nonfinite(nn_model *m, int n, nn_step_result *res, const char *what)
{
    const char *bad = first_nonfinite(m, n);
    res->finite = false;
    snprintf(res->nonfinite_layer, sizeof res->nonfinite_layer, "%s", bad ? bad : m->layers[m->output]->name);
    return nn_model_fail(m, "%s is not finite at step %ld; the first non-finite value appears in layer '%s'",
                what, m->iterations + 1, res->nonfinite_layer);
}

int nn_model_train_step(nn_model *m, const float *x, const int32_t *labels, int n,
                        nn_step_result *res)
{
    nn_step_result local;
    if (!res)
        res = &local;
    memset(res, 0, sizeof *res);
    res->finite = true;
    res->n = n;
    if (!m->compiled)
        return nn_model_fail(m, "train: the model is not compiled");
    if (nn_model_forward(m, x, n, true) < 0)
        return -1;
    int correct = 0;
    res->loss = nn_model_loss(m, labels, n, &correct, true);
    res->accuracy = (double)correct / n;
    if (!isfinite(res->loss))
        return nonfinite(m, n, res, "the loss");
    if (nn_model_backward(m, n) < 0)
        return -1;
    m->nonfinite_layer[0] = '\0';
    if (nn_model_update(m) < 0) {
        res->finite = m->nonfinite_layer[0] == '\0';
        memcpy(res->nonfinite_layer, m->nonfinite_layer, sizeof res->nonfinite_layer);
        return -1;
    }
    return 0;
}

int nn_model_eval_chunk(nn_model *m)
{
    /* A fixed chunk: BLAS may round differently for different row counts, so the same
     * set must always be cut the same way to give the same bits. */
    if (nn_model_reserve(m, NN_EVAL_CHUNK) < 0)
        return -1;
    return NN_EVAL_CHUNK;
}

int nn_model_eval_loop(nn_model *m, const int32_t *labels, int n, nn_chunk_forward forward,
                       const void *ctx, double *loss, double *accuracy)
{
    if (!m->compiled)
        return nn_model_fail(m, "evaluate: the model is not compiled");
    if (n <= 0)
        return nn_model_fail(m, "evaluate: no examples");
    int chunk = nn_model_eval_chunk(m);
    if (chunk < 0)
        return -1;
    double sum = 0.0;
    long correct = 0;
    for (int i = 0; i < n; i += chunk) {
        int k = n - i < chunk ? n - i : chunk;
        if (forward(m, i, k, ctx) < 0)
            return -1;
        int c = 0;
        sum += nn_model_loss_sum(m, labels + i, k, &c);
        correct += c;
    }
    if (loss)
        *loss = sum / n;
    if (accuracy)
        *accuracy = (double)correct / n;
    return 0;
}

static int forward_input_chunk(nn_model *m, int i, int k, const void *x)
{
    return nn_model_forward(m, (const float *)x + (size_t)i * nn_model_input_size(m), k, false);
}

int nn_model_evaluate(nn_model *m, const float *x, const int32_t *labels, int n, double *loss,
                      double *accuracy)
{
    return nn_model_eval_loop(m, labels, n, forward_input_chunk, x, loss, accuracy);
}

size_t nn_layer_param_count(const nn_layer *l)
{
    size_t n = 0;
    for (int p = 0; p < l->n_params; p++)
        n += l->params[p].size;
    return n;
}

nn_param_counts nn_model_count_params(const nn_model *m)
{
    nn_param_counts c = {0, 0, 0};
    for (int i = 0; i < m->n_layers; i++) {
        const nn_layer *l = m->layers[i];
        for (int p = 0; p < l->n_params; p++) {
            size_t s = l->params[p].size;
            c.total += s;
            if (l->trainable && !l->params[p].is_stat)
                c.trainable += s;
            else
                c.non_trainable += s;
        }
    }
    return c;
}
