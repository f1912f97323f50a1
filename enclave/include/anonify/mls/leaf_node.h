// LeafNode (RFC 9420 section 7.2): a member's HPKE and signature keys, credential and capabilities,
// signed by the member with SignWithLabel("LeafNodeTBS").
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "anonify/mls/credential.h"
#include "anonify/mls/tree_math.h"

namespace anonify::mls {

/// The private-use GroupContext extension holding the group's measurement policy (0xF0A1); every
/// Anonify leaf lists it among its supported extensions.
constexpr uint16_t kAnonifyPolicyExtensionType = 0xF0A1;

struct Capabilities {
  std::vector<uint16_t> versions;
  std::vector<uint16_t> cipher_suites;
  std::vector<uint16_t> extensions;
  std::vector<uint16_t> proposals;
  std::vector<uint16_t> credentials;

  // What an Anonify member supports: MLS 1.0, suite 1, basic credentials, the policy extension.
  static Capabilities anonify_default();
  void encode(TlsWriter& w) const;
  static Capabilities decode(TlsReader& r);
  bool operator==(const Capabilities& o) const {
    return versions == o.versions && cipher_suites == o.cipher_suites && extensions == o.extensions &&
           proposals == o.proposals && credentials == o.credentials;
  }
};

struct Lifetime {
  uint64_t not_before = 0;
  uint64_t not_after = 0;
  bool operator==(const Lifetime& o) const { return not_before == o.not_before && not_after == o.not_after; }
};

enum class LeafNodeSource : uint8_t { kKeyPackage = 1, kUpdate = 2, kCommit = 3 };

struct LeafNode {
  Bytes encryption_key;
  Bytes signature_key;
  Credential credential;
  Capabilities capabilities;
  LeafNodeSource source = LeafNodeSource::kCommit;
  Lifetime lifetime;  // key_package only
  Bytes parent_hash;  // commit only
  ExtensionList extensions;
  Bytes signature;

  void encode(TlsWriter& w) const;
  static LeafNode decode(TlsReader& r);
  bool operator==(const LeafNode& o) const;

  // LeafNodeTBS: the fields above the signature, plus group_id and leaf_index for update/commit.
  Bytes to_be_signed(const Bytes& group_id, LeafIndex leaf_index) const;
  void sign(ByteView signature_private_key, const Bytes& group_id, LeafIndex leaf_index);
  bool verify(const Bytes& group_id, LeafIndex leaf_index) const;
};

}  // namespace anonify::mls
