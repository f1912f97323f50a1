#include "anonify/mls/public_group.h"

#include "anonify/mls/mls_error.h"
#include "anonify/mls/tree_validation.h"
#include "commit_rules.h"

namespace anonify::mls {
namespace {

const GroupInfo& as_group_info(const MlsMessage& message) {
  const GroupInfo* gi = std::get_if<GroupInfo>(&message.body);
  if (gi == nullptr) fail(Reason::kMalformed, "expected an MLSMessage(GroupInfo)");
  if (find_extension(gi->extensions, ExtensionType::kExternalPub) == nullptr) {
    fail(Reason::kMalformed, "GroupInfo lacks the external_pub extension");
  }
  return *gi;
}

void verify_signer(const RatchetTree& tree, const GroupInfo& gi) {
  const LeafNode* signer = tree.leaf(gi.signer);
  if (signer == nullptr || !gi.verify(signer->signature_key)) fail(Reason::kBadSignature, "GroupInfo signature");
}

}  // namespace

PublicGroup PublicGroup::from_group_info(const Bytes& group_info, const Bytes& ratchet_tree) {
  const MlsMessage message = MlsMessage::from_bytes(group_info);
  const GroupInfo& gi = as_group_info(message);
  const Extension* tree_ext = find_extension(gi.extensions, ExtensionType::kRatchetTree);
  if (ratchet_tree.empty() && tree_ext == nullptr) fail(Reason::kMalformed, "no ratchet tree given");
  require_supported(gi.group_context);
  PublicGroup pg;
  pg.tree_ = RatchetTree::from_bytes(ratchet_tree.empty() ? tree_ext->data : ratchet_tree);
  if (pg.tree_.root_tree_hash() != gi.group_context.tree_hash) {
    fail(Reason::kInvalidTree, "tree hash differs from the GroupInfo");
  }
  if (!pg.tree_.parent_hashes_valid()) fail(Reason::kInvalidTree, "parent hashes do not verify");
  if (!pg.tree_.leaf_signatures_valid(gi.group_context.group_id)) {
    fail(Reason::kInvalidTree, "a leaf signature does not verify");
  }
  validate_tree(pg.tree_, gi.group_context);
  verify_signer(pg.tree_, gi);
  pg.context_ = gi.group_context;
  pg.interim_transcript_hash_ = interim_transcript_hash(gi.group_context.confirmed_transcript_hash, gi.confirmation_tag);
  pg.group_info_ = group_info;
  return pg;
}

void PublicGroup::apply(const Bytes& commit, const Bytes& group_info, const ContextChangeRule* context_rule) {
  const MlsMessage decoded = MlsMessage::from_bytes(commit);
  const PublicMessage* pm = std::get_if<PublicMessage>(&decoded.body);
  if (pm == nullptr) fail(Reason::kUnsupported, "handshakes travel as PublicMessages");
  if (pm->content.group_id != context_.group_id) fail(Reason::kWrongGroup, "commit for another group");
  if (pm->content.epoch < context_.epoch) fail(Reason::kStaleEpoch, "commit for a past epoch");
  if (pm->content.epoch > context_.epoch) fail(Reason::kFutureEpoch, "commit for a future epoch");

  AuthenticatedContent ac;
  ac.wire_format = WireFormat::kPublicMessage;
  ac.content = pm->content;
  ac.auth = pm->auth;
  RatchetTree next_tree = tree_;
  // The membership tag needs a member's key: not checked here.
  const PublicCommitEffect effect = apply_commit_public(next_tree, ac, context_, false, nullptr, nullptr, context_rule);

  GroupContext expected = context_;
  if (effect.group_context_extensions) expected.extensions = *effect.group_context_extensions;
  expected.epoch += 1;
  expected.tree_hash = next_tree.root_tree_hash();
  expected.confirmed_transcript_hash = confirmed_transcript_hash(interim_transcript_hash_, ac.confirmed_transcript_input());
  validate_commit_tree(tree_, next_tree, expected, effect.group_context_extensions.has_value());

  const MlsMessage info_message = MlsMessage::from_bytes(group_info);
  const GroupInfo& gi = as_group_info(info_message);
  if (!(gi.group_context == expected)) fail(Reason::kInvalidTree, "GroupInfo context is not the commit's result");
  if (gi.confirmation_tag != ac.auth.confirmation_tag) {
    fail(Reason::kBadConfirmationTag, "GroupInfo confirmation tag differs from the commit's");
  }
  verify_signer(next_tree, gi);

  tree_ = std::move(next_tree);
  context_ = std::move(expected);
  interim_transcript_hash_ = interim_transcript_hash(context_.confirmed_transcript_hash, gi.confirmation_tag);
  group_info_ = group_info;
}

}  // namespace anonify::mls
