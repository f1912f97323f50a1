// The public group state rebuilt from the chain's handshake log, with no secret at all: the ratchet
// tree, the GroupContext and the latest signed GroupInfo (with external_pub). This is what an
// enclave that is not yet a member needs to join by external commit, so no member has to be online.
//
// Each log entry is a commit plus the GroupInfo of the epoch it creates, signed by the committer
// (CommitOutput). The follower checks the commit's signature against the tree, applies it, and
// accepts the GroupInfo only if its context is exactly the one the commit produces (tree hash,
// confirmed transcript hash, epoch) and its confirmation tag is the commit's.
#pragma once

#include "anonify/mls/framing.h"
#include "anonify/mls/leaf_admission.h"

namespace anonify::mls {

class PublicGroup {
 public:
  // Starts from a GroupInfo and its ratchet tree (empty when the GroupInfo carries the ratchet_tree
  // extension), validating the tree (tree hash, parent hashes, leaf signatures) and the signature.
  static PublicGroup from_group_info(const Bytes& group_info, const Bytes& ratchet_tree);

  // Applies the next log entry. Throws MlsError and changes nothing on refusal. A commit replacing
  // the GroupContext extensions is refused unless `context_rule` approves it.
  void apply(const Bytes& commit, const Bytes& group_info, const ContextChangeRule* context_rule = nullptr);

  const Bytes& group_info() const { return group_info_; }  // MLSMessage(GroupInfo), as signed
  Bytes ratchet_tree() const { return tree_.to_bytes(); }
  const RatchetTree& tree() const { return tree_; }
  const GroupContext& context() const { return context_; }
  uint64_t epoch() const { return context_.epoch; }

 private:
  friend class Group;  // hands its public half to an enclave that leaves the group (Group::public_state_after)

  PublicGroup() = default;

  RatchetTree tree_;
  GroupContext context_;
  Bytes interim_transcript_hash_;
  Bytes group_info_;
};

}  // namespace anonify::mls
