#include "anonify/mls/crypto_suite.h"

#include <string>

#include "anonify/crypto/aead.h"
#include "anonify/crypto/ed25519.h"
#include "anonify/crypto/hash.h"
#include "anonify/crypto/hkdf.h"
#include "anonify/crypto/random.h"
#include "anonify/crypto/x25519.h"
#include "anonify/error.h"
#include "anonify/mls/mls_error.h"

namespace anonify::mls {
namespace {

constexpr std::string_view kLabelPrefix = "MLS 1.0 ";

Bytes prefixed_label(std::string_view label) {
  Bytes out(kLabelPrefix.begin(), kLabelPrefix.end());
  out.insert(out.end(), label.begin(), label.end());
  return out;
}

// {opaque label<V> = "MLS 1.0 " + label; opaque context<V>} shared by SignContent and EncryptContext.
Bytes labeled_content(std::string_view label, ByteView content) {
  TlsWriter w;
  w.opaque(prefixed_label(label));
  w.opaque(content.to_bytes());
  return w.take();
}

}  // namespace

Bytes hash(ByteView data) { return crypto::sha256(data); }

Bytes mac(ByteView key, ByteView data) { return crypto::hmac_sha256(key, data); }

SecretBytes kdf_extract(ByteView salt, ByteView ikm) { return crypto::hkdf_extract(salt, ikm); }

SecretBytes expand_with_label(ByteView secret, std::string_view label, ByteView context, size_t length) {
  TlsWriter info;
  info.u16(static_cast<uint16_t>(length));
  info.opaque(prefixed_label(label));
  info.opaque(context.to_bytes());
  return crypto::hkdf_expand(secret, info.bytes(), length);
}

SecretBytes derive_secret(ByteView secret, std::string_view label) {
  return expand_with_label(secret, label, ByteView(), kHashSize);
}

SecretBytes derive_tree_secret(ByteView secret, std::string_view label, uint32_t generation, size_t length) {
  TlsWriter context;
  context.u32(generation);
  return expand_with_label(secret, label, context.bytes(), length);
}

Bytes ref_hash(std::string_view label, ByteView value) {
  TlsWriter w;
  w.opaque(std::string(label));
  w.opaque(value.to_bytes());
  return hash(w.bytes());
}

Bytes sign_with_label(ByteView signature_private_key, std::string_view label, ByteView content) {
  return crypto::ed25519_sign(signature_private_key, labeled_content(label, content));
}

bool verify_with_label(ByteView signature_public_key, std::string_view label, ByteView content,
                       ByteView signature) {
  return crypto::ed25519_verify(signature_public_key, labeled_content(label, content), signature);
}

void HpkeCiphertext::encode(TlsWriter& w) const {
  w.opaque(kem_output);
  w.opaque(ciphertext);
}

HpkeCiphertext HpkeCiphertext::decode(TlsReader& r) {
  HpkeCiphertext c;
  c.kem_output = r.opaque();
  c.ciphertext = r.opaque();
  return c;
}

HpkeCiphertext encrypt_with_label(ByteView public_key, std::string_view label, ByteView context,
                                  ByteView plaintext, const crypto::hpke::KeyPair* ephemeral) {
  const Bytes info = labeled_content(label, context);
  crypto::hpke::SenderSetup setup =
      crypto::hpke::setup_sender(crypto::hpke::kDefaultSuite, public_key, info, std::nullopt, ephemeral);
  HpkeCiphertext out;
  out.ciphertext = setup.context.seal(ByteView(), plaintext);
  out.kem_output = std::move(setup.enc);
  return out;
}

SecretBytes decrypt_with_label(ByteView private_key, std::string_view label, ByteView context,
                               const HpkeCiphertext& ciphertext) {
  const Bytes info = labeled_content(label, context);
  try {
    return SecretBytes(crypto::hpke::open(crypto::hpke::kDefaultSuite, ciphertext.kem_output, private_key, info,
                                          ByteView(), ciphertext.ciphertext));
  } catch (const MlsError&) {
    throw;
  } catch (const Error& e) {
    fail(Reason::kDecryptionFailed, std::string("HPKE open: ") + e.what());
  }
}

crypto::hpke::KeyPair derive_hpke_key_pair(ByteView secret) { return crypto::hpke::derive_key_pair(secret); }

crypto::hpke::KeyPair generate_hpke_key_pair() { return crypto::hpke::generate_key_pair(); }

Bytes hpke_public_key(ByteView private_key) { return crypto::x25519_public_key(private_key); }

SignatureKeyPair generate_signature_key_pair() {
  crypto::Ed25519KeyPair pair = crypto::ed25519_generate();
  return SignatureKeyPair{std::move(pair.private_key), std::move(pair.public_key)};
}

Bytes signature_public_key(ByteView private_key) { return crypto::ed25519_public_key(private_key); }

Bytes aead_seal(ByteView key, ByteView nonce, ByteView aad, ByteView plaintext) {
  return crypto::aead_seal(crypto::AeadAlgorithm::kAes128Gcm, key, nonce, aad, plaintext);
}

Bytes aead_open(ByteView key, ByteView nonce, ByteView aad, ByteView ciphertext) {
  try {
    return crypto::aead_open(crypto::AeadAlgorithm::kAes128Gcm, key, nonce, aad, ciphertext);
  } catch (const Error& e) {
    fail(Reason::kDecryptionFailed, std::string("AEAD open: ") + e.what());
  }
}

SecretBytes random_secret(size_t length) { return crypto::random_secret(length); }

}  // namespace anonify::mls
