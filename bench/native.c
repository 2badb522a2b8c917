/*
 * native.c: the benchmark's cases on the core built natively (gcc -O3
 * -march=native, SIMD source through SIMDe), the ceiling for this code.
 * Prints one JSON object: case name -> median milliseconds, plus the peak
 * multiply-add rate in GFLOP/s. The models and inputs are drawn exactly as
 * bench/cases.mjs draws them, so both sides do the same work.
 */
#define _POSIX_C_SOURCE 199309L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ssm_lens.h"

float peak_multiply_add(int32_t iterations);

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* mulberry32, as in bench/cases.mjs. */
static uint32_t state;
static double uniform(void) {
    state += 0x6d2b79f5u;
    uint32_t z = state;
    z = (z ^ (z >> 15)) * (z | 1u);
    z ^= z + (z ^ (z >> 7)) * (z | 61u);
    return (double)(z ^ (z >> 14)) / 4294967296.0;
}

typedef struct bench_model {
    ssm_model model;
    float *A, *W_B, *W_C, *q, *W;
} bench_model;

static bench_model make_model(int32_t d, int32_t N, double s_A, uint32_t seed) {
    bench_model b;
    state = seed;
    b.A = malloc(sizeof(float) * d * N);
    b.W_B = malloc(sizeof(float) * N * d);
    b.W_C = malloc(sizeof(float) * N * d);
    b.q = malloc(sizeof(float) * d);
    b.W = malloc(sizeof(float) * d);
    for (int32_t i = 0; i < d * N; i++) b.A[i] = (float)(i % N == 0 ? s_A : s_A - 10 * uniform());
    for (int32_t i = 0; i < N * d; i++) b.W_B[i] = (float)((2 * uniform() - 1) * sqrt(3.0));
    for (int32_t i = 0; i < N * d; i++) b.W_C[i] = (float)((2 * uniform() - 1) * sqrt(3.0));
    for (int32_t i = 0; i < d; i++) b.q[i] = (float)((2 * uniform() - 1) * sqrt(3.0) * 0.3);
    for (int32_t i = 0; i < d; i++) b.W[i] = (float)((2 * uniform() - 1) * sqrt(3.0));
    b.model = (ssm_model){d, N, 1, b.A, b.W_B, b.W_C, b.q, 0.0f, b.W};
    return b;
}

static float *make_input(int32_t T, int32_t d, uint32_t seed) {
    float *u = malloc(sizeof(float) * (size_t)T * d);
    state = seed;
    for (size_t i = 0; i < (size_t)T * d; i++) u[i] = (float)(2 * uniform() - 1);
    return u;
}

static int compare(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of up to 7 runs after one warm-up, stopping early after 3 s. */
#define TIME_CASE(name, call)                                                   \
    do {                                                                        \
        double times[7];                                                        \
        int runs = 0;                                                           \
        double spent = 0;                                                       \
        int status = (call);                                                    \
        while (runs < 7 && (runs < 1 || spent < 3000)) {                        \
            const double start = now_ms();                                      \
            status |= (call);                                                   \
            times[runs] = now_ms() - start;                                     \
            spent += times[runs++];                                             \
        }                                                                       \
        qsort(times, runs, sizeof(double), compare);                            \
        printf("%s\"%s\": %.4f", first ? "" : ",\n", name, times[runs / 2]);    \
        first = 0;                                                              \
        if (status) fprintf(stderr, "native: %s returned status %d\n", name, status); \
    } while (0)

int main(void) {
    int first = 1;
    char name[64];
    printf("{\n");

    /* Attention: one channel and the logit view, d = 16, N = 16. */
    bench_model attention = make_model(16, 16, -0.05, 1);
    const int32_t lengths[3] = {512, 2048, 4096};
    for (int i = 0; i < 3; i++) {
        const int32_t T = lengths[i];
        float *u = make_input(T, 16, 2);
        float *alpha = malloc(sizeof(float) * (size_t)T * T);
        snprintf(name, sizeof name, "attention_channel_%d", T);
        TIME_CASE(name, ssm_attention(&attention.model, u, T, 0, 0, alpha, NULL));
        snprintf(name, sizeof name, "attention_logit_%d", T);
        TIME_CASE(name, ssm_attention(&attention.model, u, T, SSM_VIEW_LOGIT, 0, alpha, NULL));
        free(alpha);
        free(u);
    }

    /* Pooled 512×512 view of T = 65536, one channel. */
    {
        const int32_t T = 65536, P = 512;
        float *u = make_input(T, 16, 2);
        float *pooled = malloc(sizeof(float) * P * P);
        TIME_CASE("pooled_max_65536", ssm_attention_pooled(&attention.model, u, T, 0, 0, P, SSM_POOL_MAX_ABS, pooled, NULL));
        TIME_CASE("pooled_mean_65536", ssm_attention_pooled(&attention.model, u, T, 0, 0, P, SSM_POOL_MEAN, pooled, NULL));
        free(pooled);
        free(u);
    }

    /* Scan: T in {1e3, 1e5}, d = 16, N in {4, 16}. */
    const int32_t scan_lengths[2] = {1000, 100000};
    const int32_t states[2] = {4, 16};
    for (int i = 0; i < 2; i++) {
        for (int k = 0; k < 2; k++) {
            const int32_t T = scan_lengths[i], N = states[k];
            bench_model scan = make_model(16, N, -0.05, 3);
            float *u = make_input(T, 16, 4);
            float *delta = malloc(sizeof(float) * T);
            float *y = malloc(sizeof(float) * (size_t)T * 16);
            float logit;
            snprintf(name, sizeof name, "scan_%d_N%d", T, N);
            TIME_CASE(name, ssm_forward(&scan.model, u, T, delta, y, &logit, NULL));
            free(delta);
            free(y);
            free(u);
        }
    }

    /* A 1000-point sweep of the bound over T. */
    {
        ssm_norms norms;
        ssm_compute_norms(&attention.model, &norms);
        const ssm_bound_input input = {norms.s_A, norms.B_A, norms.B_B, norms.B_C, norms.B_w,
                                       norms.B_q, norms.p, 16, 16, 4.0, 1000, 0.05, 1, 1, 1, 0};
        double values[1000];
        for (int i = 0; i < 1000; i++) values[i] = round(exp(log(1e9) * i / 999.0));
        for (int i = 1; i < 1000; i++) if (values[i] <= values[i - 1]) values[i] = values[i - 1] + 1;
        ssm_bound_terms *terms = malloc(sizeof(ssm_bound_terms) * 1000);
        TIME_CASE("sweep_1000", ssm_sweep_bound(&input, norms.s_A - 10, SSM_SWEEP_T, values, 1000, terms, NULL));
        free(terms);
    }

    /* Peak: 2e7 iterations of 32 multiply-adds. */
    const int32_t iterations = 20000000;
    double best = 1e300;
    float sink = 0;
    for (int run = 0; run < 5; run++) {
        const double start = now_ms();
        sink += peak_multiply_add(iterations);
        const double spent = now_ms() - start;
        best = spent < best ? spent : best;
    }
    printf(",\n\"peak_gflops\": %.3f,\n\"peak_checksum\": %g\n}\n", iterations * 64.0 / best / 1e6, sink);
    return 0;
}
