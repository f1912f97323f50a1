#include "anonify/crypto/hkdf.h"

#include <algorithm>

#include "anonify/crypto/hash.h"
#include "crypto/openssl_util.h"

namespace anonify::crypto {

using namespace detail;

SecretBytes hkdf_extract(ByteView salt, ByteView ikm) {
  // HKDF-Extract is HMAC-Hash(salt, IKM) (RFC 5869 §2.2); HMAC with an empty key equals HMAC with
  // HashLen zero bytes, which is what an absent salt means. Computed through EVP_MAC directly
  // because OpenSSL's HKDF KDF rejects an empty IKM.
  return SecretBytes(hmac_sha256(salt, ikm));
}

SecretBytes hkdf_expand(ByteView prk, ByteView info, size_t length) {
  if (prk.size() < kSha256Size) throw Error(ErrorCode::kInvalidArgument, "HKDF-Expand: PRK shorter than 32 bytes");
  if (length == 0 || length > 255 * kSha256Size) {
    throw Error(ErrorCode::kInvalidArgument, "HKDF-Expand: output length must be 1..8160");
  }
  // RFC 5869 §2.3 on our HMAC-SHA256 (one prepared context, duplicated per block):
  // T(i) = HMAC(PRK, T(i-1) ‖ info ‖ i), OKM = first `length` bytes of T(1) ‖ T(2) ‖ ...
  // OpenSSL 3.0's HKDF cannot duplicate a prepared context, so EVP_KDF would look the digest up
  // by name on every call.
  SecretBytes out(length);
  SecretBytes previous;
  size_t written = 0;
  for (uint8_t counter = 1; written < length; ++counter) {
    SecretBytes input(concat({previous, info, ByteView(&counter, 1)}));
    previous = SecretBytes(hmac_sha256(prk, input));
    const size_t take = std::min(kSha256Size, length - written);
    std::copy(previous.data(), previous.data() + take, out.data() + written);
    written += take;
  }
  return out;
}

}  // namespace anonify::crypto
