#include "group_keys.h"

#include "anonify/membership/group_policy.h"
#include "anonify/mls/group.h"
#include "anonify/runtime/ledger.h"
#include "mls/member_group.h"

namespace anonify::runtime::detail {

std::optional<EpochKeys> GroupKeys::current(enclave::Enclave& enclave) {
  const EpochKeys* keys = current_keys(enclave);
  if (keys == nullptr) return std::nullopt;
  return *keys;
}

const EpochKeys* GroupKeys::current_keys(enclave::Enclave& enclave) {
  const mls::Group* group = enclave::mls_group(enclave);
  // Only a group whose every leaf passed the membership rule holds state keys: an interop group
  // (joined without admission, mls_join_external {interop}) never does.
  if (group == nullptr || !group->is_member() || !group->admission_required()) {
    cached_authenticator_.clear();
    cached_.reset();
    return nullptr;
  }
  // The epoch authenticator differs between epochs (and between groups): a cheap cache key.
  Bytes authenticator = group->epoch_authenticator();
  if (cached_ && cached_->mls_epoch == group->epoch() && constant_time_equal(authenticator, cached_authenticator_)) {
    return &*cached_;
  }
  cached_ = EpochKeys{group->group_id(), group->epoch(), make_entry_key(group->export_secret(kEntryKeyLabel, ByteView(), kEntryKeySize)),
                      group->export_secret(kStateHashKeyLabel, ByteView(), kStateHashKeySize),
                      membership::group_policy_of(group->context()).runtime};
  cached_authenticator_ = std::move(authenticator);
  return &*cached_;
}

}  // namespace anonify::runtime::detail
