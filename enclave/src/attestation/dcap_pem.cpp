#include "attestation/dcap_pem.h"

#include <string_view>

#include "attestation/dcap_error.h"

namespace anonify::attestation::dcap {

namespace {

constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
constexpr int kNotBase64 = -1;

bool is_space(uint8_t c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

int base64_value(uint8_t c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return kNotBase64;
}

/// The characters a block's body may hold (the regex class of x509.ts).
bool is_body_char(uint8_t c) { return base64_value(c) != kNotBase64 || c == '=' || c == '\r' || c == '\n'; }

[[noreturn]] void bad_block(size_t index) {
  fail("PckChainEncodingInvalid", {decimal(index)}, "PEM block " + decimal(index) + " is not a base64 CERTIFICATE block");
}

/// Strict base64 (groups of 4, padding only at the end as "xx==" or "xxx="); the unused low bits
/// of a padded group are ignored, as Node's decoder ignores them.
bool decode_base64(const Bytes& b64, Bytes& out) {
  if (b64.empty() || b64.size() % 4 != 0) return false;
  const size_t groups = b64.size() / 4;
  for (size_t g = 0; g < groups; ++g) {
    const uint8_t* q = &b64[4 * g];
    const bool last = g + 1 == groups;
    const size_t pad = last ? (q[3] == '=' ? (q[2] == '=' ? 2 : 1) : 0) : 0;
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) {
      const int d = i < 4 - pad ? base64_value(q[i]) : 0;
      if (d == kNotBase64) return false;
      v = (v << 6) | static_cast<uint32_t>(d);
    }
    out.push_back(static_cast<uint8_t>(v >> 16));
    if (pad < 2) out.push_back(static_cast<uint8_t>(v >> 8));
    if (pad < 1) out.push_back(static_cast<uint8_t>(v));
  }
  return true;
}

}  // namespace

std::vector<Bytes> split_pem_chain(ByteView pem) {
  size_t end = pem.size();
  if (end > 0 && pem[end - 1] == 0) --end;
  const ByteView text = pem.subview(0, end);
  std::vector<Bytes> out;
  size_t p = 0;
  while (p < end && is_space(text[p])) ++p;
  while (p < end) {
    if (!has_text_at(text, p, kBegin)) bad_block(out.size());
    size_t q = p + kBegin.size();
    Bytes b64;
    while (q < end && is_body_char(text[q])) {
      if (text[q] != '\r' && text[q] != '\n') b64.push_back(text[q]);
      ++q;
    }
    if (!has_text_at(text, q, kEnd)) bad_block(out.size());
    Bytes der;
    if (!decode_base64(b64, der)) bad_block(out.size());
    out.push_back(std::move(der));
    p = q + kEnd.size();
    while (p < end && is_space(text[p])) ++p;
  }
  return out;
}

}  // namespace anonify::attestation::dcap
