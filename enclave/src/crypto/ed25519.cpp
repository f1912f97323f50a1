#include "anonify/crypto/ed25519.h"

#include "crypto/openssl_util.h"

namespace anonify::crypto {

using namespace detail;

namespace {

PkeyPtr private_pkey(ByteView private_key) {
  if (private_key.size() != kEd25519PrivateKeySize) {
    throw Error(ErrorCode::kInvalidKey, "Ed25519 private key must be 32 bytes");
  }
  return PkeyPtr(ossl_check_ptr(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, private_key.data(), private_key.size()),
      "EVP_PKEY_new_raw_private_key(Ed25519)"));
}

Bytes raw_public(EVP_PKEY* pkey) {
  Bytes out(kEd25519PublicKeySize);
  size_t len = out.size();
  ossl_check(EVP_PKEY_get_raw_public_key(pkey, out.data(), &len), "EVP_PKEY_get_raw_public_key");
  if (len != kEd25519PublicKeySize) throw Error(ErrorCode::kInternal, "Ed25519 public key has unexpected length");
  return out;
}

}  // namespace

Ed25519KeyPair ed25519_generate() {
  PkeyCtxPtr ctx(ossl_check_ptr(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr), "EVP_PKEY_CTX_new_id(Ed25519)"));
  ossl_check(EVP_PKEY_keygen_init(ctx.get()), "EVP_PKEY_keygen_init");
  EVP_PKEY* raw = nullptr;
  ossl_check(EVP_PKEY_keygen(ctx.get(), &raw), "EVP_PKEY_keygen(Ed25519)");
  PkeyPtr pkey(raw);
  Ed25519KeyPair pair;
  pair.private_key = SecretBytes(kEd25519PrivateKeySize);
  size_t len = pair.private_key.size();
  ossl_check(EVP_PKEY_get_raw_private_key(pkey.get(), pair.private_key.data(), &len), "EVP_PKEY_get_raw_private_key");
  pair.public_key = raw_public(pkey.get());
  return pair;
}

Bytes ed25519_public_key(ByteView private_key) { return raw_public(private_pkey(private_key).get()); }

Bytes ed25519_sign(ByteView private_key, ByteView message) {
  PkeyPtr pkey = private_pkey(private_key);
  MdCtxPtr ctx(ossl_check_ptr(EVP_MD_CTX_new(), "EVP_MD_CTX_new"));
  ossl_check(EVP_DigestSignInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, pkey.get(), nullptr),
             "EVP_DigestSignInit_ex(Ed25519)");
  Bytes signature(kEd25519SignatureSize);
  size_t len = signature.size();
  ossl_check(EVP_DigestSign(ctx.get(), signature.data(), &len, message.data(), message.size()), "EVP_DigestSign");
  if (len != kEd25519SignatureSize) throw Error(ErrorCode::kInternal, "Ed25519 signature has unexpected length");
  return signature;
}

bool ed25519_verify(ByteView public_key, ByteView message, ByteView signature) noexcept {
  if (public_key.size() != kEd25519PublicKeySize || signature.size() != kEd25519SignatureSize) return false;
  PkeyPtr pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, public_key.data(), public_key.size()));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  bool ok = pkey && ctx &&
            EVP_DigestVerifyInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, pkey.get(), nullptr) == 1 &&
            EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(), message.size()) == 1;
  ERR_clear_error();
  return ok;
}

}  // namespace anonify::crypto
