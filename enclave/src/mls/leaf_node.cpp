#include "anonify/mls/leaf_node.h"

#include <string>

#include "anonify/mls/crypto_suite.h"
#include "anonify/mls/mls_error.h"

namespace anonify::mls {
namespace {

void write_u16s(TlsWriter& w, const std::vector<uint16_t>& values) {
  w.vector([&](TlsWriter& inner) {
    for (uint16_t v : values) inner.u16(v);
  });
}

std::vector<uint16_t> read_u16s(TlsReader& r) {
  return read_vector<uint16_t>(r, [](TlsReader& in) { return in.u16(); });
}

// Everything of LeafNodeTBS except the group binding.
void encode_content(TlsWriter& w, const LeafNode& leaf) {
  w.opaque(leaf.encryption_key);
  w.opaque(leaf.signature_key);
  leaf.credential.encode(w);
  leaf.capabilities.encode(w);
  w.u8(static_cast<uint8_t>(leaf.source));
  switch (leaf.source) {
    case LeafNodeSource::kKeyPackage:
      w.u64(leaf.lifetime.not_before);
      w.u64(leaf.lifetime.not_after);
      break;
    case LeafNodeSource::kUpdate:
      break;
    case LeafNodeSource::kCommit:
      w.opaque(leaf.parent_hash);
      break;
  }
  encode_extensions(w, leaf.extensions);
}

constexpr const char* kLeafNodeLabel = "LeafNodeTBS";

}  // namespace

Capabilities Capabilities::anonify_default() {
  Capabilities c;
  c.versions = {kProtocolVersionMls10};
  c.cipher_suites = {kCipherSuite};
  c.credentials = {static_cast<uint16_t>(CredentialType::kBasic)};
  // The group's measurement-policy GroupContext extension (private-use type, docs/membership.md):
  // every leaf supports what the group uses (RFC 9420 section 12.4.3.1).
  c.extensions = {kAnonifyPolicyExtensionType};
  return c;
}

void Capabilities::encode(TlsWriter& w) const {
  write_u16s(w, versions);
  write_u16s(w, cipher_suites);
  write_u16s(w, extensions);
  write_u16s(w, proposals);
  write_u16s(w, credentials);
}

Capabilities Capabilities::decode(TlsReader& r) {
  Capabilities c;
  c.versions = read_u16s(r);
  c.cipher_suites = read_u16s(r);
  c.extensions = read_u16s(r);
  c.proposals = read_u16s(r);
  c.credentials = read_u16s(r);
  return c;
}

void LeafNode::encode(TlsWriter& w) const {
  encode_content(w, *this);
  w.opaque(signature);
}

LeafNode LeafNode::decode(TlsReader& r) {
  LeafNode leaf;
  leaf.encryption_key = r.opaque();
  leaf.signature_key = r.opaque();
  leaf.credential = Credential::decode(r);
  leaf.capabilities = Capabilities::decode(r);
  const uint8_t source = r.u8();
  switch (source) {
    case static_cast<uint8_t>(LeafNodeSource::kKeyPackage):
      leaf.source = LeafNodeSource::kKeyPackage;
      leaf.lifetime.not_before = r.u64();
      leaf.lifetime.not_after = r.u64();
      break;
    case static_cast<uint8_t>(LeafNodeSource::kUpdate):
      leaf.source = LeafNodeSource::kUpdate;
      break;
    case static_cast<uint8_t>(LeafNodeSource::kCommit):
      leaf.source = LeafNodeSource::kCommit;
      leaf.parent_hash = r.opaque();
      break;
    default:
      fail(Reason::kMalformed, "leaf node source " + std::to_string(source));
  }
  leaf.extensions = decode_extensions(r);
  leaf.signature = r.opaque();
  return leaf;
}

bool LeafNode::operator==(const LeafNode& o) const {
  return encryption_key == o.encryption_key && signature_key == o.signature_key && credential == o.credential &&
         capabilities == o.capabilities && source == o.source && lifetime == o.lifetime &&
         parent_hash == o.parent_hash && extensions == o.extensions && signature == o.signature;
}

Bytes LeafNode::to_be_signed(const Bytes& group_id, LeafIndex leaf_index) const {
  TlsWriter w;
  encode_content(w, *this);
  if (source != LeafNodeSource::kKeyPackage) {
    w.opaque(group_id);
    w.u32(leaf_index);
  }
  return w.take();
}

void LeafNode::sign(ByteView signature_private_key, const Bytes& group_id, LeafIndex leaf_index) {
  signature = sign_with_label(signature_private_key, kLeafNodeLabel, to_be_signed(group_id, leaf_index));
}

bool LeafNode::verify(const Bytes& group_id, LeafIndex leaf_index) const {
  return verify_with_label(signature_key, kLeafNodeLabel, to_be_signed(group_id, leaf_index), signature);
}

}  // namespace anonify::mls
