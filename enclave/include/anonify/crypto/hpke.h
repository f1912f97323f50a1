// HPKE (RFC 9180) on OpenSSL primitives: KEM DHKEM(X25519, HKDF-SHA256), KDF HKDF-SHA256, AEADs
// AES-128-GCM, ChaCha20-Poly1305 and export-only; modes base and psk; single-shot and context
// APIs with sequence numbers; secret export. Modes auth and auth_psk are implemented too, so every
// RFC 9180 vector for these suites is checked.
#pragma once

#include <cstdint>
#include <optional>

#include "anonify/bytes.h"
#include "anonify/crypto/x25519.h"

namespace anonify::crypto::hpke {

enum class Kem : uint16_t { kDhKemX25519HkdfSha256 = 0x0020 };
enum class Kdf : uint16_t { kHkdfSha256 = 0x0001 };
enum class Aead : uint16_t { kAes128Gcm = 0x0001, kChaCha20Poly1305 = 0x0003, kExportOnly = 0xFFFF };
enum class Mode : uint8_t { kBase = 0x00, kPsk = 0x01, kAuth = 0x02, kAuthPsk = 0x03 };

struct Suite {
  Kem kem = Kem::kDhKemX25519HkdfSha256;
  Kdf kdf = Kdf::kHkdfSha256;
  Aead aead = Aead::kAes128Gcm;
};

/// The suite MLS ciphersuite 1 and the Anonify client use: X25519 / HKDF-SHA256 / AES-128-GCM.
constexpr Suite kDefaultSuite{};

/// Throws Error(Unsupported) unless the (kem, kdf, aead) ids name a suite implemented here.
Suite suite_from_ids(uint16_t kem_id, uint16_t kdf_id, uint16_t aead_id);

constexpr size_t kEncSize = 32;  ///< Nenc for DHKEM(X25519)

struct KeyPair {
  SecretBytes private_key;  ///< 32 bytes
  Bytes public_key;         ///< 32 bytes (= enc size)
};

/// Fresh recipient / ephemeral key pair.
KeyPair generate_key_pair();
/// DeriveKeyPair(ikm) (RFC 9180 §7.1.3); ikm must be at least 32 bytes.
KeyPair derive_key_pair(ByteView ikm);

/// Pre-shared key for mode psk. Both must be non-empty (RFC 9180 VerifyPSKInputs).
struct Psk {
  ByteView key;
  ByteView id;
};

/// An encryption context (RFC 9180 §5.2). The sender side seals, the recipient side opens; both can
/// export. The sequence number advances after each successful seal/open; a failed open leaves it
/// unchanged. Holds secrets: wiped on destruction, move-only.
class Context {
 public:
  enum class Role { kSender, kRecipient };

  Context(Suite suite, Role role, SecretBytes key, Bytes base_nonce, SecretBytes exporter_secret);
  Context(Context&&) noexcept = default;
  Context& operator=(Context&&) noexcept = default;
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  /// Sender only. Throws Error(InvalidState) on a recipient context, Error(Unsupported) for
  /// export-only suites, Error(MessageLimitReached) when the sequence number is exhausted.
  Bytes seal(ByteView aad, ByteView plaintext);
  /// Recipient only. Throws Error(AuthenticationFailed) on a bad ciphertext (sequence unchanged).
  Bytes open(ByteView aad, ByteView ciphertext);
  /// Secret export (§5.3): LabeledExpand(exporter_secret, "sec", exporter_context, length).
  SecretBytes export_secret(ByteView exporter_context, size_t length) const;

  uint64_t sequence_number() const noexcept { return sequence_; }
  const Suite& suite() const noexcept { return suite_; }

 private:
  Bytes current_nonce() const;
  void increment_sequence();

  Suite suite_;
  Role role_;
  SecretBytes key_;
  Bytes base_nonce_;
  SecretBytes exporter_secret_;
  uint64_t sequence_ = 0;
};

struct SenderSetup {
  Bytes enc;        ///< encapsulated key to send to the recipient
  Context context;  ///< sender context
};

/// SetupBaseS / SetupPSKS (psk given). `ephemeral` fixes the ephemeral key pair (test vectors and
/// deterministic tests); normally omitted so a fresh one is generated.
SenderSetup setup_sender(const Suite& suite, ByteView recipient_public_key, ByteView info,
                         const std::optional<Psk>& psk = std::nullopt, const KeyPair* ephemeral = nullptr);

/// SetupBaseR / SetupPSKR (psk given). Throws Error(InvalidKey) on a malformed enc or key.
Context setup_recipient(const Suite& suite, ByteView enc, ByteView recipient_private_key, ByteView info,
                        const std::optional<Psk>& psk = std::nullopt);
/// The same with a prepared key (a long-lived recipient key is imported once, not per message).
Context setup_recipient(const Suite& suite, ByteView enc, const X25519PrivateKey& recipient, ByteView info,
                        const std::optional<Psk>& psk = std::nullopt);

/// SetupAuthS / SetupAuthPSKS: the sender also authenticates with its static KEM private key.
SenderSetup setup_auth_sender(const Suite& suite, ByteView recipient_public_key, ByteView info,
                              ByteView sender_private_key, const std::optional<Psk>& psk = std::nullopt,
                              const KeyPair* ephemeral = nullptr);

/// SetupAuthR / SetupAuthPSKR: checks the sender's static public key.
Context setup_auth_recipient(const Suite& suite, ByteView enc, ByteView recipient_private_key, ByteView info,
                             ByteView sender_public_key, const std::optional<Psk>& psk = std::nullopt);

struct Sealed {
  Bytes enc;
  Bytes ciphertext;
};

/// Single-shot Seal<MODE> (§6.1): setup_sender + one seal.
Sealed seal(const Suite& suite, ByteView recipient_public_key, ByteView info, ByteView aad, ByteView plaintext,
            const std::optional<Psk>& psk = std::nullopt);
/// Single-shot Open<MODE> (§6.1): setup_recipient + one open.
Bytes open(const Suite& suite, ByteView enc, ByteView recipient_private_key, ByteView info, ByteView aad,
           ByteView ciphertext, const std::optional<Psk>& psk = std::nullopt);
Bytes open(const Suite& suite, ByteView enc, const X25519PrivateKey& recipient, ByteView info, ByteView aad,
           ByteView ciphertext, const std::optional<Psk>& psk = std::nullopt);

}  // namespace anonify::crypto::hpke
