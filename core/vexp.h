/*
 * vexp.h: exp for two float64 lanes at once, since wasm SIMD has no vector
 * exp. Table-driven (64 entries) with a degree-5 polynomial; accurate to
 * about 1 ulp for x in [-708, 709]. Below -708 it returns 0 (the exact
 * value is under 3.3e-308) and above 709 +Inf (the exact value is at least
 * 8.2e307); the kernels use it for decays, where neither end matters.
 * Only included where SSM_HAVE_SIMD is 1.
 */
#ifndef SSM_LENS_VEXP_H
#define SSM_LENS_VEXP_H

#include "internal.h"

#if SSM_HAVE_SIMD

/* 2^(j/64) for j = 0..63, so that e^x = 2^k 2^(j/64) e^r with a small r. */
static const double ssm_exp_table[64] = {
    0x1.0000000000000p+0, 0x1.02c9a3e778061p+0, 0x1.059b0d3158574p+0, 0x1.0874518759bc8p+0,
    0x1.0b5586cf9890fp+0, 0x1.0e3ec32d3d1a2p+0, 0x1.11301d0125b51p+0, 0x1.1429aaea92de0p+0,
    0x1.172b83c7d517bp+0, 0x1.1a35beb6fcb75p+0, 0x1.1d4873168b9aap+0, 0x1.2063b88628cd6p+0,
    0x1.2387a6e756238p+0, 0x1.26b4565e27cddp+0, 0x1.29e9df51fdee1p+0, 0x1.2d285a6e4030bp+0,
    0x1.306fe0a31b715p+0, 0x1.33c08b26416ffp+0, 0x1.371a7373aa9cbp+0, 0x1.3a7db34e59ff7p+0,
    0x1.3dea64c123422p+0, 0x1.4160a21f72e2ap+0, 0x1.44e086061892dp+0, 0x1.486a2b5c13cd0p+0,
    0x1.4bfdad5362a27p+0, 0x1.4f9b2769d2ca7p+0, 0x1.5342b569d4f82p+0, 0x1.56f4736b527dap+0,
    0x1.5ab07dd485429p+0, 0x1.5e76f15ad2148p+0, 0x1.6247eb03a5585p+0, 0x1.6623882552225p+0,
    0x1.6a09e667f3bcdp+0, 0x1.6dfb23c651a2fp+0, 0x1.71f75e8ec5f74p+0, 0x1.75feb564267c9p+0,
    0x1.7a11473eb0187p+0, 0x1.7e2f336cf4e62p+0, 0x1.82589994cce13p+0, 0x1.868d99b4492edp+0,
    0x1.8ace5422aa0dbp+0, 0x1.8f1ae99157736p+0, 0x1.93737b0cdc5e5p+0, 0x1.97d829fde4e50p+0,
    0x1.9c49182a3f090p+0, 0x1.a0c667b5de565p+0, 0x1.a5503b23e255dp+0, 0x1.a9e6b5579fdbfp+0,
    0x1.ae89f995ad3adp+0, 0x1.b33a2b84f15fbp+0, 0x1.b7f76f2fb5e47p+0, 0x1.bcc1e904bc1d2p+0,
    0x1.c199bdd85529cp+0, 0x1.c67f12e57d14bp+0, 0x1.cb720dcef9069p+0, 0x1.d072d4a07897cp+0,
    0x1.d5818dcfba487p+0, 0x1.da9e603db3285p+0, 0x1.dfc97337b9b5fp+0, 0x1.e502ee78b3ff6p+0,
    0x1.ea4afa2a490dap+0, 0x1.efa1bee615a27p+0, 0x1.f50765b6e4540p+0, 0x1.fa7c1819e90d8p+0,
};

/* exp for x in [-708, 709] only: no clamping, so a caller that knows its
 * range saves six operations per call. */
static inline v128_t ssm_exp_f64x2_in_range(v128_t x) {
    /* x = (64k + j) ln2/64 + r with |r| <= ln2/128; ln2/64 is split into a
     * high part with trailing zero bits (n * high is exact for |n| < 2^17)
     * and the rest. */
    const v128_t scale = wasm_f64x2_splat(64 * 1.4426950408889634074);
    const v128_t ln2_64_hi = wasm_f64x2_splat(0x1.62e42fefa0000p-7);
    const v128_t ln2_64_lo = wasm_f64x2_splat(0x1.cf79abc9e3b3ap-46);
    const v128_t n = wasm_f64x2_nearest(wasm_f64x2_mul(x, scale));
    v128_t r = wasm_f64x2_sub(x, wasm_f64x2_mul(n, ln2_64_hi));
    r = wasm_f64x2_sub(r, wasm_f64x2_mul(n, ln2_64_lo));

    /* e^r to degree 5: the first omitted term is below
     * (ln2/128)^6 / 720 < 4e-17 relative. */
    v128_t p = wasm_f64x2_splat(1.0 / 120);
    p = wasm_f64x2_add(wasm_f64x2_mul(p, r), wasm_f64x2_splat(1.0 / 24));
    p = wasm_f64x2_add(wasm_f64x2_mul(p, r), wasm_f64x2_splat(1.0 / 6));
    p = wasm_f64x2_add(wasm_f64x2_mul(p, r), wasm_f64x2_splat(0.5));
    p = wasm_f64x2_mul(wasm_f64x2_mul(p, r), r);
    p = wasm_f64x2_add(p, r); /* e^r - 1, added to 1 only after the table */

    const v128_t n32 = wasm_i32x4_trunc_sat_f64x2_zero(n);
    const int32_t n0 = wasm_i32x4_extract_lane(n32, 0);
    const int32_t n1 = wasm_i32x4_extract_lane(n32, 1);
    const v128_t table = wasm_v128_load64_lane(&ssm_exp_table[n1 & 63],
                                               wasm_v128_load64_zero(&ssm_exp_table[n0 & 63]), 1);
    v128_t result = wasm_f64x2_add(table, wasm_f64x2_mul(table, p));

    /* Multiply by 2^k, k = n >> 6 (floor), through the exponent field; k
     * lies in [-1022, 1023] for x in range, so the result stays normal. */
    const v128_t k64 = wasm_i64x2_extend_low_i32x4(wasm_i32x4_shr(n32, 6));
    return wasm_i64x2_add(result, wasm_i64x2_shl(k64, 52));
}

static inline v128_t ssm_exp_f64x2(v128_t x) {
    const v128_t lowest = wasm_f64x2_splat(-708.0);
    const v128_t highest = wasm_f64x2_splat(709.0);
    const v128_t too_low = wasm_f64x2_lt(x, lowest);
    const v128_t too_high = wasm_f64x2_gt(x, highest);
    x = wasm_f64x2_pmax(wasm_f64x2_pmin(x, highest), lowest);

    v128_t result = ssm_exp_f64x2_in_range(x);
    result = wasm_v128_andnot(result, too_low);
    result = wasm_v128_bitselect(wasm_f64x2_splat(INFINITY), result, too_high);
    return result;
}

#endif /* SSM_HAVE_SIMD */

#endif /* SSM_LENS_VEXP_H */
