// libFuzzer harness for MLS decoding: every structure that reaches an enclave from the log or the
// host (MLSMessage, PublicMessage, Commit, UpdatePath, GroupInfo and its ratchet_tree extension,
// ratchet trees, handshake entries, KeyPackage, Welcome, proposals, the sealed group state), then
// the raw handshake entry as mls_process_handshake and mls_follow take it: into a member's group,
// a follower, and a new follower (genesis) or an external join (GroupInfo).
//
// Input: byte 0 picks the structure (see kDecoders), the rest is its encoding.
//
// Invariants: no crash/UB; refusals are anonify::Error; every accepted encoding of a structure that
// travels re-encodes to the same bytes (MLS structures have exactly one encoding; a second one is a
// malleability bug); the sealed group state re-encodes to a stable canonical form.
#include <fstream>
#include <functional>

#include <nlohmann/json.hpp>

#include "mls_fixture.h"
#include "vector_files.h"

using namespace anonify;
using anonify::fuzz::MlsFixture;

namespace {

// Decodes the whole input as T (tls_decode refuses trailing bytes) and checks the round trip.
template <typename T>
T decode_exact(const Bytes& input, const char* what) {
  T value = mls::tls_decode<T>(input, what);
  fuzz::require_roundtrip(what, input, mls::tls_encode(value));
  return value;
}

void refused_or_accepted(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error&) {
  }
}

// A handshake entry exactly as mls_process_handshake / mls_follow get it.
void apply_entry(const mls::HandshakeEntry& entry) {
  MlsFixture& f = MlsFixture::get();
  if (entry.is_genesis()) {
    refused_or_accepted([&] { mls::PublicGroup::from_group_info(entry.group_info, {}); });
    return;
  }
  refused_or_accepted([&] { f.alice.clone().process_handshake(entry.commit, &entry.group_info); });
  refused_or_accepted([&] {
    mls::PublicGroup follower = f.follower;
    follower.apply(entry.commit, entry.group_info);
  });
  refused_or_accepted([&] { f.dave_joining.public_state_after(entry.commit, entry.group_info); });
}

void mls_message(const Bytes& in) {
  const mls::MlsMessage m = decode_exact<mls::MlsMessage>(in, "MLSMessage");
  if (std::holds_alternative<mls::PublicMessage>(m.body)) {
    apply_entry(mls::HandshakeEntry{in, MlsFixture::get().templates.front().output.group_info});
  } else if (std::holds_alternative<mls::PrivateMessage>(m.body)) {
    refused_or_accepted([&] { MlsFixture::get().alice.clone().unprotect(in); });  // mls_unprotect
  } else if (std::holds_alternative<mls::GroupInfo>(m.body)) {
    refused_or_accepted([&] { mls::PublicGroup::from_group_info(in, {}); });
  }
}

void handshake_entry(const Bytes& in) { apply_entry(decode_exact<mls::HandshakeEntry>(in, "AnonifyHandshake")); }

void group_info(const Bytes& in) {
  const mls::GroupInfo gi = decode_exact<mls::GroupInfo>(in, "GroupInfo");
  if (const mls::Extension* tree = mls::find_extension(gi.extensions, mls::ExtensionType::kRatchetTree)) {
    refused_or_accepted([&] { decode_exact<mls::RatchetTree>(tree->data, "ratchet_tree extension"); });
  }
  const Bytes message = mls::MlsMessage{gi}.to_bytes();
  refused_or_accepted([&] { mls::PublicGroup::from_group_info(message, {}); });  // genesis / mls_follow
  refused_or_accepted([&] {                                                      // mls_join_external
    mls::CommitOutput out;
    mls::Group::join_external(message, {}, fuzz::MlsFixture::joiner(), out);
  });
}

// A tree handed with a GroupInfo (mls_join_external's ratchetTree) is validated against it.
void ratchet_tree(const Bytes& in) {
  const mls::RatchetTree tree = decode_exact<mls::RatchetTree>(in, "ratchet_tree");
  (void)tree;
  refused_or_accepted([&] { mls::PublicGroup::from_group_info(MlsFixture::get().alice.group_info(false), in); });
}

// The sealed group state is written only by the enclave itself (AES-GCM under the sealing key).
// The oracle is a stable canonical form: encode(decode(x)) must decode and re-encode to itself.
// (TreeKemPrivate path keys out of order or repeated, which this harness once found, are refused
// by the decoder since; mls_sealed_state_test.cpp pins that.)
void sealed_group_state(const Bytes& in) {
  const Bytes canonical = mls::Group::deserialize(in).serialize().reveal();
  fuzz::require_roundtrip("sealed group state (canonical form)", canonical,
                          mls::Group::deserialize(canonical).serialize().reveal());
}

const std::function<void(const Bytes&)> kDecoders[] = {
    mls_message,
    handshake_entry,
    group_info,
    [](const Bytes& in) { decode_exact<mls::PublicMessage>(in, "PublicMessage"); },
    [](const Bytes& in) { decode_exact<mls::Commit>(in, "Commit"); },
    [](const Bytes& in) { decode_exact<mls::UpdatePath>(in, "UpdatePath"); },
    ratchet_tree,
    [](const Bytes& in) { decode_exact<mls::KeyPackage>(in, "KeyPackage"); },
    [](const Bytes& in) { decode_exact<mls::Welcome>(in, "Welcome"); },
    [](const Bytes& in) { decode_exact<mls::Proposal>(in, "Proposal"); },
    [](const Bytes& in) { decode_exact<mls::LeafNode>(in, "LeafNode"); },
    [](const Bytes& in) { decode_exact<mls::GroupContext>(in, "GroupContext"); },
    sealed_group_state,
};
constexpr size_t kDecoderCount = sizeof kDecoders / sizeof kDecoders[0];

// Seeds from the RFC 9420 interop vectors (messages.json): the structures the fixture has none of.
void add_vector_seeds(std::vector<std::pair<std::string, Bytes>>& seeds) {
  const std::string path = anonify::testing::vector_path("mls/messages.json");
  std::ifstream file(path);
  if (!file) fuzz::fail("seeds", "cannot read " + path);
  const nlohmann::json vectors = nlohmann::json::parse(file);
  const std::pair<const char*, uint8_t> messages[] = {
      {"mls_welcome", 0},    {"mls_group_info", 0},          {"mls_key_package", 0},
      {"private_message", 0}, {"public_message_proposal", 0}, {"public_message_commit", 0},
      {"commit", 4},          {"ratchet_tree", 6}};
  const std::pair<const char*, uint8_t> proposals[] = {{"add_proposal", 1},    {"update_proposal", 2},
                                                       {"remove_proposal", 3}, {"pre_shared_key_proposal", 4},
                                                       {"re_init_proposal", 5}, {"external_init_proposal", 6},
                                                       {"group_context_extensions_proposal", 7}};
  for (size_t i = 0; i < 2 && i < vectors.size(); ++i) {
    const std::string n = "-rfc" + std::to_string(i);
    for (const auto& [field, selector] : messages) {
      seeds.emplace_back(field + n, fuzz::seed({selector}, from_hex(vectors[i].at(field).get<std::string>())));
    }
    for (const auto& [field, type] : proposals) {
      seeds.emplace_back(field + n, fuzz::seed({9, 0, type}, from_hex(vectors[i].at(field).get<std::string>())));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  MlsFixture& f = MlsFixture::get();
  std::vector<std::pair<std::string, Bytes>> seeds;
  const Bytes genesis_info = f.alice.group_info(true);
  seeds.emplace_back("genesis-entry", fuzz::seed({1}, mls::tls_encode(mls::HandshakeEntry{{}, genesis_info})));
  seeds.emplace_back("group-info-with-tree", fuzz::seed({0}, genesis_info));
  const mls::MlsMessage info = mls::MlsMessage::from_bytes(genesis_info);
  seeds.emplace_back("group-info", fuzz::seed({2}, mls::tls_encode(std::get<mls::GroupInfo>(info.body))));
  seeds.emplace_back("ratchet-tree", fuzz::seed({6}, f.alice.ratchet_tree()));
  seeds.emplace_back("group-context", fuzz::seed({11}, f.alice.context().to_bytes()));
  seeds.emplace_back("sealed-group-state", fuzz::seed({12}, f.carol.serialize().reveal()));
  seeds.emplace_back("private-message", fuzz::seed({0}, f.carol.clone().protect(Bytes{'h', 'i'})));
  for (const fuzz::HandshakeTemplate& t : f.templates) {
    seeds.emplace_back(t.name + "-message", fuzz::seed({0}, t.output.commit));
    seeds.emplace_back(t.name + "-entry", fuzz::seed({1}, mls::tls_encode(mls::HandshakeEntry{t.output.commit, t.output.group_info})));
    seeds.emplace_back(t.name + "-public-message", fuzz::seed({3}, mls::tls_encode(t.message)));
    seeds.emplace_back(t.name + "-commit", fuzz::seed({4}, t.body));
    const auto& commit = std::get<mls::Commit>(t.message.content.body);
    if (commit.path) {
      seeds.emplace_back(t.name + "-update-path", fuzz::seed({5}, mls::tls_encode(*commit.path)));
      seeds.emplace_back(t.name + "-leaf-node", fuzz::seed({10}, mls::tls_encode(commit.path->leaf_node)));
    }
    for (const mls::ProposalOrRef& p : commit.proposals) {
      if (const auto* proposal = std::get_if<mls::Proposal>(&p.value)) {
        seeds.emplace_back(t.name + "-proposal", fuzz::seed({9}, mls::tls_encode(*proposal)));
      }
    }
  }
  if (std::getenv("ANONIFY_FUZZ_WRITE_SEEDS") != nullptr) add_vector_seeds(seeds);
  fuzz::write_seeds_if_asked(seeds);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const Bytes body(data + 1, data + size);
  try {
    kDecoders[data[0] % kDecoderCount](body);
  } catch (const Error&) {
    // A refusal with a typed error is the expected outcome for most inputs.
  }
  return 0;
}
