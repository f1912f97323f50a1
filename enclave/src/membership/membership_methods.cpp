// Host protocol methods of the membership rule (PROTOCOL.md "Membership").
#include "anonify/enclave/methods.h"
#include "anonify/membership/evidence_cache.h"

namespace anonify::enclave {
namespace {

using protocol::hex_param;
using protocol::Params;

constexpr size_t kIasSignatureSize = 256;

}  // namespace

// Verifies an enclave's attestation evidence under the compiled-in trust anchor, checks that its
// REPORTDATA binds the two keys, and caches it (sealed) for the membership rule. Idempotent.
ANONIFY_PROTOCOL_METHOD(mls_admit_evidence)(Enclave& enclave, const Params& params) {
  require_identity(enclave);
  const std::string kind = params.string("kind");
  if (kind != "ias") throw Error(ErrorCode::kUnsupported, "params.kind: only \"ias\" evidence is verified in the enclave");
  attestation::IasEvidence evidence;
  evidence.report = params.bytes("report");
  evidence.signature = params.bytes("signature", kIasSignatureSize);
  evidence.signing_certificate = params.bytes("signingCertificate");
  const Bytes hpke = params.bytes("hpkePublicKey", membership::kKeySize);
  const Bytes mls_key = params.bytes("mlsSignatureKey", membership::kKeySize);
  membership::EvidenceCache& cache = enclave.component<membership::EvidenceCache>();
  const membership::VerifiedMember& m = cache.admit(evidence, hpke, mls_key);
  return Json{{"address", hex_param(m.address)},
              {"mlsSignatureKey", hex_param(m.mls_signature_key)},
              {"mrenclave", hex_param(m.identity.mrenclave)},
              {"mrsigner", hex_param(m.identity.mrsigner)},
              {"isvProdId", m.identity.isv_prod_id},
              {"isvSvn", m.identity.isv_svn},
              {"debug", m.identity.debug},
              {"status", m.identity.status},
              {"timestamp", std::to_string(m.identity.timestamp)},
              {"cached", cache.size()}};
}

}  // namespace anonify::enclave
