#!/usr/bin/env bash
# Configures and incrementally builds the enclave.
#   build.sh release   enclave/build       Release with assertions: anonify-enclave (what nodes and TS tests run),
#                                          development trust anchors (ANONIFY_SGX_BUILD=OFF): runs only as simulation
#   build.sh sgx       enclave/build       the same with Intel's trust anchors (ANONIFY_SGX_BUILD=ON): runs only as
#                                          sgx (build-sgx.sh uses it; `release` afterwards switches back)
#   build.sh asan      enclave/build-asan  ASan + UBSan: anonify-enclave + anonify-enclave-tests (`enclave:test`)
#   build.sh fuzz      enclave/build-fuzz  clang-14 libFuzzer harnesses (every fuzz/*.cpp)
#   build.sh bench     enclave/build       anonify-enclave-bench (same directory and flags as release, so it
#                                          reuses the release objects: one extra program to compile)
# Parallelism defaults to 2 (the CI machines have 2 cores); override with ANONIFY_JOBS.
# ANONIFY_RUNTIME_DIRS (;-separated directories) compiles a project's own runtimes in, as the plugin does for
# anonify.runtimes: e.g. `ANONIFY_RUNTIME_DIRS=$PWD/enclave-runtimes/notes build-sgx.sh` signs an sgx package
# that carries them. Unset, the build carries the package's runtimes only.
set -euo pipefail
cd "$(dirname "$0")/.."
flavor="${1:-release}"
jobs="${ANONIFY_JOBS:-2}"

case "$flavor" in
  release)
    dir=build
    args=(-DCMAKE_BUILD_TYPE=Release -DANONIFY_SGX_BUILD=OFF)
    targets=(anonify-enclave)
    ;;
  sgx)
    dir=build
    args=(-DCMAKE_BUILD_TYPE=Release -DANONIFY_SGX_BUILD=ON)
    targets=(anonify-enclave)
    ;;
  asan)
    dir=build-asan
    # -O1 -g1: the usual sanitizer trade-off (line tables give file:line in every report, quick to compile;
    # crypto runs in OpenSSL). Full -g costs ~25 % more compile time; configure with it to debug in gdb.
    args=(-DCMAKE_BUILD_TYPE=None "-DCMAKE_CXX_FLAGS=-O1 -g1" -DANONIFY_SANITIZE=ON -DANONIFY_SGX_BUILD=OFF)
    targets=(anonify-enclave anonify-enclave-tests)
    ;;
  bench)
    dir=build
    args=(-DCMAKE_BUILD_TYPE=Release -DANONIFY_SGX_BUILD=OFF)
    targets=(anonify-enclave-bench)
    ;;
  fuzz)
    compiler="$(command -v clang++-14 || command -v clang++ || true)"
    if [ -z "$compiler" ]; then
      echo "error: the fuzz build needs clang (apt-get install clang-14 libclang-rt-14-dev)" >&2
      exit 1
    fi
    dir=build-fuzz
    args=(-DCMAKE_BUILD_TYPE=None "-DCMAKE_CXX_FLAGS=-O1 -gline-tables-only" -DANONIFY_FUZZ=ON
          -DCMAKE_CXX_COMPILER="$compiler")
    targets=()
    for source in fuzz/*.cpp; do targets+=("$(basename "$source" .cpp)"); done
    ;;
  *)
    echo "usage: $0 release|sgx|asan|fuzz|bench" >&2
    exit 2
    ;;
esac

# One build per directory at a time: the test suite runs in two processes, and each node it starts checks the
# build first; two cmake runs configuring one directory at once can leave it half written.
mkdir -p "$dir"
exec 9>"$dir/.build.lock"
flock 9

# Re-running configure is cheap when nothing changed and keeps the flags above authoritative.
args+=("-DANONIFY_RUNTIME_DIRS=${ANONIFY_RUNTIME_DIRS:-}")
cmake -S . -B "$dir" "${args[@]}" >/dev/null
cmake --build "$dir" --parallel "$jobs" --target "${targets[@]}"
