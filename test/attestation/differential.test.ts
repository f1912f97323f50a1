/**
 * DIFFERENTIAL test: the TypeScript verifier (src/attestation) and the deployed IasVerifier contract
 * must give the same verdict — the same custom error with the same arguments, or the same Verified
 * fields — on every real vector and on a systematic list of mutations of each, under several policies.
 */
import { expect } from "chai";
import hre from "hardhat";
import { takeSnapshot, type SnapshotRestorer } from "@nomicfoundation/hardhat-network-helpers";
import {
  DevelopmentIas,
  IasReportVerifier,
  deployIasVerifier,
  applyPolicy,
  intelLeafDer,
  registerSigningCertificateOnchain,
  simulationLeafDer,
  tsOutcome,
  verifyReportOnchain,
  type IasVerifierContract,
  type TrustAnchor,
  type VerificationOutcome,
  type VerificationPolicy,
} from "../../src/attestation";
import { ALL_VECTOR_STATUSES, loadIasVectors, type IasVector } from "./iasVectors";
import { byteMutations, structuralMutations } from "./mutations";

interface Case {
  name: string;
  report: Buffer;
  signature: Buffer;
  /** The key id named in the call; default: the deployment's registered leaf. */
  keyId?: string;
  withoutPolicy?: boolean;
}

/** The TS verifier and contract for one trust anchor, with its leaf registered. */
class Pair {
  readonly ts: IasReportVerifier;
  keyId = "";
  contract!: IasVerifierContract;

  constructor(readonly anchor: TrustAnchor) {
    this.ts = IasReportVerifier.forAnchor(anchor);
  }

  async deploy(): Promise<void> {
    this.contract = await deployIasVerifier(hre, this.anchor);
    const leaf = this.anchor === "intel" ? intelLeafDer() : simulationLeafDer();
    this.keyId = (await registerSigningCertificateOnchain(this.contract, leaf)).keyId;
    expect(this.ts.registerSigningCertificate(leaf).keyId).to.equal(this.keyId);
  }

  /** Restores the chain to `clean` (both deployments with TS-default policies), then sets this one's policy. */
  async usePolicy(clean: SnapshotRestorer, policy: VerificationPolicy): Promise<void> {
    await clean.restore();
    await applyPolicy(this.contract, policy);
    this.ts.policy = policy;
  }
}

/** MRSIGNER of the Intel SGX SDK sample key, which most vectors' enclaves are signed with. */
const SDK_SAMPLE_MRSIGNER = "0x83d719e77deaca1470f6baf62a4d774303c899db69020f9c70ee1dfc08c7ce9e";
const PARALLEL_CALLS = 32;
const STRICT_MRENCLAVE_SOURCE = "lcp_2024-06-15T14-54";

describe("attestation: differential (TypeScript verifier vs IasVerifier contract)", function () {
  this.timeout(600_000);
  const ias = new DevelopmentIas();
  const intel = new Pair("intel");
  const simulation = new Pair("simulation");
  const vectors = loadIasVectors();
  const strictMrenclave = "0x" + vectors.find((v) => v.name.startsWith(STRICT_MRENCLAVE_SOURCE))!.manifest.mrenclave_off112;
  const tally = new Map<string, number>();
  const mismatches: string[] = [];
  let compared = 0;
  let clean: SnapshotRestorer;

  const policies: Record<string, VerificationPolicy> = {
    permissive: { allowedStatuses: ALL_VECTOR_STATUSES, allowDebug: true },
    contractDefault: { allowedMrenclaves: [] },
    strict: {
      allowedStatuses: ["OK", "GROUP_OUT_OF_DATE"],
      allowDebug: false,
      allowedMrenclaves: [strictMrenclave],
      signer: { mrsigner: SDK_SAMPLE_MRSIGNER, isvProdId: 0, minIsvSvn: 0 },
    },
    debugAndAge: { allowedStatuses: ALL_VECTOR_STATUSES, allowDebug: true, maxReportAge: 4 * 365 * 86400 },
    signerProdId: { allowedStatuses: ALL_VECTOR_STATUSES, allowDebug: true, signer: { mrsigner: SDK_SAMPLE_MRSIGNER, isvProdId: 1, minIsvSvn: 0 } },
    signerSvn: { allowedStatuses: ALL_VECTOR_STATUSES, allowDebug: true, signer: { mrsigner: SDK_SAMPLE_MRSIGNER, isvProdId: 0, minIsvSvn: 1 } },
  };

  before(async function () {
    await intel.deploy();
    await simulation.deploy();
    clean = await takeSnapshot();
  });

  after(function () {
    const rows = [...tally.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `    ${String(n).padStart(6)}  ${k}`);
    console.log(`\n    differential: ${compared} comparisons over ${vectors.length} vectors\n${rows.join("\n")}`);
  });

  async function compare(pair: Pair, cases: Case[]): Promise<void> {
    const now = BigInt((await hre.ethers.provider.getBlock("latest"))!.timestamp);
    // eth_calls are independent reads of the same state: issue them in parallel batches.
    const chainOutcomes: VerificationOutcome[] = [];
    for (let i = 0; i < cases.length; i += PARALLEL_CALLS) {
      const batch = cases.slice(i, i + PARALLEL_CALLS);
      chainOutcomes.push(
        ...(await Promise.all(batch.map((c) => verifyReportOnchain(pair.contract, c.keyId ?? pair.keyId, c.report, c.signature, { withoutPolicy: c.withoutPolicy })))),
      );
    }
    cases.forEach((c, i) => {
      const keyId = c.keyId ?? pair.keyId;
      const ts: VerificationOutcome = tsOutcome(() =>
        c.withoutPolicy === true ? pair.ts.verifyReportWithoutPolicy(keyId, c.report, c.signature) : pair.ts.verifyReport(keyId, c.report, c.signature, now),
      );
      const chain = chainOutcomes[i];
      compared++;
      const label = ts.valid ? "Verified" : ts.error.code;
      tally.set(label, (tally.get(label) ?? 0) + 1);
      try {
        expect(chain).to.deep.equal(ts);
      } catch {
        mismatches.push(`${pair.anchor} ${c.name}: TS ${JSON.stringify(ts, big)} vs chain ${JSON.stringify(chain, big)}`);
      }
    });
  }

  function big(_k: string, v: unknown): unknown {
    return typeof v === "bigint" ? v.toString() : v;
  }

  function expectAgreement(): void {
    expect(mismatches, mismatches.slice(0, 15).join("\n")).to.deep.equal([]);
  }

  function signed(name: string, body: Buffer): Case {
    return { name, report: body, signature: ias.signBody(body) };
  }

  it("every vector, as signed, under six policies and without policy (Intel's CA)", async function () {
    for (const [policyName, policy] of Object.entries(policies)) {
      await intel.usePolicy(clean, policy);
      await compare(intel, vectors.map((v) => ({ name: `${v.name} [${policyName}]`, report: v.report, signature: v.signature })));
    }
    await compare(intel, vectors.map((v) => ({ name: `${v.name} [no policy]`, report: v.report, signature: v.signature, withoutPolicy: true })));
    expectAgreement();
  });

  it("signature and key mutations of every vector (Intel's CA)", async function () {
    await intel.usePolicy(clean, policies.permissive);
    const cases: Case[] = [];
    for (const v of vectors) {
      for (const at of [0, 1, 127, 254, 255]) {
        const s = Buffer.from(v.signature);
        s[at] ^= 0x80;
        cases.push({ name: `${v.name} signature byte ${at}`, report: v.report, signature: s });
      }
      cases.push({ name: `${v.name} signature 255 bytes`, report: v.report, signature: v.signature.subarray(1) });
      cases.push({ name: `${v.name} signature 257 bytes`, report: v.report, signature: Buffer.concat([Buffer.from([0]), v.signature]) });
      cases.push({ name: `${v.name} signature all 0xff (>= n)`, report: v.report, signature: Buffer.alloc(256, 0xff) });
      cases.push({ name: `${v.name} signature zero`, report: v.report, signature: Buffer.alloc(256) });
      cases.push({ name: `${v.name} unregistered key id`, report: v.report, signature: v.signature, keyId: simulation.keyId });
      cases.push({ name: `${v.name} short signature and unregistered key`, report: v.report, signature: Buffer.alloc(10), keyId: simulation.keyId });
    }
    await compare(intel, cases);
    expectAgreement();
  });

  it("byte flips, substitutions, insertions, deletions and truncations of every vector keep Intel's signature failing", async function () {
    await intel.usePolicy(clean, policies.permissive);
    const cases: Case[] = [];
    for (const v of vectors) {
      for (const m of byteMutations(v.report, 4, 6)) cases.push({ name: `${v.name} ${m.name}`, report: m.body, signature: v.signature });
    }
    await compare(intel, cases);
    expectAgreement();
  });

  function resignedCases(v: IasVector, mutations: { name: string; body: Buffer }[]): Case[] {
    return mutations.map((m) => signed(`${v.name} ${m.name}`, m.body));
  }

  it("structural mutations of every vector, re-signed by the development IAS (parser, fields, base64, timestamps)", async function () {
    await simulation.usePolicy(clean, policies.permissive);
    for (const v of vectors) await compare(simulation, resignedCases(v, structuralMutations(v.report)));
    expectAgreement();
  });

  it("byte-level mutations of every vector, re-signed by the development IAS", async function () {
    await simulation.usePolicy(clean, policies.permissive);
    for (const v of vectors) await compare(simulation, resignedCases(v, byteMutations(v.report, 10)));
    expectAgreement();
  });

  it("policy outcomes (status, DEBUG, MRENCLAVE, signer, age) on re-signed vectors and their quote variants", async function () {
    for (const [policyName, policy] of Object.entries(policies)) {
      await simulation.usePolicy(clean, policy);
      const cases: Case[] = [];
      for (const v of vectors) {
        const policyRelevant = structuralMutations(v.report).filter((m) => /^(identity|quote DEBUG|quote MRENCLAVE|status |timestamp "(2016-11-22T09:36:57|2026-11-20T09:36:59|2050))/.test(m.name));
        for (const c of resignedCases(v, policyRelevant)) cases.push({ ...c, name: `${c.name} [${policyName}]` });
      }
      await compare(simulation, cases);
    }
    expectAgreement();
  });

  it("saw every report error code and Verified results on both sides", function () {
    const expected = [
      "Verified",
      "SignatureLengthInvalid",
      "SigningKeyNotRegistered",
      "ReportSignatureInvalid",
      "ReportMalformed",
      "ReportFieldDuplicated",
      "ReportFieldMissing",
      "ReportFieldInvalid",
      "QuoteBodyEncodingInvalid",
      "QuoteBodyLengthInvalid",
      "ReportTimestampInvalid",
      "ReportOutsideCertificateValidity",
      "ReportTooOld",
      "QuoteStatusNotAllowed",
      "DebugEnclaveNotAllowed",
      "MrenclaveNotAllowed",
      "MrsignerMismatch",
      "IsvProdIdMismatch",
      "IsvSvnTooLow",
    ];
    expect([...tally.keys()]).to.include.members(expected);
    expect(compared).to.be.greaterThan(5000);
  });
});
