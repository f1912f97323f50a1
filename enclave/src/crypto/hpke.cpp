#include "anonify/crypto/hpke.h"

#include <limits>

#include "anonify/crypto/aead.h"
#include "anonify/crypto/hkdf.h"
#include "anonify/crypto/x25519.h"
#include "anonify/error.h"

namespace anonify::crypto::hpke {

namespace {

constexpr char kVersionLabel[] = "HPKE-v1";
constexpr size_t kNh = 32;       // HKDF-SHA256 output
constexpr size_t kNsecret = 32;  // DHKEM(X25519) shared secret
constexpr size_t kNn = 12;       // AEAD nonce

Bytes kem_suite_id() { return Bytes{'K', 'E', 'M', 0x00, 0x20}; }

Bytes hpke_suite_id(const Suite& suite) {
  Bytes id{'H', 'P', 'K', 'E'};
  append_u16_be(id, static_cast<uint16_t>(suite.kem));
  append_u16_be(id, static_cast<uint16_t>(suite.kdf));
  append_u16_be(id, static_cast<uint16_t>(suite.aead));
  return id;
}

// LabeledExtract(salt, label, ikm) = Extract(salt, "HPKE-v1" ‖ suite_id ‖ label ‖ ikm), the pieces
// read in place (the ikm is often secret: no joined copy of it to wipe).
SecretBytes labeled_extract(ByteView suite_id, ByteView salt, const char* label, ByteView ikm) {
  return hkdf_extract_concat(salt, {ByteView::from_string(kVersionLabel), suite_id, ByteView::from_string(label), ikm});
}

// LabeledExpand(prk, label, info, L) = Expand(prk, I2OSP(L, 2) ‖ "HPKE-v1" ‖ suite_id ‖ label ‖ info, L)
SecretBytes labeled_expand(ByteView suite_id, ByteView prk, const char* label, ByteView info, size_t length) {
  if (length > std::numeric_limits<uint16_t>::max()) throw Error(ErrorCode::kInvalidArgument, "HPKE: output too long");
  const uint8_t encoded_length[2] = {static_cast<uint8_t>(length >> 8), static_cast<uint8_t>(length)};
  return hkdf_expand_concat(prk,
                            {ByteView(encoded_length, 2), ByteView::from_string(kVersionLabel), suite_id,
                             ByteView::from_string(label), info},
                            length);
}

AeadAlgorithm aead_algorithm(Aead aead) {
  switch (aead) {
    case Aead::kAes128Gcm: return AeadAlgorithm::kAes128Gcm;
    case Aead::kChaCha20Poly1305: return AeadAlgorithm::kChaCha20Poly1305;
    case Aead::kExportOnly: break;
  }
  throw Error(ErrorCode::kUnsupported, "HPKE: export-only suite cannot seal or open");
}

size_t aead_key_length(Aead aead) { return aead == Aead::kExportOnly ? 0 : aead_key_size(aead_algorithm(aead)); }

void check_suite(const Suite& suite) { suite_from_ids(static_cast<uint16_t>(suite.kem), static_cast<uint16_t>(suite.kdf), static_cast<uint16_t>(suite.aead)); }

// DHKEM ExtractAndExpand(dh, kem_context).
SecretBytes extract_and_expand(ByteView dh, ByteView kem_context) {
  Bytes suite_id = kem_suite_id();
  SecretBytes eae_prk = labeled_extract(suite_id, {}, "eae_prk", dh);
  return labeled_expand(suite_id, eae_prk, "shared_secret", kem_context, kNsecret);
}

void verify_psk_inputs(Mode mode, const std::optional<Psk>& psk) {
  bool uses_psk = mode == Mode::kPsk || mode == Mode::kAuthPsk;
  if (uses_psk && (!psk || psk->key.empty() || psk->id.empty())) {
    throw Error(ErrorCode::kInvalidArgument, "HPKE: psk mode needs a non-empty psk and psk_id");
  }
  if (!uses_psk && psk) throw Error(ErrorCode::kInvalidArgument, "HPKE: psk given in a non-psk mode");
}

// KeySchedule<ROLE>(mode, shared_secret, info, psk, psk_id) (RFC 9180 §5.1).
Context key_schedule(const Suite& suite, Context::Role role, Mode mode, ByteView shared_secret, ByteView info,
                     const std::optional<Psk>& psk) {
  verify_psk_inputs(mode, psk);
  Bytes suite_id = hpke_suite_id(suite);
  ByteView psk_key = psk ? psk->key : ByteView();
  ByteView psk_id = psk ? psk->id : ByteView();
  SecretBytes psk_id_hash = labeled_extract(suite_id, {}, "psk_id_hash", psk_id);
  SecretBytes info_hash = labeled_extract(suite_id, {}, "info_hash", info);
  Bytes context{static_cast<uint8_t>(mode)};
  append(context, psk_id_hash);
  append(context, info_hash);
  SecretBytes secret = labeled_extract(suite_id, shared_secret, "secret", psk_key);

  SecretBytes key;
  Bytes base_nonce;
  if (suite.aead != Aead::kExportOnly) {
    key = labeled_expand(suite_id, secret, "key", context, aead_key_length(suite.aead));
    base_nonce = labeled_expand(suite_id, secret, "base_nonce", context, kNn).reveal();
  }
  SecretBytes exporter_secret = labeled_expand(suite_id, secret, "exp", context, kNh);
  return Context(suite, role, std::move(key), std::move(base_nonce), std::move(exporter_secret));
}

struct Encapsulation {
  SecretBytes shared_secret;
  Bytes enc;
};

// X25519PrivateKey computes each key's public half once (OpenSSL derives it on import), so a
// base-mode Encap costs two scalar multiplications (keygen, DH) and a Decap one (the DH).
Encapsulation encap(ByteView pk_r, const KeyPair* ephemeral, const SecretBytes* sender_private_key) {
  if (pk_r.size() != kX25519KeySize) throw Error(ErrorCode::kInvalidKey, "HPKE: recipient public key must be 32 bytes");
  const X25519PrivateKey sk_e = ephemeral == nullptr ? X25519PrivateKey::generate() : X25519PrivateKey(ephemeral->private_key);
  SecretBytes dh = sk_e.dh(pk_r);
  Bytes kem_context = concat({sk_e.public_key(), pk_r});
  if (sender_private_key != nullptr) {
    const X25519PrivateKey sk_s(*sender_private_key);
    dh = SecretBytes(concat({dh, sk_s.dh(pk_r)}));
    append(kem_context, sk_s.public_key());
  }
  return Encapsulation{extract_and_expand(dh, kem_context), sk_e.public_key()};
}

SecretBytes decap(ByteView enc, const X25519PrivateKey& sk_r, const Bytes* sender_public_key) {
  if (enc.size() != kEncSize) throw Error(ErrorCode::kInvalidKey, "HPKE: enc must be 32 bytes");
  SecretBytes dh = sk_r.dh(enc);
  Bytes kem_context = concat({enc, sk_r.public_key()});
  if (sender_public_key != nullptr) {
    SecretBytes dh_static = sk_r.dh(*sender_public_key);
    dh = SecretBytes(concat({dh, dh_static}));
    append(kem_context, *sender_public_key);
  }
  return extract_and_expand(dh, kem_context);
}

Mode mode_for(bool auth, const std::optional<Psk>& psk) {
  if (auth) return psk ? Mode::kAuthPsk : Mode::kAuth;
  return psk ? Mode::kPsk : Mode::kBase;
}

}  // namespace

Suite suite_from_ids(uint16_t kem_id, uint16_t kdf_id, uint16_t aead_id) {
  if (kem_id != static_cast<uint16_t>(Kem::kDhKemX25519HkdfSha256)) throw Error(ErrorCode::kUnsupported, "HPKE: unsupported KEM");
  if (kdf_id != static_cast<uint16_t>(Kdf::kHkdfSha256)) throw Error(ErrorCode::kUnsupported, "HPKE: unsupported KDF");
  switch (aead_id) {
    case static_cast<uint16_t>(Aead::kAes128Gcm):
    case static_cast<uint16_t>(Aead::kChaCha20Poly1305):
    case static_cast<uint16_t>(Aead::kExportOnly):
      return Suite{static_cast<Kem>(kem_id), static_cast<Kdf>(kdf_id), static_cast<Aead>(aead_id)};
    default:
      throw Error(ErrorCode::kUnsupported, "HPKE: unsupported AEAD");
  }
}

KeyPair generate_key_pair() {
  X25519KeyPair pair = x25519_generate();
  return KeyPair{std::move(pair.private_key), std::move(pair.public_key)};
}

KeyPair derive_key_pair(ByteView ikm) {
  if (ikm.size() < kNsecret) throw Error(ErrorCode::kInvalidArgument, "HPKE: DeriveKeyPair needs at least 32 bytes of ikm");
  Bytes suite_id = kem_suite_id();
  SecretBytes dkp_prk = labeled_extract(suite_id, {}, "dkp_prk", ikm);
  SecretBytes sk = labeled_expand(suite_id, dkp_prk, "sk", {}, kX25519KeySize);
  Bytes pk = x25519_public_key(sk);
  return KeyPair{std::move(sk), std::move(pk)};
}

Context::Context(Suite suite, Role role, SecretBytes key, Bytes base_nonce, SecretBytes exporter_secret)
    : suite_(suite), role_(role), key_(std::move(key)), base_nonce_(std::move(base_nonce)),
      exporter_secret_(std::move(exporter_secret)) {}

Bytes Context::current_nonce() const {
  // base_nonce XOR I2OSP(seq, Nn)
  Bytes nonce = base_nonce_;
  for (size_t i = 0; i < 8; ++i) nonce[kNn - 1 - i] ^= static_cast<uint8_t>(sequence_ >> (8 * i));
  return nonce;
}

void Context::increment_sequence() {
  // RFC 9180 limits seq to 2^(8*Nn) - 1; a uint64 counter reaches its own limit first.
  if (sequence_ == std::numeric_limits<uint64_t>::max()) {
    throw Error(ErrorCode::kMessageLimitReached, "HPKE: sequence number exhausted");
  }
  ++sequence_;
}

Bytes Context::seal(ByteView aad, ByteView plaintext) {
  if (role_ != Role::kSender) throw Error(ErrorCode::kInvalidState, "HPKE: only a sender context can seal");
  AeadAlgorithm algorithm = aead_algorithm(suite_.aead);
  if (sequence_ == std::numeric_limits<uint64_t>::max()) {
    throw Error(ErrorCode::kMessageLimitReached, "HPKE: sequence number exhausted");
  }
  Bytes ciphertext = aead_seal(algorithm, key_, current_nonce(), aad, plaintext);
  increment_sequence();
  return ciphertext;
}

Bytes Context::open(ByteView aad, ByteView ciphertext) {
  if (role_ != Role::kRecipient) throw Error(ErrorCode::kInvalidState, "HPKE: only a recipient context can open");
  AeadAlgorithm algorithm = aead_algorithm(suite_.aead);
  if (sequence_ == std::numeric_limits<uint64_t>::max()) {
    throw Error(ErrorCode::kMessageLimitReached, "HPKE: sequence number exhausted");
  }
  Bytes plaintext = aead_open(algorithm, key_, current_nonce(), aad, ciphertext);
  increment_sequence();
  return plaintext;
}

SecretBytes Context::export_secret(ByteView exporter_context, size_t length) const {
  if (length == 0 || length > 255 * kNh) throw Error(ErrorCode::kInvalidArgument, "HPKE: export length must be 1..8160");
  return labeled_expand(hpke_suite_id(suite_), exporter_secret_, "sec", exporter_context, length);
}

SenderSetup setup_sender(const Suite& suite, ByteView recipient_public_key, ByteView info,
                         const std::optional<Psk>& psk, const KeyPair* ephemeral) {
  check_suite(suite);
  Encapsulation e = encap(recipient_public_key, ephemeral, nullptr);
  Context ctx = key_schedule(suite, Context::Role::kSender, mode_for(false, psk), e.shared_secret, info, psk);
  return SenderSetup{std::move(e.enc), std::move(ctx)};
}

Context setup_recipient(const Suite& suite, ByteView enc, const X25519PrivateKey& recipient, ByteView info,
                        const std::optional<Psk>& psk) {
  check_suite(suite);
  SecretBytes shared = decap(enc, recipient, nullptr);
  return key_schedule(suite, Context::Role::kRecipient, mode_for(false, psk), shared, info, psk);
}

Context setup_recipient(const Suite& suite, ByteView enc, ByteView recipient_private_key, ByteView info,
                        const std::optional<Psk>& psk) {
  return setup_recipient(suite, enc, X25519PrivateKey(recipient_private_key), info, psk);
}

SenderSetup setup_auth_sender(const Suite& suite, ByteView recipient_public_key, ByteView info,
                              ByteView sender_private_key, const std::optional<Psk>& psk, const KeyPair* ephemeral) {
  check_suite(suite);
  SecretBytes sk_s(sender_private_key);
  Encapsulation e = encap(recipient_public_key, ephemeral, &sk_s);
  Context ctx = key_schedule(suite, Context::Role::kSender, mode_for(true, psk), e.shared_secret, info, psk);
  return SenderSetup{std::move(e.enc), std::move(ctx)};
}

Context setup_auth_recipient(const Suite& suite, ByteView enc, ByteView recipient_private_key, ByteView info,
                             ByteView sender_public_key, const std::optional<Psk>& psk) {
  check_suite(suite);
  if (sender_public_key.size() != kX25519KeySize) throw Error(ErrorCode::kInvalidKey, "HPKE: sender public key must be 32 bytes");
  Bytes pk_s = sender_public_key.to_bytes();
  SecretBytes shared = decap(enc, X25519PrivateKey(recipient_private_key), &pk_s);
  return key_schedule(suite, Context::Role::kRecipient, mode_for(true, psk), shared, info, psk);
}

Sealed seal(const Suite& suite, ByteView recipient_public_key, ByteView info, ByteView aad, ByteView plaintext,
            const std::optional<Psk>& psk) {
  SenderSetup setup = setup_sender(suite, recipient_public_key, info, psk);
  Bytes ciphertext = setup.context.seal(aad, plaintext);
  return Sealed{std::move(setup.enc), std::move(ciphertext)};
}

Bytes open(const Suite& suite, ByteView enc, const X25519PrivateKey& recipient, ByteView info, ByteView aad,
           ByteView ciphertext, const std::optional<Psk>& psk) {
  Context ctx = setup_recipient(suite, enc, recipient, info, psk);
  return ctx.open(aad, ciphertext);
}

Bytes open(const Suite& suite, ByteView enc, ByteView recipient_private_key, ByteView info, ByteView aad,
           ByteView ciphertext, const std::optional<Psk>& psk) {
  return open(suite, enc, X25519PrivateKey(recipient_private_key), info, aad, ciphertext, psk);
}

}  // namespace anonify::crypto::hpke
