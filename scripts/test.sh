#!/bin/sh
# Builds the module, installs what the tests need, and runs every test
# under Node's built-in runner.
set -eu
cd "$(dirname "$0")/.."

./build.sh

# The dev dependencies (playwright-core, esbuild, typescript and tfjs for the
# benchmark): install them when missing or older than package-lock.json.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm install --no-audit --no-fund
fi

# The browser test needs Debian's Chromium; install it as root, as build.sh
# does for Emscripten. Without it that test is skipped with a message.
if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "test.sh: /usr/bin/chromium not found; installing Debian's chromium" >&2
        apt-get update -q >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
    else
        echo "test.sh: /usr/bin/chromium not found; the browser test will be skipped (sudo apt-get install chromium)" >&2
    fi
fi

# The sanitizer test builds the core natively with clang through SIMDe; the
# training test compares steps with PyTorch (Debian's python3-torch).
missing=""
command -v clang >/dev/null 2>&1 || missing="$missing clang"
dpkg -s libclang-rt-14-dev >/dev/null 2>&1 || missing="$missing libclang-rt-14-dev"
[ -f /usr/include/simde/wasm/simd128.h ] || missing="$missing libsimde-dev"
/usr/bin/python3 -c 'import torch' >/dev/null 2>&1 || missing="$missing python3-torch"
if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "test.sh: installing$missing for the sanitizer and PyTorch tests" >&2
        apt-get update -q >/dev/null
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/dev/null
    else
        echo "test.sh:$missing not found; the tests that need them will be skipped (sudo apt-get install$missing)" >&2
    fi
fi

node --test tests/*.test.mjs
