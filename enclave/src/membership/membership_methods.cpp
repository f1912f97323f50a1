// Host protocol methods of the membership rule (PROTOCOL.md "Membership").
#include "anonify/attestation/dcap.h"
#include "anonify/enclave/chain_clock.h"
#include "anonify/enclave/methods.h"
#include "anonify/membership/evidence_cache.h"
#include "mls/member_group.h"

namespace anonify::enclave {
namespace {

using protocol::hex_param;
using protocol::Params;

constexpr size_t kIasSignatureSize = 256;

Json member_json(const membership::VerifiedMember& m, size_t cached) {
  Json out{{"kind", attestation::evidence_kind_name(m.identity.kind)},
           {"address", hex_param(m.address)},
           {"mlsSignatureKey", hex_param(m.mls_signature_key)},
           {"mrenclave", hex_param(m.identity.mrenclave)},
           {"mrsigner", hex_param(m.identity.mrsigner)},
           {"isvProdId", m.identity.isv_prod_id},
           {"isvSvn", m.identity.isv_svn},
           {"debug", m.identity.debug},
           {"status", m.identity.status},
           {"timestamp", std::to_string(m.identity.timestamp)},
           {"cached", cached}};
  if (m.dcap) {
    out["dcap"] = Json{{"qeTcbStatus", m.dcap->qe_tcb_status},
                       {"collateralNextUpdate", std::to_string(m.dcap->collateral_next_update)},
                       {"tcbEvaluationDataNumber", m.dcap->tcb_evaluation_data_number},
                       {"fmspc", hex_param(m.dcap->fmspc)},
                       {"pckSerial", "0x" + m.dcap->pck_serial}};
  }
  return out;
}

/// kind "dcap": the quote and its collateral as the PCS serves it, both CRLs required.
attestation::DcapEvidence dcap_evidence_of(const Params& params) {
  const auto present = [&](const char* name) {
    Bytes b = params.bytes(name);
    if (b.empty()) throw Error(ErrorCode::kInvalidParams, std::string("params.") + name + " is empty");
    return b;
  };
  attestation::DcapEvidence evidence;
  evidence.quote = present("quote");
  evidence.collateral.tcb_info = present("tcbInfo");
  evidence.collateral.qe_identity = present("qeIdentity");
  evidence.collateral.tcb_signing_chain_pem = present("tcbSigningChain");
  // Both CRLs, named: a host that withholds one gets invalid_params, never an unchecked revocation.
  evidence.collateral.crls.push_back(present("rootCaCrl"));
  evidence.collateral.crls.push_back(present("pckCaCrl"));
  return evidence;
}

}  // namespace

// Verifies an enclave's attestation evidence under the compiled-in trust anchor, checks that its
// REPORTDATA binds the two keys, and caches it (sealed) for the membership rule. Idempotent.
// DCAP is judged at the chain clock, or at params.blockTimestamp when that is newer (a host can
// only make the judgment stricter than the blocks the enclave applied); the verdict's time is the
// chain clock once set, so a post-dated blockTimestamp cannot make it look younger.
ANONIFY_PROTOCOL_METHOD(mls_admit_evidence)(Enclave& enclave, const Params& params) {
  require_identity(enclave);
  const std::string kind = params.string("kind");
  if (kind != "ias" && kind != "dcap") {
    throw Error(ErrorCode::kUnsupported, "params.kind: only \"ias\" and \"dcap\" evidence are verified in the enclave");
  }
  membership::EvidenceCache& cache = enclave.component<membership::EvidenceCache>();
  if (kind == "dcap") {
    const attestation::DcapEvidence evidence = dcap_evidence_of(params);
    const Bytes hpke = params.bytes("hpkePublicKey", membership::kKeySize);
    const Bytes mls_key = params.bytes("mlsSignatureKey", membership::kKeySize);
    const uint64_t clock = enclave.component<ChainClock>().newest();
    const uint64_t block_time = params.has("blockTimestamp") ? params.u64("blockTimestamp") : 0;
    const uint64_t now = block_time > clock ? block_time : clock;
    if (now == 0) {
      throw Error(ErrorCode::kInvalidState,
                  "no block time: DCAP collateral is judged at the chain clock; pass params.blockTimestamp "
                  "before the enclave has applied a block");
    }
    // With the grace of the group the enclave holds or follows (0 without one): the chain accepted
    // the join with its verifier's grace, which the group's policy carries.
    const membership::VerifiedMember& m =
        cache.admit_dcap(evidence, hpke, mls_key, now, clock, mls_collateral_grace(enclave));
    return member_json(m, cache.size());  // after admit_dcap: the count includes this entry
  }
  attestation::IasEvidence evidence;
  evidence.report = params.bytes("report");
  evidence.signature = params.bytes("signature", kIasSignatureSize);
  evidence.signing_certificate = params.bytes("signingCertificate");
  const Bytes hpke = params.bytes("hpkePublicKey", membership::kKeySize);
  const Bytes mls_key = params.bytes("mlsSignatureKey", membership::kKeySize);
  const membership::VerifiedMember& m = cache.admit(evidence, hpke, mls_key);
  return member_json(m, cache.size());
}

}  // namespace anonify::enclave
