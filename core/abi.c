/*
 * abi.c: sizes of the public structs, so that the JavaScript binding can
 * check at load time that its byte offsets match this build.
 */
#include "internal.h"
#include "vexp.h"

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

/* Writes y[i] = exp(x[i]) for i < count with the kernels' vector exp, so
 * that tests can compare it with another implementation. */
void ssm_exp_vector(const double *x, double *y, int32_t count) {
    int32_t i = 0;
#if SSM_HAVE_SIMD
    for (; i + 2 <= count; i += 2) {
        wasm_v128_store(y + i, ssm_exp_f64x2(wasm_v128_load(x + i)));
    }
#endif
    for (; i < count; i++) {
        y[i] = exp(x[i]);
    }
}
