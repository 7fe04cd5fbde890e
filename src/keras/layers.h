/* Keras's layers to the importer (layers.c): binding a call's arguments to Keras's
 * signatures, Keras's automatic names, layer classes, Input, calling a layer on
 * tensors, InceptionV3, optimizers and losses. Uses only the runtime (runtime.h); the
 * Keras API (api.h) calls it. Failures unwind with ki_fail at the argument's line:col;
 * values live in the parser's arena. Private to the importer. */
#ifndef LS_KERAS_LAYERS_H
#define LS_KERAS_LAYERS_H

#include <stdbool.h>
#include <stddef.h>

#include "keras/runtime.h"

/* A call's arguments bound to names: v[k] (NULL if not given) and where it was written. */
typedef struct {
    kval *v[48];
    karg *g[48];
} kbound;

/* Binds a call's arguments to names (the first n_pos may be positional, in order);
 * fails on an unknown keyword (at it, with the closest name), too many positional
 * arguments, or a value given twice. */
void ka_bind_args(kparser *p, kargs *a, const char *callee, const char *const *names, int n_pos, kbound *b);
int ka_vline(const kbound *b, int k);   /* where argument k's value is */
int ka_vcol(const kbound *b, int k);
long long ka_need_int(kparser *p, const kbound *b, int k, const char *what);
bool ka_need_bool(kparser *p, const kbound *b, int k, const char *what);
/* Argument k as a string (in the arena), or NULL for None when none_ok; fails otherwise. */
const char *ka_need_str(kparser *p, const kbound *b, int k, const char *what, bool none_ok);
void ka_str_lower(const char *s, char *out, size_t n);
/* "; did you mean 'x'?" for the closest of names[0..n), or "" (in buf). */
const char *ka_suggest(const char *s, const char *const *names, int n, char *buf, size_t len);
/* A path a lesson string holds as is (no quote, backslash or control character). */
/* Fails when w is too long to be a file path (4096 bytes or more). */
void ka_need_path_length(kparser *p, const char *w, int line, int col);
bool ka_plain_path(const char *w);
int ka_new_node(kparser *p, kn_kind kind, nn_layer_type type, int line, int col);
kref ka_node_ref(int n);
kval *ka_tensor_val(kparser *p, kref r, int line, int col);
/* Keras's name of the layer r (a node, a base's layer, a base's Input). */
const char *ka_ref_name(const kprog *pg, kref r);
kval *ka_make_layer(kparser *p, nn_layer_type type, kargs *a, int line, int col);
kval *ka_make_input(kparser *p, kargs *a, int line, int col);
kval *ka_apply_layer(kparser *p, int ni, kargs *a, int line, int col);
/* RandomFlip(...), RandomRotation(...), RandomZoom(...), RandomTranslation(...): a layer
 * of type NN_AUGMENT and that kind, its arguments checked as ka_make_layer does. */
kval *ka_make_augment(kparser *p, nn_augment_kind kind, kargs *a, int line, int col);
/* A Sequential model called on a tensor (data_augmentation(inputs)): its layers are
 * spliced in after the tensor, in order, and the last one's output returned (the model
 * is not kept as one nested layer). Fails for a model that has its own Input, is not
 * Sequential, or was called before. */
kval *ka_apply_sequential(kparser *p, int mi, kargs *a, int line, int col);
/* Keras's class and automatic-name base of node n (RandomRotation / random_rotation for
 * an augmentation node; else its type's). */
const char *ka_node_class(const knode *n);

const char *ka_node_prefix(const knode *n);
/* A call's training= argument: a known True, False or None (fails at its value else). */
nn_train_mode ka_training_arg(kparser *p, const karg *g);
/* A layer, base or model called on data (a batch of images, not a layer's output):
 * it does not build the model; the statement is noted (the lesson's steps predict). */
kval *ka_call_on_data(kparser *p, const kval *data, int line, int col);
/* Whether v is data the script computed (not a layer's output, not an undefined name). */
bool ka_is_data(const kval *v);
/* Concatenate, Add, Multiply: layers called on a list of outputs. */
bool ka_is_merge(nn_layer_type t);
/* InceptionV3 (app -1) or the keras.applications base nn_base_table[app], without top. */
kval *ka_make_base(kparser *p, int app, kargs *a, int line, int col);
/* keras.applications.<module>.preprocess_input(x): a Rescaling on a layer's output, noted on data. */
kval *ka_preprocess(kparser *p, int mode, kargs *a, int line, int col);
kval *ka_make_optimizer(kparser *p, int kind, kargs *a, int line, int col);
kval *ka_make_loss(kparser *p, int kind, kargs *a, int line, int col);

#endif
