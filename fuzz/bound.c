/*
 * bound.c: libFuzzer harness for the bound's terms and sweeps. The input is
 * read as raw float64 bits for every field of ssm_bound_input and a few
 * sweep values. Accepted inputs must give terms that are finite, or
 * +Infinity with a finite base-10 logarithm; NaN is allowed only where the
 * contract says so (gap_bound when undefined, the paper's lower bound for
 * s_A <= -1).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "ssm_lens.h"

/* Stops on a broken contract, saying which line found it. */
#define FAIL() (fprintf(stderr, "contract broken at %s:%d\n", __FILE__, __LINE__), abort())

static double next_double(const uint8_t *data, size_t size, size_t *at) {
    uint64_t bits = 0;
    for (int i = 0; i < 8; i++) bits = bits << 8 | (*at < size ? data[(*at)++] : 0);
    double value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

static void check_value(double value, double log10_value) {
    if (isnan(value) || isnan(log10_value)) FAIL();
    if (isinf(value) && !isfinite(log10_value)) FAIL();
}

static void check_terms(const ssm_bound_input *input, const ssm_bound_terms *t) {
    if (!isfinite(t->delta_min) || !isfinite(t->M_delta)) FAIL();
    check_value(t->rho_A, t->log10_rho_A);
    check_value(t->S1, t->log10_S1);
    check_value(t->S2, t->log10_S2);
    if (isnan(t->C_F) || isnan(t->log10_C_F) || (isinf(t->C_F) && !isfinite(t->log10_C_F))) FAIL();
    if (isnan(t->C_F_linear_attention)) FAIL();
    if (!(t->vacuous == 0 || t->vacuous == 1)) FAIL();
    if (!isnan(t->gap_bound) && !isfinite(t->gap_bound)) FAIL();
    if (isnan(t->lower_bound) && !isnan(input->s_A)) FAIL();
    if (isnan(t->lower_bound_paper) && input->s_A > -1 && isfinite(input->B_w) && input->B_w > 0) FAIL();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    size_t at = 0;
    double fields[16];
    for (int i = 0; i < 16; i++) fields[i] = next_double(data, size, &at);
    ssm_bound_input input;
    memcpy(&input, fields, sizeof input);

    ssm_bound_terms terms;
    if (ssm_compute_bound(&input, &terms) == SSM_OK) check_terms(&input, &terms);

    double values[4];
    for (int i = 0; i < 4; i++) values[i] = next_double(data, size, &at);
    ssm_bound_terms swept[4];
    const double A_min = next_double(data, size, &at);
    for (int32_t axis = 0; axis < 2; axis++) {
        if (ssm_sweep_bound(&input, A_min, axis, values, 4, swept, NULL) == SSM_OK) {
            for (int i = 0; i < 4; i++) {
                /* Each point is checked against its own input. */
                ssm_bound_input point = input;
                if (axis == SSM_SWEEP_T) {
                    point.T = values[i];
                } else {
                    point.s_A = values[i];
                }
                check_terms(&point, &swept[i]);
            }
        }
    }

    double S1, log10_S1, S2, log10_S2;
    if (ssm_length_sums(fields[0], fabs(floor(fields[1])), &S1, &log10_S1, &S2, &log10_S2) == SSM_OK) {
        if (isnan(S1) || isnan(S2) || isnan(log10_S1) || isnan(log10_S2)) FAIL();
    }
    const double m = floor(fabs(fields[2]));
    if (m >= 1 && m <= 1e15 && !(ssm_expected_abs_rademacher_sum(m) >= 1)) FAIL();
    return 0;
}
