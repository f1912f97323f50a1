#include "attestation/dcap_crl.h"

#include <vector>

#include "attestation/p256.h"

namespace anonify::attestation::dcap {

namespace {

constexpr uint64_t kCrlVersion2 = 1;

ByteView ecdsa_with_sha256() { return ByteView(kEcdsaWithSha256, sizeof(kEcdsaWithSha256)); }

/// revokedCertificates: SEQUENCE OF SEQUENCE { userCertificate, revocationDate, crlEntryExtensions OPTIONAL }.
void read_revoked(const DerReader& r, const der::Tlv& list, Crl& out) {
  for (const der::Tlv& entry : r.children(list)) {
    if (entry.tag != der::kTagSequence) r.fail(entry.offset);
    const std::vector<der::Tlv> parts = r.children(entry);
    if (parts.size() < 2 || parts.size() > 3) r.fail(entry.offset);
    out.revoked.insert(serial_hex(r, parts[0]));
    read_der_time(r, parts[1]);
  }
}

void read_tbs(const DerReader& r, const der::Tlv& tbs, Crl& out) {
  const std::vector<der::Tlv> fields = r.children(tbs);
  size_t i = 0;
  auto next = [&]() -> der::Tlv {
    if (i >= fields.size()) r.fail(tbs.end);
    return fields[i++];
  };
  der::Tlv t = next();
  if (t.tag == der::kTagInteger) {
    if (r.unsigned_value(t, 1) != kCrlVersion2) r.fail(t.offset);
    t = next();
  }
  if (t.tag != der::kTagSequence || !equal_bytes(r.whole(t), ecdsa_with_sha256())) r.fail(t.offset);
  const der::Tlv issuer = next();
  if (issuer.tag != der::kTagSequence) r.fail(issuer.offset);
  out.issuer = r.whole(issuer).to_bytes();
  out.this_update = read_der_time(r, next());
  const der::Tlv next_update = next();
  // PCS CRLs always carry nextUpdate.
  if (next_update.tag != der::kTagUtcTime && next_update.tag != der::kTagGeneralizedTime) r.fail(next_update.offset);
  out.next_update = read_der_time(r, next_update);
  if (i < fields.size() && fields[i].tag == der::kTagSequence) read_revoked(r, fields[i++], out);
  const size_t rest = fields.size() - i;
  if (rest > 1 || (rest == 1 && fields[i].tag != der::kTagContext0)) r.fail(fields.back().offset);
}

}  // namespace

Crl parse_crl(ByteView der) {
  const DerReader r(der, [](size_t offset) {
    fail("CrlMalformed", {decimal(offset)}, "CRL is not a valid DER X.509 CRL (at byte " + decimal(offset) + ")");
  });
  const der::Tlv list = r.expect(0, der.size(), der::kTagSequence);
  if (list.end != der.size()) r.fail(list.end);
  const der::Tlv tbs = r.expect(list.start, list.end, der::kTagSequence);
  const der::Tlv outer_algorithm = r.expect(tbs.end, list.end, der::kTagSequence);
  const der::Tlv signature_value = r.expect(outer_algorithm.end, list.end, der::kTagBitString);
  if (signature_value.end != list.end) r.fail(signature_value.end);
  if (!equal_bytes(r.whole(outer_algorithm), ecdsa_with_sha256())) r.fail(outer_algorithm.offset);

  Crl out;
  read_tbs(r, tbs, out);
  out.tbs = r.whole(tbs).to_bytes();
  const ByteView sig = r.content(signature_value);
  if (sig.size() > 0 && sig[0] == 0) {
    out.signature = p256_der_signature_to_raw(sig.subview(1, sig.size() - 1)).value_or(Bytes{});
  }
  return out;
}

bool crl_signed_by(const Crl& crl, const Certificate& issuer) { return p256_verify(crl.tbs, crl.signature, issuer.public_key); }

}  // namespace anonify::attestation::dcap
