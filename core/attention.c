/*
 * attention.c: the selective SSM block as a causal attention matrix.
 *
 * Symbols: T steps, d channels, N states, K readout rows, M lanes.
 * Unrolling the scan (every exp(delta A_j) is diagonal, so they commute):
 *   y_j[t] = sum_{s<=t} alpha_j[t,s] u_j[s]
 *   alpha_j[t,s] = delta[s] sum_n C[t]_n exp(A[j,n] (L[t]-L[s])) B[s]_n
 *   L[t] = delta[0] + ... + delta[t]
 * C[t] plays the query, B[s] the key, u[s] the value, and the decay is an
 * input-dependent causal mask.
 *
 * Every view is one form over M lanes, with a query Q (T×M), a key
 * K (T×M) and a rate per lane:
 *   alpha[t,s] = sum_m Q[t,m] K[s,m] exp(rate[m] (L[t]-L[s]))
 *   channel j: M = N,   Q = C[t]_n,           K = delta[s] B[s]_n,          rate = A[j,n]
 *   mean:      M = d N, Q = C[t]_n / d,       K = delta[s] B[s]_n,          rate = A[j,n]
 *   logit k:   M = d N, Q = W[k,j] C[t]_n,    K = delta[s] B[s]_n u_j[s],   rate = A[j,n]
 */
#include <stdlib.h>
#include <string.h>

#include "lanes.h"

/* Fills the lanes of a view; returns the allocation, or NULL with *status
 * set (SSM_ERR_ALLOC, or SSM_ERR_OVERFLOW for a step size beyond float32). */
static void *build_lanes(const ssm_model *model, const float *u, int32_t T,
                         int32_t view, int32_t k, lanes *out, ssm_status *status,
                         ssm_fault *fault) {
    const int32_t d = model->d, N = model->N;
    const int32_t M = view >= 0 ? N : d * N;
    const size_t rows = (size_t)T;
    double *block = malloc(sizeof(double) * (2 * rows * M + M + rows + 2 * N));
    if (!block) {
        *status = SSM_ERR_ALLOC;
        return NULL;
    }
    out->M = M;
    out->Q = block;
    out->K = out->Q + rows * M;
    out->rate = out->K + rows * M;
    out->Lambda = out->rate + M;
    double *B_t = out->Lambda + rows;
    double *C_t = B_t + N;

    if (view >= 0) {
        for (int32_t n = 0; n < N; n++) {
            out->rate[n] = (double)model->A[(size_t)view * N + n];
        }
    } else {
        for (int32_t m = 0; m < M; m++) {
            out->rate[m] = (double)model->A[m];
        }
    }

    double Lambda = 0.0;
    for (int32_t t = 0; t < T; t++) {
        const float *u_t = u + (size_t)t * d;
        const double delta_t = ssm_project_step(model, u_t, B_t, C_t);
        if (!ssm_fits_float(delta_t)) {
            free(block);
            ssm_set_fault(fault, SSM_AT_DELTA, t, -1);
            *status = SSM_ERR_OVERFLOW;
            return NULL;
        }
        Lambda += delta_t;
        out->Lambda[t] = Lambda;
        double *Q_t = out->Q + (size_t)t * M;
        double *K_t = out->K + (size_t)t * M;

        if (view >= 0) {
            for (int32_t n = 0; n < N; n++) {
                Q_t[n] = C_t[n];
                K_t[n] = delta_t * B_t[n];
            }
            continue;
        }
        for (int32_t j = 0; j < d; j++) {
            const double weight = view == SSM_VIEW_MEAN
                                      ? 1.0 / d
                                      : (double)model->W[(size_t)k * d + j];
            const double value = view == SSM_VIEW_MEAN ? 1.0 : (double)u_t[j];
            for (int32_t n = 0; n < N; n++) {
                Q_t[j * N + n] = weight * C_t[n];
                K_t[j * N + n] = delta_t * B_t[n] * value;
            }
        }
    }
    return block;
}

void *ssm_prepare_lanes(const ssm_model *model, const float *u, int32_t T,
                        int32_t view, int32_t k, lanes *out, ssm_status *status,
                        ssm_fault *fault) {
    *status = ssm_check_input(model, u, T, fault);
    if (*status != SSM_OK) {
        return NULL;
    }
    const int valid_view = (view >= 0 && view < model->d) || view == SSM_VIEW_MEAN ||
                           (view == SSM_VIEW_LOGIT && k >= 0 && k < model->K);
    if (!valid_view) {
        ssm_set_fault(fault, SSM_AT_OPTION, -1, view);
        *status = SSM_ERR_ARGUMENT;
        return NULL;
    }
    *status = SSM_OK;
    return build_lanes(model, u, T, view, k, out, status, fault);
}

ssm_status ssm_rows_plain(const lanes *lanes, int32_t t0, int32_t count,
                          float *rows, size_t stride, ssm_fault *fault) {
    const int32_t M = lanes->M;
    for (int32_t i = 0; i < count; i++) {
        const int32_t t = t0 + i;
        float *row = rows + (size_t)i * stride;
        const double *Q_t = lanes->Q + (size_t)t * M;
        for (int32_t s = 0; s <= t; s++) {
            const double *K_s = lanes->K + (size_t)s * M;
            const double gap = lanes->Lambda[t] - lanes->Lambda[s];
            double sum = 0.0;
            for (int32_t m = 0; m < M; m++) {
                sum += Q_t[m] * K_s[m] * exp(lanes->rate[m] * gap);
            }
            if (!ssm_fits_float(sum)) {
                ssm_set_fault(fault, SSM_AT_ALPHA, t, s);
                return SSM_ERR_OVERFLOW;
            }
            row[s] = (float)sum;
        }
    }
    return SSM_OK;
}

typedef ssm_status (*attention_kernel)(const lanes *lanes, int32_t T,
                                       float *alpha, ssm_fault *fault);

/* Every entry directly in float64: O(T^2 M) exponentials. */
static ssm_status attention_kernel_plain(const lanes *lanes, int32_t T,
                                         float *alpha, ssm_fault *fault) {
    memset(alpha, 0, sizeof(float) * (size_t)T * (size_t)T);
    return ssm_rows_plain(lanes, 0, T, alpha, (size_t)T, fault);
}

#if SSM_HAVE_SIMD
/* Blocks of rows from the SIMD engine, written in place. */
static ssm_status attention_kernel_simd(const lanes *lanes, int32_t T,
                                        float *alpha, ssm_fault *fault) {
    block_engine engine;
    void *block = ssm_engine_init(&engine, lanes, T);
    if (!block) {
        return SSM_ERR_ALLOC;
    }
    ssm_status status = SSM_OK;
    for (int32_t t0 = 0; t0 < T && status == SSM_OK; t0 += SSM_BLOCK_ROWS) {
        const int32_t count = T - t0 < SSM_BLOCK_ROWS ? T - t0 : SSM_BLOCK_ROWS;
        float *rows = alpha + (size_t)t0 * T;
        int32_t first;
        status = ssm_engine_advance(&engine, t0, count, 1, fault);
        if (status == SSM_OK) {
            status = ssm_engine_rows(&engine, rows, (size_t)T, &first, fault);
        }
        /* Zero everything right of the diagonal block. */
        for (int32_t i = 0; i < count && status == SSM_OK; i++) {
            memset(rows + (size_t)i * T + t0 + count, 0, sizeof(float) * (size_t)(T - t0 - count));
        }
    }
    free(block);
    return status;
}
#else
#define attention_kernel_simd attention_kernel_plain
#endif

static ssm_status run_attention(const ssm_model *model, const float *u,
                                int32_t T, int32_t view, int32_t k,
                                float *alpha, ssm_fault *fault,
                                attention_kernel kernel) {
    if (!alpha) {
        return SSM_ERR_ARGUMENT;
    }
    lanes lanes;
    ssm_status status;
    void *block = ssm_prepare_lanes(model, u, T, view, k, &lanes, &status, fault);
    if (!block) {
        return status;
    }
    status = kernel(&lanes, T, alpha, fault);
    free(block);
    return status;
}

ssm_status ssm_attention(const ssm_model *model, const float *u, int32_t T,
                         int32_t view, int32_t k, float *alpha,
                         ssm_fault *fault) {
    return run_attention(model, u, T, view, k, alpha, fault, attention_kernel_simd);
}

ssm_status ssm_attention_plain(const ssm_model *model, const float *u,
                               int32_t T, int32_t view, int32_t k,
                               float *alpha, ssm_fault *fault) {
    return run_attention(model, u, T, view, k, alpha, fault, attention_kernel_plain);
}
