/* A base architecture written down as Keras's code creates it, then added to a model in
 * the order Keras's functional Model lists its layers (model.layers, and the
 * layer_names of a saved .h5): by depth from the output, deepest first, ties broken by
 * the order a depth-first walk from the output (inputs in order) first meets them
 * (keras.engine.functional._map_graph_network). Unnamed layers get Keras's automatic
 * names in creation order, continuing from the names already in the model.
 * Never includes SDL. */
#ifndef NN_GRAPH_H
#define NN_GRAPH_H

#include "model.h"

#define NN_GRAPH_MAX_IN 4

typedef struct {
    nn_layer_cfg cfg;
    char name[NN_NAME_MAX];
    int n_in;
    int in[NN_GRAPH_MAX_IN]; /* node indices; -1 = the model's input layer */
} nn_gnode;

typedef struct {
    nn_gnode *nodes;
    int n, cap;
    int counter[NN_LAYER_TYPE_COUNT]; /* next automatic-name number per layer type */
    bool oom;
} nn_graph;

/* An empty graph whose automatic names continue from m's layers. */
void nn_graph_init(nn_graph *g, const nn_model *m);
void nn_graph_free(nn_graph *g);
/* Adds a node made from c (name NULL: automatic) fed by in[0..n_in); returns its index
 * (-1 = out of memory, remembered in g->oom). Names are copied. */
int nn_graph_add(nn_graph *g, const nn_layer_cfg *c, const char *name, const int *in, int n_in);
int nn_graph_add1(nn_graph *g, const nn_layer_cfg *c, const char *name, int in);
/* Adds the nodes `out` depends on to m in Keras's order, input -1 being layer `input`;
 * returns out's layer index, or -1 with the model's error set. */
int nn_graph_emit(nn_model *m, const nn_graph *g, int input, int out);

/* Keras's include_top=False tail: pooling "avg" (GlobalAveragePooling2D) or "max"
 * (GlobalMaxPooling2D), named as the base names them (NULL: automatic), or none
 * (NULL or ""). Returns the new last node, or x. */
int nn_graph_pooling(nn_graph *g, int x, const char *pooling, const char *avg_name, const char *max_name);

/* Node helpers: Conv2D (k x k, stride), BatchNormalization, Activation, ZeroPadding2D,
 * pooling of type t (k x k), a two-input merge of type t (Add, Multiply). */
int nn_graph_conv(nn_graph *g, int x, int filters, int k, int stride, nn_padding pad, bool bias, nn_act act,
                  const char *name);
int nn_graph_bn(nn_graph *g, int x, float eps, float momentum, const char *name);
int nn_graph_act(nn_graph *g, int x, nn_act act, const char *name);
int nn_graph_pad(nn_graph *g, int x, int top, int bottom, int left, int right, const char *name);
int nn_graph_pool(nn_graph *g, int x, nn_layer_type t, int k, int stride, nn_padding pad, const char *name);
int nn_graph_add2(nn_graph *g, nn_layer_type t, int a, int b, const char *name);

/* 0 when layer input is (H, W, 3) with H, W >= min_size; else -1 naming base. */
int nn_base_check_input(nn_model *m, int input, const char *base, int min_size);

#endif
