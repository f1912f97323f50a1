// The MLS group state machine of an Anonify enclave (RFC 9420, ciphersuite 1).
//
// Commits travel as PublicMessages through the chain's handshake log, and every enclave applies the
// log in order. A member's own commit is therefore *staged*: commit_update()/commit_remove() return
// the message and keep the next epoch aside; it becomes current only when process_handshake() meets
// those exact bytes in the log. Any other valid commit for the epoch supersedes it. An enclave that
// is not yet a member joins by external commit from public state alone (signed GroupInfo with the
// external_pub extension, plus the ratchet tree), staged the same way; without epoch secrets it
// answers not_member to any other entry, and public_state_after() tells whether that entry is valid.
//
// Every method either completes or throws MlsError with a Reason and leaves the group unchanged.
#pragma once

#include <memory>
#include <optional>
#include <string_view>

#include "anonify/mls/framing.h"
#include "anonify/mls/leaf_admission.h"
#include "anonify/mls/public_group.h"

namespace anonify::mls {

// What a member signs with and shows in its leaf.
struct MemberIdentity {
  Credential credential;
  SignatureKeyPair signature_keys;
};

// A handshake to post to the log: the commit and the GroupInfo of the epoch it creates (signed by
// the committer), from which non-members rebuild the public group state.
struct CommitOutput {
  Bytes commit;      // MLSMessage(PublicMessage)
  Bytes group_info;  // MLSMessage(GroupInfo) for the new epoch, with external_pub
};

enum class HandshakeOutcome {
  kOwnCommitApplied,   // our staged commit (or external join) became the epoch
  kCommitApplied,      // another member's commit
  kExternalJoinApplied,// a newcomer's external commit
  kRemovedFromGroup,   // the commit removed us; the group is no longer usable
  kProposalStored,     // a standalone proposal, kept for a commit of this epoch (full mode only)
};

struct HandshakeResult {
  HandshakeOutcome outcome;
  uint64_t epoch;       // epoch after the commit
  LeafIndex committer;  // leaf index of the committer in the new tree
};

struct ApplicationMessage {
  LeafIndex sender;
  Bytes data;
  Bytes authenticated_data;
};

struct GroupState;  // defined in group.cpp

class Group {
 public:
  // A one-member group at epoch 0 whose GroupContext carries `context_extensions`. With an
  // `admission`, the creator's own leaf must pass it, and the group requires an admission for every
  // later commit (see leaf_admission.h; the pointer must outlive the group or be replaced).
  static Group create(const Bytes& group_id, MemberIdentity identity, const ExtensionList& context_extensions = {},
                      const LeafAdmission* admission = nullptr);
  // Stages an external join from a GroupInfo (MLSMessage) and the ratchet tree (optional<Node>
  // ratchet_tree<V>; empty when the GroupInfo carries the ratchet_tree extension). The returned
  // group becomes a member when process_handshake() meets `out.commit`. With an `admission`, every
  // leaf of the tree and our own new leaf must pass it, and the group requires one from then on.
  static Group join_external(const Bytes& group_info, const Bytes& ratchet_tree, MemberIdentity identity,
                             CommitOutput& out, const LeafAdmission* admission = nullptr);

  // Joins from a Welcome (MLSMessage) made for `key_package`, whose private init and leaf keys are
  // given; the tree comes from `ratchet_tree` or the GroupInfo's ratchet_tree extension. External
  // PSKs are looked up by `find_psk`. The group is a member at once.
  static Group join_welcome(const Bytes& welcome, const KeyPackage& key_package, ByteView init_private_key,
                            ByteView leaf_private_key, MemberIdentity identity, const Bytes& ratchet_tree,
                            const std::function<Bytes(const PreSharedKeyId&)>& find_psk);

  Group(Group&&) noexcept;
  // An independent copy (secrets included), to try an operation and keep the original on refusal.
  Group clone() const;
  Group& operator=(Group&&) noexcept;
  ~Group();

  // GroupInfo (MLSMessage) for the current epoch signed by this member, with external_pub and,
  // when `with_tree`, the ratchet_tree extension.
  Bytes group_info(bool with_tree) const;
  Bytes ratchet_tree() const;

  CommitOutput commit_update();
  CommitOutput commit_remove(const std::vector<LeafIndex>& removed);
  // A commit of one GroupContextExtensions proposal by value replacing the context's extensions
  // with `extensions` (plus Removes of `removed`), whose FramedContent carries `authenticated_data`
  // (Anonify: the governance approvals, anonify/membership/governance.h). In a group under an
  // admission the commit is checked as every member checks it before it is staged (admission and
  // context change rule).
  CommitOutput commit_context_extensions(const ExtensionList& extensions, const Bytes& authenticated_data,
                                         const std::vector<LeafIndex>& removed = {});
  bool has_staged_commit() const;

  // The admission rule of a group created or joined under one (never serialized: set it again after
  // deserialize() or clone() into a new owner). Such a group refuses every commit without it.
  void set_leaf_admission(const LeafAdmission* admission);
  // True when the group was created or joined under an admission rule (sealed with the group).
  bool admission_required() const;

  // Interop mode: process the full RFC 9420 proposal set (Add, Update, PreSharedKey,
  // GroupContextExtensions, proposals by reference, commits without a path). Anonify groups keep it
  // off: their members only remove, update themselves and admit attested joiners by external commit.
  void set_full_proposal_support(bool enabled);
  // An external PSK that commits may inject (full mode).
  void add_external_psk(const Bytes& psk_id, SecretBytes value);

  // Applies the next handshake of the log (MLSMessage bytes). With `published_group_info` (the
  // GroupInfo posted with the commit), the entry is refused unless that GroupInfo describes exactly
  // the new epoch (context, confirmation tag, signature, external_pub).
  HandshakeResult process_handshake(const Bytes& message, const Bytes* published_group_info = nullptr);

  Bytes protect(const Bytes& application_data, const Bytes& authenticated_data = {});
  ApplicationMessage unprotect(const Bytes& message);

  // The public group state a log follower holds after applying the entry (`commit`, `group_info`)
  // to this group's current epoch, checked exactly as PublicGroup::apply checks it. Works for a
  // member and for a staged external join (whose current epoch is the joined GroupInfo's); lets an
  // enclave that leaves the group (removed, or its join superseded) keep following the log.
  // Throws MlsError and changes nothing on refusal.
  PublicGroup public_state_after(const Bytes& commit, const Bytes& group_info) const;

  SecretBytes export_secret(std::string_view label, ByteView context, size_t length) const;
  Bytes epoch_authenticator() const;

  bool is_member() const;
  uint64_t epoch() const;
  const Bytes& group_id() const;
  LeafIndex own_leaf() const;
  uint32_t member_count() const;
  const RatchetTree& tree() const;
  const GroupContext& context() const;

  // Sealable snapshot of everything, secrets included (the caller seals it).
  SecretBytes serialize() const;
  static Group deserialize(ByteView data);

 private:
  explicit Group(std::unique_ptr<GroupState> state);
  std::unique_ptr<GroupState> state_;
};

}  // namespace anonify::mls
