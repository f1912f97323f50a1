// Removal commits that vouch for the revoked enclaves they remove (audit F-6): mls_commit_remove and
// mls_commit_update with `enclaves` sign RemovalCommit(chainEpoch, keccak256(handshake), enclaves)
// only when no named enclave holds a leaf after the commit and the commit removes no leaf of an
// identity the list does not name; every other list is refused and changes nothing.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "anonify/crypto/eip712.h"
#include "anonify/crypto/keccak.h"
#include "anonify/crypto/secp256k1.h"
#include "mls_protocol_node.h"

namespace anonify::enclave {
namespace {

using testing_mls::Node;
using testing_mls::test_domain;

Bytes hex_bytes(const Json& value) { return from_hex(value.get<std::string>()); }

// a creates the group, b and c join by external commit; every node applies every entry.
void form_three_member_group(Node& a, Node& b, Node& c) {
  const Json domain = test_domain();
  testing_mls::admit_all({&a, &b, &c});
  const Json genesis = a.create_group(domain);
  for (Node* n : {&b, &c}) n->call("mls_process_handshake", Json{{"handshake", genesis["handshake"]}});
  for (Node* joiner : {&b, &c}) {
    const Json join = joiner->call("mls_join_external", Json{{"domain", domain}});
    for (Node* n : {&a, &b, &c}) n->call("mls_process_handshake", Json{{"handshake", join["handshake"]}});
  }
}

// The address (basic credential identity) of `leaf` in `node`'s view of the group.
std::string member_address(Node& node, int leaf) {
  const Json status = node.call("mls_status");
  for (const Json& m : status["group"]["members"]) {
    if (m["leaf"] == leaf) return m["identity"].get<std::string>();
  }
  ADD_FAILURE() << "no leaf " << leaf << " in " << status.dump();
  return "";
}

// Who signed `entry` as RemovalCommit{chainEpoch, handshakeHash, removed} under the test domain.
Bytes removal_signer(const Json& entry, const std::vector<std::string>& removed) {
  const Json d = test_domain();
  crypto::eip712::Domain domain;
  domain.chain_id = d["chainId"].get<uint64_t>();
  domain.verifying_contract = hex_bytes(d["verifyingContract"]);
  std::vector<Bytes> addresses;
  for (const std::string& a : removed) addresses.push_back(from_hex(a));
  const Bytes digest = crypto::eip712::typed_data_digest(
      crypto::eip712::domain_separator(domain),
      crypto::eip712::removal_commit_struct_hash(entry["chainEpoch"].get<uint64_t>(),
                                                 crypto::keccak256(hex_bytes(entry["handshake"])), addresses));
  return crypto::eth_recover_address(digest, hex_bytes(entry["signature"]));
}

Json remove_params(const Json& leaves, const Json& enclaves) {
  return Json{{"leaves", leaves}, {"enclaves", enclaves}, {"domain", test_domain()}};
}

std::vector<std::string> ascending(std::vector<std::string> addresses) {
  std::sort(addresses.begin(), addresses.end(), [](const std::string& x, const std::string& y) { return from_hex(x) < from_hex(y); });
  return addresses;
}

TEST(MlsRemovalCommit, SignsTheRemovalOfExactlyTheNamedLeaves) {
  testing::TempDir da, db, dc;
  Node a(da.path()), b(db.path()), c(dc.path());
  form_three_member_group(a, b, c);
  const std::string addr_a = member_address(a, 0);
  const std::string addr_c = member_address(a, 2);

  const Json entry = a.call("mls_commit_remove", remove_params(Json::array({2}), Json::array({addr_c})));
  EXPECT_EQ(entry["removedEnclaves"], Json::array({addr_c}));
  EXPECT_EQ(to_hex(removal_signer(entry, {addr_c})), addr_a.substr(2));
  // The same signature does not stand for a plain Handshake (the contract would recover another address).
  EXPECT_NE(to_hex(removal_signer(entry, {})), addr_a.substr(2));

  // Applied: c is out; b and a agree.
  EXPECT_EQ(a.call("mls_process_handshake", Json{{"handshake", entry["handshake"]}})["outcome"], "own_commit");
  EXPECT_EQ(b.call("mls_process_handshake", Json{{"handshake", entry["handshake"]}})["outcome"], "commit");
  EXPECT_EQ(c.call("mls_process_handshake", Json{{"handshake", entry["handshake"]}})["outcome"], "removed");
  EXPECT_EQ(a.call("mls_status")["group"]["memberCount"], 2);

  // A leaf already gone (e.g. removed by an earlier commit) may be named by a self-update: it holds
  // no leaf afterwards, and the update removes nobody.
  const Json update = b.call("mls_commit_update", Json{{"enclaves", Json::array({addr_c})}, {"domain", test_domain()}});
  EXPECT_EQ(update["removedEnclaves"], Json::array({addr_c}));
  EXPECT_EQ(to_hex(removal_signer(update, {addr_c})), member_address(b, 1).substr(2));
  // Without `enclaves` the entry is a plain handshake, as before.
  EXPECT_FALSE(a.call("mls_commit_update", Json{{"domain", test_domain()}}).contains("removedEnclaves"));
}

TEST(MlsRemovalCommit, RefusesAListThatIsNotExactlyTheRemovedLeavesAndChangesNothing) {
  testing::TempDir da, db, dc;
  Node a(da.path()), b(db.path()), c(dc.path());
  form_three_member_group(a, b, c);
  const std::string addr_a = member_address(a, 0);
  const std::string addr_b = member_address(a, 1);
  const std::string addr_c = member_address(a, 2);
  const std::vector<std::string> b_and_c = ascending({addr_b, addr_c});
  const std::string stranger = "0x00000000000000000000000000000000000000bb";

  const std::string before = a.mls_fingerprint();
  const std::vector<std::pair<Json, std::string>> refused = {
      // Removes c but names b: b still holds a leaf, and c's removal is not named.
      {remove_params(Json::array({2}), Json::array({addr_b})), "still holds a leaf"},
      // Names b too, who stays.
      {remove_params(Json::array({2}), Json(b_and_c)), "still holds a leaf"},
      // Removes b and c but names only c.
      {remove_params(Json::array({1, 2}), Json::array({addr_c})), "does not name"},
      // Names the committer itself.
      {remove_params(Json::array({2}), Json(ascending({addr_a, addr_c}))), "still holds a leaf"},
      // Names an address that never held a leaf, and not c.
      {remove_params(Json::array({2}), Json::array({stranger})), "does not name"},
      // Not the contract's form: a duplicate, descending order, not an address, empty, no domain.
      {remove_params(Json::array({2}), Json::array({addr_c, addr_c})), "strictly ascending"},
      {remove_params(Json::array({1, 2}), Json::array({b_and_c[1], b_and_c[0]})), "strictly ascending"},
      {remove_params(Json::array({2}), Json::array({"0x01"})), "20-byte addresses"},
      {remove_params(Json::array({2}), Json::array()), "non-empty"},
      {Json{{"leaves", Json::array({2})}, {"enclaves", Json::array({addr_c})}}, "needs params.domain"},
  };
  for (const auto& [params, reason] : refused) {
    const Json error = a.error("mls_commit_remove", params);
    EXPECT_EQ(error["code"], "invalid_params") << params.dump();
    EXPECT_NE(error["message"].get<std::string>().find(reason), std::string::npos) << error.dump();
    EXPECT_EQ(a.mls_fingerprint(), before) << params.dump();
  }
  // A self-update naming a member that keeps its leaf.
  const Json error = a.error("mls_commit_update", Json{{"enclaves", Json::array({addr_c})}, {"domain", test_domain()}});
  EXPECT_EQ(error["code"], "invalid_params");
  EXPECT_NE(error["message"].get<std::string>().find("still holds a leaf"), std::string::npos) << error.dump();
  EXPECT_EQ(a.mls_fingerprint(), before);
  // The right list is then accepted.
  EXPECT_EQ(a.call("mls_commit_remove", remove_params(Json::array({1, 2}), Json(b_and_c)))["removedEnclaves"], Json(b_and_c));
}

}  // namespace
}  // namespace anonify::enclave
