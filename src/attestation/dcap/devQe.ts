/**
 * The development ("SIMULATION") quoting enclave: turns a 384-byte ISV report body (what the simulation
 * enclave produces, src/attestation/quote.ts) into an SGX ECDSA quote v3 exactly as Intel's QE lays it out:
 * the header (version 3, ECDSA-256-with-P-256, Intel's QE vendor id, QE and PCE SVNs, user data), the ISV
 * report, the ISV signature by the attestation key over header ‖ report, the attestation key, the QE's own
 * report (REPORTDATA[0..32] = SHA-256(attestation key ‖ QE auth data)) signed by the PCK key, the QE auth
 * data, and certification data type 5 (the PCK chain PEM, NUL-terminated as Intel's library writes it).
 * Keys come from the committed development PKI (devPki.ts); nothing it signs verifies under Intel's root.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import {
  ATTESTATION_KEY_TYPE_ECDSA_P256,
  ENCLAVE_REPORT_LENGTH,
  INTEL_QE_VENDOR_ID,
  QUOTE_HEADER_LENGTH,
  QUOTE_VERSION_3,
  REPORT_ATTRIBUTES_OFFSET,
  REPORT_CPUSVN_OFFSET,
  REPORT_DATA_OFFSET,
  REPORT_ISV_PROD_ID_OFFSET,
  REPORT_ISV_SVN_OFFSET,
  REPORT_MISCSELECT_OFFSET,
  REPORT_MRENCLAVE_OFFSET,
  REPORT_MRSIGNER_OFFSET,
  encodeQuote,
} from "./quote";
import { DEV_PLATFORM, DEV_QE, devCpuSvnHex, loadDevelopmentPki, pemCertificate, signRawP256, type DevKey, type DevelopmentPkiMaterial } from "./devPki";

/** Intel's QE writes 32 bytes 0x00..0x1f as QE authentication data. */
export const DEV_QE_AUTH_DATA = Uint8Array.from({ length: 32 }, (_, i) => i);
const USER_DATA_LENGTH = 20;

export interface DevQuoteOptions {
  /** Header QE SVN and the QE report's ISVSVN. Default: the development QE's (8). */
  qeSvn?: number;
  /** Header PCE SVN. Default: the development platform's (13). */
  pceSvn?: number;
  /** 20 bytes of header user data. Default: SHA-256 of a label, first 16 bytes (Intel puts a QE id there), then zeros. */
  userData?: Uint8Array;
  qeAuthData?: Uint8Array;
  /** The PCK chain PEM carried as certification data. Default: the development PCK chain with a trailing NUL. */
  pckChainPem?: Uint8Array;
}

function u16(v: number, name: string): Buffer {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`${name} must be a u16, got ${v}`);
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return b;
}

/** The 48-byte v3 quote header. */
export function devQuoteHeader(qeSvn: number, pceSvn: number, userData: Uint8Array): Buffer {
  if (userData.length !== USER_DATA_LENGTH) throw new RangeError(`userData must be ${USER_DATA_LENGTH} bytes, got ${userData.length}`);
  const header = Buffer.concat([u16(QUOTE_VERSION_3, "version"), u16(ATTESTATION_KEY_TYPE_ECDSA_P256, "key type"), Buffer.alloc(4), u16(qeSvn, "qeSvn"), u16(pceSvn, "pceSvn"), Buffer.from(INTEL_QE_VENDOR_ID, "hex"), userData]);
  if (header.length !== QUOTE_HEADER_LENGTH) throw new Error("header layout");
  return header;
}

export function defaultUserData(): Buffer {
  return Buffer.concat([Buffer.from(sha256(Buffer.from("Anonify SIMULATION development QE id"))).subarray(0, 16), Buffer.alloc(4)]);
}

/** The development QE's own report body, bound to the attestation key and auth data. */
export function devQeReportBody(attestationKey: Uint8Array, qeAuthData: Uint8Array, isvSvn: number = DEV_QE.isvSvn): Buffer {
  const r = Buffer.alloc(ENCLAVE_REPORT_LENGTH);
  Buffer.from(devCpuSvnHex(), "hex").copy(r, REPORT_CPUSVN_OFFSET);
  r.writeUInt32LE(parseInt(DEV_QE.miscselect, 16), REPORT_MISCSELECT_OFFSET);
  Buffer.from(DEV_QE.attributes, "hex").copy(r, REPORT_ATTRIBUTES_OFFSET);
  Buffer.from(DEV_QE.mrenclave, "hex").copy(r, REPORT_MRENCLAVE_OFFSET);
  Buffer.from(DEV_QE.mrsigner, "hex").copy(r, REPORT_MRSIGNER_OFFSET);
  r.writeUInt16LE(DEV_QE.isvProdId, REPORT_ISV_PROD_ID_OFFSET);
  u16(isvSvn, "QE isvSvn").copy(r, REPORT_ISV_SVN_OFFSET);
  Buffer.from(sha256(Buffer.concat([attestationKey, qeAuthData]))).copy(r, REPORT_DATA_OFFSET);
  return r;
}

/** ISV signature: r ‖ s by the attestation key over header ‖ report body (what C++ tests re-sign). */
export function signIsvReport(header: Uint8Array, reportBody: Uint8Array, attestationKey: DevKey): Uint8Array {
  return signRawP256(Buffer.concat([header, reportBody]), attestationKey);
}

/** A SIMULATION-only quoting enclave on the development PKI. */
export class DevelopmentQuotingEnclave {
  readonly pki: DevelopmentPkiMaterial;
  /** The development PCK chain PEM (PCK, PCK Platform CA, root), NUL-terminated as in Intel's quotes. */
  readonly pckChainPem: Buffer;

  constructor(pki: DevelopmentPkiMaterial = loadDevelopmentPki()) {
    this.pki = pki;
    this.pckChainPem = Buffer.concat([Buffer.from([pki.pckDer, pki.pckPlatformCaDer, pki.rootDer].map(pemCertificate).join(""), "latin1"), Buffer.from([0])]);
  }

  /** x ‖ y of the development attestation key. */
  get attestationPublicKey(): Uint8Array {
    return this.pki.keys.attestation.public;
  }

  /** A v3 quote over a 384-byte ISV report body. */
  quote(reportBody: Uint8Array, options: DevQuoteOptions = {}): Uint8Array {
    if (!(reportBody instanceof Uint8Array) || reportBody.length !== ENCLAVE_REPORT_LENGTH) {
      throw new RangeError(`an ISV report body is ${ENCLAVE_REPORT_LENGTH} bytes, got ${reportBody instanceof Uint8Array ? reportBody.length : typeof reportBody}`);
    }
    const qeSvn = options.qeSvn ?? DEV_QE.isvSvn;
    const header = devQuoteHeader(qeSvn, options.pceSvn ?? DEV_PLATFORM.pceSvn, options.userData ?? defaultUserData());
    const qeAuthData = options.qeAuthData ?? DEV_QE_AUTH_DATA;
    if (qeAuthData.length > 0xffff) throw new RangeError("QE auth data longer than 65535 bytes");
    const attestationKey = this.pki.keys.attestation.public;
    const qeReport = devQeReportBody(attestationKey, qeAuthData, qeSvn);
    return encodeQuote({
      header,
      report: Uint8Array.from(reportBody),
      isvSignature: signIsvReport(header, reportBody, this.pki.keys.attestation),
      attestationKey,
      qeReport,
      qeReportSignature: signRawP256(qeReport, this.pki.keys.pck),
      qeAuthData,
      pckChainPem: options.pckChainPem ?? this.pckChainPem,
    });
  }
}
