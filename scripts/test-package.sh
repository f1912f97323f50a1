#!/usr/bin/env bash
# The pack-and-install test (`npm run test:package`, run by .ci/run after `npm test`): exactly what a user does.
#   1. npm pack (prepack runs `npm run build`: dist/ with .d.ts, prebuilt contract artifacts, IAS's and DCAP's)
#   2. a fresh folder: npm init, then install the tarball with the Hardhat, toolbox, TypeScript and ts-node
#      versions the docs name (read from package.json: peerDependencies / devDependencies), from the registry
#   3. npx hardhat-anonify init
#   4. npx hardhat anonify:new-runtime notes: a runtime of the project's own in enclave-runtimes/notes/
#   5. npx hardhat test: builds the enclave from the package's sources and the notes runtime into
#      .anonify/enclave-build; the example test deploys a token group on the in-process network, starts a
#      simulation node and sends token commands through the client; the notes test runs the runtime's C++
#      tests and a notes group through a node (commands, reads, a refusal)
# and then deploys a DCAP group (anonify:deploy --attestation dcap: the prebuilt DCAP artifacts and their linked
# libraries; the tarball is checked to hold them all), runs the demo (DCAP quotes end to end), verifies Intel's
# real quote on the package's DCAP contracts (anonify:verify-quote --onchain), checks that a second run finds the enclave up to date, that the project type-checks against the
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
# The prebuilt artifacts anonify:deploy uses in a user's project: IAS and DCAP groups, the DCAP libraries.
tar tzf "$tarball" >"$work/tarball.list"
for contract in IasVerifier AnonifyGroup DcapCollateral DcapCrls DcapVerifier TcbInfo QeIdentity PckChainVerification manifest; do
  grep -qx "package/dist/artifacts/$contract.json" "$work/tarball.list" || { echo "the tarball lacks dist/artifacts/$contract.json" >&2; exit 1; }
done

project="$work/my-project"
mkdir "$project"
cd "$project"
step "npm install the tarball + hardhat@$hardhat @nomicfoundation/hardhat-toolbox@$toolbox typescript@$typescript ts-node@$tsnode"
npm init -y >/dev/null
npm install --save-dev --no-fund --no-audit "$tarball" "hardhat@$hardhat" "@nomicfoundation/hardhat-toolbox@$toolbox" \
  "typescript@$typescript" "ts-node@$tsnode"

step "npx hardhat-anonify init"
npx hardhat-anonify init

step "npx hardhat anonify:new-runtime notes"
npx hardhat anonify:new-runtime notes
test -f enclave-runtimes/notes/notes.cpp && test -f enclave-runtimes/notes/notes_test.cpp && test -f test/notes.test.ts
if npx hardhat anonify:new-runtime notes >"$work/again.log" 2>&1; then
  echo "a second anonify:new-runtime notes must refuse to overwrite" >&2; exit 1
fi
grep -q "already exist" "$work/again.log"

step "npx hardhat test (first run: builds the enclave with the notes runtime into .anonify/enclave-build)"
npx hardhat test 2>&1 | tee "$work/first-run.log"
grep -q "notes/v1: your runtime on the in-process network" "$work/first-run.log"
grep -q "passes its C++ tests" "$work/first-run.log"

step "npx hardhat anonify:measure: the measurement to pin, and the runtimes the binary carries"
npx hardhat anonify:measure | tee "$work/measure.log"
grep -q "notes/v1" "$work/measure.log"
grep -qE "mrenclave  0x[0-9a-f]{64}" "$work/measure.log"

step "npx hardhat anonify:deploy --attestation dcap: a DCAP group from the prebuilt artifacts (linked libraries)"
npx hardhat anonify:deploy --attestation dcap | tee "$work/deploy-dcap.log"
grep -q "DcapVerifier  0x" "$work/deploy-dcap.log"
grep -q "anonify:collateral --collateral 0x" "$work/deploy-dcap.log"
node -e 'const r = require(process.argv[1]); if (r.attestation !== "dcap" || !r.dcapCollateral || !r.dcapCrls) process.exit(1);' "$project/.anonify/deployment-31337.json"
test -z "$(find artifacts -name DcapVerifier.json 2>/dev/null)"  # deployed from the package's artifacts, not compiled here

step "npx hardhat anonify:demo: the whole flow from the package, DCAP quotes (development QE and PCS, prebuilt artifacts)"
npx hardhat anonify:demo | tee "$work/demo.log"
grep -q "Demo OK" "$work/demo.log"
test "$(grep -c "joined with a DCAP quote" "$work/demo.log")" = 3

step "npx hardhat anonify:verify-quote --onchain: Intel's real v3 quote on the package's DCAP contracts, at its collateral's time"
v="$repo/test/vectors/dcap"
npx hardhat anonify:verify-quote --quote "$v/quote_v3_sgx.bin" --tcb-info "$v/0825_sgx_tcbinfov3_00606a000000.json" \
  --qe-identity "$v/0825_sgx_qeidentity_v4.json" --crl "$v/rootCrlDer.der" --crl "$v/0825_platform_crl.der" \
  --at 1755236700 --allow-tcb-status UpToDate,SWHardeningNeeded --onchain | tee "$work/verify-quote.log"
node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); if (!r.valid || r.onchainAgrees !== true || !r.gasUsed) process.exit(1);' "$work/verify-quote.log"

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
