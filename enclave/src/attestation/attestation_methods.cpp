// Protocol method attestation_verify (PROTOCOL.md): the enclave's own verdict on attestation
// evidence, stateless. It needs no identity and changes nothing; a refusal is a verdict
// ({"valid": false, "error": {...}}), malformed params are invalid_params.
#include <string>
#include <string_view>
#include <vector>

#include "anonify/attestation/dcap.h"
#include "anonify/attestation/evidence.h"
#include "anonify/enclave/methods.h"

namespace anonify::enclave {

namespace {

using attestation::EvidenceError;
using attestation::MeasurementPolicy;
using protocol::hex_param;

constexpr size_t kMeasurementBytes = 32;
constexpr uint64_t kU16Max = 0xffff;
constexpr uint64_t kU32Max = 0xffffffff;

[[noreturn]] void invalid(const std::string& message) { throw Error(ErrorCode::kInvalidParams, message); }

/// Report text (a status, an advisory id) is arbitrary bytes; JSON needs UTF-8. Decodes as the
/// WHATWG UTF-8 decoder does (each maximal invalid subpart becomes U+FFFD), which is how the
/// TypeScript verifier and the differential test read the same bytes (Buffer.toString("utf8")).
std::string utf8_with_replacement(std::string_view bytes) {
  static constexpr char kReplacement[] = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(bytes.size());
  size_t needed = 0;
  size_t seen = 0;
  uint8_t lower = 0x80;
  uint8_t upper = 0xBF;
  size_t start = 0;
  for (size_t i = 0; i < bytes.size();) {
    const uint8_t b = static_cast<uint8_t>(bytes[i]);
    if (needed == 0) {
      start = i;
      if (b <= 0x7F) {
        out.push_back(static_cast<char>(b));
      } else if (b >= 0xC2 && b <= 0xDF) {
        needed = 1;
      } else if (b >= 0xE0 && b <= 0xEF) {
        if (b == 0xE0) lower = 0xA0;
        if (b == 0xED) upper = 0x9F;
        needed = 2;
      } else if (b >= 0xF0 && b <= 0xF4) {
        if (b == 0xF0) lower = 0x90;
        if (b == 0xF4) upper = 0x8F;
        needed = 3;
      } else {
        out += kReplacement;
      }
      ++i;
      continue;
    }
    if (b < lower || b > upper) {
      // The sequence so far is a maximal invalid subpart; the byte is looked at again.
      needed = seen = 0;
      lower = 0x80;
      upper = 0xBF;
      out += kReplacement;
      continue;
    }
    lower = 0x80;
    upper = 0xBF;
    ++seen;
    ++i;
    if (seen == needed) {
      out.append(bytes.substr(start, i - start));
      needed = seen = 0;
    }
  }
  if (needed != 0) out += kReplacement;
  return out;
}

Bytes bytes32(const Json& value, const std::string& what) {
  if (!value.is_string()) invalid(what + " must be 0x-prefixed hex of 32 bytes");
  const std::string& s = value.get_ref<const std::string&>();
  if (s.size() != 2 + 2 * kMeasurementBytes || s[0] != '0' || s[1] != 'x') invalid(what + " must be 0x-prefixed hex of 32 bytes");
  try {
    return from_hex(s);
  } catch (const Error&) {
    invalid(what + " must be 0x-prefixed hex of 32 bytes");
  }
}

uint16_t u16(const protocol::Params& params, const char* name, const std::string& what) {
  const uint64_t v = params.u64(name);
  if (v > kU16Max) invalid(what + " must be a uint16");
  return static_cast<uint16_t>(v);
}

/// The enclave part of a policy, shared by IAS and DCAP: DEBUG, MRENCLAVE allowlist, signer.
void enclave_policy_of(const protocol::Params& p, MeasurementPolicy& policy) {
  if (p.has("allowDebug")) policy.allow_debug = p.boolean("allowDebug");
  if (p.has("allowedMrenclaves")) {
    const Json& list = p.raw("allowedMrenclaves");
    if (!list.is_array()) invalid("params.policy.allowedMrenclaves must be an array of 32-byte hex strings");
    policy.allowed_mrenclaves.emplace();
    for (const Json& m : list) policy.allowed_mrenclaves->push_back(bytes32(m, "params.policy.allowedMrenclaves[]"));
  }
  if (p.has("signer")) {
    const protocol::Params s = p.object("signer");
    MeasurementPolicy::Signer signer;
    signer.mrsigner = bytes32(s.raw("mrsigner"), "params.policy.signer.mrsigner");
    signer.isv_prod_id = u16(s, "isvProdId", "params.policy.signer.isvProdId");
    signer.min_isv_svn = u16(s, "minIsvSvn", "params.policy.signer.minIsvSvn");
    policy.signer = std::move(signer);
  }
}

MeasurementPolicy policy_of(const protocol::Params& p) {
  MeasurementPolicy policy;
  if (p.has("allowedStatuses")) {
    const Json& statuses = p.raw("allowedStatuses");
    if (!statuses.is_array()) invalid("params.policy.allowedStatuses must be an array of strings");
    policy.allowed_statuses.clear();
    for (const Json& s : statuses) {
      if (!s.is_string()) invalid("params.policy.allowedStatuses must be an array of strings");
      policy.allowed_statuses.push_back(s.get<std::string>());
    }
  }
  enclave_policy_of(p, policy);
  if (p.has("maxReportAge")) policy.max_age_seconds = p.u64("maxReportAge");
  return policy;
}

Json identity_json(const attestation::VerifiedIdentity& identity) {
  Json advisories = Json::array();
  for (const std::string& a : identity.advisory_ids) advisories.push_back(utf8_with_replacement(a));
  return Json{{"kind", attestation::evidence_kind_name(identity.kind)},
              {"mrenclave", hex_param(identity.mrenclave)},
              {"mrsigner", hex_param(identity.mrsigner)},
              {"isvProdId", identity.isv_prod_id},
              {"isvSvn", identity.isv_svn},
              {"debug", identity.debug},
              {"reportData", hex_param(identity.report_data)},
              {"status", utf8_with_replacement(identity.status)},
              {"timestamp", identity.timestamp},
              {"advisoryIds", advisories}};
}

Json refusal_json(const EvidenceError& e) {
  Json args = Json::array();
  for (const std::string& a : e.args()) args.push_back(utf8_with_replacement(a));
  return Json{{"valid", false}, {"error", Json{{"code", e.code()}, {"args", args}, {"message", utf8_with_replacement(e.what())}}}};
}

/// A DCAP policy: the TCB part (allowedTcbStatuses, collateralGrace, minTcbEvaluationDataNumber)
/// and the enclave part; IAS's allowedStatuses and maxReportAge do not apply.
attestation::DcapPolicy dcap_policy_of(const protocol::Params& p, MeasurementPolicy& enclave) {
  if (p.has("allowedStatuses") || p.has("maxReportAge")) {
    invalid("params.policy.allowedStatuses and maxReportAge are IAS policy fields; DCAP takes allowedTcbStatuses");
  }
  attestation::DcapPolicy policy;
  if (p.has("allowedTcbStatuses")) {
    const Json& statuses = p.raw("allowedTcbStatuses");
    if (!statuses.is_array()) invalid("params.policy.allowedTcbStatuses must be an array of TCB statuses");
    policy.allowed_tcb_statuses.clear();
    for (const Json& s : statuses) {
      if (!s.is_string()) invalid("params.policy.allowedTcbStatuses must be an array of TCB statuses");
      policy.allowed_tcb_statuses.push_back(s.get<std::string>());
    }
  }
  try {
    attestation::validate_dcap_policy(policy);
  } catch (const Error& e) {
    invalid(std::string("params.policy.allowedTcbStatuses: ") + e.what());
  }
  if (p.has("collateralGrace")) policy.collateral_grace = p.u64("collateralGrace");
  if (p.has("minTcbEvaluationDataNumber")) {
    const uint64_t v = p.u64("minTcbEvaluationDataNumber");
    if (v > kU32Max) invalid("params.policy.minTcbEvaluationDataNumber must be a uint32");
    policy.min_tcb_evaluation_data_number = static_cast<uint32_t>(v);
  }
  enclave_policy_of(p, enclave);
  return policy;
}

Json dcap_json(const attestation::VerifiedQuote& q) {
  return Json{{"quoteVersion", q.quote_version},
              {"qeTcbStatus", q.qe_tcb_status},
              {"fmspc", hex_param(q.fmspc)},
              {"pceId", hex_param(q.pce_id)},
              {"revocationChecked", q.revocation_checked},
              {"pckSerial", "0x" + q.pck_serial},
              {"pckPublicKey", hex_param(q.pck_public_key)},
              {"tcbEvaluationDataNumber", q.tcb_evaluation_data_number},
              {"collateralNextUpdate", q.collateral_next_update}};
}

/// kind "dcap": steps 1-10 without `policy`, 1-12 with it (PROTOCOL.md).
Json verify_dcap_params(const protocol::Params& params) {
  attestation::DcapEvidence evidence;
  evidence.quote = params.bytes("quote");
  evidence.collateral.tcb_info = params.bytes("tcbInfo");
  evidence.collateral.qe_identity = params.bytes("qeIdentity");
  evidence.collateral.tcb_signing_chain_pem = params.bytes("tcbSigningChain");
  if (params.has("crls")) {
    const Json& crls = params.raw("crls");
    if (!crls.is_array()) invalid("params.crls must be an array of hex DER CRLs");
    for (const Json& c : crls) {
      if (!c.is_string()) invalid("params.crls must be an array of hex DER CRLs");
      const std::string& h = c.get_ref<const std::string&>();
      if (h.size() < 2 || h[0] != '0' || h[1] != 'x') invalid("params.crls must be an array of 0x-prefixed hex DER CRLs");
      try {
        evidence.collateral.crls.push_back(from_hex(h));
      } catch (const Error&) {
        invalid("params.crls must be an array of hex DER CRLs");
      }
    }
  }
  const uint64_t now = params.u64("now");
  MeasurementPolicy enclave;
  attestation::DcapPolicy policy;
  const bool with_policy = params.has("policy");
  if (with_policy) {
    const protocol::Params p = params.object("policy");
    policy = dcap_policy_of(p, enclave);
  }
  // As caCertificate for IAS, rootCertificate serves this stateless verdict only.
  const std::optional<Bytes> root_override = params.optional_bytes("rootCertificate");
  const Bytes& compiled = attestation::trust_anchors().dcap_root_ca;
  if (!root_override && compiled.empty()) {
    throw Error(ErrorCode::kUnsupported, "this build has no DCAP root: pass params.rootCertificate");
  }
  const ByteView root = root_override ? ByteView(*root_override) : ByteView(compiled);
  try {
    const attestation::VerifiedQuote quote = with_policy ? attestation::verify_dcap(evidence, root, policy, now)
                                                         : attestation::verify_dcap_evidence(evidence, root, policy, now);
    if (with_policy) attestation::check_enclave_policy(quote.identity, enclave);
    return Json{{"valid", true}, {"identity", identity_json(quote.identity)}, {"dcap", dcap_json(quote)}};
  } catch (const EvidenceError& e) {
    return refusal_json(e);
  }
}

}  // namespace

ANONIFY_PROTOCOL_METHOD(attestation_verify)(Enclave&, const protocol::Params& params) {
  const std::string kind = params.string("kind");
  if (kind == "dcap") return verify_dcap_params(params);
  if (kind != "ias") invalid("params.kind must be \"ias\" or \"dcap\"");
  attestation::IasEvidence evidence{params.bytes("report"), params.bytes("signature"), params.bytes("signingCertificate")};
  // The override serves this stateless verdict only (e.g. Intel's CA in a simulation build for
  // the differential test); nothing that admits a member reads it.
  const std::optional<Bytes> ca_override = params.optional_bytes("caCertificate");
  std::optional<MeasurementPolicy> policy;
  if (params.has("policy")) policy = policy_of(params.object("policy"));
  std::optional<uint64_t> now;
  if (params.has("now")) now = params.u64("now");
  if (policy && policy->max_age_seconds != 0 && !now) invalid("params.now is required when params.policy.maxReportAge is set");

  const ByteView ca = ca_override ? ByteView(*ca_override) : ByteView(attestation::trust_anchors().ias_report_signing_ca);
  try {
    const attestation::VerifiedIdentity identity = attestation::verify_ias(evidence, ca);
    if (policy) attestation::check_policy(identity, *policy, now.value_or(0));
    return Json{{"valid", true}, {"identity", identity_json(identity)}};
  } catch (const EvidenceError& e) {
    return refusal_json(e);
  }
}

}  // namespace anonify::enclave
