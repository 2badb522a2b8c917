/*
 * kernels.c: libFuzzer harness for every kernel of the core. The input's
 * first bytes choose the sizes, view, pooled size and mode; the rest are
 * raw float32 bits for the parameters and the input, so NaN, Infinity,
 * subnormals and huge values all occur. A kernel may reject its input,
 * but a kernel that reports success must return only finite numbers, and
 * the SIMD kernels must agree with their plain twins on the status except
 * at the edge of overflow.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "ssm_lens.h"
#include "reader.h"

static void fill(reader *r, float *values, size_t count) {
    for (size_t i = 0; i < count; i++) values[i] = next_float(r);
}

static void require_finite(const float *values, size_t count) {
    for (size_t i = 0; i < count; i++) {
        if (!isfinite(values[i])) FAIL(); /* success must never return NaN or Infinity */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    reader r = {data, size, 0};
    const int32_t d = 1 + next_byte(&r) % 6, N = 1 + next_byte(&r) % 6, K = 1 + next_byte(&r) % 3;
    const int32_t T = 1 + next_byte(&r) % 40;
    const int32_t view = (int32_t)(next_byte(&r) % (d + 3)) - 2;
    const int32_t P = 1 + next_byte(&r) % 45; /* may exceed T: must be rejected */
    const int32_t mode = next_byte(&r) % 3;   /* 2 is invalid */
    const int32_t k = next_byte(&r) % 4;      /* may exceed K - 1 */

    float *A = malloc(sizeof(float) * d * N), *W_B = malloc(sizeof(float) * N * d);
    float *W_C = malloc(sizeof(float) * N * d), *q = malloc(sizeof(float) * d);
    float *W = malloc(sizeof(float) * K * d), *u = malloc(sizeof(float) * T * d);
    fill(&r, A, d * N), fill(&r, W_B, N * d), fill(&r, W_C, N * d), fill(&r, q, d), fill(&r, W, K * d);
    const float p = next_float(&r);
    fill(&r, u, T * d);
    const ssm_model model = {d, N, K, A, W_B, W_C, q, p, W};

    float *delta = malloc(sizeof(float) * T), *y = malloc(sizeof(float) * T * d), *logits = malloc(sizeof(float) * K);
    float *alpha = malloc(sizeof(float) * T * T), *alpha_plain = malloc(sizeof(float) * T * T);
    float *pooled = malloc(sizeof(float) * P * P);
    ssm_fault fault;

    const ssm_status forward = ssm_forward(&model, u, T, delta, y, logits, &fault);
    if (forward == SSM_OK) require_finite(y, T * d), require_finite(logits, K), require_finite(delta, T);
    /* Summation order differs between the twins; with huge values that
     * cancel, one may overflow where the other does not, and only then may
     * their statuses differ. */
    const ssm_status forward_plain = ssm_forward_plain(&model, u, T, delta, y, logits, &fault);
    if (forward_plain != forward && forward != SSM_ERR_OVERFLOW && forward_plain != SSM_ERR_OVERFLOW) FAIL();

    const ssm_status fast = ssm_attention(&model, u, T, view, k, alpha, &fault);
    const ssm_status plain = ssm_attention_plain(&model, u, T, view, k, alpha_plain, &fault);
    if (fast == SSM_OK) require_finite(alpha, T * T);
    if (plain == SSM_OK) require_finite(alpha_plain, T * T);
    /* The SIMD kernel may detect an overflow that the float64 plain kernel
     * avoids, or the reverse, only near the float32 limit. */
    if ((fast == SSM_OK) != (plain == SSM_OK) && fast != SSM_ERR_OVERFLOW && plain != SSM_ERR_OVERFLOW) FAIL();

    const ssm_status pooled_status = ssm_attention_pooled(&model, u, T, view, k, P, mode, pooled, &fault);
    if (pooled_status == SSM_OK) require_finite(pooled, P * P);
    if ((P > T || mode > 1) && pooled_status == SSM_OK) FAIL();

    ssm_norms norms;
    if (ssm_compute_norms(&model, &norms) == SSM_OK) {
        const ssm_bound_input input = {norms.s_A, norms.B_A, norms.B_B, norms.B_C, norms.B_w, norms.B_q,
                                       norms.p, d, N, fabs((double)next_float(&r)), 1000, 0.05, 1, 1, T, 0};
        ssm_bound_terms terms;
        if (ssm_compute_bound(&input, &terms) == SSM_OK && isnan(terms.log10_C_F)) FAIL();
    }

    free(A), free(W_B), free(W_C), free(q), free(W), free(u);
    free(delta), free(y), free(logits), free(alpha), free(alpha_plain), free(pooled);
    return 0;
}
