// RSASSA-PKCS1-v1_5 with SHA-256 verification (RFC 8017 8.2.2) with exactly the acceptance rules
// of OpenZeppelin's RSA.pkcs1Sha256 (what the on-chain verifier uses) and src/attestation/rsa.ts:
// a modulus of at least 2048 bits, a signature as long as the modulus, s < n, and the encoded
// message equal to 00 01 FF..FF 00 DigestInfo with the SHA-256 AlgorithmIdentifier's NULL
// parameters present or absent. OpenSSL's own PKCS#1 check accepts only the explicit-NULL form,
// so OpenSSL computes s^e mod n (BN_mod_exp) and the encoding is compared here.
#pragma once

#include "anonify/bytes.h"

namespace anonify::attestation {

/// OpenZeppelin refuses moduli shorter than 2048 bits.
constexpr size_t kMinRsaModulusBytes = 256;

/// True when `signature` verifies over `message` under (modulus, exponent), both big-endian,
/// the modulus without a leading zero byte. False for any malformed input; throws
/// Error(CryptoFailure) only when OpenSSL itself fails on well-formed input.
bool rsa_pkcs1_sha256_verify(ByteView message, ByteView signature, ByteView modulus, ByteView exponent);

}  // namespace anonify::attestation
