// RFC 9180 test vectors (cfrg test-vectors.json, the full file, gzipped): every vector whose suite
// is DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / {AES-128-GCM, ChaCha20-Poly1305, export-only} must
// pass in every mode: derived keys, enc, every encryption (sequence numbers), every export.
#include <cstdio>

#include "anonify/crypto/hpke.h"
#include "anonify/error.h"
#include "enclave_test_util.h"

namespace anonify {
namespace {

using crypto::hpke::Context;
using crypto::hpke::KeyPair;
using crypto::hpke::Mode;
using crypto::hpke::Psk;
using crypto::hpke::Suite;
using testing::hex_of;
namespace hpke = crypto::hpke;

bool supported(const nlohmann::json& v) {
  try {
    hpke::suite_from_ids(v.at("kem_id").get<uint16_t>(), v.at("kdf_id").get<uint16_t>(), v.at("aead_id").get<uint16_t>());
    return true;
  } catch (const Error&) {
    return false;
  }
}

// Runs one vector; returns the number of checks made. Any mismatch is a test failure.
void check_vector(const nlohmann::json& v, size_t index) {
  SCOPED_TRACE("vector #" + std::to_string(index) + " mode " + std::to_string(v.at("mode").get<int>()) + " aead " +
               std::to_string(v.at("aead_id").get<int>()));
  Suite suite = hpke::suite_from_ids(v.at("kem_id").get<uint16_t>(), v.at("kdf_id").get<uint16_t>(), v.at("aead_id").get<uint16_t>());
  Mode mode = static_cast<Mode>(v.at("mode").get<int>());
  Bytes info = hex_of(v.at("info"));

  KeyPair recipient = hpke::derive_key_pair(hex_of(v.at("ikmR")));
  KeyPair ephemeral = hpke::derive_key_pair(hex_of(v.at("ikmE")));
  EXPECT_EQ(to_hex(recipient.private_key), v.at("skRm").get<std::string>());
  EXPECT_EQ(to_hex(recipient.public_key), v.at("pkRm").get<std::string>());
  EXPECT_EQ(to_hex(ephemeral.private_key), v.at("skEm").get<std::string>());
  EXPECT_EQ(to_hex(ephemeral.public_key), v.at("pkEm").get<std::string>());

  Bytes psk_key, psk_id;
  std::optional<Psk> psk;
  if (mode == Mode::kPsk || mode == Mode::kAuthPsk) {
    psk_key = hex_of(v.at("psk"));
    psk_id = hex_of(v.at("psk_id"));
    psk = Psk{psk_key, psk_id};
  }
  bool auth = mode == Mode::kAuth || mode == Mode::kAuthPsk;
  std::optional<KeyPair> sender;
  if (auth) {
    sender = hpke::derive_key_pair(hex_of(v.at("ikmS")));
    EXPECT_EQ(to_hex(sender->public_key), v.at("pkSm").get<std::string>());
  }

  hpke::SenderSetup setup = auth ? hpke::setup_auth_sender(suite, recipient.public_key, info, sender->private_key, psk, &ephemeral)
                                 : hpke::setup_sender(suite, recipient.public_key, info, psk, &ephemeral);
  EXPECT_EQ(to_hex(setup.enc), v.at("enc").get<std::string>());
  Context receiver = auth ? hpke::setup_auth_recipient(suite, setup.enc, recipient.private_key, info, sender->public_key, psk)
                          : hpke::setup_recipient(suite, setup.enc, recipient.private_key, info, psk);

  for (const auto& e : v.at("encryptions")) {
    Bytes aad = hex_of(e.at("aad"));
    Bytes pt = hex_of(e.at("pt"));
    Bytes ct = setup.context.seal(aad, pt);
    ASSERT_EQ(to_hex(ct), e.at("ct").get<std::string>()) << "seal at sequence " << setup.context.sequence_number() - 1;
    ASSERT_EQ(to_hex(receiver.open(aad, ct)), e.at("pt").get<std::string>());
  }
  for (const auto& x : v.at("exports")) {
    Bytes ctx = hex_of(x.at("exporter_context"));
    size_t length = x.at("L").get<size_t>();
    EXPECT_EQ(to_hex(setup.context.export_secret(ctx, length)), x.at("exported_value").get<std::string>());
    EXPECT_EQ(to_hex(receiver.export_secret(ctx, length)), x.at("exported_value").get<std::string>());
  }
}

TEST(HpkeVectors, EveryVectorOfTheSupportedSuitesPasses) {
  const std::string path = testing::vector_path("hpke/test-vectors-rfc9180-5f503c5.full.json.gz");
  nlohmann::json all = nlohmann::json::parse(testing::read_gzip_file(path));
  ASSERT_TRUE(all.is_array());
  size_t selected = 0;
  size_t passed = 0;
  size_t encryptions = 0;
  size_t exports = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    if (!supported(all[i])) continue;
    ++selected;
    int failures_before = ::testing::UnitTest::GetInstance()->current_test_info()->result()->total_part_count();
    check_vector(all[i], i);
    if (::testing::UnitTest::GetInstance()->current_test_info()->result()->total_part_count() == failures_before) {
      ++passed;
      encryptions += all[i].at("encryptions").size();
      exports += all[i].at("exports").size();
    }
  }
  std::printf("[ hpke vectors ] %zu/%zu vectors passed (X25519/HKDF-SHA256 with AES-128-GCM, ChaCha20-Poly1305, "
              "export-only; modes base, psk, auth, auth_psk; %zu encryptions, %zu exports) of %zu in the file\n",
              passed, selected, encryptions, exports, all.size());
  // The file holds 12 vectors for these suites (3 AEADs x 4 modes).
  EXPECT_EQ(selected, 12u);
  EXPECT_EQ(passed, selected);
}

TEST(HpkeVectors, CommittedSubsetAgreesWithTheFullFile) {
  nlohmann::json subset = nlohmann::json::parse(testing::read_text_file(
      testing::vector_path("hpke/hpke-x25519-sha256-aes128gcm-chacha20-mode01.json")));
  ASSERT_FALSE(subset.empty());
  for (size_t i = 0; i < subset.size(); ++i) check_vector(subset[i], i);
}

}  // namespace
}  // namespace anonify
