/*
 * train.c: libFuzzer harness for the training kernels (ssm_token_logits,
 * ssm_token_backward and their plain twins, and ssm_batch_loss).
 * The input's first bytes choose the sizes, the sequence lengths and the
 * tokens. Zero lengths and out-of-range tokens occur and must be rejected.
 * The rest are raw float32 bits widened to the float64 parameters, so NaN,
 * Infinity, subnormals and huge values all occur. A kernel may reject its
 * input, but success must return only finite numbers. The twins must agree
 * on the status except at the edge of overflow, and on the values where
 * both succeed.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssm_lens.h"
#include "reader.h"

static double next_value(reader *r) {
    return (double)next_float(r);
}

static void require_finite(const double *values, size_t count) {
    for (size_t i = 0; i < count; i++) {
        if (!isfinite(values[i])) FAIL(); /* success must never return NaN or Infinity */
    }
}

/* Twins sum the same terms in another order, so values agree to rounding
 * relative to the larger of the two (the terms may cancel). */
static void require_close(const double *a, const double *b, size_t count, double scale) {
    for (size_t i = 0; i < count; i++) {
        if (fabs(a[i] - b[i]) > 1e-9 * fmax(scale, fmax(fabs(a[i]), fabs(b[i])))) FAIL();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    reader r = {data, size, 0};
    const int32_t V = 1 + next_byte(&r) % 5, d = 1 + next_byte(&r) % 5;
    const int32_t N = 1 + next_byte(&r) % 5, K = 1 + next_byte(&r) % 3;
    const int32_t count = 1 + next_byte(&r) % 4;

    int32_t offsets[5] = {0};
    for (int32_t i = 0; i < count; i++) offsets[i + 1] = offsets[i] + next_byte(&r) % 24;
    const int32_t total = offsets[count];
    int32_t *tokens = malloc(sizeof(int32_t) * (size_t)(total + 1));
    for (int32_t t = 0; t < total; t++) tokens[t] = (int32_t)(next_byte(&r) % (V + 1));

    const int64_t P = ssm_token_param_count(V, d, N, K);
    if (P <= 0) FAIL();
    double *params = malloc(sizeof(double) * (size_t)P);
    for (int64_t i = 0; i < P; i++) params[i] = next_value(&r);
    double dlogits[12];
    for (int32_t i = 0; i < count * K; i++) dlogits[i] = next_value(&r);

    double logits[12], logits_plain[12];
    double *grad = malloc(sizeof(double) * (size_t)P), *grad_plain = malloc(sizeof(double) * (size_t)P);
    ssm_fault fault;
    const ssm_status forward = ssm_token_logits(params, V, d, N, K, tokens, offsets, count, logits, &fault);
    const ssm_status forward_plain = ssm_token_logits_plain(params, V, d, N, K, tokens, offsets, count, logits_plain, &fault);
    const ssm_status backward = ssm_token_backward(params, V, d, N, K, tokens, offsets, count, dlogits, grad, &fault);
    const ssm_status backward_plain = ssm_token_backward_plain(params, V, d, N, K, tokens, offsets, count, dlogits, grad_plain, &fault);

    if (forward == SSM_OK) require_finite(logits, (size_t)(count * K));
    if (forward_plain == SSM_OK) require_finite(logits_plain, (size_t)(count * K));
    if (backward == SSM_OK) require_finite(grad, (size_t)P);
    if (backward_plain == SSM_OK) require_finite(grad_plain, (size_t)P);

    /* Statuses agree, except that overflow may be met by one twin only at its edge. */
    const int edge = forward == SSM_ERR_OVERFLOW || forward_plain == SSM_ERR_OVERFLOW ||
                     backward == SSM_ERR_OVERFLOW || backward_plain == SSM_ERR_OVERFLOW;
    if (!edge && (forward != forward_plain || backward != backward_plain || forward != backward)) FAIL();

    /* The loss of successful logits, with labels that may be out of range. */
    if (forward == SSM_OK) {
        int32_t labels[4];
        for (int32_t i = 0; i < count; i++) labels[i] = (int32_t)(next_byte(&r) % (K + 2));
        double loss, dz[12];
        int32_t correct;
        const double min_std = (next_byte(&r) % 5) * 0.05, factor = next_byte(&r) % 20;
        const ssm_status status = ssm_batch_loss(logits, labels, count, K, min_std, factor, &loss, &correct, dz, &fault);
        if (status == SSM_OK) {
            require_finite(&loss, 1);
            require_finite(dz, (size_t)(count * K));
            if (correct < 0 || correct > count) FAIL();
        } else if (status != SSM_ERR_ARGUMENT) {
            FAIL(); /* finite logits can only be rejected for their labels */
        }
    }

    /* Values agree where both succeed and stay well inside the float64 range. */
    double largest = 0;
    for (int64_t i = 0; i < P; i++) largest = fmax(largest, fabs(params[i]));
    if (forward == SSM_OK && forward_plain == SSM_OK && largest < 4) {
        double scale = 0;
        for (int32_t i = 0; i < count * K; i++) scale = fmax(scale, fabs(logits_plain[i]));
        require_close(logits, logits_plain, (size_t)(count * K), 1e-12 * scale);
    }

    free(tokens);
    free(params);
    free(grad);
    free(grad_plain);
    return 0;
}
