// Private to the MLS group implementation: the state a Group holds per epoch, and the epoch
// transitions shared by group.cpp (creating, joining, committing) and epoch_transition.cpp
// (applying handshakes from the log).
#pragma once

#include <map>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "anonify/mls/group.h"
#include "commit_rules.h"

namespace anonify::mls {

constexpr std::string_view kExternalInitLabel = "MLS 1.0 external init secret";

// One epoch of the group as this enclave sees it. Copyable so that every handshake is processed on
// a copy and only swapped in once all checks passed.
struct EpochState {
  bool member = false;   // false while an external join is staged, and after removal
  bool removed = false;
  GroupContext context;
  RatchetTree tree;
  TreeKemPrivate tree_private;
  Credential credential;
  SecretBytes signature_private_key;
  Bytes signature_public_key;
  EpochSecrets secrets;
  SecretTree secret_tree;
  Bytes interim_transcript_hash;
  Bytes confirmation_tag;  // of the commit that created this epoch
  std::vector<std::pair<Bytes, SentProposal>> proposals;  // by reference, this epoch only
  std::map<uint64_t, SecretBytes> resumption_psks;         // of recent past epochs

  void encode(TlsWriter& w) const;
  static EpochState decode(TlsReader& r);
};

struct GroupState {
  bool full_proposals = false;                  // interop mode (commit_rules.h)
  // Created or joined under a LeafAdmission: every later commit needs one (sealed).
  bool admission_required = false;
  const LeafAdmission* admission = nullptr;     // not sealed: set again after loading
  std::map<Bytes, SecretBytes> external_psks;   // psk_id -> value
  EpochState current;
  Bytes staged_commit;              // our commit (or external join) awaiting its turn in the log
  std::optional<EpochState> staged; // the epoch it creates
};

// The sealed encoding Group::serialize() writes and Group::deserialize() reads. Benchmarks build a
// large group's state directly and load it through Group::deserialize.
SecretBytes serialize_group_state(const GroupState& g);

// The context of the next epoch before its transcript hash is known (what the UpdatePath encrypts to).
GroupContext provisional_context(const EpochState& prev, const RatchetTree& tree,
                                 const std::optional<ExtensionList>& extensions = std::nullopt);

// Transcript, key schedule and confirmation tag of the epoch a commit creates. With `verify_tag`
// the commit's tag is checked, otherwise it is filled in.
void finish_epoch(EpochState& next, const EpochState& prev, AuthenticatedContent& commit, ByteView init_secret,
                  ByteView commit_secret, bool verify_tag, ByteView psk_secret = ByteView(),
                  const std::optional<ExtensionList>& extensions = std::nullopt);

// MLSMessage(GroupInfo) for the epoch of `s`, signed by its own leaf, with external_pub.
Bytes make_group_info(const EpochState& s, bool with_tree);

void require_member(const EpochState& s);
// Group id and epoch of an incoming message against the current epoch (wrong_group, stale, future).
void check_epoch(const EpochState& s, const Bytes& group_id, uint64_t epoch);

// The admission rule a commit is checked under: null for groups without one; throws when the group
// requires one and none was set (fail closed).
const LeafAdmission* admission_for(const GroupState& g);

// Applies a commit from the log to `next` (a copy of `prev`).
HandshakeResult apply_commit(const GroupState& g, const EpochState& prev, EpochState& next, AuthenticatedContent& ac);
// Verifies and caches a standalone proposal (full-RFC mode).
HandshakeResult store_proposal(const EpochState& prev, EpochState& next, const AuthenticatedContent& ac);
// The GroupInfo published with a commit must describe exactly the epoch it creates.
void check_published_group_info(const EpochState& next, const Bytes& group_info);

}  // namespace anonify::mls
