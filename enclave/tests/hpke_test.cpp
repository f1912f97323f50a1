// HPKE behaviour beyond the RFC vectors: failures leave contexts usable, roles and modes are enforced.
#include "anonify/crypto/hpke.h"
#include "anonify/error.h"
#include "enclave_test_util.h"

namespace anonify::crypto::hpke {
namespace {

Bytes ascii(const char* s) { return ByteView::from_string(s).to_bytes(); }

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return error_code_name(e.code());
  }
  return "no error";
}

TEST(Hpke, SingleShotRoundTripBothAeads) {
  for (Aead aead : {Aead::kAes128Gcm, Aead::kChaCha20Poly1305}) {
    Suite suite{Kem::kDhKemX25519HkdfSha256, Kdf::kHkdfSha256, aead};
    KeyPair r = generate_key_pair();
    Sealed s = seal(suite, r.public_key, ascii("info"), ascii("aad"), ascii("hello"));
    EXPECT_EQ(open(suite, s.enc, r.private_key, ascii("info"), ascii("aad"), s.ciphertext), ascii("hello"));
    EXPECT_EQ(error_of([&] { open(suite, s.enc, r.private_key, ascii("other"), ascii("aad"), s.ciphertext); }),
              "authentication_failed");
    EXPECT_EQ(error_of([&] { open(suite, s.enc, r.private_key, ascii("info"), ascii("x"), s.ciphertext); }),
              "authentication_failed");
    KeyPair stranger = generate_key_pair();
    EXPECT_EQ(error_of([&] { open(suite, s.enc, stranger.private_key, ascii("info"), ascii("aad"), s.ciphertext); }),
              "authentication_failed");
  }
}

TEST(Hpke, FailedOpenKeepsTheSequenceNumber) {
  KeyPair r = generate_key_pair();
  SenderSetup sender = setup_sender(kDefaultSuite, r.public_key, {});
  Context receiver = setup_recipient(kDefaultSuite, sender.enc, r.private_key, {});
  Bytes c0 = sender.context.seal({}, ascii("zero"));
  Bytes c1 = sender.context.seal({}, ascii("one"));
  EXPECT_EQ(error_of([&] { receiver.open({}, c1); }), "authentication_failed");  // out of order
  EXPECT_EQ(receiver.sequence_number(), 0u);
  EXPECT_EQ(receiver.open({}, c0), ascii("zero"));
  EXPECT_EQ(receiver.open({}, c1), ascii("one"));
  EXPECT_EQ(receiver.sequence_number(), 2u);
}

TEST(Hpke, RolesAreEnforced) {
  KeyPair r = generate_key_pair();
  SenderSetup sender = setup_sender(kDefaultSuite, r.public_key, {});
  Context receiver = setup_recipient(kDefaultSuite, sender.enc, r.private_key, {});
  EXPECT_EQ(error_of([&] { sender.context.open({}, Bytes(16)); }), "invalid_state");
  EXPECT_EQ(error_of([&] { receiver.seal({}, {}); }), "invalid_state");
  EXPECT_EQ(sender.context.export_secret(ascii("ctx"), 64).reveal(), receiver.export_secret(ascii("ctx"), 64).reveal());
}

TEST(Hpke, PskModeRules) {
  KeyPair r = generate_key_pair();
  Bytes key = ascii("0123456789abcdef0123456789abcdef");
  Bytes id = ascii("psk-id");
  Sealed s = seal(kDefaultSuite, r.public_key, {}, {}, ascii("m"), Psk{key, id});
  EXPECT_EQ(open(kDefaultSuite, s.enc, r.private_key, {}, {}, s.ciphertext, Psk{key, id}), ascii("m"));
  // Without the psk, or with another psk id, the keys differ.
  EXPECT_EQ(error_of([&] { open(kDefaultSuite, s.enc, r.private_key, {}, {}, s.ciphertext); }), "authentication_failed");
  Bytes other_id = ascii("psk-id2");
  EXPECT_EQ(error_of([&] { open(kDefaultSuite, s.enc, r.private_key, {}, {}, s.ciphertext, Psk{key, other_id}); }),
            "authentication_failed");
  EXPECT_EQ(error_of([&] { seal(kDefaultSuite, r.public_key, {}, {}, ascii("m"), Psk{Bytes{}, id}); }), "invalid_argument");
  EXPECT_EQ(error_of([&] { seal(kDefaultSuite, r.public_key, {}, {}, ascii("m"), Psk{key, Bytes{}}); }), "invalid_argument");
}

TEST(Hpke, ExportOnlySuiteCannotSeal) {
  Suite suite{Kem::kDhKemX25519HkdfSha256, Kdf::kHkdfSha256, Aead::kExportOnly};
  KeyPair r = generate_key_pair();
  SenderSetup sender = setup_sender(suite, r.public_key, {});
  EXPECT_EQ(error_of([&] { sender.context.seal({}, {}); }), "unsupported");
  EXPECT_EQ(sender.context.export_secret({}, 32).size(), 32u);
}

TEST(Hpke, BadKeysAndSuites) {
  KeyPair r = generate_key_pair();
  EXPECT_EQ(error_of([&] { seal(kDefaultSuite, Bytes(31), {}, {}, {}); }), "invalid_key");
  EXPECT_EQ(error_of([&] { setup_recipient(kDefaultSuite, Bytes(33), r.private_key, {}); }), "invalid_key");
  EXPECT_EQ(error_of([&] { setup_recipient(kDefaultSuite, Bytes(32, 0), r.private_key, {}); }), "invalid_key");
  EXPECT_EQ(error_of([&] { suite_from_ids(0x0010, 1, 1); }), "unsupported");
  EXPECT_EQ(error_of([&] { suite_from_ids(0x0020, 2, 1); }), "unsupported");
  EXPECT_EQ(error_of([&] { suite_from_ids(0x0020, 1, 2); }), "unsupported");
  EXPECT_EQ(error_of([&] { derive_key_pair(Bytes(31)); }), "invalid_argument");
}

}  // namespace
}  // namespace anonify::crypto::hpke
