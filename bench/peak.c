/*
 * peak.c: the peak rate of float32 SIMD multiply-adds on one core, the
 * ceiling against which the benchmark states its GFLOP/s. Eight
 * independent accumulators hide the latency of the adds.
 */
#include <stdint.h>

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#else
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/wasm/simd128.h>
#endif

/* Runs iterations × 8 × 4 multiply-adds (2 flops each) and returns a
 * value that depends on all of them, so that none can be skipped. */
float peak_multiply_add(int32_t iterations) {
    v128_t acc[8];
    for (int i = 0; i < 8; i++) {
        acc[i] = wasm_f32x4_splat((float)i * 0.001f);
    }
    const v128_t a = wasm_f32x4_splat(0.999999f);
    const v128_t b = wasm_f32x4_splat(1e-7f);
    for (int32_t n = 0; n < iterations; n++) {
        for (int i = 0; i < 8; i++) {
            acc[i] = wasm_f32x4_add(wasm_f32x4_mul(acc[i], a), b);
        }
    }
    v128_t sum = acc[0];
    for (int i = 1; i < 8; i++) {
        sum = wasm_f32x4_add(sum, acc[i]);
    }
    return wasm_f32x4_extract_lane(sum, 0) + wasm_f32x4_extract_lane(sum, 3);
}
