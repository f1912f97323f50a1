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

// Sets up ctx for one operation: cipher, 12-byte IV (the default for all three), key, nonce, AAD.
CipherCtxPtr init(AeadAlgorithm algorithm, ByteView key, ByteView nonce, ByteView aad, bool encrypt) {
  CipherCtxPtr ctx(ossl_check_ptr(EVP_CIPHER_CTX_new(), "EVP_CIPHER_CTX_new"));
  ossl_check(EVP_CipherInit_ex2(ctx.get(), cipher_for(algorithm), key.data(), nonce.data(), encrypt ? 1 : 0, nullptr),
             "EVP_CipherInit_ex2");
  if (!aad.empty()) {
    int out_len = 0;
    ossl_check(EVP_CipherUpdate(ctx.get(), nullptr, &out_len, aad.data(), ossl_len(aad.size())), "EVP_CipherUpdate(aad)");
  }
  return ctx;
}

}  // namespace

size_t aead_key_size(AeadAlgorithm algorithm) noexcept {
  return algorithm == AeadAlgorithm::kAes128Gcm ? 16 : 32;
}

Bytes aead_seal(AeadAlgorithm algorithm, ByteView key, ByteView nonce, ByteView aad, ByteView plaintext) {
  check_sizes(algorithm, key, nonce);
  CipherCtxPtr ctx = init(algorithm, key, nonce, aad, true);
  Bytes out(plaintext.size() + kAeadTagSize);
  int len = 0;
  if (!plaintext.empty()) {
    ossl_check(EVP_EncryptUpdate(ctx.get(), out.data(), &len, plaintext.data(), ossl_len(plaintext.size())),
               "EVP_EncryptUpdate");
  }
  int final_len = 0;
  ossl_check(EVP_EncryptFinal_ex(ctx.get(), out.data() + len, &final_len), "EVP_EncryptFinal_ex");
  if (static_cast<size_t>(len + final_len) != plaintext.size()) {
    throw Error(ErrorCode::kInternal, "AEAD produced an unexpected ciphertext length");
  }
  ossl_check(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kAeadTagSize),
                                 out.data() + plaintext.size()),
             "EVP_CTRL_AEAD_GET_TAG");
  return out;
}

Bytes aead_open(AeadAlgorithm algorithm, ByteView key, ByteView nonce, ByteView aad, ByteView ciphertext) {
  check_sizes(algorithm, key, nonce);
  if (ciphertext.size() < kAeadTagSize) {
    throw Error(ErrorCode::kAuthenticationFailed, "AEAD ciphertext shorter than its tag");
  }
  size_t body = ciphertext.size() - kAeadTagSize;
  CipherCtxPtr ctx = init(algorithm, key, nonce, aad, false);
  Bytes out(body);
  int len = 0;
  if (body > 0) {
    ossl_check(EVP_DecryptUpdate(ctx.get(), out.data(), &len, ciphertext.data(), ossl_len(body)), "EVP_DecryptUpdate");
  }
  // OpenSSL's SET_TAG takes a non-const pointer but only reads it.
  ossl_check(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kAeadTagSize),
                                 const_cast<uint8_t*>(ciphertext.data() + body)),
             "EVP_CTRL_AEAD_SET_TAG");
  int final_len = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), out.data() + len, &final_len) != 1) {
    ERR_clear_error();
    OPENSSL_cleanse(out.data(), out.size());
    throw Error(ErrorCode::kAuthenticationFailed, "AEAD authentication failed");
  }
  return out;
}

}  // namespace anonify::crypto
