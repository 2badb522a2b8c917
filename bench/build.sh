#!/usr/bin/env bash
# Builds the peers the benchmark compares against, into bench/build/:
# the same C as scalar wasm (no -msimd128; the SIMD source runs through
# SIMDe's portable fallback), the same C natively with gcc -O3 through
# SIMDe, and a small wasm module that measures the peak multiply-add rate.
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH="${NODE_PATH:-/usr/share/nodejs}"
mkdir -p bench/build

simde_header=/usr/include/simde/wasm/simd128.h
if [ ! -f "$simde_header" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "bench/build.sh: SIMDe not found; installing Debian's libsimde-dev" >&2
        apt-get update -q >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q libsimde-dev >/dev/null
    else
        echo "bench/build.sh: $simde_header not found; install it with: sudo apt-get install libsimde-dev" >&2
        exit 1
    fi
fi
# emcc must not see the host's /usr/include, only SIMDe's headers.
mkdir -p bench/build/include
ln -sfn /usr/include/simde bench/build/include/simde

sources=(core/scan.c core/attention.c core/engine.c core/pooled.c core/bound.c core/sweep.c core/train.c core/loss.c core/abi.c)
exports=$(printf '_%s,' ssm_forward ssm_attention ssm_attention_pooled ssm_sweep_bound \
    ssm_compute_norms ssm_compute_bound ssm_struct_size ssm_check_model \
    ssm_token_logits ssm_token_backward ssm_batch_loss malloc free)
wasm_flags=(
    -std=c11 -O3 -Wno-pass-failed --no-entry -sSTANDALONE_WASM -sALLOW_MEMORY_GROWTH=1
    -sINITIAL_MEMORY=16777216 -sTOTAL_STACK=1048576 -sMAXIMUM_MEMORY=4294967296
)

emcc "${wasm_flags[@]}" -DSSM_LENS_SIMDE -Ibench/build/include \
    -sEXPORTED_FUNCTIONS="${exports%,}" "${sources[@]}" -o bench/build/ssm_lens_scalar.wasm
emcc "${wasm_flags[@]}" -msimd128 -sEXPORTED_FUNCTIONS=_peak_multiply_add \
    bench/peak.c -o bench/build/peak.wasm
gcc -std=c11 -O3 -march=native -DSSM_LENS_SIMDE -Icore "${sources[@]}" bench/native.c bench/peak.c \
    -lm -o bench/build/native

for artifact in bench/build/ssm_lens_scalar.wasm bench/build/peak.wasm bench/build/native; do
    echo "$artifact  $(wc -c < "$artifact") bytes"
done
