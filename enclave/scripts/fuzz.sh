#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/*.cpp, in build-asan beside the test binary) and runs them, two at a time.
#   fuzz.sh [seconds] [harness]   seconds per harness: $1, else $ANONIFY_FUZZ_SECONDS, else 120;
#                                 harness: one of fuzz/*.cpp by name (default: all of them)
#   fuzz.sh --seeds               regenerates the committed seed corpora (fuzz/corpus/<harness>/)
# `npm run fuzz` runs every harness for 120 s; `npm run fuzz:enclave:quick` (in the test command)
# for 10 s each (ANONIFY_JOBS harnesses at once, default 2). The growing corpus lives in
# build-asan/corpus/<harness> (untracked); fuzz/corpus/<harness> holds the committed seeds. A crash,
# leak, timeout or violated invariant writes its reproducer to build-asan/crashes/<harness>/ and
# makes the script fail; replay it with
#   build-asan/<harness> build-asan/crashes/<harness>/crash-...
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
    ANONIFY_FUZZ_WRITE_SEEDS="fuzz/corpus/$h" "./build-asan/$h"
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

# Runs one harness; its output goes to build-asan/<harness>.log and its exit status to build-asan/<harness>.status.
run_harness() {
  local h="$1"
  mkdir -p "build-asan/corpus/$h" "build-asan/crashes/$h"
  touch "build-asan/crashes/$h.started"
  set +e
  "./build-asan/$h" -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="build-asan/crashes/$h/" "build-asan/corpus/$h" "fuzz/corpus/$h" \
    >"build-asan/$h.log" 2>&1
  echo "$?" >"build-asan/$h.status"
  set -e
}

# The harnesses are single-threaded: as many run at once as the build uses jobs (ANONIFY_JOBS, default 2), each
# for its full time; their summaries are printed in order once all have finished.
jobs="${ANONIFY_JOBS:-2}"
echo "==> ${#harnesses[@]} harness(es) for ${seconds}s each, $jobs at a time"
running=0
for h in "${harnesses[@]}"; do
  rm -f "build-asan/$h.status"
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
  run_harness "$h" &
  running=$((running + 1))
done
wait || true

failed=()
for h in "${harnesses[@]}"; do
  echo "==> $h for ${seconds}s"
  status="$(cat "build-asan/$h.status" 2>/dev/null || echo 1)"
  grep -E '^(#[0-9]+ +(INITED|DONE)|Done|stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)|==[0-9]+==|SUMMARY|.*ERROR|fuzz invariant)' \
    "build-asan/$h.log" || true
  if [ "$status" -ne 0 ]; then
    # CI keeps only this output: the end of the log (the report, the stack) and the reproducer
    # itself, so a failure on a machine that is gone can still be replayed.
    echo "---- last lines of build-asan/$h.log" >&2
    tail -n 40 "build-asan/$h.log" >&2
    find "build-asan/crashes/$h" -type f -newer "build-asan/crashes/$h.started" | while read -r artifact; do
      echo "---- reproducer $(basename "$artifact") ($(wc -c <"$artifact") bytes, base64; replay: base64 -d > file, build-asan/$h file)" >&2
      head -c 16384 "$artifact" | base64 >&2
    done
    echo "$h failed (exit $status): log build-asan/$h.log, reproducer in enclave/build-asan/crashes/$h/" >&2
    failed+=("$h")
  fi
done
if [ "${#failed[@]}" -ne 0 ]; then
  echo "fuzzing failed: ${failed[*]}" >&2
  exit 1
fi
