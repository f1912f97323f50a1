#include "anonify/runtime/envelope.h"

#include "anonify/crypto/hpke.h"
#include "anonify/crypto/keccak.h"
#include "anonify/crypto/secp256k1.h"
#include "anonify/error.h"
#include "anonify/runtime/json_input.h"

namespace anonify::runtime {

namespace eip712 = crypto::eip712;
using detail::check_string_members;

namespace {

constexpr size_t kMaxU64Digits = 20;

// "0x" + even-length hex of an expected size (any size when 0 is not allowed and max is given).
std::optional<Bytes> hex_field(const std::string& text, size_t min_size, size_t max_size) {
  if (text.size() < 2 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) return std::nullopt;
  try {
    Bytes bytes = from_hex(text);
    if (bytes.size() < min_size || bytes.size() > max_size) return std::nullopt;
    return bytes;
  } catch (const Error&) {
    return std::nullopt;
  }
}

bool recovers_to(ByteView digest, ByteView signature, const Address& expected) {
  try {
    const Bytes signer = crypto::eth_recover_address(digest, signature);
    return address_from_bytes(signer) == expected;
  } catch (const Error&) {
    return false;
  }
}

Bytes digest_of(const Domain& domain, ByteView struct_hash) {
  return eip712::typed_data_digest(eip712::domain_separator(domain), struct_hash);
}

// Field readers that throw the envelope's own error code.
struct FieldReader {
  const Json& object;
  ErrorCode code;
  const char* what;

  [[noreturn]] void fail(const std::string& problem) const { throw Error(code, std::string(what) + ": " + problem); }
  const std::string& text(const char* name) const { return object.at(name).get_ref<const std::string&>(); }
  Address address(const char* name) const {
    std::optional<Address> a = parse_address(text(name));
    if (!a) fail(std::string("\"") + name + "\" is not an address");
    return *a;
  }
  Bytes bytes(const char* name, size_t min_size, size_t max_size) const {
    std::optional<Bytes> b = hex_field(text(name), min_size, max_size);
    if (!b) fail(std::string("\"") + name + "\" must be 0x-hex of " + std::to_string(min_size) +
                 (min_size == max_size ? "" : ".." + std::to_string(max_size)) + " bytes");
    return *b;
  }
  uint64_t u64(const char* name) const {
    std::optional<uint64_t> v = parse_u64(text(name));
    if (!v) fail(std::string("\"") + name + "\" must be a decimal uint64 string");
    return *v;
  }
};

Json parse_envelope(ByteView json, ErrorCode code, const char* what, std::initializer_list<const char*> names) {
  std::optional<Json> object = detail::parse_object(json);
  if (!object) throw Error(code, std::string(what) + ": not a JSON object");
  const std::string problem = check_string_members(*object, names);
  if (!problem.empty()) throw Error(code, std::string(what) + ": " + problem);
  return *object;
}

}  // namespace

std::optional<SecretBytes> open_sealed(ByteView sealed, const crypto::X25519PrivateKey& hpke_key, const char* info) {
  if (sealed.size() < crypto::hpke::kEncSize) return std::nullopt;
  try {
    Bytes plain = crypto::hpke::open(crypto::hpke::kDefaultSuite, sealed.subview(0, crypto::hpke::kEncSize),
                                     hpke_key, ByteView::from_string(info), ByteView(),
                                     sealed.subview(crypto::hpke::kEncSize, sealed.size() - crypto::hpke::kEncSize));
    return SecretBytes(std::move(plain));
  } catch (const Error&) {
    return std::nullopt;
  }
}

Bytes pad_to_size(ByteView data, size_t size) {
  if (data.size() >= size) throw Error(ErrorCode::kInternal, "padding: data does not fit its bucket");
  Bytes out(size, 0);
  std::copy(data.begin(), data.end(), out.begin());
  out[data.size()] = kPaddingMarker;
  return out;
}

std::optional<SecretBytes> unpad(ByteView padded) {
  size_t end = padded.size();
  while (end > 0 && padded[end - 1] == 0) --end;
  if (end == 0 || padded[end - 1] != kPaddingMarker) return std::nullopt;
  return SecretBytes(padded.subview(0, end - 1));
}

void require_usable_reply_key(ByteView key) {
  if (key.size() != kReplyKeySize) throw Error(ErrorCode::kInvalidReplyKey, "replyKey must be 32 bytes");
  // One trial Diffie-Hellman with a throwaway scalar: the clamped scalar is a multiple of 8, so every
  // point of small order (the all-zero one included) gives the all-zero secret x25519 refuses.
  try {
    (void)crypto::X25519PrivateKey::generate().dh(key);
  } catch (const Error&) {
    throw Error(ErrorCode::kInvalidReplyKey, "replyKey is a low-order X25519 point (replies could not be sealed to it)");
  }
}

Bytes seal_to(ByteView recipient_public_key, const char* info, ByteView plaintext) {
  crypto::hpke::Sealed sealed = crypto::hpke::seal(crypto::hpke::kDefaultSuite, recipient_public_key,
                                                   ByteView::from_string(info), ByteView(), plaintext);
  return concat({sealed.enc, sealed.ciphertext});
}

std::optional<uint64_t> parse_u64(const std::string& text) {
  if (text.empty() || text.size() > kMaxU64Digits || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

SignedCommand SignedCommand::parse(const Json& object) {
  const std::string problem = check_string_members(object, {"sender", "nonce", "payload", "signature"});
  if (!problem.empty()) throw Error(ErrorCode::kMalformedCommand, "command: " + problem);
  const FieldReader r{object, ErrorCode::kMalformedCommand, "command"};
  SignedCommand c;
  c.sender = r.address("sender");
  c.nonce = r.u64("nonce");
  c.payload = r.bytes("payload", 1, kMaxPayloadSize);
  c.signature = r.bytes("signature", crypto::kEthSignatureSize, crypto::kEthSignatureSize);
  return c;
}

Json SignedCommand::to_json() const {
  return Json{{"sender", format_address(sender)},
              {"nonce", std::to_string(nonce)},
              {"payload", "0x" + to_hex(payload)},
              {"signature", "0x" + to_hex(signature)}};
}

Bytes SignedCommand::digest(const Domain& domain) const {
  return digest_of(domain, eip712::command_struct_hash(sender, nonce, crypto::keccak256(payload)));
}

bool SignedCommand::signed_by_sender(const Domain& domain) const {
  return recovers_to(digest(domain), signature, sender);
}

Bytes SignedCommand::command_id() const {
  Bytes material = payload;
  append(material, sender);
  append_u64_be(material, nonce);
  return crypto::keccak256(material);
}

ReadRequest ReadRequest::parse(ByteView json) {
  const Json object = parse_envelope(json, ErrorCode::kMalformedRead, "read request",
                                     {"sender", "query", "replyKey", "issuedAt", "signature"});
  const FieldReader r{object, ErrorCode::kMalformedRead, "read request"};
  ReadRequest q;
  q.sender = r.address("sender");
  q.query = r.bytes("query", 1, kMaxPayloadSize);
  q.reply_key = r.bytes("replyKey", kReplyKeySize, kReplyKeySize);
  q.issued_at = r.u64("issuedAt");
  q.signature = r.bytes("signature", crypto::kEthSignatureSize, crypto::kEthSignatureSize);
  return q;
}

bool ReadRequest::signed_by_sender(const Domain& domain) const {
  const Bytes hash = eip712::read_struct_hash(sender, crypto::keccak256(query), reply_key, issued_at);
  return recovers_to(digest_of(domain, hash), signature, sender);
}

Subscription Subscription::parse(ByteView json) {
  const Json object = parse_envelope(json, ErrorCode::kMalformedSubscription, "subscription",
                                     {"account", "replyKey", "issuedAt", "signature"});
  const FieldReader r{object, ErrorCode::kMalformedSubscription, "subscription"};
  Subscription s;
  s.account = r.address("account");
  s.reply_key = r.bytes("replyKey", kReplyKeySize, kReplyKeySize);
  s.issued_at = r.u64("issuedAt");
  s.signature = r.bytes("signature", crypto::kEthSignatureSize, crypto::kEthSignatureSize);
  return s;
}

bool Subscription::signed_by_account(const Domain& domain) const {
  const Bytes hash = eip712::subscribe_struct_hash(account, reply_key, issued_at);
  return recovers_to(digest_of(domain, hash), signature, account);
}

Json domain_to_json(const Domain& domain) {
  return Json{{"name", domain.name},
              {"version", domain.version},
              {"chainId", std::to_string(domain.chain_id)},
              {"verifyingContract", "0x" + to_hex(domain.verifying_contract)}};
}

bool same_domain(const Domain& a, const Domain& b) {
  return a.name == b.name && a.version == b.version && a.chain_id == b.chain_id &&
         a.verifying_contract == b.verifying_contract;
}

}  // namespace anonify::runtime
