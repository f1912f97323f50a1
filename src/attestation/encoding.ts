/**
 * The encodings IAS uses on the wire: PEM certificates joined and URL-encoded in the
 * `X-IASReport-Signing-Certificate` header, and the report signature (base64 in
 * `X-IASReport-Signature`; tools also keep it as hex or raw bytes).
 */

/** RSA-2048 signature length in bytes. */
export const REPORT_SIGNATURE_LENGTH = 256;

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]*?)-----END CERTIFICATE-----/g;
const PEM_LINE_LENGTH = 64;

/** A signature, certificate or header that cannot be decoded (bad tool input, not a verification verdict). */
export class AttestationInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AttestationInputError";
  }
}

/** PEM ("CERTIFICATE") of a DER certificate, 64-character lines, trailing newline: what IAS sends. */
export function derToPem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += PEM_LINE_LENGTH) lines.push(b64.slice(i, i + PEM_LINE_LENGTH));
  return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
}

/** Every CERTIFICATE block in a PEM text, in order, as DER. */
export function pemToDers(pem: string): Buffer[] {
  const ders: Buffer[] = [];
  for (const match of pem.matchAll(PEM_CERTIFICATE)) {
    const b64 = match[1].replace(/\s+/g, "");
    if (!isStandardBase64(b64)) throw new AttestationInputError("PEM certificate block is not valid base64");
    ders.push(Buffer.from(b64, "base64"));
  }
  return ders;
}

/**
 * URL-encodes PEM certificates (leaf first, then CA) the way IAS does in `X-IASReport-Signing-Certificate`:
 * every byte but unreserved characters and "/" is percent-encoded (newline = %0A, space = %20, "+" = %2B).
 */
export function encodeSigningCertificateHeader(ders: readonly Uint8Array[]): string {
  return encodeURIComponent(ders.map(derToPem).join("")).replace(/%2F/g, "/");
}

export interface SigningCertificateChain {
  /** The report-signing certificate (DER). */
  leaf: Buffer;
  /** The CA certificate IAS sends after it (DER), when present. */
  ca?: Buffer;
}

/** Parses an `X-IASReport-Signing-Certificate` value (URL-encoded PEM, leaf then CA). */
export function parseSigningCertificateHeader(value: string): SigningCertificateChain {
  let pem: string;
  try {
    pem = decodeURIComponent(value.trim());
  } catch {
    throw new AttestationInputError("X-IASReport-Signing-Certificate is not valid URL encoding");
  }
  const ders = pemToDers(pem);
  if (ders.length === 0) throw new AttestationInputError("X-IASReport-Signing-Certificate holds no PEM certificate");
  if (ders.length > 2) throw new AttestationInputError(`X-IASReport-Signing-Certificate holds ${ders.length} certificates, expected leaf and CA`);
  return { leaf: ders[0], ca: ders[1] };
}

/**
 * Reads a certificate file's contents: DER, PEM (the first certificate is the leaf), or the
 * URL-encoded header value. Returns the chain found.
 */
export function readCertificateInput(contents: Uint8Array): SigningCertificateChain {
  const buffer = Buffer.from(contents);
  // DER starts with a SEQUENCE tag; PEM and the header are ASCII text.
  if (buffer.length > 0 && buffer[0] === 0x30) return { leaf: buffer };
  const text = buffer.toString("latin1");
  // The header value is PEM with every space and newline percent-encoded.
  if (/-----BEGIN%20CERTIFICATE/i.test(text)) return parseSigningCertificateHeader(text);
  if (text.includes("-----BEGIN")) {
    const ders = pemToDers(text);
    if (ders.length === 0) throw new AttestationInputError("PEM file holds no CERTIFICATE block");
    return { leaf: ders[0], ca: ders[1] };
  }
  throw new AttestationInputError("certificate is neither DER, PEM nor a URL-encoded X-IASReport-Signing-Certificate value");
}

export function isStandardBase64(text: string): boolean {
  return text.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(text);
}

/**
 * Reads a report signature given as base64 (the header value), hex (with or without 0x) or the raw
 * 256 bytes. Surrounding whitespace in text forms is ignored. The result is NOT length-checked:
 * a wrong length is a verification verdict (`SignatureLengthInvalid`), not an input error.
 */
export function decodeSignature(contents: Uint8Array): Buffer {
  const buffer = Buffer.from(contents);
  const text = buffer.toString("latin1").trim();
  const hex = text.startsWith("0x") || text.startsWith("0X") ? text.slice(2) : text;
  if (hex.length > 0 && hex.length % 2 === 0 && /^[0-9a-fA-F]+$/.test(hex)) return Buffer.from(hex, "hex");
  if (text.length > 0 && isStandardBase64(text)) return Buffer.from(text, "base64");
  // Raw bytes: 256 random bytes are never all base64 or hex characters, so text forms are tried first.
  if (buffer.length === REPORT_SIGNATURE_LENGTH) return buffer;
  throw new AttestationInputError("signature is neither base64, hex nor 256 raw bytes");
}
