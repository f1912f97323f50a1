#include "primitives.h"

#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <functional>
#include <iostream>
#include <memory>
#include <stdexcept>

#include "anonify/attestation/dcap.h"
#include "anonify/attestation/evidence.h"
#include "anonify/crypto/hpke.h"
#include "anonify/crypto/keccak.h"
#include "anonify/crypto/random.h"
#include "anonify/crypto/x25519.h"
#include "anonify/enclave/sealing.h"
#include "anonify/runtime/envelope.h"
#include "anonify/runtime/json_input.h"
#include "anonify/runtime/ledger.h"
#include "crypto/openssl_util.h"
#include "dcap_intel_vectors.h"
#include "vector_files.h"

namespace anonify::bench {

namespace {

using namespace crypto::detail;

constexpr size_t kPool = 64;  // distinct inputs cycled through, so no result is a cache hit
constexpr size_t kKeySize = 32;
constexpr size_t kTag = 16;
constexpr size_t kNonce = 12;

// Keeps results observable so the compiler cannot drop the measured work.
volatile uint8_t g_sink = 0;
void sink(const uint8_t* data, size_t size) {
  if (size != 0) g_sink = static_cast<uint8_t>(g_sink ^ data[size - 1]);
}

Bytes random_of(size_t size) { return crypto::random_bytes(size); }

/// A committed vector file (test/vectors, or $ANONIFY_VECTORS).
Bytes vector_file(const std::string& relative) { return testing::read_binary_file(testing::vector_path(relative)); }

// AES-GCM with the cipher fetched once. seal/open key a fresh context per operation (a key used for
// one message, as HPKE's); a prepared key keys its context once and each operation sets only the
// nonce (a key that seals many messages, as the entry and sealing keys are: crypto::AeadKey).
class RawAesGcm {
 public:
  explicit RawAesGcm(const char* name) : cipher_(ossl_check_ptr(EVP_CIPHER_fetch(nullptr, name, nullptr), name)) {}

  CipherCtxPtr prepare(const Bytes& key) const {
    CipherCtxPtr ctx(ossl_check_ptr(EVP_CIPHER_CTX_new(), "EVP_CIPHER_CTX_new"));
    ossl_check(EVP_CipherInit_ex2(ctx.get(), cipher_.get(), key.data(), nullptr, 1, nullptr), "CipherInit(key)");
    return ctx;
  }

  void seal(const Bytes& key, const Bytes& nonce, const Bytes& aad, const Bytes& plain, Bytes& out) const {
    CipherCtxPtr ctx(ossl_check_ptr(EVP_CIPHER_CTX_new(), "EVP_CIPHER_CTX_new"));
    ossl_check(EVP_EncryptInit_ex2(ctx.get(), cipher_.get(), key.data(), nonce.data(), nullptr), "EncryptInit");
    seal_keyed(ctx.get(), aad, plain, out);
  }

  void open(const Bytes& key, const Bytes& nonce, const Bytes& aad, const Bytes& sealed, Bytes& out) const {
    CipherCtxPtr ctx(ossl_check_ptr(EVP_CIPHER_CTX_new(), "EVP_CIPHER_CTX_new"));
    ossl_check(EVP_DecryptInit_ex2(ctx.get(), cipher_.get(), key.data(), nonce.data(), nullptr), "DecryptInit");
    open_keyed(ctx.get(), aad, sealed, out);
  }

  static void seal(EVP_CIPHER_CTX* prepared, const Bytes& nonce, const Bytes& aad, const Bytes& plain, Bytes& out) {
    ossl_check(EVP_CipherInit_ex2(prepared, nullptr, nullptr, nonce.data(), 1, nullptr), "CipherInit(nonce)");
    seal_keyed(prepared, aad, plain, out);
  }

  static void open(EVP_CIPHER_CTX* prepared, const Bytes& nonce, const Bytes& aad, const Bytes& sealed, Bytes& out) {
    ossl_check(EVP_CipherInit_ex2(prepared, nullptr, nullptr, nonce.data(), 0, nullptr), "CipherInit(nonce)");
    open_keyed(prepared, aad, sealed, out);
  }

 private:
  static void seal_keyed(EVP_CIPHER_CTX* ctx, const Bytes& aad, const Bytes& plain, Bytes& out) {
    int len = 0;
    ossl_check(EVP_EncryptUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())), "aad");
    out.resize(plain.size() + kTag);
    ossl_check(EVP_EncryptUpdate(ctx, out.data(), &len, plain.data(), static_cast<int>(plain.size())), "update");
    int final_len = 0;
    ossl_check(EVP_EncryptFinal_ex(ctx, out.data() + len, &final_len), "final");
    ossl_check(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, kTag, out.data() + plain.size()), "tag");
  }

  static void open_keyed(EVP_CIPHER_CTX* ctx, const Bytes& aad, const Bytes& sealed, Bytes& out) {
    int len = 0;
    ossl_check(EVP_DecryptUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())), "aad");
    const size_t body = sealed.size() - kTag;
    out.resize(body);
    ossl_check(EVP_DecryptUpdate(ctx, out.data(), &len, sealed.data(), static_cast<int>(body)), "update");
    ossl_check(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, kTag, const_cast<uint8_t*>(sealed.data() + body)),
               "set tag");
    int final_len = 0;
    ossl_check(EVP_DecryptFinal_ex(ctx, out.data() + len, &final_len), "tag check");
  }

  CipherPtr cipher_;
};

// HMAC-SHA256 (RFC 2104) on one SHA-256 digest context per operation, the digest fetched once: the
// cheapest way OpenSSL 3.0 offers (its EVP_MAC duplicates an HMAC context of three digest contexts
// per operation, about twice the time). Keys up to the block size, as the enclave's are.
class RawHmac {
 public:
  RawHmac() : md_(ossl_check_ptr(EVP_MD_fetch(nullptr, "SHA2-256", nullptr), "EVP_MD_fetch")) {}

  void compute(const Bytes& key, const uint8_t* data, size_t size, uint8_t out[32]) const {
    MdCtxPtr ctx(ossl_check_ptr(EVP_MD_CTX_new(), "EVP_MD_CTX_new"));
    uint8_t pad[64] = {};
    std::copy(key.begin(), key.end(), pad);
    for (uint8_t& b : pad) b ^= 0x36;
    uint8_t inner[32];
    unsigned int len = 0;
    ossl_check(EVP_DigestInit_ex2(ctx.get(), md_.get(), nullptr), "EVP_DigestInit_ex2");
    ossl_check(EVP_DigestUpdate(ctx.get(), pad, sizeof pad), "EVP_DigestUpdate");
    ossl_check(EVP_DigestUpdate(ctx.get(), data, size), "EVP_DigestUpdate");
    ossl_check(EVP_DigestFinal_ex(ctx.get(), inner, &len), "EVP_DigestFinal_ex");
    for (uint8_t& b : pad) b ^= 0x36 ^ 0x5c;
    ossl_check(EVP_DigestInit_ex2(ctx.get(), md_.get(), nullptr), "EVP_DigestInit_ex2");
    ossl_check(EVP_DigestUpdate(ctx.get(), pad, sizeof pad), "EVP_DigestUpdate");
    ossl_check(EVP_DigestUpdate(ctx.get(), inner, sizeof inner), "EVP_DigestUpdate");
    ossl_check(EVP_DigestFinal_ex(ctx.get(), out, &len), "EVP_DigestFinal_ex");
  }

 private:
  MdPtr md_;
};

struct Secp256k1Context {
  secp256k1_context* ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  Secp256k1Context() {
    if (ctx == nullptr) throw Error(ErrorCode::kCryptoFailure, "secp256k1_context_create");
    const Bytes seed = random_of(32);
    if (secp256k1_context_randomize(ctx, seed.data()) != 1) throw Error(ErrorCode::kCryptoFailure, "randomize");
  }
  ~Secp256k1Context() { secp256k1_context_destroy(ctx); }
  Secp256k1Context(const Secp256k1Context&) = delete;
  Secp256k1Context& operator=(const Secp256k1Context&) = delete;
};

// Each primitive as a closure over its prepared inputs; measured one batch per round.
struct Entry {
  std::string id;
  std::string label;
  size_t ops;  // per batch in a full run; quick runs a fifth
  bool in_limit;
  std::function<void(size_t)> op;
  std::vector<Timing> samples;  // per op, one per batch
  size_t next = 0;
};

class Registry {
 public:
  explicit Registry(std::vector<Entry>& entries) : entries_(entries) {}

  template <typename Op>
  void run(const std::string& id, const std::string& label, size_t ops, Op&& op, bool in_limit = true) {
    entries_.push_back(Entry{id, label, ops, in_limit, std::forward<Op>(op), {}, 0});
  }

 private:
  std::vector<Entry>& entries_;
};

std::string sized(const std::string& what, size_t size) { return what + " (" + std::to_string(size) + " B)"; }

}  // namespace

// Everything the primitives work on, prepared once; the closures point into it.
struct PrimitiveSuite::State {
  std::vector<Entry> entries;

  crypto::X25519KeyPair own = crypto::x25519_generate();
  PkeyPtr own_key;
  std::vector<Bytes> peers;
  RawHmac hmac;
  RawAesGcm aes128{"AES-128-GCM"};
  RawAesGcm aes256{"AES-256-GCM"};
  Bytes key16 = random_of(16), key32 = random_of(32), nonce = random_of(kNonce), no_aad;
  CipherCtxPtr entry_key = aes128.prepare(key16), sealing_key = aes256.prepare(key32);
  Bytes entry_aad = random_of(24), seal_aad = random_of(44 + 13), message = random_of(64), info = random_of(40);
  Bytes command, entry_plain, state, manifest, command_sealed, entry_sealed, entry, word_pair = random_of(66), blob, scratch;
  Secp256k1Context secp;
  Bytes secp_key;
  std::vector<Bytes> digests;
  std::vector<std::pair<Bytes, int>> signatures;
  crypto::X25519PrivateKey recipient = crypto::X25519PrivateKey::generate();
  std::vector<crypto::hpke::Sealed> sealed;
  attestation::IasEvidence ias_evidence;
  Bytes ias_ca;
  attestation::MeasurementPolicy ias_policy;
  attestation::DcapEvidence dcap_evidence;
  Bytes dcap_root;
  attestation::DcapPolicy dcap_policy;
  attestation::MeasurementPolicy dcap_enclave_policy;
  PrimitiveInputs in;
  std::unique_ptr<enclave::AlternatingFile> tmpfs_file, disk_file;
};

PrimitiveSuite::PrimitiveSuite(const PrimitiveInputs& in, bool quick) : state_(std::make_shared<State>()), quick_(quick) {
  State& st = *state_;
  st.in = in;
  Registry r(st.entries);

  // --- X25519 (OpenSSL EVP): own key object built once, the peer's arrives as raw bytes.
  st.own_key.reset(ossl_check_ptr(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, st.own.private_key.data(), kKeySize),
                                  "own X25519 key"));
  for (size_t i = 0; i < kPool; ++i) st.peers.push_back(crypto::x25519_generate().public_key);
  r.run("x25519", "X25519 DH (EVP_PKEY_derive, peer key from raw bytes)", 200, [&st](size_t i) {
    const Bytes& peer_raw = st.peers[i % kPool];
    PkeyPtr peer(ossl_check_ptr(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peer_raw.data(), kKeySize), "peer"));
    PkeyCtxPtr ctx(ossl_check_ptr(EVP_PKEY_CTX_new(st.own_key.get(), nullptr), "EVP_PKEY_CTX_new"));
    ossl_check(EVP_PKEY_derive_init(ctx.get()), "derive_init");
    ossl_check(EVP_PKEY_derive_set_peer(ctx.get(), peer.get()), "set_peer");
    uint8_t shared[kKeySize];
    size_t len = sizeof(shared);
    ossl_check(EVP_PKEY_derive(ctx.get(), shared, &len), "derive");
    sink(shared, len);
  });

  // --- HMAC-SHA256 / HKDF (OpenSSL EVP_MAC / EVP_KDF).
  st.state = random_of(in.state_size);
  st.manifest = random_of(in.manifest_size);
  r.run("hkdf_extract", "HKDF-Extract = HMAC-SHA256 (64 B input)", 2000, [&st](size_t) {
    uint8_t out[32];
    st.hmac.compute(st.key32, st.message.data(), st.message.size(), out);
    sink(out, 32);
  });
  // HKDF-Expand of <= 32 bytes is one HMAC over info ‖ 0x01 (RFC 5869 §2.3): cheaper than EVP_KDF,
  // which in OpenSSL 3.0 cannot reuse a prepared context.
  st.info.push_back(0x01);
  r.run("hkdf_expand", "HKDF-Expand, one block = HMAC-SHA256(prk, info ‖ 0x01)", 2000, [&st](size_t) {
    uint8_t out[32];
    st.hmac.compute(st.key32, st.info.data(), st.info.size(), out);
    sink(out, 32);
  });
  r.run("hmac_state", sized("HMAC-SHA256 of the state encoding", in.state_size), 2000, [&st](size_t) {
    uint8_t out[32];
    st.hmac.compute(st.key32, st.state.data(), st.state.size(), out);
    sink(out, 32);
  });

  // --- AES-GCM (OpenSSL EVP): the HPKE body of a command, a log entry, the store manifest (with the state).
  st.command.assign(in.command_padded_size, 0x5a);
  st.entry_plain.assign(in.entry_padded_size, 0x5a);
  st.aes128.seal(st.key16, st.nonce, st.no_aad, st.command, st.command_sealed);
  st.aes128.seal(st.key16, st.nonce, st.entry_aad, st.entry_plain, st.entry_sealed);
  r.run("aes_open_command", sized("AES-128-GCM open, command body", st.command_sealed.size()), 2000, [&st](size_t) {
    st.aes128.open(st.key16, st.nonce, st.no_aad, st.command_sealed, st.scratch);
    sink(st.scratch.data(), st.scratch.size());
  });
  r.run("aes_seal_entry", sized("AES-128-GCM seal, log entry, key prepared", st.entry_sealed.size()), 2000, [&st](size_t) {
    RawAesGcm::seal(st.entry_key.get(), st.nonce, st.entry_aad, st.entry_plain, st.scratch);
    sink(st.scratch.data(), st.scratch.size());
  });
  r.run("aes_open_entry", sized("AES-128-GCM open, log entry, key prepared", st.entry_sealed.size()), 2000, [&st](size_t) {
    RawAesGcm::open(st.entry_key.get(), st.nonce, st.entry_aad, st.entry_sealed, st.scratch);
    sink(st.scratch.data(), st.scratch.size());
  });
  r.run("aes256_seal_manifest", sized("AES-256-GCM seal, store manifest with the state, key prepared", in.manifest_size + kTag), 2000,
        [&st](size_t) {
    RawAesGcm::seal(st.sealing_key.get(), st.nonce, st.seal_aad, st.manifest, st.scratch);
    sink(st.scratch.data(), st.scratch.size());
  });
  r.run("rand_nonce", "AEAD nonce, 12 B (crypto::random_nonce: one RAND_bytes draw per 64)", 2000, [](size_t) {
    const Bytes nonce = crypto::random_nonce();
    sink(nonce.data(), nonce.size());
  });

  // --- Keccak-256 (our implementation: OpenSSL 3.0 has no Ethereum Keccak). EIP-712 encodings
  // are 2-5 words, one 136-byte block.
  st.entry = random_of(in.entry_size);
  r.run("keccak_block", "keccak256, one block (<= 135 B)", 2000, [&st](size_t) {
    const Bytes h = crypto::keccak256(st.word_pair);
    sink(h.data(), h.size());
  });
  r.run("keccak_entry", sized("keccak256 of a log entry", in.entry_size), 2000, [&st](size_t) {
    const Bytes h = crypto::keccak256(st.entry);
    sink(h.data(), h.size());
  });

  // --- secp256k1 (libsecp256k1 + recovery module).
  st.secp_key = random_of(32);
  while (secp256k1_ec_seckey_verify(st.secp.ctx, st.secp_key.data()) != 1) st.secp_key = random_of(32);
  for (size_t i = 0; i < kPool; ++i) {
    st.digests.push_back(random_of(32));
    secp256k1_ecdsa_recoverable_signature sig;
    Bytes compact(64);
    int id = 0;
    if (secp256k1_ecdsa_sign_recoverable(st.secp.ctx, &sig, st.digests.back().data(), st.secp_key.data(), nullptr, nullptr) != 1 ||
        secp256k1_ecdsa_recoverable_signature_serialize_compact(st.secp.ctx, compact.data(), &id, &sig) != 1) {
      throw Error(ErrorCode::kCryptoFailure, "sign");
    }
    st.signatures.emplace_back(std::move(compact), id);
  }
  r.run("secp_sign", "secp256k1 ECDSA sign, recoverable (RFC 6979)", 200, [&st](size_t i) {
    secp256k1_ecdsa_recoverable_signature sig;
    uint8_t out[64];
    int id = 0;
    if (secp256k1_ecdsa_sign_recoverable(st.secp.ctx, &sig, st.digests[i % kPool].data(), st.secp_key.data(), nullptr, nullptr) != 1 ||
        secp256k1_ecdsa_recoverable_signature_serialize_compact(st.secp.ctx, out, &id, &sig) != 1) {
      throw Error(ErrorCode::kCryptoFailure, "sign");
    }
    sink(out, sizeof(out));
  });
  r.run("secp_recover", "secp256k1 recover (parse, low-s check, recover, serialize)", 200, [&st](size_t i) {
    const auto& [compact, id] = st.signatures[i % kPool];
    secp256k1_ecdsa_recoverable_signature sig;
    secp256k1_ecdsa_signature plain;
    secp256k1_pubkey pub;
    uint8_t out[65];
    size_t len = sizeof(out);
    if (secp256k1_ecdsa_recoverable_signature_parse_compact(st.secp.ctx, &sig, compact.data(), id) != 1 ||
        secp256k1_ecdsa_recoverable_signature_convert(st.secp.ctx, &plain, &sig) != 1 ||
        secp256k1_ecdsa_signature_normalize(st.secp.ctx, nullptr, &plain) != 0 ||
        secp256k1_ecdsa_recover(st.secp.ctx, &pub, &sig, st.digests[i % kPool].data()) != 1 ||
        secp256k1_ec_pubkey_serialize(st.secp.ctx, out, &len, &pub, SECP256K1_EC_UNCOMPRESSED) != 1) {
      throw Error(ErrorCode::kCryptoFailure, "recover");
    }
    sink(out, len);
  });

  // --- JSON parse of the two documents a transition reads, as the runtime parses them
  // (runtime/json_input.h parse_object: depth pre-check, nlohmann-json, repeated-member check).
  const std::pair<const char*, std::pair<std::string, std::string PrimitiveInputs::*>> documents[] = {
      {"json_command", {"command envelope", &PrimitiveInputs::command_json}},
      {"json_payload", {"token command", &PrimitiveInputs::payload_json}},
  };
  for (const auto& [id, doc] : documents) {
    const std::string& text = st.in.*doc.second;
    r.run(id, sized("JSON parse, " + doc.first, text.size()), 1000, [&text](size_t) {
      const std::optional<nlohmann::json> parsed = runtime::detail::parse_object(ByteView::from_string(text));
      if (!parsed) throw std::runtime_error("bench document does not parse");
      g_sink = static_cast<uint8_t>(g_sink ^ parsed->size());
    });
  }

  // The entry plaintext is binary (TLS presentation language, our codec): its decode.
  r.run("entry_decode", sized("entry plaintext decode (runtime::EntryCommand)", st.in.entry_plaintext.size()), 2000, [&st](size_t) {
    const std::optional<runtime::EntryCommand> decoded = runtime::EntryCommand::decode(st.in.entry_plaintext);
    if (!decoded) throw std::runtime_error("bench entry plaintext does not decode");
    g_sink = static_cast<uint8_t>(g_sink ^ decoded->command.payload.size());
  });

  // --- Storage: the store manifest's write (which carries the state) state_apply does
  // (enclave/alternating_file.h: the slot not holding the newest manifest, overwritten in place and
  // fdatasync'd; the slots alternate), on tmpfs (where the transition run keeps it) and on disk.
  st.blob = random_of(in.manifest_size + enclave::kSealCiphertextOffset + kTag);
  st.tmpfs_file = std::make_unique<enclave::AlternatingFile>(st.in.tmpfs_dir, "bench-probe.sealed");
  st.disk_file = std::make_unique<enclave::AlternatingFile>(st.in.disk_dir, "bench-probe.sealed");
  r.run("write_tmpfs", sized("sealed manifest write (slot overwritten in place, fdatasync), tmpfs", st.blob.size()), 500,
        [&st](size_t i) { st.tmpfs_file->write(i % enclave::AlternatingFile::kSlots, st.blob); });
  r.run("write_disk", sized("sealed manifest write (slot overwritten in place, fdatasync), disk", st.blob.size()), 10,
        [&st](size_t i) { st.disk_file->write(i % enclave::AlternatingFile::kSlots, st.blob); }, false);

  // --- Reference: our HPKE single-shot open of a command (wrapper cost beside its raw parts),
  // with the recipient key prepared once as the enclave's identity holds it.
  for (size_t i = 0; i < kPool; ++i) {
    st.sealed.push_back(crypto::hpke::seal(crypto::hpke::kDefaultSuite, st.recipient.public_key(),
                                           ByteView::from_string(runtime::kCommandInfo), ByteView(),
                                           ByteView::from_string(in.command_json)));
  }
  r.run("hpke_open", sized("HPKE setup + open of a command (anonify::crypto::hpke)", in.command_json.size()), 200,
        [&st](size_t i) {
          const crypto::hpke::Sealed& s = st.sealed[i % kPool];
          const Bytes plain = crypto::hpke::open(crypto::hpke::kDefaultSuite, s.enc, st.recipient,
                                                 ByteView::from_string(runtime::kCommandInfo), ByteView(), s.ciphertext);
          sink(plain.data(), plain.size());
        },
        false);

  // --- Reference: what admitting one joiner costs the enclave in evidence checks: verify_ias (CA
  // pinned, leaf under it, report signature, JSON, quote body, validity) and check_policy, on a
  // real Intel-signed report (test/vectors/ias) under Intel's CA, as attestation_verify runs them.
  const std::string vector = "ias/lcp_2024-06-15T14-54_v4_GROUP_OUT_OF_DATE/";
  st.ias_evidence = attestation::IasEvidence{vector_file(vector + "report.json"), vector_file(vector + "signature.bin"),
                                             vector_file("ias/certs/intel_sgx_attestation_report_signing_leaf.der")};
  st.ias_ca = vector_file("ias/certs/intel_sgx_attestation_report_signing_ca.der");
  st.ias_policy.allowed_statuses = {"OK", "GROUP_OUT_OF_DATE"};
  st.ias_policy.allow_debug = true;
  r.run("ias_verify", sized("in-enclave IAS evidence verification per join, report", st.ias_evidence.report.size()), 100,
        [&st](size_t) {
          const attestation::VerifiedIdentity id = attestation::verify_ias(st.ias_evidence, st.ias_ca);
          attestation::check_policy(id, st.ias_policy, id.timestamp);
          sink(id.report_data.data(), id.report_data.size());
        },
        false);

  // --- Reference: the same for DCAP, what today's machines present: verify_dcap (the quote's PCK
  // chain to the pinned Intel SGX Root CA with both CRLs, the QE report and its signature, the ISV
  // report signature, TCB Info and QE Identity under the TCB Signing chain, both TCB statuses) and
  // check_enclave_policy, on a real quote and PCS collateral (test/vectors/dcap) at the vectors' time.
  st.dcap_evidence = testing::intel_dcap::evidence();
  st.dcap_root = testing::intel_dcap::root_ca();
  st.dcap_policy = testing::intel_dcap::policy();
  const size_t evidence_size = st.dcap_evidence.quote.size() + st.dcap_evidence.collateral.tcb_info.size() +
                               st.dcap_evidence.collateral.qe_identity.size() +
                               st.dcap_evidence.collateral.tcb_signing_chain_pem.size() +
                               st.dcap_evidence.collateral.crls[0].size() + st.dcap_evidence.collateral.crls[1].size();
  r.run("dcap_verify",
        sized("in-enclave DCAP evidence verification per join, quote " + std::to_string(st.dcap_evidence.quote.size()) +
                  " B + collateral, total",
              evidence_size),
        20,
        [&st](size_t) {
          const attestation::VerifiedQuote quote =
              attestation::verify_dcap(st.dcap_evidence, st.dcap_root, st.dcap_policy, testing::intel_dcap::kVectorTime);
          attestation::check_enclave_policy(quote.identity, st.dcap_enclave_policy);
          sink(quote.identity.report_data.data(), quote.identity.report_data.size());
        },
        false);
}

void PrimitiveSuite::run_batch(size_t round) {
  size_t index = 0;
  for (Entry& e : state_->entries) {
    const size_t n = quick_ ? std::max<size_t>(e.ops / 5, 1) : e.ops;
    if (round == 0) std::cerr << "  primitive " << ++index << " of " << state_->entries.size() << ": " << e.label << "\n";
    e.samples.push_back(time_batch(n, round == 0 ? std::max<size_t>(n / 4, 1) : 0, [&] { e.op(e.next++); }));
  }
}

std::vector<PrimitiveResult> PrimitiveSuite::results() const {
  std::vector<PrimitiveResult> out;
  for (const Entry& e : state_->entries) out.push_back(PrimitiveResult{e.id, e.label, stat_of(e.samples), e.in_limit});
  return out;
}

}  // namespace anonify::bench
