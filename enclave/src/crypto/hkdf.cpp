#include "anonify/crypto/hkdf.h"

#include <openssl/core_names.h>
#include <openssl/params.h>

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
  // Fetched once per process (OpenSSL 3 explicit fetching); the fetched KDF is immutable and shared.
  static const KdfPtr kdf(ossl_check_ptr(EVP_KDF_fetch(nullptr, OSSL_KDF_NAME_HKDF, nullptr), "EVP_KDF_fetch(HKDF)"));
  KdfCtxPtr ctx(ossl_check_ptr(EVP_KDF_CTX_new(kdf.get()), "EVP_KDF_CTX_new"));
  char digest[] = "SHA256";
  int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
  OSSL_PARAM params[5];
  size_t n = 0;
  params[n++] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(prk.data()), prk.size());
  if (!info.empty()) {
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<uint8_t*>(info.data()), info.size());
  }
  params[n] = OSSL_PARAM_construct_end();
  SecretBytes out(length);
  ossl_check(EVP_KDF_derive(ctx.get(), out.data(), out.size(), params), "EVP_KDF_derive(HKDF-Expand)");
  return out;
}

}  // namespace anonify::crypto
