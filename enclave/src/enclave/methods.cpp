#include "anonify/enclave/methods.h"

#include <algorithm>

namespace anonify::enclave {

namespace {
// Function-local so registrations from any translation unit see an initialised table.
std::map<std::string, MethodHandler>& method_table() {
  static std::map<std::string, MethodHandler> table;
  return table;
}
}  // namespace

MethodRegistration::MethodRegistration(const char* name, MethodHandler handler) {
  if (!method_table().emplace(name, std::move(handler)).second) {
    throw Error(ErrorCode::kInternal, std::string("protocol method registered twice: ") + name);
  }
}

EnclaveDispatcher make_dispatcher() {
  EnclaveDispatcher dispatcher;
  for (const auto& [name, handler] : method_table()) dispatcher.add(name, handler);
  return dispatcher;
}

std::vector<std::string> registered_methods() {
  std::vector<std::string> names;
  for (const auto& entry : method_table()) names.push_back(entry.first);
  return names;
}

const Identity& require_identity(const Enclave& enclave) { return enclave.identity(); }

}  // namespace anonify::enclave
