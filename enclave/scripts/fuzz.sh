#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/*.cpp, one build) and runs each in turn.
#   fuzz.sh [seconds] [harness]   seconds per harness: $1, else $ANONIFY_FUZZ_SECONDS, else 120;
#                                 harness: one of fuzz/*.cpp by name (default: all of them)
#   fuzz.sh --seeds               regenerates the committed seed corpora (fuzz/corpus/<harness>/)
# `npm run fuzz` runs every harness for 120 s; `npm run fuzz:enclave:quick` (in the test command)
# for 10 s each. The growing corpus lives in build-fuzz/corpus/<harness> (untracked);
# fuzz/corpus/<harness> holds the committed seeds. A crash, leak, timeout or violated invariant
# writes its reproducer to build-fuzz/crashes/<harness>/ and makes the script fail; replay it with
#   build-fuzz/<harness> build-fuzz/crashes/<harness>/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."

harnesses=()
for source in fuzz/*.cpp; do harnesses+=("$(basename "$source" .cpp)"); done

if [ "${1:-}" = "--seeds" ]; then
  ./scripts/build.sh fuzz
  for h in "${harnesses[@]}"; do
    # fuzz_protocol's seeds are hand-written request frames; the others generate theirs.
    [ "$h" = fuzz_protocol ] && continue
    rm -rf "fuzz/corpus/$h"
    ANONIFY_FUZZ_WRITE_SEEDS="fuzz/corpus/$h" "./build-fuzz/$h"
  done
  exit 0
fi

seconds="${1:-${ANONIFY_FUZZ_SECONDS:-120}}"
if [ -n "${2:-}" ]; then
  if [ ! -f "fuzz/$2.cpp" ]; then
    echo "unknown harness '$2' (have: ${harnesses[*]})" >&2
    exit 2
  fi
  harnesses=("$2")
fi

./scripts/build.sh fuzz
failed=()
for h in "${harnesses[@]}"; do
  mkdir -p "build-fuzz/corpus/$h" "build-fuzz/crashes/$h"
  echo "==> $h for ${seconds}s"
  started="build-fuzz/crashes/$h.started"
  touch "$started"
  set +e
  "./build-fuzz/$h" -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="build-fuzz/crashes/$h/" "build-fuzz/corpus/$h" "fuzz/corpus/$h" \
    >"build-fuzz/$h.log" 2>&1
  status=$?
  set -e
  grep -E '^(#[0-9]+ +(INITED|DONE)|Done|stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)|==[0-9]+==|SUMMARY|.*ERROR|fuzz invariant)' \
    "build-fuzz/$h.log" || true
  if [ "$status" -ne 0 ]; then
    # CI keeps only this output: the end of the log (the report, the stack) and the reproducer
    # itself, so a failure on a machine that is gone can still be replayed.
    echo "---- last lines of build-fuzz/$h.log" >&2
    tail -n 40 "build-fuzz/$h.log" >&2
    find "build-fuzz/crashes/$h" -type f -newer "$started" | while read -r artifact; do
      echo "---- reproducer $(basename "$artifact") ($(wc -c <"$artifact") bytes, base64; replay: base64 -d > file, build-fuzz/$h file)" >&2
      head -c 16384 "$artifact" | base64 >&2
    done
    echo "$h failed (exit $status): log build-fuzz/$h.log, reproducer in enclave/build-fuzz/crashes/$h/" >&2
    failed+=("$h")
  fi
done
if [ "${#failed[@]}" -ne 0 ]; then
  echo "fuzzing failed: ${failed[*]}" >&2
  exit 1
fi
