import { expect } from "chai";
import { Wallet, type HDNodeWallet } from "ethers";
import { EnclaveError, type EnclaveProcess } from "../../src/enclave/EnclaveProcess";
import type { Eip712DomainParams, Hex, MlsGroupPolicyParams, MlsHandshakeEntry, MlsStatusResult } from "../../src/enclave/protocol";
import { signerPolicy, simulationAdmitParams } from "../../src/node/evidence";
import { commitPolicyChange, encodeGroupPolicy, groupIdOf, policyChangeTypedData, policyHash } from "../../src/node/policyChange";
import { admitEachOther, startEnclave, tempDir } from "./helpers";

/**
 * An MRENCLAVE-allowlist upgrade through the governance path (enclave/PROTOCOL.md "Policy changes";
 * docs/recovery.md): two enclave processes share a group whose policy pins their MRENCLAVE and names 2 of 3
 * governance keys; the keys approve (EIP-712, ethers `signTypedData`) a policy that also allows a new MRENCLAVE,
 * one enclave commits it, both apply it, and a third enclave following the log checks the approvals too and joins
 * under the new policy. Too few approvals, and approvals of a past epoch, are refused.
 */

const domain: Eip712DomainParams = {
  name: "Anonify",
  version: "1",
  chainId: 31337,
  verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
};
const NEW_MRENCLAVE: Hex = `0x${"6b".repeat(32)}`;

async function expectRefused(call: Promise<unknown>, code: string, fragment: string): Promise<void> {
  try {
    await call;
  } catch (e) {
    expect(e).to.be.instanceOf(EnclaveError);
    expect((e as EnclaveError).code).to.equal(code);
    expect((e as EnclaveError).message).to.contain(fragment);
    return;
  }
  expect.fail(`expected ${code}`);
}

function memberEpoch(status: MlsStatusResult): number {
  if (status.group === null || status.group.member !== true) throw new Error("not a member");
  return status.group.epoch;
}

describe("group policy change by k-of-n governance (two enclave processes, simulation)", function () {
  const dirs = [tempDir(), tempDir(), tempDir()];
  let a: EnclaveProcess;
  let b: EnclaveProcess;
  let c: EnclaveProcess;
  const governance: HDNodeWallet[] = [Wallet.createRandom(), Wallet.createRandom(), Wallet.createRandom()];

  before(async function () {
    [a, b, c] = await Promise.all(dirs.map((d) => startEnclave({ dataDir: d.dir })));
    for (const e of [a, b, c]) await e.init();
  });
  after(async function () {
    for (const e of [a, b, c]) await e.close();
    for (const d of dirs) d.cleanup();
  });

  it("encodes the policy as the enclave does and names the group id chainId ‖ contract", function () {
    const policy: MlsGroupPolicyParams = {
      signer: { mrsigner: `0x${"11".repeat(32)}`, isvProdId: 1, minIsvSvn: 2 },
      collateralGrace: "86400",
      minTcbEvaluationDataNumber: 17,
      runtime: "anonify-token/v1",
    };
    const encoded = Buffer.from(encodeGroupPolicy(domain, policy)).toString("hex");
    // chain id, contract<V>, statuses<V> ["OK"], allow_debug 0, no MRENCLAVE list, signer, max age 0, collateral grace
    // 86400 (uint64), minimum tcbEvaluationDataNumber 17 (uint32), k = 0, keys<V> [], runtime<V>.
    expect(encoded).to.equal(
      "0000000000007a69" + "14" + "5fbdb2315678afecb367f032d93f642f64180aa3" + "03024f4b" + "00" + "00" +
        "01" + "20" + "11".repeat(32) + "0001" + "0002" + "0000000000000000" + "0000000000015180" + "00000011" +
        "00" + "00" + "10" + Buffer.from("anonify-token/v1").toString("hex"),
    );
    // The runtime is part of what governance approves, so it cannot be left to the enclave's default.
    expect(() => encodeGroupPolicy(domain, { ...policy, runtime: undefined })).to.throw(/policy\.runtime is required/);
    expect(groupIdOf(31337, domain.verifyingContract)).to.equal("0x0000000000007a695fbdb2315678afecb367f032d93f642f64180aa3");
  });

  it("upgrades the MRENCLAVE allowlist: k approvals commit it, both members and a follower apply it", async function () {
    const log: MlsHandshakeEntry[] = [];
    await admitEachOther([a, b, c]);
    const evidence = await a.call("evidence", {});
    const genesisPolicy: MlsGroupPolicyParams = {
      ...signerPolicy(evidence),
      mrenclaves: [evidence.mrenclave],
      governance: { threshold: 2, keys: governance.map((w) => w.address as Hex) },
    };
    const genesis = await a.call("mls_create_group", { domain, policy: genesisPolicy });
    log.push(genesis);
    await b.call("mls_process_handshake", { handshake: genesis.handshake });
    const join = await b.call("mls_join_external", { domain });
    log.push(join);
    for (const e of [a, b]) await e.call("mls_process_handshake", { handshake: join.handshake });

    // The change also sets the DCAP grace and minimum: the enclave's policyHash checks encodeGroupPolicy's bytes for them.
    const upgraded: MlsGroupPolicyParams = {
      ...genesisPolicy,
      mrenclaves: [evidence.mrenclave, NEW_MRENCLAVE],
      collateralGrace: "3600",
      minTcbEvaluationDataNumber: 17,
    };
    const epoch = memberEpoch(await a.call("mls_status", {}));
    const typed = policyChangeTypedData(domain, epoch, upgraded);
    const approvals = (await Promise.all(governance.map((w) => w.signTypedData(typed.domain, typed.types, typed.value)))) as Hex[];

    // One approval (k - 1), or an outsider's second one, cannot make the enclave commit the change.
    await expectRefused(commitPolicyChange(a, domain, upgraded, [approvals[0]]), "policy_refused", "1 distinct governance approvals");
    const outsider = Wallet.createRandom();
    const foreign = (await outsider.signTypedData(typed.domain, typed.types, typed.value)) as Hex;
    await expectRefused(commitPolicyChange(a, domain, upgraded, [approvals[0], foreign]), "policy_refused", "not a governance key");
    expect(memberEpoch(await a.call("mls_status", {}))).to.equal(epoch);

    const change = await commitPolicyChange(a, domain, upgraded, [approvals[0], approvals[2]]);
    expect(change.policyHash).to.equal(policyHash(domain, upgraded));
    expect(change.removed).to.deep.equal([]);
    expect(change.chainEpoch).to.equal(epoch + 1);
    log.push(change);
    expect((await a.call("mls_process_handshake", { handshake: change.handshake })).outcome).to.equal("own_commit");
    expect((await b.call("mls_process_handshake", { handshake: change.handshake })).outcome).to.equal("commit");
    const [sa, sb] = [await a.call("mls_status", {}), await b.call("mls_status", {})];
    expect(memberEpoch(sa)).to.equal(epoch + 1);
    expect(memberEpoch(sb)).to.equal(epoch + 1);
    if (sa.group?.member !== true || sb.group?.member !== true) throw new Error("not members");
    expect(sa.group.epochAuthenticator).to.equal(sb.group.epochAuthenticator);

    // The approvals were for epoch `epoch`: they cannot be replayed for the next commit.
    await expectRefused(commitPolicyChange(b, domain, upgraded, [approvals[0], approvals[2]]), "policy_refused", "not a governance key");

    // A third enclave follows the log (checking the approvals itself) and joins under the new policy.
    for (const entry of log) await c.call("mls_process_handshake", { handshake: entry.handshake });
    expect((await c.call("mls_status", {})).followedEpoch).to.equal(epoch + 1);
    const late = await c.call("mls_join_external", { domain });
    for (const e of [a, b, c]) await e.call("mls_process_handshake", { handshake: late.handshake });
    const statuses = await Promise.all([a, b, c].map((e) => e.call("mls_status", {})));
    const authenticators = statuses.map((s) => (s.group?.member === true ? s.group.epochAuthenticator : undefined));
    expect(new Set(authenticators).size).to.equal(1);
    expect(authenticators[0]).to.not.equal(undefined);
    expect(statuses[0].group?.member === true && statuses[0].group.memberCount).to.equal(3);
  });

  it("never changes a policy without governance keys", async function () {
    // The node's default genesis policy names no governance keys (k = n = 0): the enclave builds no change of it.
    const d = tempDir();
    const solo = await startEnclave({ dataDir: d.dir });
    try {
      await solo.init();
      const evidence = await solo.call("evidence", {});
      await solo.call("mls_admit_evidence", simulationAdmitParams(evidence));
      await solo.call("mls_create_group", { domain, policy: signerPolicy(evidence) });
      const wide: MlsGroupPolicyParams = { ...signerPolicy(evidence), maxEvidenceAge: 1 };
      const typed = policyChangeTypedData(domain, 0, wide);
      const approval = (await governance[0].signTypedData(typed.domain, typed.types, typed.value)) as Hex;
      await expectRefused(commitPolicyChange(solo, domain, wide, [approval]), "policy_refused", "never changes");
    } finally {
      await solo.close();
      d.cleanup();
    }
  });
});
