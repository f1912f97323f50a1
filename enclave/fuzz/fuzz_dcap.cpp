// libFuzzer harness: DCAP evidence as a host could hand it to the enclave. The fixture is the
// development PCS bundle (test/vectors/dcap-dev: a quote, TCB Info, QE Identity, the TCB Signing
// chain, the root CA CRL and the PCK CA CRL, current at its verifyAt, under the development root).
//
// Input: selector byte, then bytes. Selector % 7 picks the part the bytes replace (0 quote, 1 TCB
// Info, 2 QE Identity, 3 TCB Signing chain, 4 root CA CRL, 5 PCK CA CRL) or, for 6, which quote
// bytes to flip (pairs of position, mask; see flipped()). verify_dcap then runs with the rest of
// the fixture under the development root, at the fixture's time.
//
// Oracles:
//  - a refusal is an EvidenceError with a code (the Solidity error's name); anything else escaping
//    is a crash (fuzz_util.h);
//  - an accepted input attests exactly the fixture's identity (MRENCLAVE, MRSIGNER, ISVPRODID,
//    ISVSVN, DEBUG, REPORTDATA), TCB status and FMSPC: every one of them is under Intel's (here the
//    development PKI's) signatures, so no change of the inputs may change what verifies;
//  - the verdict is deterministic: the same input verified twice gives the same answer.
#include <fstream>
#include <iterator>

#include "anonify/attestation/dcap.h"
#include "fuzz_util.h"

using namespace anonify;
using namespace anonify::attestation;

namespace {

constexpr uint64_t kFixtureVerifyAt = 1796342400;  // test/vectors/dcap-dev/manifest.json verifyAt
constexpr size_t kMaxInput = 16 * 1024;
constexpr int kParts = 7;

Bytes read_fixture(const std::string& name) {
  const std::string path = std::string(ANONIFY_DEFAULT_VECTORS) + "/dcap-dev/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) fuzz::fail("fixture", "cannot read " + path);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct Fixture {
  DcapEvidence evidence;
  Bytes root;
  DcapPolicy policy;
  VerifiedQuote expected;

  static const Fixture& get() {
    static const Fixture f = make();
    return f;
  }

 private:
  static Fixture make() {
    Fixture f;
    f.evidence.quote = read_fixture("quote_v3_dev.bin");
    f.evidence.collateral.tcb_info = read_fixture("tcb_info.json");
    f.evidence.collateral.qe_identity = read_fixture("qe_identity.json");
    f.evidence.collateral.tcb_signing_chain_pem = read_fixture("tcb_signing_chain.pem");
    f.evidence.collateral.crls = {read_fixture("root_ca_crl.der"), read_fixture("pck_platform_crl.der")};
    f.root = read_fixture("root_ca.der");
    f.expected = verify_dcap(f.evidence, f.root, f.policy, kFixtureVerifyAt);
    if (!f.expected.revocation_checked) fuzz::fail("fixture", "the fixture's CRLs were not both checked");
    return f;
  }
};

// Flips quote bytes at the positions and with the masks the operands give (spread over the quote).
Bytes flipped(Bytes quote, ByteView operands) {
  for (size_t i = 0; i + 2 < operands.size(); i += 3) {
    const size_t position = ((static_cast<size_t>(operands[i]) << 8) | operands[i + 1]) % quote.size();
    quote[position] ^= operands[i + 2] == 0 ? 1 : operands[i + 2];
  }
  return quote;
}

DcapEvidence evidence_for(const uint8_t* data, size_t size) {
  DcapEvidence evidence = Fixture::get().evidence;
  const Bytes body(data + 1, data + size);
  switch (data[0] % kParts) {
    case 0: evidence.quote = body; break;
    case 1: evidence.collateral.tcb_info = body; break;
    case 2: evidence.collateral.qe_identity = body; break;
    case 3: evidence.collateral.tcb_signing_chain_pem = body; break;
    case 4: evidence.collateral.crls[0] = body; break;
    case 5: evidence.collateral.crls[1] = body; break;
    default: evidence.quote = flipped(evidence.quote, body); break;
  }
  return evidence;
}

// "code(args)" of a verdict, for the determinism oracle.
std::string verdict(const DcapEvidence& evidence) {
  const Fixture& f = Fixture::get();
  try {
    const VerifiedQuote q = verify_dcap(evidence, f.root, f.policy, kFixtureVerifyAt);
    return "valid " + to_hex(q.identity.report_data) + " " + q.identity.status;
  } catch (const EvidenceError& e) {
    if (e.code().empty()) fuzz::fail("refusal", std::string("an EvidenceError without a code: ") + e.what());
    std::string out = e.code() + "(";
    for (const auto& arg : e.args()) out += arg + ",";
    return out + ")";
  }
}

void require_same_identity(const VerifiedQuote& got) {
  const VerifiedQuote& want = Fixture::get().expected;
  const VerifiedIdentity& a = got.identity;
  const VerifiedIdentity& b = want.identity;
  if (a.mrenclave != b.mrenclave || a.mrsigner != b.mrsigner || a.isv_prod_id != b.isv_prod_id || a.isv_svn != b.isv_svn ||
      a.debug != b.debug || a.report_data != b.report_data || a.status != b.status || got.fmspc != want.fmspc ||
      got.pce_id != want.pce_id || got.qe_tcb_status != want.qe_tcb_status) {
    fuzz::fail("acceptance", "changed inputs verified with another identity or status: REPORTDATA " + to_hex(a.report_data) +
                                 ", MRENCLAVE " + to_hex(a.mrenclave) + ", status " + a.status);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const Fixture& f = Fixture::get();
  const DcapCollateral& c = f.evidence.collateral;
  fuzz::write_seeds_if_asked({
      {"quote", fuzz::seed({0}, f.evidence.quote)},
      {"tcb-info", fuzz::seed({1}, c.tcb_info)},
      {"qe-identity", fuzz::seed({2}, c.qe_identity)},
      {"tcb-signing-chain", fuzz::seed({3}, c.tcb_signing_chain_pem)},
      {"root-ca-crl", fuzz::seed({4}, c.crls[0])},
      {"pck-ca-crl", fuzz::seed({5}, c.crls[1])},
      // Flips in the header, the report body, the ISV signature, the QE report and the PCK chain.
      {"flip-header", Bytes{6, 0, 8, 0x01}},
      {"flip-report-data", Bytes{6, 1, 0x60, 0x80}},
      {"flip-isv-signature", Bytes{6, 1, 0xc0, 0x02}},
      {"flip-qe-report", Bytes{6, 2, 0x80, 0x10}},
      {"flip-pck-chain", Bytes{6, 9, 0x00, 0x04}},
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > kMaxInput) return 0;
  const DcapEvidence evidence = evidence_for(data, size);
  const Fixture& f = Fixture::get();
  try {
    require_same_identity(verify_dcap(evidence, f.root, f.policy, kFixtureVerifyAt));
  } catch (const EvidenceError& e) {
    if (e.code().empty()) fuzz::fail("refusal", std::string("an EvidenceError without a code: ") + e.what());
  }
  const std::string first = verdict(evidence);
  if (verdict(evidence) != first) fuzz::fail("determinism", "two verdicts for one input, the first " + first);
  return 0;
}
