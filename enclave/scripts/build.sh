#!/usr/bin/env bash
# Configures and incrementally builds the enclave.
#   build.sh release   enclave/build       Release with assertions: anonify-enclave (what nodes and TS tests run),
#                                          development trust anchors (ANONIFY_SGX_BUILD=OFF): runs only as simulation
#   build.sh sgx       enclave/build       the same with Intel's trust anchors (ANONIFY_SGX_BUILD=ON): runs only as
#                                          sgx (build-sgx.sh uses it; `release` afterwards switches back)
#   build.sh asan      enclave/build-asan  clang, ASan + UBSan, libFuzzer coverage: anonify-enclave +
#                                          anonify-enclave-tests (`enclave:test`)
#   build.sh fuzz      enclave/build-asan  the libFuzzer harnesses (every fuzz/*.cpp) in the same directory with the
#                                          same flags: they link the objects the tests use, so `npm test` compiles
#                                          the sanitized core once (until 2026-12-05 twice, with g++ for the tests
#                                          and clang for the harnesses: 620 s of a 1,630 s `npm test`)
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
  asan | fuzz)
    compiler="$(command -v clang++-14 || command -v clang++ || true)"
    if [ -z "$compiler" ]; then
      echo "error: the sanitizer build needs clang (apt-get install clang-14 libclang-rt-14-dev)" >&2
      exit 1
    fi
    dir=build-asan
    # -O1 with line tables: the usual sanitizer trade-off (file:line in every report, quick to compile; crypto
    # runs in OpenSSL). Configure with -g to debug in gdb. The coverage instrumentation the harnesses need
    # costs the tests little; tests/*.cpp themselves are compiled at -O0 (CMakeLists.txt).
    args=(-DCMAKE_BUILD_TYPE=None "-DCMAKE_CXX_FLAGS=-O1 -gline-tables-only" -DANONIFY_FUZZ=ON
          -DANONIFY_SGX_BUILD=OFF -DCMAKE_CXX_COMPILER="$compiler")
    if [ "$flavor" = asan ]; then
      targets=(anonify-enclave anonify-enclave-tests)
    else
      targets=()
      for source in fuzz/*.cpp; do targets+=("$(basename "$source" .cpp)"); done
    fi
    ;;
  bench)
    dir=build
    args=(-DCMAKE_BUILD_TYPE=Release -DANONIFY_SGX_BUILD=OFF)
    targets=(anonify-enclave-bench)
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

# A directory configured with another compiler (build-asan used g++ before it was shared with the fuzz harnesses)
# is configured afresh: CMake cannot switch the compiler of an existing cache.
configured_compiler="$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$dir/CMakeCache.txt" 2>/dev/null || true)"
if [ -n "${compiler:-}" ] && [ -n "$configured_compiler" ] && [ "$configured_compiler" != "$compiler" ]; then
  echo "$dir was configured with another compiler; configuring it afresh with $compiler"
  rm -rf "$dir/CMakeCache.txt" "$dir/CMakeFiles"
fi

# Re-running configure is cheap when nothing changed and keeps the flags above authoritative.
args+=("-DANONIFY_RUNTIME_DIRS=${ANONIFY_RUNTIME_DIRS:-}")
cmake -S . -B "$dir" "${args[@]}" >/dev/null
cmake --build "$dir" --parallel "$jobs" --target "${targets[@]}"
