// The runtimes an enclave binary carries. Each runtime registers itself under its name from a
// static initialiser (ANONIFY_RUNTIME), so compiling a runtime's source into the binary is what
// adds it, and so what the binary's measurement covers. A group names its runtime in its policy
// (membership/group_policy.h); an enclave creates or joins only a group whose runtime it carries.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "anonify/runtime/runtime.h"

namespace anonify::runtime {

/// Longest runtime name (it travels in the group policy and on chain).
constexpr size_t kMaxRuntimeNameSize = 64;

/// A runtime name: 1..64 bytes of [a-z0-9._/-], starting with a letter or digit ("anonify-token/v1").
bool valid_runtime_name(std::string_view name);

using RuntimeFactory = std::unique_ptr<Runtime> (*)();

/// Registers `make` under `name` (called by ANONIFY_RUNTIME). A second registration of one name, or
/// an invalid name, ends the program at start-up: a binary must never carry two meanings of a name.
class RuntimeRegistration {
 public:
  RuntimeRegistration(std::string_view name, RuntimeFactory make);
};

/// Whether this binary carries the runtime `name`.
bool carries_runtime(std::string_view name);
/// The names this binary carries, sorted.
std::vector<std::string> carried_runtimes();
/// A fresh (uninitialised) instance of runtime `name`; throws Error(RuntimeUnavailable) when this
/// binary does not carry it.
std::unique_ptr<Runtime> make_runtime(std::string_view name);

}  // namespace anonify::runtime

/// Registers runtime class `Class` (default-constructible) under `name`. Use once, in the runtime's
/// .cpp file, at namespace scope.
#define ANONIFY_RUNTIME(Class, name)                                                                     \
  static const ::anonify::runtime::RuntimeRegistration anonify_runtime_registration_##Class(           \
      name, []() -> std::unique_ptr<::anonify::runtime::Runtime> { return std::make_unique<Class>(); })
