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
  std::map<std::string, std::function<Bytes()>> sealers_;
  std::map<std::type_index, std::shared_ptr<void>> components_;
};

}  // namespace anonify::enclave
