// Helpers of the auction runtime tests (runtime_auction_test.cpp, runtime_auction_encoding_test.cpp):
// command builders, the check-then-apply `run` that every command of the tests goes through, and
// plain addresses for the accounts (the runtime only sees an authenticated sender).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "anonify/runtime/auction.h"

namespace anonify::runtime::auction_test {

inline Bytes text_bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

/// A distinct non-zero address per index.
inline Address account(uint32_t index) {
  Address a{};
  a[0] = 0xa0;
  a[16] = static_cast<uint8_t>(index >> 24);
  a[17] = static_cast<uint8_t>(index >> 16);
  a[18] = static_cast<uint8_t>(index >> 8);
  a[19] = static_cast<uint8_t>(index);
  return a;
}

inline std::string open_cmd(const std::string& id, const std::string& item = "A painting", const std::string& reserve = "100") {
  return R"({"op":"open","id":")" + id + R"(","item":")" + item + R"(","reservePrice":")" + reserve + "\"}";
}
inline std::string bid_cmd(const std::string& id, const std::string& amount) {
  return R"({"op":"bid","id":")" + id + R"(","amount":")" + amount + "\"}";
}
inline std::string withdraw_cmd(const std::string& id) { return R"({"op":"withdraw","id":")" + id + "\"}"; }
inline std::string close_cmd(const std::string& id) { return R"({"op":"close","id":")" + id + "\"}"; }

inline Bytes encode(const AuctionRuntime& r) {
  mls::TlsWriter w;
  r.encode(w);
  return w.take();
}

/// Applies a command after check() (state_submit's dry run), which must change nothing and give
/// apply's verdict and exact reason.
inline Transition run(AuctionRuntime& r, const Address& sender, const std::string& payload) {
  const Bytes before = encode(r);
  const Transition dry = r.check(sender, text_bytes(payload));
  EXPECT_EQ(encode(r), before) << "check changed the state: " << payload;
  EXPECT_TRUE(dry.affected.empty());
  const Transition applied = r.apply(sender, text_bytes(payload));
  EXPECT_EQ(dry.applied, applied.applied) << payload;
  EXPECT_EQ(dry.reason, applied.reason) << payload;
  if (!applied.applied) {
    EXPECT_EQ(encode(r), before) << "a rejection changed the state: " << payload;
  }
  return applied;
}

inline void expect_applied(AuctionRuntime& r, const Address& sender, const std::string& payload) {
  const Transition t = run(r, sender, payload);
  EXPECT_TRUE(t.applied) << payload << ": " << t.reason;
}

/// A command that must be rejected with `reason`, changing nothing.
inline void expect_rejected(AuctionRuntime& r, const Address& sender, const std::string& payload, const std::string& reason) {
  const Bytes before = encode(r);
  const Transition t = run(r, sender, payload);
  EXPECT_FALSE(t.applied) << payload;
  EXPECT_EQ(t.reason, reason) << payload;
  EXPECT_TRUE(t.affected.empty()) << payload;
  EXPECT_EQ(encode(r), before) << payload;
}

inline AuctionRuntime decoded(const Bytes& bytes) {
  AuctionRuntime r;
  mls::TlsReader in(bytes);
  r.decode(in);
  return r;
}

}  // namespace anonify::runtime::auction_test
