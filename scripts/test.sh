#!/usr/bin/env bash
# `npm test`: every test of the repository, scheduled for a 2-core machine.
#   - in the background from the start, at the lowest CPU priority: the sanitizer build (enclave/build-asan: the C++
#     test binary and the fuzz harnesses) and the C++ tests. The stages below leave part of the two cores idle
#     (single-threaded steps, links; the Hardhat shards wait on chains, timers and child processes); the build takes
#     that part and, niced, little of theirs. Its output is kept and printed once the Hardhat tests are done
#   1. type check: the contracts compile, `tsc --noEmit`
#   2. the release enclave (the binary the Hardhat tests run)
#   3. the Hardhat tests (scripts/test-ts.sh, two shards)
#   4. the fuzz smoke run (enclave/scripts/fuzz.sh 10), once the background job is done: its harnesses run for a
#      fixed wall time and need whole cores
# A failed stage does not stop the later ones, except that 3 needs 2 and 4 needs the C++ tests to pass; the exit
# status is non-zero if any stage failed.
# The stages alone: npm run typecheck, enclave:build, test:ts, enclave:test, fuzz:enclave:quick.
set -uo pipefail
cd "$(dirname "$0")/.."

started=$SECONDS
failed=()
stage() { echo "==> [$((SECONDS - started))s] $1"; }

cxx_log="$(mktemp)"
trap 'rm -f "$cxx_log" "$cxx_log.status"; [ -n "${cxx_pid:-}" ] && kill -- -"$cxx_pid" 2>/dev/null' EXIT
stage "the sanitizer build and the C++ tests start in the background (nice 19); their output comes after the Hardhat tests"
# Job control gives the job its own process group, so an interrupted run stops the whole build (the EXIT trap). Not
# setsid: a new session is a new scheduler autogroup on Linux, which would share the CPU equally with the Hardhat
# tests whatever its nice value (measured: the shards took 989 s instead of 711 s).
set -m
nice -n 19 bash -c '
  bash enclave/scripts/build.sh asan && bash enclave/scripts/build.sh fuzz && bash enclave/scripts/test.sh
  echo "$?" >"$0.status"' "$cxx_log" >"$cxx_log" 2>&1 &
cxx_pid=$!
set +m

stage "type check (contracts, TypeScript)"
npm run --silent typecheck || failed+=("type check")

stage "enclave release build"
if ! bash enclave/scripts/build.sh release; then
  echo "the release enclave did not build: the Hardhat tests need it" >&2
  exit 1
fi

stage "Hardhat tests"
bash scripts/test-ts.sh || failed+=("Hardhat tests")

stage "waiting for the sanitizer build and the C++ tests"
wait "$cxx_pid"
cxx_pid=""
cat "$cxx_log"
cxx_status="$(cat "$cxx_log.status" 2>/dev/null || echo 1)"
echo "==> sanitizer build and C++ tests: exit $cxx_status"
if [ "$cxx_status" != 0 ]; then
  failed+=("C++ tests")
else
  stage "fuzz smoke run (10 s per harness)"
  bash enclave/scripts/fuzz.sh 10 || failed+=("fuzz smoke run")
fi

stage "done"
if [ "${#failed[@]}" -ne 0 ]; then
  echo "npm test failed: ${failed[*]}" >&2
  exit 1
fi
echo "npm test passed"
