// Checks of a whole ratchet tree against the group it belongs to (RFC 9420 sections 7.2, 7.9,
// 12.4.3.1), run when a tree is taken from outside (join_external, join_welcome,
// PublicGroup::from_group_info) and, for what the commit changed, on the tree a commit produces:
//   - every encryption key (leaves and parents) is unique in the tree;
//   - every key is an X25519 public key (32 bytes), parents included;
//   - every leaf holds a basic credential and lists basic among its credential types;
//   - every leaf supports the group's cipher suite, the non-default extensions of the
//     GroupContext, what its required_capabilities extension requires, and lists the
//     non-default extensions it carries itself.
// Throws MlsError(InvalidTree) naming the node and the rule; the tree's hashes and signatures are
// checked elsewhere (tree hash, parent hash, leaf signatures).
#pragma once

#include "anonify/mls/key_schedule.h"
#include "anonify/mls/ratchet_tree.h"

namespace anonify::mls {

void validate_tree(const RatchetTree& tree, const GroupContext& context);

// The same checks for the tree `after` a commit made from `before`, a tree that passed them, in time
// linear in the tree and without a set of every key: the nodes the commit changed (those that are
// not `before`'s node objects) are checked (key size, key unique against every node, and for leaves
// credential and capabilities). A commit that changes the GroupContext's extensions
// (`context_extensions_changed`) has every leaf judged again (validate_tree).
void validate_commit_tree(const RatchetTree& before, const RatchetTree& after, const GroupContext& context,
                          bool context_extensions_changed);

}  // namespace anonify::mls
