// Identity, REPORTDATA, simulation quote body, and the SGX platform's refusal outside Gramine.
#include "anonify/crypto/hash.h"
#include "anonify/crypto/secp256k1.h"
#include "anonify/enclave/enclave.h"
#include "anonify/enclave/identity.h"
#include "anonify/enclave/methods.h"
#include "anonify/enclave/platform.h"
#include "enclave_test_util.h"

namespace anonify::enclave {
namespace {

uint64_t le(const Bytes& b, size_t offset, size_t width) {
  uint64_t v = 0;
  for (size_t i = 0; i < width; ++i) v |= static_cast<uint64_t>(b[offset + i]) << (8 * i);
  return v;
}

TEST(Identity, ReportDataLayout) {
  Identity id = Identity::generate();
  Bytes rd = id.report_data();
  ASSERT_EQ(rd.size(), 64u);
  EXPECT_EQ(Bytes(rd.begin(), rd.begin() + 20), id.eth_address());
  EXPECT_EQ(Bytes(rd.begin() + 20, rd.begin() + 52), crypto::sha256(concat({id.hpke_public_key(), id.mls_signature_public_key()})));
  EXPECT_EQ(Bytes(rd.begin() + 52, rd.end()), Bytes(12, 0));
  EXPECT_EQ(id.eth_address(), crypto::eth_address(id.secp256k1_private_key()));
}

TEST(Identity, SerializationRoundTripAndCorruption) {
  Identity id = Identity::generate();
  SecretBytes form = id.serialize();
  Identity back = Identity::deserialize(form);
  EXPECT_EQ(back.eth_address(), id.eth_address());
  EXPECT_EQ(back.hpke_public_key(), id.hpke_public_key());
  EXPECT_EQ(back.mls_signature_public_key(), id.mls_signature_public_key());
  Bytes bad_version = form.reveal();
  bad_version[0] = 2;
  EXPECT_THROW(Identity::deserialize(bad_version), Error);
  Bytes zero_key = form.reveal();
  std::fill(zero_key.begin() + 1, zero_key.begin() + 33, 0);  // secp256k1 key 0 is invalid
  try {
    Identity::deserialize(zero_key);
    ADD_FAILURE() << "accepted a zero secp256k1 key";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kSealedDataCorrupt);
  }
}

TEST(SimulationPlatform, QuoteBodyFollowsIntelLayoutWithDebugClear) {
  auto platform = make_simulation_platform();
  EXPECT_EQ(platform->mode(), Mode::kSimulation);
  Bytes rd(64);
  for (size_t i = 0; i < rd.size(); ++i) rd[i] = static_cast<uint8_t>(i);
  Bytes q = platform->quote(rd);
  ASSERT_EQ(q.size(), kQuoteBodySize);
  EXPECT_EQ(le(q, 0, 2), 2u);           // EPID quote version
  EXPECT_EQ(le(q, 96, 8) & 0x02, 0u);   // DEBUG clear
  EXPECT_EQ(le(q, 96, 8) & 0x01, 1u);   // INIT
  EXPECT_EQ(Bytes(q.begin() + 112, q.begin() + 144), platform->mrenclave());
  EXPECT_EQ(Bytes(q.begin() + 176, q.begin() + 208), simulation_mrsigner());
  EXPECT_EQ(le(q, 304, 2), 0u);
  EXPECT_EQ(le(q, 306, 2), 0u);
  EXPECT_EQ(Bytes(q.begin() + 368, q.end()), rd);
  EXPECT_THROW(platform->quote(Bytes(63)), Error);
}

TEST(SimulationPlatform, MrenclaveIsTheHashOfTheRunningBinary) {
  auto platform = make_simulation_platform();
  std::string self = testing::read_text_file("/proc/self/exe");
  EXPECT_EQ(platform->mrenclave(), crypto::sha256(ByteView::from_string(self)));
}

TEST(SgxPlatform, RefusesToStartOutsideGramine) {
  if (::access("/dev/attestation/my_target_info", F_OK) == 0) GTEST_FAIL() << "this test expects a native run";
  try {
    make_sgx_platform();
    ADD_FAILURE() << "SGX platform started without /dev/attestation";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kAttestationUnavailable);
    EXPECT_NE(std::string(e.what()).find("/dev/attestation"), std::string::npos);
  }
}

TEST(Methods, CoreMethodsAreRegistered) {
  std::vector<std::string> names = registered_methods();
  for (const char* m : {"status", "init", "evidence", "seal", "secure_echo", "eip712_hash"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), m), names.end()) << m;
  }
}

TEST(Methods, EvidenceBeforeInitIsInvalidState) {
  Enclave enclave(make_simulation_platform(), std::nullopt);
  EnclaveDispatcher d = make_dispatcher();
  std::string body = R"({"id":1,"method":"evidence"})";
  Bytes out = d.handle(enclave, ByteView::from_string(body));
  Json response = Json::parse(out.begin(), out.end());
  EXPECT_EQ(response["error"]["code"], "invalid_state");
}

}  // namespace
}  // namespace anonify::enclave

namespace anonify::enclave {
namespace {

struct CounterComponent {
  explicit CounterComponent(Enclave& owner) : enclave(&owner) {}
  Enclave* enclave;
  int value = 0;
};

TEST(Enclave, ComponentsAreCreatedOncePerEnclave) {
  Enclave a(make_simulation_platform(), std::nullopt);
  Enclave b(make_simulation_platform(), std::nullopt);
  a.component<CounterComponent>().value = 5;
  EXPECT_EQ(a.component<CounterComponent>().value, 5);
  EXPECT_EQ(a.component<CounterComponent>().enclave, &a);
  EXPECT_EQ(b.component<CounterComponent>().value, 0);
}

}  // namespace
}  // namespace anonify::enclave
