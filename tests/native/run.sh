#!/bin/sh
# Builds tests/native/check.c with the core through SIMDe, under
# AddressSanitizer and UndefinedBehaviorSanitizer, and runs it on the
# fixtures. Any sanitizer report or failed check exits non-zero.
set -eu
cd "$(dirname "$0")/../.."
out="${TMPDIR:-/tmp}/ssm-lens-native-check"
${CC:-clang} -std=c11 -O1 -g -Wall -Wextra -Werror -fno-omit-frame-pointer \
    -fsanitize=address,undefined -fno-sanitize-recover=all \
    -DSSM_LENS_SIMDE -Icore core/*.c tests/native/check.c -lm -o "$out"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 "$out" "${1:-../shared/fixtures}"
