#include "anonify/mls/tree_validation.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "anonify/mls/mls_error.h"
#include "anonify/mls/tls_codec.h"

namespace anonify::mls {
namespace {

constexpr size_t kX25519PublicKeySize = 32;
// RFC 9420 section 17.3: types 1..5 are the default extensions every member supports (never listed).
constexpr uint16_t kLastDefaultExtension = 5;
// RFC 9420 section 17.4: proposal types 1..7 are default.
constexpr uint16_t kLastDefaultProposal = 7;

bool lists(const std::vector<uint16_t>& list, uint16_t value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

std::vector<uint16_t> read_u16_list(TlsReader& r) {
  TlsReader body = r.vector();
  std::vector<uint16_t> out;
  while (!body.empty()) out.push_back(body.u16());
  return out;
}

// RequiredCapabilities: extension_types<V>, proposal_types<V>, credential_types<V> (section 11.1).
struct Required {
  std::vector<uint16_t> extensions;
  std::vector<uint16_t> proposals;
  std::vector<uint16_t> credentials;
};

Required required_capabilities(const GroupContext& context) {
  Required out;
  const Extension* ext = find_extension(context.extensions, ExtensionType::kRequiredCapabilities);
  if (ext == nullptr) return out;
  try {
    TlsReader r(ext->data.data(), ext->data.size());
    out.extensions = read_u16_list(r);
    out.proposals = read_u16_list(r);
    out.credentials = read_u16_list(r);
    r.finish("required_capabilities");
  } catch (const Error& e) {
    fail(Reason::kInvalidTree, std::string("malformed required_capabilities extension: ") + e.what());
  }
  return out;
}

void check_leaf(const LeafNode& leaf, LeafIndex l, const GroupContext& context, const Required& required) {
  const auto refuse = [l](const std::string& why) { fail(Reason::kInvalidTree, "leaf " + std::to_string(l) + " " + why); };
  const Capabilities& caps = leaf.capabilities;
  if (leaf.credential.type != CredentialType::kBasic) refuse("holds a credential other than basic");
  if (!lists(caps.credentials, static_cast<uint16_t>(CredentialType::kBasic))) refuse("does not list basic credentials");
  if (!lists(caps.cipher_suites, context.cipher_suite)) refuse("does not support the group's cipher suite");
  for (const Extension& e : context.extensions) {
    if (e.type > kLastDefaultExtension && !lists(caps.extensions, e.type)) {
      refuse("does not support the group's extension " + std::to_string(e.type));
    }
  }
  for (const Extension& e : leaf.extensions) {
    if (e.type > kLastDefaultExtension && !lists(caps.extensions, e.type)) {
      refuse("carries extension " + std::to_string(e.type) + " it does not list in its capabilities");
    }
  }
  for (uint16_t t : required.extensions) {
    if (t > kLastDefaultExtension && !lists(caps.extensions, t)) refuse("lacks required extension " + std::to_string(t));
  }
  for (uint16_t t : required.proposals) {
    if (t > kLastDefaultProposal && !lists(caps.proposals, t)) refuse("lacks required proposal type " + std::to_string(t));
  }
  for (uint16_t t : required.credentials) {
    if (!lists(caps.credentials, t)) refuse("lacks required credential type " + std::to_string(t));
  }
}

void check_key_size(const Bytes& key, NodeIndex n) {
  if (key.size() != kX25519PublicKeySize) {
    fail(Reason::kInvalidTree, "node " + std::to_string(n) + " has a " + std::to_string(key.size()) +
                                   "-byte encryption key (X25519 keys are 32 bytes)");
  }
}

[[noreturn]] void repeated_key(NodeIndex n) {
  fail(Reason::kInvalidTree, "node " + std::to_string(n) + " repeats an encryption key of another node");
}

bool is_leaf_node(NodeIndex n) { return n % 2 == 0; }


}  // namespace

void validate_tree(const RatchetTree& tree, const GroupContext& context) {
  const Required required = required_capabilities(context);
  std::set<Bytes> keys;
  for (NodeIndex n = 0; n < tree.node_width(); ++n) {
    if (tree.is_blank(n)) continue;
    const Bytes& key = tree.encryption_key(n);
    check_key_size(key, n);
    if (!keys.insert(key).second) repeated_key(n);
    if (is_leaf_node(n)) check_leaf(*tree.leaf(n / 2), n / 2, context, required);
  }
}

void validate_commit_tree(const RatchetTree& before, const RatchetTree& after, const GroupContext& context,
                          bool context_extensions_changed) {
  if (context_extensions_changed) {
    validate_tree(after, context);
    return;
  }
  const Required required = required_capabilities(context);
  // The nodes a commit changed (its path, added and updated leaves): every other node is the very node
  // object of the tree before, which passed these checks.
  const std::vector<NodeIndex> fresh = after.nodes_changed_since(before);
  for (NodeIndex n : fresh) check_key_size(after.encryption_key(n), n);
  // A new key may repeat no key of the tree; the old keys were unique among themselves already.
  if (const std::optional<NodeIndex> repeat = after.find_repeated_key(fresh)) repeated_key(*repeat);
  for (NodeIndex n : fresh) {
    if (is_leaf_node(n)) check_leaf(*after.leaf(n / 2), n / 2, context, required);
  }
}

}  // namespace anonify::mls
