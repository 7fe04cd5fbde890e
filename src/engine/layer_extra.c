/* The layers of the keras.applications bases beyond InceptionV3's, as model layers:
 * shape checks and parameters (infer), buffers, forward and backward. model.c hands
 * these types here; the arithmetic is in ops_extra.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

bool nn_layer_type_has_act(nn_layer_type t)
{
    return t == NN_DENSE || t == NN_CONV2D || t == NN_DEPTHWISE_CONV2D || t == NN_SEPARABLE_CONV2D;
}

static const nn_shape *in_shape(const nn_model *m, const nn_layer *l, int k)
{
    return &m->layers[l->inputs[k]]->out_shape;
}

/* The depthwise step's dims (filters = depth multiplier). */
static bool dw_dims(const nn_layer *l, const nn_shape *in, int n, nn_conv_dims *d)
{
    return nn_layer_conv_dims(l, in, n, l->cfg.depth_multiplier, d);
}

static int need_rank3(nn_model *m, const nn_layer *l, nn_shape in)
{
    char sb[64];
    if (in.rank == 3)
        return 0;
    return nn_model_fail(m, "layer '%s' (%s) needs a (height, width, channels) input but '%s' outputs %s", l->name,
                         nn_layer_type_name(l->type), m->layers[l->inputs[0]]->name,
                         nn_shape_str(in, true, sb, sizeof sb));
}

static int infer_conv(nn_model *m, nn_layer *l, nn_shape in)
{
    const nn_layer_cfg *c = &l->cfg;
    char sb[64];
    bool sep = l->type == NN_SEPARABLE_CONV2D;
    if (need_rank3(m, l, in) < 0)
        return -1;
    if (c->kh <= 0 || c->kw <= 0 || c->sh <= 0 || c->sw <= 0 || c->depth_multiplier <= 0 || (sep && c->filters <= 0))
        return nn_model_fail(m, "layer '%s' (%s): %skernel size, strides and depth_multiplier must be positive", l->name,
                             nn_layer_type_name(l->type), sep ? "filters, " : "");
    nn_conv_dims d;
    if (!dw_dims(l, &in, 1, &d))
        return nn_model_fail(m, "layer '%s' (%s): kernel %dx%d does not fit input %s with '%s' padding", l->name,
                             nn_layer_type_name(l->type), c->kh, c->kw, nn_shape_str(in, true, sb, sizeof sb),
                             c->padding == NN_PAD_SAME ? "same" : "valid");
    int mid = in.d[2] * c->depth_multiplier;
    int out_c = sep ? c->filters : mid;
    l->out_shape = nn_shape3(d.oh, d.ow, out_c);
    nn_layer_add_param(l, "depthwise_kernel", nn_shape4(c->kh, c->kw, in.d[2], c->depth_multiplier), false);
    if (sep)
        nn_layer_add_param(l, "pointwise_kernel", nn_shape4(1, 1, mid, c->filters), false);
    if (c->use_bias)
        nn_layer_add_param(l, "bias", nn_shape1(out_c), false);
    return 0;
}

/* Keras's merge shapes: equal ranks; per axis equal, or 1 on all but one input. */
static int infer_merge(nn_model *m, nn_layer *l)
{
    char a[64], b[64];
    if (l->n_inputs < 2)
        return nn_model_fail(m, "layer '%s' (%s) joins two or more layers, got %d", l->name,
                             nn_layer_type_name(l->type), l->n_inputs);
    nn_shape s = *in_shape(m, l, 0);
    for (int i = 1; i < l->n_inputs; i++) {
        nn_shape t = *in_shape(m, l, i);
        bool ok = t.rank == s.rank;
        for (int k = 0; ok && k < s.rank; k++) {
            if (t.d[k] != s.d[k] && t.d[k] != 1 && s.d[k] != 1)
                ok = false;
            else if (s.d[k] == 1)
                s.d[k] = t.d[k];
        }
        if (!ok)
            return nn_model_fail(m, "layer '%s' (%s): input '%s' has shape %s, which does not match %s (shapes must be equal, or 1 where they differ)",
                                 l->name, nn_layer_type_name(l->type), m->layers[l->inputs[i]]->name,
                                 nn_shape_str(t, true, a, sizeof a), nn_shape_str(*in_shape(m, l, 0), true, b, sizeof b));
    }
    l->out_shape = s;
    return 0;
}

static int infer_reshape(nn_model *m, nn_layer *l, nn_shape in)
{
    char a[64], b[64];
    nn_shape t = l->cfg.target_shape;
    size_t known = 1, total = nn_shape_size(in);
    int free_axis = -1;
    for (int k = 0; k < t.rank; k++) {
        if (t.d[k] == -1 && free_axis < 0)
            free_axis = k;
        else if (t.d[k] > 0)
            known *= (size_t)t.d[k];
        else
            return nn_model_fail(m, "layer '%s' (Reshape): target_shape %s may hold positive sizes and one -1", l->name,
                                 nn_shape_str(t, false, a, sizeof a));
    }
    if (t.rank < 1 || t.rank > 3)
        return nn_model_fail(m, "layer '%s' (Reshape): target_shape needs 1 to 3 axes", l->name);
    if (free_axis >= 0 && known > 0 && total % known == 0)
        t.d[free_axis] = (int)(total / known);
    if (nn_shape_size(t) != total)
        return nn_model_fail(m, "layer '%s' (Reshape): cannot reshape %s (%zu values) to %s", l->name,
                             nn_shape_str(in, true, a, sizeof a), total, nn_shape_str(l->cfg.target_shape, true, b, sizeof b));
    l->out_shape = t;
    return 0;
}

/* Rescaling and Normalization: per-channel constants fit the last axis. */
static int infer_affine(nn_model *m, nn_layer *l, nn_shape in)
{
    const nn_layer_cfg *c = &l->cfg;
    int ch = in.d[in.rank - 1];
    l->out_shape = in;
    if (c->coef_n > 1 && c->coef_n != ch)
        return nn_model_fail(m, "layer '%s' (%s): %d values per channel given, but the input has %d channels", l->name,
                             nn_layer_type_name(l->type), c->coef_n, ch);
    if (l->type == NN_NORMALIZATION && c->coef_n == 0) {
        nn_layer_add_param(l, "mean", nn_shape1(ch), true);
        nn_layer_add_param(l, "variance", nn_shape1(ch), true);
        nn_layer_add_param(l, "count", (nn_shape){0, {0}}, true);
    }
    if (l->type == NN_NORMALIZATION)
        for (int k = 0; k < c->coef_n; k++)
            if (!(c->coef_b[k] >= 0))
                return nn_model_fail(m, "layer '%s' (Normalization): variance must be >= 0, got %g", l->name, c->coef_b[k]);
    return 0;
}

int nn_extra_layer_infer(nn_model *m, nn_layer *l, nn_shape in)
{
    const nn_layer_cfg *c = &l->cfg;
    char sb[64];
    switch (l->type) {
    case NN_ZEROPAD2D:
        if (need_rank3(m, l, in) < 0)
            return -1;
        for (int k = 0; k < 4; k++)
            if (c->pad[k] < 0)
                return nn_model_fail(m, "layer '%s' (ZeroPadding2D): padding must be >= 0", l->name);
        l->out_shape = nn_shape3(in.d[0] + c->pad[0] + c->pad[1], in.d[1] + c->pad[2] + c->pad[3], in.d[2]);
        return 0;
    case NN_DEPTHWISE_CONV2D:
    case NN_SEPARABLE_CONV2D:
        return infer_conv(m, l, in);
    case NN_ADD:
    case NN_MULTIPLY:
        return infer_merge(m, l);
    case NN_RELU:
        if (!(c->max_value >= 0))
            return nn_model_fail(m, "layer '%s' (ReLU): max_value must be >= 0, got %g", l->name, c->max_value);
        l->out_shape = in;
        return 0;
    case NN_RESHAPE:
        return infer_reshape(m, l, in);
    case NN_GMP2D:
        if (in.rank != 3)
            return nn_model_fail(m, "layer '%s' (GlobalMaxPooling2D) needs a (height, width, channels) input, got %s",
                                 l->name, nn_shape_str(in, true, sb, sizeof sb));
        l->out_shape = nn_shape1(in.d[2]);
        return 0;
    case NN_RESCALING:
    case NN_NORMALIZATION:
        return infer_affine(m, l, in);
    case NN_AUGMENT:
        return nn_augment_layer_infer(m, l, in);
    default:
        return nn_model_fail(m, "layer '%s': unknown layer type %d", l->name, (int)l->type);
    }
}

/* Floats of scratch (aux) a layer needs for n examples. */
static size_t aux_floats(const nn_model *m, const nn_layer *l, int n)
{
    if (l->type != NN_SEPARABLE_CONV2D)
        return 0;
    const nn_shape *in = in_shape(m, l, 0);
    /* the depthwise output and its gradient */
    return 2 * (size_t)n * l->out_shape.d[0] * l->out_shape.d[1] * in->d[2] * l->cfg.depth_multiplier;
}

static int channels(const nn_layer *l)
{
    return l->out_shape.d[l->out_shape.rank - 1];
}

size_t nn_extra_layer_bytes(const nn_model *m, const nn_layer *l, int n)
{
    size_t b = aux_floats(m, l, n) * sizeof(float);
    if (l->type == NN_AUGMENT)
        b += nn_augment_layer_bytes(l, n);
    if (l->type == NN_GMP2D)
        b += (size_t)n * l->out_size * sizeof(int32_t);
    if (l->type == NN_RESCALING || l->type == NN_NORMALIZATION)
        b += 2 * (size_t)channels(l) * sizeof(float);
    if (nn_layer_type_has_act(l->type) && nn_act_needs_input(l->cfg.act))
        b += (size_t)n * l->out_size * sizeof(float);
    return b;
}

int nn_extra_layer_alloc(nn_model *m, nn_layer *l, int n)
{
    size_t a = aux_floats(m, l, n);
    if (a && !(l->aux = nn_big_alloc(a * sizeof(float))))
        return nn_model_fail(m, "out of memory for layer '%s' scratch", l->name);
    if (l->type == NN_AUGMENT && nn_augment_layer_alloc(m, l, n) < 0)
        return -1;
    if (l->type == NN_GMP2D && !(l->argmax = malloc((size_t)n * l->out_size * sizeof(int32_t))))
        return nn_model_fail(m, "out of memory");
    if ((l->type == NN_RESCALING || l->type == NN_NORMALIZATION) &&
        !(l->aux2 = malloc(2 * (size_t)channels(l) * sizeof(float))))
        return nn_model_fail(m, "out of memory");
    if (nn_layer_type_has_act(l->type) && nn_act_needs_input(l->cfg.act) &&
        !(l->preact = malloc((size_t)n * l->out_size * sizeof(float))))
        return nn_model_fail(m, "out of memory for layer '%s' pre-activations", l->name);
    return 0;
}

/* Per-channel constants into aux2: Rescaling's scale and offset; Normalization's mean
 * and denominator (from its weights when adapted, else from its arguments). */
static void fill_coefs(nn_layer *l)
{
    const nn_layer_cfg *c = &l->cfg;
    int ch = channels(l);
    float *a = l->aux2, *b = l->aux2 + ch;
    for (int k = 0; k < ch; k++) {
        int j = c->coef_n > 1 ? k : 0;
        a[k] = c->coef_a[j];
        b[k] = c->coef_b[j];
    }
    if (l->type == NN_NORMALIZATION) {
        if (c->coef_n == 0) {
            memcpy(a, l->params[0].data, sizeof(float) * (size_t)ch);
            nn_norm_den(b, l->params[1].data, ch);
        } else {
            nn_norm_den(b, b, ch);
        }
    }
}

static void merge_dims(const nn_model *m, const nn_layer *l, int n, int *in_dims, int *out_dims, int *rank)
{
    int r = l->out_shape.rank + 1;
    out_dims[0] = n;
    for (int k = 1; k < r; k++)
        out_dims[k] = l->out_shape.d[k - 1];
    for (int i = 0; i < l->n_inputs; i++) {
        in_dims[i * r] = n;
        for (int k = 1; k < r; k++)
            in_dims[i * r + k] = in_shape(m, l, i)->d[k - 1];
    }
    *rank = r;
}

static nn_pad_dims pad_dims(const nn_model *m, const nn_layer *l, int n)
{
    const nn_shape *in = in_shape(m, l, 0);
    nn_pad_dims d = {n, in->d[0], in->d[1], in->d[2], l->cfg.pad[0], l->cfg.pad[1], l->cfg.pad[2], l->cfg.pad[3]};
    return d;
}

static void separable_forward(const nn_model *m, nn_layer *l, int n, const float *x)
{
    nn_conv_dims d;
    dw_dims(l, in_shape(m, l, 0), n, &d);
    int mid = d.c * d.filters;
    nn_depthwise_forward(l->aux, x, l->params[0].data, NULL, &d);
    /* pointwise: (pixels x mid) * (mid x filters), as a 1x1 Conv2D */
    nn_conv_dims p = {.n = n, .h = d.oh, .w = d.ow, .c = mid, .kh = 1, .kw = 1, .filters = l->cfg.filters,
                      .sh = 1, .sw = 1, .padding = NN_PAD_VALID};
    nn_conv_dims_init(&p);
    nn_conv2d_forward(l->out, l->aux, l->params[1].data, l->cfg.use_bias ? l->params[2].data : NULL, &p, NULL);
}

int nn_extra_layer_forward(nn_model *m, nn_layer *l, int n, bool training)
{
    const float *x = m->layers[l->inputs[0]]->out;
    size_t total = (size_t)n * l->out_size;
    switch (l->type) {
    case NN_ZEROPAD2D: {
        nn_pad_dims d = pad_dims(m, l, n);
        nn_zeropad2d_forward(l->out, x, &d);
        break;
    }
    case NN_DEPTHWISE_CONV2D: {
        nn_conv_dims d;
        dw_dims(l, in_shape(m, l, 0), n, &d);
        nn_depthwise_forward(l->out, x, l->params[0].data, l->cfg.use_bias ? l->params[1].data : NULL, &d);
        break;
    }
    case NN_SEPARABLE_CONV2D:
        separable_forward(m, l, n, x);
        break;
    case NN_ADD:
    case NN_MULTIPLY: {
        const float *ins[NN_MAX_INPUTS];
        int in_dims[NN_MAX_INPUTS * (NN_MAX_RANK + 1)], out_dims[NN_MAX_RANK + 1], rank;
        merge_dims(m, l, n, in_dims, out_dims, &rank);
        for (int k = 0; k < l->n_inputs; k++)
            ins[k] = m->layers[l->inputs[k]]->out;
        nn_merge_forward(l->out, ins, in_dims, l->n_inputs, out_dims, rank,
                         l->type == NN_ADD ? NN_MERGE_ADD : NN_MERGE_MUL);
        break;
    }
    case NN_RELU:
        nn_relu_max_forward(l->out, x, total, l->cfg.max_value);
        break;
    case NN_RESHAPE:
        memcpy(l->out, x, total * sizeof(float));
        break;
    case NN_GMP2D: {
        const nn_shape *s = in_shape(m, l, 0);
        nn_gmp2d_forward(l->out, l->argmax, x, n, s->d[0] * s->d[1], s->d[2]);
        break;
    }
    case NN_RESCALING:
    case NN_NORMALIZATION: {
        int ch = channels(l);
        fill_coefs(l);
        if (l->type == NN_RESCALING)
            nn_affine_forward(l->out, x, l->aux2, l->aux2 + ch, total / (size_t)ch, ch);
        else
            nn_norm_forward(l->out, x, l->aux2, l->aux2 + ch, total / (size_t)ch, ch);
        break;
    }
    case NN_AUGMENT:
        return nn_augment_layer_forward(m, l, x, n, training);
    default:
        return nn_model_fail(m, "layer '%s': no forward", l->name);
    }
    return 0;
}

static void separable_backward(nn_model *m, nn_layer *l, int n, const float *dy, float *din, bool train)
{
    const nn_layer *src = m->layers[l->inputs[0]];
    nn_conv_dims d;
    dw_dims(l, &src->out_shape, n, &d);
    int mid = d.c * d.filters;
    size_t mid_total = (size_t)n * d.oh * d.ow * mid;
    float *dmid = l->aux + mid_total;
    memset(dmid, 0, mid_total * sizeof(float));
    nn_conv_dims p = {.n = n, .h = d.oh, .w = d.ow, .c = mid, .kh = 1, .kw = 1, .filters = l->cfg.filters,
                      .sh = 1, .sw = 1, .padding = NN_PAD_VALID};
    nn_conv_dims_init(&p);
    nn_conv2d_backward(dmid, train ? l->params[1].grad : NULL, (train && l->cfg.use_bias) ? l->params[2].grad : NULL,
                       dy, l->aux, l->params[1].data, &p, NULL);
    nn_depthwise_backward(din, train ? l->params[0].grad : NULL, NULL, dmid, src->out, l->params[0].data, &d);
}

void nn_extra_layer_backward(nn_model *m, nn_layer *l, int n, const float *dy, bool train)
{
    nn_layer *src = m->layers[l->inputs[0]];
    float *din = src->needs_grad ? src->dout : NULL;
    size_t total = (size_t)n * l->out_size;
    switch (l->type) {
    case NN_ZEROPAD2D:
        if (din) {
            nn_pad_dims d = pad_dims(m, l, n);
            nn_zeropad2d_backward(din, dy, &d);
        }
        break;
    case NN_DEPTHWISE_CONV2D: {
        nn_conv_dims d;
        dw_dims(l, &src->out_shape, n, &d);
        nn_depthwise_backward(din, train ? l->params[0].grad : NULL, (train && l->cfg.use_bias) ? l->params[1].grad : NULL,
                              dy, src->out, l->params[0].data, &d);
        break;
    }
    case NN_SEPARABLE_CONV2D:
        separable_backward(m, l, n, dy, din, train);
        break;
    case NN_ADD:
    case NN_MULTIPLY: {
        const float *ins[NN_MAX_INPUTS];
        float *dins[NN_MAX_INPUTS];
        int in_dims[NN_MAX_INPUTS * (NN_MAX_RANK + 1)], out_dims[NN_MAX_RANK + 1], rank;
        merge_dims(m, l, n, in_dims, out_dims, &rank);
        for (int k = 0; k < l->n_inputs; k++) {
            nn_layer *s = m->layers[l->inputs[k]];
            ins[k] = s->out;
            dins[k] = s->needs_grad ? s->dout : NULL;
        }
        nn_merge_backward(dins, dy, ins, in_dims, l->n_inputs, out_dims, rank,
                          l->type == NN_ADD ? NN_MERGE_ADD : NN_MERGE_MUL);
        break;
    }
    case NN_RELU:
        if (din)
            nn_relu_max_backward(din, dy, l->out, total, l->cfg.max_value);
        break;
    case NN_RESHAPE:
        if (din)
            for (size_t i = 0; i < total; i++)
                din[i] += dy[i];
        break;
    case NN_GMP2D:
        if (din)
            nn_gmp2d_backward(din, dy, l->argmax, n, src->out_shape.d[0] * src->out_shape.d[1], src->out_shape.d[2]);
        break;
    case NN_RESCALING:
    case NN_NORMALIZATION:
        if (din) {
            int ch = channels(l);
            if (l->type == NN_RESCALING)
                nn_affine_backward(din, dy, l->aux2, total / (size_t)ch, ch);
            else
                nn_norm_backward(din, dy, l->aux2 + ch, total / (size_t)ch, ch);
        }
        break;
    case NN_AUGMENT:
        if (din)
            nn_augment_layer_backward(l, din, dy, n);
        break;
    default:
        break;
    }
}
