/*
 * sweep.c: the bound's terms over a grid of sequence lengths T or of
 * spectral abscissas s_A, in one call.
 *
 * Symbols: T sequence length, s_A = max A[j,n], B_A = max |A[j,n]|.
 * Shifting every entry of A by the same amount moves s_A by that amount and
 * leaves the other parameters alone, which is how the authors set the
 * starting s_A of their experiments.
 */
#include "internal.h"

ssm_status ssm_sweep_bound(const ssm_bound_input *base, double A_min, int32_t axis,
                           const double *values, int32_t count,
                           ssm_bound_terms *terms, ssm_fault *fault) {
    ssm_set_fault(fault, SSM_AT_NONE, -1, -1);
    ssm_status status = ssm_check_bound_input(base);
    if (status != SSM_OK) {
        return status;
    }
    if ((axis != SSM_SWEEP_T && axis != SSM_SWEEP_S_A) || count < 0 || !values || !terms ||
        !isfinite(A_min) || A_min > base->s_A) {
        return SSM_ERR_ARGUMENT;
    }

    /* The Rademacher sum depends on m only, which no axis changes. */
    const double E_abs = ssm_expected_abs_rademacher_sum(base->m);
    for (int32_t i = 0; i < count; i++) {
        ssm_bound_input point = *base;
        const double value = values[i];
        if (axis == SSM_SWEEP_T) {
            point.T = value;
        } else if (isfinite(value)) {
            const double shift = value - base->s_A;
            const double lowest = fabs(A_min + shift);
            point.s_A = value;
            point.B_A = lowest > fabs(value) ? lowest : fabs(value);
        } else {
            point.s_A = NAN;
        }

        status = ssm_check_bound_input(&point);
        if (status == SSM_OK) {
            status = ssm_bound_terms_with(&point, E_abs, &terms[i]);
        }
        if (status != SSM_OK) {
            ssm_set_fault(fault, SSM_AT_SWEEP, -1, i);
            return status;
        }
    }
    return SSM_OK;
}
