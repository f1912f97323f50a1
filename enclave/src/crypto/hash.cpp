#include "anonify/crypto/hash.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <array>

#include "crypto/openssl_util.h"

namespace anonify::crypto {

using namespace detail;

namespace {

constexpr size_t kSha256BlockSize = 64;
constexpr uint8_t kInnerPad = 0x36;  // RFC 2104 ipad
constexpr uint8_t kOuterPad = 0x5c;  // RFC 2104 opad

// Fetched once per process (as the AEAD ciphers are): EVP_sha256() would look the implementation up
// in the provider store again on every EVP_DigestInit_ex2.
const EVP_MD* sha256_md() {
  static const MdPtr md(ossl_check_ptr(EVP_MD_fetch(nullptr, "SHA2-256", nullptr), "EVP_MD_fetch(SHA2-256)"));
  return md.get();
}

// SHA-256(prefix ‖ parts[0] ‖ … ‖ parts[count - 1]) into out (32 bytes), on a context it (re)initialises.
void digest_parts(EVP_MD_CTX* ctx, const ByteView* parts, size_t count, uint8_t* out, ByteView prefix = {}) {
  ossl_check(EVP_DigestInit_ex2(ctx, sha256_md(), nullptr), "EVP_DigestInit_ex2(SHA-256)");
  if (!prefix.empty()) ossl_check(EVP_DigestUpdate(ctx, prefix.data(), prefix.size()), "EVP_DigestUpdate");
  for (size_t i = 0; i < count; ++i) {
    if (!parts[i].empty()) ossl_check(EVP_DigestUpdate(ctx, parts[i].data(), parts[i].size()), "EVP_DigestUpdate");
  }
  unsigned int len = 0;
  ossl_check(EVP_DigestFinal_ex(ctx, out, &len), "EVP_DigestFinal_ex");
  if (len != kSha256Size) throw Error(ErrorCode::kInternal, "SHA-256 digest has unexpected length");
}

}  // namespace

struct Sha256::Impl {
  MdCtxPtr ctx;
  bool finished = false;
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  impl_->ctx.reset(ossl_check_ptr(EVP_MD_CTX_new(), "EVP_MD_CTX_new"));
  ossl_check(EVP_DigestInit_ex2(impl_->ctx.get(), sha256_md(), nullptr), "EVP_DigestInit_ex2(SHA-256)");
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
  // RFC 2104 on the digest itself: H((K ^ opad) ‖ H((K ^ ipad) ‖ data)), K the key padded with zeros
  // to the block (hashed first if longer). OpenSSL 3.0's EVP_MAC duplicates and frees an HMAC
  // context of three digest contexts per call; this uses one digest context, about half the time.
  std::array<uint8_t, kSha256BlockSize> pad{};
  std::array<uint8_t, kSha256Size> inner{};
  const auto wipe = [&]() noexcept {
    OPENSSL_cleanse(pad.data(), pad.size());
    OPENSSL_cleanse(inner.data(), inner.size());
  };
  Bytes out(kSha256Size);
  try {
    MdCtxPtr ctx(ossl_check_ptr(EVP_MD_CTX_new(), "EVP_MD_CTX_new"));  // freeing it cleanses its state
    if (key.size() > pad.size()) {
      digest_parts(ctx.get(), &key, 1, pad.data());
    } else if (!key.empty()) {
      std::copy(key.begin(), key.end(), pad.begin());
    }
    for (uint8_t& b : pad) b ^= kInnerPad;
    digest_parts(ctx.get(), parts, count, inner.data(), ByteView(pad.data(), pad.size()));
    for (uint8_t& b : pad) b ^= kInnerPad ^ kOuterPad;
    const ByteView inner_view(inner.data(), inner.size());
    digest_parts(ctx.get(), &inner_view, 1, out.data(), ByteView(pad.data(), pad.size()));
  } catch (...) {
    wipe();
    throw;
  }
  wipe();
  return out;
}

}  // namespace anonify::crypto
