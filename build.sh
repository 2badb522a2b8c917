#!/usr/bin/env bash
# Builds core/ into the standalone SIMD WebAssembly module wasm/ssm_lens.wasm
# with Debian's Emscripten 3.1.6, and prints each artifact's size and sha256.
set -euo pipefail
cd "$(dirname "$0")"

# Debian's emcc runs its optimizer with the system Node and needs its modules.
export NODE_PATH="${NODE_PATH:-/usr/share/nodejs}"

if ! command -v emcc >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "build.sh: emcc not found; installing Debian's emscripten and binaryen" >&2
        apt-get update -q >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q emscripten binaryen >/dev/null
    else
        echo "build.sh: emcc not found. Install Emscripten first, for example on Debian:" >&2
        echo "  sudo apt-get install emscripten binaryen" >&2
        exit 1
    fi
fi

version=$(emcc --version | head -n 1 | sed -E 's/.* ([0-9]+\.[0-9]+\.[0-9]+).*/\1/')
case "$version" in
    3.1.*) ;;
    *) echo "build.sh: expected Emscripten 3.1.x, found '$version'; the build may differ" >&2 ;;
esac

sources=(core/scan.c core/attention.c core/engine.c core/pooled.c core/bound.c core/sweep.c core/train.c core/loss.c core/abi.c)
exports=(
    ssm_check_model ssm_forward ssm_forward_plain ssm_attention ssm_attention_plain
    ssm_attention_pooled ssm_attention_pooled_plain
    ssm_compute_norms ssm_compute_bound ssm_length_sums
    ssm_expected_abs_rademacher_sum ssm_sweep_bound ssm_capacity_log10
    ssm_token_param_count ssm_token_logits ssm_token_logits_plain
    ssm_token_backward ssm_token_backward_plain ssm_batch_loss
    ssm_exp_vector ssm_struct_size malloc free
)
export_list=$(printf '_%s,' "${exports[@]}")

flags=(
    -std=c11 -O3 -msimd128 -Wall -Wextra -Werror
    --no-entry -sSTANDALONE_WASM -sALLOW_MEMORY_GROWTH=1
    -sINITIAL_MEMORY=16777216 -sTOTAL_STACK=1048576 -sMAXIMUM_MEMORY=4294967296
    -sEXPORTED_FUNCTIONS="${export_list%,}"
)

emcc "${flags[@]}" "${sources[@]}" -o wasm/ssm_lens.wasm

for artifact in wasm/ssm_lens.wasm; do
    size=$(wc -c < "$artifact")
    sum=$(sha256sum "$artifact" | cut -d ' ' -f 1)
    echo "$artifact  $size bytes  sha256 $sum"
done
