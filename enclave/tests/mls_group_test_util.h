// Shared helpers of the MLS group tests (members simulated in one process).
#pragma once

#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "anonify/mls/group.h"
#include "anonify/mls/mls_error.h"

namespace anonify::mls::testing {

// A member with a basic credential naming it and a fresh Ed25519 signature key.
inline MemberIdentity named_identity(const std::string& name) {
  return MemberIdentity{Credential::basic(Bytes(name.begin(), name.end())), generate_signature_key_pair()};
}

// The reason of the MlsError `f` throws; a test failure (and kInternal) when it throws none.
inline Reason reason_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const MlsError& e) {
    return e.reason();
  }
  ADD_FAILURE() << "expected an MlsError";
  return Reason::kInternal;
}

}  // namespace anonify::mls::testing
