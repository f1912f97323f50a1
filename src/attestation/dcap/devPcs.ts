/**
 * The development ("SIMULATION") PCS: collateral for the development platform and QE in Intel's formats,
 * signed by the development PKI (devPki.ts):
 *  - TCB Info v3 (SGX) `{"tcbInfo":{…},"signature":"<r‖s hex>"}`, the inner object byte for byte in the PCS's
 *    field order and compact formatting, signed by the TCB Signing key;
 *  - QE Identity v2 `{"enclaveIdentity":{…},"signature":"…"}` likewise;
 *  - the root CA CRL and the PCK Platform/Processor CA CRLs (DER X.509 v2, Intel's layout);
 *  - the issuer chains the PCS returns in its headers.
 * Dates, evaluation numbers, TCB levels and statuses and revoked serials are parameters, so tests can produce
 * expired, out-of-date or revoked collateral. A verifier pinned to Intel's root rejects all of it.
 */
import { TCB_STATUSES, type TcbStatus } from "./collateral";
import {
  DEV_PCK_PLATFORM_CA_CN,
  DEV_PCK_PROCESSOR_CA_CN,
  DEV_PLATFORM,
  DEV_QE,
  DEV_ROOT_CN,
  buildCrl,
  loadDevelopmentPki,
  pemCertificate,
  signRawP256,
  type CrlEntry,
  type DevelopmentPkiMaterial,
} from "./devPki";

export type PckCaKind = "platform" | "processor";

export interface DevTcbLevel {
  /** The 16 sgxtcbcomponents SVNs. */
  components: readonly number[];
  pceSvn: number;
  /** `YYYY-MM-DDTHH:MM:SSZ`. */
  tcbDate: string;
  tcbStatus: TcbStatus;
  advisoryIDs?: readonly string[];
}

export interface DevQeTcbLevel {
  isvSvn: number;
  tcbDate: string;
  tcbStatus: TcbStatus;
  advisoryIDs?: readonly string[];
}

/** Unix seconds (bigint/number) or a Date. */
export type DevTime = bigint | number | Date;

export interface DevTcbInfoOptions {
  issueDate: DevTime;
  nextUpdate: DevTime;
  tcbEvaluationDataNumber?: number;
  fmspc?: string;
  pceId?: string;
  tcbLevels?: readonly DevTcbLevel[];
}

export interface DevQeIdentityOptions {
  issueDate: DevTime;
  nextUpdate: DevTime;
  tcbEvaluationDataNumber?: number;
  tcbLevels?: readonly DevQeTcbLevel[];
  /** Overrides of the development QE's identity (hex as in devPki DEV_QE). */
  mrsigner?: string;
  isvProdId?: number;
  miscselect?: string;
  miscselectMask?: string;
  attributes?: string;
  attributesMask?: string;
}

export interface DevCrlOptions {
  thisUpdate: DevTime;
  nextUpdate: DevTime;
  revoked?: readonly CrlEntry[];
  crlNumber?: number;
}

export const DEFAULT_TCB_EVALUATION_DATA_NUMBER = 17;

/** Intel's descriptors of the first four components (the rest carry only `svn`). */
const COMPONENT_DESCRIPTORS: readonly { category: string; type?: string }[] = [
  { category: "BIOS", type: "Early Microcode Update" },
  { category: "OS/VMM", type: "SGX Late Microcode Update" },
  { category: "OS/VMM", type: "TXT SINIT" },
  { category: "BIOS" },
];

/** The development platform's default TCB levels, best first: its own TCB UpToDate, then two older ones. */
export function defaultDevTcbLevels(): DevTcbLevel[] {
  const own = [...DEV_PLATFORM.cpuSvnComponents];
  const older = own.map((c, i) => (i < 2 ? c - 1 : c));
  return [
    { components: own, pceSvn: DEV_PLATFORM.pceSvn, tcbDate: "2026-11-11T00:00:00Z", tcbStatus: "UpToDate" },
    { components: older, pceSvn: DEV_PLATFORM.pceSvn, tcbDate: "2025-05-14T00:00:00Z", tcbStatus: "OutOfDate", advisoryIDs: ["SIMULATION-SA-00001"] },
    { components: older, pceSvn: 5, tcbDate: "2024-05-15T00:00:00Z", tcbStatus: "OutOfDate", advisoryIDs: ["SIMULATION-SA-00001", "SIMULATION-SA-00002"] },
  ];
}

export function defaultDevQeTcbLevels(): DevQeTcbLevel[] {
  return [
    { isvSvn: DEV_QE.isvSvn, tcbDate: "2026-11-11T00:00:00Z", tcbStatus: "UpToDate" },
    { isvSvn: 6, tcbDate: "2025-05-14T00:00:00Z", tcbStatus: "OutOfDate", advisoryIDs: ["SIMULATION-SA-00003"] },
  ];
}

function seconds(t: DevTime, what: string): bigint {
  const s = t instanceof Date ? BigInt(Math.floor(t.getTime() / 1000)) : BigInt(t);
  if (t instanceof Date && Number.isNaN(t.getTime())) throw new RangeError(`${what}: invalid Date`);
  return s;
}

/** `YYYY-MM-DDTHH:MM:SSZ`, the PCS's date format. */
export function pcsDate(t: DevTime): string {
  const d = new Date(Number(seconds(t, "date")) * 1000);
  const iso = d.toISOString();
  if (!/^\d{4}-/.test(iso)) throw new RangeError(`year outside 0000..9999: ${iso}`);
  return iso.slice(0, 19) + "Z";
}

function hexOf(value: string, bytes: number, what: string): string {
  if (!new RegExp(`^[0-9a-fA-F]{${2 * bytes}}$`).test(value)) throw new RangeError(`${what} must be ${bytes} bytes of hex, got ${JSON.stringify(value)}`);
  return value;
}

function intIn(v: number, max: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`${what} must be an integer in 0..${max}, got ${v}`);
  return v;
}

function status(s: TcbStatus): TcbStatus {
  if (!(TCB_STATUSES as readonly string[]).includes(s)) throw new RangeError(`unknown TCB status ${JSON.stringify(s)}`);
  return s;
}

function datePattern(s: string, what: string): string {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(s)) throw new RangeError(`${what} must be YYYY-MM-DDTHH:MM:SSZ, got ${JSON.stringify(s)}`);
  return s;
}

/** A SIMULATION-only Provisioning Certification Service on the development PKI. */
export class DevelopmentPcs {
  readonly pki: DevelopmentPkiMaterial;

  constructor(pki: DevelopmentPkiMaterial = loadDevelopmentPki()) {
    this.pki = pki;
  }

  /** DER of the development root CA (what a simulation deployment pins). */
  get rootDer(): Buffer {
    return this.pki.rootDer;
  }

  /** `TCB-Info-Issuer-Chain` / `SGX-Enclave-Identity-Issuer-Chain` (TCB Signing certificate, root), PEM. */
  tcbSigningChainPem(): Buffer {
    return Buffer.from(pemCertificate(this.pki.tcbSigningDer) + pemCertificate(this.pki.rootDer), "latin1");
  }

  /** `SGX-PCK-CRL-Issuer-Chain` (PCK CA, root), PEM. */
  pckCaChainPem(ca: PckCaKind = "platform"): Buffer {
    return Buffer.from(pemCertificate(this.pckCaDer(ca)) + pemCertificate(this.pki.rootDer), "latin1");
  }

  pckCaDer(ca: PckCaKind): Buffer {
    if (ca === "platform") return this.pki.pckPlatformCaDer;
    if (ca === "processor") return this.pki.pckProcessorCaDer;
    throw new RangeError(`unknown PCK CA ${JSON.stringify(ca)}`);
  }

  /** The signed span of a PCS body, and the body `{"<field>":<inner>,"signature":"<hex>"}`. */
  signCollateral(field: "tcbInfo" | "enclaveIdentity", inner: string): Buffer {
    const signature = Buffer.from(signRawP256(Buffer.from(inner, "utf8"), this.pki.keys.tcbSigning)).toString("hex");
    return Buffer.from(`{"${field}":${inner},"signature":"${signature}"}`, "utf8");
  }

  /** The inner TCB Info v3 object as the PCS formats it. */
  tcbInfoJson(o: DevTcbInfoOptions): string {
    const levels = o.tcbLevels ?? defaultDevTcbLevels();
    if (levels.length === 0) throw new RangeError("TCB Info needs at least one TCB level");
    const info = {
      id: "SGX",
      version: 3,
      issueDate: pcsDate(o.issueDate),
      nextUpdate: pcsDate(o.nextUpdate),
      fmspc: hexOf(o.fmspc ?? DEV_PLATFORM.fmspc, 6, "fmspc").toLowerCase(),
      pceId: hexOf(o.pceId ?? DEV_PLATFORM.pceId, 2, "pceId").toLowerCase(),
      tcbType: 0,
      tcbEvaluationDataNumber: intIn(o.tcbEvaluationDataNumber ?? DEFAULT_TCB_EVALUATION_DATA_NUMBER, 0xffffffff, "tcbEvaluationDataNumber"),
      tcbLevels: levels.map((l, i) => {
        if (l.components.length !== 16) throw new RangeError(`tcbLevels[${i}] needs 16 components, got ${l.components.length}`);
        return {
          tcb: {
            sgxtcbcomponents: l.components.map((svn, j) => ({ svn: intIn(svn, 255, `tcbLevels[${i}] component ${j}`), ...(COMPONENT_DESCRIPTORS[j] ?? {}) })),
            pcesvn: intIn(l.pceSvn, 0xffff, `tcbLevels[${i}].pcesvn`),
          },
          tcbDate: datePattern(l.tcbDate, `tcbLevels[${i}].tcbDate`),
          tcbStatus: status(l.tcbStatus),
          ...(l.advisoryIDs !== undefined && l.advisoryIDs.length > 0 ? { advisoryIDs: [...l.advisoryIDs] } : {}),
        };
      }),
    };
    return JSON.stringify(info);
  }

  /** The PCS body of TCB Info v3 for the development platform (or `fmspc`). */
  tcbInfo(o: DevTcbInfoOptions): Buffer {
    return this.signCollateral("tcbInfo", this.tcbInfoJson(o));
  }

  /** The inner QE Identity v2 object as the PCS formats it (hex fields upper case, as Intel's). */
  qeIdentityJson(o: DevQeIdentityOptions): string {
    const levels = o.tcbLevels ?? defaultDevQeTcbLevels();
    if (levels.length === 0) throw new RangeError("QE Identity needs at least one TCB level");
    const up = (v: string, bytes: number, what: string) => hexOf(v, bytes, what).toUpperCase();
    const identity = {
      id: "QE",
      version: 2,
      issueDate: pcsDate(o.issueDate),
      nextUpdate: pcsDate(o.nextUpdate),
      tcbEvaluationDataNumber: intIn(o.tcbEvaluationDataNumber ?? DEFAULT_TCB_EVALUATION_DATA_NUMBER, 0xffffffff, "tcbEvaluationDataNumber"),
      miscselect: up(o.miscselect ?? DEV_QE.miscselect, 4, "miscselect"),
      miscselectMask: up(o.miscselectMask ?? DEV_QE.miscselectMask, 4, "miscselectMask"),
      attributes: up(o.attributes ?? DEV_QE.attributes, 16, "attributes"),
      attributesMask: up(o.attributesMask ?? DEV_QE.attributesMask, 16, "attributesMask"),
      mrsigner: up(o.mrsigner ?? DEV_QE.mrsigner, 32, "mrsigner"),
      isvprodid: intIn(o.isvProdId ?? DEV_QE.isvProdId, 0xffff, "isvProdId"),
      tcbLevels: levels.map((l, i) => ({
        tcb: { isvsvn: intIn(l.isvSvn, 0xffff, `tcbLevels[${i}].isvsvn`) },
        tcbDate: datePattern(l.tcbDate, `tcbLevels[${i}].tcbDate`),
        tcbStatus: status(l.tcbStatus),
        ...(l.advisoryIDs !== undefined && l.advisoryIDs.length > 0 ? { advisoryIDs: [...l.advisoryIDs] } : {}),
      })),
    };
    return JSON.stringify(identity);
  }

  qeIdentity(o: DevQeIdentityOptions): Buffer {
    return this.signCollateral("enclaveIdentity", this.qeIdentityJson(o));
  }

  /** The root CA CRL (revokes PCK CA and TCB Signing certificates), DER. */
  rootCaCrl(o: DevCrlOptions): Buffer {
    return buildCrl({ issuerCn: DEV_ROOT_CN, issuerKey: this.pki.keys.root, thisUpdate: seconds(o.thisUpdate, "thisUpdate"), nextUpdate: seconds(o.nextUpdate, "nextUpdate"), revoked: o.revoked, crlNumber: o.crlNumber });
  }

  /** A PCK CA CRL (revokes PCK certificates), DER. */
  pckCrl(ca: PckCaKind, o: DevCrlOptions): Buffer {
    const issuerKey = ca === "platform" ? this.pki.keys.pckPlatformCa : ca === "processor" ? this.pki.keys.pckProcessorCa : undefined;
    if (issuerKey === undefined) throw new RangeError(`unknown PCK CA ${JSON.stringify(ca)}`);
    const issuerCn = ca === "platform" ? DEV_PCK_PLATFORM_CA_CN : DEV_PCK_PROCESSOR_CA_CN;
    return buildCrl({ issuerCn, issuerKey, thisUpdate: seconds(o.thisUpdate, "thisUpdate"), nextUpdate: seconds(o.nextUpdate, "nextUpdate"), revoked: o.revoked, crlNumber: o.crlNumber });
  }
}

