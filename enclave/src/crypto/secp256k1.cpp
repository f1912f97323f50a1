#include "anonify/crypto/secp256k1.h"

#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <openssl/crypto.h>

#include <memory>

#include "anonify/crypto/keccak.h"
#include "anonify/crypto/random.h"
#include "anonify/error.h"

namespace anonify::crypto {

namespace {

constexpr uint8_t kEthRecoveryOffset = 27;

struct ContextFree {
  void operator()(secp256k1_context* ctx) const noexcept { secp256k1_context_destroy(ctx); }
};

// One randomized (blinded against side channels) context shared by the process; libsecp256k1
// contexts are safe to use concurrently once created.
const secp256k1_context* context() {
  static const std::unique_ptr<secp256k1_context, ContextFree> ctx = [] {
    std::unique_ptr<secp256k1_context, ContextFree> c(secp256k1_context_create(SECP256K1_CONTEXT_NONE));
    if (!c) throw Error(ErrorCode::kCryptoFailure, "secp256k1_context_create failed");
    SecretBytes seed = random_secret(32);
    if (secp256k1_context_randomize(c.get(), seed.data()) != 1) {
      throw Error(ErrorCode::kCryptoFailure, "secp256k1_context_randomize failed");
    }
    return c;
  }();
  return ctx.get();
}

void check_private_key(ByteView private_key) {
  if (private_key.size() != kSecp256k1PrivateKeySize ||
      secp256k1_ec_seckey_verify(context(), private_key.data()) != 1) {
    throw Error(ErrorCode::kInvalidKey, "secp256k1 private key must be 32 bytes in [1, n-1]");
  }
}

Bytes serialize_uncompressed(const secp256k1_pubkey& pubkey) {
  Bytes out(kSecp256k1PublicKeySize);
  size_t len = out.size();
  if (secp256k1_ec_pubkey_serialize(context(), out.data(), &len, &pubkey, SECP256K1_EC_UNCOMPRESSED) != 1 ||
      len != kSecp256k1PublicKeySize) {
    throw Error(ErrorCode::kCryptoFailure, "secp256k1_ec_pubkey_serialize failed");
  }
  return out;
}

}  // namespace

SecretBytes secp256k1_generate_private_key() {
  // Rejection sampling: a uniform 32-byte string is outside [1, n-1] with probability ~2^-128.
  for (;;) {
    SecretBytes key = random_secret(kSecp256k1PrivateKeySize);
    if (secp256k1_ec_seckey_verify(context(), key.data()) == 1) return key;
  }
}

Bytes secp256k1_public_key(ByteView private_key) {
  check_private_key(private_key);
  secp256k1_pubkey pubkey;
  if (secp256k1_ec_pubkey_create(context(), &pubkey, private_key.data()) != 1) {
    throw Error(ErrorCode::kCryptoFailure, "secp256k1_ec_pubkey_create failed");
  }
  return serialize_uncompressed(pubkey);
}

Bytes eth_address_from_public_key(ByteView public_key) {
  if (public_key.size() != kSecp256k1PublicKeySize || public_key[0] != 0x04) {
    throw Error(ErrorCode::kInvalidKey, "expected a 65-byte uncompressed secp256k1 public key");
  }
  Bytes hash = keccak256(public_key.subview(1, kSecp256k1PublicKeySize - 1));
  return Bytes(hash.end() - kEthAddressSize, hash.end());
}

Bytes eth_address(ByteView private_key) { return eth_address_from_public_key(secp256k1_public_key(private_key)); }

std::string eth_address_checksummed(ByteView address) {
  if (address.size() != kEthAddressSize) throw Error(ErrorCode::kInvalidArgument, "an address is 20 bytes");
  std::string hex = to_hex(address);
  Bytes hash = keccak256(ByteView::from_string(hex));
  for (size_t i = 0; i < hex.size(); ++i) {
    uint8_t nibble = (i % 2 == 0) ? (hash[i / 2] >> 4) : (hash[i / 2] & 0x0F);
    if (hex[i] >= 'a' && nibble >= 8) hex[i] = static_cast<char>(hex[i] - 'a' + 'A');
  }
  return "0x" + hex;
}

Bytes eth_sign_digest(ByteView private_key, ByteView digest) {
  check_private_key(private_key);
  if (digest.size() != 32) throw Error(ErrorCode::kInvalidArgument, "the signed digest must be 32 bytes");
  secp256k1_ecdsa_recoverable_signature signature;
  // Default nonce function: RFC 6979. libsecp256k1 always produces low-s signatures.
  if (secp256k1_ecdsa_sign_recoverable(context(), &signature, digest.data(), private_key.data(), nullptr, nullptr) != 1) {
    throw Error(ErrorCode::kCryptoFailure, "secp256k1_ecdsa_sign_recoverable failed");
  }
  Bytes out(kEthSignatureSize);
  int recovery_id = -1;
  if (secp256k1_ecdsa_recoverable_signature_serialize_compact(context(), out.data(), &recovery_id, &signature) != 1 ||
      recovery_id < 0 || recovery_id > 1) {
    throw Error(ErrorCode::kCryptoFailure, "secp256k1 signature serialization failed");
  }
  out[64] = static_cast<uint8_t>(kEthRecoveryOffset + recovery_id);
  return out;
}

Bytes eth_recover_address(ByteView digest, ByteView signature) {
  if (digest.size() != 32) throw Error(ErrorCode::kInvalidArgument, "the signed digest must be 32 bytes");
  if (signature.size() != kEthSignatureSize) throw Error(ErrorCode::kInvalidSignature, "signature must be 65 bytes");
  uint8_t v = signature[64];
  int recovery_id = v >= kEthRecoveryOffset ? v - kEthRecoveryOffset : v;
  if (recovery_id != 0 && recovery_id != 1) throw Error(ErrorCode::kInvalidSignature, "signature v must be 27 or 28");
  secp256k1_ecdsa_recoverable_signature recoverable;
  if (secp256k1_ecdsa_recoverable_signature_parse_compact(context(), &recoverable, signature.data(), recovery_id) != 1) {
    throw Error(ErrorCode::kInvalidSignature, "signature r or s out of range");
  }
  // Ethereum (EIP-2, OpenZeppelin ECDSA) accepts only low-s; normalize() returns 1 if s was high.
  secp256k1_ecdsa_signature plain;
  if (secp256k1_ecdsa_recoverable_signature_convert(context(), &plain, &recoverable) != 1) {
    throw Error(ErrorCode::kInvalidSignature, "signature conversion failed");
  }
  if (secp256k1_ecdsa_signature_normalize(context(), nullptr, &plain) == 1) {
    throw Error(ErrorCode::kInvalidSignature, "signature has a high s value");
  }
  secp256k1_pubkey pubkey;
  if (secp256k1_ecdsa_recover(context(), &pubkey, &recoverable, digest.data()) != 1) {
    throw Error(ErrorCode::kInvalidSignature, "signature does not recover to a public key");
  }
  return eth_address_from_public_key(serialize_uncompressed(pubkey));
}

}  // namespace anonify::crypto
