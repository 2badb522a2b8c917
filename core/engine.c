/*
 * engine.c: the SIMD block engine behind the attention views.
 *
 * Symbols: T steps, M lanes, L[t] = delta[0] + ... + delta[t].
 * Rows come in blocks of SSM_BLOCK_ROWS with the reference point
 * r = L[t0] at the block's first row. Since the decay factors commute,
 *   exp(rate (L[t] - L[s])) = exp(rate (L[t] - r)) exp(rate (r - L[s])),
 * so for the columns s < t0 the block is a product over lanes of
 *   Q'[t,m] = Q[t,m] exp(rate[m] (L[t] - r))    (rows of the block)
 *   G[m][s] = K[s,m] exp(rate[m] (r - L[s]))     (earlier columns)
 * For a stable lane (rate <= 0) both factors are at most |Q| and |K|, so
 * nothing overflows; the product runs in float32 with SIMD multiply-adds.
 * G is carried in float64 from block to block (one multiply per block)
 * and rounded to float32 for the product. In the diagonal block, where
 * r - L[s] < 0 would make G grow, each key is carried from row to row
 * instead: at most SSM_BLOCK_ROWS float32 multiplies.
 */
#include <stdlib.h>
#include <string.h>

#include "lanes.h"

#if SSM_HAVE_SIMD

void *ssm_engine_init(block_engine *engine, const lanes *lanes, int32_t T) {
    const size_t M = (size_t)lanes->M, columns = (size_t)T;
    /* Doubles first, so that every array stays aligned for v128 loads. */
    char *block = malloc(sizeof(double) * (M * columns + columns + 2 * M) +
                         sizeof(float) * (M * columns + 2 * SSM_BLOCK_ROWS * M));
    if (!block) {
        return NULL;
    }
    engine->lanes = lanes;
    engine->T = T;
    engine->M = lanes->M;
    engine->t0 = 0;
    engine->count = 0;
    engine->G = (double *)block;
    engine->bound = engine->G + M * columns;
    engine->q_max = engine->bound + columns;
    engine->scale = engine->q_max + M;
    engine->G32 = (float *)(engine->scale + M);
    engine->Q32 = engine->G32 + M * columns;
    engine->H = engine->Q32 + SSM_BLOCK_ROWS * M;

    /* Balance each lane: q k is unchanged when q is divided and k multiplied
     * by the same power of two, exactly. Balanced factors keep the float32
     * product away from both ends of its range, so that neither the flush
     * of values below FLT_MIN nor an overflow depends on how the model
     * splits its scale between W_B and W_C. */
    for (size_t m = 0; m < M; m++) {
        double largest_Q = 0.0, largest_K = 0.0;
        for (size_t t = 0; t < columns; t++) {
            largest_Q = fmax(largest_Q, fabs(lanes->Q[t * M + m]));
            largest_K = fmax(largest_K, fabs(lanes->K[t * M + m]));
        }
        engine->scale[m] = 1.0;
        if (largest_Q > 0 && largest_K > 0) {
            int exponent_Q, exponent_K;
            frexp(largest_Q, &exponent_Q);
            frexp(largest_K, &exponent_K);
            engine->scale[m] = ldexp(1.0, (exponent_Q - exponent_K) / 2);
        }
    }
    return block;
}

/* Rounds v to float32 and flushes values below FLT_MIN to 0, because
 * subnormal operands slow SIMD multiplies on common CPUs and such a value
 * changes a product by less than 1.2e-38 times the other factor. */
static inline float to_float_flushed(double v) {
    return fabs(v) < FLT_MIN ? 0.0f : (float)v;
}

ssm_status ssm_engine_advance(block_engine *engine, int32_t t0, int32_t count,
                              int round_keys, ssm_fault *fault) {
    const lanes *lanes = engine->lanes;
    const int32_t M = engine->M, T = engine->T, previous = engine->t0;
    const double r = lanes->Lambda[t0];

    /* Queries relative to the block's reference point. */
    for (int32_t m = 0; m < M; m++) {
        engine->q_max[m] = 0.0;
    }
    for (int32_t i = 0; i < count; i++) {
        const int32_t t = t0 + i;
        const double gap = lanes->Lambda[t] - r;
        for (int32_t m = 0; m < M; m++) {
            const double v = lanes->Q[(size_t)t * M + m] / engine->scale[m] * exp(lanes->rate[m] * gap);
            if (!ssm_fits_float(v)) {
                ssm_set_fault(fault, SSM_AT_ALPHA, t, t0);
                return SSM_ERR_OVERFLOW;
            }
            engine->Q32[(size_t)i * M + m] = to_float_flushed(v);
            engine->q_max[m] = fabs(v) > engine->q_max[m] ? fabs(v) : engine->q_max[m];
        }
    }

    /* Keys: move the earlier columns to the new reference point and add
     * the columns of the previous block from their definition. */
    const double r_previous = lanes->Lambda[previous];
    for (int32_t m = 0; m < M; m++) {
        double *G_m = engine->G + (size_t)m * T;
        const double rate = lanes->rate[m];
        const v128_t shift = wasm_f64x2_splat(exp(rate * (r - r_previous)));
        int32_t s = 0;
        for (; s + 2 <= previous; s += 2) {
            wasm_v128_store(G_m + s, wasm_f64x2_mul(wasm_v128_load(G_m + s), shift));
        }
        for (; s < previous; s++) {
            G_m[s] *= wasm_f64x2_extract_lane(shift, 0);
        }
        for (s = previous; s < t0; s++) {
            G_m[s] = lanes->K[(size_t)s * M + m] * engine->scale[m] * exp(rate * (r - lanes->Lambda[s]));
        }
    }
    engine->t0 = t0;
    engine->count = count;
    if (!round_keys) {
        return SSM_OK;
    }

    for (int32_t s = 0; s < t0; s++) {
        engine->bound[s] = 0.0;
    }
    /* t0 is a multiple of SSM_BLOCK_ROWS, so four columns at a time cover it. */
    const v128_t largest = wasm_f64x2_splat(FLT_MAX);
    const v128_t smallest = wasm_f64x2_splat(FLT_MIN);
    for (int32_t m = 0; m < M; m++) {
        const double *G_m = engine->G + (size_t)m * T;
        float *G32_m = engine->G32 + (size_t)m * T;
        const v128_t q_max = wasm_f64x2_splat(engine->q_max[m]);
        v128_t outside = wasm_i64x2_splat(0);
        for (int32_t s = 0; s < t0; s += 4) {
            v128_t g[2], rounded[2];
            for (int half = 0; half < 2; half++) {
                g[half] = wasm_v128_load(G_m + s + 2 * half);
                const v128_t magnitude = wasm_f64x2_abs(g[half]);
                /* Only a lane with rate > 0 can grow past float32 here; NaN
                 * fails the comparison as well. */
                outside = wasm_v128_or(outside, wasm_v128_not(wasm_f64x2_le(magnitude, largest)));
                const v128_t kept = wasm_v128_and(g[half], wasm_f64x2_ge(magnitude, smallest));
                rounded[half] = wasm_f32x4_demote_f64x2_zero(kept);
                double *bound = engine->bound + s + 2 * half;
                wasm_v128_store(bound, wasm_f64x2_add(wasm_v128_load(bound), wasm_f64x2_mul(q_max, magnitude)));
            }
            wasm_v128_store(G32_m + s, wasm_i64x2_shuffle(rounded[0], rounded[1], 0, 2));
        }
        if (wasm_v128_any_true(outside)) {
            for (int32_t s = 0; s < t0; s++) {
                if (!ssm_fits_float(G_m[s])) {
                    ssm_set_fault(fault, SSM_AT_ALPHA, t0, s);
                    return SSM_ERR_OVERFLOW;
                }
            }
        }
    }
    return SSM_OK;
}

/* rows[i*stride + s] = sum_m Q32[i][m] G32[m][s] for first <= s < t0,
 * four rows and eight columns at a time; first and t0 are multiples of 8. */
static void block_product(const block_engine *engine, int32_t first, float *rows,
                          size_t stride) {
    const int32_t M = engine->M, T = engine->T, t0 = engine->t0, count = engine->count;
    const float *G32 = engine->G32;
    int32_t i = 0;
    for (; i + 4 <= count; i += 4) {
        const float *q = engine->Q32 + (size_t)i * M;
        for (int32_t s = first; s < t0; s += 8) {
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
        for (int32_t s = first; s < t0; s += 4) {
            v128_t acc = wasm_f32x4_splat(0.0f);
            for (int32_t m = 0; m < M; m++) {
                const v128_t g = wasm_v128_load(G32 + (size_t)m * T + s);
                acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_splat(q[m]), g));
            }
            wasm_v128_store(row + s, acc);
        }
    }
}

ssm_status ssm_engine_diagonal(block_engine *engine, float *rows, size_t stride,
                               ssm_fault *fault) {
    const lanes *lanes = engine->lanes;
    const int32_t M = engine->M, t0 = engine->t0, count = engine->count;
    for (int32_t i = 0; i < count; i++) {
        const int32_t t = t0 + i;
        float *row = rows + (size_t)i * stride;
        memset(row, 0, sizeof(float) * (size_t)count);
        for (int32_t m = 0; m < M; m++) {
            float *H_m = engine->H + (size_t)m * SSM_BLOCK_ROWS;
            if (i > 0) {
                const float step = (float)exp(lanes->rate[m] * (lanes->Lambda[t] - lanes->Lambda[t - 1]));
                for (int32_t x = 0; x < i; x++) {
                    H_m[x] *= step;
                }
            }
            H_m[i] = (float)(lanes->K[(size_t)t * M + m] * engine->scale[m]);
            const float q = (float)(lanes->Q[(size_t)t * M + m] / engine->scale[m]);
            for (int32_t x = 0; x <= i; x++) {
                row[x] += q * H_m[x];
            }
        }
        /* A carried key beyond float32 shows up as Infinity or NaN. */
        for (int32_t x = 0; x <= i; x++) {
            if (!isfinite(row[x])) {
                ssm_set_fault(fault, SSM_AT_ALPHA, t, t0 + x);
                return SSM_ERR_OVERFLOW;
            }
        }
    }
    return SSM_OK;
}

ssm_status ssm_engine_rows(block_engine *engine, float *rows, size_t stride,
                           int32_t *first, ssm_fault *fault) {
    const int32_t t0 = engine->t0, count = engine->count;

    /* Columns whose bound is below FLT_MIN would be flushed to 0 anyway;
     * for a stable model that skips everything older than the decay's reach. */
    int32_t start = 0;
    while (start < t0 && engine->bound[start] < FLT_MIN) {
        start++;
    }
    start &= ~7;
    *first = start;
    for (int32_t i = 0; i < count; i++) {
        memset(rows + (size_t)i * stride, 0, sizeof(float) * (size_t)start);
    }
    block_product(engine, start, rows, stride);

    ssm_status status = ssm_engine_diagonal(engine, rows + t0, stride, fault);
    if (status != SSM_OK) {
        return status;
    }
    for (int32_t i = 0; i < count; i++) {
        const float *row = rows + (size_t)i * stride;
        for (int32_t s = start; s < t0; s++) {
            if (!isfinite(row[s])) {
                ssm_set_fault(fault, SSM_AT_ALPHA, t0 + i, s);
                return SSM_ERR_OVERFLOW;
            }
        }
    }
    return SSM_OK;
}

#endif /* SSM_HAVE_SIMD */
