// Known-answer and bad-input tests of the primitives under HPKE/MLS/EIP-712. Expected values come
// from the RFCs named at each test or, for Ethereum, from ethers 6.17 (Wallet, TypedDataEncoder);
// the TypeScript tests in test/enclave/ cross-check the same code with random inputs.
#include <set>

#include "anonify/crypto/aead.h"
#include "anonify/crypto/ed25519.h"
#include "anonify/crypto/eip712.h"
#include "anonify/crypto/hash.h"
#include "anonify/crypto/hkdf.h"
#include "anonify/crypto/keccak.h"
#include "anonify/crypto/random.h"
#include "anonify/crypto/secp256k1.h"
#include "anonify/crypto/x25519.h"
#include "anonify/error.h"
#include "enclave_test_util.h"

namespace anonify::crypto {
namespace {

#define EXPECT_ERROR_CODE(statement, expected_code)                            \
  try {                                                                        \
    statement;                                                                 \
    ADD_FAILURE() << #statement " did not throw";                              \
  } catch (const ::anonify::Error& e) {                                        \
    EXPECT_EQ(error_code_name(e.code()), error_code_name(expected_code)) << e.what(); \
  }

Bytes ascii(const char* s) { return ByteView::from_string(s).to_bytes(); }

TEST(Bytes, HexRoundTripAndRejections) {
  EXPECT_EQ(to_hex(from_hex("0x00ff10Ab")), "00ff10ab");
  EXPECT_TRUE(from_hex("").empty());
  EXPECT_ERROR_CODE(from_hex("abc"), ErrorCode::kInvalidArgument);
  EXPECT_ERROR_CODE(from_hex("zz"), ErrorCode::kInvalidArgument);
}

// Every byte value in either position of a digit pair: decoded exactly when both are hex digits.
TEST(Bytes, FromHexAcceptsExactlyTheHexDigits) {
  const std::string digits = "0123456789abcdefABCDEF";
  for (int c = 0; c < 256; ++c) {
    const char ch = static_cast<char>(c);
    const bool is_digit = digits.find(ch) != std::string::npos;
    for (const std::string& pair : {std::string{ch, '7'}, std::string{'7', ch}}) {
      if (is_digit) {
        const int value = std::stoi(pair, nullptr, 16);
        EXPECT_EQ(from_hex(pair), (Bytes{static_cast<uint8_t>(value)})) << c;
      } else {
        EXPECT_ERROR_CODE(from_hex(pair), ErrorCode::kInvalidArgument);
      }
    }
  }
  EXPECT_ERROR_CODE(from_hex("0x0x12"), ErrorCode::kInvalidArgument);  // one prefix only
}

TEST(Bytes, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal(from_hex("0102"), from_hex("0102")));
  EXPECT_FALSE(constant_time_equal(from_hex("0102"), from_hex("0103")));
  EXPECT_FALSE(constant_time_equal(from_hex("0102"), from_hex("010203")));
  EXPECT_TRUE(constant_time_equal(Bytes{}, Bytes{}));
}

TEST(Bytes, SecretBytesMovesLeaveNothingBehind) {
  SecretBytes a(from_hex("aabbcc"));
  SecretBytes b(std::move(a));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_EQ(to_hex(b), "aabbcc");
  b.resize(5);
  EXPECT_EQ(to_hex(b), "aabbcc0000");
  b.wipe();
  EXPECT_TRUE(b.empty());
  EXPECT_ERROR_CODE(ByteView(from_hex("0102")).subview(1, 2), ErrorCode::kInvalidArgument);
}

TEST(Sha256, KnownAnswers) {
  EXPECT_EQ(to_hex(sha256({})), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(to_hex(sha256(ascii("abc"))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 incremental;
  incremental.update(ascii("a")).update(ascii("bc"));
  EXPECT_EQ(to_hex(incremental.finish()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_ERROR_CODE(incremental.finish(), ErrorCode::kInvalidState);
}

TEST(HmacSha256, Rfc4231Case2) {
  EXPECT_EQ(to_hex(hmac_sha256(ascii("Jefe"), ascii("what do ya want for nothing?"))),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

// RFC 4231 §4: keys shorter than the block, data of 50 bytes, and keys longer than the block
// (131 bytes, hashed first) with data shorter and longer than a block.
TEST(HmacSha256, Rfc4231KeysBelowAndAboveTheBlockSize) {
  EXPECT_EQ(to_hex(hmac_sha256(Bytes(20, 0x0b), ascii("Hi There"))),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(to_hex(hmac_sha256(Bytes(20, 0xaa), Bytes(50, 0xdd))),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  EXPECT_EQ(to_hex(hmac_sha256(Bytes(131, 0xaa), ascii("Test Using Larger Than Block-Size Key - Hash Key First"))),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(to_hex(hmac_sha256(Bytes(131, 0xaa),
                               ascii("This is a test using a larger than block-size key and a larger than block-size data. The "
                                     "key needs to be hashed before being used by the HMAC algorithm."))),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

// The edges of the padding: an empty key (zeros, like an absent HKDF salt) and a key of exactly one
// block, which is used as it is (expected values from Python's hmac module).
TEST(HmacSha256, EmptyKeyAndBlockSizedKey) {
  EXPECT_EQ(to_hex(hmac_sha256({}, {})), "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  Bytes block_key(64);
  for (size_t i = 0; i < block_key.size(); ++i) block_key[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(to_hex(hmac_sha256(block_key, ascii("block-size key"))),
            "1dad230598e011a4e4eabc6c8da8f55ef9a66a8881d1e16e23ea116ae28231ec");
}

TEST(HmacSha256, PartsAreTheirConcatenation) {
  const Bytes a = ascii("what do ya "), b, c = ascii("want for nothing?");
  const ByteView parts[] = {a, b, c};
  EXPECT_EQ(to_hex(hmac_sha256(ascii("Jefe"), parts, 3)),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Hkdf, Rfc5869Case1) {
  Bytes ikm = from_hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
  SecretBytes prk = hkdf_extract(from_hex("000102030405060708090a0b0c"), ikm);
  EXPECT_EQ(to_hex(prk), "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
  EXPECT_EQ(to_hex(hkdf_expand(prk, from_hex("f0f1f2f3f4f5f6f7f8f9"), 42)),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

TEST(Hkdf, Rfc5869Case3EmptySaltAndInfo) {
  Bytes ikm = from_hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
  SecretBytes prk = hkdf_extract({}, ikm);
  EXPECT_EQ(to_hex(prk), "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04");
  EXPECT_EQ(to_hex(hkdf_expand(prk, {}, 42)),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

TEST(Hkdf, RejectsBadLengths) {
  SecretBytes prk = hkdf_extract({}, ascii("x"));
  EXPECT_ERROR_CODE(hkdf_expand(prk, {}, 0), ErrorCode::kInvalidArgument);
  EXPECT_ERROR_CODE(hkdf_expand(prk, {}, 255 * 32 + 1), ErrorCode::kInvalidArgument);
  EXPECT_ERROR_CODE(hkdf_expand(from_hex("00"), {}, 32), ErrorCode::kInvalidArgument);
}

// The GCM specification's test case 4 (McGrew and Viega), through both the one-shot functions and
// a prepared key.
TEST(AesGcm, SpecificationTestCase4) {
  const Bytes key = from_hex("feffe9928665731c6d6a8f9467308308");
  const Bytes nonce = from_hex("cafebabefacedbaddecaf888");
  const Bytes aad = from_hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  const Bytes pt = from_hex(
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
  const std::string expected =
      "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091"
      "5bc94fbc3221a5db94fae95ae7121a47";
  EXPECT_EQ(to_hex(aead_seal(AeadAlgorithm::kAes128Gcm, key, nonce, aad, pt)), expected);
  const AeadKey prepared(AeadAlgorithm::kAes128Gcm, key);
  EXPECT_EQ(to_hex(prepared.seal(nonce, aad, pt)), expected);
  EXPECT_EQ(prepared.open(nonce, aad, from_hex(expected)), pt);
}

class AeadTest : public ::testing::TestWithParam<AeadAlgorithm> {};

TEST_P(AeadTest, RoundTripAndEveryTamperFails) {
  AeadAlgorithm alg = GetParam();
  Bytes key = random_bytes(aead_key_size(alg));
  Bytes nonce = random_bytes(kAeadNonceSize);
  Bytes aad = ascii("header");
  Bytes pt = ascii("attack at dawn");
  Bytes ct = aead_seal(alg, key, nonce, aad, pt);
  ASSERT_EQ(ct.size(), pt.size() + kAeadTagSize);
  EXPECT_EQ(aead_open(alg, key, nonce, aad, ct), pt);
  EXPECT_EQ(aead_open(alg, key, nonce, {}, aead_seal(alg, key, nonce, {}, {})), Bytes{});
  for (size_t i = 0; i < ct.size(); ++i) {
    Bytes bad = ct;
    bad[i] ^= 0x01;
    EXPECT_ERROR_CODE(aead_open(alg, key, nonce, aad, bad), ErrorCode::kAuthenticationFailed);
  }
  EXPECT_ERROR_CODE(aead_open(alg, key, nonce, ascii("other"), ct), ErrorCode::kAuthenticationFailed);
  EXPECT_ERROR_CODE(aead_open(alg, key, nonce, aad, ByteView(ct).subview(0, 15)), ErrorCode::kAuthenticationFailed);
  EXPECT_ERROR_CODE(aead_seal(alg, Bytes(5), nonce, aad, pt), ErrorCode::kInvalidArgument);
  EXPECT_ERROR_CODE(aead_seal(alg, key, Bytes(8), aad, pt), ErrorCode::kInvalidArgument);
}

// A prepared key gives what the one-shot functions give, message after message, in both
// directions on one context; a failed open leaves it usable; copies are independent.
TEST_P(AeadTest, PreparedKeyAgreesWithOneShotAcrossManyMessages) {
  const AeadAlgorithm alg = GetParam();
  const Bytes raw = random_bytes(aead_key_size(alg));
  const AeadKey key(alg, raw);
  for (size_t size : {0, 1, 15, 16, 17, 272, 748}) {
    const Bytes nonce = random_bytes(kAeadNonceSize);
    const Bytes aad = size % 2 == 0 ? Bytes{} : random_bytes(size % 40);
    const Bytes pt = random_bytes(size);
    const Bytes ct = key.seal(nonce, aad, pt);
    EXPECT_EQ(ct, aead_seal(alg, raw, nonce, aad, pt)) << size;
    EXPECT_EQ(key.open(nonce, aad, ct), pt) << size;
    Bytes bad = ct;
    bad[bad.size() - 1] ^= 0x80;
    EXPECT_ERROR_CODE(key.open(nonce, aad, bad), ErrorCode::kAuthenticationFailed);
    EXPECT_EQ(key.open(nonce, aad, aead_seal(alg, raw, nonce, aad, pt)), pt) << "usable after a failed open";
  }
  const Bytes nonce = random_bytes(kAeadNonceSize);
  AeadKey copy(key);
  const AeadKey other(alg, random_bytes(aead_key_size(alg)));
  copy = other;
  EXPECT_EQ(copy.seal(nonce, {}, ascii("x")), other.seal(nonce, {}, ascii("x")));
  EXPECT_EQ(AeadKey(key).seal(nonce, {}, ascii("x")), key.seal(nonce, {}, ascii("x")));
  EXPECT_NE(copy.seal(nonce, {}, ascii("x")), key.seal(nonce, {}, ascii("x")));

  EXPECT_ERROR_CODE(AeadKey(alg, Bytes(5)), ErrorCode::kInvalidArgument);
  EXPECT_ERROR_CODE(key.seal(Bytes(8), {}, ascii("x")), ErrorCode::kInvalidArgument);
  EXPECT_ERROR_CODE(key.open(Bytes(8), {}, Bytes(16)), ErrorCode::kInvalidArgument);
  EXPECT_ERROR_CODE(key.open(nonce, {}, Bytes(15)), ErrorCode::kAuthenticationFailed);
  AeadKey moved(alg, raw);
  const AeadKey taker(std::move(moved));
  EXPECT_ERROR_CODE(moved.seal(nonce, {}, ascii("x")), ErrorCode::kInvalidState);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(taker.seal(nonce, {}, ascii("x")), aead_seal(alg, raw, nonce, {}, ascii("x")));
}

INSTANTIATE_TEST_SUITE_P(AllAlgorithms, AeadTest,
                         ::testing::Values(AeadAlgorithm::kAes128Gcm, AeadAlgorithm::kAes256Gcm,
                                           AeadAlgorithm::kChaCha20Poly1305));

// Nonces come in slices of one draw per kNoncesPerDraw: across several draws every nonce is 12
// bytes and none repeats (a slice handed out twice would reuse an AES-GCM nonce).
TEST(RandomNonce, TwelveBytesNeverRepeatedAcrossDraws) {
  static_assert(kRandomNonceSize == kAeadNonceSize, "random_nonce feeds the AEADs");
  std::set<Bytes> seen;
  const size_t count = 3 * kNoncesPerDraw + 5;
  for (size_t i = 0; i < count; ++i) {
    const Bytes nonce = random_nonce();
    ASSERT_EQ(nonce.size(), kRandomNonceSize);
    EXPECT_TRUE(seen.insert(nonce).second) << "nonce " << i << " repeated";
  }
  EXPECT_EQ(seen.size(), count);
}

TEST(X25519, Rfc7748Section6_1) {
  Bytes alice_sk = from_hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  Bytes bob_sk = from_hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
  EXPECT_EQ(to_hex(x25519_public_key(alice_sk)), "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  EXPECT_EQ(to_hex(x25519_public_key(bob_sk)), "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  EXPECT_EQ(to_hex(x25519(alice_sk, x25519_public_key(bob_sk))),
            "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
}

TEST(X25519, RejectsLowOrderPointsAndBadSizes) {
  X25519KeyPair pair = x25519_generate();
  EXPECT_ERROR_CODE(x25519(pair.private_key, Bytes(32, 0)), ErrorCode::kInvalidKey);
  EXPECT_ERROR_CODE(x25519(pair.private_key, Bytes(31, 9)), ErrorCode::kInvalidKey);
  EXPECT_ERROR_CODE(x25519_public_key(Bytes(33, 1)), ErrorCode::kInvalidKey);
  EXPECT_EQ(x25519_public_key(pair.private_key), pair.public_key);
}

TEST(X25519, PreparedKeyMatchesRfc7748AndRefusesBadInput) {
  const Bytes alice_sk = from_hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  const X25519PrivateKey alice(alice_sk);
  EXPECT_EQ(to_hex(alice.public_key()), "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  EXPECT_EQ(to_hex(alice.private_key()), to_hex(alice_sk));
  const Bytes bob_pk = from_hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  // Reusable: the same shared secret on every call, and from a copy.
  const X25519PrivateKey copy = alice;
  for (const X25519PrivateKey* key : {&alice, &alice, &copy}) {
    EXPECT_EQ(to_hex(key->dh(bob_pk)), "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  }
  EXPECT_ERROR_CODE(alice.dh(Bytes(32, 0)), ErrorCode::kInvalidKey);  // low order
  EXPECT_ERROR_CODE(alice.dh(Bytes(31, 9)), ErrorCode::kInvalidKey);
  EXPECT_ERROR_CODE((void)X25519PrivateKey(Bytes(31, 1)), ErrorCode::kInvalidKey);

  const X25519PrivateKey fresh = X25519PrivateKey::generate();
  EXPECT_EQ(x25519_public_key(fresh.private_key()), fresh.public_key());
  EXPECT_EQ(to_hex(fresh.dh(alice.public_key())), to_hex(alice.dh(fresh.public_key())));
}

TEST(Ed25519, Rfc8032Test1) {
  Bytes sk = from_hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  Bytes pk = ed25519_public_key(sk);
  EXPECT_EQ(to_hex(pk), "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  Bytes sig = ed25519_sign(sk, {});
  EXPECT_EQ(to_hex(sig),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
  EXPECT_TRUE(ed25519_verify(pk, {}, sig));
  sig[0] ^= 1;
  EXPECT_FALSE(ed25519_verify(pk, {}, sig));
  EXPECT_FALSE(ed25519_verify(pk, ascii("x"), ed25519_sign(sk, {})));
  EXPECT_FALSE(ed25519_verify(Bytes(31), {}, sig));
  EXPECT_FALSE(ed25519_verify(pk, {}, Bytes(63)));
}

TEST(Keccak256, KnownAnswers) {
  EXPECT_EQ(to_hex(keccak256({})), "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  EXPECT_EQ(to_hex(keccak256(ascii("abc"))), "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
  // Inputs around the 136-byte rate boundary, fed whole and byte by byte.
  for (size_t n : {135u, 136u, 137u, 272u}) {
    Bytes data(n, 0x61);
    Keccak256 bytewise;
    for (uint8_t b : data) bytewise.update(ByteView(&b, 1));
    EXPECT_EQ(bytewise.finish(), keccak256(data)) << n;
  }
  // ethers.keccak256(toUtf8Bytes("anonify"))
  EXPECT_EQ(to_hex(keccak256(ascii("anonify"))), "30b0abbdeeef69aad9c307ef0f83d452e4e8c6b890d19bcaf1ae3651f9708a85");
}

TEST(Secp256k1, AddressesAndDeterministicSignaturesMatchEthers) {
  Bytes one = from_hex("0000000000000000000000000000000000000000000000000000000000000001");
  EXPECT_EQ(eth_address_checksummed(eth_address(one)), "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf");
  Bytes digest = keccak256(ascii("anonify"));
  EXPECT_EQ(to_hex(eth_sign_digest(one, digest)),
            "b46b216192b1178bb2ce42ae67a5181f000d43a262f22efaddaf7658d00cc5025c2fbfcf5e12ff37da1595b5c7bf1862dd0da859d9b485060a8eeac7f915c61d1b");
  Bytes key = from_hex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");
  EXPECT_EQ(eth_address_checksummed(eth_address(key)), "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23");
  Bytes sig = eth_sign_digest(key, digest);
  EXPECT_EQ(to_hex(sig),
            "544514f579c28ada51d6b38c4a0cd9513bc26031c6a30acff7be1823544dc73e04254de530f17e0affd9af2801df2893934d231c1ad87e64ef64a0de75e60fb01b");
  EXPECT_EQ(eth_recover_address(digest, sig), eth_address(key));
}

TEST(Secp256k1, RecoveryRejectsMalformedAndHighS) {
  SecretBytes key = secp256k1_generate_private_key();
  Bytes digest = keccak256(ascii("x"));
  Bytes sig = eth_sign_digest(key, digest);
  ASSERT_TRUE(sig[64] == 27 || sig[64] == 28);
  // v = 0/1 accepted as well.
  Bytes v01 = sig;
  v01[64] = static_cast<uint8_t>(sig[64] - 27);
  EXPECT_EQ(eth_recover_address(digest, v01), eth_address(key));
  Bytes bad_v = sig;
  bad_v[64] = 29;
  EXPECT_ERROR_CODE(eth_recover_address(digest, bad_v), ErrorCode::kInvalidSignature);
  EXPECT_ERROR_CODE(eth_recover_address(digest, ByteView(sig).subview(0, 64)), ErrorCode::kInvalidSignature);
  // s' = n - s (high s) with the flipped v is the malleable twin: must be refused.
  Bytes n = from_hex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
  Bytes twin = sig;
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int d = n[static_cast<size_t>(i)] - sig[32 + static_cast<size_t>(i)] - borrow;
    borrow = d < 0;
    twin[32 + static_cast<size_t>(i)] = static_cast<uint8_t>(d + (borrow ? 256 : 0));
  }
  twin[64] = sig[64] == 27 ? 28 : 27;
  EXPECT_ERROR_CODE(eth_recover_address(digest, twin), ErrorCode::kInvalidSignature);
  Bytes r_zero(65, 0);
  r_zero[64] = 27;
  EXPECT_ERROR_CODE(eth_recover_address(digest, r_zero), ErrorCode::kInvalidSignature);
  // A different digest recovers some other address, never the signer.
  EXPECT_NE(eth_recover_address(keccak256(ascii("y")), sig), eth_address(key));
}

TEST(Secp256k1, RejectsInvalidPrivateKeys) {
  EXPECT_ERROR_CODE(secp256k1_public_key(Bytes(32, 0)), ErrorCode::kInvalidKey);
  EXPECT_ERROR_CODE(secp256k1_public_key(Bytes(32, 0xff)), ErrorCode::kInvalidKey);
  EXPECT_ERROR_CODE(secp256k1_public_key(Bytes(31, 1)), ErrorCode::kInvalidKey);
  EXPECT_ERROR_CODE(eth_address_from_public_key(Bytes(65, 0)), ErrorCode::kInvalidKey);
}

TEST(Eip712, CommandAndHandshakeMatchEthers) {
  eip712::Domain domain;
  domain.chain_id = 31337;
  domain.verifying_contract = Bytes(20, 0xab);
  Bytes separator = eip712::domain_separator(domain);
  EXPECT_EQ(to_hex(separator), "314390638854ee8302c1a1ce49cf2ca816c298e20bbb2a2b276c67f9a268a730");
  Bytes payload_hash = keccak256(ascii("anonify"));
  Bytes sender = from_hex("2c7536E3605D9C16a7a3D7b1898e529396a65c23");
  Bytes command = eip712::command_struct_hash(sender, 7, payload_hash);
  EXPECT_EQ(to_hex(command), "5b2c123683b944394e810a73d16a6ae3ee987ddf8139bdec97a519692e74d723");
  EXPECT_EQ(to_hex(eip712::typed_data_digest(separator, command)),
            "4f07d3d03cd14397758c3ae1e629e16a5d689775bb737df0d2adc53f88e37750");
  EXPECT_EQ(to_hex(eip712::typed_data_digest(separator, eip712::handshake_struct_hash(3, payload_hash))),
            "d8f7a5dcef84f797da2fb409bfdb50719bd5f6398c0087ddd3a04d5ea4a3ffa1");
}

TEST(Eip712, RejectsWrongSizes) {
  eip712::Domain domain;
  domain.verifying_contract = Bytes(19);
  EXPECT_ERROR_CODE(eip712::domain_separator(domain), ErrorCode::kInvalidArgument);
  EXPECT_ERROR_CODE(eip712::command_struct_hash(Bytes(21), 0, Bytes(32)), ErrorCode::kInvalidArgument);
  EXPECT_ERROR_CODE(eip712::checkpoint_struct_hash(0, Bytes(31), Bytes(16)), ErrorCode::kInvalidArgument);
  EXPECT_ERROR_CODE(eip712::checkpoint_struct_hash(0, Bytes(32), Bytes(32)), ErrorCode::kInvalidArgument);
  EXPECT_ERROR_CODE(eip712::typed_data_digest(Bytes(32), Bytes(33)), ErrorCode::kInvalidArgument);
}

TEST(Eip712, BatchPayloadsHashIsKeccakOfConcatenatedKeccaks) {
  std::vector<Bytes> batch{ascii("a"), ascii(""), ascii("ccc")};
  Bytes expected = keccak256(concat({keccak256(batch[0]), keccak256(batch[1]), keccak256(batch[2])}));
  EXPECT_EQ(eip712::batch_payloads_hash(batch), expected);
  EXPECT_EQ(eip712::batch_payloads_hash({}), keccak256({}));
}

TEST(Random, ProducesDistinctOutput) {
  EXPECT_NE(random_bytes(32), random_bytes(32));
  EXPECT_EQ(random_secret(17).size(), 17u);
  EXPECT_TRUE(random_bytes(0).empty());
}

}  // namespace
}  // namespace anonify::crypto
