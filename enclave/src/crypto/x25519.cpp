#include "anonify/crypto/x25519.h"

#include "crypto/openssl_util.h"
#include "crypto/raw_key.h"

namespace anonify::crypto {

using namespace detail;

namespace {

constexpr const char* kName = "X25519";

PkeyPtr private_pkey(ByteView private_key) {
  return raw_private_pkey(EVP_PKEY_X25519, private_key, kX25519KeySize, kName);
}

}  // namespace

X25519PrivateKey::X25519PrivateKey(ByteView private_key)
    : X25519PrivateKey(std::shared_ptr<EVP_PKEY>(private_pkey(private_key).release(), EvpPkeyFree())) {}

X25519PrivateKey::X25519PrivateKey(std::shared_ptr<EVP_PKEY> key)
    : key_(std::move(key)), public_key_(raw_public_key(key_.get(), kX25519KeySize, kName)) {}

X25519PrivateKey X25519PrivateKey::generate() {
  PkeyCtxPtr ctx(ossl_check_ptr(EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, nullptr), "EVP_PKEY_CTX_new_id"));
  ossl_check(EVP_PKEY_keygen_init(ctx.get()), "EVP_PKEY_keygen_init");
  EVP_PKEY* raw = nullptr;
  ossl_check(EVP_PKEY_keygen(ctx.get(), &raw), "EVP_PKEY_keygen");
  return X25519PrivateKey(std::shared_ptr<EVP_PKEY>(raw, EvpPkeyFree()));
}

SecretBytes X25519PrivateKey::private_key() const {
  SecretBytes out(kX25519KeySize);
  size_t len = out.size();
  ossl_check(EVP_PKEY_get_raw_private_key(key_.get(), out.data(), &len), "EVP_PKEY_get_raw_private_key");
  if (len != kX25519KeySize) throw Error(ErrorCode::kInternal, "X25519 private key has unexpected length");
  return out;
}

SecretBytes X25519PrivateKey::dh(ByteView peer_public_key) const {
  if (peer_public_key.size() != kX25519KeySize) throw Error(ErrorCode::kInvalidKey, "X25519 public key must be 32 bytes");
  PkeyPtr peer(ossl_check_ptr(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peer_public_key.data(), peer_public_key.size()),
      "EVP_PKEY_new_raw_public_key(X25519)"));
  PkeyCtxPtr ctx(ossl_check_ptr(EVP_PKEY_CTX_new(key_.get(), nullptr), "EVP_PKEY_CTX_new"));
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

X25519KeyPair x25519_generate() {
  return generate_raw_keypair<X25519KeyPair>(EVP_PKEY_X25519, kX25519KeySize, kX25519KeySize, kName);
}

Bytes x25519_public_key(ByteView private_key) {
  return raw_public_key(private_pkey(private_key).get(), kX25519KeySize, kName);
}

SecretBytes x25519(ByteView private_key, ByteView peer_public_key) {
  if (peer_public_key.size() != kX25519KeySize) throw Error(ErrorCode::kInvalidKey, "X25519 public key must be 32 bytes");
  return X25519PrivateKey(private_key).dh(peer_public_key);
}

}  // namespace anonify::crypto
