/**
 * PROPERTY test (fast-check): random mutations of real Intel-signed reports — byte flips, insertions,
 * deletions, splices — never verify, in TypeScript (many runs), in the enclave (the same number, its
 * verdict equal to TypeScript's) and on chain (a bounded number of runs). Re-signed random mutations
 * (which may well be valid) get the same verdict from all three verifiers.
 */
import { expect } from "chai";
import fc from "fast-check";
import hre from "hardhat";
import {
  DevelopmentIas,
  IasReportVerifier,
  IasVerificationError,
  deployIasVerifier,
  intelCaDer,
  intelLeafDer,
  registerSigningCertificateOnchain,
  simulationLeafDer,
  tsOutcome,
  verifyReportOnchain,
  type IasVerifierContract,
  type VerificationPolicy,
} from "../../src/attestation";
import type { AttestationVerifyParams } from "../../src/enclave/protocol";
import { ALL_VECTOR_STATUSES, intelSignedVectors } from "./iasVectors";
import { EnclaveIasVerifier, expectedEnclaveVerdict, hex, policyParams, tsVerdict } from "./enclaveVerdict";

const TS_RUNS = 1000;
const ONCHAIN_RUNS = 40;
const SEED = 20261121;

type Edit =
  | { kind: "flip"; at: number; mask: number }
  | { kind: "insert"; at: number; bytes: number[] }
  | { kind: "delete"; at: number; count: number }
  | { kind: "splice"; at: number; count: number; bytes: number[] }
  | { kind: "signature"; at: number; mask: number };

const vectors = intelSignedVectors();
const permissive: VerificationPolicy = { allowedStatuses: ALL_VECTOR_STATUSES, allowDebug: true };

/** A fraction in [0,1) picks positions so one arbitrary fits every vector length. */
const position = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const someBytes = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 });
const nonZeroMask = fc.integer({ min: 1, max: 255 });

const editArb = (length: number): fc.Arbitrary<Edit> => {
  const at = position.map((p) => Math.floor(p * length));
  return fc.oneof(
    fc.record({ kind: fc.constant("flip" as const), at, mask: nonZeroMask }),
    fc.record({ kind: fc.constant("insert" as const), at: position.map((p) => Math.floor(p * (length + 1))), bytes: someBytes }),
    fc.record({ kind: fc.constant("delete" as const), at, count: fc.integer({ min: 1, max: 16 }) }),
    fc.record({ kind: fc.constant("splice" as const), at, count: fc.integer({ min: 1, max: 16 }), bytes: someBytes }),
    fc.record({ kind: fc.constant("signature" as const), at: fc.integer({ min: 0, max: 255 }), mask: nonZeroMask }),
  );
};

const caseArb = fc
  .integer({ min: 0, max: vectors.length - 1 })
  .chain((i) => fc.tuple(fc.constant(i), fc.array(editArb(vectors[i].report.length), { minLength: 1, maxLength: 3 })));

function apply(report: Buffer, signature: Buffer, edits: Edit[]): { report: Buffer; signature: Buffer } {
  let r = Buffer.from(report);
  const s = Buffer.from(signature);
  for (const e of edits) {
    const at = Math.min(e.at, r.length);
    switch (e.kind) {
      case "flip":
        if (at < r.length) r[at] ^= e.mask;
        break;
      case "insert":
        r = Buffer.concat([r.subarray(0, at), Buffer.from(e.bytes), r.subarray(at)]);
        break;
      case "delete":
        r = Buffer.concat([r.subarray(0, at), r.subarray(at + e.count)]);
        break;
      case "splice":
        r = Buffer.concat([r.subarray(0, at), Buffer.from(e.bytes), r.subarray(at + e.count)]);
        break;
      case "signature":
        s[e.at] ^= e.mask;
        break;
    }
  }
  return { report: r, signature: s };
}

function changed(i: number, m: { report: Buffer; signature: Buffer }): boolean {
  return !m.report.equals(vectors[i].report) || !m.signature.equals(vectors[i].signature);
}

/** The enclave request for a report signed by Intel's leaf (Intel's CA passed: a simulation build compiles in the development CA). */
function intelRequest(report: Buffer, signature: Buffer): AttestationVerifyParams {
  return { kind: "ias", report: hex(report), signature: hex(signature), signingCertificate: hex(intelLeafDer()), caCertificate: hex(intelCaDer()), policy: policyParams(permissive) };
}

/** The enclave request for a report signed by the development IAS (the compiled-in anchor). */
function simulationRequest(report: Buffer, signature: Buffer): AttestationVerifyParams {
  return { kind: "ias", report: hex(report), signature: hex(signature), signingCertificate: hex(simulationLeafDer()), policy: policyParams(permissive) };
}

describe("attestation: property — random mutations of real reports never verify", function () {
  this.timeout(300_000);
  const intel = IasReportVerifier.forAnchor("intel", permissive);
  const intelKey = intel.registerSigningCertificate(intelLeafDer());
  let contract: IasVerifierContract;
  let simContract: IasVerifierContract;
  let simKeyId: string;
  const simulation = IasReportVerifier.forAnchor("simulation", permissive);
  simulation.registerSigningCertificate(simulationLeafDer());
  const ias = new DevelopmentIas();
  let enclave: EnclaveIasVerifier;

  before(async function () {
    enclave = await EnclaveIasVerifier.start();
    contract = await deployIasVerifier(hre, "intel", permissive);
    await registerSigningCertificateOnchain(contract, intelLeafDer());
    simContract = await deployIasVerifier(hre, "simulation", permissive);
    simKeyId = (await registerSigningCertificateOnchain(simContract, simulationLeafDer())).keyId;
  });

  after(async function () {
    await enclave?.close();
  });

  it("every unmutated vector verifies (the property is not vacuous)", function () {
    for (const v of vectors) expect(intel.verifyReport(intelKey.keyId, v.report, v.signature).mrenclave).to.equal("0x" + v.manifest.mrenclave_off112);
  });

  it(`TypeScript: ${TS_RUNS} random mutations, none verifies, each is a typed IasVerificationError`, function () {
    fc.assert(
      fc.property(caseArb, ([i, edits]) => {
        const m = apply(vectors[i].report, vectors[i].signature, edits);
        fc.pre(changed(i, m));
        let error: unknown;
        try {
          intel.verifyReport(intelKey.keyId, m.report, m.signature);
        } catch (e) {
          error = e;
        }
        expect(error).to.be.instanceOf(IasVerificationError);
        expect(["ReportSignatureInvalid", "SignatureLengthInvalid"]).to.include((error as IasVerificationError).code);
      }),
      { numRuns: TS_RUNS, seed: SEED },
    );
  });

  it(`enclave: ${TS_RUNS} random mutations, none verifies and the enclave gives the TypeScript error`, async function () {
    // The same arbitrary and seed as the TypeScript property; unchanged results are skipped there too.
    const cases = fc
      .sample(caseArb, { numRuns: TS_RUNS, seed: SEED })
      .map(([i, edits]) => ({ i, m: apply(vectors[i].report, vectors[i].signature, edits) }))
      .filter(({ i, m }) => changed(i, m))
      .map(({ m }) => m);
    expect(cases.length).to.be.greaterThan(TS_RUNS * 0.9);
    const verdicts = await enclave.verdicts(cases.map((m) => intelRequest(m.report, m.signature)));
    cases.forEach((m, k) => {
      const ts = tsVerdict(() => intel.verifyReport(intelKey.keyId, m.report, m.signature));
      expect(ts).to.be.instanceOf(IasVerificationError);
      expect(verdicts[k]).to.deep.equal(expectedEnclaveVerdict(ts));
    });
  });

  it(`on chain: ${ONCHAIN_RUNS} random mutations, none verifies and the contract gives the TypeScript error`, async function () {
    await fc.assert(
      fc.asyncProperty(caseArb, async ([i, edits]) => {
        const m = apply(vectors[i].report, vectors[i].signature, edits);
        fc.pre(changed(i, m));
        const chain = await verifyReportOnchain(contract, intelKey.keyId, m.report, m.signature);
        expect(chain.valid).to.equal(false);
        expect(chain).to.deep.equal(tsOutcome(() => intel.verifyReport(intelKey.keyId, m.report, m.signature)));
        const [inEnclave] = await enclave.verdicts([intelRequest(m.report, m.signature)]);
        expect(inEnclave).to.deep.equal(expectedEnclaveVerdict(tsVerdict(() => intel.verifyReport(intelKey.keyId, m.report, m.signature))));
      }),
      { numRuns: ONCHAIN_RUNS, seed: SEED },
    );
  });

  it(`re-signed by the development IAS: ${ONCHAIN_RUNS} random mutations get the same verdict in TypeScript and on chain`, async function () {
    await fc.assert(
      fc.asyncProperty(caseArb, async ([i, edits]) => {
        const { report } = apply(vectors[i].report, vectors[i].signature, edits.filter((e) => e.kind !== "signature"));
        const signature = ias.signBody(report);
        const chain = await verifyReportOnchain(simContract, simKeyId, report, signature);
        expect(chain).to.deep.equal(tsOutcome(() => simulation.verifyReport(simKeyId, report, signature)));
        const [inEnclave] = await enclave.verdicts([simulationRequest(report, signature)]);
        expect(inEnclave).to.deep.equal(expectedEnclaveVerdict(tsVerdict(() => simulation.verifyReport(simKeyId, report, signature))));
      }),
      { numRuns: ONCHAIN_RUNS, seed: SEED },
    );
  });
});
