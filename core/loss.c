/*
 * loss.c: the training loss of one batch and its gradient with respect to
 * the logits, in float64. It is in C, not JavaScript, because Math.exp and
 * Math.log round some arguments differently in different JavaScript engines,
 * while this module computes the same bits everywhere, so training repeats
 * exactly in Node and in browsers.
 *
 * Symbols: count rows of K logits each, labels in 0..K-1 (0..1 for K = 1).
 *   K = 1: mean binary cross-entropy with logits, softplus(z) - y z
 *   K > 1: mean cross-entropy, logsumexp(z) - z_y
 * plus factor · max(0, min_std - s), s the sample standard deviation of
 * sigmoid(z) over all count·K logits (the penalty on a collapsed spread).
 */
#include <stdlib.h>

#include "internal.h"

static double sigmoid(double z) {
    if (z >= 0) {
        return 1.0 / (1.0 + exp(-z));
    }
    const double e = exp(z);
    return e / (1.0 + e);
}

ssm_status ssm_batch_loss(const double *logits, const int32_t *labels, int32_t count,
                          int32_t K, double min_std, double factor, double *loss,
                          int32_t *correct, double *dlogits, ssm_fault *fault) {
    ssm_set_fault(fault, SSM_AT_NONE, -1, -1);
    if (count < 1 || K < 1 || K > SSM_MAX_K) {
        ssm_set_fault(fault, SSM_AT_SIZE, -1, count < 1 ? 3 : 2);
        return SSM_ERR_SHAPE;
    }
    if (!logits || !labels || !loss || !correct || !dlogits || !(min_std >= 0) ||
        !(factor >= 0) || !isfinite(min_std) || !isfinite(factor)) {
        return SSM_ERR_ARGUMENT;
    }
    const int32_t top_label = K == 1 ? 1 : K - 1;
    const size_t n = (size_t)count * (size_t)K;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(logits[i])) {
            ssm_set_fault(fault, SSM_AT_LOGITS, (int32_t)(i / (size_t)K), (int32_t)(i % (size_t)K));
            return SSM_ERR_NONFINITE;
        }
    }
    for (int32_t i = 0; i < count; i++) {
        if (labels[i] < 0 || labels[i] > top_label) {
            ssm_set_fault(fault, SSM_AT_OPTION, i, labels[i]);
            return SSM_ERR_ARGUMENT;
        }
    }

    double total = 0.0;
    int32_t hits = 0;
    for (int32_t i = 0; i < count; i++) {
        const double *row = logits + (size_t)i * K;
        double *d_row = dlogits + (size_t)i * K;
        const int32_t y = labels[i];
        if (K == 1) {
            /* softplus(z) - y z, written to stay finite for large |z|. */
            const double z = row[0];
            total += fmax(z, 0.0) - y * z + log1p(exp(-fabs(z)));
            d_row[0] = (sigmoid(z) - y) / count;
            hits += (z > 0 ? 1 : 0) == y;
            continue;
        }

        /* The largest logit is subtracted so that no exp overflows. */
        int32_t arg_max = 0;
        for (int32_t k = 1; k < K; k++) {
            if (row[k] > row[arg_max]) arg_max = k;
        }
        double sum = 0.0;
        for (int32_t k = 0; k < K; k++) {
            sum += exp(row[k] - row[arg_max]);
        }
        total += log(sum) + row[arg_max] - row[y];
        for (int32_t k = 0; k < K; k++) {
            d_row[k] = (exp(row[k] - row[arg_max]) / sum - (k == y ? 1.0 : 0.0)) / count;
        }
        hits += arg_max == y;
    }
    total /= count;

    /* The spread penalty needs two values for a sample standard deviation. */
    if (factor > 0 && n >= 2) {
        double mean = 0.0;
        for (size_t i = 0; i < n; i++) mean += sigmoid(logits[i]);
        mean /= (double)n;
        double squares = 0.0;
        for (size_t i = 0; i < n; i++) {
            const double deviation = sigmoid(logits[i]) - mean;
            squares += deviation * deviation;
        }
        const double std = sqrt(squares / (double)(n - 1));
        if (min_std - std > 0) {
            total += factor * (min_std - std);
            if (std > 0) {
                for (size_t i = 0; i < n; i++) {
                    const double s = sigmoid(logits[i]);
                    dlogits[i] -= factor * (s - mean) / ((double)(n - 1) * std) * s * (1 - s);
                }
            }
        }
    }
    *loss = total;
    *correct = hits;
    return SSM_OK;
}
