#include "anonify/attestation/evidence.h"

#include "attestation/trust_anchor_der.h"

namespace anonify::attestation {

const TrustAnchors& trust_anchors() {
  static const TrustAnchors kAnchors = [] {
    TrustAnchors anchors;
    anchors.ias_report_signing_ca.assign(kIasReportSigningCaDer, kIasReportSigningCaDer + kIasReportSigningCaDerSize);
    anchors.dcap_root_ca.assign(kDcapRootCaDer, kDcapRootCaDer + kDcapRootCaDerSize);
    anchors.simulation = kTrustAnchorsSimulation;
    return anchors;
  }();
  return kAnchors;
}

}  // namespace anonify::attestation
