// Internal: the 25519 curves' raw 32-byte keys through OpenSSL's EVP_PKEY (X25519 and Ed25519 share
// the same key plumbing; only the key type and the sizes differ).
#pragma once

#include <cstddef>

#include "anonify/bytes.h"
#include "crypto/openssl_util.h"

namespace anonify::crypto::detail {

/// An EVP_PKEY of `type` (EVP_PKEY_X25519, EVP_PKEY_ED25519) from a raw private key.
/// Throws Error(InvalidKey) unless the key is `size` bytes.
inline PkeyPtr raw_private_pkey(int type, ByteView private_key, size_t size, const char* name) {
  if (private_key.size() != size) {
    throw Error(ErrorCode::kInvalidKey, std::string(name) + " private key must be " + std::to_string(size) + " bytes");
  }
  return PkeyPtr(ossl_check_ptr(EVP_PKEY_new_raw_private_key(type, nullptr, private_key.data(), private_key.size()),
                                "EVP_PKEY_new_raw_private_key"));
}

/// The raw public key of `pkey`, which must be `size` bytes.
inline Bytes raw_public_key(EVP_PKEY* pkey, size_t size, const char* name) {
  Bytes out(size);
  size_t len = out.size();
  ossl_check(EVP_PKEY_get_raw_public_key(pkey, out.data(), &len), "EVP_PKEY_get_raw_public_key");
  if (len != size) throw Error(ErrorCode::kInternal, std::string(name) + " public key has unexpected length");
  return out;
}

/// A fresh key of `type`: its raw private key (wiped on destruction) and raw public key.
template <typename KeyPair>
KeyPair generate_raw_keypair(int type, size_t private_size, size_t public_size, const char* name) {
  PkeyCtxPtr ctx(ossl_check_ptr(EVP_PKEY_CTX_new_id(type, nullptr), "EVP_PKEY_CTX_new_id"));
  ossl_check(EVP_PKEY_keygen_init(ctx.get()), "EVP_PKEY_keygen_init");
  EVP_PKEY* raw = nullptr;
  ossl_check(EVP_PKEY_keygen(ctx.get(), &raw), "EVP_PKEY_keygen");
  PkeyPtr pkey(raw);
  KeyPair pair;
  pair.private_key = SecretBytes(private_size);
  size_t len = pair.private_key.size();
  ossl_check(EVP_PKEY_get_raw_private_key(pkey.get(), pair.private_key.data(), &len), "EVP_PKEY_get_raw_private_key");
  if (len != private_size) throw Error(ErrorCode::kInternal, std::string(name) + " private key has unexpected length");
  pair.public_key = raw_public_key(pkey.get(), public_size, name);
  return pair;
}

}  // namespace anonify::crypto::detail
