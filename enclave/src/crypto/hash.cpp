#include "anonify/crypto/hash.h"

#include <openssl/core_names.h>
#include <openssl/params.h>

#include "crypto/openssl_util.h"

namespace anonify::crypto {

using namespace detail;

struct Sha256::Impl {
  MdCtxPtr ctx;
  bool finished = false;
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  impl_->ctx.reset(ossl_check_ptr(EVP_MD_CTX_new(), "EVP_MD_CTX_new"));
  ossl_check(EVP_DigestInit_ex2(impl_->ctx.get(), EVP_sha256(), nullptr), "EVP_DigestInit_ex2(SHA-256)");
}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

Sha256& Sha256::update(ByteView data) {
  if (impl_->finished) throw Error(ErrorCode::kInvalidState, "Sha256::update after finish");
  if (!data.empty()) ossl_check(EVP_DigestUpdate(impl_->ctx.get(), data.data(), data.size()), "EVP_DigestUpdate");
  return *this;
}

Bytes Sha256::finish() {
  if (impl_->finished) throw Error(ErrorCode::kInvalidState, "Sha256::finish called twice");
  impl_->finished = true;
  Bytes out(kSha256Size);
  unsigned int len = 0;
  ossl_check(EVP_DigestFinal_ex(impl_->ctx.get(), out.data(), &len), "EVP_DigestFinal_ex");
  if (len != kSha256Size) throw Error(ErrorCode::kInternal, "SHA-256 digest has unexpected length");
  return out;
}

Bytes sha256(ByteView data) { return Sha256().update(data).finish(); }

Bytes hmac_sha256(ByteView key, ByteView data) { return hmac_sha256(key, &data, 1); }

Bytes hmac_sha256(ByteView key, const ByteView* parts, size_t count) {
  // A context with the digest already bound, made once per process; each call duplicates it. Setting
  // the digest by name on a fresh context would look SHA-256 up in the provider store on every call.
  static const MacCtxPtr bound = [] {
    MacPtr mac(ossl_check_ptr(EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr), "EVP_MAC_fetch(HMAC)"));
    MacCtxPtr ctx(ossl_check_ptr(EVP_MAC_CTX_new(mac.get()), "EVP_MAC_CTX_new"));
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_construct_end()};
    ossl_check(EVP_MAC_CTX_set_params(ctx.get(), params), "EVP_MAC_CTX_set_params(HMAC-SHA256)");
    return ctx;
  }();
  MacCtxPtr ctx(ossl_check_ptr(EVP_MAC_CTX_dup(bound.get()), "EVP_MAC_CTX_dup"));
  // HMAC pads keys with zeros to the block size, so an empty key equals a one-byte zero key.
  static const uint8_t kZero = 0;
  const uint8_t* key_data = key.empty() ? &kZero : key.data();
  size_t key_size = key.empty() ? 1 : key.size();
  ossl_check(EVP_MAC_init(ctx.get(), key_data, key_size, nullptr), "EVP_MAC_init(HMAC-SHA256)");
  for (size_t i = 0; i < count; ++i) {
    if (!parts[i].empty()) ossl_check(EVP_MAC_update(ctx.get(), parts[i].data(), parts[i].size()), "EVP_MAC_update");
  }
  Bytes out(kSha256Size);
  size_t len = 0;
  ossl_check(EVP_MAC_final(ctx.get(), out.data(), &len, out.size()), "EVP_MAC_final");
  if (len != kSha256Size) throw Error(ErrorCode::kInternal, "HMAC-SHA256 has unexpected length");
  return out;
}

}  // namespace anonify::crypto
