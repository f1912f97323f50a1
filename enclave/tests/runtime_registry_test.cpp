// The runtime registry (runtime/registry.h) and how the state methods bind the ledger to the
// runtime the group's policy names.
#include <gtest/gtest.h>

#include "anonify/error.h"
#include "anonify/runtime/auction.h"
#include "anonify/runtime/records.h"
#include "anonify/runtime/registry.h"
#include "anonify/runtime/token.h"
#include "mls_protocol_node.h"

namespace anonify::runtime {
namespace {

TEST(RuntimeRegistry, NamesFollowOneRule) {
  for (const char* good : {"anonify-token/v1", "a", "9", "x.y_z/w-1"}) EXPECT_TRUE(valid_runtime_name(good)) << good;
  EXPECT_TRUE(valid_runtime_name(std::string(kMaxRuntimeNameSize, 'a')));
  for (const char* bad : {"", "Token", "-token", "/v1", ".x", "token v1", "t\xc3\xb6ken", "(unbound)"}) {
    EXPECT_FALSE(valid_runtime_name(bad)) << bad;
  }
  EXPECT_FALSE(valid_runtime_name(std::string(kMaxRuntimeNameSize + 1, 'a')));
  EXPECT_FALSE(valid_runtime_name(std::string_view("tok\0en", 6)));
}

TEST(RuntimeRegistry, TheTokenIsCarriedAndMadeByName) {
  const std::vector<std::string> carried = carried_runtimes();
  EXPECT_TRUE(std::is_sorted(carried.begin(), carried.end()));
  EXPECT_NE(std::find(carried.begin(), carried.end(), kTokenRuntimeName), carried.end());
  EXPECT_TRUE(carries_runtime(kTokenRuntimeName));
  const std::unique_ptr<Runtime> token = make_runtime(kTokenRuntimeName);
  EXPECT_EQ(token->name(), kTokenRuntimeName);
  EXPECT_FALSE(token->initialized());
}

TEST(RuntimeRegistry, ThePackageRuntimesAreCarriedAndMadeByName) {
  EXPECT_EQ(carried_runtimes(), (std::vector<std::string>{kAuctionRuntimeName, kRecordsRuntimeName, kTokenRuntimeName}));
  for (const char* name : {kAuctionRuntimeName, kRecordsRuntimeName}) {
    const std::unique_ptr<Runtime> runtime = make_runtime(name);
    EXPECT_EQ(runtime->name(), name);
    // Two instances share nothing: each group's state is its own.
    EXPECT_NE(runtime.get(), make_runtime(name).get());
  }
}

TEST(RuntimeRegistry, AnUncarriedOrInvalidNameIsRuntimeUnavailable) {
  for (const char* name : {"absent-app/v1", "Bad!", ""}) {
    EXPECT_FALSE(carries_runtime(name));
    try {
      make_runtime(name);
      ADD_FAILURE() << name;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kRuntimeUnavailable) << name;
    }
  }
}

}  // namespace
}  // namespace anonify::runtime

namespace anonify::enclave {
namespace {

using testing_mls::Node;
using testing_mls::test_domain;

TEST(RuntimeBinding, StatusListsTheCarriedRuntimesAndTheGroupsOnceAMember) {
  testing::TempDir dir;
  Node a(dir.path());
  EXPECT_EQ(a.call("status")["runtimes"], Json(runtime::carried_runtimes()));
  // Before it holds a group, the enclave runs no application: reads say so.
  EXPECT_TRUE(a.call("state_status")["runtime"].is_null());
  a.create_group(test_domain());
  const Json status = a.call("state_status");
  EXPECT_EQ(status["runtime"], runtime::kTokenRuntimeName);
  EXPECT_TRUE(status["member"].get<bool>());
}

}  // namespace
}  // namespace anonify::enclave
