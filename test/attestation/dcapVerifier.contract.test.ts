/**
 * DcapVerifier (contracts/attestation/dcap/DcapVerifier.sol) against the TypeScript verifier
 * (src/attestation/dcap/verifier.ts): the real Intel v3 quote with its 0825 collateral at the vectors' time,
 * the mutation corpus of dcapMutations.ts (same verdict, same error and arguments), freshness and policy
 * refusals, the test PKI for fields behind Intel's signatures, the policy setters, the PCK cache and both
 * P-256 paths.
 *
 * Time: the in-process chain carries today's time and cannot go back to August 2025, so for Intel's vectors the
 * stores and the verifier are the test harnesses with a settable clock (`setNow`), as dcapCollateral.test.ts does.
 * The development PCS fixture (test/vectors/dcap-dev, current 2026-12-01 .. 2049-12-01) runs on the plain contracts
 * at block.timestamp, moved with Hardhat's time helpers inside a snapshot.
 */
import { expect } from "chai";
import hre from "hardhat";
import fs from "node:fs";
import path from "node:path";
import { takeSnapshot, time } from "@nomicfoundation/hardhat-network-helpers";
import { vectorDir } from "../helpers/vectors";
import { pinRoot } from "../../src/attestation/dcap";
import { AbiCoder, Interface, keccak256, type BaseContract, type ContractTransactionResponse } from "ethers";
import {
  CollateralKind,
  DcapVerificationError,
  parseQeIdentity,
  parseTcbInfo,
  splitSignedCollateral,
  verifyQuote,
  type DcapCollateral,
  type DcapPolicy,
  type PinnedRoot,
  type VerifiedQuote,
} from "../../src/attestation/dcap";
import { intelSgxRoot } from "../../src/attestation/dcap/verifier";
import { intelTcbSigningChainPem } from "../../src/attestation/dcap/roots";
import { decodeRevert } from "../../src/attestation/onchain";
import { caughtCall, deployCatcher, type Catcher } from "../helpers/caughtCall";
import {
  DCAP_VECTOR_TIME,
  REAL_MRENCLAVE,
  TestPki,
  dcapFile,
  patched,
  pem,
  realCollateral,
  realPckCrl,
  realQeIdentity,
  realQuote,
  realRootCrl,
  realTcbInfo,
  replaceHex,
  xorByte,
} from "./dcapVectors";
import { SIGNED_FIELD_MUTATIONS, certificateFlips, chainFaults, layoutMutations, rootCrlWithEntry, signedFieldMutation, withChain } from "./dcapMutations";
import { parseCrl } from "../../src/attestation/dcap/crl";
import { TOKEN_RUNTIME } from "../../src/runtimes/name";
import { EnclaveKeys, groupDomain } from "../group/helpers/enclaveKeys";

const STATUSES = ["UpToDate", "SWHardeningNeeded", "ConfigurationNeeded", "ConfigurationAndSWHardeningNeeded", "OutOfDate", "OutOfDateConfigurationNeeded", "Revoked"] as const;
/** Osaka's per-transaction gas cap (EIP-7825). */
const CALL_GAS = 16_777_216;
const ZERO32 = "0x" + "00".repeat(32);
/** The real quote's platform status is SWHardeningNeeded: the differential policy admits it. */
const ALLOW_REAL: DcapPolicy = { allowedTcbStatuses: ["UpToDate", "SWHardeningNeeded"] };
const REAL_FMSPC = "0x00606a000000";
const REAL_PCEID = "0x0000";
const REAL_MRSIGNER = "0x" + realQuote().subarray(48 + 128, 48 + 160).toString("hex");

type Outcome = { valid: true; value: Record<string, unknown> } | { valid: false; code: string; args: unknown[] };

interface Verified {
  mrenclave: string;
  mrsigner: string;
  isvProdId: bigint;
  isvSvn: bigint;
  debug: boolean;
  reportDataLow: string;
  reportDataHigh: string;
  tcbStatus: bigint;
  qeTcbStatus: bigint;
  fmspc: string;
  pceId: string;
  tcbAdvisoryHash: string;
  qeAdvisoryHash: string;
  tcbEvaluationDataNumber: bigint;
  collateralNextUpdate: bigint;
  quoteVersion: bigint;
  pckChainHash: string;
}

interface Verifier extends BaseContract {
  verifyQuote: ((q: Uint8Array, o?: { gasLimit?: number }) => Promise<ContractTransactionResponse>) & { staticCall(q: Uint8Array, o?: { gasLimit?: number }): Promise<Verified> };
  setNow(t: bigint): Promise<ContractTransactionResponse>;
  setTcbStatusAllowed(status: number, allowed: boolean): Promise<ContractTransactionResponse>;
  setCollateralGrace(grace: bigint | number): Promise<ContractTransactionResponse>;
  setMinTcbEvaluationDataNumber(n: number): Promise<ContractTransactionResponse>;
  setDebugAllowed(allowed: boolean): Promise<ContractTransactionResponse>;
  setMrenclaveCheck(enabled: boolean): Promise<ContractTransactionResponse>;
  setMrenclaveAllowed(m: string, allowed: boolean): Promise<ContractTransactionResponse>;
  setSignerPolicy(enabled: boolean, mrsigner: string, isvProdId: number, minIsvSvn: number): Promise<ContractTransactionResponse>;
  isTcbStatusAllowed(status: number): Promise<boolean>;
  isMrenclaveAllowed(m: string): Promise<boolean>;
  mrenclaveDisallowedAt(m: string): Promise<bigint>;
  usesP256Precompile(): Promise<boolean>;
  verifyEvidence: { staticCall(e: Uint8Array): Promise<{ mrenclave: string; reportDataLow: string; reportDataHigh: string }> };
  evidenceKind(): Promise<bigint>;
  verifyQuoteWithAdvisories: ((q: Uint8Array, t: string[], e: string[], o?: { gasLimit?: number }) => Promise<ContractTransactionResponse>) & {
    staticCall(q: Uint8Array, t: string[], e: string[]): Promise<[Verified, string[]]>;
  };
  isPckChainCached(h: string): Promise<boolean>;
  policy(): Promise<{ allowedTcbStatuses: bigint; collateralGrace: bigint; minTcbEvaluationDataNumber: bigint }>;
  POLICY_ROLE(): Promise<string>;
  MAX_COLLATERAL_GRACE(): Promise<bigint>;
  connect(signer: unknown): Verifier;
}

interface Store extends BaseContract {
  setNow(t: bigint): Promise<ContractTransactionResponse>;
  upsertTcbInfo(body: Uint8Array, chain: Uint8Array, o?: { gasLimit?: number }): Promise<ContractTransactionResponse>;
  upsertQeIdentity(body: Uint8Array, chain: Uint8Array, o?: { gasLimit?: number }): Promise<ContractTransactionResponse>;
  upsertCrl(der: Uint8Array, chain: Uint8Array | string, o?: { gasLimit?: number }): Promise<ContractTransactionResponse>;
}

interface Stack {
  verifier: Verifier;
  collateral: Store;
  crls: Store;
}

interface Material {
  rootDer: Uint8Array;
  root: PinnedRoot;
  tcbInfo: Uint8Array;
  qeIdentity: Uint8Array;
  tcbChain: Uint8Array;
  rootCrl: Uint8Array;
  pckCrl: Uint8Array;
  pckCaChain: Uint8Array;
}

function bigints(_k: string, v: unknown): unknown {
  return typeof v === "bigint" ? v.toString() : v;
}

const intelPckCaChain = () => Buffer.concat([dcapFile("Intel_SGX_PCK_Platform_CA.pem"), dcapFile("Intel_SGX_Root_CA.pem")]);

function intelMaterial(): Material {
  return {
    rootDer: dcapFile("rootCaDer.der"),
    root: intelSgxRoot(),
    tcbInfo: realTcbInfo(),
    qeIdentity: realQeIdentity(),
    tcbChain: intelTcbSigningChainPem(),
    rootCrl: realRootCrl(),
    pckCrl: realPckCrl(),
    pckCaChain: intelPckCaChain(),
  };
}

function pkiMaterial(pki: TestPki, edits: Partial<Material> = {}): Material {
  return {
    rootDer: pki.rootDer,
    root: pki.root,
    tcbInfo: pki.tcbInfo(),
    qeIdentity: pki.qeIdentity(),
    tcbChain: pki.tcbChainPem(),
    rootCrl: pki.rootCrl(),
    pckCrl: pki.pckCrl(),
    pckCaChain: Buffer.from(pem(pki.pckCaDer) + pem(pki.rootDer), "latin1"),
    ...edits,
  };
}

const collateralOf = (m: Material): DcapCollateral => ({ tcbInfo: m.tcbInfo, qeIdentity: m.qeIdentity, tcbSigningChainPem: m.tcbChain, crls: [m.rootCrl, m.pckCrl] });

/** Gas used minus the intrinsic cost (21,000, 4 a zero calldata byte, 16 a non-zero one). */
async function executionGas(receipt: { gasUsed: bigint; hash: string }): Promise<number> {
  const tx = await hre.ethers.provider.getTransaction(receipt.hash);
  const data = Buffer.from(tx!.data.slice(2), "hex");
  const zeros = data.filter((b) => b === 0).length;
  return Number(receipt.gasUsed) - 21_000 - 4 * zeros - 16 * (data.length - zeros);
}

function advisoryHash(ids: string[]): string {
  return ids.length === 0 ? ZERO32 : keccak256(AbiCoder.defaultAbiCoder().encode(["bytes[]"], [ids.map((id) => Buffer.from(id, "utf8"))]));
}

/** What both sides report for a verified quote. */
function tsView(v: VerifiedQuote): Record<string, unknown> {
  return {
    mrenclave: v.mrenclave,
    mrsigner: v.mrsigner,
    isvProdId: v.isvProdId,
    isvSvn: v.isvSvn,
    debug: v.debug,
    reportData: v.reportData,
    tcbStatus: v.tcbStatus,
    qeTcbStatus: v.qeTcbStatus,
    fmspc: v.fmspc,
    pceId: v.pceId,
    tcbEvaluationDataNumber: v.tcbEvaluationDataNumber,
    collateralNextUpdate: v.collateralNextUpdate,
    quoteVersion: v.quoteVersion,
  };
}

function solView(v: Verified): Record<string, unknown> {
  return {
    mrenclave: v.mrenclave,
    mrsigner: v.mrsigner,
    isvProdId: Number(v.isvProdId),
    isvSvn: Number(v.isvSvn),
    debug: v.debug,
    reportData: v.reportDataLow + v.reportDataHigh.slice(2),
    tcbStatus: STATUSES[Number(v.tcbStatus)],
    qeTcbStatus: STATUSES[Number(v.qeTcbStatus)],
    fmspc: v.fmspc,
    pceId: v.pceId,
    tcbEvaluationDataNumber: Number(v.tcbEvaluationDataNumber),
    collateralNextUpdate: v.collateralNextUpdate,
    quoteVersion: Number(v.quoteVersion),
  };
}

describe("attestation: DcapVerifier on chain against the TypeScript verifier", function () {
  this.timeout(1_200_000);
  let libraries: Record<string, string>;
  let verifierLibraries: Record<string, string>;
  let errors: Interface;
  /** Refused verifications come back through it (test/helpers/caughtCall.ts says why). */
  let catcher: Catcher;
  let admin: string;

  before(async function () {
    catcher = await deployCatcher();
    const deploy = async (name: string) => {
      const c = await (await hre.ethers.getContractFactory(name)).deploy();
      await c.waitForDeployment();
      return c.getAddress();
    };
    libraries = { TcbInfo: await deploy("TcbInfo"), QeIdentity: await deploy("QeIdentity") };
    verifierLibraries = { PckChainVerification: await deploy("PckChainVerification") };
    const abi = [
      ...(await hre.artifacts.readArtifact("DcapVerifierHarness")).abi,
      ...(await hre.artifacts.readArtifact("PckChainVerification")).abi,
      ...(await hre.artifacts.readArtifact("DcapCollateralHarness")).abi,
      ...(await hre.artifacts.readArtifact("DcapCrlsHarness")).abi,
    ].filter((f: { type: string }) => f.type === "error");
    const seen = new Set<string>();
    errors = new Interface(abi.filter((f: { name: string }) => !seen.has(f.name) && seen.add(f.name)));
    admin = await (await hre.ethers.provider.getSigner(0)).getAddress();
  });

  /** Stores and verifier pinned to `m.rootDer`, the collateral and both CRLs upserted at the vectors' time. */
  async function deployStack(m: Material, opts: { software?: boolean } = {}): Promise<Stack> {
    const collateral = (await (await hre.ethers.getContractFactory("DcapCollateralHarness", { libraries })).deploy(m.rootDer)) as unknown as Store;
    const crls = (await (await hre.ethers.getContractFactory("DcapCrlsHarness")).deploy(m.rootDer)) as unknown as Store;
    await collateral.waitForDeployment();
    await crls.waitForDeployment();
    for (const s of [collateral, crls]) await (await s.setNow(DCAP_VECTOR_TIME)).wait();
    await (await collateral.upsertTcbInfo(m.tcbInfo, m.tcbChain, { gasLimit: CALL_GAS })).wait();
    await (await collateral.upsertQeIdentity(m.qeIdentity, m.tcbChain, { gasLimit: CALL_GAS })).wait();
    await (await crls.upsertCrl(m.rootCrl, "0x", { gasLimit: CALL_GAS })).wait();
    await (await crls.upsertCrl(m.pckCrl, m.pckCaChain, { gasLimit: CALL_GAS })).wait();
    const name = opts.software === true ? "DcapVerifierSoftwareHarness" : "DcapVerifierHarness";
    const factory = await hre.ethers.getContractFactory(name, { libraries: verifierLibraries });
    const verifier = (await factory.deploy(m.rootDer, await collateral.getAddress(), await crls.getAddress(), admin)) as unknown as Verifier;
    await verifier.waitForDeployment();
    await (await verifier.setNow(DCAP_VECTOR_TIME)).wait();
    return { verifier, collateral, crls };
  }

  /** Sets the on-chain policy to the TypeScript policy `p` (only the fields set; the MRENCLAVE check off unless listed). */
  async function applyPolicy(v: Verifier, p: DcapPolicy): Promise<void> {
    const allowed = new Set(p.allowedTcbStatuses ?? ["UpToDate"]);
    for (let i = 0; i < STATUSES.length - 1; i++) {
      if ((await v.isTcbStatusAllowed(i)) !== allowed.has(STATUSES[i])) await (await v.setTcbStatusAllowed(i, allowed.has(STATUSES[i]))).wait();
    }
    await (await v.setCollateralGrace(BigInt(p.collateralGrace ?? 0))).wait();
    await (await v.setMinTcbEvaluationDataNumber(p.minTcbEvaluationDataNumber ?? 0)).wait();
    await (await v.setDebugAllowed(p.allowDebug === true)).wait();
    await (await v.setMrenclaveCheck(p.allowedMrenclaves !== undefined)).wait();
    for (const m of p.allowedMrenclaves ?? []) await (await v.setMrenclaveAllowed(m, true)).wait();
    const s = p.signer;
    await (await v.setSignerPolicy(s !== undefined, s?.mrsigner ?? ZERO32, s?.isvProdId ?? 0, s?.minIsvSvn ?? 0)).wait();
  }

  function tsOutcome(quote: Uint8Array, m: Material, now: bigint, policy: DcapPolicy): Outcome {
    try {
      return { valid: true, value: tsView(verifyQuote(quote, collateralOf(m), { now, policy, root: m.root })) };
    } catch (e) {
      if (!(e instanceof DcapVerificationError)) throw e;
      return { valid: false, code: e.code, args: [...e.args] };
    }
  }

  async function solOutcome(v: Verifier, quote: Uint8Array, now: bigint): Promise<Outcome> {
    await (await v.setNow(now)).wait();
    const call = await caughtCall(catcher, v, "verifyQuote", [quote], CALL_GAS);
    if (call.returned) return { valid: true, value: solView(call.value as Verified) };
    const { code, args } = decodeRevert(errors, call.error);
    return { valid: false, code, args };
  }

  /** Same verdict, error and arguments (or the same verified fields) on both sides; returns the TypeScript outcome. */
  async function compare(v: Verifier, m: Material, quote: Uint8Array, now: bigint, policy: DcapPolicy, what: string): Promise<Outcome> {
    const ts = tsOutcome(quote, m, now, policy);
    const sol = await solOutcome(v, quote, now);
    expect(JSON.stringify(sol, bigints), what).to.equal(JSON.stringify(ts, bigints));
    return ts;
  }

  async function revertOf(p: Promise<unknown>): Promise<{ code: string; args: unknown[] }> {
    try {
      await p;
    } catch (e) {
      return decodeRevert(errors, e);
    }
    throw new Error("expected a revert");
  }

  describe("Intel's real quote and collateral (Intel SGX Root CA pinned)", function () {
    let intel: Stack;
    const m = intelMaterial();

    before(async function () {
      intel = await deployStack(m);
    });

    it("probes the precompile on osaka and refuses the real quote under the default policy (status SWHardeningNeeded)", async function () {
      expect(await intel.verifier.usesP256Precompile()).to.equal(true);
      expect(await revertOf(intel.verifier.verifyQuote.staticCall(realQuote()))).to.deep.equal({ code: "TcbStatusNotAllowed", args: ["SWHardeningNeeded"] });
      // Allowing the status, the default MRENCLAVE check (on, empty allowlist) refuses it next.
      await (await intel.verifier.setTcbStatusAllowed(1, true)).wait();
      expect(await revertOf(intel.verifier.verifyQuote.staticCall(realQuote()))).to.deep.equal({ code: "MrenclaveNotAllowed", args: [REAL_MRENCLAVE] });
    });

    it("verifies the real quote at 1755236700 with its MRENCLAVE, status, FMSPC and advisories; first with a new PCK chain, then cached", async function () {
      await (await intel.verifier.setMrenclaveAllowed(REAL_MRENCLAVE, true)).wait();
      const chainHash = keccak256(realQuote().subarray(1052, realQuote().length));
      expect(await intel.verifier.isPckChainCached(chainHash)).to.equal(false);

      const first = await (await intel.verifier.verifyQuote(realQuote(), { gasLimit: CALL_GAS })).wait();
      const logs = first!.logs.map((l) => intel.verifier.interface.parseLog(l)).filter((l) => l !== null);
      expect(logs.map((l) => l!.name)).to.deep.equal(["PckChainCached", "QuoteVerified"]);
      expect(await intel.verifier.isPckChainCached(chainHash)).to.equal(true);

      const expected = verifyQuote(realQuote(), realCollateral(), { now: DCAP_VECTOR_TIME, policy: ALLOW_REAL });
      const tcb = parseTcbInfo(splitSignedCollateral(CollateralKind.TcbInfo, realTcbInfo(), "tcbInfo").body);
      const qe = parseQeIdentity(splitSignedCollateral(CollateralKind.QeIdentity, realQeIdentity(), "enclaveIdentity").body);
      const platformLevel = tcb.levels.find((l) => l.status === expected.tcbStatus)!;
      const qeLevel = qe.levels.find((l) => l.status === expected.qeTcbStatus)!;
      const event = logs[1]!;
      expect(event.args.mrenclave).to.equal(REAL_MRENCLAVE);
      expect(event.args.fmspc).to.equal(REAL_FMSPC);
      expect(event.args.pckChainHash).to.equal(chainHash);
      expect(STATUSES[Number(event.args.tcbStatus)]).to.equal("SWHardeningNeeded");
      expect(event.args.tcbAdvisoryHash).to.equal(advisoryHash(platformLevel.advisoryIds));
      expect(event.args.qeAdvisoryHash).to.equal(advisoryHash(qeLevel.advisoryIds));
      expect([...platformLevel.advisoryIds, ...qeLevel.advisoryIds]).to.include("INTEL-SA-00615");

      const cached = await (await intel.verifier.verifyQuote(realQuote(), { gasLimit: CALL_GAS })).wait();
      const cachedLogs = cached!.logs.map((l) => intel.verifier.interface.parseLog(l)!.name);
      expect(cachedLogs).to.deep.equal(["QuoteVerified"]);
      const v = await intel.verifier.verifyQuote.staticCall(realQuote());
      expect(solView(v)).to.deep.equal(tsView(expected));
      // The group-facing entry point (IEnclaveVerifier): the same verification, MRENCLAVE and REPORTDATA back.
      expect(await intel.verifier.evidenceKind()).to.equal(2n);
      const attested = await intel.verifier.verifyEvidence.staticCall(realQuote());
      expect([attested.mrenclave, attested.reportDataLow + attested.reportDataHigh.slice(2)]).to.deep.equal([REAL_MRENCLAVE, expected.reportData]);
      expect(await revertOf(intel.verifier.verifyEvidence.staticCall(dcapFile("quote_v4_tdx.bin")))).to.deep.equal({ code: "QuoteTeeTypeUnsupported", args: [0x81n] });
      expect(v.mrenclave).to.equal(REAL_MRENCLAVE);
      expect([v.fmspc, v.pceId, v.pckChainHash]).to.deep.equal([REAL_FMSPC, REAL_PCEID, chainHash]);
      const fresh = await executionGas(first!);
      const again = await executionGas(cached!);
      console.log(`      verifyQuote, precompile: new PCK chain ${fresh} execution gas (${first!.gasUsed} total), cached PCK ${again} (${cached!.gasUsed} total)`);
      // The targets (execution gas: total minus the intrinsic 21,000 and calldata).
      expect(again).to.be.lessThan(300_000);
      expect(fresh).to.be.lessThan(1_000_000);
    });

    it("gives the TypeScript verdict for every layout mutation, signed-field mutation, chain fault and certificate flip", async function () {
      await applyPolicy(intel.verifier, ALLOW_REAL);
      const verdicts = new Map<string, number>();
      const count = (o: Outcome) => verdicts.set(o.valid ? "valid" : o.code, (verdicts.get(o.valid ? "valid" : o.code) ?? 0) + 1);
      for (const [what, quote] of layoutMutations()) count(await compare(intel.verifier, m, quote, DCAP_VECTOR_TIME, ALLOW_REAL, `layout: ${what}`));
      for (const [what, offset, code] of SIGNED_FIELD_MUTATIONS) {
        const out = await compare(intel.verifier, m, signedFieldMutation(offset), DCAP_VECTOR_TIME, ALLOW_REAL, `signed field: ${what}`);
        expect(out.valid ? "valid" : out.code, what).to.equal(code);
        count(out);
      }
      for (const [what, chain, now] of chainFaults()) count(await compare(intel.verifier, m, withChain(realQuote(), chain), now, ALLOW_REAL, `chain: ${what}`));
      // The real chain (cached by the previous test) at the fault times: the cache re-checks validity in the same order.
      for (const now of [BigInt(Date.UTC(2024, 0, 1) / 1000), BigInt(Date.UTC(2031, 5, 1) / 1000), BigInt(Date.UTC(2033, 5, 22) / 1000), 1_000_000_000n]) {
        count(await compare(intel.verifier, m, realQuote(), now, ALLOW_REAL, `cached chain at ${now}`));
      }
      for (const [what, chain] of certificateFlips(24)) count(await compare(intel.verifier, m, withChain(realQuote(), chain), DCAP_VECTOR_TIME, ALLOW_REAL, `certificate ${what}`));
      console.log(`      verdicts: ${JSON.stringify(Object.fromEntries(verdicts))}`);
      expect(verdicts.get("valid")).to.be.greaterThan(0);
      expect(verdicts.size).to.be.greaterThan(10);
    });

    it("verifyQuoteWithAdvisories: the advisory IDs checked against the levels' hashes, in the event in TypeScript's order", async function () {
      const tcb = parseTcbInfo(splitSignedCollateral(CollateralKind.TcbInfo, realTcbInfo(), "tcbInfo").body);
      const qe = parseQeIdentity(splitSignedCollateral(CollateralKind.QeIdentity, realQeIdentity(), "enclaveIdentity").body);
      const expected = verifyQuote(realQuote(), realCollateral(), { now: DCAP_VECTOR_TIME, policy: ALLOW_REAL });
      const platformIds = tcb.levels.find((l) => l.status === expected.tcbStatus)!.advisoryIds;
      const qeIds = qe.levels.find((l) => l.status === expected.qeTcbStatus)!.advisoryIds;
      await (await intel.verifier.setNow(DCAP_VECTOR_TIME)).wait();
      const [v, ids] = await intel.verifier.verifyQuoteWithAdvisories.staticCall(realQuote(), platformIds, qeIds);
      expect(v.mrenclave).to.equal(REAL_MRENCLAVE);
      expect([...ids]).to.deep.equal(expected.advisoryIds);
      expect(expected.advisoryIds).to.include("INTEL-SA-00615");
      const tx = await intel.verifier.verifyQuoteWithAdvisories(realQuote(), platformIds, qeIds, { gasLimit: CALL_GAS });
      await expect(tx).to.emit(intel.verifier, "QuoteAdvisories").withArgs(REAL_MRENCLAVE, keccak256(realQuote().subarray(1052)), expected.advisoryIds);
      // A list that is not the level's: the stored hash and the given one.
      const wrong = [...platformIds, "INTEL-SA-99999"];
      expect(await revertOf(intel.verifier.verifyQuoteWithAdvisories.staticCall(realQuote(), wrong, qeIds))).to.deep.equal({
        code: "AdvisoryIdsMismatch",
        args: [advisoryHash(platformIds), advisoryHash(wrong)],
      });
      expect(await revertOf(intel.verifier.verifyQuoteWithAdvisories.staticCall(realQuote(), platformIds, [...qeIds, "x"]))).to.deep.equal({
        code: "AdvisoryIdsMismatch",
        args: [advisoryHash(qeIds), advisoryHash([...qeIds, "x"])],
      });
    });

    it("refuses the TDX quotes at the layout (QuoteTeeTypeUnsupported(0x81))", async function () {
      for (const name of ["quote_v4_tdx.bin", "quotes_tdx_quote_5.dat"]) {
        expect(await revertOf(intel.verifier.verifyQuote.staticCall(dcapFile(name)))).to.deep.equal({ code: "QuoteTeeTypeUnsupported", args: [0x81n] });
      }
    });

    it("collateral freshness: every item's nextUpdate, with and without the policy's grace, as TypeScript decides", async function () {
      const tcb = parseTcbInfo(splitSignedCollateral(CollateralKind.TcbInfo, realTcbInfo(), "tcbInfo").body);
      const qe = parseQeIdentity(splitSignedCollateral(CollateralKind.QeIdentity, realQeIdentity(), "enclaveIdentity").body);
      const edges = [tcb.nextUpdate, qe.nextUpdate, parseCrl(realRootCrl()).nextUpdate, parseCrl(realPckCrl()).nextUpdate];
      const expired = new Set<string>();
      for (const grace of [0n, 3600n]) {
        const policy = { ...ALLOW_REAL, collateralGrace: grace };
        await applyPolicy(intel.verifier, policy);
        for (const edge of edges) {
          for (const now of [edge + grace, edge + grace + 1n]) {
            const out = await compare(intel.verifier, m, realQuote(), now, policy, `grace ${grace} at ${now}`);
            if (!out.valid) expired.add(`${out.code}(${String(out.args[0])})`);
          }
        }
      }
      // The earliest expiry refuses first (CollateralExpired(kind, nextUpdate, now)); at nextUpdate + grace the item still passes.
      expect([...expired].every((e) => e.startsWith("CollateralExpired") || e.startsWith("CertificateNotValidAt"))).to.equal(true);
      expect(expired.size).to.be.greaterThan(0);
      await applyPolicy(intel.verifier, ALLOW_REAL);
      // QE Identity expires at 04:36:46 on 2025-09-14, TCB Info at 05:08:18, the PCK CA CRL at 05:41:26. One second after
      // TCB Info's nextUpdate, TCB Info is refused first (step 5 before 6; the CRLs, step 4, are current); with a
      // one-second grace TCB Info passes and QE Identity is refused; a grace reaching back to QE Identity's admits both.
      const now = tcb.nextUpdate + 1n;
      await (await intel.verifier.setNow(now)).wait();
      expect(await revertOf(intel.verifier.verifyQuote.staticCall(realQuote()))).to.deep.equal({
        code: "CollateralExpired",
        args: [BigInt(CollateralKind.TcbInfo), tcb.nextUpdate, now],
      });
      await (await intel.verifier.setCollateralGrace(1)).wait();
      expect(await revertOf(intel.verifier.verifyQuote.staticCall(realQuote()))).to.deep.equal({
        code: "CollateralExpired",
        args: [BigInt(CollateralKind.QeIdentity), qe.nextUpdate, now],
      });
      await (await intel.verifier.setCollateralGrace(now - qe.nextUpdate)).wait();
      expect((await intel.verifier.verifyQuote.staticCall(realQuote())).mrenclave).to.equal(REAL_MRENCLAVE);
      // Past the PCK CA CRL's nextUpdate everything but the root CA CRL has expired: the CRLs are checked first.
      const pckCrlNext = parseCrl(realPckCrl()).nextUpdate;
      await (await intel.verifier.setCollateralGrace(0)).wait();
      await (await intel.verifier.setNow(pckCrlNext + 1n)).wait();
      expect(await revertOf(intel.verifier.verifyQuote.staticCall(realQuote()))).to.deep.equal({
        code: "CollateralExpired",
        args: [BigInt(CollateralKind.PckCaCrl), pckCrlNext, pckCrlNext + 1n],
      });
      await applyPolicy(intel.verifier, ALLOW_REAL);
    });

    it("minimum tcbEvaluationDataNumber: TCB Info (17) then QE Identity", async function () {
      const tcb = parseTcbInfo(splitSignedCollateral(CollateralKind.TcbInfo, realTcbInfo(), "tcbInfo").body);
      for (const min of [tcb.tcbEvaluationDataNumber, tcb.tcbEvaluationDataNumber + 1, 1000]) {
        const policy = { ...ALLOW_REAL, minTcbEvaluationDataNumber: min };
        await applyPolicy(intel.verifier, policy);
        await compare(intel.verifier, m, realQuote(), DCAP_VECTOR_TIME, policy, `min ${min}`);
      }
      await (await intel.verifier.setNow(DCAP_VECTOR_TIME)).wait();
      expect(await revertOf(intel.verifier.verifyQuote.staticCall(realQuote()))).to.deep.equal({
        code: "TcbEvaluationDataNumberTooLow",
        args: [BigInt(CollateralKind.TcbInfo), 1000n, BigInt(tcb.tcbEvaluationDataNumber)],
      });
      await applyPolicy(intel.verifier, ALLOW_REAL);
    });

    it("the enclave policy: MRENCLAVE allowlist, MRSIGNER, ISVPRODID, minimum ISVSVN (IasVerifier's errors)", async function () {
      const other = "0x" + "11".repeat(32);
      const policies: DcapPolicy[] = [
        { ...ALLOW_REAL, allowedMrenclaves: [other] },
        { ...ALLOW_REAL, allowedMrenclaves: [REAL_MRENCLAVE, other] },
        { ...ALLOW_REAL, signer: { mrsigner: other, isvProdId: 0, minIsvSvn: 0 } },
        { ...ALLOW_REAL, signer: { mrsigner: REAL_MRSIGNER, isvProdId: 7, minIsvSvn: 0 } },
        { ...ALLOW_REAL, signer: { mrsigner: REAL_MRSIGNER, isvProdId: 0, minIsvSvn: 1000 } },
        { ...ALLOW_REAL, signer: { mrsigner: REAL_MRSIGNER, isvProdId: 0, minIsvSvn: 0 } },
        { allowedTcbStatuses: ["UpToDate"] },
        { allowedTcbStatuses: ["SWHardeningNeeded"] },
      ];
      const codes: string[] = [];
      for (const p of policies) {
        const stack = await freshPolicy(intel.verifier, p);
        const out = await compare(stack, m, realQuote(), DCAP_VECTOR_TIME, p, JSON.stringify(p));
        codes.push(out.valid ? "valid" : out.code);
      }
      expect(codes).to.deep.equal(["MrenclaveNotAllowed", "valid", "MrsignerMismatch", "IsvProdIdMismatch", "IsvSvnTooLow", "valid", "TcbStatusNotAllowed", "QeTcbStatusNotAllowed"]);
      await applyPolicy(intel.verifier, ALLOW_REAL);
    });

    /** Resets the MRENCLAVE allowlist entries the policies use, then applies `p`. */
    async function freshPolicy(v: Verifier, p: DcapPolicy): Promise<Verifier> {
      for (const mr of [REAL_MRENCLAVE, "0x" + "11".repeat(32)]) await (await v.setMrenclaveAllowed(mr, false)).wait();
      await applyPolicy(v, p);
      return v;
    }
  });

  describe("the policy setters", function () {
    let v: Verifier;
    before(async function () {
      v = (await deployStack(intelMaterial())).verifier;
    });

    it("are POLICY_ROLE only", async function () {
      const [, stranger] = await hre.ethers.getSigners();
      const s = v.connect(stranger);
      const role = await v.POLICY_ROLE();
      const calls: (() => Promise<unknown>)[] = [
        () => s.setTcbStatusAllowed(1, true),
        () => s.setCollateralGrace(1),
        () => s.setMinTcbEvaluationDataNumber(1),
        () => s.setDebugAllowed(true),
        () => s.setMrenclaveCheck(false),
        () => s.setMrenclaveAllowed(REAL_MRENCLAVE, true),
        () => s.setSignerPolicy(true, REAL_MRSIGNER, 1, 1),
      ];
      for (const c of calls) {
        await expect(c()).to.be.revertedWithCustomError(v, "AccessControlUnauthorizedAccount").withArgs(await stranger.getAddress(), role);
      }
    });

    it("emit an event on every change and none on a no-op; refuse Revoked and an over-long grace", async function () {
      const cases: [() => Promise<ContractTransactionResponse>, string, unknown[]][] = [
        [() => v.setTcbStatusAllowed(4, true), "TcbStatusAllowedSet", [4n, true]],
        [() => v.setCollateralGrace(600), "CollateralGraceSet", [600n]],
        [() => v.setMinTcbEvaluationDataNumber(17), "MinTcbEvaluationDataNumberSet", [17n]],
        [() => v.setDebugAllowed(true), "DebugAllowedSet", [true]],
        [() => v.setMrenclaveCheck(false), "MrenclaveCheckSet", [false]],
        [() => v.setMrenclaveAllowed(REAL_MRENCLAVE, true), "MrenclaveAllowedSet", [REAL_MRENCLAVE, true]],
        [() => v.setSignerPolicy(true, REAL_MRSIGNER, 1, 2), "SignerPolicySet", [true, REAL_MRSIGNER, 1n, 2n]],
      ];
      for (const [call, event, args] of cases) {
        await expect(call()).to.emit(v, event).withArgs(...args);
        await expect(call()).not.to.emit(v, event);
      }
      const p = await v.policy();
      expect([p.allowedTcbStatuses, p.collateralGrace, p.minTcbEvaluationDataNumber]).to.deep.equal([0b10001n, 600n, 17n]);
      // Disallow records the time; the same again changes nothing.
      await (await v.setMrenclaveAllowed(REAL_MRENCLAVE, false)).wait();
      const at = await v.mrenclaveDisallowedAt(REAL_MRENCLAVE);
      expect(at).to.be.greaterThan(0n);
      await expect(v.setMrenclaveAllowed(REAL_MRENCLAVE, false)).not.to.emit(v, "MrenclaveAllowedSet");
      expect(await v.mrenclaveDisallowedAt(REAL_MRENCLAVE)).to.equal(at);
      // Bad input: a specific error and no change.
      await expect(v.setTcbStatusAllowed(6, true)).to.be.revertedWithCustomError(v, "TcbStatusNotAllowable").withArgs(6);
      await expect(v.setTcbStatusAllowed(6, false)).not.to.emit(v, "TcbStatusAllowedSet");
      const max = await v.MAX_COLLATERAL_GRACE();
      await expect(v.setCollateralGrace(max + 1n)).to.be.revertedWithCustomError(v, "CollateralGraceTooLong").withArgs(max + 1n, max);
      expect((await v.policy()).collateralGrace).to.equal(600n);
      await expect(v.setTcbStatusAllowed(4, false)).to.emit(v, "TcbStatusAllowedSet").withArgs(4, false);
    });

    it("refuses a store address without code at deployment", async function () {
      const factory = await hre.ethers.getContractFactory("DcapVerifierHarness", { libraries: verifierLibraries });
      const nobody = "0x000000000000000000000000000000000000dEaD";
      await expect(factory.deploy(dcapFile("rootCaDer.der"), nobody, nobody, admin)).to.be.revertedWithCustomError(factory, "StoreNotContract");
    });
  });

  describe("the software P-256 path (P256Software, as on a chain without P256VERIFY)", function () {
    it("verifies the real quote as the precompile path does, and refuses the signed-field mutations alike", async function () {
      const m = intelMaterial();
      const soft = await deployStack(m, { software: true });
      expect(await soft.verifier.usesP256Precompile()).to.equal(false);
      await applyPolicy(soft.verifier, ALLOW_REAL);
      const first = await (await soft.verifier.verifyQuote(realQuote(), { gasLimit: CALL_GAS })).wait();
      const again = await (await soft.verifier.verifyQuote(realQuote(), { gasLimit: CALL_GAS })).wait();
      console.log(`      verifyQuote, software P-256: new PCK chain ${await executionGas(first!)} execution gas (${first!.gasUsed} total), cached PCK ${await executionGas(again!)} (${again!.gasUsed} total)`);
      await compare(soft.verifier, m, realQuote(), DCAP_VECTOR_TIME, ALLOW_REAL, "software: real");
      for (const [what, offset] of SIGNED_FIELD_MUTATIONS) {
        await compare(soft.verifier, m, signedFieldMutation(offset), DCAP_VECTOR_TIME, ALLOW_REAL, `software: ${what}`);
      }
      for (const [what, chain, now] of chainFaults().slice(14, 16)) {
        await compare(soft.verifier, m, withChain(realQuote(), chain), now, ALLOW_REAL, `software chain: ${what}`);
      }
    });
  });

  describe("under a test PKI (fields behind Intel's signatures re-signed; its root pinned)", function () {
    const pki = new TestPki();
    let base: Stack;
    const m = pkiMaterial(pki);

    before(async function () {
      base = await deployStack(m);
      await applyPolicy(base.verifier, ALLOW_REAL);
    });

    it("a re-signed quote (v3 and v4) verifies; DEBUG is refused unless allowed", async function () {
      expect((await compare(base.verifier, m, pki.quote(), DCAP_VECTOR_TIME, ALLOW_REAL, "test pki")).valid).to.equal(true);
      const v4 = pki.quote((p) => ({ ...p, header: patched(p.header, 0, [4, 0]) }));
      expect((await compare(base.verifier, m, v4, DCAP_VECTOR_TIME, ALLOW_REAL, "v4")).valid).to.equal(true);
      const debug = pki.quote((p) => ({ ...p, report: xorByte(p.report, 48, 0x02) }));
      const refused = await compare(base.verifier, m, debug, DCAP_VECTOR_TIME, ALLOW_REAL, "debug");
      expect(refused).to.deep.equal({ valid: false, code: "DebugEnclaveNotAllowed", args: [REAL_MRENCLAVE] });
      const allowDebug = { ...ALLOW_REAL, allowDebug: true };
      await applyPolicy(base.verifier, allowDebug);
      const ok = await compare(base.verifier, m, debug, DCAP_VECTOR_TIME, allowDebug, "debug allowed");
      expect(ok.valid && ok.value.debug).to.equal(true);
      await applyPolicy(base.verifier, ALLOW_REAL);
      // Under the Intel root the test PKI is refused.
      const intel = await deployStack(intelMaterial());
      expect(await revertOf(intel.verifier.verifyQuote.staticCall(pki.quote()))).to.deep.equal({ code: "RootCaNotPinned", args: [0n] });
    });

    it("a refused quote changes nothing: its new PCK chain is not cached and no event is emitted", async function () {
      const s = await deployStack(m);
      await applyPolicy(s.verifier, ALLOW_REAL);
      const debug = pki.quote((p) => ({ ...p, report: xorByte(p.report, 48, 0x02) }));
      const chainHash = keccak256(debug.subarray(1052));
      await expect(s.verifier.verifyQuote(debug, { gasLimit: CALL_GAS })).to.be.revertedWithCustomError(s.verifier, "DebugEnclaveNotAllowed");
      expect(await s.verifier.isPckChainCached(chainHash)).to.equal(false);
      // The same chain in an accepted quote is cached then.
      await expect(s.verifier.verifyQuote(pki.quote(), { gasLimit: CALL_GAS })).to.emit(s.verifier, "PckChainCached");
      expect(await s.verifier.isPckChainCached(chainHash)).to.equal(true);
    });

    it("AnonifyGroup.join admits an enclave with DCAP evidence through DcapVerifier (IEnclaveVerifier), bound by REPORTDATA", async function () {
      const s = await deployStack(m);
      await applyPolicy(s.verifier, ALLOW_REAL);
      await (await s.verifier.setMrenclaveAllowed(REAL_MRENCLAVE, true)).wait(); // the group requires the allowlist
      const factory = await hre.ethers.getContractFactory("AnonifyGroup");
      const group = await factory.deploy(await s.verifier.getAddress(), admin, 3600, hre.ethers.ZeroAddress, [admin], 0, TOKEN_RUNTIME);
      await group.waitForDeployment();
      const { chainId } = await hre.ethers.provider.getNetwork();
      const domain = groupDomain(chainId, await group.getAddress());
      const keys = new EnclaveKeys();
      const quote = pki.quote((p) => ({ ...p, report: Buffer.concat([Buffer.from(p.report).subarray(0, 320), keys.reportData()]) }));
      const handshake = Buffer.from("dcap join handshake");
      const signature = await keys.signHandshake(domain, await group.currentEpoch(), handshake);
      // Keys other than the attested ones: the group's own binding error.
      const other = new EnclaveKeys();
      await expect(group.join(quote, other.hpkePublicKey, keys.mlsSignatureKey, handshake, signature, { gasLimit: CALL_GAS })).to.be.revertedWithCustomError(
        group,
        "ReportDataKeyHashMismatch",
      );
      // A verifier refusal surfaces as the verifier's error.
      const debug = pki.quote((p) => ({ ...p, report: Buffer.concat([xorByte(Buffer.from(p.report).subarray(0, 320), 48, 0x02), keys.reportData()]) }));
      expect(await revertOf(group.join(debug, keys.hpkePublicKey, keys.mlsSignatureKey, handshake, signature, { gasLimit: CALL_GAS }))).to.deep.equal({
        code: "DebugEnclaveNotAllowed",
        args: [REAL_MRENCLAVE],
      });
      const tx = await group.join(quote, keys.hpkePublicKey, keys.mlsSignatureKey, handshake, signature, { gasLimit: CALL_GAS });
      await expect(tx).to.emit(group, "EnclaveAdmitted").withArgs(keys.address, admin, false);
      await expect(tx).to.emit(s.verifier, "QuoteVerified");
      console.log(`      AnonifyGroup.join with DCAP evidence (new PCK chain): ${(await tx.wait())!.gasUsed} gas total`);
    });

    it("QE identity fields and levels, and platform TCB levels and statuses, as TypeScript decides", async function () {
      const qeEdits: [string, (j: string) => string][] = [
        ["mrsigner", (j) => j.replace("8C4F5775", "8C4F5776")],
        ["isvprodid", (j) => j.replace('"isvprodid":1', '"isvprodid":2')],
        ["miscselect", (j) => j.replace('"miscselect":"00000000"', '"miscselect":"00000001"')],
        ["miscselect outside mask", (j) => j.replace('"miscselect":"00000000","miscselectMask":"FFFFFFFF"', '"miscselect":"00000001","miscselectMask":"FFFFFFFE"')],
        ["attributes", (j) => j.replace('"attributes":"11', '"attributes":"13')],
        ["every QE level above the QE's ISVSVN", (j) => j.replace(/"isvsvn":\d+/g, '"isvsvn":10')],
        ["QE status OutOfDate", (j) => j.replace('"tcbStatus":"UpToDate"', '"tcbStatus":"OutOfDate"')],
      ];
      const tcbEdits: [string, (j: string) => string][] = [
        ["platform status OutOfDate", (j) => j.replace('"tcbStatus":"SWHardeningNeeded"', '"tcbStatus":"OutOfDate"')],
        ["platform status Revoked", (j) => j.replace('"tcbStatus":"SWHardeningNeeded"', '"tcbStatus":"Revoked"')],
        ["every level's PCESVN above the platform's", (j) => j.replace(/"pcesvn":\d+/g, '"pcesvn":14')],
      ];
      const seen = new Set<string>();
      const statusPolicies: DcapPolicy[] = [ALLOW_REAL, { allowedTcbStatuses: ["UpToDate", "SWHardeningNeeded", "OutOfDate"] }];
      for (const [what, edit] of qeEdits) {
        const mat = pkiMaterial(pki, { qeIdentity: pki.qeIdentity(edit) });
        const stack = await deployStack(mat);
        for (const p of statusPolicies) {
          await applyPolicy(stack.verifier, p);
          const out = await compare(stack.verifier, mat, pki.quote(), DCAP_VECTOR_TIME, p, `QE ${what}`);
          seen.add(out.valid ? "valid" : out.code);
        }
      }
      for (const [what, edit] of tcbEdits) {
        const mat = pkiMaterial(pki, { tcbInfo: pki.tcbInfo(edit) });
        const stack = await deployStack(mat);
        for (const p of statusPolicies) {
          await applyPolicy(stack.verifier, p);
          const out = await compare(stack.verifier, mat, pki.quote(), DCAP_VECTOR_TIME, p, `TCB ${what}`);
          seen.add(out.valid ? "valid" : out.code);
        }
      }
      for (const code of ["QeMrsignerMismatch", "QeIsvProdIdMismatch", "QeMiscselectMismatch", "QeAttributesMismatch", "QeTcbLevelNotFound", "QeTcbStatusNotAllowed", "TcbStatusNotAllowed", "TcbLevelNotFound", "valid"]) {
        expect(seen.has(code), `${code} reached (${[...seen].join(", ")})`).to.equal(true);
      }
    });

    it("revoked serials: the PCK by the PCK CA CRL, the PCK CA and the TCB Signing certificate by the root CA CRL (CertificateRevoked(role, serial))", async function () {
      const revokedPck = pki.pckCrl((tbs) => replaceHex(tbs, "00efae6e9715fca13b87e333e8261ed6d990a926ad", "00d52864cbb1cefa9de768485947ebdc026799b496"));
      const mat1 = pkiMaterial(pki, { pckCrl: revokedPck });
      const s1 = await deployStack(mat1);
      await applyPolicy(s1.verifier, ALLOW_REAL);
      expect(await compare(s1.verifier, mat1, pki.quote(), DCAP_VECTOR_TIME, ALLOW_REAL, "revoked PCK")).to.deep.equal({
        valid: false,
        code: "CertificateRevoked",
        args: [2n, "0xd52864cbb1cefa9de768485947ebdc026799b496"],
      });
      const mat2 = pkiMaterial(pki, { rootCrl: rootCrlWithEntry(pki, "00956f5dcdbd1be1e94049c9d4f433ce01570bde54") });
      const s2 = await deployStack(mat2);
      await applyPolicy(s2.verifier, ALLOW_REAL);
      expect(await compare(s2.verifier, mat2, pki.quote(), DCAP_VECTOR_TIME, ALLOW_REAL, "revoked PCK CA")).to.deep.equal({
        valid: false,
        code: "CertificateRevoked",
        args: [1n, "0x956f5dcdbd1be1e94049c9d4f433ce01570bde54"],
      });
      // The TCB Signing certificate the stored TCB Info and QE Identity were verified under, listed by a root CA CRL
      // upserted after them (as when Intel revokes it): refused per quote. Found by the three-way differential; the
      // chain used to check that certificate only at upsert, against no CRL.
      const mat3 = pkiMaterial(pki, { rootCrl: rootCrlWithEntry(pki, "7e3882d5fb55294a40498e458403e91491bdf455") });
      const s3 = await deployStack(mat3);
      await applyPolicy(s3.verifier, ALLOW_REAL);
      expect(await compare(s3.verifier, mat3, pki.quote(), DCAP_VECTOR_TIME, ALLOW_REAL, "revoked TCB Signing")).to.deep.equal({
        valid: false,
        code: "CertificateRevoked",
        args: [3n, "0x7e3882d5fb55294a40498e458403e91491bdf455"],
      });
    });

    it("a revoked PCK whose chain was cached before the CRL listed it is refused with the cached serial", async function () {
      const s = await deployStack(m);
      await applyPolicy(s.verifier, ALLOW_REAL);
      await (await s.verifier.verifyQuote(pki.quote(), { gasLimit: CALL_GAS })).wait();
      const newer = pki.pckCrl((tbs) => {
        // The same CRL with the PCK's serial in place of a listed one, and a later thisUpdate (one second).
        const t = replaceHex(tbs, "00efae6e9715fca13b87e333e8261ed6d990a926ad", "00d52864cbb1cefa9de768485947ebdc026799b496");
        const times = [...t.entries()].filter(([i, b]) => b === 0x17 && t[i + 1] === 13).map(([i]) => i);
        const at = times[0] + 2 + 11; // the seconds' last digit of thisUpdate (YYMMDDHHMMSSZ)
        return patched(t, at, [t[at] === 0x39 ? 0x38 : t[at] + 1]);
      });
      await (await s.crls.upsertCrl(newer, m.pckCaChain, { gasLimit: CALL_GAS })).wait();
      expect(await revertOf(s.verifier.verifyQuote.staticCall(pki.quote()))).to.deep.equal({ code: "CertificateRevoked", args: [2n, "0xd52864cbb1cefa9de768485947ebdc026799b496"] });
    });

    it("TCB Info of another FMSPC: TypeScript says FmspcMismatch; on chain the lookup by the PCK's FMSPC finds none (TcbInfoNotStored)", async function () {
      const other = pki.tcbInfo((j) => j.replace('"fmspc":"00606a000000"', '"fmspc":"00606a000001"'));
      const mat = pkiMaterial(pki, { tcbInfo: other });
      const ts = tsOutcome(pki.quote(), mat, DCAP_VECTOR_TIME, ALLOW_REAL);
      expect(ts).to.deep.equal({ valid: false, code: "FmspcMismatch", args: [REAL_FMSPC, "0x00606a000001"] });
      const s = await deployStack(mat);
      await applyPolicy(s.verifier, ALLOW_REAL);
      expect(await solOutcome(s.verifier, pki.quote(), DCAP_VECTOR_TIME)).to.deep.equal({ valid: false, code: "TcbInfoNotStored", args: [REAL_FMSPC, REAL_PCEID] });
    });
  });
  describe("the development PCS fixture on the plain contracts at block.timestamp (Hardhat time helpers)", function () {
    it("verifies now, refuses one second after the collateral's nextUpdate, and admits it again within the grace", async function () {
      const dev = (name: string) => fs.readFileSync(path.join(vectorDir("dcap-dev"), name));
      const manifest = JSON.parse(dev("manifest.json").toString("utf8")) as { quote: { mrenclave: string }; collateralWindow: { from: number; to: number } };
      const snapshot = await takeSnapshot();
      try {
        const now0 = BigInt(await time.latest());
        if (now0 < BigInt(manifest.collateralWindow.from)) await time.increaseTo(manifest.collateralWindow.from);
        const rootDer = dev("root_ca.der");
        const collateral = (await (await hre.ethers.getContractFactory("DcapCollateral", { libraries })).deploy(rootDer)) as unknown as Store;
        const crls = (await (await hre.ethers.getContractFactory("DcapCrls")).deploy(rootDer)) as unknown as Store;
        const chain = dev("tcb_signing_chain.pem");
        await (await collateral.upsertTcbInfo(dev("tcb_info.json"), chain, { gasLimit: CALL_GAS })).wait();
        await (await collateral.upsertQeIdentity(dev("qe_identity.json"), chain, { gasLimit: CALL_GAS })).wait();
        await (await crls.upsertCrl(dev("root_ca_crl.der"), "0x", { gasLimit: CALL_GAS })).wait();
        await (await crls.upsertCrl(dev("pck_platform_crl.der"), dev("pck_platform_ca_chain.pem"), { gasLimit: CALL_GAS })).wait();
        const factory = await hre.ethers.getContractFactory("DcapVerifier", { libraries: verifierLibraries });
        const v = (await factory.deploy(rootDer, await collateral.getAddress(), await crls.getAddress(), admin, 0)) as unknown as Verifier;
        await v.waitForDeployment();
        await (await v.setMrenclaveAllowed(manifest.quote.mrenclave, true)).wait();
        const quote = dev("quote_v3_dev.bin");
        const m: Material = {
          rootDer,
          root: pinRoot(rootDer),
          tcbInfo: dev("tcb_info.json"),
          qeIdentity: dev("qe_identity.json"),
          tcbChain: chain,
          rootCrl: dev("root_ca_crl.der"),
          pckCrl: dev("pck_platform_crl.der"),
          pckCaChain: dev("pck_platform_ca_chain.pem"),
        };
        const policy: DcapPolicy = { allowedMrenclaves: [manifest.quote.mrenclave] };
        // The next block's time is what verifyQuote sees: compare at it.
        const at = BigInt(await time.latest()) + 1n;
        await time.setNextBlockTimestamp(at);
        const receipt = await (await v.verifyQuote(quote, { gasLimit: CALL_GAS })).wait();
        expect(receipt!.status).to.equal(1);
        const ts = tsOutcome(quote, m, at, policy);
        expect(ts.valid && ts.value.mrenclave).to.equal(manifest.quote.mrenclave);
        const sol = solView(await v.verifyQuote.staticCall(quote));
        expect({ ...sol, collateralNextUpdate: String(sol.collateralNextUpdate) }).to.deep.equal({ ...(ts as { value: Record<string, unknown> }).value, collateralNextUpdate: String((ts as { value: Record<string, unknown> }).value.collateralNextUpdate) });
        // One second past the collateral's nextUpdate (all four items share it): the root CA CRL, checked first, refuses.
        const to = BigInt(manifest.collateralWindow.to);
        await time.increaseTo(to + 1n);
        const late = await revertOf(v.verifyQuote.staticCall(quote));
        expect(late.code).to.equal("CollateralExpired");
        expect(late.args.slice(0, 2)).to.deep.equal([BigInt(CollateralKind.RootCaCrl), to]);
        expect(JSON.stringify({ valid: false, ...late }, bigints)).to.equal(JSON.stringify(tsOutcome(quote, m, late.args[2] as bigint, policy), bigints));
        // A one-hour grace admits it again (the certificates are valid until 2049-12-31).
        await (await v.setCollateralGrace(3600)).wait();
        expect((await v.verifyQuote.staticCall(quote)).mrenclave).to.equal(manifest.quote.mrenclave);
      } finally {
        await snapshot.restore();
      }
    });
  });
});
