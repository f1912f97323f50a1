#include "attestation/dcap_quote.h"

#include <string>

#include "attestation/dcap_error.h"

namespace anonify::attestation::dcap {

namespace {

constexpr uint16_t kQuoteVersion3 = 3;
constexpr uint16_t kQuoteVersion4 = 4;
constexpr uint32_t kTeeTypeSgx = 0x00;
constexpr uint16_t kAttestationKeyTypeEcdsaP256 = 2;
constexpr uint16_t kCertTypePckChain = 5;
constexpr uint16_t kCertTypeQeReport = 6;
constexpr uint8_t kIntelQeVendorId[] = {0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
                                        0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};
constexpr size_t kEcdsaSignatureLength = 64;
constexpr size_t kAttestationKeyLength = 64;

// Header offsets.
constexpr size_t kVersionOffset = 0;
constexpr size_t kKeyTypeOffset = 2;
constexpr size_t kTeeTypeOffset = 4;
constexpr size_t kQeVendorIdOffset = 12;
constexpr size_t kQeVendorIdLength = 16;

// sgx_report_body_t offsets.
constexpr size_t kMiscselectOffset = 16;
constexpr size_t kAttributesOffset = 48;
constexpr size_t kAttributesLength = 16;
constexpr size_t kMrenclaveOffset = 64;
constexpr size_t kMrsignerOffset = 128;
constexpr size_t kMeasurementLength = 32;
constexpr size_t kIsvProdIdOffset = 256;
constexpr size_t kIsvSvnOffset = 258;
constexpr size_t kReportDataOffset = 320;
constexpr uint8_t kSgxFlagsDebug = 0x02;

uint16_t read_u16(ByteView b, size_t offset) { return static_cast<uint16_t>(b[offset] | (b[offset + 1] << 8)); }

uint32_t read_u32(ByteView b, size_t offset) {
  return static_cast<uint32_t>(b[offset]) | (static_cast<uint32_t>(b[offset + 1]) << 8) |
         (static_cast<uint32_t>(b[offset + 2]) << 16) | (static_cast<uint32_t>(b[offset + 3]) << 24);
}

[[noreturn]] void truncated(size_t offset) {
  fail("QuoteTruncated", {decimal(offset)}, "quote ends before the field at byte " + decimal(offset));
}

/// A bounds-checked cursor over [offset, end): every read past `end` is QuoteTruncated(offset).
class Cursor {
 public:
  Cursor(ByteView bytes, size_t offset, size_t end) : bytes_(bytes), offset_(offset), end_(end) {}

  size_t offset() const noexcept { return offset_; }
  size_t end() const noexcept { return end_; }

  ByteView take(size_t length) {
    const size_t stop = limit(length);
    const ByteView out = bytes_.subview(offset_, length);
    offset_ = stop;
    return out;
  }
  uint16_t u16() {
    const uint16_t v = read_u16(bytes_, offset_at(2));
    offset_ += 2;
    return v;
  }
  uint32_t u32() {
    const uint32_t v = read_u32(bytes_, offset_at(4));
    offset_ += 4;
    return v;
  }
  /// The end of a field of `length` bytes starting here, checked.
  size_t limit(size_t length) const {
    if (length > end_ - offset_) truncated(offset_);
    return offset_ + length;
  }
  /// A cursor over the next `length` bytes, which this one skips.
  Cursor sub(size_t length) {
    const size_t stop = limit(length);
    Cursor inner(bytes_, offset_, stop);
    offset_ = stop;
    return inner;
  }
  void require_consumed() const {
    if (offset_ != end_) fail("QuoteTrailingBytes", {decimal(offset_)}, "quote has bytes after its signature data");
  }

 private:
  size_t offset_at(size_t length) const {
    limit(length);
    return offset_;
  }

  ByteView bytes_;
  size_t offset_;
  size_t end_;
};

/// Certification data (type u16, size u32, data) of type `type`: a cursor over its data.
Cursor certification_data(Cursor& c, uint16_t type) {
  const uint16_t cert_type = c.u16();
  const uint32_t size = c.u32();
  if (cert_type != type) {
    fail("CertificationDataTypeUnsupported", {decimal(cert_type)},
         "certification data type " + decimal(cert_type) + " is not the expected " + decimal(type));
  }
  return c.sub(size);
}

EnclaveReport decode_report(ByteView raw) {
  EnclaveReport r;
  r.raw = raw.to_bytes();
  r.miscselect = read_u32(raw, kMiscselectOffset);
  r.attributes = raw.subview(kAttributesOffset, kAttributesLength).to_bytes();
  r.debug = (raw[kAttributesOffset] & kSgxFlagsDebug) != 0;
  r.mrenclave = raw.subview(kMrenclaveOffset, kMeasurementLength).to_bytes();
  r.mrsigner = raw.subview(kMrsignerOffset, kMeasurementLength).to_bytes();
  r.isv_prod_id = read_u16(raw, kIsvProdIdOffset);
  r.isv_svn = read_u16(raw, kIsvSvnOffset);
  r.report_data = raw.subview(kReportDataOffset, kReportDataLength).to_bytes();
  return r;
}

void check_header(ByteView quote) {
  if (quote.size() < kQuoteHeaderLength) truncated(quote.size());
  const uint32_t tee_type = read_u32(quote, kTeeTypeOffset);
  if (tee_type != kTeeTypeSgx) {
    fail("QuoteTeeTypeUnsupported", {decimal(tee_type)}, "quote TEE type " + decimal(tee_type) + " is not SGX (0)");
  }
  const uint16_t version = read_u16(quote, kVersionOffset);
  if (version != kQuoteVersion3 && version != kQuoteVersion4) {
    fail("QuoteVersionUnsupported", {decimal(version)}, "quote version " + decimal(version) + " is not 3 or 4");
  }
  const uint16_t key_type = read_u16(quote, kKeyTypeOffset);
  if (key_type != kAttestationKeyTypeEcdsaP256) {
    fail("AttestationKeyTypeUnsupported", {decimal(key_type)}, "attestation key type " + decimal(key_type) + " is not ECDSA P-256 (2)");
  }
  const ByteView vendor = quote.subview(kQeVendorIdOffset, kQeVendorIdLength);
  if (!std::equal(vendor.begin(), vendor.end(), kIntelQeVendorId)) {
    fail("QeVendorIdUnsupported", {hex0x(vendor)}, "QE vendor id " + hex0x(vendor) + " is not Intel's");
  }
}

}  // namespace

Quote decode_quote(ByteView quote) {
  check_header(quote);
  Quote q;
  q.version = read_u16(quote, kVersionOffset);
  Cursor c(quote, kQuoteHeaderLength, quote.size());
  const ByteView report = c.take(kEnclaveReportLength);
  const uint32_t signature_data_length = c.u32();
  Cursor sig = c.sub(signature_data_length);
  if (sig.end() != quote.size()) {
    fail("QuoteTrailingBytes", {decimal(sig.end())}, "quote has bytes after its signature data");
  }
  q.isv_signature = sig.take(kEcdsaSignatureLength).to_bytes();
  q.attestation_key = sig.take(kAttestationKeyLength).to_bytes();
  // v3: the QE report and what follows come directly; v4: inside certification data of type 6.
  Cursor qe = q.version == kQuoteVersion4 ? certification_data(sig, kCertTypeQeReport) : sig;
  const ByteView qe_report = qe.take(kEnclaveReportLength);
  q.qe_report_signature = qe.take(kEcdsaSignatureLength).to_bytes();
  const uint16_t auth_length = qe.u16();
  q.qe_auth_data = qe.take(auth_length).to_bytes();
  Cursor chain = certification_data(qe, kCertTypePckChain);
  q.pck_chain_pem = chain.take(chain.end() - chain.offset()).to_bytes();
  qe.require_consumed();
  // v3 reads the QE part through `sig` itself (a copy here): its end is checked as qe's was.
  if (q.version == kQuoteVersion4) sig.require_consumed();
  q.signed_bytes = quote.subview(0, kQuoteSignedLength).to_bytes();
  q.report = decode_report(report);
  q.qe_report = decode_report(qe_report);
  return q;
}

}  // namespace anonify::attestation::dcap
