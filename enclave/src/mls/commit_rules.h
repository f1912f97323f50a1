// The public half of applying a Commit (RFC 9420 section 12.4.2), shared by members (Group) and
// by log followers without secrets (PublicGroup): sender authentication, proposal validation, and
// the tree changes (removes, the external joiner's leaf, the UpdatePath).
#pragma once

#include <set>

#include "anonify/mls/framing.h"

namespace anonify::mls {

struct PublicCommitEffect {
  LeafIndex committer = 0;      // the committer's leaf in the new tree
  std::set<LeafIndex> removed;  // leaves removed by the commit
  Bytes external_kem_output;    // ExternalInit's kem_output (external commits only)
  bool external = false;
};

// Verifies the commit's signature under `context` and applies it to `tree`. Accepts member commits
// made of Remove proposals (by value) and external commits made of one ExternalInit; both need a
// path. Throws MlsError; `tree` is then unusable (callers pass a copy).
PublicCommitEffect apply_commit_public(RatchetTree& tree, const AuthenticatedContent& commit,
                                       const GroupContext& context);

}  // namespace anonify::mls
