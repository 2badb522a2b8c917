/*
 * abi.c: sizes of the public structs, so that the JavaScript binding can
 * check at load time that its byte offsets match this build.
 */
#include "ssm_lens.h"

/* Returns sizeof(ssm_model), sizeof(ssm_norms), sizeof(ssm_bound_input),
 * sizeof(ssm_bound_terms) and sizeof(ssm_fault) for which = 0..4, else -1. */
int32_t ssm_struct_size(int32_t which) {
    switch (which) {
    case 0: return (int32_t)sizeof(ssm_model);
    case 1: return (int32_t)sizeof(ssm_norms);
    case 2: return (int32_t)sizeof(ssm_bound_input);
    case 3: return (int32_t)sizeof(ssm_bound_terms);
    case 4: return (int32_t)sizeof(ssm_fault);
    default: return -1;
    }
}
