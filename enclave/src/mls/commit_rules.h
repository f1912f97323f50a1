// The public half of applying a Commit (RFC 9420 section 12.4.2), shared by members (Group) and
// by log followers without secrets (PublicGroup): sender authentication, proposal resolution and
// validation, and the tree changes (in RFC order: GroupContextExtensions, Update, Remove, Add,
// then the UpdatePath; PreSharedKey and ExternalInit feed the key schedule).
//
// Anonify's policy (`full_proposals == false`) accepts only what its groups use: member commits of
// Remove proposals by value (plus, under a ContextChangeRule that approves it, one
// GroupContextExtensions proposal by value: a governance-approved policy change), and external
// commits of one ExternalInit, always with a path. The full
// RFC set (Add, Update, PreSharedKey, GroupContextExtensions, proposals by reference, commits
// without a path) is accepted with `full_proposals`, which the interop vectors exercise.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <vector>

#include "anonify/mls/framing.h"
#include "anonify/mls/leaf_admission.h"

namespace anonify::mls {

// A proposal with who sent it (the committer for proposals carried by value).
struct SentProposal {
  Proposal proposal;
  Sender sender;
};

struct PublicCommitEffect {
  LeafIndex committer = 0;            // the committer's leaf in the new tree
  std::set<LeafIndex> removed;        // leaves removed by the commit
  std::vector<LeafIndex> added;       // leaves added by Add proposals (no path secret for them)
  std::vector<PreSharedKeyId> psks;   // in commit order
  std::optional<ExtensionList> group_context_extensions;
  Bytes external_kem_output;          // ExternalInit's kem_output (external commits only)
  bool external = false;
  bool has_path = false;
};

// Resolves a ProposalRef to the cached proposal; throws when unknown.
using ProposalLookup = std::function<SentProposal(const Bytes& ref)>;

// Verifies the commit's signature under `context` and applies it to `tree`. Throws MlsError;
// `tree` is then unusable (callers pass a copy).
//
// With an `admission`, every leaf the commit brings in (an external joiner's path leaf, an Add's
// leaf) must pass it on the new tree, and a member's path leaf must keep the committer's credential
// and signature key (a member may rotate its HPKE key, never its identity). Without one (log
// followers, interop groups) leaves are checked only as RFC 9420 requires.
//
// A GroupContextExtensions proposal must pass `context_rule` (the admission's rule when an
// admission is given; a log follower passes one of its own). Without a rule it is refused, except
// in interop mode without an admission. With an admission, every leaf of the final tree must then
// pass it under the new extensions (as an existing member): a change never keeps a leaf the new
// policy refuses; the committer removes such leaves in the same commit.
PublicCommitEffect apply_commit_public(RatchetTree& tree, const AuthenticatedContent& commit,
                                       const GroupContext& context, bool full_proposals,
                                       const ProposalLookup& lookup, const LeafAdmission* admission = nullptr,
                                       const ContextChangeRule* context_rule = nullptr);

// ProposalRef = RefHash("MLS 1.0 Proposal Reference", AuthenticatedContent).
Bytes proposal_ref(const AuthenticatedContent& content);

}  // namespace anonify::mls
