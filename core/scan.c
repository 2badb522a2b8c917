/*
 * scan.c: the selective SSM block as a recurrent scan.
 *
 * Symbols: T steps, d channels, N states per channel, K readout rows.
 * Per step t, shared by all channels:
 *   delta[t] = softplus(p + q·u[t])
 *   B[t] = W_B u[t], C[t] = W_C u[t]                        (N each)
 *   h_j[t] = exp(delta[t] A_j) ⊙ h_j[t-1] + delta[t] B[t] u_j[t]   (N, h_j[-1] = 0)
 *   y_j[t] = C[t]·h_j[t]
 *   logits = W y[T-1]
 * A uses the zero-order hold, B the simplified Euler rule, as in Mamba.
 */
#include <stdlib.h>

#include "internal.h"
#include "vexp.h"

ssm_status ssm_check_model(const ssm_model *model, ssm_fault *fault) {
    ssm_set_fault(fault, SSM_AT_NONE, -1, -1);
    if (!model) {
        return SSM_ERR_ARGUMENT;
    }
    const int32_t sizes[3] = {model->d, model->N, model->K};
    const int32_t limits[3] = {SSM_MAX_D, SSM_MAX_N, SSM_MAX_K};
    for (int i = 0; i < 3; i++) {
        if (sizes[i] < 1 || sizes[i] > limits[i]) {
            ssm_set_fault(fault, SSM_AT_SIZE, -1, i);
            return SSM_ERR_SHAPE;
        }
    }

    const size_t d = (size_t)model->d, N = (size_t)model->N, K = (size_t)model->K;
    const float *tensors[6] = {model->A, model->W_B, model->W_C, model->q, &model->p, model->W};
    const size_t counts[6] = {d * N, N * d, N * d, d, 1, K * d};
    for (int i = 0; i < 6; i++) {
        if (!tensors[i]) {
            ssm_set_fault(fault, SSM_AT_PARAMETER, -1, i);
            return SSM_ERR_ARGUMENT;
        }
        for (size_t e = 0; e < counts[i]; e++) {
            if (!isfinite(tensors[i][e])) {
                ssm_set_fault(fault, SSM_AT_PARAMETER, (int32_t)e, i);
                return SSM_ERR_NONFINITE;
            }
        }
    }
    return SSM_OK;
}

ssm_status ssm_check_input(const ssm_model *model, const float *u, int32_t T,
                           ssm_fault *fault) {
    ssm_status status = ssm_check_model(model, fault);
    if (status != SSM_OK) {
        return status;
    }
    if (T < 1 || T > SSM_MAX_T) {
        ssm_set_fault(fault, SSM_AT_SIZE, -1, 3);
        return SSM_ERR_SHAPE;
    }
    if (!u) {
        return SSM_ERR_ARGUMENT;
    }
    const int32_t d = model->d;
    for (int32_t t = 0; t < T; t++) {
        for (int32_t j = 0; j < d; j++) {
            if (!isfinite(u[(size_t)t * d + j])) {
                ssm_set_fault(fault, SSM_AT_INPUT, t, j);
                return SSM_ERR_NONFINITE;
            }
        }
    }
    return SSM_OK;
}

/* Writes logits = W y_last in float64, checked against the float32 range. */
static ssm_status read_out(const ssm_model *model, const double *y_last,
                           int32_t T, float *logits, ssm_fault *fault) {
    const int32_t d = model->d;
    for (int32_t k = 0; k < model->K; k++) {
        double z = 0.0;
        for (int32_t j = 0; j < d; j++) {
            z += (double)model->W[(size_t)k * d + j] * y_last[j];
        }
        if (!ssm_fits_float(z)) {
            ssm_set_fault(fault, SSM_AT_LOGITS, T - 1, k);
            return SSM_ERR_OVERFLOW;
        }
        logits[k] = (float)z;
    }
    return SSM_OK;
}

/* One allocation carved into the state h (d×N), B[t], C[t] and y[t]. */
typedef struct scan_work {
    double *h, *B_t, *C_t, *y_t, *u_t;
    double *A64;       /* d×N, A in float64 */
    double *W64;       /* W_B (N×d), W_C (N×d) and q (d) in float64 */
    double A_min, A_max;
} scan_work;

static void *alloc_scan_work(const ssm_model *model, scan_work *work) {
    const size_t d = (size_t)model->d, N = (size_t)model->N;
    double *block = calloc(2 * d * N + 2 * N + 2 * d + 2 * N * d + d, sizeof(double));
    if (!block) {
        return NULL;
    }
    work->h = block;
    work->B_t = work->h + d * N;
    work->C_t = work->B_t + N;
    work->y_t = work->C_t + N;
    work->u_t = work->y_t + d;
    work->A64 = work->u_t + d;
    work->W64 = work->A64 + d * N;

    /* Parameters converted once, so that the steps load float64 directly. */
    work->A_min = work->A_max = model->A[0];
    for (size_t i = 0; i < d * N; i++) {
        work->A64[i] = model->A[i];
        work->A_min = work->A64[i] < work->A_min ? work->A64[i] : work->A_min;
        work->A_max = work->A64[i] > work->A_max ? work->A64[i] : work->A_max;
    }
    for (size_t i = 0; i < N * d; i++) {
        work->W64[i] = model->W_B[i];
        work->W64[N * d + i] = model->W_C[i];
    }
    for (size_t j = 0; j < d; j++) {
        work->W64[2 * N * d + j] = model->q[j];
    }
    return block;
}

/* Shared driver: project computes delta[t], B[t] and C[t] from u_t; kernel
 * then updates the state of every channel and writes y_t (d values). */
typedef double (*step_projection)(const ssm_model *model, const float *u_t,
                                  scan_work *work);
typedef void (*step_kernel)(const ssm_model *model, double delta_t,
                            const float *u_t, scan_work *work);

static double project_plain(const ssm_model *model, const float *u_t, scan_work *work) {
    return ssm_project_step(model, u_t, work->B_t, work->C_t);
}

static ssm_status run_scan(const ssm_model *model, const float *u, int32_t T,
                           float *delta, float *y, float *logits,
                           ssm_fault *fault, step_projection project,
                           step_kernel kernel) {
    ssm_status status = ssm_check_input(model, u, T, fault);
    if (status != SSM_OK) {
        return status;
    }
    scan_work work;
    void *block = alloc_scan_work(model, &work);
    if (!block) {
        return SSM_ERR_ALLOC;
    }

    const int32_t d = model->d;
    for (int32_t t = 0; t < T; t++) {
        const float *u_t = u + (size_t)t * d;
        const double delta_t = project(model, u_t, &work);
        if (!ssm_fits_float(delta_t)) {
            free(block);
            ssm_set_fault(fault, SSM_AT_DELTA, t, -1);
            return SSM_ERR_OVERFLOW;
        }
        delta[t] = (float)delta_t;
        kernel(model, delta_t, u_t, &work);

        /* The state is float64, so a value beyond float32 is found here,
         * at the first output that cannot be stored. */
        for (int32_t j = 0; j < d; j++) {
            if (!ssm_fits_float(work.y_t[j])) {
                free(block);
                ssm_set_fault(fault, SSM_AT_Y, t, j);
                return SSM_ERR_OVERFLOW;
            }
            y[(size_t)t * d + j] = (float)work.y_t[j];
        }
    }

    status = read_out(model, work.y_t, T, logits, fault);
    free(block);
    return status;
}

static void step_plain(const ssm_model *model, double delta_t,
                       const float *u_t, scan_work *work) {
    const int32_t d = model->d, N = model->N;
    for (int32_t j = 0; j < d; j++) {
        const float *A_j = model->A + (size_t)j * N;
        double *h_j = work->h + (size_t)j * N;
        const double input = delta_t * (double)u_t[j];
        double y_j = 0.0;
        for (int32_t n = 0; n < N; n++) {
            const double decay = exp(delta_t * (double)A_j[n]);
            h_j[n] = decay * h_j[n] + input * work->B_t[n];
            y_j += work->C_t[n] * h_j[n];
        }
        work->y_t[j] = y_j;
    }
}

#if SSM_HAVE_SIMD
/* Dot product of two float64 vectors of length d, two at a time. */
static inline double dot_simd(const double *row, const double *x, int32_t d) {
    v128_t acc = wasm_f64x2_splat(0.0);
    int32_t j = 0;
    for (; j + 2 <= d; j += 2) {
        acc = wasm_f64x2_add(acc, wasm_f64x2_mul(wasm_v128_load(row + j), wasm_v128_load(x + j)));
    }
    double sum = wasm_f64x2_extract_lane(acc, 0) + wasm_f64x2_extract_lane(acc, 1);
    for (; j < d; j++) {
        sum += row[j] * x[j];
    }
    return sum;
}

static double project_simd(const ssm_model *model, const float *u_t, scan_work *work) {
    const int32_t d = model->d, N = model->N;
    for (int32_t j = 0; j < d; j++) {
        work->u_t[j] = (double)u_t[j];
    }
    const double *W_C = work->W64 + (size_t)N * d;
    for (int32_t n = 0; n < N; n++) {
        work->B_t[n] = dot_simd(work->W64 + (size_t)n * d, work->u_t, d);
        work->C_t[n] = dot_simd(W_C + (size_t)n * d, work->u_t, d);
    }
    return ssm_softplus((double)model->p + dot_simd(W_C + (size_t)N * d, work->u_t, d));
}

/* Two states per f64x2 lane pair, with the decays exp(delta A[j,n]) of a
 * channel computed two at a time by the vector exp. A tail of one state
 * uses the plain update. */
static inline void step_simd_with(const ssm_model *model, double delta_t,
                                  const float *u_t, scan_work *work, int in_range) {
    const int32_t d = model->d, N = model->N;
    const int32_t N2 = N & ~1;
    const v128_t delta2 = wasm_f64x2_splat(delta_t);
    for (int32_t j = 0; j < d; j++) {
        const double *A_j = work->A64 + (size_t)j * N;
        double *h_j = work->h + (size_t)j * N;
        const double input = delta_t * (double)u_t[j];
        const v128_t input2 = wasm_f64x2_splat(input);
        v128_t acc = wasm_f64x2_splat(0.0);
        int32_t n = 0;
        for (; n < N2; n += 2) {
            const v128_t exponent = wasm_f64x2_mul(delta2, wasm_v128_load(A_j + n));
            const v128_t decay = in_range ? ssm_exp_f64x2_in_range(exponent) : ssm_exp_f64x2(exponent);
            v128_t h = wasm_v128_load(h_j + n);
            const v128_t B = wasm_v128_load(work->B_t + n);
            const v128_t C = wasm_v128_load(work->C_t + n);
            h = wasm_f64x2_add(wasm_f64x2_mul(decay, h), wasm_f64x2_mul(input2, B));
            wasm_v128_store(h_j + n, h);
            acc = wasm_f64x2_add(acc, wasm_f64x2_mul(C, h));
        }
        double y_j = wasm_f64x2_extract_lane(acc, 0) + wasm_f64x2_extract_lane(acc, 1);
        for (; n < N; n++) {
            const double decay = exp(delta_t * A_j[n]);
            h_j[n] = decay * h_j[n] + input * work->B_t[n];
            y_j += work->C_t[n] * h_j[n];
        }
        work->y_t[j] = y_j;
    }
}

static void step_simd(const ssm_model *model, double delta_t, const float *u_t,
                      scan_work *work) {
    /* delta > 0, so delta A stays within [delta A_min, delta A_max]. */
    const int in_range = delta_t * work->A_min >= -708.0 && delta_t * work->A_max <= 709.0;
    if (in_range) {
        step_simd_with(model, delta_t, u_t, work, 1);
    } else {
        step_simd_with(model, delta_t, u_t, work, 0);
    }
}
#else
#define step_simd step_plain
#define project_simd project_plain
#endif

ssm_status ssm_forward(const ssm_model *model, const float *u, int32_t T,
                       float *delta, float *y, float *logits, ssm_fault *fault) {
    return run_scan(model, u, T, delta, y, logits, fault, project_simd, step_simd);
}

ssm_status ssm_forward_plain(const ssm_model *model, const float *u, int32_t T,
                             float *delta, float *y, float *logits,
                             ssm_fault *fault) {
    return run_scan(model, u, T, delta, y, logits, fault, project_plain, step_plain);
}
