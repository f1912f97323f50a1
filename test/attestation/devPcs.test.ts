/**
 * The development (SIMULATION) PCS: its PKI is reproducible and in Intel's layout; a development quote and its
 * collateral verify under the development root with the TypeScript verifier (and fail with the specific error
 * for each fault), are refused under Intel's root; the on-chain libraries (PCK chain, quote signatures,
 * collateral and CRL stores) accept them pinned to the development root and refuse them pinned to Intel's; the
 * enclave agrees when its binary is built.
 */
import fs from "node:fs";
import { expect } from "chai";
import hre from "hardhat";
import { Interface, keccak256 } from "ethers";
import { sha256 } from "@noble/hashes/sha2.js";
import {
  CertificateRole,
  CollateralKind,
  DcapVerificationError,
  DevelopmentPcs,
  DevelopmentQuotingEnclave,
  DEV_PKI_FILES,
  DEV_PLATFORM,
  DEV_QE,
  buildDevelopmentPki,
  buildDevelopmentPkiFiles,
  decodeQuote,
  defaultDevTcbLevels,
  encodeQuote,
  intelSgxRootCaDer,
  parseCertificate,
  partsOf,
  pemCertificate,
  pinRoot,
  readDevPkiFile,
  signIsvReport,
  splitPemChain,
  verifyQuote,
  verifyQuoteEvidence,
  type DcapCollateral,
  type DcapPolicy,
} from "../../src/attestation/dcap";
import { DerReader, TAG_OID, type Tlv } from "../../src/attestation/dcap/der";
import { buildSimulationQuoteBody, REPORT_BODY_OFFSET } from "../../src/attestation/quote";
import { decodeRevert } from "../../src/attestation/onchain";
import { EnclaveProcess } from "../../src/enclave/EnclaveProcess";
import { FIXTURE_ISSUE, FIXTURE_NEXT_UPDATE, FIXTURE_VERIFY_AT, buildDevFixtureFiles } from "../../scripts/dcap-dev-fixtures";
import { dcapFile, realQuote, xorByte } from "./dcapVectors";
import { vectorDir } from "../helpers/vectors";

const NOW = FIXTURE_VERIFY_AT;
const WINDOW = { issueDate: FIXTURE_ISSUE, nextUpdate: FIXTURE_NEXT_UPDATE };
const CRL_WINDOW = { thisUpdate: FIXTURE_ISSUE, nextUpdate: FIXTURE_NEXT_UPDATE };
const CALL_GAS = 16_000_000n; // under osaka's per-transaction cap (2^24)

function expectError(fn: () => unknown, code: string, args?: unknown[]): DcapVerificationError {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof DcapVerificationError)) throw e;
    expect(e.code, e.message).to.equal(code);
    if (args !== undefined) expect(e.args, e.message).to.deep.equal(args);
    return e;
  }
  throw new Error(`expected ${code}, got a valid verdict`);
}

/** A signed PCS body with its signed object changed after signing (evaluation number 17 -> 16). */
function unsigned(body: Buffer): Buffer {
  const text = body.toString("utf8");
  const edited = text.replace('"tcbEvaluationDataNumber":17', '"tcbEvaluationDataNumber":16');
  if (edited === text) throw new Error("no evaluation number to edit");
  return Buffer.from(edited, "utf8");
}

/** A report body the simulation enclave would produce, with a random MRENCLAVE and REPORTDATA. */
function reportBody(seed: string): { body: Uint8Array; mrenclave: Buffer; reportData: Buffer } {
  const mrenclave = Buffer.from(sha256(Buffer.from(`mrenclave ${seed}`)));
  const reportData = Buffer.concat([Buffer.from(sha256(Buffer.from(`report data ${seed}`))), Buffer.from(sha256(Buffer.from(`more ${seed}`)))]);
  const epid = buildSimulationQuoteBody({ mrenclave, reportData, isvProdId: 3, isvSvn: 4 });
  return { body: epid.subarray(REPORT_BODY_OFFSET, REPORT_BODY_OFFSET + 384), mrenclave, reportData };
}

/** (tag, OID) skeleton of a DER value: the structure without the values that differ per certificate. */
function skeleton(der: Uint8Array): string[] {
  const out: string[] = [];
  const r = new DerReader(der, (o) => {
    throw new Error(`bad DER at ${o}`);
  });
  const walk = (t: Tlv, depth: number) => {
    out.push(`${depth}:${t.tag.toString(16)}${t.tag === TAG_OID ? ":" + Buffer.from(r.content(t)).toString("hex") : ""}`);
    if (t.tag === 0x30 || t.tag === 0x31 || t.tag === 0xa0 || t.tag === 0xa3) for (const c of r.children(t)) walk(c, depth + 1);
  };
  walk(r.tlv(0, der.length), 0);
  return out;
}

/** The extensions of a certificate: OID hex, critical, and (for keyUsage/basicConstraints) the value. */
function extensionsOf(der: Uint8Array): string[] {
  const r = new DerReader(der, (o) => {
    throw new Error(`bad DER at ${o}`);
  });
  const cert = r.tlv(0, der.length);
  const tbs = r.children(cert)[0];
  const ext = r.children(tbs).find((t) => t.tag === 0xa3)!;
  return r.children(r.children(ext)[0]).map((e) => {
    const parts = r.children(e);
    const id = Buffer.from(r.content(parts[0])).toString("hex");
    const critical = parts.length === 3;
    const value = Buffer.from(r.content(parts[parts.length - 1])).toString("hex");
    return `${id}${critical ? " critical" : ""}${id === "551d0f" || id === "551d13" ? " " + value : ""}`;
  });
}

describe("attestation: development PCS (SIMULATION DCAP)", function () {
  this.timeout(600_000);
  const pcs = new DevelopmentPcs();
  const qe = new DevelopmentQuotingEnclave();
  const devRoot = pinRoot(pcs.rootDer);
  const intelChain = splitPemChain(decodeQuote(realQuote()).pckChainPem);

  function collateral(over: Partial<DcapCollateral> = {}): DcapCollateral {
    return {
      tcbInfo: pcs.tcbInfo(WINDOW),
      qeIdentity: pcs.qeIdentity(WINDOW),
      tcbSigningChainPem: pcs.tcbSigningChainPem(),
      crls: [pcs.rootCaCrl(CRL_WINDOW), pcs.pckCrl("platform", CRL_WINDOW)],
      ...over,
    };
  }
  const verifyDev = (quote: Uint8Array, c: DcapCollateral = collateral(), policy?: DcapPolicy, now = NOW) => verifyQuote(quote, c, { now, root: devRoot, policy });

  describe("the PKI", function () {
    it("is committed exactly as scripts/dcap-dev-pki.ts regenerates it", function () {
      const files = buildDevelopmentPkiFiles();
      expect([...files.keys()].sort()).to.deep.equal(Object.values(DEV_PKI_FILES).sort());
      for (const [name, bytes] of files) expect(readDevPkiFile(name as (typeof DEV_PKI_FILES)[keyof typeof DEV_PKI_FILES]).equals(bytes), name).to.equal(true);
    });

    it("has a root shaped like Intel's SGX Root CA, and CA, TCB Signing and PCK certificates with Intel's extensions", function () {
      const m = buildDevelopmentPki();
      const intelRoot = intelSgxRootCaDer();
      const intelSigning = dcapFile("signingDer.der");
      const pairs: [string, Uint8Array, Uint8Array][] = [
        ["root", m.rootDer, intelRoot],
        ["PCK Platform CA", m.pckPlatformCaDer, intelChain[1]],
        ["PCK Processor CA", m.pckProcessorCaDer, intelChain[1]],
        ["TCB Signing", m.tcbSigningDer, intelSigning],
        ["PCK", m.pckDer, intelChain[0]],
      ];
      for (const [what, dev, intel] of pairs) {
        expect(extensionsOf(dev), what).to.deep.equal(extensionsOf(intel));
        expect(skeleton(dev), what).to.deep.equal(skeleton(intel));
      }
      const root = parseCertificate(m.rootDer, CertificateRole.Root);
      expect(Buffer.from(root.issuer).equals(Buffer.from(root.subject))).to.equal(true);
      expect(root.notAfter).to.equal(2524607999n); // 2049-12-31T23:59:59Z, as Intel's
      expect(extensionsOf(m.rootDer)).to.include("551d13 critical 30060101ff020101"); // CA:TRUE, pathlen:1
      expect(Buffer.from(m.rootDer).toString("latin1")).to.not.include("Intel");
      for (const [, dev] of pairs) expect(Buffer.from(dev).toString("latin1"), "development names only").to.include("SIMULATION").and.not.include("Intel");
    });

    it("carries the SGX extension in Intel's DER layout with the development platform's values", function () {
      const chain = splitPemChain(readDevPkiFile(DEV_PKI_FILES.pckChain));
      const pck = parseCertificate(chain[0], CertificateRole.Pck);
      const intelPck = parseCertificate(intelChain[0], CertificateRole.Pck);
      expect(skeleton(pck.sgxExtension!.value)).to.deep.equal(skeleton(intelPck.sgxExtension!.value));
      expect(pck.sgxExtension!.value.length).to.equal(intelPck.sgxExtension!.value.length);
      const v = verifyDev(qe.quote(reportBody("x").body));
      expect(v.fmspc).to.equal("0x" + DEV_PLATFORM.fmspc);
      expect(v.pceId).to.equal("0x" + DEV_PLATFORM.pceId);
    });
  });

  describe("the collateral", function () {
    /** Keys in order, recursively; arrays by their first element (and an element with advisories when there is one). */
    function shape(v: unknown): unknown {
      if (Array.isArray(v)) {
        const withAdvisories = v.find((e) => typeof e === "object" && e !== null && "advisoryIDs" in e);
        return v.length === 0 ? [] : [shape(v[0]), ...(withAdvisories !== undefined && withAdvisories !== v[0] ? [shape(withAdvisories)] : [])];
      }
      if (typeof v === "object" && v !== null) return Object.entries(v).map(([k, x]) => [k, shape(x)]);
      return typeof v;
    }
    const inner = (b: Buffer, field: string) => (JSON.parse(b.toString("utf8")) as Record<string, unknown>)[field];

    it("has Intel's field order, types and compact formatting (TCB Info v3, QE Identity v2)", function () {
      const levels = defaultDevTcbLevels();
      // Intel's first level carries advisories; compare like with like.
      const devTcb = pcs.tcbInfo({ ...WINDOW, tcbLevels: [{ ...levels[0], advisoryIDs: ["SIMULATION-SA-00009"] }, levels[1]] });
      const devQe = pcs.qeIdentity({ ...WINDOW, tcbLevels: [{ isvSvn: 8, tcbDate: "2026-11-11T00:00:00Z", tcbStatus: "UpToDate" }, { isvSvn: 6, tcbDate: "2025-05-14T00:00:00Z", tcbStatus: "OutOfDate", advisoryIDs: ["SIMULATION-SA-00003"] }] });
      const real = (n: string) => dcapFile(n);
      expect(shape(inner(devTcb, "tcbInfo"))).to.deep.equal(shape(inner(real("0825_sgx_tcbinfov3_00606a000000.json"), "tcbInfo")));
      expect(shape(inner(devQe, "enclaveIdentity"))).to.deep.equal(shape(inner(real("0825_sgx_qeidentity_v4.json"), "enclaveIdentity")));
      // The component descriptors of the first four components, as Intel's.
      const comps = (b: Buffer) => (inner(b, "tcbInfo") as { tcbLevels: { tcb: { sgxtcbcomponents: object[] } }[] }).tcbLevels[0].tcb.sgxtcbcomponents.map((c) => Object.keys(c).filter((k) => k !== "svn").map((k) => `${k}=${(c as Record<string, string>)[k]}`).join(","));
      expect(comps(devTcb)).to.deep.equal(comps(real("0825_sgx_tcbinfov3_00606a000000.json")));
      for (const [body, field] of [[devTcb, "tcbInfo"], [devQe, "enclaveIdentity"]] as const) {
        const o = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
        expect(body.toString("utf8")).to.equal(`{"${field}":${JSON.stringify(o[field])},"signature":"${o.signature as string}"}`);
        expect(o.signature).to.match(/^[0-9a-f]{128}$/);
      }
    });
  });

  describe("the fixture bundle test/vectors/dcap-dev", function () {
    it("is committed exactly as scripts/dcap-dev-fixtures.ts regenerates it", function () {
      const dir = vectorDir("dcap-dev");
      for (const [name, bytes] of buildDevFixtureFiles()) expect(fs.readFileSync(`${dir}/${name}`).equals(bytes), name).to.equal(true);
    });

    it("verifies as its manifest says, and an ISV report re-signed with the committed attestation key verifies", function () {
      const dir = vectorDir("dcap-dev");
      const f = (n: string) => fs.readFileSync(`${dir}/${n}`);
      const manifest = JSON.parse(f("manifest.json").toString()) as { verifyAt: number; quote: { mrenclave: string; reportData: string } };
      const c: DcapCollateral = { tcbInfo: f("tcb_info.json"), qeIdentity: f("qe_identity.json"), tcbSigningChainPem: f("tcb_signing_chain.pem"), crls: [f("root_ca_crl.der"), f("pck_platform_crl.der")] };
      const root = pinRoot(f("root_ca.der"));
      const v = verifyQuote(f("quote_v3_dev.bin"), c, { now: BigInt(manifest.verifyAt), root });
      expect([v.mrenclave, v.reportData, v.tcbStatus, v.revocationChecked]).to.deep.equal([manifest.quote.mrenclave, manifest.quote.reportData, "UpToDate", true]);
      // What a C++ test does: replace bytes 48..432 and re-sign header || report with attestation_key.pem.
      const other = reportBody("re-signed");
      const parts = partsOf(decodeQuote(f("quote_v3_dev.bin")));
      const key = new DevelopmentQuotingEnclave().pki.keys.attestation;
      expect(Buffer.from(key.public).toString("hex")).to.equal(Buffer.from(decodeQuote(f("quote_v3_dev.bin")).attestationKey).toString("hex"));
      const resigned = encodeQuote({ ...parts, report: other.body, isvSignature: signIsvReport(parts.header, other.body, key) });
      expect(verifyQuote(resigned, c, { now: NOW, root }).mrenclave).to.equal("0x" + other.mrenclave.toString("hex"));
      expectError(() => verifyQuote(f("quote_v3_dev.bin"), { ...c, crls: [f("root_ca_crl.der"), f("pck_platform_crl_revoking_pck.der")] }, { now: NOW, root }), "CertificateRevoked");
      expectError(() => verifyQuote(f("quote_v3_dev.bin"), { ...c, tcbInfo: f("tcb_info_out_of_date.json") }, { now: NOW, root }), "TcbStatusNotAllowed", ["OutOfDate"]);
    });
  });

  describe("TypeScript verifier", function () {
    it("verifies a development quote under the development root: MRENCLAVE and REPORTDATA of the report body", function () {
      const r = reportBody("valid");
      const v = verifyDev(qe.quote(r.body));
      expect(v.mrenclave).to.equal("0x" + r.mrenclave.toString("hex"));
      expect(v.reportData).to.equal("0x" + r.reportData.toString("hex"));
      expect([v.isvProdId, v.isvSvn, v.debug, v.tcbStatus, v.qeTcbStatus, v.revocationChecked, v.tcbEvaluationDataNumber]).to.deep.equal([3, 4, false, "UpToDate", "UpToDate", true, 17]);
      expect(v.collateralNextUpdate).to.equal(FIXTURE_NEXT_UPDATE);
      const q = decodeQuote(qe.quote(r.body));
      expect(Buffer.from(q.qeReport.mrsigner).toString("hex")).to.equal(DEV_QE.mrsigner);
      expect(Buffer.from(q.pckChainPem).toString("latin1").endsWith("-----END CERTIFICATE-----\n\0")).to.equal(true);
    });

    it("refuses everything of it under the default (Intel) root: RootCaNotPinned", function () {
      const quote = qe.quote(reportBody("intel").body);
      expectError(() => verifyQuote(quote, collateral(), { now: NOW }), "RootCaNotPinned", [0n]);
      // Even with Intel's TCB Signing chain the PCK chain is checked first; and the dev TCB chain alone is refused too.
      expectError(() => verifyQuote(realQuote(), { ...collateral(), tcbSigningChainPem: pcs.tcbSigningChainPem() }, { now: 1755236700n }), "RootCaNotPinned", [0n]);
    });

    it("gives each fault its specific error", function () {
      const r = reportBody("faults");
      const quote = Buffer.from(qe.quote(r.body));
      const pckSerial = parseCertificate(qe.pki.pckDer, CertificateRole.Pck).serial;
      const tcbSerial = parseCertificate(qe.pki.tcbSigningDer, CertificateRole.TcbSigning).serial;
      const chainOf = (certs: Uint8Array[]) => encodeQuote({ ...partsOf(decodeQuote(quote)), pckChainPem: Buffer.from(certs.map(pemCertificate).join(""), "latin1") });
      // The PPID inside the SGX extension: behind the PCK CA's signature, still well-formed.
      const ppidAt = qe.pki.pckDer.indexOf(Buffer.from(JSON.parse(readDevPkiFile(DEV_PKI_FILES.platform).toString()).platform.ppid, "hex"));
      expect(ppidAt).to.be.above(0);
      const tamperedPck = xorByte(qe.pki.pckDer, ppidAt);
      const expiredTcb = pcs.tcbInfo({ issueDate: FIXTURE_ISSUE, nextUpdate: NOW - 1n });
      const cases: [string, () => unknown, string, unknown[]?][] = [
        ["ISV signature", () => verifyDev(xorByte(quote, 436 + 5)), "QuoteSignatureInvalid", []],
        ["ISV report body", () => verifyDev(xorByte(quote, 48 + 64)), "QuoteSignatureInvalid", []],
        ["QE report", () => verifyDev(xorByte(quote, 564 + 200)), "QeReportSignatureInvalid", []],
        ["QE report signature", () => verifyDev(xorByte(quote, 948 + 1)), "QeReportSignatureInvalid", []],
        ["QE auth data", () => verifyDev(xorByte(quote, 1014)), "QeReportDataMismatch"],
        ["PCK certificate byte", () => verifyDev(chainOf([tamperedPck, qe.pki.pckPlatformCaDer, qe.pki.rootDer])), "CertificateSignatureInvalid", [2n]],
        ["PCK under the Processor CA", () => verifyDev(chainOf([qe.pki.pckDer, qe.pki.pckProcessorCaDer, qe.pki.rootDer])), "CertificateIssuerMismatch", [2n]],
        ["PCK chain of two", () => verifyDev(chainOf([qe.pki.pckDer, qe.pki.rootDer])), "PckChainLengthInvalid", [2n]],
        ["Intel's root in the chain", () => verifyDev(chainOf([qe.pki.pckDer, qe.pki.pckPlatformCaDer, intelSgxRootCaDer()])), "RootCaNotPinned", [0n]],
        ["TCB Info signature", () => verifyDev(quote, collateral({ tcbInfo: unsigned(pcs.tcbInfo(WINDOW)) })), "CollateralSignatureInvalid", [BigInt(CollateralKind.TcbInfo)]],
        ["TCB Info signed by the PCK key", () => verifyDev(quote, collateral({ tcbInfo: new DevelopmentPcs({ ...pcs.pki, keys: { ...pcs.pki.keys, tcbSigning: pcs.pki.keys.pck } }).tcbInfo(WINDOW) })), "CollateralSignatureInvalid", [0n]],
        ["QE Identity signature", () => verifyDev(quote, collateral({ qeIdentity: unsigned(pcs.qeIdentity(WINDOW)) })), "CollateralSignatureInvalid", [BigInt(CollateralKind.QeIdentity)]],
        ["expired TCB Info", () => verifyDev(quote, collateral({ tcbInfo: expiredTcb })), "CollateralExpired", [0n, NOW - 1n, NOW]],
        ["TCB Info not yet valid", () => verifyDev(quote, collateral({ tcbInfo: pcs.tcbInfo({ issueDate: NOW + 1n, nextUpdate: FIXTURE_NEXT_UPDATE }) })), "CollateralNotYetValid", [0n, NOW + 1n, NOW]],
        ["expired QE Identity", () => verifyDev(quote, collateral({ qeIdentity: pcs.qeIdentity({ issueDate: FIXTURE_ISSUE, nextUpdate: NOW - 60n }) })), "CollateralExpired", [1n, NOW - 60n, NOW]],
        ["expired PCK CA CRL", () => verifyDev(quote, collateral({ crls: [pcs.rootCaCrl(CRL_WINDOW), pcs.pckCrl("platform", { thisUpdate: FIXTURE_ISSUE, nextUpdate: NOW - 1n })] })), "CollateralExpired", [3n, NOW - 1n, NOW]],
        ["revoked PCK serial", () => verifyDev(quote, collateral({ crls: [pcs.rootCaCrl(CRL_WINDOW), pcs.pckCrl("platform", { ...CRL_WINDOW, revoked: [{ serial: pckSerial, revocationDate: FIXTURE_ISSUE }] })] })), "CertificateRevoked", [2n, "0x" + pckSerial]],
        ["revoked TCB Signing serial", () => verifyDev(quote, collateral({ crls: [pcs.rootCaCrl({ ...CRL_WINDOW, revoked: [{ serial: tcbSerial, revocationDate: FIXTURE_ISSUE }] })] })), "CertificateRevoked", [3n, "0x" + tcbSerial]],
        ["a Processor CA CRL for a Platform CA PCK", () => verifyDev(quote, collateral({ crls: [pcs.pckCrl("processor", CRL_WINDOW)] })), "CrlIssuerUnknown", []],
        ["TCB Info of another FMSPC", () => verifyDev(quote, collateral({ tcbInfo: pcs.tcbInfo({ ...WINDOW, fmspc: "00606a000000" }) })), "FmspcMismatch", ["0x" + DEV_PLATFORM.fmspc, "0x00606a000000"]],
        ["OutOfDate platform TCB", () => verifyDev(quote, collateral({ tcbInfo: pcs.tcbInfo({ ...WINDOW, tcbLevels: defaultDevTcbLevels().slice(1) }) })), "TcbStatusNotAllowed", ["OutOfDate"]],
        ["no TCB level reached", () => verifyDev(quote, collateral({ tcbInfo: pcs.tcbInfo({ ...WINDOW, tcbLevels: [{ ...defaultDevTcbLevels()[0], pceSvn: 14 }] }) })), "TcbLevelNotFound", ["0x" + DEV_PLATFORM.fmspc]],
        ["OutOfDate QE (ISVSVN 6)", () => verifyDev(qe.quote(r.body, { qeSvn: 6 })), "QeTcbStatusNotAllowed", ["OutOfDate"]],
        ["QE below every level", () => verifyDev(qe.quote(r.body, { qeSvn: 5 })), "QeTcbLevelNotFound", [5n]],
        ["QE Identity of another MRSIGNER", () => verifyDev(quote, collateral({ qeIdentity: pcs.qeIdentity({ ...WINDOW, mrsigner: "11".repeat(32) }) })), "QeMrsignerMismatch", ["0x" + "11".repeat(32), "0x" + DEV_QE.mrsigner]],
        ["evaluation number below the minimum", () => verifyDev(quote, collateral(), { minTcbEvaluationDataNumber: 18 }), "TcbEvaluationDataNumberTooLow", [0n, 18n, 17n]],
      ];
      for (const [what, fn, code, args] of cases) expectError(fn, code, args);
    });

    it("reports OutOfDate and its advisories as evidence, accepted only when the policy allows it", function () {
      const quote = qe.quote(reportBody("ood").body);
      const c = collateral({ tcbInfo: pcs.tcbInfo({ ...WINDOW, tcbLevels: defaultDevTcbLevels().slice(1) }) });
      const v = verifyQuoteEvidence(quote, c, { now: NOW, root: devRoot });
      expect([v.tcbStatus, v.advisoryIds]).to.deep.equal(["OutOfDate", ["SIMULATION-SA-00001"]]);
      expect(verifyDev(quote, c, { allowedTcbStatuses: ["UpToDate", "OutOfDate"] }).tcbStatus).to.equal("OutOfDate");
    });

    it("validates its own inputs", function () {
      expect(() => qe.quote(new Uint8Array(383))).to.throw(RangeError);
      expect(() => qe.quote(new Uint8Array(384), { qeSvn: 70000 })).to.throw(RangeError);
      expect(() => pcs.tcbInfo({ ...WINDOW, tcbLevels: [] })).to.throw(RangeError);
      expect(() => pcs.tcbInfo({ ...WINDOW, fmspc: "00" })).to.throw(RangeError);
      expect(() => pcs.tcbInfo({ ...WINDOW, tcbLevels: [{ ...defaultDevTcbLevels()[0], tcbStatus: "Fine" as never }] })).to.throw(RangeError);
      expect(() => pcs.qeIdentity({ ...WINDOW, tcbLevels: [{ isvSvn: 1, tcbDate: "2026-01-01", tcbStatus: "UpToDate" }] })).to.throw(RangeError);
      expect(() => pcs.pckCrl("other" as never, CRL_WINDOW)).to.throw(RangeError);
      expect(() => pcs.pckCrl("platform", { ...CRL_WINDOW, revoked: [{ serial: "xyz", revocationDate: 0n }] })).to.throw(RangeError);
    });
  });

  describe("on chain (existing harnesses, pinned by constructor)", function () {
    let tcbInfoLibrary: string;
    let qeIdentityLibrary: string;
    let errors: Interface;
    const intelRootDer = intelSgxRootCaDer();

    before(async function () {
      tcbInfoLibrary = await (await (await hre.ethers.getContractFactory("TcbInfo")).deploy()).getAddress();
      qeIdentityLibrary = await (await (await hre.ethers.getContractFactory("QeIdentity")).deploy()).getAddress();
      const abi = [
        ...(await hre.artifacts.readArtifact("DcapCollateralHarness")).abi,
        ...(await hre.artifacts.readArtifact("DcapCrlsHarness")).abi,
        ...(await hre.artifacts.readArtifact("DcapProbe")).abi,
        ...(await hre.artifacts.readArtifact("TcbInfo")).abi,
        ...(await hre.artifacts.readArtifact("QeIdentity")).abi,
      ].filter((f: { type: string }) => f.type === "error");
      const seen = new Set<string>();
      errors = new Interface(abi.filter((f: { name?: string }) => !seen.has(f.name!) && seen.add(f.name!)));
    });

    async function revert(p: Promise<unknown>): Promise<{ code: string; args: unknown[] }> {
      try {
        await p;
      } catch (e) {
        const { code, args } = decodeRevert(errors, e);
        return { code, args: args as unknown[] };
      }
      throw new Error("expected a revert");
    }

    const deploy = async (name: string, rootDer: Uint8Array, libraries?: Record<string, string>) => {
      const c = await (await hre.ethers.getContractFactory(name, libraries ? { libraries } : {})).deploy(rootDer);
      await c.waitForDeployment();
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      return c as any;
    };

    it("DcapProbe: the PCK chain and the quote's signatures verify under the development root, not under Intel's", async function () {
      const quote = qe.quote(reportBody("chain").body);
      const dev = await deploy("DcapProbe", pcs.rootDer);
      const [v] = await dev.verifyQuotePckChain(quote, NOW, { gasLimit: CALL_GAS });
      const pck = parseCertificate(qe.pki.pckDer, CertificateRole.Pck);
      expect(v.pckKeyX).to.equal("0x" + Buffer.from(pck.publicKey.subarray(0, 32)).toString("hex"));
      expect(v.tcb.fmspc).to.equal("0x" + DEV_PLATFORM.fmspc);
      expect(v.tcb.pceSvn).to.equal(BigInt(DEV_PLATFORM.pceSvn));
      expect((await dev.checkQuoteSignatures(quote, v.pckKeyX, v.pckKeyY, { gasLimit: CALL_GAS })) > 0n).to.equal(true);
      expect(await revert(dev.checkQuoteSignatures(xorByte(quote, 440), v.pckKeyX, v.pckKeyY, { gasLimit: CALL_GAS }))).to.deep.equal({ code: "QuoteSignatureInvalid", args: [] });
      const intel = await deploy("DcapProbe", intelRootDer);
      expect(await revert(intel.verifyQuotePckChain(quote, NOW, { gasLimit: CALL_GAS }))).to.deep.equal({ code: "RootCaNotPinned", args: [0n] });
    });

    it("DcapPckCacheHarness: a development quote's chain and signatures in one transaction, only under the development root", async function () {
      const quote = qe.quote(reportBody("cache").body);
      const dev = await deploy("DcapPckCacheHarness", pcs.rootDer);
      await expect(dev.checkQuote(quote, NOW, { gasLimit: CALL_GAS })).to.emit(dev, "QuoteChainAndSignaturesVerified");
      const intel = await deploy("DcapPckCacheHarness", intelRootDer);
      expect(await revert(intel.checkQuote(quote, NOW, { gasLimit: CALL_GAS }))).to.deep.equal({ code: "RootCaNotPinned", args: [0n] });
    });

    it("DcapCollateral: development TCB Info and QE Identity verify, upsert and answer the level lookups; Intel's pin refuses them", async function () {
      const libs = { TcbInfo: tcbInfoLibrary, QeIdentity: qeIdentityLibrary };
      const dev = await deploy("DcapCollateralHarness", pcs.rootDer, libs);
      const chain = pcs.tcbSigningChainPem();
      const tcb = pcs.tcbInfo(WINDOW);
      const qeIdentity = pcs.qeIdentity(WINDOW);
      const info = await dev.verifyTcbInfo(tcb, chain, NOW, { gasLimit: CALL_GAS });
      expect(info.fmspc).to.equal("0x" + DEV_PLATFORM.fmspc);
      await (await dev.setNow(NOW)).wait();
      await (await dev.upsertTcbInfo(tcb, chain, { gasLimit: CALL_GAS })).wait();
      await (await dev.upsertQeIdentity(qeIdentity, chain, { gasLimit: CALL_GAS })).wait();
      const components = "0x" + Buffer.from(DEV_PLATFORM.cpuSvnComponents).toString("hex");
      const [status] = await dev.tcbLevel("0x" + DEV_PLATFORM.fmspc, "0x" + DEV_PLATFORM.pceId, components, DEV_PLATFORM.pceSvn);
      expect(status).to.equal(0n); // UpToDate
      const older = "0x" + Buffer.from(defaultDevTcbLevels()[1].components).toString("hex");
      expect((await dev.tcbLevel("0x" + DEV_PLATFORM.fmspc, "0x" + DEV_PLATFORM.pceId, older, DEV_PLATFORM.pceSvn))[0]).to.equal(4n); // OutOfDate
      expect((await dev.qeTcbLevel(DEV_QE.isvSvn))[0]).to.equal(0n);
      expect(await revert(dev.verifyTcbInfo(pcs.tcbInfo({ issueDate: FIXTURE_ISSUE, nextUpdate: NOW - 1n }), chain, NOW, { gasLimit: CALL_GAS }))).to.deep.equal({ code: "CollateralExpired", args: [0n, NOW - 1n, NOW] });
      expect(await revert(dev.verifyTcbInfo(unsigned(tcb), chain, NOW, { gasLimit: CALL_GAS }))).to.deep.equal({ code: "CollateralSignatureInvalid", args: [0n] });
      const intel = await deploy("DcapCollateralHarness", intelRootDer, libs);
      expect(await revert(intel.verifyTcbInfo(tcb, chain, NOW, { gasLimit: CALL_GAS }))).to.deep.equal({ code: "RootCaNotPinned", args: [0n] });
      expect(await revert(intel.verifyQeIdentity(qeIdentity, chain, NOW, { gasLimit: CALL_GAS }))).to.deep.equal({ code: "RootCaNotPinned", args: [0n] });
    });

    it("DcapCrls: development CRLs verify and upsert, isRevoked sees a revoked PCK serial; Intel's pin refuses them", async function () {
      const dev = await deploy("DcapCrlsHarness", pcs.rootDer);
      await (await dev.setNow(NOW)).wait();
      const pck = parseCertificate(qe.pki.pckDer, CertificateRole.Pck);
      const pckCrl = pcs.pckCrl("platform", { ...CRL_WINDOW, revoked: [{ serial: pck.serial, revocationDate: FIXTURE_ISSUE }] });
      await (await dev.upsertCrl(pcs.rootCaCrl(CRL_WINDOW), "0x", { gasLimit: CALL_GAS })).wait();
      await (await dev.upsertCrl(pckCrl, pcs.pckCaChainPem("platform"), { gasLimit: CALL_GAS })).wait();
      const issuerHash = keccak256(pck.issuer);
      expect(await dev.isRevoked(issuerHash, keccak256("0x" + pck.serial))).to.deep.equal([true, FIXTURE_NEXT_UPDATE]);
      expect((await dev.isRevoked(issuerHash, keccak256("0x01")))[0]).to.equal(false);
      const intel = await deploy("DcapCrlsHarness", intelRootDer);
      expect(await revert(intel.verifyCrl(pcs.rootCaCrl(CRL_WINDOW), "0x", NOW, { gasLimit: CALL_GAS }))).to.deep.equal({ code: "CrlIssuerUnknown", args: [] });
      expect(await revert(intel.verifyCrl(pckCrl, pcs.pckCaChainPem("platform"), NOW, { gasLimit: CALL_GAS }))).to.deep.equal({ code: "RootCaNotPinned", args: [0n] });
    });
  });

  describe("the enclave (when its binary is built)", function () {
    it("accepts the development quote with the development root, refuses it with Intel's, and sees the revocation", async function () {
      const binary = process.env.ANONIFY_ENCLAVE_BINARY ?? hre.config.anonify.enclave.binary;
      if (!fs.existsSync(binary)) {
        console.log(`      (skipped: no enclave binary at ${binary}; set ANONIFY_ENCLAVE_BINARY or run npm run enclave:build)`);
        this.skip();
      }
      const hex = (b: Uint8Array) => "0x" + Buffer.from(b).toString("hex");
      const r = reportBody("enclave");
      const quote = qe.quote(r.body);
      const c = collateral();
      const base = { kind: "dcap", quote: hex(quote), tcbInfo: hex(c.tcbInfo), qeIdentity: hex(c.qeIdentity), tcbSigningChain: hex(c.tcbSigningChainPem!), crls: c.crls!.map(hex), rootCertificate: hex(pcs.rootDer), now: NOW.toString() };
      const enclave = await EnclaveProcess.start({ binary, mode: "simulation" });
      try {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const call = (p: object) => enclave.call("attestation_verify", p as any) as Promise<any>;
        const ok = await call(base);
        expect(ok.valid, JSON.stringify(ok)).to.equal(true);
        expect([ok.identity.mrenclave, ok.identity.reportData, ok.identity.status]).to.deep.equal(["0x" + r.mrenclave.toString("hex"), "0x" + r.reportData.toString("hex"), "UpToDate"]);
        const intel = await call({ ...base, rootCertificate: hex(intelSgxRootCaDer()) });
        expect(intel.error.code).to.equal("RootCaNotPinned");
        const pckSerial = parseCertificate(qe.pki.pckDer, CertificateRole.Pck).serial;
        const revoked = await call({ ...base, crls: [hex(pcs.rootCaCrl(CRL_WINDOW)), hex(pcs.pckCrl("platform", { ...CRL_WINDOW, revoked: [{ serial: pckSerial, revocationDate: FIXTURE_ISSUE }] }))] });
        expect([revoked.error.code, revoked.error.args]).to.deep.equal(["CertificateRevoked", ["2", "0x" + pckSerial]]);
      } finally {
        await enclave.close();
      }
    });
  });
});
