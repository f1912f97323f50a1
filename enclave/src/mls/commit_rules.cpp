#include "commit_rules.h"

#include <algorithm>
#include <string>

#include "anonify/mls/mls_error.h"

namespace anonify::mls {
namespace {

bool path_required(const std::vector<SentProposal>& proposals) {
  if (proposals.empty()) return true;
  return std::any_of(proposals.begin(), proposals.end(), [](const SentProposal& p) {
    const ProposalType t = p.proposal.type();
    return t != ProposalType::kAdd && t != ProposalType::kPreSharedKey && t != ProposalType::kReInit;
  });
}

std::vector<SentProposal> resolve(const Commit& commit, const Sender& committer, bool full_proposals,
                                  const ProposalLookup& lookup) {
  std::vector<SentProposal> out;
  for (const ProposalOrRef& por : commit.proposals) {
    if (const Proposal* p = std::get_if<Proposal>(&por.value)) {
      out.push_back(SentProposal{*p, committer});
    } else {
      if (!full_proposals || !lookup) fail(Reason::kUnsupported, "proposals by reference");
      out.push_back(lookup(std::get<Bytes>(por.value)));
    }
  }
  return out;
}

// Anonify's narrow policy: member commits carry Removes (and a GroupContextExtensions proposal by
// value, which a ContextChangeRule judges later), external commits one ExternalInit.
void check_anonify_policy(const std::vector<SentProposal>& proposals, bool external) {
  for (const SentProposal& p : proposals) {
    const ProposalType t = p.proposal.type();
    const bool allowed = external ? t == ProposalType::kExternalInit
                                  : t == ProposalType::kRemove || t == ProposalType::kGroupContextExtensions;
    if (!allowed) {
      fail(external ? Reason::kInvalidProposal : Reason::kUnsupported,
           "proposal type " + std::to_string(static_cast<int>(t)) +
               (external ? " in an external commit" : " in a member commit"));
    }
  }
}

}  // namespace

Bytes proposal_ref(const AuthenticatedContent& content) {
  return ref_hash("MLS 1.0 Proposal Reference", tls_encode(content));
}

PublicCommitEffect apply_commit_public(RatchetTree& tree, const AuthenticatedContent& ac,
                                       const GroupContext& context, bool full_proposals,
                                       const ProposalLookup& lookup, const LeafAdmission* admission,
                                       const ContextChangeRule* context_rule) {
  const Commit* commit = std::get_if<Commit>(&ac.content.body);
  if (commit == nullptr) fail(Reason::kUnsupported, "handshake other than a commit");
  PublicCommitEffect effect;
  effect.has_path = commit->path.has_value();
  const SenderType sender_type = ac.content.sender.type;
  if (sender_type == SenderType::kMember) {
    effect.committer = ac.content.sender.index;
    const LeafNode* leaf = tree.leaf(effect.committer);
    if (leaf == nullptr) fail(Reason::kUnknownSender, "commit from blank leaf " + std::to_string(effect.committer));
    if (!ac.verify(leaf->signature_key, &context)) fail(Reason::kBadSignature, "commit signature");
  } else if (sender_type == SenderType::kNewMemberCommit) {
    effect.external = true;
    if (!commit->path) fail(Reason::kInvalidPath, "external commit without an update path");
    if (!ac.verify(commit->path->leaf_node.signature_key, &context)) {
      fail(Reason::kBadSignature, "external commit signature");
    }
    if (tree.find_leaf_by_signature_key(commit->path->leaf_node.signature_key)) {
      fail(Reason::kInvalidProposal, "external joiner's signature key is already a member");
    }
  } else {
    fail(Reason::kUnsupported, "commit from an external sender");
  }

  const std::vector<SentProposal> proposals = resolve(*commit, ac.content.sender, full_proposals, lookup);
  if (!full_proposals) check_anonify_policy(proposals, effect.external);
  if (path_required(proposals) && !commit->path) fail(Reason::kInvalidPath, "commit without a required update path");

  // Validate and sort by kind, then apply in RFC order.
  std::vector<std::pair<LeafIndex, const LeafNode*>> updates;
  std::vector<const KeyPackage*> adds;
  size_t external_inits = 0;
  for (const SentProposal& sp : proposals) {
    const Proposal& p = sp.proposal;
    if (const auto* remove = std::get_if<RemoveProposal>(&p.body)) {
      if (!effect.external && remove->removed == effect.committer) fail(Reason::kInvalidProposal, "committer removes itself");
      if (tree.leaf(remove->removed) == nullptr) {
        fail(Reason::kInvalidProposal, "remove of blank leaf " + std::to_string(remove->removed));
      }
      if (!effect.removed.insert(remove->removed).second) fail(Reason::kInvalidProposal, "leaf removed twice");
    } else if (const auto* update = std::get_if<UpdateProposal>(&p.body)) {
      if (sp.sender.type != SenderType::kMember || sp.sender.index == effect.committer || effect.external) {
        fail(Reason::kInvalidProposal, "update proposal from the committer or a non-member");
      }
      if (update->leaf_node.source != LeafNodeSource::kUpdate ||
          !update->leaf_node.verify(context.group_id, sp.sender.index)) {
        fail(Reason::kInvalidProposal, "update leaf node invalid");
      }
      updates.emplace_back(sp.sender.index, &update->leaf_node);
    } else if (const auto* add = std::get_if<AddProposal>(&p.body)) {
      if (add->key_package.cipher_suite != kCipherSuite || !add->key_package.verify()) {
        fail(Reason::kInvalidProposal, "add of an invalid KeyPackage");
      }
      adds.push_back(&add->key_package);
    } else if (const auto* psk = std::get_if<PreSharedKeyProposal>(&p.body)) {
      effect.psks.push_back(psk->psk);
    } else if (const auto* gce = std::get_if<GroupContextExtensionsProposal>(&p.body)) {
      if (effect.group_context_extensions) fail(Reason::kInvalidProposal, "two GroupContextExtensions proposals");
      effect.group_context_extensions = gce->extensions;
    } else if (const auto* init = std::get_if<ExternalInitProposal>(&p.body)) {
      if (!effect.external) fail(Reason::kInvalidProposal, "ExternalInit in a member commit");
      effect.external_kem_output = init->kem_output;
      ++external_inits;
    } else {
      fail(Reason::kUnsupported, "ReInit");
    }
  }
  if (effect.group_context_extensions) {
    // The group context carries the admission policy (anonify/membership/group_policy.h): it
    // changes only under the application's rule (governance approvals), judged before anything else.
    const ContextChangeRule* rule = admission != nullptr ? admission->context_change_rule() : context_rule;
    if (rule != nullptr) {
      if (effect.external) fail(Reason::kInvalidProposal, "GroupContextExtensions in an external commit");
      rule->approve(context, *effect.group_context_extensions, ac.content.authenticated_data);
    } else if (admission != nullptr || !full_proposals) {
      fail(Reason::kNotAdmitted, "GroupContextExtensions without a rule that may approve it");
    }
  }
  if (effect.external && external_inits != 1) {
    fail(Reason::kInvalidProposal, "an external commit carries exactly one ExternalInit");
  }

  for (const auto& [leaf, node] : updates) {
    if (effect.removed.count(leaf) == 1) continue;  // a Remove overrides the Update
    tree.check_new_leaf(*node, leaf);
    tree.set_leaf(leaf, *node);
    tree.blank_direct_path(leaf);
  }
  for (LeafIndex l : effect.removed) tree.remove_leaf(l);
  for (const KeyPackage* kp : adds) {
    const LeafIndex added = tree.add_leaf(kp->leaf_node);
    tree.check_new_leaf(kp->leaf_node, added);
    effect.added.push_back(added);
  }
  if (admission != nullptr && commit->path && !effect.external) {
    const LeafNode& before = *tree.leaf(effect.committer);
    const LeafNode& after = commit->path->leaf_node;
    if (!(after.credential == before.credential) || after.signature_key != before.signature_key) {
      fail(Reason::kNotAdmitted, "a member's path leaf changes its credential or signature key");
    }
  }
  if (effect.external) effect.committer = tree.add_leaf(commit->path->leaf_node);
  if (commit->path) merge_update_path(tree, effect.committer, *commit->path, context.group_id);
  if (admission != nullptr) {
    // On the final tree, so that uniqueness is judged against every leaf the epoch will hold.
    for (LeafIndex added : effect.added) admission->admit(*tree.leaf(added), added, tree, context, LeafOrigin::kNewMember);
    if (effect.external) {
      admission->admit(*tree.leaf(effect.committer), effect.committer, tree, context, LeafOrigin::kNewMember);
    }
    if (effect.group_context_extensions) {
      // Every leaf the new epoch holds passes the new policy; its evidence age was judged when it
      // entered the group. Leaves the new policy refuses must be removed by this very commit.
      GroupContext changed = context;
      changed.epoch = context.epoch + 1;
      changed.extensions = *effect.group_context_extensions;
      for (LeafIndex l = 0; l < tree.leaf_count(); ++l) {
        if (const LeafNode* leaf = tree.leaf(l)) admission->admit(*leaf, l, tree, changed, LeafOrigin::kExistingMember);
      }
    }
  }
  return effect;
}

}  // namespace anonify::mls
