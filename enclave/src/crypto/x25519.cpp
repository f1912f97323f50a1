#include "anonify/crypto/x25519.h"

#include "crypto/openssl_util.h"

namespace anonify::crypto {

using namespace detail;

namespace {

PkeyPtr private_pkey(ByteView private_key) {
  if (private_key.size() != kX25519KeySize) throw Error(ErrorCode::kInvalidKey, "X25519 private key must be 32 bytes");
  return PkeyPtr(ossl_check_ptr(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, private_key.data(), private_key.size()),
      "EVP_PKEY_new_raw_private_key(X25519)"));
}

Bytes raw_public(EVP_PKEY* pkey) {
  Bytes out(kX25519KeySize);
  size_t len = out.size();
  ossl_check(EVP_PKEY_get_raw_public_key(pkey, out.data(), &len), "EVP_PKEY_get_raw_public_key");
  if (len != kX25519KeySize) throw Error(ErrorCode::kInternal, "X25519 public key has unexpected length");
  return out;
}

}  // namespace

X25519KeyPair x25519_generate() {
  PkeyCtxPtr ctx(ossl_check_ptr(EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, nullptr), "EVP_PKEY_CTX_new_id(X25519)"));
  ossl_check(EVP_PKEY_keygen_init(ctx.get()), "EVP_PKEY_keygen_init");
  EVP_PKEY* raw = nullptr;
  ossl_check(EVP_PKEY_keygen(ctx.get(), &raw), "EVP_PKEY_keygen(X25519)");
  PkeyPtr pkey(raw);
  X25519KeyPair pair;
  pair.private_key = SecretBytes(kX25519KeySize);
  size_t len = pair.private_key.size();
  ossl_check(EVP_PKEY_get_raw_private_key(pkey.get(), pair.private_key.data(), &len), "EVP_PKEY_get_raw_private_key");
  pair.public_key = raw_public(pkey.get());
  return pair;
}

Bytes x25519_public_key(ByteView private_key) { return raw_public(private_pkey(private_key).get()); }

SecretBytes x25519(ByteView private_key, ByteView peer_public_key) {
  if (peer_public_key.size() != kX25519KeySize) throw Error(ErrorCode::kInvalidKey, "X25519 public key must be 32 bytes");
  PkeyPtr own = private_pkey(private_key);
  PkeyPtr peer(ossl_check_ptr(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peer_public_key.data(), peer_public_key.size()),
      "EVP_PKEY_new_raw_public_key(X25519)"));
  PkeyCtxPtr ctx(ossl_check_ptr(EVP_PKEY_CTX_new(own.get(), nullptr), "EVP_PKEY_CTX_new"));
  ossl_check(EVP_PKEY_derive_init(ctx.get()), "EVP_PKEY_derive_init");
  ossl_check(EVP_PKEY_derive_set_peer(ctx.get(), peer.get()), "EVP_PKEY_derive_set_peer");
  SecretBytes shared(kX25519KeySize);
  size_t len = shared.size();
  // OpenSSL fails the derivation itself when the result is all zero (low-order point).
  if (EVP_PKEY_derive(ctx.get(), shared.data(), &len) != 1 || len != kX25519KeySize) {
    ERR_clear_error();
    throw Error(ErrorCode::kInvalidKey, "X25519 produced no valid shared secret (low-order public key)");
  }
  uint8_t acc = 0;
  for (size_t i = 0; i < len; ++i) acc |= shared[i];
  if (acc == 0) throw Error(ErrorCode::kInvalidKey, "X25519 shared secret is all zero (low-order public key)");
  return shared;
}

}  // namespace anonify::crypto
