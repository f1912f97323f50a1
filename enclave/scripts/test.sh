#!/usr/bin/env bash
# Runs the GoogleTest binary of the ASan + UBSan build (build it with `build.sh asan` first), in ANONIFY_JOBS shards
# (default 2) side by side; with arguments (e.g. --gtest_filter=...), in one process.
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
# With arguments (a --gtest_filter, say): one process, its output as it comes.
shards="${ANONIFY_JOBS:-2}"
if [ "$#" -gt 0 ] || [ "$shards" -le 1 ]; then
  exec "$binary" --gtest_color=no "$@"
fi

# Without: GoogleTest's own sharding, one process per core (the tests are single-threaded and each works in its own
# temporary directory); each shard's output is printed whole once all have finished, then the total.
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT
for ((i = 0; i < shards; i++)); do
  GTEST_TOTAL_SHARDS="$shards" GTEST_SHARD_INDEX="$i" "$binary" --gtest_color=no >"$logs/$i.log" 2>&1 &
  pids[i]=$!
done
status=0
passed=0
for ((i = 0; i < shards; i++)); do
  wait "${pids[i]}" || status=1
  echo "---- shard $((i + 1)) of $shards"
  cat "$logs/$i.log"
  n="$(sed -n 's/^\[  PASSED  \] \([0-9]*\) tests\?\.$/\1/p' "$logs/$i.log")"
  passed=$((passed + ${n:-0}))
done
if [ "$status" -ne 0 ]; then
  echo "==> enclave C++ tests: FAILED (see the shard above with FAILED or a sanitizer report); $passed passed" >&2
  exit 1
fi
echo "==> enclave C++ tests: [  PASSED  ] $passed tests in $shards shards."
