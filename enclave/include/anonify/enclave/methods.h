// Registration of protocol methods. A module registers its methods from its own .cpp file:
//
//   ANONIFY_PROTOCOL_METHOD(mls_create_group) (Enclave& enclave, const protocol::Params& params) {
//     ... return Json{...};   (or, on a hot path, MethodResult::encoded(JsonWriter text))
//   }
//
// The macro defines the handler and adds it to the global table at static-initialisation time.
// anonify_core is linked as a whole archive, so every registration is kept without any list to edit.
#pragma once

#include "anonify/enclave/enclave.h"
#include "anonify/protocol/dispatcher.h"

namespace anonify::enclave {

using Json = protocol::Json;
using EnclaveDispatcher = protocol::Dispatcher<Enclave>;
using MethodHandler = EnclaveDispatcher::Handler;

/// Adds a method to the global table (throws on a duplicate name, at startup).
struct MethodRegistration {
  MethodRegistration(const char* name, MethodHandler handler);
};

/// A dispatcher holding every registered method.
EnclaveDispatcher make_dispatcher();
/// Registered method names, sorted.
std::vector<std::string> registered_methods();

/// Throws Error(InvalidState) unless `init` has run.
const Identity& require_identity(const Enclave& enclave);

}  // namespace anonify::enclave

#define ANONIFY_PROTOCOL_METHOD(name)                                                                     \
  static ::anonify::protocol::MethodResult anonify_method_##name(::anonify::enclave::Enclave&,           \
                                                                 const ::anonify::protocol::Params&);    \
  static const ::anonify::enclave::MethodRegistration anonify_registration_##name(#name, anonify_method_##name); \
  static ::anonify::protocol::MethodResult anonify_method_##name
