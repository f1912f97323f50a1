// The application's say over who may hold a leaf (RFC 9420 section 5.3.1: "the application
// validates credentials"). The MLS code stays generic: it calls a LeafAdmission, when it holds one,
// for every leaf it is about to accept, and refuses the whole operation if the admission throws.
//
// Anonify's admission (anonify/membership/admission.h) compares the leaf with attestation evidence
// the enclave verified itself, under the measurement policy the group fixed at creation. The
// admission is never serialized: whoever loads a Group hands it one again (Group::set_leaf_admission),
// and a group that was created or joined under an admission refuses every commit without one.
#pragma once

#include "anonify/mls/framing.h"

namespace anonify::mls {

// Why a leaf is being admitted.
enum class LeafOrigin : uint8_t {
  kCreator,         // the leaf of the member creating the group (epoch 0)
  kNewMember,       // a leaf entering the tree: an external joiner's path leaf, an Add's KeyPackage leaf
  kExistingMember,  // a leaf of a tree this member joins (admitted by the group earlier)
};

// The application's say over a commit that replaces the GroupContext extensions (a
// GroupContextExtensions proposal by value). Anonify's rule (anonify/membership/governance.h)
// admits it only with approvals by the governance keys the current policy names.
class ContextChangeRule {
 public:
  virtual ~ContextChangeRule() = default;

  // Throws (a specific Error) unless a member commit of epoch `context.epoch` whose FramedContent
  // carries `authenticated_data` may replace `context.extensions` with `proposed`.
  virtual void approve(const GroupContext& context, const ExtensionList& proposed, ByteView authenticated_data) const = 0;
};

class LeafAdmission {
 public:
  virtual ~LeafAdmission() = default;

  // Throws (MlsError kNotAdmitted, or a more specific Error) unless `leaf`, at `index` of `tree`,
  // may be a member of the group whose context is `context`. `tree` already holds `leaf`.
  virtual void admit(const LeafNode& leaf, LeafIndex index, const RatchetTree& tree, const GroupContext& context,
                     LeafOrigin origin) const = 0;

  // The rule a commit replacing the GroupContext extensions must pass; null (the default): such a
  // commit is refused in a group with this admission.
  virtual const ContextChangeRule* context_change_rule() const { return nullptr; }
};

}  // namespace anonify::mls
