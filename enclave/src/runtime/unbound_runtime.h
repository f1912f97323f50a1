// What a state component runs before it knows its group's runtime: an enclave learns the runtime
// from the group policy when it creates or joins a group (registry.h), and until then holds no
// application state. Private to the runtime.
#pragma once

#include <memory>

#include "anonify/runtime/runtime.h"

namespace anonify::runtime::detail {

/// Not a valid runtime name (parentheses), so no registered runtime can be mistaken for it.
constexpr const char* kUnboundRuntimeName = "(unbound)";

class UnboundRuntime final : public Runtime {
 public:
  std::string_view name() const override { return kUnboundRuntimeName; }
  bool initialized() const override { return false; }
  // Never reached through the protocol (applying needs membership, which binds the runtime).
  Transition apply(const Address&, ByteView) override { return Transition::reject("no runtime: this enclave is not in a group"); }
  Transition check(const Address& sender, ByteView payload) const override { return UnboundRuntime().apply(sender, payload); }
  QueryAnswer query(const Address&, const Json&) const override {
    return QueryAnswer::failure("not_member", "this enclave has not joined a group yet, so it runs no application");
  }
  void encode(mls::TlsWriter&) const override {}
  void decode(mls::TlsReader&) override {}
  std::unique_ptr<Runtime> clone() const override { return std::make_unique<UnboundRuntime>(); }
};

}  // namespace anonify::runtime::detail
