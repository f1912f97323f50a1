#include "anonify/mls/framing.h"

#include "anonify/mls/mls_error.h"
#include "mls_test_util.h"

namespace anonify::mls {
namespace {

using nlohmann::json;
using testing::hex;

constexpr LeafIndex kSender = 1;  // the vectors' sender in a two-member secret tree

Bytes body_bytes(const FramedContent& content) {
  TlsWriter w;
  content.encode_body(w);
  return w.take();
}

struct ProtectionKeys {
  GroupContext context;
  Bytes signature_priv;
  Bytes signature_pub;
  Bytes encryption_secret;
  Bytes sender_data_secret;
  Bytes membership_key;
};

AuthenticatedContent frame(const ProtectionKeys& s, WireFormat wf, std::variant<Bytes, Proposal, Commit> body) {
  AuthenticatedContent a;
  a.wire_format = wf;
  a.content.group_id = s.context.group_id;
  a.content.epoch = s.context.epoch;
  a.content.sender = Sender{SenderType::kMember, kSender};
  a.content.body = std::move(body);
  a.sign(s.signature_priv, &s.context);
  if (a.content.content_type() == ContentType::kCommit) a.auth.confirmation_tag = Bytes(kHashSize, 0x11);
  return a;
}

bool check_public(const ProtectionKeys& s, const Bytes& message_bytes, const Bytes& raw) {
  const MlsMessage message = MlsMessage::from_bytes(message_bytes);
  bool ok = message.to_bytes() == message_bytes;
  const AuthenticatedContent a =
      unprotect_public(std::get<PublicMessage>(message.body), s.membership_key, s.context);
  ok &= a.verify(s.signature_pub, &s.context) && body_bytes(a.content) == raw;
  return ok;
}

bool check_private(const ProtectionKeys& s, const Bytes& message_bytes, const Bytes& raw) {
  const MlsMessage message = MlsMessage::from_bytes(message_bytes);
  bool ok = message.to_bytes() == message_bytes;
  SecretTree tree(s.encryption_secret, 2);
  const AuthenticatedContent a =
      unprotect_private(std::get<PrivateMessage>(message.body), tree, s.sender_data_secret);
  ok &= a.content.sender.index == kSender && a.verify(s.signature_pub, &s.context) && body_bytes(a.content) == raw;
  return ok;
}

template <typename Body>
bool round_trip(const ProtectionKeys& s, Body body, bool also_public) {
  bool ok = true;
  const Bytes raw = [&] {
    FramedContent c;
    c.body = body;
    return body_bytes(c);
  }();
  if (also_public) {
    const AuthenticatedContent a = frame(s, WireFormat::kPublicMessage, body);
    const MlsMessage m{protect_public(a, s.membership_key, s.context)};
    ok &= check_public(s, m.to_bytes(), raw);
  } else {
    EXPECT_THROW(protect_public(frame(s, WireFormat::kPublicMessage, body), s.membership_key, s.context), MlsError);
  }
  SecretTree sender_tree(s.encryption_secret, 2);
  const AuthenticatedContent a = frame(s, WireFormat::kPrivateMessage, body);
  const MlsMessage m{protect_private(a, sender_tree, s.sender_data_secret, 7)};
  ok &= check_private(s, m.to_bytes(), raw);
  return ok;
}

TEST(MlsVectors, MessageProtection) {
  const json vectors = testing::load_mls_vectors("message-protection.json");
  size_t passed = 0;
  size_t total = 0;
  for (const json& v : vectors) {
    if (!testing::is_suite_one(v)) continue;
    ++total;
    ProtectionKeys s;
    s.context.group_id = hex(v.at("group_id"));
    s.context.epoch = v.at("epoch");
    s.context.tree_hash = hex(v.at("tree_hash"));
    s.context.confirmed_transcript_hash = hex(v.at("confirmed_transcript_hash"));
    s.signature_priv = hex(v.at("signature_priv"));
    s.signature_pub = hex(v.at("signature_pub"));
    s.encryption_secret = hex(v.at("encryption_secret"));
    s.sender_data_secret = hex(v.at("sender_data_secret"));
    s.membership_key = hex(v.at("membership_key"));

    const Bytes proposal_raw = hex(v.at("proposal"));
    const Bytes commit_raw = hex(v.at("commit"));
    TlsWriter app;
    app.opaque(hex(v.at("application")));
    const Bytes application_raw = app.take();

    bool ok = check_public(s, hex(v.at("proposal_pub")), proposal_raw);
    ok &= check_private(s, hex(v.at("proposal_priv")), proposal_raw);
    ok &= check_public(s, hex(v.at("commit_pub")), commit_raw);
    ok &= check_private(s, hex(v.at("commit_priv")), commit_raw);
    ok &= check_private(s, hex(v.at("application_priv")), application_raw);
    ok &= round_trip(s, tls_decode<Proposal>(proposal_raw, "proposal"), true);
    ok &= round_trip(s, tls_decode<Commit>(commit_raw, "commit"), true);
    ok &= round_trip(s, hex(v.at("application")), false);
    EXPECT_TRUE(ok);
    passed += ok ? 1 : 0;
  }
  testing::report_passed("message-protection.json", passed, total);
}

TEST(MlsMessageProtection, RefusesTamperingAndReplays) {
  const json v = testing::load_mls_vectors("message-protection.json").at(0);
  GroupContext context;
  context.group_id = hex(v.at("group_id"));
  context.epoch = v.at("epoch");
  context.tree_hash = hex(v.at("tree_hash"));
  context.confirmed_transcript_hash = hex(v.at("confirmed_transcript_hash"));
  const Bytes membership_key = hex(v.at("membership_key"));
  const Bytes encryption_secret = hex(v.at("encryption_secret"));
  const Bytes sender_data_secret = hex(v.at("sender_data_secret"));

  PublicMessage pub = std::get<PublicMessage>(MlsMessage::from_bytes(hex(v.at("commit_pub"))).body);
  pub.membership_tag[0] ^= 1;
  try {
    unprotect_public(pub, membership_key, context);
    FAIL() << "tampered membership tag accepted";
  } catch (const MlsError& e) {
    EXPECT_EQ(e.reason(), Reason::kBadMembershipTag);
  }
  const PublicMessage good = std::get<PublicMessage>(MlsMessage::from_bytes(hex(v.at("commit_pub"))).body);
  const AuthenticatedContent content = unprotect_public(good, membership_key, context);
  GroupContext later = context;
  later.epoch += 1;
  EXPECT_TRUE(content.verify(hex(v.at("signature_pub")), &context));
  EXPECT_FALSE(content.verify(hex(v.at("signature_pub")), &later));  // signature binds the context

  const PrivateMessage priv = std::get<PrivateMessage>(MlsMessage::from_bytes(hex(v.at("application_priv"))).body);
  SecretTree tree(encryption_secret, 2);
  EXPECT_NO_THROW(unprotect_private(priv, tree, sender_data_secret));
  try {
    unprotect_private(priv, tree, sender_data_secret);  // same generation twice
    FAIL() << "replayed PrivateMessage accepted";
  } catch (const MlsError& e) {
    EXPECT_EQ(e.reason(), Reason::kGenerationTooOld);
  }
  PrivateMessage flipped = priv;
  flipped.ciphertext.back() ^= 1;
  SecretTree fresh(encryption_secret, 2);
  try {
    unprotect_private(flipped, fresh, sender_data_secret);
    FAIL() << "tampered PrivateMessage accepted";
  } catch (const MlsError& e) {
    EXPECT_EQ(e.reason(), Reason::kDecryptionFailed);
  }
}

}  // namespace
}  // namespace anonify::mls
