#!/bin/sh
# Builds the libFuzzer harnesses (clang, ASan, UBSan) into fuzz/build/ and
# either replays the saved corpus and the regression inputs once
# (--replay, what the tests do), or fuzzes each harness for N minutes
# (--minutes N), adding new inputs to fuzz/corpus/<harness>/ and crashes to
# fuzz/crashes/. The safetensors reader, in JavaScript, has its own
# mutation fuzzer (fuzz/safetensors.mjs), run the same way.
set -eu
cd "$(dirname "$0")/.."
mode=replay
minutes=1
while [ $# -gt 0 ]; do
    case "$1" in
        --replay) mode=replay ;;
        --minutes) mode=fuzz; minutes="$2"; shift ;;
        *) echo "usage: fuzz/run.sh [--replay | --minutes N]" >&2; exit 2 ;;
    esac
    shift
done

mkdir -p fuzz/build fuzz/crashes
sources="core/scan.c core/attention.c core/engine.c core/pooled.c core/bound.c core/sweep.c core/train.c core/loss.c core/abi.c"
for harness in kernels bound train; do
    # shellcheck disable=SC2086
    clang -std=c11 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
        -DSSM_LENS_SIMDE -Icore -Ifuzz $sources "fuzz/$harness.c" -lm -o "fuzz/build/$harness"
    mkdir -p "fuzz/corpus/$harness"
    if [ "$mode" = replay ]; then
        "fuzz/build/$harness" -runs=0 "fuzz/corpus/$harness"
        # Inputs that once broke a harness, run one by one (libFuzzer takes
        # either directories or files in one call, not both).
        for file in fuzz/regressions/"$harness"-*; do
            if [ -f "$file" ]; then
                "fuzz/build/$harness" -runs=0 "$file"
            fi
        done
    else
        "fuzz/build/$harness" -max_total_time=$((minutes * 60)) -print_final_stats=1 \
            -artifact_prefix="fuzz/crashes/$harness-" "fuzz/corpus/$harness"
    fi
done

if [ "$mode" = replay ]; then
    node fuzz/safetensors.mjs --runs 3000
else
    node fuzz/safetensors.mjs --minutes "$minutes"
fi
