/* Expressions of the Python subset (expr.c), for the statements (eval.c). Each reads
 * at the cursor (p->pos) and returns a value in the parser's arena; failures unwind
 * with ki_fail. Private to the importer. */
#ifndef LS_KERAS_EXPR_H
#define LS_KERAS_EXPR_H

#include <stdbool.h>

#include "keras/runtime.h"

/* One expression (not a bare tuple); conditional expressions and := fail. */
kval *ki_test(kparser *p);
/* Expressions separated by commas: a tuple when there is a comma (*had_comma). */
kval *ki_testlist(kparser *p, bool *had_comma);
/* Runs a function the script defined (eval.c) with the call's arguments; its value. */
kval *ki_call_def(kparser *p, const kval *f, const kargs *a, int line, int col);
/* A name, a literal, or a bracketed expression. */
kval *ki_atom(kparser *p);
/* An atom and its trailers (.name, (arguments), [index]). stop < 0: as many trailers as
 * follow; else exactly the tokens before index stop, all of them trailers. */
kval *ki_primary(kparser *p, int stop);
/* Python's truth of v; *known is false when dropscope cannot know it (data, results). */
bool ki_truth(kparser *p, const kval *v, bool *known);
/* a op b, for an augmented assignment (op: '+', '-', KO_POW, ...); at: for messages. */
kval *ki_binop(kparser *p, int op, kval *a, kval *b, const ktok *at);

#endif
