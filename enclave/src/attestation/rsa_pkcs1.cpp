#include "attestation/rsa_pkcs1.h"

#include <openssl/bn.h>

#include <algorithm>
#include <memory>

#include "anonify/crypto/hash.h"
#include "crypto/openssl_util.h"

namespace anonify::attestation {

namespace {

using crypto::detail::ossl_check;
using crypto::detail::ossl_check_ptr;

struct BnFree {
  void operator()(BIGNUM* p) const noexcept { BN_free(p); }
};
struct BnCtxFree {
  void operator()(BN_CTX* p) const noexcept { BN_CTX_free(p); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
using BnCtxPtr = std::unique_ptr<BN_CTX, BnCtxFree>;

/// DigestInfo prefix for SHA-256 with explicit NULL parameters (RFC 8017 9.2 note 1).
constexpr uint8_t kDigestInfoSha256Null[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                             0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
/// The same without the NULL parameters (RFC 4055 2.1 allows absent parameters).
constexpr uint8_t kDigestInfoSha256Absent[] = {0x30, 0x2f, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48,
                                               0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x04, 0x20};

BnPtr bignum_of(ByteView big_endian) {
  BIGNUM* bn = BN_bin2bn(big_endian.data(), crypto::detail::ossl_len(big_endian.size()), nullptr);
  return BnPtr(ossl_check_ptr(bn, "BN_bin2bn"));
}

/// s^e mod n as `modulus.size()` bytes big-endian. BN_mod_exp rather than an EVP RSA key: the
/// public operation on public values needs no blinding, and BN_mod_exp takes every modulus
/// (OpenSSL's RSA code refuses even moduli, which a host-supplied CA may carry), so a malformed
/// key is a verdict, never a library failure.
Bytes rsa_public_operation(ByteView signature, ByteView modulus, ByteView exponent) {
  BnPtr s = bignum_of(signature);
  BnPtr n = bignum_of(modulus);
  BnPtr e = bignum_of(exponent);
  BnPtr m(ossl_check_ptr(BN_new(), "BN_new"));
  BnCtxPtr ctx(ossl_check_ptr(BN_CTX_new(), "BN_CTX_new"));
  ossl_check(BN_mod_exp(m.get(), s.get(), e.get(), n.get(), ctx.get()), "BN_mod_exp");
  Bytes out(modulus.size());
  ossl_check(BN_bn2binpad(m.get(), out.data(), crypto::detail::ossl_len(out.size())), "BN_bn2binpad");
  return out;
}

/// 00 01 FF..FF 00 ‖ prefix ‖ digest, `length` bytes.
Bytes encoded_message(ByteView digest, ByteView digest_info_prefix, size_t length) {
  const size_t t_length = digest_info_prefix.size() + digest.size();
  Bytes em;
  em.reserve(length);
  em.push_back(0x00);
  em.push_back(0x01);
  em.insert(em.end(), length - t_length - 3, 0xff);
  em.push_back(0x00);
  append(em, digest_info_prefix);
  append(em, digest);
  return em;
}

}  // namespace

bool rsa_pkcs1_sha256_verify(ByteView message, ByteView signature, ByteView modulus, ByteView exponent) {
  const size_t length = modulus.size();
  if (length < kMinRsaModulusBytes || signature.size() != length) return false;
  // s < n, both `length` bytes big-endian: a lexicographic comparison.
  if (!std::lexicographical_compare(signature.begin(), signature.end(), modulus.begin(), modulus.end())) return false;
  // n = 0 cannot reach here (s < n); a modulus with leading zero bytes or an empty exponent is
  // never produced by the certificate checks, but stays a plain "does not verify".
  if (modulus[0] == 0 || exponent.empty()) return false;
  const Bytes em = rsa_public_operation(signature, modulus, exponent);
  const Bytes digest = crypto::sha256(message);
  const ByteView with_null(kDigestInfoSha256Null, sizeof(kDigestInfoSha256Null));
  const ByteView absent(kDigestInfoSha256Absent, sizeof(kDigestInfoSha256Absent));
  return em == encoded_message(digest, with_null, length) || em == encoded_message(digest, absent, length);
}

}  // namespace anonify::attestation
