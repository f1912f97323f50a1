// messages.json (suite-independent): every structure decodes and re-encodes to the same bytes;
// tree-operations.json: Add, Update and Remove applied to a tree give the expected tree and hash.
#include "anonify/mls/framing.h"

#include "anonify/mls/mls_error.h"
#include "mls_test_util.h"

namespace anonify::mls {
namespace {

using nlohmann::json;
using testing::hex;

template <typename Decode, typename Encode>
bool round_trips(const json& v, const char* field, Decode&& decode, Encode&& encode) {
  const Bytes bytes = hex(v.at(field));
  try {
    TlsReader r(bytes);
    auto value = decode(r);
    r.finish(field);
    TlsWriter w;
    encode(w, value);
    const bool ok = w.bytes() == bytes;
    EXPECT_TRUE(ok) << field << " re-encodes differently";
    return ok;
  } catch (const MlsError& e) {
    ADD_FAILURE() << field << ": " << e.what();
    return false;
  }
}

template <typename T>
bool round_trips(const json& v, const char* field) {
  return round_trips(v, field, [](TlsReader& r) { return T::decode(r); },
                     [](TlsWriter& w, const T& value) { value.encode(w); });
}

TEST(MlsVectors, Messages) {
  const json vectors = testing::load_mls_vectors("messages.json");
  size_t passed = 0;
  for (const json& v : vectors) {
    bool ok = true;
    for (const char* field : {"mls_welcome", "mls_group_info", "mls_key_package", "public_message_application",
                              "public_message_proposal", "public_message_commit", "private_message"}) {
      ok &= round_trips<MlsMessage>(v, field);
    }
    ok &= round_trips<RatchetTree>(v, "ratchet_tree");
    ok &= round_trips<GroupSecrets>(v, "group_secrets");
    ok &= round_trips<KeyPackage>(v, "add_proposal");
    ok &= round_trips<LeafNode>(v, "update_proposal");
    ok &= round_trips(v, "remove_proposal", [](TlsReader& r) { return r.u32(); },
                      [](TlsWriter& w, uint32_t leaf) { w.u32(leaf); });
    ok &= round_trips<PreSharedKeyId>(v, "pre_shared_key_proposal");
    ok &= round_trips(
        v, "re_init_proposal",
        [](TlsReader& r) {
          ReInitProposal p;
          p.group_id = r.opaque();
          p.version = r.u16();
          p.cipher_suite = r.u16();
          p.extensions = decode_extensions(r);
          return p;
        },
        [](TlsWriter& w, const ReInitProposal& p) {
          w.opaque(p.group_id);
          w.u16(p.version);
          w.u16(p.cipher_suite);
          encode_extensions(w, p.extensions);
        });
    ok &= round_trips(v, "external_init_proposal", [](TlsReader& r) { return r.opaque(); },
                      [](TlsWriter& w, const Bytes& kem_output) { w.opaque(kem_output); });
    ok &= round_trips(v, "group_context_extensions_proposal", [](TlsReader& r) { return decode_extensions(r); },
                      [](TlsWriter& w, const ExtensionList& e) { encode_extensions(w, e); });
    ok &= round_trips<Commit>(v, "commit");
    passed += ok ? 1 : 0;
  }
  testing::report_passed("messages.json", passed, vectors.size());
}

TEST(MlsVectors, TreeOperations) {
  const json vectors = testing::load_mls_vectors("tree-operations.json");
  size_t passed = 0;
  size_t total = 0;
  for (const json& v : vectors) {
    if (!testing::is_suite_one(v)) continue;
    ++total;
    RatchetTree tree = RatchetTree::from_bytes(hex(v.at("tree_before")));
    bool ok = tree.root_tree_hash() == hex(v.at("tree_hash_before"));
    const Proposal proposal = tls_decode<Proposal>(hex(v.at("proposal")), "proposal");
    const LeafIndex sender = v.at("proposal_sender");
    if (const auto* add = std::get_if<AddProposal>(&proposal.body)) {
      tree.add_leaf(add->key_package.leaf_node);
    } else if (const auto* update = std::get_if<UpdateProposal>(&proposal.body)) {
      tree.set_leaf(sender, update->leaf_node);
      tree.blank_direct_path(sender);
    } else if (const auto* remove = std::get_if<RemoveProposal>(&proposal.body)) {
      tree.remove_leaf(remove->removed);
    }
    ok &= tree.to_bytes() == hex(v.at("tree_after")) && tree.root_tree_hash() == hex(v.at("tree_hash_after"));
    EXPECT_TRUE(ok) << "entry " << total - 1;
    passed += ok ? 1 : 0;
  }
  testing::report_passed("tree-operations.json", passed, total);
}

}  // namespace
}  // namespace anonify::mls
