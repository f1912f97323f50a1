// Sealed files: format, binding to measurement/mode/name, atomic replace, and refusal (never
// replacement) of tampered, truncated or foreign data.
#include <sys/stat.h>

#include <fstream>

#include "anonify/crypto/hash.h"
#include "anonify/crypto/random.h"
#include "anonify/enclave/enclave.h"
#include "anonify/enclave/sealing.h"
#include "enclave_test_util.h"

namespace anonify::enclave {
namespace {

using testing::TempDir;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return error_code_name(e.code());
  }
  return "no error";
}

Bytes read_all(const std::string& path) { return *read_file_if_exists(path); }

void write_raw(const std::string& path, const Bytes& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

const Bytes kMrenclave = crypto::sha256(ByteView::from_string("measurement"));
const Bytes kRootKey = Bytes(32, 0x42);

TEST(SealBlob, RoundTripAndLayout) {
  Bytes pt = ByteView::from_string("secret state").to_bytes();
  Bytes blob = seal_blob(Mode::kSimulation, kMrenclave, kRootKey, "state", pt);
  EXPECT_EQ(blob.size(), kSealCiphertextOffset + pt.size() + 16);
  EXPECT_EQ(std::string(blob.begin(), blob.begin() + 8), "ANFYSEAL");
  EXPECT_EQ(blob[8], 0);
  EXPECT_EQ(blob[9], 1);  // version 1
  EXPECT_EQ(Bytes(blob.begin() + 12, blob.begin() + 44), kMrenclave);
  EXPECT_EQ(unseal_blob(Mode::kSimulation, kMrenclave, kRootKey, "state", blob).reveal(), pt);
  // Fresh nonce each time.
  EXPECT_NE(seal_blob(Mode::kSimulation, kMrenclave, kRootKey, "state", pt), blob);
}

TEST(SealBlob, EveryTamperedByteIsRefused) {
  Bytes blob = seal_blob(Mode::kSimulation, kMrenclave, kRootKey, "state", Bytes(20, 7));
  for (size_t i = 0; i < blob.size(); ++i) {
    Bytes bad = blob;
    bad[i] ^= 0x80;
    std::string code = error_of([&] { unseal_blob(Mode::kSimulation, kMrenclave, kRootKey, "state", bad); });
    // Header bytes 10 (mode) and 12..44 (MRENCLAVE) read as "foreign", everything else as corrupt.
    bool foreign_field = i == 10 || (i >= 12 && i < 44);
    EXPECT_EQ(code, foreign_field ? "sealed_data_foreign" : "sealed_data_corrupt") << "byte " << i;
  }
}

TEST(SealBlob, TruncatedForeignRenamedAndWrongKeyAreRefused) {
  Bytes blob = seal_blob(Mode::kSimulation, kMrenclave, kRootKey, "state", Bytes(20, 7));
  for (size_t len : {size_t{0}, size_t{8}, size_t{44}, size_t{71}, blob.size() - 1}) {
    EXPECT_EQ(error_of([&] { unseal_blob(Mode::kSimulation, kMrenclave, kRootKey, "state", ByteView(blob).subview(0, len)); }),
              "sealed_data_corrupt")
        << len;
  }
  Bytes other = crypto::sha256(ByteView::from_string("other enclave"));
  EXPECT_EQ(error_of([&] { unseal_blob(Mode::kSimulation, other, kRootKey, "state", blob); }), "sealed_data_foreign");
  EXPECT_EQ(error_of([&] { unseal_blob(Mode::kSgx, kMrenclave, kRootKey, "state", blob); }), "sealed_data_foreign");
  EXPECT_EQ(error_of([&] { unseal_blob(Mode::kSimulation, kMrenclave, kRootKey, "identity", blob); }), "sealed_data_corrupt");
  EXPECT_EQ(error_of([&] { unseal_blob(Mode::kSimulation, kMrenclave, Bytes(32, 1), "state", blob); }), "sealed_data_corrupt");
  EXPECT_EQ(error_of([&] { seal_blob(Mode::kSimulation, kMrenclave, kRootKey, "../x", {}); }), "invalid_argument");
  EXPECT_EQ(error_of([&] { seal_blob(Mode::kSimulation, kMrenclave, kRootKey, "", {}); }), "invalid_argument");
}

TEST(WriteFileAtomic, ReplacesWholeFilesAndLeavesNoTemporaries) {
  TempDir dir;
  std::string path = dir.file("f");
  write_file_atomic(path, Bytes(1000, 1));
  write_file_atomic(path, Bytes(3, 2));
  EXPECT_EQ(read_all(path), Bytes(3, 2));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(list_sealed(dir.path()).size(), 0u);
  EXPECT_EQ(std::system(("test $(ls -A '" + dir.path() + "' | wc -l) -eq 1").c_str()), 0);
  EXPECT_EQ(error_of([&] { write_file_atomic(dir.file("missing/f"), Bytes(1)); }), "storage_error");
}

class EnclaveInitTest : public ::testing::Test {
 protected:
  std::unique_ptr<Enclave> make() { return std::make_unique<Enclave>(make_simulation_platform(), std::nullopt); }
  TempDir dir_;
};

TEST_F(EnclaveInitTest, CreatesThenUnsealsTheSameIdentity) {
  auto first = make();
  Enclave::InitOutcome created = first->init(dir_.path());
  EXPECT_TRUE(created.created);
  struct stat st {};
  ASSERT_EQ(::stat(dir_.file(kSimulationSealKeyFile).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(error_of([&] { first->init(dir_.path()); }), "invalid_state");

  auto second = make();
  EXPECT_FALSE(second->init(dir_.path()).created);
  EXPECT_EQ(second->identity().eth_address(), first->identity().eth_address());
  EXPECT_EQ(second->identity().hpke_public_key(), first->identity().hpke_public_key());
  EXPECT_EQ(second->identity().mls_signature_public_key(), first->identity().mls_signature_public_key());
  EXPECT_EQ(second->seal_all(), std::vector<std::string>{"identity"});
}

TEST_F(EnclaveInitTest, TamperedIdentityIsRefusedAndLeftInPlace) {
  make()->init(dir_.path());
  std::string path = dir_.file("identity.sealed");
  Bytes blob = read_all(path);
  blob[blob.size() - 1] ^= 1;
  write_raw(path, blob);
  EXPECT_EQ(error_of([&] { make()->init(dir_.path()); }), "sealed_data_corrupt");
  EXPECT_EQ(read_all(path), blob);  // never silently replaced
  write_raw(path, Bytes(blob.begin(), blob.begin() + 30));
  EXPECT_EQ(error_of([&] { make()->init(dir_.path()); }), "sealed_data_corrupt");
}

TEST_F(EnclaveInitTest, ForeignMeasurementIsRefused) {
  make()->init(dir_.path());
  std::string path = dir_.file("identity.sealed");
  Bytes key = read_all(dir_.file(kSimulationSealKeyFile));
  // What another enclave build would have sealed under the same key file.
  Bytes foreign = seal_blob(Mode::kSimulation, crypto::sha256(ByteView::from_string("other build")), key, "identity", Bytes(97, 1));
  write_raw(path, foreign);
  EXPECT_EQ(error_of([&] { make()->init(dir_.path()); }), "sealed_data_foreign");
  EXPECT_EQ(read_all(path), foreign);
}

TEST_F(EnclaveInitTest, MissingOrLooseKeyFileIsRefused) {
  make()->init(dir_.path());
  std::string key_path = dir_.file(kSimulationSealKeyFile);
  ASSERT_EQ(::chmod(key_path.c_str(), 0644), 0);
  EXPECT_EQ(error_of([&] { make()->init(dir_.path()); }), "storage_error");
  ASSERT_EQ(::chmod(key_path.c_str(), 0600), 0);
  Bytes key = read_all(key_path);
  write_raw(key_path, Bytes(key.begin(), key.begin() + 31));
  EXPECT_EQ(error_of([&] { make()->init(dir_.path()); }), "sealed_data_corrupt");
  ASSERT_EQ(::unlink(key_path.c_str()), 0);
  // The sealed identity is still there: a new key must not be created over it.
  EXPECT_EQ(error_of([&] { make()->init(dir_.path()); }), "sealed_data_foreign");
  EXPECT_NE(::access(key_path.c_str(), F_OK), 0);
}

TEST_F(EnclaveInitTest, SealedFilesWithoutIdentityAreRefused) {
  make()->init(dir_.path());
  ASSERT_EQ(::rename(dir_.file("identity.sealed").c_str(), dir_.file("state.sealed").c_str()), 0);
  EXPECT_EQ(error_of([&] { make()->init(dir_.path()); }), "sealed_data_corrupt");
}

TEST_F(EnclaveInitTest, DataDirectoryRules) {
  EXPECT_EQ(error_of([&] { make()->init(std::nullopt); }), "invalid_params");
  EXPECT_EQ(error_of([&] { make()->init(dir_.file("a/b/c")); }), "storage_error");
  Enclave pinned(make_simulation_platform(), dir_.path());
  EXPECT_EQ(error_of([&] { pinned.init(dir_.file("elsewhere")); }), "invalid_params");
  EXPECT_TRUE(pinned.init(std::nullopt).created);
  EXPECT_EQ(error_of([&] { make()->identity(); }), "invalid_state");
}

TEST_F(EnclaveInitTest, RegisteredSealersAreWrittenBySealAll) {
  auto enclave = make();
  enclave->init(dir_.path());
  enclave->add_sealer("group-state", [] { return Bytes{1, 2, 3}; });
  EXPECT_EQ(enclave->seal_all(), (std::vector<std::string>{"identity", "group-state"}));
  EXPECT_EQ(enclave->sealed_store().get("group-state")->reveal(), (Bytes{1, 2, 3}));
  EXPECT_EQ(error_of([&] { enclave->add_sealer("identity", [] { return Bytes{}; }); }), "invalid_argument");
}

}  // namespace
}  // namespace anonify::enclave
