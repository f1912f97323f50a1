// secp256k1 ECDSA as Ethereum uses it (libsecp256k1 with the recovery module): signatures are
// 65 bytes r ‖ s ‖ v with low s and v = 27 + recovery id; addresses are the last 20 bytes of
// keccak256 of the uncompressed public key without its 0x04 prefix.
#pragma once

#include <string>

#include "anonify/bytes.h"

namespace anonify::crypto {

constexpr size_t kSecp256k1PrivateKeySize = 32;
constexpr size_t kSecp256k1PublicKeySize = 65;  ///< uncompressed: 0x04 ‖ x ‖ y
constexpr size_t kEthSignatureSize = 65;        ///< r ‖ s ‖ v
constexpr size_t kEthAddressSize = 20;

/// Fresh private key (uniform in [1, n-1]).
SecretBytes secp256k1_generate_private_key();

/// Uncompressed 65-byte public key. Throws Error(InvalidKey) for a key outside [1, n-1].
Bytes secp256k1_public_key(ByteView private_key);

/// Ethereum address of an uncompressed 65-byte public key.
Bytes eth_address_from_public_key(ByteView public_key);

/// Ethereum address of a private key.
Bytes eth_address(ByteView private_key);

/// EIP-55 mixed-case checksummed "0x..." form of a 20-byte address.
std::string eth_address_checksummed(ByteView address);

/// Signs a 32-byte digest (RFC 6979 deterministic nonce). Returns r ‖ s ‖ v, s <= n/2, v in {27, 28}.
Bytes eth_sign_digest(ByteView private_key, ByteView digest);

/// Recovers the signer's address from a 32-byte digest and an r ‖ s ‖ v signature. v may be 27/28
/// or 0/1. Throws Error(InvalidSignature) on a malformed signature, high s, or failed recovery.
Bytes eth_recover_address(ByteView digest, ByteView signature);

}  // namespace anonify::crypto
