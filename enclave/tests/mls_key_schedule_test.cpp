#include "anonify/mls/key_schedule.h"

#include "anonify/mls/crypto_suite.h"
#include "anonify/mls/mls_error.h"
#include "mls_test_util.h"

namespace anonify::mls {
namespace {

using nlohmann::json;
using testing::hex;

bool check_entry(const json& v) {
  bool ok = true;
  Bytes init_secret = hex(v.at("initial_init_secret"));
  uint64_t epoch = 0;
  for (const json& e : v.at("epochs")) {
    GroupContext context;
    context.group_id = hex(v.at("group_id"));
    context.epoch = epoch;
    context.tree_hash = hex(e.at("tree_hash"));
    context.confirmed_transcript_hash = hex(e.at("confirmed_transcript_hash"));
    bool epoch_ok = context.to_bytes() == hex(e.at("group_context"));
    const EpochSecrets s =
        derive_epoch_secrets(init_secret, hex(e.at("commit_secret")), hex(e.at("psk_secret")), context);
    epoch_ok &= s.joiner_secret.reveal() == hex(e.at("joiner_secret"));
    epoch_ok &= s.welcome_secret.reveal() == hex(e.at("welcome_secret"));
    epoch_ok &= s.init_secret.reveal() == hex(e.at("init_secret"));
    epoch_ok &= s.sender_data_secret.reveal() == hex(e.at("sender_data_secret"));
    epoch_ok &= s.encryption_secret.reveal() == hex(e.at("encryption_secret"));
    epoch_ok &= s.exporter_secret.reveal() == hex(e.at("exporter_secret"));
    epoch_ok &= s.epoch_authenticator.reveal() == hex(e.at("epoch_authenticator"));
    epoch_ok &= s.external_secret.reveal() == hex(e.at("external_secret"));
    epoch_ok &= s.confirmation_key.reveal() == hex(e.at("confirmation_key"));
    epoch_ok &= s.membership_key.reveal() == hex(e.at("membership_key"));
    epoch_ok &= s.resumption_psk.reveal() == hex(e.at("resumption_psk"));
    epoch_ok &= external_public_key(s.external_secret) == hex(e.at("external_pub"));
    // The exporter label is text, not hex (DESIGN.md section 4).
    const json& ex = e.at("exporter");
    epoch_ok &= mls_export(s.exporter_secret, ex.at("label").get<std::string>(), hex(ex.at("context")),
                           ex.at("length").get<size_t>())
                    .reveal() == hex(ex.at("secret"));
    EXPECT_TRUE(epoch_ok) << "epoch " << epoch;
    ok &= epoch_ok;
    init_secret = s.init_secret.reveal();
    ++epoch;
  }
  return ok;
}

TEST(MlsVectors, KeySchedule) {
  testing::run_vector_file("key-schedule.json", check_entry);
}

TEST(MlsKeySchedule, EpochSecretsRoundTripAndDependOnContext) {
  GroupContext context;
  context.group_id = Bytes{1, 2, 3};
  context.tree_hash = Bytes(32, 4);
  const EpochSecrets a = derive_epoch_secrets(Bytes(32, 1), zero_secret(), zero_secret(), context);
  context.epoch = 1;
  const EpochSecrets b = derive_epoch_secrets(Bytes(32, 1), zero_secret(), zero_secret(), context);
  EXPECT_NE(a.epoch_authenticator.reveal(), b.epoch_authenticator.reveal());
  const EpochSecrets restored = tls_decode<EpochSecrets>(tls_encode(a), "epoch secrets");
  EXPECT_EQ(restored.exporter_secret.reveal(), a.exporter_secret.reveal());
  EXPECT_EQ(restored.init_secret.reveal(), a.init_secret.reveal());
  EXPECT_THROW(tls_decode<GroupContext>(Bytes{0, 2, 0, 1}, "group context"), MlsError);
}

}  // namespace
}  // namespace anonify::mls
