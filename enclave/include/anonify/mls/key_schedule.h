// GroupContext, the epoch key schedule and the transcript hashes (RFC 9420 sections 8 and 8.2).
#pragma once

#include <cstdint>

#include "anonify/mls/credential.h"
#include "anonify/mls/tls_codec.h"

namespace anonify::mls {

struct GroupContext {
  uint16_t version = 1;
  uint16_t cipher_suite = 1;
  Bytes group_id;
  uint64_t epoch = 0;
  Bytes tree_hash;
  Bytes confirmed_transcript_hash;
  ExtensionList extensions;

  void encode(TlsWriter& w) const;
  static GroupContext decode(TlsReader& r);
  Bytes to_bytes() const { return tls_encode(*this); }
  bool operator==(const GroupContext& o) const {
    return version == o.version && cipher_suite == o.cipher_suite && group_id == o.group_id && epoch == o.epoch &&
           tree_hash == o.tree_hash && confirmed_transcript_hash == o.confirmed_transcript_hash &&
           extensions == o.extensions;
  }
};

// Throws MlsError(kUnsupported) unless the group runs MLS 1.0 with ciphersuite 1. Decoding accepts
// any suite (the structures are suite-independent); joining checks this.
void require_supported(const GroupContext& context);

// The secrets of one epoch. `init_secret` is the one the *next* epoch starts from.
struct EpochSecrets {
  SecretBytes joiner_secret;
  SecretBytes welcome_secret;
  SecretBytes sender_data_secret;
  SecretBytes encryption_secret;
  SecretBytes exporter_secret;
  SecretBytes epoch_authenticator;
  SecretBytes external_secret;
  SecretBytes confirmation_key;
  SecretBytes membership_key;
  SecretBytes resumption_psk;
  SecretBytes init_secret;

  void encode(TlsWriter& w) const;
  static EpochSecrets decode(TlsReader& r);
};

// init_secret[n-1] + commit_secret -> joiner_secret -> (+ psk_secret) -> epoch secrets for `context`.
EpochSecrets derive_epoch_secrets(ByteView init_secret, ByteView commit_secret, ByteView psk_secret,
                                  const GroupContext& context);
// The same from a joiner secret (Welcome path).
EpochSecrets derive_epoch_secrets_from_joiner(ByteView joiner_secret, ByteView psk_secret,
                                              const GroupContext& context);
// An all-zero Nh vector: psk_secret without PSKs, commit_secret without a path.
Bytes zero_secret();

// MLS-Exporter(Label, Context, Length).
SecretBytes mls_export(ByteView exporter_secret, std::string_view label, ByteView context, size_t length);
// external_pub = KEM.DeriveKeyPair(external_secret).public.
Bytes external_public_key(ByteView external_secret);

// confirmed_transcript_hash[n] = Hash(interim[n-1] || ConfirmedTranscriptHashInput) where the input
// is wire_format || FramedContent || signature<V> (passed already encoded).
Bytes confirmed_transcript_hash(ByteView interim_before, ByteView confirmed_input);
// interim[n] = Hash(confirmed[n] || confirmation_tag<V>).
Bytes interim_transcript_hash(ByteView confirmed, ByteView confirmation_tag);
// confirmation_tag = MAC(confirmation_key, confirmed_transcript_hash).
Bytes confirmation_tag(ByteView confirmation_key, ByteView confirmed);

}  // namespace anonify::mls
