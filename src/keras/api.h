/* What Keras names mean to the importer (symbols.c: modules, symbols; api.c: attributes,
 * calls, model.layers. The evaluator (eval.c) calls it; it calls the layers (layers.h)
 * and the runtime (runtime.h), never the evaluator. Failures unwind with ki_fail; values
 * live in the parser's arena. Private to the importer. */
#ifndef LS_KERAS_API_H
#define LS_KERAS_API_H

#include <stdbool.h>

#include "keras/runtime.h"

/* The Keras meaning of a dotted path ("tensorflow.keras.layers.Dense"), spelled as in the
 * source; at: the last name's token. Fails on unknown names in Keras's model modules. */
kval *ka_resolve(kparser *p, const char *path, const char *spelled, const ktok *at);
/* A name the file uses without importing it: when Keras has a class, function or module
 * of that name, its value, with one note ("RMSprop is not imported; read as
 * tensorflow.keras.optimizers.RMSprop; ...") and the name bound from then on; else NULL. */
kval *ka_unimported(kparser *p, const char *name, const ktok *at);
kval *ka_getattr(kparser *p, kval *obj, const ktok *name);
/* from MODULE import *: binds the Keras names of MODULE; false if MODULE is not Keras's. */
bool ka_star_import(kparser *p, const char *module, const ktok *at);
void ka_setattr(kparser *p, kval *obj, const ktok *name, kval *v, int vline, int vcol);
kval *ka_call(kparser *p, kval *callee, kargs *a, int line, int col);
/* At the end of a script that builds a model but never compiles it: compile the last
 * model as Keras's compile() would by default (rmsprop) with the loss its output calls
 * for (Dense(1, sigmoid): binary; softmax: sparse categorical), with a note; fails when
 * the output does not say. */
void ka_default_compile(kparser *p);
/* Element i of model.layers (or a slice): for V_LAYERS subscripts. */
kval *ka_layers_index(kparser *p, kval *list, kval *index, int line, int col);

#endif
