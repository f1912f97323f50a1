#include "anonify/enclave/enclave.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace anonify::enclave {

Enclave::Enclave(std::unique_ptr<Platform> platform, std::optional<std::string> data_dir)
    : platform_(std::move(platform)), command_line_data_dir_(std::move(data_dir)) {}

Enclave::InitOutcome Enclave::init(const std::optional<std::string>& requested_dir) {
  if (initialized()) throw Error(ErrorCode::kInvalidState, "the enclave is already initialized");
  if (requested_dir && command_line_data_dir_ && *requested_dir != *command_line_data_dir_) {
    throw Error(ErrorCode::kInvalidParams, "params.dataDir differs from the data directory fixed on the command line");
  }
  std::optional<std::string> dir = command_line_data_dir_ ? command_line_data_dir_ : requested_dir;
  if (!dir || dir->empty()) {
    throw Error(ErrorCode::kInvalidParams, "no data directory: pass --data-dir or params.dataDir");
  }
  if (::mkdir(dir->c_str(), 0700) != 0 && errno != EEXIST) {
    throw Error(ErrorCode::kStorageError, "cannot create data directory " + *dir + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::stat(dir->c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    throw Error(ErrorCode::kStorageError, *dir + " is not a directory");
  }

  // A fresh key may only be created where nothing sealed exists yet: otherwise a lost key file
  // would silently orphan (and later overwrite) the node's state.
  bool has_sealed_data = !list_sealed(*dir).empty();
  SealedStore store(*platform_, *dir, platform_->sealing_root_key(*dir, !has_sealed_data));

  bool created = false;
  std::optional<SecretBytes> sealed_identity = store.open(kIdentitySealName);
  if (sealed_identity) {
    identity_.emplace(Identity::deserialize(*sealed_identity));
  } else {
    if (has_sealed_data) {
      throw Error(ErrorCode::kSealedDataCorrupt,
                  *dir + " holds sealed files but no sealed identity; refusing to create a new identity over them");
    }
    Identity fresh = Identity::generate();
    store.create(kIdentitySealName, fresh.serialize());
    identity_.emplace(std::move(fresh));
    created = true;
  }
  store_.emplace(std::move(store));
  // Every component reads its sealed state now, once: while the enclave runs, memory is the
  // authority and no blob is read back (a host swapping files in changes nothing).
  try {
    for (ComponentLoader load : component_loaders()) load(*this);
  } catch (...) {
    components_.clear();
    sealers_.clear();
    store_.reset();
    identity_.reset();
    throw;
  }
  restored_ = !created;
  return InitOutcome{created, *dir};
}

const Identity& Enclave::identity() const {
  if (!identity_) throw Error(ErrorCode::kInvalidState, "the enclave is not initialized: call init first");
  return *identity_;
}

const SealedStore& Enclave::sealed_store() const {
  if (!store_) throw Error(ErrorCode::kInvalidState, "the enclave is not initialized: call init first");
  return *store_;
}

SealedStore& Enclave::sealed_store() {
  if (!store_) throw Error(ErrorCode::kInvalidState, "the enclave is not initialized: call init first");
  return *store_;
}

std::vector<Enclave::ComponentLoader>& Enclave::component_loaders() {
  static std::vector<ComponentLoader> loaders;
  return loaders;
}

ComponentRegistration::ComponentRegistration(Enclave::ComponentLoader loader) {
  Enclave::component_loaders().push_back(loader);
}

void Enclave::add_sealer(const std::string& name, std::function<Bytes()> snapshot) {
  if (name == kIdentitySealName) throw Error(ErrorCode::kInvalidArgument, "the identity blob name is reserved");
  sealers_[name] = std::move(snapshot);
}

std::vector<std::string> Enclave::seal_all() {
  SealedStore& store = sealed_store();
  store.put(kIdentitySealName, identity().serialize());
  std::vector<std::string> written{kIdentitySealName};
  for (const auto& [name, snapshot] : sealers_) {
    Bytes plaintext = snapshot();
    SecretBytes wiped(std::move(plaintext));
    store.put(name, wiped);
    written.push_back(name);
  }
  return written;
}

}  // namespace anonify::enclave
