/*
 * vexp.h: exp for two float64 lanes at once, since wasm SIMD has no vector
 * exp. Accurate to about 1 ulp for x in [-708, 709]; below -708 it returns
 * 0 (the exact value is under 2.2e-308, a subnormal) and above 709 +Inf.
 * Only included where SSM_HAVE_SIMD is 1.
 */
#ifndef SSM_LENS_VEXP_H
#define SSM_LENS_VEXP_H

#include "internal.h"

#if SSM_HAVE_SIMD

static inline v128_t ssm_exp_f64x2(v128_t x) {
    /* Range reduction: x = n ln2 + r with |r| <= ln2/2, where ln2 is split
     * into a high part with trailing zero bits (so n*ln2_hi is exact for
     * |n| < 2^11) and the rest. */
    const v128_t log2e = wasm_f64x2_splat(1.4426950408889634074);
    const v128_t ln2_hi = wasm_f64x2_splat(6.93147180369123816490e-01);
    const v128_t ln2_lo = wasm_f64x2_splat(1.90821492927058770002e-10);
    const v128_t lowest = wasm_f64x2_splat(-708.0);
    const v128_t highest = wasm_f64x2_splat(709.0);

    const v128_t too_low = wasm_f64x2_lt(x, lowest);
    const v128_t too_high = wasm_f64x2_gt(x, highest);
    x = wasm_f64x2_pmax(wasm_f64x2_pmin(x, highest), lowest);

    const v128_t n = wasm_f64x2_nearest(wasm_f64x2_mul(x, log2e));
    v128_t r = wasm_f64x2_sub(x, wasm_f64x2_mul(n, ln2_hi));
    r = wasm_f64x2_sub(r, wasm_f64x2_mul(n, ln2_lo));

    /* Taylor series of e^r to degree 12: the first omitted term is below
     * 0.347^13/13! < 2e-16 relative. */
    static const double inverse_factorials[13] = {
        1.0, 1.0, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040,
        1.0 / 40320, 1.0 / 362880, 1.0 / 3628800, 1.0 / 39916800, 1.0 / 479001600,
    };
    v128_t p = wasm_f64x2_splat(inverse_factorials[12]);
    for (int k = 11; k >= 0; k--) {
        p = wasm_f64x2_add(wasm_f64x2_mul(p, r), wasm_f64x2_splat(inverse_factorials[k]));
    }

    /* Multiply by 2^n by adding n to the exponent field; n lies in
     * [-1022, 1023] after the clamp, so the result stays normal. */
    const v128_t n32 = wasm_i32x4_trunc_sat_f64x2_zero(n);
    const v128_t n64 = wasm_i64x2_extend_low_i32x4(n32);
    v128_t result = wasm_i64x2_add(p, wasm_i64x2_shl(n64, 52));

    result = wasm_v128_andnot(result, too_low);
    result = wasm_v128_bitselect(wasm_f64x2_splat(INFINITY), result, too_high);
    return result;
}

#endif /* SSM_HAVE_SIMD */

#endif /* SSM_LENS_VEXP_H */
