#include "anonify/crypto/ed25519.h"

#include "crypto/openssl_util.h"
#include "crypto/raw_key.h"

namespace anonify::crypto {

using namespace detail;

namespace {

constexpr const char* kName = "Ed25519";

PkeyPtr private_pkey(ByteView private_key) {
  return raw_private_pkey(EVP_PKEY_ED25519, private_key, kEd25519PrivateKeySize, kName);
}

}  // namespace

Ed25519KeyPair ed25519_generate() {
  return generate_raw_keypair<Ed25519KeyPair>(EVP_PKEY_ED25519, kEd25519PrivateKeySize, kEd25519PublicKeySize, kName);
}

Bytes ed25519_public_key(ByteView private_key) {
  return raw_public_key(private_pkey(private_key).get(), kEd25519PublicKeySize, kName);
}

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
