// The chain clock: monotonic, sealed before it moves, and resumed after a restart.
#include "anonify/enclave/chain_clock.h"

#include "anonify/enclave/platform.h"
#include "enclave_test_util.h"

namespace anonify::enclave {
namespace {

using testing::TempDir;

Enclave started(const std::string& dir) {
  Enclave e(make_simulation_platform(), dir);
  e.init(std::nullopt);
  return e;
}

TEST(ChainClock, NeverGoesBackAndSurvivesARestart) {
  TempDir dir;
  {
    Enclave e = started(dir.path());
    ChainClock& clock = e.component<ChainClock>();
    EXPECT_EQ(clock.newest(), 0u);
    EXPECT_FALSE(e.sealed_store().exists(kChainClockSealName));  // nothing sealed until a time is seen
    clock.observe(1'700'000'100);
    clock.observe(1'700'000'050);  // older: ignored
    EXPECT_EQ(clock.newest(), 1'700'000'100u);
    clock.observe(1'700'000'200);
    EXPECT_EQ(clock.newest(), 1'700'000'200u);
  }
  Enclave restarted = started(dir.path());
  EXPECT_EQ(restarted.component<ChainClock>().newest(), 1'700'000'200u);
}

TEST(ChainClock, CorruptBlobIsRefusedNotReset) {
  TempDir dir;
  {
    Enclave e = started(dir.path());
    e.sealed_store().put(kChainClockSealName, Bytes{0x01, 0x02});  // a valid seal of the wrong length
  }
  // The clock is built at init (with the MLS component that uses it), so the restart itself refuses.
  Enclave restarted(make_simulation_platform(), dir.path());
  try {
    restarted.init(std::nullopt);
    FAIL() << "a malformed clock blob was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kSealedDataCorrupt);
  }
  EXPECT_FALSE(restarted.initialized());
  // Refused, not replaced: the next start meets the same blob.
  Enclave again(make_simulation_platform(), dir.path());
  EXPECT_THROW(again.init(std::nullopt), Error);
}

}  // namespace
}  // namespace anonify::enclave
