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

#include "internal.h"

/* Rows between two exact anchors in the SIMD kernel. Between anchors each
 * entry is carried forward by one float32 multiply per row, so its
 * relative error grows by about 2^-24 per row: 32 rows keep it near 2e-6. */
#define ANCHOR_ROWS 32

/* The lanes of one view, carved from a single allocation. */
typedef struct lanes {
    int32_t M;
    double *Q;      /* T×M */
    double *K;      /* T×M */
    double *rate;   /* M */
    double *Lambda; /* T, the running sum of delta */
} lanes;

static void *build_lanes(const ssm_model *model, const float *u, int32_t T,
                         int32_t view, int32_t k, lanes *out) {
    const int32_t d = model->d, N = model->N;
    const int32_t M = view >= 0 ? N : d * N;
    const size_t rows = (size_t)T;
    double *block = malloc(sizeof(double) * (2 * rows * M + M + rows + 2 * N));
    if (!block) {
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

typedef ssm_status (*attention_kernel)(const lanes *lanes, int32_t T,
                                       float *alpha, ssm_fault *fault);

/* Every entry directly in float64: O(T^2 M) exponentials. */
static ssm_status attention_kernel_plain(const lanes *lanes, int32_t T,
                                         float *alpha, ssm_fault *fault) {
    const int32_t M = lanes->M;
    for (int32_t t = 0; t < T; t++) {
        float *row = alpha + (size_t)t * T;
        const double *Q_t = lanes->Q + (size_t)t * M;
        for (int32_t s = 0; s <= t; s++) {
            const double *K_s = lanes->K + (size_t)s * M;
            const double gap = lanes->Lambda[t] - lanes->Lambda[s];
            double sum = 0.0;
            for (int32_t m = 0; m < M; m++) {
                sum += Q_t[m] * K_s[m] * exp(lanes->rate[m] * gap);
            }
            if (!ssm_fits_float(sum)) {
                ssm_set_fault(fault, t, s);
                return SSM_ERR_OVERFLOW;
            }
            row[s] = (float)sum;
        }
        memset(row + t + 1, 0, sizeof(float) * (size_t)(T - 1 - t));
    }
    return SSM_OK;
}

#if SSM_HAVE_SIMD
/*
 * Row by row with a carried key: H[m][s] = K[s,m] exp(rate[m] (L[t]-L[s]))
 * (lane-major, so the loops over s are contiguous). Going from row t-1 to
 * row t multiplies H[m][0..t-1] by exp(rate[m] delta[t]) and appends
 * H[m][t] = K[t,m]; then row t is sum_m Q[t,m] H[m][0..t]. That costs M
 * exponentials per row instead of M per entry. Every ANCHOR_ROWS rows H is
 * recomputed from its float64 definition so rounding cannot build up.
 */
static ssm_status attention_kernel_simd(const lanes *lanes, int32_t T,
                                        float *alpha, ssm_fault *fault) {
    const int32_t M = lanes->M;
    float *H = malloc(sizeof(float) * (size_t)M * (size_t)T);
    if (!H) {
        return SSM_ERR_ALLOC;
    }

    for (int32_t t = 0; t < T; t++) {
        float *row = alpha + (size_t)t * T;
        memset(row, 0, sizeof(float) * (size_t)T);
        const double *Q_t = lanes->Q + (size_t)t * M;
        const int anchor = t % ANCHOR_ROWS == 0;
        const int32_t t4 = t & ~3;

        for (int32_t m = 0; m < M; m++) {
            float *H_m = H + (size_t)m * T;
            const double rate = lanes->rate[m];

            if (anchor) {
                for (int32_t s = 0; s < t; s++) {
                    const double v = lanes->K[(size_t)s * M + m] *
                                     exp(rate * (lanes->Lambda[t] - lanes->Lambda[s]));
                    if (!ssm_fits_float(v)) {
                        free(H);
                        ssm_set_fault(fault, t, s);
                        return SSM_ERR_OVERFLOW;
                    }
                    H_m[s] = (float)v;
                }
            } else {
                const double step = exp(rate * (lanes->Lambda[t] - lanes->Lambda[t - 1]));
                const v128_t decay = wasm_f32x4_splat((float)step);
                int32_t s = 0;
                for (; s < t4; s += 4) {
                    wasm_v128_store(H_m + s, wasm_f32x4_mul(wasm_v128_load(H_m + s), decay));
                }
                for (; s < t; s++) {
                    H_m[s] *= (float)step;
                }
            }
            H_m[t] = (float)lanes->K[(size_t)t * M + m];

            /* Accumulate this lane's contribution to row t. */
            const float q = (float)Q_t[m];
            const v128_t q4 = wasm_f32x4_splat(q);
            int32_t s = 0;
            for (; s < t4; s += 4) {
                const v128_t acc = wasm_v128_load(row + s);
                wasm_v128_store(row + s, wasm_f32x4_add(acc, wasm_f32x4_mul(q4, wasm_v128_load(H_m + s))));
            }
            for (; s <= t; s++) {
                row[s] += q * H_m[s];
            }
        }

        /* An entry of H that overflowed float32 between anchors shows up
         * here as Infinity or NaN in the row. */
        for (int32_t s = 0; s <= t; s++) {
            if (!isfinite(row[s])) {
                free(H);
                ssm_set_fault(fault, t, s);
                return SSM_ERR_OVERFLOW;
            }
        }
    }
    free(H);
    return SSM_OK;
}
#else
#define attention_kernel_simd attention_kernel_plain
#endif

static ssm_status run_attention(const ssm_model *model, const float *u,
                                int32_t T, int32_t view, int32_t k,
                                float *alpha, ssm_fault *fault,
                                attention_kernel kernel) {
    ssm_status status = ssm_check_input(model, u, T, fault);
    if (status != SSM_OK) {
        return status;
    }
    if (!alpha) {
        return SSM_ERR_ARGUMENT;
    }
    const int valid_view = (view >= 0 && view < model->d) || view == SSM_VIEW_MEAN ||
                           (view == SSM_VIEW_LOGIT && k >= 0 && k < model->K);
    if (!valid_view) {
        ssm_set_fault(fault, -1, view);
        return SSM_ERR_ARGUMENT;
    }

    lanes lanes;
    void *block = build_lanes(model, u, T, view, k, &lanes);
    if (!block) {
        return SSM_ERR_ALLOC;
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
