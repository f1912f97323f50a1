#include "reply_keys.h"

#include "anonify/error.h"
#include "anonify/mls/tls_codec.h"
#include "anonify/runtime/envelope.h"

namespace anonify::runtime::detail {

namespace {

constexpr uint8_t kReplyKeysVersion = 1;

Bytes encode(const std::multimap<uint64_t, Bytes>& by_issued_at) {
  mls::TlsWriter w;
  w.u8(kReplyKeysVersion);
  w.vector([&](mls::TlsWriter& out) {
    for (const auto& [issued_at, key] : by_issued_at) {
      out.u64(issued_at);
      out.raw(key);
    }
  });
  return w.take();
}

}  // namespace

ReplyKeys::ReplyKeys(enclave::Enclave& enclave) : enclave_(enclave) {
  if (enclave.initialized()) {
    // Rewritten by every read and subscription: kept inside the store manifest while small.
    enclave.sealed_store().keep_inline(kReplyKeysSealName);
    if (std::optional<SecretBytes> sealed = enclave.sealed_store().get(kReplyKeysSealName)) {
      try {
        mls::TlsReader r(sealed->data(), sealed->size());
        if (r.u8() != kReplyKeysVersion) throw Error(ErrorCode::kDecodeError, "unknown version");
        mls::TlsReader entries = r.vector();
        while (!entries.empty()) {
          const uint64_t issued_at = entries.u64();
          Bytes key = entries.raw(kReplyKeySize);
          if (!keys_.insert(key).second) throw Error(ErrorCode::kDecodeError, "repeated key");
          by_issued_at_.emplace(issued_at, std::move(key));
        }
        r.finish("reply keys");
        if (keys_.size() > kCapacity) throw Error(ErrorCode::kDecodeError, "more keys than the capacity");
      } catch (const Error& e) {
        throw Error(ErrorCode::kSealedDataCorrupt, std::string("sealed reply keys: ") + e.what());
      }
    }
  }
  enclave.add_sealer(kReplyKeysSealName, [this] { return encode(by_issued_at_); });
}

void ReplyKeys::check(ByteView reply_key, uint64_t issued_at, uint64_t window, uint64_t clock) const {
  if (clock != 0 && (issued_at > UINT64_MAX - window || issued_at + window < clock)) {
    throw Error(ErrorCode::kStaleRequest, "issuedAt " + std::to_string(issued_at) + " is more than " + std::to_string(window) +
                                              " s before the newest block applied (" + std::to_string(clock) + ")");
  }
  if (keys_.count(reply_key.to_bytes()) != 0) {
    throw Error(ErrorCode::kReplayedRequest, "this replyKey was answered to already (a reply key is single-use)");
  }
}

void ReplyKeys::record(const Bytes& reply_key, uint64_t issued_at, uint64_t clock) {
  std::multimap<uint64_t, Bytes> next = by_issued_at_;
  // Keys older than the largest window before the clock are refused as stale anyway.
  if (clock > kMaxFreshnessWindow) next.erase(next.begin(), next.lower_bound(clock - kMaxFreshnessWindow));
  if (next.size() >= kCapacity) {
    throw Error(ErrorCode::kInvalidState, "too many fresh reply keys (" + std::to_string(kCapacity) + "); retry later");
  }
  next.emplace(issued_at, reply_key);
  enclave_.sealed_store().put(kReplyKeysSealName, encode(next));
  std::set<Bytes> keys;
  for (const auto& entry : next) keys.insert(entry.second);
  keys_ = std::move(keys);
  by_issued_at_ = std::move(next);
}

}  // namespace anonify::runtime::detail
