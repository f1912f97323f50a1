// verify_dcap (anonify/attestation/dcap.h): the 12 steps of src/attestation/dcap/verifier.ts in
// its order, which fixes the error a quote with several faults gets.
#include <algorithm>
#include <optional>

#include "anonify/attestation/dcap.h"
#include "anonify/crypto/hash.h"
#include "anonify/error.h"
#include "attestation/dcap_collateral.h"
#include "attestation/dcap_crl.h"
#include "attestation/dcap_error.h"
#include "attestation/dcap_pem.h"
#include "attestation/dcap_quote.h"
#include "attestation/dcap_x509.h"
#include "attestation/p256.h"

namespace anonify::attestation {

namespace {

using dcap::CertificateRole;
using dcap::CollateralKind;
using dcap::decimal;
using dcap::fail;
using dcap::hex0x;

struct CheckedCrls {
  std::optional<dcap::Crl> root;
  std::optional<dcap::Crl> pck_ca;
};

void check_not_revoked(const std::optional<dcap::Crl>& crl, const dcap::Certificate& cert) {
  if (crl && crl->revoked.count(cert.serial) != 0) {
    fail("CertificateRevoked", {dcap::role_arg(cert.role), "0x" + cert.serial}, "certificate serial 0x" + cert.serial + " is revoked");
  }
}

/// Step 4: each CRL's issuer (root or PCK CA), signature and freshness; then the revocations.
CheckedCrls check_crls(const std::vector<Bytes>& crls, const dcap::PckChain& chain, const dcap::Certificate& tcb_signing,
                       uint64_t now, uint64_t grace) {
  CheckedCrls out;
  for (const Bytes& der : crls) {
    dcap::Crl crl = dcap::parse_crl(der);
    const bool from_root = equal_bytes(crl.issuer, chain.root.subject);
    if (!from_root && !equal_bytes(crl.issuer, chain.pck_ca.subject)) {
      fail("CrlIssuerUnknown", {}, "CRL issuer is neither the root CA nor the PCK CA of the chain");
    }
    const CollateralKind kind = from_root ? CollateralKind::kRootCaCrl : CollateralKind::kPckCaCrl;
    if (!dcap::crl_signed_by(crl, from_root ? chain.root : chain.pck_ca)) {
      fail("CollateralSignatureInvalid", {dcap::kind_arg(kind)}, "CRL signature does not verify under its issuer's key");
    }
    dcap::check_freshness(kind, crl.this_update, crl.next_update, now, grace);
    (from_root ? out.root : out.pck_ca) = std::move(crl);
  }
  check_not_revoked(out.root, chain.pck_ca);
  check_not_revoked(out.root, tcb_signing);
  check_not_revoked(out.pck_ca, chain.pck);
  return out;
}

void check_min_evaluation(CollateralKind kind, uint32_t minimum, uint32_t actual) {
  if (actual < minimum) {
    fail("TcbEvaluationDataNumberTooLow", {dcap::kind_arg(kind), decimal(minimum), decimal(actual)},
         "tcbEvaluationDataNumber " + decimal(actual) + " is below the policy's minimum " + decimal(minimum));
  }
}

/// Step 5.
dcap::TcbInfo check_tcb_info(ByteView body, const dcap::Certificate& signer, const dcap::PckChain& chain,
                             const DcapPolicy& policy, uint64_t now) {
  constexpr CollateralKind kind = CollateralKind::kTcbInfo;
  const dcap::SignedCollateral signed_info = dcap::split_signed_collateral(kind, body, "tcbInfo");
  dcap::check_collateral_signature(kind, signed_info, signer);
  dcap::TcbInfo info = dcap::parse_tcb_info(signed_info.body);
  dcap::check_freshness(kind, info.issue_date, info.next_update, now, policy.collateral_grace);
  check_min_evaluation(kind, policy.min_tcb_evaluation_data_number, info.tcb_evaluation_data_number);
  if (!equal_bytes(info.fmspc, chain.sgx.fmspc)) {
    fail("FmspcMismatch", {hex0x(chain.sgx.fmspc), hex0x(info.fmspc)}, "TCB Info is for another FMSPC than the PCK certificate's");
  }
  if (!equal_bytes(info.pce_id, chain.sgx.pce_id)) {
    fail("PceIdMismatch", {hex0x(chain.sgx.pce_id), hex0x(info.pce_id)}, "TCB Info is for another PCEID than the PCK certificate's");
  }
  return info;
}

/// Step 6.
dcap::QeIdentity check_qe_identity(ByteView body, const dcap::Certificate& signer, const DcapPolicy& policy, uint64_t now) {
  constexpr CollateralKind kind = CollateralKind::kQeIdentity;
  const dcap::SignedCollateral signed_identity = dcap::split_signed_collateral(kind, body, "enclaveIdentity");
  dcap::check_collateral_signature(kind, signed_identity, signer);
  dcap::QeIdentity identity = dcap::parse_qe_identity(signed_identity.body);
  dcap::check_freshness(kind, identity.issue_date, identity.next_update, now, policy.collateral_grace);
  check_min_evaluation(kind, policy.min_tcb_evaluation_data_number, identity.tcb_evaluation_data_number);
  return identity;
}

/// Step 7: the QE report signed by the PCK key, its report data bound to the attestation key.
void check_qe_report(const dcap::Quote& quote, ByteView pck_public_key) {
  if (!p256_verify(quote.qe_report.raw, quote.qe_report_signature, pck_public_key)) {
    fail("QeReportSignatureInvalid", {}, "QE report signature does not verify under the PCK certificate's key");
  }
  Bytes expected = crypto::sha256(concat({quote.attestation_key, quote.qe_auth_data}));
  expected.resize(dcap::kReportDataLength, 0);
  if (!equal_bytes(quote.qe_report.report_data, expected)) {
    fail("QeReportDataMismatch", {hex0x(expected), hex0x(quote.qe_report.report_data)},
         "QE report data is not SHA-256(attestation key || QE auth data) || 32 zero bytes");
  }
}

/// Step 8: the QE against QE Identity; its TCB level by ISVSVN.
const dcap::QeTcbLevel& check_qe(const dcap::Quote& quote, const dcap::QeIdentity& identity) {
  const dcap::EnclaveReport& qe = quote.qe_report;
  if (!equal_bytes(qe.mrsigner, identity.mrsigner)) {
    fail("QeMrsignerMismatch", {hex0x(identity.mrsigner), hex0x(qe.mrsigner)}, "QE MRSIGNER is not QE Identity's");
  }
  if (qe.isv_prod_id != identity.isv_prod_id) {
    fail("QeIsvProdIdMismatch", {decimal(identity.isv_prod_id), decimal(qe.isv_prod_id)}, "QE ISVPRODID is not QE Identity's");
  }
  const uint32_t misc_masked = qe.miscselect & identity.miscselect_mask;
  const uint32_t misc_expected = identity.miscselect & identity.miscselect_mask;
  if (misc_masked != misc_expected) {
    fail("QeMiscselectMismatch", {decimal(misc_expected), decimal(misc_masked)}, "QE MISCSELECT (masked) is not QE Identity's");
  }
  Bytes attr_masked(identity.attributes_mask.size());
  Bytes attr_expected(identity.attributes_mask.size());
  for (size_t i = 0; i < attr_masked.size(); ++i) {
    attr_masked[i] = qe.attributes[i] & identity.attributes_mask[i];
    attr_expected[i] = identity.attributes[i] & identity.attributes_mask[i];
  }
  if (attr_masked != attr_expected) {
    fail("QeAttributesMismatch", {hex0x(attr_expected), hex0x(attr_masked)}, "QE attributes (masked) are not QE Identity's");
  }
  const auto level = std::find_if(identity.levels.begin(), identity.levels.end(),
                                  [&](const dcap::QeTcbLevel& l) { return qe.isv_svn >= l.isv_svn; });
  if (level == identity.levels.end()) {
    fail("QeTcbLevelNotFound", {decimal(qe.isv_svn)}, "QE ISVSVN is below every QE Identity TCB level");
  }
  return *level;
}

/// Step 9: the attestation key on P-256, and header || ISV report signed by it.
void check_quote_signature(const dcap::Quote& quote) {
  if (!is_p256_point(quote.attestation_key)) fail("AttestationKeyInvalid", {}, "attestation key is not a point on P-256");
  if (!p256_verify(quote.signed_bytes, quote.isv_signature, quote.attestation_key)) {
    fail("QuoteSignatureInvalid", {}, "quote signature does not verify under the attestation key");
  }
}

/// Step 10: the first level whose 16 components and PCESVN the PCK certificate's all reach.
const dcap::TcbLevel& platform_level(const dcap::TcbInfo& info, const dcap::SgxExtension& sgx) {
  const auto level = std::find_if(info.levels.begin(), info.levels.end(), [&](const dcap::TcbLevel& l) {
    for (size_t i = 0; i < dcap::kCpuSvnComponents; ++i) {
      if (sgx.cpu_svn_components[i] < l.components[i]) return false;
    }
    return sgx.pce_svn >= l.pce_svn;
  });
  if (level == info.levels.end()) {
    fail("TcbLevelNotFound", {hex0x(sgx.fmspc)}, "the platform's CPUSVN/PCESVN match no TCB level of FMSPC " + hex0x(sgx.fmspc));
  }
  return *level;
}

VerifiedQuote verdict_of(const dcap::Quote& quote, const dcap::PckChain& chain, const dcap::TcbInfo& info,
                         const dcap::QeIdentity& identity, const dcap::TcbLevel& level, const dcap::QeTcbLevel& qe_level,
                         const CheckedCrls& crls, uint64_t now) {
  VerifiedQuote v;
  VerifiedIdentity& id = v.identity;
  id.kind = EvidenceKind::kDcap;
  id.mrenclave = quote.report.mrenclave;
  id.mrsigner = quote.report.mrsigner;
  id.isv_prod_id = quote.report.isv_prod_id;
  id.isv_svn = quote.report.isv_svn;
  id.debug = quote.report.debug;
  id.report_data = quote.report.report_data;
  id.status = level.status;
  id.timestamp = now;
  id.advisory_ids = level.advisory_ids;
  for (const std::string& a : qe_level.advisory_ids) {
    if (std::find(level.advisory_ids.begin(), level.advisory_ids.end(), a) == level.advisory_ids.end()) id.advisory_ids.push_back(a);
  }
  v.quote_version = quote.version;
  v.qe_tcb_status = qe_level.status;
  v.fmspc = chain.sgx.fmspc;
  v.pce_id = chain.sgx.pce_id;
  v.revocation_checked = crls.root.has_value() && crls.pck_ca.has_value();
  v.pck_serial = chain.pck.serial;
  v.pck_public_key = chain.pck.public_key;
  v.tcb_evaluation_data_number = std::min(info.tcb_evaluation_data_number, identity.tcb_evaluation_data_number);
  v.tcb_info_evaluation_data_number = info.tcb_evaluation_data_number;
  v.qe_identity_evaluation_data_number = identity.tcb_evaluation_data_number;
  v.collateral_next_update = std::min(info.next_update, identity.next_update);
  if (crls.root) v.collateral_next_update = std::min(v.collateral_next_update, crls.root->next_update);
  if (crls.pck_ca) v.collateral_next_update = std::min(v.collateral_next_update, crls.pck_ca->next_update);
  return v;
}

}  // namespace

void validate_dcap_policy(const DcapPolicy& policy) {
  for (const std::string& s : policy.allowed_tcb_statuses) {
    if (!dcap::is_tcb_status(s) || s == "Revoked") {
      throw Error(ErrorCode::kInvalidArgument, "TCB status \"" + s + "\" cannot be allowed");
    }
  }
}

VerifiedQuote verify_dcap_evidence(const DcapEvidence& evidence, ByteView root_ca_der, const DcapPolicy& policy, uint64_t now) {
  validate_dcap_policy(policy);  // a bad policy is refused before any verdict
  const dcap::PinnedRoot root = dcap::pin_root(root_ca_der);
  const dcap::Quote quote = dcap::decode_quote(evidence.quote);                                        // 1
  const dcap::PckChain chain = dcap::check_pck_chain(dcap::split_pem_chain(quote.pck_chain_pem), root, now);  // 2
  const dcap::Certificate tcb_signing =
      dcap::check_tcb_signing_chain(dcap::split_pem_chain(evidence.collateral.tcb_signing_chain_pem), root, now);  // 3
  const CheckedCrls crls = check_crls(evidence.collateral.crls, chain, tcb_signing, now, policy.collateral_grace);  // 4
  const dcap::TcbInfo info = check_tcb_info(evidence.collateral.tcb_info, tcb_signing, chain, policy, now);       // 5
  const dcap::QeIdentity identity = check_qe_identity(evidence.collateral.qe_identity, tcb_signing, policy, now);  // 6
  check_qe_report(quote, chain.pck.public_key);                                                       // 7
  const dcap::QeTcbLevel& qe_level = check_qe(quote, identity);                                         // 8
  check_quote_signature(quote);                                                                       // 9
  const dcap::TcbLevel& level = platform_level(info, chain.sgx);                                       // 10
  return verdict_of(quote, chain, info, identity, level, qe_level, crls, now);
}

void check_tcb_policy(const VerifiedQuote& quote, const DcapPolicy& policy) {
  const auto allowed = [&](const std::string& s) {
    return std::find(policy.allowed_tcb_statuses.begin(), policy.allowed_tcb_statuses.end(), s) != policy.allowed_tcb_statuses.end();
  };
  if (!allowed(quote.qe_tcb_status)) {
    fail("QeTcbStatusNotAllowed", {quote.qe_tcb_status}, "QE TCB status \"" + quote.qe_tcb_status + "\" is not allowed by the policy");
  }
  if (!allowed(quote.identity.status)) {
    fail("TcbStatusNotAllowed", {quote.identity.status}, "TCB status \"" + quote.identity.status + "\" is not allowed by the policy");
  }
}

VerifiedQuote verify_dcap(const DcapEvidence& evidence, ByteView root_ca_der, const DcapPolicy& policy, uint64_t now) {
  VerifiedQuote quote = verify_dcap_evidence(evidence, root_ca_der, policy, now);
  check_tcb_policy(quote, policy);
  return quote;
}

}  // namespace anonify::attestation
