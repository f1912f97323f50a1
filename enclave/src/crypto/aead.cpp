#include "anonify/crypto/aead.h"

#include "crypto/openssl_util.h"

namespace anonify::crypto {

using namespace detail;

namespace {

// Fetched once per process (OpenSSL 3 explicit fetching): EVP_aes_128_gcm() & co. would look the
// implementation up again on every EVP_CipherInit_ex2. Fetched ciphers are immutable and shared.
EVP_CIPHER* fetched(const char* name) {
  return ossl_check_ptr(EVP_CIPHER_fetch(nullptr, name, nullptr), "EVP_CIPHER_fetch");
}

const EVP_CIPHER* cipher_for(AeadAlgorithm algorithm) {
  static const CipherPtr aes128(fetched("AES-128-GCM"));
  static const CipherPtr aes256(fetched("AES-256-GCM"));
  static const CipherPtr chacha(fetched("ChaCha20-Poly1305"));
  switch (algorithm) {
    case AeadAlgorithm::kAes128Gcm: return aes128.get();
    case AeadAlgorithm::kAes256Gcm: return aes256.get();
    case AeadAlgorithm::kChaCha20Poly1305: return chacha.get();
  }
  throw Error(ErrorCode::kUnsupported, "unknown AEAD algorithm");
}

void check_sizes(AeadAlgorithm algorithm, ByteView key, ByteView nonce) {
  if (key.size() != aead_key_size(algorithm)) throw Error(ErrorCode::kInvalidArgument, "AEAD key has the wrong size");
  if (nonce.size() != kAeadNonceSize) throw Error(ErrorCode::kInvalidArgument, "AEAD nonce must be 12 bytes");
}

// A new context for `algorithm`, keyed (and, given a nonce, ready for one operation).
CipherCtxPtr keyed_context(AeadAlgorithm algorithm, ByteView key, const uint8_t* nonce, bool encrypt) {
  CipherCtxPtr ctx(ossl_check_ptr(EVP_CIPHER_CTX_new(), "EVP_CIPHER_CTX_new"));
  ossl_check(EVP_CipherInit_ex2(ctx.get(), cipher_for(algorithm), key.data(), nonce, encrypt ? 1 : 0, nullptr),
             "EVP_CipherInit_ex2");
  return ctx;
}

void add_aad(EVP_CIPHER_CTX* ctx, ByteView aad) {
  if (aad.empty()) return;
  int out_len = 0;
  ossl_check(EVP_CipherUpdate(ctx, nullptr, &out_len, aad.data(), ossl_len(aad.size())), "EVP_CipherUpdate(aad)");
}

// Seal and open on a context holding the key and the nonce (12 bytes, the default IV length of all three).
Bytes seal_on(EVP_CIPHER_CTX* ctx, ByteView aad, ByteView plaintext) {
  add_aad(ctx, aad);
  Bytes out(plaintext.size() + kAeadTagSize);
  int len = 0;
  if (!plaintext.empty()) {
    ossl_check(EVP_EncryptUpdate(ctx, out.data(), &len, plaintext.data(), ossl_len(plaintext.size())), "EVP_EncryptUpdate");
  }
  int final_len = 0;
  ossl_check(EVP_EncryptFinal_ex(ctx, out.data() + len, &final_len), "EVP_EncryptFinal_ex");
  if (static_cast<size_t>(len + final_len) != plaintext.size()) {
    throw Error(ErrorCode::kInternal, "AEAD produced an unexpected ciphertext length");
  }
  ossl_check(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kAeadTagSize), out.data() + plaintext.size()),
             "EVP_CTRL_AEAD_GET_TAG");
  return out;
}

Bytes open_on(EVP_CIPHER_CTX* ctx, ByteView aad, ByteView ciphertext) {
  const size_t body = ciphertext.size() - kAeadTagSize;  // the callers checked the tag is there
  add_aad(ctx, aad);
  Bytes out(body);
  int len = 0;
  if (body > 0) {
    ossl_check(EVP_DecryptUpdate(ctx, out.data(), &len, ciphertext.data(), ossl_len(body)), "EVP_DecryptUpdate");
  }
  // OpenSSL's SET_TAG takes a non-const pointer but only reads it.
  ossl_check(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kAeadTagSize),
                                 const_cast<uint8_t*>(ciphertext.data() + body)),
             "EVP_CTRL_AEAD_SET_TAG");
  int final_len = 0;
  if (EVP_DecryptFinal_ex(ctx, out.data() + len, &final_len) != 1) {
    ERR_clear_error();
    OPENSSL_cleanse(out.data(), out.size());
    throw Error(ErrorCode::kAuthenticationFailed, "AEAD authentication failed");
  }
  return out;
}

void check_tag_present(ByteView ciphertext) {
  if (ciphertext.size() < kAeadTagSize) {
    throw Error(ErrorCode::kAuthenticationFailed, "AEAD ciphertext shorter than its tag");
  }
}

}  // namespace

size_t aead_key_size(AeadAlgorithm algorithm) noexcept {
  return algorithm == AeadAlgorithm::kAes128Gcm ? 16 : 32;
}

Bytes aead_seal(AeadAlgorithm algorithm, ByteView key, ByteView nonce, ByteView aad, ByteView plaintext) {
  check_sizes(algorithm, key, nonce);
  return seal_on(keyed_context(algorithm, key, nonce.data(), true).get(), aad, plaintext);
}

Bytes aead_open(AeadAlgorithm algorithm, ByteView key, ByteView nonce, ByteView aad, ByteView ciphertext) {
  check_sizes(algorithm, key, nonce);
  check_tag_present(ciphertext);
  return open_on(keyed_context(algorithm, key, nonce.data(), false).get(), aad, ciphertext);
}

struct AeadKey::Context {
  CipherCtxPtr ctx;  // cipher and key set; each operation sets the nonce and the direction
};

AeadKey::AeadKey(AeadAlgorithm algorithm, ByteView key) : algorithm_(algorithm), context_(std::make_unique<Context>()) {
  if (key.size() != aead_key_size(algorithm)) throw Error(ErrorCode::kInvalidArgument, "AEAD key has the wrong size");
  context_->ctx = keyed_context(algorithm, key, nullptr, true);
}

AeadKey::~AeadKey() = default;
AeadKey::AeadKey(AeadKey&&) noexcept = default;
AeadKey& AeadKey::operator=(AeadKey&&) noexcept = default;

AeadKey::AeadKey(const AeadKey& other) : algorithm_(other.algorithm_), context_(std::make_unique<Context>()) {
  other.check_usable();
  context_->ctx.reset(ossl_check_ptr(EVP_CIPHER_CTX_new(), "EVP_CIPHER_CTX_new"));
  ossl_check(EVP_CIPHER_CTX_copy(context_->ctx.get(), other.context_->ctx.get()), "EVP_CIPHER_CTX_copy");
}

AeadKey& AeadKey::operator=(const AeadKey& other) {
  if (this != &other) *this = AeadKey(other);
  return *this;
}

void AeadKey::check_usable() const {
  if (!context_) throw Error(ErrorCode::kInvalidState, "AeadKey used after it was moved from");
}

Bytes AeadKey::seal(ByteView nonce, ByteView aad, ByteView plaintext) const {
  check_usable();
  if (nonce.size() != kAeadNonceSize) throw Error(ErrorCode::kInvalidArgument, "AEAD nonce must be 12 bytes");
  EVP_CIPHER_CTX* ctx = context_->ctx.get();
  ossl_check(EVP_CipherInit_ex2(ctx, nullptr, nullptr, nonce.data(), 1, nullptr), "EVP_CipherInit_ex2(nonce)");
  return seal_on(ctx, aad, plaintext);
}

Bytes AeadKey::open(ByteView nonce, ByteView aad, ByteView ciphertext) const {
  check_usable();
  if (nonce.size() != kAeadNonceSize) throw Error(ErrorCode::kInvalidArgument, "AEAD nonce must be 12 bytes");
  check_tag_present(ciphertext);
  EVP_CIPHER_CTX* ctx = context_->ctx.get();
  ossl_check(EVP_CipherInit_ex2(ctx, nullptr, nullptr, nonce.data(), 0, nullptr), "EVP_CipherInit_ex2(nonce)");
  return open_on(ctx, aad, ciphertext);
}

}  // namespace anonify::crypto
