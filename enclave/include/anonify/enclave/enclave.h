// The enclave's in-memory state: platform, identity keys, sealed storage, and the components later
// modules attach (MLS group, state runtime). Protocol handlers receive an Enclave&.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <typeindex>
#include <vector>

#include "anonify/enclave/identity.h"
#include "anonify/enclave/platform.h"
#include "anonify/enclave/sealing.h"
#include "anonify/error.h"

namespace anonify::enclave {

/// Version of this enclave program (reported by `status`).
constexpr const char* kEnclaveVersion = "0.1.0";
/// Version of the host protocol (PROTOCOL.md); bumped on incompatible changes.
constexpr int kProtocolVersion = 1;

class Enclave {
 public:
  /// `data_dir` from the command line (pinned by the Gramine manifest in SGX mode), if any.
  Enclave(std::unique_ptr<Platform> platform, std::optional<std::string> data_dir);

  const Platform& platform() const noexcept { return *platform_; }
  Mode mode() const noexcept { return platform_->mode(); }

  struct InitOutcome {
    bool created;  ///< true: fresh keys were generated and sealed; false: unsealed
    std::string data_dir;
  };
  /// Unseals the identity from the data directory, or creates and seals one if the directory holds
  /// no sealed identity. `data_dir` must agree with the command line's when both are given.
  /// Throws Error(InvalidState) if already initialized, sealing errors as they come.
  InitOutcome init(const std::optional<std::string>& data_dir);
  bool initialized() const noexcept { return identity_.has_value(); }

  /// Throw Error(InvalidState) before `init`.
  const Identity& identity() const;
  const SealedStore& sealed_store() const;
  SealedStore& sealed_store();
  /// True when `init` unsealed an existing identity (a restart), false for a fresh one.
  bool restored_from_sealed_state() const noexcept { return restored_; }

  /// Builds a component at `init`, right after the identity (ANONIFY_ENCLAVE_COMPONENT).
  using ComponentLoader = void (*)(Enclave&);
  static std::vector<ComponentLoader>& component_loaders();

  /// A component with sealed state registers a snapshot function under a blob name; `seal_all`
  /// (the `seal` method) writes every registered snapshot plus the identity.
  void add_sealer(const std::string& name, std::function<Bytes()> snapshot);
  /// Seals everything; returns the blob names written.
  std::vector<std::string> seal_all();

  /// One instance of T per enclave, created on first use as T(Enclave&). Lets a module (MLS,
  /// runtime) keep its state in the enclave without this class knowing its type.
  template <typename T>
  T& component() {
    auto it = components_.find(std::type_index(typeid(T)));
    if (it == components_.end()) {
      auto created = std::make_shared<T>(*this);
      it = components_.emplace(std::type_index(typeid(T)), std::shared_ptr<void>(created, created.get())).first;
    }
    return *static_cast<T*>(it->second.get());
  }

 private:
  std::unique_ptr<Platform> platform_;
  std::optional<std::string> command_line_data_dir_;
  std::optional<Identity> identity_;
  std::optional<SealedStore> store_;
  bool restored_ = false;
  std::map<std::string, std::function<Bytes()>> sealers_;
  std::map<std::type_index, std::shared_ptr<void>> components_;
};

/// Registers a component type whose sealed state is read at `init` (and never again while the
/// enclave runs). Use ANONIFY_ENCLAVE_COMPONENT(T) at namespace scope in T's source file.
struct ComponentRegistration {
  explicit ComponentRegistration(Enclave::ComponentLoader loader);
};

}  // namespace anonify::enclave

#define ANONIFY_ENCLAVE_COMPONENT_CONCAT2(a, b) a##b
#define ANONIFY_ENCLAVE_COMPONENT_CONCAT(a, b) ANONIFY_ENCLAVE_COMPONENT_CONCAT2(a, b)
#define ANONIFY_ENCLAVE_COMPONENT(T)                                                                              \
  static const ::anonify::enclave::ComponentRegistration ANONIFY_ENCLAVE_COMPONENT_CONCAT(anonify_component_, \
                                                                                          __LINE__)(        \
      [](::anonify::enclave::Enclave& e) { e.component<T>(); })
