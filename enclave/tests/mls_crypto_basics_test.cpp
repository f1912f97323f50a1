#include "anonify/mls/crypto_suite.h"

#include "anonify/mls/mls_error.h"
#include "mls_test_util.h"

namespace anonify::mls {
namespace {

using nlohmann::json;
using testing::hex;

bool check_entry(const json& v) {
  bool ok = true;
  const json& rh = v.at("ref_hash");
  ok &= ref_hash(rh.at("label").get<std::string>(), hex(rh.at("value"))) == hex(rh.at("out"));

  const json& ewl = v.at("expand_with_label");
  ok &= expand_with_label(hex(ewl.at("secret")), ewl.at("label").get<std::string>(), hex(ewl.at("context")),
                          ewl.at("length").get<size_t>())
            .reveal() == hex(ewl.at("out"));

  const json& ds = v.at("derive_secret");
  ok &= derive_secret(hex(ds.at("secret")), ds.at("label").get<std::string>()).reveal() == hex(ds.at("out"));

  const json& dts = v.at("derive_tree_secret");
  ok &= derive_tree_secret(hex(dts.at("secret")), dts.at("label").get<std::string>(),
                           dts.at("generation").get<uint32_t>(), dts.at("length").get<size_t>())
            .reveal() == hex(dts.at("out"));

  const json& swl = v.at("sign_with_label");
  const std::string sign_label = swl.at("label");
  const Bytes content = hex(swl.at("content"));
  ok &= signature_public_key(hex(swl.at("priv"))) == hex(swl.at("pub"));
  ok &= verify_with_label(hex(swl.at("pub")), sign_label, content, hex(swl.at("signature")));
  ok &= verify_with_label(hex(swl.at("pub")), sign_label, content,
                          sign_with_label(hex(swl.at("priv")), sign_label, content));
  ok &= !verify_with_label(hex(swl.at("pub")), sign_label + "x", content, hex(swl.at("signature")));

  const json& e = v.at("encrypt_with_label");
  const std::string enc_label = e.at("label");
  const Bytes context = hex(e.at("context"));
  const Bytes plaintext = hex(e.at("plaintext"));
  const HpkeCiphertext given{hex(e.at("kem_output")), hex(e.at("ciphertext"))};
  ok &= decrypt_with_label(hex(e.at("priv")), enc_label, context, given).reveal() == plaintext;
  const HpkeCiphertext fresh = encrypt_with_label(hex(e.at("pub")), enc_label, context, plaintext);
  ok &= decrypt_with_label(hex(e.at("priv")), enc_label, context, fresh).reveal() == plaintext;
  return ok;
}

TEST(MlsVectors, CryptoBasics) {
  testing::run_vector_file("crypto-basics.json", check_entry);
}

TEST(MlsCryptoBasics, DecryptWithLabelRefusesTamperedCiphertextAndWrongContext) {
  const crypto::hpke::KeyPair recipient = generate_hpke_key_pair();
  const Bytes context{1, 2, 3};
  HpkeCiphertext c = encrypt_with_label(recipient.public_key, "UpdatePathNode", context, Bytes{9, 9, 9});
  EXPECT_THROW(decrypt_with_label(recipient.private_key, "UpdatePathNode", Bytes{1, 2, 4}, c), MlsError);
  EXPECT_THROW(decrypt_with_label(recipient.private_key, "Other", context, c), MlsError);
  c.ciphertext[0] ^= 1;
  try {
    decrypt_with_label(recipient.private_key, "UpdatePathNode", context, c);
    FAIL() << "tampered ciphertext decrypted";
  } catch (const MlsError& e) {
    EXPECT_EQ(e.reason(), Reason::kDecryptionFailed);
  }
}

}  // namespace
}  // namespace anonify::mls
