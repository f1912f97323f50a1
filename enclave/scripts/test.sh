#!/usr/bin/env bash
# Runs the GoogleTest binary of the ASan + UBSan build (build it with `build.sh asan` first).
# Vectors: $ANONIFY_VECTORS if set, else the copies committed under test/vectors (compiled in).
set -euo pipefail
cd "$(dirname "$0")/.."
binary=build-asan/anonify-enclave-tests
if [ ! -x "$binary" ]; then
  echo "error: $binary is missing; run \`npm run enclave:build:asan\`" >&2
  exit 1
fi
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
echo "==> enclave C++ tests (ASan+UBSan), vectors: ${ANONIFY_VECTORS:-<compiled-in default>}"
exec "$binary" --gtest_color=no "$@"
