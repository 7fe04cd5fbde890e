/* The Keras vocabulary dropscope understands: layer classes, optimizers, losses and
 * activations. The one table both the lesson parser and the Keras importer read, so a
 * new layer type is one entry here plus its builder in the engine.
 *
 * Each entry carries two argument lists because the two readers accept different
 * things on purpose: the importer checks a script against Keras's whole signature
 * (and refuses what dropscope cannot do, argument by argument); a lesson accepts only
 * the arguments dropscope implements. Static data; nothing to free. */
#ifndef LS_VOCAB_H
#define LS_VOCAB_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/model.h"

typedef struct {
    const char *keras;              /* Keras's class name, as messages print it */
    const char *const *aliases;     /* other spellings Keras accepts (NULL-terminated), or NULL */
    nn_layer_type type;
    bool function;                  /* Input is a function, not a layer class */
    const char *const *args;        /* Keras's own arguments in Keras's order (NULL-terminated) */
    int n_pos;                      /* how many of args Keras takes positionally */
    const char *const *lesson_args; /* what a lesson accepts, in the order its messages list them */
    int lesson_pos;                 /* how many of lesson_args a lesson takes positionally */
    nn_dropout_kind drop_kind;      /* NN_DROPOUT: which class of the family (SpatialDropout2D, ...) */
    nn_augment_kind aug_kind;       /* NN_AUGMENT: RandomFlip, RandomRotation, ... */
} ls_vocab_layer;

/* The layers, ending with an entry whose keras is NULL. */
extern const ls_vocab_layer ls_vocab_layers[];

/* The arguments every Keras layer class takes besides its own (NULL-terminated). */
extern const char *const ls_vocab_common_args[];

/* The layer spelled s (n bytes) in a lesson: letters and digits compared case-
 * insensitively, '_' ignored ("global_average_pooling_2d"), aliases included. *spelling
 * gets the name as the table writes it (an alias when one matched). NULL when unknown. */
const ls_vocab_layer *ls_vocab_layer_find(const char *s, size_t n, const char **spelling);

/* One name per layer class (type, and kind of dropout), in table order (Input, Dense, Conv2D, ...): the list a lesson's
 * messages offer. Fills out (max entries, NULL-terminated when room is left) and returns
 * how many it wrote. */
int ls_vocab_layer_words(const char **out, int max);

/* The layer class (never the Input function) of type t, or NULL; for NN_DROPOUT, Dropout. */
const ls_vocab_layer *ls_vocab_layer_of_type(nn_layer_type t);

/* Optimizers, indexed by nn_opt_kind. */
typedef struct {
    const char *name;               /* "rmsprop": the lesson's word and Keras's string */
    const char *keras;              /* "RMSprop" */
    const char *const *args;        /* Keras's arguments in Keras's order */
    int n_pos;
    const char *const *lesson_args; /* what a lesson accepts, in its messages' order */
    int lesson_pos;                 /* how many of lesson_args a lesson takes positionally */
} ls_vocab_optimizer;

#define LS_VOCAB_OPTIMIZERS 5
extern const ls_vocab_optimizer ls_vocab_optimizers[LS_VOCAB_OPTIMIZERS];

/* Losses, in the order the importer numbers them. A lesson knows the ones marked
 * lesson; categorical_crossentropy imports as sparse categorical over one-hot labels. */
typedef struct {
    const char *name;               /* "binary_crossentropy" */
    const char *keras;              /* "BinaryCrossentropy" */
    nn_loss_kind kind;
    bool one_hot;                   /* labels arrive one-hot */
    bool lesson;                    /* a lesson can name it */
    const char *const *args;        /* the class's arguments in Keras's order */
    int n_pos;
} ls_vocab_loss;

#define LS_VOCAB_LOSSES 3
extern const ls_vocab_loss ls_vocab_losses[LS_VOCAB_LOSSES];

/* Activations in nn_act order, then "none" (a lesson's word for linear), NULL-terminated.
 * relu6 is Keras 3's name (tf.keras 2.x has it only as ReLU(max_value=6)). */
#define LS_VOCAB_ACTIVATIONS 6
extern const char *const ls_vocab_activations[LS_VOCAB_ACTIVATIONS + 2];

#endif
