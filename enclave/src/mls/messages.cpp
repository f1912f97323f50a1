#include "anonify/mls/messages.h"

#include <string>

#include "anonify/mls/mls_error.h"

namespace anonify::mls {
namespace {

constexpr uint8_t kProposalInline = 1;
constexpr uint8_t kProposalReference = 2;
constexpr size_t kX25519PublicKeySize = 32;

Bytes key_package_tbs(const KeyPackage& kp) {
  TlsWriter w;
  w.u16(kp.version);
  w.u16(kp.cipher_suite);
  w.opaque(kp.init_key);
  kp.leaf_node.encode(w);
  encode_extensions(w, kp.extensions);
  return w.take();
}

}  // namespace

void KeyPackage::encode(TlsWriter& w) const {
  w.raw(key_package_tbs(*this));
  w.opaque(signature);
}

KeyPackage KeyPackage::decode(TlsReader& r) {
  KeyPackage kp;
  kp.version = r.u16();
  kp.cipher_suite = r.u16();
  kp.init_key = r.opaque();
  kp.leaf_node = LeafNode::decode(r);
  kp.extensions = decode_extensions(r);
  kp.signature = r.opaque();
  return kp;
}

bool KeyPackage::verify() const {
  return verify_with_label(leaf_node.signature_key, "KeyPackageTBS", key_package_tbs(*this), signature);
}

void PreSharedKeyId::encode(TlsWriter& w) const {
  w.u8(psk_type);
  if (psk_type == kPskTypeExternal) {
    w.opaque(psk_id);
  } else {
    w.u8(usage);
    w.opaque(psk_group_id);
    w.u64(psk_epoch);
  }
  w.opaque(psk_nonce);
}

PreSharedKeyId PreSharedKeyId::decode(TlsReader& r) {
  PreSharedKeyId id;
  id.psk_type = r.u8();
  if (id.psk_type == kPskTypeExternal) {
    id.psk_id = r.opaque();
  } else if (id.psk_type == kPskTypeResumption) {
    id.usage = r.u8();
    id.psk_group_id = r.opaque();
    id.psk_epoch = r.u64();
  } else {
    fail(Reason::kMalformed, "psk type " + std::to_string(id.psk_type));
  }
  id.psk_nonce = r.opaque();
  return id;
}

void Proposal::encode(TlsWriter& w) const {
  w.u16(static_cast<uint16_t>(type()));
  if (const auto* add = std::get_if<AddProposal>(&body)) {
    add->key_package.encode(w);
  } else if (const auto* update = std::get_if<UpdateProposal>(&body)) {
    update->leaf_node.encode(w);
  } else if (const auto* remove = std::get_if<RemoveProposal>(&body)) {
    w.u32(remove->removed);
  } else if (const auto* psk = std::get_if<PreSharedKeyProposal>(&body)) {
    psk->psk.encode(w);
  } else if (const auto* reinit = std::get_if<ReInitProposal>(&body)) {
    w.opaque(reinit->group_id);
    w.u16(reinit->version);
    w.u16(reinit->cipher_suite);
    encode_extensions(w, reinit->extensions);
  } else if (const auto* ext_init = std::get_if<ExternalInitProposal>(&body)) {
    w.opaque(ext_init->kem_output);
  } else {
    encode_extensions(w, std::get<GroupContextExtensionsProposal>(body).extensions);
  }
}

Proposal Proposal::decode(TlsReader& r) {
  Proposal p;
  const uint16_t type = r.u16();
  switch (static_cast<ProposalType>(type)) {
    case ProposalType::kAdd:
      p.body = AddProposal{KeyPackage::decode(r)};
      break;
    case ProposalType::kUpdate:
      p.body = UpdateProposal{LeafNode::decode(r)};
      break;
    case ProposalType::kRemove:
      p.body = RemoveProposal{r.u32()};
      break;
    case ProposalType::kPreSharedKey:
      p.body = PreSharedKeyProposal{PreSharedKeyId::decode(r)};
      break;
    case ProposalType::kReInit: {
      ReInitProposal reinit;
      reinit.group_id = r.opaque();
      reinit.version = r.u16();
      reinit.cipher_suite = r.u16();
      reinit.extensions = decode_extensions(r);
      p.body = std::move(reinit);
      break;
    }
    case ProposalType::kExternalInit:
      p.body = ExternalInitProposal{r.opaque()};
      break;
    case ProposalType::kGroupContextExtensions:
      p.body = GroupContextExtensionsProposal{decode_extensions(r)};
      break;
    default:
      fail(Reason::kUnsupported, "proposal type " + std::to_string(type));
  }
  return p;
}

void ProposalOrRef::encode(TlsWriter& w) const {
  if (const auto* proposal = std::get_if<Proposal>(&value)) {
    w.u8(kProposalInline);
    proposal->encode(w);
  } else {
    w.u8(kProposalReference);
    w.opaque(std::get<Bytes>(value));
  }
}

ProposalOrRef ProposalOrRef::decode(TlsReader& r) {
  ProposalOrRef out;
  const uint8_t type = r.u8();
  if (type == kProposalInline) {
    out.value = Proposal::decode(r);
  } else if (type == kProposalReference) {
    out.value = r.opaque();
  } else {
    fail(Reason::kMalformed, "proposal-or-ref type " + std::to_string(type));
  }
  return out;
}

void Commit::encode(TlsWriter& w) const {
  w.vector([&](TlsWriter& inner) {
    for (const ProposalOrRef& p : proposals) p.encode(inner);
  });
  w.optional(path, [](TlsWriter& out, const UpdatePath& p) { p.encode(out); });
}

Commit Commit::decode(TlsReader& r) {
  Commit c;
  c.proposals = read_vector<ProposalOrRef>(r, [](TlsReader& in) { return ProposalOrRef::decode(in); });
  if (r.present()) c.path = UpdatePath::decode(r);
  return c;
}

Bytes GroupInfo::to_be_signed() const {
  TlsWriter w;
  group_context.encode(w);
  encode_extensions(w, extensions);
  w.opaque(confirmation_tag);
  w.u32(signer);
  return w.take();
}

void GroupInfo::encode(TlsWriter& w) const {
  w.raw(to_be_signed());
  w.opaque(signature);
}

GroupInfo GroupInfo::decode(TlsReader& r) {
  GroupInfo gi;
  gi.group_context = GroupContext::decode(r);
  gi.extensions = decode_extensions(r);
  gi.confirmation_tag = r.opaque();
  gi.signer = r.u32();
  gi.signature = r.opaque();
  return gi;
}

void GroupInfo::sign(ByteView signature_private_key) {
  signature = sign_with_label(signature_private_key, "GroupInfoTBS", to_be_signed());
}

bool GroupInfo::verify(ByteView signature_public_key) const {
  return verify_with_label(signature_public_key, "GroupInfoTBS", to_be_signed(), signature);
}

Bytes encode_external_pub(const Bytes& external_pub) {
  TlsWriter w;
  w.opaque(external_pub);
  return w.take();
}

Bytes decode_external_pub(const Bytes& extension_data) {
  // RFC 9420 prefixes the key with its length (33 bytes for X25519); ts-mls 1.6.4 writes the bare
  // 32-byte key. The two forms cannot be confused, so both are accepted.
  if (extension_data.size() == kX25519PublicKeySize) return extension_data;
  TlsReader r(extension_data);
  Bytes key = r.opaque();
  r.finish("external_pub extension");
  return key;
}

}  // namespace anonify::mls

namespace anonify::mls {

Bytes compute_psk_secret(const std::vector<PskInput>& psks) {
  Bytes secret = zero_secret();
  for (size_t i = 0; i < psks.size(); ++i) {
    TlsWriter label;
    psks[i].id.encode(label);
    label.u16(static_cast<uint16_t>(i));
    label.u16(static_cast<uint16_t>(psks.size()));
    const SecretBytes extracted = kdf_extract(zero_secret(), psks[i].psk);
    const SecretBytes input = expand_with_label(extracted, "derived psk", label.bytes(), kHashSize);
    secret = kdf_extract(input, secret).reveal();
  }
  return secret;
}

Bytes key_package_ref(const KeyPackage& key_package) {
  return ref_hash("MLS 1.0 KeyPackage Reference", tls_encode(key_package));
}

void Welcome::encode(TlsWriter& w) const {
  w.u16(cipher_suite);
  w.vector([&](TlsWriter& inner) {
    for (const EncryptedGroupSecrets& e : secrets) {
      inner.opaque(e.new_member);
      e.encrypted_group_secrets.encode(inner);
    }
  });
  w.opaque(encrypted_group_info);
}

Welcome Welcome::decode(TlsReader& r) {
  Welcome wl;
  wl.cipher_suite = r.u16();
  wl.secrets = read_vector<EncryptedGroupSecrets>(r, [](TlsReader& in) {
    EncryptedGroupSecrets e;
    e.new_member = in.opaque();
    e.encrypted_group_secrets = HpkeCiphertext::decode(in);
    return e;
  });
  wl.encrypted_group_info = r.opaque();
  return wl;
}

void GroupSecrets::encode(TlsWriter& w) const {
  w.opaque(joiner_secret.reveal());
  w.optional(path_secret, [](TlsWriter& out, const SecretBytes& secret) { out.opaque(secret.reveal()); });
  w.vector([&](TlsWriter& inner) {
    for (const PreSharedKeyId& id : psks) id.encode(inner);
  });
}

GroupSecrets GroupSecrets::decode(TlsReader& r) {
  GroupSecrets g;
  g.joiner_secret = SecretBytes(r.opaque());
  if (r.present()) g.path_secret = SecretBytes(r.opaque());
  g.psks = read_vector<PreSharedKeyId>(r, [](TlsReader& in) { return PreSharedKeyId::decode(in); });
  return g;
}

OpenedWelcome open_welcome(const Welcome& welcome, const KeyPackage& key_package, ByteView init_private_key,
                           const std::function<Bytes(const PreSharedKeyId&)>& find_psk) {
  if (welcome.cipher_suite != kCipherSuite) fail(Reason::kUnsupported, "welcome cipher suite");
  const Bytes ref = key_package_ref(key_package);
  const EncryptedGroupSecrets* mine = nullptr;
  for (const EncryptedGroupSecrets& e : welcome.secrets) {
    if (e.new_member == ref) mine = &e;
  }
  if (mine == nullptr) fail(Reason::kNotMember, "the Welcome has no entry for this KeyPackage");
  const SecretBytes plain =
      decrypt_with_label(init_private_key, "Welcome", welcome.encrypted_group_info, mine->encrypted_group_secrets);
  TlsReader r(plain.data(), plain.size());
  OpenedWelcome out{GroupSecrets::decode(r), {}, {}, {}};
  r.finish("group secrets");

  std::vector<PskInput> psks;
  for (const PreSharedKeyId& id : out.secrets.psks) psks.push_back(PskInput{id, find_psk(id)});
  out.psk_secret = compute_psk_secret(psks);

  const SecretBytes member_secret = kdf_extract(out.secrets.joiner_secret, out.psk_secret);
  const SecretBytes welcome_secret = derive_secret(member_secret, "welcome");
  const SecretBytes key = expand_with_label(welcome_secret, "key", ByteView(), kAeadKeySize);
  const SecretBytes nonce = expand_with_label(welcome_secret, "nonce", ByteView(), kAeadNonceSize);
  out.group_info = tls_decode<GroupInfo>(aead_open(key, nonce, ByteView(), welcome.encrypted_group_info), "group info");
  require_supported(out.group_info.group_context);

  out.epoch_secrets = derive_epoch_secrets_from_joiner(out.secrets.joiner_secret, out.psk_secret,
                                                       out.group_info.group_context);
  const Bytes tag = confirmation_tag(out.epoch_secrets.confirmation_key,
                                     out.group_info.group_context.confirmed_transcript_hash);
  if (!constant_time_equal(tag, out.group_info.confirmation_tag)) {
    fail(Reason::kBadConfirmationTag, "Welcome GroupInfo confirmation tag");
  }
  return out;
}

}  // namespace anonify::mls
