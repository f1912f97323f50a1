#include "anonify/mls/key_schedule.h"

#include <string>

#include "anonify/mls/crypto_suite.h"
#include "anonify/mls/mls_error.h"

namespace anonify::mls {

void GroupContext::encode(TlsWriter& w) const {
  w.u16(version);
  w.u16(cipher_suite);
  w.opaque(group_id);
  w.u64(epoch);
  w.opaque(tree_hash);
  w.opaque(confirmed_transcript_hash);
  encode_extensions(w, extensions);
}

GroupContext GroupContext::decode(TlsReader& r) {
  GroupContext c;
  c.version = r.u16();
  c.cipher_suite = r.u16();
  c.group_id = r.opaque();
  c.epoch = r.u64();
  c.tree_hash = r.opaque();
  c.confirmed_transcript_hash = r.opaque();
  c.extensions = decode_extensions(r);
  return c;
}

void require_supported(const GroupContext& context) {
  if (context.version != kProtocolVersionMls10 || context.cipher_suite != kCipherSuite) {
    fail(Reason::kUnsupported, "group version " + std::to_string(context.version) + " / cipher suite " +
                                   std::to_string(context.cipher_suite));
  }
}

namespace {

// Visits every secret in a fixed order (the sealed-state layout).
template <typename Secrets, typename Visit>
void for_each_secret(Secrets& s, Visit&& visit) {
  visit(s.joiner_secret);
  visit(s.welcome_secret);
  visit(s.sender_data_secret);
  visit(s.encryption_secret);
  visit(s.exporter_secret);
  visit(s.epoch_authenticator);
  visit(s.external_secret);
  visit(s.confirmation_key);
  visit(s.membership_key);
  visit(s.resumption_psk);
  visit(s.init_secret);
}

}  // namespace

void EpochSecrets::encode(TlsWriter& w) const {
  for_each_secret(*this, [&](const SecretBytes& secret) { w.opaque(secret.reveal()); });
}

EpochSecrets EpochSecrets::decode(TlsReader& r) {
  EpochSecrets out;
  for_each_secret(out, [&](SecretBytes& secret) { secret = SecretBytes(r.opaque()); });
  return out;
}

Bytes zero_secret() { return Bytes(kHashSize, 0); }

EpochSecrets derive_epoch_secrets_from_joiner(ByteView joiner_secret, ByteView psk_secret,
                                              const GroupContext& context) {
  EpochSecrets s;
  s.joiner_secret = SecretBytes(joiner_secret);
  const SecretBytes member_secret = kdf_extract(joiner_secret, psk_secret);
  s.welcome_secret = derive_secret(member_secret, "welcome");
  const SecretBytes epoch_secret = expand_with_label(member_secret, "epoch", context.to_bytes(), kHashSize);
  s.sender_data_secret = derive_secret(epoch_secret, "sender data");
  s.encryption_secret = derive_secret(epoch_secret, "encryption");
  s.exporter_secret = derive_secret(epoch_secret, "exporter");
  s.external_secret = derive_secret(epoch_secret, "external");
  s.confirmation_key = derive_secret(epoch_secret, "confirm");
  s.membership_key = derive_secret(epoch_secret, "membership");
  s.resumption_psk = derive_secret(epoch_secret, "resumption");
  s.epoch_authenticator = derive_secret(epoch_secret, "authentication");
  s.init_secret = derive_secret(epoch_secret, "init");
  return s;
}

EpochSecrets derive_epoch_secrets(ByteView init_secret, ByteView commit_secret, ByteView psk_secret,
                                  const GroupContext& context) {
  const SecretBytes pre_joiner = kdf_extract(init_secret, commit_secret);
  const SecretBytes joiner = expand_with_label(pre_joiner, "joiner", context.to_bytes(), kHashSize);
  return derive_epoch_secrets_from_joiner(joiner, psk_secret, context);
}

SecretBytes mls_export(ByteView exporter_secret, std::string_view label, ByteView context, size_t length) {
  const SecretBytes derived = derive_secret(exporter_secret, label);
  return expand_with_label(derived, "exported", hash(context), length);
}

Bytes external_public_key(ByteView external_secret) { return derive_hpke_key_pair(external_secret).public_key; }

Bytes confirmed_transcript_hash(ByteView interim_before, ByteView confirmed_input) {
  return hash(concat({interim_before, confirmed_input}));
}

Bytes interim_transcript_hash(ByteView confirmed, ByteView confirmation_tag_value) {
  TlsWriter w;
  w.raw(confirmed.data(), confirmed.size());
  w.opaque(confirmation_tag_value.to_bytes());
  return hash(w.bytes());
}

Bytes confirmation_tag(ByteView confirmation_key, ByteView confirmed) { return mac(confirmation_key, confirmed); }

}  // namespace anonify::mls
