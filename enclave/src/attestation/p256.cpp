#include "attestation/p256.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <stdexcept>

#include "attestation/dcap_der.h"
#include "crypto/openssl_util.h"

namespace anonify::attestation {

namespace {

using crypto::detail::MdCtxPtr;
using crypto::detail::ossl_check;
using crypto::detail::ossl_check_ptr;
using crypto::detail::PkeyCtxPtr;
using crypto::detail::PkeyPtr;

constexpr uint8_t kUncompressed = 0x04;
constexpr char kCurveName[] = "prime256v1";

/// Thrown inside p256_der_signature_to_raw's reader; never escapes it.
struct NotDer {};

/// The EVP key of x || y, or null when the point is not on the curve (OpenSSL's decoder refuses
/// coordinates >= p and points off the curve; the public-key check refuses the rest).
PkeyPtr public_key_of(ByteView xy) {
  if (xy.size() != kP256PointLength) return nullptr;
  Bytes octets(1 + kP256PointLength);
  octets[0] = kUncompressed;
  std::copy(xy.begin(), xy.end(), octets.begin() + 1);
  char group[sizeof(kCurveName)];
  std::copy(kCurveName, kCurveName + sizeof(kCurveName), group);
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
                               OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, octets.data(), octets.size()),
                               OSSL_PARAM_construct_end()};
  PkeyCtxPtr ctx(ossl_check_ptr(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr), "EVP_PKEY_CTX_new_from_name"));
  ossl_check(EVP_PKEY_fromdata_init(ctx.get()), "EVP_PKEY_fromdata_init");
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, const_cast<OSSL_PARAM*>(params)) != 1) {
    ERR_clear_error();  // a host-supplied point that is not on the curve: a verdict, not a failure
    return nullptr;
  }
  PkeyPtr key(raw);
  // The quick check (not the point at infinity, coordinates below p, on the curve) is the whole
  // check on P-256: its cofactor is 1, so every point on the curve has order n, and the full check's
  // n·Q = O multiplication (as costly as a verification) can never refuse what the quick one accepts.
  PkeyCtxPtr check(ossl_check_ptr(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr), "EVP_PKEY_CTX_new_from_pkey"));
  if (EVP_PKEY_public_check_quick(check.get()) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  return key;
}

/// A DER INTEGER of the unsigned big-endian `v` (minimal; a sign byte when the top bit is set).
void append_integer(Bytes& out, ByteView v) {
  size_t skip = 0;
  while (skip + 1 < v.size() && v[skip] == 0) ++skip;
  const ByteView magnitude = v.subview(skip, v.size() - skip);
  const bool sign = (magnitude[0] & 0x80) != 0;
  out.push_back(der::kTagInteger);
  out.push_back(static_cast<uint8_t>(magnitude.size() + (sign ? 1 : 0)));
  if (sign) out.push_back(0);
  append(out, magnitude);
}

/// r || s as DER SEQUENCE { r, s } (at most 72 bytes: short-form lengths throughout).
Bytes der_signature(ByteView raw) {
  Bytes body;
  append_integer(body, raw.subview(0, kP256ScalarLength));
  append_integer(body, raw.subview(kP256ScalarLength, kP256ScalarLength));
  Bytes out{der::kTagSequence, static_cast<uint8_t>(body.size())};
  append(out, body);
  return out;
}

}  // namespace

bool is_p256_point(ByteView xy) { return public_key_of(xy) != nullptr; }

bool p256_verify(ByteView message, ByteView signature, ByteView key_xy) {
  if (signature.size() != kP256PointLength || key_xy.size() != kP256PointLength) return false;
  const PkeyPtr key = public_key_of(key_xy);
  if (!key) return false;
  const Bytes der = der_signature(signature);
  MdCtxPtr ctx(ossl_check_ptr(EVP_MD_CTX_new(), "EVP_MD_CTX_new"));
  ossl_check(EVP_DigestVerifyInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key.get(), nullptr),
             "EVP_DigestVerifyInit_ex");
  // 1 verifies; 0 or a negative value is a signature that does not (r or s zero or >= n included).
  const int rc = EVP_DigestVerify(ctx.get(), der.data(), der.size(), message.data(), message.size());
  if (rc != 1) ERR_clear_error();
  return rc == 1;
}

std::optional<Bytes> p256_der_signature_to_raw(ByteView der) {
  try {
    const dcap::DerReader r(der, [](size_t) { throw NotDer{}; });
    const der::Tlv seq = r.expect(0, der.size(), der::kTagSequence);
    if (seq.end != der.size()) return std::nullopt;
    const std::vector<der::Tlv> parts = r.children(seq);
    if (parts.size() != 2 || parts[0].tag != der::kTagInteger || parts[1].tag != der::kTagInteger) return std::nullopt;
    Bytes out(kP256PointLength, 0);
    for (size_t i = 0; i < 2; ++i) {
      const ByteView m = r.unsigned_magnitude(parts[i], kP256ScalarLength);  // 1..32 bytes
      std::copy(m.begin(), m.end(), out.begin() + (i + 1) * kP256ScalarLength - m.size());
    }
    return out;
  } catch (const NotDer&) {
    return std::nullopt;
  }
}

}  // namespace anonify::attestation
