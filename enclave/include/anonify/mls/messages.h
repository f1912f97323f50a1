// Handshake message bodies (RFC 9420 sections 10-12): KeyPackage, the proposals, Commit and
// GroupInfo. Framing (PublicMessage/PrivateMessage) is in framing.h.
#pragma once

#include <functional>
#include <optional>
#include <variant>
#include <vector>

#include "anonify/mls/key_schedule.h"
#include "anonify/mls/update_path.h"

namespace anonify::mls {

struct KeyPackage {
  uint16_t version = kProtocolVersionMls10;
  uint16_t cipher_suite = kCipherSuite;
  Bytes init_key;
  LeafNode leaf_node;
  ExtensionList extensions;
  Bytes signature;

  void encode(TlsWriter& w) const;
  static KeyPackage decode(TlsReader& r);
  bool verify() const;  // SignWithLabel("KeyPackageTBS") under the leaf's signature key
};

enum class ProposalType : uint16_t {
  kAdd = 1,
  kUpdate = 2,
  kRemove = 3,
  kPreSharedKey = 4,
  kReInit = 5,
  kExternalInit = 6,
  kGroupContextExtensions = 7,
};

/// PSKType (RFC 9420 §8.4).
constexpr uint8_t kPskTypeExternal = 1;
constexpr uint8_t kPskTypeResumption = 2;

struct PreSharedKeyId {
  uint8_t psk_type = kPskTypeExternal;
  Bytes psk_id;          // external
  uint8_t usage = 0;     // resumption
  Bytes psk_group_id;    // resumption
  uint64_t psk_epoch = 0;
  Bytes psk_nonce;

  void encode(TlsWriter& w) const;
  static PreSharedKeyId decode(TlsReader& r);
};

struct AddProposal { KeyPackage key_package; };
struct UpdateProposal { LeafNode leaf_node; };
struct RemoveProposal { LeafIndex removed = 0; };
struct PreSharedKeyProposal { PreSharedKeyId psk; };
struct ReInitProposal {
  Bytes group_id;
  uint16_t version = kProtocolVersionMls10;
  uint16_t cipher_suite = kCipherSuite;
  ExtensionList extensions;
};
struct ExternalInitProposal { Bytes kem_output; };
struct GroupContextExtensionsProposal { ExtensionList extensions; };

struct Proposal {
  std::variant<AddProposal, UpdateProposal, RemoveProposal, PreSharedKeyProposal, ReInitProposal,
               ExternalInitProposal, GroupContextExtensionsProposal>
      body;

  ProposalType type() const { return static_cast<ProposalType>(body.index() + 1); }
  void encode(TlsWriter& w) const;
  static Proposal decode(TlsReader& r);
};

struct ProposalOrRef {
  std::variant<Proposal, Bytes> value;  // inline proposal or ProposalRef

  void encode(TlsWriter& w) const;
  static ProposalOrRef decode(TlsReader& r);
};

struct Commit {
  std::vector<ProposalOrRef> proposals;
  std::optional<UpdatePath> path;

  void encode(TlsWriter& w) const;
  static Commit decode(TlsReader& r);
};

// GroupInfo (section 12.4.3), signed by a member with SignWithLabel("GroupInfoTBS").
struct GroupInfo {
  GroupContext group_context;
  ExtensionList extensions;
  Bytes confirmation_tag;
  LeafIndex signer = 0;
  Bytes signature;

  void encode(TlsWriter& w) const;
  static GroupInfo decode(TlsReader& r);
  Bytes to_be_signed() const;
  void sign(ByteView signature_private_key);
  bool verify(ByteView signature_public_key) const;
};

// psk_secret (RFC 9420 section 8.4) from PSK ids and their values, in order; all-zero without PSKs.
struct PskInput {
  PreSharedKeyId id;
  Bytes psk;
};
Bytes compute_psk_secret(const std::vector<PskInput>& psks);

// KeyPackageRef = RefHash("MLS 1.0 KeyPackage Reference", KeyPackage).
Bytes key_package_ref(const KeyPackage& key_package);

struct EncryptedGroupSecrets {
  Bytes new_member;  // KeyPackageRef
  HpkeCiphertext encrypted_group_secrets;
};

struct Welcome {
  uint16_t cipher_suite = kCipherSuite;
  std::vector<EncryptedGroupSecrets> secrets;
  Bytes encrypted_group_info;

  void encode(TlsWriter& w) const;
  static Welcome decode(TlsReader& r);
};

struct GroupSecrets {
  SecretBytes joiner_secret;
  std::optional<SecretBytes> path_secret;
  std::vector<PreSharedKeyId> psks;

  void encode(TlsWriter& w) const;
  static GroupSecrets decode(TlsReader& r);
};

// What a Welcome carries for one KeyPackage, decrypted and checked: the GroupInfo signature under
// `signer_public_key` (the caller finds it in the tree) is *not* checked here.
struct OpenedWelcome {
  GroupSecrets secrets;
  GroupInfo group_info;
  EpochSecrets epoch_secrets;
  Bytes psk_secret;
};

// Decrypts the entry for `key_package` with `init_private_key`, resolves PSKs through `find_psk`
// (returns the value of an external PSK id, or throws), opens the GroupInfo, derives the epoch and
// verifies the confirmation tag. Throws MlsError (kNotMember when no entry is ours).
OpenedWelcome open_welcome(const Welcome& welcome, const KeyPackage& key_package, ByteView init_private_key,
                           const std::function<Bytes(const PreSharedKeyId&)>& find_psk);

// ExternalPub extension body: the HPKE public key joiners encrypt their external init to.
Bytes encode_external_pub(const Bytes& external_pub);
Bytes decode_external_pub(const Bytes& extension_data);

}  // namespace anonify::mls
