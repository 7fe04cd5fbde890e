/* EfficientNetB0 without top (keras/src/applications/efficientnet.py): not in this
 * build yet. */
#include "bases.h"
#include "internal.h"

int nn_base_efficientnet_b0(nn_model *m, int input, const nn_base_opts *o)
{
    (void)input;
    (void)o;
    return nn_model_fail(m, "efficientnet_b0: not available in this build of dropscope yet");
}
