/**
 * DIFFERENTIAL test, three-way: the TypeScript verifier (src/attestation), the deployed IasVerifier
 * contract and the enclave's own verifier (enclave/src/attestation, through `attestation_verify`)
 * must give the same verdict — the same custom error with the same arguments, or the same Verified
 * fields — on every real vector and on a systematic list of mutations of each, under several policies.
 * Cases that name a key id other than the registered leaf's (SigningKeyNotRegistered) exist only on
 * chain and in TypeScript: the enclave is handed the certificate itself, not a key id.
 */
import { expect } from "chai";
import hre from "hardhat";
import fs from "node:fs";
import { constants, createHash, createPrivateKey, privateEncrypt } from "node:crypto";
import { takeSnapshot, type SnapshotRestorer } from "@nomicfoundation/hardhat-network-helpers";
import {
  DevelopmentIas,
  IasReportVerifier,
  deployIasVerifier,
  applyPolicy,
  checkSigningCertificate,
  decodeRevert,
  intelCaDer,
  intelLeafDer,
  pinCa,
  simulationCaDer,
  IasVerificationError,
  registerSigningCertificateOnchain,
  simulationLeafDer,
  attestationAssetPath,
  SIMULATION_LEAF_KEY_FILE,
  tsOutcome,
  verifyReportOnchain,
  onchainShapeOf,
  type IasVerifierContract,
  type TrustAnchor,
  type VerificationOutcome,
  type VerificationPolicy,
} from "../../src/attestation";
import type { AttestationVerifyParams } from "../../src/enclave/protocol";
import { EnclaveIasVerifier, expectedEnclaveVerdict, hex, policyParams, tsVerdict, type EnclaveVerdict } from "./enclaveVerdict";
import { ALL_VECTOR_STATUSES, loadIasVectors, type IasVector } from "./iasVectors";
import { byteMutations, structuralMutations } from "./mutations";
import { derTlv, generatedCertificates, resignWithSimulationCa, tbsSpan, withTbsTail } from "./certificates";

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

  /** The registered leaf's DER (what the enclave is handed instead of a key id). */
  leafDer(): Buffer {
    return this.anchor === "intel" ? intelLeafDer() : simulationLeafDer();
  }

  /**
   * The CA the enclave judges under: Intel's is passed explicitly (a simulation build compiles in
   * the development CA); the SIMULATION pair uses the compiled-in anchor, so it is exercised too.
   */
  caOverride(): Buffer | undefined {
    return this.anchor === "intel" ? intelCaDer() : undefined;
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
  let enclaveCompared = 0;
  let keyIdOnly = 0;
  let clean: SnapshotRestorer;
  let enclave: EnclaveIasVerifier;

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
    enclave = await EnclaveIasVerifier.start();
  });

  after(async function () {
    await enclave?.close();
    const rows = [...tally.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `    ${String(n).padStart(6)}  ${k}`);
    console.log(
      `\n    differential: ${compared} comparisons TS vs contract over ${vectors.length} vectors, ` +
        `${enclaveCompared} of them also vs the enclave (${keyIdOnly} key-id cases TS vs contract only)\n${rows.join("\n")}`,
    );
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
    // The enclave's verdicts, pipelined over one process, for every case that names the registered key.
    const enclaveCases = cases.filter((c) => c.keyId === undefined);
    const requests = enclaveCases.map(
      (c): AttestationVerifyParams => ({
        kind: "ias",
        report: hex(c.report),
        signature: hex(c.signature),
        signingCertificate: hex(pair.leafDer()),
        ...(pair.caOverride() !== undefined ? { caCertificate: hex(pair.caOverride()!) } : {}),
        ...(c.withoutPolicy === true ? {} : { policy: policyParams(pair.ts.policy) }),
        now: now.toString(),
      }),
    );
    const enclaveVerdicts = new Map<Case, EnclaveVerdict>();
    (await enclave.verdicts(requests)).forEach((v, i) => enclaveVerdicts.set(enclaveCases[i], v));
    cases.forEach((c, i) => {
      const keyId = c.keyId ?? pair.keyId;
      const full = tsVerdict(() =>
        c.withoutPolicy === true ? pair.ts.verifyReportWithoutPolicy(keyId, c.report, c.signature) : pair.ts.verifyReport(keyId, c.report, c.signature, now),
      );
      const ts: VerificationOutcome =
        full instanceof IasVerificationError ? { valid: false, error: { code: full.code, args: [...full.args] } } : { valid: true, verified: onchainShapeOf(full) };
      const chain = chainOutcomes[i];
      compared++;
      const inEnclave = enclaveVerdicts.get(c);
      if (inEnclave === undefined) {
        keyIdOnly++;
      } else {
        enclaveCompared++;
        const expected = expectedEnclaveVerdict(full);
        try {
          expect(inEnclave).to.deep.equal(expected);
        } catch {
          mismatches.push(`${pair.anchor} ${c.name}: TS ${JSON.stringify(expected)} vs enclave ${JSON.stringify(inEnclave)}`);
        }
      }
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

  function simKeyModulus(): Uint8Array {
    return simulation.ts.signingKey(simulation.keyId)!.modulus;
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

  it("RSA encodings the SIMULATION key can make (DigestInfo variants, padding and block-type faults) and signatures around n", async function () {
    await simulation.usePolicy(clean, policies.permissive);
    const key = createPrivateKey(fs.readFileSync(attestationAssetPath(SIMULATION_LEAF_KEY_FILE)));
    const raw = (em: Buffer) => privateEncrypt({ key, padding: constants.RSA_NO_PADDING }, em);
    const em = (body: Buffer, prefixHex: string, hash = "sha256", pad = 0xff, lead = [0x00, 0x01]) => {
      const t = Buffer.concat([Buffer.from(prefixHex, "hex"), createHash(hash).update(body).digest()]);
      return Buffer.concat([Buffer.from(lead), Buffer.alloc(256 - t.length - 3, pad), Buffer.from([0]), t]);
    };
    const NULL_PARAMS = "3031300d060960864801650304020105000420";
    const ABSENT_PARAMS = "302f300b06096086480165030402010420";
    const cases: Case[] = [];
    for (const v of vectors) {
      cases.push({ name: `${v.name} absent-NULL DigestInfo`, report: v.report, signature: raw(em(v.report, ABSENT_PARAMS)) });
      cases.push({ name: `${v.name} explicit-NULL DigestInfo`, report: v.report, signature: raw(em(v.report, NULL_PARAMS)) });
      cases.push({ name: `${v.name} SHA-384 DigestInfo`, report: v.report, signature: raw(em(v.report, "3041300d060960864801650304020205000430", "sha384")) });
      cases.push({ name: `${v.name} padding 0xfe`, report: v.report, signature: raw(em(v.report, NULL_PARAMS, "sha256", 0xfe)) });
      cases.push({ name: `${v.name} block type 2`, report: v.report, signature: raw(em(v.report, NULL_PARAMS, "sha256", 0xff, [0x00, 0x02])) });
      cases.push({ name: `${v.name} leading 01 01`, report: v.report, signature: raw(em(v.report, NULL_PARAMS, "sha256", 0xff, [0x01, 0x01])) });
      const zeroInPadding = em(v.report, NULL_PARAMS);
      zeroInPadding[100] = 0x00;
      cases.push({ name: `${v.name} zero byte inside the padding`, report: v.report, signature: raw(zeroInPadding) });
      const otherParams = em(v.report, "3033300f060960864801650304020105020000" + "0420");
      cases.push({ name: `${v.name} DigestInfo with non-NULL parameters`, report: v.report, signature: raw(otherParams) });
      cases.push({ name: `${v.name} digest of other bytes`, report: v.report, signature: raw(em(Buffer.concat([v.report, Buffer.from(" ")]), NULL_PARAMS)) });
    }
    // Signature values around the modulus n (all 256 bytes long).
    const n = BigInt("0x" + Buffer.from(simKeyModulus()).toString("hex"));
    const asBytes = (x: bigint) => Buffer.from(x.toString(16).padStart(512, "0"), "hex");
    const body = vectors[0].report;
    for (const [name, value] of [["s = 0", 0n], ["s = 1", 1n], ["s = n - 1", n - 1n], ["s = n", n], ["s = n + 1", n + 1n], ["s = 2^2048 - 1", (1n << 2048n) - 1n]] as const) {
      cases.push({ name, report: body, signature: asBytes(value) });
    }
    const valid = BigInt("0x" + raw(em(body, NULL_PARAMS)).toString("hex"));
    cases.push({ name: "valid s + n (same residue, >= n)", report: body, signature: asBytes(valid + n) });
    await compare(simulation, cases);
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
    expect(enclaveCompared).to.be.greaterThan(5000);
    expect(enclaveCompared + keyIdOnly).to.equal(compared);
  });
});

describe("attestation: differential certificate registration (TypeScript vs IasVerifier)", function () {
  this.timeout(600_000);
  type CertOutcome = { valid: true; keyId: string } | { valid: false; code: string; args: unknown[] };
  const mismatches: string[] = [];
  const tally = new Map<string, number>();
  let compared = 0;
  let enclave: EnclaveIasVerifier;
  const anchors = {
    intel: { pinned: pinCa(intelCaDer()), contract: undefined as unknown as IasVerifierContract },
    simulation: { pinned: pinCa(simulationCaDer()), contract: undefined as unknown as IasVerifierContract },
  };

  before(async function () {
    // Fresh deployments with no key registered, so registration is judged from scratch every time.
    anchors.intel.contract = await deployIasVerifier(hre, "intel");
    anchors.simulation.contract = await deployIasVerifier(hre, "simulation");
    enclave = await EnclaveIasVerifier.start();
  });

  after(async function () {
    await enclave?.close();
    const rows = [...tally.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `    ${String(n).padStart(6)}  ${k}`);
    console.log(`\n    certificate differential: ${compared} comparisons, each TS vs contract vs enclave\n${rows.join("\n")}`);
  });

  async function compare(anchor: "intel" | "simulation", cases: { name: string; der: Buffer }[]): Promise<void> {
    const { pinned, contract } = anchors[anchor];
    const chain: CertOutcome[] = await Promise.all(
      cases.map(async (c): Promise<CertOutcome> => {
        try {
          return { valid: true, keyId: ((await contract.registerSigningCertificate.staticCall(c.der)) as string).toLowerCase() };
        } catch (e) {
          const { code, args } = decodeRevert(contract.interface, e);
          return { valid: false, code, args };
        }
      }),
    );
    // The enclave checks the certificate first (step 1 of verify_ias); with an empty signature a
    // certificate it accepts is then refused at step 2 with SignatureLengthInvalid(0).
    const inEnclave = await enclave.verdicts(
      cases.map((c) => ({ kind: "ias", report: "0x", signature: "0x", signingCertificate: hex(c.der), caCertificate: hex(anchor === "intel" ? intelCaDer() : simulationCaDer()) })),
    );
    cases.forEach((c, i) => {
      let ts: CertOutcome;
      try {
        ts = { valid: true, keyId: checkSigningCertificate(c.der, pinned).keyId };
      } catch (e) {
        if (!(e instanceof IasVerificationError)) throw e;
        ts = { valid: false, code: e.code, args: [...e.args] };
      }
      compared++;
      const expectedInEnclave: EnclaveVerdict = ts.valid
        ? { valid: false, error: { code: "SignatureLengthInvalid", args: ["0"] } }
        : { valid: false, error: { code: ts.code, args: ts.args.map((a) => (typeof a === "bigint" ? a.toString() : String(a))) } };
      if (JSON.stringify(expectedInEnclave) !== JSON.stringify(inEnclave[i])) {
        mismatches.push(`${anchor} ${c.name}: TS ${JSON.stringify(expectedInEnclave)} vs enclave ${JSON.stringify(inEnclave[i])}`);
      }
      const label = ts.valid ? "registered" : ts.code;
      tally.set(label, (tally.get(label) ?? 0) + 1);
      if (JSON.stringify(ts, big) !== JSON.stringify(chain[i], big)) {
        mismatches.push(`${anchor} ${c.name}: TS ${JSON.stringify(ts, big)} vs chain ${JSON.stringify(chain[i], big)}`);
      }
    });
  }

  function big(_k: string, v: unknown): unknown {
    return typeof v === "bigint" ? v.toString() : v;
  }

  function flips(name: string, der: Buffer, step: number): { name: string; der: Buffer }[] {
    const out: { name: string; der: Buffer }[] = [];
    for (let at = 0; at < der.length; at += step) {
      for (const [op, f] of [["^0x01", (b: number) => b ^ 0x01], [":=0x00", () => 0x00], [":=0xff", () => 0xff]] as const) {
        const d = Buffer.from(der);
        d[at] = f(d[at]);
        if (!d.equals(der)) out.push({ name: `${name} byte ${at} ${op}`, der: d });
      }
    }
    for (let i = 0; i < 10; i++) out.push({ name: `${name} truncated`, der: der.subarray(0, Math.floor((i * der.length) / 10)) });
    out.push({ name: `${name} trailing byte`, der: Buffer.concat([der, Buffer.from([0])]) });
    return out;
  }

  it("real, generated and byte-mutated certificates under Intel's and the SIMULATION CA", async function () {
    const g = generatedCertificates();
    const base = [
      { name: "Intel leaf", der: intelLeafDer() },
      { name: "SIMULATION leaf", der: simulationLeafDer() },
      { name: "Intel CA", der: intelCaDer() },
      { name: "SIMULATION CA", der: simulationCaDer() },
      ...Object.entries(g).map(([name, der]) => ({ name, der })),
    ];
    for (const anchor of ["intel", "simulation"] as const) await compare(anchor, base);
    await compare("intel", flips("Intel leaf", intelLeafDer(), 11));
    await compare("simulation", flips("SIMULATION leaf", simulationLeafDer(), 11));
    await compare("simulation", flips("generated RSA-2048 leaf", g.rsa2048, 29));
    expect(mismatches, mismatches.slice(0, 15).join("\n")).to.deep.equal([]);
  });

  it("TBS mutations re-signed by the SIMULATION CA reach the structure, time, issuer and key rules", async function () {
    const cases: { name: string; der: Buffer }[] = [];
    for (const [name, der] of [["SIMULATION leaf", simulationLeafDer()], ["generated RSA-2048 leaf", generatedCertificates().rsa2048]] as const) {
      const span = tbsSpan(der);
      for (let at = span.start; at < span.end; at += 5) {
        for (const f of [(b: number) => b ^ 0x01, (b: number) => (b + 0x10) & 0xff]) {
          const d = Buffer.from(der);
          d[at] = f(d[at]);
          cases.push({ name: `${name} TBS byte ${at} re-signed`, der: resignWithSimulationCa(d, span) });
        }
      }
    }
    await compare("simulation", cases);
    expect(mismatches, mismatches.slice(0, 15).join("\n")).to.deep.equal([]);
    for (const code of ["registered", "CertificateMalformed", "CertificateAlgorithmUnsupported", "CertificateIssuerMismatch", "CertificateSignatureInvalid", "CertificateKeyUnsupported"]) {
      expect([...tally.keys()], code).to.include(code);
    }
  });

  it("versions and extensions re-signed by the SIMULATION CA reach the profile rules (audit F-9), byte by byte", async function () {
    const leaf = simulationLeafDer();
    const v3 = Buffer.from("a003020102", "hex");
    const ext = (oid: string, critical: boolean, value: string) =>
      derTlv(0x30, Buffer.concat([derTlv(0x06, Buffer.from(oid, "hex")), Buffer.from(critical ? "0101ff" : "", "hex"), derTlv(0x04, Buffer.from(value, "hex"))]));
    const list = (...e: Buffer[]) => derTlv(0xa3, derTlv(0x30, Buffer.concat(e)));
    const usage = (bits: string) => ext("551d0f", true, bits);
    const constraints = (content: string) => ext("551d13", true, derTlv(0x30, Buffer.from(content, "hex")).toString("hex"));
    const leafUsage = usage("030206c0");
    const notCa = constraints("");
    const tails: Array<[string, Buffer | null, Buffer[]]> = [
      ["v1", null, [list(leafUsage, notCa)]],
      ["v2", Buffer.from("a003020101", "hex"), [list(leafUsage, notCa)]],
      ["minimal profile", v3, [list(leafUsage, notCa)]],
      ["no extensions", v3, []],
      ["keyCertSign", v3, [list(usage("03020284"), notCa)]],
      ["nonRepudiation only", v3, [list(usage("03020640"), notCa)]],
      ["cA TRUE, pathLen 0", v3, [list(leafUsage, constraints("0101ff020100"))]],
      ["unknown critical", v3, [list(leafUsage, ext("551d63", true, "0500"), notCa)]],
      ["unknown non-critical", v3, [list(ext("551d63", false, "0500"), leafUsage, notCa)]],
      ["repeated keyUsage", v3, [list(leafUsage, notCa, usage("030780"))]],
      ["unique ids", v3, [derTlv(0x81, Buffer.from("0001", "hex")), derTlv(0x82, Buffer.from("0001", "hex")), list(leafUsage, notCa)]],
      ["an element after the extensions", v3, [list(leafUsage, notCa), derTlv(0x04, Buffer.alloc(1))]],
    ];
    const cases: { name: string; der: Buffer }[] = [];
    for (const [name, version, tail] of tails) {
      const der = withTbsTail(leaf, version, tail);
      cases.push({ name, der });
      if (name !== "minimal profile" && name !== "unique ids") continue;
      // Every byte of the version and the fields after the key, mutated and re-signed.
      const span = tbsSpan(der);
      const tailLength = tail.reduce((n, t) => n + t.length, 0);
      for (const at of [...Array(5).keys()].map((i) => span.start + 4 + i).concat([...Array(tailLength).keys()].map((i) => span.end - tailLength + i))) {
        for (const f of [(b: number) => b ^ 0x01, (b: number) => b ^ 0x80, () => 0x00, () => 0xff]) {
          const d = Buffer.from(der);
          d[at] = f(d[at]);
          if (!d.equals(der)) cases.push({ name: `${name} byte ${at} re-signed`, der: resignWithSimulationCa(d, span) });
        }
      }
    }
    await compare("simulation", cases);
    expect(mismatches, mismatches.slice(0, 15).join("\n")).to.deep.equal([]);
    for (const code of ["CertificateVersionUnsupported", "CertificateExtensionUnsupported", "CertificateKeyUsageInvalid", "CertificateBasicConstraintsInvalid"]) {
      expect([...tally.keys()], code).to.include(code);
    }
  });
});
