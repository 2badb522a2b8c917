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
 * Blocks of BLOCK_ROWS rows with a reference point r = L[t0] at the first
 * row of each block. Since the decay factors commute,
 *   exp(rate (L[t] - L[s])) = exp(rate (L[t] - r)) exp(rate (r - L[s])),
 * so for columns s < t0 the block is a product over lanes of
 *   Q'[t,m] = Q[t,m] exp(rate[m] (L[t] - r))    (rows of the block)
 *   G[m][s] = K[s,m] exp(rate[m] (r - L[s]))     (every earlier column)
 * For a stable lane (rate <= 0) both factors are at most |Q| and |K|, so
 * nothing overflows; the product runs in float32 with SIMD multiply-adds.
 * G is carried in float64 from block to block (one multiply per block) and
 * rounded to float32 for the product. Inside the diagonal block, where
 * r - L[s] < 0 would make G grow, each key is carried from row to row
 * instead, at most BLOCK_ROWS float32 multiplies.
 */
#define BLOCK_ROWS 32

typedef struct block_engine {
    const lanes *lanes;
    int32_t T, M;
    int32_t t0;      /* first row of the last block computed */
    double *G;       /* M×T, lane-major, valid for s < t0 */
    float *G32;      /* M×T, G rounded to float32 */
    float *Q32;      /* BLOCK_ROWS×M, Q' of the current block */
    float *H;        /* M×BLOCK_ROWS, carried keys of the diagonal block */
} block_engine;

static void *engine_init(block_engine *engine, const lanes *lanes, int32_t T) {
    const size_t M = (size_t)lanes->M, columns = (size_t)T;
    /* Doubles first, so every array stays aligned for v128 loads. */
    char *block = malloc(sizeof(double) * M * columns +
                         sizeof(float) * (M * columns + 2 * BLOCK_ROWS * M) + 16);
    if (!block) {
        return NULL;
    }
    engine->lanes = lanes;
    engine->T = T;
    engine->M = lanes->M;
    engine->t0 = 0;
    engine->G = (double *)block;
    engine->G32 = (float *)(engine->G + M * columns);
    engine->Q32 = engine->G32 + M * columns;
    engine->H = engine->Q32 + BLOCK_ROWS * M;
    return block;
}

/* Rounds v to float32 and flushes values below FLT_MIN to 0, because
 * subnormal operands slow SIMD multiplies on common CPUs and their
 * contribution is below 1.2e-38 times the other factor. */
static inline float to_float_flushed(double v) {
    return fabs(v) < FLT_MIN ? 0.0f : (float)v;
}

/* Moves G to the reference of the block starting at t0 and appends the
 * columns of the previous block. Returns SSM_ERR_OVERFLOW when an entry
 * leaves the float32 range (only possible for rate > 0). */
static ssm_status engine_advance(block_engine *engine, int32_t t0, ssm_fault *fault) {
    const lanes *lanes = engine->lanes;
    const int32_t M = engine->M, T = engine->T, previous = engine->t0;
    const double r = lanes->Lambda[t0];
    const double r_previous = lanes->Lambda[previous];

    for (int32_t m = 0; m < M; m++) {
        double *G_m = engine->G + (size_t)m * T;
        float *G32_m = engine->G32 + (size_t)m * T;
        const double rate = lanes->rate[m];
        const double shift = exp(rate * (r - r_previous));
        for (int32_t s = 0; s < previous; s++) {
            G_m[s] *= shift;
        }
        for (int32_t s = previous; s < t0; s++) {
            G_m[s] = lanes->K[(size_t)s * M + m] * exp(rate * (r - lanes->Lambda[s]));
        }
        for (int32_t s = 0; s < t0; s++) {
            if (!ssm_fits_float(G_m[s])) {
                ssm_set_fault(fault, t0, s);
                return SSM_ERR_OVERFLOW;
            }
            G32_m[s] = to_float_flushed(G_m[s]);
        }
    }
    engine->t0 = t0;
    return SSM_OK;
}

/* rows[i*stride + s] += sum_m Q32[i][m] G32[m][s] for s < t0, four rows and
 * eight columns at a time. t0 is a multiple of BLOCK_ROWS, hence of 8. */
static void engine_product(const block_engine *engine, int32_t t0, int32_t count,
                           float *rows, size_t stride) {
    const int32_t M = engine->M, T = engine->T;
    const float *G32 = engine->G32;
    int32_t i = 0;
    for (; i + 4 <= count; i += 4) {
        const float *q = engine->Q32 + (size_t)i * M;
        for (int32_t s = 0; s < t0; s += 8) {
            v128_t acc[4][2];
            for (int r = 0; r < 4; r++) {
                acc[r][0] = acc[r][1] = wasm_f32x4_splat(0.0f);
            }
            for (int32_t m = 0; m < M; m++) {
                const v128_t g0 = wasm_v128_load(G32 + (size_t)m * T + s);
                const v128_t g1 = wasm_v128_load(G32 + (size_t)m * T + s + 4);
                for (int r = 0; r < 4; r++) {
                    const v128_t weight = wasm_f32x4_splat(q[r * M + m]);
                    acc[r][0] = wasm_f32x4_add(acc[r][0], wasm_f32x4_mul(weight, g0));
                    acc[r][1] = wasm_f32x4_add(acc[r][1], wasm_f32x4_mul(weight, g1));
                }
            }
            for (int r = 0; r < 4; r++) {
                float *row = rows + (size_t)(i + r) * stride + s;
                wasm_v128_store(row, acc[r][0]);
                wasm_v128_store(row + 4, acc[r][1]);
            }
        }
    }
    for (; i < count; i++) {
        const float *q = engine->Q32 + (size_t)i * M;
        float *row = rows + (size_t)i * stride;
        for (int32_t s = 0; s < t0; s += 4) {
            v128_t acc = wasm_f32x4_splat(0.0f);
            for (int32_t m = 0; m < M; m++) {
                const v128_t g = wasm_v128_load(G32 + (size_t)m * T + s);
                acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_splat(q[m]), g));
            }
            wasm_v128_store(row + s, acc);
        }
    }
}

/* Computes alpha[t, 0..t] for the rows t0..t0+count-1 into rows (stride
 * floats apart); entries from t+1 to t0+count-1 are set to 0. */
static ssm_status engine_block(block_engine *engine, int32_t t0, int32_t count,
                               float *rows, size_t stride, ssm_fault *fault) {
    const lanes *lanes = engine->lanes;
    const int32_t M = engine->M;
    ssm_status status = engine_advance(engine, t0, fault);
    if (status != SSM_OK) {
        return status;
    }

    /* Queries relative to the block's reference point. */
    const double r = lanes->Lambda[t0];
    for (int32_t i = 0; i < count; i++) {
        const int32_t t = t0 + i;
        for (int32_t m = 0; m < M; m++) {
            const double v = lanes->Q[(size_t)t * M + m] * exp(lanes->rate[m] * (lanes->Lambda[t] - r));
            if (!ssm_fits_float(v)) {
                ssm_set_fault(fault, t, t0);
                return SSM_ERR_OVERFLOW;
            }
            engine->Q32[(size_t)i * M + m] = to_float_flushed(v);
        }
    }
    engine_product(engine, t0, count, rows, stride);

    /* The diagonal block: H[m][x] = K[t0+x,m] exp(rate[m] (L[t] - L[t0+x])),
     * carried from row t-1 to row t by exp(rate[m] delta[t]). */
    for (int32_t i = 0; i < count; i++) {
        const int32_t t = t0 + i;
        float *row = rows + (size_t)i * stride + t0;
        memset(row, 0, sizeof(float) * (size_t)count);
        for (int32_t m = 0; m < M; m++) {
            float *H_m = engine->H + (size_t)m * BLOCK_ROWS;
            if (i > 0) {
                const float step = (float)exp(lanes->rate[m] * (lanes->Lambda[t] - lanes->Lambda[t - 1]));
                for (int32_t x = 0; x < i; x++) {
                    H_m[x] *= step;
                }
            }
            H_m[i] = (float)lanes->K[(size_t)t * M + m];
            const float q = (float)lanes->Q[(size_t)t * M + m];
            for (int32_t x = 0; x <= i; x++) {
                row[x] += q * H_m[x];
            }
        }
        /* A carried key beyond float32 shows up here as Infinity or NaN. */
        const float *full = rows + (size_t)i * stride;
        for (int32_t s = 0; s <= t; s++) {
            if (!isfinite(full[s])) {
                ssm_set_fault(fault, t, s);
                return SSM_ERR_OVERFLOW;
            }
        }
    }
    return SSM_OK;
}

static ssm_status attention_kernel_simd(const lanes *lanes, int32_t T,
                                        float *alpha, ssm_fault *fault) {
    block_engine engine;
    void *block = engine_init(&engine, lanes, T);
    if (!block) {
        return SSM_ERR_ALLOC;
    }
    ssm_status status = SSM_OK;
    for (int32_t t0 = 0; t0 < T && status == SSM_OK; t0 += BLOCK_ROWS) {
        const int32_t count = T - t0 < BLOCK_ROWS ? T - t0 : BLOCK_ROWS;
        float *rows = alpha + (size_t)t0 * T;
        status = engine_block(&engine, t0, count, rows, (size_t)T, fault);
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
