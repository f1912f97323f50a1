#include "anonify/crypto/hkdf.h"

#include <algorithm>
#include <vector>

#include "anonify/crypto/hash.h"
#include "crypto/openssl_util.h"

namespace anonify::crypto {

using namespace detail;

SecretBytes hkdf_extract(ByteView salt, ByteView ikm) { return hkdf_extract_concat(salt, {ikm}); }

SecretBytes hkdf_extract_concat(ByteView salt, std::initializer_list<ByteView> ikm_parts) {
  // HKDF-Extract is HMAC-Hash(salt, IKM) (RFC 5869 §2.2); HMAC with an empty key equals HMAC with
  // HashLen zero bytes, which is what an absent salt means. Computed through EVP_MAC directly
  // because OpenSSL's HKDF KDF rejects an empty IKM.
  return SecretBytes(hmac_sha256(salt, ikm_parts.begin(), ikm_parts.size()));
}

SecretBytes hkdf_expand(ByteView prk, ByteView info, size_t length) { return hkdf_expand_concat(prk, {info}, length); }

SecretBytes hkdf_expand_concat(ByteView prk, std::initializer_list<ByteView> info_parts, size_t length) {
  if (prk.size() < kSha256Size) throw Error(ErrorCode::kInvalidArgument, "HKDF-Expand: PRK shorter than 32 bytes");
  if (length == 0 || length > 255 * kSha256Size) {
    throw Error(ErrorCode::kInvalidArgument, "HKDF-Expand: output length must be 1..8160");
  }
  // RFC 5869 §2.3 on our HMAC-SHA256 (one prepared context, duplicated per block):
  // T(i) = HMAC(PRK, T(i-1) ‖ info ‖ i), OKM = first `length` bytes of T(1) ‖ T(2) ‖ ...
  // OpenSSL 3.0's HKDF cannot duplicate a prepared context, so EVP_KDF would look the digest up
  // by name on every call. The HMAC reads T(i-1), the info parts and i where they are.
  std::vector<ByteView> parts;
  parts.reserve(info_parts.size() + 2);
  parts.emplace_back();  // T(i-1), empty for T(1)
  parts.insert(parts.end(), info_parts.begin(), info_parts.end());
  uint8_t counter = 0;
  parts.emplace_back(&counter, 1);
  SecretBytes out(length);
  SecretBytes previous;
  size_t written = 0;
  while (written < length) {
    ++counter;
    previous = SecretBytes(hmac_sha256(prk, parts.data(), parts.size()));
    parts.front() = ByteView(previous);
    const size_t take = std::min(kSha256Size, length - written);
    std::copy(previous.data(), previous.data() + take, out.data() + written);
    written += take;
  }
  return out;
}

}  // namespace anonify::crypto
