#include "attestation/dcap_x509.h"

#include <set>

#include "attestation/p256.h"
#include "attestation/utc_time.h"

namespace anonify::attestation::dcap {

namespace {

/// SubjectPublicKeyInfo prefix of an uncompressed P-256 key: id-ecPublicKey, prime256v1, BIT STRING 04.
constexpr uint8_t kP256SpkiPrefix[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
                                       0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04};
constexpr uint8_t kOidBasicConstraints[] = {0x55, 0x1d, 0x13};
constexpr uint8_t kOidKeyUsage[] = {0x55, 0x1d, 0x0f};
/// keyUsage bits (bit 0 = most significant bit of the first byte).
constexpr int kKuDigitalSignature = 0;
constexpr int kKuKeyCertSign = 5;
constexpr int kKuCrlSign = 6;
/// Serial numbers are at most 20 octets (RFC 5280 4.1.2.2); one more for a sign byte.
constexpr size_t kMaxSerialLength = 21;
constexpr int kUtcTimePivot = 50;
constexpr size_t kUtcTimeLength = 13;
constexpr size_t kGeneralizedTimeLength = 15;
constexpr uint8_t kZulu = 0x5a;
constexpr uint8_t kDerTrue = 0xff;

template <size_t N>
ByteView view_of(const uint8_t (&a)[N]) {
  return ByteView(a, N);
}

bool bit_at(uint16_t bits, int index) { return ((bits >> (15 - index)) & 1) == 1; }

DerReader certificate_reader(ByteView der, CertificateRole role) {
  return DerReader(der, [role](size_t offset) {
    fail("CertificateMalformed", {role_arg(role), decimal(offset)},
         "certificate " + role_arg(role) + " is not valid DER X.509 (at byte " + decimal(offset) + ")");
  });
}

void read_extension_value(const DerReader& r, const der::Tlv& oid, const der::Tlv& value, Certificate& out) {
  const ByteView id = r.content(oid);
  if (equal_bytes(id, view_of(kOidBasicConstraints))) {
    const der::Tlv bc = r.expect(value.start, value.end, der::kTagSequence);
    const std::vector<der::Tlv> items = r.children(bc);
    if (!items.empty() && items[0].tag == der::kTagBoolean) {
      const ByteView c = r.content(items[0]);
      if (c.size() != 1 || (c[0] != kDerTrue && c[0] != 0x00)) r.fail(items[0].offset);
      out.is_ca = c[0] == kDerTrue;
    }
  } else if (equal_bytes(id, view_of(kOidKeyUsage))) {
    const der::Tlv bits = r.expect(value.start, value.end, der::kTagBitString);
    const ByteView c = r.content(bits);
    if (c.size() < 2 || c.size() > 3 || c[0] > 7) r.fail(bits.offset);
    out.key_usage = static_cast<uint16_t>((c[1] << 8) | (c.size() == 3 ? c[2] : 0));
  } else if (equal_bytes(id, view_of(kOidSgxExtension))) {
    out.sgx_extension = r.content(value).to_bytes();
    out.sgx_extension_offset = value.start;
  }
}

/// `extensions [3] EXPLICIT SEQUENCE OF Extension`: basicConstraints, keyUsage, the SGX extension.
void read_extensions(const DerReader& r, const der::Tlv& outer, Certificate& out) {
  const der::Tlv list = r.expect(outer.start, outer.end, der::kTagSequence);
  if (list.end != outer.end) r.fail(list.end);
  std::set<Bytes> seen;
  for (const der::Tlv& ext : r.children(list)) {
    if (ext.tag != der::kTagSequence) r.fail(ext.offset);
    const std::vector<der::Tlv> parts = r.children(ext);
    if (parts.size() < 2 || parts.size() > 3 || parts[0].tag != der::kTagObjectIdentifier) r.fail(ext.offset);
    if (parts.size() == 3 && parts[1].tag != der::kTagBoolean) r.fail(parts[1].offset);
    const der::Tlv& value = parts.back();
    if (value.tag != der::kTagOctetString) r.fail(value.offset);
    if (!seen.insert(r.content(parts[0]).to_bytes()).second) r.fail(ext.offset);  // at most one of each
    read_extension_value(r, parts[0], value, out);
  }
}

/// The TBSCertificate's fields (the signature algorithm returned for the algorithm check).
der::Tlv read_tbs(const DerReader& r, const der::Tlv& tbs, Certificate& out) {
  const std::vector<der::Tlv> fields = r.children(tbs);
  size_t i = 0;
  if (!fields.empty() && fields[0].tag == der::kTagContext0) ++i;  // version
  auto need = [&](uint8_t tag) -> der::Tlv {
    if (i >= fields.size()) r.fail(tbs.end);
    const der::Tlv t = fields[i++];
    if (t.tag != tag) r.fail(t.offset);
    return t;
  };
  out.serial = serial_hex(r, need(der::kTagInteger));
  const der::Tlv algorithm = need(der::kTagSequence);
  const der::Tlv issuer = need(der::kTagSequence);
  const der::Tlv validity = need(der::kTagSequence);
  const der::Tlv subject = need(der::kTagSequence);
  const der::Tlv spki = need(der::kTagSequence);
  const std::vector<der::Tlv> times = r.children(validity);
  if (times.size() != 2) r.fail(validity.offset);
  out.not_before = read_der_time(r, times[0]);
  out.not_after = read_der_time(r, times[1]);
  // issuerUniqueID [1] / subjectUniqueID [2] are not used by Intel; extensions are [3].
  const size_t rest = fields.size() - i;
  if (rest > 1 || (rest == 1 && fields[i].tag != kTagContext3)) r.fail(fields.back().offset);
  if (rest == 1) read_extensions(r, fields[i], out);
  out.issuer = r.whole(issuer).to_bytes();
  out.subject = r.whole(subject).to_bytes();
  out.public_key = r.whole(spki).to_bytes();  // judged by the caller
  return algorithm;
}

void check_key(Certificate& cert) {
  const ByteView spki = cert.public_key;
  const ByteView prefix = view_of(kP256SpkiPrefix);
  if (spki.size() != prefix.size() + kP256PointLength || !equal_bytes(spki.subview(0, prefix.size()), prefix)) {
    fail("CertificateKeyUnsupported", {role_arg(cert.role)}, "certificate key is not an uncompressed P-256 point");
  }
  cert.public_key = spki.subview(prefix.size(), kP256PointLength).to_bytes();
  if (!is_p256_point(cert.public_key)) {
    fail("CertificateKeyUnsupported", {role_arg(cert.role)}, "certificate key is not a point on P-256");
  }
}

void check_validity(const Certificate& cert, uint64_t now) {
  if (now < cert.not_before || now > cert.not_after) {
    fail("CertificateNotValidAt", {role_arg(cert.role), decimal(cert.not_before), decimal(cert.not_after), decimal(now)},
         "certificate " + role_arg(cert.role) + " is not valid at " + decimal(now));
  }
}

/// CAs (root, PCK CA): cA TRUE, keyCertSign and cRLSign. Leaves (PCK, TCB Signing): not a CA, digitalSignature.
void check_usage(const Certificate& cert) {
  const bool ca = cert.role == CertificateRole::kRoot || cert.role == CertificateRole::kPckCa;
  if (cert.is_ca != ca) {
    fail("CertificateConstraintsInvalid", {role_arg(cert.role)}, "basicConstraints do not fit the certificate's place");
  }
  const bool ok = cert.key_usage.has_value() && (ca ? bit_at(*cert.key_usage, kKuKeyCertSign) && bit_at(*cert.key_usage, kKuCrlSign)
                                                    : bit_at(*cert.key_usage, kKuDigitalSignature));
  if (!ok) fail("CertificateKeyUsageInvalid", {role_arg(cert.role)}, "keyUsage does not allow the certificate's use");
}

/// Issuer name, signature, validity at `now`, then constraints and key usage.
void check_issued_by(const Certificate& cert, const Certificate& issuer, uint64_t now) {
  if (!equal_bytes(cert.issuer, issuer.subject)) {
    fail("CertificateIssuerMismatch", {role_arg(cert.role)}, "issuer is not the next certificate's subject");
  }
  if (!p256_verify(cert.tbs, cert.signature, issuer.public_key)) {
    fail("CertificateSignatureInvalid", {role_arg(cert.role)}, "signature does not verify under the issuer's key");
  }
  check_validity(cert, now);
  check_usage(cert);
}

/// The chain's root must be the pinned root byte for byte, and valid at `now`.
const Certificate& check_root(ByteView der, const PinnedRoot& pinned, uint64_t now) {
  if (!equal_bytes(der, pinned.certificate.der)) {
    fail("RootCaNotPinned", {role_arg(CertificateRole::kRoot)}, "the chain's root is not the pinned root CA");
  }
  check_validity(pinned.certificate, now);
  return pinned.certificate;
}

int digits(const DerReader& r, size_t from, size_t count, size_t offset) {
  int v = 0;
  for (size_t i = from; i < from + count; ++i) {
    const uint8_t b = r.der()[i];
    if (b < 0x30 || b > 0x39) r.fail(offset);
    v = v * 10 + (b - 0x30);
  }
  return v;
}

}  // namespace

uint64_t read_der_time(const DerReader& r, const der::Tlv& t) {
  const size_t length = t.end - t.start;
  size_t p = t.start;
  int year = 0;
  if (t.tag == der::kTagUtcTime && length == kUtcTimeLength) {
    const int yy = digits(r, p, 2, t.offset);
    year = yy < kUtcTimePivot ? 2000 + yy : 1900 + yy;
    p += 2;
  } else if (t.tag == der::kTagGeneralizedTime && length == kGeneralizedTimeLength) {
    year = digits(r, p, 4, t.offset);
    p += 4;
  } else {
    r.fail(t.offset);
  }
  if (r.der()[t.end - 1] != kZulu) r.fail(t.offset);
  int fields[5];
  for (int& f : fields) {
    f = digits(r, p, 2, t.offset);
    p += 2;
  }
  const std::optional<uint64_t> seconds = unix_seconds(year, fields[0], fields[1], fields[2], fields[3], fields[4]);
  if (!seconds) r.fail(t.offset);
  return *seconds;
}

std::string serial_hex(const DerReader& r, const der::Tlv& t) {
  if (t.tag != der::kTagInteger || t.end - t.start > kMaxSerialLength) r.fail(t.offset);
  return to_hex(r.unsigned_magnitude(t, kMaxSerialLength));
}

Certificate parse_certificate(ByteView der, CertificateRole role) {
  const DerReader r = certificate_reader(der, role);
  const der::Tlv cert = r.expect(0, der.size(), der::kTagSequence);
  if (cert.end != der.size()) r.fail(cert.end);
  const der::Tlv tbs = r.expect(cert.start, cert.end, der::kTagSequence);
  const der::Tlv outer_algorithm = r.expect(tbs.end, cert.end, der::kTagSequence);
  const der::Tlv signature_value = r.expect(outer_algorithm.end, cert.end, der::kTagBitString);
  if (signature_value.end != cert.end) r.fail(signature_value.end);

  Certificate out;
  out.der = der.to_bytes();
  out.role = role;
  const der::Tlv inner_algorithm = read_tbs(r, tbs, out);
  const ByteView ecdsa = view_of(kEcdsaWithSha256);
  if (!equal_bytes(r.whole(inner_algorithm), ecdsa) || !equal_bytes(r.whole(outer_algorithm), ecdsa)) {
    fail("CertificateAlgorithmUnsupported", {role_arg(role)}, "certificate is not signed with ecdsa-with-SHA256");
  }
  check_key(out);
  out.tbs = r.whole(tbs).to_bytes();
  // A signature that is not DER r, s cannot verify: it is reported where a bad signature is.
  const ByteView sig = r.content(signature_value);
  if (sig.size() > 0 && sig[0] == 0) {
    out.signature = p256_der_signature_to_raw(sig.subview(1, sig.size() - 1)).value_or(Bytes{});
  }
  return out;
}

PinnedRoot pin_root(ByteView der) {
  Certificate root = parse_certificate(der, CertificateRole::kRoot);
  if (!equal_bytes(root.issuer, root.subject)) {
    fail("CertificateIssuerMismatch", {role_arg(CertificateRole::kRoot)}, "the root CA is not self-issued");
  }
  if (!p256_verify(root.tbs, root.signature, root.public_key)) {
    fail("CertificateSignatureInvalid", {role_arg(CertificateRole::kRoot)}, "the root CA's self-signature does not verify");
  }
  check_usage(root);
  return PinnedRoot{std::move(root)};
}

PckChain check_pck_chain(const std::vector<Bytes>& chain, const PinnedRoot& pinned, uint64_t now) {
  if (chain.size() != 3) {
    fail("PckChainLengthInvalid", {decimal(chain.size())}, "PCK chain has " + decimal(chain.size()) + " certificates, expected 3");
  }
  const Certificate& root = check_root(chain[2], pinned, now);
  Certificate pck_ca = parse_certificate(chain[1], CertificateRole::kPckCa);
  check_issued_by(pck_ca, root, now);
  Certificate pck = parse_certificate(chain[0], CertificateRole::kPck);
  check_issued_by(pck, pck_ca, now);
  if (!pck.sgx_extension) fail("SgxExtensionFieldMissing", {"sgxExtension"}, "PCK certificate has no SGX extension");
  SgxExtension sgx = read_sgx_extension(*pck.sgx_extension, pck.sgx_extension_offset);
  return PckChain{std::move(pck), std::move(pck_ca), root, std::move(sgx)};
}

Certificate check_tcb_signing_chain(const std::vector<Bytes>& chain, const PinnedRoot& pinned, uint64_t now) {
  if (chain.size() != 2) {
    fail("PckChainLengthInvalid", {decimal(chain.size())}, "TCB Signing chain has " + decimal(chain.size()) + " certificates, expected 2");
  }
  const Certificate& root = check_root(chain[1], pinned, now);
  Certificate signing = parse_certificate(chain[0], CertificateRole::kTcbSigning);
  check_issued_by(signing, root, now);
  return signing;
}

}  // namespace anonify::attestation::dcap
