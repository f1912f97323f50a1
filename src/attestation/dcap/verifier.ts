/**
 * DCAP quote verification in TypeScript: the rules (and their order, which fixes which error a quote
 * with several faults gets) that the on-chain DCAP verifier and the enclave share; docs/attestation-dcap.md
 * states them.
 *
 *  1. quote layout (quote.ts)
 *  2. PCK chain under the pinned root at `now`, SGX extension (x509.ts)
 *  3. TCB Signing chain under the pinned root at `now`
 *  4. CRLs: issuer, signature, freshness; then PCK CA, TCB Signing (root CRL) and PCK (PCK CA CRL) not revoked
 *  5. TCB Info: signature, fields, freshness, tcbEvaluationDataNumber, FMSPC and PCEID of the PCK certificate
 *  6. QE Identity: signature, fields, freshness, tcbEvaluationDataNumber
 *  7. QE report signed by the PCK key; QE report data = SHA-256(attestation key || QE auth data) || 32 zero bytes
 *  8. QE identity: MRSIGNER, ISVPRODID, masked MISCSELECT and attributes; QE TCB level by ISVSVN
 *  9. attestation key on the curve; quote (header || ISV report) signed by it
 * 10. platform TCB level: first level whose 16 components and PCESVN the PCK certificate's all reach
 * 11. TCB policy: the QE's status, then the platform's, each allowed
 * 12. the enclave policy shared with IAS: DEBUG, MRENCLAVE allowlist, MRSIGNER + ISVPRODID + minimum ISVSVN
 *
 * Steps 1 to 10 are `verifyQuoteEvidence` (what Intel's signatures establish), 11 is `checkTcbPolicy`,
 * 12 is `checkEnclavePolicy`; a tool can show what the evidence says even when a policy refuses it.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { CollateralKind, dcapError } from "./errors";
import { verifyP256, isP256Point } from "./ecdsa";
import { decodeQuote, type DcapQuote } from "./quote";
import { checkPckChain, checkTcbSigningChain, pinRoot, splitPemChain, type Certificate, type PckChain, type PinnedRoot } from "./x509";
import { crlSignedBy, parseCrl, type Crl } from "./crl";
import {
  TCB_STATUSES,
  checkCollateralSignature,
  checkFreshness,
  parseQeIdentity,
  parseTcbInfo,
  splitSignedCollateral,
  type QeIdentity,
  type TcbInfo,
  type TcbLevel,
  type TcbStatus,
} from "./collateral";
import { equalBytes } from "./der";
import { intelSgxRootCaDer, intelTcbSigningChainPem } from "./roots";

export const DEFAULT_ALLOWED_TCB_STATUSES: readonly TcbStatus[] = ["UpToDate"];

/** Policy: the DCAP part, then the enclave part (the same fields and defaults as IAS's `VerificationPolicy`). */
export interface DcapPolicy {
  /** Platform (and QE) TCB statuses accepted. Default ["UpToDate"]. "Revoked" is never accepted. */
  allowedTcbStatuses?: readonly TcbStatus[];
  /** Seconds a collateral item is still accepted after its nextUpdate. Default 0. */
  collateralGrace?: bigint | number;
  /** Minimum tcbEvaluationDataNumber of TCB Info and QE Identity. Default 0. */
  minTcbEvaluationDataNumber?: number;
  /** Default false. */
  allowDebug?: boolean;
  /** When set, MRENCLAVE must be one of these (0x-hex, 32 bytes). */
  allowedMrenclaves?: readonly string[];
  /** When set, MRSIGNER and ISVPRODID must match and ISVSVN be at least minIsvSvn. */
  signer?: { mrsigner: string; isvProdId: number; minIsvSvn: number };
}

/** Collateral as the PCS serves it. */
export interface DcapCollateral {
  /** `{"tcbInfo":…,"signature":…}` body. */
  tcbInfo: Uint8Array;
  /** `{"enclaveIdentity":…,"signature":…}` body. */
  qeIdentity: Uint8Array;
  /** TCB Signing chain PEM (TCB Signing certificate, root). Default: the one shipped (roots.ts). */
  tcbSigningChainPem?: Uint8Array;
  /** DER CRLs: the root CA CRL and/or the PCK CA CRL. */
  crls?: readonly Uint8Array[];
}

export interface VerifiedQuote {
  quoteVersion: number;
  tcbStatus: TcbStatus;
  qeTcbStatus: TcbStatus;
  /** The platform level's advisories, then the QE level's not already listed. */
  advisoryIds: string[];
  fmspc: string;
  pceId: string;
  /** 0x-hex. */
  mrenclave: string;
  mrsigner: string;
  isvProdId: number;
  isvSvn: number;
  debug: boolean;
  reportData: string;
  /** True when both a root CA CRL and a PCK CA CRL were checked. */
  revocationChecked: boolean;
  pckSerial: string;
  /** 0x-hex x || y of the PCK certificate's key. */
  pckPublicKey: string;
  tcbEvaluationDataNumber: number;
  /** Unix seconds: the earliest nextUpdate among the collateral used (without grace). */
  collateralNextUpdate: bigint;
}

function hex(b: Uint8Array): string {
  return "0x" + Buffer.from(b).toString("hex");
}

function normalizeBytes32(value: string, what: string): string {
  const h = value.toLowerCase().startsWith("0x") ? value.slice(2) : value;
  if (!/^[0-9a-fA-F]{64}$/.test(h)) throw new TypeError(`${what} must be 32 bytes of hex, got ${JSON.stringify(value)}`);
  return "0x" + h.toLowerCase();
}

/** Validates a policy's TCB statuses (a programming or configuration error throws TypeError). */
export function allowedStatusesOf(policy: DcapPolicy): readonly TcbStatus[] {
  const statuses = policy.allowedTcbStatuses ?? DEFAULT_ALLOWED_TCB_STATUSES;
  for (const s of statuses) {
    if (!(TCB_STATUSES as readonly string[]).includes(s) || s === "Revoked") throw new TypeError(`TCB status ${JSON.stringify(s)} cannot be allowed`);
  }
  return statuses;
}

interface CheckedCrls {
  root?: Crl;
  pckCa?: Crl;
}

function checkCrls(crls: readonly Uint8Array[], chain: PckChain, tcbSigning: Certificate, now: bigint, grace: bigint): CheckedCrls {
  const out: CheckedCrls = {};
  for (const der of crls) {
    const crl = parseCrl(der);
    let kind: CollateralKind;
    let issuer: Certificate;
    if (equalBytes(crl.issuer, chain.root.subject)) [kind, issuer] = [CollateralKind.RootCaCrl, chain.root];
    else if (equalBytes(crl.issuer, chain.pckCa.subject)) [kind, issuer] = [CollateralKind.PckCaCrl, chain.pckCa];
    else return dcapError("CrlIssuerUnknown");
    if (!crlSignedBy(crl, issuer)) dcapError("CollateralSignatureInvalid", BigInt(kind));
    checkFreshness(kind, crl.thisUpdate, crl.nextUpdate, now, grace);
    if (kind === CollateralKind.RootCaCrl) out.root = crl;
    else out.pckCa = crl;
  }
  const revoked = (crl: Crl | undefined, cert: Certificate) => {
    if (crl?.revoked.has(cert.serial)) dcapError("CertificateRevoked", BigInt(cert.role), "0x" + cert.serial);
  };
  revoked(out.root, chain.pckCa);
  revoked(out.root, tcbSigning);
  revoked(out.pckCa, chain.pck);
  return out;
}

/** Step 10: the first TCB level (best first) whose 16 components and PCESVN the platform's all reach. */
export function platformLevel(info: TcbInfo, chain: Pick<PckChain, "sgx">): TcbLevel {
  const { cpuSvnComponents, pceSvn } = chain.sgx;
  const level = info.levels.find((l) => l.components.every((svn, i) => cpuSvnComponents[i] >= svn) && pceSvn >= l.pceSvn);
  if (level === undefined) dcapError("TcbLevelNotFound", "0x" + chain.sgx.fmspc);
  return level;
}

function checkQe(quote: DcapQuote, identity: QeIdentity): { status: TcbStatus; advisoryIds: string[] } {
  const qe = quote.qeReport;
  const expectedMrsigner = "0x" + identity.mrsigner;
  if (hex(qe.mrsigner) !== expectedMrsigner) dcapError("QeMrsignerMismatch", expectedMrsigner, hex(qe.mrsigner));
  if (qe.isvProdId !== identity.isvProdId) dcapError("QeIsvProdIdMismatch", BigInt(identity.isvProdId), BigInt(qe.isvProdId));
  const miscMasked = (qe.miscselect & identity.miscselectMask) >>> 0;
  const miscExpected = (identity.miscselect & identity.miscselectMask) >>> 0;
  if (miscMasked !== miscExpected) dcapError("QeMiscselectMismatch", BigInt(miscExpected), BigInt(miscMasked));
  const mask = Buffer.from(identity.attributesMask, "hex");
  const attrMasked = Buffer.from(qe.attributes.map((b, i) => b & mask[i]));
  const attrExpected = Buffer.from(Buffer.from(identity.attributes, "hex").map((b, i) => b & mask[i]));
  if (!attrMasked.equals(attrExpected)) dcapError("QeAttributesMismatch", hex(attrExpected), hex(attrMasked));
  const level = identity.levels.find((l) => qe.isvSvn >= l.isvSvn);
  if (level === undefined) dcapError("QeTcbLevelNotFound", BigInt(qe.isvSvn));
  return { status: level.status, advisoryIds: level.advisoryIds };
}

/** Step 7: the QE report signed by the PCK key (x || y), its report data bound to the attestation key. */
export function checkQeReport(quote: DcapQuote, pckPublicKey: Uint8Array): void {
  if (!verifyP256(quote.qeReport.raw, quote.qeReportSignature, pckPublicKey)) dcapError("QeReportSignatureInvalid");
  const expected = new Uint8Array(64);
  expected.set(sha256(Uint8Array.from([...quote.attestationKey, ...quote.qeAuthData])));
  if (!equalBytes(quote.qeReport.reportData, expected)) dcapError("QeReportDataMismatch", hex(expected), hex(quote.qeReport.reportData));
}

/** Step 9: the attestation key on P-256, and the quote's header || ISV report signed by it. */
export function checkQuoteSignature(quote: DcapQuote): void {
  if (!isP256Point(quote.attestationKey)) dcapError("AttestationKeyInvalid");
  if (!verifyP256(quote.signedBytes, quote.isvSignature, quote.attestationKey)) dcapError("QuoteSignatureInvalid");
}

/** Step 11: the QE's TCB status, then the platform's, must be allowed by the policy. */
export function checkTcbPolicy(v: VerifiedQuote, policy: DcapPolicy): void {
  const allowed = allowedStatusesOf(policy);
  if (!allowed.includes(v.qeTcbStatus)) dcapError("QeTcbStatusNotAllowed", v.qeTcbStatus);
  if (!allowed.includes(v.tcbStatus)) dcapError("TcbStatusNotAllowed", v.tcbStatus);
}

/** Step 12: the enclave policy, with IAS's error names and order. */
export function checkEnclavePolicy(v: VerifiedQuote, policy: DcapPolicy): void {
  if (v.debug && policy.allowDebug !== true) dcapError("DebugEnclaveNotAllowed", v.mrenclave);
  if (policy.allowedMrenclaves !== undefined) {
    const allowed = policy.allowedMrenclaves.map((m) => normalizeBytes32(m, "allowed MRENCLAVE"));
    if (!allowed.includes(v.mrenclave)) dcapError("MrenclaveNotAllowed", v.mrenclave);
  }
  if (policy.signer !== undefined) {
    const expected = normalizeBytes32(policy.signer.mrsigner, "MRSIGNER");
    if (v.mrsigner !== expected) dcapError("MrsignerMismatch", expected, v.mrsigner);
    if (v.isvProdId !== policy.signer.isvProdId) dcapError("IsvProdIdMismatch", BigInt(policy.signer.isvProdId), BigInt(v.isvProdId));
    if (v.isvSvn < policy.signer.minIsvSvn) dcapError("IsvSvnTooLow", BigInt(policy.signer.minIsvSvn), BigInt(v.isvSvn));
  }
}

export interface VerifyQuoteOptions {
  /** Verification time, unix seconds (block.timestamp on chain). */
  now: bigint;
  policy?: DcapPolicy;
  /** Default: the Intel SGX Root CA. */
  root?: PinnedRoot;
}

let intelRoot: PinnedRoot | undefined;

/** The pinned Intel SGX Root CA (parsed once). */
export function intelSgxRoot(): PinnedRoot {
  intelRoot ??= pinRoot(intelSgxRootCaDer());
  return intelRoot;
}

/** Steps 1 to 10: what the quote and its collateral establish (the policy's grace and minimum tcbEvaluationDataNumber apply). */
export function verifyQuoteEvidence(quoteBytes: Uint8Array, collateral: DcapCollateral, options: VerifyQuoteOptions): VerifiedQuote {
  const policy = options.policy ?? {};
  const now = options.now;
  const root = options.root ?? intelSgxRoot();
  allowedStatusesOf(policy); // a bad policy is refused before any verdict
  const grace = BigInt(policy.collateralGrace ?? 0);
  const minEval = policy.minTcbEvaluationDataNumber ?? 0;

  const quote = decodeQuote(quoteBytes);
  const chain = checkPckChain(splitPemChain(quote.pckChainPem), root, now);
  const tcbSigning = checkTcbSigningChain(splitPemChain(collateral.tcbSigningChainPem ?? intelTcbSigningChainPem()), root, now);
  const crls = checkCrls(collateral.crls ?? [], chain, tcbSigning, now, grace);

  const tcbSigned = splitSignedCollateral(CollateralKind.TcbInfo, collateral.tcbInfo, "tcbInfo");
  checkCollateralSignature(CollateralKind.TcbInfo, tcbSigned, tcbSigning);
  const tcbInfo = parseTcbInfo(tcbSigned.body);
  checkFreshness(CollateralKind.TcbInfo, tcbInfo.issueDate, tcbInfo.nextUpdate, now, grace);
  if (tcbInfo.tcbEvaluationDataNumber < minEval) dcapError("TcbEvaluationDataNumberTooLow", BigInt(CollateralKind.TcbInfo), BigInt(minEval), BigInt(tcbInfo.tcbEvaluationDataNumber));
  if (tcbInfo.fmspc !== chain.sgx.fmspc) dcapError("FmspcMismatch", "0x" + chain.sgx.fmspc, "0x" + tcbInfo.fmspc);
  if (tcbInfo.pceId !== chain.sgx.pceId) dcapError("PceIdMismatch", "0x" + chain.sgx.pceId, "0x" + tcbInfo.pceId);

  const qeSigned = splitSignedCollateral(CollateralKind.QeIdentity, collateral.qeIdentity, "enclaveIdentity");
  checkCollateralSignature(CollateralKind.QeIdentity, qeSigned, tcbSigning);
  const qeIdentity = parseQeIdentity(qeSigned.body);
  checkFreshness(CollateralKind.QeIdentity, qeIdentity.issueDate, qeIdentity.nextUpdate, now, grace);
  if (qeIdentity.tcbEvaluationDataNumber < minEval) dcapError("TcbEvaluationDataNumberTooLow", BigInt(CollateralKind.QeIdentity), BigInt(minEval), BigInt(qeIdentity.tcbEvaluationDataNumber));

  checkQeReport(quote, chain.pck.publicKey);
  const qe = checkQe(quote, qeIdentity);
  checkQuoteSignature(quote);

  const level = platformLevel(tcbInfo, chain);

  const report = quote.report;
  const nextUpdates = [tcbInfo.nextUpdate, qeIdentity.nextUpdate, ...[crls.root, crls.pckCa].flatMap((c) => (c ? [c.nextUpdate] : []))];
  return {
    quoteVersion: quote.version,
    tcbStatus: level.status,
    qeTcbStatus: qe.status,
    advisoryIds: [...level.advisoryIds, ...qe.advisoryIds.filter((a) => !level.advisoryIds.includes(a))],
    fmspc: "0x" + chain.sgx.fmspc,
    pceId: "0x" + chain.sgx.pceId,
    mrenclave: hex(report.mrenclave),
    mrsigner: hex(report.mrsigner),
    isvProdId: report.isvProdId,
    isvSvn: report.isvSvn,
    debug: report.debug,
    reportData: hex(report.reportData),
    revocationChecked: crls.root !== undefined && crls.pckCa !== undefined,
    pckSerial: "0x" + chain.pck.serial,
    pckPublicKey: hex(chain.pck.publicKey),
    tcbEvaluationDataNumber: Math.min(tcbInfo.tcbEvaluationDataNumber, qeIdentity.tcbEvaluationDataNumber),
    collateralNextUpdate: nextUpdates.reduce((a, b) => (b < a ? b : a)),
  };
}

/** Steps 1 to 11 (no enclave policy). */
export function verifyQuoteWithoutPolicy(quoteBytes: Uint8Array, collateral: DcapCollateral, options: VerifyQuoteOptions): VerifiedQuote {
  const verified = verifyQuoteEvidence(quoteBytes, collateral, options);
  checkTcbPolicy(verified, options.policy ?? {});
  return verified;
}

/** Steps 1 to 12. */
export function verifyQuote(quoteBytes: Uint8Array, collateral: DcapCollateral, options: VerifyQuoteOptions): VerifiedQuote {
  const verified = verifyQuoteWithoutPolicy(quoteBytes, collateral, options);
  checkEnclavePolicy(verified, options.policy ?? {});
  return verified;
}


