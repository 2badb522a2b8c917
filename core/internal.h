/*
 * internal.h: helpers shared by the core's translation units; not part of
 * the public contract.
 */
#ifndef SSM_LENS_INTERNAL_H
#define SSM_LENS_INTERNAL_H

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "ssm_lens.h"

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#define SSM_HAVE_SIMD 1
#elif defined(SSM_LENS_SIMDE)
/* Native builds (sanitizers, fuzzers, native comparisons) run the same
 * SIMD source through SIMDe's portable wasm intrinsics. */
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/wasm/simd128.h>
#define SSM_HAVE_SIMD 1
#else
#define SSM_HAVE_SIMD 0
#endif

static inline void ssm_set_fault(ssm_fault *fault, ssm_fault_kind what, int32_t step,
                                 int32_t index) {
    if (fault) {
        fault->what = what;
        fault->step = step;
        fault->index = index;
    }
}

/* softplus(x) = ln(1 + e^x) without overflow for large x. */
static inline double ssm_softplus(double x) {
    return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

/* True when v can be stored as a finite float32. NaN fails as well. */
static inline int ssm_fits_float(double v) {
    return fabs(v) <= (double)FLT_MAX;
}

/* Step size, B[t] and C[t] of one input row u_t (d values), in float64:
 * delta = softplus(p + q·u_t), B = W_B u_t, C = W_C u_t (N values each). */
static inline double ssm_project_step(const ssm_model *model, const float *u_t,
                                      double *B_t, double *C_t) {
    const int32_t d = model->d;
    const int32_t N = model->N;
    double pre = (double)model->p;
    for (int32_t j = 0; j < d; j++) {
        pre += (double)model->q[j] * (double)u_t[j];
    }
    for (int32_t n = 0; n < N; n++) {
        const float *wb = model->W_B + (size_t)n * d;
        const float *wc = model->W_C + (size_t)n * d;
        double b = 0.0, c = 0.0;
        for (int32_t j = 0; j < d; j++) {
            b += (double)wb[j] * (double)u_t[j];
            c += (double)wc[j] * (double)u_t[j];
        }
        B_t[n] = b;
        C_t[n] = c;
    }
    return ssm_softplus(pre);
}

/* Checks T and that u (T×d) is finite. */
ssm_status ssm_check_input(const ssm_model *model, const float *u, int32_t T,
                           ssm_fault *fault);

/* Checks every field of a bound input against its range. */
ssm_status ssm_check_bound_input(const ssm_bound_input *input);

/* The bound's terms for a checked input, with E|sigma_1 + ... + sigma_m|
 * given, so that a sweep computes it once. */
ssm_status ssm_bound_terms_with(const ssm_bound_input *input, double E_abs,
                                ssm_bound_terms *terms);

#endif /* SSM_LENS_INTERNAL_H */
