/*
 * pooled.c: the attention matrix reduced to P×P cells without forming it,
 * for inputs too long to draw cell by cell.
 *
 * Symbols: T steps, M lanes, P cells per side. Row t and column s belong to
 * cell floor(t P / T) and floor(s P / T). A cell holds the largest |alpha|
 * of its entries (SSM_POOL_MAX_ABS) or their mean, the zeros above the
 * diagonal included (SSM_POOL_MEAN). Memory beyond the output is O(T M)
 * plus one block of rows (SSM_BLOCK_ROWS × T floats).
 */
#include <stdlib.h>
#include <string.h>

#include "lanes.h"

/* The cell map: start[i] is the first step of cell i, start[P] = T. */
typedef struct cells {
    int32_t P, T;
    int32_t *start; /* P + 1 */
} cells;

static int32_t cell_of(const cells *cells, int32_t t) {
    return (int32_t)(((int64_t)t * cells->P) / cells->T);
}

static int32_t *fill_cells(cells *cells, int32_t P, int32_t T) {
    cells->P = P;
    cells->T = T;
    cells->start = malloc(sizeof(int32_t) * (size_t)(P + 1));
    if (cells->start) {
        /* The smallest t with t P / T >= i, that is ceil(i T / P). */
        for (int32_t i = 0; i <= P; i++) {
            cells->start[i] = (int32_t)(((int64_t)i * T + P - 1) / P);
        }
    }
    return cells->start;
}

/* Folds rows t0..t0+count-1 of alpha (row i at rows + i*stride, columns
 * first..t valid, earlier columns 0) into the running cell maxima or sums. */
static void fold_rows(const cells *cells, int32_t mode, int32_t t0, int32_t count,
                      const float *rows, size_t stride, int32_t first, double *accumulator) {
    const int32_t P = cells->P;
    for (int32_t i = 0; i < count; i++) {
        const int32_t t = t0 + i;
        const float *row = rows + (size_t)i * stride;
        double *cell_row = accumulator + (size_t)cell_of(cells, t) * P;
        for (int32_t J = cell_of(cells, first); J < P && cells->start[J] <= t; J++) {
            const int32_t lo = cells->start[J] > first ? cells->start[J] : first;
            const int32_t hi = cells->start[J + 1] < t + 1 ? cells->start[J + 1] : t + 1;
            double value = 0.0;
            for (int32_t s = lo; s < hi; s++) {
                const double v = row[s];
                if (mode == SSM_POOL_MAX_ABS) {
                    value = fabs(v) > value ? fabs(v) : value;
                } else {
                    value += v;
                }
            }
            if (mode == SSM_POOL_MAX_ABS) {
                cell_row[J] = value > cell_row[J] ? value : cell_row[J];
            } else {
                cell_row[J] += value;
            }
        }
    }
}

/* Writes the accumulated cells to pooled, dividing sums by cell areas. */
static ssm_status write_cells(const cells *cells, int32_t mode, const double *accumulator,
                              float *pooled, ssm_fault *fault) {
    const int32_t P = cells->P;
    for (int32_t I = 0; I < P; I++) {
        const double rows = cells->start[I + 1] - cells->start[I];
        for (int32_t J = 0; J < P; J++) {
            double value = accumulator[(size_t)I * P + J];
            if (mode == SSM_POOL_MEAN) {
                value /= rows * (double)(cells->start[J + 1] - cells->start[J]);
            }
            if (!ssm_fits_float(value)) {
                ssm_set_fault(fault, SSM_AT_CELL, cells->start[I], cells->start[J]);
                return SSM_ERR_OVERFLOW;
            }
            pooled[(size_t)I * P + J] = (float)value;
        }
    }
    return SSM_OK;
}

typedef ssm_status (*pooled_kernel)(const lanes *lanes, const cells *cells, int32_t mode,
                                    double *accumulator, ssm_fault *fault);

/* Every entry directly in float64, one block of rows at a time. */
static ssm_status pooled_kernel_plain(const lanes *lanes, const cells *cells, int32_t mode,
                                      double *accumulator, ssm_fault *fault) {
    const int32_t T = cells->T;
    float *rows = malloc(sizeof(float) * SSM_BLOCK_ROWS * (size_t)T);
    if (!rows) {
        return SSM_ERR_ALLOC;
    }
    ssm_status status = SSM_OK;
    for (int32_t t0 = 0; t0 < T && status == SSM_OK; t0 += SSM_BLOCK_ROWS) {
        const int32_t count = T - t0 < SSM_BLOCK_ROWS ? T - t0 : SSM_BLOCK_ROWS;
        status = ssm_rows_plain(lanes, t0, count, rows, (size_t)T, fault);
        if (status == SSM_OK) {
            fold_rows(cells, mode, t0, count, rows, (size_t)T, 0, accumulator);
        }
    }
    free(rows);
    return status;
}

#if SSM_HAVE_SIMD
/*
 * The mean needs only sums over cells, and for the columns s < t0 of a
 * block those factor over lanes:
 *   sum_{t in I} sum_{s in J} alpha[t,s] = sum_m (sum_{t in I} Q'[t,m]) (sum_{s in J} G[m][s])
 * which costs O(T M) per block instead of O(T M) per row. The diagonal
 * block is added entry by entry.
 */
static ssm_status pooled_mean_simd(block_engine *engine, const cells *cells,
                                   double *accumulator, double *key_sums, double *query_sum,
                                   float *diagonal, ssm_fault *fault) {
    const int32_t P = cells->P, M = engine->M, T = engine->T;
    const int32_t t0 = engine->t0, count = engine->count;

    /* key_sums[J*M + m] = sum of G[m][s] over the columns s < t0 of cell J. */
    const int32_t last_cell = t0 > 0 ? cell_of(cells, t0 - 1) : -1;
    for (int32_t J = 0; J <= last_cell; J++) {
        const int32_t lo = cells->start[J];
        const int32_t hi = cells->start[J + 1] < t0 ? cells->start[J + 1] : t0;
        for (int32_t m = 0; m < M; m++) {
            const double *G_m = engine->G + (size_t)m * T;
            v128_t acc = wasm_f64x2_splat(0.0);
            int32_t s = lo;
            for (; s + 2 <= hi; s += 2) {
                acc = wasm_f64x2_add(acc, wasm_v128_load(G_m + s));
            }
            double sum = wasm_f64x2_extract_lane(acc, 0) + wasm_f64x2_extract_lane(acc, 1);
            for (; s < hi; s++) {
                sum += G_m[s];
            }
            key_sums[(size_t)J * M + m] = sum;
        }
    }

    /* Rows of the block grouped by cell: sum their queries, then pair the
     * sums with every column cell. */
    for (int32_t i = 0; i < count;) {
        const int32_t I = cell_of(cells, t0 + i);
        for (int32_t m = 0; m < M; m++) {
            query_sum[m] = 0.0;
        }
        int32_t end = i;
        while (end < count && cell_of(cells, t0 + end) == I) {
            for (int32_t m = 0; m < M; m++) {
                query_sum[m] += engine->Q32[(size_t)end * M + m];
            }
            end++;
        }
        for (int32_t J = 0; J <= last_cell; J++) {
            double sum = 0.0;
            for (int32_t m = 0; m < M; m++) {
                sum += query_sum[m] * key_sums[(size_t)J * M + m];
            }
            accumulator[(size_t)I * P + J] += sum;
        }
        i = end;
    }

    ssm_status status = ssm_engine_diagonal(engine, diagonal, SSM_BLOCK_ROWS, fault);
    if (status != SSM_OK) {
        return status;
    }
    for (int32_t i = 0; i < count; i++) {
        const int32_t I = cell_of(cells, t0 + i);
        for (int32_t x = 0; x <= i; x++) {
            accumulator[(size_t)I * P + cell_of(cells, t0 + x)] += diagonal[i * SSM_BLOCK_ROWS + x];
        }
    }
    return SSM_OK;
}

static ssm_status pooled_kernel_simd(const lanes *lanes, const cells *cells, int32_t mode,
                                     double *accumulator, ssm_fault *fault) {
    const int32_t T = cells->T, P = cells->P, M = lanes->M;
    block_engine engine;
    void *engine_block = ssm_engine_init(&engine, lanes, T);
    const size_t scratch = mode == SSM_POOL_MAX_ABS
                               ? sizeof(float) * SSM_BLOCK_ROWS * (size_t)T
                               : sizeof(double) * ((size_t)P * M + M) +
                                     sizeof(float) * SSM_BLOCK_ROWS * SSM_BLOCK_ROWS;
    void *work = malloc(scratch);
    if (!engine_block || !work) {
        free(engine_block);
        free(work);
        return SSM_ERR_ALLOC;
    }

    ssm_status status = SSM_OK;
    for (int32_t t0 = 0; t0 < T && status == SSM_OK; t0 += SSM_BLOCK_ROWS) {
        const int32_t count = T - t0 < SSM_BLOCK_ROWS ? T - t0 : SSM_BLOCK_ROWS;
        status = ssm_engine_advance(&engine, t0, count, mode == SSM_POOL_MAX_ABS, fault);
        if (status != SSM_OK) {
            break;
        }
        if (mode == SSM_POOL_MAX_ABS) {
            int32_t first;
            status = ssm_engine_rows(&engine, work, (size_t)T, &first, fault);
            if (status == SSM_OK) {
                fold_rows(cells, mode, t0, count, work, (size_t)T, first, accumulator);
            }
        } else {
            double *key_sums = work;
            double *query_sum = key_sums + (size_t)P * M;
            float *diagonal = (float *)(query_sum + M);
            status = pooled_mean_simd(&engine, cells, accumulator, key_sums, query_sum,
                                      diagonal, fault);
        }
    }
    free(engine_block);
    free(work);
    return status;
}
#else
#define pooled_kernel_simd pooled_kernel_plain
#endif

static ssm_status run_pooled(const ssm_model *model, const float *u, int32_t T,
                             int32_t view, int32_t k, int32_t P, int32_t mode,
                             float *pooled, ssm_fault *fault, pooled_kernel kernel) {
    if (!pooled || P < 1 || P > SSM_MAX_POOLED || P > T ||
        (mode != SSM_POOL_MAX_ABS && mode != SSM_POOL_MEAN)) {
        ssm_set_fault(fault, SSM_AT_OPTION, -1, P);
        return SSM_ERR_ARGUMENT;
    }
    lanes lanes;
    ssm_status status;
    void *lanes_block = ssm_prepare_lanes(model, u, T, view, k, &lanes, &status, fault);
    if (!lanes_block) {
        return status;
    }
    cells cells;
    double *accumulator = calloc((size_t)P * (size_t)P, sizeof(double));
    if (!fill_cells(&cells, P, T) || !accumulator) {
        free(lanes_block);
        free(cells.start);
        free(accumulator);
        return SSM_ERR_ALLOC;
    }

    status = kernel(&lanes, &cells, mode, accumulator, fault);
    if (status == SSM_OK) {
        status = write_cells(&cells, mode, accumulator, pooled, fault);
    }
    free(lanes_block);
    free(cells.start);
    free(accumulator);
    return status;
}

ssm_status ssm_attention_pooled(const ssm_model *model, const float *u, int32_t T,
                                int32_t view, int32_t k, int32_t P, int32_t mode,
                                float *pooled, ssm_fault *fault) {
    return run_pooled(model, u, T, view, k, P, mode, pooled, fault, pooled_kernel_simd);
}

ssm_status ssm_attention_pooled_plain(const ssm_model *model, const float *u, int32_t T,
                                      int32_t view, int32_t k, int32_t P, int32_t mode,
                                      float *pooled, ssm_fault *fault) {
    return run_pooled(model, u, T, view, k, P, mode, pooled, fault, pooled_kernel_plain);
}
