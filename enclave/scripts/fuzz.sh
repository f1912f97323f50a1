#!/usr/bin/env bash
# Fuzzes the frame + request parser and the method dispatch (fuzz/fuzz_protocol.cpp).
#   fuzz.sh [seconds]    default 20 (the quick run of the test command); `npm run fuzz:enclave` uses 600
# The growing corpus lives in build-fuzz/corpus (untracked); fuzz/corpus holds the committed seeds.
# Crashes are written to build-fuzz/crashes/ and make the script fail.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
./scripts/build.sh fuzz
mkdir -p build-fuzz/corpus build-fuzz/crashes
echo "==> fuzz_protocol for ${seconds}s"
./build-fuzz/fuzz_protocol -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix=build-fuzz/crashes/ build-fuzz/corpus fuzz/corpus/fuzz_protocol 2>&1 |
  grep -E '^(#[0-9]+ +DONE|Done|stat::|==|SUMMARY|INFO: Seed|.*ERROR)' || true
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ]; then
  echo "fuzz_protocol failed (exit $status); reproducer in enclave/build-fuzz/crashes/" >&2
  exit "$status"
fi
