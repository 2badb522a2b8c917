/*
 * lanes.h: the attention views as one form over M lanes, and the block
 * engine that computes them with SIMD; shared by attention.c and pooled.c.
 *
 *   alpha[t,s] = sum_m Q[t,m] K[s,m] exp(rate[m] (L[t] - L[s])),  s <= t
 *   channel j: M = N,   Q = C[t]_n,         K = delta[s] B[s]_n,          rate = A[j,n]
 *   mean:      M = d N, Q = C[t]_n / d,     K = delta[s] B[s]_n,          rate = A[j,n]
 *   logit k:   M = d N, Q = W[k,j] C[t]_n,  K = delta[s] B[s]_n u_j[s],   rate = A[j,n]
 * where L[t] = delta[0] + ... + delta[t].
 */
#ifndef SSM_LENS_LANES_H
#define SSM_LENS_LANES_H

#include "internal.h"

/* The lanes of one view, carved from a single allocation. */
typedef struct lanes {
    int32_t M;
    double *Q;      /* T×M */
    double *K;      /* T×M */
    double *rate;   /* M */
    double *Lambda; /* T, the running sum of delta */
} lanes;

/* Checks the model, the input and the view, then builds the lanes. Returns
 * the allocation to free, or NULL with *status set. */
void *ssm_prepare_lanes(const ssm_model *model, const float *u, int32_t T,
                        int32_t view, int32_t k, lanes *out, ssm_status *status,
                        ssm_fault *fault);

/* Writes alpha[t, 0..t] for the rows t0..t0+count-1 into rows (row i at
 * rows + i*stride), each entry directly in float64. */
ssm_status ssm_rows_plain(const lanes *lanes, int32_t t0, int32_t count,
                          float *rows, size_t stride, ssm_fault *fault);

/* Rows per block of the SIMD engine. */
#define SSM_BLOCK_ROWS 32

#if SSM_HAVE_SIMD
typedef struct block_engine {
    const lanes *lanes;
    int32_t T, M;
    int32_t t0;      /* first row of the current block */
    int32_t count;   /* rows in the current block */
    double *G;       /* M×T, lane-major: K[s,m] exp(rate[m] (L[t0] - L[s])), s < t0 */
    float *G32;      /* M×T, G rounded to float32 */
    float *Q32;      /* SSM_BLOCK_ROWS×M: Q[t,m] exp(rate[m] (L[t] - L[t0])) */
    float *H;        /* M×SSM_BLOCK_ROWS, carried keys of the diagonal block */
    double *bound;   /* T: per column s < t0, an upper bound of |alpha[t,s]| in the block */
    double *q_max;   /* M: max over the block's rows of |Q32[i][m]| */
    double *scale;   /* M: a power of two; keys are stored times it, queries divided by it */
} block_engine;

/* Allocates the engine's arrays; returns the allocation to free, or NULL. */
void *ssm_engine_init(block_engine *engine, const lanes *lanes, int32_t T);

/* Moves the engine to the block of rows t0..t0+count-1, which must follow
 * the previous block. With round_keys, also fills G32 and bound. */
ssm_status ssm_engine_advance(block_engine *engine, int32_t t0, int32_t count,
                              int round_keys, ssm_fault *fault);

/* Writes alpha[t, 0..t] for the rows of the current block into rows (row i
 * at rows + i*stride). Columns before *first are 0, where *first is a
 * multiple of 8 below which every |alpha| of the block is under FLT_MIN. */
ssm_status ssm_engine_rows(block_engine *engine, float *rows, size_t stride,
                           int32_t *first, ssm_fault *fault);

/* Adds the diagonal block: rows[i*stride + x] = alpha[t0+i, t0+x] for
 * x <= i, carrying each key from row to row. */
ssm_status ssm_engine_diagonal(block_engine *engine, float *rows, size_t stride,
                               ssm_fault *fault);
#endif

#endif /* SSM_LENS_LANES_H */
