#include "group_keys.h"

#include "anonify/mls/group.h"
#include "anonify/runtime/ledger.h"

namespace anonify::runtime::detail {

std::optional<EpochKeys> GroupKeys::current(const enclave::Enclave& enclave) {
  const enclave::SealedStore& store = enclave.sealed_store();
  std::optional<Bytes> blob = enclave::read_file_if_exists(store.path_of(kMlsGroupSealName));
  if (!blob) {
    cached_blob_.clear();
    cached_.reset();
    return std::nullopt;
  }
  if (!cached_blob_.empty() && *blob == cached_blob_) return cached_;
  std::optional<SecretBytes> sealed = store.get(kMlsGroupSealName);
  std::optional<EpochKeys> keys;
  if (sealed && !sealed->empty()) {
    const mls::Group group = mls::Group::deserialize(*sealed);
    if (group.is_member()) {
      keys = EpochKeys{group.group_id(), group.epoch(), group.export_secret(kEntryKeyLabel, ByteView(), kEntryKeySize),
                       group.export_secret(kStateHashKeyLabel, ByteView(), kStateHashKeySize)};
    }
  }
  cached_blob_ = std::move(*blob);
  cached_ = keys;
  return keys;
}

}  // namespace anonify::runtime::detail
