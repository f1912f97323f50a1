// Message framing (RFC 9420 section 6): FramedContent, its signature and confirmation tag,
// PublicMessage with the membership tag, PrivateMessage with sender-data encryption, and the
// MLSMessage envelope.
#pragma once

#include <functional>
#include <optional>
#include <variant>

#include "anonify/mls/messages.h"
#include "anonify/mls/secret_tree.h"

namespace anonify::mls {

enum class WireFormat : uint16_t {
  kPublicMessage = 1,
  kPrivateMessage = 2,
  kWelcome = 3,
  kGroupInfo = 4,
  kKeyPackage = 5,
};

enum class ContentType : uint8_t { kApplication = 1, kProposal = 2, kCommit = 3 };

enum class SenderType : uint8_t { kMember = 1, kExternal = 2, kNewMemberProposal = 3, kNewMemberCommit = 4 };

struct Sender {
  SenderType type = SenderType::kMember;
  uint32_t index = 0;  // leaf index (member) or external sender index

  void encode(TlsWriter& w) const;
  static Sender decode(TlsReader& r);
};

struct FramedContent {
  Bytes group_id;
  uint64_t epoch = 0;
  Sender sender;
  Bytes authenticated_data;
  std::variant<Bytes, Proposal, Commit> body;  // application_data, proposal, commit

  ContentType content_type() const { return static_cast<ContentType>(body.index() + 1); }
  void encode(TlsWriter& w) const;
  static FramedContent decode(TlsReader& r);
  void encode_body(TlsWriter& w) const;
  static void decode_body(TlsReader& r, ContentType type, FramedContent& out);
};

struct FramedContentAuthData {
  Bytes signature;
  Bytes confirmation_tag;  // commits only

  void encode(TlsWriter& w, ContentType type) const;
  static FramedContentAuthData decode(TlsReader& r, ContentType type);
};

struct AuthenticatedContent {
  WireFormat wire_format = WireFormat::kPublicMessage;
  FramedContent content;
  FramedContentAuthData auth;

  void encode(TlsWriter& w) const;
  static AuthenticatedContent decode(TlsReader& r);

  // FramedContentTBS; `context` is required for member and new_member_commit senders.
  Bytes to_be_signed(const GroupContext* context) const;
  void sign(ByteView signature_private_key, const GroupContext* context);
  bool verify(ByteView signature_public_key, const GroupContext* context) const;
  // ConfirmedTranscriptHashInput: wire_format || content || signature<V>.
  Bytes confirmed_transcript_input() const;
};

struct PublicMessage {
  FramedContent content;
  FramedContentAuthData auth;
  Bytes membership_tag;  // member senders only

  void encode(TlsWriter& w) const;
  static PublicMessage decode(TlsReader& r);
};

struct PrivateMessage {
  Bytes group_id;
  uint64_t epoch = 0;
  ContentType content_type = ContentType::kApplication;
  Bytes authenticated_data;
  Bytes encrypted_sender_data;
  Bytes ciphertext;

  void encode(TlsWriter& w) const;
  static PrivateMessage decode(TlsReader& r);
};

struct MlsMessage {
  std::variant<PublicMessage, PrivateMessage, Welcome, GroupInfo, KeyPackage> body;  // wire format = index + 1

  WireFormat wire_format() const;
  void encode(TlsWriter& w) const;
  static MlsMessage decode(TlsReader& r);
  static MlsMessage from_bytes(const Bytes& data) { return tls_decode<MlsMessage>(data, "MLSMessage"); }
  Bytes to_bytes() const { return tls_encode(*this); }
};

// PublicMessage protection (section 6.2). Application data may not travel as a PublicMessage.
PublicMessage protect_public(const AuthenticatedContent& content, ByteView membership_key,
                             const GroupContext& context);
// Checks the membership tag (member senders) and returns the content; the caller verifies the
// signature with the sender's key. Throws kBadMembershipTag.
AuthenticatedContent unprotect_public(const PublicMessage& message, ByteView membership_key,
                                      const GroupContext& context);

// PrivateMessage protection (section 6.3). `padding` zero bytes are appended to the content.
PrivateMessage protect_private(const AuthenticatedContent& content, SecretTree& secrets,
                               ByteView sender_data_secret, size_t padding = 0);
// Decrypts sender data and content; the caller verifies the signature with the sender's key.
AuthenticatedContent unprotect_private(const PrivateMessage& message, SecretTree& secrets,
                                       ByteView sender_data_secret);

}  // namespace anonify::mls
