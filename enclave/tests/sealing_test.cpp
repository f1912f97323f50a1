// Sealed files: format, binding to measurement/mode/name, atomic replace, and refusal (never
// replacement) of tampered, truncated or foreign data.
#include <sys/stat.h>

#include <array>

#include "anonify/crypto/hash.h"
#include "anonify/crypto/random.h"
#include "anonify/enclave/enclave.h"
#include "anonify/enclave/sealing.h"
#include "enclave_test_util.h"

namespace anonify::enclave {
namespace {

using testing::error_of;
using testing::read_all;
using testing::TempDir;
using testing::write_raw;


// A blob too large to live in the manifest: it gets a file of its own.
Bytes large_blob(uint8_t fill) { return Bytes(kSealInlineLimit + 1, fill); }

std::string manifest_file(const TempDir& dir) { return dir.file(std::string(kSealManifestName) + kSealedFileSuffix); }

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

const Bytes kMrenclave = crypto::sha256(ByteView::from_string("measurement"));
const Bytes kRootKey = Bytes(32, 0x42);
const Bytes kInstance = Bytes(kSealInstanceIdSize, 0x17);
const SealBinding kBinding{kInstance, 7};

Bytes seal(Mode mode, ByteView mrenclave, ByteView root_key, const std::string& name, ByteView plaintext) {
  return seal_blob(mode, mrenclave, root_key, name, kBinding, plaintext);
}
SecretBytes unseal(Mode mode, ByteView mrenclave, ByteView root_key, const std::string& name, ByteView blob) {
  return unseal_blob(mode, mrenclave, root_key, name, blob, ByteView(kInstance)).plaintext;
}

TEST(SealBlob, RoundTripAndLayout) {
  Bytes pt = ByteView::from_string("secret state").to_bytes();
  Bytes blob = seal(Mode::kSimulation, kMrenclave, kRootKey, "state", pt);
  EXPECT_EQ(blob.size(), kSealCiphertextOffset + pt.size() + 16);
  EXPECT_EQ(std::string(blob.begin(), blob.begin() + 8), "ANFYSEAL");
  EXPECT_EQ(blob[8], 0);
  EXPECT_EQ(blob[9], 2);  // version 2: instance and generation
  EXPECT_EQ(Bytes(blob.begin() + 12, blob.begin() + 44), kMrenclave);
  EXPECT_EQ(Bytes(blob.begin() + 44, blob.begin() + 60), kInstance);
  EXPECT_EQ(Bytes(blob.begin() + 60, blob.begin() + 68), (Bytes{0, 0, 0, 0, 0, 0, 0, 7}));
  const Unsealed opened = unseal_blob(Mode::kSimulation, kMrenclave, kRootKey, "state", blob);
  EXPECT_EQ(opened.plaintext.reveal(), pt);
  EXPECT_EQ(opened.binding.instance_id, kInstance);
  EXPECT_EQ(opened.binding.generation, 7u);
  // Fresh nonce each time.
  EXPECT_NE(seal(Mode::kSimulation, kMrenclave, kRootKey, "state", pt), blob);
  EXPECT_EQ(error_of([&] { seal_blob(Mode::kSimulation, kMrenclave, kRootKey, "state", SealBinding{kInstance, 0}, pt); }),
            "invalid_argument");
  EXPECT_EQ(error_of([&] { seal_blob(Mode::kSimulation, kMrenclave, kRootKey, "state", SealBinding{Bytes(15, 1), 1}, pt); }),
            "invalid_argument");
}

TEST(SealBlob, AnotherInstanceIsForeignAndVersionOneIsRefused) {
  Bytes blob = seal(Mode::kSimulation, kMrenclave, kRootKey, "state", Bytes(20, 7));
  const Bytes other(kSealInstanceIdSize, 0x18);
  try {
    unseal_blob(Mode::kSimulation, kMrenclave, kRootKey, "state", blob, ByteView(other));
    ADD_FAILURE() << "a blob of another instance opened";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kSealedDataForeign);
    EXPECT_NE(std::string(e.what()).find("another instance"), std::string::npos) << e.what();
  }
  // A version 1 blob (the layout before instance and generation) is named and refused.
  Bytes v1 = blob;
  v1[9] = 1;
  try {
    unseal_blob(Mode::kSimulation, kMrenclave, kRootKey, "state", v1);
    ADD_FAILURE() << "a version 1 blob opened";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kSealedDataCorrupt);
    EXPECT_NE(std::string(e.what()).find("format version 1"), std::string::npos) << e.what();
  }
}

TEST(SealManifest, RoundTripAndMalformedEncodings) {
  SealManifest m;
  m.generations = {{"identity", 1}, {"mls-group", 9}, {"runtime-state", 12}};
  m.inline_blobs.emplace("runtime-state", SecretBytes(Bytes{7, 8, 9}));
  const Bytes encoded = encode_seal_manifest(m).reveal();
  const SealManifest decoded = decode_seal_manifest(encoded);
  EXPECT_EQ(decoded.generations, m.generations);
  ASSERT_EQ(decoded.inline_blobs.size(), 1u);
  EXPECT_EQ(decoded.inline_blobs.at("runtime-state").reveal(), (Bytes{7, 8, 9}));
  EXPECT_TRUE(decode_seal_manifest(encode_seal_manifest({})).generations.empty());
  for (size_t len = 0; len < encoded.size(); ++len) {
    EXPECT_EQ(error_of([&] { decode_seal_manifest(ByteView(encoded).subview(0, len)); }), "sealed_data_corrupt") << len;
  }
  Bytes trailing = encoded;
  trailing.push_back(0);
  EXPECT_EQ(error_of([&] { decode_seal_manifest(trailing); }), "sealed_data_corrupt");
  // version 2 ‖ count ‖ (length ‖ name ‖ generation ‖ kind [‖ size ‖ bytes])*
  Bytes unsorted{2, 0, 2, 1, 'b', 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 1, 0};
  EXPECT_EQ(error_of([&] { decode_seal_manifest(unsorted); }), "sealed_data_corrupt");
  Bytes zero_generation{2, 0, 1, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(error_of([&] { decode_seal_manifest(zero_generation); }), "sealed_data_corrupt");
  Bytes bad_name{2, 0, 1, 1, '/', 0, 0, 0, 0, 0, 0, 0, 1, 0};
  EXPECT_EQ(error_of([&] { decode_seal_manifest(bad_name); }), "sealed_data_corrupt");
  Bytes unknown_kind{2, 0, 1, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 1, 2};
  EXPECT_EQ(error_of([&] { decode_seal_manifest(unknown_kind); }), "sealed_data_corrupt");
  Bytes oversized{2, 0, 1, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 1, 1};
  append_u32_be(oversized, static_cast<uint32_t>(kSealInlineLimit + 1));
  append(oversized, Bytes(kSealInlineLimit + 1, 0));
  EXPECT_EQ(error_of([&] { decode_seal_manifest(oversized); }), "sealed_data_corrupt");
  // Version 1 (before blobs could live in the manifest) still reads: every blob a file.
  Bytes legacy{1, 0, 1, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 5};
  const SealManifest old = decode_seal_manifest(legacy);
  EXPECT_EQ(old.generations, (std::map<std::string, uint64_t>{{"a", 5}}));
  EXPECT_TRUE(old.inline_blobs.empty());
  // What the encoder refuses: an inline blob without a generation, or larger than the limit.
  SealManifest orphan;
  orphan.inline_blobs.emplace("a", SecretBytes(Bytes{1}));
  EXPECT_EQ(error_of([&] { encode_seal_manifest(orphan); }), "invalid_argument");
  SealManifest large;
  large.generations = {{"a", 1}};
  large.inline_blobs.emplace("a", SecretBytes(Bytes(kSealInlineLimit + 1, 0)));
  EXPECT_EQ(error_of([&] { encode_seal_manifest(large); }), "invalid_argument");
}

TEST(SealBlob, EveryTamperedByteIsRefused) {
  Bytes blob = seal(Mode::kSimulation, kMrenclave, kRootKey, "state", Bytes(20, 7));
  for (size_t i = 0; i < blob.size(); ++i) {
    Bytes bad = blob;
    bad[i] ^= 0x80;
    std::string code = error_of([&] { unseal(Mode::kSimulation, kMrenclave, kRootKey, "state", bad); });
    // Header bytes 10 (mode) and 12..44 (MRENCLAVE) read as "foreign", everything else (instance
    // and generation included: they are authenticated) as corrupt.
    bool foreign_field = i == 10 || (i >= 12 && i < 44);
    EXPECT_EQ(code, foreign_field ? "sealed_data_foreign" : "sealed_data_corrupt") << "byte " << i;
  }
}

TEST(SealBlob, TruncatedForeignRenamedAndWrongKeyAreRefused) {
  Bytes blob = seal(Mode::kSimulation, kMrenclave, kRootKey, "state", Bytes(20, 7));
  for (size_t len : {size_t{0}, size_t{8}, size_t{44}, size_t{71}, size_t{95}, blob.size() - 1}) {
    EXPECT_EQ(error_of([&] { unseal(Mode::kSimulation, kMrenclave, kRootKey, "state", ByteView(blob).subview(0, len)); }),
              "sealed_data_corrupt")
        << len;
  }
  Bytes other = crypto::sha256(ByteView::from_string("other enclave"));
  EXPECT_EQ(error_of([&] { unseal(Mode::kSimulation, other, kRootKey, "state", blob); }), "sealed_data_foreign");
  EXPECT_EQ(error_of([&] { unseal(Mode::kSgx, kMrenclave, kRootKey, "state", blob); }), "sealed_data_foreign");
  EXPECT_EQ(error_of([&] { unseal(Mode::kSimulation, kMrenclave, kRootKey, "identity", blob); }), "sealed_data_corrupt");
  EXPECT_EQ(error_of([&] { unseal(Mode::kSimulation, kMrenclave, Bytes(32, 1), "state", blob); }), "sealed_data_corrupt");
  EXPECT_EQ(error_of([&] { seal(Mode::kSimulation, kMrenclave, kRootKey, "../x", {}); }), "invalid_argument");
  EXPECT_EQ(error_of([&] { seal(Mode::kSimulation, kMrenclave, kRootKey, "", {}); }), "invalid_argument");
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
  // The components with sealed state are built at init (they read their blobs then, never later).
  EXPECT_EQ(second->seal_all(), (std::vector<std::string>{"identity", "chain-clock", "membership-evidence",
                                                            "mls-group", "runtime-state"}));
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
  Bytes foreign = seal(Mode::kSimulation, crypto::sha256(ByteView::from_string("other build")), key, "identity", Bytes(97, 1));
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
  EXPECT_EQ(enclave->seal_all(), (std::vector<std::string>{"identity", "chain-clock", "group-state",
                                                             "membership-evidence", "mls-group", "runtime-state"}));
  EXPECT_EQ(enclave->sealed_store().get("group-state")->reveal(), (Bytes{1, 2, 3}));
  EXPECT_EQ(error_of([&] { enclave->add_sealer("identity", [] { return Bytes{}; }); }), "invalid_argument");
}

// In one run the store refuses a blob older than what it already wrote or read under that name, and
// every write takes a higher generation than everything before it.
TEST_F(EnclaveInitTest, TheStoreRefusesOlderGenerationsWithinARun) {
  auto enclave = make();
  enclave->init(dir_.path());
  SealedStore& store = enclave->sealed_store();
  EXPECT_EQ(store.instance_id().size(), kSealInstanceIdSize);
  const uint64_t start = store.generation();
  store.put("blob", Bytes{1});
  const Bytes old_blob = read_all(dir_.file("blob.sealed"));
  store.put("blob", Bytes{2});
  EXPECT_GT(store.generation(), start + 2);  // each put: the blob, then the manifest
  const Bytes new_blob = read_all(dir_.file("blob.sealed"));
  write_raw(dir_.file("blob.sealed"), old_blob);
  EXPECT_EQ(error_of([&] { store.get("blob"); }), "sealed_data_stale");
  write_raw(dir_.file("blob.sealed"), new_blob);
  EXPECT_EQ(store.get("blob")->reveal(), Bytes{2});
  EXPECT_EQ(error_of([&] { store.put(kSealManifestName, Bytes{}); }), "invalid_argument");
  // A restart takes the manifest's generations as floors: the old blob is refused at init.
  write_raw(dir_.file("blob.sealed"), old_blob);
  auto restarted = make();
  restarted->init(dir_.path());  // nothing reads "blob" at init: only the manifest knows it
  EXPECT_EQ(error_of([&] { restarted->sealed_store().get("blob"); }), "sealed_data_stale");
  write_raw(dir_.file("blob.sealed"), new_blob);
  EXPECT_EQ(restarted->sealed_store().get("blob")->reveal(), Bytes{2});
  EXPECT_GT(restarted->sealed_store().generation(), start + 2);
}

// A batch seals its blobs (files: not named with keep_inline) under consecutive generations and
// records them with one manifest write at commit; the manifest then refuses an older generation of
// either blob at the next start. A batch left without commit writes no manifest: its files are newer
// than their entries, which a restart accepts, and the next put records them.
TEST_F(EnclaveInitTest, AManifestBatchRecordsItsPutsWithOneManifestWrite) {
  auto enclave = make();
  enclave->init(dir_.path());
  SealedStore& store = enclave->sealed_store();
  store.put("first", Bytes{1});
  store.put("second", Bytes{1});
  const Bytes old_first = read_all(dir_.file("first.sealed"));
  const Bytes old_second = read_all(dir_.file("second.sealed"));
  const Bytes manifest_before = read_all(dir_.file(std::string(kSealManifestName) + kSealedFileSuffix));
  const uint64_t start = store.generation();
  {
    SealedStore::ManifestBatch batch(store);
    EXPECT_EQ(error_of([&] { SealedStore::ManifestBatch nested(store); }), "invalid_state");
    store.put("first", Bytes{2});
    store.put("second", Bytes{2});
    EXPECT_EQ(read_all(dir_.file(std::string(kSealManifestName) + kSealedFileSuffix)), manifest_before);  // deferred
    batch.commit();
    EXPECT_EQ(error_of([&] { batch.commit(); }), "invalid_state");
  }
  EXPECT_EQ(store.generation(), start + 3);  // two blobs, one manifest
  for (const auto& [blob_name, old_blob] : {std::pair{"first", old_first}, std::pair{"second", old_second}}) {
    const std::string name = blob_name;  // C++17 lambdas cannot capture a structured binding
    const Bytes current = read_all(dir_.file(name + ".sealed"));
    write_raw(dir_.file(name + ".sealed"), old_blob);
    auto restarted = make();
    restarted->init(dir_.path());
    EXPECT_EQ(error_of([&] { restarted->sealed_store().get(name); }), "sealed_data_stale") << name;
    write_raw(dir_.file(name + ".sealed"), current);
  }

  // Without commit: no manifest; the blob reads after a restart, and the next put records it.
  const Bytes manifest_committed = read_all(dir_.file(std::string(kSealManifestName) + kSealedFileSuffix));
  const Bytes second_at_2 = read_all(dir_.file("second.sealed"));
  {
    SealedStore::ManifestBatch batch(store);
    store.put("second", Bytes{3});
  }
  EXPECT_EQ(read_all(dir_.file(std::string(kSealManifestName) + kSealedFileSuffix)), manifest_committed);
  {
    auto restarted = make();
    restarted->init(dir_.path());
    EXPECT_EQ(restarted->sealed_store().get("second")->reveal(), Bytes{3});
  }
  store.put("first", Bytes{3});  // outside any batch: the manifest now records second's generation 3 too
  write_raw(dir_.file("second.sealed"), second_at_2);
  auto restarted = make();
  restarted->init(dir_.path());
  EXPECT_EQ(error_of([&] { restarted->sealed_store().get("second"); }), "sealed_data_stale");
}

// Small blobs live inside the manifest: a put replaces one file, the blob has no file of its own,
// and a restart reads it from the manifest. While running, memory is the authority: an older
// manifest swapped in changes nothing until a restart (a whole-store rollback, docs/security.md).
TEST_F(EnclaveInitTest, SmallBlobsLiveInTheManifest) {
  auto enclave = make();
  enclave->init(dir_.path());
  SealedStore& store = enclave->sealed_store();
  store.keep_inline("small");
  store.keep_inline("other");
  EXPECT_EQ(error_of([&] { store.keep_inline("identity"); }), "invalid_argument");
  EXPECT_EQ(error_of([&] { store.keep_inline(kSealManifestName); }), "invalid_argument");
  const uint64_t start = store.generation();
  store.put("small", Bytes{1});
  EXPECT_EQ(store.generation(), start + 1);  // the manifest only
  EXPECT_TRUE(store.is_inline("small"));
  EXPECT_TRUE(store.exists("small"));
  EXPECT_FALSE(file_exists(dir_.file("small.sealed")));
  const Bytes manifest_at_1 = read_all(manifest_file(dir_));
  store.put("small", Bytes(kSealInlineLimit, 2));  // the limit itself still fits
  EXPECT_EQ(store.generation(), start + 2);
  EXPECT_FALSE(file_exists(dir_.file("small.sealed")));
  EXPECT_EQ(store.get("small")->reveal(), Bytes(kSealInlineLimit, 2));
  write_raw(manifest_file(dir_), manifest_at_1);
  EXPECT_EQ(store.get("small")->reveal(), Bytes(kSealInlineLimit, 2));  // read from memory, not the file
  write_raw(manifest_file(dir_), encode_seal_manifest({}).reveal());  // not even a sealed blob
  EXPECT_EQ(store.get("small")->reveal(), Bytes(kSealInlineLimit, 2));
  store.put("other", Bytes{3});  // rewrites the manifest with both
  auto restarted = make();
  restarted->init(dir_.path());
  EXPECT_EQ(restarted->sealed_store().get("small")->reveal(), Bytes(kSealInlineLimit, 2));
  EXPECT_EQ(restarted->sealed_store().get("other")->reveal(), Bytes{3});
  EXPECT_TRUE(restarted->sealed_store().is_inline("small"));
  EXPECT_EQ(restarted->sealed_store().generation(), start + 3);
  // A blob not named with keep_inline keeps a file of its own, however small.
  store.put("tiny", Bytes{4});
  EXPECT_FALSE(store.is_inline("tiny"));
  EXPECT_TRUE(file_exists(dir_.file("tiny.sealed")));
}

// The manifest alternates between two slots (alternating_file.h): each write goes to the slot not
// holding the newest manifest, and a start takes the newest slot that unseals. So a crash in the
// middle of a write (a torn slot) loses only that unfinished write; bytes the host puts in a slot
// can at most make a start take the other, older manifest, which the host could have put back
// anyway (docs/security.md, rollback between runs); a slot of another instance is refused.
TEST_F(EnclaveInitTest, TheManifestAlternatesBetweenTwoSlotsAndAStartTakesTheNewest) {
  const auto generation_of = [](const Bytes& blob) {
    uint64_t g = 0;
    for (size_t i = 0; i < 8; ++i) g = (g << 8) | blob.at(kSealGenerationOffset + i);
    return g;
  };
  auto enclave = make();
  enclave->init(dir_.path());
  SealedStore& store = enclave->sealed_store();
  store.keep_inline("small");
  const std::array<std::string, 2> slots{manifest_file(dir_), manifest_file(dir_) + kSecondSlotSuffix};
  store.put("small", Bytes{1});
  const std::array<Bytes, 2> at_1{read_all(slots[0]), read_all(slots[1])};
  const size_t newest = generation_of(at_1[0]) > generation_of(at_1[1]) ? 0 : 1;
  const size_t older = 1 - newest;
  store.put("small", Bytes{2});  // into the older slot; the slot of value 1 stays as it was
  EXPECT_EQ(read_all(slots[newest]), at_1[newest]);
  const Bytes manifest_at_2 = read_all(slots[older]);
  EXPECT_EQ(generation_of(manifest_at_2), generation_of(at_1[newest]) + 1);
  EXPECT_EQ(list_sealed(dir_.path()), (std::vector<std::string>{"identity", kSealManifestName}));
  const auto small_after_start = [&] {
    auto restarted = make();
    restarted->init(dir_.path());
    return restarted->sealed_store().get("small")->reveal();
  };
  EXPECT_EQ(small_after_start(), Bytes{2});
  // A write of value 3 torn by a crash: in the slot of value 1, which is what the next write takes.
  for (const Bytes& torn : {Bytes(at_1[newest].begin(), at_1[newest].begin() + 100), Bytes(3000, 0xee), Bytes{}}) {
    write_raw(slots[newest], torn);
    EXPECT_EQ(small_after_start(), Bytes{2});
  }
  // The newest slot spoiled: the older manifest (value 1) is what is left.
  write_raw(slots[newest], at_1[newest]);
  write_raw(slots[older], Bytes(3000, 0xee));
  EXPECT_EQ(small_after_start(), Bytes{1});
  ASSERT_EQ(::unlink(slots[older].c_str()), 0);
  EXPECT_EQ(small_after_start(), Bytes{1});
  ASSERT_EQ(::mkdir(slots[older].c_str(), 0700), 0);  // unreadable, as a torn file on Gramine's encrypted mount
  EXPECT_EQ(small_after_start(), Bytes{1});
  ASSERT_EQ(::rmdir(slots[older].c_str()), 0);
  ASSERT_EQ(::mkfifo(slots[older].c_str(), 0600), 0);  // reads as empty, never blocks the start
  EXPECT_EQ(small_after_start(), Bytes{1});
  ASSERT_EQ(::unlink(slots[older].c_str()), 0);
  // Neither slot unseals: refused, not taken for an empty store.
  write_raw(slots[older], Bytes(3000, 0xee));
  write_raw(slots[newest], Bytes(50, 0xdd));
  {
    auto restarted = make();
    EXPECT_EQ(error_of([&] { restarted->init(dir_.path()); }), "sealed_data_corrupt");
  }
  // Both slots back; the running store (memory is the authority) writes on into the slot that does
  // not hold its newest manifest; a start takes it.
  write_raw(slots[newest], at_1[newest]);
  write_raw(slots[older], manifest_at_2);
  store.put("small", Bytes{3});
  EXPECT_EQ(read_all(slots[older]), manifest_at_2);
  EXPECT_EQ(small_after_start(), Bytes{3});
  // The spare of the manifest's earlier replace scheme is no state: removed at start, never read.
  write_raw(manifest_file(dir_) + kRetiredManifestSpareSuffix, Bytes(3000, 0xee));
  EXPECT_EQ(small_after_start(), Bytes{3});
  EXPECT_FALSE(file_exists(manifest_file(dir_) + kRetiredManifestSpareSuffix));
}

// Only a slot that does not authenticate or cannot be read is passed over (a torn write). A slot
// sealed by another measurement under the same key file (what another build would have written) is
// no torn write: the start fails with sealed_data_foreign, whichever slot it is in, and the slot is
// left as it was.
TEST_F(EnclaveInitTest, AForeignManifestSlotFailsTheStart) {
  auto enclave = make();
  enclave->init(dir_.path());
  SealedStore& store = enclave->sealed_store();
  store.keep_inline("small");
  store.put("small", Bytes{1});
  store.put("small", Bytes{2});  // both slots hold a manifest now
  const Bytes key = read_all(dir_.file(kSimulationSealKeyFile));
  const Bytes foreign = seal(Mode::kSimulation, crypto::sha256(ByteView::from_string("other build")), key, kSealManifestName,
                             encode_seal_manifest({}).reveal());
  for (const std::string& slot : {manifest_file(dir_), manifest_file(dir_) + kSecondSlotSuffix}) {
    const Bytes kept = read_all(slot);
    write_raw(slot, foreign);
    EXPECT_EQ(error_of([&] { make()->init(dir_.path()); }), "sealed_data_foreign") << slot;
    EXPECT_EQ(read_all(slot), foreign);
    write_raw(slot, kept);
  }
  auto restarted = make();
  restarted->init(dir_.path());
  EXPECT_EQ(restarted->sealed_store().get("small")->reveal(), Bytes{2});
}

// A blob moves to a file of its own when it grows past the limit, and back into the manifest when
// it shrinks; the file it leaves is removed, and a leftover one (a crash came before the removal) is
// never read and removed at the next start.
TEST_F(EnclaveInitTest, ABlobMovesBetweenTheManifestAndAFile) {
  auto enclave = make();
  enclave->init(dir_.path());
  SealedStore& store = enclave->sealed_store();
  store.keep_inline("blob");
  store.put("blob", Bytes{1});
  EXPECT_FALSE(file_exists(dir_.file("blob.sealed")));
  store.put("blob", large_blob(2));
  EXPECT_FALSE(store.is_inline("blob"));
  const Bytes file_at_2 = read_all(dir_.file("blob.sealed"));
  {
    auto restarted = make();
    restarted->init(dir_.path());
    EXPECT_EQ(restarted->sealed_store().get("blob")->reveal(), large_blob(2));
  }
  store.put("blob", Bytes{3});
  EXPECT_TRUE(store.is_inline("blob"));
  EXPECT_FALSE(file_exists(dir_.file("blob.sealed")));
  write_raw(dir_.file("blob.sealed"), file_at_2);  // as if the removal never happened
  auto restarted = make();
  restarted->init(dir_.path());
  EXPECT_EQ(restarted->sealed_store().get("blob")->reveal(), Bytes{3});
  EXPECT_FALSE(file_exists(dir_.file("blob.sealed")));
}

// A put whose manifest write fails leaves the store as it was: the blob keeps its previous value, in
// memory and on disk, and the next successful write does not carry the failed value.
TEST_F(EnclaveInitTest, AFailedInlinePutChangesNothing) {
  auto enclave = make();
  enclave->init(dir_.path());
  SealedStore& store = enclave->sealed_store();
  for (const char* name : {"blob", "fresh", "other"}) store.keep_inline(name);
  store.put("blob", Bytes{1});
  // Directories where the manifest's slot files were: writing either fails (also for root).
  const std::array<std::string, 2> slots{manifest_file(dir_), manifest_file(dir_) + kSecondSlotSuffix};
  const std::array<Bytes, 2> manifests{read_all(slots[0]), read_all(slots[1])};
  for (const std::string& slot : slots) {
    ASSERT_EQ(::unlink(slot.c_str()), 0);
    ASSERT_EQ(::mkdir(slot.c_str(), 0700), 0);
    write_raw(slot + "/keep", Bytes{0});
  }
  EXPECT_EQ(error_of([&] { store.put("blob", Bytes{2}); }), "storage_error");
  EXPECT_EQ(error_of([&] { store.put("fresh", Bytes{9}); }), "storage_error");
  {
    SealedStore::ManifestBatch batch(store);
    store.put("blob", Bytes{4});
    EXPECT_EQ(error_of([&] { batch.commit(); }), "storage_error");
  }
  EXPECT_EQ(store.get("blob")->reveal(), Bytes{1});
  EXPECT_FALSE(store.exists("fresh"));
  for (size_t i = 0; i < slots.size(); ++i) {
    ASSERT_EQ(std::system(("rm -rf '" + slots[i] + "'").c_str()), 0);
    write_raw(slots[i], manifests[i]);
  }
  {
    SealedStore::ManifestBatch batch(store);  // left without commit: undone
    store.put("blob", Bytes{5});
  }
  EXPECT_EQ(store.get("blob")->reveal(), Bytes{1});
  store.put("other", Bytes{6});
  auto restarted = make();
  restarted->init(dir_.path());
  EXPECT_EQ(restarted->sealed_store().get("blob")->reveal(), Bytes{1});
  EXPECT_FALSE(restarted->sealed_store().exists("fresh"));
  EXPECT_EQ(restarted->sealed_store().get("other")->reveal(), Bytes{6});
}

// A batch of small puts (state_apply: the chain clock, then the state) replaces the manifest once.
TEST_F(EnclaveInitTest, ABatchOfSmallPutsWritesOneFile) {
  auto enclave = make();
  enclave->init(dir_.path());
  SealedStore& store = enclave->sealed_store();
  store.keep_inline("clock");
  store.keep_inline("state");
  const uint64_t start = store.generation();
  {
    SealedStore::ManifestBatch batch(store);
    store.put("clock", Bytes{1});
    store.put("state", Bytes{2});
    EXPECT_EQ(store.generation(), start);  // nothing written yet
    batch.commit();
  }
  EXPECT_EQ(store.generation(), start + 1);
  EXPECT_EQ(list_sealed(dir_.path()), (std::vector<std::string>{"identity", kSealManifestName}));
  auto restarted = make();
  restarted->init(dir_.path());
  EXPECT_EQ(restarted->sealed_store().get("clock")->reveal(), Bytes{1});
  EXPECT_EQ(restarted->sealed_store().get("state")->reveal(), Bytes{2});
}

}  // namespace
}  // namespace anonify::enclave
