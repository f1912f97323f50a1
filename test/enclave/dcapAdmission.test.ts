import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { EnclaveError, type EnclaveProcess } from "../../src/enclave/EnclaveProcess";
import type { Eip712DomainParams, EvidenceResult, Hex, MlsAdmitDcapEvidenceParams, MlsGroupPolicyParams } from "../../src/enclave/protocol";
import { signerPolicy, simulationAdmitParams } from "../../src/node/evidence";
import { DevelopmentQuotingEnclave } from "../../src/attestation/dcap/devQe";
import { startEnclave, tempDir, toHex } from "./helpers";

/**
 * DCAP evidence in the membership rule over the real frame protocol (enclave/PROTOCOL.md `mls_admit_evidence`
 * kind "dcap"): enclave B's own quote body, quoted by the development QE (src/attestation/dcap/devQe.ts) with the
 * development PCS collateral of test/vectors/dcap-dev, is admitted by enclave A (a simulation build pins the
 * development DCAP root), and B's external join is then accepted; withheld CRLs and expired collateral are refused.
 */

const FIXTURES = path.resolve(__dirname, "..", "vectors", "dcap-dev");
/** manifest.json verifyAt and the collateral's nextUpdate (test/vectors/dcap-dev/README.md). */
const VERIFY_AT = 1796342400;
const NEXT_UPDATE = 2521929600;
/** The ISV report body inside an EPID quote body (bytes 48..432), as inside a DCAP quote. */
const REPORT_BODY_OFFSET = 48;
const REPORT_BODY_LENGTH = 384;

const domain: Eip712DomainParams = {
  name: "Anonify",
  version: "1",
  chainId: 31337,
  verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
};

function fixture(name: string): Hex {
  return toHex(fs.readFileSync(path.join(FIXTURES, name)));
}

/** `mls_admit_evidence` kind "dcap" for an enclave's `evidence` answer: its report body quoted by the development QE. */
function dcapAdmitParams(evidence: EvidenceResult, blockTimestamp: number): MlsAdmitDcapEvidenceParams {
  const quoteBody = Buffer.from(evidence.quote.slice(2), "hex");
  const reportBody = quoteBody.subarray(REPORT_BODY_OFFSET, REPORT_BODY_OFFSET + REPORT_BODY_LENGTH);
  const quote = new DevelopmentQuotingEnclave().quote(reportBody);
  return {
    kind: "dcap",
    quote: toHex(quote),
    tcbInfo: fixture("tcb_info.json"),
    qeIdentity: fixture("qe_identity.json"),
    tcbSigningChain: fixture("tcb_signing_chain.pem"),
    rootCaCrl: fixture("root_ca_crl.der"),
    pckCaCrl: fixture("pck_platform_crl.der"),
    hpkePublicKey: evidence.hpkePublicKey,
    mlsSignatureKey: evidence.mlsSignatureKey,
    blockTimestamp: String(blockTimestamp),
  };
}

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

describe("DCAP evidence in the membership rule (two enclave processes, simulation)", function () {
  let dirs: ReturnType<typeof tempDir>[] = [];
  let a: EnclaveProcess;
  let b: EnclaveProcess;

  beforeEach(async function () {
    dirs = [tempDir(), tempDir()];
    [a, b] = await Promise.all(dirs.map((d) => startEnclave({ dataDir: d.dir })));
    for (const e of [a, b]) await e.init();
  });
  afterEach(async function () {
    for (const e of [a, b]) await e.close();
    for (const d of dirs) d.cleanup();
  });

  async function groupWithDcapStatuses(extra: Partial<MlsGroupPolicyParams> = {}): Promise<EvidenceResult> {
    const evidenceA = await a.call("evidence", {});
    await a.call("mls_admit_evidence", simulationAdmitParams(evidenceA));
    const policy: MlsGroupPolicyParams = { ...signerPolicy(evidenceA), allowedStatuses: ["OK", "UpToDate"], ...extra };
    const genesis = await a.call("mls_create_group", { domain, policy });
    // B holds A's (IAS) evidence and follows the log from the genesis entry.
    await b.call("mls_admit_evidence", simulationAdmitParams(evidenceA));
    await b.call("mls_admit_evidence", simulationAdmitParams(await b.call("evidence", {})));
    await b.call("mls_process_handshake", { handshake: genesis.handshake });
    return b.call("evidence", {});
  }

  it("admits an enclave on development DCAP evidence, then its external join", async function () {
    const evidenceB = await groupWithDcapStatuses();
    const admitted = await a.call("mls_admit_evidence", dcapAdmitParams(evidenceB, VERIFY_AT));
    expect(admitted.kind).to.equal("dcap");
    expect(admitted.address).to.equal(evidenceB.address.toLowerCase());
    expect(admitted.status).to.equal("UpToDate");
    expect(admitted.timestamp).to.equal(String(VERIFY_AT));
    expect(admitted.dcap?.qeTcbStatus).to.equal("UpToDate");
    expect(admitted.dcap?.collateralNextUpdate).to.equal(String(NEXT_UPDATE));
    const join = await b.call("mls_join_external", { domain });
    const applied = await a.call("mls_process_handshake", { handshake: join.handshake, blockTimestamp: String(VERIFY_AT + 60) });
    expect(applied.outcome).to.equal("external_join");
    await b.call("mls_process_handshake", { handshake: join.handshake, blockTimestamp: String(VERIFY_AT + 60) });
    const [sa, sb] = await Promise.all([a.call("mls_status", {}), b.call("mls_status", {})]);
    expect(sa.group?.member === true && sa.group.memberCount).to.equal(2);
    expect(sa.group?.member === true && sb.group?.member === true && sa.group.epochAuthenticator).to.equal(
      sb.group?.member === true ? sb.group.epochAuthenticator : undefined,
    );
  });

  it("refuses withheld CRLs and collateral that expired before the handshake", async function () {
    const evidenceB = await groupWithDcapStatuses();
    const params = dcapAdmitParams(evidenceB, VERIFY_AT);
    const { pckCaCrl: _withheld, ...noPckCrl } = params;
    await expectRefused(a.call("mls_admit_evidence", noPckCrl as MlsAdmitDcapEvidenceParams), "invalid_params", "pckCaCrl");
    await expectRefused(a.call("mls_admit_evidence", { ...params, pckCaCrl: params.rootCaCrl }), "evidence_refused", "RevocationNotChecked()");
    await a.call("mls_admit_evidence", params);
    const join = await b.call("mls_join_external", { domain });
    await expectRefused(
      a.call("mls_process_handshake", { handshake: join.handshake, blockTimestamp: String(NEXT_UPDATE + 1) }),
      "leaf_not_admitted",
      `CollateralExpiredAtAdmission(${NEXT_UPDATE}, ${NEXT_UPDATE + 1})`,
    );
    const status = await a.call("mls_status", {});
    expect(status.group?.member === true && status.group.memberCount).to.equal(1);
  });

  // The fixtures' TCB Info and QE Identity carry tcbEvaluationDataNumber 17: a group whose policy asks for 18
  // refuses the join (TCB Info, kind 0, first), as DcapVerifier and verifier.ts do.
  it("refuses a join below the group's minimum tcbEvaluationDataNumber", async function () {
    const evidenceB = await groupWithDcapStatuses({ minTcbEvaluationDataNumber: 18 });
    const admitted = await a.call("mls_admit_evidence", dcapAdmitParams(evidenceB, VERIFY_AT));
    expect(admitted.dcap?.tcbEvaluationDataNumber).to.equal(17);
    const join = await b.call("mls_join_external", { domain });
    await expectRefused(
      a.call("mls_process_handshake", { handshake: join.handshake, blockTimestamp: String(VERIFY_AT + 60) }),
      "leaf_not_admitted",
      "TcbEvaluationDataNumberTooLow(0, 18, 17)",
    );
    const status = await a.call("mls_status", {});
    expect(status.group?.member === true && status.group.memberCount).to.equal(1);
  });

  it("admits collateral past its nextUpdate within the group's grace, at registration and at the join", async function () {
    const evidenceB = await groupWithDcapStatuses({ collateralGrace: "60", minTcbEvaluationDataNumber: 17 });
    // Registration too takes the group's grace.
    await a.call("mls_admit_evidence", dcapAdmitParams(evidenceB, NEXT_UPDATE + 60));
    await expectRefused(a.call("mls_admit_evidence", dcapAdmitParams(evidenceB, NEXT_UPDATE + 61)), "evidence_refused", "CollateralExpired(");
    const join = await b.call("mls_join_external", { domain });
    const applied = await a.call("mls_process_handshake", { handshake: join.handshake, blockTimestamp: String(NEXT_UPDATE + 60) });
    expect(applied.outcome).to.equal("external_join");
  });
});
