#!/usr/bin/env bash
# The pack-and-install test (`npm run test:package`, run by .ci/run after `npm test`): exactly what a user does.
#   1. npm pack (prepack runs `npm run build`: dist/ with .d.ts, prebuilt contract artifacts)
#   2. a fresh folder: npm init, then install the tarball with the Hardhat, toolbox, TypeScript and ts-node
#      versions the docs name (read from package.json: peerDependencies / devDependencies), from the registry
#   3. npx hardhat-anonify init
#   4. npx hardhat test: the example test builds the enclave from the package's sources into
#      .anonify/enclave-build, deploys a group on the in-process network, starts a simulation node and sends
#      token commands through the client
# and then checks that a second run finds the enclave up to date, that the project type-checks against the
# package's .d.ts, and that the package's contracts import as `hardhat-anonify/contracts/...` into a user's
# contract compiled with the user's own settings.
# Nothing from this checkout's builds is reused (a user has none of them). ANONIFY_KEEP_PACKAGE_TEST=1 keeps the folder.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/anonify-package-XXXXXX")"
cleanup() {
  if [ "${ANONIFY_KEEP_PACKAGE_TEST:-}" = "1" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
start=$SECONDS
step() { echo "==> [$((SECONDS - start))s] $*"; }

read -r hardhat toolbox typescript tsnode < <(node -e '
  const p = require(process.argv[1]);
  console.log([p.peerDependencies.hardhat, p.peerDependencies["@nomicfoundation/hardhat-toolbox"],
               p.devDependencies.typescript, p.devDependencies["ts-node"]].join(" "));' "$repo/package.json")

step "npm pack (prepack: npm run build)"
(cd "$repo" && npm pack --pack-destination "$work" >&2)
tarball="$(ls "$work"/hardhat-anonify-*.tgz)"
echo "    $(basename "$tarball"): $(du -k "$tarball" | cut -f1) kB"

project="$work/my-project"
mkdir "$project"
cd "$project"
step "npm install the tarball + hardhat@$hardhat @nomicfoundation/hardhat-toolbox@$toolbox typescript@$typescript ts-node@$tsnode"
npm init -y >/dev/null
npm install --save-dev --no-fund --no-audit "$tarball" "hardhat@$hardhat" "@nomicfoundation/hardhat-toolbox@$toolbox" \
  "typescript@$typescript" "ts-node@$tsnode"

step "npx hardhat-anonify init"
npx hardhat-anonify init

step "npx hardhat test (first run: builds the enclave into .anonify/enclave-build)"
npx hardhat test

step "npx hardhat test again: the enclave build is incremental (nothing to compile)"
npx hardhat test 2>&1 | tee "$work/second-run.log"
grep -q "anonify: enclave up to date" "$work/second-run.log"

step "npx tsc --noEmit: the config and the example test type-check against the package's .d.ts"
npx tsc --noEmit -p .

step "a user contract importing hardhat-anonify/contracts/... (user's own solidity settings)"
mkdir -p contracts
cat > contracts/GroupReader.sol <<'SOL'
// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAnonifyGroup} from "hardhat-anonify/contracts/group/IAnonifyGroup.sol";

contract GroupReader {
    function epochOf(IAnonifyGroup group) external view returns (uint64) {
        return group.currentEpoch();
    }
}
SOL
npx hardhat compile
test -f artifacts/contracts/GroupReader.sol/GroupReader.json

step "package test passed"
