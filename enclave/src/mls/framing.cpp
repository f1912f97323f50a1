#include "anonify/mls/framing.h"

#include <string>

#include "anonify/mls/mls_error.h"

namespace anonify::mls {
namespace {

constexpr size_t kReuseGuardSize = 4;
constexpr const char* kFramedContentLabel = "FramedContentTBS";

bool sender_has_context(SenderType type) {
  return type == SenderType::kMember || type == SenderType::kNewMemberCommit;
}

Bytes membership_input(const AuthenticatedContent& content, const GroupContext& context) {
  TlsWriter w;
  w.raw(content.to_be_signed(&context));
  content.auth.encode(w, content.content.content_type());
  return w.take();
}

Bytes sender_data_aad(const Bytes& group_id, uint64_t epoch, ContentType type) {
  TlsWriter w;
  w.opaque(group_id);
  w.u64(epoch);
  w.u8(static_cast<uint8_t>(type));
  return w.take();
}

Bytes content_aad(const PrivateMessage& m) {
  TlsWriter w;
  w.opaque(m.group_id);
  w.u64(m.epoch);
  w.u8(static_cast<uint8_t>(m.content_type));
  w.opaque(m.authenticated_data);
  return w.take();
}

SecretBytes guarded_nonce(const SecretBytes& nonce, const Bytes& reuse_guard) {
  SecretBytes out = nonce;
  for (size_t i = 0; i < kReuseGuardSize; ++i) out[i] ^= reuse_guard[i];
  return out;
}

ContentKind kind_of(ContentType type) {
  return type == ContentType::kApplication ? ContentKind::kApplication : ContentKind::kHandshake;
}

ContentType read_content_type(TlsReader& r) {
  const uint8_t type = r.u8();
  if (type < 1 || type > 3) fail(Reason::kMalformed, "content type " + std::to_string(type));
  return static_cast<ContentType>(type);
}

}  // namespace

void Sender::encode(TlsWriter& w) const {
  w.u8(static_cast<uint8_t>(type));
  if (type == SenderType::kMember || type == SenderType::kExternal) w.u32(index);
}

Sender Sender::decode(TlsReader& r) {
  Sender s;
  const uint8_t type = r.u8();
  if (type < 1 || type > 4) fail(Reason::kMalformed, "sender type " + std::to_string(type));
  s.type = static_cast<SenderType>(type);
  if (s.type == SenderType::kMember || s.type == SenderType::kExternal) s.index = r.u32();
  return s;
}

void FramedContent::encode_body(TlsWriter& w) const {
  if (const auto* app = std::get_if<Bytes>(&body)) {
    w.opaque(*app);
  } else if (const auto* proposal = std::get_if<Proposal>(&body)) {
    proposal->encode(w);
  } else {
    std::get<Commit>(body).encode(w);
  }
}

void FramedContent::decode_body(TlsReader& r, ContentType type, FramedContent& out) {
  switch (type) {
    case ContentType::kApplication:
      out.body = r.opaque();
      break;
    case ContentType::kProposal:
      out.body = Proposal::decode(r);
      break;
    case ContentType::kCommit:
      out.body = Commit::decode(r);
      break;
  }
}

void FramedContent::encode(TlsWriter& w) const {
  w.opaque(group_id);
  w.u64(epoch);
  sender.encode(w);
  w.opaque(authenticated_data);
  w.u8(static_cast<uint8_t>(content_type()));
  encode_body(w);
}

FramedContent FramedContent::decode(TlsReader& r) {
  FramedContent c;
  c.group_id = r.opaque();
  c.epoch = r.u64();
  c.sender = Sender::decode(r);
  c.authenticated_data = r.opaque();
  decode_body(r, read_content_type(r), c);
  return c;
}

void FramedContentAuthData::encode(TlsWriter& w, ContentType type) const {
  w.opaque(signature);
  if (type == ContentType::kCommit) w.opaque(confirmation_tag);
}

FramedContentAuthData FramedContentAuthData::decode(TlsReader& r, ContentType type) {
  FramedContentAuthData a;
  a.signature = r.opaque();
  if (type == ContentType::kCommit) a.confirmation_tag = r.opaque();
  return a;
}

void AuthenticatedContent::encode(TlsWriter& w) const {
  w.u16(static_cast<uint16_t>(wire_format));
  content.encode(w);
  auth.encode(w, content.content_type());
}

AuthenticatedContent AuthenticatedContent::decode(TlsReader& r) {
  AuthenticatedContent a;
  const uint16_t wf = r.u16();
  if (wf != static_cast<uint16_t>(WireFormat::kPublicMessage) &&
      wf != static_cast<uint16_t>(WireFormat::kPrivateMessage)) {
    fail(Reason::kMalformed, "authenticated content wire format " + std::to_string(wf));
  }
  a.wire_format = static_cast<WireFormat>(wf);
  a.content = FramedContent::decode(r);
  a.auth = FramedContentAuthData::decode(r, a.content.content_type());
  return a;
}

Bytes AuthenticatedContent::to_be_signed(const GroupContext* context) const {
  TlsWriter w;
  w.u16(kProtocolVersionMls10);
  w.u16(static_cast<uint16_t>(wire_format));
  content.encode(w);
  if (sender_has_context(content.sender.type)) {
    if (context == nullptr) fail(Reason::kInternal, "FramedContentTBS needs the group context");
    context->encode(w);
  }
  return w.take();
}

void AuthenticatedContent::sign(ByteView signature_private_key, const GroupContext* context) {
  auth.signature = sign_with_label(signature_private_key, kFramedContentLabel, to_be_signed(context));
}

bool AuthenticatedContent::verify(ByteView signature_public_key, const GroupContext* context) const {
  return verify_with_label(signature_public_key, kFramedContentLabel, to_be_signed(context), auth.signature);
}

Bytes AuthenticatedContent::confirmed_transcript_input() const {
  TlsWriter w;
  w.u16(static_cast<uint16_t>(wire_format));
  content.encode(w);
  w.opaque(auth.signature);
  return w.take();
}

void PublicMessage::encode(TlsWriter& w) const {
  content.encode(w);
  auth.encode(w, content.content_type());
  if (content.sender.type == SenderType::kMember) w.opaque(membership_tag);
}

PublicMessage PublicMessage::decode(TlsReader& r) {
  PublicMessage m;
  m.content = FramedContent::decode(r);
  m.auth = FramedContentAuthData::decode(r, m.content.content_type());
  if (m.content.sender.type == SenderType::kMember) m.membership_tag = r.opaque();
  return m;
}

void PrivateMessage::encode(TlsWriter& w) const {
  w.opaque(group_id);
  w.u64(epoch);
  w.u8(static_cast<uint8_t>(content_type));
  w.opaque(authenticated_data);
  w.opaque(encrypted_sender_data);
  w.opaque(ciphertext);
}

PrivateMessage PrivateMessage::decode(TlsReader& r) {
  PrivateMessage m;
  m.group_id = r.opaque();
  m.epoch = r.u64();
  m.content_type = read_content_type(r);
  m.authenticated_data = r.opaque();
  m.encrypted_sender_data = r.opaque();
  m.ciphertext = r.opaque();
  return m;
}

WireFormat MlsMessage::wire_format() const {
  return static_cast<WireFormat>(body.index() + 1);
}

void MlsMessage::encode(TlsWriter& w) const {
  w.u16(kProtocolVersionMls10);
  w.u16(static_cast<uint16_t>(wire_format()));
  std::visit([&](const auto& m) { m.encode(w); }, body);
}

MlsMessage MlsMessage::decode(TlsReader& r) {
  MlsMessage m;
  const uint16_t version = r.u16();
  if (version != kProtocolVersionMls10) fail(Reason::kUnsupported, "protocol version " + std::to_string(version));
  const uint16_t wf = r.u16();
  switch (static_cast<WireFormat>(wf)) {
    case WireFormat::kPublicMessage:
      m.body = PublicMessage::decode(r);
      break;
    case WireFormat::kPrivateMessage:
      m.body = PrivateMessage::decode(r);
      break;
    case WireFormat::kWelcome:
      m.body = Welcome::decode(r);
      break;
    case WireFormat::kGroupInfo:
      m.body = GroupInfo::decode(r);
      break;
    case WireFormat::kKeyPackage:
      m.body = KeyPackage::decode(r);
      break;
    default:
      fail(Reason::kUnsupported, "wire format " + std::to_string(wf));
  }
  return m;
}

PublicMessage protect_public(const AuthenticatedContent& content, ByteView membership_key,
                             const GroupContext& context) {
  if (content.content.content_type() == ContentType::kApplication) {
    fail(Reason::kInvalidProposal, "application data must be sent as a PrivateMessage");
  }
  if (content.wire_format != WireFormat::kPublicMessage) fail(Reason::kInternal, "content framed for another wire format");
  PublicMessage m;
  m.content = content.content;
  m.auth = content.auth;
  if (content.content.sender.type == SenderType::kMember) {
    m.membership_tag = mac(membership_key, membership_input(content, context));
  }
  return m;
}

AuthenticatedContent unprotect_public(const PublicMessage& message, ByteView membership_key,
                                      const GroupContext& context) {
  AuthenticatedContent content;
  content.wire_format = WireFormat::kPublicMessage;
  content.content = message.content;
  content.auth = message.auth;
  if (content.content.content_type() == ContentType::kApplication) {
    fail(Reason::kMalformed, "application data in a PublicMessage");
  }
  if (message.content.sender.type == SenderType::kMember) {
    const Bytes expected = mac(membership_key, membership_input(content, context));
    if (!constant_time_equal(expected, message.membership_tag)) {
      fail(Reason::kBadMembershipTag, "membership tag does not verify");
    }
  }
  return content;
}

PrivateMessage protect_private(const AuthenticatedContent& content, SecretTree& secrets,
                               ByteView sender_data_secret, size_t padding) {
  if (content.content.sender.type != SenderType::kMember) fail(Reason::kInternal, "PrivateMessage from a non-member");
  if (content.wire_format != WireFormat::kPrivateMessage) fail(Reason::kInternal, "content framed for another wire format");
  const ContentType type = content.content.content_type();
  PrivateMessage m;
  m.group_id = content.content.group_id;
  m.epoch = content.content.epoch;
  m.content_type = type;
  m.authenticated_data = content.content.authenticated_data;

  TlsWriter plaintext;
  content.content.encode_body(plaintext);
  content.auth.encode(plaintext, type);
  plaintext.raw(Bytes(padding, 0));

  const LeafIndex sender = content.content.sender.index;
  const KeyAndNonce kn = secrets.next(sender, kind_of(type));
  const Bytes reuse_guard = random_secret(kReuseGuardSize).reveal();
  m.ciphertext = aead_seal(kn.key, guarded_nonce(kn.nonce, reuse_guard), content_aad(m), plaintext.bytes());

  TlsWriter sender_data;
  sender_data.u32(sender);
  sender_data.u32(kn.generation);
  sender_data.raw(reuse_guard);
  m.encrypted_sender_data = aead_seal(sender_data_key(sender_data_secret, m.ciphertext),
                                      sender_data_nonce(sender_data_secret, m.ciphertext),
                                      sender_data_aad(m.group_id, m.epoch, type), sender_data.bytes());
  return m;
}

AuthenticatedContent unprotect_private(const PrivateMessage& m, SecretTree& secrets, ByteView sender_data_secret) {
  const Bytes sender_data =
      aead_open(sender_data_key(sender_data_secret, m.ciphertext), sender_data_nonce(sender_data_secret, m.ciphertext),
                sender_data_aad(m.group_id, m.epoch, m.content_type), m.encrypted_sender_data);
  TlsReader sd(sender_data);
  const LeafIndex sender = sd.u32();
  const uint32_t generation = sd.u32();
  const Bytes reuse_guard = sd.raw(kReuseGuardSize);
  sd.finish("sender data");

  const KeyAndNonce kn = secrets.get(sender, kind_of(m.content_type), generation);
  const Bytes plaintext = aead_open(kn.key, guarded_nonce(kn.nonce, reuse_guard), content_aad(m), m.ciphertext);

  AuthenticatedContent out;
  out.wire_format = WireFormat::kPrivateMessage;
  out.content.group_id = m.group_id;
  out.content.epoch = m.epoch;
  out.content.sender = Sender{SenderType::kMember, sender};
  out.content.authenticated_data = m.authenticated_data;
  TlsReader r(plaintext);
  FramedContent::decode_body(r, m.content_type, out.content);
  out.auth = FramedContentAuthData::decode(r, m.content_type);
  while (!r.empty()) {
    if (r.u8() != 0) fail(Reason::kMalformed, "non-zero padding in PrivateMessage");
  }
  return out;
}

}  // namespace anonify::mls
