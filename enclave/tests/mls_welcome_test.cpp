#include "anonify/mls/group.h"

#include "anonify/mls/mls_error.h"
#include "mls_test_util.h"

namespace anonify::mls {
namespace {

using nlohmann::json;
using testing::hex;

KeyPackage key_package_of(const Bytes& message) {
  const MlsMessage m = MlsMessage::from_bytes(message);
  const KeyPackage* kp = std::get_if<KeyPackage>(&m.body);
  if (kp == nullptr) fail(Reason::kMalformed, "not a KeyPackage");
  return *kp;
}

const auto kNoPsks = [](const PreSharedKeyId&) -> Bytes { fail(Reason::kUnsupported, "no PSK expected"); };

TEST(MlsVectors, PskSecret) {
  const json vectors = testing::load_mls_vectors("psk_secret.json");
  size_t passed = 0;
  size_t total = 0;
  for (const json& v : vectors) {
    if (!testing::is_suite_one(v)) continue;
    ++total;
    std::vector<PskInput> psks;
    for (const json& p : v.at("psks")) {
      PreSharedKeyId id;
      id.psk_type = 1;
      id.psk_id = hex(p.at("psk_id"));
      id.psk_nonce = hex(p.at("psk_nonce"));
      psks.push_back(PskInput{id, hex(p.at("psk"))});
    }
    const bool ok = compute_psk_secret(psks) == hex(v.at("psk_secret"));
    EXPECT_TRUE(ok) << "entry with " << psks.size() << " PSKs";
    passed += ok ? 1 : 0;
  }
  testing::report_passed("psk_secret.json", passed, total);
}

TEST(MlsVectors, Welcome) {
  const json vectors = testing::load_mls_vectors("welcome.json");
  size_t passed = 0;
  size_t total = 0;
  for (const json& v : vectors) {
    if (!testing::is_suite_one(v)) continue;
    ++total;
    const Bytes welcome_bytes = hex(v.at("welcome"));
    const MlsMessage message = MlsMessage::from_bytes(welcome_bytes);
    const KeyPackage kp = key_package_of(hex(v.at("key_package")));
    const OpenedWelcome opened = open_welcome(std::get<Welcome>(message.body), kp, hex(v.at("init_priv")), kNoPsks);
    const bool ok = message.to_bytes() == welcome_bytes && kp.verify() &&
                    opened.group_info.verify(hex(v.at("signer_pub")));
    EXPECT_TRUE(ok);
    passed += ok ? 1 : 0;
  }
  testing::report_passed("welcome.json", passed, total);
}

// A passive client (RFC 9420 interop "passive-client-*"): joins by Welcome (tree given or in the
// GroupInfo, possibly with an external PSK), then applies every epoch's proposals and commit in the
// full-RFC mode and must reach each epoch authenticator.
bool run_passive_client(const json& v) {
  const KeyPackage kp = key_package_of(hex(v.at("key_package")));
  const Bytes signature_priv = hex(v.at("signature_priv"));
  bool ok = signature_public_key(signature_priv) == kp.leaf_node.signature_key &&
            hpke_public_key(hex(v.at("encryption_priv"))) == kp.leaf_node.encryption_key &&
            hpke_public_key(hex(v.at("init_priv"))) == kp.init_key;
  std::map<Bytes, Bytes> external;
  for (const json& p : v.at("external_psks")) external[hex(p.at("psk_id"))] = hex(p.at("psk"));
  const auto find_psk = [&](const PreSharedKeyId& id) {
    auto it = external.find(id.psk_id);
    if (id.psk_type != 1 || it == external.end()) fail(Reason::kUnsupported, "unknown PSK");
    return it->second;
  };
  MemberIdentity identity{kp.leaf_node.credential, SignatureKeyPair{SecretBytes(signature_priv), kp.leaf_node.signature_key}};
  const Bytes tree = v.at("ratchet_tree").is_null() ? Bytes{} : hex(v.at("ratchet_tree"));
  Group g = Group::join_welcome(hex(v.at("welcome")), kp, hex(v.at("init_priv")), hex(v.at("encryption_priv")),
                                std::move(identity), tree, find_psk);
  g.set_full_proposal_support(true);
  for (const auto& [id, psk] : external) g.add_external_psk(id, SecretBytes(psk));
  ok &= g.epoch_authenticator() == hex(v.at("initial_epoch_authenticator"));
  size_t epoch = 0;
  for (const json& e : v.at("epochs")) {
    for (const json& p : e.at("proposals")) {
      ok &= g.process_handshake(hex(p)).outcome == HandshakeOutcome::kProposalStored;
    }
    g.process_handshake(hex(e.at("commit")));
    const bool epoch_ok = g.epoch_authenticator() == hex(e.at("epoch_authenticator"));
    EXPECT_TRUE(epoch_ok) << "epoch " << epoch;
    ok &= epoch_ok;
    ++epoch;
  }
  return ok;
}

void run_passive_client_file(const std::string& file) {
  const json vectors = testing::load_mls_vectors(file);
  size_t passed = 0;
  size_t total = 0;
  for (const json& v : vectors) {
    if (!testing::is_suite_one(v)) continue;
    ++total;
    bool ok = false;
    try {
      ok = run_passive_client(v);
    } catch (const MlsError& e) {
      ADD_FAILURE() << file << " entry " << total - 1 << ": " << e.what();
    }
    EXPECT_TRUE(ok) << file << " entry " << total - 1;
    passed += ok ? 1 : 0;
  }
  testing::report_passed(file, passed, total);
}

TEST(MlsVectors, PassiveClientWelcome) { run_passive_client_file("passive-client-welcome.json"); }
TEST(MlsVectors, PassiveClientHandlingCommit) { run_passive_client_file("passive-client-handling-commit.json"); }
TEST(MlsVectors, PassiveClientRandom) { run_passive_client_file("passive-client-random.json"); }

// Anonify groups keep the narrow policy: the same Add commit and standalone proposal that the
// full-RFC mode applies are refused, and the group is unchanged.
TEST(MlsWelcome, AnonifyPolicyRefusesAddCommitsAndStandaloneProposals) {
  const json vectors = testing::load_mls_vectors("passive-client-handling-commit.json");
  for (size_t index : {size_t{0}, size_t{6}}) {  // an Add by value; a proposal by reference
    const json& v = vectors.at(index);
    const KeyPackage kp = key_package_of(hex(v.at("key_package")));
    std::map<Bytes, Bytes> external;
    for (const json& p : v.at("external_psks")) external[hex(p.at("psk_id"))] = hex(p.at("psk"));
    MemberIdentity identity{kp.leaf_node.credential,
                            SignatureKeyPair{SecretBytes(hex(v.at("signature_priv"))), kp.leaf_node.signature_key}};
    const Bytes tree = v.at("ratchet_tree").is_null() ? Bytes{} : hex(v.at("ratchet_tree"));
    Group g = Group::join_welcome(hex(v.at("welcome")), kp, hex(v.at("init_priv")), hex(v.at("encryption_priv")),
                                  std::move(identity), tree, [&](const PreSharedKeyId& id) { return external.at(id.psk_id); });
    g.process_handshake(hex(v.at("epochs")[0].at("commit")));  // a plain path update is fine
    const json& second = v.at("epochs")[1];
    const Bytes before = g.serialize().reveal();
    const Bytes message = second.at("proposals").empty() ? hex(second.at("commit")) : hex(second.at("proposals")[0]);
    try {
      g.process_handshake(message);
      ADD_FAILURE() << "entry " << index << " accepted under the Anonify policy";
    } catch (const MlsError& e) {
      EXPECT_EQ(e.reason(), Reason::kUnsupported) << e.what();
    }
    EXPECT_EQ(g.serialize().reveal(), before);
  }
}

TEST(MlsWelcome, RefusesAWelcomeForAnotherKeyPackageOrWithoutItsPsk) {
  const json v = testing::load_mls_vectors("passive-client-welcome.json").at(2);  // needs an external PSK
  const KeyPackage kp = key_package_of(hex(v.at("key_package")));
  const Bytes signature_priv = hex(v.at("signature_priv"));
  const auto join = [&](const KeyPackage& package, const Bytes& init_priv) {
    MemberIdentity identity{package.leaf_node.credential,
                            SignatureKeyPair{SecretBytes(signature_priv), package.leaf_node.signature_key}};
    return Group::join_welcome(hex(v.at("welcome")), package, init_priv, hex(v.at("encryption_priv")),
                               std::move(identity), Bytes{}, kNoPsks);
  };
  try {
    join(kp, hex(v.at("init_priv")));
    FAIL() << "joined without the PSK";
  } catch (const MlsError& e) {
    EXPECT_EQ(e.reason(), Reason::kUnsupported);
  }
  KeyPackage other = kp;
  other.init_key[0] ^= 1;
  try {
    join(other, hex(v.at("init_priv")));
    FAIL() << "joined with another KeyPackage";
  } catch (const MlsError& e) {
    EXPECT_EQ(e.reason(), Reason::kNotMember);
  }
}

}  // namespace
}  // namespace anonify::mls
