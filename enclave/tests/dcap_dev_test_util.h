// DCAP evidence from the development PCS (src/attestation/simulation/dcap/, fixtures under
// test/vectors/dcap-dev/) for the enclave tests: the fixture quote with its ISV report body changed
// (REPORTDATA binding a test member's keys, MRENCLAVE, DEBUG, …) and re-signed with the committed,
// public development QE attestation key, exactly as the development QE would have signed it. The
// QE report (which binds the attestation key) and the PCK chain stay the fixture's. Signing
// failures throw.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "anonify/bytes.h"
#include "attestation/p256.h"
#include "enclave_test_util.h"
#include "evidence_test_util.h"

namespace anonify::testing::dev_dcap {

using Json = nlohmann::json;

// The ISV report body in a quote (v3 and v4 SGX quotes alike): header (48) then the body (384).
constexpr size_t kHeaderSize = 48;
constexpr size_t kReportBodySize = 384;
constexpr size_t kSignedSize = kHeaderSize + kReportBodySize;
constexpr size_t kIsvSignatureOffset = 436;  // after the u32 signature data length
constexpr size_t kAttributesOffset = kHeaderSize + 48;
constexpr size_t kMrenclaveOffset = kHeaderSize + 64;
constexpr size_t kMrsignerOffset = kHeaderSize + 128;
constexpr size_t kIsvProdIdOffset = kHeaderSize + 256;
constexpr size_t kIsvSvnOffset = kHeaderSize + 258;
constexpr size_t kReportDataOffset = kHeaderSize + 320;
constexpr uint8_t kDebugFlag = 0x02;

// The bundle (test/vectors/dcap-dev/README.md, manifest.json).
constexpr const char* kQuote = "quote_v3_dev.bin";
constexpr const char* kTcbInfo = "tcb_info.json";
constexpr const char* kTcbInfoOutOfDate = "tcb_info_out_of_date.json";
constexpr const char* kQeIdentity = "qe_identity.json";
constexpr const char* kTcbSigningChain = "tcb_signing_chain.pem";
constexpr const char* kRootCrl = "root_ca_crl.der";
constexpr const char* kPckCrl = "pck_platform_crl.der";
constexpr const char* kPckCrlRevokingPck = "pck_platform_crl_revoking_pck.der";
constexpr const char* kPckSerial = "0xd2f85193661fcd6a869e7392700f588b6a64170a";
// The development PKI (src/attestation/simulation/dcap/).
constexpr const char* kRootCaDer = "simulation_dcap_root_ca.der";
constexpr const char* kAttestationKey = "src/attestation/simulation/dcap/simulation_dcap_qe_attestation.key.pem";
/// manifest.json verifyAt (2026-12-04T00:00:00Z): the collateral is current.
constexpr uint64_t kRegistrationTime = 1796342400;
/// The collateral's nextUpdate (2049-12-01T00:00:00Z), the same for every item.
constexpr uint64_t kCollateralNextUpdate = 2521929600;
constexpr const char* kPlatformTcbStatus = "UpToDate";
constexpr const char* kQeTcbStatus = "UpToDate";

inline std::string fixture_path(const std::string& name) { return vector_path("dcap-dev/" + name); }
inline Bytes fixture(const std::string& name) { return dev_ias::file_bytes(fixture_path(name)); }
inline Bytes dev_pki(const std::string& name) {
  return dev_ias::file_bytes(dev_ias::repo_path("src/attestation/simulation/dcap/" + name));
}

/// Raw r || s (64 bytes) of ECDSA P-256 SHA-256 over `message` with the PEM key in `pem`.
inline Bytes p256_sign(ByteView message, const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr, EVP_PKEY_free);
  if (!key) throw std::runtime_error("dev_dcap: cannot read the attestation key");
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  size_t size = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &size, message.data(), message.size()) != 1) {
    throw std::runtime_error("dev_dcap: ECDSA signing setup failed");
  }
  Bytes der(size);
  if (EVP_DigestSign(ctx.get(), der.data(), &size, message.data(), message.size()) != 1) {
    throw std::runtime_error("dev_dcap: ECDSA signing failed");
  }
  der.resize(size);
  std::optional<Bytes> raw = attestation::p256_der_signature_to_raw(der);
  if (!raw) throw std::runtime_error("dev_dcap: ECDSA signature is not DER r, s");
  return *raw;
}

/// What a test may change in the ISV report body; unset fields keep the fixture's.
struct QuoteFields {
  std::optional<Bytes> mrenclave;
  std::optional<Bytes> mrsigner;
  std::optional<uint16_t> isv_prod_id;
  std::optional<uint16_t> isv_svn;
  bool debug = false;
  Bytes report_data = Bytes(64, 0);
};

inline void put_u16(Bytes& q, size_t offset, uint16_t v) {
  q.at(offset) = static_cast<uint8_t>(v);
  q.at(offset + 1) = static_cast<uint8_t>(v >> 8);
}

/// The fixture quote with `fields` applied, its ISV report re-signed by the development QE.
inline Bytes quote(const QuoteFields& fields) {
  Bytes q = fixture(kQuote);
  if (q.size() < kIsvSignatureOffset + 64) throw std::runtime_error("dev_dcap: fixture quote too short");
  const auto put = [&](size_t offset, const Bytes& value) { std::copy(value.begin(), value.end(), q.begin() + offset); };
  if (fields.mrenclave) put(kMrenclaveOffset, *fields.mrenclave);
  if (fields.mrsigner) put(kMrsignerOffset, *fields.mrsigner);
  if (fields.isv_prod_id) put_u16(q, kIsvProdIdOffset, *fields.isv_prod_id);
  if (fields.isv_svn) put_u16(q, kIsvSvnOffset, *fields.isv_svn);
  if (fields.debug) {
    q.at(kAttributesOffset) |= kDebugFlag;
  } else {
    q.at(kAttributesOffset) &= static_cast<uint8_t>(~kDebugFlag);
  }
  if (fields.report_data.size() != 64) throw std::runtime_error("dev_dcap: REPORTDATA must be 64 bytes");
  put(kReportDataOffset, fields.report_data);
  const Bytes signature = p256_sign(ByteView(q.data(), kSignedSize),
                                    dev_ias::file_text(dev_ias::repo_path(kAttestationKey)));
  put(kIsvSignatureOffset, signature);
  return q;
}

inline std::string hex(ByteView b) { return "0x" + to_hex(b); }

/// mls_admit_evidence params (kind dcap) with the fixture collateral.
inline Json admit_params(ByteView quote_bytes, ByteView hpke_public_key, ByteView mls_signature_key, uint64_t block_time) {
  return Json{{"kind", "dcap"},
              {"quote", hex(quote_bytes)},
              {"tcbInfo", hex(fixture(kTcbInfo))},
              {"qeIdentity", hex(fixture(kQeIdentity))},
              {"tcbSigningChain", hex(fixture(kTcbSigningChain))},
              {"rootCaCrl", hex(fixture(kRootCrl))},
              {"pckCaCrl", hex(fixture(kPckCrl))},
              {"hpkePublicKey", hex(hpke_public_key)},
              {"mlsSignatureKey", hex(mls_signature_key)},
              {"blockTimestamp", std::to_string(block_time)}};
}

}  // namespace anonify::testing::dev_dcap
