#include "anonify/enclave/chain_clock.h"

#include <optional>

namespace anonify::enclave {
namespace {

constexpr size_t kClockSize = 8;

Bytes encode(uint64_t t) {
  Bytes out(kClockSize);
  for (size_t i = 0; i < kClockSize; ++i) out[i] = static_cast<uint8_t>(t >> (8 * (kClockSize - 1 - i)));
  return out;
}

uint64_t decode(ByteView b) {
  if (b.size() != kClockSize) throw Error(ErrorCode::kSealedDataCorrupt, "chain-clock blob: expected 8 bytes");
  uint64_t t = 0;
  for (uint8_t byte : b) t = (t << 8) | byte;
  return t;
}

}  // namespace

ChainClock::ChainClock(Enclave& enclave) : enclave_(enclave) {
  if (enclave.initialized()) {
    // Sealed as it moves, with the state an apply seals: one file write for both.
    enclave.sealed_store().keep_inline(kChainClockSealName);
    std::optional<SecretBytes> sealed = enclave.sealed_store().get(kChainClockSealName);
    if (sealed) newest_ = decode(*sealed);
  }
  enclave.add_sealer(kChainClockSealName, [this] { return encode(newest_); });
}

void ChainClock::observe(uint64_t block_time) {
  if (block_time <= newest_) return;
  enclave_.sealed_store().put(kChainClockSealName, encode(block_time));
  newest_ = block_time;
}

}  // namespace anonify::enclave
