#include "anonify/crypto/random.h"

#include <openssl/rand.h>

#include "crypto/openssl_util.h"

namespace anonify::crypto {

using namespace detail;

Bytes random_bytes(size_t length) {
  Bytes out(length);
  if (length > 0) ossl_check(RAND_bytes(out.data(), ossl_len(length)), "RAND_bytes");
  return out;
}

Bytes random_nonce() {
  struct Pool {
    uint8_t bytes[kNoncesPerDraw * kRandomNonceSize];
    size_t next = kNoncesPerDraw;  // empty: the first call draws
  };
  thread_local Pool pool;
  if (pool.next == kNoncesPerDraw) {
    ossl_check(RAND_bytes(pool.bytes, ossl_len(sizeof(pool.bytes))), "RAND_bytes");
    pool.next = 0;
  }
  const uint8_t* slice = pool.bytes + pool.next * kRandomNonceSize;
  ++pool.next;  // before the copy: a slice is never handed out twice
  return Bytes(slice, slice + kRandomNonceSize);
}

SecretBytes random_secret(size_t length) {
  SecretBytes out(length);
  random_fill(out.data(), length);
  return out;
}

void random_fill(uint8_t* out, size_t length) {
  if (length > 0) ossl_check(RAND_priv_bytes(out, ossl_len(length)), "RAND_priv_bytes");
}

}  // namespace anonify::crypto
