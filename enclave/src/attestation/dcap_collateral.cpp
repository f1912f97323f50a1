#include "attestation/dcap_collateral.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string_view>

#include "anonify/json_depth.h"
#include "attestation/p256.h"
#include "attestation/utc_time.h"

namespace anonify::attestation::dcap {

const std::array<const char*, 7> kTcbStatuses = {"UpToDate",
                                                 "SWHardeningNeeded",
                                                 "ConfigurationNeeded",
                                                 "ConfigurationAndSWHardeningNeeded",
                                                 "OutOfDate",
                                                 "OutOfDateConfigurationNeeded",
                                                 "Revoked"};

bool is_tcb_status(const std::string& s) {
  return std::any_of(kTcbStatuses.begin(), kTcbStatuses.end(), [&](const char* t) { return s == t; });
}

namespace {

using Json = nlohmann::json;

constexpr size_t kSignatureHexLength = 128;
/// Real collateral nests 4 deep; signed input deeper than this is refused as not JSON (nlohmann's
/// parser recurses). The TypeScript verifier has no such limit (PROTOCOL.md attestation_verify).
constexpr size_t kMaxJsonDepth = 256;
constexpr char kTcbInfoId[] = "SGX";
constexpr double kTcbInfoVersion = 3;
constexpr double kTcbType = 0;
constexpr char kQeIdentityId[] = "QE";
constexpr double kQeIdentityVersion = 2;
constexpr uint64_t kU8Max = 0xff;
constexpr uint64_t kU16Max = 0xffff;
constexpr uint64_t kU32Max = 0xffffffff;

bool is_space(uint8_t c) { return c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d; }
bool is_hex(uint8_t c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

/// Just past the JSON object starting at `start` (strings and escapes respected), or nullopt.
std::optional<size_t> object_end(ByteView b, size_t start) {
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = start; i < b.size(); ++i) {
    const uint8_t c = b[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (depth == 0) return std::nullopt;
      if (--depth == 0) return c == '}' ? std::optional<size_t>(i + 1) : std::nullopt;
    }
  }
  return std::nullopt;
}

[[noreturn]] void malformed(CollateralKind kind, size_t offset) {
  fail("CollateralMalformed", {kind_arg(kind), decimal(offset)},
       "collateral " + kind_arg(kind) + " is not in the PCS format (at byte " + decimal(offset) + ")");
}

/// Typed field access; every mismatch is CollateralFieldInvalid(kind, path).
class Fields {
 public:
  Fields(CollateralKind kind, const Json& obj, std::string path) : kind_(kind), obj_(obj), path_(std::move(path)) {}

  static Fields of(CollateralKind kind, const Json* v, const std::string& path) {
    if (v == nullptr || !v->is_object()) invalid(kind, path);
    return Fields(kind, *v, path);
  }

  const Json* raw(const char* name) const {
    const auto it = obj_.find(name);
    return it == obj_.end() ? nullptr : &*it;
  }

  std::string path(const std::string& name) const { return path_.empty() ? name : path_ + "." + name; }

  [[noreturn]] void bad(const char* name) const { invalid(kind_, path(name)); }

  uint64_t integer(const char* name, uint64_t max) const {
    const Json* v = raw(name);
    if (v == nullptr || !v->is_number()) bad(name);
    if (v->is_number_unsigned()) {
      const uint64_t u = v->get<uint64_t>();
      if (u > max) bad(name);
      return u;
    }
    if (v->is_number_integer()) {
      const int64_t i = v->get<int64_t>();
      if (i < 0 || static_cast<uint64_t>(i) > max) bad(name);
      return static_cast<uint64_t>(i);
    }
    // A float holding an integer is one (JSON.parse has numbers only).
    const double d = v->get<double>();
    if (!std::isfinite(d) || d != std::floor(d) || d < 0 || d > static_cast<double>(max)) bad(name);
    return static_cast<uint64_t>(d);
  }

  const std::string& string(const char* name) const {
    const Json* v = raw(name);
    if (v == nullptr || !v->is_string()) bad(name);
    return v->get_ref<const std::string&>();
  }

  Bytes hex(const char* name, size_t bytes) const {
    const std::string& v = string(name);
    if (v.size() != 2 * bytes || !std::all_of(v.begin(), v.end(), [](char c) { return is_hex(static_cast<uint8_t>(c)); })) bad(name);
    return from_hex(v);
  }

  void literal(const char* name, const char* value) const {
    const Json* v = raw(name);
    if (v == nullptr || !v->is_string() || v->get_ref<const std::string&>() != value) bad(name);
  }

  void literal(const char* name, double value) const {
    const Json* v = raw(name);
    if (v == nullptr || !v->is_number() || v->get<double>() != value) bad(name);
  }

  /// `YYYY-MM-DDTHH:MM:SSZ` as unix seconds.
  uint64_t date(const char* name) const {
    const std::string& v = string(name);
    static constexpr char kPattern[] = "dddd-dd-ddTdd:dd:ddZ";
    bool ok = v.size() == sizeof(kPattern) - 1;
    for (size_t i = 0; ok && i < v.size(); ++i) {
      ok = kPattern[i] == 'd' ? (v[i] >= '0' && v[i] <= '9') : v[i] == kPattern[i];
    }
    if (!ok) bad(name);
    const auto num = [&](size_t at, size_t n) { return std::stoi(v.substr(at, n)); };
    const std::optional<uint64_t> s = unix_seconds(num(0, 4), num(5, 2), num(8, 2), num(11, 2), num(14, 2), num(17, 2));
    if (!s) bad(name);
    return *s;
  }

  std::string status(const char* name) const {
    const std::string& v = string(name);
    if (!is_tcb_status(v)) bad(name);
    return v;
  }

  /// advisoryIDs: absent (none) or an array of strings.
  std::vector<std::string> advisories(const char* name) const {
    const Json* v = raw(name);
    if (v == nullptr) return {};
    if (!v->is_array()) bad(name);
    std::vector<std::string> out;
    for (const Json& a : *v) {
      if (!a.is_string()) bad(name);
      out.push_back(a.get<std::string>());
    }
    return out;
  }

  const Json& array(const char* name) const {
    const Json* v = raw(name);
    if (v == nullptr || !v->is_array() || v->empty()) bad(name);
    return *v;
  }

  Fields object(const char* name) const { return of(kind_, raw(name), path(name)); }

 private:
  [[noreturn]] static void invalid(CollateralKind kind, const std::string& path) {
    fail("CollateralFieldInvalid", {kind_arg(kind), path},
         "collateral " + kind_arg(kind) + " field \"" + path + "\" is missing, of the wrong type or unsupported");
  }

  CollateralKind kind_;
  const Json& obj_;
  std::string path_;
};

Json parse_json(CollateralKind kind, ByteView body) {
  if (json_depth_exceeded_at(body, kMaxJsonDepth)) malformed(kind, 0);
  Json j = Json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded()) malformed(kind, 0);  // the span was delimited, but its content is not JSON
  return j;
}

std::string indexed(const char* name, size_t i) { return std::string(name) + "[" + std::to_string(i) + "]"; }

TcbLevel tcb_level(CollateralKind kind, const Json& item, const std::string& at) {
  const Fields level = Fields::of(kind, &item, at);
  const Fields tcb = level.object("tcb");
  const Json* comps = tcb.raw("sgxtcbcomponents");
  if (comps == nullptr || !comps->is_array() || comps->size() != kCpuSvnComponents) tcb.bad("sgxtcbcomponents");
  TcbLevel out;
  for (size_t j = 0; j < kCpuSvnComponents; ++j) {
    const Fields c = Fields::of(kind, &(*comps)[j], tcb.path(indexed("sgxtcbcomponents", j)));
    out.components[j] = static_cast<uint8_t>(c.integer("svn", kU8Max));
  }
  out.pce_svn = static_cast<uint16_t>(tcb.integer("pcesvn", kU16Max));
  level.string("tcbDate");
  out.status = level.status("tcbStatus");
  out.advisory_ids = level.advisories("advisoryIDs");
  return out;
}

uint32_t u32_of_hex(const Bytes& b) {
  return (static_cast<uint32_t>(b[0]) << 24) | (static_cast<uint32_t>(b[1]) << 16) | (static_cast<uint32_t>(b[2]) << 8) | b[3];
}

}  // namespace

SignedCollateral split_signed_collateral(CollateralKind kind, ByteView bytes, const std::string& field) {
  const std::string prefix = "{\"" + field + "\":";
  if (!has_text_at(bytes, 0, prefix)) malformed(kind, 0);
  const size_t start = prefix.size();
  if (start >= bytes.size() || bytes[start] != '{') malformed(kind, start);
  const std::optional<size_t> end = object_end(bytes, start);
  if (!end) malformed(kind, start);
  constexpr std::string_view kMiddle = ",\"signature\":\"";
  if (!has_text_at(bytes, *end, kMiddle)) malformed(kind, *end);
  const size_t sig_start = *end + kMiddle.size();
  if (bytes.size() - sig_start < kSignatureHexLength ||
      !std::all_of(bytes.begin() + sig_start, bytes.begin() + sig_start + kSignatureHexLength, is_hex)) {
    malformed(kind, sig_start);
  }
  size_t p = sig_start + kSignatureHexLength;
  if (!has_text_at(bytes, p, "\"}")) malformed(kind, p);
  p += 2;
  while (p < bytes.size() && is_space(bytes[p])) ++p;
  if (p != bytes.size()) malformed(kind, p);
  const std::string sig_hex(bytes.begin() + sig_start, bytes.begin() + sig_start + kSignatureHexLength);
  return SignedCollateral{bytes.subview(start, *end - start).to_bytes(), from_hex(sig_hex)};
}

void check_collateral_signature(CollateralKind kind, const SignedCollateral& signed_collateral, const Certificate& signer) {
  if (!p256_verify(signed_collateral.body, signed_collateral.signature, signer.public_key)) {
    fail("CollateralSignatureInvalid", {kind_arg(kind)}, "collateral " + kind_arg(kind) + " signature does not verify");
  }
}

TcbInfo parse_tcb_info(ByteView body) {
  constexpr CollateralKind kind = CollateralKind::kTcbInfo;
  const Json json = parse_json(kind, body);
  const Fields f = Fields::of(kind, &json, "");
  f.literal("id", kTcbInfoId);
  f.literal("version", kTcbInfoVersion);
  TcbInfo info;
  info.issue_date = f.date("issueDate");
  info.next_update = f.date("nextUpdate");
  info.fmspc = f.hex("fmspc", 6);
  info.pce_id = f.hex("pceId", 2);
  f.literal("tcbType", kTcbType);
  info.tcb_evaluation_data_number = static_cast<uint32_t>(f.integer("tcbEvaluationDataNumber", kU32Max));
  const Json& levels = f.array("tcbLevels");
  for (size_t i = 0; i < levels.size(); ++i) info.levels.push_back(tcb_level(kind, levels[i], indexed("tcbLevels", i)));
  return info;
}

QeIdentity parse_qe_identity(ByteView body) {
  constexpr CollateralKind kind = CollateralKind::kQeIdentity;
  const Json json = parse_json(kind, body);
  const Fields f = Fields::of(kind, &json, "");
  f.literal("id", kQeIdentityId);
  f.literal("version", kQeIdentityVersion);
  QeIdentity id;
  id.issue_date = f.date("issueDate");
  id.next_update = f.date("nextUpdate");
  id.tcb_evaluation_data_number = static_cast<uint32_t>(f.integer("tcbEvaluationDataNumber", kU32Max));
  id.miscselect = u32_of_hex(f.hex("miscselect", 4));
  id.miscselect_mask = u32_of_hex(f.hex("miscselectMask", 4));
  id.attributes = f.hex("attributes", 16);
  id.attributes_mask = f.hex("attributesMask", 16);
  id.mrsigner = f.hex("mrsigner", 32);
  id.isv_prod_id = static_cast<uint16_t>(f.integer("isvprodid", kU16Max));
  const Json& levels = f.array("tcbLevels");
  for (size_t i = 0; i < levels.size(); ++i) {
    const Fields level = Fields::of(kind, &levels[i], indexed("tcbLevels", i));
    QeTcbLevel l;
    l.isv_svn = static_cast<uint16_t>(level.object("tcb").integer("isvsvn", kU16Max));
    level.string("tcbDate");
    l.status = level.status("tcbStatus");
    l.advisory_ids = level.advisories("advisoryIDs");
    id.levels.push_back(std::move(l));
  }
  return id;
}

void check_freshness(CollateralKind kind, uint64_t issue_date, uint64_t next_update, uint64_t now, uint64_t grace) {
  if (now < issue_date) {
    fail("CollateralNotYetValid", {kind_arg(kind), decimal(issue_date), decimal(now)}, "collateral " + kind_arg(kind) + " is not yet valid");
  }
  if (now > next_update && now - next_update > grace) {
    fail("CollateralExpired", {kind_arg(kind), decimal(next_update), decimal(now)}, "collateral " + kind_arg(kind) + " has expired");
  }
}

}  // namespace anonify::attestation::dcap
