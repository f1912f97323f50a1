#!/usr/bin/env bash
# The TypeScript suite (`npm run test:ts`, the last step of `npm test`) in two mocha processes at once, one per
# core: the suite is bound by one thread (mocha, the in-process chain) while the machines CI uses have two cores.
#   test-ts.sh                 every test file, in two shards run side by side
#   test-ts.sh --serial        every test file, in one process (what `hardhat test` does)
#   test-ts.sh <files...>      these files, in one process
#   test-ts.sh --list          the split: "<shard> <file>" per test file (test/plugin/testShards.test.ts checks it)
# Shard 1 takes the attestation and property tests (the long on-chain differentials) and package.test.ts; shard 2
# the others (contracts, and the tests that drive node and enclave processes: client, e2e, enclave, group, mls, node,
# plugin, recovery, runtime).
# Every test that runs `compile` (verify-report/verify-quote --onchain, package.test.ts) is in shard 1: two compiles
# at once would race on the artifacts cache. A file in no listed directory goes to shard 2, so every test file runs.
# The split is balanced by the per-file times of a full run (`ANONIFY_TEST_TIMES=1 npm run test:ts` prints them).
# Each shard's lines carry its number; a summary of both comes last; the exit status is non-zero if either failed.
set -euo pipefail
cd "$(dirname "$0")/.."

SHARD_1_DIRS=(test/attestation test/property)
SHARD_1_FILES=(test/plugin/package.test.ts)

case "${1:-}" in
  "" | --list) ;;
  --serial) exec npx hardhat test ;;
  *) exec npx hardhat test "$@" ;;
esac

for listed in "${SHARD_1_DIRS[@]}" "${SHARD_1_FILES[@]}"; do
  if [ ! -e "$listed" ]; then
    echo "scripts/test-ts.sh: $listed is listed for shard 1 but does not exist" >&2
    exit 2
  fi
done
shard_1=()
shard_2=()
while IFS= read -r file; do
  in_1=false
  for dir in "${SHARD_1_DIRS[@]}"; do [[ "$file" == "$dir"/* ]] && in_1=true; done
  for own in "${SHARD_1_FILES[@]}"; do [ "$file" = "$own" ] && in_1=true; done
  if $in_1; then shard_1+=("$file"); else shard_2+=("$file"); fi
done < <(find test -name '*.test.ts' | LC_ALL=C sort)

if [ "${1:-}" = "--list" ]; then
  for file in "${shard_1[@]}"; do echo "1 $file"; done
  for file in "${shard_2[@]}"; do echo "2 $file"; done
  exit 0
fi

# One compile before both (each shard runs with --no-compile), so neither starts one of its own.
npx hardhat compile --quiet

logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT
run_shard() {
  local n="$1"
  shift
  set +e
  npx hardhat test --no-compile "$@" 2>&1 | tee "$logs/shard-$n.log" | sed -u "s/^/[$n] /"
  echo "${PIPESTATUS[0]}" >"$logs/shard-$n.status"
  set -e
}
started=$SECONDS
echo "==> TypeScript tests: shard 1 (${#shard_1[@]} files) and shard 2 (${#shard_2[@]} files) side by side"
run_shard 1 "${shard_1[@]}" &
run_shard 2 "${shard_2[@]}" &
wait

status=0
echo
echo "==> TypeScript tests: summary ($((SECONDS - started)) s)"
for n in 1 2; do
  shard_status="$(cat "$logs/shard-$n.status" 2>/dev/null || echo 1)"
  summary="$(grep -E '^ +[0-9]+ (passing|failing|pending)' "$logs/shard-$n.log" | sed 's/^ *//' | paste -sd ' ' -)"
  echo "shard $n: ${summary:-no mocha summary} (exit $shard_status)"
  [ "$shard_status" = 0 ] || status=1
done
exit "$status"
