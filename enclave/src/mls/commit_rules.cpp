#include "commit_rules.h"

#include <string>

#include "anonify/mls/mls_error.h"

namespace anonify::mls {
namespace {

std::set<LeafIndex> member_removals(const RatchetTree& tree, const Commit& commit, LeafIndex sender) {
  std::set<LeafIndex> removed;
  for (const ProposalOrRef& por : commit.proposals) {
    const Proposal* proposal = std::get_if<Proposal>(&por.value);
    if (proposal == nullptr) fail(Reason::kUnsupported, "proposals by reference");
    const auto* remove = std::get_if<RemoveProposal>(&proposal->body);
    if (remove == nullptr) {
      fail(Reason::kUnsupported,
           "proposal type " + std::to_string(static_cast<int>(proposal->type())) + " in a member commit");
    }
    if (remove->removed == sender) fail(Reason::kInvalidProposal, "committer removes itself");
    if (tree.leaf(remove->removed) == nullptr) {
      fail(Reason::kInvalidProposal, "remove of blank leaf " + std::to_string(remove->removed));
    }
    if (!removed.insert(remove->removed).second) fail(Reason::kInvalidProposal, "leaf removed twice");
  }
  return removed;
}

const ExternalInitProposal& sole_external_init(const Commit& commit) {
  const ExternalInitProposal* init = nullptr;
  for (const ProposalOrRef& por : commit.proposals) {
    const Proposal* proposal = std::get_if<Proposal>(&por.value);
    if (proposal == nullptr) fail(Reason::kInvalidProposal, "external commit with a proposal reference");
    const auto* ext = std::get_if<ExternalInitProposal>(&proposal->body);
    if (ext == nullptr || init != nullptr) {
      fail(Reason::kInvalidProposal, "an external commit carries exactly one ExternalInit and nothing else");
    }
    init = ext;
  }
  if (init == nullptr) fail(Reason::kInvalidProposal, "external commit without ExternalInit");
  return *init;
}

}  // namespace

PublicCommitEffect apply_commit_public(RatchetTree& tree, const AuthenticatedContent& ac,
                                       const GroupContext& context) {
  const Commit* commit = std::get_if<Commit>(&ac.content.body);
  if (commit == nullptr) fail(Reason::kUnsupported, "handshake other than a commit");
  PublicCommitEffect effect;
  switch (ac.content.sender.type) {
    case SenderType::kMember: {
      effect.committer = ac.content.sender.index;
      const LeafNode* leaf = tree.leaf(effect.committer);
      if (leaf == nullptr) fail(Reason::kUnknownSender, "commit from blank leaf " + std::to_string(effect.committer));
      if (!ac.verify(leaf->signature_key, &context)) fail(Reason::kBadSignature, "commit signature");
      effect.removed = member_removals(tree, *commit, effect.committer);
      if (!commit->path) fail(Reason::kInvalidPath, "commit without an update path");
      for (LeafIndex l : effect.removed) tree.remove_leaf(l);
      break;
    }
    case SenderType::kNewMemberCommit: {
      effect.external = true;
      effect.external_kem_output = sole_external_init(*commit).kem_output;
      if (!commit->path) fail(Reason::kInvalidPath, "external commit without an update path");
      if (!ac.verify(commit->path->leaf_node.signature_key, &context)) {
        fail(Reason::kBadSignature, "external commit signature");
      }
      if (tree.find_leaf_by_signature_key(commit->path->leaf_node.signature_key)) {
        fail(Reason::kInvalidProposal, "external joiner's signature key is already a member");
      }
      effect.committer = tree.add_leaf(commit->path->leaf_node);
      break;
    }
    default:
      fail(Reason::kUnsupported, "commit from an external sender");
  }
  merge_update_path(tree, effect.committer, *commit->path, context.group_id);
  return effect;
}

}  // namespace anonify::mls
