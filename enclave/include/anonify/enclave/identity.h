// The enclave's long-term keys, created on first `init` and sealed:
//  - secp256k1 signing key: the enclave's Ethereum address (REPORTDATA[0..20]), signs everything
//    the contract accepts from this enclave;
//  - X25519 HPKE key: users encrypt commands to it;
//  - Ed25519 MLS signature key: the enclave's MLS leaf credential key.
#pragma once

#include "anonify/bytes.h"
#include "anonify/crypto/x25519.h"

namespace anonify::enclave {

/// Name of the sealed blob holding the identity.
constexpr const char* kIdentitySealName = "identity";

class Identity {
 public:
  static Identity generate();
  /// Parses the sealed form; throws Error(SealedDataCorrupt) on a bad length/version or invalid key.
  static Identity deserialize(ByteView sealed_form);
  /// version(1) ‖ secp256k1 key(32) ‖ X25519 key(32) ‖ Ed25519 seed(32). Secret.
  SecretBytes serialize() const;

  const Bytes& eth_address() const noexcept { return eth_address_; }
  const Bytes& secp256k1_public_key() const noexcept { return secp256k1_public_; }
  const Bytes& hpke_public_key() const noexcept { return hpke_public_; }
  const Bytes& mls_signature_public_key() const noexcept { return mls_public_; }
  const SecretBytes& secp256k1_private_key() const noexcept { return secp256k1_private_; }
  const SecretBytes& hpke_private_key() const noexcept { return hpke_private_; }
  /// The HPKE key prepared for Decap (imported once: every user message is opened with it).
  const crypto::X25519PrivateKey& hpke_key() const noexcept { return hpke_key_; }
  const SecretBytes& mls_signature_private_key() const noexcept { return mls_private_; }

  /// REPORTDATA = address(20) ‖ SHA-256(hpke public ‖ mls signature public)(32) ‖ zero(12).
  Bytes report_data() const;

 private:
  Identity(SecretBytes secp256k1, SecretBytes hpke, SecretBytes mls);

  SecretBytes secp256k1_private_;
  SecretBytes hpke_private_;
  SecretBytes mls_private_;
  Bytes secp256k1_public_;
  Bytes eth_address_;
  Bytes hpke_public_;
  Bytes mls_public_;
  crypto::X25519PrivateKey hpke_key_;
};

}  // namespace anonify::enclave
