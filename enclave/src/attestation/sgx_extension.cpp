#include "attestation/sgx_extension.h"

#include <cstdio>
#include <map>
#include <string>

#include "attestation/dcap_der.h"
#include "attestation/dcap_error.h"

namespace anonify::attestation::dcap {

namespace {

constexpr uint8_t kArcTcb = 2;
constexpr uint8_t kArcPceId = 3;
constexpr uint8_t kArcFmspc = 4;
constexpr uint8_t kArcPceSvn = 17;
constexpr uint8_t kArcCpuSvn = 18;
constexpr size_t kFmspcLength = 6;
constexpr size_t kPceIdLength = 2;
constexpr size_t kCpuSvnLength = 16;
constexpr uint8_t kMultiByteArc = 0x80;

[[noreturn]] void missing(const std::string& field) {
  fail("SgxExtensionFieldMissing", {field}, "PCK certificate SGX extension lacks " + field);
}

/// Each child of `parent`: SEQUENCE { OID prefix.arc, value }; arc -> value, each arc once.
std::map<uint8_t, der::Tlv> entries(const DerReader& r, const der::Tlv& parent, ByteView prefix) {
  std::map<uint8_t, der::Tlv> out;
  for (const der::Tlv& e : r.children(parent)) {
    if (e.tag != der::kTagSequence) r.fail(e.offset);
    const std::vector<der::Tlv> parts = r.children(e);
    if (parts.size() != 2 || parts[0].tag != der::kTagObjectIdentifier) r.fail(e.offset);
    const ByteView oid = r.content(parts[0]);
    if (oid.size() != prefix.size() + 1 || !equal_bytes(oid.subview(0, prefix.size()), prefix) ||
        oid[prefix.size()] >= kMultiByteArc) {
      r.fail(parts[0].offset);
    }
    if (!out.emplace(oid[prefix.size()], parts[1]).second) r.fail(e.offset);
  }
  return out;
}

const der::Tlv* find(const std::map<uint8_t, der::Tlv>& m, uint8_t arc) {
  const auto it = m.find(arc);
  return it == m.end() ? nullptr : &it->second;
}

Bytes octets(const DerReader& r, const der::Tlv* t, const char* name, size_t length) {
  if (t == nullptr) missing(name);
  if (t->tag != der::kTagOctetString || t->end - t->start != length) r.fail(t->offset);
  return r.content(*t).to_bytes();
}

std::string component_name(size_t c) {
  char name[24];
  std::snprintf(name, sizeof(name), "sgxTcbComp%02zuSvn", c);
  return name;
}

}  // namespace

SgxExtension read_sgx_extension(ByteView value, size_t base) {
  const DerReader r(value, [base](size_t offset) {
    fail("SgxExtensionMalformed", {decimal(base + offset)},
         "PCK certificate SGX extension is malformed (at byte " + decimal(base + offset) + ")");
  });
  const der::Tlv top = r.expect(0, value.size(), der::kTagSequence);
  if (top.end != value.size()) r.fail(top.end);
  const ByteView prefix(kOidSgxExtension, sizeof(kOidSgxExtension));
  const std::map<uint8_t, der::Tlv> fields = entries(r, top, prefix);
  SgxExtension out;
  out.fmspc = octets(r, find(fields, kArcFmspc), "fmspc", kFmspcLength);
  out.pce_id = octets(r, find(fields, kArcPceId), "pceId", kPceIdLength);
  const der::Tlv* tcb = find(fields, kArcTcb);
  if (tcb == nullptr) missing("tcb");
  if (tcb->tag != der::kTagSequence) r.fail(tcb->offset);
  Bytes tcb_prefix = prefix.to_bytes();
  tcb_prefix.push_back(kArcTcb);
  const std::map<uint8_t, der::Tlv> tcb_fields = entries(r, *tcb, tcb_prefix);
  for (size_t c = 1; c <= kCpuSvnComponents; ++c) {
    const der::Tlv* t = find(tcb_fields, static_cast<uint8_t>(c));
    if (t == nullptr) missing(component_name(c));
    if (t->tag != der::kTagInteger) r.fail(t->offset);
    out.cpu_svn_components[c - 1] = static_cast<uint8_t>(r.unsigned_value(*t, 1));
  }
  const der::Tlv* pce_svn = find(tcb_fields, kArcPceSvn);
  if (pce_svn == nullptr) missing("pcesvn");
  if (pce_svn->tag != der::kTagInteger) r.fail(pce_svn->offset);
  out.pce_svn = static_cast<uint16_t>(r.unsigned_value(*pce_svn, 2));
  out.cpu_svn = octets(r, find(tcb_fields, kArcCpuSvn), "cpusvn", kCpuSvnLength);
  return out;
}

}  // namespace anonify::attestation::dcap
