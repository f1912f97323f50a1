// Internal: RAII owners for OpenSSL objects and return-code checks. Every OpenSSL call in the
// enclave goes through ossl_check so no failure is silently ignored.
#pragma once

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <memory>
#include <string>

#include "anonify/error.h"

namespace anonify::crypto::detail {

struct EvpCipherCtxFree { void operator()(EVP_CIPHER_CTX* p) const noexcept { EVP_CIPHER_CTX_free(p); } };
struct EvpCipherFree { void operator()(EVP_CIPHER* p) const noexcept { EVP_CIPHER_free(p); } };
struct EvpMdCtxFree { void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); } };
struct EvpMdFree { void operator()(EVP_MD* p) const noexcept { EVP_MD_free(p); } };
struct EvpPkeyFree { void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); } };
struct EvpPkeyCtxFree { void operator()(EVP_PKEY_CTX* p) const noexcept { EVP_PKEY_CTX_free(p); } };
struct EvpMacFree { void operator()(EVP_MAC* p) const noexcept { EVP_MAC_free(p); } };
struct EvpMacCtxFree { void operator()(EVP_MAC_CTX* p) const noexcept { EVP_MAC_CTX_free(p); } };
struct EvpKdfFree { void operator()(EVP_KDF* p) const noexcept { EVP_KDF_free(p); } };
struct EvpKdfCtxFree { void operator()(EVP_KDF_CTX* p) const noexcept { EVP_KDF_CTX_free(p); } };

using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, EvpCipherCtxFree>;
using CipherPtr = std::unique_ptr<EVP_CIPHER, EvpCipherFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, EvpMdCtxFree>;
using MdPtr = std::unique_ptr<EVP_MD, EvpMdFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, EvpPkeyCtxFree>;
using MacPtr = std::unique_ptr<EVP_MAC, EvpMacFree>;
using MacCtxPtr = std::unique_ptr<EVP_MAC_CTX, EvpMacCtxFree>;
using KdfPtr = std::unique_ptr<EVP_KDF, EvpKdfFree>;
using KdfCtxPtr = std::unique_ptr<EVP_KDF_CTX, EvpKdfCtxFree>;

/// Throws Error(CryptoFailure) naming the failed call and OpenSSL's first queued error.
[[noreturn]] inline void throw_openssl(const char* what) {
  unsigned long err = ERR_get_error();
  std::string message = std::string(what) + " failed";
  if (err != 0) {
    char buf[256];
    ERR_error_string_n(err, buf, sizeof(buf));
    message += ": ";
    message += buf;
  }
  ERR_clear_error();
  throw Error(ErrorCode::kCryptoFailure, message);
}

/// OpenSSL convention: 1 (or > 0) is success.
inline void ossl_check(int rc, const char* what) {
  if (rc <= 0) throw_openssl(what);
}

template <typename T>
T* ossl_check_ptr(T* p, const char* what) {
  if (p == nullptr) throw_openssl(what);
  return p;
}

/// OpenSSL takes int lengths; refuse anything that does not fit instead of truncating.
inline int ossl_len(size_t n) {
  if (n > static_cast<size_t>(INT32_MAX)) throw Error(ErrorCode::kInvalidArgument, "buffer too large");
  return static_cast<int>(n);
}

}  // namespace anonify::crypto::detail
