// The primitives of MLS ciphersuite 1 (MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519) and the labeled
// constructions of RFC 9420 section 5 built on them. Everything calls the enclave crypto layer
// (anonify/crypto/*); nothing here implements a primitive.
#pragma once

#include <cstdint>
#include <string_view>

#include "anonify/bytes.h"
#include "anonify/crypto/hpke.h"
#include "anonify/mls/tls_codec.h"

namespace anonify::mls {

constexpr uint16_t kProtocolVersionMls10 = 1;
constexpr uint16_t kCipherSuite = 1;  // MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519
constexpr size_t kHashSize = 32;      // KDF.Nh and the MAC length
constexpr size_t kAeadKeySize = 16;   // AEAD.Nk
constexpr size_t kAeadNonceSize = 12; // AEAD.Nn

Bytes hash(ByteView data);
// MAC(key, data) = HMAC-SHA256.
Bytes mac(ByteView key, ByteView data);
SecretBytes kdf_extract(ByteView salt, ByteView ikm);

// ExpandWithLabel(Secret, Label, Context, Length), label prefixed with "MLS 1.0 ".
SecretBytes expand_with_label(ByteView secret, std::string_view label, ByteView context, size_t length);
// DeriveSecret(Secret, Label) = ExpandWithLabel(Secret, Label, "", Nh).
SecretBytes derive_secret(ByteView secret, std::string_view label);
// DeriveTreeSecret(Secret, Label, Generation, Length): the context is the uint32 generation.
SecretBytes derive_tree_secret(ByteView secret, std::string_view label, uint32_t generation, size_t length);
// RefHash(Label, Value) = Hash(RefHashInput) with the label used as given.
Bytes ref_hash(std::string_view label, ByteView value);

// SignWithLabel / VerifyWithLabel over SignContent {label = "MLS 1.0 " + Label, content} (Ed25519).
Bytes sign_with_label(ByteView signature_private_key, std::string_view label, ByteView content);
bool verify_with_label(ByteView signature_public_key, std::string_view label, ByteView content,
                       ByteView signature);

struct HpkeCiphertext {
  Bytes kem_output;
  Bytes ciphertext;

  void encode(TlsWriter& w) const;
  static HpkeCiphertext decode(TlsReader& r);
};

// EncryptWithLabel: HPKE SealBase with info = EncryptContext {label, context} and empty aad.
// `ephemeral` pins the ephemeral key (deterministic tests only).
HpkeCiphertext encrypt_with_label(ByteView public_key, std::string_view label, ByteView context,
                                  ByteView plaintext, const crypto::hpke::KeyPair* ephemeral = nullptr);
// DecryptWithLabel; throws MlsError(kDecryptionFailed) when HPKE refuses the ciphertext.
SecretBytes decrypt_with_label(ByteView private_key, std::string_view label, ByteView context,
                               const HpkeCiphertext& ciphertext);

// KEM.DeriveKeyPair(secret) for node keys and the external key.
crypto::hpke::KeyPair derive_hpke_key_pair(ByteView secret);
crypto::hpke::KeyPair generate_hpke_key_pair();
// Public key of an X25519 private key (checks private state against the tree).
Bytes hpke_public_key(ByteView private_key);

// Ed25519 signature keys.
struct SignatureKeyPair {
  SecretBytes private_key;
  Bytes public_key;
};
SignatureKeyPair generate_signature_key_pair();
Bytes signature_public_key(ByteView private_key);

// AES-128-GCM for PrivateMessage; open throws MlsError(kDecryptionFailed).
Bytes aead_seal(ByteView key, ByteView nonce, ByteView aad, ByteView plaintext);
Bytes aead_open(ByteView key, ByteView nonce, ByteView aad, ByteView ciphertext);

// Secret random bytes (init secrets, path secrets, reuse guards).
SecretBytes random_secret(size_t length);

}  // namespace anonify::mls
