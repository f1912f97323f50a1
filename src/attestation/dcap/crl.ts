/**
 * X.509 CRLs (RFC 5280 5.1) from the Intel PCS: the root CA CRL (issued by the Intel SGX Root CA; revokes
 * PCK CA and TCB Signing certificates) and the PCK CA CRL (issued by the PCK Platform or Processor CA;
 * revokes PCK certificates). Each is matched to its issuer by name, its ecdsa-with-SHA256 signature
 * checked under that issuer's key, and its thisUpdate/nextUpdate checked at the verification time.
 */
import { dcapError } from "./errors";
import { derSignatureToRaw, verifyP256 } from "./ecdsa";
import { DerReader, TAG_BIT_STRING, TAG_CONTEXT_0, TAG_GENERALIZED_TIME, TAG_INTEGER, TAG_SEQUENCE, TAG_UTC_TIME, equalBytes, type Tlv } from "./der";
import { ECDSA_WITH_SHA256, readDerTime, serialHex, type Certificate } from "./x509";

export interface Crl {
  der: Uint8Array;
  /** TBSCertList, whole. */
  tbs: Uint8Array;
  issuer: Uint8Array;
  thisUpdate: bigint;
  nextUpdate: bigint;
  /** Revoked serials, lowercase hex without sign byte. */
  revoked: Set<string>;
  /** r || s (empty when the signature is not DER r, s: it then fails as an invalid signature). */
  signature: Uint8Array;
}

/** Parses a DER CRL; anything but v2 with nextUpdate and ecdsa-with-SHA256 is `CrlMalformed(offset)`. */
export function parseCrl(der: Uint8Array): Crl {
  const r = new DerReader(der, (offset) => dcapError("CrlMalformed", BigInt(offset)));
  const list = r.expect(0, der.length, TAG_SEQUENCE);
  if (list.end !== der.length) r.fail(list.end);
  const tbs = r.expect(list.start, list.end, TAG_SEQUENCE);
  const outerAlgorithm = r.expect(tbs.end, list.end, TAG_SEQUENCE);
  const signatureValue = r.expect(outerAlgorithm.end, list.end, TAG_BIT_STRING);
  if (signatureValue.end !== list.end) r.fail(signatureValue.end);
  if (!equalBytes(r.whole(outerAlgorithm), ECDSA_WITH_SHA256)) r.fail(outerAlgorithm.offset);

  const fields = r.children(tbs);
  let i = 0;
  const next = (): Tlv => {
    const t = fields[i++];
    if (t === undefined) r.fail(tbs.end);
    return t;
  };
  let t = next();
  if (t.tag === TAG_INTEGER) {
    if (r.unsigned(t, 1) !== 1n) r.fail(t.offset); // v2
    t = next();
  }
  if (t.tag !== TAG_SEQUENCE || !equalBytes(r.whole(t), ECDSA_WITH_SHA256)) r.fail(t.offset);
  const issuer = next();
  if (issuer.tag !== TAG_SEQUENCE) r.fail(issuer.offset);
  const thisUpdate = readDerTime(r, next());
  const nextTlv = next();
  if (nextTlv.tag !== TAG_UTC_TIME && nextTlv.tag !== TAG_GENERALIZED_TIME) r.fail(nextTlv.offset); // PCS CRLs always carry nextUpdate
  const nextUpdate = readDerTime(r, nextTlv);
  const revoked = new Set<string>();
  let rest = fields.slice(i);
  if (rest.length > 0 && rest[0].tag === TAG_SEQUENCE) {
    for (const entry of r.children(rest[0])) {
      if (entry.tag !== TAG_SEQUENCE) r.fail(entry.offset);
      const parts = r.children(entry);
      if (parts.length < 2 || parts.length > 3) r.fail(entry.offset);
      revoked.add(serialHex(r, parts[0]));
      readDerTime(r, parts[1]);
    }
    rest = rest.slice(1);
  }
  if (rest.length > 1 || (rest.length === 1 && rest[0].tag !== TAG_CONTEXT_0)) r.fail(rest[rest.length - 1].offset);

  const sigContent = r.content(signatureValue);
  const signature = sigContent[0] === 0 ? derSignatureToRaw(sigContent.subarray(1)) : undefined;
  return { der, tbs: r.whole(tbs), issuer: r.whole(issuer), thisUpdate, nextUpdate, revoked, signature: signature ?? new Uint8Array(0) };
}

/** True when `issuer` signed the CRL. */
export function crlSignedBy(crl: Crl, issuer: Certificate): boolean {
  return verifyP256(crl.tbs, crl.signature, issuer.publicKey);
}
