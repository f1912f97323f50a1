import { expect } from "chai";
import hre from "hardhat";
import { AbiCoder, Interface, keccak256, type BaseContract, type ContractTransactionResponse } from "ethers";
import {
  CollateralKind,
  DcapVerificationError,
  checkCollateralSignature,
  checkFreshness,
  checkPckCaChain,
  parseCrl,
  crlSignedBy,
  checkTcbSigningChain,
  intelTcbSigningChainPem,
  parseQeIdentity,
  parseTcbInfo,
  platformLevel,
  pinRoot,
  splitPemChain,
  splitSignedCollateral,
  type Certificate,
  type PinnedRoot,
  type QeIdentity,
  type TcbInfo,
} from "../../src/attestation/dcap";
import { decodeRevert } from "../../src/attestation/onchain";
import { caughtCall, deployCatcher, type Catcher } from "../helpers/caughtCall";
import { DCAP_VECTOR_TIME, TestPki, dcapFile, innerJson, pem as pemOf, realPckCrl, realQeIdentity, realRootCrl, realTcbInfo } from "./dcapVectors";

type Outcome = { valid: true; value: unknown } | { valid: false; code: string; args: unknown[] };

interface SolLevel {
  components: string;
  pceSvn: bigint;
  status: bigint;
  advisoryHash: string;
  advisoryIds: string[];
}
interface SolTcbInfo {
  fmspc: string;
  pceId: string;
  tcbEvaluationDataNumber: bigint;
  issueDate: bigint;
  nextUpdate: bigint;
  levels: SolLevel[];
}

interface SolQeIdentity {
  tcbEvaluationDataNumber: bigint;
  issueDate: bigint;
  nextUpdate: bigint;
  miscselect: bigint;
  miscselectMask: bigint;
  attributes: string;
  attributesMask: string;
  mrsigner: string;
  isvProdId: bigint;
  levels: { isvSvn: bigint; status: bigint; advisoryHash: string; advisoryIds: string[] }[];
}

interface SolCrl {
  thisUpdate: bigint;
  nextUpdate: bigint;
  revokedSerialHashes: string[];
}

interface Crls extends BaseContract {
  verifyCrl(der: Uint8Array, pem: Uint8Array, now: bigint, overrides?: { gasLimit: number }): Promise<[SolCrl, bigint]>;
  upsertCrl(der: Uint8Array, pem: Uint8Array, overrides?: { gasLimit: number }): Promise<ContractTransactionResponse>;
  isRevoked(issuerSubjectHash: string, serialHash: string): Promise<[boolean, bigint]>;
  setNow(time: bigint): Promise<ContractTransactionResponse>;
}

interface Collateral extends BaseContract {
  tcbLevel(fmspc: string, pceId: string, components: string, pceSvn: number): Promise<[bigint, string, bigint]>;
  qeTcbLevel(isvSvn: number): Promise<[bigint, string, bigint]>;
  verifyQeIdentity(body: Uint8Array, pem: Uint8Array, now: bigint, overrides?: { gasLimit: number }): Promise<SolQeIdentity>;
  upsertQeIdentity(body: Uint8Array, pem: Uint8Array, overrides?: { gasLimit: number }): Promise<ContractTransactionResponse>;
  qeIdentity(): Promise<Omit<SolQeIdentity, "levels"> & { levels: { isvSvn: bigint; status: bigint; advisoryHash: string }[] }>;
  verifyTcbInfo(body: Uint8Array, pem: Uint8Array, now: bigint, overrides?: { gasLimit: number }): Promise<SolTcbInfo>;
  upsertTcbInfo(body: Uint8Array, pem: Uint8Array, overrides?: { gasLimit: number }): Promise<ContractTransactionResponse>;
  setNow(time: bigint): Promise<ContractTransactionResponse>;
  tcbInfo(
    fmspc: string,
    pceId: string,
  ): Promise<[bigint, bigint, bigint, { components: string; pceSvn: bigint; status: bigint; advisoryHash: string }[]]>;
}

const STATUSES = ["UpToDate", "SWHardeningNeeded", "ConfigurationNeeded", "ConfigurationAndSWHardeningNeeded", "OutOfDate", "OutOfDateConfigurationNeeded", "Revoked"];
/** Osaka's per-transaction gas cap (EIP-7825): what one upsert can use. */
const CALL_GAS = 16_777_216;
const ZERO32 = "0x" + "00".repeat(32);

function advisoryHash(ids: string[]): string {
  // string[] and bytes[] encode alike; JavaScript strings as UTF-8 (a lone surrogate as U+FFFD, as on chain).
  return ids.length === 0 ? ZERO32 : keccak256(AbiCoder.defaultAbiCoder().encode(["bytes[]"], [ids.map((id) => Buffer.from(id, "utf8"))]));
}

/** Advisory IDs compared as their UTF-8 bytes. */
function utf8Hex(ids: readonly string[]): string[] {
  return ids.map((id) => Buffer.from(id, "utf8").toString("hex"));
}

/** The fields both sides report for a verified TCB Info. */
function tsView(info: TcbInfo): unknown {
  return {
    fmspc: "0x" + info.fmspc,
    pceId: "0x" + info.pceId,
    tcbEvaluationDataNumber: info.tcbEvaluationDataNumber,
    issueDate: info.issueDate.toString(),
    nextUpdate: info.nextUpdate.toString(),
    levels: info.levels.map((l) => ({
      components: "0x" + Buffer.from(l.components).toString("hex"),
      pceSvn: l.pceSvn,
      status: l.status,
      advisoryHash: advisoryHash(l.advisoryIds),
      advisoryIds: utf8Hex(l.advisoryIds),
    })),
  };
}

function solView(v: SolTcbInfo): unknown {
  return {
    fmspc: v.fmspc,
    pceId: v.pceId,
    tcbEvaluationDataNumber: Number(v.tcbEvaluationDataNumber),
    issueDate: v.issueDate.toString(),
    nextUpdate: v.nextUpdate.toString(),
    levels: v.levels.map((l) => ({
      components: l.components,
      pceSvn: Number(l.pceSvn),
      status: STATUSES[Number(l.status)],
      advisoryHash: l.advisoryHash,
      advisoryIds: utf8Hex(l.advisoryIds),
    })),
  };
}

function tsQeView(q: QeIdentity): unknown {
  return {
    tcbEvaluationDataNumber: q.tcbEvaluationDataNumber,
    issueDate: q.issueDate.toString(),
    nextUpdate: q.nextUpdate.toString(),
    miscselect: q.miscselect,
    miscselectMask: q.miscselectMask,
    attributes: "0x" + q.attributes,
    attributesMask: "0x" + q.attributesMask,
    mrsigner: "0x" + q.mrsigner,
    isvProdId: q.isvProdId,
    levels: q.levels.map((l) => ({ isvSvn: l.isvSvn, status: l.status, advisoryHash: advisoryHash(l.advisoryIds), advisoryIds: utf8Hex(l.advisoryIds) })),
  };
}

function solQeView(v: SolQeIdentity): unknown {
  return {
    tcbEvaluationDataNumber: Number(v.tcbEvaluationDataNumber),
    issueDate: v.issueDate.toString(),
    nextUpdate: v.nextUpdate.toString(),
    miscselect: Number(v.miscselect),
    miscselectMask: Number(v.miscselectMask),
    attributes: v.attributes,
    attributesMask: v.attributesMask,
    mrsigner: v.mrsigner,
    isvProdId: Number(v.isvProdId),
    levels: v.levels.map((l) => ({ isvSvn: Number(l.isvSvn), status: STATUSES[Number(l.status)], advisoryHash: l.advisoryHash, advisoryIds: utf8Hex(l.advisoryIds) })),
  };
}

/** What `DcapCollateral.verifyQeIdentity` does, in TypeScript: the verifier's steps 3 and 6 (no grace, no minimum). */
function tsVerifyQeIdentity(body: Uint8Array, pem: Uint8Array, root: PinnedRoot, now: bigint): QeIdentity {
  const signer = checkTcbSigningChain(splitPemChain(pem), root, now);
  const signed = splitSignedCollateral(CollateralKind.QeIdentity, body, "enclaveIdentity");
  checkCollateralSignature(CollateralKind.QeIdentity, signed, signer);
  const q = parseQeIdentity(signed.body);
  checkFreshness(CollateralKind.QeIdentity, q.issueDate, q.nextUpdate, now, 0n);
  return q;
}

/** What the CRL fault corpus reaches (each verdict at least once). */
const VERDICTS_OF_CRL_CASES = [
  "CertificateConstraintsInvalid",
  "CollateralExpired",
  "CollateralNotYetValid",
  "CollateralSignatureInvalid",
  "CrlIssuerUnknown",
  "CrlMalformed",
  "PckChainLengthInvalid",
  "RootCaNotPinned",
  "valid",
];
const CRL_KINDS = ["TcbInfo", "QeIdentity", "RootCaCrl", "PckCaCrl"];

/** What `DcapCrls.verifyCrl` does, in TypeScript: the verifier's `checkCrls` for one CRL, the PCK CA from its issuer chain. */
function tsVerifyCrl(der: Uint8Array, pem: Uint8Array, root: PinnedRoot, now: bigint): unknown {
  let pckCa: Certificate | undefined;
  if (pem.length > 0) pckCa = checkPckCaChain(splitPemChain(pem), root, now);
  const crl = parseCrl(der);
  const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
  let kind: CollateralKind;
  let issuer: Certificate;
  if (same(crl.issuer, root.certificate.subject)) [kind, issuer] = [CollateralKind.RootCaCrl, root.certificate];
  else if (pckCa !== undefined && same(crl.issuer, pckCa.subject)) [kind, issuer] = [CollateralKind.PckCaCrl, pckCa];
  else throw new DcapVerificationError("CrlIssuerUnknown");
  if (!crlSignedBy(crl, issuer)) throw new DcapVerificationError("CollateralSignatureInvalid", [BigInt(kind)]);
  checkFreshness(kind, crl.thisUpdate, crl.nextUpdate, now, 0n);
  return { kind: CRL_KINDS[kind], thisUpdate: crl.thisUpdate.toString(), nextUpdate: crl.nextUpdate.toString(), revoked: [...crl.revoked].map((h) => keccak256("0x" + h)).sort() };
}

/** What `DcapCollateral.verifyTcbInfo` does, in TypeScript: the verifier's steps 3 and 5 (no grace, no minimum). */
function tsVerifyTcbInfo(body: Uint8Array, pem: Uint8Array, root: PinnedRoot, now: bigint): TcbInfo {
  const signer = checkTcbSigningChain(splitPemChain(pem), root, now);
  const signed = splitSignedCollateral(CollateralKind.TcbInfo, body, "tcbInfo");
  checkCollateralSignature(CollateralKind.TcbInfo, signed, signer);
  const info = parseTcbInfo(signed.body);
  checkFreshness(CollateralKind.TcbInfo, info.issueDate, info.nextUpdate, now, 0n);
  return info;
}

function tsOutcome(fn: () => unknown): Outcome {
  try {
    return { valid: true, value: fn() };
  } catch (e) {
    if (!(e instanceof DcapVerificationError)) throw e;
    return { valid: false, code: e.code, args: [...e.args] };
  }
}

function bigints(_k: string, v: unknown): unknown {
  return typeof v === "bigint" ? v.toString() : v;
}

/** xorshift32, for reproducible mutation corpora. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

describe("attestation: DCAP collateral on chain against the TypeScript verifier (differential)", function () {
  this.timeout(900_000);
  const intelRootDer = dcapFile("rootCaDer.der");
  const intelChain = intelTcbSigningChainPem();
  let errors: Interface;
  /** Refused verifications come back through it (test/helpers/caughtCall.ts says why). */
  let catcher: Catcher;
  let tcbInfoLibrary: string;
  let qeIdentityLibrary: string;

  async function deployCollateral(rootDer: Uint8Array): Promise<Collateral> {
    const factory = await hre.ethers.getContractFactory("DcapCollateralHarness", { libraries: { TcbInfo: tcbInfoLibrary, QeIdentity: qeIdentityLibrary } });
    const c = await factory.deploy(rootDer);
    await c.waitForDeployment();
    return c as unknown as Collateral;
  }

  before(async function () {
    catcher = await deployCatcher();
    const lib = await (await hre.ethers.getContractFactory("TcbInfo")).deploy();
    await lib.waitForDeployment();
    tcbInfoLibrary = await lib.getAddress();
    const qeLib = await (await hre.ethers.getContractFactory("QeIdentity")).deploy();
    await qeLib.waitForDeployment();
    qeIdentityLibrary = await qeLib.getAddress();
    const abi = [
      ...(await hre.artifacts.readArtifact("DcapCollateralHarness")).abi,
      ...(await hre.artifacts.readArtifact("TcbInfo")).abi.filter((f: { type: string }) => f.type === "error"),
      ...(await hre.artifacts.readArtifact("QeIdentity")).abi.filter((f: { type: string }) => f.type === "error"),
    ];
    const seen = new Set<string>();
    errors = new Interface(abi.filter((f: { type: string; name?: string }) => (f.type === "error" ? !seen.has(f.name!) && seen.add(f.name!) : true)));
  });

  async function compare(c: Collateral, root: PinnedRoot, body: Uint8Array, pem: Uint8Array, now: bigint, what: string, qe = false): Promise<Outcome> {
    const ts = tsOutcome(() => (qe ? tsQeView(tsVerifyQeIdentity(body, pem, root, now)) : tsView(tsVerifyTcbInfo(body, pem, root, now))));
    let sol: Outcome;
    const call = await caughtCall(catcher, c, qe ? "verifyQeIdentity" : "verifyTcbInfo", [body, pem, now], CALL_GAS);
    if (call.returned) {
      sol = { valid: true, value: qe ? solQeView(call.value as never) : solView(call.value as never) };
    } else {
      const { code, args } = decodeRevert(errors, call.error);
      sol = { valid: false, code, args };
    }
    expect(JSON.stringify(sol, bigints), what).to.equal(JSON.stringify(ts, bigints));
    return ts;
  }

  describe("TCB Info (DcapCollateral.verifyTcbInfo vs the TypeScript verifier's steps 3 and 5)", function () {
    let intel: Collateral;
    let test: TestPki;
    let testStore: Collateral;

    before(async function () {
      intel = await deployCollateral(intelRootDer);
      test = new TestPki();
      testStore = await deployCollateral(test.rootDer);
    });

    it("agrees on Intel's real TCB Info: FMSPC, PCEID, dates, every level's components, PCESVN, status and advisories", async function () {
      const out = await compare(intel, pinRoot(intelRootDer), realTcbInfo(), intelChain, DCAP_VECTOR_TIME, "real");
      expect(out.valid).to.equal(true);
      const v = (out as { value: ReturnType<typeof solView> }).value as { fmspc: string; levels: { status: string; advisoryIds: string[] }[] };
      expect(v.fmspc).to.equal("0x00606a000000");
      expect(v.levels[0].status).to.equal("SWHardeningNeeded");
      expect(v.levels[0].advisoryIds).to.deep.equal(utf8Hex(["INTEL-SA-00615"]));
    });

    it("agrees on Intel's other items and on outer-form, chain and time faults", async function () {
      const root = pinRoot(intelRootDer);
      const real = realTcbInfo();
      const text = real.toString("latin1");
      const sigAt = text.lastIndexOf('"signature":"') + 13;
      const cases: [string, Uint8Array, Uint8Array, bigint][] = [
        ["TDX TCB Info (Intel)", dcapFile("0625_tcbinfov3_00806f050000.json"), intelChain, DCAP_VECTOR_TIME],
        ["QE Identity as TCB Info", realQeIdentity(), intelChain, DCAP_VECTOR_TIME],
        ["TDX evaluation numbers", dcapFile("0625_tdxtcbeval.json"), intelChain, DCAP_VECTOR_TIME],
        ["trailing whitespace", Buffer.concat([real, Buffer.from(" \n\t\r")]), intelChain, DCAP_VECTOR_TIME],
        ["trailing byte", Buffer.concat([real, Buffer.from("x")]), intelChain, DCAP_VECTOR_TIME],
        ["leading space", Buffer.concat([Buffer.from(" "), real]), intelChain, DCAP_VECTOR_TIME],
        ["other field name", Buffer.from(text.replace('{"tcbInfo":', '{"tcbinfo":'), "latin1"), intelChain, DCAP_VECTOR_TIME],
        ["signature upper case", Buffer.from(text.slice(0, sigAt) + text.slice(sigAt, sigAt + 128).toUpperCase() + text.slice(sigAt + 128), "latin1"), intelChain, DCAP_VECTOR_TIME],
        ["signature short", Buffer.from(text.slice(0, sigAt + 126) + text.slice(sigAt + 128), "latin1"), intelChain, DCAP_VECTOR_TIME],
        ["signature non-hex", Buffer.from(text.slice(0, sigAt + 5) + "g" + text.slice(sigAt + 6), "latin1"), intelChain, DCAP_VECTOR_TIME],
        ["signature flipped", Buffer.from(text.slice(0, sigAt + 5) + (text[sigAt + 5] === "0" ? "1" : "0") + text.slice(sigAt + 6), "latin1"), intelChain, DCAP_VECTOR_TIME],
        ["no signature", Buffer.from(text.slice(0, sigAt - 13) + "}", "latin1"), intelChain, DCAP_VECTOR_TIME],
        ["object closed by ]", Buffer.from(text.replace('{"tcbInfo":{', '{"tcbInfo":{"x":[}'), "latin1"), intelChain, DCAP_VECTOR_TIME],
        ["empty", Buffer.alloc(0), intelChain, DCAP_VECTOR_TIME],
        ["prefix only", Buffer.from('{"tcbInfo":'), intelChain, DCAP_VECTOR_TIME],
        ["before issueDate", real, intelChain, 1755234497n],
        ["at issueDate", real, intelChain, 1755234498n],
        ["at nextUpdate", real, intelChain, 1757826498n],
        ["after nextUpdate", real, intelChain, 1757826499n],
        ["chain: signing only", real, Buffer.from(intelChain.toString("latin1").split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n", "latin1"), DCAP_VECTOR_TIME],
        ["chain: three", real, Buffer.concat([intelChain, intelChain.subarray(intelChain.indexOf("-----BEGIN", 10))]), DCAP_VECTOR_TIME],
        ["chain: test root", real, test.tcbChainPem(), DCAP_VECTOR_TIME],
        ["chain: before the signing certificate", real, intelChain, 1746489600n],
      ];
      for (const n of [0, 1, 11, 12, 100, 6000, real.length - 200, real.length - 130, real.length - 3, real.length - 2, real.length - 1]) {
        cases.push([`truncated to ${n}`, real.subarray(0, n), intelChain, DCAP_VECTOR_TIME]);
      }
      for (const [what, body, pem, now] of cases) await compare(intel, root, body, pem, now, what);
    });

    it("agrees on 85 re-signed field edits (types, ranges, dates, levels, JSON grammar, escapes, duplicate keys)", async function () {
      const level0 = (edit: (l: Record<string, unknown>) => void) => (j: string) => {
        const o = JSON.parse(j);
        edit(o.tcbLevels[0]);
        return JSON.stringify(o);
      };
      const top = (edit: (o: Record<string, unknown>) => void) => (j: string) => {
        const o = JSON.parse(j);
        edit(o);
        return JSON.stringify(o);
      };
      const sub = (from: string, to: string) => (j: string) => {
        if (!j.includes(from)) throw new Error(`corpus: ${from} not found`);
        return j.replace(from, to);
      };
      const edits: [string, (j: string) => string][] = [
        ["unchanged", (j) => j],
        // (Intel's whole TCB Info pretty-printed is ~4x the bytes: beyond a transaction's gas; two levels here.)
        ["pretty-printed, two levels", (j) => JSON.stringify({ ...JSON.parse(j), tcbLevels: JSON.parse(j).tcbLevels.slice(0, 2) }, null, 2)],
        ["keys reversed", top((o) => Object.keys(o).reverse().forEach((k) => { const v = o[k]; delete o[k]; o[k] = v; }))],
        ["unknown key", top((o) => (o.extra = { a: [1, "b", null, true, false, -1.5e3] }))],
        ["id TDX", sub('"id":"SGX"', '"id":"TDX"')],
        ["id missing", top((o) => delete o.id)],
        ["id number", sub('"id":"SGX"', '"id":1')],
        ["id escaped", sub('"id":"SGX"', '"id":"S\\u0047X"')],
        ["key escaped", sub('"id":"SGX"', '"\\u0069d":"SGX"')],
        ["version 2", sub('"version":3', '"version":2')],
        ["version 4", sub('"version":3', '"version":4')],
        ["version \"3\"", sub('"version":3', '"version":"3"')],
        ["version 3.0", sub('"version":3', '"version":3.0')],
        ["version 0.3e1", sub('"version":3', '"version":0.3e1')],
        ["version 30e-1", sub('"version":3', '"version":30e-1')],
        ["version 3.5", sub('"version":3', '"version":3.5')],
        ["version 1e80", sub('"version":3', '"version":1e80')],
        ["version 3 with 80 zeros, e-80", sub('"version":3', '"version":300000000000000000000000000000000000000000000000000000000000000000000000000000000e-80')],
        ["duplicate version, last 3", sub('"version":3', '"version":2,"version":3')],
        ["duplicate version, last 2", sub('"version":3', '"version":3,"version":2')],
        ["tcbType 1", sub('"tcbType":0', '"tcbType":1')],
        ["tcbType -0", sub('"tcbType":0', '"tcbType":-0')],
        ["tcbType 0e5", sub('"tcbType":0', '"tcbType":0e5')],
        ["tcbType 1e154", sub('"tcbType":0', '"tcbType":1e154')],
        ["tcbType 0e99999999999", sub('"tcbType":0', '"tcbType":0e99999999999')],
        ["version 3 with 200 zeros, e-200", sub('"version":3', '"version":3' + "0".repeat(200) + "e-200")],
        ["tcbType missing", top((o) => delete o.tcbType)],
        ["fmspc short", sub('"fmspc":"00606a000000"', '"fmspc":"00606a0000"')],
        ["fmspc upper", sub('"fmspc":"00606a000000"', '"fmspc":"00606A000000"')],
        ["fmspc non-hex", sub('"fmspc":"00606a000000"', '"fmspc":"00606g000000"')],
        ["fmspc number", sub('"fmspc":"00606a000000"', '"fmspc":606')],
        ["pceId 3 bytes", sub('"pceId":"0000"', '"pceId":"000000"')],
        ["pceId 0001", sub('"pceId":"0000"', '"pceId":"0001"')],
        ["issueDate Feb 30", sub('"issueDate":"2025-08-15T05:08:18Z"', '"issueDate":"2025-02-30T05:08:18Z"')],
        ["issueDate 24h", sub('"issueDate":"2025-08-15T05:08:18Z"', '"issueDate":"2025-08-15T24:00:00Z"')],
        ["issueDate lower z", sub('"issueDate":"2025-08-15T05:08:18Z"', '"issueDate":"2025-08-15T05:08:18z"')],
        ["issueDate fraction", sub('"issueDate":"2025-08-15T05:08:18Z"', '"issueDate":"2025-08-15T05:08:18.000Z"')],
        ["issueDate 1969", sub('"issueDate":"2025-08-15T05:08:18Z"', '"issueDate":"1969-08-15T05:08:18Z"')],
        ["issueDate later", sub('"issueDate":"2025-08-15T05:08:18Z"', '"issueDate":"2025-08-16T05:08:18Z"')],
        ["nextUpdate earlier", sub('"nextUpdate":"2025-09-14T05:08:18Z"', '"nextUpdate":"2025-08-15T05:44:59Z"')],
        ["nextUpdate escaped digit", sub('"nextUpdate":"2025-09-14T05:08:18Z"', '"nextUpdate":"2025-09-14T05:08:1\\u0038Z"')],
        ["evaluation -1", sub('"tcbEvaluationDataNumber":17', '"tcbEvaluationDataNumber":-1')],
        ["evaluation 1.5", sub('"tcbEvaluationDataNumber":17', '"tcbEvaluationDataNumber":1.5')],
        ["evaluation 2^32", sub('"tcbEvaluationDataNumber":17', '"tcbEvaluationDataNumber":4294967296')],
        ["evaluation 2^32-1", sub('"tcbEvaluationDataNumber":17', '"tcbEvaluationDataNumber":4294967295')],
        ["evaluation 1e400", sub('"tcbEvaluationDataNumber":17', '"tcbEvaluationDataNumber":1e400')],
        ["evaluation true", sub('"tcbEvaluationDataNumber":17', '"tcbEvaluationDataNumber":true')],
        ["tcbLevels empty", top((o) => (o.tcbLevels = []))],
        ["tcbLevels object", top((o) => (o.tcbLevels = {}))],
        ["tcbLevels missing", top((o) => delete o.tcbLevels)],
        ["level not object", top((o) => ((o.tcbLevels as unknown[])[1] = 5))],
        ["level tcb missing", level0((l) => delete l.tcb)],
        ["level tcb array", level0((l) => (l.tcb = []))],
        ["15 components", level0((l) => (l.tcb as { sgxtcbcomponents: unknown[] }).sgxtcbcomponents.pop())],
        ["17 components", level0((l) => (l.tcb as { sgxtcbcomponents: unknown[] }).sgxtcbcomponents.push({ svn: 1 }))],
        ["component svn 256", level0((l) => ((l.tcb as { sgxtcbcomponents: { svn: unknown }[] }).sgxtcbcomponents[3].svn = 256))],
        ["component svn \"1\"", level0((l) => ((l.tcb as { sgxtcbcomponents: { svn: unknown }[] }).sgxtcbcomponents[15].svn = "1"))],
        ["component svn missing", level0((l) => delete (l.tcb as { sgxtcbcomponents: { svn?: unknown }[] }).sgxtcbcomponents[7].svn)],
        ["component not object", level0((l) => ((l.tcb as { sgxtcbcomponents: unknown[] }).sgxtcbcomponents[9] = 1))],
        ["components not array", level0((l) => ((l.tcb as { sgxtcbcomponents: unknown }).sgxtcbcomponents = "x"))],
        ["pcesvn 65536", level0((l) => ((l.tcb as { pcesvn: unknown }).pcesvn = 65536))],
        ["pcesvn missing", level0((l) => delete (l.tcb as { pcesvn?: unknown }).pcesvn)],
        ["tcbDate number", level0((l) => (l.tcbDate = 1))],
        ["tcbDate anything", level0((l) => (l.tcbDate = "yesterday"))],
        ["status unknown", level0((l) => (l.tcbStatus = "Fine"))],
        ["status Revoked", level0((l) => (l.tcbStatus = "Revoked"))],
        ["advisories absent", level0((l) => delete l.advisoryIDs)],
        ["advisories empty", level0((l) => (l.advisoryIDs = []))],
        ["advisories string", level0((l) => (l.advisoryIDs = "INTEL-SA-00615"))],
        ["advisory number", level0((l) => (l.advisoryIDs = ["INTEL-SA-00615", 7]))],
        ["advisory unicode", level0((l) => (l.advisoryIDs = ["é\u2028€😀", "a\"b\\c/\b\f\n\r\t\u0001"]))],
        ["advisory escapes", sub('"INTEL-SA-00615"', '"INTEL-\\u0053A-00615\\ud83d\\ude00\\ud800x\\/"')],
        ["JSON: trailing comma", sub('"tcbType":0,', '"tcbType":0,,')],
        ["JSON: single quotes", sub('"id":"SGX"', "'id':\"SGX\"")],
        ["JSON: leading zero", sub('"tcbEvaluationDataNumber":17', '"tcbEvaluationDataNumber":017')],
        ["JSON: 1.", sub('"tcbEvaluationDataNumber":17', '"tcbEvaluationDataNumber":1.')],
        ["JSON: bad escape", sub('"id":"SGX"', '"id":"S\\xGX"')],
        ["JSON: short \\u", sub('"id":"SGX"', '"id":"S\\u04"')],
        ["JSON: control byte", sub('"id":"SGX"', '"id":"S\tGX"')],
        ["JSON: NaN", sub('"tcbEvaluationDataNumber":17', '"tcbEvaluationDataNumber":NaN')],
        ["JSON: tru", sub('"tcbType":0', '"tcbType":tru')],
        ["JSON: missing colon", sub('"tcbType":0', '"tcbType" 0')],
        ["JSON: deep nesting", top((o) => (o.extra = JSON.parse("[".repeat(300) + "]".repeat(300))))],
        ["JSON: unpaired bracket in string", sub('"id":"SGX"', '"id":"SGX","x":"[{"')],
        ["JSON: whitespace before colon", sub('"tcbType":0', '"tcbType" \n: 0 ')],
      ];
      const root = pinRoot(test.rootDer);
      const chain = test.tcbChainPem();
      const verdicts = new Set<string>();
      for (const [what, edit] of edits) {
        const out = await compare(testStore, root, test.tcbInfo(edit), chain, DCAP_VECTOR_TIME, what);
        verdicts.add(out.valid ? "valid" : out.code);
      }
      expect([...verdicts].sort()).to.deep.equal(["CollateralExpired", "CollateralFieldInvalid", "CollateralMalformed", "CollateralNotYetValid", "valid"]);
    });

    it("agrees on 80 random re-signed byte edits of the signed object", async function () {
      const real = Buffer.from(innerJson(realTcbInfo(), "tcbInfo"), "utf8");
      const next = rng(0x7cb1);
      const root = pinRoot(test.rootDer);
      const chain = test.tcbChainPem();
      const verdicts = new Map<string, number>();
      for (let n = 0; n < 80; n++) {
        const b = Buffer.from(real);
        const at = 1 + (next() % (b.length - 2));
        b[at] ^= 1 << next() % 7; // ASCII stays ASCII (ethers decodes the advisory strings as UTF-8)
        const out = await compare(testStore, root, test.signCollateral("tcbInfo", b.toString("latin1")), chain, DCAP_VECTOR_TIME, `flip ${at}`);
        const key = out.valid ? "valid" : out.code;
        verdicts.set(key, (verdicts.get(key) ?? 0) + 1);
      }
      // The corpus reaches the grammar, the fields and freshness, not only one error.
      expect(verdicts.size).to.be.greaterThan(2);
    });

    it("stores TCB Info per (FMSPC, PCEID) compactly, refuses an older or equal one, and emits the advisories", async function () {
      const store = await deployCollateral(intelRootDer);
      await (await store.setNow(DCAP_VECTOR_TIME)).wait();
      const tx = await store.upsertTcbInfo(realTcbInfo(), intelChain, { gasLimit: CALL_GAS });
      const receipt = await tx.wait();
      const info = parseTcbInfo(splitSignedCollateral(CollateralKind.TcbInfo, realTcbInfo(), "tcbInfo").body);
      const event = receipt!.logs.map((l) => errors.parseLog(l)).find((e) => e?.name === "TcbInfoUpdated")!;
      expect(event.args.fmspc).to.equal("0x00606a000000");
      expect(event.args.advisoryIds.map((a: string[]) => [...a])).to.deep.equal(info.levels.map((l) => l.advisoryIds));
      const [evaluation, issueDate, nextUpdate, levels] = await store.tcbInfo("0x00606a000000", "0x0000");
      expect([evaluation, issueDate, nextUpdate]).to.deep.equal([BigInt(info.tcbEvaluationDataNumber), info.issueDate, info.nextUpdate]);
      expect(
        levels.map((l) => ({ c: l.components, p: Number(l.pceSvn), s: STATUSES[Number(l.status)], h: l.advisoryHash })),
      ).to.deep.equal(info.levels.map((l) => ({ c: "0x" + Buffer.from(l.components).toString("hex"), p: l.pceSvn, s: l.status, h: advisoryHash(l.advisoryIds) })));
      console.log(`      upsertTcbInfo (real, ${info.levels.length} levels): ${receipt!.gasUsed} gas total`);

      // The same item again: not newer.
      const again = store.upsertTcbInfo(realTcbInfo(), intelChain, { gasLimit: CALL_GAS });
      await expect(again).to.be.revertedWithCustomError(store, "CollateralNotNewer").withArgs(CollateralKind.TcbInfo, 17, info.issueDate, 17, info.issueDate);
      await expect(store.tcbInfo("0x00606a000001", "0x0000")).to.be.revertedWithCustomError(store, "TcbInfoNotStored");
    });

    it("replaces stored TCB Info with a newer one only (test PKI: evaluation number, then issue date)", async function () {
      const store = await deployCollateral(test.rootDer);
      const chain = test.tcbChainPem();
      const withEval = (n: number, issue = "2025-08-15T05:08:18Z") => test.tcbInfo((j) => j.replace('"tcbEvaluationDataNumber":17', `"tcbEvaluationDataNumber":${n}`).replace('"issueDate":"2025-08-15T05:08:18Z"', `"issueDate":"${issue}"`));
      await (await store.setNow(DCAP_VECTOR_TIME)).wait();
      await (await store.upsertTcbInfo(withEval(17), chain, { gasLimit: CALL_GAS })).wait();
      await expect(store.upsertTcbInfo(withEval(16, "2025-08-15T05:10:00Z"), chain, { gasLimit: CALL_GAS }))
        .to.be.revertedWithCustomError(store, "CollateralNotNewer")
        .withArgs(CollateralKind.TcbInfo, 17, 1755234498n, 16, 1755234600n);
      await (await store.upsertTcbInfo(withEval(17, "2025-08-15T05:10:00Z"), chain, { gasLimit: CALL_GAS })).wait();
      await (await store.upsertTcbInfo(withEval(18), chain, { gasLimit: CALL_GAS })).wait();
      const [evaluation, issueDate] = await store.tcbInfo("0x00606a000000", "0x0000");
      expect([evaluation, issueDate]).to.deep.equal([18n, 1755234498n]);
    });
  });
  describe("QE Identity (DcapCollateral.verifyQeIdentity vs the TypeScript verifier's steps 3 and 6)", function () {
    let intel: Collateral;
    let test: TestPki;
    let testStore: Collateral;

    before(async function () {
      intel = await deployCollateral(intelRootDer);
      test = new TestPki();
      testStore = await deployCollateral(test.rootDer);
    });

    it("agrees on Intel's real QE Identity: MRSIGNER, ISVPRODID, masks, levels; and on other items, form, chain and time faults", async function () {
      const root = pinRoot(intelRootDer);
      const out = await compare(intel, root, realQeIdentity(), intelChain, DCAP_VECTOR_TIME, "real", true);
      expect(out.valid).to.equal(true);
      expect((out as { value: { mrsigner: string } }).value.mrsigner).to.equal("0x8c4f5775d796503e96137f77c68a829a0056ac8ded70140b081b094490c57bff");
      const real = realQeIdentity();
      const text = real.toString("latin1");
      const cases: [string, Uint8Array, Uint8Array, bigint][] = [
        ["TDX QE Identity (Intel)", dcapFile("0625_qe_td.json"), intelChain, DCAP_VECTOR_TIME],
        ["TCB Info as QE Identity", realTcbInfo(), intelChain, DCAP_VECTOR_TIME],
        ["trailing whitespace", Buffer.concat([real, Buffer.from("\n")]), intelChain, DCAP_VECTOR_TIME],
        ["trailing byte", Buffer.concat([real, Buffer.from("}")]), intelChain, DCAP_VECTOR_TIME],
        ["other field name", Buffer.from(text.replace('{"enclaveIdentity":', '{"qeIdentity":'), "latin1"), intelChain, DCAP_VECTOR_TIME],
        ["signature flipped", Buffer.from(text.replace(/"signature":"6/, '"signature":"7'), "latin1"), intelChain, DCAP_VECTOR_TIME],
        ["before issueDate", real, intelChain, 1755232605n],
        ["at issueDate", real, intelChain, 1755232606n],
        ["after nextUpdate", real, intelChain, 1757824607n],
        ["chain: test root", real, test.tcbChainPem(), DCAP_VECTOR_TIME],
      ];
      for (const n of [0, 19, 20, 500, real.length - 131, real.length - 1]) cases.push([`truncated to ${n}`, real.subarray(0, n), intelChain, DCAP_VECTOR_TIME]);
      for (const [what, body, pem, now] of cases) await compare(intel, root, body, pem, now, what, true);
    });

    it("agrees on 30 re-signed field edits", async function () {
      const sub = (from: string, to: string) => (j: string) => {
        if (!j.includes(from)) throw new Error(`corpus: ${from} not found`);
        return j.replace(from, to);
      };
      const top = (edit: (o: Record<string, unknown>) => void) => (j: string) => {
        const o = JSON.parse(j);
        edit(o);
        return JSON.stringify(o);
      };
      const level = (i: number, edit: (l: Record<string, unknown>) => void) => top((o) => edit((o.tcbLevels as Record<string, unknown>[])[i]));
      const edits: [string, (j: string) => string][] = [
        ["unchanged", (j) => j],
        ["pretty-printed", (j) => JSON.stringify(JSON.parse(j), null, 2)],
        ["id QVE", sub('"id":"QE"', '"id":"QVE"')],
        ["id TD_QE", sub('"id":"QE"', '"id":"TD_QE"')],
        ["version 1", sub('"version":2', '"version":1')],
        ["version 2.0", sub('"version":2', '"version":2.0')],
        ["miscselect short", sub('"miscselect":"00000000"', '"miscselect":"000000"')],
        ["miscselect number", sub('"miscselect":"00000000"', '"miscselect":0')],
        ["miscselectMask non-hex", sub('"miscselectMask":"FFFFFFFF"', '"miscselectMask":"FFFFFFFG"')],
        ["attributes 15 bytes", sub('"attributes":"11000000000000000000000000000000"', '"attributes":"110000000000000000000000000000"')],
        ["attributesMask lower", sub('"attributesMask":"FBFFFFFFFFFFFFFF0000000000000000"', '"attributesMask":"fbffffffffffffff0000000000000000"')],
        ["mrsigner 31 bytes", sub('"mrsigner":"8C4F5775D796503E96137F77C68A829A0056AC8DED70140B081B094490C57BFF"', '"mrsigner":"8C4F5775D796503E96137F77C68A829A0056AC8DED70140B081B094490C57B"')],
        ["mrsigner escaped", sub('"mrsigner":"8C4F', '"mrsigner":"\\u0038C4F')],
        ["isvprodid 65536", sub('"isvprodid":1', '"isvprodid":65536')],
        ["isvprodid missing", top((o) => delete o.isvprodid)],
        ["evaluation 1e1", sub('"tcbEvaluationDataNumber":17', '"tcbEvaluationDataNumber":1.7e1')],
        ["evaluation string", sub('"tcbEvaluationDataNumber":17', '"tcbEvaluationDataNumber":"17"')],
        ["issueDate Feb 29 2025", sub('"issueDate":"2025-08-15T04:36:46Z"', '"issueDate":"2025-02-29T04:36:46Z"')],
        ["issueDate Feb 29 2024", sub('"issueDate":"2025-08-15T04:36:46Z"', '"issueDate":"2024-02-29T04:36:46Z"')],
        ["nextUpdate missing", top((o) => delete o.nextUpdate)],
        ["tcbLevels empty", top((o) => (o.tcbLevels = []))],
        ["level string", top((o) => ((o.tcbLevels as unknown[])[2] = "x"))],
        ["level tcb null", level(0, (l) => (l.tcb = null))],
        ["isvsvn 65536", level(1, (l) => ((l.tcb as { isvsvn: unknown }).isvsvn = 65536))],
        ["isvsvn -1", level(1, (l) => ((l.tcb as { isvsvn: unknown }).isvsvn = -1))],
        ["tcbDate missing", level(3, (l) => delete l.tcbDate)],
        ["status lower case", level(0, (l) => (l.tcbStatus = "uptodate"))],
        ["advisories object", level(1, (l) => (l.advisoryIDs = {}))],
        ["duplicate mrsigner, last wins", sub('"isvprodid":1', '"isvprodid":1,"mrsigner":"' + "ab".repeat(32) + '"')],
        ["JSON: trailing garbage inside", sub('"isvprodid":1', '"isvprodid":1 1')],
      ];
      const root = pinRoot(test.rootDer);
      const chain = test.tcbChainPem();
      const verdicts = new Set<string>();
      for (const [what, edit] of edits) {
        const out = await compare(testStore, root, test.qeIdentity(edit), chain, DCAP_VECTOR_TIME, what, true);
        verdicts.add(out.valid ? "valid" : out.code);
      }
      expect([...verdicts].sort()).to.deep.equal(["CollateralFieldInvalid", "CollateralMalformed", "valid"]);
    });

    it("agrees on 40 random re-signed byte edits of the signed object", async function () {
      const real = Buffer.from(innerJson(realQeIdentity(), "enclaveIdentity"), "utf8");
      const next = rng(0x0e1d);
      const root = pinRoot(test.rootDer);
      const chain = test.tcbChainPem();
      const verdicts = new Set<string>();
      for (let n = 0; n < 40; n++) {
        const b = Buffer.from(real);
        const at = 1 + (next() % (b.length - 2));
        b[at] ^= 1 << next() % 7;
        const out = await compare(testStore, root, test.signCollateral("enclaveIdentity", b.toString("latin1")), chain, DCAP_VECTOR_TIME, `flip ${at}`, true);
        verdicts.add(out.valid ? "valid" : out.code);
      }
      expect(verdicts.size).to.be.greaterThan(2);
    });

    it("stores the QE Identity compactly, refuses an older or equal one, and emits the advisories", async function () {
      const store = await deployCollateral(intelRootDer);
      await expect(store.qeIdentity()).to.be.revertedWithCustomError(store, "QeIdentityNotStored");
      await (await store.setNow(DCAP_VECTOR_TIME)).wait();
      const receipt = await (await store.upsertQeIdentity(realQeIdentity(), intelChain, { gasLimit: CALL_GAS })).wait();
      const q = parseQeIdentity(splitSignedCollateral(CollateralKind.QeIdentity, realQeIdentity(), "enclaveIdentity").body);
      const event = receipt!.logs.map((l) => errors.parseLog(l)).find((e) => e?.name === "QeIdentityUpdated")!;
      expect(event.args.mrsigner).to.equal("0x" + q.mrsigner);
      expect(event.args.advisoryIds.map((a: string[]) => [...a])).to.deep.equal(q.levels.map((l) => l.advisoryIds));
      const v = await store.qeIdentity();
      const { levels: tsLevels, ...tsRest } = tsQeView(q) as { levels: { advisoryIds: unknown }[] };
      const { levels: solLevels, ...solRest } = solQeView({
        tcbEvaluationDataNumber: v.tcbEvaluationDataNumber,
        issueDate: v.issueDate,
        nextUpdate: v.nextUpdate,
        miscselect: v.miscselect,
        miscselectMask: v.miscselectMask,
        attributes: v.attributes,
        attributesMask: v.attributesMask,
        mrsigner: v.mrsigner,
        isvProdId: v.isvProdId,
        levels: v.levels.map((l) => ({ isvSvn: l.isvSvn, status: l.status, advisoryHash: l.advisoryHash, advisoryIds: [] })),
      }) as { levels: { advisoryIds: unknown }[] };
      expect(solRest).to.deep.equal(tsRest);
      expect(solLevels.map(({ advisoryIds: _a, ...l }) => l)).to.deep.equal(tsLevels.map(({ advisoryIds: _a, ...l }) => l));
      console.log(`      upsertQeIdentity (real, ${q.levels.length} levels): ${receipt!.gasUsed} gas total`);
      await expect(store.upsertQeIdentity(realQeIdentity(), intelChain, { gasLimit: CALL_GAS }))
        .to.be.revertedWithCustomError(store, "CollateralNotNewer")
        .withArgs(CollateralKind.QeIdentity, 17, q.issueDate, 17, q.issueDate);
    });
  });
  describe("CRLs (DcapCrls.verifyCrl vs the TypeScript verifier's checkCrls)", function () {
    let intel: Crls;
    let test: TestPki;
    let testCrls: Crls;
    const platformChain = Buffer.concat([dcapFile("Intel_SGX_PCK_Platform_CA.pem"), dcapFile("Intel_SGX_Root_CA.pem")]);

    async function deployCrls(rootDer: Uint8Array): Promise<Crls> {
      const c = await (await hre.ethers.getContractFactory("DcapCrlsHarness")).deploy(rootDer);
      await c.waitForDeployment();
      return c as unknown as Crls;
    }

    async function compareCrl(c: Crls, root: PinnedRoot, der: Uint8Array, pem: Uint8Array, now: bigint, what: string): Promise<Outcome> {
      const ts = tsOutcome(() => tsVerifyCrl(der, pem, root, now));
      let sol: Outcome;
      const call = await caughtCall(catcher, c, "verifyCrl", [der, pem, now], CALL_GAS);
      if (call.returned) {
        const [crl, kind] = call.value as Awaited<ReturnType<Crls["verifyCrl"]>>;
        sol = {
          valid: true,
          value: { kind: CRL_KINDS[Number(kind)], thisUpdate: crl.thisUpdate.toString(), nextUpdate: crl.nextUpdate.toString(), revoked: [...new Set(crl.revokedSerialHashes)].sort() },
        };
      } else {
        const { code, args } = decodeRevert(crlErrors, call.error);
        sol = { valid: false, code, args };
      }
      expect(JSON.stringify(sol, bigints), what).to.equal(JSON.stringify(ts, bigints));
      return ts;
    }

    let crlErrors: Interface;
    before(async function () {
      intel = await deployCrls(intelRootDer);
      test = new TestPki();
      testCrls = await deployCrls(test.rootDer);
      crlErrors = new Interface((await hre.artifacts.readArtifact("DcapCrlsHarness")).abi);
    });

    it("agrees on Intel's real root CA CRL and PCK Platform CA CRL, and on issuer, chain, time and DER faults", async function () {
      const root = pinRoot(intelRootDer);
      const rootCrl = realRootCrl();
      const pckCrl = realPckCrl();
      const pck = parseCrl(pckCrl);
      const rc = parseCrl(rootCrl);
      const out = await compareCrl(intel, root, pckCrl, platformChain, DCAP_VECTOR_TIME, "real PCK CA CRL");
      expect(out.valid).to.equal(true);
      expect((await compareCrl(intel, root, rootCrl, Buffer.alloc(0), DCAP_VECTOR_TIME, "real root CA CRL")).valid).to.equal(true);
      const cases: [string, Uint8Array, Uint8Array, bigint][] = [
        ["root CRL with the PCK CA chain", rootCrl, platformChain, DCAP_VECTOR_TIME],
        ["PCK CA CRL without a chain", pckCrl, Buffer.alloc(0), DCAP_VECTOR_TIME],
        ["older PCK CA CRL (0625)", dcapFile("platformCrl_0625.der"), platformChain, DCAP_VECTOR_TIME],
        ["PCK CA CRL before thisUpdate", pckCrl, platformChain, pck.thisUpdate - 1n],
        ["PCK CA CRL at nextUpdate", pckCrl, platformChain, pck.nextUpdate],
        ["PCK CA CRL after nextUpdate", pckCrl, platformChain, pck.nextUpdate + 1n],
        ["root CRL after nextUpdate", rootCrl, Buffer.alloc(0), rc.nextUpdate + 1n],
        ["chain: PCK CA only", pckCrl, dcapFile("Intel_SGX_PCK_Platform_CA.pem"), DCAP_VECTOR_TIME],
        ["chain: root then PCK CA", pckCrl, Buffer.concat([dcapFile("Intel_SGX_Root_CA.pem"), dcapFile("Intel_SGX_PCK_Platform_CA.pem")]), DCAP_VECTOR_TIME],
        ["chain: test PKI", pckCrl, Buffer.from(pemOf(test.pckCaDer) + pemOf(test.rootDer), "latin1"), DCAP_VECTOR_TIME],
        ["chain: TCB Signing as PCK CA", pckCrl, intelChain, DCAP_VECTOR_TIME],
        ["trailing byte", Buffer.concat([pckCrl, Buffer.from([0])]), platformChain, DCAP_VECTOR_TIME],
      ];
      for (const n of [0, 1, 4, 10, 100, 200, 1000, pckCrl.length - 72, pckCrl.length - 1]) cases.push([`truncated to ${n}`, pckCrl.subarray(0, n), platformChain, DCAP_VECTOR_TIME]);
      const next = rng(0xc71);
      for (let k = 0; k < 30; k++) {
        const b = Buffer.from(k % 3 === 0 ? rootCrl : pckCrl);
        b[next() % b.length] ^= 1 << next() % 8;
        cases.push([`flip ${k}`, b, k % 3 === 0 ? Buffer.alloc(0) : platformChain, DCAP_VECTOR_TIME]);
      }
      const verdicts = new Set<string>();
      for (const [what, der, pem, now] of cases) {
        const o = await compareCrl(intel, root, der, pem, now, what);
        verdicts.add(o.valid ? "valid" : o.code);
      }
      expect([...verdicts].sort()).to.deep.equal(VERDICTS_OF_CRL_CASES);
    });

    it("agrees on 40 random re-signed bit flips inside the PCK CA CRL's and the root CA CRL's TBS (test PKI)", async function () {
      const root = pinRoot(test.rootDer);
      const chain = Buffer.from(pemOf(test.pckCaDer) + pemOf(test.rootDer), "latin1");
      const next = rng(0xc72);
      const verdicts = new Set<string>();
      for (let k = 0; k < 40; k++) {
        const edit = (tbs: Buffer) => {
          const b = Buffer.from(tbs);
          b[next() % b.length] ^= 1 << next() % 8;
          return b;
        };
        const der = k % 4 === 0 ? test.rootCrl(edit) : test.pckCrl(edit);
        const out = await compareCrl(testCrls, root, der, chain, DCAP_VECTOR_TIME, `re-signed flip ${k}`);
        verdicts.add(out.valid ? "valid" : out.code);
      }
      // Behind the signature: valid (a flip in a serial or a date digit that stays a date), DER faults, the issuer name.
      expect([...verdicts].sort()).to.deep.equal(["CrlIssuerUnknown", "CrlMalformed", "valid"]);
    });

    it("stores the revoked serials per issuer, answers isRevoked, and refuses an older or equal CRL", async function () {
      const store = await deployCrls(intelRootDer);
      await (await store.setNow(DCAP_VECTOR_TIME)).wait();
      const pck = parseCrl(realPckCrl());
      const rootReceipt = await (await store.upsertCrl(realRootCrl(), Buffer.alloc(0), { gasLimit: CALL_GAS })).wait();
      const pckReceipt = await (await store.upsertCrl(realPckCrl(), platformChain, { gasLimit: CALL_GAS })).wait();
      console.log(`      upsertCrl root CA CRL: ${rootReceipt!.gasUsed} gas total; PCK Platform CA CRL (${pck.revoked.size} serials): ${pckReceipt!.gasUsed}`);
      const issuerHash = keccak256(pck.issuer);
      const listed = [...pck.revoked][0];
      expect(await store.isRevoked(issuerHash, keccak256("0x" + listed))).to.deep.equal([true, pck.nextUpdate]);
      expect(await store.isRevoked(issuerHash, keccak256("0xd52864cbb1cefa9de768485947ebdc026799b496"))).to.deep.equal([false, pck.nextUpdate]);
      await expect(store.isRevoked(keccak256("0x00"), keccak256("0x01"))).to.be.revertedWithCustomError(store, "CrlNotStored");
      await expect(store.upsertCrl(realPckCrl(), platformChain, { gasLimit: CALL_GAS }))
        .to.be.revertedWithCustomError(store, "CrlNotNewer")
        .withArgs(CollateralKind.PckCaCrl, pck.thisUpdate, pck.thisUpdate);
    });
  });
  describe("TCB level lookups (DcapCollateral.tcbLevel, qeTcbLevel vs verifier.ts's steps 10 and 8)", function () {
    it("agree on the real PCK, every level's edges and 200 random platforms against Intel's stored TCB Info and QE Identity", async function () {
      const store = await deployCollateral(intelRootDer);
      await (await store.setNow(DCAP_VECTOR_TIME)).wait();
      await (await store.upsertTcbInfo(realTcbInfo(), intelChain, { gasLimit: CALL_GAS })).wait();
      await (await store.upsertQeIdentity(realQeIdentity(), intelChain, { gasLimit: CALL_GAS })).wait();
      const info = parseTcbInfo(splitSignedCollateral(CollateralKind.TcbInfo, realTcbInfo(), "tcbInfo").body);
      const qe = parseQeIdentity(splitSignedCollateral(CollateralKind.QeIdentity, realQeIdentity(), "enclaveIdentity").body);
      const fmspc = "0x" + info.fmspc;

      const platforms: [string, number[], number][] = [["real PCK", [14, 14, 3, 3, 255, 255, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], 13]];
      platforms.push(["all zero", new Array(16).fill(0), 0], ["all 255", new Array(16).fill(255), 65535]);
      info.levels.forEach((l, i) => {
        platforms.push([`level ${i}`, [...l.components], l.pceSvn]);
        if (l.pceSvn > 0) platforms.push([`level ${i} pcesvn - 1`, [...l.components], l.pceSvn - 1]);
        l.components.forEach((c, j) => {
          if (c > 0) platforms.push([`level ${i} component ${j} - 1`, l.components.map((v, k) => (k === j ? v - 1 : v)), l.pceSvn]);
        });
      });
      const next = rng(0x1e7e1);
      for (let n = 0; n < 200; n++) {
        const components = Array.from({ length: 16 }, (_, j) => {
          const v = info.levels[next() % info.levels.length].components[j] + (next() % 3) - 1;
          return Math.max(0, Math.min(255, v));
        });
        platforms.push([`random ${n}`, components, info.levels[next() % info.levels.length].pceSvn + (next() % 3) - 1]);
      }
      const statuses = new Set<string>();
      for (const [what, components, pceSvn] of platforms) {
        const ts = tsOutcome(() => {
          const l = platformLevel(info, { sgx: { cpuSvnComponents: components, pceSvn, fmspc: info.fmspc } } as never);
          return { status: l.status, advisoryHash: advisoryHash(l.advisoryIds), nextUpdate: info.nextUpdate.toString() };
        });
        let sol: Outcome;
        try {
          const [status, hash, nextUpdate] = await store.tcbLevel(fmspc, "0x" + info.pceId, "0x" + Buffer.from(components).toString("hex"), pceSvn);
          sol = { valid: true, value: { status: STATUSES[Number(status)], advisoryHash: hash, nextUpdate: nextUpdate.toString() } };
        } catch (e) {
          const { code, args } = decodeRevert(errors, e);
          sol = { valid: false, code, args };
        }
        expect(JSON.stringify(sol, bigints), what).to.equal(JSON.stringify(ts, bigints));
        statuses.add(ts.valid ? (ts.value as { status: string }).status : ts.code);
      }
      expect(statuses.has("TcbLevelNotFound")).to.equal(true);
      expect(statuses.size).to.be.greaterThan(3);
      await expect(store.tcbLevel("0x00606a000001", "0x0000", "0x" + "00".repeat(16), 0)).to.be.revertedWithCustomError(store, "TcbInfoNotStored");

      // The QE level: verifier.ts checkQe's rule (the first level whose ISVSVN the QE's reaches), every ISVSVN 0..10.
      for (let isvSvn = 0; isvSvn <= 10; isvSvn++) {
        const ts = tsOutcome(() => {
          const l = qe.levels.find((level) => isvSvn >= level.isvSvn);
          if (l === undefined) throw new DcapVerificationError("QeTcbLevelNotFound", [BigInt(isvSvn)]);
          return { status: l.status, advisoryHash: advisoryHash(l.advisoryIds), nextUpdate: qe.nextUpdate.toString() };
        });
        let sol: Outcome;
        try {
          const [status, hash, nextUpdate] = await store.qeTcbLevel(isvSvn);
          sol = { valid: true, value: { status: STATUSES[Number(status)], advisoryHash: hash, nextUpdate: nextUpdate.toString() } };
        } catch (e) {
          const { code, args } = decodeRevert(errors, e);
          sol = { valid: false, code, args };
        }
        expect(JSON.stringify(sol, bigints), `QE isvsvn ${isvSvn}`).to.equal(JSON.stringify(ts, bigints));
      }
    });
  });
});
