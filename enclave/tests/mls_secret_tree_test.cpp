#include "anonify/mls/secret_tree.h"

#include "anonify/mls/mls_error.h"
#include "mls_test_util.h"

namespace anonify::mls {
namespace {

using nlohmann::json;
using testing::hex;

bool check_entry(const json& v) {
  bool ok = true;
  const json& sd = v.at("sender_data");
  ok &= sender_data_key(hex(sd.at("sender_data_secret")), hex(sd.at("ciphertext"))).reveal() == hex(sd.at("key"));
  ok &= sender_data_nonce(hex(sd.at("sender_data_secret")), hex(sd.at("ciphertext"))).reveal() ==
        hex(sd.at("nonce"));
  const json& leaves = v.at("leaves");
  SecretTree tree(hex(v.at("encryption_secret")), static_cast<uint32_t>(leaves.size()));
  for (LeafIndex i = 0; i < leaves.size(); ++i) {
    for (const json& g : leaves[i]) {
      const uint32_t generation = g.at("generation");
      const KeyAndNonce hs = tree.get(i, ContentKind::kHandshake, generation);
      const KeyAndNonce app = tree.get(i, ContentKind::kApplication, generation);
      const bool entry_ok = hs.key.reveal() == hex(g.at("handshake_key")) &&
                            hs.nonce.reveal() == hex(g.at("handshake_nonce")) &&
                            app.key.reveal() == hex(g.at("application_key")) &&
                            app.nonce.reveal() == hex(g.at("application_nonce"));
      EXPECT_TRUE(entry_ok) << "leaf " << i << " generation " << generation;
      ok &= entry_ok;
    }
  }
  return ok;
}

TEST(MlsVectors, SecretTree) {
  testing::run_vector_file("secret-tree.json", check_entry);
}

TEST(MlsSecretTree, GenerationsAreUsedOnceAndSurviveSerialization) {
  const Bytes secret(32, 7);
  SecretTree sender(secret, 4);
  SecretTree receiver(secret, 4);
  const KeyAndNonce g0 = sender.next(2, ContentKind::kApplication);
  const KeyAndNonce g1 = sender.next(2, ContentKind::kApplication);
  // Out of order: generation 1 first, then 0; each only once.
  EXPECT_EQ(receiver.get(2, ContentKind::kApplication, 1).key.reveal(), g1.key.reveal());
  TlsWriter w;
  receiver.encode(w);
  SecretTree restored = tls_decode<SecretTree>(w.bytes(), "secret tree");
  EXPECT_EQ(restored.get(2, ContentKind::kApplication, 0).key.reveal(), g0.key.reveal());
  EXPECT_THROW(restored.get(2, ContentKind::kApplication, 0), MlsError);
  EXPECT_THROW(restored.get(2, ContentKind::kApplication, 1), MlsError);
  EXPECT_THROW(restored.get(2, ContentKind::kApplication, 5000), MlsError);
  EXPECT_THROW(restored.get(4, ContentKind::kApplication, 0), MlsError);
  // Handshake and application ratchets are independent.
  EXPECT_NE(sender.next(2, ContentKind::kHandshake).key.reveal(), g0.key.reveal());
}

}  // namespace
}  // namespace anonify::mls
